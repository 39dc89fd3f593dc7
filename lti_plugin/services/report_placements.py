"""Where a report placement opens for whoever launches it, and the report links of a person's course tools.

A report placement (`report:feedback` or `report:coaching` from the catalogue) shows no content of its own: it
opens the page that fits the person. A student gets their feedback report, a named coach their coaching view, an
instructor the staff page that leads to every student's report or every coach's view. Anyone else (a standardized
patient, a teaching assistant who coaches no group, a student opening the coaches' placement) gets a page saying
what the activity is for, not an error.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select

from ..extensions import db
from ..models import LaunchSession, RatingSubmission
from .feedback_report import REPORT_SOURCES
from .people import CourseAccess

# The pages a report placement can open, by the name the view maps to an address.
OWN_REPORT, COACHING, LEARNERS, COACHES = "own-report", "coaching", "learners", "coaches"


def landing(who: CourseAccess, view: str) -> str | None:
    """Which page the placement opens for this person, or None when it has nothing for them."""
    order: tuple[tuple[bool, str], ...]
    if view == "coaching":
        order = ((who.is_coach, COACHING), (who.is_instructor, COACHES))
    else:  # "feedback", and any placement whose view is not known: the student's report comes first
        order = ((who.is_student, OWN_REPORT), (who.is_instructor, LEARNERS), (who.is_coach, COACHING))
    return next((page for allowed, page in order if allowed), None)


@dataclass(frozen=True)
class ReportLinks:
    """The report pages a person's course tools link to."""

    report: bool  # a student with released ratings in the course
    coaching: bool  # a named coach of the course


NO_LINKS = ReportLinks(False, False)


def has_released_ratings(course_id: int, student_id: int) -> bool:
    """Whether any rating of the student in this course has been released to them."""
    return bool(db.session.scalar(select(exists().where(
        RatingSubmission.course_id == course_id, RatingSubmission.subject_id == student_id,
        RatingSubmission.source.in_(REPORT_SOURCES), RatingSubmission.released_at.is_not(None)))))


def links_for(who: CourseAccess) -> ReportLinks:
    """The report links of someone whose standing in the course is known."""
    return ReportLinks(who.is_student and has_released_ratings(who.course_id, who.user_id), who.is_coach)


def student_links(launch: LaunchSession) -> ReportLinks:
    """The report links of a launch on a page that knows only its role: its feedback report, for a student."""
    if launch.role != "student" or launch.course_id is None:
        return NO_LINKS
    return ReportLinks(has_released_ratings(launch.course_id, launch.user_id), False)
