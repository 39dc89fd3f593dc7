"""The admin page as an administrator meets it: sign-in separate from LTI, CSRF on every form,
lockout, registrations and deployments approved and turned off (and launches following suit),
key rotation with the grace period, and refused launches listed by reason."""
from __future__ import annotations

import re
import time
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from lti_plugin.admin_auth import SESSION_KEY
from lti_plugin.extensions import db
from lti_plugin.models import AdminUser, Deployment, Registration, SigningKey
from lti_plugin.services.admins import MAX_FAILURES
from werkzeug.security import generate_password_hash
from tests.helpers.keys import TestKey
from tests.helpers.lti import begin_login, claims, page_text, post_launch
from tests.helpers.platform import CLIENT_ID, DEPLOYMENT, ISSUER, launch

USERNAME, PASSWORD = "dean-office", "a long enough password"


@pytest.fixture
def admin(app) -> str:
    """An administrator (test_admin_cli.py makes them with the command); a cheap hash keeps the suite fast."""
    with app.app_context():
        db.session.add(AdminUser(username=USERNAME, failed_logins=0,
                                 password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")))
        db.session.commit()
    return USERNAME


def csrf_token(client, path: str = "/admin/login") -> str:
    response = client.get(path)
    field = BeautifulSoup(response.get_data(as_text=True), "html.parser").find("input", {"name": "csrf_token"})
    assert field is not None, page_text(response)
    return str(field["value"])


def sign_in(client, username: str = USERNAME, password: str = PASSWORD) -> Any:
    return client.post("/admin/login", data={"csrf_token": csrf_token(client), "username": username,
                                              "password": password, "next": "/admin/"})


def post(client, path: str) -> Any:
    return client.post(path, data={"csrf_token": csrf_token(client, "/admin/")})


def registration_id(app, client_id: str = CLIENT_ID) -> int:
    with app.app_context():
        return db.session.scalar(select(Registration.id).where(Registration.client_id == client_id))


def deployment_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Deployment.id).where(Deployment.deployment_id == DEPLOYMENT))


# -- sign-in ----------------------------------------------------------------------------------------
def test_every_admin_route_needs_a_signed_in_administrator(app, client, admin, platform) -> None:
    response = client.get("/admin/")
    assert response.status_code == 303 and response.headers["Location"].startswith("/admin/login?next=/admin/")
    token = csrf_token(client)
    reg, dep = registration_id(app), deployment_id(app)
    with app.app_context():
        kids = set(db.session.scalars(select(SigningKey.kid)))
    for path in (f"/admin/registrations/{reg}/deactivate", f"/admin/deployments/{dep}/deactivate", "/admin/keys/rotate"):
        response = client.post(path, data={"csrf_token": token})
        assert response.status_code == 303 and response.headers["Location"].startswith("/admin/login"), path
    with app.app_context():
        assert db.session.get(Registration, reg).active and db.session.get(Deployment, dep).active
        assert set(db.session.scalars(select(SigningKey.kid))) == kids


def test_a_launch_does_not_open_the_admin_page(app, client, admin, platform) -> None:
    token = launch(client, platform)
    assert client.get("/admin/", query_string={"lt": token}).status_code == 303
    assert client.get("/admin/", headers={"X-Rapport-Launch": token}).status_code == 303


@pytest.mark.parametrize("username,password", [(USERNAME, "not the password at all"), ("nobody", PASSWORD), ("", "")])
def test_wrong_credentials_are_refused_with_one_message(client, admin, username, password) -> None:
    response = sign_in(client, username, password)
    assert response.status_code == 401 and "do not match" in page_text(response)
    assert client.get("/admin/").status_code == 303


