"""Domain errors to HTTP responses, in one place; never a stack trace on a user's page."""
from __future__ import annotations

import logging

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from .extensions import db
from .lti.errors import LaunchRefused, RegistrationRefused
from .refusal_log import note_refusal
from .services.errors import PlayerError

log = logging.getLogger("rapport.lti")


def register_error_handlers(app: Flask) -> None:
    """Register the handlers for refusals, HTTP errors and the unexpected."""

    @app.errorhandler(LaunchRefused)
    def launch_refused(error: LaunchRefused):  # type: ignore[no-untyped-def]
        db.session.rollback()
        log.warning("launch refused reason=%s path=%s status=%s", error.code, request.path, error.status)
        note_refusal(error)
        if request.is_json:  # the platform storage step of a launch page
            return {"code": error.code, "message": error.message, "hint": error.hint,
                    "new_window_url": error.new_window_url}, error.status
        return render_template("lti/refused.html", error=error), error.status

    @app.errorhandler(RegistrationRefused)
    def registration_refused(error: RegistrationRefused):  # type: ignore[no-untyped-def]
        db.session.rollback()
        log.warning("dynamic registration refused reason=%s status=%s", error.code, error.status)
        return render_template("registration/refused.html", error=error), error.status

    @app.errorhandler(PlayerError)
    def player_error(error: PlayerError):  # type: ignore[no-untyped-def]
        db.session.rollback()
        if request.is_json or request.accept_mimetypes.best == "application/json":
            return {"error": error.message}, error.status
        return render_template("core/problem.html", message=error.message), error.status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        if request.path.startswith(("/lti/jwks", "/healthz", "/readyz", "/metrics")) or request.accept_mimetypes.best == "application/json":
            return {"error": error.name, "message": error.description}, error.code or 500
        return render_template("core/error.html", error=error), error.code or 500

    @app.errorhandler(Exception)
    def unexpected(error: Exception):  # type: ignore[no-untyped-def]
        db.session.rollback()
        log.exception("unexpected error path=%s", request.path)
        return render_template("core/error.html", error=None), 500
