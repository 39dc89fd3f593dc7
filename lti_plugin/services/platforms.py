"""What the admin page shows and changes: registrations, deployments, their state."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Deployment, Registration


@dataclass(frozen=True)
class RegistrationSummary:
    """A registration with its deployments and the time of its latest launch."""

    registration: Registration
    last_launch_at: datetime | None


def registration_summaries() -> list[RegistrationSummary]:
    """Every registration, those waiting for approval first, then by issuer."""
    rows = db.session.scalars(
        select(Registration).options(selectinload(Registration.deployments))
        .order_by(Registration.active, Registration.issuer, Registration.id)
    ).all()
    summaries = []
    for row in rows:
        launches = [d.last_launch_at for d in row.deployments if d.last_launch_at is not None]
        summaries.append(RegistrationSummary(row, max(launches) if launches else None))
    return summaries


def set_registration_active(registration_id: int, active: bool) -> Registration | None:
    """Approve (True) or turn off (False) a registration; None when there is no such one (flushes)."""
    row = db.session.get(Registration, registration_id)
    if row is not None:
        row.active = active
        db.session.flush()
    return row


def set_deployment_active(deployment_id: int, active: bool) -> Deployment | None:
    """Approve (True) or turn off (False) a deployment by its row id; None when unknown (flushes)."""
    row = db.session.get(Deployment, deployment_id)
    if row is not None:
        row.active = active
        db.session.flush()
    return row
