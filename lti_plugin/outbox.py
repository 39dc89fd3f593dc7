"""Grade delivery: due rows of the score outbox -> AGS, with retries, backoff and recorded errors.

A worker claims due rows with a lease (PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED; SQLite:
one atomic UPDATE ... RETURNING), sends them from a thread pool, and records the outcomes of
finished sends together with the next claim, in one transaction per round. A worker that dies
leaves leased rows behind; they become due again when the lease runs out. Every row keeps the
timestamp it was written with, so a re-sent score is the same score to the platform, and a row
with a newer score for the same line item and user is superseded instead of sent.
"""
from __future__ import annotations

import logging
import os
import queue
import random
import signal
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, cast

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import Table, bindparam, case, exists, literal, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from . import metrics
from .extensions import db
from .lti import ags
from .lti.score_sender import Job, Outcome, ScoreSender
from .lti.service_tokens import TokenSource
from .models import Registration, ScoreDelivery, utcnow

log = logging.getLogger(__name__)

ERROR_LIMIT = 1000
SUPERSEDED = "A newer score for the same line item and user replaced this one before it was sent."
LIVE_STATES = ("pending", "delivered")
SOURCE_SECONDS = 60.0
HOUSEKEEPING_SECONDS = 3600.0  # how often a worker removes expired launch records


