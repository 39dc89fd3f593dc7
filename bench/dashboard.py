"""Time to first byte of the instructor's dashboard on a course of 400 learners x 5 modules with quizzes, and ratings.

    python -m bench.dashboard                     # SQLite in a temporary folder
    python -m bench.dashboard --database postgresql+psycopg://postgres@127.0.0.1/postgres [--redis redis://...]

It builds the course (learners, module progress, quiz attempts, grade deliveries in every state,
three survey rounds, and ratings from coaches, SPs, peers and students in workshops and at three
OSCE stations, some corrected, with pairs of raters), serves Rapport over real HTTP on 127.0.0.1,
launches as the instructor with a signed id_token, then asks each page N times and prints the median
and 95th percentile of the time to the first byte of the response, and of the whole response. The
rating figures are cached under a stamp of the course's ratings, so they are timed twice: as staff
usually meet them (the cache holds them), and with a new rating written before every request (the
stamp changed, so the figures are worked out again). Figures, not a test: nothing fails.
"""
from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODULES = ("foundations", "booster-difficult-conversations", "booster-trauma-informed", "coaching", "sp-feedback")
QUIZZES = ("foundations-final", "booster-difficult-conversations", "booster-trauma-informed")
PAGES = [
    ("overview", "/dashboard"),
    ("learners, page 1", "/dashboard/learners"),
    ("learners, page 8", "/dashboard/learners?page=8"),
    ("learners, filtered", "/dashboard/learners?status=grade-problems"),
    ("grades (failed and pending)", "/dashboard/grades"),
    ("one learner", None),
    ("survey cohort view", "/survey/results"),
    ("ratings: counts and agreement", "/dashboard/ratings"),
    ("ratings: one placement", "ratings-placement"),
    ("ratings, after a new rating (no cache)", "ratings-fresh"),
    ("export: progress (CSV, streamed)", "/dashboard/exports/progress.csv"),
    ("export: scores (CSV, streamed)", "/dashboard/exports/scores.csv"),
    ("export: ratings (CSV, streamed)", "/dashboard/exports/ratings.csv"),
]


def _database(url: str | None) -> tuple[str, object]:
    if url and url.startswith("postgresql"):
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        parsed = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
        name = f"rapport_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        return parsed.set(database=name).render_as_string(hide_password=False), drop
    folder = tempfile.mkdtemp(prefix="rapport-bench-")
    return f"sqlite:///{folder}/bench.db", lambda: None


def timed_get(base: str, path: str, token: str) -> tuple[float, float, int]:
    """(seconds to the first byte of the response, seconds to its last byte, status)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    target = path + ("&" if "?" in path else "?") + f"lt={token}"
    start = time.perf_counter()
    conn.request("GET", target)
    response = conn.getresponse()  # returns once the status line and headers have arrived
    response.read(1)
    first = time.perf_counter() - start
    response.read()
    whole = time.perf_counter() - start
    conn.close()
    return first, whole, response.status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default=None, help="A PostgreSQL URL (default: SQLite in a temporary folder).")
    parser.add_argument("--redis", default="", help="A Redis URL for the cache and state (default: none).")
    parser.add_argument("--students", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from lti_plugin.extensions import db
    from lti_plugin.lti.keys import ensure_key
    from lti_plugin.models import (Deployment, ModuleProgress, QuizAttempt, RatingAnswer, RatingSubmission, ScoreDelivery,
                                   SurveyResponse, User)
    from tests.conftest import KeySetServer, free_port, make_app
    from tests.helpers.course_data import build_course
    from tests.helpers.lti import INSTRUCTOR
    from tests.helpers.platform import launch, register
    from tests.helpers.rating_pairs import add_paired_ratings

    url, drop = _database(args.database)
    try:
        app = make_app(url, args.redis, TESTING=False, RESEARCH_KEY="bench-research-key-0123456789abcdefghij")
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            ensure_key()
            db.session.commit()
        keys = KeySetServer()
        platform = register(app, keys.url)
        keys.keys = [platform.key]
        started = time.perf_counter()
        with app.app_context():
            deployment = db.session.scalar(db.select(Deployment).where(Deployment.deployment_id == platform.deployment_id))
            data = build_course(deployment.id, students=args.students, modules=MODULES, quiz_placements=QUIZZES)
            made = add_paired_ratings(data)
            counts = {model.__tablename__: db.session.scalar(db.select(db.func.count()).select_from(model))
                      for model in (User, ModuleProgress, QuizAttempt, ScoreDelivery, SurveyResponse, RatingSubmission,
                                    RatingAnswer)}
        built = time.perf_counter() - started
        host, port = "127.0.0.1", free_port("127.0.0.1")
        server = make_server(host, port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        token = launch(app.test_client(), platform, sub="bench-teacher", roles=[INSTRUCTOR], link="bench-home")
        base = f"http://{host}:{port}"
        backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        print(f"Rapport dashboard, {backend}{' + Redis' if args.redis else ''}, werkzeug threaded server on loopback")
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start (other work slows every figure)")
        print(f"course: {args.students} learners, {len(MODULES)} modules, {len(QUIZZES)} quiz placements; built in {built:.1f} s")
        print("rows: " + ", ".join(f"{name} {count}" for name, count in counts.items()))
        print(f"{'page':36} {'TTFB median':>12} {'TTFB p95':>10} {'total median':>13}  (ms, {args.repeat} requests each)")
        learner = data.students[len(data.students) // 2]["user_id"]
        osce = made.placement("Standardized patient")["link_id"]
        for name, path in PAGES:
            before = None
            if path == "ratings-fresh":
                path, before = "/dashboard/ratings", lambda: _new_rating(app, made)
            elif path == "ratings-placement":
                path = f"/dashboard/ratings?placement={osce}"
            path = path or f"/dashboard/learners/{learner}"
            timed_get(base, path, token)  # warm up
            samples = []
            for _ in range(args.repeat):
                if before:
                    before()
                samples.append(timed_get(base, path, token))
            statuses = {status for _, _, status in samples}
            firsts = sorted(s[0] * 1000 for s in samples)
            wholes = [s[1] * 1000 for s in samples]
            p95 = firsts[min(len(firsts) - 1, round(0.95 * (len(firsts) - 1)))]
            print(f"{name:36} {statistics.median(firsts):12.1f} {p95:10.1f} {statistics.median(wholes):13.1f}"
                  f"{'' if statuses == {200} else f'  status {sorted(statuses)}'}")
        server.shutdown()
        keys.server.shutdown()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()  # type: ignore[operator]


def _new_rating(app: object, made: object) -> None:
    """Write one more SP rating at the first station, as a rater submitting would (it changes the ratings' stamp)."""
    from lti_plugin.extensions import db
    from lti_plugin.models import RatingAnswer, RatingSubmission

    with app.app_context():  # type: ignore[attr-defined]
        model = db.session.get(RatingSubmission, made.current[-1]["id"])  # type: ignore[attr-defined]
        copy = RatingSubmission(
            client_id=uuid.uuid4().hex, series=uuid.uuid4().hex, version=1, course_id=model.course_id,
            resource_link_id=model.resource_link_id, checklist_id=model.checklist_id,
            checklist_version=model.checklist_version, source=model.source, rater_id=model.rater_id,
            subject_id=model.subject_id, encounter_id=model.encounter_id, observed_on=model.observed_on,
            global_rating=model.global_rating, comments={}, launch_ref="bench")
        copy.answers = [RatingAnswer(item_id=a.item_id, skill_id=a.skill_id, value=a.value) for a in model.answers]
        db.session.add(copy)
        db.session.commit()


if __name__ == "__main__":
    main()
