"""The benchmarks still run: each script in bench/, on tiny sizes, exits 0 and prints its figures.

Not a measurement (the figures are not looked at): bench/ is run by hand, so a change elsewhere
could break it unnoticed (the dashboard script once called a test helper whose signature had
changed). Run in the SQLite pass only; the scripts start their own servers.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(os.environ.get("RAPPORT_TEST_DATABASE_URL")), reason="the SQLite pass runs the scripts"),
]


def run(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAPPORT_", "BENCH_"))}
    done = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_launch_cost_and_burst() -> None:
    out = run("bench.launches", "cost", "--rounds", "1", "--students", "12", "--warmup", "4", "--concurrency", "3",
              "--workers", "2")
    for tool in ("floor:", "baseline:", "rapport-sqlite (new):", "rapport-sqlite (returning):", "one bare request:"):
        assert tool in out, out
    out = run("bench.launches", "burst", "--sizes", "10", "--warmup", "4", "--concurrency", "5", "--workers", "2")
    assert "10 students at concurrency 5" in out and "0 errors" in out, out


def test_profile_grades_and_dashboard() -> None:
    out = run("bench.profile_launch", "8", "--returning")
    assert "launches in one process" in out and "by request:" in out, out
    out = run("bench.grades", "--scores", "20", "--latency", "0.01", "--threads", "4")
    assert "all delivered" in out and "platform accepted 20" in out, out
    out = run("bench.dashboard", "--students", "30", "--repeat", "1")
    assert "ratings: counts and agreement" in out and "export: ratings" in out, out
