"""Deep Linking 2.0 responses, signed by Rapport (pylti1p3's builder sends nulls and empty claims)."""
from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt

from . import claims as c
from .keys import current_key

RESOURCE_LINK = "ltiResourceLink"


@dataclass(frozen=True)
class ChosenItem:
    """One catalogue item an instructor picked, with its points and presentation."""

    kind: str
    item_id: str
    title: str
    text: str
    points: float | None
    graded: bool
    target: str  # "iframe" or "window"
    custom: Mapping[str, str] = field(default_factory=dict)  # more custom parameters (checklist settings)


def settings_allow(settings: dict[str, Any]) -> tuple[bool, bool, list[str]]:
    """(resource links accepted, several items accepted, presentation targets offered)."""
    types = settings.get("accept_types") or [RESOURCE_LINK]
    targets = [t for t in (settings.get("accept_presentation_document_targets") or ["iframe", "window"]) if t in ("iframe", "window")]
    return RESOURCE_LINK in types, bool(settings.get("accept_multiple", True)), targets or ["iframe"]


def content_item(item: ChosenItem, launch_url: str, accept_lineitem: bool) -> dict[str, Any]:
    """One ltiResourceLink content item."""
    custom = {**item.custom, "rapport_kind": item.kind, "rapport_id": item.item_id}
    if item.points is not None:
        custom["rapport_points"] = f"{item.points:g}"
    result: dict[str, Any] = {
        "type": RESOURCE_LINK,
        "title": item.title,
        "text": item.text,
        "url": launch_url,
        "custom": custom,
    }
    if item.graded and item.points and accept_lineitem:
        result["lineItem"] = {
            "scoreMaximum": item.points,
            "label": item.title,
            "resourceId": f"{item.kind}:{item.item_id}",
            "tag": "rapport",
        }
    if item.target == "window":
        result["window"] = {"targetName": f"rapport-{item.item_id}"}
    else:
        result["iframe"] = {"height": 900}
    return result


def response_jwt(issuer: str, client_id: str, deployment_id: str, settings: dict[str, Any],
                 items: list[dict[str, Any]], message: str) -> str:
    """The signed LtiDeepLinkingResponse: iss is Rapport's client id, aud the platform."""
    key = current_key()
    now = int(time.time())
    body: dict[str, Any] = {
        "iss": client_id,
        "aud": issuer,
        "iat": now,
        "exp": now + 300,
        "nonce": secrets.token_urlsafe(16),
        c.DEPLOYMENT_ID: deployment_id,
        c.MESSAGE_TYPE: "LtiDeepLinkingResponse",
        c.VERSION: "1.3.0",
        "https://purl.imsglobal.org/spec/lti-dl/claim/content_items": items,
        "https://purl.imsglobal.org/spec/lti-dl/claim/msg": message,
    }
    if "data" in settings:  # echoed only when the platform sent it
        body["https://purl.imsglobal.org/spec/lti-dl/claim/data"] = settings["data"]
    return jwt.encode(body, key.private_key_pem, algorithm="RS256", headers={"kid": key.kid})
