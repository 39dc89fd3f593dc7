"""OIDC third-party login: check the request, remember state and nonce, send the browser on."""
from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from flask import current_app

from .errors import ADMIN_HINT_APPROVE, ADMIN_HINT_REGISTRATION, REGISTRATION_INACTIVE, LaunchRefused
from .platform_storage import platform_origin, relaunch_params, storage_target
from .state import PendingLogin, StateStore, digest
from .tool_config import DatabaseToolConf

MAX_PARAM_LENGTH = 2048


def same_origin(url: str, base: str) -> bool:
    """True when `url` is on the scheme, host and port of `base`."""
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc.lower()) == (b.scheme, b.netloc.lower())


@dataclass(frozen=True)
class LoginStart:
    """Where the browser goes next, and what the login page keeps in platform storage, if offered."""

    auth_url: str
    state: str
    nonce: str
    storage_target: str | None
    platform_origin: str


def begin_login(
    params: Mapping[str, str], browser_id: str, base_url: str, launch_url: str, store: StateStore
) -> LoginStart:
    """Validate a login initiation, remember state and nonce, and say where the browser goes next."""
    for name in ("iss", "login_hint", "target_link_uri"):
        if not params.get(name):
            raise LaunchRefused(
                "login_param_missing",
                f"The platform's login request has no {name}.",
                "The platform is not sending a standard LTI 1.3 login; check its tool settings.",
            )
    for name, value in params.items():
        if len(value) > MAX_PARAM_LENGTH:
            raise LaunchRefused("login_param_too_long", f"The login parameter {name} is too long.")
    target = params["target_link_uri"]
    if not same_origin(target, base_url):
        raise LaunchRefused(
            "target_link_not_ours",
            "The platform asked to open an address that is not Rapport's.",
            f"Set the tool's target link URI to {launch_url}.",
        )
    iss, client_id = params["iss"], params.get("client_id") or None
    conf = DatabaseToolConf()
    registration = conf.find_registration_by_params(iss, client_id)
    if registration is None:
        if client_id is None and conf.check_iss_has_many_clients(iss) and conf.issuer_known(iss):
            raise LaunchRefused(
                "login_client_id_missing",
                "Rapport is registered several times with this platform and the login does "
                "not say which registration it is for.",
                "Configure the platform to send client_id with its login requests.",
            )
        raise LaunchRefused(
            "unknown_platform",
            "Rapport does not know this platform or client id.",
            ADMIN_HINT_REGISTRATION + " Register it with `rapport platform add`.",
            403,
        )
    row = registration.row
    if not row.active:
        raise LaunchRefused("registration_inactive", REGISTRATION_INACTIVE, ADMIN_HINT_APPROVE, 403)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    ttl = current_app.config["LOGIN_STATE_SECONDS"]
    target_frame = storage_target(params)
    store.put_login(
        state,
        PendingLogin(row.id, digest(nonce), digest(browser_id), target, target_frame, relaunch_params(params)),
        ttl,
    )
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": row.client_id,
        "redirect_uri": launch_url,
        "state": state,
        "nonce": nonce,
        "login_hint": params["login_hint"],
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if urlsplit(row.auth_login_url).query else "?"
    return LoginStart(row.auth_login_url + separator + urlencode(query), state, nonce, target_frame,
                      platform_origin(row.auth_login_url))

