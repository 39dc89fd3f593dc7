"""Checklist placements: raters pick whom to rate and fill in the form; subjects read released feedback;
instructors set how the placement works and release feedback. Thin views over services.ratings and friends.

Every view needs a live launch (`lt`), works only in the launch's course, and checks the person's
role there; ids in addresses are looked up within what that person may see, never trusted alone.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from ..auth import current_launch, launch_required
from ..content.current import current_library
from ..extensions import db
from ..models import RatingDraft, RatingSubmission
from ..models.ratings import RELEASE_MODES
from ..services import feedback, people, rating_release, ratings, report_placements
from ..services.activities import parse_points
from ..services.errors import PlayerError
from ..services.rating_scope import SOURCE_WORDS, choices, rater_role
from .player import ROLE_NAMES

bp = Blueprint("rater", __name__)

FILLED_BY = {"coach": "coaches", "sp": "standardized patients", "self": "students, about themselves",
             "peer": "students, about classmates", "student": "students, about their coaches",
             "coach-self": "coaches, about themselves"}
RELEASE_WORDS = {"immediate": "as soon as a rating is submitted",
                 "all_raters": "once every rater of the student (in that encounter) has submitted",
                 "instructor": "when an instructor releases it"}


def _who() -> people.CourseAccess:
    launch = current_launch()
    assert launch is not None
    return people.access(launch)


def _where() -> ratings.Placement:
    launch = current_launch()
    assert launch is not None
    return ratings.placement(current_library(), launch)


def _context(who: people.CourseAccess, **extra: Any) -> dict[str, Any]:
    return {"launch": who.launch, "role_name": ROLE_NAMES.get(who.launch.role, who.launch.role), "who": who,
            "report_links": report_placements.links_for(who), **extra}


def _fields() -> dict[str, Any]:
    data = request.get_json(silent=True) if request.is_json else None
    if isinstance(data, dict):
        return {str(k): v for k, v in data.items() if isinstance(v, (str, int)) and not isinstance(v, bool)}
    return request.form.to_dict()


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _is_subject(who: people.CourseAccess, where: ratings.Placement) -> bool:
    return (where.checklist.subject == "student" and who.is_student) or (
        where.checklist.subject == "coach" and who.is_coach)


@bp.get("/rate")
@launch_required
def home() -> str:
    """The placement's page: whom the person may rate, what they rated, what they received, the settings."""
    who, where, library = _who(), _where(), current_library()
    db.session.commit()  # the placement's settings, made on first use
    query = request.args.get("q", "").strip()[:100]
    offered = choices(who, where.source)
    listed = [c for c in offered.choices
              if not query or all(w in f"{c.user.display_name} {c.user.email}".casefold() for w in query.casefold().split())]
    mine = feedback.given(library, who, where.link.id)
    rated = ratings.rated_keys(who, where)
    drafts = ratings.drafts_of(who, where) if who.acts_as(rater_role(where.source)) else []
    received = [r for r in feedback.received(library, who) if _is_subject(who, where)]
    all_rows = feedback.in_placement(library, who, where.link.id) if who.is_instructor else []
    return render_template(
        "rater/home.html", where=where, offered=offered, listed=listed, query=query, mine=mine, rated=rated,
        drafts=drafts, received=received, all_rows=all_rows, acts=who.acts_as(rater_role(where.source)),
        is_subject=_is_subject(who, where), source_words=SOURCE_WORDS, filled_by=FILLED_BY, release_words=RELEASE_WORDS,
        sources=ratings.sources_for(where.checklist), release_modes=RELEASE_MODES,
        waiting=sum(1 for r in all_rows if r.current and not r.released), **_context(who))


def _render_form(who: people.CourseAccess, where: ratings.Placement, *, subject_id: Any, encounter_id: Any,
                 corrects_id: Any, problems: list[str] | None = None, status: int = 200) -> tuple[str, int]:
    corrects = ratings.correctable(who, where, corrects_id)
    if corrects is not None:
        choice = choices(who, where.source).find(corrects.subject_id, corrects.encounter_id)
        if choice is None:
            raise PlayerError("You can no longer rate this person through this activity.", 403)
    else:
        choice = ratings.choose(who, where, subject_id, encounter_id)
    encounter = choice.encounter.id if choice.encounter else None
    draft = ratings.latest_draft(who, where, choice.user.id, encounter, corrects.id if corrects else None)
    values: dict[str, Any] = {}
    if draft is not None:
        values = dict(draft.data)
    elif corrects is not None:
        values = {"items": {a.item_id: ("na" if a.value is None else a.value) for a in corrects.answers},
                  "global": corrects.global_rating, "comments": dict(corrects.comments),
                  "observed_on": corrects.observed_on.isoformat()}
    key = draft.client_id if draft is not None else ratings.new_client_id()
    library = current_library()
    return render_template(
        "rater/form.html", where=where, choice=choice, corrects=corrects, values=values, client_id=key,
        draft=draft, problems=problems or [], scale=library.skills.scale, skill=library.skill,
        today=date.today().isoformat(), source_words=SOURCE_WORDS, **_context(who)), status


