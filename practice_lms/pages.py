"""The practice LMS's pages: the course, who you are acting as, activities opened in a frame or a window.

An activity opens inside an LMS page, in an iframe, as Canvas and Moodle do by default, so Rapport
runs cross-site with whatever the browser does to third-party cookies. Beside it sits a hidden
frame that keeps values for Rapport (LTI Platform Storage, static/platform-storage.js); the login
request names it in `lti_storage_target`.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, redirect, render_template, request, url_for

from .activities import Activities
from .settings import MEMBERSHIP, Person, PlatformSettings

PERSON_COOKIE = "practice_lms_acting_as"
TOOL_FRAME = "rapport-activity"
STORAGE_FRAME = "lti-storage"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def install_pages(app: Flask, settings: PlatformSettings, activities: Activities) -> None:
    """Add the course page, the acting-as switch, the activity and add-activity pages, the storage frame."""
    learners = [p for p in settings.people if MEMBERSHIP + "Learner" in p.roles]
    instructor = next(p for p in settings.people if p.label == "Instructor")

    def acting_as() -> Person:
        """The person chosen in the acting-as bar (remembered in the LMS's own cookie); a student at first."""
        return settings.person(request.cookies.get(PERSON_COOKIE, "")) or learners[0]

    @app.context_processor
    def people() -> dict[str, Any]:
        if request.endpoint in ("platform_storage", "static"):
            return {}
        return {"me": acting_as(), "people": settings.people, "settings": settings, "instructor": instructor}

    @app.get("/")
    def course() -> str:
        """The course page: what this is, the activities, add activity for the instructor."""
        return render_template("course.html", activities=activities.items, added=request.args.get("added"))

    @app.post("/acting-as")
    def act_as() -> Any:
        """Switch who the practice LMS launches Rapport as."""
        person = settings.person(request.form.get("person", ""))
        if person is None:
            abort(400, description="Choose someone enrolled in the course.")
        back = request.form.get("next", "")
        if not back.startswith("/") or back.startswith("//"):
            back = url_for("course")
        response = redirect(back, code=303)
        response.set_cookie(PERSON_COOKIE, person.id, max_age=30 * 86400, httponly=True, samesite="Lax")
        return response

    def frame_page(title: str, launch_url: str, storage: bool, **extra: Any) -> str:
        return render_template(
            "frame.html", title=title, tool_frame=TOOL_FRAME, storage_frame=STORAGE_FRAME, storage=storage,
            launch_url=launch_url + ("&storage=1" if storage else ""), tool_origin=_origin(settings.tool_login_url),
            **extra)

    def storage_wanted() -> bool:
        return request.args.get("platform_storage") != "off"

    @app.get("/activity/<link_id>")
    def activity_page(link_id: str) -> str:
        """An activity inside the LMS page, in an iframe, with the storage frame beside it."""
        activity = activities.get(link_id)
        if activity is None:
            abort(404, description="This course has no such activity.")
        me = acting_as()
        return frame_page(activity.title, url_for("start", person_id=me.id, link=activity.link_id),
                          storage_wanted(), activity=activity,
                          window_url=url_for("start", person_id=me.id, link=activity.link_id))

    @app.get("/add-activity")
    def add_activity() -> Any:
        """The instructor's "add activity": Rapport's catalogue by deep linking, inside the LMS page."""
        me = acting_as()
        if me.id != instructor.id:
            return render_template("not_instructor.html"), 403
        return frame_page("Add an activity", url_for("start", person_id=me.id, add=1), storage_wanted())

    @app.get("/platform-storage")
    def platform_storage() -> str:
        """The hidden frame that keeps values for Rapport's origin while the activity page is open."""
        return render_template("storage.html", tool_origin=_origin(settings.tool_login_url), tool_frame=TOOL_FRAME)
