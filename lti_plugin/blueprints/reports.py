"""Feedback reports: a student's own report (and their reflection on it), a student's report for their
instructors and coaches, the coach's view of their groups (and any coach's, for the course's instructors), and
the report placements deep linking adds, which open the view that fits whoever launches them. Thin views over
services.feedback_report, services.coaching_view and services.report_placements, which check who may read what in
the launch's course.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from .. import charts
from ..auth import launch_required
from ..content.current import current_library
from ..extensions import db
from ..models.reflections import REFLECTION_LIMIT
from ..services import activities, coaching_view, feedback_report, people, report_placements
from ..services.errors import PlayerError
from ..services.rating_scope import SOURCE_WORDS
from .course_access import launch, page_context, staff_scope

LANDING_PAGES = {report_placements.OWN_REPORT: "reports.mine", report_placements.COACHING: "reports.coaching",
                 report_placements.LEARNERS: "dashboard.learners", report_placements.COACHES: "reports.coaches"}
MAX_ID = 2147483647

bp = Blueprint("reports", __name__)

READERS = {"student": "you, the coaches of your workshop groups and your course's instructors",
           "coach": "the student, the coaches of their workshop groups and the course's instructors",
           "instructor": "the student, the coaches of their workshop groups and the course's instructors"}


def _who() -> people.CourseAccess:
    return people.access(launch())


def _context(who: people.CourseAccess, **extra: Any) -> dict[str, Any]:
    return page_context(who=who, report_links=report_placements.links_for(who), **extra)


def skill_charts(found: feedback_report.Report) -> dict[str, charts.LineChart]:
    """One line chart per skill: each source's mean at each occasion (the table beside it has the numbers)."""
    labels = [o.label for o in found.occasions]
    made = {}
    for row in found.skills:
        made[row.skill_id] = charts.line_chart(
            f"{row.name}: ratings over time",
            f"Mean rating of {row.name.lower() if row.skill_id == feedback_report.OVERALL else row.name} by each "
            "source at each encounter or day, on the 1 to 5 scale; the table below gives every value with its count.",
            row.table_id, labels,
            [(SOURCE_WORDS[s], [cells[s].mean for cells in row.over_time]) for s in feedback_report.REPORT_SOURCES],
            1, 5)
    return made


def _render_report(who: people.CourseAccess, student_id: int, *, draft: str | None = None,
                   problem: str | None = None, status: int = 200) -> tuple[str, int]:
    found = feedback_report.report(current_library(), who, student_id)
    return render_template(
        "reports/student.html", report=found, charts=skill_charts(found) if found.occasions else {},
        sources=feedback_report.REPORT_SOURCES, source_words=SOURCE_WORDS, readers=READERS[found.audience],
        limit=REFLECTION_LIMIT, draft=draft, problem=problem, saved=request.args.get("saved"), **_context(who)), status


@bp.get("/report")
@launch_required
def mine() -> Any:
    """The student's own feedback report; staff and coaches go to the pages they can use."""
    who = _who()
    if who.is_student:
        return _render_report(who, who.user_id)
    if who.is_coach:
        return redirect(url_for("reports.coaching"), code=303)
    if who.is_instructor:
        return redirect(url_for("dashboard.learners"), code=303)
    raise PlayerError("Feedback reports are for the students of this course.", 403)


@bp.get("/report/<int(max=2147483647):student_id>")
@launch_required
def student(student_id: int) -> tuple[str, int]:
    """A student's report, for the student, the course's instructors and the coaches of the student's groups."""
    return _render_report(_who(), student_id)


@bp.post("/report/reflection")
@launch_required
def reflection() -> Any:
    """The student saves their reflection; too long a text comes back with what they typed and the reason."""
    who = _who()
    text = request.form.get("reflection", "")
    try:
        feedback_report.save_reflection(who, text)
    except PlayerError as problem:
        if problem.status != 422:
            raise
        db.session.rollback()
        return _render_report(who, who.user_id, draft=text, problem=problem.message, status=422)
    db.session.commit()
    return redirect(url_for("reports.mine", saved=1, _anchor="reflection"), code=303)


@bp.get("/report/open")
@launch_required
def placement() -> Any:
    """A report placement: the student's report, the coach's view or the instructors' page, whoever opens it."""
    found = activities.activity(current_library(), launch().resource_link)
    view = found.item.id if found is not None and found.kind == "report" else "feedback"
    who = _who()
    page = report_placements.landing(who, view)
    if page is not None:
        return redirect(url_for(LANDING_PAGES[page]), code=303)
    return render_template("reports/nothing.html", view=view, title=found.item.title if found else "Feedback reports",
                           **_context(who))


@bp.get("/coaching")
@launch_required
def coaching() -> Any:
    """A coach's groups, their students' latest ratings, who is still to rate, and feedback on the coaching: the
    coach's own, or any coach's of the course for its instructors (`?coach=<user id>`, read-only)."""
    who = _who()
    raw = request.args.get("coach")
    if raw is not None and not (raw.isdigit() and 0 < int(raw) <= MAX_ID):
        abort(404, description="There is no such coach in this course.")
    if raw is None and who.is_instructor and not who.is_coach:
        return redirect(url_for("reports.coaches"), code=303)  # an instructor's way in: the list of coaches
    found = coaching_view.coach_view(current_library(), who, staff_scope(), int(raw) if raw else None)
    return render_template("reports/coaching.html", view=found, sources=coaching_view.STUDENT_SOURCES,
                           source_words=SOURCE_WORDS, **_context(who))


@bp.get("/coaching/coaches")
@launch_required
def coaches() -> str:
    """The course's coaches with their groups, each with a link to their coaching view: for instructors."""
    who = _who()
    people.require_instructor(who)
    return render_template("reports/coaches.html", coaches=coaching_view.course_coaches(who.course_id),
                           **_context(who))

