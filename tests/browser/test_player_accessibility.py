"""The module player in Chromium, as keyboard and screen-reader users meet it: every control has
an accessible name (from Chromium's own accessibility tree), headings go in order, Tab reaches the
skip link, the navigation, the quiz options and the submit button in document order with a
visible focus ring, a quiz can be completed with the keyboard alone, and videos carry captions."""
from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.browser.flows import library, open_activity
from tests.helpers.run_command import RunCommand

pytestmark = pytest.mark.browser

CONTROL_ROLES = {"button", "checkbox", "radio", "textbox", "combobox", "spinbutton", "slider", "link", "listbox",
                 "searchbox", "switch", "menuitem"}


@pytest.fixture(scope="module")
def player(browser: Any, demo: RunCommand, course: dict[str, Any]) -> dict[str, Any]:
    """Dara's launch of the foundations module, opened as a window of its own (the page carries its launch)."""
    context = browser.new_context()
    page = context.new_page()
    frame = open_activity(page, demo.lms_url, course["foundations"].title, "stu-dara")
    frame.get_by_role("heading", name=course["foundations"].title, level=1).wait_for()
    home = page.frame(name="rapport-activity").url
    context.close()
    return {"home": home, "module": course["foundations"], "lt": home.split("lt=", 1)[1]}


def page_url(player: dict[str, Any], demo: RunCommand, page_id: str) -> str:
    return f"{demo.tool_url}/module/{page_id}?lt={player['lt']}"


def unnamed_controls(page: Any) -> list[str]:
    """Controls in Chromium's accessibility tree that a screen reader would announce without a name."""
    session = page.context.new_cdp_session(page)
    try:
        nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        session.detach()
    return [f"{n['role']['value']} (node {n['nodeId']})" for n in nodes
            if not n.get("ignored") and n.get("role", {}).get("value") in CONTROL_ROLES
            and not str(n.get("name", {}).get("value", "")).strip()]


def heading_levels(page: Any) -> list[int]:
    return page.eval_on_selector_all("h1, h2, h3, h4, h5, h6", "hs => hs.filter(h => h.offsetParent !== null)"
                                                                 ".map(h => Number(h.tagName[1]))")


def check_markup(page: Any) -> None:
    """Names, headings, landmarks and language on the page now shown."""
    assert unnamed_controls(page) == []
    levels = heading_levels(page)
    assert levels and levels[0] == 1 and levels.count(1) == 1, levels
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), f"a heading level is skipped: {levels}"
    assert page.locator("main#content").count() == 1
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("a.skip-link").get_attribute("href") == "#content"


def test_every_player_page_names_its_controls_and_orders_its_headings(page: Any, demo: RunCommand,
                                                                      player: dict[str, Any]) -> None:
    page.goto(player["home"])
    check_markup(page)
    seen = set()
    for module_page in player["module"].pages:
        if module_page.kind in seen:  # one page of each kind: text, expectation (with video), quiz
            continue
        seen.add(module_page.kind)
        page.goto(page_url(player, demo, module_page.id))
        page.get_by_role("heading", name=module_page.title, level=1).wait_for()
        check_markup(page)
    assert {"text", "expectation", "quiz"} <= seen


def test_the_video_has_a_captions_track_and_a_transcript(page: Any, demo: RunCommand, player: dict[str, Any]) -> None:
    dean = next(p for p in player["module"].pages if p.kind == "expectation")
    page.goto(page_url(player, demo, dean.id))
    tracks = page.locator("video track[kind=captions]")
    assert tracks.count() >= 1
    assert tracks.first.get_attribute("srclang") == "en" and tracks.first.get_attribute("label") == "English"
    assert page.eval_on_selector("video", "v => Array.from(v.textTracks).some(t => t.kind === 'captions')")
    captions = requests.get(demo.tool_url + tracks.first.get_attribute("src"), timeout=5)
    assert captions.status_code == 200 and captions.text.startswith("WEBVTT")
    assert page.locator("video").get_attribute("aria-describedby").startswith("transcript-")
    assert page.get_by_text("Transcript", exact=True).is_visible()


FOCUS_SCRIPT = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
  const previous = window.__lastFocus;
  const forward = !previous || !!(previous.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING);
  window.__lastFocus = el;
  const box = el.getBoundingClientRect();
  return {tag: el.tagName.toLowerCase(), id: el.id, type: el.type || '', rel: el.rel || '',
          text: (el.innerText || el.value || '').trim().slice(0, 60), cls: el.className || '',
          name: el.name || '', checked: !!el.checked, ring, forward,
          onscreen: box.width > 0 && box.height > 0 && box.left >= 0 && box.top >= -1,
          visible: el.matches(':focus-visible'),
          navigation: !!el.closest('nav')};
}"""


def focus(page: Any) -> dict[str, Any]:
    return page.evaluate(FOCUS_SCRIPT)


def test_a_quiz_can_be_completed_with_the_keyboard_alone_in_a_sensible_focus_order(
        page: Any, demo: RunCommand, player: dict[str, Any], shot: Any) -> None:
    quiz_page = next(p for p in player["module"].pages if p.kind == "quiz")
    quiz = library().quiz(quiz_page.quiz)
    page.goto(page_url(player, demo, quiz_page.id))
    page.get_by_role("heading", name=quiz_page.title, level=1).wait_for()

    page.keyboard.press("Tab")
    first = focus(page)
    assert first["cls"] == "skip-link" and first["onscreen"] and first["ring"], first
    shot(page, "skip-link")

    stops: list[dict[str, Any]] = []
    correct = {f"q-{q.id}": {f"q-{q.id}-{o}" for o in q.correct_ids} for q in quiz.questions}
    for _ in range(200):
        page.keyboard.press("Tab")
        now = focus(page)
        stops.append(now)
        assert now["visible"] and now["ring"] and now["forward"], f"focus not visible or out of order: {now}"
        if now["name"] in correct and now["type"] == "radio":
            # One Tab stop per radio group; the arrow keys choose within it.
            target = next(iter(correct[now["name"]]))
            for _ in range(10):
                if focus(page)["id"] == target:
                    break
                page.keyboard.press("ArrowDown")
            page.keyboard.press("Space")
            assert focus(page)["id"] == target and focus(page)["checked"]
        elif now["name"] in correct and now["type"] == "checkbox" and now["id"] in correct[now["name"]]:
            page.keyboard.press("Space")
            assert focus(page)["checked"]
        if now["tag"] == "button" and now["text"] == "Submit answers":
            shot(page, "submit-focused")
            page.keyboard.press("Enter")
            break
    else:
        raise AssertionError(f"Tab never reached the submit button: {stops}")

    kinds = [("nav" if s["navigation"] else s["type"] if s["tag"] == "input" else s["tag"]) for s in stops]
    assert kinds.index("nav") < min(kinds.index(k) for k in ("radio", "checkbox") if k in kinds) < kinds.index("button")
    page.get_by_text("You passed").wait_for()
    result = page.locator("#result")
    assert "of" in result.get_by_role("heading", level=2).inner_text()
    # After the answers, Tab goes on to the pages' navigation.
    next_link = page.locator("nav.pager a[rel=next]")
    next_link.focus()
    assert focus(page)["visible"] or focus(page)["ring"]
