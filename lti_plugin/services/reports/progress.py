"""Learners' progress through the course's module placements: pages seen, completion, module score.

One progress row exists per learner and module placement, so the course figures are one
GROUP BY over at most learners x modules rows, and a page of the learners table reads only its
learners' rows.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ...extensions import db
from ...models import ModuleProgress
from .roster import learner_source
from .scope import CourseScope, Placement


@dataclass(frozen=True)
class ModuleCell:
    """One learner in one module placement."""

    pages_seen: int
    pages_total: int
    completed_at: datetime | None
    score: float | None  # a share 0..1, set on completion


@dataclass(frozen=True)
class ModuleSummary:
    """A module placement across the course's learners."""

    placement: Placement
    learners: int
    started: int
    completed: int
    mean_pages_seen: float | None  # among those who started
    mean_score: float | None  # among those who completed

    @property
    def pages_total(self) -> int:
        """The module's number of pages."""
        return len(self.placement.item.pages)

    @property
    def not_started(self) -> int:
        """Learners who have not opened the module."""
        return max(0, self.learners - self.started)


def _pages_seen() -> Any:
    return func.coalesce(func.json_array_length(ModuleProgress.pages_seen), 0)


def module_summaries(scope: CourseScope, learners: int) -> list[ModuleSummary]:
    """Started, completed, mean pages seen and mean score per module placement (one query)."""
    placements = scope.of_kind("module")
    if not placements:
        return []
    rows = db.session.execute(
        select(ModuleProgress.resource_link_id, func.count(ModuleProgress.id), func.count(ModuleProgress.completed_at),
               func.avg(_pages_seen()), func.avg(ModuleProgress.score))
        .where(ModuleProgress.resource_link_id.in_([p.id for p in placements]),
               ModuleProgress.user_id.in_(learner_source(scope.course_id)))
        .group_by(ModuleProgress.resource_link_id))
    by_link = {row[0]: row for row in rows}
    found = []
    for placement in placements:
        _, started, completed, pages, score = by_link.get(placement.id, (placement.id, 0, 0, None, None))
        found.append(ModuleSummary(placement, learners, int(started), int(completed),
                                   float(pages) if pages is not None else None,
                                   float(score) if score is not None else None))
    return found


def module_cells(scope: CourseScope, user_ids: Iterable[int]) -> dict[tuple[int, int], ModuleCell]:
    """Each listed learner's progress in each module placement, by (user id, placement id)."""
    ids = list(user_ids)
    placements = {p.id: p for p in scope.of_kind("module")}
    if not ids or not placements:
        return {}
    rows = db.session.execute(
        select(ModuleProgress.user_id, ModuleProgress.resource_link_id, _pages_seen(),
               ModuleProgress.completed_at, ModuleProgress.score)
        .where(ModuleProgress.resource_link_id.in_(list(placements)), ModuleProgress.user_id.in_(ids)))
    cells = {}
    for user_id, link_id, seen, completed_at, score in rows:
        total = len(placements[link_id].item.pages)
        cells[(user_id, link_id)] = ModuleCell(min(int(seen), total), total, completed_at, score)
    return cells
