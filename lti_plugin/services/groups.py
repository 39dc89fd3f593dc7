"""Workshop groups, encounters and peer assignments: set up by instructors, read to decide who rates whom."""
from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from sqlalchemy import delete, select

from ..extensions import db
from ..models import Encounter, EncounterMember, GroupMember, PeerAssignment, User, WorkshopGroup
from ..sanitize import plain_text
from .errors import PlayerError
from .people import CourseAccess, known_people, name_role, require_instructor

MAX_COACHES = 2
NAME_LIMIT = 120


def clean_name(raw: str | None, what: str) -> str:
    """A group or encounter name: plain text, 1 to 120 characters."""
    name = plain_text(raw or "", NAME_LIMIT).replace("\n", " ")
    if not name:
        raise PlayerError(f"Give the {what} a name.", 422)
    return name


def groups(course_id: int) -> list[WorkshopGroup]:
    """The course's workshop groups, by name."""
    return list(db.session.scalars(select(WorkshopGroup).where(WorkshopGroup.course_id == course_id)
                                   .order_by(WorkshopGroup.name)))


def encounters(course_id: int) -> list[Encounter]:
    """The course's encounters, by date then name."""
    return list(db.session.scalars(select(Encounter).where(Encounter.course_id == course_id)
                                   .order_by(Encounter.occurs_on, Encounter.name)))


def group(who: CourseAccess, group_id: int) -> WorkshopGroup:
    """A group of the instructor's course (never another course's, whatever the id)."""
    return _in_course(who, db.session.get(WorkshopGroup, group_id), "group")


def encounter(who: CourseAccess, encounter_id: int) -> Encounter:
    """An encounter of the instructor's course."""
    return _in_course(who, db.session.get(Encounter, encounter_id), "encounter")


R = TypeVar("R", WorkshopGroup, Encounter)


def _in_course(who: CourseAccess, found: R | None, what: str) -> R:
    require_instructor(who)
    if found is None or found.course_id != who.course_id:
        raise PlayerError(f"There is no such {what} in this course.", 404)
    return found


def create_group(who: CourseAccess, name: str) -> WorkshopGroup:
    """A new, empty workshop group."""
    require_instructor(who)
    clean = clean_name(name, "group")
    if db.session.scalar(select(WorkshopGroup.id).where(WorkshopGroup.course_id == who.course_id,
                                                        WorkshopGroup.name == clean)):
        raise PlayerError(f"There is already a group called {clean!r}.", 409)
    row = WorkshopGroup(course_id=who.course_id, name=clean)
    db.session.add(row)
    db.session.flush()
    return row


def create_encounter(who: CourseAccess, name: str, occurs_on: date | None, open_to_all: bool) -> Encounter:
    """A new encounter or station."""
    require_instructor(who)
    clean = clean_name(name, "encounter")
    if db.session.scalar(select(Encounter.id).where(Encounter.course_id == who.course_id, Encounter.name == clean)):
        raise PlayerError(f"There is already an encounter called {clean!r}.", 409)
    row = Encounter(course_id=who.course_id, name=clean, occurs_on=occurs_on, open_to_all=open_to_all)
    db.session.add(row)
    db.session.flush()
    return row


def _person(who: CourseAccess, user_id: int) -> User:
    person = known_people(who.course_id).get(user_id)
    if person is None:
        raise PlayerError("That person is not in this course.", 404)
    return person


def add_to_group(who: CourseAccess, row: WorkshopGroup, user_id: int, role: str) -> None:
    """Add a coach (named coach of the course too) or a student to a group."""
    if role not in ("coach", "student"):
        raise PlayerError("A group member is a coach or a student.", 422)
    person = _person(who, user_id)
    current = {m.user_id: m for m in row.members}
    if user_id in current:
        raise PlayerError(f"{person.display_name} is already in {row.name}.", 409)
    if role == "coach":
        if sum(1 for m in row.members if m.role == "coach") >= MAX_COACHES:
            raise PlayerError(f"{row.name} has {MAX_COACHES} coaches already; a group has one or two.", 422)
        name_role(who.course_id, user_id, "coach", who.user_id)
    row.members.append(GroupMember(user_id=user_id, role=role))
    db.session.flush()


