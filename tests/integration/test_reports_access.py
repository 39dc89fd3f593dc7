"""Who may see the dashboard, the cohort view and the exports; resending a grade, end to end, exactly once."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from lti_plugin.content import get_library
from lti_plugin.extensions import db
from lti_plugin.models import Deployment, ScoreDelivery
from tests.helpers.ags_platform import FaultyPlatform
from tests.helpers.course_data import build_course
from tests.helpers.grading import test_worker
from tests.helpers.lti import INSTRUCTOR, page_text
from tests.helpers.platform import AGS, CLIENT_ID, launch, register
from tests.helpers.reports import soup

STAFF_PAGES = ["/dashboard", "/dashboard/learners", "/dashboard/grades", "/dashboard/exports",
               "/dashboard/exports/progress.csv", "/dashboard/exports/scores.csv?deidentified=1",
               "/dashboard/exports/survey-answers.csv", "/dashboard/ratings", "/dashboard/exports/ratings.csv",
               "/survey/results", "/survey/schedule"]
OTHER_COURSE = {"id": "course-2", "title": "Clinical Communication 202"}


@pytest.fixture
def two_courses(app, platform):
    """Course 1 and course 2 of the same platform, eight learners each."""
    with app.app_context():
        deployment = db.session.scalar(select(Deployment).where(Deployment.deployment_id == platform.deployment_id))
        first = build_course(deployment.id, students=8, seed=1)
        second = build_course(deployment.id, students=8, seed=2, context_id="course-2", title=OTHER_COURSE["title"])
    return first, second


def staff(app, platform, sub: str = "teacher-1", **claims):
    client = app.test_client()
    return client, launch(client, platform, sub=sub, roles=[INSTRUCTOR], link=f"home-{sub}", **claims)


def test_students_and_anonymous_visitors_are_kept_out(app, platform, two_courses) -> None:
    first, _ = two_courses
    person = first.students[0]
    student = app.test_client()
    token = launch(student, platform, sub=person["sub"], link="student-home", name=person["name"], email=person["email"])
    learner_page = f"/dashboard/learners/{person['user_id']}"
    for path in [*STAFF_PAGES, learner_page]:
        joiner = "&" if "?" in path else "?"
        assert student.get(f"{path}{joiner}lt={token}").status_code == 403, path
        assert app.test_client().get(path).status_code == 401, path
    failed = next(r for r in first.deliveries if r["state"] == "failed")
    assert student.post(f"/dashboard/grades/{failed['id']}/resend", data={"lt": token}).status_code == 403
    with app.app_context():
        assert db.session.get(ScoreDelivery, failed["id"]).state == "failed"
    assert "Course dashboard" not in page_text(student.get(f"/home?lt={token}"))
    teacher, teacher_token = staff(app, platform, sub="teacher-home")
    tools = BeautifulSoup(teacher.get(f"/home?lt={teacher_token}").get_data(as_text=True), "html.parser")
    link = tools.select_one("nav[aria-label='Course tools'] a")
    assert link is not None and link.get_text(strip=True) == "Course dashboard" and "/dashboard" in link["href"]


def test_staff_of_another_course_see_only_their_own(app, platform, two_courses) -> None:
    first, second = two_courses
    client, token = staff(app, platform, sub="teacher-2", lti_context=OTHER_COURSE)
    overview = client.get(f"/dashboard?lt={token}")
    assert overview.status_code == 200 and OTHER_COURSE["title"] in page_text(overview)
    learners = page_text(client.get(f"/dashboard/learners?lt={token}"))
    assert all(p["name"] not in learners or p["name"] in {q["name"] for q in second.students} for p in first.students)
    assert {str(p["user_id"]) for p in first.students}.isdisjoint(
        r["data-user"] for r in soup(client.get(f"/dashboard/learners?lt={token}")).select("table#learners tbody tr"))
    assert client.get(f"/dashboard/learners/{first.students[0]['user_id']}?lt={token}").status_code == 404
    assert client.get(f"/survey/results?lt={token}&schedule={first.schedule_id}").status_code == 404
    exported = client.get(f"/dashboard/exports/progress.csv?lt={token}").get_data(as_text=True)
    assert all(p["sub"] not in exported for p in first.students)
    assert all(p["sub"] in exported for p in second.students)
    failed = next(r for r in first.deliveries if r["state"] == "failed")
    refused = client.post(f"/dashboard/grades/{failed['id']}/resend", data={"lt": token})
    assert refused.status_code == 404 and "no such grade delivery in this course" in page_text(refused)
    with app.app_context():
        assert db.session.get(ScoreDelivery, failed["id"]).state == "failed"
        assert db.session.scalar(select(func.count(ScoreDelivery.id))) == len(first.deliveries) + len(second.deliveries)


def test_deidentified_exports_need_a_research_key(app, platform, two_courses) -> None:
    client, token = staff(app, platform)
    assert app.config["RESEARCH_KEY"] == ""
    refused = client.get(f"/dashboard/exports/progress.csv?lt={token}&deidentified=1")
    assert refused.status_code == 409 and "research key" in page_text(refused)
    assert "De-identified files need a research key" in page_text(client.get(f"/dashboard/exports?lt={token}"))
    assert client.get(f"/dashboard/exports/attendance.csv?lt={token}").status_code == 404


@pytest.fixture
def gradebook(app, keyset_server):
    """A platform whose token and score endpoints answer over HTTP, registered with Rapport."""
    server = FaultyPlatform(client_id=CLIENT_ID)
    registered = register(app, keyset_server.url, token_url=server.url + "/token")
    keyset_server.status = 200
    keyset_server.keys = [registered.key]
    yield server, registered
    server.stop()


def test_resending_a_failed_grade_delivers_it_once_with_a_newer_timestamp(app, gradebook) -> None:
    server, registered = gradebook
    item = server.add_line_item(label="Final quiz")
    quiz = get_library(app.config["CONTENT_DIR"]).quiz("foundations-final")
    custom = {"rapport_kind": "quiz", "rapport_id": quiz.id, "rapport_points": "10"}
    claim = {AGS: {"scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"], "lineitem": item}}
    student = app.test_client()
    token = launch(student, registered, sub="learner-9", link="quiz-link", custom=custom, **claim)
    server.not_gradable["learner-9"] = "This user is not a student of the course"
    test_worker(app).run_until_idle()  # the launch's Started fails
    answers = {f"q-{q.id}": sorted(q.correct_ids) for q in quiz.questions}
    assert student.post("/quiz", data={"lt": token, **answers}).status_code == 303
    test_worker(app).run_until_idle()  # and so does the score
    with app.app_context():
        rows = db.session.scalars(select(ScoreDelivery).order_by(ScoreDelivery.timestamp)).all()
        assert [r.state for r in rows] == ["failed", "failed"]  # Started, then the score
        started, scored = rows[0].id, rows[1].id
        first_stamp = rows[1].timestamp

    teacher = app.test_client()
    lt = launch(teacher, registered, sub="teacher-9", roles=[INSTRUCTOR], link="quiz-link", custom=custom)
    page = soup(teacher.get(f"/dashboard/grades?lt={lt}&state=failed"))
    shown = page.find("tr", attrs={"data-delivery": str(scored)})
    assert "This user is not a student of the course" in shown.get_text(" ") and shown.find("button")
    assert page.find("tr", attrs={"data-delivery": str(started)}) is None  # only each cell's newest score is listed
    older = teacher.post(f"/dashboard/grades/{started}/resend", data={"lt": lt})
    assert older.status_code == 409 and "A newer score" in page_text(older)

    server.not_gradable.clear()  # the LMS administrator fixed the enrolment
    resent = teacher.post(f"/dashboard/grades/{scored}/resend", data={"lt": lt, "state": "failed"})
    assert resent.status_code == 303 and "resent=" in resent.headers["Location"]
    twice = teacher.post(f"/dashboard/grades/{scored}/resend", data={"lt": lt})
    assert twice.status_code == 409
    with app.app_context():
        rows = db.session.scalars(select(ScoreDelivery).order_by(ScoreDelivery.timestamp)).all()
        assert [r.state for r in rows] == ["failed", "superseded", "pending"]
        copy = rows[-1]
        assert copy.timestamp > first_stamp and copy.score_given == 10.0 and copy.attempts == 0
        assert "Sent again on request" in rows[1].last_error and "not a student" in rows[1].last_error
    test_worker(app).run_until_idle()
    accepted = [s for s in server.accepted if s["userId"] == "learner-9"]
    assert len(accepted) == 1 and accepted[0]["scoreGiven"] == 10.0
    assert accepted[0]["timestamp"] == copy.timestamp_iso
    assert server.results_by_user()["learner-9"]["timestamp"] == copy.timestamp_iso
    again = soup(teacher.get(f"/dashboard/grades?lt={lt}&state=delivered"))
    assert again.find("tr", attrs={"data-delivery": str(copy.id)}) is not None
    delivered = teacher.post(f"/dashboard/grades/{copy.id}/resend", data={"lt": lt})
    assert delivered.status_code == 409 and "Only a failed delivery" in page_text(delivered)
