"""A pylti1p3 tool configuration read from Rapport's database: many issuers, client ids, deployments."""
from __future__ import annotations

from typing import Any

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration as LtiRegistration
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import bindparam, func, select

from ..extensions import db
from ..models import Deployment, Registration
from .config_cache import DeploymentInfo, RegistrationInfo, cached


# Built once: every login and launch runs this lookup, and building a statement costs more
# than running it.
_BY_ISSUER_AND_CLIENT = select(Registration).where(
    Registration.issuer == bindparam("iss"), Registration.client_id == bindparam("client_id"))
_DEPLOYMENT = select(Deployment).where(
    Deployment.registration_id == bindparam("registration_id"), Deployment.deployment_id == bindparam("deployment_id"))


class RapportRegistration(LtiRegistration):
    """pylti1p3's registration, knowing the database row it came from."""

    def __init__(self, row: RegistrationInfo) -> None:
        super().__init__()
        self.row = row
        self.set_issuer(row.issuer).set_client_id(row.client_id)
        self.set_auth_login_url(row.auth_login_url).set_auth_token_url(row.auth_token_url)
        self.set_key_set_url(row.key_set_url)
        if row.auth_audience:
            self.set_auth_audience(row.auth_audience)


def _registration(iss: str, client_id: str) -> RapportRegistration | None:
    row = db.session.scalar(_BY_ISSUER_AND_CLIENT, {"iss": iss, "client_id": client_id})
    return RapportRegistration(RegistrationInfo.of(row)) if row else None


def find_deployment_info(registration_id: int, deployment_id: str) -> DeploymentInfo | None:
    """A registration's deployment by the platform's id (kept a few seconds by this process), or None."""
    def load() -> DeploymentInfo | None:
        row = db.session.scalar(_DEPLOYMENT, {"registration_id": registration_id, "deployment_id": deployment_id})
        return DeploymentInfo.of(row) if row is not None else None

    return cached("deployment", (registration_id, deployment_id), load)


class DatabaseToolConf(ToolConfAbstract[Any]):
    """Registrations and deployments from the database, with no bare exceptions on unknowns."""

    def __init__(self) -> None:
        super().__init__()

    def check_iss_has_one_client(self, iss: str) -> bool:
        count = db.session.scalar(
            select(func.count()).select_from(Registration).where(Registration.issuer == iss)
        )
        return count == 1

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return not self.check_iss_has_one_client(iss)

    def issuer_known(self, iss: str) -> bool:
        """True when at least one registration has this issuer."""
        found = db.session.scalar(select(Registration.id).where(Registration.issuer == iss).limit(1))
        return found is not None

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> RapportRegistration | None:  # type: ignore[override]
        rows = db.session.scalars(select(Registration).where(Registration.issuer == iss).limit(2)).all()
        return RapportRegistration(RegistrationInfo.of(rows[0])) if len(rows) == 1 else None

    def find_registration_by_params(  # type: ignore[override]
        self, iss: str, client_id: str | None, *args: Any, **kwargs: Any
    ) -> RapportRegistration | None:
        if not client_id:
            return self.find_registration_by_issuer(iss)
        return cached("registration", (iss, client_id), lambda: _registration(iss, client_id))

    def _deployment(self, iss: str, deployment_id: str, client_id: str | None) -> LtiDeployment | None:
        query = (
            select(Deployment)
            .join(Registration)
            .where(Registration.issuer == iss, Deployment.deployment_id == deployment_id, Deployment.active)
        )
        if client_id:
            query = query.where(Registration.client_id == client_id)
        row = db.session.scalars(query.limit(1)).first()
        return LtiDeployment().set_deployment_id(row.deployment_id) if row else None

    def find_deployment(self, iss: str, deployment_id: str) -> LtiDeployment | None:  # type: ignore[override]
        return self._deployment(iss, deployment_id, None)

    def find_deployment_by_params(  # type: ignore[override]
        self, iss: str, deployment_id: str, client_id: str | None, *args: Any, **kwargs: Any
    ) -> LtiDeployment | None:
        return self._deployment(iss, deployment_id, client_id)
