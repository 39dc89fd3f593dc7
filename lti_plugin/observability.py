"""Structured logs: one JSON line per request, with a request id, and JSON for every other record.

A request line holds the request id (the caller's X-Request-ID when it is well-formed, else a
new one, echoed in the response), the method, the path *without* its query string (the query
of a launch page carries the launch token `lt`), the status, the duration, the endpoint, and the
course and user ids (Rapport's row ids, never names) once a launch is known. Nothing else from
the request is logged: no query, no form, no headers, no cookies.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from werkzeug.wrappers import Response

from . import metrics

REQUEST_ID_HEADER = "X-Request-ID"
_WELL_FORMED_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
request_log = logging.getLogger("rapport.request")

# Attributes every LogRecord has; anything else was passed with `extra=` and is a field.
_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if "request_id" not in entry and has_request_context() and "request_id" in g:
            entry["request_id"] = g.request_id
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, separators=(",", ":"))


def configure_logging(level: str, fmt: str) -> None:
    """Send Rapport's logs to stderr, as JSON lines or plain text, once per process."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_rapport", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler._rapport = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.setLevel(level)
    # The development server's access log would print every URL with its query string, and so
    # the launch tokens in it: Rapport's own request line replaces it.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # /readyz asks alembic for the schema revision; its "Context impl" notes are noise there.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)


def init_request_log(app: Flask) -> None:
    """Give every request an id and log one line for it when it ends."""
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    g.request_started = time.perf_counter()
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _WELL_FORMED_ID.match(incoming) else uuid.uuid4().hex


def _finish(response: Response) -> Response:
    started = g.get("request_started")
    if started is None:  # before_request did not run (e.g. a redirect raised by routing)
        _start()
        started = g.request_started
    response.headers[REQUEST_ID_HEADER] = g.request_id
    fields: dict[str, Any] = {
        "request_id": g.request_id,
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        "endpoint": request.endpoint,
    }
    ids = _launch_ids()
    if ids is not None:
        fields["course_id"], fields["user_id"] = ids
    refusal = g.get("refusal_reason")
    if refusal:
        fields["refusal"] = refusal
    if response.status_code < 400:
        if request.endpoint == "lti.login":
            metrics.count("logins")
        elif request.endpoint == "lti.launch" and "opened_launch" in g:
            metrics.count("launches", g.opened_launch[2])
    request_log.info("request", extra=fields)
    return response


def _launch_ids() -> tuple[int | None, int] | None:
    """(course id, user id) of the launch this request opened or carried, if any."""
    opened = g.get("opened_launch")
    if opened is not None:
        return opened[0], opened[1]
    launch = g.get("launch")
    if launch is None:
        return None
    try:
        return launch.course_id, launch.user_id
    except Exception:  # a failed transaction must not cost the request its log line
        return None


def count_refusal(reason: str) -> None:
    """Count a refused login or launch by its reason code, and put the code on the request's line."""
    g.refusal_reason = reason
    metrics.count("launch_refusals", reason)


def watch_launch_sessions() -> None:
    """Note the ids of a launch session created during a request, for its log line and counter."""
    from .models import LaunchSession

    if event.contains(LaunchSession, "after_insert", _launch_session_inserted):
        return
    event.listen(LaunchSession, "after_insert", _launch_session_inserted)


def _launch_session_inserted(mapper: Any, connection: Any, target: Any) -> None:
    note_launch_opened(target.course_id, target.user_id, target.message_type)


def note_launch_opened(course_id: int | None, user_id: int, message_type: str) -> None:
    """Note a launch session opened during this request (for its log line and counter)."""
    if has_request_context():
        g.opened_launch = (course_id, user_id, message_type)


def init_observability(app: Flask) -> None:
    """Logging, the per-request line, and the counters, for this app."""
    configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    metrics.init_metrics(app)
    init_request_log(app)
    watch_launch_sessions()
