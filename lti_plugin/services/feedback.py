"""Ratings as each audience may read them: the subject, the rater, the course's instructors.

A subject sees only released ratings (the latest released version of each), without the rater's
name when the placement keeps raters confidential; a rater sees what they wrote; an instructor
sees everything in the course, raters always named, with every version. Nobody reads another
course's ratings, whatever the id in the address.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from ..content.library import ContentLibrary
from ..extensions import db
from ..models import ChecklistSetting, RatingSubmission
from .errors import PlayerError
from .people import CourseAccess
from .rating_release import released_latest
from .rating_scope import SOURCE_WORDS


@dataclass(frozen=True)
class ItemRating:
    """One skill's rating, with the words of the level chosen."""

    skill_name: str
    prompt: str
    value: int | None
    label: str
    anchor: str


@dataclass(frozen=True)
class RatingView:
    """One rating as one audience sees it; `rater_name` is None when it is hidden from that audience."""

    id: int
    title: str
    source: str
    source_label: str
    rater_name: str | None
    subject_name: str
    observed_on: date
    encounter: str | None
    items: tuple[ItemRating, ...]
    global_prompt: str
    global_value: int
    global_label: str
    comments: tuple[tuple[str, str], ...]
    version: int
    audience: str  # subject, rater, instructor
    submitted_at: datetime | None = None  # rater and instructor only
    released: bool = False
    current: bool = True
    link_id: int | None = None


def _scale(library: ContentLibrary) -> dict[int, str]:
    return {level.value: level.label for level in library.skills.scale}


def view(library: ContentLibrary, row: RatingSubmission, audience: str, confidential: bool) -> RatingView:
    """Build what an audience may read of a rating."""
    scale = _scale(library)
    try:
        checklist = library.checklist(row.checklist_id)
        prompts = {i.id: i.prompt for i in checklist.items}
        title, global_prompt = checklist.title, checklist.global_rating.prompt
        comment_prompts = {c.id: c.prompt for c in checklist.comments}
    except KeyError:  # the checklist left the content folder since: show what was stored
        prompts, title, global_prompt, comment_prompts = {}, row.checklist_id, "Overall", {}
    items = []
    for answer in row.answers:
        try:
            skill = library.skill(answer.skill_id)
            name, anchor = skill.name, skill.anchors.get(answer.value, "") if answer.value else ""
        except KeyError:
            name, anchor = answer.skill_id, ""
        label = scale.get(answer.value, "") if answer.value else "Not applicable"
        items.append(ItemRating(name, prompts.get(answer.item_id, ""), answer.value, label, anchor))
    hidden = audience == "subject" and confidential and row.rater_id != row.subject_id
    return RatingView(
        id=row.id, title=title, source=row.source, source_label=SOURCE_WORDS.get(row.source, row.source),
        rater_name=None if hidden else row.rater.display_name, subject_name=row.subject.display_name,
        observed_on=row.observed_on, encounter=row.encounter.name if row.encounter else None, items=tuple(items),
        global_prompt=global_prompt, global_value=row.global_rating, global_label=scale.get(row.global_rating, ""),
        comments=tuple((comment_prompts.get(k, k), v) for k, v in row.comments.items() if v),
        version=row.version, audience=audience,
        submitted_at=None if audience == "subject" else row.submitted_at,
        released=row.released_at is not None, current=row.is_current,
        link_id=None if audience == "subject" else row.resource_link_id,
    )


def confidential_links(link_ids: set[int]) -> dict[int, bool]:
    """Whether each placement keeps its raters' names from the people rated."""
    if not link_ids:
        return {}
    rows = db.session.execute(select(ChecklistSetting.resource_link_id, ChecklistSetting.confidential)
                              .where(ChecklistSetting.resource_link_id.in_(link_ids)))
    return {link: bool(flag) for link, flag in rows}


def received(library: ContentLibrary, who: CourseAccess) -> list[RatingView]:
    """The released ratings of the person, in their course, newest first."""
    links = set(db.session.scalars(select(RatingSubmission.resource_link_id).distinct().where(
        RatingSubmission.course_id == who.course_id, RatingSubmission.subject_id == who.user_id,
        RatingSubmission.released_at.is_not(None))))
    hidden = confidential_links(links)
    rows = [r for link in links for r in released_latest(link, who.user_id)]
    rows.sort(key=lambda r: (r.observed_on, r.submitted_at), reverse=True)
    return [view(library, r, "subject", hidden.get(r.resource_link_id, False)) for r in rows]


def given(library: ContentLibrary, who: CourseAccess, link_id: int) -> list[RatingView]:
    """The ratings the person made through a placement (current versions), newest first."""
    rows = db.session.scalars(select(RatingSubmission).where(
        RatingSubmission.resource_link_id == link_id, RatingSubmission.rater_id == who.user_id,
        RatingSubmission.course_id == who.course_id, RatingSubmission.superseded_at.is_(None))
        .order_by(RatingSubmission.submitted_at.desc()))
    return [view(library, r, "rater", False) for r in rows]


def in_placement(library: ContentLibrary, who: CourseAccess, link_id: int) -> list[RatingView]:
    """Every rating of a placement, every version (instructors only), newest first."""
    if not who.is_instructor:
        raise PlayerError("Only the course's instructors can see every rating.", 403)
    rows = db.session.scalars(select(RatingSubmission).where(
        RatingSubmission.resource_link_id == link_id, RatingSubmission.course_id == who.course_id)
        .order_by(RatingSubmission.submitted_at.desc(), RatingSubmission.id.desc()))
    return [view(library, r, "instructor", False) for r in rows]


def one(library: ContentLibrary, who: CourseAccess, submission_id: int) -> tuple[RatingView, list[RatingView]]:
    """A rating the person may read, and its other versions when they may see them; 404 otherwise."""
    row = db.session.get(RatingSubmission, submission_id)
    if row is None or row.course_id != who.course_id:
        raise PlayerError("There is no such rating for you to see.", 404)
    if who.is_instructor or row.rater_id == who.user_id:
        audience = "instructor" if who.is_instructor else "rater"
        others = db.session.scalars(select(RatingSubmission).where(RatingSubmission.series == row.series,
                                                                  RatingSubmission.id != row.id)
                                    .order_by(RatingSubmission.version))
        return view(library, row, audience, False), [view(library, r, audience, False) for r in others]
    if row.subject_id == who.user_id and row in released_latest(row.resource_link_id, who.user_id):
        hidden = confidential_links({row.resource_link_id}).get(row.resource_link_id, False)
        return view(library, row, "subject", hidden), []
    raise PlayerError("There is no such rating for you to see.", 404)
