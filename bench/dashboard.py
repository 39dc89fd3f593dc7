"""The instructor dashboard on a course of 400 students: time to first byte.

    python -m bench.dashboard [--db sqlite|postgres] [--students 400]

Seeds a course through real launches (each student launches and opens the module, so users,
memberships, progress and outbox rows exist as they would), launches as the instructor, and
times the dashboard's first byte over HTTP, cold (first request) and warm (median of 20).
The dashboard page is the first GET route of the `dashboard` blueprint that needs no URL
arguments, or BENCH_DASHBOARD_PATH. A build without a dashboard says so and measures nothing.
"""
from __future__ import annotations

import argparse
import http.client
import logging
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from werkzeug.serving import make_server

from bench.common import (AUTH_URL, CLIENT_ID, DEPLOYMENT_ID, ISSUER, LTI, SimulatedPlatform, free_port,
                          print_machine)
from bench.seed import bench_app, dispose

INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def dashboard_path(app: Any) -> str | None:
    """The dashboard's path, if this build has one."""
    if os.environ.get("BENCH_DASHBOARD_PATH"):
        return os.environ["BENCH_DASHBOARD_PATH"]
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint.startswith("dashboard.") and "GET" in (rule.methods or ()) and not rule.arguments:
            return str(rule.rule)
    return None


def launch(client: Any, platform: SimulatedPlatform, sub: str, roles: list[str] | None = None) -> str:
    """A full launch through the WSGI app; returns the launch token."""
    target = "http://localhost/lti/launch"
    r = client.get("/lti/login?" + urlencode({"iss": ISSUER, "login_hint": sub, "target_link_uri": target,
                                              "client_id": CLIENT_ID}))
    auth = {k: v[0] for k, v in parse_qs(urlsplit(r.headers["Location"]).query).items()}
    token = platform.id_token(target, auth["nonce"], sub)
    if roles:  # re-sign with other roles
        import jwt

        body = jwt.decode(token, options={"verify_signature": False})
        body[LTI + "roles"] = roles
        token = jwt.encode(body, platform.private_key, algorithm="RS256", headers={"kid": platform.kid})
    r = client.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
    assert r.status_code == 303, r.get_data(as_text=True)[:300]
    lt = parse_qs(urlsplit(r.headers["Location"]).query)["lt"][0]
    assert client.get(r.headers["Location"]).status_code == 200
    return lt


def first_byte(port: int, path: str) -> tuple[float, int]:
    """Seconds until the status line and headers arrived, and the status."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    conn.request("GET", path, headers={"Host": "localhost"})
    response = conn.getresponse()
    elapsed = time.perf_counter() - started
    response.read()
    conn.close()
    return elapsed, response.status


def main() -> None:
    """Seed, launch as the instructor, time the dashboard."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--students", type=int, default=400)
    args = parser.parse_args()
    label = "PostgreSQL + Redis" if args.db == "postgres" else "SQLite, no Redis"
    print_machine({"database": label})
    logging.getLogger("rapport.request").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="rapport-bench-") as tmp, bench_app(args.db) as app:
        path = dashboard_path(app)
        if path is None:
            print(f"== dashboard on a course of {args.students} students: not measured. This build has no "
                  "dashboard endpoint (a GET route of a `dashboard` blueprint; issue 7 adds it). The harness "
                  "prints the figure as soon as one exists, or set BENCH_DASHBOARD_PATH.")
            dispose(app)
            return
        platform = SimulatedPlatform(Path(tmp))
        platform.start()
        try:
            from lti_plugin.extensions import db
            from lti_plugin.models import Deployment, Registration

            with app.app_context():
                registration = Registration(issuer=ISSUER, client_id=CLIENT_ID, auth_login_url=AUTH_URL,
                                            auth_token_url=ISSUER + "/token", key_set_url=platform.jwks_url)
                registration.deployments.append(Deployment(deployment_id=DEPLOYMENT_ID, active=True))
                db.session.add(registration)
                db.session.commit()
            client = app.test_client()
            started = time.perf_counter()
            for i in range(args.students):
                launch(client, platform, f"student-{i:04d}")
            seeded = time.perf_counter() - started
            lt = launch(client, platform, "instructor-1", [INSTRUCTOR])
            port = free_port("127.0.0.1")
            server = make_server("127.0.0.1", port, app, threaded=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            url = f"{path}{'&' if '?' in path else '?'}lt={lt}"
            cold, status = first_byte(port, url)
            warm = [first_byte(port, url) for _ in range(20)]
            server.shutdown()
        finally:
            assert platform.keyset is not None
            platform.keyset.stop()
            dispose(app)
    times = sorted(t for t, _ in warm)
    statuses = {s for _, s in warm} | {status}
    print(f"== dashboard {path} on a course of {args.students} students ({label}; seeded by real launches in "
          f"{seeded:.0f} s): time to first byte cold {cold * 1000:.0f} ms, warm median "
          f"{statistics.median(times) * 1000:.0f} ms, worst {times[-1] * 1000:.0f} ms; HTTP status {sorted(statuses)}")


if __name__ == "__main__":
    main()
