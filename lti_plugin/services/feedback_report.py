"""The student's feedback report: each skill of the framework, rated by self, peers, coaches and SPs, side by
side and over time, with the released comments and the student's reflection.

Who may open a student's report: the student; the course's instructors; the coaches of the student's
workshop groups in the course. Nobody else, whatever the id in the address.

What it shows: only released ratings (the latest released version of each rating), and a rater's name only
where the placement does not keep raters confidential (instructors always see names). The student also sees
the released ratings from their other courses on the same platform (an earlier year, for example): Rapport
keeps one user per person and platform, so those ratings point at the same user. Staff see only the ratings of
the course they opened the report from.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..content.library import ContentLibrary
from ..extensions import db
from ..models import Course, RatingSubmission, Reflection, User, utcnow
from ..models.reflections import REFLECTION_LIMIT
from ..sanitize import plain_text
from .errors import PlayerError
from .feedback import RatingView, confidential_links, view
from .groups import group_ids_of, members_of_groups
from .people import CourseAccess, course_role_of
from .rating_release import latest_versions

REPORT_SOURCES = ("self", "peer", "coach", "sp")  # the order of the columns, self first
OTHER_SOURCES = ("peer", "coach", "sp")
OVERALL = "overall"  # the checklists' overall rating, shown as the first row


@dataclass(frozen=True)
class Cell:
    """A mean rating and how many values it is the mean of (None when there are none)."""

    mean: float | None
    n: int

    @staticmethod
    def of(values: Sequence[int]) -> Cell:
        """The mean of some ratings."""
        return Cell(statistics.fmean(values) if values else None, len(values))


@dataclass(frozen=True)
class Occasion:
    """One point on the time axis: an encounter, or a day of ratings outside any encounter."""

    key: tuple[int, str]
    label: str
    on: date
    course_title: str


@dataclass(frozen=True)
class SkillRow:
    """One skill (or the overall rating): each source's mean over everything, the gap, and each occasion."""

    skill_id: str
    name: str
    definition: str
    cells: dict[str, Cell]
    others: Cell  # every peer, coach and SP value pooled
    over_time: tuple[dict[str, Cell], ...]  # per occasion, per source

    @property
    def gap(self) -> float | None:
        """Self minus others: above zero, the student rates themself higher than others do."""
        mine = self.cells["self"].mean if "self" in self.cells else None
        return None if mine is None or self.others.mean is None else mine - self.others.mean

    @property
    def table_id(self) -> str:
        """The id of this skill's over-time table (its chart points at it)."""
        return f"skill-{self.skill_id}"


@dataclass(frozen=True)
class Report:
    """A student's report as one reader sees it."""

    student: User
    course_id: int
    audience: str  # student, coach, instructor
    skills: tuple[SkillRow, ...]
    occasions: tuple[Occasion, ...]
    comments: tuple[tuple[RatingView, str], ...]  # newest first, with the course's title
    counts: dict[str, int]  # released ratings per source
    courses: tuple[str, ...]  # titles of the courses the ratings come from
    reflection: Reflection | None

    @property
    def rating_count(self) -> int:
        """How many released ratings the report is made of."""
        return sum(self.counts.values())

    @property
    def widest_gaps(self) -> list[SkillRow]:
        """Skills (not the overall rating) where self and others differ by half a point or more, widest first."""
        rows = [r for r in self.skills if r.skill_id != OVERALL and r.gap is not None and abs(r.gap) >= 0.5]
        return sorted(rows, key=lambda r: (-abs(r.gap or 0), r.name))


# -- who may read ---------------------------------------------------------------------------------
def coach_students(course_id: int, coach_id: int) -> set[int]:
    """The students of the coach's workshop groups in the course."""
    return members_of_groups(group_ids_of(course_id, coach_id, "coach"), "student")


def audience_for(who: CourseAccess, student_id: int) -> str:
    """How the person may read this student's report (student, instructor, coach); 404 when they may not."""
    if who.user_id == student_id and who.is_student:
        return "student"
    if who.user_id != student_id and course_role_of(who.course_id, student_id) == "student":
        if who.is_instructor:
            return "instructor"
        if who.is_coach and student_id in coach_students(who.course_id, who.user_id):
            return "coach"
    raise PlayerError("There is no such feedback report for you to see.", 404)


# -- reading the ratings ----------------------------------------------------------------------------
def released_ratings(subject_id: int, course_id: int | None, sources: Iterable[str]) -> list[RatingSubmission]:
    """The latest released version of each rating of the subject from these sources (every course when None)."""
    query = (select(RatingSubmission).where(RatingSubmission.subject_id == subject_id,
                                            RatingSubmission.released_at.is_not(None),
                                            RatingSubmission.source.in_(list(sources)))
             .options(selectinload(RatingSubmission.answers), selectinload(RatingSubmission.encounter),
                      selectinload(RatingSubmission.rater))
             .order_by(RatingSubmission.series, RatingSubmission.version))
    if course_id is not None:
        query = query.where(RatingSubmission.course_id == course_id)
    return sorted(latest_versions(db.session.scalars(query)), key=lambda r: (r.observed_on, r.submitted_at, r.id))


