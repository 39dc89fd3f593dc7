"""Who may rate whom through a checklist placement; the same rules say whose ratings a release waits for.

- a coach rates the students of their groups, and of the encounters they are a coach of;
- an SP rates the students of their encounters (any student of the course, for an open encounter);
- a student rates classmates of their groups and the classmates they were assigned (peer), the
  coaches of their groups (student -> coach), and themselves (self); a coach rates themselves.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..content.model import RATER_ROLE
from ..extensions import db
from ..models import Encounter, EncounterMember, User
from .groups import encounters_of, group_ids_of, members_of_groups, peers_assigned
from .people import CourseAccess, course_people, named_roles

SOURCE_WORDS = {"coach": "Coach", "sp": "Standardized patient", "self": "Self-assessment", "peer": "Peer",
                "student": "Student", "coach-self": "Coach self-assessment"}


@dataclass(frozen=True)
class Choice:
    """Someone the rater may rate, and in which encounter (None: outside any encounter)."""

    user: User
    encounter: Encounter | None

    @property
    def key(self) -> tuple[int, int | None]:
        """(subject id, encounter id)."""
        return self.user.id, self.encounter.id if self.encounter else None


@dataclass(frozen=True)
class Choices:
    """Everyone a rater may rate through a placement; `from_roster` False when the course has no roster yet."""

    choices: tuple[Choice, ...]
    from_roster: bool = True

    def find(self, subject_id: int, encounter_id: int | None) -> Choice | None:
        """The choice for this subject and encounter, if the rater has it."""
        return next((c for c in self.choices if c.key == (subject_id, encounter_id)), None)


def rater_role(source: str) -> str:
    """Who fills in a checklist of this source: coach, sp or student."""
    return RATER_ROLE[source]


def _users(ids: set[int]) -> list[User]:
    if not ids:
        return []
    found = db.session.scalars(select(User).where(User.id.in_(ids)))
    return sorted(found, key=lambda u: (u.display_name.casefold(), u.id))


def _encounter_students(course_id: int, encounter: Encounter, everyone: list[User] | None) -> list[User]:
    if encounter.open_to_all and everyone is not None:
        return everyone
    return _users({m.user_id for m in encounter.members if m.role == "student"})


def choices(who: CourseAccess, source: str) -> Choices:
    """Whom the person may rate through a placement of this source (empty when they may not rate)."""
    if not who.acts_as(rater_role(source)):
        return Choices(())
    course, me = who.course_id, who.user_id
    if source in ("self", "coach-self"):
        return Choices((Choice(who.user, None),))
    if source == "peer":
        mates = members_of_groups(group_ids_of(course, me, "student"), "student")
        return Choices(tuple(Choice(u, None) for u in _users((mates | peers_assigned(course, rater_id=me)) - {me})))
    if source == "student":
        coaches = members_of_groups(group_ids_of(course, me, "student"), "coach")
        named = named_roles(course, coaches)
        return Choices(tuple(Choice(u, None) for u in _users(coaches - {me}) if "coach" in named.get(u.id, ())))
    found: list[Choice] = []
    if source == "coach":
        students = members_of_groups(group_ids_of(course, me, "coach"), "student")
        found.extend(Choice(u, None) for u in _users(students - {me}))
    rows = encounters_of(course, me, source)
    everyone: list[User] | None = None
    from_roster = True
    if any(e.open_to_all for e in rows):
        people = course_people(course)
        everyone, from_roster = [p.user for p in people.students], people.from_roster
    for row in rows:
        found.extend(Choice(u, row) for u in _encounter_students(course, row, everyone) if u.id != me)
    return Choices(tuple(found), from_roster)


def expected_raters(course_id: int, source: str, subject_id: int, encounter_id: int | None) -> set[int]:
    """Everyone who may rate this subject through a placement of this source (and encounter)."""
    role = rater_role(source)
    if source in ("self", "coach-self"):
        return {subject_id}
    if encounter_id is not None:
        raters = set(db.session.scalars(select(EncounterMember.user_id).where(
            EncounterMember.encounter_id == encounter_id, EncounterMember.role == source)))
    elif source == "coach":
        raters = members_of_groups(group_ids_of(course_id, subject_id, "student"), "coach")
    elif source == "peer":
        raters = members_of_groups(group_ids_of(course_id, subject_id, "student"), "student")
        raters |= peers_assigned(course_id, subject_id=subject_id)
    elif source == "student":
        raters = members_of_groups(group_ids_of(course_id, subject_id, "coach"), "student")
    else:
        raters = set()
    raters.discard(subject_id)
    if role in ("coach", "sp"):
        named = named_roles(course_id, raters)
        raters = {r for r in raters if role in named.get(r, ())}
    return raters
