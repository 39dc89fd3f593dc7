"""The dashboard's rating figures in a real Chromium, at phone and desktop widths: every chart drawn with its
table beside it, nothing wider than the screen but the tables' own scrolling regions, the placement filter
working from the keyboard."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from lti_plugin.extensions import db
from lti_plugin.models import Deployment
from tests.helpers.course_data import build_course
from tests.helpers.lti import INSTRUCTOR
from tests.helpers.platform import launch
from tests.helpers.rating_pairs import add_paired_ratings
from tests.integration.conftest import platform  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
CHARTS_AND_TABLES = """() => [...document.querySelectorAll("svg[data-table]")].map(svg => {
  const table = document.getElementById(svg.dataset.table);
  const box = svg.getBoundingClientRect();
  return {table: svg.dataset.table, found: !!table, caption: table ? table.caption.textContent.trim() : "",
          rows: table ? table.tBodies[0].rows.length : 0, width: box.width, right: box.right,
          bars: svg.querySelectorAll("rect[data-value]").length};
})"""


@pytest.fixture
def rated_course(app, client, platform) -> tuple[Any, str]:  # noqa: F811
    """60 learners with ratings from every source, and an instructor's launch into their course."""
    with app.app_context():
        deployment = db.session.scalar(select(Deployment).where(Deployment.deployment_id == platform.deployment_id))
        data = build_course(deployment.id, students=60, survey=False)
        made = add_paired_ratings(data)
    token = launch(client, platform, sub="browser-teacher", roles=[INSTRUCTOR], link="browser-home")
    return made, token


@pytest.mark.parametrize("size", list(WIDTHS))
def test_the_rating_figures_on_a_phone_and_a_desktop(browser, live_rapport, rated_course, shot, size) -> None:
    made, token = rated_course
    context = browser.new_context(viewport=WIDTHS[size])
    context.set_default_timeout(15000)
    tab = context.new_page()
    try:
        tab.goto(f"{live_rapport}/dashboard?lt={token}")
        section = tab.locator("#section-ratings")
        assert section.locator("table#rating-sources tbody tr").count() == 5  # coach, SP, self, peer, student
        shot(tab, f"{size}-overview")
        section.get_by_role("link", name="Ratings by placement and skill, and agreement between raters").click()
        tab.wait_for_url("**/dashboard/ratings**")
        assert tab.get_by_role("heading", level=1).inner_text() == "Ratings"
        charts = tab.evaluate(CHARTS_AND_TABLES)
        assert len(charts) == 3, charts  # ratings by source; agreement for the coach and the SP checklists
        width = tab.evaluate("window.innerWidth")
        for chart in charts:
            assert chart["found"] and chart["caption"] and chart["rows"] and chart["bars"], chart
            assert 0 < chart["width"] and chart["right"] <= width + 1, chart  # drawn inside the screen
        assert tab.evaluate("document.documentElement.scrollWidth") <= width + 1  # only the table regions scroll
        assert tab.locator("#agreement-left-out li").count() == 5
        shot(tab, f"{size}-ratings")

        # one placement, chosen with the keyboard alone
        osce = made.placement("Coach observation")
        tab.focus("#placement")
        tab.keyboard.press("ArrowDown")
        tab.keyboard.press("ArrowDown")
        assert tab.eval_on_selector("#placement", "s => s.options[s.selectedIndex].text") == osce["title"]
        tab.get_by_role("button", name="Show").press("Enter")
        tab.wait_for_url(f"**placement={osce['link_id']}**")
        assert tab.get_by_role("heading", level=1).inner_text() == f"Ratings: {osce['title']}"
        placed = tab.evaluate(CHARTS_AND_TABLES)
        assert [c["table"] for c in placed] == ["ratings-by-source", "agreement-coach-student"]
        assert all(c["found"] for c in placed)
        shot(tab, f"{size}-one-placement")
    finally:
        context.close()
