"""When a subject sees a rating, and the grade a checklist placement sends.

Release modes, per placement: `immediate` (on submission), `all_raters` (once everyone who may
rate the subject through the placement, in that encounter, has submitted: see
rating_scope.expected_raters), `instructor` (when an instructor releases).

The grade, for placements with points whose subject is a student: the mean of the overall
ratings of the released ratings (the latest released version of each) divided by the top of the
scale (5), times the points; a self-assessment scores full points once released, since a
student's rating of themselves measures taking part, not skill. It goes through the same
outbox as module scores, each time the released ratings change.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from ..extensions import db
from ..models import RatingSubmission, User, utcnow
from ..models.ratings import SCALE_MAX
from .errors import PlayerError
from .people import CourseAccess, course_role_of
from .rating_scope import expected_raters
from .ratings import Placement, audit
from .scores import send_score_for


def current_in(where: Placement, subject_id: int, encounter_id: int | None) -> list[RatingSubmission]:
    """The current ratings of a subject through a placement, in one encounter (or none)."""
    query = select(RatingSubmission).where(
        RatingSubmission.resource_link_id == where.link.id, RatingSubmission.subject_id == subject_id,
        RatingSubmission.superseded_at.is_(None))
    query = query.where(RatingSubmission.encounter_id.is_(None) if encounter_id is None
                        else RatingSubmission.encounter_id == encounter_id)
    return list(db.session.scalars(query))


def _release(who: CourseAccess, where: Placement, rows: Iterable[RatingSubmission], by: int | None,
             why: str) -> list[RatingSubmission]:
    now, done = utcnow(), []
    for row in rows:
        if row.released_at is None:
            row.released_at, row.released_by_id = now, by
            audit(who, where, row, "released", {"why": why})
            done.append(row)
    db.session.flush()
    return done


def after_submit(who: CourseAccess, where: Placement, row: RatingSubmission) -> list[RatingSubmission]:
    """Release what the placement's mode says after a submission, and send the grade that changes."""
    released: list[RatingSubmission] = []
    if where.setting.release == "immediate":
        released = _release(who, where, [row], None, "released on submission")
    elif where.setting.release == "all_raters":
        bucket = current_in(where, row.subject_id, row.encounter_id)
        expected = expected_raters(who.course_id, where.source, row.subject_id, row.encounter_id)
        if expected <= {r.rater_id for r in bucket}:
            released = _release(who, where, bucket, None, "every rater has submitted")
    if released:
        refresh_grade(who, where, row.subject_id)
    return released


def release_by_instructor(who: CourseAccess, where: Placement, ids: Iterable[int] | None) -> int:
    """An instructor releases current ratings of this placement (all waiting ones when ids is None)."""
    if not who.is_instructor:
        raise PlayerError("Only the course's instructors can release feedback.", 403)
    query = select(RatingSubmission).where(RatingSubmission.resource_link_id == where.link.id,
                                           RatingSubmission.course_id == who.course_id,
                                           RatingSubmission.superseded_at.is_(None),
                                           RatingSubmission.released_at.is_(None))
    if ids is not None:
        wanted = list(ids)
        query = query.where(RatingSubmission.id.in_(wanted))
    rows = list(db.session.scalars(query))
    if ids is not None and not rows:
        raise PlayerError("Nothing to release: that rating is released already, corrected, or not in this activity.", 404)
    released = _release(who, where, rows, who.user_id, "released by an instructor")
    for subject_id in sorted({r.subject_id for r in released}):
        refresh_grade(who, where, subject_id)
    return len(released)


def released_latest(link_id: int, subject_id: int) -> list[RatingSubmission]:
    """The latest released version of each rating of a subject through a placement."""
    rows = db.session.scalars(select(RatingSubmission).where(
        RatingSubmission.resource_link_id == link_id, RatingSubmission.subject_id == subject_id,
        RatingSubmission.released_at.is_not(None)).order_by(RatingSubmission.version))
    return sorted(latest_versions(rows), key=lambda r: (r.observed_on, r.id))


def latest_versions(rows: Iterable[RatingSubmission]) -> list[RatingSubmission]:
    """The last version of each rating among rows given in version order."""
    latest: dict[str, RatingSubmission] = {}
    for row in rows:
        latest[row.series] = row
    return list(latest.values())


def grade_share(where: Placement, subject_id: int) -> float | None:
    """The subject's grade in this placement as a share 0..1 (see the module docstring); None: nothing yet."""
    rows = released_latest(where.link.id, subject_id)
    if not rows:
        return None
    if where.source == "self":
        return 1.0
    return sum(r.global_rating for r in rows) / len(rows) / SCALE_MAX


def refresh_grade(who: CourseAccess, where: Placement, subject_id: int) -> None:
    """Queue the subject's grade when the placement carries points and the subject is a student."""
    if not where.link.points or where.checklist.subject != "student":
        return
    if course_role_of(who.course_id, subject_id) != "student":
        return
    share = grade_share(where, subject_id)
    subject = db.session.get(User, subject_id)
    if share is None or subject is None:
        return
    send_score_for(who.launch, subject, share, completed=True, title=where.checklist.title)
