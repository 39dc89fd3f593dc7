"""Rating through checklist placements with real launches: whom each rater may rate, the form, drafts,
submissions and corrections, release modes, confidential raters, grades through the outbox."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from lti_plugin.content import get_library
from lti_plugin.extensions import db
from lti_plugin.models import RatingDraft, RatingEvent, RatingSubmission, ScoreDelivery
from tests.helpers.lti import page_text
from tests.helpers.platform import AGS
from tests.helpers.ratings import RatingCourse, answers


@pytest.fixture
def library(app):
    return get_library(app.config["CONTENT_DIR"])


@pytest.fixture
def course(app, client, platform) -> RatingCourse:
    built = RatingCourse(app, client, platform)
    built.set_up()
    return built


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def listed(course: RatingCourse, person: str, checklist: str) -> list[str]:
    page = soup(course.get(person, "/rate", checklist))
    return [n.get_text(strip=True) for n in page.select("#people .person-name")]


def station(course: RatingCourse) -> int:
    return course.row_ids("encounters")[0]


def test_each_rater_is_offered_exactly_the_people_they_may_rate(course) -> None:
    assert listed(course, "kofi", "coach-student") == ["Ana Ribeiro", "Ben Okafor"]
    assert listed(course, "lena", "coach-student") == ["Chen Wei"]
    assert listed(course, "maria", "sp-student") == ["Ana Ribeiro", "Ben Okafor"]
    assert listed(course, "ana", "student-peer") == ["Ben Okafor"]
    assert listed(course, "chen", "student-peer") == ["Ana Ribeiro"]  # assigned, not in her group
    assert listed(course, "ben", "student-coach") == ["Dr Kofi Asante"]
    assert listed(course, "tomas", "sp-student") == []  # an SP without encounters
    assert "nobody for you to rate" in page_text(course.get("tomas", "/rate", "sp-student"))
    # Not a rater of this placement: a student opening the coach's checklist sees no list, no form.
    page = course.get("ana", "/rate", "coach-student")
    assert page.status_code == 200 and not soup(page).select("#people")
    assert course.get("ana", "/rate/form", "coach-student", subject=course.user_id("ben")).status_code == 404
    # Ids that do not fit a database column are refused, not an error page.
    assert course.get("kofi", "/rate/ratings/99999999999999").status_code == 404
    assert course.get("kofi", "/rate/form", "coach-student", subject="99999999999999").status_code == 400


def test_the_search_works_without_script_and_shows_photos_and_names(course) -> None:
    page = soup(course.get("kofi", "/rate", "coach-student", q="ben"))
    assert [n.get_text(strip=True) for n in page.select("#people .person-name")] == ["Ben Okafor"]
    assert "1 of 2 match" in page.get_text(" ")
    search = page.find("form", attrs={"role": "search"})
    assert search["method"] == "get" and search.find("input", attrs={"name": "lt"}) is not None
    assert page.find("label", attrs={"for": "q"}) is not None


def test_the_form_is_built_from_the_checklist_with_every_field_labelled(course, library) -> None:
    checklist = library.checklist("coach-student")
    page = soup(course.get("kofi", "/rate/form", "coach-student", subject=course.user_id("ana")))
    form = page.find("form", attrs={"data-rating-form": True})
    fieldsets = form.find_all("fieldset")
    assert len(fieldsets) == len(checklist.items) + 1
    for item, fieldset in zip(checklist.items, fieldsets):
        skill = library.skill(item.skill)
        assert skill.name in fieldset.legend.get_text() and item.prompt in fieldset.legend.get_text()
        radios = fieldset.find_all("input", attrs={"type": "radio"})
        assert [r["value"] for r in radios] == ["1", "2", "3", "4", "5", "na"]
        assert all(r["name"] == f"item-{item.id}" for r in radios)
        for level, anchor in skill.anchors.items():
            assert anchor in fieldset.find("label", attrs={"for": f"item-{item.id}-{level}"}).get_text()
    assert checklist.global_rating.prompt in fieldsets[-1].legend.get_text()
    for field in form.select("input:not([type=hidden]), textarea, select"):
        assert page.find("label", attrs={"for": field["id"]}), field
    for prompt in checklist.comments:
        assert prompt.prompt in page.find("label", attrs={"for": f"comment-{prompt.id}"}).get_text()
    assert not page.select("script:not([src])") and not page.select("[onclick], [onchange], [oninput]")
    assert not [t for t in page.select("[tabindex]") if int(t["tabindex"]) > 0]
    assert page.find("script", src=lambda s: s and "rating-form.js" in s)


def test_a_draft_without_script_is_saved_and_comes_back(app, course, library) -> None:
    checklist = library.checklist("coach-student")
    ana = course.user_id("ana")
    page = soup(course.get("kofi", "/rate/form", "coach-student", subject=ana))
    client_id = page.find("input", attrs={"name": "client_id"})["value"]
    partial = {"client_id": client_id, "subject": str(ana), f"item-{checklist.items[1].id}": "3",
               "comment-strengths": "Kept eye contact"}
    saved = course.post("kofi", "/rate/draft", partial)
    assert saved.status_code == 303 and "saved=1" in saved.headers["Location"]
    again = soup(course.get("kofi", "/rate/form", "coach-student", subject=ana))
    assert again.find("input", attrs={"name": "client_id"})["value"] == client_id
    assert again.find("input", attrs={"id": f"item-{checklist.items[1].id}-3"}).has_attr("checked")
    assert again.find("textarea", attrs={"id": "comment-strengths"}).get_text() == "Kept eye contact"
    # Submitting with questions left out keeps everything and says what is missing.
    refused = course.post("kofi", "/rate/submit", partial)
    assert refused.status_code == 422 and "Choose a rating or N/A" in page_text(refused)
    assert soup(refused).find("textarea", attrs={"id": "comment-strengths"}).get_text() == "Kept eye contact"
    done = course.post("kofi", "/rate/submit", {**answers(checklist), "client_id": client_id, "subject": str(ana)})
    assert done.status_code == 303 and "submitted=1" in done.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(RatingDraft)) is None  # the draft is gone once submitted
        row = db.session.scalar(select(RatingSubmission))
        assert row.client_id == client_id and row.answers[0].value is None and row.global_rating == 4


def test_json_drafts_from_the_script(course, library) -> None:
    ana = course.user_id("ana")
    headers = {"X-Rapport-Launch": course.launch("kofi", "coach-student"), "Accept": "application/json"}
    saved = course.client.post("/rate/draft", json={"client_id": "abc12345-draft", "subject": ana, "global": "2"},
                               headers=headers)
    assert saved.status_code == 200 and saved.get_json()["submitted"] is False
    outsider = course.client.post("/rate/draft", json={"client_id": "abc12345-chen", "subject": course.user_id("chen")},
                                  headers=headers)
    assert outsider.status_code == 404 and "cannot rate this person" in outsider.get_json()["error"]
    bad_id = course.client.post("/rate/draft", json={"client_id": "<x>", "subject": ana}, headers=headers)
    assert bad_id.status_code == 400


def test_release_immediately_and_by_the_instructor(app, course, library) -> None:
    assert course.submit("kofi", "coach-student", "ana", library).status_code == 201
    assert "Dr Kofi Asante" in page_text(course.get("ana", "/feedback"))
    # The SP placement releases only when the instructor says so.
    course.custom["sp-student"] = {"rapport_release": "instructor"}
    course.tokens.pop(("iris", "sp-student"), None)
    course.tokens.pop(("maria", "sp-student"), None)
    assert course.submit("maria", "sp-student", "ben", library, encounter=station(course), value=3).status_code == 201
    assert "Maria Santos" not in page_text(course.get("ben", "/feedback"))
    home = soup(course.get("iris", "/rate", "sp-student"))
    assert "Release the 1 waiting rating" in home.get_text(" ")
    assert course.post("iris", "/rate/release", {"submission": "all"}, "sp-student").status_code == 303
    text = page_text(course.get("ben", "/feedback"))
    assert "Maria Santos" in text and "Station 1" in text and "14 May 2026" in text
    with app.app_context():
        events = [e.action for e in db.session.scalars(select(RatingEvent).order_by(RatingEvent.id))]
        assert events.count("submitted") == 2 and events.count("released") == 2


def test_students_ratings_of_their_coach_wait_for_the_whole_group_and_hide_names(app, course, library) -> None:
    # student -> coach defaults: released once all the group's students rated, names confidential.
    assert course.submit("ana", "student-coach", "kofi", library, value=5).status_code == 201
    assert "Feedback" in page_text(course.get("kofi", "/feedback")) and "5 · Exemplary" not in page_text(
        course.get("kofi", "/feedback"))
    assert course.submit("ben", "student-coach", "kofi", library, value=3).status_code == 201
    text = page_text(course.get("kofi", "/feedback"))
    assert "5 · Exemplary" in text and "3 · Developing" in text
    assert "Ana Ribeiro" not in text and "Ben Okafor" not in text and "name kept confidential" in text
    # Instructors always see who said what.
    instructor = page_text(course.get("iris", "/rate", "student-coach"))
    assert "Ana Ribeiro" in instructor and "Ben Okafor" in instructor


def test_a_correction_is_a_new_version_and_the_first_is_kept(app, course, library) -> None:
    first = course.submit("kofi", "coach-student", "ana", library, value=2).get_json()
    form = soup(course.get("kofi", "/rate/form", "coach-student", corrects=first["id"]))
    assert form.find("input", attrs={"name": "corrects"})["value"] == str(first["id"])
    assert form.find("input", attrs={"id": "global-2"}).has_attr("checked")  # starts from the first version
    second = course.submit("kofi", "coach-student", "ana", library, value=4, corrects=str(first["id"]),
                           client_id="correction-0001")
    assert second.status_code == 201
    again = course.submit("kofi", "coach-student", "ana", library, value=5, corrects=str(first["id"]),
                          client_id="correction-0002")
    assert again.status_code == 409  # only the latest version can be corrected
    with app.app_context():
        rows = list(db.session.scalars(select(RatingSubmission).order_by(RatingSubmission.id)))
        assert [(r.version, r.global_rating, r.is_current) for r in rows] == [(1, 2, False), (2, 4, True)]
        assert rows[0].series == rows[1].series
    text = page_text(course.get("ana", "/feedback"))
    assert "4 · Consistent" in text and "2 · Emerging" not in text
    instructor = page_text(course.get("iris", f"/rate/ratings/{second.get_json()['id']}", "coach-student"))
    assert "Other versions" in instructor and "2 · Emerging" in instructor


def test_self_assessment_and_coach_self_assessment(course, library) -> None:
    page = soup(course.get("ana", "/rate", "student-self"))
    assert page.find("a", string=lambda s: s and "self-assessment" in s)
    assert course.submit("ana", "student-self", "ana", library).status_code == 201
    assert course.submit("ana", "student-self", "ben", library).status_code == 404  # self means self
    assert course.submit("kofi", "coach-self", "kofi", library).status_code == 201
    assert course.submit("ana", "coach-self", "ana", library).status_code == 404  # a student is not a coach


def test_a_graded_placement_sends_the_mean_overall_rating_through_the_outbox(app, course, library) -> None:
    claim = {"scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
             "lineitem": "https://lms.example.edu/api/lineitems/9"}
    from tests.helpers.platform import launch as raw_launch

    for person, roles in (("kofi", ["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"]),
                          ("maria", ["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"])):
        course.tokens[(person, "coach-student")] = raw_launch(
            course.client, course.platform, sub=person, roles=roles, link="link-coach", lti_context={"id": "course-1"},
            custom={"rapport_kind": "checklist", "rapport_id": "coach-student", "rapport_points": "10"}, **{AGS: claim})
    assert course.submit("kofi", "coach-student", "ana", library, value=3).status_code == 201
    course.post("iris", f"/course/groups/{course.row_ids('groups')[0]}/members",
                {"user": course.user_id("maria"), "role": "coach"})  # a second coach for group A
    assert course.submit("maria", "coach-student", "ana", library, value=4).status_code == 201
    with app.app_context():
        scores = [(s.user_sub, s.score_given, s.score_maximum, s.activity_progress)
                  for s in db.session.scalars(select(ScoreDelivery).order_by(ScoreDelivery.id))]
    assert scores == [("ana", 6.0, 10.0, "Completed"), ("ana", 7.0, 10.0, "Completed")]  # 3/5*10, then 3.5/5*10
