"""LTI endpoints: OIDC login, launch, and Rapport's public key set."""
from __future__ import annotations

import ipaddress
import secrets
from typing import Any

from flask import Blueprint, current_app, g, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from sqlalchemy.exc import IntegrityError

from ..extensions import csrf, db
from ..lti.keys import public_jwk, published_keys
from ..lti.launch import RapportMessageLaunch, kept_claims
from ..lti.errors import LaunchRefused
from ..lti.login import begin_login
from ..lti.platform_storage import (
    nonce_key, platform_origin, relaunch_url, state_key, stored_login, unverified_nonce,
)
from ..content.current import current_library
from ..lti.claims import DEEP_LINKING_REQUEST
from ..models import LaunchSession, Registration
from ..services import activities
from ..services.launches import record_launch
from ..services.progress import has_progress
from ..services.scores import send_started
from ..state_store import state_store
from .player import home

bp = Blueprint("lti", __name__, url_prefix="/lti")

BROWSER_COOKIE = "rapport_lti_browser"


def base_url() -> str:
    """Rapport's public origin: PUBLIC_URL, or the one the request came to."""
    configured: str = current_app.config["PUBLIC_URL"]
    if configured:
        return configured
    if "base_url" not in g:  # several times a request; werkzeug rebuilds it on each read
        g.base_url = request.host_url.rstrip("/")
    return str(g.base_url)


def launch_url() -> str:
    """The redirect_uri registered with platforms."""
    return base_url() + url_for("lti.launch")


def _cookie_is_secure() -> bool:
    """Secure cookies over TLS, and on loopback addresses, which browsers treat as secure contexts."""
    mode = current_app.config["SECURE_COOKIES"]
    return mode == "always" or (mode == "auto" and (request.is_secure or _is_loopback(request.host)))


def _is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


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
    start = begin_login(params, browser_id, base_url(), launch_url(), state_store())
    response: Response
    if start.storage_target:
        # The platform offers its storage: keep state and nonce there too, then go on.
        response = current_app.make_response(render_template(
            "lti/storage.html", mode="put", target=start.storage_target, origin=start.platform_origin,
            next_url=start.auth_url, keys={state_key(start.state): start.state, nonce_key(start.nonce): start.nonce},
        ))
    else:
        response = redirect(start.auth_url, code=302)
    _set_browser_cookie(response, browser_id)
    response.headers["Cache-Control"] = "no-store"
    return response


def _login_url() -> str:
    return base_url() + url_for("lti.login")


@bp.post("/launch")
@csrf.exempt
def launch() -> Response:
    """The platform's form post with the id_token: validate, record, open the first page."""
    form = {k: v for k, v in request.form.items()}
    cookie = request.cookies.get(BROWSER_COOKIE)
    if not cookie:
        waiting = _storage_page(form)
        if waiting is not None:
            return waiting
    message = RapportMessageLaunch(form, cookie, state_store(), base_url(), login_url=_login_url())
    token, session = _finish(message)
    if session.message_type == DEEP_LINKING_REQUEST:
        response = redirect(_first_address(token, session), code=303)
    else:
        response = _first_page(token, session)
    response.headers["Cache-Control"] = "no-store"
    return response


def _first_page(token: str, session: LaunchSession) -> Response:
    """The placement's first page as the answer to the launch itself, one round trip sooner.

    The page names its own address (`page_address`, see static/address.js), which the browser
    puts in place of the launch's: reloading the page, or coming back to it, then asks for that
    address instead of posting the spent launch again. Kinds that have their own page (quiz,
    survey, report, checklist) answer with a redirect to it, as /home does.
    """
    g.launch, g.launch_token = session, token
    g.page_address = url_for("player.home")
    return current_app.make_response(home())


@bp.post("/launch/storage")
@csrf.exempt
def launch_from_storage() -> Response:
    """The launch page's second step: the id_token with the state and nonce the platform kept.

    Only Rapport's own launch page can call this: it takes JSON, which no cross-site form can
    send, and the browser marks the request same-origin.
    """
    if request.mimetype != "application/json" or request.headers.get("Sec-Fetch-Site", "same-origin") != "same-origin":
        raise LaunchRefused("storage_request_invalid", "This address only answers Rapport's own launch page.",
                            status=403)
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("id_token", "state")):
        raise LaunchRefused("storage_request_invalid", "The launch page sent an incomplete request.")
    form = {"id_token": data["id_token"], "state": data["state"]}
    message = RapportMessageLaunch(form, None, state_store(), base_url(), stored=stored_login(data),
                                   login_url=_login_url())
    response = jsonify({"location": _first_address(*_finish(message))})
    response.headers["Cache-Control"] = "no-store"
    return response


def _storage_page(form: dict[str, str]) -> Response | None:
    """Without the cookie, a login that used platform storage continues on a page that reads it back."""
    state, token = form.get("state", ""), form.get("id_token", "")
    nonce = unverified_nonce(token) if state and not form.get("error") else None
    pending = state_store().peek_login(state) if nonce else None
    if pending is None or not pending.storage_target:
        return None  # the usual checks refuse it with the right reason
    registration = db.session.get(Registration, pending.registration_id)
    if registration is None:
        return None
    response = current_app.make_response(render_template(
        "lti/storage.html", mode="get", target=pending.storage_target,
        origin=platform_origin(registration.auth_login_url), next_url=url_for("lti.launch_from_storage"),
        keys={state_key(state): "stored_state", nonce_key(str(nonce)): "stored_nonce"},
        id_token=token, state=state, new_window_url=relaunch_url(_login_url(), pending.relaunch),
    ))
    response.headers["Cache-Control"] = "no-store"
    return response


def _finish(message: RapportMessageLaunch) -> tuple[str, LaunchSession]:
    """Validate the launch and record it; returns the launch session's token and the session."""
    message.validate()
    body = message.launch_body()
    try:
        return _record(message, body)
    except IntegrityError:  # a simultaneous first launch created the same user or course
        db.session.rollback()
        return _record(message, body)


def _first_address(token: str, session: LaunchSession) -> str:
    """The address of a launch's first page."""
    target = "deep_linking.catalogue" if session.message_type == DEEP_LINKING_REQUEST else "player.home"
    return url_for(target, lt=token)


def _record(message: RapportMessageLaunch, body: dict[str, Any]) -> tuple[str, LaunchSession]:
    """Store the launch, bind the placement to what deep linking chose, report a first start."""
    assert message.registration_row is not None and message.deployment_row is not None
    library = current_library()
    token, session = record_launch(
        message.registration_row, message.deployment_row, body, kept_claims(body),
        current_app.config["LAUNCH_SESSION_SECONDS"], library,
    )
    # Started carries no score, so it is sent only before any work exists: it would clear a grade.
    # Only modules and quizzes are the learner's own work; a checklist's grade comes from ratings.
    found = activities.activity(library, session.resource_link)
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
