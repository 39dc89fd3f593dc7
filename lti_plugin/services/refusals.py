"""Refused logins and launches, kept for the admin page: when, why, for which platform.

A refusal is written in its own short transaction, because the request that was refused rolls
its own work back. The table keeps at most MAX_ROWS rows and nothing older than KEEP_DAYS; the
trimming runs every PURGE_EVERY inserts so that a stream of forged launches stays cheap.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select

from ..extensions import db
from ..models import LaunchRefusal, utcnow

KEEP_DAYS = 30
MAX_ROWS = 10_000
PURGE_EVERY = 50
FIELD_LIMIT = 255


def _clip(value: str | None) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return value[:FIELD_LIMIT]


def record_refusal(reason: str, status: int, issuer: str | None, client_id: str | None) -> None:
    """Store one refusal (its own transaction); trims old rows now and then."""
    now = utcnow()
    with db.engine.begin() as conn:
        result = conn.execute(insert(LaunchRefusal).values(
            created_at=now, reason=reason[:64], status=status, issuer=_clip(issuer), client_id=_clip(client_id),
        ))
        key = result.inserted_primary_key
        new_id = int(key[0]) if key else 0
        if new_id % PURGE_EVERY == 0:
            conn.execute(delete(LaunchRefusal).where(LaunchRefusal.id <= new_id - MAX_ROWS))
            conn.execute(delete(LaunchRefusal).where(LaunchRefusal.created_at < now - timedelta(days=KEEP_DAYS)))


@dataclass(frozen=True)
class ReasonCount:
    """How often one reason was given since a moment, and when last."""

    reason: str
    count: int
    last_at: datetime


def refusals_by_reason(since: datetime) -> list[ReasonCount]:
    """Refusals since `since`, counted by reason, the most frequent first."""
    rows = db.session.execute(
        select(LaunchRefusal.reason, func.count(), func.max(LaunchRefusal.created_at))
        .where(LaunchRefusal.created_at >= since)
        .group_by(LaunchRefusal.reason)
        .order_by(func.count().desc(), LaunchRefusal.reason)
    ).all()
    return [ReasonCount(reason, int(count), last) for reason, count, last in rows]


def recent_refusals(limit: int = 50) -> list[LaunchRefusal]:
    """The latest refusals, newest first."""
    return list(db.session.scalars(
        select(LaunchRefusal).order_by(LaunchRefusal.created_at.desc(), LaunchRefusal.id.desc()).limit(limit)
    ))