def skill_list(library: ContentLibrary, subject: str, seen: Iterable[str] = ()) -> list[tuple[str, str, str]]:
    """(id, name, definition) of the skills the checklists about this kind of subject rate, in framework order."""
    wanted = {item.skill for c in library.checklists.values() if c.subject == subject for item in c.items} | set(seen)
    found = [(s.id, s.name, s.definition) for s in library.skills.skills if s.id in wanted]
    known = {s[0] for s in found}
    found.extend((skill_id, skill_id, "") for skill_id in sorted(wanted - known))  # skills gone from the framework
    return found


def _occasion_key(row: RatingSubmission) -> tuple[int, str]:
    return (row.course_id, f"e{row.encounter_id}" if row.encounter_id else f"d{row.observed_on.isoformat()}")


def _occasions(rows: Sequence[RatingSubmission], titles: dict[int, str]) -> list[Occasion]:
    first: dict[tuple[int, str], date] = {}
    names: dict[tuple[int, str], str] = {}
    for row in rows:
        key = _occasion_key(row)
        first[key] = min(first.get(key, row.observed_on), row.observed_on)
        names[key] = row.encounter.name if row.encounter else f"{row.observed_on.day} {row.observed_on:%b %Y}"
    several = len({k[0] for k in first}) > 1
    found = [Occasion(k, f"{titles.get(k[0], '')}: {names[k]}" if several else names[k], on, titles.get(k[0], ""))
             for k, on in first.items()]
    return sorted(found, key=lambda o: (o.on, o.label))


def build_rows(rows: Sequence[RatingSubmission], skills: Sequence[tuple[str, str, str]], sources: Sequence[str],
               occasions: Sequence[Occasion], overall_name: str = "Overall rating") -> tuple[SkillRow, ...]:
    """Per skill (and the overall rating first): each source's values over all rows, and per occasion."""
    values: dict[tuple[str, str], list[int]] = defaultdict(list)
    timed: dict[tuple[str, str, tuple[int, str]], list[int]] = defaultdict(list)
    for row in rows:
        key = _occasion_key(row)
        pairs = [(OVERALL, row.global_rating)] + [(a.skill_id, a.value) for a in row.answers if a.value is not None]
        for skill_id, value in pairs:
            values[(skill_id, row.source)].append(value)
            timed[(skill_id, row.source, key)].append(value)
    made = []
    for skill_id, name, definition in [(OVERALL, overall_name, "The overall rating at the end of each checklist.")
                                       ] + list(skills):
        cells = {s: Cell.of(values[(skill_id, s)]) for s in sources}
        others = Cell.of([v for s in sources if s in OTHER_SOURCES for v in values[(skill_id, s)]])
        over_time = tuple({s: Cell.of(timed[(skill_id, s, o.key)]) for s in sources} for o in occasions)
        made.append(SkillRow(skill_id, name, definition, cells, others, over_time))
    return tuple(made)


def report(library: ContentLibrary, who: CourseAccess, student_id: int) -> Report:
    """The student's report for the person asking (checked first: see audience_for)."""
    audience = audience_for(who, student_id)
    student = db.session.get(User, student_id)
    assert student is not None
    rows = released_ratings(student_id, None if audience == "student" else who.course_id, REPORT_SOURCES)
    course_ids = sorted({r.course_id for r in rows} | {who.course_id})
    titles = {c.id: c.display_title for c in db.session.scalars(select(Course).where(Course.id.in_(course_ids)))}
    occasions = _occasions(rows, titles)
    skills = skill_list(library, "student", {a.skill_id for r in rows for a in r.answers})
    hidden = confidential_links({r.resource_link_id for r in rows})
    reader = "instructor" if audience == "instructor" else "subject"
    comments = [(view(library, r, reader, hidden.get(r.resource_link_id, False)), titles.get(r.course_id, ""))
                for r in reversed(rows) if any(text for text in r.comments.values())]
    counts = {s: sum(1 for r in rows if r.source == s) for s in REPORT_SOURCES}
    return Report(student, who.course_id, audience, build_rows(rows, skills, REPORT_SOURCES, occasions),
                  tuple(occasions), tuple(comments), counts,
                  tuple(titles[c] for c in course_ids if any(r.course_id == c for r in rows)),
                  reflection_of(who.course_id, student_id))


# -- the reflection -----------------------------------------------------------------------------------
def reflection_of(course_id: int, student_id: int) -> Reflection | None:
    """What the student wrote about their report in this course."""
    return db.session.scalar(select(Reflection).where(Reflection.course_id == course_id,
                                                      Reflection.student_id == student_id))


def save_reflection(who: CourseAccess, raw: object) -> Reflection | None:
    """The student writes (or clears, with empty text) their reflection on their report in this course."""
    if not who.is_student:
        raise PlayerError("Only the student whose report it is can write its reflection.", 403)
    text = plain_text(raw if isinstance(raw, str) else "")
    if len(text) > REFLECTION_LIMIT:
        raise PlayerError(f"Your reflection is {len(text)} characters long; it can be at most {REFLECTION_LIMIT}. "
                          f"Shorten it by {len(text) - REFLECTION_LIMIT} characters and save again.", 422)
    found = reflection_of(who.course_id, who.user_id)
    if not text:
        if found is not None:
            db.session.delete(found)
            db.session.flush()
        return None
    if found is None:
        found = Reflection(course_id=who.course_id, student_id=who.user_id, text=text)
        db.session.add(found)
    else:
        found.text, found.updated_at = text, utcnow()
    db.session.flush()
    return found

