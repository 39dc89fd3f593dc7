"""The NRPS client against a Canvas-like platform and against the practice LMS (lti1p3platform):
Link headers followed exactly as given, filters, timeouts and deadlines, refusals."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from lti_plugin.extensions import db
from lti_plugin.lti.errors import ServiceCallError
from lti_plugin.lti.http import TimeoutSession
from lti_plugin.lti.nrps import MEMBERSHIP_MEDIA, NRPS_SCOPE, read_members
from lti_plugin.lti.service_tokens import TokenSource
from lti_plugin.models import Registration
from tests.helpers.roster_platform import LEARNER, RosterPlatform, member
from tests.integration.test_e2e_launch import registered  # noqa: F401  (fixture)

TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
PEOPLE = [member(f"u{i}", f"Student {i}", picture=f"https://cdn.example.edu/p{i}.jpg") for i in range(1, 7)] + [
    member("t1", "A Teaching Assistant", [TA], email="ta@example.edu")]


@pytest.fixture
def canvas():
    platform = RosterPlatform(PEOPLE, client_id="canvas-client")
    yield platform
    platform.stop()


def source(platform: RosterPlatform) -> TokenSource:
    return TokenSource(990001, "canvas-client", platform.url + "/token", platform.url + "/token")


def test_every_page_is_read_following_the_next_link_exactly_as_given(app, canvas) -> None:
    with app.app_context():
        result = read_members(TimeoutSession(5), source(canvas), canvas.members_url)
    assert [m.user_id for m in result.members] == [p["user_id"] for p in PEOPLE]
    assert result.pages == 4 and result.context_id == "canvas-course-7"
    # Page 2 on are the next links, byte for byte: mixed-case cursors, several relations per header.
    assert canvas.roster_asked[0] == "/api/lti/courses/7/names_and_roles"
    for asked in canvas.roster_asked[1:]:
        cursor = asked.split("cursor=")[1].split("&")[0]
        assert cursor in canvas.roster_cursors and cursor != cursor.lower()
    assert set(canvas.roster_accept) == {MEMBERSHIP_MEDIA}
    assert canvas.token_requests == [NRPS_SCOPE]  # one token for every page
    first = result.members[0]
    assert first.name == "Student 1" and first.roles == (LEARNER,) and first.picture.startswith("https://")


def test_role_rlid_and_limit_are_asked_for_and_a_url_keeps_its_own_query(app, canvas) -> None:
    with app.app_context():
        result = read_members(TimeoutSession(5), source(canvas), canvas.members_url + "?per_page=3",
                              role="TeachingAssistant", rlid="link-9", limit=50)
    assert [m.user_id for m in result.members] == ["t1"]
    assert canvas.roster_asked[0] == "/api/lti/courses/7/names_and_roles?per_page=3&role=TeachingAssistant&rlid=link-9&limit=50"


def test_a_slow_platform_is_given_up_within_the_deadline(app, canvas) -> None:
    canvas.delay = 5.0
    started = time.monotonic()
    with app.app_context(), pytest.raises(ServiceCallError) as error:
        read_members(TimeoutSession(10), source(canvas), canvas.members_url, deadline_seconds=0.6)
    assert time.monotonic() - started < 2.5  # the call's own timeout is what is left of the deadline
    assert error.value.retryable and "did not answer in time" in error.value.message


def test_the_deadline_counts_across_pages(app, canvas) -> None:
    ticks = iter(x * 0.3 for x in range(100))  # a clock that moves 0.3 s each time it is read

    with app.app_context(), pytest.raises(ServiceCallError) as error:
        read_members(TimeoutSession(10), source(canvas), canvas.members_url, deadline_seconds=1.0,
                     clock=lambda: next(ticks))
    assert len(canvas.roster_asked) == 2  # of four pages: the third would start past the deadline
    assert "longer than 1 seconds in all" in error.value.message and error.value.retryable


def test_refusals_loops_and_a_renewed_token(app, canvas) -> None:
    with app.app_context():
        canvas.roster_faults = ["500"]
        with pytest.raises(ServiceCallError) as down:
            read_members(TimeoutSession(5), source(canvas), canvas.members_url)
        assert down.value.status == 500 and "The roster service is down" in down.value.message
        canvas.roster_faults = ["loop"]
        with pytest.raises(ServiceCallError) as loop:
            read_members(TimeoutSession(5), source(canvas), canvas.members_url)
        assert "points back" in loop.value.message
        canvas.roster_faults = ["401"]  # a token the platform stopped accepting: one fresh token, then on
        assert len(read_members(TimeoutSession(5), source(canvas), canvas.members_url).members) == len(PEOPLE)
        assert canvas.token_requests.count(NRPS_SCOPE) == 2


def test_the_practice_lms_pages_with_an_unquoted_rel_next(app, registered) -> None:  # noqa: F811
    url = registered["url"] + "/nrps/members?limit=3"
    with app.app_context():
        row = db.session.scalar(select(Registration))
        everyone = read_members(TimeoutSession(5), TokenSource.of(row), url)
        learners = read_members(TimeoutSession(5), TokenSource.of(row), url, role="Learner")
        with pytest.raises(ServiceCallError) as unknown_link:
            read_members(TimeoutSession(5), TokenSource.of(row), url, rlid="no-such-link")
    assert everyone.pages == 4 and len(everyone.members) == 11
    assert {m.user_id for m in everyone.members} >= {"stu-ana", "coach-kofi", "sp-maria", "sp-tomas"}
    assert {m.user_id for m in learners.members} == {"stu-ana", "stu-ben", "stu-chen", "stu-dara", "stu-eli", "stu-farah"}
    assert unknown_link.value.status == 403


def test_the_practice_lms_wants_a_token_with_the_nrps_scope(app, registered) -> None:  # noqa: F811
    import requests

    from lti_plugin.lti.service_tokens import access_token

    with app.app_context():
        row = db.session.scalar(select(Registration))
        token = access_token(TokenSource.of(row), ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
                             TimeoutSession(5))
    answer = requests.get(registered["url"] + "/nrps/members", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert answer.status_code == 403 and "contextmembership" in answer.json()["error_description"]
    assert requests.get(registered["url"] + "/nrps/members", timeout=5).status_code == 401
