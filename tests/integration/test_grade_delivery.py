"""End to end: the practice LMS (its own process) launches Rapport; scores reach its gradebook."""
from __future__ import annotations

from datetime import datetime

import pytest
import requests
from bs4 import BeautifulSoup
from sqlalchemy import select

from lti_plugin.extensions import db
from lti_plugin.models import LaunchSession, ScoreDelivery, User
from lti_plugin.services.grading import LineItemSpec, enqueue_score
from tests.helpers.grading import rows, test_worker

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"


@pytest.fixture
def lms(app, practice_lms):
    """The practice LMS, registered with Rapport, with an empty gradebook."""
    url = practice_lms["url"]
    result = app.test_cli_runner().invoke(args=[
        "platform", "add", "--issuer", practice_lms["issuer"], "--client-id", practice_lms["client_id"],
        "--auth-login-url", url + "/auth", "--token-url", url + "/token", "--jwks-url", url + "/jwks.json",
        "--deployment-id", practice_lms["deployment_id"],
    ])
    assert result.exit_code == 0, result.output
    requests.post(url + "/api/reset", timeout=10).raise_for_status()
    return practice_lms


def launch(app, platform: dict, person: str, link: str) -> str:
    """Open an activity from the practice LMS as `person`; returns the launch session's key."""
    browser = requests.Session()
    page = browser.get(f"{platform['url']}/start/{person}", params={"link": link, "title": "Listening"}, timeout=10)
    form = BeautifulSoup(page.text, "html.parser").find("form")
    fields = {i["name"]: i["value"] for i in form.find_all("input")}
    assert browser.post(form["action"], data=fields, timeout=10).status_code == 200
    with app.app_context():
        session = db.session.scalar(select(LaunchSession).join(User).where(User.sub == person)
                                    .order_by(LaunchSession.created_at.desc()).limit(1))
        return session.token_hash


def score(app, key: str, given: float | None, **options) -> None:
    """Enqueue a score for a launch and commit (as the quiz view does)."""
    with app.app_context():
        launch_session = db.session.get(LaunchSession, key)
        options.setdefault("activity_progress", "Completed")
        options.setdefault("grading_progress", "FullyGraded")
        assert enqueue_score(launch_session, score_given=given, score_maximum=10, **options) is not None
        db.session.commit()


def gradebook(platform: dict) -> dict:
    """What the practice LMS received."""
    return requests.get(platform["url"] + "/gradebook.json", timeout=10).json()


