"""Checking pooled database connections only after they sat idle.

SQLAlchemy's `pool_pre_ping` sends a statement at every checkout, and a launch checks a
connection out two to five times: on PostgreSQL that is a round trip each time, for a
connection that was in use a moment before. Rapport pings a connection only when it comes out
of the pool after `DB_PING_AFTER_IDLE_SECONDS` or more unused (and a new one never). A dead
connection found so is replaced before the request uses it; one that dies while in steady use
fails that one request, and SQLAlchemy then recycles every connection of the pool.
"""
from __future__ import annotations

import time
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

_RETURNED = "rapport_returned_at"
_CONFIGURED: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def ping_after_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a connection at checkout when it has been unused for idle_seconds (0: at every checkout)."""
    if engine in _CONFIGURED:
        return
    _CONFIGURED.add(engine)
    dialect = engine.dialect

    def checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is not None and time.monotonic() - returned < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            # The pool throws this connection away and checks out another.
            raise DisconnectionError("a pooled database connection had gone away") from error

    event.listen(engine, "connect", _mark)
    event.listen(engine, "checkin", _mark)
    event.listen(engine, "checkout", checkout)


def _mark(dbapi_connection: Any, record: Any) -> None:
    record.info[_RETURNED] = time.monotonic()
