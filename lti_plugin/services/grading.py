"""Scores for the gradebook: written to the outbox in the caller's transaction, sent later by the worker."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update

from ..extensions import db
from ..lti import claims as c
from ..models import LaunchSession, ScoreDelivery, User, utcnow
from ..models.outbox import ACTIVITY_PROGRESS, GRADING_PROGRESS
from .errors import PlayerError
from .core_rows import insert_row
from .launches import opened_for_new_user

log = logging.getLogger(__name__)

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
URL_LIMIT = 2048
ONE_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class LineItemSpec:
    """How to find or create the line item when the launch has no `lineitem` URL."""

    label: str
    score_maximum: float
    resource_id: str
    tag: str


def ags_endpoint(launch: LaunchSession) -> dict[str, Any] | None:
    """The launch's AGS endpoint claim, when it names a line item or a line items container."""
    claim = (launch.claims or {}).get(c.AGS_ENDPOINT)
    if not isinstance(claim, dict):
        return None
    if not _url(claim.get("lineitem")) and not _url(claim.get("lineitems")):
        return None
    return claim


def line_item_key(*parts: str | None) -> str:
    """A stable digest naming one line item: its URL, or how it is found in a container."""
    return hashlib.sha256("\x1f".join(p or "" for p in parts).encode("utf-8")).hexdigest()


def enqueue_score(launch: LaunchSession, *, score_given: float | None, score_maximum: float,
                  activity_progress: str, grading_progress: str, comment: str | None = None,
                  line_item: LineItemSpec | None = None, user: User | None = None) -> ScoreDelivery | None:
    """Write a score to the outbox in the caller's transaction (flush only, never commit, no network).
    The score is the launch user's, or `user`'s (a rating's subject) through the launch's placement.
    Returns None when the launch carries no AGS endpoint claim (nothing to deliver)."""
    claim = ags_endpoint(launch)
    if claim is None:
        return None
    _check_score(score_given, score_maximum, activity_progress, grading_progress)
    link = launch.resource_link
    lti_link_id = link.resource_link_id if link is not None else None
    lineitem, lineitems = _url(claim.get("lineitem")), _url(claim.get("lineitems"))
    person = user or launch.user
    row = ScoreDelivery(
        registration_id=launch.registration_id,
        user_id=person.id,
        resource_link_id=link.id if link is not None else None,
        user_sub=person.sub,
        line_items_url=lineitems[:URL_LIMIT] if lineitems else None,
        lti_resource_link_id=lti_link_id,
        score_given=float(score_given) if score_given is not None else None,
        score_maximum=float(score_maximum),
        activity_progress=activity_progress,
        grading_progress=grading_progress,
        comment=comment,
        state="pending",
        attempts=0,
    )
    if lineitem:
        row.line_item_url = lineitem[:URL_LIMIT]
        row.line_item_key = line_item_key("lineitem", lineitem)
    else:
        spec = line_item or LineItemSpec(
            label=(link.title if link is not None and link.title else "Rapport activity"),
            score_maximum=float(score_maximum), resource_id="", tag="",
        )
        row.line_item_label = spec.label[:255] or "Rapport activity"
        row.line_item_score_maximum = float(spec.score_maximum)
        row.line_item_resource_id = spec.resource_id[:255] or None
        row.line_item_tag = spec.tag[:255] or None
        row.line_item_key = line_item_key("lineitems", lineitems, lti_link_id, spec.resource_id, spec.tag)
    now = utcnow()
    row.created_at = row.next_attempt_at = now
    # A user this very launch created has sent no score before: nothing to look up.
    row.timestamp = now if opened_for_new_user(launch) else _next_timestamp(
        launch.registration_id, row.line_item_key, row.user_sub, now)
    problem = _undeliverable(claim, lineitem, lineitems)
    if problem:
        row.state, row.last_error = "failed", problem
        log.warning("score for %s not deliverable: %s", row.user_sub, problem)
    return insert_row(row)


