"""Template filters of the dashboard's tables, in Python: a table of 50 learners calls them hundreds of times."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from markupsafe import Markup


def percent(share: float | None) -> str:
    """A share 0..1 as '12.3%', or a dash when there is none."""
    return "—" if share is None else f"{share * 100:.1f}%"


def utc_time(moment: datetime | None) -> Markup:
    """A <time> element for a UTC moment: '2026-11-20 08:29 UTC'."""
    if moment is None:
        return Markup("")
    return Markup('<time datetime="{}">{} UTC</time>').format(moment.isoformat(), moment.strftime("%Y-%m-%d %H:%M"))


def delivery_state(row: Any) -> Markup:
    """Where a grade delivery stands, in words, with the next try, the time delivered or the platform's status."""
    if row.state == "pending" and row.sending_now:
        return Markup('<span class="state state-pending">Pending</span> being sent now')
    if row.state == "pending":
        tries = Markup(" (after {} attempt{})").format(row.attempts, "" if row.attempts == 1 else "s") if row.attempts else ""
        return Markup('<span class="state state-pending">Pending</span> next try {}{}').format(utc_time(row.next_attempt_at), tries)
    if row.state == "delivered":
        return Markup('<span class="state state-delivered">Delivered</span> {}').format(utc_time(row.delivered_at))
    if row.state == "failed":
        status = Markup(" (HTTP {})").format(row.last_status) if row.last_status else ""
        return Markup('<span class="state state-failed">Failed</span>{}').format(status)
    return Markup('<span class="state">Replaced</span>')


FILTERS: dict[str, Callable[..., Any]] = {"percent": percent, "utc_time": utc_time, "delivery_state": delivery_state}
