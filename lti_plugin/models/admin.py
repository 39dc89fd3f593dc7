"""Rapport's own administrators, refused launches kept for them, and dynamic registrations in progress."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class AdminUser(Base):
    """A person who may use Rapport's admin page; created with `rapport admin create`."""

    __tablename__ = "admin_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LaunchRefusal(Base):
    """One login or launch Rapport refused: when, why, and for which platform when it was known.

    Never the token or anything the user typed: the reason code, the HTTP status, and the issuer
    and client id the request claimed (unverified, for the administrator's orientation only).
    """

    __tablename__ = "launch_refusal"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    reason: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    issuer: Mapped[str | None] = mapped_column(String(255))
    client_id: Mapped[str | None] = mapped_column(String(255))


class RegistrationAttempt(Base):
    """A dynamic registration waiting for the administrator's confirmation.

    The platform's registration token and the configuration Rapport fetched stay here, on the
    server; the confirmation form carries only a random secret whose digest is the key.
    """

    __tablename__ = "registration_attempt"

    secret_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    configuration_url: Mapped[str] = mapped_column(String(2048))
    registration_token: Mapped[str | None] = mapped_column(Text)
    configuration: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
