"""Platforms that answer LTI Dynamic Registration the way Moodle and Canvas do, over real HTTP.

Each checks the bearer token on both calls and the posted registration strictly, in the terms
its product documents: Moodle's configuration lists message types as strings and its answer
carries a deployment id; Canvas's lists them as objects with placements, and its answer carries
only a client id. Tests turn faults on through the attributes (`config_status`, ...).
"""
from __future__ import annotations

import secrets
import threading
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

from tests.conftest import free_port
from tests.helpers.keys import TestKey

TOOL_BASE = "http://localhost"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
RL, DL = "LtiResourceLinkRequest", "LtiDeepLinkingRequest"
CANVAS_PRIVACY = "https://canvas.instructure.com/lti/privacy_level"

# Canvas's placements per message type (a part of what Canvas offers; enough to check a choice).
CANVAS_RL_PLACEMENTS = ["account_navigation", "assignment_selection", "course_navigation", "link_selection",
                        "user_navigation", "wiki_page_menu"]
CANVAS_DL_PLACEMENTS = ["assignment_selection", "editor_button", "link_selection", "migration_selection"]


class RegistrationPlatform:
    """A platform counterpart for dynamic registration ("moodle" or "canvas"), with its own key set."""

    def __init__(self, kind: str, host: str) -> None:
        assert kind in ("moodle", "canvas")
        self.kind = kind
        self.key = TestKey.generate()
        self.host = host
        self.port = free_port(host)
        self.issuer = f"http://{host}:{self.port}"
        self.reset()
        app = Flask(f"{kind}-platform")
        app.add_url_rule(self.paths["config"], "config", self._configuration)
        app.add_url_rule(self.paths["registration"], "register", self._register, methods=["POST"])
        app.add_url_rule(self.paths["jwks"], "jwks", lambda: jsonify({"keys": [self.key.public_jwk()]}))
        self.server = make_server(host, self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    # -- what a test controls ------------------------------------------------------------------
    def reset(self) -> None:
        """A fresh registration token; no faults; nothing received."""
        self.token = secrets.token_urlsafe(24)
        self.config_status = 200
        self.config_body: str | None = None  # raw text instead of the configuration
        self.config_changes: dict[str, Any] = {}  # replace (or, with None, remove) top-level fields
        self.registration_status: int | None = None
        self.registration_answer: dict[str, Any] | None = None
        self.fixed_client_id: str | None = None
        self.config_requests: list[dict[str, str]] = []
        self.received: list[dict[str, Any]] = []
        self.problems: list[str] = []

    @property
    def paths(self) -> dict[str, str]:
        if self.kind == "moodle":
            return {"config": "/mod/lti/openid-configuration.php", "registration": "/mod/lti/openid-registration.php",
                    "jwks": "/mod/lti/certs.php", "auth": "/mod/lti/auth.php", "token": "/mod/lti/token.php"}
        return {"config": "/api/lti/security/openid-configuration", "registration": "/api/lti/registrations",
                "jwks": "/api/lti/security/jwks", "auth": "/api/lti/authorize_redirect", "token": "/login/oauth2/token"}

    @property
    def config_url(self) -> str:
        return self.issuer + self.paths["config"]

    def url(self, name: str) -> str:
        return self.issuer + self.paths[name]

    def shutdown(self) -> None:
        self.server.shutdown()

    # -- the platform's side -------------------------------------------------------------------
    def _bearer_ok(self) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    def configuration(self) -> dict[str, Any]:
        """The OpenID configuration in this product's form."""
        common = {
            "issuer": self.issuer,
            "authorization_endpoint": self.url("auth"),
            "token_endpoint": self.url("token"),
            "jwks_uri": self.url("jwks"),
            "registration_endpoint": self.url("registration"),
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["id_token"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }
        if self.kind == "moodle":
            document = {
                **common,
                "scopes_supported": [AGS + "lineitem", AGS + "lineitem.readonly", AGS + "result.readonly",
                                     AGS + "score", NRPS_SCOPE,
                                     "https://purl.imsglobal.org/spec/lti-ts/scope/toolsetting", "openid"],
                "subject_types_supported": ["public", "pairwise"],
                "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
                PLATFORM_CONFIGURATION: {
                    "product_family_code": "moodle",
                    "version": "4.5.1 (Build: 20241111)",
                    "messages_supported": [RL, DL],
                    "placements": ["AddContentMenu"],
                    "variables": ["basic-lti-launch-request", "Context.id", "User.id"],
                },
            }
        else:
            document = {
                **common,
                "scopes_supported": [AGS + "lineitem", AGS + "lineitem.readonly", AGS + "result.readonly",
                                     AGS + "score", NRPS_SCOPE,
                                     "https://canvas.instructure.com/lti/public_jwk/scope/update",
                                     "https://canvas.instructure.com/lti/account_lookup/scope/show"],
                "subject_types_supported": ["public"],
                "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "nickname", "picture",
                                     "email", "locale"],
                "authorization_server": self.host,
                PLATFORM_CONFIGURATION: {
                    "product_family_code": "canvas",
                    "version": "vCloud",
                    "messages_supported": [{"type": RL, "placements": CANVAS_RL_PLACEMENTS},
                                           {"type": DL, "placements": CANVAS_DL_PLACEMENTS}],
                    "variables": ["ResourceLink.id", "Canvas.course.id"],
                    "https://canvas.instructure.com/lti/account_name": "Test University",
                },
            }
        for name, value in self.config_changes.items():
            if value is None:
                document.pop(name, None)
            else:
                document[name] = value
        return document

    def _configuration(self) -> Response | tuple[Any, int]:
        self.config_requests.append(dict(request.headers))
        if not self._bearer_ok():
            return jsonify({"error": "invalid_token"}), 401
        if self.config_status != 200:
            return jsonify({"error": "server_error"}), self.config_status
        if self.config_body is not None:
            return Response(self.config_body, mimetype="application/json")
        return jsonify(self.configuration())

    def _register(self) -> Response | tuple[Any, int]:
        if not self._bearer_ok():
            return jsonify({"error": "missing_registration_token" if "Authorization" not in request.headers
                            else "token_already_used"}), 401
        document = request.get_json(silent=True)
        if request.mimetype != "application/json" or not isinstance(document, dict):
            return jsonify({"error": "invalid_client_metadata", "error_description": "not JSON"}), 400
        self.received.append(document)
        self.problems = check_moodle(document) if self.kind == "moodle" else check_canvas(document, self.configuration())
        if self.problems:
            return jsonify({"error": "invalid_client_metadata", "error_description": "; ".join(self.problems)}), 400
        if self.registration_status is not None:
            return jsonify({"error": "invalid_client_metadata", "error_description": "the site refused new tools"}), self.registration_status
        if self.registration_answer is not None:
            return jsonify(self.registration_answer)
        client_id = self.fixed_client_id or secrets.token_hex(8)
        if self.kind == "moodle":
            tool = document[TOOL_CONFIGURATION]
            answer = {  # the shape Moodle answers with: its own reading of the registration
                "client_id": client_id,
                "response_types": ["id_token"],
                "jwks_uri": document["jwks_uri"],
                "initiate_login_uri": document["initiate_login_uri"],
                "grant_types": ["client_credentials", "implicit"],
                "redirect_uris": document["redirect_uris"],
                "application_type": ["web"],
                "token_endpoint_auth_method": "private_key_jwt",
                "client_name": document["client_name"],
                "logo_uri": document.get("logo_uri", ""),
                "scope": document.get("scope", ""),
                TOOL_CONFIGURATION: {
                    "deployment_id": "7",
                    "target_link_uri": tool["target_link_uri"],
                    "domain": tool["domain"],
                    "description": tool.get("description", ""),
                    "messages": [m for m in tool.get("messages", []) if m.get("type") == DL],
                    "claims": ["sub", "iss", "name", "family_name", "middle_name", "email"],
                },
            }
        else:
            answer = {**document, "client_id": client_id}
        return jsonify(answer)


def _tool_problems(document: dict[str, Any]) -> list[str]:
    """What every platform requires of Rapport's registration, with Rapport's own addresses."""
    problems = []
    expected = {
        "initiate_login_uri": TOOL_BASE + "/lti/login",
        "jwks_uri": TOOL_BASE + "/lti/jwks.json",
        "client_name": "Rapport",
        "token_endpoint_auth_method": "private_key_jwt",
    }
    for name, value in expected.items():
        if document.get(name) != value:
            problems.append(f"{name} is {document.get(name)!r}, expected {value!r}")
    if document.get("redirect_uris") != [TOOL_BASE + "/lti/launch"]:
        problems.append(f"redirect_uris is {document.get('redirect_uris')!r}")
    if "id_token" not in (document.get("response_types") or []):
        problems.append("response_types lacks id_token")
    scopes = str(document.get("scope", "")).split()
    for needed in (AGS + "lineitem", AGS + "score", NRPS_SCOPE):
        if needed not in scopes:
            problems.append(f"scope lacks {needed}")
    tool = document.get(TOOL_CONFIGURATION)
    if not isinstance(tool, dict):
        return problems + ["the tool configuration is missing"]
    if tool.get("domain") != "localhost" or tool.get("target_link_uri") != TOOL_BASE + "/lti/launch":
        problems.append("domain or target_link_uri is wrong")
    if not isinstance(tool.get("messages"), list) or not all(isinstance(m, dict) for m in tool["messages"]):
        problems.append("messages must be a list of objects")
    if not document.get("logo_uri", "").startswith(TOOL_BASE + "/static/"):
        problems.append("logo_uri is missing")
    return problems


def check_moodle(document: dict[str, Any]) -> list[str]:
    """Moodle's reading (mod/lti registration helper): required attributes, web application, private_key_jwt."""
    problems = _tool_problems(document)
    if document.get("application_type") not in (None, "web"):
        problems.append("application_type must be web")
    tool = document.get(TOOL_CONFIGURATION) or {}
    types = [m.get("type") for m in tool.get("messages", []) if isinstance(m, dict)]
    if sorted(types) != sorted([RL, DL]):
        problems.append(f"messages are {types!r}")
    claims = tool.get("claims") or []
    if not {"iss", "sub", "name", "email"} <= set(claims):
        problems.append(f"claims are {claims!r}")
    return problems


def check_canvas(document: dict[str, Any], configuration: dict[str, Any]) -> list[str]:
    """Canvas's registration schema: every required field, the placements it offered per type."""
    problems = _tool_problems(document)
    if document.get("application_type") != "web":
        problems.append("application_type must be web")
    if sorted(document.get("grant_types") or []) != ["client_credentials", "implicit"]:
        problems.append("grant_types must be client_credentials and implicit")
    if document.get("response_types") != ["id_token"]:
        problems.append("response_types must be [id_token]")
    supported = configuration["scopes_supported"]
    for scope in str(document.get("scope", "")).split():
        if scope not in supported:
            problems.append(f"scope {scope} is not offered")
    tool = document.get(TOOL_CONFIGURATION) or {}
    if not isinstance(tool.get("claims"), list):
        problems.append("claims must be a list")
    if tool.get(CANVAS_PRIVACY) not in ("public", "name_only", "email_only", "anonymous"):
        problems.append("privacy level is missing or unknown")
    offered = {m["type"]: m["placements"] for m in configuration[PLATFORM_CONFIGURATION]["messages_supported"]}
    wanted = {}
    for message in tool.get("messages", []):
        if not isinstance(message, dict) or message.get("type") not in offered:
            problems.append(f"message {message!r} has no known type")
            continue
        placements = message.get("placements")
        if not isinstance(placements, list) or not placements:
            problems.append(f"message {message['type']} has no placements")
            continue
        for placement in placements:
            if placement not in offered[message["type"]]:
                problems.append(f"placement {placement} is not offered for {message['type']}")
        wanted[message["type"]] = sorted(placements)
    if wanted != {RL: ["course_navigation"], DL: ["assignment_selection", "link_selection"]}:
        problems.append(f"placements are {wanted!r}")
    return problems
