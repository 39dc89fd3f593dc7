"""A first run, clicked through in Chromium from the address the run command printed: the
instructor adds activities by deep linking, a student completes a module inside the LMS page's
iframe and the score lands in the practice gradebook; with third-party cookies blocked the
launch goes through LTI Platform Storage, and without either a page offers a new window."""
from __future__ import annotations

from typing import Any

import pytest

from tests.browser.flows import act_as, add_activities, complete_module, library, open_activity, tool, wait_for_result
from tests.helpers.run_command import RunCommand

pytestmark = pytest.mark.browser

class LaunchRequests:
    """The requests a page sent on its way into Rapport (which path the launch took)."""

    def __init__(self, tab_or_context: Any) -> None:
        self.urls: list[str] = []
        tab_or_context.on("request", lambda r: self.urls.append(f"{r.method} {r.url}"))

    def any(self, fragment: str) -> bool:
        return any(fragment in url for url in self.urls)


def test_the_printed_address_opens_the_practice_course(page: Any, demo: RunCommand) -> None:
    page.goto(demo.url)
    assert page.get_by_role("heading", level=1).inner_text() == "Relational Skills in Clinical Practice (practice course)"
    assert "stand-in for Canvas or Moodle" in page.locator(".intro").inner_text()
    assert page.locator(".acting-as").inner_text().startswith("You are acting as Ana Ribeiro (Student).")
    names = page.locator("#acting-as-person option").all_inner_texts()
    assert {n.split(" — ")[1] for n in names} == {"Student", "Instructor", "Coach", "Standardized patient"}
    act_as(page, demo.lms_url, "sp-maria")
    page.reload()  # remembered in the practice LMS's own cookie
    assert "You are acting as Maria Santos (Standardized patient)." in page.locator(".acting-as").inner_text()


def test_the_instructor_adds_a_quiz_by_deep_linking_and_sees_it_listed(page: Any, demo: RunCommand, shot: Any) -> None:
    quiz = library().quiz("foundations-final")
    add_activities(page, demo.lms_url, {"quiz:foundations-final": 10})
    assert page.get_by_role("status").inner_text() == "1 activity added to the course."
    assert page.get_by_role("heading", name=quiz.title, level=3).is_visible()
    shot(page, "course")
    page.get_by_role("navigation", name="Course").get_by_role("link", name="Gradebook").click()
    assert page.get_by_role("columnheader", name=f"{quiz.title} (out of 10)").is_visible()


def test_a_student_completes_a_module_in_the_iframe_and_the_score_reaches_the_gradebook(
        page: Any, demo: RunCommand, course: dict[str, Any], shot: Any) -> None:
    module = course["module"]
    sent = LaunchRequests(page)
    frame = open_activity(page, demo.lms_url, module.title, "stu-ana")
    frame.get_by_role("heading", name=module.title, level=1).wait_for()
    assert "Ana Ribeiro" in frame.locator(".who-bar").inner_text()
    assert page.frame(name="rapport-activity").url.startswith(demo.tool_url + "/home?lt=")
    # The LMS offered its storage, but Chromium kept Rapport's partitioned cookie: the cookie path did it.
    assert sent.any("lti_storage_target=lti-storage") and not sent.any("/lti/launch/storage")
    shot(page, "module-home")
    complete_module(frame, module)
    result = wait_for_result(demo.lms_url, "stu-ana", module.title)
    assert result["scoreGiven"] == 20 and result["activityProgress"] == "Completed"
    page.goto(demo.lms_url + "/gradebook")
    headers = page.locator("#gradebook thead th").all_inner_texts()
    column = next(n for n, h in enumerate(headers) if h.startswith(module.title))
    row = page.get_by_role("row", name="Ana Ribeiro")
    assert row.locator("th, td").nth(column).inner_text() == "20 Completed, FullyGraded"


