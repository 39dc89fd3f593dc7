"""The module player and quizzes, through real launches: progress, resume, video, quizzes, scores."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from lti_plugin.content import get_library
from lti_plugin.extensions import db
from lti_plugin.models import ModuleProgress, QuizAttempt, ScoreDelivery, VideoProgress
from tests.helpers.lti import INSTRUCTOR, launch_token, page_text
from tests.helpers.platform import AGS, launch, launch_response

FOUNDATIONS = {"rapport_kind": "module", "rapport_id": "foundations", "rapport_points": "20"}
AGS_CLAIM = {
    "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
    "lineitems": "https://lms.example.edu/api/lineitems",
    "lineitem": "https://lms.example.edu/api/lineitems/7",
}


@pytest.fixture
def library(app):
    return get_library(app.config["CONTENT_DIR"])


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def right_answers(quiz) -> dict[str, list[str]]:
    return {f"q-{q.id}": sorted(q.correct_ids) for q in quiz.questions}


def one_wrong(quiz) -> dict[str, list[str]]:
    answers = right_answers(quiz)
    first = quiz.questions[0]
    answers[f"q-{first.id}"] = [next(o.id for o in first.options if not o.correct)]
    return answers


def wrong_answers(quiz) -> dict[str, list[str]]:
    return {f"q-{q.id}": [next(o.id for o in q.options if not o.correct)] for q in quiz.questions}


def test_a_learner_opens_the_module_and_resumes_on_another_device(app, client, platform, library) -> None:
    token = launch(client, platform, custom=FOUNDATIONS)
    home = client.get(f"/home?lt={token}")
    assert home.status_code == 200
    text = page_text(home)
    assert "Relational skills foundations" in text and "Start the module" in text
    assert "Ana Ribeiro" in text and "Student" in text
    module = library.module("foundations")
    third = module.pages[2]
    assert client.get(f"/module/{third.id}?lt={token}").status_code == 200

    other_device = app.test_client()
    token2 = launch(other_device, platform, custom=FOUNDATIONS)
    again = soup(other_device.get(f"/home?lt={token2}"))
    resume = again.find("a", string="Continue where you left off")
    assert resume is not None and f"/module/{third.id}" in resume["href"]
    with app.app_context():
        progress = db.session.scalar(select(ModuleProgress))
        assert progress.pages_seen == [third.id] and progress.current_page == third.id


def test_every_page_of_every_module_renders_with_labelled_navigation(app, client, platform, library) -> None:
    for module in library.modules.values():
        token = launch(client, platform, custom={"rapport_kind": "module", "rapport_id": module.id}, link=f"link-{module.id}")
        for index, page in enumerate(module.pages):
            response = client.get(f"/module/{page.id}?lt={token}")
            assert response.status_code == 200, (module.id, page.id)
            html = soup(response)
            assert html.find("h1").get_text(strip=True) == page.title
            assert html.find("nav", attrs={"aria-label": "Pages"}) is not None
            assert html.find("progress") is not None and html.find("label", attrs={"for": "module-progress-bar"})
            for field in html.select("input:not([type=hidden]), select, textarea"):
                assert html.find("label", attrs={"for": field["id"]}), (page.id, field)
            for group in html.select("form fieldset"):  # each question's prompt is read with its options
                prompt = html.find(id=group.get("aria-describedby", ""))
                assert group.find("legend") and prompt is not None and prompt.get_text(strip=True), (page.id, group)
            titles = [h.get_text(strip=True) for h in html.select("h1, h2")]
            assert len(titles) == len(set(titles)), (page.id, titles)
            if page.kind in ("video", "expectation"):
                video = library.video(page.video)
                if video.file:
                    tag = html.find("video")
                    assert tag is not None and tag.find("track", attrs={"kind": "captions"}) is not None
                assert html.find("details", class_="transcript") is not None


def test_quiz_answers_are_not_in_the_page_before_submission(app, client, platform, library) -> None:
    token = launch(client, platform, custom={"rapport_kind": "quiz", "rapport_id": "foundations-final"})
    page = client.get(f"/quiz?lt={token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    quiz = library.quiz("foundations-final")
    for question in quiz.questions:
        for option in question.options:
            assert option.feedback[:40] not in html
    assert "correct" not in html.lower().replace("incorrect", "")


def test_quiz_attempts_pass_mark_and_best_attempt(app, client, platform, library) -> None:
    quiz = library.quiz("foundations-final")
    assert quiz.attempts == 2 and quiz.counts == "best"
    token = launch(client, platform, custom={"rapport_kind": "quiz", "rapport_id": quiz.id, "rapport_points": "10"}, **{AGS: AGS_CLAIM})

    missing = client.post("/quiz", data={"lt": token})
    assert missing.status_code == 422 and "Answer every question" in page_text(missing)
    bogus = client.post("/quiz", data={"lt": token, **right_answers(quiz), f"q-{quiz.questions[0].id}": "zzz"})
    assert bogus.status_code == 400

    first = client.post("/quiz", data={"lt": token, **right_answers(quiz)})
    assert first.status_code == 303
    result = page_text(client.get(f"/quiz?lt={token}"))
    assert f"{len(quiz.questions)} of {len(quiz.questions)} right" in result and "You passed" in result
    assert quiz.questions[0].options[0].feedback[:30] in result or any(
        o.feedback[:30] in result for o in quiz.questions[0].options if o.correct)

    second = client.post("/quiz", data={"lt": token, **wrong_answers(quiz)})
    assert second.status_code == 303
    third = client.post("/quiz", data={"lt": token, **right_answers(quiz)})
    assert third.status_code == 409 and "every attempt" in page_text(third)

    with app.app_context():
        attempts = db.session.scalars(select(QuizAttempt).order_by(QuizAttempt.number)).all()
        assert [a.score for a in attempts] == [1.0, 0.0]
        scores = db.session.scalars(select(ScoreDelivery).where(ScoreDelivery.score_given.is_not(None)).order_by(ScoreDelivery.id)).all()
        # the best attempt counts, so the second (worse) attempt re-sends the same best score
        assert [s.score_given for s in scores] == [10.0, 10.0]
        assert scores[-1].activity_progress == "Completed" and scores[-1].score_maximum == 10.0


def test_completing_the_module_sends_its_score_once_and_again_when_it_improves(app, client, platform, library) -> None:
    module = library.module("foundations")
    token = launch(client, platform, custom=FOUNDATIONS, **{AGS: AGS_CLAIM})
    for page in module.pages:
        assert client.get(f"/module/{page.id}?lt={token}").status_code == 200
        if page.kind == "expectation":
            assert client.post(f"/module/{page.id}/acknowledge", data={"lt": token}).status_code == 422
            assert client.post(f"/module/{page.id}/acknowledge", data={"lt": token, "confirm": "yes"}).status_code == 303
        if page.kind == "quiz":
            quiz = library.quiz(page.quiz)
            answers = one_wrong(quiz) if quiz.id == module.quiz_ids[-1] else right_answers(quiz)
            assert client.post(f"/module/{page.id}/quiz", data={"lt": token, **answers}).status_code == 303
    with app.app_context():
        progress = db.session.scalar(select(ModuleProgress))
        assert progress.completed_at is not None
        last = library.quiz(module.quiz_ids[-1])
        last_share = (len(last.questions) - 1) / len(last.questions)
        assert last_share >= last.pass_mark  # one wrong answer still passes
        expected = (len(module.quiz_ids) - 1 + last_share) / len(module.quiz_ids)
        assert progress.score == pytest.approx(expected)
        graded = db.session.scalars(select(ScoreDelivery).where(ScoreDelivery.score_given.is_not(None))).all()
        assert [round(s.score_given, 3) for s in graded] == [round(expected * 20, 3)]
    # a better attempt at the last quiz re-sends a higher score with a later timestamp
    last_quiz_page = next(p for p in reversed(module.pages) if p.kind == "quiz")
    quiz = library.quiz(last_quiz_page.quiz)
    assert client.post(f"/module/{last_quiz_page.id}/quiz", data={"lt": token, **right_answers(quiz)}).status_code == 303
    with app.app_context():
        graded = db.session.scalars(select(ScoreDelivery).where(ScoreDelivery.score_given.is_not(None)).order_by(ScoreDelivery.id)).all()
        assert [s.score_given for s in graded][-1] == 20.0
        assert graded[-1].timestamp > graded[0].timestamp
    overview = page_text(client.get(f"/home?lt={token}"))
    assert "You have completed this module with a score of 100%" in overview


def test_the_first_launch_reports_started_and_staff_scores_are_never_sent(app, client, platform) -> None:
    launch(client, platform, custom=FOUNDATIONS, **{AGS: AGS_CLAIM})
    launch(app.test_client(), platform, sub="teacher", roles=[INSTRUCTOR], custom=FOUNDATIONS, **{AGS: AGS_CLAIM})
    with app.app_context():
        rows = db.session.scalars(select(ScoreDelivery)).all()
        assert [(r.user_sub, r.activity_progress, r.grading_progress, r.score_given) for r in rows] == [
            ("user-1", "Started", "NotReady", None)]


def test_started_is_sent_again_only_while_the_placement_has_no_work(app, client, platform) -> None:
    def started() -> list[tuple[str, str]]:
        with app.app_context():
            rows = db.session.scalars(select(ScoreDelivery).order_by(ScoreDelivery.id)).all()
            return [(r.user_sub, r.activity_progress) for r in rows]

    quiz = {"rapport_kind": "quiz", "rapport_id": "foundations-final", "rapport_points": "10"}
    launch(client, platform, custom=FOUNDATIONS, **{AGS: AGS_CLAIM})  # answers with the module: progress exists
    launch(client, platform, custom=FOUNDATIONS, **{AGS: AGS_CLAIM})
    assert started() == [("user-1", "Started")]
    launch(client, platform, link="link-2", custom=FOUNDATIONS, **{AGS: AGS_CLAIM})  # a placement without work
    assert started() == [("user-1", "Started")] * 2
    launch(client, platform, link="link-3", custom=quiz, **{AGS: AGS_CLAIM})  # the quiz page not opened yet
    launch(client, platform, link="link-3", custom=quiz, **{AGS: AGS_CLAIM})
    assert started() == [("user-1", "Started")] * 4


def test_a_first_launch_opens_the_module_without_looking_for_work_that_cannot_exist(app, client, platform,
                                                                                   library) -> None:
    from sqlalchemy import event

    from lti_plugin.extensions import db as database

    with app.app_context():
        engine = database.engine
    seen: list[str] = []

    def record(conn, cursor, statement, *rest) -> None:
        seen.append(" ".join(statement.split()))

    def reads_of_work(tables: tuple[str, ...] = ("module_progress", "quiz_attempt", "acknowledgement")) -> list[str]:
        return [s for s in seen if s.startswith(tuple(f"SELECT {t}." for t in tables))]

    event.listen(engine, "before_cursor_execute", record)
    try:
        token = launch(client, platform, custom=FOUNDATIONS)  # a learner Rapport has never met
        assert reads_of_work() == []
        assert "Start the module" in page_text(client.get(f"/home?lt={token}"))  # the row it created is found
        module = library.module("foundations")
        first = module.pages[0]
        assert client.get(f"/module/{first.id}?lt={token}").status_code == 200
        seen.clear()
        # returning, with progress only: the launch's lookup brought the row and found no attempt
        # or confirmation, so the first page reads none of them again, and shows where they were
        answer = launch_response(client, platform, custom=FOUNDATIONS)  # the launch answers with the page
        assert reads_of_work() == []
        assert "Continue where you left off" in page_text(answer)
        token = launch_token(answer)
        expectation = next(p for p in module.pages if p.kind == "expectation")
        assert client.post(f"/module/{expectation.id}/acknowledge",
                           data={"lt": token, "confirm": "yes"}).status_code == 303
        quiz_page = next(p for p in module.pages if p.kind == "quiz")
        assert client.post(f"/module/{quiz_page.id}/quiz",
                           data={"lt": token, **right_answers(library.quiz(quiz_page.quiz))}).status_code == 303
        seen.clear()
        # with an attempt and a confirmation: those are read, the progress row still comes with the lookup
        answer = launch_response(client, platform, custom=FOUNDATIONS)
        assert [s.split(".")[0] for s in reads_of_work()] == ["SELECT quiz_attempt", "SELECT acknowledgement"]
        for home in (page_text(answer), page_text(client.get(f"/home?lt={launch_token(answer)}"))):
            assert f"{expectation.title} — done" in home and f"{quiz_page.title} — done" in home
            assert "Continue where you left off" in home
        seen.clear()
        launch(client, platform, link="link-2", custom=FOUNDATIONS)  # known learner, a placement without work
        assert reads_of_work() == []
    finally:
        event.remove(engine, "before_cursor_execute", record)
    with app.app_context():
        rows = database.session.scalars(select(ModuleProgress).order_by(ModuleProgress.id)).all()
        assert [(r.user_id, r.resource_link_id) for r in rows] == [(rows[0].user_id, rows[0].resource_link_id),
                                                                   (rows[0].user_id, rows[1].resource_link_id)]
        assert rows[0].resource_link_id != rows[1].resource_link_id


def test_a_placement_moved_to_another_module_shows_that_modules_progress(app, client, platform, library) -> None:
    """The launch brings the progress row of the module the link showed; a launch that binds the
    link to another module must not show that row."""
    token = launch(client, platform, custom=FOUNDATIONS)
    assert client.get(f"/module/{library.module('foundations').pages[0].id}?lt={token}").status_code == 200
    booster = {"rapport_kind": "module", "rapport_id": "booster-trauma-informed", "rapport_points": "5"}
    moved = page_text(launch_response(client, platform, custom=booster))
    assert "Booster: trauma-informed inquiry" in moved and "Start the module" in moved
    back = page_text(launch_response(client, platform, custom=FOUNDATIONS))
    assert "Relational skills foundations" in back and "Continue where you left off" in back
    with app.app_context():
        rows = db.session.scalars(select(ModuleProgress).order_by(ModuleProgress.id)).all()
        assert [(r.module_id, len(r.pages_seen)) for r in rows] == [("foundations", 1), ("booster-trauma-informed", 0)]


def test_video_progress_counts_what_was_played(app, client, platform) -> None:
    token = launch(client, platform, custom=FOUNDATIONS)
    url = "/progress/video"
    ok = client.post(url, json={"video": "dean-expectation", "duration": 40, "played": [[0, 10], [9.8, 20]]},
                     headers={"X-Rapport-Launch": token})
    assert ok.status_code == 200 and ok.get_json()["share"] == pytest.approx(0.5)
    again = client.post(url, json={"video": "dean-expectation", "duration": 40, "played": [[5, 15], [30, 40]], "lt": token})
    assert again.get_json()["share"] == pytest.approx(0.75)
    for bad in ({"video": "dean-expectation", "duration": "x", "played": []},
                {"video": "dean-expectation", "duration": 40, "played": [[5, 1]]},
                {"video": "dean-expectation", "duration": 40, "played": "all"},
                {"video": "no-such-video", "duration": 40, "played": []}):
        assert client.post(url, json=bad, headers={"X-Rapport-Launch": token}).status_code in (400, 404)
    assert client.post(url, json={"video": "dean-expectation", "duration": 40, "played": []}).status_code == 401
    with app.app_context():
        row = db.session.scalar(select(VideoProgress))
        assert row.played == [[0, 20], [30, 40]]


def test_forms_need_the_launch_token_in_the_body(app, client, platform, library) -> None:
    token = launch(client, platform, custom={"rapport_kind": "quiz", "rapport_id": "foundations-final"})
    quiz = library.quiz("foundations-final")
    response = client.post(f"/quiz?lt={token}", data=right_answers(quiz))
    assert response.status_code == 401


def test_an_instructor_chooses_what_an_unbound_link_shows(app, client, platform) -> None:
    student = app.test_client()
    token = launch(student, platform, link="bare-link")
    assert "not ready yet" in page_text(student.get(f"/home?lt={token}"))
    assert student.post("/home/choose", data={"lt": token, "item": "module:foundations"}).status_code == 403

    teacher = launch(client, platform, sub="teacher", roles=[INSTRUCTOR], link="bare-link")
    page = soup(client.get(f"/home?lt={teacher}"))
    assert page.find("h1").get_text() == "Choose what this activity shows"
    bad = client.post("/home/choose", data={"lt": teacher, "item": "module:nope", "points": "10"})
    assert bad.status_code == 422 and "no module 'nope'" in page_text(bad)
    bad_points = client.post("/home/choose", data={"lt": teacher, "item": "module:foundations", "points": "-3"})
    assert bad_points.status_code == 422
    assert client.post("/home/choose", data={"lt": teacher, "item": "module:foundations", "points": "15"}).status_code == 303
    assert "Relational skills foundations" in page_text(student.get(f"/home?lt={token}"))
