"""Deep linking: an instructor picks activities from the catalogue; Rapport answers the platform."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from ..auth import current_launch, role_required
from ..content.current import current_library
from ..lti import claims as c
from ..lti.deep_linking import ChosenItem, content_item, response_jwt, settings_allow
from ..models import LaunchSession
from ..services import activities, ratings
from ..services.errors import PlayerError
from .lti import launch_url
from .player import ROLE_NAMES

bp = Blueprint("deep_linking", __name__, url_prefix="/deep-link")

DEFAULT_POINTS = {"module": 100.0, "quiz": 100.0}


def _launch() -> tuple[LaunchSession, dict[str, Any]]:
    launch = current_launch()
    assert launch is not None
    settings = launch.claims.get(c.DEEP_LINKING_SETTINGS)
    if launch.message_type != c.DEEP_LINKING_REQUEST or not isinstance(settings, dict):
        raise PlayerError("Choosing activities works only from your platform's “add external tool” screen.", 400)
    return launch, settings


@bp.get("")
@role_required("staff")
def catalogue() -> str:
    """The catalogue, with points and where each activity opens."""
    launch, settings = _launch()
    links_ok, multiple, targets = settings_allow(settings)
    return render_template(
        "deep_linking/catalogue.html", sections=current_library().catalogue_sections(), launch=launch,
        links_ok=links_ok, multiple=multiple, targets=targets, graded=activities.GRADED_KINDS,
        default_points=DEFAULT_POINTS, accept_lineitem=settings.get("accept_lineitem", True),
        platform_title=settings.get("title") or "", role_name=ROLE_NAMES.get(launch.role, launch.role),
        checklist_options=ratings.deep_link_options(current_library()),
    )


@bp.post("")
@role_required("staff")
def choose() -> str:
    """Sign the chosen items into an LtiDeepLinkingResponse and post it back to the platform."""
    launch, settings = _launch()
    links_ok, multiple, targets = settings_allow(settings)
    if not links_ok:
        raise PlayerError("Your platform does not accept links to activities here.", 400)
    picked = list(dict.fromkeys(request.form.getlist("item")))
    if len(picked) > 1 and not multiple:
        raise PlayerError("Your platform accepts one activity at a time here; choose one.", 422)
    if len(picked) > 50:
        raise PlayerError("Choose at most 50 activities at once.", 422)
    target = request.form.get("target", targets[0])
    if target not in targets:
        raise PlayerError("Your platform does not offer that way of opening activities.", 422)
    library = current_library()
    chosen = []
    for ref in picked:
        kind, _, item_id = ref.partition(":")
        item = activities.lookup(library, kind, item_id)
        graded = kind in activities.GRADED_KINDS
        points = activities.parse_points(request.form.get(f"points-{ref}"), DEFAULT_POINTS.get(kind)) if graded else None
        custom: dict[str, str] = {}
        if kind == "checklist":  # who fills it in, when feedback is released, rater names; points optional
            custom = ratings.deep_link_custom(item, request.form, ref)
            points = activities.parse_points(request.form.get(f"points-{ref}")) if item.subject == "student" else None
            graded = points is not None
        chosen.append(ChosenItem(kind, item_id, item.title, item.summary, points, graded, target, custom))
    accept_lineitem = bool(settings.get("accept_lineitem", True))
    items = [content_item(i, launch_url(), accept_lineitem) for i in chosen]
    registration = launch.registration
    message = f"Added {len(items)} Rapport activit{'y' if len(items) == 1 else 'ies'}." if items else "Nothing was added."
    token = response_jwt(registration.issuer, registration.client_id, launch.deployment.deployment_id, settings, items, message)
    return render_template("deep_linking/return.html", action=settings["deep_link_return_url"], token=token, items=chosen)
