"""Counters of what Rapport does (launches, refusals by reason, score deliveries by state).

With REDIS_URL the counters live in one Redis hash, so every gunicorn worker, host and delivery
worker adds to the same figures; without it each process counts for itself. `/metrics` shows
them in the Prometheus text format. Counting never fails a request: a Redis outage is logged
and the increment is dropped.
"""
from __future__ import annotations

import logging
import re
import threading
import time
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
    """Counts in one Redis hash shared by every process that uses the same Redis database."""

    def __init__(self, client: "Redis", key: str = REDIS_KEY) -> None:
        self.client = client
        self.key = key

    def add(self, increments: Mapping[str, int]) -> None:
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
        """Every field and its count."""
        raw: dict[bytes, bytes] = self.client.hgetall(self.key)  # type: ignore[assignment]
        return {key.decode(): int(value) for key, value in raw.items()}


def init_metrics(app: Flask) -> None:
    """Choose where this app counts: Redis when configured, else this process."""
    from .state_store import redis_client

    client = redis_client(app)
    app.extensions["rapport_metrics"] = RedisCounters(client) if client is not None else ProcessCounters()


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