def add_to_encounter(who: CourseAccess, row: Encounter, user_id: int, role: str) -> None:
    """Add an SP or a coach (named so in the course too) or a student to an encounter."""
    if role not in ("sp", "coach", "student"):
        raise PlayerError("An encounter member is an SP, a coach or a student.", 422)
    person = _person(who, user_id)
    if any(m.user_id == user_id for m in row.members):
        raise PlayerError(f"{person.display_name} is already in {row.name}.", 409)
    if role != "student":
        name_role(who.course_id, user_id, role, who.user_id)
    row.members.append(EncounterMember(user_id=user_id, role=role))
    db.session.flush()


def remove_member(row: WorkshopGroup | Encounter, user_id: int) -> None:
    """Take someone out of a group or an encounter (their past ratings stay)."""
    members: list[Any] = row.members
    gone = [m for m in members if m.user_id == user_id]
    if not gone:
        raise PlayerError("That person is not in it.", 404)
    for member in gone:
        members.remove(member)
    db.session.flush()


def delete_row(row: WorkshopGroup | Encounter) -> None:
    """Delete a group or an encounter (ratings made in an encounter keep their other details)."""
    db.session.delete(row)
    db.session.flush()


def peer_assignments(course_id: int) -> list[PeerAssignment]:
    """Who was asked to rate whom, besides group-mates."""
    return list(db.session.scalars(select(PeerAssignment).where(PeerAssignment.course_id == course_id)
                                   .order_by(PeerAssignment.id)))


def assign_peer(who: CourseAccess, rater_id: int, subject_id: int) -> None:
    """Ask a student to rate a classmate."""
    require_instructor(who)
    if rater_id == subject_id:
        raise PlayerError("A student rates themselves with the self-assessment, not as a peer.", 422)
    rater, subject = _person(who, rater_id), _person(who, subject_id)
    if db.session.scalar(select(PeerAssignment.id).where(
            PeerAssignment.course_id == who.course_id, PeerAssignment.rater_id == rater_id,
            PeerAssignment.subject_id == subject_id)):
        raise PlayerError(f"{rater.display_name} already rates {subject.display_name}.", 409)
    db.session.add(PeerAssignment(course_id=who.course_id, rater_id=rater_id, subject_id=subject_id))
    db.session.flush()


def unassign_peer(who: CourseAccess, assignment_id: int) -> None:
    """Remove a peer assignment of the instructor's course."""
    require_instructor(who)
    row = db.session.get(PeerAssignment, assignment_id)
    if row is None or row.course_id != who.course_id:
        raise PlayerError("There is no such assignment in this course.", 404)
    db.session.delete(row)
    db.session.flush()


# -- who is with whom -------------------------------------------------------------------------------
def group_ids_of(course_id: int, user_id: int, role: str) -> list[int]:
    """The groups of the course in which the person has this role."""
    return list(db.session.scalars(
        select(GroupMember.group_id).join(WorkshopGroup, WorkshopGroup.id == GroupMember.group_id)
        .where(WorkshopGroup.course_id == course_id, GroupMember.user_id == user_id, GroupMember.role == role)))


def members_of_groups(group_ids: list[int], role: str) -> set[int]:
    """User ids with this role in any of these groups."""
    if not group_ids:
        return set()
    return set(db.session.scalars(select(GroupMember.user_id).where(GroupMember.group_id.in_(group_ids),
                                                                    GroupMember.role == role)))


def encounters_of(course_id: int, user_id: int, role: str) -> list[Encounter]:
    """The encounters of the course in which the person has this role."""
    return list(db.session.scalars(
        select(Encounter).join(EncounterMember, EncounterMember.encounter_id == Encounter.id)
        .where(Encounter.course_id == course_id, EncounterMember.user_id == user_id, EncounterMember.role == role)
        .order_by(Encounter.occurs_on, Encounter.name)))


def peers_assigned(course_id: int, *, rater_id: int | None = None, subject_id: int | None = None) -> set[int]:
    """Subjects assigned to a rater, or raters assigned to a subject."""
    query = select(PeerAssignment.subject_id if rater_id is not None else PeerAssignment.rater_id).where(
        PeerAssignment.course_id == course_id)
    if rater_id is not None:
        query = query.where(PeerAssignment.rater_id == rater_id)
    if subject_id is not None:
        query = query.where(PeerAssignment.subject_id == subject_id)
    return set(db.session.scalars(query))


def clear_members(row: WorkshopGroup | Encounter) -> None:
    """Empty a group or encounter before an import sets its members."""
    model = GroupMember if isinstance(row, WorkshopGroup) else EncounterMember
    key = GroupMember.group_id if isinstance(row, WorkshopGroup) else EncounterMember.encounter_id
    db.session.execute(delete(model).where(key == row.id))
    db.session.expire(row, ["members"])
