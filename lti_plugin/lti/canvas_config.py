"""Rapport's Canvas developer-key configuration (the JSON Canvas reads from "Enter URL")."""
from __future__ import annotations

from typing import Any

from .claims import DEEP_LINKING_REQUEST
from .tool_profile import (
    CANVAS_PLACEMENTS,
    CANVAS_PRIVACY_LEVEL,
    SCOPES,
    TOOL_DESCRIPTION,
    TOOL_ID,
    TOOL_NAME,
    ToolAddresses,
)

CANVAS_PLATFORM = "canvas.instructure.com"
# Content selection opens in a dialog; this size fits the catalogue without scrolling sideways.
SELECTION_WIDTH, SELECTION_HEIGHT = 800, 640


def canvas_configuration(addresses: ToolAddresses) -> dict[str, Any]:
    """The developer-key JSON: login and launch addresses, key set, scopes, placements, privacy."""
    placements = []
    for placement in CANVAS_PLACEMENTS:
        entry: dict[str, Any] = {
            "placement": placement.name,
            "message_type": placement.message_type,
            "text": placement.label,
            "icon_url": addresses.logo,
            "target_link_uri": addresses.launch,
        }
        if placement.message_type == DEEP_LINKING_REQUEST:
            entry.update(selection_width=SELECTION_WIDTH, selection_height=SELECTION_HEIGHT)
        placements.append(entry)
    return {
        "title": TOOL_NAME,
        "description": TOOL_DESCRIPTION,
        "oidc_initiation_url": addresses.login,
        "target_link_uri": addresses.launch,
        "scopes": list(SCOPES),
        "public_jwk_url": addresses.jwks,
        "extensions": [
            {
                "platform": CANVAS_PLATFORM,
                "domain": addresses.domain,
                "tool_id": TOOL_ID,
                "privacy_level": CANVAS_PRIVACY_LEVEL,
                "settings": {"text": TOOL_NAME, "icon_url": addresses.logo, "placements": placements},
            }
        ],
    }
