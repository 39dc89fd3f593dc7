"""Rapport's admin page: registrations and deployments, signing keys, recent launch refusals."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..admin_auth import (
    address_is_throttled,
    admin_required,
    count_failed_attempt,
    current_admin,
    sign_in,
    sign_out,
)
from ..extensions import db
from ..lti.keys import key_state, rotate
from ..models import SigningKey, utcnow
from ..services.admins import AdminError, authenticate
from ..services.platforms import registration_summaries, set_deployment_active, set_registration_active
from ..services.refusals import recent_refusals, refusals_by_reason
from .registration import tool_addresses

bp = Blueprint("admin", __name__, url_prefix="/admin")

REFUSAL_DAYS = 7
ADMIN_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'self'"
)


@bp.after_request
def _admin_headers(response: Response) -> Response:
    """Admin pages are not LTI pages: no framing by other sites, no caching."""
    response.headers["Content-Security-Policy"] = ADMIN_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    # Flask-WTF refuses forms sent over TLS without a Referer from this site; send it to ourselves only.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(CSRFError)
def _form_expired(error: CSRFError) -> tuple[str, int]:
    """A form without its token: say so in words, and where to go on."""
    message = ("This form has expired or did not come from Rapport's admin page (CSRF token missing or "
               "wrong), so nothing was changed. Reload the admin page and try again.")
    return render_template("admin/form_expired.html", message=message), 400


def _safe_next(target: str | None) -> str:
    """Only a path inside the admin page; anything else goes to its start."""
    if target and target.startswith("/admin") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("admin.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Sign in with a username and password made with `rapport admin create`."""
    if request.method == "GET":
        if current_admin() is not None:
            return redirect(url_for("admin.index"), code=303)
        return render_template("admin/login.html", next=request.args.get("next", ""), error=None)
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    next_url = request.form.get("next", "")
    if address_is_throttled():
        message = "Too many failed sign-ins from your address. Wait 15 minutes and try again."
        return render_template("admin/login.html", next=next_url, error=message, username=username), 429
    try:
        admin = authenticate(username, password)
    except AdminError as error:
        db.session.commit()  # keep the failure count
        count_failed_attempt()
        return render_template("admin/login.html", next=next_url, error=error.message, username=username), 401
    db.session.commit()
    sign_in(admin)
    return redirect(_safe_next(next_url), code=303)


@bp.post("/logout")
def logout() -> Response:
    """Sign out."""
    sign_out()
    flash("You are signed out.")
    return redirect(url_for("admin.login"), code=303)


@bp.get("/")
@admin_required
def index() -> str:
    """Everything an administrator checks: registrations, deployments, keys, refusals."""
    grace = current_app.config["KEY_GRACE_DAYS"]
    keys = db.session.scalars(select(SigningKey).order_by(SigningKey.created_at.desc(), SigningKey.id.desc())).all()
    return render_template(
        "admin/index.html",
        admin=current_admin(),
        summaries=registration_summaries(),
        keys=[(key, key_state(key, grace)) for key in keys],
        grace_days=grace,
        refusal_days=REFUSAL_DAYS,
        reasons=refusals_by_reason(utcnow() - timedelta(days=REFUSAL_DAYS)),
        refusals=recent_refusals(),
        addresses=tool_addresses(),
        auto_approve=current_app.config["AUTO_APPROVE_REGISTRATIONS"],
    )


@bp.post("/registrations/<int:registration_id>/<any(approve, deactivate):action>")
@admin_required
def registration_state(registration_id: int, action: str) -> Response:
    """Approve or turn off a registration."""
    row = set_registration_active(registration_id, action == "approve")
    if row is None:
        abort(404, description="That registration does not exist (any more).")
    db.session.commit()
    flash(f"{row.name or row.issuer} (client id {row.client_id}) is now {'active' if row.active else 'inactive'}.")
    return redirect(url_for("admin.index"), code=303)


@bp.post("/deployments/<int:deployment_id>/<any(approve, deactivate):action>")
@admin_required
def deployment_state(deployment_id: int, action: str) -> Response:
    """Approve or turn off a deployment."""
    row = set_deployment_active(deployment_id, action == "approve")
    if row is None:
        abort(404, description="That deployment does not exist (any more).")
    db.session.commit()
    flash(f"Deployment {row.deployment_id} of {row.registration.issuer} is now {'active' if row.active else 'inactive'}.")
    return redirect(url_for("admin.index"), code=303)


@bp.post("/keys/rotate")
@admin_required
def rotate_keys() -> Response:
    """Start signing with a new key; the old one stays published for the grace period."""
    new, retired = rotate()
    db.session.commit()
    grace = current_app.config["KEY_GRACE_DAYS"]
    flash(f"Rapport now signs with key {new.kid}. "
          + (f"{len(retired)} older key(s) stay published for {grace} day(s)." if retired else ""))
    return redirect(url_for("admin.index"), code=303)
