"""Grade deliveries of a course as staff see them: the newest score of every gradebook cell, and resending.

A gradebook cell is one (platform, line item, user); its newest outbox row says where the grade
stands: delivered, pending (with the next retry), or failed (with what the platform said).
Older rows are its history. Resending goes through `grading.requeue`, which gives the copy a
later timestamp and never lets an older score overwrite a newer one.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, select

from ...extensions import db
from ...models import ScoreDelivery, User, utcnow
from ..errors import PlayerError
from ..grading import requeue
from .scope import CourseScope

PER_PAGE = 50
STATES = ("failed", "pending", "delivered", "superseded")
STATE_NAMES = {"failed": "Failed", "pending": "Pending", "delivered": "Delivered", "superseded": "Replaced"}


@dataclass(frozen=True)
class Delivery:
    """One outbox row, with the learner's name and the placement's title."""

    id: int
    user_id: int
    learner: str
    link_id: int | None
    placement: str
    state: str
    score_given: float | None
    score_maximum: float
    activity_progress: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    sending_now: bool
    newest: bool = True

    @property
    def resendable(self) -> bool:
        """Failed and the newest score of its cell: the only rows staff can send again."""
        return self.state == "failed" and self.newest


@dataclass(frozen=True)
class DeliveryPage:
    """A page of gradebook cells in some state, and how many there are in all."""

    rows: tuple[Delivery, ...]
    total: int
    page: int
    pages: int


def _ranked(scope: CourseScope, user_ids: list[int] | None = None) -> Any:
    """Outbox rows of the course's placements (of some users) ranked within their gradebook cell, newest first.

    A cell is (registration, line item, user): the user id stands for the platform's `sub`, since
    one registration has one issuer, and an integer sorts faster than the text.
    """
    where = [ScoreDelivery.resource_link_id.in_(scope.link_ids)]
    if user_ids is not None:  # a cell belongs to one user, so filtering first keeps the ranks
        where.append(ScoreDelivery.user_id.in_(user_ids))
    return (select(ScoreDelivery.id, ScoreDelivery.state, func.row_number().over(
        partition_by=(ScoreDelivery.registration_id, ScoreDelivery.line_item_key, ScoreDelivery.user_id),
        order_by=(ScoreDelivery.timestamp.desc(), ScoreDelivery.id.desc())).label("rank"))
        .where(*where).subquery())


def _newest(scope: CourseScope, user_ids: list[int] | None = None) -> Select[Any]:
    """Ids of the newest outbox row of every gradebook cell in the course's placements (of some users)."""
    ranked = _ranked(scope, user_ids)
    return select(ranked.c.id).where(ranked.c.rank == 1)


def _rows(scope: CourseScope, query: Select[Any], newest: bool = True) -> list[Delivery]:
    now = utcnow()
    found = []
    for row, name, given, family, email in db.session.execute(query):
        placement = scope.placement(row.resource_link_id) if row.resource_link_id else None
        learner = name or " ".join(p for p in (given, family) if p) or email or "Unnamed learner"
        found.append(Delivery(
            row.id, row.user_id, learner, row.resource_link_id,
            placement.display_title if placement else (row.line_item_label or "Removed placement"),
            row.state, row.score_given, row.score_maximum, row.activity_progress, row.attempts, row.next_attempt_at,
            row.last_status, row.last_error, row.created_at, row.delivered_at,
            row.state == "pending" and row.claimed_until is not None and row.claimed_until > now, newest))
    return found


def _with_people(*where: Any) -> Any:
    """Outbox rows with their learner's name and email, on some conditions."""
    return (select(ScoreDelivery, User.name, User.given_name, User.family_name, User.email)
            .join(User, User.id == ScoreDelivery.user_id).where(*where))


def state_counts(scope: CourseScope) -> dict[str, int]:
    """How many gradebook cells are in each state (their newest row), every state present."""
    counts = dict.fromkeys(STATES, 0)
    if scope.link_ids:
        ranked = _ranked(scope)
        for state, count in db.session.execute(
                select(ranked.c.state, func.count()).where(ranked.c.rank == 1).group_by(ranked.c.state)):
            counts[state] = int(count)
    return counts


def deliveries_page(scope: CourseScope, *, state: str = "problems", page: int = 1, per_page: int = PER_PAGE,
                    counts: dict[str, int] | None = None) -> DeliveryPage:
    """Gradebook cells by state ('problems' = failed and pending), failed first, newest first.

    The total comes from the state counts (given, or read once), so a page costs one ranked query.
    """
    if not scope.link_ids:
        return DeliveryPage((), 0, 1, 1)
    states = ("failed", "pending") if state == "problems" else STATES if state == "all" else (state,)
    counts = counts if counts is not None else state_counts(scope)
    total = sum(counts.get(s, 0) for s in states)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    order = case({s: i for i, s in enumerate(STATES)}, value=ScoreDelivery.state)
    query = (_with_people(ScoreDelivery.id.in_(_newest(scope)), ScoreDelivery.state.in_(states))
             .order_by(order, ScoreDelivery.created_at.desc(), ScoreDelivery.id.desc()))
    return DeliveryPage(tuple(_rows(scope, query.offset((page - 1) * per_page).limit(per_page))), total, page, pages)


def learner_cells(scope: CourseScope, user_ids: Iterable[int]) -> dict[tuple[int, int], Delivery]:
    """The newest delivery per listed learner and placement (the gradebook cell behind it)."""
    ids = list(user_ids)
    if not ids or not scope.link_ids:
        return {}
    query = _with_people(ScoreDelivery.id.in_(_newest(scope, ids))).order_by(ScoreDelivery.timestamp)
    cells: dict[tuple[int, int], Delivery] = {}
    for row in _rows(scope, query):
        if row.link_id is not None:
            cells[(row.user_id, row.link_id)] = row
    return cells


def learner_history(scope: CourseScope, user_id: int) -> list[Delivery]:
    """Every delivery of one learner in the course, newest first, marking which are newest of their cell."""
    if not scope.link_ids:
        return []
    newest = set(db.session.scalars(_newest(scope, [user_id])))
    query = _with_people(ScoreDelivery.user_id == user_id, ScoreDelivery.resource_link_id.in_(scope.link_ids)).order_by(
        ScoreDelivery.timestamp.desc(), ScoreDelivery.id.desc())
    rows = _rows(scope, query)
    return [Delivery(**{**row.__dict__, "newest": row.id in newest}) for row in rows]


def resend(scope: CourseScope, delivery_id: int) -> ScoreDelivery:
    """Queue a failed delivery of this course again (flush only); another course's row is not found."""
    row = db.session.scalar(select(ScoreDelivery).where(
        ScoreDelivery.id == delivery_id, ScoreDelivery.resource_link_id.in_(scope.link_ids)))
    if row is None:
        raise PlayerError("There is no such grade delivery in this course.", 404)
    return requeue(row)
