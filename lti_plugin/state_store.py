"""The state store the app was configured with (database, or Redis when REDIS_URL is set)."""
from __future__ import annotations

from flask import Flask, current_app

from .lti.state import DatabaseStateStore, RedisStateStore, StateStore


def init_state_store(app: Flask) -> None:
    """Choose the store for this app; Redis is connected lazily, on first use."""
    if app.config["REDIS_URL"]:
        import redis

        client = redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=5)
        app.extensions["rapport_state"] = RedisStateStore(client)
    else:
        app.extensions["rapport_state"] = DatabaseStateStore()


def state_store() -> StateStore:
    """The current app's state store."""
    return current_app.extensions["rapport_state"]  # type: ignore[no-any-return]
