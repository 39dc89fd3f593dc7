"""The course roster, read through NRPS on request and kept in the database.

A roster read is fresh for ROSTER_FRESH_SECONDS: while it is, nothing calls the platform. After
that the roster is still used, with its date shown, and someone may refresh it; the read is
bounded by ROSTER_REFRESH_SECONDS in all. The view commits before the call (no transaction
stays open while Rapport waits for the platform) and again after storing what came back.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from ..extensions import cache, db
from ..lti import claims as c
from ..lti.errors import ServiceCallError
from ..lti.http import TimeoutSession
from ..lti.nrps import Membership, read_members
from ..lti.roles import rapport_role
from ..lti.service_tokens import TokenSource
from ..models import CourseRoster, LaunchSession, RosterMember, User, utcnow
from .launches import upsert_user
from .rows import insert_unless_exists

ERROR_LIMIT = 500


@dataclass(frozen=True)
class RefreshPlan:
    """What a roster read needs, copied out of the database session."""

    course_id: int
    issuer: str
    url: str
    source: TokenSource


@dataclass(frozen=True)
class RefreshOutcome:
    """How a refresh went: read, fresh (not needed), busy (someone else is reading), failed."""

    state: str
    message: str
    count: int = 0


def members_url(launch: LaunchSession) -> str | None:
    """The context memberships URL the launch's NRPS claim names."""
    claim = (launch.claims or {}).get(c.NRPS)
    url = claim.get("context_memberships_url") if isinstance(claim, dict) else None
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) and len(url) <= 2048 else None


def is_fresh(state: CourseRoster | None, fresh_seconds: float, now: datetime | None = None) -> bool:
    """Whether the last successful read is recent enough that the platform is not asked again."""
    if state is None or state.refreshed_at is None:
        return False
    return (now or utcnow()) - state.refreshed_at < timedelta(seconds=fresh_seconds)


def fresh_until(state: CourseRoster | None, fresh_seconds: float) -> datetime | None:
    """When the roster stops being fresh."""
    if state is None or state.refreshed_at is None:
        return None
    return state.refreshed_at + timedelta(seconds=fresh_seconds)


def plan_refresh(launch: LaunchSession, fresh_seconds: float) -> RefreshPlan | RefreshOutcome:
    """Decide whether to read the roster now; records an unavailable roster (the caller commits)."""
    assert launch.course_id is not None
    state = db.session.get(CourseRoster, launch.course_id)
    if is_fresh(state, fresh_seconds):
        return RefreshOutcome("fresh", "The roster was read from your LMS a short while ago; it is up to date.",
                              state.member_count if state else 0)
    url = members_url(launch) or (state.members_url if state else None)
    if state is None:
        insert_unless_exists(CourseRoster, ["course_id"], course_id=launch.course_id, member_count=0)
        state = db.session.get(CourseRoster, launch.course_id)
        assert state is not None
    state.attempted_at = utcnow()
    if url is None:
        state.last_error = ("Your LMS did not offer this course's roster to Rapport (the launch had no Names "
                            "and Role Provisioning claim).")
        db.session.flush()
        return RefreshOutcome("failed", state.last_error)
    state.members_url = url
    db.session.flush()
    return RefreshPlan(launch.course_id, launch.registration.issuer, url, TokenSource.of(launch.registration))


def fetch(plan: RefreshPlan, timeout: float, deadline: float) -> Membership | ServiceCallError:
    """Read the roster from the platform (no database work here); the error when it fails."""
    lock = f"roster-refresh:{plan.course_id}"
    if not cache.add(lock, "1", timeout=int(deadline + timeout) + 1):
        return ServiceCallError("Someone else is reading this course's roster right now; try again in a moment.",
                                retryable=True, status=None, counts=False)
    session = TimeoutSession(min(timeout, deadline))
    try:
        return read_members(session, plan.source, plan.url, deadline_seconds=deadline)
    except ServiceCallError as error:
        return error
    finally:
        session.close()
        cache.delete(lock)


def store(plan: RefreshPlan, result: Membership | ServiceCallError) -> RefreshOutcome:
    """Keep what the read brought back: the members, or why it failed (the caller commits)."""
    if db.session.get(CourseRoster, plan.course_id) is None:
        insert_unless_exists(CourseRoster, ["course_id"], course_id=plan.course_id, member_count=0)
    state = db.session.get(CourseRoster, plan.course_id)
    assert state is not None
    if isinstance(result, ServiceCallError):
        if not result.counts:  # another refresh is under way: it will record its own outcome
            return RefreshOutcome("busy", result.message)
        state.last_error = result.message[:ERROR_LIMIT]
        db.session.flush()
        return RefreshOutcome("failed", result.message)
    now = utcnow()
    rows: dict[int, dict[str, Any]] = {}
    for member in result.members:
        body: dict[str, Any] = {"sub": member.user_id}
        for name in ("name", "given_name", "family_name", "email", "picture"):
            if getattr(member, name):  # what the platform did not send is kept as it was
                body[name] = getattr(member, name)
        user: User = upsert_user(plan.issuer, body)
        db.session.flush()
        rows[user.id] = {"lti_roles": list(member.roles), "role": rapport_role(member.roles), "status": member.status}
    db.session.execute(delete(RosterMember).where(RosterMember.course_id == plan.course_id))
    for user_id, values in rows.items():
        db.session.add(RosterMember(course_id=plan.course_id, user_id=user_id, **values))
    state.refreshed_at, state.last_error = now, None
    state.member_count = sum(1 for v in rows.values() if v["status"] == "Active")
    db.session.flush()
    return RefreshOutcome("read", f"Read {state.member_count} members from your LMS "
                                  f"({result.pages} page{'' if result.pages == 1 else 's'}).", state.member_count)


def roster_members(course_id: int) -> list[RosterMember]:
    """The roster as last read."""
    return list(db.session.scalars(select(RosterMember).where(RosterMember.course_id == course_id)))
