"""The practice LMS's pages and LTI endpoints."""
from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import urlencode

from flask import Flask, abort, jsonify, redirect, request

from .activities import deep_linking_claim, install_activities
from .ags import install_services
from .lti import FlaskPlatformRequest, PracticeMessageLaunch, PracticePlatform
from .pages import STORAGE_FRAME, install_pages
from .saved import keep_course
from .nrps import install_nrps, nrps_claim
from .settings import PlatformSettings

STRICT_AUTH_PARAMS = {
    "scope": "openid",
    "response_type": "id_token",
    "response_mode": "form_post",
    "prompt": "none",
}
# Like Canvas's and Moodle's, a login's lti_message_hint works again for a while, so that a
# tool can start the same launch over in a new window.
HINT_SECONDS = 600


def create_platform(settings: PlatformSettings) -> Flask:
    """Build the practice LMS for one course and one registration of Rapport."""
    app = Flask(__name__)
    app.config["PLATFORM"] = settings
    # Launches the practice LMS has begun, by lti_message_hint: who, and which link.
    pending: dict[str, dict[str, Any]] = {}
    conf = PracticePlatform(settings=settings)
    gradebook = install_services(app, settings, conf)  # /token, AGS, /gradebook
    activities = install_activities(app, settings, gradebook, app.extensions["practice_tool_keys"])
    install_nrps(app, settings, conf, activities)  # /nrps/members

    install_pages(app, settings, activities)  # the course page, acting as someone, activities in frames
    if settings.course_file:
        keep_course(app, settings.course_file, activities, gradebook)

    @app.get("/jwks.json")
    def jwks() -> Any:
        conf.get_registration()
        return jsonify(conf.get_jwks())

    @app.get("/start/<person_id>")
    def start(person_id: str) -> Any:
        """Begin a launch as a person: the third-party login request to Rapport."""
        person = settings.person(person_id)
        if person is None:
            abort(404)
        hint = secrets.token_urlsafe(16)
        now = time.time()
        for old in [h for h, launch in pending.items() if launch["expires"] < now]:
            pending.pop(old, None)
        if request.args.get("add") == "1":  # "add activity": a deep linking request
            pending[hint] = {"person": person.id, "deep_link": True, "expires": now + HINT_SECONDS}
        else:
            link_id = request.args.get("link", "activity-1")
            activity = activities.get(link_id)
            pending[hint] = {"person": person.id, "link": link_id, "expires": now + HINT_SECONDS,
                             "title": activity.title if activity else request.args.get("title", "Rapport activity"),
                             "custom": activity.custom if activity else {}}
        params = {
            "iss": settings.issuer,
            "login_hint": person.id,
            "target_link_uri": settings.tool_launch_url,
            "lti_message_hint": hint,
            "client_id": settings.client_id,
            "lti_deployment_id": settings.deployment_id,
        }
        if request.args.get("storage") == "1":  # the page hosting the frame offers platform storage
            params["lti_storage_target"] = STORAGE_FRAME
        return redirect(settings.tool_login_url + "?" + urlencode(params))

    @app.route("/auth", methods=["GET", "POST"])
    def auth() -> Any:
        """The OIDC authorization endpoint: check the tool's request, then post the id_token."""
        params = request.values
        for name, expected in STRICT_AUTH_PARAMS.items():
            if params.get(name) != expected:
                return f"invalid_request: {name} must be {expected}", 400
        if params.get("client_id") != settings.client_id:
            return "unauthorized_client", 400
        if params.get("redirect_uri") != settings.tool_launch_url:
            return "invalid_request: redirect_uri is not registered", 400
        launch = pending.get(params.get("lti_message_hint", ""))
        if launch is None or launch["expires"] < time.time() or launch["person"] != params.get("login_hint"):
            return "invalid_request: unknown or expired lti_message_hint", 400
        person = settings.person(launch["person"])
        assert person is not None
        message = PracticeMessageLaunch(FlaskPlatformRequest(request), conf)
        message.set_user_data(person.id, list(person.roles), full_name=person.name, email_address=person.email)
        message.set_extra_claims({"given_name": person.given_name, "family_name": person.family_name})
        if launch.get("deep_link"):
            message.set_extra_claims({
                "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingRequest",
                **deep_linking_claim(settings, settings.issuer + "/deep-link-return", activities.new_request_data()),
            })
        else:
            message.set_resource_link_claim(launch["link"], title=launch["title"])
            if launch["custom"]:
                message.set_extra_claims({"https://purl.imsglobal.org/spec/lti/claim/custom": launch["custom"]})
        message.set_launch_context_claim(
            settings.course_id,
            context_types=["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            context_title=settings.course_title,
            context_label=settings.course_label,
        )
        if not launch.get("deep_link"):
            message.set_extra_claims(gradebook.ags_claim(launch["link"]))
        message.set_extra_claims(nrps_claim(settings))
        return message.lti_launch()

    return app
