"""Survey response rates per window: submitted and started-but-unsubmitted responses of the course's learners."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ...extensions import db
from ...models import SurveyResponse, SurveySchedule, SurveyWindow
from ..surveys.schedule import course_schedules
from .roster import learner_source
from .scope import CourseScope


@dataclass(frozen=True)
class WindowRate:
    """One window: how many learners submitted, how many have a draft, out of how many."""

    window: SurveyWindow
    learners: int
    submitted: int
    drafts: int

    @property
    def rate(self) -> float | None:
        """Submitted as a share of the course's learners."""
        return self.submitted / self.learners if self.learners else None


@dataclass(frozen=True)
class ScheduleRates:
    """A schedule, the title of what it covers, and its windows' rates."""

    schedule: SurveySchedule
    title: str
    windows: tuple[WindowRate, ...]


def schedule_title(scope: CourseScope, schedule: SurveySchedule) -> str:
    """'Attitudes ... (whole course)' or '... (placement X only)'."""
    try:
        survey_title = scope.library.survey(schedule.survey_id).title
    except KeyError:
        survey_title = schedule.survey_id
    if schedule.resource_link_id is None:
        return f"{survey_title} (whole course)"
    placement = scope.placement(schedule.resource_link_id)
    return f"{survey_title} ({placement.display_title if placement else 'a removed placement'} only)"


def survey_rates(scope: CourseScope, learners: int) -> list[ScheduleRates]:
    """Response rates of every schedule of the course, window by window (one grouped query)."""
    schedules = course_schedules(scope.course_id)
    if not schedules:
        return []
    counts = {
        (window_id, submitted): int(n) for window_id, submitted, n in db.session.execute(
            select(SurveyResponse.window_id, SurveyResponse.submitted_at.is_not(None), func.count(SurveyResponse.id))
            .join(SurveyWindow, SurveyWindow.id == SurveyResponse.window_id)
            .where(SurveyWindow.schedule_id.in_([s.id for s in schedules]),
                   SurveyResponse.user_id.in_(learner_source(scope.course_id)))
            .group_by(SurveyResponse.window_id, SurveyResponse.submitted_at.is_not(None)))
    }
    return [ScheduleRates(schedule, schedule_title(scope, schedule), tuple(
        WindowRate(w, learners, counts.get((w.id, True), 0), counts.get((w.id, False), 0)) for w in schedule.windows))
        for schedule in schedules]
