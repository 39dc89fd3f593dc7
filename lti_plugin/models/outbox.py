"""The grade outbox: every score Rapport owes a platform, stored before it is sent."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .lti import Registration
from .people import ResourceLink, User

DELIVERY_STATES = ("pending", "delivered", "failed", "superseded")
ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ScoreDelivery(Base):
    """One AGS score for one user and line item, and how its delivery to the platform went.

    `timestamp` is fixed when the score is written and strictly increases per (line item, user),
    so a re-sent row is recognised by the platform as the same score, and a newer one wins.
    """

    __tablename__ = "score_delivery"
    __table_args__ = (
        UniqueConstraint(
            "registration_id", "line_item_key", "user_sub", "timestamp", name="uq_score_delivery_line_item_user_timestamp"
        ),
        CheckConstraint(_one_of("state", DELIVERY_STATES), name="state_known"),
        CheckConstraint(_one_of("activity_progress", ACTIVITY_PROGRESS), name="activity_progress_known"),
        CheckConstraint(_one_of("grading_progress", GRADING_PROGRESS), name="grading_progress_known"),
        CheckConstraint("score_maximum > 0", name="score_maximum_positive"),
        CheckConstraint("score_given IS NULL OR score_given >= 0", name="score_given_not_negative"),
        CheckConstraint("line_item_url IS NOT NULL OR line_items_url IS NOT NULL", name="has_endpoint"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # The worker's question: which pending rows are due?
        Index("ix_score_delivery_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    resource_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("resource_link.id", ondelete="SET NULL"), index=True
    )
    user_sub: Mapped[str] = mapped_column(String(255))  # the AGS userId
    # The line item's identity for ordering and superseding: a digest of its URL, or of the
    # container URL, resource link id, resource id and tag when the URL is not known yet.
    line_item_key: Mapped[str] = mapped_column(String(64))
    line_item_url: Mapped[str | None] = mapped_column(String(2048))
    line_items_url: Mapped[str | None] = mapped_column(String(2048))
    lti_resource_link_id: Mapped[str | None] = mapped_column(String(255))
    line_item_label: Mapped[str | None] = mapped_column(String(255))
    line_item_score_maximum: Mapped[float | None] = mapped_column(Float)
    line_item_resource_id: Mapped[str | None] = mapped_column(String(255))
    line_item_tag: Mapped[str | None] = mapped_column(String(255))

    score_given: Mapped[float | None] = mapped_column(Float)
    score_maximum: Mapped[float] = mapped_column(Float)
    activity_progress: Mapped[str] = mapped_column(String(16))
    grading_progress: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    timestamp: Mapped[datetime]

    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_status: Mapped[int | None] = mapped_column(Integer)  # the platform's last HTTP status
    last_error: Mapped[str | None] = mapped_column(String(1000))
    claimed_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]

    registration: Mapped[Registration] = relationship()
    user: Mapped[User] = relationship()
    resource_link: Mapped[ResourceLink | None] = relationship()

    @property
    def timestamp_iso(self) -> str:
        """The timestamp as sent to the platform: ISO 8601, UTC, microseconds."""
        return self.timestamp.isoformat(timespec="microseconds")

    def __repr__(self) -> str:
        return f"<ScoreDelivery {self.id} {self.user_sub} {self.state}>"
