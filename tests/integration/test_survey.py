"""The attitudes survey through real launches: scheduling, the learner's form, drafts, final submission, rounds."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lti_plugin.content import get_library
from lti_plugin.extensions import db
from lti_plugin.models import SurveyResponse, SurveySchedule, SurveyWindow, User, utcnow
from tests.helpers.lti import INSTRUCTOR, page_text
from tests.helpers.platform import launch
from tests.helpers.reports import soup

SURVEY = {"rapport_kind": "survey", "rapport_id": "attitudes"}
LISBON = ZoneInfo("Europe/Lisbon")


def local(moment: datetime) -> str:
    """A moment as a datetime-local field in Lisbon holds it."""
    return moment.astimezone(LISBON).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def survey(app):
    return get_library(app.config["CONTENT_DIR"]).survey("attitudes")


@pytest.fixture
def teacher(app, platform):
    client = app.test_client()
    return client, launch(client, platform, sub="teacher", roles=[INSTRUCTOR], link="survey-link", custom=SURVEY)


def learner(app, platform, sub="student-1"):
    client = app.test_client()
    return client, launch(client, platform, sub=sub, link="survey-link", custom=SURVEY)


def schedule_form(token: str, **fields: str) -> dict[str, str]:
    now = utcnow()
    form = {"lt": token, "survey": "attitudes", "scope": "course", "timezone": "Europe/Lisbon",
            "baseline_opens": local(now - timedelta(hours=2)), "baseline_closes": local(now + timedelta(days=7)),
            "follow_up_mode": "interval", "interval_every": "6", "interval_unit": "months", "interval_times": "2",
            "interval_days_open": "14"}
    form.update(fields)
    return form


def answers_for(survey, count: int, value: int = 5) -> dict[str, str]:
    return {f"a-{item.id}": str(value) for item in survey.items[:count]}


def test_scheduling_with_clear_errors_then_learners_see_the_open_round(app, platform, teacher, survey) -> None:
    student, student_token = learner(app, platform)
    assert "your instructor has not set its dates" in page_text(student.get(f"/survey?lt={student_token}"))
    client, token = teacher
    home = client.get(f"/home?lt={token}")
    assert home.status_code == 302 and "/survey" in home.headers["Location"]
    assert "No rounds are scheduled yet" in page_text(client.get(f"/survey?lt={token}"))
    form_page = soup(client.get(f"/survey/schedule?lt={token}&scope=course"))
    for field in form_page.select("form input:not([type=hidden]), form select"):
        assert form_page.find("label", attrs={"for": field["id"]}), field

    bad = {
        "timezone": (schedule_form(token, timezone="Mars/Olympus"), "is not a time zone name"),
        "baseline_closes": (schedule_form(token, baseline_closes=local(utcnow() - timedelta(days=1))), "must close after it opens"),
        "baseline_opens": (schedule_form(token, baseline_opens="next tuesday"), "is not a date and time"),
        "interval_days_open": (schedule_form(token, interval_every="1", interval_unit="weeks", interval_days_open="10"),
                               "still be open when the next one opens"),
        "follow_up_opens_1": (schedule_form(token, follow_up_mode="dates", follow_up_opens_1=local(utcnow() + timedelta(days=3)),
                                            follow_up_closes_1=local(utcnow() + timedelta(days=20))), "would open before the baseline closes"),
    }
    for name, (form, message) in bad.items():
        response = client.post("/survey/schedule", data=form)
        assert response.status_code == 422, name
        page = soup(response)
        assert message in page.find(id=f"{name}-problem").get_text(), name
        assert page.find(id=name).get("aria-invalid") == "true", name
    gap = client.post("/survey/schedule", data=schedule_form(token, follow_up_mode="none", baseline_opens="2027-03-28T01:30",
                                                             baseline_closes="2027-04-10T09:00"))
    assert gap.status_code == 422 and "does not exist in Europe/Lisbon" in page_text(gap)
    with app.app_context():
        assert db.session.scalar(select(SurveySchedule)) is None

    saved = client.post("/survey/schedule", data=schedule_form(token))
    assert saved.status_code == 303
    staff_page = soup(client.get(f"/survey?lt={token}"))
    rows = staff_page.select("table tbody tr")
    assert [r.find("th").get_text() for r in rows] == ["Baseline", "Follow-up 1", "Follow-up 2"]
    assert "(Europe/Lisbon, UTC+0" in rows[1].get_text()
    with app.app_context():
        windows = db.session.scalars(select(SurveyWindow).order_by(SurveyWindow.position)).all()
        base_local = windows[0].opens_at.astimezone(LISBON)
        follow = windows[1].opens_at.astimezone(LISBON)
        assert (follow.hour, follow.minute) == (base_local.hour, base_local.minute)  # same wall time, six months on
        assert (follow.year * 12 + follow.month) - (base_local.year * 12 + base_local.month) == 6
        closes = windows[1].closes_at.astimezone(LISBON)
        assert closes.replace(tzinfo=None) - follow.replace(tzinfo=None) == timedelta(days=14)  # 14 days of wall time
    form = soup(student.get(f"/survey?lt={student_token}"))
    assert form.find("form", class_="survey-form") is not None
    assert "open until" in form.get_text(" ") and "(Europe/Lisbon" in form.get_text(" ")


def test_the_form_labels_every_choice(app, platform, teacher, survey) -> None:
    client, token = teacher
    assert client.post("/survey/schedule", data=schedule_form(token)).status_code == 303
    student, student_token = learner(app, platform)
    page = soup(student.get(f"/survey?lt={student_token}"))
    fieldsets = page.select("fieldset.survey-item")
    assert len(fieldsets) == len(survey.items)
    for fieldset, item in zip(fieldsets, survey.items):
        assert fieldset.find("legend").get_text(" ", strip=True).endswith(item.text)
        radios = fieldset.find_all("input", attrs={"type": "radio"})
        assert [r["value"] for r in radios] == [str(v) for v in range(1, 8)]
        assert len({r["name"] for r in radios}) == 1
        for radio in radios:
            label = page.find("label", attrs={"for": radio["id"]})
            assert label is not None and radio["value"] in label.get_text()
        assert survey.scale.low in page.find("label", attrs={"for": radios[0]["id"]}).get_text()
        assert survey.scale.high in page.find("label", attrs={"for": radios[-1]["id"]}).get_text()
    assert page.find("script", src=lambda s: s and s.endswith("survey.js")) is not None


def test_drafts_merge_then_one_final_submission(app, platform, teacher, survey) -> None:
    client, token = teacher
    assert client.post("/survey/schedule", data=schedule_form(token)).status_code == 303
    student, lt = learner(app, platform)

    saved = student.post("/survey/answers", data={"lt": lt, "action": "save", **answers_for(survey, 10)})
    assert saved.status_code == 303 and "saved=1" in saved.headers["Location"]
    assert "Your answers are saved" in page_text(student.get(saved.headers["Location"]))
    later = {item.id: 2 for item in survey.items[10:15]}
    autosaved = student.post("/survey/draft", json={"answers": later}, headers={"X-Rapport-Launch": lt})
    assert autosaved.status_code == 200 and autosaved.get_json() == {"answered": 15, "of": len(survey.items)}
    for bad in ({survey.items[0].id: 9}, {"no-such-item": 3}, {survey.items[0].id: "x"}, {survey.items[0].id: True}):
        assert student.post("/survey/draft", json={"answers": bad}, headers={"X-Rapport-Launch": lt}).status_code == 400
    assert student.post("/survey/draft", json={"answers": later}).status_code == 401
    page = soup(student.get(f"/survey?lt={lt}"))
    assert len(page.select("input[type=radio][checked]")) == 15  # a reload shows what was saved

    incomplete = student.post("/survey/answers", data={"lt": lt, **answers_for(survey, 3, value=6)})
    assert incomplete.status_code == 422
    text = page_text(incomplete)
    assert f"{len(survey.items) - 15} statements without an answer" in text
    assert f"Submit with {len(survey.items) - 15} unanswered" in text
    with app.app_context():
        draft = db.session.scalar(select(SurveyResponse))
        assert draft.submitted_at is None and len(draft.answers) == 15 and draft.answers[survey.items[0].id] == 6

    final = student.post("/survey/answers", data={"lt": lt, "confirm": "yes"})
    assert final.status_code == 303
    thanks = page_text(student.get(final.headers["Location"]))
    assert "Thank you: your answers are submitted" in thanks and "The next round (follow-up 1) opens on" in thanks
    again = student.post("/survey/answers", data={"lt": lt, **answers_for(survey, len(survey.items), value=1)})
    assert again.status_code == 409 and "submitted answers are final" in page_text(again)
    late = student.post("/survey/draft", json={"answers": {survey.items[-1].id: 1}}, headers={"X-Rapport-Launch": lt})
    assert late.status_code == 409 and "final" in late.get_json()["error"]
    with app.app_context():
        row = db.session.scalar(select(SurveyResponse))
        assert row.submitted_at is not None and len(row.answers) == 15 and survey.items[-1].id not in row.answers
        assert row.survey_version == survey.version
    assert client.post("/survey/answers", data={"lt": token, **answers_for(survey, 3)}).status_code == 403


def test_the_database_keeps_one_response_per_learner_per_round(app, platform, teacher, survey) -> None:
    client, token = teacher
    assert client.post("/survey/schedule", data=schedule_form(token)).status_code == 303
    student, lt = learner(app, platform)
    assert student.post("/survey/answers", data={"lt": lt, "action": "save", **answers_for(survey, 2)}).status_code == 303
    with app.app_context():
        first = db.session.scalar(select(SurveyResponse))
        db.session.add(SurveyResponse(window_id=first.window_id, user_id=first.user_id, survey_id="attitudes",
                                      survey_version=1, answers={}))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_rounds_not_open_yet_closed_and_the_grace_for_a_started_draft(app, platform, teacher, survey) -> None:
    client, token = teacher
    soon = utcnow() + timedelta(days=3)
    future = schedule_form(token, follow_up_mode="none", baseline_opens=local(soon), baseline_closes=local(soon + timedelta(days=5)))
    assert client.post("/survey/schedule", data=future).status_code == 303
    student, lt = learner(app, platform)
    text = page_text(student.get(f"/survey?lt={lt}"))
    assert "The survey is not open now. The baseline opens on" in text and "(Europe/Lisbon, UTC+0" in text
    assert student.post("/survey/answers", data={"lt": lt, **answers_for(survey, 3)}).status_code == 409

    with app.app_context():  # the round opens, the learner starts, and the round closes half an hour ago
        window = db.session.scalar(select(SurveyWindow))
        window.opens_at, window.closes_at = utcnow() - timedelta(days=2), utcnow() + timedelta(minutes=5)
        db.session.commit()
    assert student.post("/survey/answers", data={"lt": lt, "action": "save", **answers_for(survey, 20)}).status_code == 303
    other, other_lt = learner(app, platform, sub="student-2")
    with app.app_context():
        window = db.session.scalar(select(SurveyWindow))
        window.closes_at = utcnow() - timedelta(minutes=30)
        db.session.commit()
    page = page_text(student.get(f"/survey?lt={lt}"))
    assert "this round closed on" in page and "you can still submit the answers you started" in page
    assert student.post("/survey/answers", data={"lt": lt, "confirm": "yes"}).status_code == 303
    assert "Every round of this survey has closed" in page_text(other.get(f"/survey?lt={other_lt}"))
    assert other.post("/survey/answers", data={"lt": other_lt, **answers_for(survey, 3)}).status_code == 409


def test_a_placement_schedule_wins_and_answered_rounds_are_kept(app, platform, teacher, survey) -> None:
    client, token = teacher
    assert client.post("/survey/schedule", data=schedule_form(token, follow_up_mode="none")).status_code == 303
    later = utcnow() + timedelta(days=30)
    own = schedule_form(token, scope="placement", follow_up_mode="none", baseline_opens=local(later),
                        baseline_closes=local(later + timedelta(days=3)))
    assert client.post("/survey/schedule", data=own).status_code == 303
    student, lt = learner(app, platform)
    assert "The survey is not open now" in page_text(student.get(f"/survey?lt={lt}"))
    assert "This placement uses its own schedule" in page_text(client.get(f"/survey?lt={token}"))
    removed = client.post("/survey/schedule", data={"lt": token, "survey": "attitudes", "scope": "placement", "action": "remove"})
    assert removed.status_code == 303
    assert student.post("/survey/answers", data={"lt": lt, **answers_for(survey, len(survey.items))}).status_code == 303

    two = schedule_form(token, interval_times="2")
    assert client.post("/survey/schedule", data=two).status_code == 303  # the baseline keeps its answer, follow-ups added
    with app.app_context():
        assert db.session.scalar(select(SurveyResponse)).submitted_at is not None
    with app.app_context():  # someone answers follow-up 2 (moved into the past for the test)
        windows = db.session.scalars(select(SurveyWindow).order_by(SurveyWindow.position)).all()
        user = db.session.scalar(select(User).where(User.sub == "student-1"))
        db.session.add(SurveyResponse(window_id=windows[2].id, user_id=user.id, survey_id="attitudes", survey_version=1,
                                      answers={survey.items[0].id: 4}))
        db.session.commit()
    fewer = client.post("/survey/schedule", data=schedule_form(token, interval_times="1"))
    assert fewer.status_code == 422 and "Follow-up 2 already holds 1 response(s)" in page_text(fewer)
    kept = client.post("/survey/schedule", data={"lt": token, "survey": "attitudes", "scope": "course", "action": "remove"})
    assert kept.status_code == 409 and "already holds answers" in page_text(kept)
