"""Course setup for instructors: the roster (NRPS), coaches and SPs, workshop groups, encounters, peers.

Instructors only, in the launch's own course. The roster is read from the LMS only when someone
presses Refresh and the copy Rapport has is no longer fresh (see services/rosters.py).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..auth import current_launch, launch_required
from ..extensions import db
from ..services import group_import, groups, people, rosters
from ..services.errors import PlayerError
from ..services.ratings import row_id as parse_id
from .player import ROLE_NAMES

bp = Blueprint("course", __name__, url_prefix="/course")

KIND_WORDS = {"groups": ("workshop group", "Workshop groups"), "encounters": ("encounter", "Encounters")}
ROLE_CHOICES = {"groups": (("student", "Student", "Students"), ("coach", "Coach", "Coaches")),
                "encounters": (("student", "Student", "Students"), ("sp", "Standardized patient", "Standardized patients"),
                               ("coach", "Coach", "Coaches"))}
REFRESH_WORDS = {"read": "The roster was read from your LMS.", "fresh": "The roster is up to date already.",
                 "busy": "Someone else is reading the roster right now; reload this page in a moment.",
                 "failed": "Rapport could not read the roster from your LMS."}


def _instructor() -> people.CourseAccess:
    launch = current_launch()
    assert launch is not None
    who = people.access(launch)
    people.require_instructor(who)
    return who


def _context(who: people.CourseAccess, **extra: Any) -> dict[str, Any]:
    return {"launch": who.launch, "role_name": ROLE_NAMES.get(who.launch.role, who.launch.role), "who": who, **extra}


def _id(raw: Any, what: str) -> int:
    found = parse_id(raw)
    if found is None:
        raise PlayerError(f"Choose {what}.", 422)
    return found


def _kind(kind: str) -> str:
    if kind not in KIND_WORDS:
        raise PlayerError("There is no such page.", 404)
    return kind


# -- people, roster, coaches and SPs ----------------------------------------------------------------
@bp.get("/people", endpoint="people")
@launch_required
def people_page() -> str:
    """Everyone in the course, where the list comes from, and who is a coach or an SP."""
    who = _instructor()
    found = people.course_people(who.course_id)
    query = request.args.get("q", "").strip()[:100]
    listed = people.search(found.people, query) if query else list(found.people)
    fresh_seconds = current_app.config["ROSTER_FRESH_SECONDS"]
    return render_template(
        "course/people.html", found=found, listed=listed, query=query,
        fresh=rosters.is_fresh(found.roster, fresh_seconds),
        fresh_until=rosters.fresh_until(found.roster, fresh_seconds),
        refreshed=REFRESH_WORDS.get(request.args.get("refreshed", "")), **_context(who))


@bp.post("/people/refresh")
@launch_required
def refresh() -> Response:
    """Read the roster from the LMS now, when the copy Rapport has is not fresh (bounded in time)."""
    who = _instructor()
    config = current_app.config
    plan = rosters.plan_refresh(who.launch, config["ROSTER_FRESH_SECONDS"])
    db.session.commit()  # no transaction stays open while Rapport waits for the LMS
    if isinstance(plan, rosters.RefreshOutcome):
        return redirect(url_for("course.people", refreshed=plan.state), code=303)
    result = rosters.fetch(plan, config["HTTP_TIMEOUT_SECONDS"], config["ROSTER_REFRESH_SECONDS"])
    outcome = rosters.store(plan, result)
    db.session.commit()
    return redirect(url_for("course.people", refreshed=outcome.state), code=303)


@bp.post("/people/<int(max=2147483647):user_id>/roles")
@launch_required
def roles(user_id: int) -> Response:
    """Name a person coach and/or SP of the course (or neither)."""
    who = _instructor()
    people.set_named_roles(who, user_id, request.form.getlist("role"))
    db.session.commit()
    return redirect(url_for("course.people", q=request.form.get("q") or None, _anchor=f"person-{user_id}"), code=303)


# -- groups and encounters ----------------------------------------------------------------------------
def _setup_page(who: people.CourseAccess, kind: str, plan: group_import.Plan | None = None,
                csv_text: str = "", status: int = 200) -> tuple[str, int]:
    rows = groups.groups(who.course_id) if kind == "groups" else groups.encounters(who.course_id)
    found = people.course_people(who.course_id)
    return render_template(
        "course/setup.html", kind=kind, words=KIND_WORDS[kind], rows=rows, found=found,
        role_choices=ROLE_CHOICES[kind], plan=plan, csv_text=csv_text, **_context(who)), status


@bp.get("/<kind>")
@launch_required
def setup(kind: str) -> tuple[str, int]:
    """The course's workshop groups or encounters, with forms to change them and a CSV import."""
    return _setup_page(_instructor(), _kind(kind))


