"""LTI Platform Storage, the server side: a login that names a storage frame keeps state and nonce
there, a launch without Rapport's cookie is finished with the values read back, and every
existing check still holds (state once, nonce once, the right login, the right origin)."""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from lti_plugin.blueprints.lti import BROWSER_COOKIE
from lti_plugin.extensions import db
from lti_plugin.models import LaunchSession
from tests.helpers.lti import TARGET, claims, page_text
from tests.helpers.platform import Platform

FRAME = "post_message_forwarding"


def storage_box(response: Any) -> dict[str, Any]:
    """The data the storage page hands its script."""
    box = BeautifulSoup(response.get_data(as_text=True), "html.parser").find(id="platform-storage")
    assert box is not None, response.get_data(as_text=True)[:400]
    data = {k.removeprefix("data-"): v for k, v in box.attrs.items() if k.startswith("data-")}
    data["keys"] = json.loads(data["keys"])
    return data


def storage_login(client: Any, p: Platform, **extra: str) -> dict[str, Any]:
    """A login request naming a storage frame; returns what the put page stores and where it goes."""
    params = {"iss": p.issuer, "login_hint": "user-1", "target_link_uri": TARGET, "client_id": p.client_id,
              "lti_message_hint": "hint-7", "lti_deployment_id": p.deployment_id, "lti_storage_target": FRAME, **extra}
    response = client.get("/lti/login", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    box = storage_box(response)
    query = {k: v[0] for k, v in parse_qs(urlsplit(box["next"]).query).items()}
    return {**box, "state": query["state"], "nonce": query["nonce"], "query": query}


def blocked(app: Any) -> Any:
    """A browser that did not keep Rapport's cookie (a new test client has none)."""
    return app.test_client()


def launch_sessions(app: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LaunchSession))


def finish(client: Any, token: str, state: str, stored_state: str | None, stored_nonce: str | None,
           **headers: str) -> Any:
    body: dict[str, Any] = {"id_token": token, "state": state}
    if stored_state is not None:
        body["stored_state"] = stored_state
    if stored_nonce is not None:
        body["stored_nonce"] = stored_nonce
    return client.post("/lti/launch/storage", json=body, headers=headers)


def test_the_login_page_stores_state_and_nonce_in_the_named_frame_of_the_platform(client, platform) -> None:
    login = storage_login(client, platform)
    assert login["mode"] == "put" and login["target"] == FRAME
    assert login["origin"] == "https://lms.example.edu"  # the origin of the platform's OIDC auth URL
    assert login["keys"] == {f"state_{login['state']}": login["state"], f"nonce_{login['nonce']}": login["nonce"]}
    assert login["next"].startswith("https://lms.example.edu/auth?")
    assert "lti_storage_target" not in login["query"]
    cookie = client.get_cookie(BROWSER_COOKIE, domain="localhost", path="/lti/")
    assert cookie is not None  # the cookie is set too: it is used when the browser keeps it


def test_a_login_without_a_storage_target_redirects_as_before(client, platform) -> None:
    response = client.get("/lti/login", query_string={"iss": platform.issuer, "login_hint": "u", "target_link_uri": TARGET,
                                                      "client_id": platform.client_id, "lti_storage_target": "<bad name>"})
    assert response.status_code == 302 and response.headers["Location"].startswith("https://lms.example.edu/auth?")


def test_a_launch_without_the_cookie_reads_the_values_back_and_is_finished_with_them(app, client, platform) -> None:
    login = storage_login(client, platform)
    token = platform.key.sign(claims(platform.issuer, platform.client_id, platform.deployment_id, login["nonce"]))
    browser = blocked(app)
    page = browser.post("/lti/launch", data={"id_token": token, "state": login["state"]})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    box = storage_box(page)
    assert box["mode"] == "get" and box["target"] == FRAME and box["origin"] == "https://lms.example.edu"
    assert box["keys"] == {f"state_{login['state']}": "stored_state", f"nonce_{login['nonce']}": "stored_nonce"}
    assert box["token"] == token and box["state"] == login["state"] and box["next"] == "/lti/launch/storage"
    link = BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one("#storage-fallback a")
    assert link["target"] == "_blank" and link["href"].startswith("http://localhost/lti/login?")
    relaunch = parse_qs(urlsplit(link["href"]).query)
    assert relaunch["lti_message_hint"] == ["hint-7"] and "lti_storage_target" not in relaunch
    assert launch_sessions(app) == 0  # nothing is spent or recorded before the values come back

    done = finish(browser, token, login["state"], login["state"], login["nonce"], **{"Sec-Fetch-Site": "same-origin"})
    assert done.status_code == 200, done.get_data(as_text=True)
    location = done.get_json()["location"]
    assert location.startswith("/home?lt=")
    assert browser.get(location).status_code == 200
    assert launch_sessions(app) == 1

    again = finish(blocked(app), token, login["state"], login["state"], login["nonce"])
    assert again.status_code == 400 and again.get_json()["code"] == "state_unknown"
    assert launch_sessions(app) == 1


