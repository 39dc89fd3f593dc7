"""A learner's progress through a module: pages, videos, acknowledgements, completion and score."""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, select

from ..content.library import ContentLibrary
from ..content.model import Module, Page
from ..extensions import db
from ..models import Acknowledgement, LaunchSession, ModuleProgress, QuizAttempt, VideoProgress, utcnow
from .core_rows import connection, insert_row, loaded
from .errors import PlayerError
from .launches import (acknowledgements_known_absent, any_work, known_progress, note_new_work, note_progress,
                       opened_for_new_user, work_when_opened)
from .quizzes import attempts_by_quiz, counted_attempt, quiz_is_settled
from .scores import send_score

MAX_INTERVALS = 400
MAX_VIDEO_SECONDS = 6 * 3600


@dataclass(frozen=True)
class PageStatus:
    """How far a learner is with one page."""

    page: Page
    seen: bool
    done: bool
    detail: str


@dataclass(frozen=True)
class ModuleView:
    """A module as one learner sees it."""

    module: Module
    progress: ModuleProgress
    pages: tuple[PageStatus, ...]
    attempts: Mapping[str, list[QuizAttempt]]

    @property
    def percent(self) -> int:
        """Share of pages done, 0..100."""
        return round(100 * sum(p.done for p in self.pages) / len(self.pages)) if self.pages else 100

    @property
    def complete(self) -> bool:
        """Whether the module is complete."""
        return self.progress.completed_at is not None

    @property
    def resume_page(self) -> Page:
        """Where to continue: the current page, or the first page not done."""
        if self.progress.current_page:
            for status in self.pages:
                if status.page.id == self.progress.current_page:
                    return status.page
        return next((s.page for s in self.pages if not s.done), self.module.pages[0])


# Built once: the first page of every launch runs these, and building a statement costs more
# than running it.
# Core statements, their rows handed on as ORM objects (see core_rows).
_PROGRESS_TABLE = cast(Table, ModuleProgress.__table__)
_PROGRESS = select(_PROGRESS_TABLE).where(
    _PROGRESS_TABLE.c.user_id == bindparam("user_id"), _PROGRESS_TABLE.c.resource_link_id == bindparam("link_id"),
    _PROGRESS_TABLE.c.module_id == bindparam("module_id"))
# One statement: is there a progress row or a quiz attempt for this user in this placement?
_ANY_PROGRESS = select(any_work(bindparam("user_id"), bindparam("link_id")))
_ACK_TABLE = cast(Table, Acknowledgement.__table__)
_ACKNOWLEDGED = select(_ACK_TABLE.c.id).where(
    _ACK_TABLE.c.user_id == bindparam("user_id"), _ACK_TABLE.c.resource_link_id == bindparam("link_id"),
    _ACK_TABLE.c.module_id == bindparam("module_id"), _ACK_TABLE.c.page_id == bindparam("page_id"))


def _require_link(launch: LaunchSession) -> Any:
    if launch.resource_link is None:
        raise PlayerError("This page needs an activity from your course; open it from the course page.", 400)
    return launch.resource_link


def get_progress(launch: LaunchSession, module: Module) -> ModuleProgress:
    """The learner's progress row for this placement of the module, created on first use.

    When the launch that opened this session in this request already knows the row, or that
    there is none (a first launch; see launches.known_progress), the database is not asked.
    """
    link = _require_link(launch)
    known, row = known_progress(launch, module.id)
    if row is not None:
        return row
    if not known:
        found = connection().execute(_PROGRESS, {"user_id": launch.user_id, "link_id": link.id,
                                                 "module_id": module.id}).first()
        if found is not None:
            return loaded(ModuleProgress, found)
    row = insert_row(ModuleProgress(user_id=launch.user_id, resource_link_id=link.id, module_id=module.id,
                                    pages_seen=[]))
    note_progress(launch, module.id, row)
    return row


def has_progress(launch: LaunchSession) -> bool:
    """Whether the learner has done anything in this placement (a module opened, a quiz attempted)."""
    if launch.resource_link_id is None or opened_for_new_user(launch):
        return False
    known = work_when_opened(launch)
    if known is not None:
        return known
    return bool(connection().execute(_ANY_PROGRESS, {"user_id": launch.user_id,
                                                      "link_id": launch.resource_link_id}).scalar())


def _video_share(launch: LaunchSession, video_id: str) -> float:
    row = db.session.scalar(
        select(VideoProgress).where(
            VideoProgress.user_id == launch.user_id,
            VideoProgress.resource_link_id == launch.resource_link_id,
            VideoProgress.video_id == video_id,
        )
    )
    return row.share if row else 0.0


def _acknowledged(launch: LaunchSession, module: Module, page: Page) -> bool:
    if acknowledgements_known_absent(launch):  # the launch in this request found none here (a new learner neither)
        return False
    return connection().execute(_ACKNOWLEDGED, {"user_id": launch.user_id, "link_id": launch.resource_link_id,
                                                "module_id": module.id, "page_id": page.id}).first() is not None