def test_sign_in_and_out(client, admin) -> None:
    response = sign_in(client)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200 and f"Signed in as {USERNAME}" in page_text(page)
    out = client.post("/admin/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    assert out.status_code == 303
    assert client.get("/admin/").status_code == 303


def test_the_next_address_stays_on_the_admin_page(app, admin) -> None:
    for target in ("https://evil.example.com/", "//evil.example.com/admin", "/lti/launch"):
        client = app.test_client()
        response = client.post("/admin/login", data={"csrf_token": csrf_token(client), "username": USERNAME,
                                                      "password": PASSWORD, "next": target})
        assert response.headers["Location"] == "/admin/", target


def test_lockout_after_repeated_failures_and_passwd_lifts_it(app, client, runner, admin) -> None:
    for _ in range(MAX_FAILURES):
        assert sign_in(client, password="wrong password here").status_code == 401
    locked = sign_in(client)
    assert locked.status_code == 401 and "locked" in page_text(locked)
    result = runner.invoke(args=["admin", "passwd", USERNAME, "--password-stdin"], input="another long password\n")
    assert result.exit_code == 0, result.output
    assert sign_in(client, password="another long password").status_code == 303


def test_many_failures_from_one_address_are_throttled(app, client, admin, monkeypatch) -> None:
    from lti_plugin import admin_auth

    monkeypatch.setattr(admin_auth, "ADDRESS_ATTEMPTS", 4)  # 20 in production; each try costs a hash
    for i in range(4):
        assert sign_in(client, username=f"guess-{i}").status_code == 401
    response = sign_in(client)
    assert response.status_code == 429 and "Too many failed sign-ins" in page_text(response)


def test_a_password_change_signs_out_open_sessions(app, client, runner, admin) -> None:
    assert sign_in(client).status_code == 303
    result = runner.invoke(args=["admin", "passwd", USERNAME, "--password-stdin"], input="a fresh long password\n")
    assert result.exit_code == 0
    assert client.get("/admin/").status_code == 303


def test_an_old_session_expires(app, client, admin) -> None:
    sign_in(client)
    with client.session_transaction() as session:
        session[SESSION_KEY] = {**session[SESSION_KEY], "since": int(time.time()) - 9 * 3600}
    assert client.get("/admin/").status_code == 303


# -- cookies and headers ----------------------------------------------------------------------------
def _session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("rapport_session=")]
    assert cookies, response.headers
    return cookies[-1]


@pytest.mark.parametrize("mode,base,secure", [("auto", "http://localhost", False), ("auto", "https://localhost", True),
                                              ("always", "http://localhost", True), ("never", "https://localhost", False)])
def test_the_session_cookie(app, admin, mode, base, secure) -> None:
    app.config["SECURE_COOKIES"] = mode
    client = app.test_client()
    token = BeautifulSoup(client.get("/admin/login", base_url=base).get_data(as_text=True), "html.parser").find(
        "input", {"name": "csrf_token"})["value"]
    # A browser sends the page's own address as Referer (the admin pages' referrer policy is same-origin).
    response = client.post("/admin/login", base_url=base, headers={"Referer": base + "/admin/login"},
                           data={"csrf_token": token, "username": USERNAME, "password": PASSWORD})
    assert response.status_code == 303, page_text(response)
    cookie = _session_cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie) is secure
    assert "Partitioned" not in cookie


def test_admin_pages_cannot_be_framed_but_lti_pages_can(app, client, admin) -> None:
    signed_out = app.test_client().get("/admin/login")
    sign_in(client)
    for response in (signed_out, client.get("/admin/")):
        assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert '<meta name="referrer" content="same-origin">' in response.get_data(as_text=True)
    assert "frame-ancestors *" in client.get("/lti/register").headers["Content-Security-Policy"]


# -- CSRF -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [{}, {"csrf_token": "forged"}])
def test_forms_need_their_csrf_token(app, client, admin, platform, data) -> None:
    assert sign_in(client).status_code == 303
    reg = registration_id(app)
    with app.app_context():
        kids = set(db.session.scalars(select(SigningKey.kid)))
    for path in ("/admin/keys/rotate", f"/admin/registrations/{reg}/deactivate", "/admin/logout"):
        response = client.post(path, data=data)
        assert response.status_code == 400 and "CSRF" in page_text(response), path
    with app.app_context():
        assert set(db.session.scalars(select(SigningKey.kid))) == kids
        assert db.session.get(Registration, reg).active
    assert client.get("/admin/").status_code == 200  # still signed in


