"""Checklist ratings: placement settings, drafts, final submissions with their answers, and the audit trail.

A submission is never changed once made (except for its release and for being superseded): a
correction is a new row of the same `series` with the next `version`. Reports read, per skill,
`RatingAnswer.skill_id` and `value`, per source `RatingSubmission.source`, per encounter
`encounter_id`, and per date `observed_on`; what a subject may see is the latest released
version of each series.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .groups import Encounter
from .people import ResourceLink, User

# Who rates whom (content/model.py RATER_SUBJECT): the source of a rating in reports.
SOURCES = ("coach", "sp", "self", "peer", "student", "coach-self")
SELF_SOURCES = ("self", "coach-self")
RELEASE_MODES = ("immediate", "all_raters", "instructor")
EVENT_ACTIONS = ("submitted", "corrected", "released", "settings_changed")
SCALE_MIN, SCALE_MAX = 1, 5


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ChecklistSetting(Base):
    """How one checklist placement works: who fills it in, when feedback is released, rater names."""

    __tablename__ = "checklist_setting"
    __table_args__ = (
        CheckConstraint(_one_of("source", SOURCES), name="source_known"),
        CheckConstraint(_one_of("release", RELEASE_MODES), name="release_known"),
    )

    resource_link_id: Mapped[int] = mapped_column(ForeignKey("resource_link.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    release: Mapped[str] = mapped_column(String(16), default="immediate")
    # Hide the rater's name from the student (never from instructors).
    confidential: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    resource_link: Mapped[ResourceLink] = relationship()


class RatingDraft(Base):
    """A rating in progress, saved as the rater types; gone once the rating is submitted."""

    __tablename__ = "rating_draft"
    __table_args__ = (UniqueConstraint("rater_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(64))
    resource_link_id: Mapped[int] = mapped_column(ForeignKey("resource_link.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounter.id", ondelete="CASCADE"))
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("rating_submission.id", ondelete="CASCADE"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    subject: Mapped[User] = relationship(foreign_keys=[subject_id])
    encounter: Mapped[Encounter | None] = relationship()


class RatingSubmission(Base):
    """One final rating of a subject by a rater through a checklist placement (one version of it)."""

    __tablename__ = "rating_submission"
    __table_args__ = (
        # The id the rater's browser gave the rating: sending it again never makes a second one.
        UniqueConstraint("rater_id", "client_id"),
        UniqueConstraint("series", "version"),
        CheckConstraint(_one_of("source", SOURCES), name="source_known"),
        CheckConstraint(f"global_rating BETWEEN {SCALE_MIN} AND {SCALE_MAX}", name="global_on_scale"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(f"({_one_of('source', SELF_SOURCES)}) = (rater_id = subject_id)", name="self_rates_self"),
        Index("ix_rating_submission_subject", "course_id", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    series: Mapped[str] = mapped_column(String(32))  # the same for every version of one rating
    version: Mapped[int] = mapped_column(Integer, default=1)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    resource_link_id: Mapped[int] = mapped_column(ForeignKey("resource_link.id", ondelete="CASCADE"), index=True)
    checklist_id: Mapped[str] = mapped_column(String(100))
    checklist_version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))
    rater_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounter.id", ondelete="SET NULL"))
    observed_on: Mapped[date]
    global_rating: Mapped[int] = mapped_column(Integer)
    comments: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # comment id -> text as typed
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    launch_ref: Mapped[str] = mapped_column(String(64))  # the launch session it came from (its key)
    superseded_at: Mapped[datetime | None]  # a correction replaced this version
    released_at: Mapped[datetime | None]  # shown to the subject from then on
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    rater: Mapped[User] = relationship(foreign_keys=[rater_id])
    subject: Mapped[User] = relationship(foreign_keys=[subject_id])
    encounter: Mapped[Encounter | None] = relationship()
    resource_link: Mapped[ResourceLink] = relationship()
    answers: Mapped[list[RatingAnswer]] = relationship(
        back_populates="submission", cascade="all, delete-orphan", order_by="RatingAnswer.id"
    )

    @property
    def is_current(self) -> bool:
        """Whether no correction has replaced this version."""
        return self.superseded_at is None


class RatingAnswer(Base):
    """The rating of one checklist item (a skill); `value` None means not applicable."""

    __tablename__ = "rating_answer"
    __table_args__ = (
        UniqueConstraint("submission_id", "item_id"),
        CheckConstraint(f"value IS NULL OR value BETWEEN {SCALE_MIN} AND {SCALE_MAX}", name="value_on_scale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("rating_submission.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(100))
    skill_id: Mapped[str] = mapped_column(String(100), index=True)
    value: Mapped[int | None] = mapped_column(Integer)

    submission: Mapped[RatingSubmission] = relationship(back_populates="answers")


class RatingEvent(Base):
    """The audit trail: who submitted, corrected or released what, when, from which launch."""

    __tablename__ = "rating_event"
    __table_args__ = (CheckConstraint(_one_of("action", EVENT_ACTIONS), name="action_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    resource_link_id: Mapped[int | None] = mapped_column(ForeignKey("resource_link.id", ondelete="CASCADE"))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("rating_submission.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(20))
    launch_ref: Mapped[str | None] = mapped_column(String(64))
    lti_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()
