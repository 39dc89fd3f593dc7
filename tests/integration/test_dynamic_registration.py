"""LTI Dynamic Registration against platforms that behave like Moodle and like Canvas, over real
HTTP: the review page, the registration each platform checks strictly, the stored result, and a
launch through the new registration once it is approved; then every way it can be refused."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from lti_plugin.extensions import db
from lti_plugin.models import Deployment, Registration, RegistrationAttempt
from tests.helpers.lti import begin_login, claims, page_text, post_launch
from tests.helpers.platform import Platform, launch
from tests.helpers.registration_platform import (
    DL,
    PLATFORM_CONFIGURATION,
    RL,
    TOOL_CONFIGURATION,
    RegistrationPlatform,
)

STATIC = Path(__file__).resolve().parents[2] / "lti_plugin" / "static"


@pytest.fixture(scope="module")
def moodle_server() -> Iterator[RegistrationPlatform]:
    server = RegistrationPlatform("moodle", "127.0.0.4")
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def canvas_server() -> Iterator[RegistrationPlatform]:
    server = RegistrationPlatform("canvas", "127.0.0.5")
    yield server
    server.shutdown()


@pytest.fixture
def moodle(moodle_server: RegistrationPlatform) -> RegistrationPlatform:
    moodle_server.reset()
    return moodle_server


@pytest.fixture
def canvas(canvas_server: RegistrationPlatform) -> RegistrationPlatform:
    canvas_server.reset()
    return canvas_server


def stored(app) -> dict[str, int]:
    """Rows a registration writes."""
    with app.app_context():
        return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
                for m in (Registration, Deployment, RegistrationAttempt)}


def open_registration(client, platform: RegistrationPlatform, token: str | None = "same") -> Any:
    """What the platform does: open /lti/register with its configuration address and a token."""
    query = {"openid_configuration": platform.config_url}
    if token == "same":
        query["registration_token"] = platform.token
    elif token is not None:
        query["registration_token"] = token
    return client.get("/lti/register", query_string=query)


def attempt_of(response) -> str:
    """The secret the review page's form carries."""
    field = BeautifulSoup(response.get_data(as_text=True), "html.parser").find("input", {"name": "attempt"})
    assert field is not None, page_text(response)
    return str(field["value"])


def register(client, platform: RegistrationPlatform) -> Any:
    """Open the registration page, then confirm it."""
    review = open_registration(client, platform)
    assert review.status_code == 200, page_text(review)
    return client.post("/lti/register", data={"attempt": attempt_of(review)})


def registration_row(app, platform: RegistrationPlatform) -> Registration:
    with app.app_context():
        row = db.session.scalar(select(Registration).where(Registration.issuer == platform.issuer))
        assert row is not None
        db.session.expunge(row)
        return row


def set_active(app, registration_id: int, active: bool) -> None:
    with app.app_context():
        db.session.get(Registration, registration_id).active = active
        db.session.commit()


def login_status(client, issuer: str, client_id: str) -> tuple[int, str]:
    response = client.get("/lti/login", query_string={
        "iss": issuer, "login_hint": "u", "target_link_uri": "http://localhost/lti/launch", "client_id": client_id})
    return response.status_code, page_text(response)


# -- Moodle ---------------------------------------------------------------------------------------
def test_moodle_review_page_shows_what_will_be_registered(app, client, moodle) -> None:
    response = open_registration(client, moodle)
    assert response.status_code == 200, page_text(response)
    text = page_text(response)
    for expected in (moodle.issuer, "moodle 4.5.1", moodle.url("auth"), moodle.url("token"), moodle.url("jwks"),
                     moodle.url("registration"), "http://localhost/lti/login", "http://localhost/lti/launch",
                     "http://localhost/lti/jwks.json", "https://purl.imsglobal.org/spec/lti-ags/scope/score",
                     "contextmembership.readonly", RL, DL, "waits for a Rapport administrator's approval"):
        assert expected in text, expected
    html = response.get_data(as_text=True)
    assert moodle.token not in html  # the registration token stays on the server
    assert response.headers["Cache-Control"] == "no-store"
    assert moodle.config_requests[-1]["Authorization"] == f"Bearer {moodle.token}"
    assert "registration" not in moodle.config_requests[-1].get("Cookie", "")
    assert stored(app)["RegistrationAttempt"] == 1 and stored(app)["Registration"] == 0


