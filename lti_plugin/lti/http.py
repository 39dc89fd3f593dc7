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


def _exchange(method: str, url: str, doing: str, expected: range, **kwargs: Any) -> Any:
    """One call to a platform whose answer must be JSON with a status in `expected`; failures say what was being done."""
    try:
        response = platform_session().request(method, url, **kwargs)
    except requests.Timeout:
        raise PlatformCallError(f"The platform did not answer in time when Rapport {doing} ({url}).") from None
    except requests.RequestException as error:
        raise PlatformCallError(f"Rapport could not reach the platform when it {doing} ({url}): {type(error).__name__}.") from None
    if response.status_code not in expected:
        raise PlatformCallError(
            f"The platform answered {response.status_code} when Rapport {doing} ({url}).",
            response.status_code, _detail(response),
        )
    try:
        return response.json()
    except ValueError:
        raise PlatformCallError(f"The platform's answer when Rapport {doing} ({url}) is not JSON.", response.status_code) from None


def get_json(url: str, what: str, headers: dict[str, str] | None = None, *, allow_redirects: bool = True) -> Any:
    """GET a JSON document from a platform, turning every failure into a clear message."""
    return _exchange("GET", url, f"asked for {what}", range(200, 201), headers=headers or {},
                     allow_redirects=allow_redirects)


def post_json(url: str, what: str, document: Any, headers: dict[str, str] | None = None) -> Any:
    """POST a JSON document to a platform (redirects are not followed) and return its JSON answer."""
    sent = {"Accept": "application/json", **(headers or {})}
    return _exchange("POST", url, f"sent {what}", range(200, 300), json=document, headers=sent, allow_redirects=False)


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
