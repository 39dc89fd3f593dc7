"""A learner and the survey: which round is open for them, their draft, and their final submission.

Answers are saved as the learner goes (the page saves each choice, and a button saves without
JavaScript), so a closed tab, a lost connection or an expired launch loses nothing; a response
becomes final when submitted. One response per learner per window, enforced by the database.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from ...content.model import Survey, SurveyItem
from ...extensions import db
from ...models import SurveyResponse, SurveySchedule, SurveyWindow
from ..errors import PlayerError
from .times import describe

# A learner who started before a round closed may still finish within this time after it closed.
GRACE = timedelta(hours=1)
FIELD_PREFIX = "a-"


@dataclass(frozen=True)
class LearnerSurvey:
    """Where one learner stands with a scheduled survey right now."""

    state: str  # unscheduled | open | submitted | upcoming | closed
    schedule: SurveySchedule | None
    window: SurveyWindow | None = None  # the round they can answer, or just answered
    response: SurveyResponse | None = None
    next_window: SurveyWindow | None = None
    in_grace: bool = False

    @property
    def open(self) -> bool:
        """Whether the learner can answer now."""
        return self.state == "open"


def _responses(schedule: SurveySchedule, user_id: int) -> dict[int, SurveyResponse]:
    rows = db.session.scalars(select(SurveyResponse).join(SurveyWindow).where(
        SurveyWindow.schedule_id == schedule.id, SurveyResponse.user_id == user_id))
    return {row.window_id: row for row in rows}


def learner_survey(schedule: SurveySchedule | None, user_id: int, now: datetime) -> LearnerSurvey:
    """The round open for a learner (or the next one, or none left), with their response in it."""
    if schedule is None or not schedule.windows:
        return LearnerSurvey("unscheduled", schedule)
    mine = _responses(schedule, user_id)
    upcoming = next((w for w in schedule.windows if w.opens_at > now), None)
    current = next((w for w in schedule.windows if w.opens_at <= now < w.closes_at), None)
    if current is not None:
        response = mine.get(current.id)
        if response is not None and response.submitted_at is not None:
            return LearnerSurvey("submitted", schedule, current, response, upcoming)
        return LearnerSurvey("open", schedule, current, response, upcoming)
    for window in schedule.windows:
        draft = mine.get(window.id)
        if (draft is not None and draft.submitted_at is None and draft.answers
                and window.closes_at <= now < window.closes_at + GRACE):
            return LearnerSurvey("open", schedule, window, draft, upcoming, in_grace=True)
    if upcoming is not None:
        return LearnerSurvey("upcoming", schedule, None, None, upcoming)
    last = schedule.windows[-1]
    return LearnerSurvey("closed", schedule, last, mine.get(last.id))


def _refuse(status: LearnerSurvey) -> PlayerError:
    tz = status.schedule.timezone if status.schedule else "UTC"
    if status.state == "submitted" and status.response and status.response.submitted_at:
        return PlayerError(f"You already submitted your answers for this round, on "
                           f"{describe(status.response.submitted_at, tz)}; submitted answers are final.", 409)
    if status.state == "upcoming" and status.next_window:
        return PlayerError(f"The survey is not open now; the next round opens on {describe(status.next_window.opens_at, tz)}.", 409)
    if status.state == "unscheduled":
        return PlayerError("This survey has not been scheduled yet, so it cannot be answered.", 409)
    return PlayerError("This round of the survey has closed, so answers can no longer be changed.", 409)


def parse_answers(survey: Survey, form: Mapping[str, Any]) -> dict[str, int]:
    """Answers from form fields `a-<item id>` (other fields are ignored); each a whole number 1..points."""
    return _checked(survey, {k[len(FIELD_PREFIX):]: v for k, v in form.items() if k.startswith(FIELD_PREFIX)})


def parse_json_answers(survey: Survey, given: Mapping[str, Any]) -> dict[str, int]:
    """Answers sent by the page's script: an object of item id -> 1..points."""
    return _checked(survey, given)


def _checked(survey: Survey, given: Mapping[str, Any]) -> dict[str, int]:
    items = {item.id for item in survey.items}
    answers: dict[str, int] = {}
    for item_id, raw in given.items():
        if item_id not in items:
            raise PlayerError("An answer names a statement this survey does not have; reload the page and try again.", 400)
        value = raw[-1] if isinstance(raw, list) and raw else raw
        if value in ("", None):
            continue
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
            raise PlayerError(f"Answers are whole numbers from 1 to {survey.scale.points}.", 400)
        number = int(value)
        if not 1 <= number <= survey.scale.points:
            raise PlayerError(f"Answers are whole numbers from 1 to {survey.scale.points}.", 400)
        answers[item_id] = number
    return answers


def unanswered(survey: Survey, answers: Mapping[str, int]) -> list[SurveyItem]:
    """The statements without an answer, in survey order."""
    return [item for item in survey.items if item.id not in answers]


def save_draft(survey: Survey, schedule: SurveySchedule | None, user_id: int, link_id: int | None,
               answers: Mapping[str, int], now: datetime) -> SurveyResponse:
    """Add answers to the learner's response in the open round (created on first save; flush only).

    Answers merge into what is saved (a choice on one device never erases one made on another).
    A simultaneous first save by two tabs raises IntegrityError; the caller rolls back and calls again.
    """
    status = learner_survey(schedule, user_id, now)
    if not status.open or status.window is None:
        raise _refuse(status)
    response = status.response
    if response is None:
        response = SurveyResponse(window_id=status.window.id, user_id=user_id, resource_link_id=link_id,
                                  survey_id=survey.id, survey_version=survey.version, answers=dict(answers),
                                  started_at=now, updated_at=now)
        db.session.add(response)
        db.session.flush()
        return response
    merged = {**(response.answers or {}), **answers}
    changed = db.session.execute(
        update(SurveyResponse).where(SurveyResponse.id == response.id, SurveyResponse.submitted_at.is_(None))
        .values(answers=merged, updated_at=now, survey_version=survey.version)
        .execution_options(synchronize_session=False))
    if getattr(changed, "rowcount", 1) == 0:
        db.session.expire(response)
        raise _refuse(learner_survey(schedule, user_id, now))
    db.session.expire(response)
    return response


def submit(survey: Survey, schedule: SurveySchedule | None, user_id: int, response: SurveyResponse,
           now: datetime) -> SurveyResponse:
    """Make a saved response final (flush only); only one submission can ever win."""
    status = learner_survey(schedule, user_id, now)
    if not status.open or status.response is None or status.response.id != response.id:
        raise _refuse(status)
    if not response.answers:
        raise PlayerError("Answer at least one statement before submitting.", 422)
    changed = db.session.execute(
        update(SurveyResponse).where(SurveyResponse.id == response.id, SurveyResponse.submitted_at.is_(None))
        .values(submitted_at=now, updated_at=now, survey_version=survey.version)
        .execution_options(synchronize_session=False))
    db.session.expire(response)
    if getattr(changed, "rowcount", 1) == 0:
        raise _refuse(learner_survey(schedule, user_id, now))
    return response