def test_reloading_the_first_page_or_coming_back_to_it_does_not_post_the_launch_again(
        page: Any, demo: RunCommand, course: dict[str, Any]) -> None:
    # The launch answers with the module's page itself; the page then takes its own address.
    module = course["module"]
    sent = LaunchRequests(page)
    frame = open_activity(page, demo.lms_url, module.title, "stu-eli")
    frame.get_by_role("heading", name=module.title, level=1).wait_for()
    assert page.frame(name="rapport-activity").url.startswith(demo.tool_url + "/home?lt=")
    page.frame(name="rapport-activity").evaluate("location.reload()")
    frame.get_by_role("heading", name=module.title, level=1).wait_for()
    assert "Eli Haddad" in frame.locator(".who-bar").inner_text()
    frame.get_by_role("button", name="Start the module").click()
    frame.get_by_role("heading", name=module.pages[0].title, level=1).wait_for()
    page.frame(name="rapport-activity").evaluate("history.back()")
    frame.get_by_role("heading", name=module.title, level=1).wait_for()
    launches = [url for url in sent.urls if url.startswith("POST ") and url.endswith("/lti/launch")]
    assert len(launches) == 1, sent.urls
    assert not frame.get_by_text("already used").count()


def test_with_third_party_cookies_blocked_the_launch_goes_through_platform_storage(
        cookie_blocking_context: Any, demo: RunCommand, course: dict[str, Any]) -> None:
    module = course["module"]
    page = cookie_blocking_context.new_page()
    sent = LaunchRequests(page)
    frame = open_activity(page, demo.lms_url, module.title, "stu-ben")
    frame.get_by_role("heading", name=module.title, level=1).wait_for()
    assert "Ben Okafor" in frame.locator(".who-bar").inner_text()
    assert sent.any("POST " + demo.tool_url + "/lti/launch/storage")
    complete_module(frame, module)  # every later page works on the page's launch token alone
    assert wait_for_result(demo.lms_url, "stu-ben", module.title)["scoreGiven"] == 20


def test_with_cookies_blocked_and_no_platform_storage_a_new_window_opens_the_activity(
        cookie_blocking_context: Any, demo: RunCommand, course: dict[str, Any]) -> None:
    module = course["module"]
    page = cookie_blocking_context.new_page()
    frame = open_activity(page, demo.lms_url, module.title, "stu-chen", "?platform_storage=off")
    frame.get_by_role("heading", name="Rapport could not open this activity").wait_for()
    assert "Your browser blocked Rapport's cookie" in frame.get_by_role("alert").inner_text()
    with cookie_blocking_context.expect_page() as opened:
        frame.get_by_role("button", name="Open the activity in a new window").click()
    window = opened.value
    window.get_by_role("heading", name=module.title, level=1).wait_for()
    assert window.url.startswith(demo.tool_url + "/home?lt=")
    assert "Chen Wei" in window.locator(".who-bar").inner_text()


def test_when_the_platform_storage_never_answers_the_page_offers_a_new_window(
        cookie_blocking_context: Any, demo: RunCommand, course: dict[str, Any]) -> None:
    module = course["module"]
    page = cookie_blocking_context.new_page()
    silent = "<!doctype html><title>Storage that never answers</title>"
    page.route(demo.lms_url + "/platform-storage", lambda route: route.fulfill(body=silent, content_type="text/html"))
    frame = open_activity(page, demo.lms_url, module.title, "stu-dara")
    frame.get_by_role("heading", name="Open the activity in a new window", level=1).wait_for(timeout=20000)
    fallback = frame.locator("#storage-fallback")
    link = fallback.get_by_role("button", name="Open the activity in a new window")
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("href").startswith(demo.tool_url + "/lti/login?")
    assert tool(page).locator("#storage-refusal").is_hidden()


FORGING_STORAGE = """<!doctype html><title>Storage that answers with another login's values</title><script>
window.addEventListener("message", function (event) {
  var d = event.data;
  var reply = {subject: d.subject + ".response", message_id: d.message_id, key: d.key, value: "another-login"};
  event.source.postMessage(reply, event.origin);
});
</script>"""


def test_values_from_the_platform_that_are_not_this_logins_are_refused_on_the_page(
        cookie_blocking_context: Any, demo: RunCommand, course: dict[str, Any]) -> None:
    module = course["module"]
    page = cookie_blocking_context.new_page()
    page.route(demo.lms_url + "/platform-storage",
               lambda route: route.fulfill(body=FORGING_STORAGE, content_type="text/html"))
    frame = open_activity(page, demo.lms_url, module.title, "stu-dara")
    frame.get_by_role("heading", name="Rapport could not open this activity", level=1).wait_for()
    refusal = frame.locator("#storage-refusal")
    assert "another login" in refusal.inner_text() and "storage_state_mismatch" in refusal.inner_text()
