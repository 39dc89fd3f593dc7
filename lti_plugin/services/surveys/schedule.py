"""Survey schedules: what an instructor asks for (a baseline, then follow-ups at dates or intervals),
checked field by field, saved as windows; and which schedule a placement uses."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from ...extensions import db
from ...models import Course, ResourceLink, SurveyResponse, SurveySchedule, SurveyWindow
from ..errors import PlayerError
from .times import TimeProblem, add_months, local_to_utc, parse_local, zone

MAX_FOLLOW_UPS = 20
DATE_ROWS = 20  # as many rows as follow-ups may exist
MIN_OPEN = timedelta(hours=1)
MAX_OPEN = timedelta(days=366)
UNIT_LIMITS = {"weeks": 260, "months": 60}
MODES = ("none", "dates", "interval")


class ScheduleInvalid(PlayerError):
    """The schedule form has mistakes; `problems` maps each field name to what is wrong with it."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        count = len(problems)
        super().__init__(f"The schedule was not saved: {count} field{'s' if count != 1 else ''} need{'' if count != 1 else 's'} attention.", 422)
        self.problems = dict(problems)


@dataclass(frozen=True)
class WindowPlan:
    """A window as planned from the form: its position and when it opens and closes (UTC)."""

    position: int
    opens_at: datetime
    closes_at: datetime


@dataclass
class SchedulePlan:
    """A checked schedule, ready to save."""

    timezone: str
    rule: dict[str, Any]
    windows: list[WindowPlan] = field(default_factory=list)


