"""Refusals: a reason code for the logs and plain words for the person who sees the page."""
from __future__ import annotations


class LaunchRefused(Exception):
    """A login or launch Rapport will not accept.

    `code` is a short stable reason for logs and counters; `message` says what went wrong in
    plain words; `hint` says what an administrator can do about it.
    """

    def __init__(self, code: str, message: str, hint: str = "", status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.status = status
        self.new_window_url: str | None = None  # set when opening the activity in a new window helps


class PlatformCallError(Exception):
    """A call to the platform (key set, token, services) failed; the message says how."""


ADMIN_HINT_REGISTRATION = (
    "An administrator can check the platform's registration with `rapport platform list`."
)
ADMIN_HINT_RETRY = "Go back to the course page and open the activity again."


class ServiceCallError(PlatformCallError):
    """A call to a platform service (token, line items, scores) failed, and whether to try again.

    `status` is the platform's HTTP status (None when it never answered); `retry_after` is the
    delay it asked for, in seconds; `counts` is False when the attempt should not count
    against the row (another worker was busy with the same line item).
    """

    def __init__(self, message: str, *, retryable: bool, status: int | None = None,
                 retry_after: float | None = None, counts: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after
        self.counts = counts