def test_moodle_registration_then_launch_after_approval(app, client, moodle) -> None:
    response = register(client, moodle)
    assert response.status_code == 200, page_text(response) + repr(moodle.problems)
    assert moodle.problems == [] and len(moodle.received) == 1
    document = moodle.received[0]
    tool = document[TOOL_CONFIGURATION]
    assert [m["type"] for m in tool["messages"]] == [RL, DL]
    assert all("placements" not in m for m in tool["messages"])  # Moodle names types only
    assert tool["https://canvas.instructure.com/lti/privacy_level"] == "public"
    assert "https://purl.imsglobal.org/spec/lti-ts/scope/toolsetting" not in document["scope"]
    text = page_text(response)
    assert "Rapport is registered" in text and "deployment id 7" in text
    assert "waits for a Rapport administrator's approval" in text
    assert 'src="/static/registration.js"' in response.get_data(as_text=True)

    row = registration_row(app, moodle)
    assert (row.origin, row.active, row.product) == ("dynamic", False, "moodle 4.5.1 (Build: 20241111)")
    assert (row.auth_login_url, row.auth_token_url, row.key_set_url) == (moodle.url("auth"), moodle.url("token"), moodle.url("jwks"))
    assert row.auth_audience is None
    with app.app_context():
        deployments = db.session.scalars(select(Deployment).where(Deployment.registration_id == row.id)).all()
        assert [(d.deployment_id, d.active) for d in deployments] == [("7", True)]
    assert stored(app)["RegistrationAttempt"] == 0

    status, text = login_status(client, moodle.issuer, row.client_id)
    assert status == 403 and "waiting for approval" in text
    set_active(app, row.id, True)
    platform = Platform(moodle.key, issuer=moodle.issuer, client_id=row.client_id, deployment_id="7")
    launch(client, platform)  # signed with the key the platform serves as its JWKS


def test_the_close_message_goes_to_the_window_that_opened_the_page() -> None:
    script = (STATIC / "registration.js").read_text()
    assert "window.opener || window.parent" in script
    assert "subject: \"org.imsglobal.lti.close\"" in script


# -- Canvas ---------------------------------------------------------------------------------------
def test_canvas_registration_then_deployment_on_first_launch(app, client, canvas) -> None:
    review = open_registration(client, canvas)
    text = page_text(review)
    assert "Canvas — Test University" in text and "course_navigation" in text and "assignment_selection" in text
    response = client.post("/lti/register", data={"attempt": attempt_of(review)})
    assert response.status_code == 200, page_text(response) + repr(canvas.problems)
    assert canvas.problems == []
    assert "did not send a deployment id" in page_text(response)
    tool = canvas.received[0][TOOL_CONFIGURATION]
    assert {m["type"]: m["placements"] for m in tool["messages"]} == {
        RL: ["course_navigation"], DL: ["assignment_selection", "link_selection"]}
    assert "picture" in tool["claims"]

    row = registration_row(app, canvas)
    assert row.name == "Canvas — Test University" and row.product == "canvas vCloud"
    assert row.auth_audience is None  # Canvas's authorization_server is a host name: the token URL stays the audience
    assert stored(app)["Deployment"] == 0
    set_active(app, row.id, True)

    platform = Platform(canvas.key, issuer=canvas.issuer, client_id=row.client_id, deployment_id="canvas-deployment-1")
    login = begin_login(client, platform.issuer, platform.client_id)
    first = post_launch(client, canvas.key.sign(claims(platform.issuer, platform.client_id, platform.deployment_id, login.nonce)), login.state)
    assert first.status_code == 403 and "waits for an administrator's approval" in page_text(first)
    result = app.test_cli_runner().invoke(args=["deployment", "activate", canvas.issuer, row.client_id, "canvas-deployment-1"])
    assert result.exit_code == 0, result.output
    launch(client, platform)


