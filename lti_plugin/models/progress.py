"""A learner's way through modules and quizzes: pages seen, video watched, acknowledgements, attempts."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .people import ResourceLink, User


class ModuleProgress(Base):
    """Where a learner is in one module placement, and whether it is complete."""

    __tablename__ = "module_progress"
    __table_args__ = (UniqueConstraint("user_id", "resource_link_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    resource_link_id: Mapped[int] = mapped_column(ForeignKey("resource_link.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[str] = mapped_column(String(100))
    current_page: Mapped[str] = mapped_column(String(100), default="")
    pages_seen: Mapped[list[str]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None]
    score: Mapped[float | None] = mapped_column(Float)

    user: Mapped[User] = relationship()
    resource_link: Mapped[ResourceLink] = relationship()


class VideoProgress(Base):
    """Which parts of a video a learner has played, as merged [start, end] intervals in seconds."""

    __tablename__ = "video_progress"
    __table_args__ = (UniqueConstraint("user_id", "resource_link_id", "video_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    resource_link_id: Mapped[int] = mapped_column(ForeignKey("resource_link.id", ondelete="CASCADE"), index=True)
    video_id: Mapped[str] = mapped_column(String(100))
    duration: Mapped[float] = mapped_column(Float, default=0.0)
    played: Mapped[list[list[float]]] = mapped_column(JSON, default=list)
    played_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def share(self) -> float:
        """The share of the video played, 0..1."""
        return min(1.0, self.played_seconds / self.duration) if self.duration > 0 else 0.0


class Acknowledgement(Base):
    """A learner confirmed the expectation statement (kept with the words they confirmed)."""

    __tablename__ = "acknowledgement"
    __table_args__ = (UniqueConstraint("user_id", "resource_link_id", "module_id", "page_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    resource_link_id: Mapped[int] = mapped_column(ForeignKey("resource_link.id", ondelete="CASCADE"))
    module_id: Mapped[str] = mapped_column(String(100))
    page_id: Mapped[str] = mapped_column(String(100))
    statement: Mapped[str] = mapped_column(String(2000))
    acknowledged_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuizAttempt(Base):
    """One submitted attempt at a quiz: the answers as given and the score the server computed."""

    __tablename__ = "quiz_attempt"
    __table_args__ = (
        UniqueConstraint("user_id", "resource_link_id", "quiz_id", "number"),
        CheckConstraint("score >= 0 AND score <= 1", name="score_is_a_share"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    resource_link_id: Mapped[int] = mapped_column(ForeignKey("resource_link.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[str] = mapped_column(String(100))
    quiz_version: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    correct: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
