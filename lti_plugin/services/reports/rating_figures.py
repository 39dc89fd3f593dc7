"""The dashboard's rating figures (counts and agreement) for a course, cached under a stamp of its ratings.

Working the figures out reads every current rating of the course; the dashboard instead asks the
cache (Redis on the scale-out path) for the figures stored under the course's ratings stamp, one
aggregate query. A new rating or a correction adds a row, which changes the stamp, so the next page
shows it at once; nothing else ever has to clear the cache. When the cache cannot be reached the
figures are worked out for the request.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from ...extensions import cache
from ..errors import PlayerError
from .agreement import Agreement, course_agreement
from .rating_counts import RatingCounts, rating_counts, ratings_stamp
from .scope import CourseScope, Placement

FIGURES_VERSION = 1  # bump when the shape of the cached figures changes
CACHE_SECONDS = 24 * 3600
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RatingFigures:
    """Counts and agreement of one course (or of one of its checklist placements)."""

    counts: RatingCounts
    agreement: Agreement
    stamp: str


def checklist_placement(scope: CourseScope, raw: str | None) -> Placement | None:
    """The checklist placement a page asks for, looked up in the course; None for all of them."""
    if raw in (None, "", "all"):
        return None
    found = scope.placement(int(raw)) if str(raw).isdigit() and len(str(raw)) <= 10 else None
    if found is None or found.kind != "checklist":
        raise PlayerError("This course has no such checklist placement.", 404)
    return found


def compute(course_id: int, link_ids: list[int] | None, stamp: str = "") -> RatingFigures:
    """The figures, worked out from the ratings (no cache)."""
    return RatingFigures(rating_counts(course_id, link_ids), course_agreement(course_id, link_ids), stamp)


def rating_figures(scope: CourseScope, placement: Placement | None = None) -> RatingFigures:
    """The figures of the course or one placement: from the cache while no rating changed, else worked out and kept."""
    stamp = ratings_stamp(scope.course_id)
    # the course's creation time too: a course made after another was removed may be given its id again
    made = scope.course.created_at.isoformat() if scope.course.created_at else ""
    key = f"rating-figures:{FIGURES_VERSION}:{scope.course_id}:{made}:{placement.id if placement else 'all'}:{stamp}"
    try:
        found = cache.get(key)
    except Exception:  # the cache is down: the figures can still be worked out
        log.warning("rating figures: cache unavailable, working them out", exc_info=True)
        found = None
    if isinstance(found, RatingFigures):
        return found
    figures = compute(scope.course_id, [placement.id] if placement else None, stamp)
    try:
        cache.set(key, figures, timeout=CACHE_SECONDS)
    except Exception:
        log.warning("rating figures: could not keep them in the cache", exc_info=True)
    return figures
