"""The instructor's dashboard as a list of sections, each built by its own service module.

A section is a title, a template partial under templates/dashboard/sections/, and a function
that reads its figures for one course. The dashboard view renders every registered section in
order; a later section (rating counts, inter-rater agreement) registers itself with `register`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .deliveries import state_counts
from .progress import module_summaries
from .quiz_scores import quiz_summaries
from .rating_figures import rating_figures
from .roster import learner_count
from .scope import CourseScope
from .survey_rates import survey_rates


@dataclass(frozen=True)
class Overview:
    """What every section may use: the course and how many learners it has."""

    scope: CourseScope
    learners: int


@dataclass(frozen=True)
class Section:
    """One part of the dashboard."""

    id: str
    title: str
    template: str
    build: Callable[[Overview], Any]
    instructors_only: bool = False  # left out for staff who do not run the course (TAs, mentors)


SECTIONS: list[Section] = []


def register(section: Section) -> Section:
    """Add a section at the end of the dashboard (an id may be registered once)."""
    if any(existing.id == section.id for existing in SECTIONS):
        raise ValueError(f"dashboard section {section.id!r} is registered twice")
    SECTIONS.append(section)
    return section


def overview(scope: CourseScope) -> Overview:
    """The shared figures of a course's dashboard."""
    return Overview(scope, learner_count(scope.course_id))


def build_all(scope: CourseScope, *, instructor: bool = True) -> tuple[Overview, list[tuple[Section, Any]]]:
    """The shared figures, and every section (that the reader may see) with its figures for this course."""
    shared = overview(scope)
    return shared, [(section, section.build(shared)) for section in SECTIONS if instructor or not section.instructors_only]


register(Section("progress", "Progress through modules", "dashboard/sections/progress.html",
                 lambda o: module_summaries(o.scope, o.learners)))
register(Section("quizzes", "Quiz scores", "dashboard/sections/quizzes.html", lambda o: quiz_summaries(o.scope)))
register(Section("grades", "Grades sent to the gradebook", "dashboard/sections/grades.html",
                 lambda o: state_counts(o.scope)))
register(Section("surveys", "Survey responses", "dashboard/sections/surveys.html",
                 lambda o: survey_rates(o.scope, o.learners)))
register(Section("ratings", "Ratings", "dashboard/sections/ratings.html", lambda o: rating_figures(o.scope),
                 instructors_only=True))
