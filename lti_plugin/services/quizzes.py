"""Quizzes: checking answers on the server, attempts, pass mark, which attempt counts."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

from sqlalchemy import Table, bindparam, select

from ..content.model import Quiz
from ..extensions import db
from ..models import LaunchSession, QuizAttempt
from .core_rows import connection, loaded
from .errors import PlayerError
from .launches import attempts_known_absent, note_new_work


def attempts(launch: LaunchSession, quiz_id: str) -> list[QuizAttempt]:
    """The learner's attempts at a quiz in this placement, oldest first."""
    return list(db.session.scalars(
        select(QuizAttempt)
        .where(QuizAttempt.user_id == launch.user_id, QuizAttempt.resource_link_id == launch.resource_link_id,
               QuizAttempt.quiz_id == quiz_id)
        .order_by(QuizAttempt.number)
    ))


# Built once: every module page runs it.
# A Core statement, its rows handed on as QuizAttempt objects (see core_rows).
_ATTEMPTS_TABLE = cast(Table, QuizAttempt.__table__)
_ALL_ATTEMPTS = (select(_ATTEMPTS_TABLE).where(_ATTEMPTS_TABLE.c.user_id == bindparam("user_id"),
                                               _ATTEMPTS_TABLE.c.resource_link_id == bindparam("link_id"))
                 .order_by(_ATTEMPTS_TABLE.c.number))


def attempts_by_quiz(launch: LaunchSession) -> dict[str, list[QuizAttempt]]:
    """All the learner's attempts in this placement, by quiz id, oldest first (one query)."""
    grouped: dict[str, list[QuizAttempt]] = {}
    if attempts_known_absent(launch):  # opened in this request by a launch that found no attempt here
        return grouped
    rows = connection().execute(_ALL_ATTEMPTS, {"user_id": launch.user_id, "link_id": launch.resource_link_id})
    for row in rows:
        attempt = loaded(QuizAttempt, row)
        grouped.setdefault(attempt.quiz_id, []).append(attempt)
    return grouped


def counted_attempt(quiz: Quiz, rows: Sequence[QuizAttempt]) -> QuizAttempt | None:
    """The attempt that is the score: the best or the last, as the quiz file says."""
    if not rows:
        return None
    if quiz.counts == "last":
        return rows[-1]
    return max(rows, key=lambda a: (a.score, -a.number))


def attempts_left(quiz: Quiz, rows: Sequence[QuizAttempt]) -> int | None:
    """How many attempts remain (None: unlimited)."""
    return None if quiz.attempts == 0 else max(0, quiz.attempts - len(rows))


def quiz_is_settled(quiz: Quiz, rows: Sequence[QuizAttempt]) -> bool:
    """Passed, or attempted with no attempts left: either way the quiz no longer blocks completion."""
    return any(a.passed for a in rows) or (bool(rows) and attempts_left(quiz, rows) == 0)


def parse_answers(quiz: Quiz, form: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The chosen option ids per question, from a form; every question must be answered."""
    answers: dict[str, list[str]] = {}
    missing = []
    for question in quiz.questions:
        chosen = [c for c in form.get(f"q-{question.id}", []) if c]
        valid = {o.id for o in question.options}
        if any(c not in valid for c in chosen) or len(set(chosen)) != len(chosen):
            raise PlayerError("An answer does not belong to its question; reload the page and try again.", 400)
        if question.kind == "single" and len(chosen) > 1:
            raise PlayerError("Choose only one answer for a single-choice question.", 400)
        if not chosen:
            missing.append(question)
        answers[question.id] = sorted(chosen)
    if missing:
        numbers = ", ".join(str(quiz.questions.index(q) + 1) for q in missing)
        raise PlayerError(f"Answer every question before submitting (question {numbers} has no answer yet).", 422)
    return answers


def submit(launch: LaunchSession, quiz: Quiz, answers: dict[str, list[str]]) -> QuizAttempt:
    """Score an attempt on the server and store it (flush only)."""
    if launch.resource_link_id is None:
        raise PlayerError("This quiz needs an activity from your course; open it from the course page.", 400)
    done = attempts(launch, quiz.id)
    if attempts_left(quiz, done) == 0:
        raise PlayerError("You have used every attempt at this quiz.", 409)
    correct = sum(question.score(frozenset(answers[question.id])) for question in quiz.questions)
    total = len(quiz.questions)
    score = correct / total if total else 0.0
    number = len(done) + 1
    attempt = QuizAttempt(
        user_id=launch.user_id, resource_link_id=launch.resource_link_id, quiz_id=quiz.id,
        quiz_version=quiz.version, number=number, answers=answers, correct=correct, total=total,
        score=score, passed=score + 1e-9 >= quiz.pass_mark,
    )
    note_new_work(launch)
    db.session.add(attempt)
    db.session.flush()
    return attempt
