"""The course roster through the pages: read on Refresh only when not fresh, bounded in time, kept in the
database; without it (or while the LMS fails) the people who have launched are listed, and the page says so."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select, update

from lti_plugin.extensions import db
from lti_plugin.lti.claims import NRPS
from lti_plugin.models import CourseRoster, Registration, utcnow
from tests.helpers.lti import INSTRUCTOR, LEARNER, page_text
from tests.helpers.platform import CLIENT_ID, launch
from tests.helpers.roster_platform import RosterPlatform, member

TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
COURSE = {"id": "course-1", "title": "Relational Skills 101"}
ROSTER = [
    member("ana", "Ana Ribeiro", email="ana@example.edu"),
    member("nadia", "Nadia Never", email="nadia@example.edu", picture="https://cdn.example.edu/nadia.jpg"),
    member("omar", "Omar Gone", status="Inactive"),
    member("iris", "Dr Iris Mendes", [INSTRUCTOR]),
    member("maria", "Maria Santos", [TA]),
]


@pytest.fixture
def lms(app, platform):
    roster = RosterPlatform(ROSTER, client_id=CLIENT_ID)
    with app.app_context():
        db.session.execute(update(Registration).where(Registration.client_id == CLIENT_ID)
                           .values(auth_token_url=roster.url + "/token"))
        db.session.commit()
    yield roster
    roster.stop()


def as_person(client, platform, sub: str, roles: list[str], lms: RosterPlatform | None, checklist: str = "sp-student") -> str:
    extra = {NRPS: {"context_memberships_url": lms.members_url, "service_versions": ["2.0"]}} if lms else {}
    return launch(client, platform, sub=sub, roles=roles, link=f"link-{checklist}", lti_context=COURSE, name=sub.title(),
                  custom={"rapport_kind": "checklist", "rapport_id": checklist}, **extra)


def make_stale() -> None:
    """The roster was read an hour ago: no longer fresh."""
    db.session.execute(update(CourseRoster).values(refreshed_at=utcnow() - timedelta(hours=1)))
    db.session.commit()


def people_names(client, token: str) -> list[str]:
    page = BeautifulSoup(client.get("/course/people", query_string={"lt": token}).get_data(as_text=True), "html.parser")
    return [n.get_text(strip=True) for n in page.select("#people-list .person-name")]


def refresh(client, token: str):
    response = client.post("/course/people/refresh", data={"lt": token})
    assert response.status_code == 303
    return response.headers["Location"], client.get(response.headers["Location"])


def test_without_a_roster_the_people_who_launched_are_listed_and_the_page_says_so(client, platform, lms) -> None:
    as_person(client, platform, "ana", [LEARNER], lms)
    iris = as_person(client, platform, "iris", [INSTRUCTOR], lms)
    text = page_text(client.get("/course/people", query_string={"lt": iris}))
    assert "has not read this course's roster" in text and "people who have opened Rapport" in text
    assert people_names(client, iris) == ["Ana", "Iris"]
    assert lms.roster_asked == []  # looking at a page never asks the LMS


def test_refresh_reads_the_roster_once_and_a_fresh_roster_is_not_read_again(app, client, platform, lms) -> None:
    iris = as_person(client, platform, "iris", [INSTRUCTOR], lms)
    location, page = refresh(client, iris)
    assert "refreshed=read" in location and "was read from your LMS" in page_text(page)
    assert people_names(client, iris) == ["Ana Ribeiro", "Dr Iris Mendes", "Maria Santos", "Nadia Never"]  # no Omar
    html = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert html.find("img", src="https://cdn.example.edu/nadia.jpg", alt="") is not None
    assert "up to date; it can be read again after" in page_text(page)
    asked = len(lms.roster_asked)
    location, _ = refresh(client, iris)  # pressed again (or posted by hand): the LMS is not asked
    assert "refreshed=fresh" in location and len(lms.roster_asked) == asked
    people_names(client, iris)
    client.get("/rate", query_string={"lt": iris})
    assert len(lms.roster_asked) == asked
    with app.app_context():
        make_stale()
    location, _ = refresh(client, iris)
    assert "refreshed=read" in location and len(lms.roster_asked) > asked


def test_a_failed_refresh_keeps_the_last_roster_and_says_why(app, client, platform, lms) -> None:
    iris = as_person(client, platform, "iris", [INSTRUCTOR], lms)
    refresh(client, iris)
    with app.app_context():
        make_stale()
    lms.roster_faults = ["500"]
    location, page = refresh(client, iris)
    text = page_text(page)
    assert "refreshed=failed" in location and "could not read the roster" in text and "The roster service is down" in text
    assert "Nadia Never" in people_names(client, iris)  # the last roster read is still used


def test_a_refresh_is_bounded_in_time(app, client, platform, lms) -> None:
    iris = as_person(client, platform, "iris", [INSTRUCTOR], lms)
    app.config["ROSTER_REFRESH_SECONDS"] = 0.8
    lms.delay = 5.0
    started = time.monotonic()
    location, page = refresh(client, iris)
    assert time.monotonic() - started < 4.0  # the LMS would have taken 5 s
    assert "refreshed=failed" in location and "did not answer in time" in page_text(page)
    with app.app_context():
        assert db.session.scalar(select(CourseRoster.refreshed_at)) is None


def test_a_launch_without_nrps_says_the_lms_offers_no_roster(client, platform) -> None:
    iris = as_person(client, platform, "iris", [INSTRUCTOR], None)
    location, page = refresh(client, iris)
    assert "refreshed=failed" in location and "did not offer this course's roster" in page_text(page)


def test_an_sp_of_an_open_encounter_picks_any_student_of_the_roster(app, client, platform, lms) -> None:
    as_person(client, platform, "ana", [LEARNER], lms)
    maria = as_person(client, platform, "maria", [TA], lms)
    iris = as_person(client, platform, "iris", [INSTRUCTOR], lms)
    assert client.post("/course/encounters", data={"lt": iris, "name": "OSCE day", "open_to_all": "yes"}).status_code == 303
    with app.app_context():
        from lti_plugin.models import Encounter, User

        encounter = db.session.scalar(select(Encounter.id))
        maria_id = db.session.scalar(select(User.id).where(User.sub == "maria"))
    assert client.post(f"/course/encounters/{encounter}/members",
                       data={"lt": iris, "user": maria_id, "role": "sp"}).status_code == 303
    before = client.get("/rate", query_string={"lt": maria})
    assert "students who have opened Rapport" in page_text(before)
    assert [n.get_text(strip=True) for n in BeautifulSoup(before.get_data(as_text=True), "html.parser")
            .select("#people .person-name")] == ["Ana"]
    refresh(client, iris)
    after = BeautifulSoup(client.get("/rate", query_string={"lt": maria}).get_data(as_text=True), "html.parser")
    assert [n.get_text(strip=True) for n in after.select("#people .person-name")] == ["Ana Ribeiro", "Nadia Never"]
    assert "students who have opened Rapport" not in after.get_text()
    assert after.select_one("#people img")["src"] == "https://cdn.example.edu/nadia.jpg"
