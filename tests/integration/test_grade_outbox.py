"""The outbox itself: what enqueue_score writes, timestamps, backoff, and service tokens."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from lti_plugin.extensions import db
from lti_plugin.lti.keys import current_key, public_jwk
from lti_plugin.lti.score_sender import Outcome
from lti_plugin.lti.service_tokens import TokenSource, access_token, forget_token
from lti_plugin.models import LaunchSession, Registration, ScoreDelivery
from lti_plugin.services import grading
from lti_plugin.services.grading import LineItemSpec, enqueue_score
from tests.helpers.ags_platform import FaultyPlatform
from tests.helpers.grading import AGS, make_launches, rows, test_worker

SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
NOW = datetime(2026, 11, 22, 9, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def platform():
    """A platform that issues tokens and counts the requests."""
    server = FaultyPlatform()
    yield server
    server.stop()


def _enqueue(app, key: str, **options) -> ScoreDelivery | None:
    with app.app_context():
        launch = db.session.get(LaunchSession, key)
        values = {"score_given": 1.0, "score_maximum": 2.0, "activity_progress": "Completed",
                  "grading_progress": "FullyGraded"}
        values.update(options)
        row = enqueue_score(launch, **values)
        db.session.commit()
        return row


def test_timestamps_strictly_increase_per_line_item_and_user(app, monkeypatch) -> None:
    _, keys = make_launches(app, "http://127.0.0.9:1", ["a", "b"], lineitem="http://127.0.0.9:1/li/1")
    monkeypatch.setattr(grading, "utcnow", lambda: NOW)
    for key in (keys[0], keys[0], keys[1], keys[0]):
        _enqueue(app, key)
    monkeypatch.setattr(grading, "utcnow", lambda: NOW - timedelta(seconds=5))  # the clock went back
    _enqueue(app, keys[0])
    stamps = [(r.user_sub, r.timestamp) for r in rows(app)]
    micro = timedelta(microseconds=1)
    assert stamps == [("a", NOW), ("a", NOW + micro), ("b", NOW), ("a", NOW + 2 * micro), ("a", NOW + 3 * micro)]
    assert rows(app)[0].timestamp_iso == "2026-11-22T09:00:00.123456+00:00"
    assert rows(app)[0].line_item_key != grading.line_item_key("lineitem", "http://127.0.0.9:1/li/2")


def test_what_is_written_for_a_launch_without_a_line_item(app) -> None:
    _, [key] = make_launches(app, "http://127.0.0.9:1", ["a"], lineitems="http://127.0.0.9:1/lineitems?course=7")
    _enqueue(app, key, line_item=LineItemSpec("Quiz", 20.0, "quiz:q1", "rapport"), comment="Well done")
    _enqueue(app, key)  # no spec: a column named after the link
    first, second = rows(app)
    assert (first.line_item_url, first.line_items_url, first.lti_resource_link_id) == (
        None, "http://127.0.0.9:1/lineitems?course=7", "link-1")
    assert (first.line_item_label, first.line_item_score_maximum, first.line_item_resource_id, first.line_item_tag,
            first.comment, first.state, first.attempts) == ("Quiz", 20.0, "quiz:q1", "rapport", "Well done", "pending", 0)
    assert (second.line_item_label, second.line_item_resource_id, second.line_item_tag) == ("Foundations", None, None)
    assert first.line_item_key != second.line_item_key


def test_enqueue_refuses_nonsense_and_flags_a_missing_score_scope(app) -> None:
    _, [key] = make_launches(app, "http://127.0.0.9:1", ["a"], lineitem="http://127.0.0.9:1/li/1")
    for bad, message in (({"activity_progress": "Done"}, "activity_progress"), ({"grading_progress": "A+"}, "grading"),
                         ({"score_maximum": 0}, "score_maximum"), ({"score_given": -1}, "score_given")):
        with pytest.raises(ValueError, match=message):
            _enqueue(app, key, **bad)
    with app.app_context():
        launch = db.session.get(LaunchSession, key)
        launch.claims = {AGS: {"scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"],
                               "lineitem": "http://127.0.0.9:1/li/1"}}
        db.session.commit()
    row = _enqueue(app, key, score_given=None)
    assert row is not None
    [stored] = rows(app)
    assert stored.state == "failed" and "did not grant the score scope" in stored.last_error


def test_backoff_grows_with_jitter_and_honours_retry_after(app) -> None:
    worker = test_worker(app, backoff_base=2.0, backoff_cap=60.0)
    delays = [worker.backoff(n, Outcome("retry")) for n in range(1, 10)]
    for attempts, delay in enumerate(delays, start=1):
        full = min(60.0, 2.0 * 2 ** (attempts - 1))  # capped, then jittered down by at most half
        assert full * 0.5 <= delay <= full
    assert max(delays) <= 60.0
    assert worker.backoff(1, Outcome("retry", retry_after=30.0)) >= 30.0
    assert worker.backoff(1, Outcome("retry", retry_after=1.0, counts=False)) == 1.0


def test_sixteen_threads_share_one_token_request(app, platform) -> None:
    registration_id, _ = make_launches(app, platform.url, ["a"])
    with app.app_context():
        source = TokenSource.of(db.session.get(Registration, registration_id))
    http = test_worker(app).http
    tokens: list[str] = []

    def ask() -> None:
        with app.app_context():
            tokens.append(access_token(source, [SCORE], http))

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(tokens)) == 1 and len(tokens) == 16
    assert platform.token_requests == [SCORE]
    with app.app_context():
        forget_token(source, [SCORE], "some-older-token")  # not the cached one: kept
        assert access_token(source, [SCORE], http) == tokens[0]
        forget_token(source, [SCORE], tokens[0])
        assert access_token(source, [SCORE], http) != tokens[0]
    assert len(platform.token_requests) == 2


def test_the_client_assertion_names_rapport_and_the_token_endpoint(app, platform, monkeypatch) -> None:
    registration_id, _ = make_launches(app, platform.url, ["a"])
    seen: list[str] = []
    original = platform.app.view_functions["token"]

    def spy():  # type: ignore[no-untyped-def]
        from flask import request

        seen.append(request.form["client_assertion"])
        return original()

    monkeypatch.setitem(platform.app.view_functions, "token", spy)
    with app.app_context():
        source = TokenSource.of(db.session.get(Registration, registration_id))
        access_token(source, [SCORE, "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"], test_worker(app).http)
        key = current_key()
        jwk = public_jwk(key)
    header = jwt.get_unverified_header(seen[0])
    claims = jwt.decode(seen[0], jwt.PyJWK(jwk).key, algorithms=["RS256"], audience=platform.url + "/token")
    assert header["kid"] == key.kid and header["alg"] == "RS256"
    assert claims["iss"] == claims["sub"] == "faulty-client"
    assert claims["exp"] - claims["iat"] == 300 and len(claims["jti"]) >= 16
    assert platform.token_requests == [f"https://purl.imsglobal.org/spec/lti-ags/scope/lineitem {SCORE}"]
    with app.app_context():  # a platform with its own audience gets that instead of the token URL
        row = db.session.get(Registration, registration_id)
        row.auth_audience = "https://lms.example.edu/oauth2/token"
        assert TokenSource.of(row).audience == "https://lms.example.edu/oauth2/token"
