"""Feedback reports with real launches and real ratings: what the student, their coach and the instructor see,
the reflection, release rules and confidential raters, the coach's view, and who is refused."""
from __future__ import annotations

import statistics

from bs4 import BeautifulSoup

from lti_plugin.models.reflections import REFLECTION_LIMIT
from tests.helpers.ratings import RatingCourse
from tests.helpers.reports import cell
from tests.integration.test_ratings_flow import course, library  # noqa: F401  (fixtures)


def soup(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def heat(page, skill: str) -> dict[str, str]:
    row = page.find("table", id="heatmap").find("tr", attrs={"data-skill": skill})
    return {name: cell(row, name) for name in ("self", "peer", "coach", "sp", "others", "gap")}


def rated(course: RatingCourse, library, station: int) -> None:
    """Ana rated by herself (2), her coach (4), her classmate Ben (3) and the SP in Station 1 (5)."""
    for person, checklist, value, extra in (("ana", "student-self", 2, {}), ("kofi", "coach-student", 4, {}),
                                            ("ben", "student-peer", 3, {}), ("maria", "sp-student", 5, {"encounter": station})):
        response = course.submit(person, checklist, "ana" if person != "ana" else "ana", library, value=value, **extra)
        assert response.status_code == 201, response.get_data(as_text=True)


def test_the_student_sees_every_source_side_by_side_with_the_gap(course, library) -> None:
    station = course.row_ids("encounters")[0]
    rated(course, library, station)
    page = soup(course.get("ana", "/report", "student-self"))
    assert page.find("h1").get_text(strip=True) == "Your feedback report"
    # answers(): every item at the value, the first item N/A; the overall rating at the value too
    first = library.checklist("coach-student").items[0].skill
    second = library.checklist("coach-student").items[1].skill
    assert heat(page, first)["self"] == "—"
    assert heat(page, second) == {"self": "2.00 (n=1)", "peer": "3.00 (n=1)", "coach": "4.00 (n=1)",
                                  "sp": "5.00 (n=1)", "others": "4.00 (n=3)",
                                  "gap": "−2.00 (you rate yourself lower)"}
    assert heat(page, "overall")["gap"] == "−2.00 (you rate yourself lower)"
    assert "Where you and others differ most" in page.get_text(" ")
    # every chart points at a table that exists, one per skill and the overall rating
    charts = page.select("svg[data-table]")
    assert len(charts) == 1 + len(library.checklist("coach-student").items)
    for svg in charts:
        assert page.find("table", id=svg["data-table"]) is not None
    # the over-time table: the workshop day (self, peer, coach) and the SP station are two occasions
    table = page.find("table", id=f"skill-{second}")
    labels = [th.get_text(strip=True) for th in table.select("tbody th")]
    assert "Station 1" in labels and len(labels) == 2
    station_row = table.select("tbody tr")[labels.index("Station 1")]
    assert cell(station_row, "sp") == "5.00 (n=1)" and cell(station_row, "coach") == "—"
    # comments with the rater's name (nothing here is confidential), the student's own marked as self
    comments = page.select(".report-comment")
    assert len(comments) == 4
    assert any("Dr Kofi Asante" in c.get_text(" ") for c in comments)


def test_only_released_ratings_and_confidential_names_hidden_from_the_student(course, library) -> None:
    course.custom["coach-student"] = {"rapport_release": "instructor", "rapport_confidential": "true"}
    course.tokens.pop(("kofi", "coach-student"), None)
    course.tokens.pop(("iris", "coach-student"), None)
    assert course.submit("kofi", "coach-student", "ana", library, value=4).status_code == 201
    page = soup(course.get("ana", "/report", "student-self"))
    assert "No rating has been released to you yet" in page.get_text(" ")
    assert not page.select(".report-comment")
    released = course.post("iris", "/rate/release", {"submission": "all"})
    assert released.status_code == 303
    page = soup(course.get("ana", "/report", "student-self"))
    assert heat(page, "overall")["coach"] == "4.00 (n=1)"
    text = page.get_text(" ")
    assert "Dr Kofi Asante" not in text and "(name kept confidential)" in text
    # the instructor sees the same ratings with the rater's name
    staff = soup(course.get("iris", f"/report/{course.user_id('ana')}"))
    assert "Dr Kofi Asante" in staff.get_text(" ")
    assert heat(staff, "overall")["coach"] == "4.00 (n=1)"


def test_the_reflection_is_saved_edited_limited_and_read_by_coach_and_instructor(course, library) -> None:
    ana = course.user_id("ana")
    page = soup(course.get("ana", "/report", "student-self"))
    assert "the coaches of your workshop groups and your course's instructors" in page.get_text(" ")
    form = page.find("form", action=lambda a: a and a.startswith("/report/reflection"))
    assert form.find("input", attrs={"name": "lt"}) is not None  # the launch token guards the form
    saved = course.post("ana", "/report/reflection", {"reflection": "I listen well; I rush advice."}, "student-self")
    assert saved.status_code == 303
    page = soup(course.get("ana", "/report", "student-self"))
    assert page.find("textarea").get_text() == "I listen well; I rush advice."
    assert course.post("ana", "/report/reflection", {"reflection": "Now: slow down <b>first</b>."},
                       "student-self").status_code == 303
    too_long = course.post("ana", "/report/reflection", {"reflection": "x" * (REFLECTION_LIMIT + 15)}, "student-self")
    assert too_long.status_code == 422
    shown = BeautifulSoup(too_long.get_data(as_text=True), "html.parser")
    assert f"at most {REFLECTION_LIMIT}" in shown.find(attrs={"role": "alert"}).get_text()
    assert "Shorten it by 15 characters" in shown.get_text(" ")
    assert shown.find("textarea").get_text() == "x" * (REFLECTION_LIMIT + 15)  # nothing typed is lost
    for reader in ("kofi", "iris"):
        other = soup(course.get(reader, f"/report/{ana}"))
        quote = other.find("blockquote", class_="reflection-text")
        assert quote.get_text() == "Now: slow down <b>first</b>."  # kept as text, printed escaped
        assert other.find("textarea") is None
    # nobody but the student writes it; without the launch token nothing is written
    assert course.post("iris", "/report/reflection", {"reflection": "hijack"}).status_code == 403
    assert course.client.post("/report/reflection", data={"reflection": "forged"}).status_code == 401
    assert course.post("ana", "/report/reflection", {"reflection": "  "}, "student-self").status_code == 303
    assert "has not written a reflection yet" in soup(course.get("iris", f"/report/{ana}")).get_text(" ")


def test_who_may_open_a_report(course) -> None:
    ana, chen, zed = course.user_id("ana"), course.user_id("chen"), course.user_id("zed")
    assert course.get("kofi", f"/report/{ana}").status_code == 200  # her group's coach
    assert course.get("iris", f"/report/{ana}").status_code == 200  # the instructor
    assert course.get("ana", f"/report/{ana}", "student-self").status_code == 200
    assert course.get("lena", f"/report/{ana}").status_code == 404  # a coach of another group
    assert course.get("lena", f"/report/{chen}").status_code == 200
    assert course.get("ben", f"/report/{ana}", "student-peer").status_code == 404  # a classmate
    assert course.get("maria", f"/report/{ana}", "sp-student").status_code == 404  # an SP
    assert course.get("olga", f"/report/{ana}").status_code == 404  # another course's instructor
    assert course.get("iris", f"/report/{zed}").status_code == 404  # a student of another course
    assert course.get("iris", f"/report/{course.user_id('kofi')}").status_code == 404  # not a student
    assert course.get("iris", "/report/99999999999").status_code == 404
    assert course.client.get(f"/report/{ana}").status_code == 401
    assert course.get("zed", "/coaching").status_code == 403  # not a coach
    instructor = course.get("iris", "/coaching")  # an instructor who coaches nobody: the list of coaches
    assert instructor.status_code == 303 and instructor.headers["Location"].startswith("/coaching/coaches")


def test_the_coach_sees_their_groups_who_is_waiting_and_what_students_said(course, library) -> None:
    station = course.row_ids("encounters")[0]
    for person, checklist in (("ana", "student-self"), ("ben", "student-peer"), ("maria", "sp-student"),
                              ("kofi", "coach-student"), ("ana", "student-coach"), ("kofi", "coach-self")):
        course.launch(person, checklist)  # every placement exists in the course
    assert course.submit("kofi", "coach-student", "ana", library, value=4).status_code == 201
    assert course.submit("ana", "student-coach", "kofi", library, value=5).status_code == 201
    page = soup(course.get("kofi", "/coaching"))
    (group,) = page.select("section h2")[:1]
    assert group.get_text(strip=True) == "Workshop A"
    rows = {r["data-student"]: r for r in page.select("table.coach-table tbody tr")}
    ana, ben = str(course.user_id("ana")), str(course.user_id("ben"))
    assert set(rows) == {ana, ben}  # Chen is in Workshop B
    assert cell(rows[ana], "coach").startswith("4 on") and cell(rows[ben], "coach") == "—"
    waiting_ben = cell(rows[ben], "waiting")
    assert "Coach (" in waiting_ben and "not yet rated by Dr Kofi Asante" in waiting_ben
    assert "Self-assessment (" in waiting_ben and "Station 1: not yet rated by Maria Santos" in waiting_ben
    assert "1 of 1 classmates have not rated yet" in waiting_ben
    assert "not yet rated by Dr Kofi Asante" not in cell(rows[ana], "waiting")
    # Ana's rating of her coach waits for Ben's (the default for this checklist), then both show, unnamed
    feedback = page.find(id="coaching-feedback").find_next("p").get_text(" ")
    assert "0 released ratings" in feedback and "1 more is submitted" in feedback
    assert course.submit("ben", "student-coach", "kofi", library, value=3).status_code == 201
    page = soup(course.get("kofi", "/coaching"))
    table = page.find("table", id="coaching-skills")
    overall = table.find("tr", attrs={"data-skill": "overall"})
    assert cell(overall, "students") == f"{statistics.fmean([5, 3]):.2f}" and cell(overall, "n") == "2"
    comments = [c.get_text(" ") for c in page.select(".report-comment")]
    assert len(comments) == 2 and all("(name kept confidential)" in c for c in comments)
    assert not any(name in c for c in comments for name in ("Ana Ribeiro", "Ben Okafor"))
    assert course.submit("kofi", "coach-self", "kofi", library, value=2).status_code == 201
    page = soup(course.get("kofi", "/coaching"))
    overall = page.find("table", id="coaching-skills").find("tr", attrs={"data-skill": "overall"})
    assert cell(overall, "self") == "2.00"
