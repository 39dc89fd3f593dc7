"""LTI Platform Storage: keeping a login's state and nonce in the platform's frame when cookies fail.

A platform that offers it names a frame in the login request (`lti_storage_target`). Rapport's
login page then stores `state_<state>` and `nonce_<nonce>` there with `lti.put_data` before going
to the platform; when the launch arrives without Rapport's cookie (a browser that blocks
third-party cookies), the launch page reads both back with `lti.get_data` and sends them to
Rapport, which checks them against the pending login instead of the cookie. The browser side is
`static/platform-storage.js`; this module holds the server side's rules.
"""
from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from .errors import ADMIN_HINT_RETRY, LaunchRefused

# A frame name as platforms send it ("_parent", "post_message_forwarding", ...).
TARGET_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
# What a new window needs to start the same login again (never the storage target: a window
# opened on its own has no platform frame to talk to, and is first-party anyway).
RELAUNCH_PARAMS = ("iss", "login_hint", "target_link_uri", "lti_message_hint", "client_id", "lti_deployment_id")
MAX_VALUE_LENGTH = 512


@dataclass(frozen=True)
class StoredLogin:
    """The state and nonce the launch page read back from the platform's storage."""

    state: str
    nonce: str


def storage_target(params: Mapping[str, str]) -> str | None:
    """The frame named by `lti_storage_target`, when it is a sane frame name."""
    value = params.get("lti_storage_target", "")
    return value if TARGET_NAME.match(value) else None


def platform_origin(auth_login_url: str) -> str:
    """The origin Rapport's messages go to and must come from: the platform's OIDC auth URL's."""
    parts = urlsplit(auth_login_url)
    return f"{parts.scheme}://{parts.netloc}"


def relaunch_params(params: Mapping[str, str]) -> dict[str, str]:
    """The login parameters worth keeping to start the launch again in a new window."""
    return {name: params[name] for name in RELAUNCH_PARAMS if params.get(name)}


def relaunch_url(login_url: str, relaunch: Mapping[str, str] | None) -> str | None:
    """Rapport's login URL with the original parameters, or None when they were not kept."""
    if not relaunch or not relaunch.get("iss") or not relaunch.get("login_hint"):
        return None
    return login_url + "?" + urlencode(dict(relaunch))


def state_key(state: str) -> str:
    """The storage key of a login's state."""
    return "state_" + state


def nonce_key(nonce: str) -> str:
    """The storage key of a login's nonce."""
    return "nonce_" + nonce


def unverified_nonce(id_token: str) -> str | None:
    """The nonce claim of an id_token not yet verified (the page asks the platform for its value)."""
    try:
        body = id_token.split(".")[1]
        claims: Any = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (IndexError, ValueError):
        return None
    nonce = claims.get("nonce") if isinstance(claims, dict) else None
    return nonce if isinstance(nonce, str) and 0 < len(nonce) <= MAX_VALUE_LENGTH else None


def stored_login(data: Mapping[str, Any]) -> StoredLogin:
    """The values the launch page read from platform storage, or a refusal saying which is missing."""
    values = {}
    for name in ("stored_state", "stored_nonce"):
        value = data.get(name)
        if not isinstance(value, str) or not value or len(value) > MAX_VALUE_LENGTH:
            raise LaunchRefused(
                "storage_value_missing",
                "Your platform's storage did not return this launch's login details.",
                ADMIN_HINT_RETRY + " If it keeps happening, open the activity in a new window.",
            )
        values[name] = value
    return StoredLogin(values["stored_state"], values["stored_nonce"])
