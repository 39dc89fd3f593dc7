"""Users, courses (LTI contexts), resource links and memberships."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow

RAPPORT_ROLES = ("student", "staff", "other")


class User(Base):
    """A person as one platform knows them (by the launch's `sub`)."""

    __tablename__ = "user_account"
    __table_args__ = (UniqueConstraint("issuer", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    given_name: Mapped[str] = mapped_column(String(255), default="")
    family_name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    picture: Mapped[str] = mapped_column(String(1024), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def display_name(self) -> str:
        """The best name we have for the person."""
        full = " ".join(p for p in (self.given_name, self.family_name) if p)
        return self.name or full or self.email or "Unnamed user"


class Course(Base):
    """An LTI context within one deployment."""

    __tablename__ = "course"
    __table_args__ = (UniqueConstraint("deployment_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(512), default="")
    label: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def display_title(self) -> str:
        """The course's title, or its label, or its id."""
        return self.title or self.label or self.context_id


class ResourceLink(Base):
    """One placement of Rapport in a course."""

    __tablename__ = "resource_link"
    __table_args__ = (UniqueConstraint("deployment_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"))
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("course.id", ondelete="CASCADE"), index=True
    )
    resource_link_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(512), default="")
    custom: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # What this placement shows: set by deep linking (custom parameters) or by an instructor.
    content_kind: Mapped[str | None] = mapped_column(String(16))
    content_id: Mapped[str | None] = mapped_column(String(100))
    points: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course | None] = relationship()


class Membership(Base):
    """A user's roles in a course, as the platform last sent them."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("course_id", "user_id"),
        CheckConstraint("role IN ('student', 'staff', 'other')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    lti_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    role: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()
