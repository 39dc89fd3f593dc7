"""Shared fixtures: a real database (SQLite, or PostgreSQL and Redis when asked), the app,
a live Rapport server, the practice LMS as an independent platform in its own process,
and a key-set server whose keys a test controls."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from tests.helpers.keys import TestKey

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-secret-key-that-is-long-enough"


def free_port(host: str) -> int:
    """A TCP port nobody listens on at `host`."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_for(url: str, timeout: float = 20.0) -> None:
    """Wait until `url` answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


# -- database and redis ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """SQLite in a temporary folder, or a fresh PostgreSQL database from RAPPORT_TEST_DATABASE_URL."""
    server_url = os.environ.get("RAPPORT_TEST_DATABASE_URL")
    if not server_url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'rapport-test.db'}"
        return
    url = make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"rapport_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """RAPPORT_TEST_REDIS_URL, or empty for the embedded default (no Redis)."""
    url = os.environ.get("RAPPORT_TEST_REDIS_URL", "")
    if url:
        import redis

        client = redis.Redis.from_url(url)
        for key in client.scan_iter("rapport:*"):
            client.delete(key)
        client.close()
    return url


def make_app(database_url: str, redis_url: str, **overrides: Any):
    """A Rapport app on the test database."""
    from lti_plugin import create_app

    # Counters sent at once: a test app's held counts must not reach the shared Redis during the next test.
    config = {"SECRET_KEY": SECRET, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "TESTING": True,
              "METRICS_FLUSH_SECONDS": 0}
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def migrated(database_url: str, redis_url: str) -> str:
    """The test database, upgraded with Rapport's real migrations."""
    from flask_migrate import upgrade

    app = make_app(database_url, redis_url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        from lti_plugin.extensions import db

        db.engine.dispose()
    return database_url


def _clean(app) -> None:
    from lti_plugin.extensions import cache, db
    from lti_plugin.models import Base

    with app.app_context():
        with db.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
        cache.clear()


@pytest.fixture
def app(migrated: str, redis_url: str):
    """A fresh Rapport app on an emptied database, with one signing key."""
    application = make_app(migrated, redis_url)
    _clean(application)
    from lti_plugin.extensions import db
    from lti_plugin.lti.keys import ensure_key

    with application.app_context():
        ensure_key()
        db.session.commit()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A browser-like test client (keeps cookies)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """The Flask CLI runner for Rapport's commands."""
    return app.test_cli_runner()


# -- a key-set server whose keys a test controls ----------------------------------------------------
class KeySetServer:
    """Serves a JSON Web Key Set over real HTTP and counts how often it was fetched."""

    def __init__(self) -> None:
        self.keys: list[TestKey] = []
        self.fetches = 0
        self.status = 200
        from flask import Flask, jsonify

        app = Flask("keyset")

        @app.get("/jwks")
        def jwks():  # type: ignore[no-untyped-def]
            self.fetches += 1
            return jsonify({"keys": [k.public_jwk() for k in self.keys]}), self.status

        self.host = "127.0.0.3"
        self.port = free_port(self.host)
        self.server = make_server(self.host, self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/jwks"


@pytest.fixture(scope="session")
def keyset_server() -> Iterator[KeySetServer]:
    """One key-set server for the session; each test resets its keys."""
    server = KeySetServer()
    yield server
    server.server.shutdown()


# -- a live Rapport and the practice LMS in its own process -----------------------------------------
@pytest.fixture(scope="session")
def live_rapport(migrated: str, redis_url: str) -> Iterator[str]:
    """Rapport served over real HTTP on 127.0.0.1 (its own app object, same database)."""
    host, port = "127.0.0.1", free_port("127.0.0.1")
    # The tests here browse with requests, which (unlike browsers) never sends a Secure cookie
    # over plain HTTP, even on loopback; real browsers are driven by tests/browser.
    application = make_app(migrated, redis_url, SECURE_COOKIES="never")
    server = make_server(host, port, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://{host}:{port}"
    wait_for(base + "/healthz")
    yield base
    server.shutdown()
    from lti_plugin.extensions import db

    with application.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def practice_lms(live_rapport: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The practice LMS (lti1p3platform) as a separate process on 127.0.0.2."""
    folder = tmp_path_factory.mktemp("platform")
    key = TestKey.generate()
    (folder / "platform.pem").write_text(key.private_pem)
    host, port = "127.0.0.2", free_port("127.0.0.2")
    issuer = f"http://{host}:{port}"
    settings = {
        "issuer": issuer,
        "client_id": "rapport-practice-client",
        "deployment_id": "practice-deployment-1",
        "private_key_file": str(folder / "platform.pem"),
        "tool_login_url": live_rapport + "/lti/login",
        "tool_launch_url": live_rapport + "/lti/launch",
        "tool_jwks_url": live_rapport + "/lti/jwks.json",
    }
    (folder / "platform.json").write_text(json.dumps(settings))
    with open(folder / "platform.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "practice_lms", str(folder / "platform.json"), "--host", host, "--port", str(port)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log,
        )
        try:
            wait_for(issuer + "/jwks.json")
            yield {**settings, "url": issuer, "key": key, "log": folder / "platform.log"}
        finally:
            process.terminate()
            process.wait(timeout=10)
