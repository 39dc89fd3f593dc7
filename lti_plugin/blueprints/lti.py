"""LTI endpoints: OIDC login, launch, and Rapport's public key set."""
from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, current_app, jsonify, redirect, request, url_for
from werkzeug.wrappers import Response
from sqlalchemy.exc import IntegrityError

from ..extensions import csrf, db
from ..lti.keys import public_jwk, published_keys
from ..lti.launch import RapportMessageLaunch, kept_claims
from ..lti.login import begin_login
from ..content.current import current_library
from ..lti.claims import DEEP_LINKING_REQUEST
from ..models import LaunchSession
from ..services import activities
from ..services.launches import record_launch
from ..services.progress import has_progress
from ..services.scores import send_started
from ..state_store import state_store

bp = Blueprint("lti", __name__, url_prefix="/lti")

BROWSER_COOKIE = "rapport_lti_browser"


def base_url() -> str:
    """Rapport's public origin: PUBLIC_URL, or the one the request came to."""
    return current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")


def launch_url() -> str:
    """The redirect_uri registered with platforms."""
    return base_url() + url_for("lti.launch")


def _cookie_is_secure() -> bool:
    mode = current_app.config["SECURE_COOKIES"]
    return mode == "always" or (mode == "auto" and request.is_secure)


def _set_browser_cookie(response: Response, value: str) -> None:
    secure = _cookie_is_secure()
    response.set_cookie(
        BROWSER_COOKIE,
        value,
        max_age=current_app.config["LOGIN_STATE_SECONDS"],
        path="/lti/",
        secure=secure,
        httponly=True,
        # Inside an LMS iframe the launch is a cross-site POST: only SameSite=None cookies come
        # along, and browsers accept those only with Secure. Partitioned keeps it per LMS site.
        samesite="None" if secure else "Lax",
        partitioned=secure,
    )


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt
def login() -> Response:
    """OIDC third-party initiated login: remember state and nonce, go to the platform."""
    browser_id = request.cookies.get(BROWSER_COOKIE) or secrets.token_urlsafe(32)
    params = {k: v for k, v in request.values.items() if isinstance(v, str)}
    target = begin_login(params, browser_id, base_url(), launch_url(), state_store())
    response = redirect(target, code=302)
    _set_browser_cookie(response, browser_id)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/launch")
@csrf.exempt
def launch() -> Response:
    """The platform's form post with the id_token: validate, record, open the first page."""
    form = {k: v for k, v in request.form.items()}
    message = RapportMessageLaunch(form, request.cookies.get(BROWSER_COOKIE), state_store(), base_url())
    message.validate()
    body = message.launch_body()
    try:
        token, session = _record(message, body)
    except IntegrityError:  # a simultaneous first launch created the same user or course
        db.session.rollback()
        token, session = _record(message, body)
    target = "deep_linking.catalogue" if session.message_type == DEEP_LINKING_REQUEST else "player.home"
    response = redirect(url_for(target, lt=token), code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


def _record(message: RapportMessageLaunch, body: dict[str, Any]) -> tuple[str, LaunchSession]:
    """Store the launch, bind the placement to what deep linking chose, report a first start."""
    assert message.registration_row is not None and message.deployment_row is not None
    token, session = record_launch(
        message.registration_row, message.deployment_row, body, kept_claims(body),
        current_app.config["LAUNCH_SESSION_SECONDS"],
    )
    activities.bind_from_custom(current_library(), session.resource_link)
    # Started carries no score, so it is sent only before any work exists: it would clear a grade.
    # Only modules and quizzes are the learner's own work; a checklist's grade comes from ratings.
    found = activities.activity(current_library(), session.resource_link)
    if found is not None and found.kind in activities.GRADED_KINDS and not has_progress(session):
        send_started(session)
    db.session.commit()
    return token, session


@bp.get("/jwks.json")
def jwks() -> Response:
    """Rapport's public keys: active ones, and retired ones within the grace period."""
    keys = [public_jwk(k) for k in published_keys(current_app.config["KEY_GRACE_DAYS"])]
    response = jsonify({"keys": keys})
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
