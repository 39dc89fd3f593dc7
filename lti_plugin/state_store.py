"""The state store the app was configured with (database, or Redis when REDIS_URL is set)."""
from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from flask import Flask, current_app

from .lti.state import DatabaseStateStore, RedisStateStore, StateStore

if TYPE_CHECKING:
    from redis import Redis


def redis_client(app: Flask) -> "Redis | None":
    """The app's one Redis client (a connection pool, connected lazily), or None without REDIS_URL."""
    if not app.config["REDIS_URL"]:
        return None
    client = app.extensions.get("rapport_redis")
    if client is None:
        import redis

        client = redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=5)
        app.extensions["rapport_redis"] = client
    return client  # type: ignore[no-any-return]


def init_state_store(app: Flask) -> None:
    """Choose the store for this app; Redis is connected lazily, on first use."""
    client = redis_client(app)
    app.extensions["rapport_state"] = RedisStateStore(client) if client is not None else DatabaseStateStore()


def state_store() -> StateStore:
    """The current app's state store."""
    return current_app.extensions["rapport_state"]  # type: ignore[no-any-return]


_local_guard = threading.Lock()


def _claim_key(name: str) -> str:
    # Under the cache's prefix: claims are short-lived cache entries, and clearing the cache clears them.
    return f"{current_app.config['CACHE_KEY_PREFIX']}claim:{name}"


def _local_claims() -> dict[str, float]:
    claims: dict[str, float] = current_app.extensions.setdefault("rapport_claims", {})
    return claims


def claim(name: str, seconds: float) -> bool:
    """Take a short claim on `name` for `seconds`; True for one taker at a time.

    Shared by every process through Redis when it is configured (SET NX with an expiry, so a
    taker that dies frees it), else within this process. Used to rate-limit and single-flight
    calls to platforms across workers.
    """
    client = redis_client(current_app)
    if client is not None:
        return bool(client.set(_claim_key(name), b"1", nx=True, px=max(1, int(seconds * 1000))))
    now = time.monotonic()
    claims = _local_claims()
    with _local_guard:
        if claims.get(name, 0.0) > now:
            return False
        if len(claims) > 1024:
            for key in [k for k, until in claims.items() if until <= now]:
                del claims[key]
        claims[name] = now + seconds
        return True


def release(name: str) -> None:
    """Give up a claim taken with claim() before it runs out."""
    client = redis_client(current_app)
    if client is not None:
        client.delete(_claim_key(name))
        return
    with _local_guard:
        _local_claims().pop(name, None)
