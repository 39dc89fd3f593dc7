"""Feedback reports in Chromium at phone and desktop widths: the student's report with its charts and their
tables, the reflection written and saved through the page, the instructor's copy, and the coach's view."""
from __future__ import annotations

from typing import Any

import pytest

from lti_plugin.content import get_library
from tests.helpers.ratings import RatingCourse
from tests.integration.conftest import platform  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture
def rated(app, client, platform) -> RatingCourse:  # noqa: F811
    """Ana rated by herself, her classmate, her coach and an SP; the coach rated by both his students."""
    course = RatingCourse(app, client, platform)
    course.set_up()
    library = get_library(app.config["CONTENT_DIR"])
    station = course.row_ids("encounters")[0]
    for person, checklist, subject, value, extra in (
            ("ana", "student-self", "ana", 2, {}), ("ben", "student-peer", "ana", 3, {}),
            ("kofi", "coach-student", "ana", 4, {}), ("maria", "sp-student", "ana", 5, {"encounter": station}),
            ("ana", "student-coach", "kofi", 4, {}), ("ben", "student-coach", "kofi", 5, {})):
        assert course.submit(person, checklist, subject, library, value=value, **extra).status_code == 201
    return course


def every_chart_has_its_table(tab: Any) -> int:
    """Each SVG chart names a table by id; that table is on the page, with a caption and header cells."""
    found = tab.evaluate("""() => [...document.querySelectorAll('svg[data-table]')].map(svg => {
        const table = document.getElementById(svg.dataset.table);
        return {id: svg.dataset.table, table: !!table && table.tagName === 'TABLE',
                caption: !!(table && table.caption && table.caption.textContent.trim()),
                headers: table ? table.querySelectorAll('th[scope]').length : 0,
                label: svg.getAttribute('role') === 'img' && !!svg.getAttribute('aria-labelledby')};
    })""")
    assert found, "no chart on the page"
    for chart in found:
        assert chart["table"] and chart["caption"] and chart["headers"] > 1 and chart["label"], chart
    return len(found)


def no_sideways_scroll(tab: Any) -> None:
    """The page fits the screen: wide tables scroll inside their own region, not the whole page."""
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("size", list(SIZES))
def test_reports_at_phone_and_desktop_widths(browser, live_rapport, rated, shot, size) -> None:
    context = browser.new_context(viewport=SIZES[size])
    context.set_default_timeout(15000)
    tab = context.new_page()
    try:
        tab.goto(f"{live_rapport}/report?lt={rated.launch('ana', 'student-self')}")
        assert tab.get_by_role("heading", level=1).inner_text() == "Your feedback report"
        charts = every_chart_has_its_table(tab)
        assert charts == 1 + len(get_library(rated.app.config["CONTENT_DIR"]).checklist("coach-student").items)
        assert tab.locator("#heatmap caption").inner_text() == "Mean rating by skill and source"
        no_sideways_scroll(tab)
        shot(tab, f"{size}-student-report")
        tab.get_by_label("What stands out in your report").fill(f"My SP saw more than I did ({size}).")
        tab.get_by_role("button", name="Save reflection").click()
        tab.wait_for_url("**saved=1**")
        assert tab.get_by_role("status").inner_text() == "Your reflection is saved."
        assert tab.locator("#reflection-text").input_value() == f"My SP saw more than I did ({size})."
        shot(tab, f"{size}-reflection-saved")

        tab.goto(f"{live_rapport}/report/{rated.user_id('ana')}?lt={rated.launch('iris', 'coach-student')}")
        every_chart_has_its_table(tab)
        assert tab.locator("blockquote.reflection-text").inner_text() == f"My SP saw more than I did ({size})."
        no_sideways_scroll(tab)
        shot(tab, f"{size}-instructor-copy")

        tab.goto(f"{live_rapport}/coaching?lt={rated.launch('kofi', 'coach-student')}")
        assert tab.get_by_role("heading", name="Workshop A").is_visible()
        assert tab.locator("#coaching-skills caption").is_visible()
        no_sideways_scroll(tab)
        shot(tab, f"{size}-coach-view")
        tab.get_by_role("link", name="Ana Ribeiro").click()
        assert tab.get_by_role("heading", level=1).inner_text() == "Ana Ribeiro: feedback report"
        every_chart_has_its_table(tab)
        shot(tab, f"{size}-coach-opens-report")
    finally:
        context.close()
