"""End to end through the practice LMS (its own process): an instructor adds the six checklists by deep
linking, reads the roster through NRPS, names an SP, imports groups and an encounter; then an SP, a coach,
a student (self and peer) and students rating their coach submit through the live app, each in their own
browser, without any script; and each sees what they may, and nothing else."""
from __future__ import annotations

from typing import Any

import requests
from bs4 import BeautifulSoup

from lti_plugin.content import get_library
from tests.helpers.grading import test_worker
from tests.integration.test_e2e_course import follow_autopost, launch, token_of
from tests.integration.test_e2e_launch import registered  # noqa: F401  (fixture)

CHECKLISTS = ("coach-student", "sp-student", "student-self", "student-peer", "student-coach", "coach-self")
GROUPS = """group,role,person
E2E Workshop A,coach,kofi.asante@example.edu
E2E Workshop A,student,ana.ribeiro@example.edu
E2E Workshop A,student,ben.okafor@example.edu
E2E Workshop B,coach,lena.novak@example.edu
E2E Workshop B,student,chen.wei@example.edu
"""
ENCOUNTERS = """encounter,role,person,date
E2E Station 1,sp,maria.santos@example.edu,2026-05-14
E2E Station 1,student,ana.ribeiro@example.edu,2026-05-14
"""


def text_of(response: requests.Response) -> str:
    return " ".join(BeautifulSoup(response.text, "html.parser").get_text(" ").split())


def browser_defaults(html: str) -> dict[str, Any]:
    """What a browser sends from a form left as it is: hidden and filled fields, checked boxes, selections."""
    form = BeautifulSoup(html, "html.parser").find("form")
    fields: dict[str, Any] = {}
    for field in form.find_all("input"):
        kind = field.get("type", "text")
        if kind in ("checkbox", "radio") and not field.has_attr("checked"):
            continue
        if field.get("name") and field.get("value") is not None:
            fields[field["name"]] = field["value"]
    for select in form.find_all("select"):
        chosen = select.find("option", selected=True) or select.find("option")
        fields[select["name"]] = chosen["value"]
    return fields


class Person:
    """Someone of the practice course with their own browser."""

    def __init__(self, lms: str, rapport: str, person_id: str, name: str) -> None:
        self.lms, self.rapport, self.id, self.name = lms, rapport, person_id, name
        self.browser = requests.Session()
        self.tokens: dict[str, str] = {}

    def open(self, title: str) -> requests.Response:
        """Open an activity from the course page, as this person."""
        page = BeautifulSoup(self.browser.get(self.lms + "/", timeout=10).text, "html.parser")
        item = [li for li in page.select("ul.activities > li.activity") if li.h3 and li.h3.get_text(strip=True) == title][-1]
        link_id = item.find("a", href=lambda h: bool(h) and h.startswith("/activity/"))["href"].rsplit("/", 1)[1]
        response = launch(self.browser, f"{self.lms}/start/{self.id}?link={link_id}")
        assert response.status_code == 200, response.text[:300]
        self.tokens[title] = token_of(response)
        return response

    def get(self, title: str, path: str, **params: Any) -> requests.Response:
        return self.browser.get(self.rapport + path, params={"lt": self.tokens[title], **params}, timeout=10)

    def post(self, title: str, path: str, data: dict[str, Any]) -> requests.Response:
        return self.browser.post(self.rapport + path, data={"lt": self.tokens[title], **data}, timeout=10)

    def rate(self, title: str, whom: str, value: int, comment: str) -> requests.Response:
        """Pick the person from the list, fill in every question of the form and submit it (no script)."""
        home = BeautifulSoup(self.get(title, "/rate").text, "html.parser")
        if "self" in title.lower():
            link = home.find("a", string=lambda s: bool(s) and "self-assessment" in s)
        else:
            link = next(a for a in home.select("#people a") if whom in a.get_text())
        form_page = BeautifulSoup(self.browser.get(self.rapport + link["href"], timeout=10).text, "html.parser")
        form = form_page.find("form", attrs={"data-rating-form": True})
        fields = {i["name"]: i.get("value", "") for i in form.find_all("input", attrs={"type": "hidden"})}
        for name in {i["name"] for i in form.find_all("input", attrs={"type": "radio"})}:
            fields[name] = str(value)
        for area in form.find_all("textarea"):
            fields[area["name"]] = comment
        response = self.browser.post(self.rapport + form["action"], data=fields, timeout=10)
        assert response.status_code == 200 and "Your rating was submitted" in response.text, response.text[:500]
        return response


