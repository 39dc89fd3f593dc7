"""Fixtures for the content tests: the fixture folders and a clean content cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lti_plugin.content import clear_cache

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def minimal_content() -> Path:
    """A small content folder that is valid and uses every kind once."""
    return FIXTURES / "content_minimal"


@pytest.fixture
def broken_content() -> Path:
    """A content folder with at least one file for every kind of mistake."""
    return FIXTURES / "content_broken"


@pytest.fixture
def shipped_content() -> Path:
    """The curriculum shipped in the repository."""
    return REPO_ROOT / "content"


@pytest.fixture(autouse=True)
def _fresh_content_cache() -> Iterator[None]:
    """Each test starts and ends without cached libraries."""
    clear_cache()
    yield
    clear_cache()
