"""Checklist placements, drafts and final submissions: what a rater fills in, checked on the server.

A submission is final: a rater who wants to change one submits a correction, a new version of the
same series that supersedes the old one (kept, and still visible to instructors). The id the
rater's browser generated for a rating (`client_id`) is unique per rater in the database, so the
same rating sent twice is one submission.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from ..content.library import ContentLibrary
from ..content.model import RATER_SUBJECT, Checklist
from ..extensions import db
from ..models import ChecklistSetting, Encounter, LaunchSession, RatingAnswer, RatingDraft, RatingEvent, RatingSubmission, utcnow
from ..models.ratings import RELEASE_MODES, SCALE_MAX, SCALE_MIN
from ..sanitize import plain_text
from . import activities
from .errors import PlayerError
from .people import CourseAccess
from .rating_scope import Choice, choices
from .rows import insert_unless_exists

CUSTOM_RATER = "rapport_rater"
CUSTOM_RELEASE = "rapport_release"
CUSTOM_CONFIDENTIAL = "rapport_confidential"
COMMENT_LIMIT = 4000
NOT_APPLICABLE = "na"
MAX_ID = 2**31 - 1
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# Sensible defaults per source: students' ratings of their coach wait for the whole group and hide names.
DEFAULT_RELEASE = {"student": "all_raters"}
DEFAULT_CONFIDENTIAL = {"student": True}


@dataclass(frozen=True)
class Placement:
    """A checklist placement: its link, its checklist and how it works."""

    link: Any
    checklist: Checklist
    setting: ChecklistSetting

    @property
    def source(self) -> str:
        """Who rates whom through it (coach, sp, self, peer, student, coach-self)."""
        return self.setting.source


@dataclass
class RatingInput:
    """What a rater sent, checked against the checklist."""

    items: dict[str, int | None] = field(default_factory=dict)  # None: not applicable
    global_rating: int | None = None
    comments: dict[str, str] = field(default_factory=dict)
    observed_on: date | None = None
    problems: list[str] = field(default_factory=list)


def sources_for(checklist: Checklist) -> list[str]:
    """The sources a checklist can be placed for: those whose subject is the checklist's subject."""
    return [s for s, subject in RATER_SUBJECT.items() if subject == checklist.subject]


def custom_settings(checklist: Checklist, custom: Mapping[str, str]) -> tuple[str, str, bool]:
    """(source, release, confidential) from a link's custom parameters, defaults for what is missing or wrong."""
    source = custom.get(CUSTOM_RATER, "")
    if source not in sources_for(checklist):
        source = checklist.rater
    release = custom.get(CUSTOM_RELEASE, "")
    if release not in RELEASE_MODES:
        release = DEFAULT_RELEASE.get(source, "immediate")
    flag = custom.get(CUSTOM_CONFIDENTIAL, "").strip().lower()
    confidential = flag in ("1", "true", "yes") if flag else DEFAULT_CONFIDENTIAL.get(source, False)
    return source, release, confidential


def deep_link_options(library: ContentLibrary) -> dict[str, dict[str, Any]]:
    """For the catalogue: each checklist's possible sources and default settings."""
    options = {}
    for checklist in library.checklists.values():
        source, release, confidential = custom_settings(checklist, {})
        options[checklist.id] = {"sources": sources_for(checklist), "source": source, "release": release,
                                 "confidential": confidential, "graded": checklist.subject == "student"}
    return options


def deep_link_custom(checklist: Checklist, form: Mapping[str, str], ref: str) -> dict[str, str]:
    """The custom parameters a checklist placement carries, from the catalogue form (checked)."""
    source = form.get(f"rater-{ref}") or checklist.rater
    if source not in sources_for(checklist):
        raise PlayerError(f"{checklist.title} cannot be filled in by that kind of rater.", 422)
    release = form.get(f"release-{ref}") or custom_settings(checklist, {CUSTOM_RATER: source})[1]
    if release not in RELEASE_MODES:
        raise PlayerError("Choose when feedback is released.", 422)
    confidential = "true" if form.get(f"confidential-{ref}") == "yes" else "false"
    return {CUSTOM_RATER: source, CUSTOM_RELEASE: release, CUSTOM_CONFIDENTIAL: confidential}


