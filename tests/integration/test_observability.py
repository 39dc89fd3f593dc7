"""Structured request logs, readiness checks and the Prometheus counters, through real HTTP."""
from __future__ import annotations

import json
import logging

import pytest

from lti_plugin import metrics
from lti_plugin.observability import JsonFormatter
from tests.conftest import free_port, make_app
from tests.helpers.grading import enqueue, make_launches, test_worker
from tests.helpers.lti import begin_login, claims, post_launch
from tests.helpers.platform import launch

TOKEN = "metrics-token-for-the-tests-0123"


@pytest.fixture
def other_app():
    """Build apps with other settings; their database connections are closed after the test."""
    built = []

    def build(database_url: str, redis_url: str, **overrides):
        application = make_app(database_url, redis_url, **overrides)
        built.append(application)
        return application

    yield build
    from lti_plugin.extensions import db

    for application in built:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
        client = application.extensions.get("rapport_redis")
        if client is not None:
            client.close()


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict]:
    """The request log lines, as the JSON a log collector would read."""
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "rapport.request"]


def test_one_json_line_per_request_without_the_query_or_tokens(app, client, platform, caplog) -> None:
    caplog.set_level(logging.INFO, logger="rapport.request")
    token = launch(client, platform)
    page = client.get(f"/home?lt={token}")
    assert page.status_code == 200
    lines = request_lines(caplog)
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("GET", "/lti/login", 302), ("POST", "/lti/launch", 200), ("GET", "/home", 200)]
    text = caplog.text + json.dumps(lines)
    assert token not in text and "lt=" not in text and "id_token" not in text
    login, opened, home = lines
    assert "course_id" not in login and "user_id" not in login
    assert opened["course_id"] == home["course_id"] and isinstance(home["course_id"], int)
    assert opened["user_id"] == home["user_id"] and isinstance(home["user_id"], int)
    assert len({line["request_id"] for line in lines}) == 3
    assert all(line["duration_ms"] >= 0 and line["level"] == "INFO" for line in lines)
    assert page.headers["X-Request-ID"] == home["request_id"]


def test_a_well_formed_request_id_is_kept_and_a_bad_one_replaced(client, caplog) -> None:
    caplog.set_level(logging.INFO, logger="rapport.request")
    kept = client.get("/healthz", headers={"X-Request-ID": "edge-7f3a9c21"})
    replaced = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert kept.headers["X-Request-ID"] == "edge-7f3a9c21"
    assert replaced.headers["X-Request-ID"] != "<script>alert(1)</script>"
    assert [line["request_id"] for line in request_lines(caplog)] == [
        "edge-7f3a9c21", replaced.headers["X-Request-ID"]]


def test_a_refusal_line_carries_its_reason_code(app, client, platform, caplog) -> None:
    caplog.set_level(logging.INFO, logger="rapport.request")
    login = begin_login(client, platform.issuer, platform.client_id)
    body = claims(platform.issuer, platform.client_id, platform.deployment_id, "not-the-nonce")
    assert post_launch(client, platform.key.sign(body), login.state).status_code == 401
    assert request_lines(caplog)[-1]["refusal"] == "nonce_mismatch"


