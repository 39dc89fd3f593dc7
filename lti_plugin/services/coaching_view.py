"""The coach's view of a course: their workshop groups, each student's latest released ratings by source, who
has not rated whom yet, and what students said about the coach's coaching.

A named coach of the course sees it for the groups they coach; the course's instructors can open any of its
coaches' views, read-only, with the same figures the coach sees. Students' ratings of the coach
(the student-coach checklist) reach the coach as the placement's release mode says, like any rating; names are
hidden where the placement keeps raters confidential (the default for that checklist).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select

from ..content.library import ContentLibrary
from ..extensions import db
from ..models import (ChecklistSetting, Encounter, EncounterMember, GroupMember, PeerAssignment, RatingSubmission,
                      ResourceLink, User, WorkshopGroup)
from .errors import PlayerError
from .feedback import RatingView, confidential_links, view
from .feedback_report import SkillRow, build_rows, released_ratings, skill_list
from .people import CourseAccess, named_roles
from .rating_scope import SOURCE_WORDS
from .ratings import custom_settings
from .reports.scope import CourseScope

STUDENT_SOURCES = ("self", "peer", "coach", "sp")


@dataclass(frozen=True)
class Latest:
    """A student's most recent released rating from one source."""

    value: int  # its overall rating
    observed_on: date
    count: int  # released ratings from this source in all


@dataclass(frozen=True)
class StudentLine:
    """One student of a group as the coach sees them."""

    user: User
    latest: dict[str, Latest | None]
    waiting: tuple[str, ...]  # who has not rated them yet, placement by placement


@dataclass(frozen=True)
class GroupView:
    """One of the coach's groups."""

    id: int
    name: str
    coaches: tuple[str, ...]
    students: tuple[StudentLine, ...]


@dataclass(frozen=True)
class CoachingFeedback:
    """What students said about the coach, beside the coach's own self-assessment."""

    skills: tuple[SkillRow, ...]  # sources: student, coach-self
    comments: tuple[RatingView, ...]
    received: int  # released ratings from students
    held: int  # students' ratings submitted but not released yet


@dataclass(frozen=True)
class CoachView:
    """The whole page."""

    coach: User
    own: bool  # the coach reading their own view (else an instructor reading it)
    groups: tuple[GroupView, ...]
    feedback: CoachingFeedback


@dataclass(frozen=True)
class CoachLine:
    """A coach of the course, as the instructors' list of coaches shows them."""

    user: User
    groups: tuple[str, ...]  # the workshop groups they coach


@dataclass(frozen=True)
class _Placement:
    id: int
    title: str
    source: str


def _student_placements(scope: CourseScope) -> list[_Placement]:
    """The course's checklist placements about students, with their source (settings, else the link's defaults)."""
    links = [p for p in scope.of_kind("checklist") if p.item.subject == "student"]
    settings = {s.resource_link_id: s.source for s in db.session.scalars(
        select(ChecklistSetting).where(ChecklistSetting.resource_link_id.in_([p.id for p in links])))} if links else {}
    found = []
    for p in links:
        source = settings.get(p.id)
        if source is None:
            link = db.session.get(ResourceLink, p.id)
            source = custom_settings(p.item, (link.custom if link else None) or {})[0]
        found.append(_Placement(p.id, p.display_title, source))
    return found


