"""Rapport: an LTI 1.3 tool for teaching and rating relational skills."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import load_settings


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Rapport application: settings, extensions, blueprints, commands."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(load_settings(test_config))
    app.config.update(
        SQLALCHEMY_DATABASE_URI=app.config["DATABASE_URL"],
        # A server's connections can drop while pooled: they are pinged after sitting idle
        # (db_ping.py), not at each of a launch's checkouts. SQLite's file cannot drop.
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": False},
        CACHE_TYPE="RedisCache" if app.config["REDIS_URL"] else "SimpleCache",
        CACHE_REDIS_URL=app.config["REDIS_URL"] or None,
        CACHE_KEY_PREFIX="rapport:cache:",
        CACHE_DEFAULT_TIMEOUT=300,
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=1024 * 1024,
        SESSION_COOKIE_NAME="rapport_session",
    )
    _ensure_sqlite_folder(app.config["DATABASE_URL"])
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]

    _load_content(app)

    from .extensions import cache, csrf, db, migrate
    from .observability import init_observability
    from .state_store import init_state_store

    db.init_app(app)
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        from .db_ping import ping_after_idle

        with app.app_context():
            ping_after_idle(db.engine, app.config["DB_PING_AFTER_IDLE_SECONDS"])
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    cache.init_app(app)
    csrf.init_app(app)
    init_state_store(app)
    init_observability(app)

    from .admin_auth import init_admin_sessions
    from .auth import add_launch_to_urls, launch_field
    from .blueprints import (admin, core, course, dashboard, deep_linking, lti, ops, player, rater, registration,
                             reports, surveys)
    from .errors import register_error_handlers

    init_admin_sessions(app)
    for blueprint in (core.bp, lti.bp, player.bp, deep_linking.bp, registration.bp, admin.bp, surveys.bp, dashboard.bp,
                      rater.bp, course.bp, reports.bp, ops.bp):
        app.register_blueprint(blueprint)
    # Launch pages are authenticated by a token the page carries in its forms, not by a cookie,
    # so cross-site forgery cannot reach them (see auth.py); Flask-WTF guards cookie sessions.
    for launch_pages in (player.bp, deep_linking.bp, surveys.bp, dashboard.bp, rater.bp, course.bp, reports.bp):
        csrf.exempt(launch_pages)
    app.url_defaults(add_launch_to_urls)
    app.jinja_env.globals["launch_field"] = launch_field
    register_error_handlers(app)
    app.after_request(_security_headers)

    from .cli import register_commands

    register_commands(app)
    return app


def _load_content(app: Flask) -> None:
    """Load and validate content/ once per process; invalid content stops start-up."""
    from .config import ConfigError
    from .content import ContentInvalid, get_library

    try:
        app.extensions["rapport_content"] = get_library(app.config["CONTENT_DIR"])
    except ContentInvalid as error:
        lines = "\n".join(f"  {problem}" for problem in error.problems)
        raise ConfigError(
            f"The content in {app.config['CONTENT_DIR']} has {len(error.problems)} problem(s); "
            f"fix them (see `rapport content validate`):\n{lines}"
        ) from None


def _ensure_sqlite_folder(url: str) -> None:
    """SQLite cannot create the folder its file lives in; make it (nothing else is created here)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def _migrations_dir() -> Any:
    from .config import PROJECT_ROOT

    return PROJECT_ROOT / "migrations"


_SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy",
     "default-src 'self'; img-src 'self' data: https:; media-src 'self' https:; "
     "frame-src https:; object-src 'none'; base-uri 'none'; form-action *; frame-ancestors *"),
)


def _security_headers(response: Any) -> Any:
    """Headers every page gets: no sniffing, no referrer leaks of launch tokens, frameable by LMSs.

    A page that set one of them itself (the admin pages) keeps its own.
    """
    # One pass over the headers: a missing header looked up by name costs an exception each.
    present = {name.lower() for name in response.headers.keys()}
    for name, value in _SECURITY_HEADERS:
        if name.lower() not in present:
            response.headers[name] = value
    return response


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite: enforce foreign keys, write-ahead log, sync at checkpoints, wait instead of failing when busy."""
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # With the write-ahead log, NORMAL syncs at checkpoints instead of every commit: a crash of
        # Rapport loses nothing, a power cut may lose the last moments, the file never corrupts.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()
