"""Quiz scores per placement and learner: attempts, the counted score (best or last, as the quiz says), passes.

The database groups attempts per learner, placement and quiz (a count, the best score, the
last attempt's number and score, whether any attempt passed); the counted score is then picked
with the quiz's rule. Only learners of the course count.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, select

from ...content.model import Quiz
from ...extensions import db
from ...models import QuizAttempt
from .roster import learner_source
from .scope import CourseScope, Placement


@dataclass(frozen=True)
class QuizCell:
    """One learner's attempts at one quiz in one placement."""

    attempts: int
    best: float
    last: float
    passed: bool
    counted: float


@dataclass(frozen=True)
class QuizSummary:
    """One quiz in one placement, across the learners who attempted it."""

    placement: Placement
    quiz: Quiz
    attempted: int
    passed: int
    mean_counted: float | None
    mean_attempts: float | None


def quiz_targets(scope: CourseScope) -> list[tuple[Placement, Quiz]]:
    """Every (placement, quiz) pair: the quizzes inside module placements, and quiz placements."""
    pairs: list[tuple[Placement, Quiz]] = []
    for placement in scope.of_kind("module", "quiz"):
        if placement.kind == "quiz":
            pairs.append((placement, placement.item))
            continue
        for page in placement.item.pages:
            if page.kind == "quiz" and page.quiz:
                pairs.append((placement, scope.library.quiz(page.quiz)))
    return pairs


def _per_learner(link_ids: list[int], course_id: int, user_ids: list[int] | None) -> Any:
    """A subquery: (user, link, quiz, attempts, best, last score, passed) per learner, placement and quiz."""
    per_group = (
        select(QuizAttempt.user_id, QuizAttempt.resource_link_id, QuizAttempt.quiz_id,
               func.count(QuizAttempt.id).label("attempts"), func.max(QuizAttempt.score).label("best"),
               func.max(QuizAttempt.number).label("last_number"),
               func.max(cast(QuizAttempt.passed, Integer)).label("passed"))
        .where(QuizAttempt.resource_link_id.in_(link_ids), QuizAttempt.user_id.in_(
            list(user_ids) if user_ids is not None else learner_source(course_id)))
        .group_by(QuizAttempt.user_id, QuizAttempt.resource_link_id, QuizAttempt.quiz_id)
        .subquery())
    last = QuizAttempt.__table__.alias("last_attempt")  # the attempt with the highest number of each group
    return (select(per_group.c.user_id, per_group.c.resource_link_id, per_group.c.quiz_id, per_group.c.attempts,
                   per_group.c.best, last.c.score.label("last"), per_group.c.passed)
            .join(last, and_(last.c.user_id == per_group.c.user_id, last.c.resource_link_id == per_group.c.resource_link_id,
                             last.c.quiz_id == per_group.c.quiz_id, last.c.number == per_group.c.last_number))
            .subquery())


def _cell(quiz: Quiz, attempts: int, best: float, last: float, passed: bool) -> QuizCell:
    return QuizCell(attempts, best, last, passed, last if quiz.counts == "last" else best)


def quiz_cells(scope: CourseScope, user_ids: Iterable[int]) -> dict[tuple[int, int, str], QuizCell]:
    """Listed learners' quiz results, by (user id, placement id, quiz id)."""
    ids = list(user_ids)
    targets = {(p.id, q.id): q for p, q in quiz_targets(scope)}
    if not ids or not targets:
        return {}
    cells = {}
    groups = _per_learner(sorted({k[0] for k in targets}), scope.course_id, ids)
    for user_id, link_id, quiz_id, attempts, best, last, passed in db.session.execute(select(groups)):
        quiz = targets.get((link_id, quiz_id))
        if quiz is not None:
            cells[(user_id, link_id, quiz_id)] = _cell(quiz, int(attempts), float(best), float(last), bool(passed))
    return cells


def quiz_summaries(scope: CourseScope) -> list[QuizSummary]:
    """Attempted, passed, mean counted score and mean attempts per (placement, quiz): one aggregate query."""
    pairs = quiz_targets(scope)
    if not pairs:
        return []
    groups = _per_learner(sorted({p.id for p, _ in pairs}), scope.course_id, None)
    last_counts = sorted({quiz.id for _, quiz in pairs if quiz.counts == "last"})
    counted = case((groups.c.quiz_id.in_(last_counts), groups.c.last), else_=groups.c.best) if last_counts else groups.c.best
    rows = db.session.execute(
        select(groups.c.resource_link_id, groups.c.quiz_id, func.count(), func.sum(groups.c.passed), func.avg(counted),
               func.avg(groups.c.attempts))
        .group_by(groups.c.resource_link_id, groups.c.quiz_id))
    totals = {(link, quiz): (int(n), int(passed or 0), float(mean), float(tries))
              for link, quiz, n, passed, mean, tries in rows}
    found = []
    for placement, quiz in pairs:
        n, passed, mean, tries = totals.get((placement.id, quiz.id), (0, 0, None, None))
        found.append(QuizSummary(placement, quiz, n, passed, mean, tries))
    return found
