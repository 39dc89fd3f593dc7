"""Rules that need no database: course managers, NRPS members and URLs, checklist settings, reading answers."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from lti_plugin.content import get_library
from lti_plugin.lti.nrps import parse_member, with_query
from lti_plugin.lti.roles import manages_course, role_label
from lti_plugin.services.ratings import custom_settings, read_input, row_id, sources_for

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


@pytest.fixture
def library(shipped_content):
    return get_library(shipped_content)


@pytest.mark.parametrize("roles,expected", [
    ([MEMBERSHIP + "Instructor"], True),
    (["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"], False),
    ([MEMBERSHIP + "Mentor"], False),
    ([MEMBERSHIP + "ContentDeveloper"], True),
    (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"], False),
    (["Instructor"], True),
    ([], False),
])
def test_who_runs_the_course(roles, expected) -> None:
    assert manages_course(roles) is expected


def test_role_labels() -> None:
    assert role_label([MEMBERSHIP + "Learner", MEMBERSHIP + "Learner"]) == "Learner"
    assert role_label([]) == "no course role"


@pytest.mark.parametrize("url,extra,expected", [
    ("https://lms.example.edu/nrps", {"role": "Learner"}, "https://lms.example.edu/nrps?role=Learner"),
    ("https://lms.example.edu/nrps?limit=3", {"limit": "50", "rlid": "L1"}, "https://lms.example.edu/nrps?limit=3&rlid=L1"),
    ("https://lms.example.edu/nrps?Cursor=AbC", {}, "https://lms.example.edu/nrps?Cursor=AbC"),
])
def test_query_parameters_are_added_without_touching_the_platforms_own(url, extra, expected) -> None:
    assert with_query(url, extra) == expected


def test_members_are_read_defensively() -> None:
    assert parse_member({"roles": []}) is None and parse_member("x") is None
    got = parse_member({"user_id": "u1", "roles": ["Learner", 7], "status": "Weird", "name": "<b>Ana</b>",
                        "picture": "javascript:alert(1)"})
    assert got is not None and got.roles == ("Learner",) and got.status == "Active"
    assert got.name == "<b>Ana</b>" and got.picture == ""


def test_checklist_settings_from_custom_parameters(library) -> None:
    coach_student, student_coach = library.checklist("coach-student"), library.checklist("student-coach")
    assert sources_for(coach_student) == ["coach", "sp", "self", "peer"]
    assert sources_for(student_coach) == ["student", "coach-self"]
    assert custom_settings(coach_student, {}) == ("coach", "immediate", False)
    assert custom_settings(student_coach, {}) == ("student", "all_raters", True)
    assert custom_settings(coach_student, {"rapport_rater": "sp", "rapport_release": "instructor",
                                           "rapport_confidential": "yes"}) == ("sp", "instructor", True)
    # A rater direction whose subject is not the checklist's falls back to the checklist's own.
    assert custom_settings(coach_student, {"rapport_rater": "student", "rapport_release": "soon"})[:2] == ("coach", "immediate")


def test_reading_answers(library) -> None:
    checklist = library.checklist("coach-student")
    first, second = checklist.items[0].id, checklist.items[1].id
    draft = read_input(checklist, {f"item-{first}": "na", f"item-{second}": "9", "global": "3",
                                   "comment-strengths": "  Listened\r\nwell \x07 "}, final=False)
    assert draft.items == {first: None} and draft.global_rating == 3
    assert draft.comments == {"strengths": "Listened\nwell"} and len(draft.problems) == 1
    final = read_input(checklist, {"observed_on": (date.today() + timedelta(days=3)).isoformat()}, final=True)
    assert len(final.problems) == len(checklist.items) + 2  # every item, the overall rating, the date
    assert read_input(checklist, {"comment-strengths": "x" * 5000}, final=False).comments["strengths"] == "x" * 4000


@pytest.mark.parametrize("raw,expected", [("7", 7), ("123456", 123456), (" 42 ", 42), ("0", None), ("-3", None),
                                          ("99999999999", None), ("2147483648", None), ("1e3", None), (None, None)])
def test_ids_from_forms(raw, expected) -> None:
    assert row_id(raw) == expected
