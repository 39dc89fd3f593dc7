"""Typed, immutable content objects loaded from `content/` (see content/README.md).

The `ContentLibrary` that holds them all is in `library.py`.

Markdown fields are pre-rendered at load time into `*_html` attributes holding sanitized
HTML (`markupsafe.Markup`, so templates print them as they are), so requests never render
Markdown. Every other text is plain and is escaped by Jinja as usual.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

PageKind = Literal["text", "video", "expectation", "quiz"]
QuestionKind = Literal["single", "multiple"]
Audience = Literal["student", "coach", "sp"]
Rater = Literal["coach", "sp", "self", "peer", "student", "coach-self"]
Subject = Literal["student", "coach"]
CatalogueKind = Literal["module", "quiz", "checklist", "survey", "report"]
VideoProvider = Literal["file", "youtube", "vimeo", "kaltura", "panopto"]

REQUIRED_DOMAIN = "relational"
COACH_DOMAIN = "coaching"
# Who rates whom: each rater direction has exactly one kind of subject.
RATER_SUBJECT: Mapping[str, str] = {
    "coach": "student",
    "sp": "student",
    "self": "student",
    "peer": "student",
    "student": "coach",
    "coach-self": "coach",
}
# The role of the person who fills in a checklist of each rater direction.
RATER_ROLE: Mapping[str, str] = {
    "coach": "coach",
    "sp": "sp",
    "self": "student",
    "peer": "student",
    "student": "student",
    "coach-self": "coach",
}


class ContentNotFound(KeyError):
    """Raised by `ContentLibrary` lookups for an id that does not exist."""


@dataclass(frozen=True)
class ScaleLevel:
    """One point of the shared 5-point rating scale."""

    value: int
    label: str


@dataclass(frozen=True)
class Skill:
    """A relational or coaching skill with an observable anchor for every scale value."""

    id: str
    name: str
    definition: str
    anchors: Mapping[int, str]
    domain_id: str = ""


@dataclass(frozen=True)
class Domain:
    """A group of skills (relational, coaching)."""

    id: str
    name: str
    skills: tuple[Skill, ...]

    @property
    def skill_ids(self) -> frozenset[str]:
        """Ids of this domain's skills."""
        return frozenset(skill.id for skill in self.skills)


@dataclass(frozen=True)
class SkillsFramework:
    """The single source of the rating language: the scale and the skills by domain."""

    version: int
    scale: tuple[ScaleLevel, ...]
    domains: tuple[Domain, ...]

    def domain(self, domain_id: str) -> Domain:
        """The domain with this id."""
        for domain in self.domains:
            if domain.id == domain_id:
                return domain
        raise ContentNotFound(domain_id)

    def skill(self, skill_id: str) -> Skill:
        """The skill with this id, from any domain."""
        for domain in self.domains:
            for skill in domain.skills:
                if skill.id == skill_id:
                    return skill
        raise ContentNotFound(skill_id)

    @property
    def skills(self) -> tuple[Skill, ...]:
        """All skills, domain by domain, in file order."""
        return tuple(skill for domain in self.domains for skill in domain.skills)


@dataclass(frozen=True)
class Caption:
    """A WebVTT caption track of a video."""

    lang: str
    label: str
    file: str  # relative to the content folder


@dataclass(frozen=True)
class Video:
    """A video: a file under content/, a link to a video platform, or an empty slot."""

    id: str
    title: str
    description: str
    minutes: float
    file: str | None
    url: str | None
    captions: tuple[Caption, ...]
    transcript: str  # relative to the content folder
    provider: VideoProvider | None = None
    transcript_html: str = ""

    @property
    def is_empty_slot(self) -> bool:
        """True when the institution has not supplied this video yet."""
        return self.file is None and self.url is None


@dataclass(frozen=True)
class Page:
    """One step of a module; which optional fields are set depends on `kind`."""

    id: str
    kind: PageKind
    title: str
    body: str | None = None  # Markdown file, relative to content/modules/
    video: str | None = None
    acknowledgement: str | None = None
    quiz: str | None = None
    body_html: str = ""


@dataclass(frozen=True)
class Module:
    """A self-paced module: ordered pages of text, video, expectation and quiz."""

    id: str
    version: int
    title: str
    summary: str
    audience: tuple[Audience, ...]
    minutes: int
    skills: tuple[str, ...]
    pages: tuple[Page, ...]
    video_share: float = 0.0

    def page(self, page_id: str) -> Page:
        """The page with this id."""
        for page in self.pages:
            if page.id == page_id:
                return page
        raise ContentNotFound(page_id)

    def page_index(self, page_id: str) -> int:
        """0-based position of a page in the module."""
        return self.pages.index(self.page(page_id))

    @property
    def quiz_ids(self) -> tuple[str, ...]:
        """Ids of the quizzes on this module's quiz pages, in order."""
        return tuple(page.quiz for page in self.pages if page.quiz)


