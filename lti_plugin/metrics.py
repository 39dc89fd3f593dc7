"""Counters of what Rapport does (launches, refusals by reason, score deliveries by state).

With REDIS_URL the counters live in one Redis hash, so every gunicorn worker, host and delivery
worker adds to the same figures; without it each process counts for itself. `/metrics` shows
them in the Prometheus text format. Counting never fails a request: a Redis outage is logged
and the increment is dropped.

With Redis, each process adds up its counts and sends them in one round trip at most every
METRICS_FLUSH_SECONDS (1 s), from a background thread, instead of one round trip per login
and launch; a process sends what it holds before it reads the counters and when it exits. The
price: another process's `/metrics` sees a count up to that long after it happened, and a
process killed outright loses at most that last second's counts.
"""
from __future__ import annotations

import atexit
import logging
import os
import re
import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Protocol

from flask import Flask, current_app, has_app_context

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger(__name__)

REDIS_KEY = "rapport:metrics"

# The counters Rapport keeps: name -> (help text, the one label it is broken down by, or None).
COUNTERS: dict[str, tuple[str, str | None]] = {
    "logins": ("OIDC login requests answered with a redirect to the platform.", None),
    "launches": ("Launches validated and recorded, by LTI message type.", "message_type"),
    "launch_refusals": ("Logins and launches refused, by reason code.", "reason"),
    "score_deliveries": ("Score delivery attempts recorded by the grade worker, by resulting state.", "state"),
}

_LABEL_VALUE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
WARN_INTERVAL_SECONDS = 60.0


class CounterStore(Protocol):
    """Where counts are kept."""

    def add(self, increments: Mapping[str, int]) -> None:
        """Add each amount to its field."""

    def read(self) -> dict[str, int]:
        """Every field and its count."""


class ProcessCounters:
    """Counts in this process only (the embedded default, without Redis)."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, increments: Mapping[str, int]) -> None:
        """Add each amount to its field."""
        with self._lock:
            for field, amount in increments.items():
                self._counts[field] = self._counts.get(field, 0) + amount

    def read(self) -> dict[str, int]:
        """Every field and its count."""
        with self._lock:
            return dict(self._counts)


class RedisCounters:
    """Counts in one Redis hash shared by every process that uses the same Redis database.

    With `flush_seconds` > 0 the counts are added up in this process and sent by a background
    thread at most that often (and before every read); with 0, each `add` is a round trip.
    """

    def __init__(self, client: "Redis", key: str = REDIS_KEY, flush_seconds: float = 0.0) -> None:
        self.client = client
        self.key = key
        self.flush_seconds = flush_seconds
        self._pending: dict[str, int] = {}
        self._lock = threading.Lock()
        self._flusher_pid = 0  # the process whose background thread sends the counts

    def add(self, increments: Mapping[str, int]) -> None:
        """Add each amount to its field: held for the next flush, or sent at once."""
        if self.flush_seconds <= 0:
            self._send(increments)
            return
        with self._lock:
            for field, amount in increments.items():
                self._pending[field] = self._pending.get(field, 0) + amount
            if self._flusher_pid != os.getpid():  # first count in this process (gunicorn forks)
                self._flusher_pid = os.getpid()
                threading.Thread(target=_flush_forever, args=(weakref.ref(self), os.getpid(), self.flush_seconds),
                                 name="rapport-metrics", daemon=True).start()
                atexit.register(_flush_at_exit, weakref.ref(self))

    def flush(self) -> None:
        """Send the counts held in this process (raises when Redis does not answer; they are dropped)."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if pending:
            self._send(pending)

    def _flush_quietly(self) -> None:
        try:
            self.flush()
        except Exception as error:  # a counter must never cost anything else
            _warn(f"counters could not be updated ({type(error).__name__})")

    def _send(self, increments: Mapping[str, int]) -> None:
        """Add each amount to its field, in one round trip."""
        if len(increments) == 1:
            [(field, amount)] = increments.items()
            self.client.hincrby(self.key, field, amount)
            return
        pipe = self.client.pipeline(transaction=False)
        for field, amount in increments.items():
            pipe.hincrby(self.key, field, amount)
        pipe.execute()

    def read(self) -> dict[str, int]:
        """Every field and its count, this process's held counts sent first."""
        self.flush()
        raw: dict[bytes, bytes] = self.client.hgetall(self.key)  # type: ignore[assignment]
        return {key.decode(): int(value) for key, value in raw.items()}


