"""The grade worker as its own process (killed, stopped) and under load."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, SECRET
from tests.helpers.ags_platform import FaultyPlatform
from tests.helpers.grading import enqueue, make_launches, rows, test_worker
from tests.integration.test_grade_faults import assert_each_score_landed_once, users

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


@pytest.fixture
def platform():
    """A platform whose speed the test sets."""
    server = FaultyPlatform()
    yield server
    server.stop()


@pytest.fixture
def start_worker(migrated: str, redis_url: str, tmp_path: Path):
    """Start `rapport worker ARGS...` as its own process on the test database."""
    config = tmp_path / "config.toml"
    config.write_text(f'SECRET_KEY = "{SECRET}"\nDATABASE_URL = "{migrated}"\nREDIS_URL = "{redis_url}"\n'
                      'HTTP_TIMEOUT_SECONDS = 2.0\nLOG_LEVEL = "WARNING"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env.update(RAPPORT_CONFIG=str(config), RAPPORT_INSTANCE=str(tmp_path))
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-c", "from lti_plugin.cli import main; main()", "worker", *args],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def wait_until(condition, timeout: float = 30.0) -> None:
    """Poll until condition() is true."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_worker_killed_mid_batch_loses_and_doubles_nothing(app, platform, start_worker) -> None:
    platform.score_delay = 0.25
    _, keys = make_launches(app, platform.url, users(40), lineitem=platform.add_line_item())
    enqueue(app, keys, score=6)
    process = start_worker("--threads", "4", "--lease", "2")
    wait_until(lambda: len(platform.accepted) >= 6 or process.poll() is not None)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    left = [r for r in rows(app) if r.state == "pending"]
    assert left and any(r.claimed_by for r in left)  # leased to a worker that no longer exists
    test_worker(app).run_until_idle()  # picks them up when the lease runs out
    assert all(r.state == "delivered" and r.claimed_by is None for r in rows(app))
    assert_each_score_landed_once(platform, dict.fromkeys(users(40), 6.0))


def test_worker_command_delivers_and_stops_on_sigterm(app, platform, start_worker) -> None:
    _, keys = make_launches(app, platform.url, users(3), lineitem=platform.add_line_item())
    enqueue(app, keys)
    process = start_worker("--threads", "2")
    assert "is delivering scores with 2 threads" in process.stdout.readline()
    wait_until(lambda: len(platform.accepted) == 3)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "Grade worker stopped." in out
    assert all(r.state == "delivered" for r in rows(app))


def test_worker_once_delivers_what_is_due_and_exits(app, platform, start_worker) -> None:
    _, keys = make_launches(app, platform.url, users(2), lineitem=platform.add_line_item())
    enqueue(app, keys)
    process = start_worker("--once")
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert all(r.state == "delivered" for r in rows(app)) and len(platform.accepted) == 2


def test_a_thousand_scores_to_a_slow_platform_with_one_token_request(app, platform, capsys) -> None:
    platform.score_delay = 0.1
    _, keys = make_launches(app, platform.url, users(1000), lineitem=platform.add_line_item())
    enqueue(app, keys, score=5)
    worker = test_worker(app, threads=16)
    started = time.perf_counter()
    worker.run_until_idle()
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n[grade delivery] 1,000 scores, 100 ms per request, 16 threads: {elapsed:.1f} s, "
              f"{len(platform.token_requests)} token request(s)")
    assert platform.token_requests == [SCORE_SCOPE]
    assert all(r.state == "delivered" and r.attempts == 1 for r in rows(app))
    assert_each_score_landed_once(platform, dict.fromkeys(users(1000), 5.0))
    assert len(platform.accepted) == 1000


def test_the_background_worker_is_never_started_by_tests_unless_asked(app, platform) -> None:
    from lti_plugin.outbox import start_background_worker

    assert app.testing and start_background_worker(app) is None
    _, keys = make_launches(app, platform.url, users(2), lineitem=platform.add_line_item())
    handle = start_background_worker(app, allow_testing=True, poll_seconds=0.05)
    assert handle is not None and handle.thread.is_alive()
    try:
        enqueue(app, keys)  # written after the worker started: it notices on its next look
        wait_until(lambda: len(platform.accepted) == 2, timeout=10)
    finally:
        handle.stop(timeout=10)
    assert not handle.thread.is_alive()
    assert all(r.state == "delivered" for r in rows(app))
