"""Installing Rapport in a platform: LTI Dynamic Registration and the Canvas configuration JSON."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from werkzeug.wrappers import Response

from ..extensions import csrf, db
from ..lti.canvas_config import canvas_configuration
from ..lti.dynamic_registration import (
    begin_registration,
    complete_registration,
    registration_document,
    requested_scopes,
    take_attempt,
)
from ..lti.errors import RegistrationRefused
from ..lti.registration_schemas import TOOL_CONFIGURATION, is_internal
from ..lti.tool_profile import CANVAS_PRIVACY_LEVEL, ToolAddresses
from .lti import base_url, launch_url

bp = Blueprint("registration", __name__, url_prefix="/lti")


def tool_addresses() -> ToolAddresses:
    """Rapport's public addresses, from PUBLIC_URL or the request."""
    base = base_url()
    return ToolAddresses(
        base=base,
        login=base + url_for("lti.login"),
        launch=launch_url(),
        jwks=base + url_for("lti.jwks"),
        logo=base + url_for("static", filename="rapport-logo.svg"),
    )


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/register")
def start() -> Response:
    """The platform opens this with its configuration address and a registration token: review."""
    url = request.args.get("openid_configuration", "")
    if not url:
        raise RegistrationRefused(
            "configuration_url_missing",
            "This page registers Rapport with a platform, and is opened by the platform itself.",
            "In your platform's tool settings, choose to register a tool by URL and enter "
            f"{base_url() + url_for('registration.start')}.",
        )
    # Addresses on this machine or a private network are accepted only by a Rapport that runs locally itself.
    local = is_internal(urlsplit(base_url()).hostname)
    secret, config = begin_registration(url, request.args.get("registration_token") or None, allow_internal=local)
    db.session.commit()
    document = registration_document(config, tool_addresses())
    page = render_template(
        "registration/review.html", attempt=secret, config=config, document=document,
        tool=document[TOOL_CONFIGURATION], scopes=requested_scopes(config), privacy_level=CANVAS_PRIVACY_LEVEL,
        auto_approve=current_app.config["AUTO_APPROVE_REGISTRATIONS"], admin_url=base_url() + url_for("admin.index"),
    )
    return _no_store(current_app.make_response(page))


# The confirmation is protected by the attempt's secret in the form body, not by a cookie: LMSs
# open this page in an iframe, where browsers withhold cookies, and a forged form cannot know
# the secret (the same reasoning as the launch token in auth.py).
@bp.post("/register")
@csrf.exempt
def confirm() -> Response:
    """Post Rapport's registration to the platform and store what it answers."""
    pending = take_attempt(request.form.get("attempt", ""))
    db.session.commit()  # the attempt is spent whatever the platform answers
    registration = complete_registration(pending, tool_addresses(), current_app.config["AUTO_APPROVE_REGISTRATIONS"])
    db.session.commit()
    return _no_store(current_app.make_response(render_template("registration/done.html", registration=registration)))


@bp.get("/canvas.json")
def canvas_json() -> Response:
    """The Canvas developer-key configuration, for Canvas's "Enter URL" option."""
    response = jsonify(canvas_configuration(tool_addresses()))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
