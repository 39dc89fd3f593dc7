"""Refused logins and launches are kept with their reason code and claimed platform (never the
token), in one call from the error handler, and the table trims itself."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select

from lti_plugin.extensions import db
from lti_plugin.models import LaunchRefusal, utcnow
from lti_plugin.services import refusals
from tests.helpers.keys import TestKey
from tests.helpers.lti import begin_login, claims, post_launch
from tests.helpers.platform import CLIENT_ID, DEPLOYMENT, ISSUER


def rows(app) -> list[tuple]:
    with app.app_context():
        return [(r.reason, r.status, r.issuer, r.client_id)
                for r in db.session.scalars(select(LaunchRefusal).order_by(LaunchRefusal.id))]


def test_login_and_launch_refusals_are_recorded(app, client, platform) -> None:
    client.get("/lti/login", query_string={"iss": ISSUER, "login_hint": "u", "client_id": "no-such-client",
                                           "target_link_uri": "http://localhost/lti/launch"})
    login = begin_login(client, ISSUER, CLIENT_ID)
    token = platform.key.sign(claims(ISSUER, CLIENT_ID, "deployment-new", login.nonce))
    post_launch(client, token, login.state)
    login = begin_login(client, ISSUER, CLIENT_ID)
    post_launch(client, TestKey.generate().sign(claims(ISSUER, CLIENT_ID, DEPLOYMENT, login.nonce), kid=platform.key.kid), login.state)
    post_launch(client, "garbage", "made-up-state")
    assert rows(app) == [
        ("unknown_platform", 403, ISSUER, "no-such-client"),
        ("deployment_unknown", 403, ISSUER, CLIENT_ID),
        ("bad_signature", 401, ISSUER, CLIENT_ID),
        ("state_unknown", 400, None, None),
    ]


def test_a_successful_launch_records_nothing(app, client, platform) -> None:
    from tests.helpers.platform import launch

    launch(client, platform)
    assert rows(app) == []


def test_claimed_values_are_cut_to_size(app, client) -> None:
    client.get("/lti/login", query_string={"iss": "https://x.example/" + "a" * 900, "login_hint": "u",
                                           "target_link_uri": "http://localhost/lti/launch"})
    (reason, status, issuer, client_id), = rows(app)
    assert reason == "unknown_platform" and len(issuer) == 255 and client_id is None


def test_the_table_keeps_a_bounded_number_of_recent_rows(app, monkeypatch) -> None:
    monkeypatch.setattr(refusals, "MAX_ROWS", 5)
    monkeypatch.setattr(refusals, "PURGE_EVERY", 1)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(insert(LaunchRefusal).values(created_at=utcnow() - timedelta(days=refusals.KEEP_DAYS + 1),
                                                      reason="old_one", status=400))
        for i in range(12):
            refusals.record_refusal(f"reason_{i}", 400, None, None)
        kept = list(db.session.scalars(select(LaunchRefusal.reason).order_by(LaunchRefusal.id)))
    assert kept == [f"reason_{i}" for i in range(7, 12)]


def test_a_failing_record_does_not_hide_the_refusal_page(app, client, monkeypatch) -> None:
    from lti_plugin import refusal_log

    def broken(*args):
        raise RuntimeError("database gone")

    monkeypatch.setattr(refusal_log, "record_refusal", broken)
    response = client.get("/lti/login", query_string={"iss": "https://unknown.example", "login_hint": "u",
                                                      "target_link_uri": "http://localhost/lti/launch"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LaunchRefusal)) == 0