def requeue(row: ScoreDelivery) -> ScoreDelivery:
    """Send a failed score again as a new outbox row with a later timestamp (flush only).

    Platforms keep a score only when its timestamp is newer than the last one they hold for the
    line item and user, so the copy gets a fresh one; and only the newest score of a column can be
    sent again, so an older score never overwrites a newer grade. The failed row is marked
    superseded by a conditional update, so two clicks at once make one copy, never two.
    """
    if row.state != "failed":
        raise PlayerError(f"Only a failed delivery can be sent again; this one is {row.state}.", 409)
    newer = db.session.scalar(select(ScoreDelivery.state).where(
        ScoreDelivery.registration_id == row.registration_id, ScoreDelivery.line_item_key == row.line_item_key,
        ScoreDelivery.user_sub == row.user_sub, ScoreDelivery.timestamp > row.timestamp).limit(1))
    if newer is not None:
        raise PlayerError("A newer score for this learner and gradebook column exists, so this older one is not sent "
                          "again; see the newest delivery instead.", 409)
    now = utcnow()
    note = f"Sent again on request on {now:%Y-%m-%d %H:%M} UTC, as a new delivery. The platform had said: {row.last_error or '-'}"
    taken = db.session.execute(
        update(ScoreDelivery).where(ScoreDelivery.id == row.id, ScoreDelivery.state == "failed")
        .values(state="superseded", last_error=note[:1000]).execution_options(synchronize_session=False))
    if getattr(taken, "rowcount", 1) == 0:
        raise PlayerError("This delivery has already been sent again.", 409)
    copy = ScoreDelivery(
        registration_id=row.registration_id, user_id=row.user_id, resource_link_id=row.resource_link_id,
        user_sub=row.user_sub, line_item_key=row.line_item_key, line_item_url=row.line_item_url,
        line_items_url=row.line_items_url, lti_resource_link_id=row.lti_resource_link_id,
        line_item_label=row.line_item_label, line_item_score_maximum=row.line_item_score_maximum,
        line_item_resource_id=row.line_item_resource_id, line_item_tag=row.line_item_tag,
        score_given=row.score_given, score_maximum=row.score_maximum, activity_progress=row.activity_progress,
        grading_progress=row.grading_progress, comment=row.comment, state="pending", attempts=0,
        created_at=now, next_attempt_at=now,
        timestamp=_next_timestamp(row.registration_id, row.line_item_key, row.user_sub, now),
    )
    db.session.add(copy)
    db.session.expire(row)
    db.session.flush()
    return copy


_LAST_TIMESTAMP = select(func.max(ScoreDelivery.timestamp)).where(
    ScoreDelivery.registration_id == bindparam("registration_id"), ScoreDelivery.line_item_key == bindparam("key"),
    ScoreDelivery.user_sub == bindparam("user_sub"))


def _next_timestamp(registration_id: int, key: str, user_sub: str, now: datetime) -> datetime:
    """Now, or one microsecond after the last score for this line item and user if that is later."""
    previous = db.session.scalar(_LAST_TIMESTAMP, {"registration_id": registration_id, "key": key,
                                                   "user_sub": user_sub})
    if previous is None:
        return now
    return max(now, previous + ONE_MICROSECOND)


def _check_score(score_given: float | None, score_maximum: float, activity: str, grading: str) -> None:
    if activity not in ACTIVITY_PROGRESS:
        raise ValueError(f"activity_progress must be one of {', '.join(ACTIVITY_PROGRESS)}, not {activity!r}")
    if grading not in GRADING_PROGRESS:
        raise ValueError(f"grading_progress must be one of {', '.join(GRADING_PROGRESS)}, not {grading!r}")
    if not score_maximum > 0:
        raise ValueError(f"score_maximum must be more than 0, not {score_maximum!r}")
    if score_given is not None and not score_given >= 0:
        raise ValueError(f"score_given must be 0 or more, not {score_given!r}")


def _undeliverable(claim: dict[str, Any], lineitem: str | None, lineitems: str | None) -> str | None:
    scopes = claim.get("scope")
    if isinstance(scopes, list) and SCORE_SCOPE not in scopes:
        return "The platform's launch did not grant the score scope, so it does not accept scores from Rapport."
    for url in (lineitem, lineitems):
        if url and len(url) > URL_LIMIT:
            return f"The platform's AGS endpoint URL is longer than {URL_LIMIT} characters."
    return None


def _url(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None
