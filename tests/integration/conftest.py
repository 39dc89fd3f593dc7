"""Integration fixtures: delivery workers made by a test are closed when it ends."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.grading import OPEN_WORKERS


@pytest.fixture(autouse=True)
def _close_grade_workers() -> Iterator[None]:
    yield
    while OPEN_WORKERS:
        OPEN_WORKERS.pop().close()
