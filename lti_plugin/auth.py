"""Who is asking: the launch session a page carries, and role checks on views."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, request
from markupsafe import Markup

from .models import LaunchSession
from .services.launches import find_launch_session

LAUNCH_PARAM = "lt"
LAUNCH_HEADER = "X-Rapport-Launch"

F = TypeVar("F", bound=Callable[..., Any])


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _token_from_request() -> str:
    """The launch token: a header, a form field or JSON field, or (for reading only) the query.

    The token is a secret the page carries, never a cookie, so a cross-site form cannot send it
    on the user's behalf: requiring it in the body or a header of every change is what stops
    cross-site request forgery on launch pages, even in iframes where cookies are blocked.
    """
    token = request.headers.get(LAUNCH_HEADER) or request.form.get(LAUNCH_PARAM, "")
    if not token and request.is_json:
        data = request.get_json(silent=True)
        token = data.get(LAUNCH_PARAM, "") if isinstance(data, dict) else ""
    if not token and request.method in SAFE_METHODS:
        token = request.args.get(LAUNCH_PARAM, "")
    return token if isinstance(token, str) else ""


def current_launch() -> LaunchSession | None:
    """The launch session of this request, or None."""
    if "launch" not in g:
        token = _token_from_request()
        g.launch = find_launch_session(token)
        g.launch_token = token if g.launch is not None else None
    return g.launch


def launch_required(view: F) -> F:
    """Refuse (401) a request that carries no live launch session."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_launch() is None:
            abort(401, description="Your session with Rapport has ended or was never started. "
                                   "Open the activity again from your course page.")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def role_required(*roles: str) -> Callable[[F], F]:
    """Refuse (403) a launch whose Rapport role is not one of `roles`."""

    def decorate(view: F) -> F:
        @wraps(view)
        @launch_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            launch = current_launch()
            assert launch is not None
            if launch.role not in roles:
                abort(403, description="Your role in this course does not give access to this page.")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def add_launch_to_urls(endpoint: str, values: dict[str, Any]) -> None:
    """url_for() carries the launch token along, so links keep working without cookies."""
    token = g.get("launch_token")
    if token and LAUNCH_PARAM not in values and not endpoint.startswith(("static", "lti.", "player.media")):
        values[LAUNCH_PARAM] = token


def launch_field() -> Markup:
    """A hidden form field carrying the launch token (forms must send it in the body)."""
    token = g.get("launch_token") or ""
    return Markup('<input type="hidden" name="%s" value="%s">') % (LAUNCH_PARAM, token)