def _flush_forever(ref: "weakref.ref[RedisCounters]", pid: int, seconds: float) -> None:
    """The background thread: send the held counts every `seconds`, while the store lives in this process."""
    while True:
        time.sleep(seconds)
        store = ref()
        if store is None or store._flusher_pid != pid:
            return
        store._flush_quietly()
        del store


def _flush_at_exit(ref: "weakref.ref[RedisCounters]") -> None:
    store = ref()
    if store is not None:
        store._flush_quietly()


def init_metrics(app: Flask) -> None:
    """Choose where this app counts: Redis when configured, else this process."""
    from .state_store import redis_client

    client = redis_client(app)
    app.extensions["rapport_metrics"] = (
        RedisCounters(client, flush_seconds=app.config["METRICS_FLUSH_SECONDS"]) if client is not None
        else ProcessCounters()
    )


def _field(name: str, label: str | None) -> str:
    if name not in COUNTERS:
        raise KeyError(f"unknown counter {name!r}")
    if label is None:
        return name
    # Label values come from Rapport's own codes; anything else is folded so it cannot inject text.
    return f"{name}|{label if _LABEL_VALUE.match(label) else 'other'}"


def count(name: str, label: str | None = None, amount: int = 1) -> None:
    """Add to a counter (with its label value, when it has one); never raises."""
    count_many([(name, label)], amount)


def count_many(events: Iterable[tuple[str, str | None]], amount: int = 1) -> None:
    """Add to several counters at once (one Redis round trip); never raises."""
    increments: dict[str, int] = {}
    for name, label in events:
        field = _field(name, label)
        increments[field] = increments.get(field, 0) + amount
    if not increments or not has_app_context():
        return
    store: CounterStore | None = current_app.extensions.get("rapport_metrics")
    if store is None:
        return
    try:
        store.add(increments)
    except Exception as error:  # a counter must never cost a user their launch
        _warn(f"counters could not be updated ({type(error).__name__})")


_last_warning = [0.0]


def _warn(message: str) -> None:
    now = time.monotonic()
    if now - _last_warning[0] >= WARN_INTERVAL_SECONDS:
        _last_warning[0] = now
        log.warning(message)


def read_counters() -> dict[str, int]:
    """The current counts of this app's store (raises when Redis does not answer)."""
    store: CounterStore = current_app.extensions["rapport_metrics"]
    return store.read()


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus_text(counts: Mapping[str, int], gauges: Mapping[str, tuple[str, str, Mapping[str, float]]]) -> str:
    """Counters and gauges in the Prometheus text exposition format (version 0.0.4)."""
    lines: list[str] = []
    for name, (help_text, label) in COUNTERS.items():
        metric = f"rapport_{name}_total"
        lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} counter"]
        if label is None:
            lines.append(f"{metric} {counts.get(name, 0)}")
            continue
        values = sorted((field.split("|", 1)[1], n) for field, n in counts.items() if field.startswith(name + "|"))
        for value, n in values:
            lines.append(f'{metric}{{{label}="{_escape(value)}"}} {n}')
    for metric, (help_text, label, values_by_label) in gauges.items():
        lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} gauge"]
        for value, amount in sorted(values_by_label.items()):
            lines.append(f'{metric}{{{label}="{_escape(value)}"}} {amount:g}')
    return "\n".join(lines) + "\n"
