"""End to end through the practice LMS (its own process): an instructor adds a module by deep
linking, a learner completes it, and the score reaches the platform's gradebook."""
from __future__ import annotations

from datetime import datetime

import requests
from bs4 import BeautifulSoup

from lti_plugin.content import get_library
from tests.helpers.grading import test_worker
from tests.helpers.lti import launch_token
from tests.integration.test_e2e_launch import registered  # noqa: F401  (fixture)


def follow_autopost(browser: requests.Session, response: requests.Response) -> requests.Response:
    """Submit an auto-posting form the way the page's script would."""
    form = BeautifulSoup(response.text, "html.parser").find("form")
    assert form is not None, response.text[:500]
    fields = {i["name"]: i["value"] for i in form.find_all("input") if i.get("name")}
    return browser.post(form["action"], data=fields, timeout=10)


def launch(browser: requests.Session, url: str) -> requests.Response:
    """From a practice LMS launch link to Rapport's first page."""
    return follow_autopost(browser, browser.get(url, timeout=10))


def token_of(response: requests.Response) -> str:
    return launch_token(response)


def test_add_a_module_by_deep_linking_then_a_learner_completes_it_and_is_graded(app, live_rapport, registered) -> None:  # noqa: F811
    lms = registered["url"]
    requests.post(lms + "/api/reset", timeout=10)
    library = get_library(app.config["CONTENT_DIR"])
    module = library.module("sp-feedback")  # short: one quiz

    # The instructor adds the module with 20 points.
    teacher = requests.Session()
    catalogue = launch(teacher, f"{lms}/start/ins-iris?add=1")
    assert catalogue.status_code == 200 and "Add Rapport activities" in catalogue.text
    lt = token_of(catalogue)
    answer = teacher.post(live_rapport + "/deep-link", data={
        "lt": lt, "item": "module:sp-feedback", "points-module:sp-feedback": "20", "target": "iframe"}, timeout=10)
    assert answer.status_code == 200
    course = follow_autopost(teacher, answer)
    assert course.status_code == 200 and module.title in course.text and "1 activity added" in course.text
    snapshot = requests.get(lms + "/gradebook.json", timeout=10).json()
    assert [(i["label"], i["scoreMaximum"], i["resourceId"], i["tag"]) for i in snapshot["line_items"]] == [
        (module.title, 20, "module:sp-feedback", "rapport")]

    # A learner opens it from the course page and works through every page.
    page = BeautifulSoup(course.text, "html.parser")
    added = [li for li in page.select("ul.activities > li.activity") if li.h3 and li.h3.get_text(strip=True) == module.title]
    link = added[-1].find("a", href=lambda h: bool(h) and h.startswith("/activity/"))  # the one just added
    student = requests.Session()
    home = launch(student, f"{lms}/start/stu-ana?link={link['href'].rsplit('/', 1)[1]}")
    assert home.status_code == 200 and module.title in home.text and "Start the module" in home.text
    lt = token_of(home)
    test_worker(app).run_until_idle()  # the gradebook learns that Ana started
    quiz_page = next(p for p in module.pages if p.kind == "quiz")
    quiz = library.quiz(quiz_page.quiz)
    for p in module.pages:
        assert student.get(f"{live_rapport}/module/{p.id}", params={"lt": lt}, timeout=10).status_code == 200
    first_try = {f"q-{q.id}": sorted(q.correct_ids) for q in quiz.questions}
    miss = quiz.questions[0]
    first_try[f"q-{miss.id}"] = [next(o.id for o in miss.options if not o.correct)]
    result = student.post(f"{live_rapport}/module/{quiz_page.id}/quiz", data={"lt": lt, **first_try}, timeout=10)
    assert result.status_code == 200 and "You passed" in result.text
    test_worker(app).run_until_idle()

    scores = [s["score"] for s in requests.get(lms + "/gradebook.json", timeout=10).json()["scores"]]
    assert [s["activityProgress"] for s in scores] == ["Started", "Completed"]
    started, completed = scores
    assert started["userId"] == completed["userId"] == "stu-ana"
    assert "scoreGiven" not in started and started["gradingProgress"] == "NotReady"
    share = (len(quiz.questions) - 1) / len(quiz.questions)
    assert completed["scoreGiven"] == round(share * 20, 4) and completed["scoreMaximum"] == 20
    assert completed["gradingProgress"] == "FullyGraded"
    assert "." in completed["timestamp"]  # sub-second precision

    # A second, better completion goes out with a later timestamp.
    again = {f"q-{q.id}": sorted(q.correct_ids) for q in quiz.questions}
    assert student.post(f"{live_rapport}/module/{quiz_page.id}/quiz", data={"lt": lt, **again}, timeout=10).status_code == 200
    test_worker(app).run_until_idle()
    scores = [s["score"] for s in requests.get(lms + "/gradebook.json", timeout=10).json()["scores"]]
    assert len(scores) == 3 and scores[-1]["scoreGiven"] == 20
    stamps = [datetime.fromisoformat(s["timestamp"]) for s in scores]
    assert stamps[0] < stamps[1] < stamps[2]
