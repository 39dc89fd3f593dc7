"""Errors services raise; views turn them into pages in one place (lti_plugin/errors.py)."""
from __future__ import annotations


class PlayerError(Exception):
    """Something the learner or instructor asked for cannot be done; `message` says why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
