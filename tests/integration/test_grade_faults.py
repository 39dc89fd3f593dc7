"""Grade delivery when the platform fails: errors, timeouts, outages, refusals, expired tokens."""
from __future__ import annotations

import threading
from collections import Counter

import pytest

from tests.helpers.ags_platform import FaultyPlatform
from tests.helpers.grading import enqueue, make_due, make_launches, rows, test_worker

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"


@pytest.fixture
def platform():
    """A platform whose faults the test scripts."""
    server = FaultyPlatform()
    yield server
    server.stop()


def users(n: int) -> list[str]:
    """n learner ids."""
    return [f"learner-{i:04d}" for i in range(n)]


def assert_each_score_landed_once(platform: FaultyPlatform, expected: dict[str, float]) -> None:
    """One final score per learner and line item, and every learner's score applied under one timestamp."""
    assert {u: s["scoreGiven"] for u, s in platform.results_by_user().items()} == expected
    stamps: dict[str, set[str]] = {}
    for score in platform.accepted:
        stamps.setdefault(score["userId"], set()).add(score["timestamp"])
    assert all(len(s) == 1 for s in stamps.values()), stamps  # re-sends (if any) carried the same timestamp


def test_server_errors_are_retried_until_delivered(app, platform) -> None:
    item = platform.add_line_item()
    _, keys = make_launches(app, platform.url, users(5), lineitem=item)
    enqueue(app, keys, score=7)
    platform.score_faults = ["500", "500", "429"]
    worker = test_worker(app, backoff_base=30.0, backoff_cap=30.0)
    worker.run_until_idle(wait_for_retries=False)
    waiting = [r for r in rows(app) if r.state == "pending"]
    assert len(waiting) == 3
    assert all("the platform answered" in r.last_error and "Gradebook is resting" in r.last_error for r in waiting)
    assert all(r.attempts == 1 and r.last_status in (500, 429) and r.claimed_by is None for r in waiting)
    make_due(app)
    test_worker(app).run_until_idle()
    assert all(r.state == "delivered" and r.last_error is None for r in rows(app))
    assert_each_score_landed_once(platform, dict.fromkeys(users(5), 7.0))
    assert len(platform.accepted) == 5


def test_token_endpoint_failures_and_timeouts_are_retried(app, platform) -> None:
    app.config["HTTP_TIMEOUT_SECONDS"] = 0.5
    _, keys = make_launches(app, platform.url, users(4), lineitem=platform.add_line_item())
    enqueue(app, keys)
    platform.token_faults = ["500", "timeout"]
    test_worker(app, backoff_base=30.0, backoff_cap=30.0).run_until_idle(wait_for_retries=False)
    errors = sorted(r.last_error for r in rows(app) if r.state == "pending")
    assert len(errors) == 2
    assert any("token endpoint answered 500: server_error: Token service is restarting" in e for e in errors)
    assert any(e.startswith("Getting an access token: the platform did not answer in time") for e in errors)
    make_due(app)
    test_worker(app).run_until_idle()
    assert all(r.state == "delivered" for r in rows(app))
    assert platform.token_requests == [SCORE_SCOPE] * 3
    assert_each_score_landed_once(platform, dict.fromkeys(users(4), 8.0))


def test_score_timeouts_resend_the_same_score(app, platform) -> None:
    app.config["HTTP_TIMEOUT_SECONDS"] = 0.5
    _, keys = make_launches(app, platform.url, users(3), lineitem=platform.add_line_item())
    enqueue(app, keys, score=9)
    platform.score_faults = ["slow-accept", "timeout"]  # one stored but never confirmed, one lost
    test_worker(app).run_until_idle()
    assert all(r.state == "delivered" for r in rows(app))
    assert sorted(r.attempts for r in rows(app)) == [1, 2, 2]
    assert_each_score_landed_once(platform, dict.fromkeys(users(3), 9.0))
    assert len(platform.accepted) == 4  # the unconfirmed one came twice, with the same timestamp


def test_an_unreachable_platform_loses_nothing(app, platform) -> None:
    _, keys = make_launches(app, platform.url, users(6), lineitem=platform.add_line_item())
    platform.stop()
    enqueue(app, keys, score=4)
    test_worker(app, backoff_base=30.0, backoff_cap=30.0).run_until_idle(wait_for_retries=False)
    assert all(r.state == "pending" and "could not reach the platform" in r.last_error for r in rows(app))
    platform.start()
    make_due(app)
    test_worker(app).run_until_idle()
    assert all(r.state == "delivered" for r in rows(app))
    assert_each_score_landed_once(platform, dict.fromkeys(users(6), 4.0))


def test_a_user_the_platform_cannot_grade_fails_with_its_message(app, platform) -> None:
    _, keys = make_launches(app, platform.url, ["learner-1", "admin-1"], lineitem=platform.add_line_item())
    platform.not_gradable["admin-1"] = "User admin-1 cannot be graded: not enrolled as a student"
    enqueue(app, keys)
    test_worker(app).run_until_idle()
    test_worker(app).run_until_idle()
    by_user = {r.user_sub: r for r in rows(app)}
    assert by_user["learner-1"].state == "delivered"
    failed = by_user["admin-1"]
    assert failed.state == "failed" and failed.attempts == 1 and failed.last_status == 400
    assert failed.last_error == ("Sending the score: the platform answered 400: "
                                 "user_not_gradable: User admin-1 cannot be graded: not enrolled as a student")
    assert len(platform.score_posts) == 2


