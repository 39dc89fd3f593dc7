"""PostgreSQL connections are checked after sitting idle in the pool, not at every checkout."""
from __future__ import annotations

import time
from typing import Any, Callable, Iterator

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.conftest import make_app


@pytest.fixture
def postgres(migrated: str) -> str:
    if not migrated.startswith("postgresql"):
        pytest.skip("pooled server connections: the PostgreSQL pass of the suite")
    return migrated


@pytest.fixture
def pinging(postgres: str, redis_url: str) -> Iterator[Callable[[float], Any]]:
    """Apps on the test database with a given DB_PING_AFTER_IDLE_SECONDS, their pools closed afterwards."""
    from lti_plugin.extensions import db

    made: list[Any] = []

    def app_with(idle: float) -> Any:
        made.append(make_app(postgres, redis_url, DB_PING_AFTER_IDLE_SECONDS=idle))
        return made[-1]

    yield app_with
    for app in made:
        with app.app_context():
            db.engine.dispose()


def _pooled_backend(app) -> int:
    """The server process behind the connection the app's pool will hand out next."""
    from lti_plugin.extensions import db

    with app.app_context():
        pid = int(db.session.execute(text("SELECT pg_backend_pid()")).scalar_one())
        db.session.remove()
    return pid


def _terminate(url: str, pid: int) -> None:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
    time.sleep(0.2)  # the server closes the socket after answering


@pytest.mark.parametrize("idle", [0.1, 0], ids=["idle longer than the setting", "every checkout pinged with zero"])
def test_a_connection_that_died_while_idle_is_replaced_before_a_page_uses_it(
        postgres: str, pinging: Callable[[float], Any], idle: float) -> None:
    app = pinging(idle)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    dead = _pooled_backend(app)
    _terminate(postgres, dead)
    assert client.get("/healthz").status_code == 200
    assert _pooled_backend(app) != dead


def test_a_connection_in_steady_use_is_not_pinged(postgres: str, pinging: Callable[[float], Any]) -> None:
    # Within the idle time no round trip checks the connection: one that died meanwhile fails
    # the one request that meets it, and the pool is then renewed for the next.
    app = pinging(3600)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    _terminate(postgres, _pooled_backend(app))
    assert client.get("/healthz").status_code == 500
    assert client.get("/healthz").status_code == 200
