"""The course a staff page is about: always the launch's course, never an identifier from the URL."""
from __future__ import annotations

from typing import Any

from flask import abort

from ..auth import current_launch
from ..content.current import current_library
from ..lti.roles import manages_course
from ..models import Course, LaunchSession
from ..services import report_placements
from ..services.reports.scope import CourseScope, course_scope

ROLE_NAMES = {"student": "Student", "staff": "Teaching staff", "other": "Guest"}


def launch() -> LaunchSession:
    """The launch of this request (views are decorated with launch_required or role_required)."""
    found = current_launch()
    assert found is not None
    return found


def launch_course() -> Course:
    """The launch's course, or 404 when the launch came from outside a course."""
    course = launch().course
    if course is None:
        abort(404, description="Open this page from an activity in your course: this launch is not tied to a course.")
    return course


def staff_scope() -> CourseScope:
    """The launch's course with its placements, for staff pages."""
    return course_scope(current_library(), launch_course())


def is_instructor() -> bool:
    """Whether the launch runs the course (Instructor, Administrator, ContentDeveloper; not a TA or Mentor)."""
    current = launch()
    return current.role == "staff" and manages_course(current.lti_roles or [])


def instructor_scope() -> CourseScope:
    """The launch's course for pages only its instructors may see (every rating, by everyone): 403 for other staff."""
    if not is_instructor():
        abort(403, description="Only the course's instructors can see every rating of the course.")
    return staff_scope()


def page_context(**extra: Any) -> dict[str, Any]:
    """What every launch page's template needs: the launch, the role's name, and the course tools' report links."""
    current = launch()
    if "report_links" not in extra:
        extra["report_links"] = report_placements.student_links(current)
    return {"launch": current, "role_name": ROLE_NAMES.get(current.role, current.role), "instructor": is_instructor(),
            **extra}


def whole_number(raw: str | None, default: int = 1, highest: int = 100000) -> int:
    """A page number or count from the query string; anything else is the default."""
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) <= highest else default
