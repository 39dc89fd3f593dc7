"""The attitudes survey over time: a course's schedule, its windows, and each learner's answers per window."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .people import Course, ResourceLink, User


class SurveySchedule(Base):
    """When one survey is open in a course: for the whole course, or for one placement of it.

    A placement's own schedule wins over the course's; windows belong to exactly one schedule.
    """

    __tablename__ = "survey_schedule"
    __table_args__ = (
        UniqueConstraint("course_id", "survey_id", "resource_link_id"),
        # NULL never equals NULL in a unique constraint: one course-wide schedule per survey needs its own index.
        Index("uq_survey_schedule_course_wide", "course_id", "survey_id", unique=True,
              sqlite_where=text("resource_link_id IS NULL"), postgresql_where=text("resource_link_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    resource_link_id: Mapped[int | None] = mapped_column(ForeignKey("resource_link.id", ondelete="CASCADE"), index=True)
    survey_id: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64))
    # How the instructor described the follow-ups (dates or an interval), to fill the form again.
    rule: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    course: Mapped[Course] = relationship()
    resource_link: Mapped[ResourceLink | None] = relationship()
    windows: Mapped[list[SurveyWindow]] = relationship(
        back_populates="schedule", cascade="all, delete-orphan", order_by="SurveyWindow.position"
    )


class SurveyWindow(Base):
    """One round of a survey: the baseline (position 0) or a follow-up (1, 2, ...), open from-until."""

    __tablename__ = "survey_window"
    __table_args__ = (
        UniqueConstraint("schedule_id", "position"),
        CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        CheckConstraint("position >= 0", name="position_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("survey_schedule.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]

    schedule: Mapped[SurveySchedule] = relationship(back_populates="windows")

    @property
    def label(self) -> str:
        """Baseline, or Follow-up N."""
        return "Baseline" if self.position == 0 else f"Follow-up {self.position}"


class SurveyResponse(Base):
    """One learner's answers in one window: a draft until submitted, then final."""

    __tablename__ = "survey_response"
    __table_args__ = (
        UniqueConstraint("window_id", "user_id"),
        CheckConstraint("submitted_at IS NULL OR submitted_at >= started_at", name="submitted_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("survey_window.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    # The placement the learner answered through (any placement sharing the schedule counts).
    resource_link_id: Mapped[int | None] = mapped_column(ForeignKey("resource_link.id", ondelete="SET NULL"))
    survey_id: Mapped[str] = mapped_column(String(100))
    survey_version: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # item id -> 1..points
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]

    window: Mapped[SurveyWindow] = relationship()
    user: Mapped[User] = relationship()
