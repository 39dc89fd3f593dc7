"""The survey a placement shows: learners answer the open round; staff schedule rounds and read cohort results."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from ..auth import launch_required, role_required
from ..content.current import current_library
from ..content.model import Survey
from ..extensions import db
from ..models import ResourceLink, SurveySchedule, utcnow
from ..services import activities
from ..services.errors import PlayerError
from ..services.reports.survey_rates import schedule_title
from ..services.surveys import responses, schedule as schedules
from ..services.surveys.cohort import cohort
from ..services.surveys.times import describe, zone_names
from .course_access import launch, launch_course, page_context, staff_scope
from ..charts import survey_chart as chart

bp = Blueprint("surveys", __name__, url_prefix="/survey")


@bp.app_template_filter("zoned_time")
def zoned_time(moment: Any, zone_name: str) -> str:
    """A moment with its date, time and zone, for pages."""
    return describe(moment, zone_name) if moment is not None else ""


def _placement() -> tuple[ResourceLink, Survey]:
    """The survey placement this launch opened, or 404."""
    current = launch()
    found = activities.activity(current_library(), current.resource_link)
    if found is None or found.kind != "survey" or current.resource_link is None:
        abort(404, description="This activity is not a survey.")
    return current.resource_link, found.item


def _status() -> tuple[ResourceLink, Survey, responses.LearnerSurvey]:
    link, survey = _placement()
    course = launch_course()
    schedule = schedules.schedule_for(course.id, link.id, survey.id)
    return link, survey, responses.learner_survey(schedule, launch().user_id, utcnow())


@bp.get("")
@launch_required
def survey() -> Any:
    """The survey placement: the open round's form, or when the next opens; staff see the schedule."""
    link, survey_item = _placement()
    if launch().role == "staff":
        return _staff_page(link, survey_item)
    if launch().role != "student":
        return render_template("surveys/status.html", survey=survey_item, status=None, **page_context())
    _, _, status = _status()
    if not status.open:
        return render_template("surveys/status.html", survey=survey_item, status=status,
                               submitted_now=request.args.get("submitted") == "1", **page_context())
    answers = dict(status.response.answers) if status.response else {}
    return render_template("surveys/take.html", survey=survey_item, status=status, answers=answers, missing=[],
                           saved=request.args.get("saved") == "1", grace=responses.GRACE, **page_context())


def _save(survey_item: Survey, answers: dict[str, int]) -> responses.LearnerSurvey:
    """Save answers into the learner's draft; a first save racing another tab is retried once."""
    link, _, status = _status()
    try:
        responses.save_draft(survey_item, status.schedule, launch().user_id, link.id, answers, utcnow())
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        link, _, status = _status()
        responses.save_draft(survey_item, status.schedule, launch().user_id, link.id, answers, utcnow())
    return _status()[2]


@bp.post("/answers")
@role_required("student")
def answers() -> Any:
    """Save the form (to finish later) or submit it; unanswered statements are confirmed first."""
    _, survey_item = _placement()
    given = responses.parse_answers(survey_item, request.form.to_dict(flat=False))
    action = request.form.get("action", "submit")
    status = _save(survey_item, given)
    assert status.response is not None
    if action == "save":
        db.session.commit()
        return redirect(url_for("surveys.survey", saved="1"), code=303)
    saved = dict(status.response.answers or {})
    missing = responses.unanswered(survey_item, saved)
    if not saved:
        raise PlayerError("Answer at least one statement before submitting.", 422)
    if missing and request.form.get("confirm") != "yes":
        db.session.commit()  # keep what was answered
        return render_template("surveys/take.html", survey=survey_item, status=status, answers=saved, missing=missing,
                               saved=False, grace=responses.GRACE, **page_context()), 422
    responses.submit(survey_item, status.schedule, launch().user_id, status.response, utcnow())
    db.session.commit()
    return redirect(url_for("surveys.survey", submitted="1"), code=303)


@bp.post("/draft")
@role_required("student")
def draft() -> Response:
    """Answers saved by the page's script as the learner chooses them (JSON in, JSON out)."""
    _, survey_item = _placement()
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("answers"), dict):
        raise PlayerError("Send JSON with an answers object.", 400)
    status = _save(survey_item, responses.parse_json_answers(survey_item, data["answers"]))
    db.session.commit()
    assert status.response is not None
    return jsonify({"answered": len(status.response.answers or {}), "of": len(survey_item.items)})