def test_raters_of_every_kind_submit_through_the_live_app_and_see_only_what_they_may(app, live_rapport, registered) -> None:  # noqa: F811
    lms = registered["url"]
    requests.post(lms + "/api/reset", timeout=10)
    library = get_library(app.config["CONTENT_DIR"])
    titles = {c: library.checklist(c).title for c in CHECKLISTS}

    # The instructor adds the six checklists; the coach's rating of students is worth 10 points.
    iris = Person(lms, live_rapport, "ins-iris", "Dr Iris Mendes")
    catalogue = launch(iris.browser, f"{lms}/start/ins-iris?add=1")
    fields = browser_defaults(catalogue.text)  # the settings as the catalogue proposes them
    fields.update({"item": [f"checklist:{c}" for c in CHECKLISTS], "points-checklist:coach-student": "10"})
    answer = iris.browser.post(live_rapport + "/deep-link", timeout=10, data=fields)
    assert answer.status_code == 200
    assert "6 activities added" in follow_autopost(iris.browser, answer).text
    line_items = requests.get(lms + "/gradebook.json", timeout=10).json()["line_items"]
    assert [(i["label"], i["scoreMaximum"]) for i in line_items] == [(titles["coach-student"], 10)]

    # Course setup: the roster from the LMS, an SP named, groups and an encounter imported.
    iris.open(titles["coach-student"])
    people = iris.get(titles["coach-student"], "/course/people")
    assert "has not read this course's roster" in text_of(people)
    refreshed = iris.post(titles["coach-student"], "/course/people/refresh", {})
    assert "The roster was read from your LMS" in text_of(refreshed) and "(11 active members)" in text_of(refreshed)
    for kind, csv_text in (("groups", GROUPS), ("encounters", ENCOUNTERS)):
        done = iris.post(titles["coach-student"], f"/course/{kind}/import", {"csv": csv_text, "confirm": "yes"})
        assert done.status_code == 200 and "Imported" in text_of(done), text_of(done)[:400]

    maria = Person(lms, live_rapport, "sp-maria", "Maria Santos")
    kofi = Person(lms, live_rapport, "coach-kofi", "Dr Kofi Asante")
    ana = Person(lms, live_rapport, "stu-ana", "Ana Ribeiro")
    ben = Person(lms, live_rapport, "stu-ben", "Ben Okafor")
    chen = Person(lms, live_rapport, "stu-chen", "Chen Wei")

    # The SP rates Ana right after the station; released at once.
    maria.open(titles["sp-student"])
    assert [a.get_text(strip=True) for a in BeautifulSoup(
        maria.get(titles["sp-student"], "/rate").text, "html.parser").select("#people .person-name")] == ["Ana Ribeiro"]
    maria.rate(titles["sp-student"], "Ana Ribeiro", 4, "You waited for me to finish.")
    # The coach rates both students of the group.
    kofi.open(titles["coach-student"])
    kofi.rate(titles["coach-student"], "Ana Ribeiro", 4, "Good open questions.")
    kofi_on_ben = kofi.rate(titles["coach-student"], "Ben Okafor", 3, "Try a pause before advising.")
    kofi_on_ben_url = kofi_on_ben.url.split("?")[0]
    # Ana assesses herself, rates her group-mate, and rates her coach; so does Ben.
    ana.open(titles["student-self"])
    ana.rate(titles["student-self"], "", 3, "I rushed the ending.")
    ana.open(titles["student-peer"])
    ana.rate(titles["student-peer"], "Ben Okafor", 4, "You let me talk.")
    for student, value in ((ana, 5), (ben, 4)):
        student.open(titles["student-coach"])
        if student is ana:  # until every student of the group has rated, the coach sees nothing
            student.rate(titles["student-coach"], "Dr Kofi Asante", value, f"Coaching note {value}")
            kofi.open(titles["coach-self"])
            assert "Coaching note 5" not in text_of(kofi.get(titles["coach-self"], "/feedback"))
        else:
            student.rate(titles["student-coach"], "Dr Kofi Asante", value, f"Coaching note {value}")

    # What each sees.
    ana_feedback = text_of(ana.get(titles["student-self"], "/feedback"))
    assert "You waited for me to finish." in ana_feedback and "Maria Santos" in ana_feedback
    assert "Good open questions." in ana_feedback and "I rushed the ending." in ana_feedback
    assert "Try a pause before advising." not in ana_feedback and "You let me talk." not in ana_feedback
    ben.open(titles["coach-student"])
    ben_feedback = text_of(ben.get(titles["coach-student"], "/feedback"))
    assert "Try a pause before advising." in ben_feedback and "You let me talk." in ben_feedback
    assert "Ana Ribeiro" in ben_feedback  # peers are named unless the placement keeps raters confidential
    coach_feedback = text_of(kofi.get(titles["coach-self"], "/feedback"))
    assert "Coaching note 5" in coach_feedback and "Coaching note 4" in coach_feedback
    assert "Ana Ribeiro" not in coach_feedback and "Ben Okafor" not in coach_feedback  # students stay confidential

    # And what each cannot: another student's ratings, a coach's form, a student outside the group,
    # the instructor's pages; an SP sees no grades.
    rating_id = kofi_on_ben_url.rsplit("/", 1)[1]
    assert ana.get(titles["student-self"], f"/rate/ratings/{rating_id}").status_code == 404
    ana.open(titles["coach-student"])
    assert ana.get(titles["coach-student"], "/rate/form", subject="x").status_code in (400, 404)
    home = BeautifulSoup(ana.get(titles["coach-student"], "/rate").text, "html.parser")
    assert not home.select("#people") and not home.find("form", attrs={"data-rating-form": True})
    chen.open(titles["coach-student"])
    chen_id = _user_id(app, "stu-chen")
    assert kofi.get(titles["coach-student"], "/rate/form", subject=chen_id).status_code == 404
    assert maria.get(titles["sp-student"], "/rate/form", subject=chen_id).status_code == 404
    for person, title in ((maria, titles["sp-student"]), (kofi, titles["coach-student"]), (ana, titles["coach-student"])):
        assert person.get(title, "/course/people").status_code == 403
        assert person.get(title, "/course/groups").status_code == 403
    assert maria.get(titles["sp-student"], f"/rate/ratings/{rating_id}").status_code == 404
    for page in (maria.get(titles["sp-student"], "/rate"), maria.get(titles["sp-student"], "/feedback")):
        words = text_of(page).lower()
        assert "points" not in words and "gradebook" not in words and "grade" not in words
    instructor = text_of(iris.get(titles["coach-student"], "/rate"))
    assert "Dr Kofi Asante" in instructor and "Ratings made here (2)" in instructor

    # The coach's ratings become grades: the mean overall rating out of 5, times 10 points.
    test_worker(app).run_until_idle()
    scores = [(s["score"]["userId"], s["score"]["scoreGiven"], s["score"]["scoreMaximum"], s["status"] < 300)
              for s in requests.get(lms + "/gradebook.json", timeout=10).json()["scores"]]
    assert sorted(scores) == [("stu-ana", 8.0, 10.0, True), ("stu-ben", 6.0, 10.0, True)]


def _user_id(app: Any, sub: str) -> int:
    from sqlalchemy import select

    from lti_plugin.extensions import db
    from lti_plugin.models import User

    with app.app_context():
        return int(db.session.scalar(select(User.id).where(User.sub == sub)))
