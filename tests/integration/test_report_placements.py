"""Reaching the feedback reports the way a course offers them: the report activities of the deep-linking catalogue,
launched by each kind of person; the report link in a student's course tools; an instructor reading any coach's
coaching view, and who is refused."""
from __future__ import annotations

from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from tests.helpers.lti import INSTRUCTOR, page_text
from tests.helpers.platform import deep_linking_launch
from tests.helpers.ratings import RatingCourse
from tests.helpers.reports import cell
from tests.integration.test_deep_linking import decode, settings
from tests.integration.test_ratings_flow import course, library  # noqa: F401  (fixtures)


def soup(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def opened(course: RatingCourse, person: str, view: str):
    """Open a report placement as the LMS does (the launch, then the page it leads to): (final path, response)."""
    response = course.client.get("/home", query_string={"lt": course.launch_report(person, view)}, follow_redirects=True)
    return response.request.path, response


def course_tools(page) -> list[str]:
    nav = page.find("nav", attrs={"aria-label": "Course tools"})
    return [a.get_text(strip=True) for a in nav.find_all("a")] if nav else []


def test_the_catalogue_offers_the_reports_without_a_gradebook_column(app, client, platform) -> None:
    token = deep_linking_launch(client, platform, settings(), [INSTRUCTOR])
    page = soup(client.get(f"/deep-link?lt={token}"))
    section = next(f for f in page.select("form > fieldset") if f.legend.get_text(strip=True) == "Feedback reports")
    entries = {e.find("input", attrs={"name": "item"})["value"]: e for e in section.select(".catalogue-entry")}
    assert list(entries) == ["report:feedback", "report:coaching"]
    assert "Your feedback report" in entries["report:feedback"].get_text(" ")
    assert "Your coaching groups" in entries["report:coaching"].get_text(" ")
    for entry in entries.values():
        assert entry.find("input", attrs={"type": "number"}) is None  # no points to set
        assert "no gradebook column" in entry.get_text(" ") and "min" not in entry.select_one(".meta").get_text()
    # chosen beside a graded module, even with points sent for them, they carry no line item and no points
    response = client.post("/deep-link", data={
        "lt": token, "item": ["report:feedback", "report:coaching", "module:foundations"],
        "points-report:feedback": "50", "points-module:foundations": "20", "target": "iframe"})
    report, coaching, module = decode(client, response)["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert report["title"] == "Your feedback report" and coaching["title"] == "Your coaching groups"
    assert report["custom"] == {"rapport_kind": "report", "rapport_id": "feedback"}
    assert coaching["custom"] == {"rapport_kind": "report", "rapport_id": "coaching"}
    assert "lineItem" not in report and "lineItem" not in coaching and "iframe" in report
    assert module["lineItem"]["scoreMaximum"] == 20.0
    # a report id Rapport does not have is refused, not added
    unknown = client.post("/deep-link", data={"lt": token, "item": "report:grades"})
    assert unknown.status_code == 422 and "no report 'grades'" in page_text(unknown)


def test_the_feedback_report_activity_opens_what_fits_each_person(course, library) -> None:
    assert course.submit("kofi", "coach-student", "ana", library, value=4).status_code == 201
    path, page = opened(course, "ana", "feedback")  # a student: her own report
    assert path == "/report" and soup(page).find("h1").get_text(strip=True) == "Your feedback report"
    assert cell(soup(page).find("table", id="heatmap").find("tr", attrs={"data-skill": "overall"}), "coach") == "4.00 (n=1)"
    path, page = opened(course, "kofi", "feedback")  # a coach (a teaching assistant in the LMS): his groups
    assert path == "/coaching" and soup(page).find("h1").get_text(strip=True) == "Your coaching groups"
    path, page = opened(course, "lena", "feedback")  # a coach enrolled as a mentor
    assert path == "/coaching"
    path, page = opened(course, "iris", "feedback")  # the instructor: the learners, each with their report
    assert path == "/dashboard/learners"
    row = soup(page).find("tr", attrs={"data-user": str(course.user_id("ana"))})
    link = row.find("a", class_="report-link")
    assert link["href"].startswith(f"/report/{course.user_id('ana')}?")
    assert course.client.get(link["href"]).status_code == 200
    for person in ("maria", "tomas"):  # standardized patients: a page that says what the activity is for
        path, page = opened(course, person, "feedback")
        assert path == "/report/open" and page.status_code == 200
        text = page_text(page)
        assert "there is no report here for you" in text and "standardized patient" in text
        assert not soup(page).find("table")


def test_the_coaching_activity_opens_the_coachs_view_or_the_list_of_coaches(course, library) -> None:
    path, page = opened(course, "kofi", "coaching")
    assert path == "/coaching" and [h.get_text(strip=True) for h in soup(page).select("section h2")] == ["Workshop A"]
    path, page = opened(course, "iris", "coaching")  # the instructor: every coach, each with a link to their view
    assert path == "/coaching/coaches"
    rows = {r["data-coach"]: r for r in soup(page).select("#coaches tbody tr")}
    assert set(rows) == {str(course.user_id("kofi")), str(course.user_id("lena"))}
    assert cell(rows[str(course.user_id("kofi"))], "groups") == "Workshop A"
    path, page = opened(course, "ben", "coaching")  # a student (a peer): told what it is for, and where his report is
    assert path == "/report/open" and page.status_code == 200
    assert "You are not one of this course's coaches" in page_text(page)
    assert soup(page).find("a", string="Your own feedback report")["href"].startswith("/report?")
    path, page = opened(course, "maria", "coaching")
    assert path == "/report/open" and page.status_code == 200 and "ask an instructor to name you a coach" in page_text(page)


def test_a_student_finds_the_report_in_the_course_tools_once_a_rating_is_released(course, library) -> None:
    course.custom["coach-student"] = {"rapport_release": "instructor"}
    for person in ("kofi", "iris"):
        course.tokens.pop((person, "coach-student"), None)
    assert course.submit("kofi", "coach-student", "ana", library, value=3).status_code == 201
    assert "Your feedback report" not in course_tools(soup(course.get("ana", "/rate", "student-self")))
    assert course.post("iris", "/rate/release", {"submission": "all"}).status_code == 303
    for url in ("/rate", "/feedback", "/report"):
        tools = course_tools(soup(course.get("ana", url, "student-self")))
        assert tools == ["Your feedback report"], (url, tools)
    own = soup(course.get("ana", "/report", "student-self")).find("nav", attrs={"aria-label": "Course tools"}).a
    assert own.get("aria-current") == "page"
    assert "Your feedback report" not in course_tools(soup(course.get("ben", "/rate", "student-self")))  # nothing released
    assert course_tools(soup(course.get("kofi", "/rate"))) == ["Course dashboard", "Your coaching groups"]


def coach_page_figures(page) -> dict[str, list[str]]:
    """Every cell of the coaching view's tables, by table id."""
    return {t["id"]: [" ".join(c.get_text(" ").split()) for c in t.select("tbody td, tbody th")]
            for t in page.select("table[id]")}


def test_an_instructor_reads_any_coachs_view_with_the_coachs_figures(course, library) -> None:
    for person, checklist in (("ana", "student-self"), ("ben", "student-peer"), ("kofi", "coach-self"),
                              ("ana", "student-coach")):
        course.launch(person, checklist)
    assert course.submit("kofi", "coach-student", "ana", library, value=4).status_code == 201
    assert course.submit("ana", "student-coach", "kofi", library, value=5).status_code == 201
    assert course.submit("kofi", "coach-self", "kofi", library, value=3).status_code == 201
    kofi = course.user_id("kofi")
    own = soup(course.get("kofi", "/coaching"))
    seen = soup(course.get("iris", "/coaching", coach=kofi))
    assert coach_page_figures(seen) == coach_page_figures(own) and coach_page_figures(own)["coaching-skills"]
    assert seen.find("h1").get_text(strip=True) == "Dr Kofi Asante: coaching groups"
    assert "read-only" in seen.get_text(" ") and not seen.select("main form")
    assert "What students said about Dr Kofi Asante's coaching" in seen.get_text(" ")
    # the comments are the coach's too: names stay hidden where the coach's view hides them
    assert [c.get_text(" ") for c in seen.select(".report-comment")] == [c.get_text(" ") for c in own.select(".report-comment")]
    # the ways in: the people page and the dashboard's list of coaches
    people = soup(course.get("iris", "/course/people"))
    link = people.find("li", id=f"person-{kofi}").find("a", class_="coach-view-link")
    assert link["href"].startswith(f"/coaching?coach={kofi}")
    assert people.find("li", id=f"person-{course.user_id('ana')}").find("a", class_="coach-view-link") is None
    assert soup(course.get("iris", "/dashboard")).find("nav", class_="dash-nav").find("a", string="Coaches")


def test_another_coachs_view_is_refused_to_everyone_but_the_courses_instructors(course) -> None:
    kofi = str(course.user_id("kofi"))
    assert course.get("kofi", "/coaching", coach=kofi).status_code == 200  # his own, by id
    assert course.get("lena", "/coaching", coach=kofi).status_code == 403  # another coach
    assert course.get("ana", "/coaching", "student-self", coach=kofi).status_code == 403  # his student
    assert course.get("maria", "/coaching", "sp-student", coach=kofi).status_code == 403  # an SP
    assert course.get("olga", "/coaching", coach=kofi).status_code == 404  # an instructor of another course
    assert course.get("olga", "/coaching/coaches").status_code == 200  # ...whose list has none of this course's
    assert "Dr Kofi Asante" not in page_text(course.get("olga", "/coaching/coaches"))
    for wrong in (str(course.user_id("ana")), "99999999999", "abc", "-1", ""):  # not a coach, not an id
        assert course.get("iris", "/coaching", coach=wrong).status_code == 404, wrong
    assert course.get("kofi", "/coaching/coaches").status_code == 403  # the list is for instructors
    assert course.client.get("/coaching", query_string={"coach": kofi}).status_code == 401
    assert urlsplit(course.get("iris", "/coaching").headers["Location"]).path == "/coaching/coaches"