# -- approval ---------------------------------------------------------------------------------------
def test_auto_approve_makes_the_registration_active_at_once(app, client, moodle) -> None:
    app.config["AUTO_APPROVE_REGISTRATIONS"] = True
    review = open_registration(client, moodle)
    assert "accept new registrations at once" in page_text(review)
    response = client.post("/lti/register", data={"attempt": attempt_of(review)})
    assert response.status_code == 200 and "The registration is active" in page_text(response)
    row = registration_row(app, moodle)
    assert row.active is True
    launch(client, Platform(moodle.key, issuer=moodle.issuer, client_id=row.client_id, deployment_id="7"))


def test_deactivating_stops_launches_even_after_the_login(app, client, moodle) -> None:
    app.config["AUTO_APPROVE_REGISTRATIONS"] = True
    assert register(client, moodle).status_code == 200
    row = registration_row(app, moodle)
    platform = Platform(moodle.key, issuer=moodle.issuer, client_id=row.client_id, deployment_id="7")
    login = begin_login(client, platform.issuer, platform.client_id)
    set_active(app, row.id, False)
    response = post_launch(client, moodle.key.sign(claims(platform.issuer, platform.client_id, "7", login.nonce)), login.state)
    assert response.status_code == 403 and "waiting for approval or was turned off" in page_text(response)
    assert login_status(client, moodle.issuer, row.client_id)[0] == 403


# -- refusals ---------------------------------------------------------------------------------------
def other_host_issuer(p: RegistrationPlatform) -> None:
    p.config_changes["issuer"] = f"http://127.0.0.6:{p.port}"


def other_port_issuer(p: RegistrationPlatform) -> None:
    p.config_changes["issuer"] = f"http://{p.host}:{p.port + 1}"


def deeper_issuer(p: RegistrationPlatform) -> None:
    p.config_changes["issuer"] = p.issuer + "/another-site"


CONFIG_REFUSALS = [
    ("issuer on another host", other_host_issuer, "same", 400, "which is another site"),
    ("issuer on another port", other_port_issuer, "same", 400, "which is another site"),
    ("configuration outside the issuer's path", deeper_issuer, "same", 400, "which is another site"),
    ("registration token missing", lambda p: None, None, 502, "came without one"),
    ("registration token rejected", lambda p: None, "not-the-token", 502, "refused Rapport's registration token (it answered 401)"),
    ("platform answers 500", lambda p: setattr(p, "config_status", 500), "same", 502, "answered 500"),
    ("configuration is not JSON", lambda p: setattr(p, "config_body", "<html>oops"), "same", 502, "is not JSON"),
    ("registration_endpoint missing", lambda p: p.config_changes.update(registration_endpoint=None), "same", 502, "registration_endpoint is missing"),
    ("platform configuration missing", lambda p: p.config_changes.update({PLATFORM_CONFIGURATION: None}), "same", 502, "lti-platform-configuration is missing"),
    ("no resource link messages", lambda p: p.config_changes.update({PLATFORM_CONFIGURATION: {"product_family_code": "x", "messages_supported": [DL]}}), "same", 502, "does not include LtiResourceLinkRequest"),
    ("private_key_jwt not offered", lambda p: p.config_changes.update(token_endpoint_auth_methods_supported=["client_secret_basic"]), "same", 502, "must include private_key_jwt"),
    ("endpoint over plain http elsewhere", lambda p: p.config_changes.update(token_endpoint="http://lms.example.edu/token"), "same", 502, "token_endpoint: must use https"),
]


@pytest.mark.parametrize("name,fault,token,status,message", CONFIG_REFUSALS, ids=[c[0] for c in CONFIG_REFUSALS])
def test_configuration_refused(app, client, moodle, name, fault, token, status, message) -> None:
    fault(moodle)
    response = open_registration(client, moodle, token)
    assert response.status_code == status, page_text(response)
    text = page_text(response)
    assert message in text and "Nothing was stored in Rapport" in text and "Traceback" not in text
    assert moodle.token not in response.get_data(as_text=True)
    assert stored(app) == {"Registration": 0, "Deployment": 0, "RegistrationAttempt": 0}


@pytest.mark.parametrize("query,message", [
    ({}, "is opened by the platform itself"),
    ({"openid_configuration": "http://lms.example.edu/config"}, "must use https"),
    ({"openid_configuration": "file:///etc/passwd"}, "is not an http(s) address"),
])
def test_bad_registration_links_are_refused_without_a_request(app, client, query, message) -> None:
    response = client.get("/lti/register", query_string=query)
    assert response.status_code == 400 and message in page_text(response)
    assert stored(app)["RegistrationAttempt"] == 0


