"""Feedback reports: a student's own report (and their reflection on it), a student's report for their
instructors and coaches, and the coach's view of their groups. Thin views over services.feedback_report and
services.coaching_view, which check who may read what in the launch's course.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from .. import charts
from ..auth import launch_required
from ..content.current import current_library
from ..extensions import db
from ..models.reflections import REFLECTION_LIMIT
from ..services import coaching_view, feedback_report, people
from ..services.errors import PlayerError
from ..services.rating_scope import SOURCE_WORDS
from .course_access import launch, page_context, staff_scope

bp = Blueprint("reports", __name__)

READERS = {"student": "you, the coaches of your workshop groups and your course's instructors",
           "coach": "the student, the coaches of their workshop groups and the course's instructors",
           "instructor": "the student, the coaches of their workshop groups and the course's instructors"}


def _who() -> people.CourseAccess:
    return people.access(launch())


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
        limit=REFLECTION_LIMIT, draft=draft, problem=problem, saved=request.args.get("saved"), who=who,
        **page_context()), status


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


@bp.get("/coaching")
@launch_required
def coaching() -> str:
    """The coach's groups, their students' latest ratings, who is still to rate, and feedback on the coaching."""
    who = _who()
    found = coaching_view.coach_view(current_library(), who, staff_scope())
    return render_template("reports/coaching.html", view=found, sources=coaching_view.STUDENT_SOURCES,
                           source_words=SOURCE_WORDS, who=who, **page_context())

