"""What people do in the practice LMS and in Rapport, as browser steps other tests can reuse."""
from __future__ import annotations

import time
from typing import Any

import requests

from lti_plugin.content import get_library
from tests.conftest import ROOT

TOOL_FRAME = "iframe.tool"


def library() -> Any:
    """Rapport's shipped content, to know the pages and the right answers."""
    return get_library(str(ROOT / "content"))


def act_as(page: Any, lms_url: str, person_id: str) -> None:
    """Choose who the practice LMS launches Rapport as, with its acting-as bar."""
    if not page.url.startswith(lms_url):
        page.goto(lms_url + "/")
    page.select_option("#acting-as-person", person_id)
    page.get_by_role("button", name="Switch").click()
    page.wait_for_load_state()
    assert page.locator("#acting-as-person").input_value() == person_id


def tool(page: Any) -> Any:
    """Rapport inside the LMS page's activity frame."""
    return page.frame_locator(TOOL_FRAME)


def add_activities(page: Any, lms_url: str, points: dict[str, int]) -> None:
    """As the instructor: "Add activity", pick catalogue items with their points, back to the course."""
    act_as(page, lms_url, "ins-iris")
    page.get_by_role("link", name="Add activity").click()
    frame = tool(page)
    frame.get_by_role("heading", name="Add Rapport activities").wait_for()
    assert frame.locator(".who-bar .who-role").inner_text() == "Teaching staff"
    for resource_id, value in points.items():
        kind, _, item = resource_id.partition(":")
        frame.locator(f"#item-{kind}-{item}").check()
        frame.locator(f"#points-item-{kind}-{item}").fill(str(value))
    frame.get_by_role("button", name="Add to the course").click()
    page.wait_for_url(f"{lms_url}/?added={len(points)}")


def open_activity(page: Any, lms_url: str, title: str, person_id: str, query: str = "") -> Any:
    """As a person: open an activity from the course page in its frame; returns the frame."""
    act_as(page, lms_url, person_id)
    href = page.get_by_role("link", name=f"Open {title}", exact=True).get_attribute("href")
    page.goto(lms_url + href + query)
    return tool(page)


def complete_module(frame: Any, module: Any, *, wrong_first: bool = False) -> None:
    """Work through every page of a module in Rapport, answering its quizzes right."""
    content = library()
    frame.get_by_role("button", name="Start the module").click()
    for number, module_page in enumerate(module.pages):
        frame.get_by_role("heading", name=module_page.title, level=1).wait_for()
        if module_page.kind == "expectation":
            frame.locator("#confirm").check()
            frame.get_by_role("button", name="Confirm").click()
            frame.get_by_text("You confirmed").wait_for()
        if module_page.kind == "quiz":
            answer_quiz(frame, content.quiz(module_page.quiz))
        if number + 1 < len(module.pages):
            frame.locator("a[rel=next]").click()
    frame.get_by_role("button", name="Back to the overview").click()
    frame.get_by_text("You have completed this module").wait_for()


def answer_quiz(frame: Any, quiz: Any) -> None:
    """Tick the right options of every question and submit; the result says passed."""
    for question in quiz.questions:
        for option in question.correct_ids:
            frame.locator(f"#q-{question.id}-{option}").check()
    frame.get_by_role("button", name="Submit answers").click()
    frame.get_by_text("You passed").wait_for()


def wait_for_result(lms_url: str, user_id: str, label: str, timeout: float = 20) -> dict[str, Any]:
    """The practice gradebook's current result for a learner in a column, once Rapport has sent a final one."""
    deadline = time.monotonic() + timeout
    while True:
        snapshot = requests.get(lms_url + "/gradebook.json", timeout=5).json()
        column = next((i["id"] for i in snapshot["line_items"] if i["label"] == label), None)
        result = next((r for r in snapshot["results"] if r["lineitem"] == column and r["userId"] == user_id
                       and r.get("gradingProgress") == "FullyGraded"), None)
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"no final score for {user_id} in {label!r}: {snapshot['scores']}")
        time.sleep(0.2)