def _names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {u.id: u.display_name for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def is_course_coach(course_id: int, user_id: int) -> bool:
    """Whether an instructor of the course has named this person a coach."""
    return "coach" in named_roles(course_id, [user_id]).get(user_id, frozenset())


def coach_for(who: CourseAccess, requested: int | None) -> int:
    """Whose coaching view the person may open: their own (a named coach), or, for an instructor, any coach of the
    course. Anyone else is refused; an id that is not a coach of this course is not found."""
    if requested is None or (requested == who.user_id and who.is_coach):
        if not who.is_coach:
            raise PlayerError("Only the coaches of this course can open the coaching view.", 403)
        return who.user_id
    if not who.is_instructor:
        raise PlayerError("Only the course's instructors can open another coach's view.", 403)
    if not is_course_coach(who.course_id, requested):
        raise PlayerError("There is no such coach in this course.", 404)
    return requested


def course_coaches(course_id: int) -> tuple[CoachLine, ...]:
    """The course's named coaches with the workshop groups they coach, by name."""
    ids = [u for u, roles in named_roles(course_id).items() if "coach" in roles]
    if not ids:
        return ()
    coached: dict[int, list[str]] = defaultdict(list)
    for user_id, name in db.session.execute(
            select(GroupMember.user_id, WorkshopGroup.name).join(WorkshopGroup, WorkshopGroup.id == GroupMember.group_id)
            .where(WorkshopGroup.course_id == course_id, GroupMember.role == "coach", GroupMember.user_id.in_(ids))):
        coached[user_id].append(name)
    users = db.session.scalars(select(User).where(User.id.in_(ids)))
    lines = [CoachLine(u, tuple(sorted(coached[u.id], key=str.casefold))) for u in users]
    return tuple(sorted(lines, key=lambda line: (line.user.display_name.casefold(), line.user.id)))


def coach_view(library: ContentLibrary, who: CourseAccess, scope: CourseScope, requested: int | None = None) -> CoachView:
    """Everything the coaching page shows: the asker's own (a named coach), or a coach's for an instructor."""
    coach_id = coach_for(who, requested)
    course = who.course_id
    groups = list(db.session.scalars(
        select(WorkshopGroup).join(GroupMember, GroupMember.group_id == WorkshopGroup.id)
        .where(WorkshopGroup.course_id == course, GroupMember.user_id == coach_id, GroupMember.role == "coach")
        .order_by(WorkshopGroup.name)))
    members = defaultdict(list)  # group id -> (user id, role)
    for group_id, user_id, role in db.session.execute(select(GroupMember.group_id, GroupMember.user_id, GroupMember.role)
                                                      .where(GroupMember.group_id.in_([g.id for g in groups]))):
        members[group_id].append((user_id, role))
    students = {u for g in groups for u, r in members[g.id] if r == "student"}
    lines = _student_lines(scope, course, students)
    names = _names({u for g in groups for u, r in members[g.id] if r == "coach"})
    group_views = []
    for g in groups:
        coaches = sorted(names.get(u, "") for u, r in members[g.id] if r == "coach")
        ids = [u for u, r in members[g.id] if r == "student"]
        shown = sorted((lines[u] for u in ids if u in lines), key=lambda s: (s.user.display_name.casefold(), s.user.id))
        group_views.append(GroupView(g.id, g.name, tuple(coaches), tuple(shown)))
    coach = db.session.get(User, coach_id)
    assert coach is not None
    return CoachView(coach, coach_id == who.user_id, tuple(group_views), coaching_feedback(library, course, coach_id))


def _student_lines(scope: CourseScope, course: int, students: set[int]) -> dict[int, StudentLine]:
    """Latest released ratings by source and who is still to rate, for these students, in a few queries."""
    if not students:
        return {}
    ids = list(students)
    latest_rows: dict[tuple[int, str], dict[str, RatingSubmission]] = defaultdict(dict)
    done: set[tuple[int, int, int, int | None]] = set()  # (placement, rater, subject, encounter)
    for row in db.session.scalars(select(RatingSubmission).where(
            RatingSubmission.course_id == course, RatingSubmission.subject_id.in_(ids),
            RatingSubmission.source.in_(STUDENT_SOURCES)).order_by(RatingSubmission.version)):
        if row.superseded_at is None:
            done.add((row.resource_link_id, row.rater_id, row.subject_id, row.encounter_id))
        if row.released_at is not None:
            latest_rows[(row.subject_id, row.source)][row.series] = row
    # who is with whom: the students' groups, their classmates and coaches, assigned peers, encounters and SPs
    their_groups: dict[int, set[int]] = defaultdict(set)
    for group_id, user_id in db.session.execute(select(GroupMember.group_id, GroupMember.user_id).where(
            GroupMember.user_id.in_(ids), GroupMember.role == "student")
            .join(WorkshopGroup, WorkshopGroup.id == GroupMember.group_id).where(WorkshopGroup.course_id == course)):
        their_groups[user_id].add(group_id)
    group_people: dict[int, list[tuple[int, str]]] = defaultdict(list)
    all_groups = {g for gs in their_groups.values() for g in gs}
    if all_groups:
        for group_id, user_id, role in db.session.execute(select(GroupMember.group_id, GroupMember.user_id,
                                                                 GroupMember.role).where(GroupMember.group_id.in_(all_groups))):
            group_people[group_id].append((user_id, role))
    assigned: dict[int, set[int]] = defaultdict(set)
    for rater_id, subject_id in db.session.execute(select(PeerAssignment.rater_id, PeerAssignment.subject_id).where(
            PeerAssignment.course_id == course, PeerAssignment.subject_id.in_(ids))):
        assigned[subject_id].add(rater_id)
    encounters = {e.id: e for e in db.session.scalars(select(Encounter).where(Encounter.course_id == course))}
    in_encounter: dict[int, set[int]] = defaultdict(set)
    sps: dict[int, set[int]] = defaultdict(set)
    if encounters:
        for encounter_id, user_id, role in db.session.execute(select(
                EncounterMember.encounter_id, EncounterMember.user_id, EncounterMember.role).where(
                EncounterMember.encounter_id.in_(list(encounters)),
                or_(EncounterMember.role == "sp", EncounterMember.user_id.in_(ids)))):
            if role == "sp":
                sps[encounter_id].add(user_id)
            elif role == "student":
                in_encounter[user_id].add(encounter_id)
    named = named_roles(course)
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    placements = _student_placements(scope)
    raters_named = _names({u for ps in group_people.values() for u, r in ps if r == "coach"}
                          | {u for s in sps.values() for u in s})
    lines = {}
    for student in ids:
        latest: dict[str, Latest | None] = {}
        for source in STUDENT_SOURCES:
            rows = sorted(latest_rows[(student, source)].values(), key=lambda r: (r.observed_on, r.submitted_at, r.id))
            latest[source] = Latest(rows[-1].global_rating, rows[-1].observed_on, len(rows)) if rows else None
        coaches = {u for g in their_groups[student] for u, r in group_people[g] if r == "coach"
                   and "coach" in named.get(u, ())}
        peers = ({u for g in their_groups[student] for u, r in group_people[g] if r == "student"} | assigned[student]) \
            - {student}
        waiting = []
        for p in placements:
            label = f"{SOURCE_WORDS.get(p.source, p.source)} ({p.title})"
            rated = {(rater, encounter) for link, rater, subject, encounter in done if link == p.id and subject == student}
            raters = {rater for rater, _ in rated}
            if p.source == "self" and student not in raters:
                waiting.append(f"{label}: not done yet")
            elif p.source == "coach":
                missing = sorted(raters_named.get(c, "") for c in coaches - raters)
                if missing:
                    waiting.append(f"{label}: not yet rated by {', '.join(missing)}")
            elif p.source == "peer" and peers - raters:
                waiting.append(f"{label}: {len(peers - raters)} of {len(peers)} classmates have not rated yet")
            elif p.source == "sp":
                for encounter_id in sorted(in_encounter[student] | {e for e, row in encounters.items() if row.open_to_all},
                                           key=lambda e: (encounters[e].occurs_on or date.max, encounters[e].name)):
                    missing = sorted(raters_named.get(s, "") for s in sps[encounter_id]
                                     if "sp" in named.get(s, ()) and (s, encounter_id) not in rated)
                    if missing:
                        waiting.append(f"{label}, {encounters[encounter_id].name}: not yet rated by {', '.join(missing)}")
        lines[student] = StudentLine(users[student], latest, tuple(waiting))
    return lines


def coaching_feedback(library: ContentLibrary, course_id: int, coach_id: int) -> CoachingFeedback:
    """Students' released ratings of the coach in this course, per skill, beside the coach's self-assessment."""
    from_students = released_ratings(coach_id, course_id, ("student",))
    own = list(db.session.scalars(select(RatingSubmission).where(
        RatingSubmission.course_id == course_id, RatingSubmission.subject_id == coach_id,
        RatingSubmission.source == "coach-self", RatingSubmission.superseded_at.is_(None))))
    skills = skill_list(library, "coach", {a.skill_id for r in from_students + own for a in r.answers})
    rows = build_rows(from_students + own, skills, ("student", "coach-self"), ())
    hidden = confidential_links({r.resource_link_id for r in from_students})
    comments = tuple(view(library, r, "subject", hidden.get(r.resource_link_id, False))
                     for r in reversed(from_students) if any(text for text in r.comments.values()))
    held = db.session.scalar(select(db.func.count(RatingSubmission.id)).where(
        RatingSubmission.course_id == course_id, RatingSubmission.subject_id == coach_id,
        RatingSubmission.source == "student", RatingSubmission.superseded_at.is_(None),
        RatingSubmission.released_at.is_(None))) or 0
    return CoachingFeedback(rows, comments, len(from_students), int(held))