def placement(library: ContentLibrary, launch: LaunchSession) -> Placement:
    """The checklist placement the launch opened; its settings made from the link's custom parameters once."""
    found = activities.activity(library, launch.resource_link)
    if found is None or found.kind != "checklist" or launch.resource_link is None:
        raise PlayerError("This activity is not a checklist.", 404)
    link = launch.resource_link
    setting = db.session.get(ChecklistSetting, link.id)
    if setting is None:  # first use: two raters may open the placement at the same moment
        source, release, confidential = custom_settings(found.item, link.custom or {})
        insert_unless_exists(ChecklistSetting, ["resource_link_id"], resource_link_id=link.id, source=source,
                             release=release, confidential=confidential, updated_at=utcnow())
        setting = db.session.get(ChecklistSetting, link.id)
        assert setting is not None
    return Placement(link, found.item, setting)


def change_settings(who: CourseAccess, where: Placement, *, source: str, release: str, confidential: bool,
                    points: float | None) -> None:
    """An instructor changes how a placement works (recorded in the audit trail)."""
    if not who.is_instructor:
        raise PlayerError("Only the course's instructors can change how this checklist works.", 403)
    if source not in sources_for(where.checklist):
        raise PlayerError("This checklist cannot be filled in by that kind of rater.", 422)
    if release not in RELEASE_MODES:
        raise PlayerError("Choose when feedback is released.", 422)
    if source != where.setting.source and db.session.scalar(
            select(RatingSubmission.id).where(RatingSubmission.resource_link_id == where.link.id).limit(1)):
        raise PlayerError("Ratings were already made through this activity; who fills it in can no longer change.", 409)
    before = {"source": where.setting.source, "release": where.setting.release,
              "confidential": where.setting.confidential, "points": where.link.points}
    where.setting.source, where.setting.release, where.setting.confidential = source, release, confidential
    where.setting.updated_by_id = who.user_id
    where.link.points = points
    audit(who, where, None, "settings_changed",
          {"before": before, "after": {"source": source, "release": release, "confidential": confidential,
                                       "points": points}})
    db.session.flush()


def audit(who: CourseAccess, where: Placement | None, submission: RatingSubmission | None, action: str,
          detail: dict[str, Any] | None = None) -> None:
    """Record who did what, when, from which launch."""
    db.session.add(RatingEvent(
        course_id=who.course_id, resource_link_id=where.link.id if where else None,
        submission_id=submission.id if submission is not None else None, actor_id=who.user_id, action=action,
        launch_ref=who.launch.token_hash, lti_roles=list(who.launch.lti_roles or [])[:20], detail=detail or {}))


# -- reading what a rater sent ---------------------------------------------------------------------
def _whole(value: Any) -> int | None:
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() and len(text) < 4 else None


def row_id(value: Any) -> int | None:
    """A database id from a form or a query: a positive whole number that fits the column."""
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() and len(text) <= 10 and 0 < int(text) <= MAX_ID else None


def read_input(checklist: Checklist, fields: Mapping[str, Any], *, final: bool) -> RatingInput:
    """The answers in a form or JSON body (`item-<id>`, `global`, `comment-<id>`, `observed_on`).

    A draft keeps what is valid and drops the rest; a final submission lists every problem.
    """
    got = RatingInput()
    for item in checklist.items:
        raw = str(fields.get(f"item-{item.id}") or "").strip()
        if raw == NOT_APPLICABLE:
            got.items[item.id] = None
        elif (value := _whole(raw)) is not None and SCALE_MIN <= value <= SCALE_MAX:
            got.items[item.id] = value
        elif raw or final:
            got.problems.append(f"Choose a rating or N/A for “{item.prompt[:80]}”.")
    value = _whole(fields.get("global"))
    if value is not None and SCALE_MIN <= value <= SCALE_MAX:
        got.global_rating = value
    elif final or fields.get("global"):
        got.problems.append(f"Choose the overall rating ({checklist.global_rating.prompt[:80]}).")
    for prompt in checklist.comments:
        text = fields.get(f"comment-{prompt.id}")
        if isinstance(text, str) and text.strip():
            if len(text) > COMMENT_LIMIT + 200:
                got.problems.append(f"A comment can be at most {COMMENT_LIMIT} characters long.")
            got.comments[prompt.id] = plain_text(text, COMMENT_LIMIT)
    raw_date = str(fields.get("observed_on") or "").strip()
    if raw_date:
        try:
            got.observed_on = date.fromisoformat(raw_date)
        except ValueError:
            got.problems.append("The date must be a date such as 2026-05-14.")
        else:
            if not date(2000, 1, 1) <= got.observed_on <= date.today() + timedelta(days=1):
                got.problems.append("The date of the encounter cannot be in the future.")
                got.observed_on = None
    return got


