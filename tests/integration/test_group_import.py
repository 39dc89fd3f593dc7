"""Workshop groups and encounters from CSV: line-numbered problems, a preview, then all or nothing."""
from __future__ import annotations

import io

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from lti_plugin.extensions import db
from lti_plugin.models import CourseRole, Encounter, GroupMember, WorkshopGroup
from tests.helpers.lti import page_text
from tests.helpers.ratings import RatingCourse

GOOD = """group,role,person
Workshop C,coach,kofi@example.edu
Workshop C,student,ANA@example.edu
Workshop C,student,ben
Workshop A,coach,lena@example.edu
Workshop A,student,chen@example.edu
"""


@pytest.fixture
def course(app, client, platform) -> RatingCourse:
    built = RatingCourse(app, client, platform)
    built.set_up()
    return built


def members(app, name: str) -> list[tuple[str, str]]:
    with app.app_context():
        group = db.session.scalar(select(WorkshopGroup).where(WorkshopGroup.name == name))
        return sorted((m.user.sub, m.role) for m in group.members) if group else []


def test_a_good_file_is_previewed_then_applied(app, course) -> None:
    before = members(app, "Workshop A")
    preview = course.post("iris", "/course/groups/import", {"csv": GOOD})
    assert preview.status_code == 200
    text = page_text(preview)
    assert "Preview" in text and "Workshop C (new)" in text and "Workshop A (exists: its 3 members are replaced)" in text
    assert members(app, "Workshop C") == [] and members(app, "Workshop A") == before  # nothing changed yet
    form = BeautifulSoup(preview.get_data(as_text=True), "html.parser").find("input", attrs={"name": "confirm"}).parent
    confirm = {i["name"]: i.get("value", "") for i in form.find_all("input")}
    confirm["csv"] = form.find("textarea").get_text()
    done = course.client.post("/course/groups/import", data=confirm)
    assert done.status_code == 303 and "imported=5" in done.headers["Location"]
    assert members(app, "Workshop C") == [("ana", "student"), ("ben", "student"), ("kofi", "coach")]
    assert members(app, "Workshop A") == [("chen", "student"), ("lena", "coach")]
    assert members(app, "Workshop B") == [("chen", "student"), ("lena", "coach")]  # not in the file: untouched
    # The coach of a new group rates its students at once.
    listed = BeautifulSoup(course.get("kofi", "/rate", "coach-student").get_data(as_text=True), "html.parser")
    assert [n.get_text(strip=True) for n in listed.select("#people .person-name")] == ["Ana Ribeiro", "Ben Okafor"]


def test_every_problem_is_reported_with_its_line_and_nothing_is_imported(app, course) -> None:
    bad = ("group,role,person\n"
           "Workshop C,coach,kofi@example.edu\n"
           ",student,ana@example.edu\n"
           "Workshop C,tutor,ben@example.edu\n"
           "Workshop C,student,nobody@example.edu\n"
           "Workshop C,coach,lena@example.edu\n"
           "Workshop C,coach,maria@example.edu\n"
           "\n"
           "Workshop C,student,kofi@example.edu\n")
    with app.app_context():
        groups_before = db.session.scalar(select(db.func.count(WorkshopGroup.id)))
        members_before = db.session.scalar(select(db.func.count(GroupMember.id)))
    for confirm in ("", "yes"):  # a forged confirmation of a bad file does not import it either
        response = course.post("iris", "/course/groups/import", {"csv": bad, "confirm": confirm})
        assert response.status_code == 422
        problems = [li.get_text(" ", strip=True) for li in
                    BeautifulSoup(response.get_data(as_text=True), "html.parser").select(".problems li")]
        assert problems == [
            "Line 3: the group name is empty.",
            "Line 4: the role must be coach or student, not 'tutor'.",
            "Line 5: nobody in this course has the email or LMS user id 'nobody@example.edu' "
            "(refresh the roster on the People page if they joined recently).",
            "Line 9: Dr Kofi Asante is already in Workshop C (line 2).",
            "Workshop C has 3 coaches (lines 2, 6, 7); a group has one or two.",
        ]
    with app.app_context():
        assert db.session.scalar(select(db.func.count(WorkshopGroup.id))) == groups_before
        assert db.session.scalar(select(db.func.count(GroupMember.id))) == members_before


@pytest.mark.parametrize("text,problem", [
    ("", "The file is empty"),
    ("name,who\nA,b\n", "Line 1: the first line must name the columns group,role,person (missing: group, role, person)."),
    ("group,role,person\n\"Workshop C,coach,kofi\n", "not valid CSV"),
])
def test_malformed_files(course, text, problem) -> None:
    response = course.post("iris", "/course/groups/import", {"csv": text})
    assert response.status_code == 422 and problem in page_text(response)


def test_encounters_from_an_uploaded_file_with_dates_and_named_sps(app, course) -> None:
    upload = ("\ufeffencounter,role,person,date\n"
              "Station 2,sp,tomas@example.edu,2026-06-02\n"
              "Station 2,student,chen@example.edu,2026-06-02\n"
              "Station 3,sp,tomas@example.edu,02/06/2026\n").encode("utf-8")
    response = course.post("iris", "/course/encounters/import",
                           {"file": (io.BytesIO(upload), "stations.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Line 4: the date must look like 2026-05-14, not '02/06/2026'." in page_text(response)
    good = upload.replace(b"02/06/2026", b"")
    response = course.post("iris", "/course/encounters/import",
                           {"file": (io.BytesIO(good), "stations.csv"), "confirm": "yes"}, content_type="multipart/form-data")
    assert response.status_code == 303
    with app.app_context():
        station = db.session.scalar(select(Encounter).where(Encounter.name == "Station 2"))
        assert str(station.occurs_on) == "2026-06-02"
        assert sorted((m.user.sub, m.role) for m in station.members) == [("chen", "student"), ("tomas", "sp")]
        roles = {(r.user.sub, r.role) for r in db.session.scalars(select(CourseRole))}
        assert ("tomas", "sp") in roles
    text = page_text(course.get("tomas", "/rate", "sp-student"))
    assert "Chen Wei" in text and "Station 2" in text


def test_a_group_has_at_most_two_coaches_through_the_form_too(course) -> None:
    group_a = course.row_ids("groups")[0]
    assert course.post("iris", f"/course/groups/{group_a}/members",
                       {"user": course.user_id("lena"), "role": "coach"}).status_code == 303
    third = course.post("iris", f"/course/groups/{group_a}/members", {"user": course.user_id("maria"), "role": "coach"})
    assert third.status_code == 422 and "one or two" in page_text(third)
