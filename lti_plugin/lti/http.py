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


def get_json(url: str, what: str, headers: dict[str, str] | None = None, *, allow_redirects: bool = True) -> Any:
    """GET a JSON document from a platform, turning every failure into a clear message."""
    try:
        response = platform_session().get(url, headers=headers or {}, allow_redirects=allow_redirects)
    except requests.Timeout:
        raise PlatformCallError(f"The platform did not answer in time when Rapport asked for {what} ({url}).") from None
    except requests.RequestException as error:
        raise PlatformCallError(f"Rapport could not reach the platform for {what} ({url}): {type(error).__name__}.") from None
    if response.status_code != 200:
        raise PlatformCallError(
            f"The platform answered {response.status_code} when Rapport asked for {what} ({url}).",
            response.status_code, _detail(response),
        )
    try:
        return response.json()
    except ValueError:
        raise PlatformCallError(f"The platform's answer for {what} ({url}) is not JSON.", response.status_code) from None


def post_json(url: str, what: str, document: Any, headers: dict[str, str] | None = None) -> Any:
    """POST a JSON document to a platform (redirects are not followed) and return its JSON answer."""
    sent = {"Accept": "application/json", **(headers or {})}
    try:
        response = platform_session().post(url, json=document, headers=sent, allow_redirects=False)
    except requests.Timeout:
        raise PlatformCallError(f"The platform did not answer in time when Rapport sent {what} ({url}).") from None
    except requests.RequestException as error:
        raise PlatformCallError(f"Rapport could not reach the platform to send {what} ({url}): {type(error).__name__}.") from None
    if not 200 <= response.status_code < 300:
        raise PlatformCallError(
            f"The platform answered {response.status_code} when Rapport sent {what} ({url}).",
            response.status_code, _detail(response),
        )
    try:
        return response.json()
    except ValueError:
        raise PlatformCallError(f"The platform's answer to {what} ({url}) is not JSON.", response.status_code) from None


def _detail(response: requests.Response, limit: int = 300) -> str:
    """The short reason a platform gave with an error answer (its error fields, or its text)."""
    text = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        parts = [body.get(k) for k in ("error", "error_description", "message")]
        text = " — ".join(p for p in parts if isinstance(p, str) and p)
    elif "html" not in response.headers.get("Content-Type", ""):
        text = response.text
    text = " ".join(text.split())
    return text[:limit] + ("…" if len(text) > limit else "")
