"""Grade delivery: 1,000 scores to a platform whose score endpoint takes 100 ms.

    python -m bench.grades [--db sqlite|postgres] [--scores 1000] [--latency 0.1] [--threads 16]

The platform (token endpoint, line item, scores) is the AGS test platform from tests/helpers,
on 127.0.0.4 in this process; one delivery worker with 16 threads sends the scores, as
`rapport worker` does. Prints the time until every score is delivered and the token requests.
"""
from __future__ import annotations

import argparse
import logging
import time

from bench.common import print_machine
from bench.seed import bench_app, dispose


def main() -> None:
    """Enqueue the scores, deliver them all, print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--scores", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()
    from lti_plugin.extensions import db
    from lti_plugin.models import ScoreDelivery
    from lti_plugin.outbox import DeliveryWorker
    from tests.helpers.ags_platform import FaultyPlatform
    from tests.helpers.grading import enqueue, make_launches

    label = "PostgreSQL + Redis" if args.db == "postgres" else "SQLite, no Redis"
    print_machine({"database": label})
    logging.getLogger("rapport.request").setLevel(logging.WARNING)
    with bench_app(args.db) as app:
        platform = FaultyPlatform()
        platform.score_delay = args.latency
        try:
            subs = [f"learner-{i:05d}" for i in range(args.scores)]
            _, keys = make_launches(app, platform.url, subs, lineitem=platform.add_line_item())
            enqueue(app, keys, score=7)
            worker = DeliveryWorker(app, threads=args.threads, poll_seconds=0.05)
            started = time.perf_counter()
            worker.run_until_idle()
            elapsed = time.perf_counter() - started
            worker.close()
            with app.app_context():
                states = dict(db.session.execute(
                    db.select(ScoreDelivery.state, db.func.count()).group_by(ScoreDelivery.state)).all())
        finally:
            platform.stop()
            dispose(app)
    accepted = len(platform.accepted)
    print(f"== grade delivery on {label}: {args.scores} scores, {args.latency * 1000:.0f} ms per score request, "
          f"one worker with {args.threads} threads")
    print(f"  all delivered in {elapsed:.2f} s ({args.scores / elapsed:.0f} scores/s); "
          f"{len(platform.token_requests)} token request(s); platform accepted {accepted}; outbox {states}")


if __name__ == "__main__":
    main()
