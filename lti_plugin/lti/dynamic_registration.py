"""LTI Dynamic Registration 1.0: fetch the platform's configuration, register Rapport, keep the answer.

The platform opens `/lti/register` with `openid_configuration` (where its configuration is)
and `registration_token` (a bearer token for that address and for its registration endpoint).
Rapport fetches and checks the configuration, keeps it with the token on the server while the
administrator reviews what will be registered, then posts its registration and stores the
client id (and deployment id, when the platform gives one) it gets back.
"""
from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from marshmallow import ValidationError
from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import Deployment, Registration, RegistrationAttempt, utcnow
from .claims import DEEP_LINKING_REQUEST, RESOURCE_LINK_REQUEST
from .errors import PlatformCallError, RegistrationRefused
from .http import get_json, post_json
from .registration_schemas import (
    TOOL_CONFIGURATION,
    PlatformConfiguration,
    RegistrationResponseSchema,
    load_platform_configuration,
    internal_url_problem,
    problems,
    url_problem,
)
from .state import digest
from .tool_profile import (
    CANVAS_PLACEMENTS,
    CANVAS_PRIVACY_EXTENSION,
    CANVAS_PRIVACY_LEVEL,
    CLAIMS,
    MESSAGE_LABELS,
    SCOPES,
    TOOL_DESCRIPTION,
    TOOL_NAME,
    ToolAddresses,
)

log = logging.getLogger("rapport.registration")

ATTEMPT_SECONDS = 3600
MAX_CONFIGURATION_BYTES = 256 * 1024
# Registrations started but not confirmed yet (each holds a fetched configuration for an hour).
MAX_WAITING_ATTEMPTS = 200
HINT_RESTART = "Start the registration again from your platform's page for adding tools."
HINT_PLATFORM_SIDE = (
    "The platform may already list Rapport as a new tool: remove that entry there, then start "
    "the registration again."
)


def _refuse(code: str, message: str, hint: str = HINT_RESTART, status: int = 400) -> RegistrationRefused:
    return RegistrationRefused(code, message, hint, status)


def configuration_belongs_to_issuer(url: str, issuer: str) -> bool:
    """True when the configuration address is on the issuer's scheme, host and port, and under it."""
    a, b = urlsplit(url), urlsplit(issuer)
    if (a.scheme.lower(), a.netloc.lower()) != (b.scheme.lower(), b.netloc.lower()):
        return False
    prefix = b.path.rstrip("/")
    return a.path == prefix or a.path.startswith(prefix + "/")


def fetch_platform_configuration(url: str, token: str | None, *, allow_internal: bool) -> tuple[dict[str, Any], PlatformConfiguration]:
    """GET the platform's configuration with the registration token and check it thoroughly.

    `allow_internal` is for a Rapport that itself runs on this machine (development, tests);
    a public Rapport refuses addresses of this machine or private networks, so that the public
    registration page cannot be used to probe them.
    """
    problem = (url_problem(url) or (None if allow_internal else internal_url_problem(url))) if url else "is missing"
    if problem:
        raise _refuse("configuration_url_refused", f"The platform's configuration address {problem}.",
                      "Open this page from your platform's “register a tool” screen, not directly.")
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        document = get_json(url, "its OpenID configuration", headers, allow_redirects=False)
    except PlatformCallError as error:
        if error.status in (401, 403):
            raise _refuse(
                "registration_token_refused",
                f"The platform refused Rapport's registration token (it answered {error.status})"
                + (": the registration link came without one." if not token else "."),
                "Registration links work once and expire after a while. " + HINT_RESTART,
                502,
            ) from None
        raise _refuse("configuration_unavailable", str(error), HINT_RESTART + " If it keeps failing, "
                      "the platform's administrator should check that dynamic registration is enabled.", 502) from None
    if len(json.dumps(document)) > MAX_CONFIGURATION_BYTES:
        raise _refuse("configuration_too_large", "The platform's configuration is larger than Rapport accepts.", status=502)
    try:
        config = load_platform_configuration(document)
    except ValidationError as error:
        raise _refuse(
            "configuration_invalid",
            f"The platform's configuration is not one Rapport can register with: {problems(error)}.",
            "Your platform may not support LTI Dynamic Registration 1.0; register Rapport by hand "
            "instead (see Rapport's guides).",
            502,
        ) from None
    if not allow_internal:
        for name, address in (("token_endpoint", config.token_endpoint), ("jwks_uri", config.jwks_uri),
                              ("registration_endpoint", config.registration_endpoint)):
            internal = internal_url_problem(address)
            if internal:
                raise _refuse("configuration_invalid", f"The platform's configuration is not one Rapport can "
                              f"register with: {name} {internal}.", status=502)
    if not configuration_belongs_to_issuer(url, config.issuer):
        raise _refuse(
            "configuration_not_from_issuer",
            f"The configuration at {url} says it belongs to {config.issuer}, which is another site. "
            "Rapport registers only with the site a configuration comes from.",
            "If this is really your platform, its site address setting (the issuer) is probably "
            "wrong; otherwise do not continue.",
        )
    return document, config


