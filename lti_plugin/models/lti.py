"""Platform registrations, their deployments, and the tool's own signing keys."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow


class Registration(Base):
    """One client id of Rapport at one platform (an issuer may have several)."""

    __tablename__ = "registration"
    __table_args__ = (
        UniqueConstraint("issuer", "client_id"),
        CheckConstraint("origin IN ('manual', 'dynamic')", name="origin_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    auth_login_url: Mapped[str] = mapped_column(String(1024))
    auth_token_url: Mapped[str] = mapped_column(String(1024))
    key_set_url: Mapped[str] = mapped_column(String(1024))
    # Some platforms want another `aud` in the client assertion than the token URL.
    auth_audience: Mapped[str | None] = mapped_column(String(1024))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # How the registration was made: by hand (`rapport platform add`) or by dynamic registration,
    # and the platform's product as it described itself then (e.g. "moodle 4.5").
    origin: Mapped[str] = mapped_column(String(16), default="manual", server_default="manual")
    product: Mapped[str] = mapped_column(String(255), default="", server_default="")

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by="Deployment.id"
    )

    def __repr__(self) -> str:
        return f"<Registration {self.issuer} {self.client_id}>"


class Deployment(Base):
    """One installation of Rapport within a registration; unknown ones wait for approval."""

    __tablename__ = "deployment"
    __table_args__ = (UniqueConstraint("registration_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    deployment_id: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_launch_at: Mapped[datetime | None]

    registration: Mapped[Registration] = relationship(back_populates="deployments")


class SigningKey(Base):
    """An RSA key Rapport signs with (deep linking responses, client assertions)."""

    __tablename__ = "signing_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_key_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(default=True)
    retired_at: Mapped[datetime | None]
