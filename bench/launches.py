"""Launch cost and launch bursts against gunicorn: Rapport, the floor tool and the pylti1p3-example baseline.

    python -m bench.launches cost                 # CPU per full launch, with ratios to floor and baseline
    python -m bench.launches burst --db sqlite    # 50, 200, 500 students at concurrency 50
    python -m bench.launches burst --db postgres  # the same on PostgreSQL + Redis

A full launch is what a student's browser does: the platform's login request to the tool, the
redirect back to the platform, the form post of a freshly signed id_token, and the first page.
The cost part measures Rapport twice: students launching for the first time (new users, new
memberships, new progress) and the same students launching again (the commonest case in a term).
CPU is read from /proc for gunicorn's master and workers before and after the measured burst,
after a warm-up burst, so caches (key sets, templates, compiled queries) are warm. The load
generator and the key-set server run on the same machine and are not counted.
"""
from __future__ import annotations

import argparse
import statistics
import os
import subprocess
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from bench.common import (AUTH_URL, CLIENT_ID, DEPLOYMENT_ID, ISSUER, ROOT, BurstResult, Server,
                          SimulatedPlatform, burst, print_machine, start_gunicorn, write_tool_key)

SECRET = "bench-secret-key-" + "x" * 24
PG_ADMIN = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def rapport_cli(env: dict[str, str], *args: str) -> None:
    """Run a `rapport` command with the benchmark's settings."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    full.update(env)
    subprocess.run([sys.executable, "-c", "from lti_plugin.cli import main; main()", *args], cwd=ROOT, env=full,
                   check=True, stdout=subprocess.DEVNULL)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one run, dropped afterwards."""
    import psycopg

    name = f"rapport_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = PG_ADMIN.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def clear_redis(url: str) -> None:
    """Forget Rapport's keys in the benchmark's Redis database (caches, claims, counters)."""
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter("rapport:*"):
        client.delete(key)
    client.close()


def prepare_rapport(folder: Path, platform: SimulatedPlatform, database_url: str, redis_url: str) -> dict[str, str]:
    """Settings for Rapport on the given database, initialised, the simulated platform registered."""
    config = folder / "rapport.toml"
    config.write_text(f'SECRET_KEY = "{SECRET}"\nDATABASE_URL = "{database_url}"\nREDIS_URL = "{redis_url}"\n'
                      'LOG_LEVEL = "INFO"\n')
    env = {"RAPPORT_CONFIG": str(config), "RAPPORT_INSTANCE": str(folder / "instance")}
    if redis_url:
        clear_redis(redis_url)
    rapport_cli(env, "init")
    rapport_cli(env, "platform", "add", "--issuer", ISSUER, "--client-id", CLIENT_ID, "--auth-login-url", AUTH_URL,
                "--token-url", ISSUER + "/token", "--jwks-url", platform.jwks_url, "--deployment-id", DEPLOYMENT_ID)
    return env


def start_rapport(folder: Path, platform: SimulatedPlatform, database_url: str, redis_url: str,
                  workers: int, threads: int) -> Server:
    """Rapport initialised on the given database, the simulated platform registered, under gunicorn."""
    env = prepare_rapport(folder, platform, database_url, redis_url)
    return start_gunicorn("lti_plugin.wsgi:app", env, folder, "rapport", workers, threads)


def start_reference(name: str, folder: Path, platform: SimulatedPlatform, workers: int, threads: int) -> Server:
    """The floor or baseline tool under the same gunicorn settings."""
    env = {"BENCH_ISSUER": ISSUER, "BENCH_CLIENT_ID": CLIENT_ID, "BENCH_JWKS_URL": platform.jwks_url,
           "BENCH_AUTH_URL": AUTH_URL, "BENCH_DEPLOYMENT_ID": DEPLOYMENT_ID, "BENCH_SECRET": SECRET,
           "BENCH_TOOL_KEY": str(write_tool_key(folder))}
    return start_gunicorn(f"bench.{name}_tool:app", env, folder, name, workers, threads)


