"""The server-side rules of LTI Platform Storage: frame names, origins, relaunch links, the nonce peek."""
from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from lti_plugin.lti.errors import LaunchRefused
from lti_plugin.lti.platform_storage import (
    platform_origin, relaunch_params, relaunch_url, storage_target, stored_login, unverified_nonce,
)


@pytest.mark.parametrize("name,kept", [
    ("post_message_forwarding", True), ("_parent", True), ("lti-storage", True),
    ("", False), ("a b", False), ("x" * 65, False), ("<script>", False), ("frame\"name", False),
])
def test_only_sane_frame_names_are_used(name: str, kept: bool) -> None:
    assert storage_target({"lti_storage_target": name}) == (name if kept else None)


def test_the_platform_origin_is_the_auth_urls() -> None:
    assert platform_origin("https://sso.canvaslms.com/api/lti/authorize_redirect") == "https://sso.canvaslms.com"
    assert platform_origin("http://127.0.0.2:5001/auth?x=1") == "http://127.0.0.2:5001"


def test_the_relaunch_keeps_the_login_but_not_the_storage_frame() -> None:
    params = {"iss": "https://lms", "login_hint": "u1", "target_link_uri": "https://rapport/lti/launch",
              "lti_message_hint": "h", "client_id": "c", "lti_deployment_id": "d", "lti_storage_target": "f",
              "canvas_region": "us-east-1"}
    kept = relaunch_params(params)
    assert "lti_storage_target" not in kept and "canvas_region" not in kept
    url = relaunch_url("https://rapport/lti/login", kept)
    assert url is not None and url.startswith("https://rapport/lti/login?")
    assert {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()} == kept
    assert relaunch_url("https://rapport/lti/login", None) is None
    assert relaunch_url("https://rapport/lti/login", {"iss": "https://lms"}) is None  # no login_hint


def _token(body: object) -> str:
    part = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return f"e30.{part}.sig"


def test_the_nonce_is_read_from_the_token_only_when_it_is_plausible() -> None:
    assert unverified_nonce(_token({"nonce": "abc"})) == "abc"
    assert unverified_nonce(_token({"nonce": ""})) is None
    assert unverified_nonce(_token({"nonce": 7})) is None
    assert unverified_nonce(_token({"nonce": "n" * 600})) is None
    assert unverified_nonce(_token(["not", "an", "object"])) is None
    assert unverified_nonce("not a token") is None
    assert unverified_nonce("a.%%%.c") is None


def test_stored_values_must_both_be_there() -> None:
    assert stored_login({"stored_state": "s", "stored_nonce": "n"}).nonce == "n"
    for data in ({"stored_state": "s"}, {"stored_state": "s", "stored_nonce": 5}, {"stored_state": "", "stored_nonce": "n"},
                 {"stored_state": "s" * 513, "stored_nonce": "n"}):
        with pytest.raises(LaunchRefused) as refused:
            stored_login(data)
        assert refused.value.code == "storage_value_missing"
