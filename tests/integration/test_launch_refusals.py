"""The negative-launch matrix: forged, malformed, replayed and misdirected launches are refused
with the right status and a plain message, and write nothing."""
from __future__ import annotations

import base64
import json
import time
from typing import Any, Callable

import jwt
import pytest
from sqlalchemy import func, select

from lti_plugin.extensions import db
from lti_plugin.models import Course, Deployment, LaunchSession, Membership, Registration, ResourceLink, User
from tests.helpers.keys import TestKey
from tests.helpers.lti import INSTRUCTOR, begin_login, claims, page_text, post_launch
from tests.helpers.platform import CLIENT_ID, DEPLOYMENT, ISSUER, Platform



def counts(app) -> dict[str, int]:
    """Rows in every table a launch writes to."""
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (User, Course, ResourceLink, Membership, LaunchSession, Deployment)
        }


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


# Each case: (name, function(client, platform, app) -> response, status, message fragment).
Case = tuple[str, Callable[..., Any], int, str]


def launch_with(**overrides: Any) -> Callable[..., Any]:
    """A launch whose claims are the valid ones with `overrides` applied."""

    def run(client, p: Platform, app) -> Any:
        login = begin_login(client, p.issuer, p.client_id)
        values = {k: (v() if callable(v) else v) for k, v in overrides.items()}
        body = claims(p.issuer, p.client_id, p.deployment_id, login.nonce, **values)
        return post_launch(client, p.key.sign(body), login.state)

    return run


def signed_by(key_factory: Callable[[Platform], tuple[TestKey, str | None]], alg: str = "RS256") -> Callable[..., Any]:
    def run(client, p: Platform, app) -> Any:
        login = begin_login(client, p.issuer, p.client_id)
        key, kid = key_factory(p)
        body = claims(p.issuer, p.client_id, p.deployment_id, login.nonce)
        return post_launch(client, key.sign(body, kid=kid, alg=alg), login.state)

    return run


def raw_token(make: Callable[[Platform, str], str]) -> Callable[..., Any]:
    def run(client, p: Platform, app) -> Any:
        login = begin_login(client, p.issuer, p.client_id)
        return post_launch(client, make(p, login.nonce), login.state)

    return run


def replay_same_browser(client, p: Platform, app) -> Any:
    login = begin_login(client, p.issuer, p.client_id)
    token = p.key.sign(claims(p.issuer, p.client_id, p.deployment_id, login.nonce))
    assert post_launch(client, token, login.state).status_code == 200
    app.before = counts(app)  # the first launch writes; the replay must not
    return post_launch(client, token, login.state)


def replay_other_browser_after(client, p: Platform, app) -> Any:
    login = begin_login(client, p.issuer, p.client_id)
    token = p.key.sign(claims(p.issuer, p.client_id, p.deployment_id, login.nonce))
    assert post_launch(client, token, login.state).status_code == 200
    app.before = counts(app)
    return post_launch(app.test_client(), token, login.state)


def stolen_before_use(client, p: Platform, app) -> Any:
    """An attacker posts a captured launch from their own browser before the victim does."""
    login = begin_login(client, p.issuer, p.client_id)
    token = p.key.sign(claims(p.issuer, p.client_id, p.deployment_id, login.nonce))
    attacker = app.test_client()
    attacker.get("/lti/login", query_string={"iss": p.issuer, "login_hint": "x", "target_link_uri": "http://localhost/lti/launch", "client_id": p.client_id})
    return post_launch(attacker, token, login.state)


def no_cookie(client, p: Platform, app) -> Any:
    login = begin_login(client, p.issuer, p.client_id)
    token = p.key.sign(claims(p.issuer, p.client_id, p.deployment_id, login.nonce))
    client.delete_cookie("rapport_lti_browser", path="/lti/")
    return post_launch(client, token, login.state)


def nonce_reused_with_new_state(client, p: Platform, app) -> Any:
    first = begin_login(client, p.issuer, p.client_id)
    token = p.key.sign(claims(p.issuer, p.client_id, p.deployment_id, first.nonce))
    assert post_launch(client, token, first.state).status_code == 200
    app.before = counts(app)
    second = begin_login(client, p.issuer, p.client_id)
    return post_launch(client, p.key.sign(claims(p.issuer, p.client_id, p.deployment_id, first.nonce)), second.state)


def inactive_deployment(client, p: Platform, app) -> Any:
    with app.app_context():
        row = db.session.scalar(select(Deployment).where(Deployment.deployment_id == DEPLOYMENT))
        row.active = False
        db.session.commit()
    app.before = counts(app)
    return launch_with()(client, p, app)


def unknown_issuer_at_launch(client, p: Platform, app) -> Any:
    login = begin_login(client, p.issuer, p.client_id)
    body = claims("https://evil.example.com", p.client_id, p.deployment_id, login.nonce)
    return post_launch(client, p.key.sign(body), login.state)


