"""Outbound HTTP to platforms: one session per process, a timeout on every call."""
from __future__ import annotations

from typing import Any

import requests
from flask import current_app

from .errors import PlatformCallError

USER_AGENT = "Rapport-LTI/0.1"


class TimeoutSession(requests.Session):
    """A requests session that never waits forever: every call gets the default timeout."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.default_timeout = timeout
        self.headers["User-Agent"] = USER_AGENT

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, url, *args, **kwargs)


def platform_session() -> TimeoutSession:
    """The app's shared HTTP session for platform calls."""
    session = current_app.extensions.get("rapport_http")
    if session is None:
        session = TimeoutSession(current_app.config["HTTP_TIMEOUT_SECONDS"])
        current_app.extensions["rapport_http"] = session
    return session


def get_json(url: str, what: str, headers: dict[str, str] | None = None) -> Any:
    """GET a JSON document from a platform, turning every failure into a clear message."""
    try:
        response = platform_session().get(url, headers=headers or {})
    except requests.Timeout:
        raise PlatformCallError(f"The platform did not answer in time when Rapport asked for {what} ({url}).") from None
    except requests.RequestException as error:
        raise PlatformCallError(f"Rapport could not reach the platform for {what} ({url}): {type(error).__name__}.") from None
    if response.status_code != 200:
        raise PlatformCallError(f"The platform answered {response.status_code} when Rapport asked for {what} ({url}).")
    try:
        return response.json()
    except ValueError:
        raise PlatformCallError(f"The platform's answer for {what} ({url}) is not JSON.") from None