def test_a_used_login_cannot_finish_a_later_one(app, client, platform) -> None:
    login = storage_login(client, platform)
    token = platform.key.sign(claims(platform.issuer, platform.client_id, platform.deployment_id, login["nonce"]))
    assert finish(blocked(app), token, login["state"], login["state"], login["nonce"]).status_code == 200
    # A second login, finished with a token and stored nonce of the first: refused before any
    # nonce is spent, because the platform's storage must hold this login's own nonce.
    second = storage_login(client, platform)
    replay = platform.key.sign(claims(platform.issuer, platform.client_id, platform.deployment_id, login["nonce"]))
    refused = finish(blocked(app), replay, second["state"], second["state"], login["nonce"])
    assert refused.status_code == 403 and refused.get_json()["code"] == "storage_nonce_mismatch"


@pytest.mark.parametrize("change,code,status", [
    (lambda login, other: (other["state"], login["nonce"]), "storage_state_mismatch", 403),
    (lambda login, other: (login["state"], other["nonce"]), "storage_nonce_mismatch", 403),
    (lambda login, other: (None, login["nonce"]), "storage_value_missing", 400),
    (lambda login, other: (login["state"], ""), "storage_value_missing", 400),
])
def test_values_from_another_login_or_missing_values_are_refused(app, client, platform, change, code, status) -> None:
    login, other = storage_login(client, platform), storage_login(client, platform)
    token = platform.key.sign(claims(platform.issuer, platform.client_id, platform.deployment_id, login["nonce"]))
    stored_state, stored_nonce = change(login, other)
    refused = finish(blocked(app), token, login["state"], stored_state, stored_nonce)
    assert refused.status_code == status and refused.get_json()["code"] == code
    assert refused.get_json()["message"]
    assert launch_sessions(app) == 0


def test_a_login_that_offered_no_storage_cannot_be_finished_through_it(app, client, platform) -> None:
    response = client.get("/lti/login", query_string={"iss": platform.issuer, "login_hint": "user-1",
                                                      "target_link_uri": TARGET, "client_id": platform.client_id})
    query = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}
    token = platform.key.sign(claims(platform.issuer, platform.client_id, platform.deployment_id, query["nonce"]))
    refused = finish(blocked(app), token, query["state"], query["state"], query["nonce"])
    assert refused.status_code == 403 and refused.get_json()["code"] == "storage_not_offered"


def test_only_rapports_own_page_can_send_the_values(app, client, platform) -> None:
    login = storage_login(client, platform)
    token = platform.key.sign(claims(platform.issuer, platform.client_id, platform.deployment_id, login["nonce"]))
    form = blocked(app).post("/lti/launch/storage", data={"id_token": token, "state": login["state"],
                                                           "stored_state": login["state"], "stored_nonce": login["nonce"]})
    assert form.status_code == 403 and "only answers Rapport's own launch page" in page_text(form)
    cross_site = finish(blocked(app), token, login["state"], login["state"], login["nonce"], **{"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403 and cross_site.get_json()["code"] == "storage_request_invalid"
    # The login was not spent by either attempt: the real page still finishes it.
    assert finish(blocked(app), token, login["state"], login["state"], login["nonce"]).status_code == 200


def test_without_storage_a_blocked_cookie_gets_a_new_window_link(app, client, platform) -> None:
    response = client.get("/lti/login", query_string={"iss": platform.issuer, "login_hint": "user-1", "target_link_uri": TARGET,
                                                      "client_id": platform.client_id, "lti_message_hint": "hint-9"})
    query = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}
    token = platform.key.sign(claims(platform.issuer, platform.client_id, platform.deployment_id, query["nonce"]))
    refused = blocked(app).post("/lti/launch", data={"id_token": token, "state": query["state"]})
    assert refused.status_code == 400 and "Your browser blocked Rapport's cookie" in page_text(refused)
    link = BeautifulSoup(refused.get_data(as_text=True), "html.parser").find("a", string="Open the activity in a new window")
    assert link["target"] == "_blank" and link["rel"] == ["noopener"]
    relaunch = parse_qs(urlsplit(link["href"]).query)
    assert relaunch == {"iss": [platform.issuer], "login_hint": ["user-1"], "target_link_uri": [TARGET],
                        "client_id": [platform.client_id], "lti_message_hint": ["hint-9"]}
    # Following it starts a fresh login, first-party this time.
    assert client.get(link["href"].removeprefix("http://localhost")).status_code == 302


@pytest.mark.parametrize("host,secure", [("localhost", True), ("127.0.0.1:5000", True), ("rapport.example.edu", False)])
def test_cookie_attributes_over_plain_http(client, platform, host, secure) -> None:
    response = client.get("/lti/login", base_url=f"http://{host}", query_string={
        "iss": platform.issuer, "login_hint": "u", "target_link_uri": f"http://{host}/lti/launch", "client_id": platform.client_id})
    header = response.headers["Set-Cookie"]
    assert header.startswith(BROWSER_COOKIE + "=") and "HttpOnly" in header and "Path=/lti/" in header
    if secure:  # loopback is a secure context to browsers
        assert "Secure" in header and "SameSite=None" in header and "Partitioned" in header
    else:
        assert "Secure" not in header and "SameSite=Lax" in header and "Partitioned" not in header


def test_cookie_attributes_over_tls(client, platform) -> None:
    response = client.get("/lti/login", base_url="https://rapport.example.edu", query_string={
        "iss": platform.issuer, "login_hint": "u", "target_link_uri": "https://rapport.example.edu/lti/launch",
        "client_id": platform.client_id})
    header = response.headers["Set-Cookie"]
    assert "Secure" in header and "SameSite=None" in header and "Partitioned" in header
    assert BROWSER_COOKIE.startswith("rapport_")  # never MoodleSession, canvas_session and the like
