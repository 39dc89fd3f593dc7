"""The checklist form in a real Chromium at tablet size: filled in with the keyboard alone, drafts kept in
the browser while the connection is down, and the rating sent once when it is back."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lti_plugin.content import get_library
from lti_plugin.extensions import db
from lti_plugin.models import RatingDraft, RatingSubmission
from tests.helpers.ratings import RatingCourse
from tests.integration.conftest import platform  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
TABLET = {"width": 820, "height": 1180}


@pytest.fixture
def tablet(browser: Any) -> Iterator[Any]:
    """A tablet-sized context in the session's Chromium (tests/browser/conftest.py)."""
    context = browser.new_context(viewport=TABLET, has_touch=True)
    context.set_default_timeout(15000)
    yield context
    context.close()


@pytest.fixture
def form_url(app, client, platform, live_rapport) -> tuple[str, RatingCourse]:  # noqa: F811
    course = RatingCourse(app, client, platform)
    course.set_up()
    url = f"{live_rapport}/rate/form?lt={course.launch('kofi', 'coach-student')}&subject={course.user_id('ana')}"
    return url, course


def fill_with_the_keyboard(page: Any, levels: list[int]) -> None:
    """From the date field, Tab into each radio group and move to the level with the arrow keys."""
    page.focus("#observed_on")
    for _ in range(6):  # through the date field's own parts (month, day, year, calendar)
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "radio":
            break
    for index, level in enumerate(levels):
        if index:
            page.keyboard.press("Tab")  # into the next group: its first radio
        focused = page.evaluate("[document.activeElement.type, document.activeElement.name]")
        assert focused[0] == "radio", focused
        for _ in range(level - 1):
            page.keyboard.press("ArrowDown")  # arrows move the choice within the group
        if level == 1:
            page.keyboard.press("Space")


def test_keyboard_only_offline_then_back_online_makes_one_submission(app, tablet, form_url) -> None:
    url, course = form_url
    checklist = get_library(app.config["CONTENT_DIR"]).checklist("coach-student")
    page = tablet.new_page()
    page.goto(url)
    levels = [4, 3, 5, 2, 4, 1, 4]  # six skills, then the overall rating
    with page.expect_response(lambda r: "/rate/draft" in r.url and r.status == 200):
        fill_with_the_keyboard(page, levels)
    page.keyboard.press("Tab")
    page.keyboard.type("Kept eye contact throughout.")
    expect(page.locator("#draft-status")).to_contain_text("Draft saved")

    tablet.set_offline(True)
    page.keyboard.press("Tab")
    page.keyboard.type("Ask before advising.")
    expect(page.locator("#draft-status")).to_contain_text("No connection")
    submit = page.get_by_role("button", name="Submit the rating (final)")
    submit.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#draft-status")).to_contain_text("connection was lost")
    kept = json.loads(page.evaluate("Object.values(localStorage)[0]"))
    assert kept["submit"] is True and kept["fields"]["comment-suggestions"] == "Ask before advising."
    with app.app_context():
        assert db.session.scalar(select(RatingSubmission)) is None

    with page.expect_navigation():
        tablet.set_offline(False)  # the page hears it is back online and sends what it kept
    assert "Your rating was submitted" in page.content()
    assert page.evaluate("localStorage.length") == 0
    with app.app_context():
        rows = list(db.session.scalars(select(RatingSubmission)))
        assert len(rows) == 1 and db.session.scalar(select(RatingDraft)) is None
        values = [a.value for a in sorted(rows[0].answers, key=lambda a: [i.id for i in checklist.items].index(a.item_id))]
        assert values == levels[:-1] and rows[0].global_rating == levels[-1]
        assert rows[0].comments == {"strengths": "Kept eye contact throughout.", "suggestions": "Ask before advising."}


def test_answers_kept_in_the_browser_come_back_after_a_reload(app, tablet, form_url) -> None:
    url, course = form_url
    page = tablet.new_page()
    page.route("**/rate/draft*", lambda route: route.abort())  # the drafts never reach Rapport
    page.goto(url)
    page.check("#item-listen-supportively-5")
    page.fill("#comment-strengths", "Let the silence work.")
    expect(page.locator("#draft-status")).to_contain_text("No connection")
    page.reload()
    expect(page.locator("#draft-status")).to_contain_text("Restored")
    assert page.is_checked("#item-listen-supportively-5")
    assert page.input_value("#comment-strengths") == "Let the silence work."
    page.unroute("**/rate/draft*")
    with page.expect_response(lambda r: "/rate/draft" in r.url and r.status == 200):
        page.fill("#comment-strengths", "Let the silence work. Twice.")
    with app.app_context():
        draft = db.session.scalar(select(RatingDraft))
        assert draft.data["items"]["listen-supportively"] == 5
        assert draft.data["comments"]["strengths"] == "Let the silence work. Twice."
