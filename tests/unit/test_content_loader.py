"""The content loader: every mistake in the broken fixture is found, at the right line."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from lti_plugin.content import ContentInvalid, ContentNotFound, Problem, get_library, load_library
from lti_plugin.content.source import parse_yaml

# (file, line, fragment of the message); line None = the whole file.
EXPECTED: list[tuple[str, int | None, str]] = [
    # YAML itself
    ("modules/syntax.yaml", 5, "YAML syntax error"),
    ("modules/syntax.yaml", 5, "starts on line 3"),
    ("modules/dup-keys.yaml", 5, "'title' is written twice"),
    ("modules/stray.yml", None, "must end in .yaml"),
    # schema: unknown, missing, wrong values, ids
    ("modules/broken-refs.yaml", 4, "titel: is not a known field"),
    ("modules/missing-fields.yaml", 1, "title: is required"),
    ("modules/missing-fields.yaml", 1, "version: is required"),
    ("modules/missing-fields.yaml", 3, "audience[#1]: Must be one of: student, coach, sp"),
    ("modules/Bad_Id.yaml", 1, "id: must be a lowercase id"),
    ("quizzes/answers.yaml", 7, "pass_mark: must be a share between 0 and 1"),
    ("surveys/bad-subscale.yaml", 7, "scale.points: must be a whole number from 2 to 11"),
    # file name and duplicate ids
    ("modules/wrong-name.yaml", 1, "id 'other-name' must equal the file name 'wrong-name'"),
    ("checklists/dup-a.yaml", 1, "checklist id 'dup-b' is already used by checklists/dup-b.yaml"),
    ("modules/broken-refs.yaml", 14, "page id 'intro' is used twice"),
    ("quizzes/answers.yaml", 38, "question id 'two-correct' is used twice"),
    ("quizzes/answers.yaml", 37, "option id 'a' is used twice"),
    ("videos.yaml", 43, "video id 'good-clip' is used twice"),
    ("skills.yaml", 30, "skill id 'ask-openly' is used twice"),
    ("checklists/coverage.yaml", 12, "skill 'ask-openly' is rated twice"),
    # skills framework
    ("skills.yaml", 19, "needs exactly the levels 1 to 5; missing 5"),
    # references between files
    ("modules/broken-refs.yaml", 8, "unknown skill 'no-such-skill'"),
    ("modules/broken-refs.yaml", 17, "unknown video 'no-such-video'"),
    ("modules/broken-refs.yaml", 21, "unknown quiz 'no-such-quiz'"),
    ("checklists/coverage.yaml", 14, "unknown skill 'no-such-skill'"),
    ("catalogue.yaml", 6, "'module:nope' does not exist"),
    ("catalogue.yaml", 7, "must be kind:id"),
    ("catalogue.yaml", 9, "'quiz:answers' is listed twice"),
    ("catalogue.yaml", 11, "'report:nope' is not one of Rapport's reports (report:feedback, report:coaching)"),
    ("surveys/bad-subscale.yaml", 13, "unknown subscale 'nope'"),
    ("surveys/bad-subscale.yaml", 10, "subscale 'empty' has no items"),
    # page kinds
    ("modules/broken-refs.yaml", 26, "quiz: is not used on a text page"),
    ("modules/broken-refs.yaml", 27, "video: is required on a video page"),
    # quizzes
    (
        "quizzes/answers.yaml",
        13,
        "single-choice question needs exactly one correct option (found 2)",
    ),
    ("quizzes/answers.yaml", 19, "multiple-choice question needs at least one correct option"),
    ("quizzes/answers.yaml", 27, "every option needs feedback"),
    ("quizzes/answers.yaml", 41, "needs 2 to 8 options"),
    # videos and their files
    ("videos.yaml", 10, "a video needs at least one caption file"),
    ("videos.yaml", 16, "a video needs a transcript"),
    ("videos.yaml", 26, "video file 'media/nope.mp4' does not exist"),
    ("videos.yaml", 27, "caption file 'media/nope.en.vtt' does not exist"),
    ("videos.yaml", 28, "transcript 'media/nope.transcript.md' does not exist"),
    ("videos.yaml", 34, "is not WebVTT"),
    ("videos.yaml", 40, "must be an https link to YouTube, Vimeo, Kaltura or Panopto"),
    ("videos.yaml", 54, "needs exactly one of 'file' or 'url'"),
    ("modules/broken-refs.yaml", 13, "Markdown file 'broken-refs/missing.md' does not exist"),
    # Markdown: links, unsafe HTML, images
    ("modules/links/body.md", 5, "module 'links' has no page 'nowhere'"),
    ("modules/links/body.md", 5, "module 'broken-refs' has no page 'nowhere'"),  # shared body
    ("modules/links/body.md", 3, "module 'broken-refs' has no page 'next'"),
    ("modules/links/body.md", 7, "there is no module 'nowhere'"),
    ("modules/links/body.md", 9, "unsafe HTML: the <script> tag"),
    ("modules/links/body.md", 11, "event handler attribute 'onerror'"),
    ("modules/links/body.md", 13, "uses 'ftp:'"),
    ("modules/links/body.md", 15, "image 'media/none.png' does not exist"),
    ("quizzes/answers.yaml", 33, "unsafe HTML: the <iframe> tag"),
    ("quizzes/answers.yaml", 34, "links to pages (#page:...) work only in a module's pages"),
    ("media/good.transcript.md", 3, "work only in a module's pages"),
    # checklists
    ("checklists/coverage.yaml", 10, "missing an item for skill 'listen-fully'"),
    (
        "checklists/coverage.yaml",
        13,
        "skill 'specific-feedback' is not in this checklist's domains",
    ),
    ("checklists/coach-no-coaching.yaml", 8, "must include 'coaching' when the subject is a coach"),
    ("checklists/no-relational.yaml", 8, "must include 'relational'"),
    ("checklists/no-relational.yaml", 6, "must be 'student' when the rater is 'sp'"),
    ("checklists/no-relational.yaml", 13, "needs at least one comment question"),
]


@pytest.fixture(scope="module")
def broken_problems() -> tuple[Problem, ...]:
    with pytest.raises(ContentInvalid) as caught:
        load_library(Path(__file__).resolve().parent.parent / "fixtures" / "content_broken")
    return caught.value.problems


@pytest.mark.parametrize(("path", "line", "fragment"), EXPECTED)
def test_broken_content_reports(
    broken_problems: tuple[Problem, ...], path: str, line: int | None, fragment: str
) -> None:
    here = [p for p in broken_problems if p.path == path and p.line == line]
    assert any(fragment in p.message for p in here), "\n".join(map(str, broken_problems))


def test_every_problem_is_expected(broken_problems: tuple[Problem, ...]) -> None:
    """No surprise problems: each one reported is in EXPECTED (keeps messages deliberate)."""
    for problem in broken_problems:
        assert any(
            problem.path == path and problem.line == line and fragment in problem.message
            for path, line, fragment in EXPECTED
        ), str(problem)


def test_problems_are_sorted_and_unique(broken_problems: tuple[Problem, ...]) -> None:
    keys = [(p.path, p.line or 0, p.message) for p in broken_problems]
    assert keys == sorted(set(keys))


def test_problem_prints_as_path_line_message() -> None:
    assert str(Problem("modules/x.yaml", 4, "title: is required")) == (
        "modules/x.yaml:4: title: is required"
    )
    assert str(Problem("modules/x.yml", None, "bad name")) == "modules/x.yml: bad name"


def test_missing_folder_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(ContentInvalid, match="content folder not found"):
        load_library(tmp_path / "nope")


def test_empty_folder_needs_skills_and_catalogue(tmp_path: Path) -> None:
    with pytest.raises(ContentInvalid) as caught:
        load_library(tmp_path)
    assert {p.path for p in caught.value.problems} == {"skills.yaml", "catalogue.yaml"}


def test_minimal_content_loads(minimal_content: Path) -> None:
    library = load_library(minimal_content)
    module = library.module("mini")
    assert [p.kind for p in module.pages] == ["text", "video", "expectation", "quiz"]
    assert module.video_share == 0.8
    assert 'data-page="watch"' in module.page("intro").body_html
    assert 'data-module="mini"' in module.page("intro").body_html
    assert "<strong>full</strong>" in module.page("watch").body_html
    assert module.page("expect").body_html == ""
    quiz = library.quiz(module.page("check").quiz or "")
    assert quiz.questions[0].correct_ids == {"a"}
    assert quiz.questions[1].score({"a", "b"}) == 1
    assert quiz.questions[1].score({"a"}) == 0
    assert "<strong>open</strong>" in quiz.questions[0].prompt_html
    assert quiz.questions[0].options[1].feedback_html.startswith("<p>")
    assert library.video("sample-clip").provider == "file"
    assert library.video("linked-clip").provider == "youtube"
    assert library.video("empty-slot").is_empty_slot
    assert "<strong>Student:</strong>" in library.video("sample-clip").transcript_html
    assert library.skill("listen-fully").anchors[5].startswith("Reflects")
    assert library.skills.domain("coaching").skill_ids == {"specific-feedback"}
    assert library.checklist("student-coach").global_rating.id == "overall"
    assert "<strong>saw</strong>" in library.checklist("coach-student").instructions_html
    assert [c.id for c in library.checklists_for("student")] == ["student-coach"]


def test_catalogue_entries(minimal_content: Path) -> None:
    entries = load_library(minimal_content).catalogue_entries()
    assert [(e.kind, e.id) for e in entries] == [
        ("module", "mini"),
        ("quiz", "mini-check"),
        ("checklist", "coach-student"),
        ("checklist", "student-coach"),
        ("survey", "attitudes"),
        ("report", "feedback"),
    ]
    module, _, coach_rating, _, survey, report = entries
    assert (module.title, module.minutes, module.audience, module.section) == (
        "A minimal module",
        20,
        ("student",),
        "Modules",
    )
    assert module.summary == "Everything a module can hold, once."
    assert coach_rating.audience == ("coach",)
    assert survey.audience == ("student",) and survey.resource_id == "survey:attitudes"
    # a report placement is built in: its words come from Rapport, not from a content file
    assert (report.title, report.audience, report.resource_id) == ("Your feedback report", ("student",), "report:feedback")


def test_unknown_ids_raise_content_not_found(minimal_content: Path) -> None:
    library = load_library(minimal_content)
    with pytest.raises(ContentNotFound):
        library.module("nope")
    with pytest.raises(ContentNotFound):
        library.module("mini").page("nope")
    with pytest.raises(KeyError):  # ContentNotFound is a KeyError
        library.quiz("nope")


def test_survey_scores(minimal_content: Path) -> None:
    survey = load_library(minimal_content).survey("attitudes")
    scores = survey.subscale_scores({"att-important": 7, "att-waste": 1, "norms-expected": None})
    assert scores == {"attitude": 7.0, "norms": None}  # att-waste is reverse-keyed: 8 - 1


def test_library_is_immutable(minimal_content: Path) -> None:
    library = load_library(minimal_content)
    with pytest.raises(AttributeError):
        library.module("mini").title = "changed"  # type: ignore[misc]


def test_get_library_caches_and_reloads(minimal_content: Path, tmp_path: Path) -> None:
    folder = tmp_path / "content"
    shutil.copytree(minimal_content, folder)
    first = get_library(folder)
    assert get_library(folder) is first
    assert get_library(folder, reload=True) is first  # nothing changed
    body = folder / "modules" / "mini" / "watch.md"
    body.write_text("Changed text.\n", encoding="utf-8")
    stat = body.stat()
    os.utime(body, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert get_library(folder) is first  # without reload: the cached library
    reloaded = get_library(folder, reload=True)
    assert reloaded is not first
    assert "Changed text." in reloaded.module("mini").page("watch").body_html


def test_reload_with_broken_change_raises(minimal_content: Path, tmp_path: Path) -> None:
    folder = tmp_path / "content"
    shutil.copytree(minimal_content, folder)
    get_library(folder)
    (folder / "modules" / "mini.yaml").write_text("id: mini\n", encoding="utf-8")
    with pytest.raises(ContentInvalid):
        get_library(folder, reload=True)


def test_yaml_lines_follow_keys_and_items() -> None:
    text = "a: 1\nlist:\n  - id: x\n    name: y\n  - id: z\nblock: |\n  line one\n"
    source, problems = parse_yaml(text, "f.yaml")
    assert problems == [] and source is not None
    assert source.line("list", 1) == 5
    assert source.line("list", 0, "name") == 4
    assert source.line("list", 0, "missing") == 3
    assert source.text_line("block") == 7


def test_lookups_are_read_only(minimal_content: Path) -> None:
    library = load_library(minimal_content)
    with pytest.raises(TypeError):
        library.modules["other"] = library.module("mini")  # type: ignore[index]
    with pytest.raises(TypeError):
        library.skill("ask-openly").anchors[1] = "changed"  # type: ignore[index]