def test_sign_in_needs_its_csrf_token(client, admin) -> None:
    client.get("/admin/login")
    response = client.post("/admin/login", data={"username": USERNAME, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 303


# -- what the page does ------------------------------------------------------------------------------
def test_approve_and_deactivate_change_what_launches(app, client, admin, platform) -> None:
    reg, dep = registration_id(app), deployment_id(app)
    with app.app_context():
        db.session.get(Registration, reg).active = False
        db.session.commit()
    sign_in(client)
    page = page_text(client.get("/admin/"))
    assert "waiting for approval or turned off" in page and ISSUER in page and CLIENT_ID in page
    lms = app.test_client()
    status = lms.get("/lti/login", query_string={"iss": ISSUER, "login_hint": "u", "client_id": CLIENT_ID,
                                                 "target_link_uri": "http://localhost/lti/launch"}).status_code
    assert status == 403

    response = post(client, f"/admin/registrations/{reg}/approve")
    assert response.status_code == 303
    assert "is now active" in page_text(client.get("/admin/"))
    launch(lms, platform)
    last = page_text(client.get("/admin/"))
    assert re.search(r"Last launch \d{4}-\d\d-\d\d \d\d:\d\d UTC", last)

    assert post(client, f"/admin/deployments/{dep}/deactivate").status_code == 303
    login = begin_login(lms, ISSUER, CLIENT_ID)
    refused = post_launch(lms, platform.key.sign(claims(ISSUER, CLIENT_ID, DEPLOYMENT, login.nonce)), login.state)
    assert refused.status_code == 403 and "not active" in page_text(refused)
    assert post(client, f"/admin/deployments/{dep}/approve").status_code == 303
    launch(lms, platform)

    assert post(client, f"/admin/registrations/{reg}/deactivate").status_code == 303
    assert lms.get("/lti/login", query_string={"iss": ISSUER, "login_hint": "u", "client_id": CLIENT_ID,
                                               "target_link_uri": "http://localhost/lti/launch"}).status_code == 403


def test_an_unknown_row_is_a_404(client, admin) -> None:
    sign_in(client)
    assert post(client, "/admin/registrations/999999/approve").status_code == 404
    assert post(client, "/admin/deployments/999999/approve").status_code == 404


def test_key_rotation_through_the_page(app, client, admin) -> None:
    with app.app_context():
        old = db.session.scalars(select(SigningKey.kid)).one()
    sign_in(client)
    before = page_text(client.get("/admin/"))
    assert old in before and "14 day(s)" in before
    response = post(client, "/admin/keys/rotate")
    assert response.status_code == 303
    after = page_text(client.get("/admin/"))
    with app.app_context():
        new = db.session.scalar(select(SigningKey.kid).where(SigningKey.active))
    assert new != old and f"Rapport now signs with key {new}" in after
    assert re.search(re.escape(old) + r" .* retired, published until \d{4}-\d\d-\d\d", after)
    published = {k["kid"] for k in client.get("/lti/jwks.json").get_json()["keys"]}
    assert published == {old, new}


def test_refused_launches_are_listed_by_reason_without_tokens(app, client, admin, platform) -> None:
    lms = app.test_client()
    login = begin_login(lms, ISSUER, CLIENT_ID)
    forged = TestKey.generate().sign(claims(ISSUER, CLIENT_ID, DEPLOYMENT, login.nonce), kid=platform.key.kid)
    assert post_launch(lms, forged, login.state).status_code == 401
    assert lms.get("/lti/login", query_string={"iss": "https://unknown.example.edu", "login_hint": "u",
                                               "target_link_uri": "http://localhost/lti/launch"}).status_code == 403
    sign_in(client)
    response = client.get("/admin/")
    text = page_text(response)
    assert "bad_signature" in text and "unknown_platform" in text
    assert "https://unknown.example.edu" in text and CLIENT_ID in text
    assert forged not in response.get_data(as_text=True) and login.nonce not in response.get_data(as_text=True)
    rows = BeautifulSoup(response.get_data(as_text=True), "html.parser").find_all("caption")
    assert any("By reason" in c.get_text() for c in rows)


def test_the_page_shows_the_addresses_to_install_with(client, admin) -> None:
    sign_in(client)
    text = page_text(client.get("/admin/"))
    for address in ("http://localhost/lti/register", "http://localhost/lti/canvas.json", "http://localhost/lti/login",
                    "http://localhost/lti/launch", "http://localhost/lti/jwks.json"):
        assert address in text


def test_admin_users_are_not_lti_users(app, admin) -> None:
    with app.app_context():
        row = db.session.scalar(select(AdminUser).where(AdminUser.username == USERNAME))
        assert row.password_hash.startswith(("scrypt:", "pbkdf2:")) and PASSWORD not in row.password_hash
