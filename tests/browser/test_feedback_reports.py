"""Feedback reports in Chromium at phone and desktop widths: the student's report with its charts and their
tables, the reflection written and saved through the page, the instructor's copy, and the coach's view."""
from __future__ import annotations

from collections.abc import Iterator
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


@pytest.fixture(params=list(SIZES))
def sized_tab(browser: Any, request: pytest.FixtureRequest) -> Iterator[tuple[str, Any]]:
    """(size, a page in a fresh browser context of that screen size), for each of SIZES."""
    context = browser.new_context(viewport=SIZES[request.param])
    context.set_default_timeout(15000)
    yield request.param, context.new_page()
    context.close()


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


def captions_fit(tab: Any) -> int:
    """Every table caption wraps within the screen and within its table's scrolling region, also once the region
    is scrolled sideways to its far end; no caption's text runs past its box."""
    found = tab.evaluate("""() => [...document.querySelectorAll('.table-region')].map(region => {
        const caption = region.querySelector('caption');
        const box = region.getBoundingClientRect();
        const before = caption.getBoundingClientRect();
        region.scrollLeft = region.scrollWidth;
        const after = caption.getBoundingClientRect();
        const scrolled = region.scrollLeft;
        region.scrollLeft = 0;
        return {caption: caption.textContent.trim().slice(0, 50), scrolled,
                left: Math.min(before.left, after.left), right: Math.max(before.right, after.right),
                boxLeft: box.left, boxRight: box.right, screen: window.innerWidth,
                overflows: caption.scrollWidth > caption.clientWidth + 1};
    })""")
    assert found, "no table on the page"
    for caption in found:
        assert caption["left"] >= max(0, caption["boxLeft"]) - 1, caption
        assert caption["right"] <= min(caption["screen"], caption["boxRight"]) + 1, caption
        assert not caption["overflows"], caption
    return sum(1 for c in found if c["scrolled"] > 0)


def chart_labels_readable(tab: Any, smallest: float = 11.5) -> None:
    """Every label drawn in a chart is at least `smallest` CSS pixels on the screen, inside its chart, and the x
    labels of one chart do not run into each other."""
    charts = tab.evaluate("""() => [...document.querySelectorAll('svg[data-table]')].map(svg => {
        const frame = svg.getBoundingClientRect();
        const scale = frame.width / svg.viewBox.baseVal.width;
        const shown = [...svg.querySelectorAll('text')].filter(t => getComputedStyle(t).display !== 'none');
        const labels = shown.map(t => { const r = t.getBoundingClientRect();
            return {text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * scale, left: r.left,
                    right: r.right, top: r.top, bottom: r.bottom, x: t.classList.contains('x-wide') || t.classList.contains('x-narrow')}; });
        return {id: svg.dataset.table, left: frame.left, right: frame.right, top: frame.top, bottom: frame.bottom, labels};
    })""")
    assert charts, "no chart on the page"
    for chart in charts:
        assert chart["labels"], chart["id"]
        for label in chart["labels"]:
            assert label["px"] >= smallest, (chart["id"], label)
            assert chart["left"] - 1 <= label["left"] and label["right"] <= chart["right"] + 1, (chart["id"], label)
            assert chart["top"] - 1 <= label["top"] and label["bottom"] <= chart["bottom"] + 1, (chart["id"], label)
        xs = sorted((l for l in chart["labels"] if l["x"]), key=lambda l: l["left"])
        for first, second in zip(xs, xs[1:]):
            assert first["right"] <= second["left"], (chart["id"], first, second)


def test_reports_at_phone_and_desktop_widths(sized_tab, live_rapport, rated, shot) -> None:
    size, tab = sized_tab
    tab.goto(f"{live_rapport}/report?lt={rated.launch('ana', 'student-self')}")
    assert tab.get_by_role("heading", level=1).inner_text() == "Your feedback report"
    charts = every_chart_has_its_table(tab)
    assert charts == 1 + len(get_library(rated.app.config["CONTENT_DIR"]).checklist("coach-student").items)
    assert tab.locator("#heatmap caption").inner_text() == "Mean rating by skill and source"
    no_sideways_scroll(tab)
    scrolled = captions_fit(tab)
    if size == "phone":
        assert scrolled >= charts + 1  # the heat map and every over-time table are wider than a phone
    chart_labels_readable(tab)
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
    captions_fit(tab)
    chart_labels_readable(tab)
    shot(tab, f"{size}-instructor-copy")

    tab.goto(f"{live_rapport}/coaching?lt={rated.launch('kofi', 'coach-student')}")
    assert tab.get_by_role("heading", name="Workshop A").is_visible()
    assert tab.locator("#coaching-skills caption").is_visible()
    no_sideways_scroll(tab)
    captions_fit(tab)
    shot(tab, f"{size}-coach-view")
    tab.get_by_role("link", name="Ana Ribeiro").click()
    assert tab.get_by_role("heading", level=1).inner_text() == "Ana Ribeiro: feedback report"
    every_chart_has_its_table(tab)
    shot(tab, f"{size}-coach-opens-report")


def test_the_report_activities_and_the_course_tools_lead_to_the_reports(sized_tab, live_rapport, rated, shot) -> None:
    """As a course offers them: the report activity added through deep linking, opened by a student, a coach and
    an instructor; a student's course tools; an instructor reading a coach's view from the list of coaches."""
    size, tab = sized_tab
    tab.goto(f"{live_rapport}/home?lt={rated.launch_report('ana', 'feedback')}")
    assert tab.get_by_role("heading", level=1).inner_text() == "Your feedback report"
    assert tab.url.startswith(f"{live_rapport}/report?")
    tab.goto(f"{live_rapport}/rate?lt={rated.launch('ana', 'student-self')}")
    tools = tab.get_by_role("navigation", name="Course tools")
    tools.get_by_role("link", name="Your feedback report").click()
    assert tab.get_by_role("heading", level=1).inner_text() == "Your feedback report"
    no_sideways_scroll(tab)

    tab.goto(f"{live_rapport}/home?lt={rated.launch_report('kofi', 'coaching')}")
    assert tab.get_by_role("heading", level=1).inner_text() == "Your coaching groups"

    tab.goto(f"{live_rapport}/home?lt={rated.launch_report('iris', 'coaching')}")
    assert tab.get_by_role("heading", level=1).inner_text() == "Coaches"
    captions_fit(tab)
    no_sideways_scroll(tab)
    shot(tab, f"{size}-coaches")
    tab.get_by_role("link", name="Dr Kofi Asante").click()
    assert tab.get_by_role("heading", level=1).inner_text() == "Dr Kofi Asante: coaching groups"
    assert tab.get_by_role("heading", name="Workshop A").is_visible()
    captions_fit(tab)
    no_sideways_scroll(tab)
    shot(tab, f"{size}-instructor-reads-coach-view")

    tab.goto(f"{live_rapport}/home?lt={rated.launch_report('maria', 'feedback')}")
    assert tab.get_by_role("heading", level=1).inner_text() == "Your feedback report"
    assert "there is no report here for you" in tab.locator("main").inner_text()
    no_sideways_scroll(tab)
    shot(tab, f"{size}-sp-opens-report-activity")
