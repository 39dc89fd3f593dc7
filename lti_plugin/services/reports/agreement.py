"""Inter-rater agreement: pairs of raters who rated the same person in the same encounter with the same checklist.

Only the current version of each rating counts (a correction replaces what it corrects). A pair is
two different raters' ratings of one subject, in one encounter, through the same checklist; when
three raters saw the same student, each of the three pairs counts. A rater with two current ratings
of the same person in the same encounter is represented by the later one. Self-assessments have no
second rater, and ratings made outside an encounter have nothing to pair with.

For each skill (and the overall rating) the figures are: the number of pairs where both raters gave a
level (N/A leaves the pair out of that skill), the share that chose the same level, the share within
one level, and a quadratic-weighted kappa: 1 minus the observed mean squared difference between the two
levels divided by the mean squared difference expected if the two raters' levels were independent,
each drawn from the levels all raters in those pairs gave (each pair counted in both orders, since
which rater of a pair is "first" means nothing). 1 is perfect agreement, 0 what chance alone gives.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select

from ...extensions import db
from ...models import RatingAnswer, RatingSubmission
from ...models.ratings import SCALE_MAX, SCALE_MIN, SELF_SOURCES

MIN_PAIRS = 10  # below this many pairs a skill's agreement is not worked out: too few to mean anything
OVERALL = "overall"  # the skill id the overall rating is shown under


def weighted_kappa(table: Mapping[tuple[int, int], int], low: int = SCALE_MIN, high: int = SCALE_MAX) -> float | None:
    """Quadratic-weighted kappa of a table of (level of one rater, level of the other) -> pairs.

    Chance agreement uses the pooled distribution of both raters' levels; None when every rating
    in the table is the same level (nothing to disagree about, so agreement beyond chance is undefined).
    """
    pairs = sum(table.values())
    if not pairs:
        return None
    observed = sum(count * (a - b) ** 2 for (a, b), count in table.items()) / pairs
    pooled = dict.fromkeys(range(low, high + 1), 0.0)
    for (a, b), count in table.items():
        pooled[a] += count / (2 * pairs)
        pooled[b] += count / (2 * pairs)
    expected = sum(pooled[i] * pooled[j] * (i - j) ** 2 for i in pooled for j in pooled)
    if expected <= 1e-12:
        return None
    return 1 - observed / expected


@dataclass(frozen=True)
class SkillAgreement:
    """Agreement on one skill (or the overall rating) of one checklist."""

    skill_id: str
    pairs: int  # pairs in which both raters gave a level
    not_applicable: int  # pairs left out because one or both chose N/A
    exact: float | None  # shares of pairs; None below MIN_PAIRS
    within_one: float | None
    kappa: float | None

    @property
    def enough(self) -> bool:
        """Whether there are enough pairs to show agreement figures."""
        return self.pairs >= MIN_PAIRS


@dataclass(frozen=True)
class ChecklistAgreement:
    """Every skill's agreement for one checklist, with how many pairs of ratings it rests on."""

    checklist_id: str
    rating_pairs: int
    skills: tuple[SkillAgreement, ...]


@dataclass(frozen=True)
class Agreement:
    """Agreement figures of a course, and what could not be paired."""

    checklists: tuple[ChecklistAgreement, ...]
    outside_encounters: int  # current ratings by others, made outside any encounter
    unpaired: int  # current ratings in an encounter that no other rater of the same checklist matched
    self_ratings: int


def _latest(course_id: int, link_ids: list[int] | None) -> Any:
    """Each rater's latest current rating per (checklist, subject, encounter), in encounters, not self-assessments."""
    where = [RatingSubmission.course_id == course_id, RatingSubmission.superseded_at.is_(None),
             RatingSubmission.encounter_id.is_not(None), RatingSubmission.source.not_in(SELF_SOURCES)]
    if link_ids is not None:
        where.append(RatingSubmission.resource_link_id.in_(link_ids))
    ranked = (select(RatingSubmission.id, RatingSubmission.checklist_id, RatingSubmission.subject_id,
                     RatingSubmission.encounter_id, RatingSubmission.rater_id, RatingSubmission.global_rating,
                     func.row_number().over(
                         partition_by=(RatingSubmission.checklist_id, RatingSubmission.subject_id,
                                       RatingSubmission.encounter_id, RatingSubmission.rater_id),
                         order_by=(RatingSubmission.submitted_at.desc(), RatingSubmission.id.desc())).label("rank"))
              .where(*where).subquery())
    return select(ranked).where(ranked.c.rank == 1).subquery()