def page_status(library: ContentLibrary, launch: LaunchSession, module: Module, page: Page, seen: bool,
                attempts: Mapping[str, list[QuizAttempt]]) -> PageStatus:
    """Whether a page is seen and done, and a word on what remains."""
    if page.kind == "expectation":
        done = _acknowledged(launch, module, page)
        return PageStatus(page, seen, done, "" if done else "Confirm you have watched the statement.")
    if page.kind == "quiz":
        assert page.quiz is not None
        quiz = library.quiz(page.quiz)
        rows = attempts.get(quiz.id, [])
        done = quiz_is_settled(quiz, rows)
        detail = "" if done else ("Not passed yet." if rows else "Not attempted yet.")
        return PageStatus(page, seen, done, detail)
    if page.kind == "video" and module.video_share > 0 and page.video:
        video = library.video(page.video)
        if not video.is_empty_slot and video.file:
            share = _video_share(launch, video.id)
            done = seen and share + 1e-9 >= module.video_share
            need = round(module.video_share * 100)
            return PageStatus(page, seen, done, "" if done else f"Watch at least {need}% of the video.")
    return PageStatus(page, seen, seen, "")


def module_view(library: ContentLibrary, launch: LaunchSession, module: Module) -> ModuleView:
    """The module with every page's status for this learner."""
    progress = get_progress(launch, module)
    seen = set(progress.pages_seen or [])
    attempts = attempts_by_quiz(launch)
    pages = tuple(page_status(library, launch, module, page, page.id in seen, attempts) for page in module.pages)
    return ModuleView(module, progress, pages, attempts)


def module_score(library: ContentLibrary, module: Module, attempts: Mapping[str, list[QuizAttempt]]) -> float:
    """The module's score as a share: the mean of its quizzes' counted scores (1.0 with no quiz)."""
    scores = []
    for quiz_id in module.quiz_ids:
        attempt = counted_attempt(library.quiz(quiz_id), attempts.get(quiz_id, []))
        scores.append(attempt.score if attempt else 0.0)
    return sum(scores) / len(scores) if scores else 1.0


def refresh_completion(library: ContentLibrary, launch: LaunchSession, module: Module) -> ModuleView:
    """Complete the module when every page is done; send the score when it is new or changed."""
    view = module_view(library, launch, module)
    if not all(status.done for status in view.pages):
        return view
    score = module_score(library, module, view.attempts)
    progress = view.progress
    if progress.completed_at is None or progress.score is None or abs(progress.score - score) > 1e-9:
        if progress.completed_at is None:
            progress.completed_at = utcnow()
        progress.score = score
        send_score(launch, score, completed=True, title=module.title)
        db.session.flush()
    return view


def visit_page(library: ContentLibrary, launch: LaunchSession, module: Module, page_id: str) -> tuple[ModuleView, Page]:
    """Record that the learner opened a page (progress saved on every step)."""
    try:
        page = module.page(page_id)
    except KeyError:
        raise PlayerError("This module has no such page.", 404) from None
    progress = get_progress(launch, module)
    seen = list(progress.pages_seen or [])
    if page.id not in seen:
        seen.append(page.id)
        progress.pages_seen = seen
    progress.current_page = page.id
    db.session.flush()
    return refresh_completion(library, launch, module), page


def acknowledge(library: ContentLibrary, launch: LaunchSession, module: Module, page_id: str) -> ModuleView:
    """Record the learner's confirmation of the expectation statement."""
    page = module.page(page_id)
    if page.kind != "expectation" or not page.acknowledgement:
        raise PlayerError("There is nothing to confirm on this page.", 400)
    if not _acknowledged(launch, module, page):
        note_new_work(launch)
        db.session.add(Acknowledgement(
            user_id=launch.user_id, resource_link_id=launch.resource_link_id, module_id=module.id,
            page_id=page.id, statement=page.acknowledgement[:2000],
        ))
        db.session.flush()
    return refresh_completion(library, launch, module)


def _merge(intervals: list[list[float]]) -> list[list[float]]:
    merged: list[list[float]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1] + 0.5:  # half a second of slack between timeupdate events
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def parse_intervals(raw: Any, duration: float) -> list[list[float]]:
    """Validate played intervals sent by the browser: numbers, in order, inside the video."""
    if not isinstance(raw, list) or len(raw) > MAX_INTERVALS:
        raise PlayerError("Video progress must be a list of [start, end] pairs.", 400)
    intervals = []
    for pair in raw:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pair)):
            raise PlayerError("Video progress must be a list of [start, end] pairs.", 400)
        start, end = float(pair[0]), float(pair[1])
        if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end < start:
            raise PlayerError("A played interval is out of order or negative.", 400)
        intervals.append([min(start, duration), min(end, duration)])
    return intervals


def record_video(launch: LaunchSession, video_id: str, duration: Any, raw_intervals: Any) -> VideoProgress:
    """Merge newly played intervals into what the learner has watched of a video."""
    if not isinstance(duration, (int, float)) or isinstance(duration, bool) or not math.isfinite(duration) or not 0 < duration <= MAX_VIDEO_SECONDS:
        raise PlayerError("The video's duration is missing or not a number of seconds.", 400)
    link = _require_link(launch)
    intervals = parse_intervals(raw_intervals, float(duration))
    row = db.session.scalar(
        select(VideoProgress).where(
            VideoProgress.user_id == launch.user_id, VideoProgress.resource_link_id == link.id, VideoProgress.video_id == video_id
        )
    )
    if row is None:
        row = VideoProgress(user_id=launch.user_id, resource_link_id=link.id, video_id=video_id, played=[])
        db.session.add(row)
    row.duration = float(duration)
    merged = _merge([list(p) for p in (row.played or [])] + intervals)
    row.played = merged
    row.played_seconds = sum(end - start for start, end in merged)
    db.session.flush()
    return row