def test_scores_reach_the_line_item_named_by_the_launch(app, live_rapport, lms) -> None:
    item = requests.post(lms["url"] + "/api/links/quiz-1/lineitem", json={"label": "Listening quiz", "scoreMaximum": 10},
                         timeout=10).json()
    assert "?type_id=1" in item["id"]  # a query string the scores URL must keep after /scores
    key = launch(app, lms, "stu-ana", "quiz-1")
    with app.app_context():
        assert db.session.get(LaunchSession, key).claims[
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitem"] == item["id"]
    score(app, key, 7, comment="Good listening")
    test_worker(app).run_until_idle()
    score(app, key, 9)
    test_worker(app).run_until_idle()

    seen = gradebook(lms)
    assert [s["status"] for s in seen["scores"]] == [201, 200]
    first, second = (s["score"] for s in seen["scores"])
    assert isinstance(first["scoreGiven"], float) and isinstance(first["scoreMaximum"], float)
    assert first == {"userId": "stu-ana", "scoreGiven": 7.0, "scoreMaximum": 10.0, "activityProgress": "Completed",
                     "gradingProgress": "FullyGraded", "comment": "Good listening", "timestamp": first["timestamp"]}
    assert second["scoreGiven"] == 9.0 and "comment" not in second
    for s in (first, second):
        assert len(s["timestamp"].split("T")[1].split(".")[1]) >= 6  # microseconds
    assert datetime.fromisoformat(second["timestamp"]) > datetime.fromisoformat(first["timestamp"])
    assert [(r["userId"], r["scoreGiven"]) for r in seen["results"]] == [("stu-ana", 9.0)]
    assert [t["scope"] for t in seen["token_requests"]] == [SCORE_SCOPE]  # cached for the second score
    assert all(r.state == "delivered" and r.attempts == 1 and r.last_status in (200, 201) for r in rows(app))


def test_line_item_created_when_the_launch_names_only_the_container(app, live_rapport, lms) -> None:
    ana, ben = launch(app, lms, "stu-ana", "module-7"), launch(app, lms, "stu-ben", "module-7")
    spec = LineItemSpec(label="Foundations module", score_maximum=10, resource_id="module:foundations", tag="rapport")
    score(app, ana, 10, line_item=spec)
    score(app, ben, 6, line_item=spec)
    test_worker(app).run_until_idle()

    seen = gradebook(lms)
    assert len(seen["line_items"]) == 1
    item = seen["line_items"][0]
    assert {k: item[k] for k in ("label", "scoreMaximum", "resourceId", "tag", "resourceLinkId")} == {
        "label": "Foundations module", "scoreMaximum": 10, "resourceId": "module:foundations", "tag": "rapport",
        "resourceLinkId": "module-7"}
    assert sorted((r["userId"], r["scoreGiven"], r["lineitem"]) for r in seen["results"]) == [
        ("stu-ana", 10.0, item["id"]), ("stu-ben", 6.0, item["id"])]
    assert {r.line_item_url for r in rows(app)} == {item["id"]}
    assert sorted(t["scope"] for t in seen["token_requests"]) == [LINEITEM_SCOPE, SCORE_SCOPE]


def test_an_existing_line_item_is_found_by_its_filters(app, live_rapport, lms) -> None:
    for n in range(3):  # other columns of the course
        requests.post(lms["url"] + f"/api/links/other-{n}/lineitem", json={"primary": False, "label": f"Other {n}"},
                      timeout=10)
    item = requests.post(lms["url"] + "/api/links/module-8/lineitem", timeout=10, json={
        "primary": False, "label": "Made earlier", "scoreMaximum": 10, "resourceId": "module:coaching", "tag": "rapport"},
    ).json()
    key = launch(app, lms, "stu-chen", "module-8")
    score(app, key, 5, line_item=LineItemSpec("Coaching", 10, "module:coaching", "rapport"))
    test_worker(app).run_until_idle()
    seen = gradebook(lms)
    assert len(seen["line_items"]) == 4  # nothing new was created
    assert [(r["userId"], r["lineitem"]) for r in seen["results"]] == [("stu-chen", item["id"])]


def test_a_user_the_lms_cannot_grade_is_recorded_failed_not_retried(app, live_rapport, lms) -> None:
    requests.post(lms["url"] + "/api/links/quiz-2/lineitem", json={"label": "Quiz"}, timeout=10)
    key = launch(app, lms, "ins-iris", "quiz-2")
    score(app, key, 3)
    test_worker(app).run_until_idle()
    test_worker(app).run_until_idle()
    [row] = rows(app)
    assert row.state == "failed" and row.attempts == 1 and row.last_status == 403
    assert "Dr Iris Mendes is not a learner in this course and cannot be graded" in row.last_error
    assert len(gradebook(lms)["scores"]) == 1


def test_gradebook_page_lists_results(app, live_rapport, lms) -> None:
    requests.post(lms["url"] + "/api/links/quiz-3/lineitem", json={"label": "Advice quiz"}, timeout=10)
    score(app, launch(app, lms, "stu-dara", "quiz-3"), 8)
    test_worker(app).run_until_idle()
    text = " ".join(BeautifulSoup(requests.get(lms["url"] + "/gradebook", timeout=10).text, "html.parser")
                    .get_text(" ").split())
    assert "Advice quiz" in text and "Dara Nolan 8 " in text  # scores shown without a trailing .0


def test_no_ags_claim_means_nothing_to_deliver(app) -> None:
    from tests.helpers.grading import make_launches

    _, [key] = make_launches(app, "http://127.0.0.9:1", ["u1"])
    with app.app_context():
        launch_session = db.session.get(LaunchSession, key)
        launch_session.claims = {}
        assert enqueue_score(launch_session, score_given=1, score_maximum=2, activity_progress="Completed",
                             grading_progress="FullyGraded") is None
        with pytest.raises(ValueError, match="activity_progress"):
            launch_session.claims = {"https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "lineitem": "http://127.0.0.9:1/li/1"}}
            enqueue_score(launch_session, score_given=1, score_maximum=2, activity_progress="Done",
                          grading_progress="FullyGraded")
        assert db.session.scalar(select(ScoreDelivery)) is None