def _date(raw: str | None) -> date | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PlayerError("The date must look like 2026-05-14.", 422) from None


@bp.post("/<kind>")
@launch_required
def create(kind: str) -> Response:
    """Add a workshop group or an encounter."""
    who, kind = _instructor(), _kind(kind)
    if kind == "groups":
        row: Any = groups.create_group(who, request.form.get("name", ""))
    else:
        row = groups.create_encounter(who, request.form.get("name", ""), _date(request.form.get("occurs_on")),
                                      request.form.get("open_to_all") == "yes")
    db.session.commit()
    return redirect(url_for("course.setup", kind=kind, _anchor=f"row-{row.id}"), code=303)


def _row(who: people.CourseAccess, kind: str, row_id: int) -> Any:
    return groups.group(who, row_id) if kind == "groups" else groups.encounter(who, row_id)


@bp.post("/<kind>/<int(max=2147483647):row_id>/members")
@launch_required
def add_member(kind: str, row_id: int) -> Response:
    """Add someone of the course to a group or an encounter."""
    who, kind = _instructor(), _kind(kind)
    row = _row(who, kind, row_id)
    user_id, role = _id(request.form.get("user"), "a person"), request.form.get("role", "")
    if kind == "groups":
        groups.add_to_group(who, row, user_id, role)
    else:
        groups.add_to_encounter(who, row, user_id, role)
    db.session.commit()
    return redirect(url_for("course.setup", kind=kind, _anchor=f"row-{row.id}"), code=303)


@bp.post("/<kind>/<int(max=2147483647):row_id>/members/<int(max=2147483647):user_id>/remove")
@launch_required
def remove_member(kind: str, row_id: int, user_id: int) -> Response:
    """Take someone out of a group or an encounter."""
    who, kind = _instructor(), _kind(kind)
    groups.remove_member(_row(who, kind, row_id), user_id)
    db.session.commit()
    return redirect(url_for("course.setup", kind=kind, _anchor=f"row-{row_id}"), code=303)


@bp.post("/<kind>/<int(max=2147483647):row_id>/delete")
@launch_required
def delete(kind: str, row_id: int) -> Response:
    """Delete a group or an encounter."""
    who, kind = _instructor(), _kind(kind)
    groups.delete_row(_row(who, kind, row_id))
    db.session.commit()
    return redirect(url_for("course.setup", kind=kind), code=303)


@bp.post("/<kind>/import")
@launch_required
def import_csv(kind: str) -> Any:
    """Check a CSV file and show what it would change; with confirm, apply it whole."""
    who, kind = _instructor(), _kind(kind)
    upload = request.files.get("file")
    text = request.form.get("csv", "")
    if upload is not None and upload.filename:
        try:
            text = upload.read(group_import.MAX_BYTES + 1).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PlayerError("The file is not UTF-8 text; save it as “CSV UTF-8” and try again.", 422) from None
    plan = group_import.parse(who, kind, text)
    if request.form.get("confirm") == "yes" and not plan.errors:
        group_import.apply(who, plan)
        db.session.commit()
        return redirect(url_for("course.setup", kind=kind, imported=len(plan.lines)), code=303)
    return _setup_page(who, kind, plan, text, 422 if plan.errors else 200)


# -- peers --------------------------------------------------------------------------------------------
@bp.get("/peers")
@launch_required
def peers() -> str:
    """Who rates which classmates, besides the classmates of their groups."""
    who = _instructor()
    return render_template("course/peers.html", assignments=groups.peer_assignments(who.course_id),
                           found=people.course_people(who.course_id), **_context(who))


@bp.post("/peers")
@launch_required
def assign() -> Response:
    """Ask a student to rate a classmate."""
    who = _instructor()
    groups.assign_peer(who, _id(request.form.get("rater"), "who rates"), _id(request.form.get("subject"), "whom"))
    db.session.commit()
    return redirect(url_for("course.peers"), code=303)


@bp.post("/peers/<int(max=2147483647):assignment_id>/remove")
@launch_required
def unassign(assignment_id: int) -> Response:
    """Remove a peer assignment."""
    who = _instructor()
    groups.unassign_peer(who, assignment_id)
    db.session.commit()
    return redirect(url_for("course.peers"), code=303)
