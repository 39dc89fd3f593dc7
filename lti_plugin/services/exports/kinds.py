"""The exports Rapport offers today: progress, quiz scores, survey answers (ratings come with their models)."""
from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any

from sqlalchemy import and_, func, select

from ...extensions import db
from ...models import Membership, ModuleProgress, QuizAttempt, ResourceLink, SurveyResponse, SurveySchedule, SurveyWindow, User
from ..errors import PlayerError
from ..reports.quiz_scores import quiz_targets
from ..reports.roster import learner_count
from .columns import PERSON_COLUMNS, YIELD_PER, learner_join, placement_columns, placement_values, who_columns, who_values
from .registry import ExportContext, ExportKind, Row, register, when


def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 2)


# -- progress: one row per learner and module placement -------------------------------------------------------
def _progress_columns(context: ExportContext) -> list[str]:
    moments = ["started_on", "last_activity_on", "completed_on"] if context.deidentified else [
        "started_at", "last_activity_at", "completed_at"]
    return [*who_columns(context), *placement_columns(context), "module_id", "pages_seen", "pages_total", *moments,
            "module_score_percent"]


def _progress_rows(context: ExportContext) -> Iterator[Row]:
    scope = context.scope
    placements = {p.id: p for p in scope.of_kind("module")}
    if not placements:
        return
    progress = and_(ModuleProgress.user_id == User.id, ModuleProgress.resource_link_id == ResourceLink.id,
                    ModuleProgress.module_id == ResourceLink.content_id)
    query = (select(*PERSON_COLUMNS, ResourceLink.id, ModuleProgress.pages_seen, ModuleProgress.started_at,
                    ModuleProgress.updated_at, ModuleProgress.completed_at, ModuleProgress.score)
             .select_from(User).join(*_learners(context))
             .join(ResourceLink, ResourceLink.id.in_(list(placements)))
             .outerjoin(ModuleProgress, progress)
             .order_by(User.id, ResourceLink.id).execution_options(yield_per=YIELD_PER))
    for name, given, family, email, issuer, sub, link_id, seen, started, updated, completed, score in db.session.execute(query):
        placement = placements[link_id]
        total = len(placement.item.pages)
        yield Row(link_id, [*who_values(context, name, given, family, email, issuer, sub),
                            *placement_values(context, placement), placement.content_id,
                            min(len(seen or []), total), total, when(context, started), when(context, updated if started else None),
                            when(context, completed), _percent(score)])


def _learners(context: ExportContext) -> tuple[Any, Any]:
    return Membership, learner_join(context.scope)


def _progress_groups(context: ExportContext) -> dict[Hashable, int]:
    learners = learner_count(context.scope.course_id)
    return {p.id: learners for p in context.scope.of_kind("module")}


register(ExportKind(
    "progress", "Progress through modules",
    "One row per learner and module placement: pages seen, completion, the module's score.",
    "placement", _progress_columns, _progress_rows, _progress_groups))


# -- scores: every quiz attempt ------------------------------------------------------------------------------------
def _score_columns(context: ExportContext) -> list[str]:
    return [*who_columns(context), *placement_columns(context), "quiz_id", "quiz_version", "attempt",
            "submitted_on" if context.deidentified else "submitted_at", "correct", "questions", "score_percent",
            "passed", "counts_for_grade"]


def _score_rows(context: ExportContext) -> Iterator[Row]:
    scope = context.scope
    targets = {(p.id, q.id): (p, q) for p, q in quiz_targets(scope)}
    if not targets:
        return
    query = (select(*PERSON_COLUMNS, QuizAttempt.resource_link_id, QuizAttempt.quiz_id, QuizAttempt.quiz_version,
                    QuizAttempt.number, QuizAttempt.submitted_at, QuizAttempt.correct, QuizAttempt.total,
                    QuizAttempt.score, QuizAttempt.passed)
             .select_from(QuizAttempt).join(User, User.id == QuizAttempt.user_id).join(*_learners(context))
             .where(QuizAttempt.resource_link_id.in_(sorted({link for link, _ in targets})))
             .order_by(User.id, QuizAttempt.resource_link_id, QuizAttempt.quiz_id, QuizAttempt.number)
             .execution_options(yield_per=YIELD_PER))
    group: list[tuple[Any, ...]] = []
    for row in db.session.execute(query):
        if (row[6], row[7]) not in targets:
            continue
        if group and group[0][:8] != row[:8]:
            yield from _attempt_rows(context, targets, group)
            group = []
        group.append(tuple(row))
    if group:
        yield from _attempt_rows(context, targets, group)


def _attempt_rows(context: ExportContext, targets: dict[tuple[int, str], Any], group: list[tuple[Any, ...]]) -> Iterator[Row]:
    """One learner's attempts at one quiz, with the attempt that counts marked."""
    placement, quiz = targets[(group[0][6], group[0][7])]
    if quiz.counts == "last":
        counted = group[-1][9]
    else:
        counted = max(group, key=lambda r: (r[13], -r[9]))[9]
    for name, given, family, email, issuer, sub, link_id, quiz_id, version, number, at, correct, total, score, passed in group:
        yield Row((link_id, quiz_id), [*who_values(context, name, given, family, email, issuer, sub),
                                       *placement_values(context, placement), quiz_id, version, number, when(context, at),
                                       correct, total, _percent(score), bool(passed), number == counted])


