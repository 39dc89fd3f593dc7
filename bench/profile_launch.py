"""Profile Rapport's full launch in one process: `python -m bench.profile_launch [N] [--db postgres] [--returning]`.

Runs N launches through the WSGI app (no HTTP server, so only Rapport's own work is measured),
prints the CPU milliseconds per launch, and writes a pyinstrument profile when it is installed.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from bench.common import CLIENT_ID, ISSUER, SimulatedPlatform
from bench.launches import REDIS, postgres_database, prepare_rapport


def run(n: int, database_url: str, redis_url: str, folder: Path, platform: SimulatedPlatform, out: Path | None,
        returning: bool = False) -> None:
    """Set up Rapport, warm up, then time and profile n launches (with `returning`, of students launched once before)."""
    os.environ.update(prepare_rapport(folder, platform, database_url, redis_url))
    import logging

    from lti_plugin import create_app

    app = create_app()
    if not os.environ.get("BENCH_REQUEST_LOG"):  # as gunicorn runs it: one JSON line a request
        logging.getLogger("rapport.request").setLevel(logging.WARNING)  # keep the terminal readable

    # CPU seconds of each request, measured launches only ("first page": a request after the launch's own answer)
    steps = {"login": 0.0, "launch": 0.0, "first page": 0.0}
    clock = time.process_time

    def launch(i: int, prefix: str, measured: bool = False) -> None:
        client = app.test_client()
        target = "http://localhost/lti/launch"
        query = urlencode({"iss": ISSUER, "login_hint": "x", "target_link_uri": target, "client_id": CLIENT_ID})
        a = clock()
        r = client.get("/lti/login?" + query)
        b = clock()
        assert r.status_code == 302, r.status_code
        auth = {k: v[0] for k, v in parse_qs(urlsplit(r.headers["Location"]).query).items()}
        token = platform.id_token(target, auth["nonce"], f"{prefix}-{i}")
        c = clock()
        r = client.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
        d = clock()
        if r.status_code in (302, 303):  # a first page of its own (the launch answers a module's itself)
            r = client.get(r.headers["Location"])
        e = clock()
        assert r.status_code == 200, r.get_data(as_text=True)[:500]
        if measured:
            steps["login"] += b - a
            steps["launch"] += d - c
            steps["first page"] += e - d

    for i in range(30):
        launch(i, "warm")
    if returning:
        for i in range(n):
            launch(i, "measured")
    from sqlalchemy import event

    from lti_plugin.extensions import db

    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lambda conn, cursor, sql, *rest: statements.append(sql))
    signing = time.process_time()
    for i in range(n):
        platform.id_token("http://localhost/lti/launch", "n", f"s-{i}")
    signing = time.process_time() - signing  # the simulated platform's share, taken out below
    profiler = None
    try:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
    except ImportError:
        pass
    cprofile = None
    if os.environ.get("BENCH_CPROFILE"):
        import cProfile

        cprofile = cProfile.Profile()
        profiler = None
        cprofile.enable()
    if profiler and out:
        profiler.start()
    started = time.process_time()
    for i in range(n):
        launch(i, "measured", measured=True)
    cpu = time.process_time() - started - signing
    if cprofile is not None:
        cprofile.disable()
        cprofile.dump_stats(os.environ["BENCH_CPROFILE"])
        import pstats

        calls = pstats.Stats(cprofile).total_calls  # type: ignore[attr-defined]
        print(f"{calls / n:,.0f} Python function calls per launch (cProfile; does not depend on the load)")
    if profiler and out:
        profiler.stop()
        out.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
        print(f"profile written to {out}")
    print(f"{n} launches in one process: {cpu * 1000 / n:.2f} ms CPU per launch (token signing excluded), "
          f"{len(statements) / n:.1f} SQL statements per launch")
    print("   by request: " + ", ".join(f"{name} {seconds * 1000 / n:.2f} ms" for name, seconds in steps.items())
          + " (Flask's test client, no HTTP server)")
    if os.environ.get("BENCH_SHOW_SQL"):  # each kind of statement, with how many times per launch it ran
        from collections import Counter

        for sql, count in Counter(" ".join(sql.split())[:150] for sql in statements).items():
            print(f"   {count / n:5.2f}  {sql}")


def main() -> None:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=200)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument("--returning", action="store_true", help="measure students launching a second time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rapport-profile-") as tmp:
        folder = Path(tmp)
        platform = SimulatedPlatform(folder)
        platform.start()
        try:
            if args.db == "postgres":
                with postgres_database() as url:
                    run(args.n, url, REDIS, folder, platform, args.profile, args.returning)
            else:
                run(args.n, f"sqlite:///{folder / 'rapport.db'}", "", folder, platform, args.profile, args.returning)
        finally:
            assert platform.keyset is not None
            platform.keyset.stop()


if __name__ == "__main__":
    main()
