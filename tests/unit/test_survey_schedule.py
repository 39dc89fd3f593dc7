"""Reading an instructor's survey schedule: wall-clock times in a zone, intervals, and every mistake named by field."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from lti_plugin.services.surveys.schedule import ScheduleInvalid, parse_schedule
from lti_plugin.services.surveys.times import add_months, describe, parse_local

BASE = {"timezone": "Europe/Lisbon", "baseline_opens": "2027-01-31T09:00", "baseline_closes": "2027-02-14T18:00",
        "follow_up_mode": "none"}


def problems(**fields: str) -> dict[str, str]:
    with pytest.raises(ScheduleInvalid) as caught:
        parse_schedule({**BASE, **fields})
    assert caught.value.status == 422
    return caught.value.problems


def test_a_baseline_only_schedule_in_a_zone() -> None:
    plan = parse_schedule(BASE)
    assert plan.timezone == "Europe/Lisbon" and plan.rule == {"mode": "none"}
    [window] = plan.windows
    assert window.position == 0
    assert window.opens_at == datetime(2027, 1, 31, 9, 0, tzinfo=timezone.utc)  # Lisbon is on UTC in winter
    assert describe(window.opens_at, "America/Chicago") == "Sunday 31 January 2027, 03:00 (America/Chicago, UTC-06:00)"


def test_monthly_follow_ups_keep_the_wall_time_and_clamp_the_day() -> None:
    plan = parse_schedule({**BASE, "follow_up_mode": "interval", "interval_every": "1", "interval_unit": "months",
                           "interval_times": "3", "interval_days_open": "7"})
    lisbon = ZoneInfo("Europe/Lisbon")
    opens = [w.opens_at.astimezone(lisbon) for w in plan.windows[1:]]
    assert [(o.month, o.day, o.hour) for o in opens] == [(2, 28, 9), (3, 31, 9), (4, 30, 9)]  # summer time from 28 March
    assert opens[1].utcoffset() == timedelta(hours=1)
    assert all(w.closes_at - w.opens_at == timedelta(days=7) for w in plan.windows[2:])
    assert plan.rule == {"mode": "interval", "unit": "months", "every": 1, "times": 3, "days_open": 7}
    assert add_months(datetime(2028, 1, 31), 1) == datetime(2028, 2, 29)


def test_weekly_follow_ups_and_set_dates_in_any_order() -> None:
    weekly = parse_schedule({**BASE, "follow_up_mode": "interval", "interval_every": "4", "interval_unit": "weeks",
                             "interval_times": "2", "interval_days_open": "5"})
    lisbon = ZoneInfo("Europe/Lisbon")
    wall = [w.opens_at.astimezone(lisbon).replace(tzinfo=None) for w in weekly.windows]
    assert [w - wall[0] for w in wall[1:]] == [timedelta(weeks=4), timedelta(weeks=8)]  # 09:00 each time, across summer time
    assert weekly.windows[2].opens_at - weekly.windows[0].opens_at == timedelta(weeks=8, hours=-1)
    dated = parse_schedule({**BASE, "follow_up_mode": "dates",
                            "follow_up_opens_1": "2027-09-01 09:00", "follow_up_closes_1": "2027-09-15 09:00",
                            "follow_up_opens_3": "2027-05-01T09:00", "follow_up_closes_3": "2027-05-10T09:00"})
    assert [w.position for w in dated.windows] == [0, 1, 2]
    assert [w.opens_at.month for w in dated.windows] == [1, 5, 9]


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"timezone": "Europe/Atlantis"}, "timezone", "not a time zone name"),
    ({"timezone": ""}, "timezone", "not a time zone name"),
    ({"baseline_opens": ""}, "baseline_opens", "Enter a date and a time"),
    ({"baseline_opens": "31/01/2027"}, "baseline_opens", "use the form 2026-09-01 09:00"),
    ({"baseline_opens": "1999-01-01T09:00"}, "baseline_opens", "between 2000 and 2100"),
    ({"baseline_closes": "2027-01-30T09:00"}, "baseline_closes", "must close after it opens"),
    ({"baseline_closes": "2027-01-31T09:30"}, "baseline_closes", "at least an hour"),
    ({"baseline_closes": "2028-06-01T09:00"}, "baseline_closes", "at most 366 days"),
    ({"baseline_opens": "2027-03-28T01:30", "baseline_closes": "2027-04-02T09:00"}, "baseline_opens",
     "does not exist in Europe/Lisbon"),
    ({"follow_up_mode": "sometimes"}, "follow_up_mode", "Choose no follow-ups"),
    ({"follow_up_mode": "dates"}, "follow_up_opens_1", "at least one follow-up"),
    ({"follow_up_mode": "dates", "follow_up_opens_2": "2027-06-01T09:00"}, "follow_up_closes_2", "Enter a date"),
    ({"follow_up_mode": "dates", "follow_up_opens_1": "2027-02-10T09:00", "follow_up_closes_1": "2027-03-01T09:00"},
     "follow_up_opens_1", "open before the baseline closes"),
    ({"follow_up_mode": "dates", "follow_up_opens_1": "2027-05-01T09:00", "follow_up_closes_1": "2027-05-20T09:00",
      "follow_up_opens_2": "2027-05-10T09:00", "follow_up_closes_2": "2027-06-01T09:00"},
     "follow_up_opens_2", "Follow-up 2 would open before follow-up 1 closes"),
    ({"follow_up_mode": "interval", "interval_every": "0", "interval_unit": "months", "interval_times": "2",
      "interval_days_open": "7"}, "interval_every", "from 1 to 60"),
    ({"follow_up_mode": "interval", "interval_every": "2", "interval_unit": "years", "interval_times": "2",
      "interval_days_open": "7"}, "interval_unit", "weeks or months"),
    ({"follow_up_mode": "interval", "interval_every": "2", "interval_unit": "weeks", "interval_times": "21",
      "interval_days_open": "7"}, "interval_times", "from 1 to 20"),
    ({"follow_up_mode": "interval", "interval_every": "1", "interval_unit": "weeks", "interval_times": "2",
      "interval_days_open": "9"}, "interval_days_open", "still be open when the next one opens"),
    ({"follow_up_mode": "interval", "interval_every": "1", "interval_unit": "weeks", "interval_times": "1",
      "interval_days_open": "3", "baseline_closes": "2027-02-14T09:00"}, "interval_every", "open before the baseline closes"),
])
def test_each_mistake_is_named_by_its_field(fields: dict[str, str], field: str, words: str) -> None:
    found = problems(**fields)
    assert field in found, found
    assert words in found[field]


def test_every_mistake_at_once() -> None:
    found = problems(timezone="Nowhere", follow_up_mode="interval", interval_every="x", interval_times="", interval_days_open="0")
    assert {"timezone", "interval_every", "interval_times", "interval_days_open"} <= set(found)


def test_a_time_repeated_by_a_clock_change_means_the_first_one() -> None:
    first = parse_local("2027-10-31T01:30", "Europe/Lisbon")  # clocks go back at 02:00 summer time
    assert first == datetime(2027, 10, 31, 0, 30, tzinfo=timezone.utc)
