"""The curriculum shipped in content/: rules a schema cannot express."""

from __future__ import annotations

from pathlib import Path

import pytest

from lti_plugin.content import ContentInvalid, ContentLibrary, load_library
from lti_plugin.content.model import COACH_DOMAIN, RATER_SUBJECT, REQUIRED_DOMAIN

CONTENT = Path(__file__).resolve().parents[2] / "content"
# The survey follows the Theory of Planned Behavior: one subscale per construct, recognised
# by words in its id or name.
TPB_SUBSCALES = {
    "attitude": ("attitude", "importan"),
    "norms": ("norm", "expect"),
    "control": ("control", "confiden", "efficacy", "ability"),
    "intention": ("intent",),
}


@pytest.fixture(scope="module")
def library() -> ContentLibrary:
    try:
        return load_library(CONTENT)
    except ContentInvalid as exc:
        message = str(exc)
    pytest.fail(message, pytrace=False)


def is_booster(module_id: str) -> bool:
    """Booster modules (short refreshers in later years) have 'booster' in their id."""
    return "booster" in module_id.split("-")


def test_content_validates(library: ContentLibrary) -> None:
    assert library.modules and library.quizzes and library.checklists and library.surveys


def test_checklists_cover_every_skill_of_their_domains(library: ContentLibrary) -> None:
    for checklist in library.checklists.values():
        required = {REQUIRED_DOMAIN} | ({COACH_DOMAIN} if checklist.subject == "coach" else set())
        assert required <= set(checklist.domains), checklist.id
        expected = set().union(*(library.skills.domain(d).skill_ids for d in checklist.domains))
        rated = [item.skill for item in checklist.items]
        assert sorted(rated) == sorted(expected), checklist.id


def test_every_relational_skill_is_in_every_checklist(library: ContentLibrary) -> None:
    relational = library.skills.domain(REQUIRED_DOMAIN).skill_ids
    assert relational
    for checklist in library.checklists.values():
        assert relational <= {item.skill for item in checklist.items}, checklist.id


def test_all_six_rater_directions_exist(library: ContentLibrary) -> None:
    directions = {(c.rater, c.subject) for c in library.checklists.values()}
    assert set(RATER_SUBJECT.items()) <= directions
    assert len(RATER_SUBJECT) == 6


def test_every_option_has_feedback(library: ContentLibrary) -> None:
    for quiz in library.quizzes.values():
        for question in quiz.questions:
            for option in question.options:
                where = f"{quiz.id}/{question.id}/{option.id}"
                assert option.feedback.strip() and option.feedback_html.strip(), where
            if question.kind == "single":
                assert len(question.correct_ids) == 1, f"{quiz.id}/{question.id}"
            else:
                assert question.correct_ids, f"{quiz.id}/{question.id}"


def test_every_video_has_captions_and_transcript(library: ContentLibrary) -> None:
    for video in library.videos.values():
        assert video.captions, video.id
        for caption in video.captions:
            caption_file = library.root / caption.file
            assert caption_file.read_text(encoding="utf-8-sig").startswith("WEBVTT"), video.id
        assert (library.root / video.transcript).is_file(), video.id
        assert video.transcript_html.strip(), video.id


def test_module_length(library: ContentLibrary) -> None:
    for module in library.modules.values():
        if is_booster(module.id):
            assert 1 <= module.minutes <= 40, module.id
        else:
            assert 20 <= module.minutes <= 40, module.id


def test_modules_use_their_videos_and_quizzes(library: ContentLibrary) -> None:
    for module in library.modules.values():
        for page in module.pages:
            if page.kind in ("video", "expectation"):
                library.video(page.video or "")
            if page.kind == "quiz":
                library.quiz(page.quiz or "")
            if page.kind == "text":
                assert page.body_html.strip(), f"{module.id}/{page.id}"


def test_survey_has_the_four_subscales(library: ContentLibrary) -> None:
    assert library.surveys
    for survey in library.surveys.values():
        assert len(survey.subscales) == 4, survey.id
        found = {
            construct
            for construct, words in TPB_SUBSCALES.items()
            for sub in survey.subscales
            if any(w in f"{sub.id} {sub.name}".lower() for w in words)
        }
        assert found == set(TPB_SUBSCALES), (survey.id, [s.id for s in survey.subscales])
        for subscale in survey.subscales:
            assert any(item.subscale == subscale.id for item in survey.items), subscale.id
        assert sum(item.reverse for item in survey.items) >= 2, survey.id


def test_catalogue_lists_existing_items(library: ContentLibrary) -> None:
    entries = library.catalogue_entries()
    assert entries
    kinds = {entry.kind for entry in entries}
    assert {"module", "checklist", "survey", "report"} <= kinds
    assert {e.resource_id for e in entries if e.kind == "report"} == {"report:feedback", "report:coaching"}
