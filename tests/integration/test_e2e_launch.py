"""End to end: the practice LMS (lti1p3platform, its own process) launches a live Rapport."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from bs4 import BeautifulSoup
from sqlalchemy import select

from lti_plugin.extensions import db
from lti_plugin.models import Course, Deployment, LaunchSession, Membership, Registration, User
from tests.helpers.lti import first_page_address


@pytest.fixture
def registered(app, practice_lms):
    """Rapport knows the practice LMS, as `rapport platform add` would record it."""
    runner = app.test_cli_runner()
    url = practice_lms["url"]
    result = runner.invoke(args=[
        "platform", "add", "--issuer", practice_lms["issuer"], "--client-id", practice_lms["client_id"],
        "--auth-login-url", url + "/auth", "--token-url", url + "/token", "--jwks-url", url + "/jwks.json",
        "--deployment-id", practice_lms["deployment_id"],
    ])
    assert result.exit_code == 0, result.output
    return practice_lms


def launch_as(platform: dict, person: str) -> tuple[requests.Session, requests.Response]:
    """Open Rapport from the practice LMS as `person`, following every redirect and auto-post."""
    browser = requests.Session()
    response = browser.get(f"{platform['url']}/start/{person}", timeout=10)
    assert response.status_code == 200, response.text
    form = BeautifulSoup(response.text, "html.parser").find("form")
    assert form is not None, response.text
    fields = {i["name"]: i["value"] for i in form.find_all("input")}
    assert set(fields) == {"id_token", "state"}
    return browser, browser.post(form["action"], data=fields, timeout=10)


@pytest.mark.parametrize(
    "person,name,role",
    [("stu-ana", "Ana Ribeiro", "Student"), ("ins-iris", "Dr Iris Mendes", "Teaching staff")],
)
def test_launch_lands_on_a_page_naming_user_course_and_role(app, live_rapport, registered, person, name, role) -> None:
    browser, page = launch_as(registered, person)
    assert page.status_code == 200, page.text
    assert urlsplit(page.url).netloc == urlsplit(live_rapport).netloc
    # The launch answered with the page itself, which names its own address for a reload.
    address = first_page_address(page)
    assert urlsplit(address).path == "/home"
    again = browser.get(live_rapport + address, timeout=10)
    assert again.status_code == 200 and name in again.text
    text = " ".join(BeautifulSoup(page.text, "html.parser").get_text(" ").split())
    assert f"{name} · Relational Skills in Clinical Practice (practice course) · {role}" in text
    with app.app_context():
        user = db.session.scalar(select(User).where(User.sub == person))
        assert user is not None and user.name == name and user.issuer == registered["issuer"]
        course = db.session.scalar(select(Course))
        assert course is not None and course.context_id == "practice-course-1"
        membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
        assert membership is not None and membership.role == ("student" if person.startswith("stu") else "staff")
        deployment = db.session.scalar(select(Deployment))
        assert deployment is not None and deployment.last_launch_at is not None


def test_replaying_the_platform_post_is_refused(app, live_rapport, registered) -> None:
    browser = requests.Session()
    response = browser.get(f"{registered['url']}/start/stu-ben", timeout=10)
    form = BeautifulSoup(response.text, "html.parser").find("form")
    fields = {i["name"]: i["value"] for i in form.find_all("input")}
    assert browser.post(form["action"], data=fields, timeout=10).status_code == 200
    replay = browser.post(form["action"], data=fields, timeout=10, allow_redirects=False)
    assert replay.status_code == 400
    assert "already used" in replay.text
    with app.app_context():
        assert len(db.session.scalars(select(LaunchSession)).all()) == 1


def test_the_page_token_is_required_and_not_guessable(app, live_rapport, registered) -> None:
    browser, page = launch_as(registered, "stu-chen")
    assert page.status_code == 200
    bare = browser.get(live_rapport + "/home", timeout=10)
    assert bare.status_code == 401
    forged = browser.get(live_rapport + "/home?lt=not-a-real-token", timeout=10)
    assert forged.status_code == 401
    assert "Open the activity again" in forged.text


def test_rapport_jwks_is_served_to_the_platform(live_rapport, registered, app) -> None:
    keys = requests.get(live_rapport + "/lti/jwks.json", timeout=10).json()["keys"]
    assert len(keys) == 1 and keys[0]["alg"] == "RS256" and "d" not in keys[0]
    with app.app_context():
        assert db.session.scalar(select(Registration)).client_id == registered["client_id"]