# -- staff -------------------------------------------------------------------------------------------------------
def _staff_page(link: ResourceLink, survey_item: Survey) -> str:
    course = launch_course()
    used = schedules.schedule_for(course.id, link.id, survey_item.id)
    counts = schedules.responses_per_window(used) if used else {}
    return render_template("surveys/staff.html", survey=survey_item, schedule=used, counts=counts,
                           own=used is not None and used.resource_link_id == link.id, **page_context())


def _schedule_target() -> tuple[Survey, ResourceLink | None, ResourceLink | None]:
    """(the survey, the placement whose own schedule is edited or None for the course's, the launch's survey placement)."""
    library = current_library()
    current = launch()
    found = activities.activity(library, current.resource_link)
    placement = current.resource_link if found is not None and found.kind == "survey" else None
    survey_id = request.values.get("survey") or (found.item.id if placement is not None and found else "")
    if not survey_id and len(library.surveys) == 1:
        survey_id = next(iter(library.surveys))
    try:
        survey_item = library.survey(survey_id)
    except KeyError:
        abort(404, description="Rapport has no such survey.")
    if placement is not None and found is not None and found.item.id != survey_item.id:
        placement = None
    scope = request.values.get("scope", "course")
    return survey_item, placement if scope == "placement" else None, placement


@bp.route("/schedule", methods=["GET", "POST"])
@role_required("staff")
def schedule() -> Any:
    """Set when the survey opens: a baseline round, then follow-ups at dates or intervals."""
    course = launch_course()
    survey_item, target, placement = _schedule_target()
    existing = schedules.own_schedule(course.id, target, survey_item.id)
    problems: dict[str, str] = {}
    values = schedules.form_values(existing, existing.timezone if existing else current_app.config["TIMEZONE"])
    status = 200
    if request.method == "POST":
        if request.form.get("action") == "remove":
            if existing is None:
                raise PlayerError("There is no schedule to remove.", 404)
            schedules.remove_schedule(existing)
            db.session.commit()
            return redirect(url_for("surveys.schedule", survey=survey_item.id, scope="placement" if target else "course",
                                    removed="1"), code=303)
        values = {k: v for k, v in request.form.items() if isinstance(v, str)}
        try:
            plan = schedules.parse_schedule(values)
            schedules.save_schedule(course, target, survey_item.id, plan, launch().user_id)
            db.session.commit()
            return redirect(url_for("surveys.schedule", survey=survey_item.id, scope="placement" if target else "course",
                                    saved="1"), code=303)
        except schedules.ScheduleInvalid as invalid:
            db.session.rollback()
            problems, status = invalid.problems, 422
            existing = schedules.own_schedule(course.id, target, survey_item.id)
    counts = schedules.responses_per_window(existing) if existing else {}
    rows = max(3, min(schedules.DATE_ROWS, 1 + max([int(k.rsplit("_", 1)[1]) for k in values
                                                     if k.startswith("follow_up_opens_") and values[k]] or [0]) + 2))
    return render_template(
        "surveys/schedule.html", survey=survey_item, schedule=existing, counts=counts, values=values, problems=problems,
        target=target, placement=placement, zones=zone_names(), date_rows=rows, saved=request.args.get("saved") == "1",
        removed=request.args.get("removed") == "1", **page_context()), status


@bp.get("/results")
@role_required("staff")
def results() -> str:
    """The cohort view: each subscale at every round, the paired change from baseline, and n per cell."""
    scope = staff_scope()
    options = schedules.course_schedules(scope.course_id)
    chosen: SurveySchedule | None = None
    wanted = request.args.get("schedule", "")
    if wanted:
        chosen = next((s for s in options if str(s.id) == wanted), None)
        if chosen is None:  # another course's schedule, or none at all: the same answer
            abort(404, description="This course has no such survey schedule.")
    elif options:
        chosen = options[0]
    figures = None
    if chosen is not None:
        try:
            figures = cohort(scope.library.survey(chosen.survey_id), chosen)
        except KeyError:
            abort(404, description="The survey of this schedule is no longer in Rapport's content.")
    return render_template("surveys/results.html", options=[(s, schedule_title(scope, s)) for s in options],
                           chosen=chosen, figures=figures, chart=chart(figures) if figures else None, **page_context())