def test_a_refused_token_is_replaced_once(app, platform) -> None:
    _, keys = make_launches(app, platform.url, users(2), lineitem=platform.add_line_item())
    enqueue(app, keys[:1])
    test_worker(app).run_until_idle()
    platform.revoked.update(platform.issued)  # the platform forgot the token Rapport cached
    enqueue(app, keys[1:])
    test_worker(app).run_until_idle()
    assert all(r.state == "delivered" for r in rows(app))
    assert platform.token_requests == [SCORE_SCOPE, SCORE_SCOPE]
    platform.always_unauthorized = True
    enqueue(app, keys[:1], score=3)
    test_worker(app).run_until_idle()
    last = rows(app)[-1]
    assert last.state == "failed" and last.last_status == 401
    assert "The access token is not valid (after a fresh access token too)" in last.last_error


def test_a_newer_score_supersedes_older_pending_ones(app, platform) -> None:
    _, keys = make_launches(app, platform.url, ["learner-1"], lineitem=platform.add_line_item())
    for value in (5, 6, 7):
        enqueue(app, keys, score=value)
    test_worker(app).run_until_idle()
    assert [(r.score_given, r.state) for r in rows(app)] == [(5, "superseded"), (6, "superseded"), (7, "delivered")]
    assert [s["scoreGiven"] for s in platform.accepted] == [7]


def test_line_item_found_across_pages_with_case_sensitive_cursors(app, platform) -> None:
    platform.ignore_filters = True  # some platforms page through everything
    for n in range(4):
        platform.add_line_item(resourceLinkId=f"other-{n}")
    wanted = platform.add_line_item(resourceLinkId="link-1", resourceId="quiz:listening", tag="rapport")
    _, keys = make_launches(app, platform.url, users(3), lineitems=platform.url + "/lineitems")
    from lti_plugin.services.grading import LineItemSpec

    enqueue(app, keys, line_item=LineItemSpec("Listening", 10, "quiz:listening", "rapport"))
    test_worker(app).run_until_idle()
    assert {r.line_item_url for r in rows(app)} == {wanted} and len(platform.line_items) == 5
    assert platform.pages_asked[0] == "resource_link_id=link-1&resource_id=quiz%3Alistening&tag=rapport"
    assert [q.split("&")[0][:10] for q in platform.pages_asked[1:]] == [
        "cursor=" + c[:3] for c in list(platform.cursors)[:2]]  # followed exactly, mixed case intact
    assert platform.token_requests.count(LINEITEM_SCOPE) == 1


def test_line_item_created_once_by_many_threads(app, platform) -> None:
    _, keys = make_launches(app, platform.url, users(20), lineitems=platform.url + "/lineitems")
    enqueue(app, keys)
    test_worker(app, threads=16).run_until_idle()
    assert len(platform.line_items) == 1
    item = platform.line_items[1]
    assert item["resourceLinkId"] == "link-1" and item["label"] == "Foundations" and item["scoreMaximum"] == 10
    assert all(r.state == "delivered" and r.line_item_url == item["id"] for r in rows(app))


def test_two_workers_never_send_a_row_twice(app, platform) -> None:
    _, keys = make_launches(app, platform.url, users(120), lineitem=platform.add_line_item())
    enqueue(app, keys)
    workers = [test_worker(app, threads=6, name=f"w{i}") for i in range(2)]
    threads = [threading.Thread(target=w.run_until_idle) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(r.state == "delivered" for r in rows(app))
    assert Counter(s["userId"] for s in platform.accepted) == Counter(users(120))
    assert {r.claimed_by for r in rows(app)} == {None}


def test_a_token_another_process_stored_just_before_the_claim_is_used(app, platform, monkeypatch) -> None:
    # Another process asks for the token, stores it and lets go of its claim between this
    # process's look at the cache and its own claim: this process must not ask again.
    from lti_plugin.extensions import cache
    from lti_plugin.lti import service_tokens

    _, keys = make_launches(app, platform.url, users(2), lineitem=platform.add_line_item())
    enqueue(app, keys[:1])
    test_worker(app).run_until_idle()
    assert platform.token_requests == [SCORE_SCOPE]
    with app.app_context():
        [key] = [k for k in service_tokens._memo()]
        stored = cache.get(key)
        cache.delete(key)  # as though it had not landed yet when this process looked
        service_tokens._memo().clear()
    claim = service_tokens._claim_request

    def claim_after_the_other_process(key: str) -> bool:
        cache.set(key, stored, timeout=600)  # the other process's token lands, its claim is released
        return claim(key)

    monkeypatch.setattr(service_tokens, "_claim_request", claim_after_the_other_process)
    enqueue(app, keys[1:])
    test_worker(app).run_until_idle()
    assert all(r.state == "delivered" for r in rows(app))
    assert platform.token_requests == [SCORE_SCOPE]  # the stored token was used