def test_readyz_reports_each_check(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["status"] == "ready" and data["failed"] == []
    assert {name: check["status"] for name, check in data["checks"].items() if name != "redis"} == {
        "database": "ok", "schema": "ok", "content": "ok"}
    assert data["checks"]["redis"]["status"] == ("ok" if client.application.config["REDIS_URL"] else "not configured")


def test_readyz_names_an_unreachable_redis(migrated, other_app) -> None:
    dead = f"redis://127.0.0.1:{free_port('127.0.0.1')}/0"
    response = other_app(migrated, dead).test_client().get("/readyz")
    assert response.status_code == 503
    data = response.get_json()
    assert data["failed"] == ["redis"] and data["checks"]["redis"]["problem"] == "ConnectionError"
    assert data["checks"]["database"]["status"] == "ok"


def test_readyz_names_a_database_that_is_not_migrated(tmp_path, other_app) -> None:
    response = other_app(f"sqlite:///{tmp_path / 'empty.db'}", "").test_client().get("/readyz")
    assert response.status_code == 503
    data = response.get_json()
    assert data["failed"] == ["schema"] and "rapport init" in data["checks"]["schema"]["problem"]


def test_readyz_names_an_unreachable_database(other_app) -> None:
    dead = f"postgresql+psycopg://rapport@127.0.0.1:{free_port('127.0.0.1')}/rapport?connect_timeout=2"
    response = other_app(dead, "").test_client().get("/readyz")
    assert response.status_code == 503
    data = response.get_json()
    assert data["failed"] == ["database"] and data["checks"]["schema"]["status"] == "skipped"
    assert "127.0.0.1" not in json.dumps(data)  # the problem is named, the address is not


def test_metrics_are_off_without_a_token_and_closed_to_a_wrong_one(migrated, redis_url, other_app) -> None:
    assert other_app(migrated, redis_url).test_client().get("/metrics").status_code == 404
    client = other_app(migrated, redis_url, METRICS_TOKEN=TOKEN).test_client()
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer " + "x" * len(TOKEN)})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def _scrape(client) -> dict[str, float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for line in response.get_data(as_text=True).splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def test_counters_count_launches_refusals_and_deliveries(migrated, redis_url, keyset_server, other_app) -> None:
    from tests.helpers.ags_platform import FaultyPlatform
    from tests.helpers.platform import register

    app = other_app(migrated, redis_url, METRICS_TOKEN=TOKEN)
    from tests.conftest import _clean

    _clean(app)
    with app.app_context():
        from lti_plugin.extensions import db
        from lti_plugin.lti.keys import ensure_key

        ensure_key()
        db.session.commit()
    platform = register(app, keyset_server.url)
    keyset_server.keys = [platform.key]
    client = app.test_client()
    before = _scrape(client)

    launch(client, platform)
    launch(client, platform, sub="user-2")
    login = begin_login(client, platform.issuer, platform.client_id)
    post_launch(client, platform.key.sign(claims(platform.issuer, platform.client_id, platform.deployment_id,
                                                 login.nonce)), "no-such-state")
    gradebook = FaultyPlatform()
    try:
        _, keys = make_launches(app, gradebook.url, ["a", "b", "c"], lineitem=gradebook.add_line_item())
        gradebook.not_gradable["c"] = "test student"
        enqueue(app, keys)
        test_worker(app).run_until_idle()
    finally:
        gradebook.stop()

    after = _scrape(client)

    def grew(sample: str) -> float:
        return after.get(sample, 0) - before.get(sample, 0)

    assert grew('rapport_launches_total{message_type="LtiResourceLinkRequest"}') == 2
    assert grew("rapport_logins_total") == 3
    assert grew('rapport_launch_refusals_total{reason="state_unknown"}') == 1
    assert grew('rapport_score_deliveries_total{state="delivered"}') == 2
    assert grew('rapport_score_deliveries_total{state="failed"}') == 1
    assert after['rapport_score_outbox_rows{state="delivered"}'] == 2
    assert after['rapport_score_outbox_rows{state="failed"}'] == 1


def test_a_counter_label_cannot_carry_arbitrary_text(app) -> None:
    with app.app_context():
        before = metrics.read_counters()
        metrics.count("launch_refusals", 'x"} 99\nrapport_fake 1')
        after = metrics.read_counters()
    assert after.get("launch_refusals|other", 0) == before.get("launch_refusals|other", 0) + 1
    text = metrics.prometheus_text(after, {})
    assert "rapport_fake" not in text


def test_a_counter_store_outage_never_fails_a_request(migrated, other_app) -> None:
    dead = f"redis://127.0.0.1:{free_port('127.0.0.1')}/0"
    app = other_app(migrated, "")
    app.extensions["rapport_metrics"] = metrics.RedisCounters(__import__("redis").Redis.from_url(dead))
    assert app.test_client().get("/lti/login").status_code == 400  # refused (no iss), still answered


def _refusals(client) -> float:
    return sum(v for k, v in _scrape(client).items() if k.startswith("rapport_launch_refusals_total"))


def test_with_redis_each_process_sends_its_counts_in_batches(migrated, redis_url, other_app) -> None:
    if not redis_url:
        pytest.skip("counts are batched only when they are shared through Redis")
    held = other_app(migrated, redis_url, METRICS_TOKEN=TOKEN, METRICS_FLUSH_SECONDS=3600).test_client()
    other = other_app(migrated, redis_url, METRICS_TOKEN=TOKEN).test_client()
    before = _refusals(other)
    assert held.get("/lti/login").status_code == 400  # refused: counted, held by its process
    assert _refusals(other) == before  # not sent yet
    assert _refusals(held) == before + 1  # a process sends what it holds before it reads
    assert _refusals(other) == before + 1


def test_with_redis_held_counts_are_sent_without_a_read(migrated, redis_url, other_app) -> None:
    if not redis_url:
        pytest.skip("counts are batched only when they are shared through Redis")
    import time

    sender = other_app(migrated, redis_url, METRICS_TOKEN=TOKEN, METRICS_FLUSH_SECONDS=0.05).test_client()
    other = other_app(migrated, redis_url, METRICS_TOKEN=TOKEN).test_client()
    before = _refusals(other)
    for _ in range(3):
        assert sender.get("/lti/login").status_code == 400
    deadline = time.monotonic() + 5
    while _refusals(other) < before + 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _refusals(other) == before + 3
