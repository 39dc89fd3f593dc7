"""The ratings export: one row per current rating, its level for every skill of the framework, and its comments.

A correction replaces the rating it corrects, so only current versions are written (with their
version number). The de-identified file has pseudonymous ids for the rater, the person rated,
the rating and the encounter, dates without times, and no comments, names, emails or LMS ids;
a placement's ratings in one encounter (or outside any) with fewer than five people rated are left out.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ...extensions import db
from ...models import Encounter, RatingAnswer, RatingSubmission, User
from ..reports.rating_counts import source_name
from .columns import YIELD_PER, placement_columns, placement_values
from .registry import ExportContext, ExportKind, Row, register, when

NOT_APPLICABLE = "na"


def _skills(context: ExportContext) -> list[str]:
    return [skill.id for skill in context.scope.library.skills.skills]


def _comment_ids(context: ExportContext) -> list[str]:
    library = context.scope.library
    found: dict[str, None] = {}
    for placement in context.scope.of_kind("checklist"):
        for prompt in library.checklists[placement.content_id].comments:
            found.setdefault(prompt.id, None)
    return list(found)


def _columns(context: ExportContext) -> list[str]:
    skills = [f"skill_{s}" for s in _skills(context)]
    if context.deidentified:
        return ["course_id", *placement_columns(context), "checklist_id", "checklist_version", "source", "rating_id",
                "version", "rater_id", "subject_id", "encounter_id", "observed_on", "submitted_on", "released_on",
                "overall", *skills]
    return ["course", *placement_columns(context), "checklist_id", "checklist_version", "source", "source_name",
            "rating_series", "version", "rater_name", "rater_email", "rater_lms_id", "subject_name", "subject_email",
            "subject_lms_id", "encounter", "observed_on", "submitted_at", "released_at", "overall", *skills,
            *[f"comment_{c}" for c in _comment_ids(context)]]


def _current(context: ExportContext) -> list[Any]:
    return [RatingSubmission.course_id == context.scope.course_id, RatingSubmission.superseded_at.is_(None),
            RatingSubmission.resource_link_id.in_([p.id for p in context.scope.of_kind("checklist")])]


def _name(name: str, given: str, family: str) -> str:
    return name or " ".join(p for p in (given, family) if p)


def _batches(context: ExportContext) -> Iterator[list[Any]]:
    rater, subject = aliased(User), aliased(User)
    query = (select(RatingSubmission, rater.name, rater.given_name, rater.family_name, rater.email, rater.issuer, rater.sub,
                    subject.name, subject.given_name, subject.family_name, subject.email, subject.issuer, subject.sub,
                    Encounter.name)
             .join(rater, rater.id == RatingSubmission.rater_id).join(subject, subject.id == RatingSubmission.subject_id)
             .outerjoin(Encounter, Encounter.id == RatingSubmission.encounter_id)
             .where(*_current(context)).order_by(RatingSubmission.id).execution_options(yield_per=YIELD_PER))
    batch: list[Any] = []
    for row in db.session.execute(query):
        batch.append(row)
        if len(batch) == YIELD_PER:
            yield batch
            batch = []
    if batch:
        yield batch


def _rows(context: ExportContext) -> Iterator[Row]:
    if not context.scope.of_kind("checklist"):
        return
    skills, comments = _skills(context), ([] if context.deidentified else _comment_ids(context))
    course = context.scope.course
    names = context.pseudonyms
    for batch in _batches(context):
        levels: dict[int, dict[str, Any]] = {row[0].id: {} for row in batch}
        for submission_id, skill, value in db.session.execute(
                select(RatingAnswer.submission_id, RatingAnswer.skill_id, RatingAnswer.value)
                .where(RatingAnswer.submission_id.in_(list(levels)))):
            levels[submission_id][skill] = NOT_APPLICABLE if value is None else value
        for rating, *people, encounter in batch:
            r_name, r_given, r_family, r_email, r_issuer, r_sub, s_name, s_given, s_family, s_email, s_issuer, s_sub = people
            placement = context.scope.placement(rating.resource_link_id)
            mine = levels[rating.id]
            common = [*placement_values(context, placement), rating.checklist_id, rating.checklist_version, rating.source]
            group = (rating.resource_link_id, rating.encounter_id)
            if names is not None:
                yield Row(group, [
                    names.course(course.deployment_id, course.context_id), *common, names.rating(rating.series),
                    rating.version, names.person(r_issuer, r_sub), names.person(s_issuer, s_sub),
                    names.encounter(course.deployment_id, rating.encounter_id) if rating.encounter_id else None,
                    rating.observed_on, when(context, rating.submitted_at), when(context, rating.released_at),
                    rating.global_rating, *[mine.get(s) for s in skills]])
            else:
                yield Row(group, [
                    course.display_title, *common, source_name(rating.source), rating.series, rating.version,
                    _name(r_name, r_given, r_family), r_email, r_sub, _name(s_name, s_given, s_family), s_email, s_sub,
                    encounter, rating.observed_on, rating.submitted_at, rating.released_at, rating.global_rating,
                    *[mine.get(s) for s in skills], *[(rating.comments or {}).get(c) for c in comments]])


def _groups(context: ExportContext) -> dict[Hashable, int]:
    rows = db.session.execute(
        select(RatingSubmission.resource_link_id, RatingSubmission.encounter_id,
               func.count(func.distinct(RatingSubmission.subject_id)))
        .where(*_current(context)).group_by(RatingSubmission.resource_link_id, RatingSubmission.encounter_id))
    return {(link, encounter): int(n) for link, encounter, n in rows}


register(ExportKind(
    "ratings", "Ratings",
    "One row per rating (its current version): who rated whom, through which checklist and encounter, the overall "
    "rating and the level given to each skill (na for N/A); the named file adds the comments.",
    "placement's encounter", _columns, _rows, _groups, instructors_only=True))
