"""A Rapport app on a fresh, migrated database for in-process benchmarks (grades, dashboard)."""
from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from bench.launches import REDIS, SECRET, clear_redis, postgres_database


@contextmanager
def bench_app(db: str, **settings: Any) -> Iterator[Any]:
    """A migrated Rapport app with a signing key, on SQLite or on PostgreSQL + Redis."""
    with tempfile.TemporaryDirectory(prefix="rapport-bench-") as tmp:
        if db == "postgres":
            clear_redis(REDIS)
            with postgres_database() as url:
                yield _build(url, REDIS, settings)
        else:
            yield _build(f"sqlite:///{Path(tmp) / 'rapport.db'}", "", settings)


def _build(database_url: str, redis_url: str, settings: dict[str, Any]) -> Any:
    from flask_migrate import upgrade

    from lti_plugin import create_app
    from lti_plugin.config import PROJECT_ROOT
    from lti_plugin.extensions import db
    from lti_plugin.lti.keys import ensure_key

    app = create_app({"SECRET_KEY": SECRET, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
                      "LOG_LEVEL": "WARNING", **settings})
    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        ensure_key()
        db.session.commit()
    return app


def dispose(app: Any) -> None:
    """Close the app's database connections (before its database is dropped)."""
    from lti_plugin.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
