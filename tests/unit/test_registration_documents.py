"""The pure parts of dynamic registration: whose configuration it is, both platform forms, and the
registration document Rapport builds from each."""
from __future__ import annotations

import pytest
from marshmallow import ValidationError

from lti_plugin.lti.dynamic_registration import configuration_belongs_to_issuer, registration_document, token_audience
from lti_plugin.lti.registration_schemas import load_platform_configuration, problems, url_problem
from lti_plugin.lti.tool_profile import ToolAddresses
from tests.helpers.registration_platform import RegistrationPlatform

ADDRESSES = ToolAddresses("https://rapport.example.edu", "https://rapport.example.edu/lti/login",
                          "https://rapport.example.edu/lti/launch", "https://rapport.example.edu/lti/jwks.json",
                          "https://rapport.example.edu/static/rapport-logo.svg")


@pytest.mark.parametrize("url,issuer,ok", [
    ("https://lms.example.edu/mod/lti/openid-configuration.php", "https://lms.example.edu", True),
    ("https://lms.example.edu/mod/lti/openid-configuration.php", "https://lms.example.edu/", True),
    ("https://LMS.example.edu/moodle/config", "https://lms.example.edu/moodle", True),
    ("https://lms.example.edu/moodle2/config", "https://lms.example.edu/moodle", False),
    ("https://lms.example.edu.evil.com/config", "https://lms.example.edu", False),
    ("https://evil.com/lms.example.edu/config", "https://lms.example.edu", False),
    ("http://lms.example.edu/config", "https://lms.example.edu", False),
    ("https://lms.example.edu:8443/config", "https://lms.example.edu", False),
    ("https://user@lms.example.edu/config", "https://lms.example.edu", False),
    ("https://lms.example.edu", "https://lms.example.edu", True),
])
def test_configuration_belongs_to_its_issuer(url, issuer, ok) -> None:
    assert configuration_belongs_to_issuer(url, issuer) is ok


@pytest.mark.parametrize("url,problem", [
    ("https://lms.example.edu/x", None),
    ("http://127.0.0.9:8000/x", None),
    ("http://localhost/x", None),
    ("http://lms.example.edu/x", "must use https"),
    ("ftp://lms.example.edu/x", "not an http(s) address"),
    ("https://lms.example.edu/x#frag", "fragment"),
    ("https://user:pw@lms.example.edu/x", "user name"),
])
def test_platform_addresses(url, problem) -> None:
    found = url_problem(url)
    assert (found is None) if problem is None else (problem in found)


class _Offline(RegistrationPlatform):
    """The counterpart's documents without starting its server."""

    def __init__(self, kind: str) -> None:  # noqa: D107 - no server
        self.kind, self.host, self.port = kind, "lms.example.edu", 443
        self.issuer = "https://lms.example.edu"
        self.reset()


def test_moodle_form_registers_types_without_placements() -> None:
    config = load_platform_configuration(_Offline("moodle").configuration())
    assert config.messages == {"LtiResourceLinkRequest": None, "LtiDeepLinkingRequest": None}
    assert not config.lists_placements and config.display_name == "Moodle (https://lms.example.edu)"
    document = registration_document(config, ADDRESSES)
    tool = document["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    assert [m["type"] for m in tool["messages"]] == ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"]
    assert all("placements" not in m for m in tool["messages"])
    assert tool["domain"] == "rapport.example.edu" and "picture" not in tool["claims"]  # Moodle does not offer it


def test_canvas_form_registers_the_placements_it_offers() -> None:
    config = load_platform_configuration(_Offline("canvas").configuration())
    assert config.lists_placements and config.display_name == "Canvas — Test University"
    tool = registration_document(config, ADDRESSES)["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    assert {m["type"]: m["placements"] for m in tool["messages"]} == {
        "LtiResourceLinkRequest": ["course_navigation"],
        "LtiDeepLinkingRequest": ["assignment_selection", "link_selection"]}
    assert token_audience(config) is None


def test_only_offered_scopes_are_asked_for() -> None:
    document = _Offline("moodle").configuration()
    document["scopes_supported"] = ["https://purl.imsglobal.org/spec/lti-ags/scope/score"]
    config = load_platform_configuration(document)
    assert registration_document(config, ADDRESSES)["scope"] == "https://purl.imsglobal.org/spec/lti-ags/scope/score"


def test_an_authorization_server_address_becomes_the_token_audience() -> None:
    document = _Offline("moodle").configuration()
    document["authorization_server"] = "https://auth.example.edu/token"
    assert token_audience(load_platform_configuration(document)) == "https://auth.example.edu/token"


@pytest.mark.parametrize("change,fragment", [
    ({"issuer": None}, "issuer is missing"),
    ({"jwks_uri": "not a url"}, "jwks_uri: is not an http(s) address"),
    ({"issuer": "https://lms.example.edu/?a=b"}, "issuer: must not carry a query"),
    ({"id_token_signing_alg_values_supported": ["HS256"]}, "must include RS256"),
])
def test_invalid_configurations_name_their_fields(change, fragment) -> None:
    document = _Offline("canvas").configuration()
    for key, value in change.items():
        if value is None:
            document.pop(key)
        else:
            document[key] = value
    with pytest.raises(ValidationError) as caught:
        load_platform_configuration(document)
    assert fragment in problems(caught.value)


def test_messages_in_an_unknown_shape_are_refused() -> None:
    document = _Offline("canvas").configuration()
    document["https://purl.imsglobal.org/spec/lti-platform-configuration"]["messages_supported"] = [{"placements": []}]
    with pytest.raises(ValidationError) as caught:
        load_platform_configuration(document)
    assert "each entry must be a message type" in problems(caught.value)


@pytest.mark.parametrize("url,internal", [
    ("https://lms.example.edu/x", False), ("https://127.0.0.1/x", True), ("https://192.168.1.4/x", True),
    ("https://172.16.0.1/x", True), ("https://[fe80::1]/x", True), ("https://foo.localhost/x", True),
    ("https://8.8.8.8/x", False),
])
def test_internal_addresses(url, internal) -> None:
    from lti_plugin.lti.registration_schemas import internal_url_problem

    assert (internal_url_problem(url) is not None) is internal
