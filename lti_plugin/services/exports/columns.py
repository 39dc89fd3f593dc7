"""The columns every export shares: who (the learner), where (course and placement), in both forms."""
from __future__ import annotations

from typing import Any

from ...models import Membership, User
from ..reports.scope import CourseScope, Placement
from .registry import ExportContext

YIELD_PER = 500  # rows fetched at a time: PostgreSQL streams them from a server-side cursor
PERSON_COLUMNS = (User.name, User.given_name, User.family_name, User.email, User.issuer, User.sub)


def learner_join(scope: CourseScope) -> Any:
    """The join condition to the course's learners (Membership with the student role)."""
    return (Membership.user_id == User.id) & (Membership.course_id == scope.course_id) & (Membership.role == "student")


def who_columns(context: ExportContext) -> list[str]:
    """Course and learner columns."""
    if context.deidentified:
        return ["course_id", "person_id"]
    return ["course", "learner_name", "learner_email", "lms_user_id"]


def who_values(context: ExportContext, name: str, given: str, family: str, email: str, issuer: str, sub: str) -> list[Any]:
    """Course and learner values of a row."""
    course = context.scope.course
    if context.pseudonyms is not None:
        return [context.pseudonyms.course(course.deployment_id, course.context_id), context.pseudonyms.person(issuer, sub)]
    full = name or " ".join(p for p in (given, family) if p)
    return [course.display_title, full, email, sub]


def placement_columns(context: ExportContext) -> list[str]:
    """Placement columns."""
    return ["placement_id"] if context.deidentified else ["placement", "lms_placement_id"]


def placement_values(context: ExportContext, placement: Placement | None) -> list[Any]:
    """Placement values of a row (the LMS's title is free text, so research files carry a pseudonym)."""
    if placement is None:
        return [""] if context.deidentified else ["", ""]
    if context.pseudonyms is not None:
        return [context.pseudonyms.placement(context.scope.course.deployment_id, placement.lti_id)]
    return [placement.display_title, placement.lti_id]