def _field(form: Mapping[str, str], name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _whole(form: Mapping[str, str], name: str, low: int, high: int, what: str, problems: dict[str, str]) -> int | None:
    raw = _field(form, name)
    if not raw.isdigit() or not low <= int(raw) <= high:
        problems[name] = f"{what} must be a whole number from {low} to {high}."
        return None
    return int(raw)


def _moment(form: Mapping[str, str], name: str, tz: str | None, problems: dict[str, str]) -> datetime | None:
    if tz is None:
        return None
    try:
        return parse_local(_field(form, name), tz)
    except TimeProblem as problem:
        problems[name] = str(problem)
        return None


def _length_problem(opens: datetime, closes: datetime) -> str | None:
    if closes <= opens:
        return "It must close after it opens."
    if closes - opens < MIN_OPEN:
        return "Keep it open for at least an hour."
    if closes - opens > MAX_OPEN:
        return "Keep it open for at most 366 days."
    return None


def parse_schedule(form: Mapping[str, str]) -> SchedulePlan:
    """Check the schedule form; every problem is reported at once, by field (ScheduleInvalid)."""
    problems: dict[str, str] = {}
    tz: str | None = _field(form, "timezone")
    try:
        zone(tz or "")
    except TimeProblem as problem:
        problems["timezone"] = str(problem)
        tz = None
    opens = _moment(form, "baseline_opens", tz, problems)
    closes = _moment(form, "baseline_closes", tz, problems)
    baseline_problem = _length_problem(opens, closes) if opens and closes else None
    if baseline_problem:
        problems["baseline_closes"] = "The baseline: " + baseline_problem[0].lower() + baseline_problem[1:]
    mode = _field(form, "follow_up_mode") or "none"
    rule: dict[str, Any] = {"mode": mode}
    follow_ups: list[tuple[datetime, datetime, str]] = []  # opens, closes, the field to blame
    if mode not in MODES:
        problems["follow_up_mode"] = "Choose no follow-ups, follow-ups at set dates, or at regular intervals."
    elif mode == "dates":
        follow_ups = _dates(form, tz, problems, rule)
    elif mode == "interval" and opens is not None and tz is not None:
        follow_ups = _intervals(form, opens, tz, problems, rule)
    elif mode == "interval":
        for name, low, high, what in (("interval_every", 1, 260, "The interval"), ("interval_times", 1, MAX_FOLLOW_UPS, "The number of follow-ups"),
                                      ("interval_days_open", 1, 366, "The days each follow-up stays open")):
            _whole(form, name, low, high, what, problems)
    if not problems and opens and closes:
        previous_close, previous_name = closes, "the baseline"
        for number, (start, end, blame) in enumerate(follow_ups, start=1):
            if start < previous_close:
                problems[blame] = (f"Follow-up {number} would open before {previous_name} closes; "
                                   "rounds of a survey cannot overlap.")
                break
            previous_close, previous_name = end, f"follow-up {number}"
    if problems:
        raise ScheduleInvalid(problems)
    assert opens is not None and closes is not None and tz is not None
    windows = [WindowPlan(0, opens, closes)] + [WindowPlan(i, s, e) for i, (s, e, _) in enumerate(follow_ups, start=1)]
    return SchedulePlan(tz, rule, windows)


def _dates(form: Mapping[str, str], tz: str | None, problems: dict[str, str], rule: dict[str, Any]) -> list[tuple[datetime, datetime, str]]:
    found: list[tuple[datetime, datetime, str]] = []
    for row in range(1, DATE_ROWS + 1):
        open_name, close_name = f"follow_up_opens_{row}", f"follow_up_closes_{row}"
        if not _field(form, open_name) and not _field(form, close_name):
            continue
        start, end = _moment(form, open_name, tz, problems), _moment(form, close_name, tz, problems)
        if start and end:
            row_problem = _length_problem(start, end)
            if row_problem:
                problems[close_name] = f"Follow-up row {row}: " + row_problem[0].lower() + row_problem[1:]
            else:
                found.append((start, end, open_name))
    if not found and not any(k.startswith("follow_up_") and k != "follow_up_mode" for k in problems):
        problems["follow_up_opens_1"] = "Enter when at least one follow-up opens and closes, or choose no follow-ups."
    found.sort(key=lambda window: window[0])
    rule["dates"] = len(found)
    return found


def _intervals(form: Mapping[str, str], baseline_opens: datetime, tz: str, problems: dict[str, str],
               rule: dict[str, Any]) -> list[tuple[datetime, datetime, str]]:
    unit = _field(form, "interval_unit")
    if unit not in UNIT_LIMITS:
        problems["interval_unit"] = "Choose weeks or months."
        return []
    every = _whole(form, "interval_every", 1, UNIT_LIMITS[unit], "The interval", problems)
    times = _whole(form, "interval_times", 1, MAX_FOLLOW_UPS, "The number of follow-ups", problems)
    days = _whole(form, "interval_days_open", 1, 366, "The days each follow-up stays open", problems)
    if every is None or times is None or days is None:
        return []
    rule.update(unit=unit, every=every, times=times, days_open=days)
    local_start = baseline_opens.astimezone(zone(tz)).replace(tzinfo=None)
    found: list[tuple[datetime, datetime, str]] = []
    for number in range(1, times + 1):
        wall = add_months(local_start, every * number) if unit == "months" else local_start + timedelta(weeks=every * number)
        try:
            start = local_to_utc(wall, tz)
            end = local_to_utc(wall + timedelta(days=days), tz)
        except TimeProblem as problem:
            problems["interval_every"] = f"Follow-up {number}: {problem}"
            return []
        if number > 1 and start < found[-1][1]:
            problems["interval_days_open"] = (f"Each follow-up would still be open when the next one opens: keep them open "
                                              f"for fewer days or space them further apart.")
            return []
        found.append((start, end, "interval_every"))
    return found


# -- reading and saving ---------------------------------------------------------------------------------------
def schedule_for(course_id: int, link_id: int | None, survey_id: str) -> SurveySchedule | None:
    """The schedule a placement uses: its own when it has one, else the course's."""
    if link_id is not None:
        own = db.session.scalar(select(SurveySchedule).where(
            SurveySchedule.course_id == course_id, SurveySchedule.survey_id == survey_id,
            SurveySchedule.resource_link_id == link_id))
        if own is not None:
            return own
    return course_schedule(course_id, survey_id)


def course_schedule(course_id: int, survey_id: str) -> SurveySchedule | None:
    """The course-wide schedule of a survey, if there is one."""
    return db.session.scalar(select(SurveySchedule).where(
        SurveySchedule.course_id == course_id, SurveySchedule.survey_id == survey_id,
        SurveySchedule.resource_link_id.is_(None)))


def own_schedule(course_id: int, link: ResourceLink | None, survey_id: str) -> SurveySchedule | None:
    """The schedule of exactly this scope (the placement's own, or the course's when link is None)."""
    if link is None:
        return course_schedule(course_id, survey_id)
    return db.session.scalar(select(SurveySchedule).where(
        SurveySchedule.course_id == course_id, SurveySchedule.survey_id == survey_id,
        SurveySchedule.resource_link_id == link.id))


def course_schedules(course_id: int) -> list[SurveySchedule]:
    """Every survey schedule of a course: course-wide ones first."""
    rows = db.session.scalars(select(SurveySchedule).where(SurveySchedule.course_id == course_id)
                              .order_by(SurveySchedule.survey_id, SurveySchedule.id))
    return sorted(rows, key=lambda s: (s.survey_id, s.resource_link_id is not None, s.id))


def responses_per_window(schedule: SurveySchedule) -> dict[int, int]:
    """How many responses (drafts included) each window of a schedule holds, by position."""
    rows = db.session.execute(
        select(SurveyWindow.position, func.count(SurveyResponse.id))
        .join(SurveyResponse, SurveyResponse.window_id == SurveyWindow.id)
        .where(SurveyWindow.schedule_id == schedule.id).group_by(SurveyWindow.position))
    return {position: count for position, count in rows}


def save_schedule(course: Course, link: ResourceLink | None, survey_id: str, plan: SchedulePlan, user_id: int) -> SurveySchedule:
    """Create or change the schedule of a scope; windows that already hold answers are never removed (flush only)."""
    if link is not None and link.course_id != course.id:
        raise PlayerError("That placement is not part of this course.", 404)
    schedule = own_schedule(course.id, link, survey_id)
    if schedule is None:
        schedule = SurveySchedule(course_id=course.id, resource_link_id=link.id if link else None, survey_id=survey_id)
        db.session.add(schedule)
    answered = responses_per_window(schedule) if schedule.id else {}
    dropped = [w for w in schedule.windows if w.position >= len(plan.windows) and answered.get(w.position)]
    if dropped:
        window = dropped[0]
        raise ScheduleInvalid({"follow_up_mode": (
            f"{window.label} already holds {answered[window.position]} response(s), so it cannot be removed; "
            "keep at least as many follow-ups as have answers.")})
    schedule.timezone, schedule.rule, schedule.updated_by_id = plan.timezone, plan.rule, user_id
    by_position = {w.position: w for w in schedule.windows}
    for window in list(schedule.windows):
        if window.position >= len(plan.windows):
            schedule.windows.remove(window)
    db.session.flush()  # removed windows go before new ones take their places
    for planned in plan.windows:
        row = by_position.get(planned.position)
        if row is None:
            row = SurveyWindow(position=planned.position)
            schedule.windows.append(row)
        row.opens_at, row.closes_at = planned.opens_at, planned.closes_at
    db.session.flush()
    return schedule


def remove_schedule(schedule: SurveySchedule) -> None:
    """Delete a schedule that holds no answers yet (flush only)."""
    if sum(responses_per_window(schedule).values()):
        raise PlayerError("This schedule already holds answers, so it cannot be removed; you can still change its dates.", 409)
    db.session.delete(schedule)
    db.session.flush()


def form_values(schedule: SurveySchedule | None, default_zone: str) -> dict[str, str]:
    """The schedule form filled in from a saved schedule (or empty, in the default zone)."""
    from .times import input_value

    values: dict[str, str] = {"timezone": default_zone, "follow_up_mode": "none", "interval_unit": "months",
                              "interval_every": "6", "interval_times": "2", "interval_days_open": "14"}
    if schedule is None or not schedule.windows:
        return values
    tz = schedule.timezone
    values["timezone"] = tz
    baseline, *follow_ups = schedule.windows
    values["baseline_opens"], values["baseline_closes"] = input_value(baseline.opens_at, tz), input_value(baseline.closes_at, tz)
    rule = schedule.rule or {}
    mode = rule.get("mode", "dates" if follow_ups else "none")
    values["follow_up_mode"] = mode if follow_ups else "none"
    if mode == "interval" and follow_ups:
        for key in ("unit", "every", "times", "days_open"):
            if key in rule:
                values[f"interval_{key}"] = str(rule[key])
    for row, window in enumerate(follow_ups, start=1):
        values[f"follow_up_opens_{row}"] = input_value(window.opens_at, tz)
        values[f"follow_up_closes_{row}"] = input_value(window.closes_at, tz)
    return values
