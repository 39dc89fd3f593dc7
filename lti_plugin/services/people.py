"""Who a launch is in its course (instructor, student, coach, SP), and the people of a course.

The course's people come from the roster read through NRPS when Rapport has one, and from
the people who have launched Rapport in the course when it has none.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select

from ..extensions import db
from ..lti.roles import manages_course, rapport_role, role_label
from ..models import CourseRole, CourseRoster, LaunchSession, Membership, RosterMember, User, utcnow
from ..models.groups import COURSE_ROLES
from .errors import PlayerError
from .rows import insert_unless_exists

ROLE_WORDS = {"coach": "coach", "sp": "standardized patient"}


@dataclass(frozen=True)
class CourseAccess:
    """What the person behind a launch is in its course."""

    launch: LaunchSession
    course_id: int
    user_id: int
    is_instructor: bool
    is_student: bool
    is_coach: bool
    is_sp: bool

    @property
    def user(self) -> User:
        """The person."""
        return self.launch.user

    def acts_as(self, role: str) -> bool:
        """Whether the person may fill in checklists as a coach, an SP or a student."""
        return {"coach": self.is_coach, "sp": self.is_sp, "student": self.is_student}.get(role, False)


@dataclass(frozen=True)
class Person:
    """Someone of the course, as the people pages list them."""

    user: User
    roles_label: str
    role: str  # student, staff or other (from the LMS roles)
    named: frozenset[str]  # coach, sp


@dataclass(frozen=True)
class People:
    """The people of a course and where the list comes from."""

    people: tuple[Person, ...]
    from_roster: bool
    roster: CourseRoster | None

    @property
    def students(self) -> tuple[Person, ...]:
        """The learners."""
        return tuple(p for p in self.people if p.role == "student")

    def by_id(self) -> dict[int, Person]:
        """The people by user id."""
        return {p.user.id: p for p in self.people}


def access(launch: LaunchSession) -> CourseAccess:
    """The launch's standing in its course; a launch without a course has none."""
    if launch.course_id is None:
        raise PlayerError("This page belongs to a course; open it from an activity in your course.", 400)
    named = named_roles(launch.course_id, [launch.user_id]).get(launch.user_id, frozenset())
    return CourseAccess(
        launch=launch, course_id=launch.course_id, user_id=launch.user_id,
        is_instructor=launch.role == "staff" and manages_course(launch.lti_roles),
        is_student=launch.role == "student", is_coach="coach" in named, is_sp="sp" in named,
    )


def require_instructor(who: CourseAccess) -> None:
    """Refuse anyone who does not run the course."""
    if not who.is_instructor:
        raise PlayerError("Only the course's instructors can open this page.", 403)


def named_roles(course_id: int, user_ids: Iterable[int] | None = None) -> dict[int, frozenset[str]]:
    """The roles (coach, sp) instructors gave people of the course, by user id."""
    query = select(CourseRole.user_id, CourseRole.role).where(CourseRole.course_id == course_id)
    if user_ids is not None:
        query = query.where(CourseRole.user_id.in_(list(user_ids)))
    found: dict[int, set[str]] = {}
    for user_id, role in db.session.execute(query):
        found.setdefault(user_id, set()).add(role)
    return {k: frozenset(v) for k, v in found.items()}


def roster_state(course_id: int) -> CourseRoster | None:
    """What Rapport knows of the course's roster reads."""
    return db.session.get(CourseRoster, course_id)


def course_people(course_id: int) -> People:
    """Everyone of the course: the NRPS roster (active members) when read once, else who has launched."""
    state = roster_state(course_id)
    named = named_roles(course_id)
    if state is not None and state.refreshed_at is not None:
        rows = db.session.execute(
            select(User, RosterMember.lti_roles, RosterMember.role).join(RosterMember, RosterMember.user_id == User.id)
            .where(RosterMember.course_id == course_id, RosterMember.status == "Active"))
        from_roster = True
    else:
        rows = db.session.execute(
            select(User, Membership.lti_roles, Membership.role).join(Membership, Membership.user_id == User.id)
            .where(Membership.course_id == course_id))
        from_roster = False
    people = [Person(user, role_label(lti_roles), role, named.get(user.id, frozenset()))
              for user, lti_roles, role in rows]
    people.sort(key=lambda p: (p.user.display_name.casefold(), p.user.id))
    return People(tuple(people), from_roster, state)


def known_people(course_id: int) -> dict[int, User]:
    """Everyone Rapport can name in the course: the roster and those who have launched (by user id)."""
    ids = set(db.session.scalars(select(RosterMember.user_id).where(RosterMember.course_id == course_id)))
    ids |= set(db.session.scalars(select(Membership.user_id).where(Membership.course_id == course_id)))
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


def course_role_of(course_id: int, user_id: int) -> str | None:
    """The person's Rapport role in the course from the roster or their launches (student, staff, other)."""
    role = db.session.scalar(select(Membership.role).where(Membership.course_id == course_id,
                                                           Membership.user_id == user_id))
    if role is None:
        row = db.session.scalar(select(RosterMember).where(RosterMember.course_id == course_id,
                                                          RosterMember.user_id == user_id))
        role = rapport_role(row.lti_roles) if row is not None else None
    return role


def set_named_roles(who: CourseAccess, user_id: int, roles: Iterable[str]) -> None:
    """Make a person of the course exactly these (coach, sp); the caller commits."""
    require_instructor(who)
    wanted = set(roles)
    unknown = wanted - set(COURSE_ROLES)
    if unknown:
        raise PlayerError(f"Unknown role {sorted(unknown)[0][:20]!r}: a person can be named coach or sp.", 422)
    if user_id not in known_people(who.course_id):
        raise PlayerError("That person is not in this course.", 404)
    have = named_roles(who.course_id, [user_id]).get(user_id, frozenset())
    for role in sorted(wanted - have):
        name_role(who.course_id, user_id, role, who.user_id)
    if have - wanted:
        db.session.execute(delete(CourseRole).where(
            CourseRole.course_id == who.course_id, CourseRole.user_id == user_id,
            CourseRole.role.in_(sorted(have - wanted))))
    db.session.flush()


def name_role(course_id: int, user_id: int, role: str, by: int) -> None:
    """Name a person coach or SP unless they already are (the caller has checked the instructor)."""
    if role not in named_roles(course_id, [user_id]).get(user_id, frozenset()):
        insert_unless_exists(CourseRole, ["course_id", "user_id", "role"], course_id=course_id, user_id=user_id,
                             role=role, named_by_id=by, named_at=utcnow())


def search(people: Iterable[Person], query: str) -> list[Person]:
    """People whose name or email contains every word of the query, ignoring case."""
    words = query.casefold().split()
    return [p for p in people
            if all(w in f"{p.user.display_name} {p.user.email}".casefold() for w in words)]
