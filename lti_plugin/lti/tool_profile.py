"""What Rapport tells a platform about itself: name, addresses, scopes, claims, placements.

Dynamic registration (`dynamic_registration.py`) and the Canvas developer-key configuration
(`canvas_config.py`) both describe Rapport from these values, so the two never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .claims import DEEP_LINKING_REQUEST, RESOURCE_LINK_REQUEST
from .score_sender import LINEITEM_SCOPE, SCORE_SCOPE

TOOL_NAME = "Rapport"
TOOL_ID = "rapport"
TOOL_DESCRIPTION = (
    "Relational-skills curriculum for medical education: online modules with video and quizzes, "
    "grades in the gradebook, and checklists that coaches, standardized patients, peers and "
    "students fill in about each other."
)

AGS_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/"
SCOPES = (
    LINEITEM_SCOPE,
    AGS_SCOPE + "lineitem.readonly",
    AGS_SCOPE + "result.readonly",
    SCORE_SCOPE,
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
)

# The OpenID claims Rapport asks for: names for rosters and reports, the email to tell people apart.
CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email", "picture")

# Canvas's privacy level: "public" sends names, email and picture (Rapport's rosters need names).
CANVAS_PRIVACY_LEVEL = "public"
CANVAS_PRIVACY_EXTENSION = "https://canvas.instructure.com/lti/privacy_level"


@dataclass(frozen=True)
class Placement:
    """Where in Canvas Rapport appears, with which message, under which label."""

    name: str
    message_type: str
    label: str


CANVAS_PLACEMENTS = (
    Placement("assignment_selection", DEEP_LINKING_REQUEST, "Rapport activity"),
    Placement("link_selection", DEEP_LINKING_REQUEST, "Rapport activity"),
    Placement("course_navigation", RESOURCE_LINK_REQUEST, TOOL_NAME),
)

MESSAGE_LABELS = {RESOURCE_LINK_REQUEST: TOOL_NAME, DEEP_LINKING_REQUEST: "Add a Rapport activity"}


@dataclass(frozen=True)
class ToolAddresses:
    """Rapport's public addresses, as platforms must reach them."""

    base: str
    login: str
    launch: str
    jwks: str
    logo: str

    @property
    def domain(self) -> str:
        """The host (with a port when it has one) platforms use to recognise Rapport's links."""
        return urlsplit(self.base).netloc