def _leftovers(course_id: int, link_ids: list[int] | None, paired: int) -> tuple[int, int, int]:
    where = [RatingSubmission.course_id == course_id, RatingSubmission.superseded_at.is_(None)]
    if link_ids is not None:
        where.append(RatingSubmission.resource_link_id.in_(link_ids))
    own = RatingSubmission.source.in_(SELF_SOURCES)
    outside = and_(~own, RatingSubmission.encounter_id.is_(None))
    inside = and_(~own, RatingSubmission.encounter_id.is_not(None))
    row = db.session.execute(select(func.count().filter(own), func.count().filter(outside), func.count().filter(inside))
                             .where(*where)).one()
    return int(row[1] or 0), int(row[2] or 0) - paired, int(row[0] or 0)


def course_agreement(course_id: int, link_ids: list[int] | None = None) -> Agreement:
    """Agreement per checklist and skill: two queries (the ratings in encounters, their answers), paired here.

    Pairing in Python is linear in the number of ratings, where a self-join in SQL made SQLite
    scan the ratings once per rating.
    """
    latest = _latest(course_id, link_ids)
    seen: dict[tuple[str, int, int], list[tuple[int, int, int]]] = defaultdict(list)  # -> (rater, id, overall)
    for rating_id, checklist, subject, encounter, rater, overall, _ in db.session.execute(select(latest)):
        seen[(checklist, subject, encounter)].append((rater, rating_id, overall))
    pairs: list[tuple[str, int, int]] = []  # (checklist, id of one rating, id of the other)
    tables: dict[tuple[str, str], dict[tuple[int, int], int]] = defaultdict(lambda: defaultdict(int))
    rating_pairs: dict[str, int] = defaultdict(int)
    partnered: set[int] = set()
    for (checklist, _, _), raters in seen.items():
        raters.sort()
        for i, (_, first, first_overall) in enumerate(raters):
            for _, second, second_overall in raters[i + 1:]:
                pairs.append((checklist, first, second))
                tables[(checklist, OVERALL)][(int(first_overall), int(second_overall))] += 1
                rating_pairs[checklist] += 1
                partnered.update((first, second))
    answers: dict[int, dict[str, tuple[str, int | None]]] = defaultdict(dict)  # rating -> item -> (skill, level)
    if partnered:
        for rating_id, item, skill, value in db.session.execute(
                select(RatingAnswer.submission_id, RatingAnswer.item_id, RatingAnswer.skill_id, RatingAnswer.value)
                .join(latest, latest.c.id == RatingAnswer.submission_id)):
            if rating_id in partnered:
                answers[rating_id][item] = (skill, value)
    na: dict[tuple[str, str], int] = defaultdict(int)
    for checklist, first, second in pairs:
        other = answers[second]
        for item, (skill, value) in answers[first].items():
            if item not in other:
                continue
            if value is None or other[item][1] is None:
                na[(checklist, skill)] += 1
            else:
                tables[(checklist, skill)][(int(value), int(other[item][1]))] += 1  # type: ignore[arg-type]
    checklists = []
    for checklist in sorted(rating_pairs):
        skills = sorted({s for c, s in list(tables) + list(na) if c == checklist and s != OVERALL})
        rows = tuple(_skill(skill, dict(tables.get((checklist, skill), {})), na.get((checklist, skill), 0))
                     for skill in [*skills, OVERALL])
        checklists.append(ChecklistAgreement(checklist, rating_pairs[checklist], rows))
    outside, inside, own = _leftovers(course_id, link_ids, len(partnered))
    return Agreement(tuple(checklists), outside, inside, own)


def _skill(skill_id: str, table: dict[tuple[int, int], int], not_applicable: int) -> SkillAgreement:
    pairs = sum(table.values())
    if pairs < MIN_PAIRS:
        return SkillAgreement(skill_id, pairs, not_applicable, None, None, None)
    exact = sum(c for (x, y), c in table.items() if x == y) / pairs
    within = sum(c for (x, y), c in table.items() if abs(x - y) <= 1) / pairs
    return SkillAgreement(skill_id, pairs, not_applicable, exact, within, weighted_kappa(table))
