"""Integration fixtures: a platform whose key the test holds; delivery workers closed after each test."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.grading import OPEN_WORKERS
from tests.helpers.platform import Platform, register


@pytest.fixture
def platform(app, keyset_server) -> Platform:
    """A registered platform whose signing key the test holds, its keys served over HTTP."""
    keyset_server.status = 200
    registered = register(app, keyset_server.url)
    keyset_server.keys = [registered.key]
    return registered


@pytest.fixture(autouse=True)
def _close_grade_workers() -> Iterator[None]:
    yield
    while OPEN_WORKERS:
        OPEN_WORKERS.pop().close()
