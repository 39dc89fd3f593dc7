"""Who may use the admin page: a signed-in Rapport administrator, separate from any LTI launch.

The sign-in lives in Flask's session cookie (`rapport_session`): HttpOnly, SameSite=Lax, and
Secure under the SECURE_COOKIES rule. LMS launches never use it, and it is named so as not to
collide with a platform's own cookies (MoodleSession, canvas_session, ...).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Request, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from .extensions import cache, db
from .models import AdminUser
from .services.admins import password_stamp

F = TypeVar("F", bound=Callable[..., Any])

SESSION_KEY = "rapport_admin"
SESSION_SECONDS = 8 * 3600
# Sign-in attempts allowed from one address in a window, whatever the usernames tried.
ADDRESS_ATTEMPTS = 20
ADDRESS_WINDOW_SECONDS = 15 * 60


class RapportSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, marked Secure per request when SECURE_COOKIES is "auto"."""

    def get_cookie_secure(self, app: Flask) -> bool:
        mode = app.config["SECURE_COOKIES"]
        return mode == "always" or (mode == "auto" and request.is_secure)

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Without a session cookie (every LMS launch and page), an empty session, no signer built."""
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_admin_sessions(app: Flask) -> None:
    """Session cookie settings for the admin sign-in."""
    app.session_interface = RapportSessionInterface()
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")


def sign_in(admin: AdminUser) -> None:
    """Start an admin session (a fresh one, so nothing from before survives)."""
    session.clear()
    session[SESSION_KEY] = {"id": admin.id, "stamp": password_stamp(admin), "since": int(time.time())}


def sign_out() -> None:
    """End the admin session."""
    session.clear()


def current_admin() -> AdminUser | None:
    """The signed-in administrator, or None (also when the session is too old or the password changed)."""
    if "admin" in g:
        return g.admin  # type: ignore[no-any-return]
    admin = None
    data = session.get(SESSION_KEY)
    if isinstance(data, dict) and isinstance(data.get("id"), int) and isinstance(data.get("since"), int):
        if time.time() - data["since"] < SESSION_SECONDS:
            row = db.session.get(AdminUser, data["id"])
            if row is not None and data.get("stamp") == password_stamp(row):
                admin = row
    g.admin = admin
    return admin


def admin_required(view: F) -> F:
    """Send anyone who is not a signed-in administrator to the sign-in page."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_admin() is None:
            target = request.path if request.method == "GET" else url_for("admin.index")
            return redirect(url_for("admin.login", next=target), code=303)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _address_key() -> str:
    return f"admin-login:{request.remote_addr or 'unknown'}"


def address_is_throttled() -> bool:
    """True when this address used up its sign-in attempts for the current window."""
    return int(cache.get(_address_key()) or 0) >= ADDRESS_ATTEMPTS


def count_failed_attempt() -> None:
    """Count one failed sign-in against this address; the window restarts with each failure."""
    key = _address_key()
    count = int(cache.get(key) or 0) + 1
    cache.set(key, count, timeout=ADDRESS_WINDOW_SECONDS)