@dataclass(frozen=True)
class Option:
    """One answer option of a question, with its own feedback."""

    id: str
    text: str
    correct: bool
    feedback: str
    text_html: str = ""
    feedback_html: str = ""


@dataclass(frozen=True)
class Question:
    """A single- or multiple-choice question; scores 1 when the chosen set is exactly right."""

    id: str
    kind: QuestionKind
    prompt: str
    options: tuple[Option, ...]
    prompt_html: str = ""

    @property
    def correct_ids(self) -> frozenset[str]:
        """Ids of the correct options."""
        return frozenset(option.id for option in self.options if option.correct)

    def score(self, chosen: frozenset[str] | set[str]) -> int:
        """1 if `chosen` equals the correct set, else 0."""
        return int(frozenset(chosen) == self.correct_ids)


@dataclass(frozen=True)
class Quiz:
    """A quiz with attempts, a pass mark and which attempt counts."""

    id: str
    version: int
    title: str
    summary: str
    minutes: int
    attempts: int  # 0 = unlimited
    pass_mark: float
    counts: Literal["best", "last"]
    questions: tuple[Question, ...]

    def question(self, question_id: str) -> Question:
        """The question with this id."""
        for question in self.questions:
            if question.id == question_id:
                return question
        raise ContentNotFound(question_id)


@dataclass(frozen=True)
class ChecklistItem:
    """One rated item of a checklist: a skill, in the rater's wording."""

    id: str
    skill: str
    prompt: str


@dataclass(frozen=True)
class GlobalRating:
    """The overall rating at the end of a checklist."""

    id: str
    prompt: str


@dataclass(frozen=True)
class CommentPrompt:
    """A free-text question of a checklist."""

    id: str
    prompt: str


@dataclass(frozen=True)
class Checklist:
    """A rating form for one rater direction (e.g. coach rating a student)."""

    id: str
    version: int
    title: str
    summary: str
    rater: Rater
    subject: Subject
    minutes: int
    domains: tuple[str, ...]
    instructions: str
    items: tuple[ChecklistItem, ...]
    global_rating: GlobalRating
    comments: tuple[CommentPrompt, ...]
    instructions_html: str = ""


@dataclass(frozen=True)
class SurveyScale:
    """Agreement scale of a survey, 1..points."""

    points: int
    low: str
    high: str


@dataclass(frozen=True)
class Subscale:
    """A group of survey items scored together."""

    id: str
    name: str
    description: str
    min_answered: float


@dataclass(frozen=True)
class SurveyItem:
    """One survey statement."""

    id: str
    subscale: str
    text: str
    reverse: bool = False


@dataclass(frozen=True)
class Survey:
    """The attitudes survey: items on one agreement scale, scored per subscale."""

    id: str
    version: int
    title: str
    summary: str
    minutes: int
    instructions: str
    scale: SurveyScale
    subscales: tuple[Subscale, ...]
    items: tuple[SurveyItem, ...]
    instructions_html: str = ""

    def subscale_scores(self, answers: Mapping[str, int | None]) -> dict[str, float | None]:
        """Mean reverse-corrected answer per subscale, None below its `min_answered` share."""
        scores: dict[str, float | None] = {}
        for subscale in self.subscales:
            items = [item for item in self.items if item.subscale == subscale.id]
            values = [
                self.scale.points + 1 - answer if item.reverse else answer
                for item in items
                if (answer := answers.get(item.id)) is not None
            ]
            enough = bool(values) and len(values) / len(items) >= subscale.min_answered
            scores[subscale.id] = sum(values) / len(values) if enough else None
        return scores


@dataclass(frozen=True)
class CatalogueSection:
    """A titled group of catalogue references, as written in catalogue.yaml."""

    title: str
    items: tuple[tuple[CatalogueKind, str], ...]


@dataclass(frozen=True)
class ReportView:
    """One of Rapport's own pages an instructor can place in a course: it opens the view of whoever launches it."""

    id: str
    title: str
    summary: str
    audience: tuple[str, ...]
    minutes: float = 0  # nothing to work through: reading takes what it takes


# The report placements the catalogue may name as `report:<id>`; they are built in, not content files.
REPORT_VIEWS: Mapping[str, ReportView] = {
    "feedback": ReportView(
        "feedback", "Your feedback report",
        "Opens each student's own feedback report: every skill rated by themself, peers, coaches and standardized "
        "patients, side by side and over time, with released comments and their reflection. A coach opening it gets "
        "their coaching groups; an instructor, the list of learners with their reports. No grade.",
        ("student",)),
    "coaching": ReportView(
        "coaching", "Your coaching groups",
        "Opens each coach's view of their workshop groups: their students' latest ratings, who has not rated whom "
        "yet, and what students said about their coaching. An instructor opening it gets the list of the course's "
        "coaches, each with a link to their view. No grade.",
        ("coach",)),
}
