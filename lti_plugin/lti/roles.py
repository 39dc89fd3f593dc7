"""From the LMS's role URIs to Rapport's roles."""
from __future__ import annotations

from collections.abc import Iterable

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
STAFF_ROLES = ("Instructor", "TeachingAssistant", "Mentor", "ContentDeveloper", "Administrator")
STUDENT_ROLES = ("Learner",)


NOT_COURSE_ROLES = (
    "http://purl.imsglobal.org/vocab/lis/v2/institution/",
    "http://purl.imsglobal.org/vocab/lis/v2/system/",
)


def _short(uri: str) -> str:
    """The role's local name in the course; institution and system roles say nothing about it."""
    if uri.startswith(NOT_COURSE_ROLES):
        return ""
    if uri.startswith(MEMBERSHIP):
        return uri[len(MEMBERSHIP):]
    if "#" in uri:
        return uri.rsplit("#", 1)[1]
    return uri.rsplit("/", 1)[-1]


def rapport_role(lti_roles: Iterable[str]) -> str:
    """staff when any role teaches, else student when any role learns, else other."""
    names = {_short(r) for r in lti_roles if isinstance(r, str)}
    if names & set(STAFF_ROLES):
        return "staff"
    if names & set(STUDENT_ROLES):
        return "student"
    return "other"


COURSE_MANAGER_ROLES = ("Instructor", "Administrator", "ContentDeveloper")


def manages_course(lti_roles: Iterable[str]) -> bool:
    """Whether a role runs the course (Instructor, Administrator, ContentDeveloper; not TA or Mentor)."""
    return bool({_short(r) for r in lti_roles if isinstance(r, str)} & set(COURSE_MANAGER_ROLES))


def role_label(lti_roles: Iterable[str]) -> str:
    """The course roles' short names for people pages, e.g. "Learner" or "TeachingAssistant"."""
    names = [n for n in dict.fromkeys(_short(r) for r in lti_roles if isinstance(r, str)) if n]
    return ", ".join(names) or "no course role"
