"""Who rates whom in a course: named coaches and SPs, the roster, workshop groups, encounters, peers."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .people import User

COURSE_ROLES = ("coach", "sp")
GROUP_ROLES = ("coach", "student")
ENCOUNTER_ROLES = ("sp", "coach", "student")
MEMBER_STATUSES = ("Active", "Inactive", "Deleted")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class CourseRole(Base):
    """An instructor named this person a coach or a standardized patient (SP) of the course."""

    __tablename__ = "course_role"
    __table_args__ = (
        UniqueConstraint("course_id", "user_id", "role"),
        CheckConstraint(_one_of("role", COURSE_ROLES), name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(8))
    named_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    named_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class CourseRoster(Base):
    """The state of a course's roster as last read from the platform (Names and Role Provisioning)."""

    __tablename__ = "course_roster"

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), primary_key=True)
    members_url: Mapped[str | None] = mapped_column(String(2048))
    refreshed_at: Mapped[datetime | None]  # the last successful read; None: never read
    attempted_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))  # why the last attempt failed
    member_count: Mapped[int] = mapped_column(default=0)


class RosterMember(Base):
    """One member of a course as the platform's roster lists them."""

    __tablename__ = "roster_member"
    __table_args__ = (
        UniqueConstraint("course_id", "user_id"),
        CheckConstraint("role IN ('student', 'staff', 'other')", name="role_known"),
        CheckConstraint(_one_of("status", MEMBER_STATUSES), name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    lti_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="Active")

    user: Mapped[User] = relationship()


class WorkshopGroup(Base):
    """A small workshop group of students with one or two coaches."""

    __tablename__ = "workshop_group"
    __table_args__ = (UniqueConstraint("course_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[GroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="GroupMember.id"
    )


class GroupMember(Base):
    """A coach or a student of a workshop group."""

    __tablename__ = "group_member"
    __table_args__ = (
        UniqueConstraint("group_id", "user_id"),
        CheckConstraint(_one_of("role", GROUP_ROLES), name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("workshop_group.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(8))

    group: Mapped[WorkshopGroup] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class Encounter(Base):
    """An encounter or station: SPs (and coaches) who rate, and the students they see.

    With `open_to_all`, the raters may rate any student of the course (an SP station that
    every student passes through, in an order nobody knows beforehand).
    """

    __tablename__ = "encounter"
    __table_args__ = (UniqueConstraint("course_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    occurs_on: Mapped[date | None]
    open_to_all: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[EncounterMember]] = relationship(
        back_populates="encounter", cascade="all, delete-orphan", order_by="EncounterMember.id"
    )


class EncounterMember(Base):
    """An SP, a coach or a student of an encounter."""

    __tablename__ = "encounter_member"
    __table_args__ = (
        UniqueConstraint("encounter_id", "user_id"),
        CheckConstraint(_one_of("role", ENCOUNTER_ROLES), name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounter.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(8))

    encounter: Mapped[Encounter] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class PeerAssignment(Base):
    """A student asked to rate a particular classmate (besides the classmates of their groups)."""

    __tablename__ = "peer_assignment"
    __table_args__ = (
        UniqueConstraint("course_id", "rater_id", "subject_id"),
        CheckConstraint("rater_id <> subject_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    rater: Mapped[User] = relationship(foreign_keys=[rater_id])
    subject: Mapped[User] = relationship(foreign_keys=[subject_id])
