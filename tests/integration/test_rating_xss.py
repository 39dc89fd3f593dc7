"""Whatever people type (comments, group and encounter names, their own names in the LMS, a search,
a CSV file) is stored as typed and shown as text on every page where it appears: never as markup."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from lti_plugin.content import get_library
from lti_plugin.extensions import db
from lti_plugin.models import Encounter, RatingSubmission, User, WorkshopGroup
from tests.helpers.ratings import PEOPLE, RatingCourse

PAYLOAD = ('<script>alert("x")</script><img src=x onerror=alert(1)>"\'><svg onload=alert(2)>'
           '</textarea><a href="javascript:alert(3)">go</a>{{ 7*7 }}')
SCRIPTS = ("rating-form.js", "people-filter.js", "video-progress.js")


def assert_inert(response, *, where: str, must_show: str | None = PAYLOAD) -> None:
    """No script but Rapport's own files, no event handler, no javascript: link; the text shown as typed."""
    html = response.get_data(as_text=True)
    page = BeautifulSoup(html, "html.parser")
    for script in page.find_all("script"):
        assert script.get("src") and any(name in script["src"] for name in SCRIPTS), (where, script)
    for tag in page.find_all(True):
        assert not [a for a in tag.attrs if a.lower().startswith("on")], (where, tag)
        for attribute in ("href", "src", "action", "formaction"):
            assert not str(tag.get(attribute, "")).strip().lower().startswith("javascript:"), (where, tag)
    assert not page.find_all(["svg", "img"], src="x"), where
    assert "49" not in page.get_text() or "{{ 7*7 }}" in page.get_text(), where
    if must_show is not None:
        assert must_show in page.get_text(), where


@pytest.fixture
def course(app, client, platform) -> RatingCourse:
    built = RatingCourse(app, client, platform)
    return built


def test_typed_text_is_stored_as_typed_and_shown_inert_everywhere(app, course, monkeypatch) -> None:
    library = get_library(app.config["CONTENT_DIR"])
    monkeypatch.setitem(PEOPLE, "kofi", (PEOPLE["kofi"][0], "Kofi " + PAYLOAD, PEOPLE["kofi"][2]))
    course.set_up()
    assert course.post("iris", "/course/groups", {"name": "G " + PAYLOAD[:100]}).status_code == 303
    assert course.post("iris", "/course/encounters", {"name": "E " + PAYLOAD[:100], "open_to_all": "yes"}).status_code == 303
    with app.app_context():
        station = db.session.scalar(select(Encounter.id).where(Encounter.name.like("E %")))
    assert course.post("iris", f"/course/encounters/{station}/members",
                       {"user": course.user_id("maria"), "role": "sp"}).status_code == 303
    comments = {f"comment-{c.id}": PAYLOAD for c in library.checklist("coach-student").comments}
    made = course.submit("kofi", "coach-student", "ana", library, **comments)
    assert made.status_code == 201
    rating = made.get_json()["id"]
    sp = course.submit("maria", "sp-student", "ana", library, encounter=station,
                       **{f"comment-{c.id}": PAYLOAD for c in library.checklist("sp-student").comments})
    assert sp.status_code == 201

    with app.app_context():
        row = db.session.get(RatingSubmission, rating)
        assert set(row.comments.values()) == {PAYLOAD}  # as typed: not escaped, not stripped in storage
        assert db.session.scalar(select(WorkshopGroup.name).where(WorkshopGroup.name.like("G %"))) == "G " + PAYLOAD[:100]
        assert db.session.scalar(select(Encounter.name).where(Encounter.name.like("E %"))) == "E " + PAYLOAD[:100]
        assert db.session.scalar(select(User.name).where(User.sub == "kofi")) == "Kofi " + PAYLOAD

    # The student's pages, the rater's, the instructor's, and the draft form that shows the text again.
    assert_inert(course.get("ana", "/feedback"), where="student feedback")
    assert_inert(course.get("ana", "/rate", "coach-student"), where="student placement page")
    assert_inert(course.get("ana", f"/rate/ratings/{rating}"), where="student rating page")
    assert_inert(course.get("kofi", f"/rate/ratings/{rating}"), where="rater rating page")
    assert_inert(course.get("iris", f"/rate/ratings/{rating}"), where="instructor rating page")
    assert_inert(course.get("iris", "/rate", "coach-student"), where="instructor results", must_show="Kofi " + PAYLOAD)
    assert_inert(course.get("maria", "/rate", "sp-student"), where="SP list", must_show="E " + PAYLOAD[:100])
    correction = course.get("kofi", "/rate/form", corrects=rating)
    assert_inert(correction, where="correction form", must_show=None)
    textarea = BeautifulSoup(correction.get_data(as_text=True), "html.parser").find("textarea", id="comment-strengths")
    assert textarea.string == PAYLOAD  # back in the field exactly as typed
    assert_inert(course.get("iris", "/course/groups"), where="groups page", must_show="G " + PAYLOAD[:100])
    assert_inert(course.get("iris", "/course/encounters"), where="encounters page", must_show="E " + PAYLOAD[:100])
    assert_inert(course.get("iris", "/course/people"), where="people page", must_show="Kofi " + PAYLOAD)
    assert_inert(course.get("iris", "/course/people", q=PAYLOAD[:90]), where="people search", must_show=None)
    assert_inert(course.get("kofi", "/rate", "coach-student", q=PAYLOAD[:90]), where="rater search", must_show=None)
    preview = course.post("iris", "/course/groups/import", {"csv": f"group,role,person\n{PAYLOAD[:60]},coach,{PAYLOAD[:70]}\n"})
    assert preview.status_code == 422
    assert_inert(preview, where="CSV preview", must_show=None)


def test_a_picture_that_is_not_a_web_address_is_not_shown(app, course) -> None:
    from tests.helpers.platform import launch as raw_launch

    course.set_up()
    raw_launch(course.client, course.platform, sub="ana", link="link-coach", lti_context={"id": "course-1"},
               custom={"rapport_kind": "checklist", "rapport_id": "coach-student"}, picture="javascript:alert(1)")
    page = BeautifulSoup(course.get("kofi", "/rate", "coach-student").get_data(as_text=True), "html.parser")
    assert not page.select("#people img") and page.select("#people .initials")
