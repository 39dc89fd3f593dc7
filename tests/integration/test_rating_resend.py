"""A rating survives a lost connection: sent again (twice) it is still one submission.

The rater's page talks to a live Rapport through a proxy that can lose a request before it
arrives, or lose the answer after Rapport has stored the rating, as a tablet on a flaky network does.
"""
from __future__ import annotations

import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from bs4 import BeautifulSoup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lti_plugin.content import get_library
from lti_plugin.extensions import db
from lti_plugin.models import RatingDraft, RatingEvent, RatingSubmission, utcnow
from tests.conftest import free_port
from tests.helpers.ratings import RatingCourse, answers


class FlakyProxy:
    """Forwards HTTP/1.1 requests to Rapport; `mode` 'drop-request' or 'drop-answer' loses the next one."""

    def __init__(self, target: str) -> None:
        host, port = target.removeprefix("http://").split(":")
        self.target = (host, int(port))
        self.host, self.port = "127.0.0.6", free_port("127.0.0.6")
        self.mode = ""
        self.forwarded = 0
        self.server = socket.create_server((self.host, self.port))
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                request = self._read(conn)
                mode, self.mode = self.mode, ""
                if mode == "drop-request":
                    continue  # the network ate it: Rapport never hears of it
                with socket.create_connection(self.target) as upstream:
                    upstream.sendall(request)
                    answer = self._read(upstream)
                    self.forwarded += 1
                if mode != "drop-answer":  # else Rapport did the work, but the answer is lost
                    conn.sendall(answer)

    @staticmethod
    def _read(sock: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def proxy(live_rapport: str):
    flaky = FlakyProxy(live_rapport)
    yield flaky
    flaky.close()


def _send(base: str, path: str, body: dict[str, Any], token: str) -> requests.Response:
    return requests.post(base + path, json=body, timeout=10, headers={
        "X-Rapport-Launch": token, "Accept": "application/json", "Connection": "close"})


def test_a_draft_interrupted_by_a_lost_connection_and_sent_twice_is_one_submission(
        app, client, platform, live_rapport, proxy) -> None:
    course = RatingCourse(app, client, platform)
    course.set_up()
    library = get_library(app.config["CONTENT_DIR"])
    token, ana = course.launch("kofi", "coach-student"), course.user_id("ana")
    page = requests.get(live_rapport + "/rate/form", params={"lt": token, "subject": ana}, timeout=10)
    assert page.status_code == 200
    client_id = BeautifulSoup(page.text, "html.parser").find("input", attrs={"name": "client_id"})["value"]
    draft = {"client_id": client_id, "subject": str(ana), "global": "3", "comment-strengths": "Paused to listen"}

    # The draft is saved while typing, then the connection drops in the middle of a save.
    assert _send(live_rapport, "/rate/draft", draft, token).status_code == 200
    proxy.mode = "drop-request"
    with pytest.raises(requests.ConnectionError):
        _send(proxy.url, "/rate/draft", {**draft, "global": "4"}, token)
    # The rater submits; Rapport stores the rating but the answer never reaches the tablet.
    final = {**answers(library.checklist("coach-student"), 4), "client_id": client_id, "subject": str(ana)}
    proxy.mode = "drop-answer"
    with pytest.raises(requests.ConnectionError):
        _send(proxy.url, "/rate/submit", final, token)
    assert proxy.forwarded == 1
    # Back online, the page sends what it kept, and (impatient rater) once more.
    first, second = (_send(proxy.url, "/rate/submit", final, token) for _ in range(2))
    assert first.status_code == second.status_code == 200
    assert first.json()["id"] == second.json()["id"] and first.json()["created"] is second.json()["created"] is False
    # A late draft save of the same rating does not bring a draft back either.
    late = _send(live_rapport, "/rate/draft", draft, token)
    assert late.status_code == 200 and late.json()["submitted"] is True

    with app.app_context():
        rows = list(db.session.scalars(select(RatingSubmission).where(RatingSubmission.client_id == client_id)))
        assert len(rows) == 1 and rows[0].id == first.json()["id"] and rows[0].global_rating == 4
        assert db.session.scalar(select(RatingDraft)) is None
        assert len(list(db.session.scalars(select(RatingEvent).where(RatingEvent.action == "submitted")))) == 1


def test_the_same_rating_sent_twice_at_the_same_moment_is_one_submission(app, client, platform, live_rapport) -> None:
    course = RatingCourse(app, client, platform)
    course.set_up()
    library = get_library(app.config["CONTENT_DIR"])
    token, ben = course.launch("kofi", "coach-student"), course.user_id("ben")
    final = {**answers(library.checklist("coach-student"), 3), "client_id": "same-moment-0001", "subject": str(ben)}
    barrier = threading.Barrier(4)

    def send(_: int) -> requests.Response:
        barrier.wait()
        return _send(live_rapport, "/rate/submit", final, token)

    with ThreadPoolExecutor(4) as pool:
        answers_got = list(pool.map(send, range(4)))
    assert sorted(r.status_code for r in answers_got) == [200, 200, 200, 201]
    assert len({r.json()["id"] for r in answers_got}) == 1
    with app.app_context():
        assert db.session.scalar(select(db.func.count(RatingSubmission.id))) == 1


def test_the_database_refuses_a_second_submission_with_the_same_rating_id(app, client, platform) -> None:
    course = RatingCourse(app, client, platform)
    course.set_up()
    library = get_library(app.config["CONTENT_DIR"])
    made = course.submit("kofi", "coach-student", "ana", library, client_id="db-unique-0001").get_json()
    with app.app_context():
        original = db.session.get(RatingSubmission, made["id"])
        copy = RatingSubmission(
            client_id=original.client_id, series="another-series", version=1, course_id=original.course_id,
            resource_link_id=original.resource_link_id, checklist_id=original.checklist_id, checklist_version=1,
            source="coach", rater_id=original.rater_id, subject_id=original.subject_id, observed_on=original.observed_on,
            global_rating=3, comments={}, submitted_at=utcnow(), launch_ref="x")
        db.session.add(copy)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
