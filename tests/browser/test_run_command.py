"""The README's run command as a newcomer meets it: it makes what it needs, starts Rapport and the
practice LMS on two sites, prints one address that opens in Chromium, stops both on Ctrl-C with
a clean exit, and on a second run reuses what the first one made."""
from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import free_port
from tests.helpers.run_command import RunCommand, port_open

pytestmark = pytest.mark.browser


def open_in_chromium(browser: Any, url: str) -> str:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url)
        return page.get_by_role("heading", level=1).inner_text()
    finally:
        context.close()


def test_run_twice_reusing_what_exists_and_stop_with_ctrl_c(browser: Any, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    ports = free_port("127.0.0.1"), free_port("127.0.0.2")

    first = RunCommand(instance, "127.0.0.1", ports[0], "127.0.0.2", ports[1])
    url = first.start()
    assert url == f"http://127.0.0.2:{ports[1]}/"
    assert first.output.count("http://") >= 1 and [line.strip() for line in first.lines].count(url.rstrip("/") + "/") == 1
    for made in ("Wrote ", "Database upgraded", "Created signing key", "Registered platform"):
        assert made in first.output
    assert open_in_chromium(browser, url) == "Relational Skills in Clinical Practice (practice course)"
    assert requests.get(first.tool_url + "/healthz", timeout=5).json() == {"status": "ok"}
    assert first.tool_host != first.lms_host  # two sites, so the activity frame is cross-site
    key = (instance / "practice" / "platform.pem").read_bytes()
    column = {"label": "Kept across runs", "scoreMaximum": 5}
    assert requests.post(first.lms_url + "/api/links/link-kept/lineitem", json=column, timeout=5).status_code == 201

    assert first.interrupt() == 0
    assert first.servers_stopped()
    assert first.output.rstrip().endswith("Rapport and the practice LMS have stopped.")
    assert "Traceback" not in first.output

    second = RunCommand(instance, "127.0.0.1", ports[0], "127.0.0.2", ports[1])
    assert second.start() == url
    for reused in ("Database is up to date", "A signing key already exists", "is already registered"):
        assert reused in second.output
    assert "Registered platform" not in second.output and "Wrote " not in second.output
    assert (instance / "practice" / "platform.pem").read_bytes() == key
    kept = requests.get(second.lms_url + "/gradebook.json", timeout=5).json()["line_items"]
    assert [(i["label"], i["resourceLinkId"]) for i in kept] == [("Kept across runs", "link-kept")]
    assert open_in_chromium(browser, url) == "Relational Skills in Clinical Practice (practice course)"
    assert second.interrupt() == 0
    assert second.servers_stopped()


def test_a_port_in_use_is_reported_and_nothing_is_left_running(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        run = RunCommand(tmp_path / "instance", "127.0.0.1", busy.getsockname()[1], "127.0.0.2", free_port("127.0.0.2"))
        with pytest.raises(AssertionError, match="printed no address"):
            run.start()
        assert run.process is not None and run.process.wait(30) == 1
    assert f"Rapport stopped at {run.tool_url}" in run.output and "rapport.log" in run.output
    assert "Address already in use" in run.output  # the end of Rapport's log, shown
    assert not port_open(run.lms_host, run.lms_port)  # the practice LMS was stopped too