def measure(server: Server, platform: SimulatedPlatform, students: int, concurrency: int, warmup: int,
            returning: bool = False) -> tuple[BurstResult, BurstResult | None]:
    """A warm-up burst, then the measured one (new students); with `returning`, the same students again."""
    warm = burst(server, platform, warmup, min(concurrency, warmup))
    if warm.errors:
        raise SystemExit(f"warm-up failed: {warm.errors[0]} (see {server.log})")
    prefix = uuid.uuid4().hex[:6]
    first = burst(server, platform, students, concurrency, prefix)
    again = burst(server, platform, students, concurrency, prefix) if returning else None
    return first, again


def cost(args: argparse.Namespace) -> None:
    """CPU per launch for the floor, the baseline and Rapport, with ratios; each round measures every tool once."""
    print_machine({"gunicorn workers": str(args.workers), "threads": str(args.threads)})
    print(f"== launch cost: {args.students} full launches (login, launch, first page) at concurrency "
          f"{args.concurrency}, after {args.warmup} warm-up launches; CPU of gunicorn master + workers; "
          f"{args.rounds} round(s), the tools one after another in each")
    rounds: list[dict[str, float]] = []
    fetches: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="rapport-bench-") as tmp:
        folder = Path(tmp)
        platform = SimulatedPlatform(folder)
        platform.start()
        try:
            for number in range(1, args.rounds + 1):
                figures, lines = cost_round(folder / f"round-{number}", platform, args, fetches)
                rounds.append(figures)
                print(f"-- round {number}")
                print_ratios(figures, lines)
        finally:
            assert platform.keyset is not None
            platform.keyset.stop()
    if len(rounds) > 1:
        median = {tool: statistics.median(r[tool] for r in rounds) for tool in rounds[0]}
        print(f"-- median of {len(rounds)} rounds (each figure on its own; ratios of the medians)")
        print_ratios(median, {tool: f"rounds: {', '.join(f'{r[tool]:.2f}' for r in rounds)}" for tool in median})
    print("   key set fetched, all rounds: " + ", ".join(f"{tool} {count}" for tool, count in fetches.items()))


def cost_round(folder: Path, platform: SimulatedPlatform, args: argparse.Namespace,
               fetches: dict[str, int]) -> tuple[dict[str, float], dict[str, str]]:
    """One round: every tool started, measured and stopped in turn; CPU ms per launch and a line of figures each."""
    figures: dict[str, float] = {}
    lines: dict[str, str] = {}
    tools = ["floor", "baseline", "rapport-sqlite"] + (["rapport-postgres-redis"] if args.postgres else [])
    for tool in tools:
        sub = folder / tool
        sub.mkdir(parents=True)
        before = platform.fetches()
        again: BurstResult | None = None
        if tool in ("floor", "baseline"):
            result, _ = run_tool(start_reference(tool, sub, platform, args.workers, args.threads), platform, args)
        elif tool == "rapport-sqlite":
            server = start_rapport(sub, platform, f"sqlite:///{sub / 'rapport.db'}", "", args.workers, args.threads)
            result, again = run_tool(server, platform, args, returning=True)
        else:
            with postgres_database() as url:
                server = start_rapport(sub, platform, url, REDIS, args.workers, args.threads)
                result, again = run_tool(server, platform, args, returning=True)
        fetches[tool] = fetches.get(tool, 0) + platform.fetches() - before
        label = tool if again is None else f"{tool} (new)"
        figures[label], lines[label] = per_launch_ms(result), result.line()
        if again is not None:
            # The floor and the baseline keep nothing about a student, so a second launch costs them the same.
            figures[f"{tool} (returning)"] = per_launch_ms(again)
            lines[f"{tool} (returning)"] = "the same students launching again; " + again.line()
    bare = folder / "bare"
    bare.mkdir()
    figures["one bare request"] = bare_request_ms(bare, args)
    lines["one bare request"] = ("gunicorn and Flask answering a tiny page (bench/bare_tool.py); a floor launch "
                                 "makes 2 requests, as do the baseline's and Rapport's (login, then the launch that answers with the page)")
    return figures, lines