def rejected(status: int):
    return lambda p: setattr(p, "registration_status", status)


def token_revoked(p: RegistrationPlatform) -> None:
    p.token = "revoked-after-the-review"


POST_REFUSALS = [
    ("platform rejects the registration", rejected(400), "answered 400", "the site refused new tools"),
    ("platform fails on the registration", rejected(500), "answered 500", "the site refused new tools"),
    ("token revoked before confirmation", token_revoked, "answered 401", "token_already_used"),
    ("answer without a client id", lambda p: setattr(p, "registration_answer", {"client_name": "Rapport"}), "client_id is missing", ""),
]


@pytest.mark.parametrize("name,fault,message,said", POST_REFUSALS, ids=[c[0] for c in POST_REFUSALS])
def test_registration_refused_by_the_platform(app, client, canvas, name, fault, message, said) -> None:
    review = open_registration(client, canvas)
    secret = attempt_of(review)
    fault(canvas)
    response = client.post("/lti/register", data={"attempt": secret})
    assert response.status_code == 502, page_text(response)
    text = page_text(response)
    assert message in text and said in text and "Nothing was stored in Rapport" in text
    assert stored(app) == {"Registration": 0, "Deployment": 0, "RegistrationAttempt": 0}
    again = client.post("/lti/register", data={"attempt": secret})  # the attempt was spent
    assert again.status_code == 400 and "expired or was already completed" in page_text(again)


@pytest.mark.parametrize("form", [{}, {"attempt": "made-up"}, {"attempt": "x" * 500}])
def test_confirmation_without_a_known_attempt_is_refused(app, client, moodle, form) -> None:
    open_registration(client, moodle)
    response = client.post("/lti/register", data=form)
    assert response.status_code == 400 and "expired or was already completed" in page_text(response)
    assert moodle.received == [] and stored(app)["Registration"] == 0


def test_a_confirmation_works_once(app, client, moodle) -> None:
    review = open_registration(client, moodle)
    secret = attempt_of(review)
    assert client.post("/lti/register", data={"attempt": secret}).status_code == 200
    again = client.post("/lti/register", data={"attempt": secret})
    assert again.status_code == 400 and len(moodle.received) == 1 and stored(app)["Registration"] == 1


def test_the_same_client_id_twice_is_refused_and_changes_nothing(app, client, moodle) -> None:
    moodle.fixed_client_id = "moodle-client-1"
    assert register(client, moodle).status_code == 200
    before = stored(app)
    moodle.token = "a-second-token"
    response = register(client, moodle)
    assert response.status_code == 409 and "already has a registration" in page_text(response)
    assert stored(app) == before


def test_expired_attempts_are_refused(app, client, moodle) -> None:
    from datetime import timedelta

    from lti_plugin.models import utcnow

    secret = attempt_of(open_registration(client, moodle))
    with app.app_context():
        row = db.session.scalars(select(RegistrationAttempt)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.post("/lti/register", data={"attempt": secret})
    assert response.status_code == 400 and moodle.received == []


@pytest.mark.parametrize("url", ["http://127.0.0.4:9/config", "https://localhost/config", "https://10.1.2.3/config",
                                 "https://169.254.169.254/latest", "https://[::1]/config"])
def test_a_public_rapport_calls_no_internal_address(app, client, moodle, url) -> None:
    app.config["PUBLIC_URL"] = "https://rapport.example.edu"
    response = client.get("/lti/register", query_string={"openid_configuration": url, "registration_token": "t"})
    assert response.status_code == 400 and "private network" in page_text(response)
    assert moodle.config_requests == [] and stored(app)["RegistrationAttempt"] == 0


def test_too_many_waiting_registrations_are_refused(app, client, moodle, monkeypatch) -> None:
    from lti_plugin.lti import dynamic_registration

    monkeypatch.setattr(dynamic_registration, "MAX_WAITING_ATTEMPTS", 2)
    assert open_registration(client, moodle).status_code == 200
    assert open_registration(client, moodle).status_code == 200
    busy = open_registration(client, moodle)
    assert busy.status_code == 503 and "Too many registrations" in page_text(busy)
    assert stored(app)["RegistrationAttempt"] == 2