def client_id(raw: Any) -> str:
    """The rating's id from the browser (letters, digits, - and _); refused when malformed."""
    if not isinstance(raw, str) or not CLIENT_ID.match(raw):
        raise PlayerError("The form is missing its rating id; reload the page and try again.", 400)
    return raw


def new_client_id() -> str:
    """A fresh rating id for a form rendered without one (no script in the browser)."""
    return uuid.uuid4().hex


# -- whom, and which rating a correction replaces -----------------------------------------------------
def choose(who: CourseAccess, where: Placement, subject_raw: Any, encounter_raw: Any) -> Choice:
    """The subject (and encounter) the rater asked for, only if the rules let them rate them here."""
    subject, encounter = row_id(subject_raw), row_id(encounter_raw) if encounter_raw not in (None, "") else None
    if subject is None:
        raise PlayerError("Choose whom you are rating.", 400)
    found = choices(who, where.source).find(subject, encounter)
    if found is None:
        raise PlayerError("You cannot rate this person through this activity.", 404)
    return found


def correctable(who: CourseAccess, where: Placement, raw: Any) -> RatingSubmission | None:
    """The rater's own current submission in this placement that a correction replaces."""
    if raw in (None, ""):
        return None
    row = db.session.get(RatingSubmission, row_id(raw) or 0)
    if row is None or row.rater_id != who.user_id or row.resource_link_id != where.link.id:
        raise PlayerError("There is no such rating of yours to correct here.", 404)
    if not row.is_current:
        raise PlayerError("This rating was corrected already; correct its latest version.", 409)
    return row


# -- drafts -----------------------------------------------------------------------------------------
def save_draft(who: CourseAccess, where: Placement, fields: Mapping[str, Any]) -> RatingDraft | RatingSubmission:
    """Keep a rating in progress (the caller commits); the submission instead when it was already sent."""
    key = client_id(fields.get("client_id"))
    done = find_submission(who.user_id, key)
    if done is not None:
        return done
    corrects = correctable(who, where, fields.get("corrects"))
    target = choose(who, where, fields.get("subject"), fields.get("encounter")) if corrects is None else None
    answers = read_input(where.checklist, fields, final=False)
    data = {"items": {k: (NOT_APPLICABLE if v is None else v) for k, v in answers.items.items()},
            "global": answers.global_rating, "comments": answers.comments,
            "observed_on": answers.observed_on.isoformat() if answers.observed_on else None}
    draft = db.session.scalar(select(RatingDraft).where(RatingDraft.rater_id == who.user_id,
                                                        RatingDraft.client_id == key))
    if draft is None:
        draft = RatingDraft(rater_id=who.user_id, client_id=key, resource_link_id=where.link.id)
        db.session.add(draft)
    elif draft.resource_link_id != where.link.id:
        raise PlayerError("This rating id belongs to another activity.", 409)
    draft.subject_id = corrects.subject_id if corrects else target.user.id  # type: ignore[union-attr]
    draft.encounter_id = corrects.encounter_id if corrects else (target.encounter.id if target and target.encounter else None)
    draft.corrects_id = corrects.id if corrects else None
    draft.data = data
    draft.updated_at = utcnow()
    db.session.flush()
    return draft


