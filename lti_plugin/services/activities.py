"""What a placement shows: bound by deep linking's custom parameters or by an instructor."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..content.library import ContentLibrary
from ..models import ResourceLink
from .errors import PlayerError

CUSTOM_KIND = "rapport_kind"
CUSTOM_ID = "rapport_id"
CUSTOM_POINTS = "rapport_points"
KINDS = ("module", "quiz", "checklist", "survey", "report")  # a report placement opens the reader's own view
GRADED_KINDS = ("module", "quiz")
MAX_POINTS = 10000.0


@dataclass(frozen=True)
class Activity:
    """The content a placement shows."""

    kind: str
    item: Any
    points: float | None


def parse_points(raw: str | None, default: float | None = None) -> float | None:
    """Points from a form or a custom parameter: a positive number up to 10,000."""
    if raw is None or str(raw).strip() == "":
        return default
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise PlayerError(f"Points must be a number, not {str(raw)[:20]!r}.", 422) from None
    if not 0 < value <= MAX_POINTS:
        raise PlayerError("Points must be more than 0 and at most 10,000.", 422)
    return value


def lookup(library: ContentLibrary, kind: str, item_id: str) -> Any:
    """The content item of a kind and id, or a PlayerError."""
    getters = {"module": library.module, "quiz": library.quiz, "checklist": library.checklist, "survey": library.survey,
               "report": library.report}
    if kind not in getters:
        raise PlayerError(f"Rapport has no activities of the kind {kind[:20]!r}.", 422)
    try:
        return getters[kind](item_id)
    except KeyError:
        raise PlayerError(f"Rapport's catalogue has no {kind} {item_id[:60]!r}.", 422) from None


def bind(library: ContentLibrary, link: ResourceLink, kind: str, item_id: str, points: float | None) -> Activity:
    """Make a placement show a content item (flush by the caller's commit)."""
    item = lookup(library, kind, item_id)
    link.content_kind, link.content_id, link.points = kind, item_id, points
    return Activity(kind, item, points)


def bind_from_custom(library: ContentLibrary, link: ResourceLink | None) -> None:
    """Apply the custom parameters deep linking put on the link, when they name real content."""
    if link is None:
        return
    custom = link.custom or {}
    kind, item_id = custom.get(CUSTOM_KIND), custom.get(CUSTOM_ID)
    if not kind or not item_id:
        return
    try:
        bind(library, link, kind, item_id, parse_points(custom.get(CUSTOM_POINTS)))
    except PlayerError:
        return  # content removed since the link was made: the instructor can choose again


def activity(library: ContentLibrary, link: ResourceLink | None) -> Activity | None:
    """What this placement shows, or None when nobody has chosen yet (or it no longer exists)."""
    if link is None or not link.content_kind or not link.content_id:
        return None
    try:
        return Activity(link.content_kind, lookup(library, link.content_kind, link.content_id), link.points)
    except PlayerError:
        return None
