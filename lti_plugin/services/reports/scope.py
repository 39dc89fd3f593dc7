"""A course as the reports see it: the course and the placements of Rapport in it, with their content."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ...content.library import ContentLibrary
from ...extensions import db
from ...models import Course, ResourceLink
from ..activities import activity


@dataclass(frozen=True)
class Placement:
    """One placement of Rapport in the course and the content it shows."""

    id: int
    lti_id: str
    title: str
    kind: str
    item: Any

    @property
    def display_title(self) -> str:
        """The LMS's title for the placement, else the content's."""
        return self.title or self.item.title

    @property
    def content_id(self) -> str:
        """The id of the module, quiz, checklist or survey it shows."""
        return str(self.item.id)


@dataclass(frozen=True)
class CourseScope:
    """The course a report is about, and its placements in a stable order."""

    course: Course
    placements: tuple[Placement, ...]
    library: ContentLibrary

    @property
    def course_id(self) -> int:
        """The course's id."""
        return self.course.id

    def of_kind(self, *kinds: str) -> tuple[Placement, ...]:
        """Placements showing content of these kinds."""
        return tuple(p for p in self.placements if p.kind in kinds)

    def placement(self, link_id: int) -> Placement | None:
        """The placement with this resource link id, if it is in the course."""
        return next((p for p in self.placements if p.id == link_id), None)

    @property
    def link_ids(self) -> list[int]:
        """Ids of every placement's resource link."""
        return [p.id for p in self.placements]


KIND_ORDER = {"module": 0, "quiz": 1, "survey": 2, "checklist": 3}


def course_scope(library: ContentLibrary, course: Course) -> CourseScope:
    """The course with every placement that shows content Rapport still has."""
    links = db.session.scalars(select(ResourceLink).where(ResourceLink.course_id == course.id).order_by(ResourceLink.id))
    placements = []
    for link in links:
        found = activity(library, link)
        if found is not None:
            placements.append(Placement(link.id, link.resource_link_id, link.title, found.kind, found.item))
    placements.sort(key=lambda p: (KIND_ORDER.get(p.kind, 9), p.display_title.lower(), p.id))
    return CourseScope(course, tuple(placements), library)
