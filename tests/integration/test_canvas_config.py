"""/lti/canvas.json checked against Canvas's documentation of a developer-key JSON configuration
("Configuring LTI Advantage Tools": required keys and their types, the scopes it allows, the
privacy levels, and which placements accept which message type)."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests

RL, DL = "LtiResourceLinkRequest", "LtiDeepLinkingRequest"
CANVAS_SCOPES = {
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://canvas.instructure.com/lti/public_jwk/scope/update",
}
PRIVACY_LEVELS = {"anonymous", "public", "name_only", "email_only"}
# Placement names Canvas documents, by the message types each accepts.
PLACEMENTS = {
    RL: {"account_navigation", "assignment_edit", "assignment_group_menu", "assignment_index_menu", "assignment_menu",
         "assignment_selection", "assignment_view", "collaboration", "conference_selection", "course_assignments_menu",
         "course_home_sub_navigation", "course_navigation", "course_settings_sub_navigation",
         "discussion_topic_index_menu", "discussion_topic_menu", "file_index_menu", "file_menu", "global_navigation",
         "homework_submission", "link_selection", "migration_selection", "module_group_menu", "module_index_menu",
         "module_index_menu_modal", "module_menu_modal", "module_menu", "post_grades", "quiz_index_menu", "quiz_menu",
         "resource_selection", "similarity_detection", "student_context_card", "submission_type_selection",
         "tool_configuration", "user_navigation", "wiki_index_menu", "wiki_page_menu"},
    DL: {"assignment_selection", "collaboration", "conference_selection", "course_assignments_menu", "editor_button",
         "homework_submission", "link_selection", "migration_selection", "module_index_menu_modal",
         "module_menu_modal", "resource_selection", "submission_type_selection"},
}


def _url(value: Any) -> bool:
    parts = urlsplit(value) if isinstance(value, str) else None
    return bool(parts and parts.scheme in ("http", "https") and parts.netloc)


def canvas_problems(config: Any) -> list[str]:
    """Everything in `config` that Canvas's documented JSON configuration would not accept."""
    if not isinstance(config, dict):
        return ["the configuration is not an object"]
    problems = []
    for key in ("title", "description", "oidc_initiation_url", "target_link_uri"):
        if not isinstance(config.get(key), str) or not config[key]:
            problems.append(f"{key} is required text")
    for key in ("oidc_initiation_url", "target_link_uri"):
        if not _url(config.get(key)):
            problems.append(f"{key} is not a URL")
    if "public_jwk" not in config and not _url(config.get("public_jwk_url")):
        problems.append("public_jwk or public_jwk_url is required")
    scopes = config.get("scopes", [])
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        problems.append("scopes must be a list of strings")
    else:
        problems += [f"scope {s} is not one Canvas allows" for s in scopes if s not in CANVAS_SCOPES]
    custom = config.get("custom_fields", {})
    if not isinstance(custom, dict) or not all(isinstance(v, str) for v in custom.values()):
        problems.append("custom_fields must map names to text")
    extensions = config.get("extensions", [])
    if not isinstance(extensions, list):
        return problems + ["extensions must be a list"]
    for extension in extensions:
        if not isinstance(extension, dict):
            problems.append("each extension must be an object")
            continue
        if extension.get("platform") != "canvas.instructure.com":
            problems.append("the extension's platform must be canvas.instructure.com")
        if extension.get("privacy_level") not in PRIVACY_LEVELS:
            problems.append(f"privacy_level {extension.get('privacy_level')!r} is not one Canvas knows")
        settings = extension.get("settings", {})
        if not isinstance(settings, dict):
            problems.append("settings must be an object")
            continue
        for key in ("text", "icon_url"):
            if key in settings and not isinstance(settings[key], str):
                problems.append(f"settings.{key} must be text")
        for placement in settings.get("placements", []):
            name, message_type = placement.get("placement"), placement.get("message_type", RL)
            if message_type not in PLACEMENTS:
                problems.append(f"{name}: message_type {message_type!r} is not one Canvas knows")
            elif name not in PLACEMENTS[message_type]:
                problems.append(f"{name} does not accept {message_type}")
            for key in ("target_link_uri", "icon_url"):
                if key in placement and not _url(placement[key]):
                    problems.append(f"{name}: {key} is not a URL")
            for key in ("selection_width", "selection_height"):
                if key in placement and not isinstance(placement[key], (int, str)):
                    problems.append(f"{name}: {key} must be a number")
    return problems


def test_the_checker_catches_what_canvas_refuses() -> None:
    bad = {"title": "", "oidc_initiation_url": "nope", "scopes": ["https://example.com/scope"],
           "extensions": [{"platform": "canvas", "privacy_level": "everything",
                           "settings": {"placements": [{"placement": "editor_button", "message_type": RL},
                                                       {"placement": "course_navigation", "message_type": "Other"}]}}]}
    problems = canvas_problems(bad)
    for fragment in ("title is required", "description is required", "oidc_initiation_url is not a URL",
                     "public_jwk or public_jwk_url", "not one Canvas allows", "must be canvas.instructure.com",
                     "privacy_level 'everything'", "editor_button does not accept LtiResourceLinkRequest",
                     "message_type 'Other'"):
        assert any(fragment in p for p in problems), fragment


def test_canvas_json_is_valid_and_names_rapport(client) -> None:
    response = client.get("/lti/canvas.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    config = response.get_json()
    assert canvas_problems(config) == []
    assert config["oidc_initiation_url"] == "http://localhost/lti/login"
    assert config["target_link_uri"] == "http://localhost/lti/launch"
    assert config["public_jwk_url"] == "http://localhost/lti/jwks.json"
    extension = config["extensions"][0]
    assert extension["privacy_level"] == "public" and extension["domain"] == "localhost"
    placements = {p["placement"]: p["message_type"] for p in extension["settings"]["placements"]}
    assert placements == {"assignment_selection": DL, "link_selection": DL, "course_navigation": RL}
    assert {"https://purl.imsglobal.org/spec/lti-ags/scope/score",
            "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"} <= set(config["scopes"])


def test_canvas_json_uses_public_url(app, client) -> None:
    app.config["PUBLIC_URL"] = "https://rapport.example.edu"
    config = client.get("/lti/canvas.json").get_json()
    assert canvas_problems(config) == []
    assert config["oidc_initiation_url"] == "https://rapport.example.edu/lti/login"
    assert config["extensions"][0]["domain"] == "rapport.example.edu"
    assert config["extensions"][0]["settings"]["icon_url"] == "https://rapport.example.edu/static/rapport-logo.svg"


def test_every_address_in_canvas_json_answers(live_rapport: str) -> None:
    config = requests.get(live_rapport + "/lti/canvas.json", timeout=10).json()
    assert config["public_jwk_url"].startswith(live_rapport)
    assert requests.get(config["public_jwk_url"], timeout=10).json()["keys"] is not None
    icon = requests.get(config["extensions"][0]["settings"]["icon_url"], timeout=10)
    assert icon.status_code == 200 and "svg" in icon.headers["Content-Type"]
