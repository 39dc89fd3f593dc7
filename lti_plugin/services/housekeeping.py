"""Removing what has expired: launch sessions, pending logins, used nonces, registration attempts.

Each of these rows is useless once its `expires_at` has passed (a used nonce is kept longer than
any id_token lives, see NONCE_SECONDS), so removing them changes no behaviour; it only keeps the
tables small. Learners' work, ratings, survey answers and the grade history are never removed here.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete

from ..extensions import db
from ..models import LaunchSession, LoginState, RegistrationAttempt, UsedNonce, utcnow

EXPIRING = (
    ("launch sessions", LaunchSession),
    ("pending logins", LoginState),
    ("used nonces", UsedNonce),
    ("registration attempts", RegistrationAttempt),
)


def purge_expired(now: datetime | None = None) -> dict[str, int]:
    """Delete every row whose time is up; returns how many of each kind went (flush only)."""
    moment = now or utcnow()
    removed: dict[str, int] = {}
    for label, model in EXPIRING:
        result = db.session.execute(
            delete(model).where(model.expires_at < moment).execution_options(synchronize_session=False)
        )
        removed[label] = int(getattr(result, "rowcount", 0) or 0)
    return removed
