"""Named CSV exports of a course, identified (for staff) or de-identified (for education research).

De-identified files carry pseudonymous ids instead of names, emails and LMS ids, dates instead
of times, content ids instead of LMS titles, no free text, and leave out every group (a
placement, a quiz, a survey round) with fewer than five people in it.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...models import utcnow
from ..errors import PlayerError
from ..reports.scope import CourseScope
from .cells import lines
from .pseudonyms import Pseudonyms

SMALLEST_GROUP = 5


@dataclass(frozen=True)
class ExportContext:
    """What a kind needs to write its rows."""

    scope: CourseScope
    pseudonyms: Pseudonyms | None  # None: an identified export
    options: dict[str, str] = field(default_factory=dict)

    @property
    def deidentified(self) -> bool:
        """Whether the export is for research."""
        return self.pseudonyms is not None


@dataclass(frozen=True)
class Row:
    """One line of an export and the group it belongs to (for small-group suppression)."""

    group: Hashable
    values: Sequence[Any]


@dataclass(frozen=True)
class ExportKind:
    """One kind of export: its columns, its rows, and the size of each of its groups."""

    name: str
    title: str
    description: str
    group_name: str  # what a suppressed group is, in words: "placement", "survey round"
    columns: Callable[[ExportContext], list[str]]
    rows: Callable[[ExportContext], Iterator[Row]]
    group_sizes: Callable[[ExportContext], dict[Hashable, int]]
    instructors_only: bool = False  # every rating by everyone: not for TAs and mentors


@dataclass
class Export:
    """An export ready to stream: a file name, what was left out, and the CSV text in chunks."""

    kind: ExportKind
    filename: str
    suppressed: list[Hashable]
    chunks: Iterator[str]
    rows_written: int = 0


EXPORTS: dict[str, ExportKind] = {}


def register(kind: ExportKind) -> ExportKind:
    """Make a kind of export available by its name."""
    if kind.name in EXPORTS:
        raise ValueError(f"export {kind.name!r} is registered twice")
    EXPORTS[kind.name] = kind
    return kind


def kind(name: str) -> ExportKind:
    """The export of this name, or a PlayerError naming the ones there are."""
    found = EXPORTS.get(name)
    if found is None:
        raise PlayerError(f"Rapport has no export called {name[:40]!r}; choose one of {', '.join(sorted(EXPORTS))}.", 404)
    return found


def when(context: ExportContext, moment: datetime | None) -> Any:
    """A moment as exported: the time in UTC, or only the date in a de-identified export."""
    if moment is None:
        return None
    return moment.date() if context.deidentified else moment


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "course"


def build_export(name: str, scope: CourseScope, *, deidentified: bool, research_key: str = "",
                 options: dict[str, str] | None = None, now: datetime | None = None) -> Export:
    """Check the request and prepare the export; rows are read from the database while the chunks are consumed."""
    chosen = kind(name)
    context = ExportContext(scope, Pseudonyms(research_key) if deidentified else None, dict(options or {}))
    header = chosen.columns(context)
    small: set[Hashable] = set()
    if deidentified:
        small = {group for group, size in chosen.group_sizes(context).items() if size < SMALLEST_GROUP}
    stamp = (now or utcnow()).strftime("%Y%m%d")
    label = "research" if deidentified else _slug(scope.course.label or scope.course.title or scope.course.context_id)
    export = Export(chosen, f"rapport-{chosen.name}-{label}-{stamp}.csv", sorted(small, key=str), iter(()))

    def kept() -> Iterator[Sequence[Any]]:
        for row in chosen.rows(context):
            if row.group in small:
                continue
            export.rows_written += 1
            yield row.values

    export.chunks = lines(header, kept())
    return export
