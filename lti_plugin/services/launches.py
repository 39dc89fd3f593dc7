"""Recording a validated launch: the user, the course, the link, the membership, a launch session."""
from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..lti import claims as c
from ..lti.roles import rapport_role
from ..models import Course, Deployment, LaunchSession, Membership, Registration, ResourceLink, User, utcnow
from ..lti.state import digest


LAST_LAUNCH_PRECISION = timedelta(seconds=60)

# Built once: every launch runs these, and building a statement costs more than running it.
_USER = select(User).where(User.issuer == bindparam("issuer"), User.sub == bindparam("sub"))
_COURSE = select(Course).where(Course.deployment_id == bindparam("deployment_id"),
                               Course.context_id == bindparam("context_id"))
_LINK = select(ResourceLink).where(ResourceLink.deployment_id == bindparam("deployment_id"),
                                   ResourceLink.resource_link_id == bindparam("link_id"))
_MEMBERSHIP = select(Membership).where(Membership.course_id == bindparam("course_id"),
                                       Membership.user_id == bindparam("user_id"))
# Every page shows the user and the course and most need the link: one query for all four.
_LAUNCH_SESSION = select(LaunchSession).where(LaunchSession.token_hash == bindparam("token_hash")).options(
    joinedload(LaunchSession.user), joinedload(LaunchSession.course), joinedload(LaunchSession.resource_link))


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def upsert_user(issuer: str, body: dict[str, Any]) -> User:
    """The user for this platform's `sub`, with the name and email the launch sent."""
    user = db.session.scalar(_USER, {"issuer": issuer, "sub": body["sub"]})
    if user is None:
        user = User(issuer=issuer, sub=body["sub"])
        db.session.add(user)
    for field, limit in (("name", 255), ("given_name", 255), ("family_name", 255), ("email", 320), ("picture", 1024)):
        if field in body:  # only what was sent: a platform that hides names keeps them hidden
            setattr(user, field, _text(body[field], limit))
    return user


def upsert_course(deployment: Deployment, context: dict[str, Any]) -> Course:
    """The course for this context within the deployment."""
    course = db.session.scalar(_COURSE, {"deployment_id": deployment.id, "context_id": context["id"]})
    if course is None:
        course = Course(deployment_id=deployment.id, context_id=context["id"][:255])
        db.session.add(course)
    course.title = _text(context.get("title"), 512) or course.title
    course.label = _text(context.get("label"), 255) or course.label
    return course


def upsert_resource_link(deployment: Deployment, course: Course | None, body: dict[str, Any]) -> ResourceLink | None:
    """The resource link the launch opened, with its custom parameters."""
    link = body.get(c.RESOURCE_LINK)
    if not isinstance(link, dict) or not link.get("id"):
        return None
    row = db.session.scalar(_LINK, {"deployment_id": deployment.id, "link_id": link["id"]})
    if row is None:
        row = ResourceLink(deployment_id=deployment.id, resource_link_id=link["id"][:255])
        db.session.add(row)
    row.course = course
    row.title = _text(link.get("title"), 512) or row.title
    custom = body.get(c.CUSTOM)
    if isinstance(custom, dict):
        row.custom = {str(k)[:100]: str(v)[:1000] for k, v in custom.items()}
    return row


def record_launch(
    registration: Registration, deployment: Deployment, body: dict[str, Any], kept: dict[str, Any], lifetime: int
) -> tuple[str, LaunchSession]:
    """Store what a validated launch says and open a launch session; returns its secret token."""
    # The lookups first and every write in one flush at the end: one unit of work, not four.
    with db.session.no_autoflush:
        user = upsert_user(registration.issuer, body)
        new_user = user.id is None
        context = body.get(c.CONTEXT)
        course = upsert_course(deployment, context) if isinstance(context, dict) else None
        link = upsert_resource_link(deployment, course, body)
        lti_roles = [r for r in body.get(c.ROLES, []) if isinstance(r, str)][:50]
        role = rapport_role(lti_roles)
        if course is not None:
            membership = None
            if user.id is not None and course.id is not None:  # a new user or course has no membership yet
                membership = db.session.scalar(_MEMBERSHIP, {"course_id": course.id, "user_id": user.id})
            if membership is None:
                membership = Membership(course=course, user=user)
                db.session.add(membership)
            membership.lti_roles = lti_roles
            membership.role = role
    now = utcnow()
    # Every launch of a course goes through the same deployment row: writing it each time would
    # make simultaneous launches queue on its lock. A minute's precision is enough to show admins.
    last = deployment.last_launch_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=now.tzinfo)
    if last is None or now - last >= LAST_LAUNCH_PRECISION:
        deployment.last_launch_at = now
    token = secrets.token_urlsafe(32)
    session = LaunchSession(
        token_hash=digest(token),
        registration_id=registration.id,
        deployment_id=deployment.id,
        user=user,
        course=course,
        resource_link=link,
        message_type=body[c.MESSAGE_TYPE],
        role=role,
        lti_roles=lti_roles,
        claims=kept,
        created_at=now,
        expires_at=now + timedelta(seconds=lifetime),
    )
    db.session.add(session)
    db.session.flush()
    if new_user:
        setattr(session, _NEW_USER_MARK, True)
    return token, session


_NEW_USER_MARK = "_rapport_opened_for_new_user"


def opened_for_new_user(launch: LaunchSession) -> bool:
    """True when this launch session was opened in this transaction for a user it created.

    Such a user has no progress, attempts or scores anywhere yet, so the first launch of a
    class need not look for them. The mark lives on the Python object only, never in the database.
    """
    return bool(getattr(launch, _NEW_USER_MARK, False))


def find_launch_session(token: str) -> LaunchSession | None:
    """The unexpired launch session for a token, or None."""
    if not token or len(token) > 128:
        return None
    session = db.session.scalar(_LAUNCH_SESSION, {"token_hash": digest(token)})
    if session is None or session.expires_at < utcnow():
        return None
    return session

