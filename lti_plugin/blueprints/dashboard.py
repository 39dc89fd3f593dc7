"""The instructor's dashboard: course figures, the learners table, grade deliveries with resending, ratings, exports.

Every view is for staff of the launch's course only (`role_required("staff")`), and every
service call is scoped to that course; ids in URLs are looked up inside it, never trusted.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, stream_with_context, url_for
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from ..auth import role_required
from ..extensions import db
from ..services.errors import PlayerError
from ..services.exports.registry import EXPORTS, build_export
from ..services.reports import deliveries, progress, quiz_scores, roster
from ..services.reports.agreement import MIN_PAIRS
from ..services.reports.rating_counts import source_name
from ..services.reports.rating_figures import checklist_placement, rating_figures
from ..services.reports.sections import build_all
from ..services.surveys.schedule import course_schedules
from .course_access import instructor_scope, is_instructor, page_context, staff_scope, whole_number
from .rating_charts import agreement_chart, checklist_title, in_framework_order, skill_name, source_chart
from .report_filters import FILTERS

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
for _name, _filter in FILTERS.items():
    bp.add_app_template_filter(_filter, _name)


@bp.get("")
@role_required("staff")
def overview() -> str:
    """Course figures, section by section."""
    scope = staff_scope()
    shared, sections = build_all(scope, instructor=is_instructor())
    return render_template("dashboard/overview.html", scope=scope, shared=shared, sections=sections,
                           note=roster.ROSTER_NOTE, **page_context())


@bp.get("/learners")
@role_required("staff")
def learners() -> str:
    """Every learner's progress, quiz scores and grade state per placement; searchable, filtered, paged."""
    scope = staff_scope()
    status = request.args.get("status", "all")
    if status not in roster.STATUS_FILTERS:
        status = "all"
    search = request.args.get("q", "")[:100]
    found = roster.learners_page(scope, search=search, status=status, page=whole_number(request.args.get("page")))
    ids = [learner.user_id for learner in found.learners]
    return render_template(
        "dashboard/learners.html", scope=scope, page=found, status=status, search=search,
        filters=roster.STATUS_FILTERS, modules=progress.module_cells(scope, ids),
        quizzes=quiz_scores.quiz_cells(scope, ids), grades=deliveries.learner_cells(scope, ids),
        targets=quiz_scores.quiz_targets(scope), note=roster.ROSTER_NOTE, **page_context())


@bp.get("/learners/<int:user_id>")
@role_required("staff")
def learner(user_id: int) -> str:
    """One learner of this course: every placement, every quiz, every delivery."""
    scope = staff_scope()
    person = roster.find_learner(scope.course_id, user_id)
    if person is None:
        abort(404, description="This course has no such learner.")
    return render_template(
        "dashboard/learner.html", scope=scope, person=person, modules=progress.module_cells(scope, [user_id]),
        quizzes=quiz_scores.quiz_cells(scope, [user_id]), targets=quiz_scores.quiz_targets(scope),
        history=deliveries.learner_history(scope, user_id), **page_context())


GRADE_FILTERS = {"problems": "Failed and pending", "failed": "Failed", "pending": "Pending", "delivered": "Delivered",
                 "all": "All"}


@bp.get("/grades")
@role_required("staff")
def grades() -> str:
    """The gradebook cells of the course by delivery state, with resend buttons on failed ones."""
    scope = staff_scope()
    state = request.args.get("state", "problems")
    if state not in GRADE_FILTERS:
        state = "problems"
    counts = deliveries.state_counts(scope)
    found = deliveries.deliveries_page(scope, state=state, page=whole_number(request.args.get("page")), counts=counts)
    return render_template("dashboard/grades.html", scope=scope, page=found, state=state, filters=GRADE_FILTERS,
                           counts=counts, resent=request.args.get("resent"), **page_context())


@bp.post("/grades/<int:delivery_id>/resend")
@role_required("staff")
def resend(delivery_id: int) -> Response:
    """Queue a failed grade again, with a later timestamp, for the delivery worker."""
    scope = staff_scope()
    try:
        copy = deliveries.resend(scope, delivery_id)
        db.session.commit()
    except IntegrityError:  # two resends of the same cell at the same microsecond
        db.session.rollback()
        raise PlayerError("This grade is being sent again already; reload the page.", 409) from None
    back = request.form.get("back", "")
    if back.startswith("learner-") and back[8:].isdigit():
        return redirect(url_for("dashboard.learner", user_id=int(back[8:]), resent=copy.id), code=303)
    return redirect(url_for("dashboard.grades", state=request.form.get("state", "problems"), resent=copy.id), code=303)


@bp.get("/ratings")
@role_required("staff")
def ratings() -> str:
    """Rating counts by source, placement and skill, and agreement between raters (of one placement, if asked)."""
    scope = instructor_scope()
    chosen = checklist_placement(scope, request.args.get("placement"))
    figures = rating_figures(scope, chosen)
    library = scope.library
    skills = [s.id for s in library.skills.skills if any(r.skill_id == s.id for r in figures.counts.by_skill)]
    return render_template(
        "dashboard/ratings.html", scope=scope, chosen=chosen, figures=figures, skills=skills,
        placements=scope.of_kind("checklist"), min_pairs=MIN_PAIRS, source_chart=source_chart(figures.counts),
        agreement_charts={c.checklist_id: agreement_chart(library, c) for c in figures.agreement.checklists},
        skill_name=lambda skill: skill_name(library, skill), checklist_title=lambda c: checklist_title(library, c),
        in_order=lambda rows: in_framework_order(library, rows), source_name=source_name, **page_context())


@bp.get("/exports")
@role_required("staff")
def exports() -> str:
    """The CSV files staff can download, identified or de-identified."""
    scope = staff_scope()
    surveys = sorted({s.survey_id for s in course_schedules(scope.course_id)})
    kinds = [kind for kind in EXPORTS.values() if is_instructor() or not kind.instructors_only]
    return render_template("dashboard/exports.html", scope=scope, kinds=kinds, surveys=surveys,
                           research_ready=bool(current_app.config.get("RESEARCH_KEY")), **page_context())


@bp.get("/exports/<name>.csv")
@role_required("staff")
def export(name: str) -> Response:
    """A CSV file streamed as it is read from the database."""
    scope = staff_scope()
    if name in EXPORTS and EXPORTS[name].instructors_only and not is_instructor():
        abort(403, description="Only the course's instructors can export every rating of the course.")
    deidentified = request.args.get("deidentified") == "1"
    options = {"survey": request.args.get("survey", "")[:100]}
    made = build_export(name, scope, deidentified=deidentified, research_key=current_app.config.get("RESEARCH_KEY", ""),
                        options=options)
    response = Response(stream_with_context(made.chunks), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{made.filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Rapport-Suppressed-Groups"] = str(len(made.suppressed))
    return response

