"""Short-lived launch records: login state, used nonces, and launch sessions."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .lti import Deployment, Registration
from .people import Course, ResourceLink, User


class LoginState(Base):
    """A login in flight: the state and nonce Rapport issued, bound to one browser."""

    __tablename__ = "login_state"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    nonce_hash: Mapped[str] = mapped_column(String(64))
    browser_hash: Mapped[str] = mapped_column(String(64))
    target_link_uri: Mapped[str] = mapped_column(String(2048))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # LTI Platform Storage: the platform frame that keeps this login's state and nonce, when
    # the login named one; and the login parameters, to start again in a new window.
    storage_target: Mapped[str | None] = mapped_column(String(255))
    relaunch: Mapped[dict[str, str] | None] = mapped_column(JSON)


class UsedNonce(Base):
    """A nonce that has been used once and must never be accepted again."""

    __tablename__ = "used_nonce"

    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LaunchSession(Base):
    """What one successful launch lets the user do, found by a secret carried by the page."""

    __tablename__ = "launch_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    resource_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("resource_link.id", ondelete="CASCADE")
    )
    message_type: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    lti_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The claims later steps need (custom parameters, service endpoints, deep linking settings).
    claims: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)

    registration: Mapped[Registration] = relationship()
    deployment: Mapped[Deployment] = relationship()
    user: Mapped[User] = relationship()
    course: Mapped[Course | None] = relationship()
    resource_link: Mapped[ResourceLink | None] = relationship()