def begin_registration(url: str, token: str | None, *, allow_internal: bool) -> tuple[str, PlatformConfiguration]:
    """Fetch and check the configuration, keep it with the token on the server; returns the form secret."""
    now = utcnow()
    db.session.execute(delete(RegistrationAttempt).where(RegistrationAttempt.expires_at < now))
    waiting = db.session.scalar(select(func.count()).select_from(RegistrationAttempt))
    if waiting is not None and waiting >= MAX_WAITING_ATTEMPTS:
        raise _refuse("registrations_busy", "Too many registrations are waiting for confirmation just now.",
                      "Wait an hour, or confirm or abandon the registrations already started.", 503)
    document, config = fetch_platform_configuration(url, token, allow_internal=allow_internal)
    secret = secrets.token_urlsafe(32)
    db.session.add(RegistrationAttempt(
        secret_hash=digest(secret), configuration_url=url, registration_token=token or None,
        configuration=document, created_at=now, expires_at=now + timedelta(seconds=ATTEMPT_SECONDS),
    ))
    db.session.flush()
    return secret, config


@dataclass(frozen=True)
class PendingRegistration:
    """A registration the administrator confirmed: what was fetched, and the token to send it with."""

    configuration_url: str
    token: str | None
    config: PlatformConfiguration


def take_attempt(secret: str) -> PendingRegistration:
    """The attempt a confirmation form names, removed so it works once (flushes)."""
    row = db.session.get(RegistrationAttempt, digest(secret)) if secret and len(secret) <= 128 else None
    if row is None or row.expires_at < utcnow():
        raise _refuse(
            "registration_attempt_unknown",
            "This registration has expired or was already completed.",
            HINT_RESTART,
        )
    pending = PendingRegistration(row.configuration_url, row.registration_token,
                                  load_platform_configuration(row.configuration))
    if db.session.execute(delete(RegistrationAttempt).where(RegistrationAttempt.secret_hash == row.secret_hash)).rowcount != 1:  # type: ignore[attr-defined]
        raise _refuse("registration_attempt_unknown", "This registration was already completed.", HINT_RESTART)
    return pending


def token_audience(config: PlatformConfiguration) -> str | None:
    """The `aud` of Rapport's client assertions when it is not the token URL.

    The specification names `authorization_server` for this. Canvas fills it with a bare host
    name while its token endpoint checks for the token URL (as its documentation says), so only
    an address is taken; anything else leaves the token URL, the common default.
    """
    server = config.authorization_server
    if server and server != config.token_endpoint and url_problem(server) is None:
        return server
    return None


def requested_scopes(config: PlatformConfiguration) -> list[str]:
    """Rapport's scopes that the platform offers (all of them when it does not say)."""
    offered = config.scopes_supported
    return [s for s in SCOPES if offered is None or s in offered]


def requested_claims(config: PlatformConfiguration) -> list[str]:
    """Rapport's claims that the platform offers; iss and sub always."""
    offered = config.claims_supported
    return [c for c in CLAIMS if c in ("iss", "sub") or offered is None or c in offered]


