"""The cohort view of a survey schedule: each subscale at baseline and each follow-up, and the paired change.

Scores are computed from the stored answers with the content file's scoring rules every time
(reverse keying, the `min_answered` share, the mean of answered items), so a corrected rule
applies to every round alike. Only submitted responses count; drafts never do.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ...content.model import Subscale, Survey
from ...extensions import db
from ...models import Membership, SurveyResponse, SurveySchedule, SurveyWindow
from .stats import Summary, summarize

SMALL_GROUP = 5


@dataclass(frozen=True)
class ChangeRow:
    """The paired change of one subscale from baseline to one follow-up (learners who answered both)."""

    window: SurveyWindow
    change: Summary


@dataclass(frozen=True)
class SubscaleRow:
    """One subscale: its summary in every window, and its paired change at every follow-up."""

    subscale: Subscale
    cells: tuple[Summary, ...]  # one per window, in order
    changes: tuple[ChangeRow, ...]  # one per follow-up


@dataclass(frozen=True)
class Cohort:
    """Figures for one schedule."""

    survey: Survey
    schedule: SurveySchedule
    windows: tuple[SurveyWindow, ...]
    respondents: tuple[int, ...]  # submitted responses per window
    rows: tuple[SubscaleRow, ...]

    @property
    def small_groups(self) -> bool:
        """Whether any figure rests on fewer than five people."""
        return any(cell.n and cell.n < SMALL_GROUP for row in self.rows for cell in row.cells) or any(
            c.change.n and c.change.n < SMALL_GROUP for row in self.rows for c in row.changes)


def scores_by_window(survey: Survey, schedule: SurveySchedule) -> dict[int, dict[int, dict[str, float | None]]]:
    """Subscale scores of every submitted response of students, by window id, then user id."""
    rows = db.session.execute(
        select(SurveyResponse.window_id, SurveyResponse.user_id, SurveyResponse.answers)
        .join(SurveyWindow, SurveyWindow.id == SurveyResponse.window_id)
        .join(Membership, (Membership.user_id == SurveyResponse.user_id) & (Membership.course_id == schedule.course_id))
        .where(SurveyWindow.schedule_id == schedule.id, SurveyResponse.submitted_at.is_not(None),
               Membership.role == "student"))
    found: dict[int, dict[int, dict[str, float | None]]] = {}
    for window_id, user_id, answers in rows:
        found.setdefault(window_id, {})[user_id] = survey.subscale_scores(answers or {})
    return found


def cohort(survey: Survey, schedule: SurveySchedule) -> Cohort:
    """Means, SDs and n per subscale and window, and paired changes from baseline with 95% intervals."""
    windows = tuple(schedule.windows)
    scores = scores_by_window(survey, schedule)
    baseline = scores.get(windows[0].id, {}) if windows else {}
    rows = []
    for subscale in survey.subscales:
        cells = []
        for window in windows:
            values = [s[subscale.id] for s in scores.get(window.id, {}).values() if s[subscale.id] is not None]
            cells.append(summarize([v for v in values if v is not None]))
        changes = []
        for window in windows[1:]:
            later = scores.get(window.id, {})
            diffs = []
            for user_id, first in baseline.items():
                before, after = first[subscale.id], later.get(user_id, {}).get(subscale.id)
                if before is not None and after is not None:
                    diffs.append(after - before)
            changes.append(ChangeRow(window, summarize(diffs)))
        rows.append(SubscaleRow(subscale, tuple(cells), tuple(changes)))
    respondents = tuple(len(scores.get(w.id, {})) for w in windows)
    return Cohort(survey, schedule, windows, respondents, tuple(rows))