def state_missing(client, p: Platform, app) -> Any:
    login = begin_login(client, p.issuer, p.client_id)
    return post_launch(client, p.key.sign(claims(p.issuer, p.client_id, p.deployment_id, login.nonce)), None)


def state_unknown(client, p: Platform, app) -> Any:
    login = begin_login(client, p.issuer, p.client_id)
    return post_launch(client, p.key.sign(claims(p.issuer, p.client_id, p.deployment_id, login.nonce)), "made-up-state")


def token_missing(client, p: Platform, app) -> Any:
    login = begin_login(client, p.issuer, p.client_id)
    return post_launch(client, None, login.state)


def login_refused(params: dict[str, str]) -> Callable[..., Any]:
    def run(client, p: Platform, app) -> Any:
        return client.get("/lti/login", query_string=params)

    return run


def registration_inactive(client, p: Platform, app) -> Any:
    with app.app_context():
        row = db.session.scalar(select(Registration).where(Registration.client_id == CLIENT_ID))
        row.active = False
        db.session.commit()
    return client.get("/lti/login", query_string={"iss": ISSUER, "login_hint": "u", "target_link_uri": "http://localhost/lti/launch", "client_id": CLIENT_ID})


def _t(offset: int) -> Callable[[], int]:
    """A time `offset` seconds from when the case runs (not from when the module loads)."""
    return lambda: int(time.time()) + offset


CASES: list[Case] = [
    ("bad signature", signed_by(lambda p: (TestKey.generate(), p.key.kid)), 401, "signature does not match"),
    ("unknown kid", signed_by(lambda p: (TestKey.generate(), "kid-nobody-published")), 401, "key the platform does not publish"),
    ("kid missing", signed_by(lambda p: (p.key, None)), 401, "which platform key signed it"),
    ("algorithm none", raw_token(lambda p, n: _b64({"alg": "none", "kid": p.key.kid}) + "." + _b64(claims(p.issuer, p.client_id, p.deployment_id, n)) + "."), 401, "algorithm Rapport does not accept"),
    ("HS256 with the public key as secret", raw_token(lambda p, n: jwt.encode(claims(p.issuer, p.client_id, p.deployment_id, n), "not-the-platform-key-but-long-enough-32b", algorithm="HS256", headers={"kid": p.key.kid})), 401, "algorithm Rapport does not accept"),
    ("unknown issuer at login", login_refused({"iss": "https://evil.example.com", "login_hint": "u", "target_link_uri": "http://localhost/lti/launch"}), 403, "does not know this platform"),
    ("unknown client id at login", login_refused({"iss": ISSUER, "login_hint": "u", "target_link_uri": "http://localhost/lti/launch", "client_id": "nope"}), 403, "does not know this platform"),
    ("several registrations, no client id", login_refused({"iss": ISSUER, "login_hint": "u", "target_link_uri": "http://localhost/lti/launch"}), 400, "does not say which registration"),
    ("login without login_hint", login_refused({"iss": ISSUER, "target_link_uri": "http://localhost/lti/launch", "client_id": CLIENT_ID}), 400, "has no login_hint"),
    ("login target not ours", login_refused({"iss": ISSUER, "login_hint": "u", "target_link_uri": "https://evil.example.com/lti/launch", "client_id": CLIENT_ID}), 400, "not Rapport's"),
    ("registration inactive", registration_inactive, 403, "waiting for approval or was turned off"),
    ("unknown issuer at launch", unknown_issuer_at_launch, 401, "meant for another tool"),
    ("token meant for another tool", launch_with(aud="some-other-tool"), 401, "meant for another tool"),
    ("token for another registration of the same platform", launch_with(aud="another-tool"), 401, "meant for another tool"),
    ("aud list without our client id", launch_with(aud=["x-tool", "y-tool"], azp="x-tool"), 401, "meant for another tool"),
    ("several audiences, azp missing", launch_with(aud=[CLIENT_ID, "other-tool"]), 401, "not which one is Rapport"),
    ("azp not among audiences", launch_with(aud=[CLIENT_ID, "other-tool"], azp="third-tool"), 401, "authorized party"),
    ("expired beyond leeway", launch_with(exp=_t(-120), iat=_t(-600)), 401, "has expired"),
    ("issued in the future beyond leeway", launch_with(iat=_t(300), exp=_t(900)), 401, "issued in the future"),
    ("exp missing", launch_with(exp=None), 401, "lacks the required claim exp"),
    ("nonce missing", launch_with(nonce=None), 401, "has no nonce"),
    ("nonce not the one issued", launch_with(nonce="a-nonce-rapport-never-issued"), 401, "not the one Rapport issued"),
    ("nonce reused with a fresh state", nonce_reused_with_new_state, 401, "not the one Rapport issued"),
    ("replay in the same browser", replay_same_browser, 400, "expired or was already used"),
    ("replay from a different browser", replay_other_browser_after, 400, "expired or was already used"),
    ("captured launch posted from another browser", stolen_before_use, 403, "started in another browser"),
    ("browser cookie missing", no_cookie, 400, "blocked Rapport's cookie inside this page"),
    ("state missing", state_missing, 400, "without its state"),
    ("state never issued", state_unknown, 400, "expired or was already used"),
    ("id_token missing", token_missing, 400, "without an id_token"),
    ("id_token not a JWT", raw_token(lambda p, n: "not.a.jwt.at.all"), 400, "not a well-formed JWT"),
    ("id_token with garbage parts", raw_token(lambda p, n: "e30.%%%%.abc"), 400, "not a well-formed JWT"),
    ("oversized id_token", launch_with(padding="x" * 70000), 413, "larger than Rapport accepts"),
    ("unknown deployment", launch_with(lti_deployment_id="deployment-new"), 403, "waits for an administrator's approval"),
    ("inactive deployment", inactive_deployment, 403, "is not active"),
    ("deployment id missing", launch_with(lti_deployment_id=None), 400, "does not name its deployment"),
    ("wrong message type", launch_with(lti_message_type="LtiSubmissionReviewRequest"), 400, "does not handle this kind of launch"),
    ("wrong version", launch_with(lti_version="1.1"), 400, "not LTI version 1.3.0"),
    ("sub missing", launch_with(sub=None), 400, "does not say who the user is"),
    ("roles missing", launch_with(lti_roles=None), 400, "does not carry the user's roles"),
    ("resource link id missing", launch_with(lti_resource_link={"title": "x"}), 400, "which activity was opened"),
    ("target link not ours", launch_with(lti_target_link_uri="https://evil.example.com/lti/launch"), 400, "not Rapport's"),
    ("target link differs from login", launch_with(lti_target_link_uri="http://localhost/elsewhere"), 400, "differs from the one in its login"),
    ("deep linking without settings", launch_with(lti_message_type="LtiDeepLinkingRequest", lti_roles=[INSTRUCTOR]), 400, "no return address"),
    ("issuer mismatch inside a valid signature", launch_with(iss=ISSUER + "/"), 401, "meant for another tool"),
]


