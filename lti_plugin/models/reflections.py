"""A student's written reflection on their feedback report in one course."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

REFLECTION_LIMIT = 2000


class Reflection(Base):
    """What a student wrote about their feedback report in a course (one per student and course, editable)."""

    __tablename__ = "reflection"
    __table_args__ = (
        UniqueConstraint("course_id", "student_id"),
        CheckConstraint(f"length(text) <= {REFLECTION_LIMIT}", name="text_short"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