@bp.get("/rate/form")
@launch_required
def form() -> tuple[str, int]:
    """The checklist form for one subject (and encounter), or a correction of an earlier rating."""
    who, where = _who(), _where()
    page = _render_form(who, where, subject_id=request.args.get("subject"), encounter_id=request.args.get("encounter"),
                        corrects_id=request.args.get("corrects"))
    db.session.commit()
    return page


def _form_url(fields: dict[str, Any], **extra: Any) -> str:
    return url_for("rater.form", **{k: fields[k] for k in ("subject", "encounter", "corrects") if fields.get(k)},
                   **extra)


@bp.post("/rate/draft")
@launch_required
def draft() -> Any:
    """Keep a rating in progress: sent by the page's script as the rater types, or by the Save button."""
    who, where, fields = _who(), _where(), _fields()
    try:
        saved = ratings.save_draft(who, where, fields)
        db.session.commit()
    except IntegrityError:  # the same draft saved twice at once: the other request's copy stands
        db.session.rollback()
        saved = ratings.save_draft(who, where, fields)
        db.session.commit()
    if isinstance(saved, RatingSubmission):
        url = url_for("rater.rating", submission_id=saved.id)
        return jsonify({"submitted": True, "url": url}) if _wants_json() else redirect(url, code=303)
    assert isinstance(saved, RatingDraft)
    if _wants_json():
        return jsonify({"submitted": False, "saved_at": saved.updated_at.isoformat()})
    return redirect(_form_url(fields, saved=1), code=303)


@bp.post("/rate/submit")
@launch_required
def submit() -> Any:
    """Make a rating final. Sending the same rating id again returns the submission it already made."""
    who, where, fields = _who(), _where(), _fields()
    try:
        row, created = ratings.submit(who, where, fields)
        if created:
            rating_release.after_submit(who, where, row)
        db.session.commit()
    except IntegrityError:  # the same rating id arrived twice at once: the first one made it
        db.session.rollback()
        found = ratings.find_submission(who.user_id, ratings.client_id(fields.get("client_id")))
        if found is None:
            raise PlayerError("Someone corrected this rating at the same moment; reload it and try again.", 409) from None
        row, created = found, False
    except PlayerError as problem:
        if problem.status != 422 or _wants_json():
            raise
        db.session.rollback()  # without a script: keep what was typed, show the form again
        ratings.save_draft(who, where, fields)
        db.session.commit()
        return _render_form(who, where, subject_id=fields.get("subject"), encounter_id=fields.get("encounter"),
                            corrects_id=fields.get("corrects"), problems=[problem.message], status=422)
    url = url_for("rater.rating", submission_id=row.id, submitted=1)
    if _wants_json():
        return jsonify({"id": row.id, "created": created, "url": url}), 201 if created else 200
    return redirect(url, code=303)


@bp.get("/rate/ratings/<int(max=2147483647):submission_id>")
@launch_required
def rating(submission_id: int) -> str:
    """One rating, as the person asking may see it."""
    who = _who()
    shown, versions = feedback.one(current_library(), who, submission_id)
    correctable = shown.audience == "rater" and shown.current and shown.link_id == (who.launch.resource_link_id or 0)
    return render_template("rater/rating.html", rating=shown, versions=versions, correctable=correctable,
                           submitted=request.args.get("submitted") == "1", **_context(who))


@bp.get("/feedback")
@launch_required
def my_feedback() -> str:
    """The feedback the person has received in this course, newest first."""
    who = _who()
    return render_template("rater/feedback.html", received=feedback.received(current_library(), who),
                           **_context(who))


@bp.post("/rate/settings")
@launch_required
def settings() -> Response:
    """An instructor sets who fills in the checklist, when feedback is released, names, points."""
    who, where = _who(), _where()
    raw_points = request.form.get("points", "").strip()
    points = parse_points(raw_points) if raw_points else None
    ratings.change_settings(who, where, source=request.form.get("source", ""), release=request.form.get("release", ""),
                            confidential=request.form.get("confidential") == "yes", points=points)
    db.session.commit()
    return redirect(url_for("rater.home", _anchor="settings"), code=303)


@bp.post("/rate/release")
@launch_required
def release() -> Response:
    """An instructor releases one rating, or every rating waiting in this placement."""
    who, where = _who(), _where()
    raw = request.form.get("submission", "")
    one = ratings.row_id(raw)
    if one is None and raw != "all":
        raise PlayerError("Say which rating to release.", 400)
    ids = None if one is None else [one]
    rating_release.release_by_instructor(who, where, ids)
    db.session.commit()
    return redirect(url_for("rater.home", _anchor="ratings"), code=303)


@bp.app_template_filter("photo_url")
def photo_url(value: str | None) -> str:
    """A person's picture address only when it is a web address (a launch may send anything)."""
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else ""


@bp.app_template_filter("nice_date")
def nice_date(value: date | None) -> str:
    """A date as people write it: 14 May 2026."""
    return f"{value.day} {value.strftime('%B %Y')}" if value else ""