@pytest.mark.parametrize("name,run,status,message", CASES, ids=[c[0] for c in CASES])
def test_refused(app, client, platform, name, run, status, message) -> None:
    app.before = counts(app)
    response = run(client, platform, app)
    assert response.status_code == status, page_text(response)
    text = page_text(response)
    assert message in text
    assert "Traceback" not in text
    after = counts(app)
    expected = dict(app.before)
    if name == "unknown deployment":
        expected["Deployment"] += 1  # recorded, inactive, for an administrator to approve
    assert after == expected


def test_matrix_is_large_enough() -> None:
    assert len({c[0] for c in CASES}) >= 25


def test_unknown_deployment_is_recorded_inactive_then_activated(app, client, platform) -> None:
    response = launch_with(lti_deployment_id="deployment-new")(client, platform, app)
    assert response.status_code == 403
    with app.app_context():
        row = db.session.scalar(select(Deployment).where(Deployment.deployment_id == "deployment-new"))
        assert row is not None and row.active is False
    runner = app.test_cli_runner()
    result = runner.invoke(args=["deployment", "activate", ISSUER, CLIENT_ID, "deployment-new"])
    assert result.exit_code == 0, result.output
    assert launch_with(lti_deployment_id="deployment-new")(client, platform, app).status_code == 200


def test_unknown_kid_refetches_once_then_accepts_rotated_key(app, client, platform, keyset_server) -> None:
    assert launch_with()(client, platform, app).status_code == 200  # caches the key set
    fetches = keyset_server.fetches
    rotated = TestKey.generate()
    keyset_server.keys = [platform.key, rotated]
    platform.key = rotated
    assert launch_with()(client, platform, app).status_code == 200
    assert keyset_server.fetches == fetches + 1


def test_unknown_kid_refetches_only_once(app, client, platform, keyset_server) -> None:
    assert launch_with()(client, platform, app).status_code == 200
    fetches = keyset_server.fetches
    response = signed_by(lambda p: (TestKey.generate(), "never-published"))(client, platform, app)
    assert response.status_code == 401
    assert keyset_server.fetches == fetches + 1


def test_platform_key_set_unreachable_is_a_clear_502(app, client, platform, keyset_server) -> None:
    keyset_server.status = 500
    response = launch_with()(client, platform, app)
    assert response.status_code == 502
    assert "answered 500" in page_text(response)


@pytest.mark.parametrize("skew", [-50, 50])
def test_clock_skew_within_leeway_is_accepted(app, client, platform, skew) -> None:
    if skew < 0:
        response = launch_with(exp=_t(-50), iat=_t(-400))(client, platform, app)
    else:
        response = launch_with(iat=_t(50), exp=_t(600))(client, platform, app)
    assert response.status_code == 200


def test_several_audiences_with_our_azp_are_accepted(app, client, platform) -> None:
    response = launch_with(aud=["other-tool", CLIENT_ID], azp=CLIENT_ID)(client, platform, app)
    assert response.status_code == 200
