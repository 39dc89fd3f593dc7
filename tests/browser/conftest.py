"""Browser fixtures: Debian's Chromium driven by Playwright, and Rapport with its practice LMS
started by the README's run command (scripts/run) on two loopback sites.

Reuse them: `browser` (one Chromium for the session), `page` (a fresh context per test, with a
screenshot of its last state in test-artifacts/), `demo` (the running pair, `demo.url` is the
address the command printed), `cookie_blocking_context` (a Chromium that refuses every cookie
of Rapport's inside the practice LMS, partitioned or not), and the helpers in tests/browser/flows.py.
Each test module here sets `pytestmark = pytest.mark.browser`.
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, free_port
from tests.helpers.run_command import RunCommand

CHROMIUM = os.environ.get("RAPPORT_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
VIEWPORT = {"width": 1200, "height": 900}

@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    """Playwright's driver, once per session."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}; `bash scripts/test` installs it (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Any) -> Iterator[Any]:
    """One headless Debian Chromium for the session."""
    chromium = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
    yield chromium
    chromium.close()


def _artifact_name(node_id: str, suffix: str = "") -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", node_id.split("::", 1)[-1]).strip("_")
    return ARTIFACTS / f"{name}{suffix}.png"


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Any, str], None]:
    """shot(page, "step") saves a screenshot of the page to test-artifacts/<test>-<step>.png."""

    def take(page: Any, step: str) -> None:
        page.screenshot(path=str(_artifact_name(request.node.nodeid, "-" + step)), full_page=True)

    return take


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page in a fresh browser context (its own cookies); its last state is saved as a screenshot."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(15000)
    tab = context.new_page()
    yield tab
    try:
        tab.screenshot(path=str(_artifact_name(request.node.nodeid)), full_page=True)
    finally:
        context.close()


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunCommand]:
    """Rapport and the practice LMS, started by `bash scripts/run` in a fresh instance folder."""
    run = RunCommand(tmp_path_factory.mktemp("demo") / "instance", "127.0.0.1", free_port("127.0.0.1"),
                     "127.0.0.2", free_port("127.0.0.2"))
    run.start()
    yield run
    run.interrupt()


@pytest.fixture
def cookie_blocking_context(playwright_driver: Any, demo: RunCommand, tmp_path: Path,
                            request: pytest.FixtureRequest) -> Iterator[Any]:
    """A Chromium whose settings refuse all of Rapport's cookies while it is framed by the practice
    LMS, partitioned ones included (as Safari does, or a user who blocks a site's cookies), and
    allow them when Rapport is the window itself."""
    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    rule = f"{demo.tool_url},{demo.lms_url}"  # Rapport's cookies, when the top-level site is the LMS
    preferences = {"profile": {"content_settings": {"exceptions": {"cookies": {rule: {"setting": 2}}}}}}
    (profile / "Default" / "Preferences").write_text(json.dumps(preferences))
    context = playwright_driver.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True, viewport=VIEWPORT)
    context.set_default_timeout(15000)
    yield context
    try:
        for number, tab in enumerate(context.pages):
            tab.screenshot(path=str(_artifact_name(request.node.nodeid, f"-window{number}")), full_page=True)
    finally:
        context.close()


@pytest.fixture(scope="session")
def course(browser: Any, demo: RunCommand) -> dict[str, Any]:
    """The practice course with two modules added by the instructor through deep linking:
    "Giving relational feedback" (20 points) and "Relational skills foundations" (100)."""
    from tests.browser.flows import add_activities, library

    context = browser.new_context()
    try:
        add_activities(context.new_page(), demo.lms_url, {"module:sp-feedback": 20, "module:foundations": 100})
    finally:
        context.close()
    content = library()
    return {"module": content.module("sp-feedback"), "foundations": content.module("foundations")}
