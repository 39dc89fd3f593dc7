"""The learners of a course, as the reports count them, with search, status filters and paging.

Today a learner is known once they have launched Rapport in the course (a `Membership` with the
student role). The course roster read through NRPS (issue 6) will add the learners who have never
opened Rapport: `learner_source()` is the one place to change, and `ROSTER_NOTE` what pages say.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from typing import Any

from sqlalchemy import Exists, Select, and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from ...extensions import db
from ...models import Membership, ModuleProgress, QuizAttempt, ScoreDelivery, User
from .scope import CourseScope

PER_PAGE = 50
STATUS_FILTERS = {
    "all": "Everyone",
    "not-started": "Not started",
    "in-progress": "Started, not every module finished",
    "finished-modules": "Finished every module",
    "grade-problems": "A grade that failed to reach the gradebook",
}
ROSTER_NOTE = ("Learners are listed once they have opened Rapport from this course; "
               "learners who have never opened it are not known to Rapport yet.")


@dataclass(frozen=True)
class Learner:
    """A learner of the course, as the reports show them to staff."""

    user_id: int
    name: str
    email: str
    sub: str
    issuer: str

    @property
    def display_name(self) -> str:
        """The best name we have for the learner."""
        return self.name or self.email or "Unnamed learner"


@dataclass(frozen=True)
class LearnerPage:
    """One page of learners and how many there are in all."""

    learners: tuple[Learner, ...]
    total: int
    page: int
    pages: int


def learner_source(course_id: int) -> Select[Any]:
    """User ids of the course's learners (the seam for an NRPS roster)."""
    return select(Membership.user_id).where(Membership.course_id == course_id, Membership.role == "student")


def _display(user: User) -> str:
    full = " ".join(p for p in (user.given_name, user.family_name) if p)
    return user.name or full


def _learner(user: User) -> Learner:
    return Learner(user.id, _display(user), user.email, user.sub, user.issuer)


def learner_count(course_id: int) -> int:
    """How many learners the course has."""
    return int(db.session.scalar(select(func.count()).select_from(learner_source(course_id).subquery())) or 0)


def find_learner(course_id: int, user_id: int) -> Learner | None:
    """The learner with this id when they are a learner of this course, else None."""
    user = db.session.scalar(select(User).where(User.id == user_id, User.id.in_(learner_source(course_id))))
    return _learner(user) if user is not None else None


def failed_latest(course_link_ids: list[int]) -> Exists:
    """A failed delivery of this user, in these placements, with no newer score for the same column."""
    newer = aliased(ScoreDelivery)
    return exists().where(
        ScoreDelivery.user_id == User.id, ScoreDelivery.resource_link_id.in_(course_link_ids),
        ScoreDelivery.state == "failed",
        ~exists().where(newer.registration_id == ScoreDelivery.registration_id,
                        newer.line_item_key == ScoreDelivery.line_item_key, newer.user_sub == ScoreDelivery.user_sub,
                        newer.timestamp > ScoreDelivery.timestamp))


def _status_filter(scope: CourseScope, status: str) -> list[Any]:
    links = scope.link_ids
    module_links = [p.id for p in scope.of_kind("module")]
    started = or_(
        exists().where(ModuleProgress.user_id == User.id, ModuleProgress.resource_link_id.in_(links)),
        exists().where(QuizAttempt.user_id == User.id, QuizAttempt.resource_link_id.in_(links)),
    )
    finished = (select(func.count(ModuleProgress.id)).where(
        ModuleProgress.user_id == User.id, ModuleProgress.resource_link_id.in_(module_links),
        ModuleProgress.completed_at.is_not(None)).scalar_subquery() >= len(module_links)) if module_links else None
    if status == "not-started":
        return [~started]
    if status == "in-progress":
        return [started, ~finished] if finished is not None else [started]
    if status == "finished-modules":
        return [finished] if finished is not None else [User.id.is_(None)]
    if status == "grade-problems":
        return [failed_latest(links)]
    return []


def learners_page(scope: CourseScope, *, search: str = "", status: str = "all", page: int = 1,
                  per_page: int = PER_PAGE) -> LearnerPage:
    """A page of learners by name, filtered by a name or email fragment and a status."""
    conditions = [User.id.in_(learner_source(scope.course_id)), *_status_filter(scope, status)]
    fragment = search.strip()[:100]
    if fragment:
        conditions.append(or_(*(column.icontains(fragment, autoescape=True)
                                for column in (User.name, User.given_name, User.family_name, User.email))))
    where = and_(*conditions)
    total = int(db.session.scalar(select(func.count(User.id)).where(where)) or 0)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    users = db.session.scalars(
        select(User).where(where)
        .order_by(func.lower(User.name), func.lower(User.family_name), func.lower(User.email), User.id)
        .offset((page - 1) * per_page).limit(per_page))
    return LearnerPage(tuple(_learner(u) for u in users), total, page, pages)
