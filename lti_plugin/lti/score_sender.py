"""Sending one claimed score: its line item found or created when needed, a token, the POST.

Nothing here writes to the database: the outcome goes back to the worker, which records it.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import requests
from sqlalchemy import select

from ..extensions import cache, db
from ..models import ScoreDelivery
from . import ags
from .errors import ServiceCallError
from .service_tokens import TokenSource, call_with_token

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
LINE_ITEM_MEMORY_SECONDS = 86400
T = TypeVar("T")

_line_item_locks: dict[str, threading.Lock] = {}
_line_item_locks_guard = threading.Lock()


@dataclass(frozen=True)
class Job:
    """A claimed row, copied out of the database session so any thread can send it."""

    id: int
    source: TokenSource
    user_sub: str
    timestamp: datetime
    line_item_key: str
    line_item_url: str | None
    line_items_url: str | None
    lti_resource_link_id: str | None
    label: str | None
    line_item_score_maximum: float | None
    resource_id: str | None
    tag: str | None
    score: dict[str, Any]
    attempts: int
    created_at: datetime

    @classmethod
    def of(cls, row: Mapping[Any, Any], source: TokenSource) -> Job:
        """The job for an outbox row (its columns by name)."""
        return cls(
            id=row["id"], source=source, user_sub=row["user_sub"], timestamp=row["timestamp"],
            line_item_key=row["line_item_key"], line_item_url=row["line_item_url"],
            line_items_url=row["line_items_url"], lti_resource_link_id=row["lti_resource_link_id"],
            label=row["line_item_label"], line_item_score_maximum=row["line_item_score_maximum"],
            resource_id=row["line_item_resource_id"], tag=row["line_item_tag"], score=score_json(row),
            attempts=row["attempts"], created_at=row["created_at"],
        )


@dataclass(frozen=True)
class Outcome:
    """What happened to one attempt: delivered, retry, or failed."""

    state: str
    status: int | None = None
    error: str | None = None
    retry_after: float | None = None
    counts: bool = True
    line_item_url: str | None = None


def score_json(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The AGS score document for an outbox row; the same on every attempt."""
    # float(): SQLite may hand back a whole REAL as an integer through RETURNING.
    body: dict[str, Any] = {
        "userId": row["user_sub"],
        "scoreMaximum": float(row["score_maximum"]),
        "activityProgress": row["activity_progress"],
        "gradingProgress": row["grading_progress"],
        "timestamp": row["timestamp"].isoformat(timespec="microseconds"),
    }
    if row["score_given"] is not None:
        body["scoreGiven"] = float(row["score_given"])
    if row["comment"] is not None:
        body["comment"] = row["comment"]
    return body


class ScoreSender:
    """Sends jobs over one HTTP session; used from many threads at once, each in an app context."""

    def __init__(self, http: requests.Session, owner: str, lock_seconds: int) -> None:
        self.http = http
        self.owner = owner
        self.lock_seconds = lock_seconds

    def attempt(self, job: Job) -> Outcome:
        """Send one score (finding or creating its line item first when needed)."""
        url = job.line_item_url
        try:
            if url is None:
                url = self.line_item(job)
            target = url
            status = self._with_token(job.source, SCORE_SCOPE,
                                      lambda token: ags.post_score(self.http, token, target, job.score))
            return Outcome("delivered", status=status, line_item_url=url)
        except ServiceCallError as problem:
            return Outcome("retry" if problem.retryable else "failed", status=problem.status,
                           error=problem.message, retry_after=problem.retry_after, counts=problem.counts,
                           line_item_url=url)

    def _with_token(self, source: TokenSource, scope: str, send: Callable[[str], T]) -> T:
        """Call with a cached token; after a 401, get a fresh token and try once more."""
        return call_with_token(source, [scope], self.http, send)

    def line_item(self, job: Job) -> str:
        """The line item's URL: remembered, found in the container, or created there (once)."""
        key = f"line-item:{job.source.registration_id}:{job.line_item_key}"
        known = self._known(key, job)
        if known:
            return known
        with _lock(key):
            known = self._known(key, job)
            if known:
                return known
            # Another process may be creating the same line item: only one may look and create.
            lock_key = key + ":lock"
            if not cache.add(lock_key, self.owner, timeout=self.lock_seconds):
                raise ServiceCallError("Another worker is finding or creating this line item; trying again shortly.",
                                       retryable=True, retry_after=1.0, counts=False)
            try:
                url = self._find_or_create(job)
                cache.set(key, url, timeout=LINE_ITEM_MEMORY_SECONDS)
                return url
            finally:
                if cache.get(lock_key) == self.owner:
                    cache.delete(lock_key)

    def _known(self, key: str, job: Job) -> str | None:
        cached = cache.get(key)
        if isinstance(cached, str):
            return cached
        found = db.session.scalar(select(ScoreDelivery.line_item_url).where(
            ScoreDelivery.registration_id == job.source.registration_id,
            ScoreDelivery.line_item_key == job.line_item_key,
            ScoreDelivery.line_item_url.is_not(None)).limit(1))
        db.session.rollback()  # end the read: no transaction stays open during network calls
        if found:
            cache.set(key, found, timeout=LINE_ITEM_MEMORY_SECONDS)
        return found

    def _find_or_create(self, job: Job) -> str:
        container = job.line_items_url
        if container is None:
            raise ServiceCallError("The launch named no line item and no line items container.", retryable=False)
        found = self._with_token(job.source, LINEITEM_SCOPE, lambda token: ags.find_line_item(
            self.http, token, container, resource_link_id=job.lti_resource_link_id,
            resource_id=job.resource_id, tag=job.tag))
        if found:
            return found
        return self._with_token(job.source, LINEITEM_SCOPE, lambda token: ags.create_line_item(
            self.http, token, container, label=job.label or "Rapport activity",
            score_maximum=job.line_item_score_maximum or float(job.score["scoreMaximum"]),
            resource_id=job.resource_id, tag=job.tag, resource_link_id=job.lti_resource_link_id))


def _lock(key: str) -> threading.Lock:
    with _line_item_locks_guard:
        return _line_item_locks.setdefault(key, threading.Lock())