def latest_draft(who: CourseAccess, where: Placement, subject_id: int, encounter_id: int | None,
                 corrects_id: int | None) -> RatingDraft | None:
    """The rater's most recent draft for this subject, encounter and correction."""
    return db.session.scalar(
        select(RatingDraft).where(RatingDraft.rater_id == who.user_id, RatingDraft.resource_link_id == where.link.id,
                                  RatingDraft.subject_id == subject_id, RatingDraft.encounter_id.is_(None)
                                  if encounter_id is None else RatingDraft.encounter_id == encounter_id,
                                  RatingDraft.corrects_id.is_(None) if corrects_id is None
                                  else RatingDraft.corrects_id == corrects_id)
        .order_by(RatingDraft.updated_at.desc(), RatingDraft.id.desc()).limit(1))


def rated_keys(who: CourseAccess, where: Placement) -> set[tuple[int, int | None]]:
    """(subject, encounter) pairs the rater has a current rating of in this placement."""
    return {(s, e) for s, e in db.session.execute(select(RatingSubmission.subject_id, RatingSubmission.encounter_id)
                                                  .where(RatingSubmission.rater_id == who.user_id,
                                                         RatingSubmission.resource_link_id == where.link.id,
                                                         RatingSubmission.superseded_at.is_(None)))}


def drafts_of(who: CourseAccess, where: Placement) -> list[RatingDraft]:
    """The rater's drafts in this placement, newest first."""
    return list(db.session.scalars(select(RatingDraft).where(
        RatingDraft.rater_id == who.user_id, RatingDraft.resource_link_id == where.link.id)
        .order_by(RatingDraft.updated_at.desc())))


# -- submitting -------------------------------------------------------------------------------------
def find_submission(rater_id: int, key: str) -> RatingSubmission | None:
    """The submission a rater already made with this rating id."""
    return db.session.scalar(select(RatingSubmission).where(RatingSubmission.rater_id == rater_id,
                                                            RatingSubmission.client_id == key))


def submit(who: CourseAccess, where: Placement, fields: Mapping[str, Any]) -> tuple[RatingSubmission, bool]:
    """Make the rating final (the caller commits); (submission, False) when this rating id was sent before.

    An IntegrityError from the flush means the same rating id arrived twice at once: the caller
    rolls back and finds the submission the other request made.
    """
    key = client_id(fields.get("client_id"))
    done = find_submission(who.user_id, key)
    if done is not None:
        return done, False
    corrects = correctable(who, where, fields.get("corrects"))
    if corrects is not None:
        target_subject, target_encounter = corrects.subject_id, corrects.encounter_id
        if choices(who, where.source).find(target_subject, target_encounter) is None:
            raise PlayerError("You can no longer rate this person through this activity.", 403)
    else:
        target = choose(who, where, fields.get("subject"), fields.get("encounter"))
        target_subject, target_encounter = target.user.id, target.encounter.id if target.encounter else None
    answers = read_input(where.checklist, fields, final=True)
    if answers.problems:
        raise PlayerError(" ".join(dict.fromkeys(answers.problems)), 422)
    assert answers.global_rating is not None
    now = utcnow()
    observed = answers.observed_on or (corrects.observed_on if corrects else None)
    if observed is None:
        encounter_row = db.session.get(Encounter, target_encounter) if target_encounter else None
        observed = encounter_row.occurs_on if encounter_row and encounter_row.occurs_on else now.date()
    row = RatingSubmission(
        client_id=key, series=corrects.series if corrects else uuid.uuid4().hex,
        version=corrects.version + 1 if corrects else 1, course_id=who.course_id, resource_link_id=where.link.id,
        checklist_id=where.checklist.id, checklist_version=where.checklist.version, source=where.source,
        rater_id=who.user_id, subject_id=target_subject, encounter_id=target_encounter, observed_on=observed,
        global_rating=answers.global_rating, comments=answers.comments, submitted_at=now,
        launch_ref=who.launch.token_hash,
    )
    row.answers = [RatingAnswer(item_id=item.id, skill_id=item.skill, value=answers.items.get(item.id))
                   for item in where.checklist.items]
    if corrects is not None:
        corrects.superseded_at = now
    db.session.add(row)
    db.session.flush()
    for draft in db.session.scalars(select(RatingDraft).where(RatingDraft.rater_id == who.user_id,
                                                              RatingDraft.client_id == key)):
        db.session.delete(draft)
    audit(who, where, row, "corrected" if corrects else "submitted",
          {"version": row.version, "replaces": corrects.id if corrects else None})
    db.session.flush()
    return row, True