def _messages(config: PlatformConfiguration, addresses: ToolAddresses) -> list[dict[str, Any]]:
    messages = []
    for message_type in (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST):
        if message_type not in config.messages:
            continue
        message: dict[str, Any] = {
            "type": message_type,
            "target_link_uri": addresses.launch,
            "label": MESSAGE_LABELS[message_type],
            "icon_uri": addresses.logo,
        }
        offered = config.messages[message_type]
        if offered is not None:  # Canvas's form: ask for the placements it offers for this type
            message["placements"] = [p.name for p in CANVAS_PLACEMENTS
                                     if p.message_type == message_type and p.name in offered]
        messages.append(message)
    return messages


def registration_document(config: PlatformConfiguration, addresses: ToolAddresses) -> dict[str, Any]:
    """The client registration Rapport posts: OpenID client metadata plus its LTI tool configuration."""
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": addresses.login,
        "redirect_uris": [addresses.launch],
        "client_name": TOOL_NAME,
        "jwks_uri": addresses.jwks,
        "logo_uri": addresses.logo,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(requested_scopes(config)),
        TOOL_CONFIGURATION: {
            "domain": addresses.domain,
            "target_link_uri": addresses.launch,
            "description": TOOL_DESCRIPTION,
            "claims": requested_claims(config),
            "messages": _messages(config, addresses),
            CANVAS_PRIVACY_EXTENSION: CANVAS_PRIVACY_LEVEL,
        },
    }


def complete_registration(pending: PendingRegistration, addresses: ToolAddresses, active: bool) -> Registration:
    """Post Rapport's registration and store the registration the platform answers with (flushes)."""
    config = pending.config
    headers = {"Authorization": f"Bearer {pending.token}"} if pending.token else {}
    try:
        answer = post_json(config.registration_endpoint, "Rapport's registration",
                           registration_document(config, addresses), headers)
    except PlatformCallError as error:
        said = f" It said: “{error.detail}”." if error.detail else ""
        if error.status in (401, 403):
            raise _refuse("registration_token_refused",
                          f"The platform refused Rapport's registration token when Rapport registered (it answered {error.status}).{said}",
                          "Registration links work once and expire after a while. " + HINT_RESTART, 502) from None
        raise _refuse("registration_rejected", f"The platform did not accept Rapport's registration. {error}{said}",
                      HINT_RESTART + " If it fails again, your platform's administrator can register Rapport "
                      "by hand (see Rapport's guides).", 502) from None
    try:
        data = RegistrationResponseSchema().load(answer if isinstance(answer, dict) else {})
    except ValidationError as error:
        raise _refuse("registration_answer_invalid",
                      f"The platform's answer to Rapport's registration is not usable: {problems(error)}.",
                      HINT_PLATFORM_SIDE, 502) from None
    client_id = data["client_id"].strip()
    deployment_id = data["tool"].get("deployment_id")
    if isinstance(deployment_id, int) and not isinstance(deployment_id, bool):
        deployment_id = str(deployment_id)
    if deployment_id is not None and (not isinstance(deployment_id, str) or not 0 < len(deployment_id) <= 255):
        raise _refuse("registration_answer_invalid",
                      "The platform's answer to Rapport's registration has a deployment id that is not usable.",
                      HINT_PLATFORM_SIDE, 502)
    exists = db.session.scalar(select(Registration.id).where(
        Registration.issuer == config.issuer, Registration.client_id == client_id))
    if exists is not None:
        raise _refuse("registration_exists",
                      f"Rapport already has a registration with {config.issuer} and client id {client_id}.",
                      "Nothing was changed in Rapport. " + HINT_PLATFORM_SIDE, 409)
    row = Registration(
        issuer=config.issuer, client_id=client_id, name=config.display_name[:255], product=config.product[:255],
        auth_login_url=config.authorization_endpoint, auth_token_url=config.token_endpoint,
        key_set_url=config.jwks_uri, auth_audience=token_audience(config), active=active, origin="dynamic",
    )
    if deployment_id:
        # The registration's own state gates launches; its first deployment needs no second approval.
        row.deployments.append(Deployment(deployment_id=deployment_id, active=True))
    db.session.add(row)
    db.session.flush()
    log.info("dynamic registration stored issuer=%s client_id=%s deployment=%s active=%s",
             config.issuer, client_id, deployment_id or "-", active)
    return row