def _score_groups(context: ExportContext) -> dict[Hashable, int]:
    targets = {(p.id, q.id) for p, q in quiz_targets(context.scope)}
    if not targets:
        return {}
    rows = db.session.execute(
        select(QuizAttempt.resource_link_id, QuizAttempt.quiz_id, func.count(func.distinct(QuizAttempt.user_id)))
        .join(User, User.id == QuizAttempt.user_id).join(*_learners(context))
        .where(QuizAttempt.resource_link_id.in_(sorted({link for link, _ in targets})))
        .group_by(QuizAttempt.resource_link_id, QuizAttempt.quiz_id))
    return {(link, quiz): int(n) for link, quiz, n in rows if (link, quiz) in targets}


register(ExportKind(
    "scores", "Quiz scores",
    "One row per quiz attempt: right answers, score, passed, and whether it is the attempt that counts.",
    "quiz in a placement", _score_columns, _score_rows, _score_groups))


# -- survey answers: one row per submitted response ----------------------------------------------------------------
def _survey(context: ExportContext) -> Any:
    library = context.scope.library
    survey_id = context.options.get("survey") or ""
    if not survey_id:
        scheduled = db.session.scalars(select(SurveySchedule.survey_id).where(
            SurveySchedule.course_id == context.scope.course_id).distinct()).all()
        candidates = sorted(scheduled) or sorted(library.surveys)
        if len(candidates) > 1:
            raise PlayerError(f"This course has several surveys; choose one of {', '.join(candidates)}.", 422)
        if not candidates:
            raise PlayerError("Rapport's content has no survey.", 404)
        survey_id = candidates[0]
    try:
        return library.survey(survey_id)
    except KeyError:
        raise PlayerError(f"Rapport's content has no survey {survey_id[:40]!r}.", 404) from None


def _survey_columns(context: ExportContext) -> list[str]:
    survey = _survey(context)
    moments = ["round_opens_on", "round_closes_on", "submitted_on"] if context.deidentified else [
        "round_opens_at", "round_closes_at", "submitted_at"]
    scope_column = ["schedule_placement_id"] if context.deidentified else ["schedule_for"]
    return [*who_columns(context), "survey_id", "survey_version", *scope_column, "round", "round_number", *moments,
            *[f"answer_{item.id}" for item in survey.items], *[f"score_{s.id}" for s in survey.subscales]]


def _survey_query(context: ExportContext, survey_id: str) -> Any:
    return (select(SurveyResponse.window_id).join(SurveyWindow, SurveyWindow.id == SurveyResponse.window_id)
            .join(SurveySchedule, SurveySchedule.id == SurveyWindow.schedule_id)
            .join(User, User.id == SurveyResponse.user_id).join(*_learners(context))
            .where(SurveySchedule.course_id == context.scope.course_id, SurveySchedule.survey_id == survey_id,
                   SurveyResponse.submitted_at.is_not(None)))


def _survey_rows(context: ExportContext) -> Iterator[Row]:
    survey = _survey(context)
    query = (_survey_query(context, survey.id)
             .add_columns(*PERSON_COLUMNS, SurveyResponse.survey_version, SurveySchedule.resource_link_id,
                          SurveyWindow.position, SurveyWindow.opens_at, SurveyWindow.closes_at,
                          SurveyResponse.submitted_at, SurveyResponse.answers)
             .order_by(SurveySchedule.id, SurveyWindow.position, User.id).execution_options(yield_per=YIELD_PER))
    for window_id, name, given, family, email, issuer, sub, version, link_id, position, opens, closes, at, answers in db.session.execute(query):
        placement = context.scope.placement(link_id) if link_id is not None else None
        if context.deidentified:
            scope_value = placement_values(context, placement)[0] if placement else "course"
        else:
            scope_value = placement.display_title if placement else "whole course"
        answers = answers or {}
        scores = survey.subscale_scores(answers)
        yield Row(window_id, [*who_values(context, name, given, family, email, issuer, sub), survey.id, version, scope_value,
                              "baseline" if position == 0 else "follow-up", position,
                              when(context, opens), when(context, closes), when(context, at),
                              *[answers.get(item.id) for item in survey.items],
                              *[_rounded(scores[s.id]) for s in survey.subscales]])


def _rounded(score: float | None) -> float | None:
    return None if score is None else round(score, 4)


def _survey_groups(context: ExportContext) -> dict[Hashable, int]:
    survey = _survey(context)
    inner = _survey_query(context, survey.id).add_columns(SurveyResponse.user_id).subquery()
    rows = db.session.execute(select(inner.c.window_id, func.count(func.distinct(inner.c.user_id))).group_by(inner.c.window_id))
    return {window: int(n) for window, n in rows}


register(ExportKind(
    "survey-answers", "Survey answers",
    "One row per submitted survey response: each answer as given (1 to 7, reverse-keyed items not yet reversed) "
    "and the subscale scores.",
    "survey round", _survey_columns, _survey_rows, _survey_groups))