class DeliveryWorker:
    """Claims due scores and delivers them with a pool of threads."""

    def __init__(self, app: Flask, *, threads: int = 16, lease_seconds: float | None = None,
                 poll_seconds: float = 1.0, backoff_base: float = 2.0, backoff_cap: float = 3600.0,
                 give_up_after: timedelta = timedelta(days=7), name: str | None = None) -> None:
        self.app = app
        self.threads = threads
        timeout = float(app.config["HTTP_TIMEOUT_SECONDS"])
        # Long enough to wait behind one prefetched job, then for a token, a line item lookup and
        # creation, and the score, each timing out.
        self.lease_seconds = lease_seconds or 8 * timeout + 30
        self.poll_seconds = poll_seconds
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.give_up_after = give_up_after
        self.name = (name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")[:64]
        self.http = ags.delivery_session(timeout, threads)
        self.sender = ScoreSender(self.http, self.name, int(self.lease_seconds))
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="rapport-grades")
        self._finished: queue.Queue[tuple[Job, Outcome]] = queue.Queue()
        # A few claimed rows wait in the pool's queue, so a thread that finishes starts the next
        # score at once instead of waiting for the loop to record and claim.
        self.capacity = threads + max(1, threads // 2)
        self._claim_min = max(1, threads // 4)
        self._known: dict[int, tuple[float, TokenSource]] = {}
        self.delivered = 0  # scores this worker delivered and recorded
        self._housekeeping_due = time.monotonic()

    # -- the loop ---------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Deliver until `stop` is set, then finish and record what is in flight."""
        self._loop(stop, until=None)

    def run_until_idle(self, *, wait_for_retries: bool = True) -> None:
        """Deliver until nothing is due (or, with wait_for_retries, until nothing is pending)."""
        self._loop(threading.Event(), until="done" if wait_for_retries else "due")

    def close(self) -> None:
        """Stop the thread pool and the HTTP session."""
        self._pool.shutdown(wait=True)
        self.http.close()

    def _loop(self, stop: threading.Event, until: str | None) -> None:
        inflight, idle = 0, False
        while not stop.is_set():
            block = inflight > 0 and (idle or self.capacity - inflight < self._claim_min)
            finished = self._take_finished(self.poll_seconds if block else 0.0)
            inflight -= len(finished)
            free = self.capacity - inflight
            jobs = self._record_and_claim(finished, free if free >= self._claim_min or not inflight else 0, idle)
            for job in jobs:
                self._pool.submit(self._deliver, job)
            inflight += len(jobs)
            idle = not jobs
            if inflight or jobs:
                continue
            self._housekeeping()
            if until == "due" or (until == "done" and not self._pending_left()):
                break
            stop.wait(self.poll_seconds)
        while inflight:  # let what was sent finish, and record it
            finished = self._take_finished(self.poll_seconds)
            inflight -= len(finished)
            self._record_and_claim(finished, 0)

    def _take_finished(self, timeout: float) -> list[tuple[Job, Outcome]]:
        done: list[tuple[Job, Outcome]] = []
        try:
            done.append(self._finished.get(timeout=timeout) if timeout > 0 else self._finished.get_nowait())
            while True:
                done.append(self._finished.get_nowait())
        except queue.Empty:
            return done

    def _deliver(self, job: Job) -> None:
        with self.app.app_context():
            try:
                outcome = self.sender.attempt(job)
            except Exception as error:  # a bug must not lose the score: record it and try again later
                log.exception("grade worker failed on score %s", job.id)
                outcome = Outcome("retry", error=f"Rapport failed while sending the score ({type(error).__name__}).")
        self._finished.put((job, outcome))

    def _record_and_claim(self, finished: list[tuple[Job, Outcome]], limit: int, idle: bool = False) -> list[Job]:
        """Record outcomes and claim up to `limit` more rows, in one transaction."""
        if not finished and not limit:
            return []
        with self.app.app_context():
            try:
                states = self._record(finished)
                jobs = self.claim(limit, probe=idle and not finished) if limit else []
                db.session.commit()
                metrics.count_many(("score_deliveries", state) for state in states)
                self.delivered += states.count("delivered")
                return jobs
            except Exception as error:  # the loop must survive a database or cache outage
                db.session.rollback()
                # Unrecorded rows keep their lease; when it runs out they are sent again, same timestamp.
                if isinstance(error, SQLAlchemyError):
                    log.warning("grade worker could not record or claim scores: %s", type(error).__name__)
                else:
                    log.exception("grade worker could not record or claim scores")
                return []

    def _housekeeping(self) -> None:
        """While idle, once an hour: remove expired launch records (any worker may; it is idempotent)."""
        if time.monotonic() < self._housekeeping_due:
            return
        self._housekeeping_due = time.monotonic() + HOUSEKEEPING_SECONDS
        from .services.housekeeping import purge_expired

        with self.app.app_context():
            try:
                removed = purge_expired()
                db.session.commit()
                log.info("grade worker removed expired records: %s", removed)
            except SQLAlchemyError as error:
                db.session.rollback()
                log.warning("grade worker could not remove expired records: %s", type(error).__name__)

    def _pending_left(self) -> bool:
        with self.app.app_context():
            try:
                return db.session.scalar(
                    select(ScoreDelivery.id).where(ScoreDelivery.state == "pending").limit(1)) is not None
            except SQLAlchemyError:
                db.session.rollback()
                return True

    # -- claiming ---------------------------------------------------------------------------------
    def claim(self, limit: int, *, probe: bool = False) -> list[Job]:
        """Lease up to `limit` due rows to this worker (the caller commits); stale rows are superseded.

        One statement on both databases: the subquery picks due rows (on PostgreSQL locking them,
        skipping rows another worker is claiming; SQLite runs the whole statement under its write
        lock), and a row for which a newer score exists is marked superseded instead of leased.
        """
        now = utcnow()
        table = cast(Table, ScoreDelivery.__table__)
        newer = table.alias("newer")
        is_due = (table.c.state == "pending", table.c.next_attempt_at <= now,
                  or_(table.c.claimed_until.is_(None), table.c.claimed_until < now))
        if probe and db.session.scalar(select(table.c.id).where(*is_due).limit(1)) is None:
            return []  # an idle worker looks before it takes a write lock
        due = (select(table.c.id).where(*is_due).order_by(table.c.next_attempt_at, table.c.id).limit(limit)
               .with_for_update(skip_locked=True))
        stale = exists().where(newer.c.registration_id == table.c.registration_id,
                               newer.c.line_item_key == table.c.line_item_key, newer.c.user_sub == table.c.user_sub,
                               newer.c.timestamp > table.c.timestamp, newer.c.state.in_(LIVE_STATES))
        claimed = db.session.execute(
            update(table).where(table.c.id.in_(due.scalar_subquery())).values(
                state=case((stale, "superseded"), else_=table.c.state),
                last_error=case((stale, SUPERSEDED), else_=table.c.last_error),
                claimed_by=case((stale, None), else_=literal(self.name)),
                claimed_until=case((stale, None), else_=literal(now + timedelta(seconds=self.lease_seconds),
                                                                 type_=table.c.claimed_until.type)),
            ).returning(*table.c)).mappings().all()
        live = sorted((row for row in claimed if row["state"] == "pending"), key=lambda row: row["id"])
        sources = self._sources({row["registration_id"] for row in live})
        return [Job.of(row, sources[row["registration_id"]]) for row in live]

    def _sources(self, registration_ids: set[int]) -> dict[int, TokenSource]:
        """Token endpoints by registration, re-read at most once a minute."""
        now = time.monotonic()
        missing = {i for i in registration_ids if i not in self._known or self._known[i][0] < now}
        if missing:
            for registration in db.session.scalars(select(Registration).where(Registration.id.in_(missing))):
                self._known[registration.id] = (now + SOURCE_SECONDS, TokenSource.of(registration))
        return {i: self._known[i][1] for i in registration_ids}

    # -- recording --------------------------------------------------------------------------------
    def _record(self, finished: list[tuple[Job, Outcome]]) -> list[str]:
        """Write the outcomes of finished sends, one statement for all (the caller commits); their states."""
        if not finished:
            return []
        changes = [self._change(job, outcome) for job, outcome in finished]
        table = cast(Table, ScoreDelivery.__table__)
        columns = [column for column in changes[0] if column != "row_id"]
        statement = update(table).where(table.c.id == bindparam("row_id"), table.c.claimed_by == self.name).values(
            {column: bindparam("new_" + column, type_=table.c[column].type) for column in columns})
        result = db.session.execute(
            statement, [{"row_id": c["row_id"], **{"new_" + k: c[k] for k in columns}} for c in changes])
        count = getattr(result, "rowcount", -1)
        taken = len(changes) - count if count >= 0 else 0
        if taken > 0:
            log.warning("%s score(s) were taken over by another worker after this one's lease ran out", taken)
        for change in changes:
            if change["state"] != "delivered":
                log.info("score %s not delivered (%s, attempt %s): %s", change["row_id"], change["state"],
                         change["attempts"], change["last_error"])
        return [change["state"] for change in changes]

    def _change(self, job: Job, outcome: Outcome) -> dict[str, Any]:
        """The new values of a row after an attempt; every key present, so one statement fits all."""
        now = utcnow()
        attempts = job.attempts + (1 if outcome.counts else 0)
        error = outcome.error or ""
        change: dict[str, Any] = {
            "row_id": job.id, "state": "failed", "attempts": attempts, "last_status": outcome.status,
            "last_error": error, "next_attempt_at": now, "delivered_at": None,
            "line_item_url": job.line_item_url or outcome.line_item_url, "claimed_by": None, "claimed_until": None,
        }
        if outcome.state == "delivered":
            change.update(state="delivered", delivered_at=now, last_error=None)
        elif outcome.state == "retry" and now - job.created_at > self.give_up_after:
            change.update(last_error=f"Gave up after {attempts} attempts: {error}")
        elif outcome.state == "retry":
            change.update(state="pending", next_attempt_at=now + timedelta(seconds=self.backoff(attempts, outcome)))
        elif self._has_newer(job):
            change.update(state="superseded", last_error=f"{SUPERSEDED} {error}")
        if change["last_error"]:
            change["last_error"] = change["last_error"][:ERROR_LIMIT]
        return change

    def backoff(self, attempts: int, outcome: Outcome) -> float:
        """Seconds until the next attempt: exponential with jitter, at least what the platform asked."""
        if not outcome.counts and outcome.retry_after is not None:
            return outcome.retry_after
        delay = min(self.backoff_cap, self.backoff_base * 2 ** max(0, attempts - 1)) * random.uniform(0.5, 1.0)
        if outcome.retry_after is not None:
            delay = max(delay, min(outcome.retry_after, self.backoff_cap))
        return delay

    def _has_newer(self, job: Job) -> bool:
        return db.session.scalar(select(ScoreDelivery.id).where(
            ScoreDelivery.registration_id == job.source.registration_id,
            ScoreDelivery.line_item_key == job.line_item_key, ScoreDelivery.user_sub == job.user_sub,
            ScoreDelivery.timestamp > job.timestamp, ScoreDelivery.state.in_(LIVE_STATES)).limit(1)) is not None


class BackgroundWorker:
    """A delivery worker running in a thread of the web process (the embedded default)."""

    def __init__(self, worker: DeliveryWorker) -> None:
        self.worker = worker
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=worker.run, args=(self.stopping,), name="rapport-grade-worker",
                                       daemon=True)

    def stop(self, timeout: float | None = None) -> None:
        """Ask the worker to stop, and wait for what is in flight."""
        self.stopping.set()
        self.thread.join(timeout)
        self.worker.close()


def start_background_worker(app: Flask, *, allow_testing: bool = False, **options: Any) -> BackgroundWorker | None:
    """Start grade delivery in this process (used by `rapport serve`); never under TESTING unless asked."""
    if app.testing and not allow_testing:
        return None
    handle = BackgroundWorker(DeliveryWorker(app, **options))
    handle.thread.start()
    log.info("grade worker %s started in this process", handle.worker.name)
    return handle


@click.command("worker")
@click.option("--threads", default=16, show_default=True, type=click.IntRange(1, 64),
              help="Scores sent at the same time.")
@click.option("--lease", type=click.FloatRange(1, None), default=None,
              help="Seconds a claimed score stays reserved (default: 8 x HTTP_TIMEOUT_SECONDS + 30).")
@click.option("--once", is_flag=True, help="Deliver the scores that are due now, then stop.")
@with_appcontext
def worker_command(threads: int, lease: float | None, once: bool) -> None:
    """Deliver scores to the platforms' gradebooks until stopped (SIGTERM or Ctrl-C)."""
    worker = DeliveryWorker(current_app._get_current_object(), threads=threads,  # type: ignore[attr-defined]
                            lease_seconds=lease)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    click.echo(f"Grade worker {worker.name} is delivering scores with {threads} threads "
               f"({'until nothing is due' if once else 'SIGTERM or Ctrl-C stops it'}).")
    try:
        if once:
            worker.run_until_idle(wait_for_retries=False)
        else:
            worker.run(stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        worker.close()
    click.echo(f"Grade worker stopped. It delivered {worker.delivered} score(s).")
