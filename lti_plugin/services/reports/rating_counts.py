"""How many ratings a course has: by source, by placement, and by skill and source (current versions only).

A correction is a new version of a rating that replaces the old one, so every figure here counts
the rows no correction has replaced (`superseded_at IS NULL`); "corrected" counts current ratings
that replaced an earlier version. Released or not makes no difference: staff see every rating.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, cast, func, select

from ...extensions import db
from ...models import RatingAnswer, RatingSubmission
from ...models.ratings import SOURCES
from ..rating_scope import SOURCE_WORDS

# Who filled the ratings in, in words (a "student" rating is a student's rating of their coach).
SOURCE_NAMES = {**SOURCE_WORDS, "student": "Student, about their coach"}


def source_name(source: str) -> str:
    """A source in words."""
    return SOURCE_NAMES.get(source, source)


@dataclass(frozen=True)
class SourceCount:
    """Current ratings from one source."""

    source: str
    ratings: int
    corrected: int
    subjects: int
    raters: int
    mean_overall: float | None

    @property
    def name(self) -> str:
        """The source in words."""
        return source_name(self.source)


@dataclass(frozen=True)
class PlacementCount:
    """Current ratings made through one checklist placement."""

    link_id: int
    checklist_id: str
    source: str
    ratings: int
    subjects: int
    raters: int


@dataclass(frozen=True)
class SkillCount:
    """Answers about one skill from one source: rated on the scale, N/A, and the mean level."""

    skill_id: str
    source: str
    rated: int
    not_applicable: int
    mean: float | None


@dataclass(frozen=True)
class RatingCounts:
    """Every count of a course's ratings."""

    by_source: tuple[SourceCount, ...]
    by_placement: tuple[PlacementCount, ...]
    by_skill: tuple[SkillCount, ...]

    @property
    def total(self) -> int:
        """Current ratings in all."""
        return sum(row.ratings for row in self.by_source)

    def skill(self, skill_id: str, source: str) -> SkillCount | None:
        """The answers about a skill from a source, if there are any."""
        return next((r for r in self.by_skill if r.skill_id == skill_id and r.source == source), None)

    @property
    def sources(self) -> tuple[str, ...]:
        """The sources with ratings, in Rapport's order."""
        return tuple(r.source for r in self.by_source)


def _current(course_id: int, link_ids: list[int] | None) -> list[Any]:
    where = [RatingSubmission.course_id == course_id, RatingSubmission.superseded_at.is_(None)]
    if link_ids is not None:
        where.append(RatingSubmission.resource_link_id.in_(link_ids))
    return where


def _mean(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def rating_counts(course_id: int, link_ids: list[int] | None = None) -> RatingCounts:
    """Counts of the course's current ratings (of some placements only, when given): three grouped queries."""
    where = _current(course_id, link_ids)
    by_source = {
        source: SourceCount(source, int(n), int(corrected or 0), int(subjects), int(raters), _mean(mean))
        for source, n, corrected, subjects, raters, mean in db.session.execute(
            select(RatingSubmission.source, func.count(), func.count().filter(RatingSubmission.version > 1),
                   func.count(func.distinct(RatingSubmission.subject_id)),
                   func.count(func.distinct(RatingSubmission.rater_id)),
                   func.avg(cast(RatingSubmission.global_rating, Float)))
            .where(*where).group_by(RatingSubmission.source))}
    by_placement = tuple(
        PlacementCount(int(link), checklist, source, int(n), int(subjects), int(raters))
        for link, checklist, source, n, subjects, raters in db.session.execute(
            select(RatingSubmission.resource_link_id, RatingSubmission.checklist_id, RatingSubmission.source,
                   func.count(), func.count(func.distinct(RatingSubmission.subject_id)),
                   func.count(func.distinct(RatingSubmission.rater_id)))
            .where(*where)
            .group_by(RatingSubmission.resource_link_id, RatingSubmission.checklist_id, RatingSubmission.source)
            .order_by(RatingSubmission.resource_link_id)))
    by_skill = tuple(
        SkillCount(skill, source, int(rated), int(total) - int(rated), _mean(mean))
        for skill, source, rated, total, mean in db.session.execute(
            select(RatingAnswer.skill_id, RatingSubmission.source, func.count(RatingAnswer.value), func.count(),
                   func.avg(cast(RatingAnswer.value, Float)))
            .join(RatingSubmission, RatingSubmission.id == RatingAnswer.submission_id)
            .where(*where).group_by(RatingAnswer.skill_id, RatingSubmission.source)))
    ordered = tuple(by_source[s] for s in SOURCES if s in by_source)
    return RatingCounts(ordered, by_placement, by_skill)


def ratings_stamp(course_id: int) -> str:
    """What changes whenever a figure could: how many ratings the course has, the newest id and submission time
    (ratings removed and others added since), how many are tied to an encounter (a removed encounter unties its
    ratings) and how many were replaced. One aggregate over the course's rows."""
    count, newest, latest, in_encounters, replaced = db.session.execute(
        select(func.count(), func.max(RatingSubmission.id), func.max(RatingSubmission.submitted_at),
               func.count(RatingSubmission.encounter_id), func.count(RatingSubmission.superseded_at))
        .where(RatingSubmission.course_id == course_id)).one()
    moment = latest.isoformat() if latest is not None else "-"
    return f"{int(count)}.{int(newest or 0)}.{moment}.{int(in_encounters)}.{int(replaced)}"
