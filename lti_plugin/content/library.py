"""`ContentLibrary`: every loaded content object, with lookups and the deep-linking catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from lti_plugin.content.model import (
    CatalogueKind,
    CatalogueSection,
    Checklist,
    REPORT_VIEWS,
    ContentNotFound,
    Module,
    Quiz,
    ReportView,
    Skill,
    SkillsFramework,
    Survey,
    Video,
)

T = TypeVar("T")


# Who an activity is for, in words: modules by their audience, checklists by who fills them in.
AUDIENCE_WORDS = {"student": "students", "coach": "coaches", "sp": "standardized patients"}
RATER_WORDS = {
    "coach": "coaches, about a student",
    "sp": "standardized patients, about a student",
    "self": "each student, about themself",
    "peer": "students, about a classmate",
    "student": "students, about their coach",
    "coach-self": "coaches, about themselves",
}


@dataclass(frozen=True)
class CatalogueEntry:
    """One item instructors can pick in deep linking."""

    kind: CatalogueKind
    id: str
    title: str
    summary: str
    minutes: float
    audience: tuple[str, ...]
    section: str

    @property
    def resource_id(self) -> str:
        """`kind:id`, as written in catalogue.yaml."""
        return f"{self.kind}:{self.id}"

    @property
    def audience_text(self) -> str:
        """Who it is for, in words ("for students", "filled in by coaches, about a student")."""
        if self.kind == "checklist":
            return "filled in by " + ", ".join(RATER_WORDS.get(a, a) for a in self.audience)
        return "for " + " and ".join(AUDIENCE_WORDS.get(a, a) for a in self.audience)


@dataclass(frozen=True)
class ContentLibrary:
    """Everything under one content folder, validated and cross-checked."""

    root: Path
    skills: SkillsFramework
    videos: Mapping[str, Video]
    modules: Mapping[str, Module]
    quizzes: Mapping[str, Quiz]
    checklists: Mapping[str, Checklist]
    surveys: Mapping[str, Survey]
    catalogue: tuple[CatalogueSection, ...] = field(default=())
    reports: Mapping[str, ReportView] = field(default_factory=lambda: REPORT_VIEWS)

    def module(self, module_id: str) -> Module:
        """The module with this id."""
        return _get(self.modules, module_id)

    def quiz(self, quiz_id: str) -> Quiz:
        """The quiz with this id."""
        return _get(self.quizzes, quiz_id)

    def checklist(self, checklist_id: str) -> Checklist:
        """The checklist with this id."""
        return _get(self.checklists, checklist_id)

    def survey(self, survey_id: str) -> Survey:
        """The survey with this id."""
        return _get(self.surveys, survey_id)

    def report(self, report_id: str) -> ReportView:
        """The report placement with this id (feedback, coaching)."""
        return _get(self.reports, report_id)

    def video(self, video_id: str) -> Video:
        """The video with this id."""
        return _get(self.videos, video_id)

    def skill(self, skill_id: str) -> Skill:
        """The skill with this id."""
        return self.skills.skill(skill_id)

    def checklists_for(self, rater: str) -> tuple[Checklist, ...]:
        """Checklists of one rater direction (coach, sp, self, peer, student, coach-self)."""
        return tuple(c for c in self.checklists.values() if c.rater == rater)

    def entry(self, kind: CatalogueKind, item_id: str, section: str = "") -> CatalogueEntry:
        """Catalogue-style summary of any module, quiz, checklist, survey or report placement."""
        item: Module | Quiz | Checklist | Survey | ReportView
        audience: tuple[str, ...]
        if kind == "module":
            item = self.module(item_id)
            audience = tuple(item.audience)
        elif kind == "checklist":
            item = self.checklist(item_id)
            audience = (item.rater,)  # a checklist is for whoever fills it in
        elif kind == "report":
            item = self.report(item_id)
            audience = item.audience
        elif kind in ("quiz", "survey"):
            item = self.quiz(item_id) if kind == "quiz" else self.survey(item_id)
            audience = ("student",)
        else:
            raise ContentNotFound(f"{kind}:{item_id}")
        return CatalogueEntry(
            kind, item.id, item.title, item.summary, item.minutes, audience, section
        )

    def catalogue_entries(self) -> tuple[CatalogueEntry, ...]:
        """The catalogue in order, each entry labelled with its section title."""
        return tuple(
            self.entry(kind, item_id, section.title)
            for section in self.catalogue
            for kind, item_id in section.items
        )

    def catalogue_sections(self) -> tuple[tuple[str, tuple[CatalogueEntry, ...]], ...]:
        """The catalogue's sections in the order catalogue.yaml gives, each with its entries."""
        return tuple(
            (section.title, tuple(self.entry(kind, item_id, section.title) for kind, item_id in section.items))
            for section in self.catalogue
        )

    def counts(self) -> dict[str, int]:
        """How many of each kind were loaded (for the validate summary)."""
        return {
            "skills": len(self.skills.skills),
            "videos": len(self.videos),
            "modules": len(self.modules),
            "pages": sum(len(m.pages) for m in self.modules.values()),
            "quizzes": len(self.quizzes),
            "questions": sum(len(q.questions) for q in self.quizzes.values()),
            "checklists": len(self.checklists),
            "surveys": len(self.surveys),
            "catalogue entries": sum(len(s.items) for s in self.catalogue),
        }


def _get(items: Mapping[str, T], item_id: str) -> T:
    """Look up an id, raising ContentNotFound."""
    try:
        return items[item_id]
    except KeyError:
        raise ContentNotFound(item_id) from None
