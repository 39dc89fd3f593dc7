"""Rapport as several processes sharing one PostgreSQL database and one Redis.

Two app processes (gunicorn, started by `rapport serve --production`) and two delivery workers
(`rapport worker`) are real separate processes. A launch begun on one app process completes on
the other, its page survives a restart of the process that served it, and every score is
delivered exactly once by the two workers together.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.conftest import ROOT, SECRET, free_port, wait_for
from tests.helpers.ags_platform import FaultyPlatform
from tests.helpers.grading import enqueue, make_launches, rows
from tests.helpers.lti import claims, launch_token
from tests.helpers.platform import register
from tests.integration.test_grade_faults import assert_each_score_landed_once, users


@pytest.fixture
def shared(migrated: str, redis_url: str, tmp_path: Path):
    """Settings for processes on the test's PostgreSQL database and Redis; skips on one machine's setup."""
    if not migrated.startswith("postgresql") or not redis_url:
        pytest.skip("needs PostgreSQL and Redis shared by the processes; the PostgreSQL + Redis pass runs it")
    port_a = free_port("127.0.0.1")
    config = tmp_path / "config.toml"
    # Both app processes answer for one public address, as they would behind a load balancer.
    config.write_text(f'SECRET_KEY = "{SECRET}"\nDATABASE_URL = "{migrated}"\nREDIS_URL = "{redis_url}"\n'
                      f'PUBLIC_URL = "http://127.0.0.1:{port_a}"\nHTTP_TIMEOUT_SECONDS = 5.0\nLOG_LEVEL = "WARNING"\n'
                      # requests, the browser here, never sends a Secure cookie over plain http
                      'SECURE_COOKIES = "never"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env.update(RAPPORT_CONFIG=str(config), RAPPORT_INSTANCE=str(tmp_path), RAPPORT_WORKERS="1", RAPPORT_THREADS="2")
    started: list[subprocess.Popen[str]] = []

    def run(*args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen([sys.executable, "-c", "from lti_plugin.cli import main; main()", *args],
                                   cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started.append(process)
        return process

    def serve(*ports: int) -> list[tuple[subprocess.Popen[str], str]]:
        """App processes on these ports, started together, each answering before this returns."""
        servers = [(run("serve", "--production", "--host", "127.0.0.1", "--port", str(port)),
                    f"http://127.0.0.1:{port}") for port in ports]
        for _, base in servers:
            wait_for(base + "/healthz", timeout=30)
        return servers

    yield {"run": run, "serve": serve, "port_a": port_a}
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate(timeout=10)


def stop(process: subprocess.Popen[str]) -> str:
    """SIGTERM, wait, return what it printed."""
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    return out


def test_a_launch_begun_on_one_process_completes_on_the_other(app, keyset_server, shared) -> None:
    platform = register(app, keyset_server.url)
    keyset_server.keys = [platform.key]
    (process_a, base_a), (process_b, base_b) = shared["serve"](shared["port_a"], free_port("127.0.0.1"))
    browser = requests.Session()
    target = base_a + "/lti/launch"  # the public address both processes answer for

    login = browser.get(base_a + "/lti/login", params={"iss": platform.issuer, "login_hint": "u",
                                                         "target_link_uri": target, "client_id": platform.client_id},
                        allow_redirects=False, timeout=10)
    assert login.status_code == 302, login.text
    auth = {k: v[0] for k, v in parse_qs(urlsplit(login.headers["Location"]).query).items()}
    token = platform.key.sign(claims(platform.issuer, platform.client_id, platform.deployment_id, auth["nonce"],
                                     lti_target_link_uri=target))
    form = {"id_token": token, "state": auth["state"]}
    launched = browser.post(base_b + "/lti/launch", data=form, allow_redirects=False, timeout=10)
    lt = launch_token(launched)

    for base in (base_b, base_a):
        page = browser.get(base + "/home", params={"lt": lt}, timeout=10)
        assert page.status_code == 200 and "Ana Ribeiro" in page.text
    replayed = browser.post(base_a + "/lti/launch", data=form, allow_redirects=False, timeout=10)
    assert replayed.status_code == 400 and "already used" in replayed.text  # the state was spent on B

    stop(process_a)  # the process restarts; the launch lives in the database, not in it
    [(_, base_a)] = shared["serve"](shared["port_a"])
    assert browser.get(base_a + "/home", params={"lt": lt}, timeout=10).status_code == 200
    ready = requests.get(base_a + "/readyz", timeout=10).json()
    assert ready["status"] == "ready" and ready["checks"]["redis"]["status"] == "ok"
    assert process_b.poll() is None


def test_two_delivery_workers_deliver_every_score_exactly_once(app, shared) -> None:
    gradebook = FaultyPlatform(host="127.0.0.6")
    try:
        gradebook.score_delay = 0.02
        _, keys = make_launches(app, gradebook.url, users(120), lineitem=gradebook.add_line_item())
        workers = [shared["run"]("worker", "--threads", "4") for _ in range(2)]
        for worker in workers:  # both are up and polling before any score is due
            assert "is delivering scores" in worker.stdout.readline()
        enqueue(app, keys, score=7)
        deadline = time.monotonic() + 30
        while any(r.state == "pending" for r in rows(app)):
            assert time.monotonic() < deadline, "scores still pending after 30 s"
            time.sleep(0.1)
        outputs = [stop(worker) for worker in workers]
    finally:
        gradebook.stop()
    delivered = [int(re.search(r"It delivered (\d+) score", out).group(1)) for out in outputs]  # type: ignore[union-attr]
    assert sum(delivered) == 120 and all(n > 0 for n in delivered), delivered
    assert all(r.state == "delivered" and r.attempts == 1 for r in rows(app))
    assert len(gradebook.accepted) == 120
    assert_each_score_landed_once(gradebook, dict.fromkeys(users(120), 7.0))
    assert len(gradebook.token_requests) == 1  # the access token was shared through Redis
