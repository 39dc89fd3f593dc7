"""Refusals: a reason code for the logs and plain words for the person who sees the page."""
from __future__ import annotations


class Refusal(Exception):
    """Something Rapport will not do: `code` is a short stable reason for logs and counters;
    `message` says what went wrong in plain words; `hint` says what an administrator can do."""

    def __init__(self, code: str, message: str, hint: str = "", status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.status = status
        self.new_window_url: str | None = None  # set when opening the activity in a new window helps


class LaunchRefused(Refusal):
    """A login or launch Rapport will not accept."""


class PlatformCallError(Exception):
    """A call to the platform (key set, token, services) failed; the message says how.

    `status` is the platform's HTTP status when it answered; `detail` is the short reason the
    platform gave in its answer, if any (for the page, never for the logs).
    """

    def __init__(self, message: str, status: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class RegistrationRefused(Refusal):
    """A dynamic registration Rapport stopped (a sibling of LaunchRefused, with its own page)."""


ADMIN_HINT_REGISTRATION = (
    "An administrator can check the platform's registration with `rapport platform list`."
)
ADMIN_HINT_RETRY = "Go back to the course page and open the activity again."
REGISTRATION_INACTIVE = "Rapport's registration with this platform is waiting for approval or was turned off."
ADMIN_HINT_APPROVE = (
    "A Rapport administrator can approve it on Rapport's admin page (/admin), or with "
    "`rapport platform activate ISSUER CLIENT_ID`."
)


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
