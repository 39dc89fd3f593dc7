"""Operations endpoints: readiness for load balancers and orchestrators, counters for Prometheus."""
from __future__ import annotations

import hmac
import time
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy import func, select, text
from werkzeug.wrappers import Response

from .. import metrics
from ..content.current import current_library
from ..extensions import db
from ..models import ScoreDelivery
from ..models.outbox import DELIVERY_STATES
from ..state_store import redis_client

bp = Blueprint("ops", __name__)

PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _check_database() -> str | None:
    db.session.execute(text("SELECT 1"))
    return None


def _check_schema() -> str | None:
    """The database is at the newest migration this code ships (else `rapport init` is due)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = current_app.extensions.get("rapport_schema_heads")
    if heads is None:
        heads = set(ScriptDirectory(current_app.extensions["migrate"].directory).get_heads())
        current_app.extensions["rapport_schema_heads"] = heads
    current = set(MigrationContext.configure(db.session.connection()).get_current_heads())
    if current != heads:
        return "the database is not at the newest migration; run `rapport init` (or `flask db upgrade`)"
    return None


def _check_redis() -> str | None:
    client = redis_client(current_app)
    if client is None:
        return None
    client.ping()
    return None


def _check_content() -> str | None:
    if not current_library().catalogue_entries():
        return "no content is loaded"
    return None


CHECKS = (("database", _check_database), ("schema", _check_schema), ("redis", _check_redis),
          ("content", _check_content))


@bp.get("/readyz")
def readyz() -> Response:
    """Ready to serve: database, schema, Redis (when configured) and content; 503 names what failed."""
    results: dict[str, dict[str, Any]] = {}
    ready = True
    for name, check in CHECKS:
        if name == "redis" and not current_app.config["REDIS_URL"]:
            results[name] = {"status": "not configured"}
            continue
        if name == "schema" and results.get("database", {}).get("status") != "ok":
            results[name] = {"status": "skipped"}
            continue
        started = time.perf_counter()
        try:
            problem = check()
        except Exception as error:  # the kind of failure only, never its text (it may hold a URL)
            db.session.rollback()
            problem = f"{type(error).__name__}"
        entry: dict[str, Any] = {"status": "ok" if problem is None else "failed",
                                 "ms": round((time.perf_counter() - started) * 1000, 1)}
        if problem is not None:
            entry["problem"] = problem
            ready = False
        results[name] = entry
    failed = [name for name, entry in results.items() if entry["status"] == "failed"]
    response = jsonify({"status": "ready" if ready else "not ready", "failed": failed, "checks": results})
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _authorized() -> bool:
    expected = current_app.config["METRICS_TOKEN"]
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode())


@bp.get("/metrics")
def prometheus() -> Response:
    """Counters and outbox gauges in Prometheus text format, for a bearer of METRICS_TOKEN."""
    if not current_app.config["METRICS_TOKEN"]:
        abort(404, description="Metrics are off: set METRICS_TOKEN to turn them on.")
    if not _authorized():
        response = jsonify({"error": "Unauthorized", "message": "Send the METRICS_TOKEN as a bearer token."})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="rapport-metrics"'
        return response
    try:
        counts = metrics.read_counters()
    except Exception as error:
        response = jsonify({"error": "Service Unavailable", "message": f"Counters unavailable ({type(error).__name__})."})
        response.status_code = 503
        return response
    by_state = dict(db.session.execute(
        select(ScoreDelivery.state, func.count()).group_by(ScoreDelivery.state)).all())
    gauges = {"rapport_score_outbox_rows": ("Scores in the outbox now, by state.", "state",
                                            {state: float(by_state.get(state, 0)) for state in
                                             DELIVERY_STATES})}
    response = current_app.response_class(metrics.prometheus_text(counts, gauges), mimetype="text/plain")
    response.headers["Content-Type"] = PROMETHEUS_TYPE
    response.headers["Cache-Control"] = "no-store"
    return response
