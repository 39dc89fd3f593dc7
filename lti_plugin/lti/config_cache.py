"""Registrations and deployments as each process last read them, for a few seconds.

Every login and launch needs the registration and the deployment; reading them from the
database each time cost about a tenth of a launch. Each process keeps what it read for
LTI_CONFIG_CACHE_SECONDS (5 by default). The price: a change made in another process (a
platform or deployment deactivated in the admin pages of another worker, or with the CLI)
takes effect there after that time. A change made through the ORM in this process clears
this process's copies at once, when it is flushed and again when it is committed.
Only rows that exist are kept: a platform or deployment registered a moment ago is found at
its first launch.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, TypeVar

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..models import Deployment, Registration

T = TypeVar("T")
MAX_ENTRIES = 1024

# Bumped by every change to a registration or deployment made in this process: entries read
# under an older generation are not used again.
_generation = 0


@dataclass(frozen=True)
class RegistrationInfo:
    """What a login and a launch read of a registration."""

    id: int
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    auth_audience: str | None
    active: bool

    @classmethod
    def of(cls, row: Registration) -> "RegistrationInfo":
        """The values of a database row."""
        return cls(row.id, row.issuer, row.client_id, row.auth_login_url, row.auth_token_url, row.key_set_url,
                   row.auth_audience, bool(row.active))


@dataclass(frozen=True)
class DeploymentInfo:
    """What a launch reads of a deployment."""

    id: int
    registration_id: int
    deployment_id: str
    active: bool
    last_launch_at: datetime | None

    @classmethod
    def of(cls, row: Deployment) -> "DeploymentInfo":
        """The values of a database row."""
        return cls(row.id, row.registration_id, row.deployment_id, bool(row.active), row.last_launch_at)


def cached(kind: str, key: tuple[Any, ...], load: Callable[[], T | None]) -> T | None:
    """The value `load` returns for `key`, kept for LTI_CONFIG_CACHE_SECONDS when it is not None."""
    seconds = current_app.config["LTI_CONFIG_CACHE_SECONDS"]
    if seconds <= 0:
        return load()
    store: dict[tuple[Any, ...], tuple[float, int, Any]] = current_app.extensions.setdefault("rapport_lti_config", {})
    now = time.monotonic()
    entry = store.get((kind, *key))
    if entry is not None and entry[0] > now and entry[1] == _generation:
        return entry[2]  # type: ignore[no-any-return]
    generation = _generation  # read before loading: a change made meanwhile makes this entry stale
    value = load()
    if value is not None:
        if len(store) >= MAX_ENTRIES:
            store.clear()
        store[(kind, *key)] = (now + seconds, generation, value)
    return value


def forget() -> None:
    """Make every process-local copy stale (after a change this process made)."""
    global _generation
    _generation += 1


_CHANGED = "rapport_lti_config_changed"


def _after_flush(session: Session, flush_context: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, (Registration, Deployment)):
            session.info[_CHANGED] = True
            forget()
            return


def _after_commit(session: Session) -> None:
    # Again once committed: another thread may have read the old row between flush and commit.
    if session.info.pop(_CHANGED, False):
        forget()


def watch_changes() -> None:
    """Listen for changes to registrations and deployments in every session of this process (once)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", lambda session: session.info.pop(_CHANGED, None))


watch_changes()