def print_ratios(figures: dict[str, float], lines: dict[str, str]) -> None:
    """Each tool's CPU per launch with its ratios to the floor and the baseline of the same figures."""
    floor_ms, baseline_ms = figures["floor"], figures["baseline"]
    for tool, ms in figures.items():
        ratios = "" if tool == "one bare request" else f"   x{ms / floor_ms:4.2f} of floor   x{ms / baseline_ms:4.2f} of baseline"
        print(f"{tool:>34}: {ms:5.2f} ms CPU{ratios}   [{lines[tool]}]")


def bare_request_ms(folder: Path, args: argparse.Namespace, requests: int = 3000) -> float:
    """CPU per request of gunicorn and Flask alone (bench/bare_tool.py), keep-alive, at the cost run's concurrency."""
    from concurrent.futures import ThreadPoolExecutor

    from bench.common import Browser

    server = start_gunicorn("bench.bare_tool:app", {}, folder, "bare", args.workers, args.threads)
    try:
        def client(count: int) -> None:
            browser = Browser(server.host, server.port)
            for _ in range(count):
                status, _, _ = browser.request("GET", "/lti/login")
                if status != 200:
                    raise RuntimeError(f"the bare page answered {status}")
            browser.close()

        client(200)  # warm-up
        before = server.cpu()
        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(client, [requests // args.concurrency] * args.concurrency))
        return (server.cpu() - before) * 1000 / (requests // args.concurrency * args.concurrency)
    finally:
        server.stop()


def per_launch_ms(result: BurstResult) -> float:
    """CPU milliseconds per completed launch."""
    assert result.cpu_seconds is not None
    return result.cpu_seconds * 1000 / max(1, len(result.latencies))


def run_tool(server: Server, platform: SimulatedPlatform, args: argparse.Namespace,
             returning: bool = False) -> tuple[BurstResult, BurstResult | None]:
    """Measure one tool (and with `returning`, the same students a second time), then stop it."""
    try:
        result, again = measure(server, platform, args.students, args.concurrency, args.warmup, returning)
    finally:
        server.stop()
    for measured in (result, again):
        if measured is not None and measured.errors:
            print(f"   ! {len(measured.errors)} errors, first: {measured.errors[0]} (log: {server.log})")
    return result, again


def bursts(args: argparse.Namespace) -> None:
    """Rapport under bursts of 50, 200 and 500 students."""
    label = "PostgreSQL + Redis" if args.db == "postgres" else "SQLite, no Redis"
    print_machine({"gunicorn workers": str(args.workers), "threads": str(args.threads), "database": label})
    print(f"== launch burst on {label}: every student's launch due at once, concurrency {args.concurrency}; "
          "the load generator (about one core's worth) shares the machine")
    with tempfile.TemporaryDirectory(prefix="rapport-bench-") as tmp:
        folder = Path(tmp)
        platform = SimulatedPlatform(folder)
        platform.start()
        try:
            if args.db == "postgres":
                with postgres_database() as url:
                    run_bursts(start_rapport(folder, platform, url, REDIS, args.workers, args.threads), platform, args)
            else:
                server = start_rapport(folder, platform, f"sqlite:///{folder / 'rapport.db'}", "", args.workers, args.threads)
                run_bursts(server, platform, args)
        finally:
            assert platform.keyset is not None
            platform.keyset.stop()


def run_bursts(server: Server, platform: SimulatedPlatform, args: argparse.Namespace) -> None:
    """Warm up, then each burst size in turn."""
    try:
        warm = burst(server, platform, args.warmup, min(args.concurrency, args.warmup))
        if warm.errors:
            raise SystemExit(f"warm-up failed: {warm.errors[0]} (see {server.log})")
        for students in args.sizes:
            result = burst(server, platform, students, args.concurrency)
            print(f"  {result.line()}; {per_launch_ms(result):.2f} ms tool CPU per launch")
    finally:
        server.stop()


def main() -> None:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("cost", "burst"))
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres", action="store_true", help="cost: also measure Rapport on PostgreSQL + Redis")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--warmup", type=int, default=60)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument("--rounds", type=int, default=3, help="cost: measure every tool this many times, print medians")
    args = parser.parse_args()
    if args.concurrency is None:
        args.concurrency = 10 if args.what == "cost" else 50
    (cost if args.what == "cost" else bursts)(args)


if __name__ == "__main__":
    main()
