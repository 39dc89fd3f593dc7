"""CSV exports of a 300-learner course over HTTP and `rapport export`: contents, de-identification, suppression, safety."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from sqlalchemy import delete

from lti_plugin.content import get_library
from lti_plugin.extensions import db
from lti_plugin.models import QuizAttempt, ResourceLink, User
from tests.helpers.reports import BigCourse, big_course, student_ids  # noqa: F401  (fixture)

KINDS = ("progress", "scores", "survey-answers", "ratings")


def download(course: BigCourse, kind: str, **query: str):
    response = course.get(f"/dashboard/exports/{kind}.csv", **query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def parsed(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def left_out_of_research_only(course: BigCourse, kind: str, placement: str, rows: int) -> None:
    """The placement's rows are in the named file and, as one small group, not in the research file."""
    named = parsed(download(course, kind).get_data(as_text=True))
    assert sum(1 for r in named if r["placement"] == placement) == rows
    response = download(course, kind, deidentified="1")
    assert response.headers["X-Rapport-Suppressed-Groups"] == "1"
    assert len(parsed(response.get_data(as_text=True))) == len(named) - rows


def identifying_values(course: BigCourse) -> list[str]:
    """Every value that names a person, a place in the LMS or is free text, in the whole data set."""
    data = course.data
    values = [data.course_title, data.context_id, "RS101", "Dr. Ifeoma Okafor", "okafor@school.example.edu", "teacher-1"]
    for person in data.students + data.staff:
        values += [person["name"], person["given"], person["family"], person["email"], person["sub"]]
    for placement in data.placements:
        values += [placement["title"], placement["lti_id"]]
    values += [r["last_error"] for r in data.deliveries if r["last_error"]]
    made = course.ratings  # raters (coaches, SPs, students) and the people they rated, and what they wrote
    for person in made.coaches + made.sps:
        values += [person["name"], person["given"], person["family"], person["email"], person["sub"]]
    for placement in made.placements:
        values += [placement["title"], placement["lti_id"]]
    values += [g["name"] for g in made.groups] + [e["name"] for e in made.encounters]
    values += [text for rating in made.submissions for text in rating["comments"].values()]
    return sorted(set(values), key=len, reverse=True)


def test_the_progress_export_streams_every_learner_and_module(big_course: BigCourse) -> None:
    response = download(big_course, "progress")
    assert response.is_streamed and response.mimetype == "text/csv"
    assert re.fullmatch(r'attachment; filename="rapport-progress-rs101-\d{8}\.csv"', response.headers["Content-Disposition"])
    rows = parsed(response.get_data(as_text=True))
    data = big_course.data
    modules = [p for p in data.placements if p["kind"] == "module"]
    assert len(rows) == len(data.students) * len(modules)
    progress = {(r["user_id"], r["link_id"]): r for r in data.progress}
    by_email = {s["email"]: s for s in data.students}
    by_title = {p["title"]: p for p in modules}
    for row in rows:
        person, placement = by_email[row["learner_email"]], by_title[row["placement"]]
        assert row["learner_name"] == person["name"] and row["lms_user_id"] == person["sub"]
        mine = progress.get((person["user_id"], placement["link_id"]))
        assert row["pages_seen"] == str(mine["pages_seen"] if mine else 0)
        assert bool(row["completed_at"]) == bool(mine and mine["completed"])
        if mine and mine["completed"]:
            assert float(row["module_score_percent"]) == round(mine["score"] * 100, 2)


def test_the_scores_export_marks_the_attempt_that_counts(big_course: BigCourse) -> None:
    rows = parsed(download(big_course, "scores").get_data(as_text=True))
    data = big_course.data
    learners = student_ids(data)
    assert len(rows) == sum(1 for a in data.attempts if a["user_id"] in learners)
    library = get_library(big_course.app.config["CONTENT_DIR"])
    groups: dict[tuple[str, str, str], list[dict[str, str]]] = {}
    for row in rows:
        groups.setdefault((row["lms_user_id"], row["placement"], row["quiz_id"]), []).append(row)
    for (_, _, quiz_id), attempts in groups.items():
        quiz = library.quiz(quiz_id)
        counted = [r for r in attempts if r["counts_for_grade"] == "yes"]
        assert len(counted) == 1
        if quiz.counts == "best":
            assert float(counted[0]["score_percent"]) == max(float(r["score_percent"]) for r in attempts)
        else:
            assert counted[0]["attempt"] == str(max(int(r["attempt"]) for r in attempts))


def test_the_survey_export_has_every_submitted_response_with_scores(big_course: BigCourse) -> None:
    rows = parsed(download(big_course, "survey-answers").get_data(as_text=True))
    data = big_course.data
    learners = student_ids(data)
    submitted = [r for r in data.responses if r["submitted"] and r["user_id"] in learners]
    assert len(rows) == len(submitted)
    survey = get_library(big_course.app.config["CONTENT_DIR"]).survey("attitudes")
    from tests.helpers.reports import subscale_scores

    by_user = {s["sub"]: s["user_id"] for s in data.students}
    expected = {(r["user_id"], r["position"]): r for r in submitted}
    for row in rows:
        response = expected[(by_user[row["lms_user_id"]], int(row["round_number"]))]
        for item in survey.items:
            assert row[f"answer_{item.id}"] == str(response["answers"].get(item.id, ""))
        for subscale, score in subscale_scores(survey, response["answers"]).items():
            assert row[f"score_{subscale}"] == ("" if score is None else f"{score:.4f}".rstrip("0").rstrip("."))


def test_deidentified_exports_hold_no_identifying_value(big_course: BigCourse, tmp_path: Path) -> None:
    forbidden = identifying_values(big_course)
    assert len(forbidden) > 800 + 1000  # 302 learners and staff, 32 raters, and over a thousand comments
    assert sum(len(r["comments"]) for r in big_course.ratings.submissions) > 1000
    files = {}
    for kind in KINDS:
        response = download(big_course, kind, deidentified="1")
        assert "research" in response.headers["Content-Disposition"]
        files[kind] = response.get_data(as_text=True)
    runner = big_course.app.test_cli_runner()
    out = tmp_path / "progress.csv"
    result = runner.invoke(args=["export", "progress", "--course", big_course.data.context_id, "--deidentified", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote 900 row(s) of progress" in result.output
    files["cli-progress"] = out.read_bytes().decode("utf-8")
    assert files["cli-progress"] == files["progress"]  # the same service code behind both
    result = runner.invoke(args=["export", "ratings", "--course", str(big_course.data.course_id), "--deidentified", "-o",
                                 str(tmp_path / "ratings.csv")])
    assert result.exit_code == 0 and f"Wrote {len(big_course.ratings.current)} row(s) of ratings" in result.output
    assert (tmp_path / "ratings.csv").read_bytes().decode("utf-8") == files["ratings"]
    for name, text in files.items():
        for value in forbidden:
            assert value not in text, (name, value)
        assert not re.search(r"\d{2}:\d{2}", text), name  # dates, never times
        assert re.search(r"P-[0-9a-f]{16}", text)
    ids = {kind: {row["person_id"] for row in parsed(text)} for kind, text in files.items() if kind != "ratings"}
    assert ids["scores"] <= ids["progress"] and ids["survey-answers"] <= ids["progress"]  # stable across kinds
    assert len(ids["progress"]) == len(big_course.data.students)
    rated = parsed(files["ratings"])
    assert len(rated) == len(big_course.ratings.current)  # no placement's encounter has fewer than five people rated
    students = {r["subject_id"] for r in rated if r["source"] in ("coach", "sp", "self", "peer")}
    assert students <= ids["progress"] and len(students) > 250  # the same pseudonym as in the other files
    raters = {r["rater_id"] for r in rated if r["source"] in ("coach", "sp")}
    assert len(raters) == len({r["rater_id"] for r in big_course.ratings.current if r["source"] in ("coach", "sp")})
    assert raters.isdisjoint(ids["progress"]) and all(re.fullmatch(r"P-[0-9a-f]{16}", p) for p in raters)
    assert not any(column.startswith("comment") for column in rated[0])
    again = download(big_course, "progress", deidentified="1").get_data(as_text=True)
    assert again == files["progress"]  # and across exports


def test_the_ratings_export_has_every_current_rating_with_its_levels_and_comments(big_course: BigCourse) -> None:
    response = download(big_course, "ratings")
    assert response.is_streamed and "rapport-ratings-rs101-" in response.headers["Content-Disposition"]
    rows = parsed(response.get_data(as_text=True))
    made = big_course.ratings
    expected = {(r["series"], r["version"]): r for r in made.current}
    assert len(rows) == len(expected)
    people = {p["user_id"]: p for p in big_course.data.students + made.coaches + made.sps}
    encounters = {e["id"]: e["name"] for e in made.encounters}
    titles = {p["link_id"]: p["title"] for p in made.placements}
    for row in rows:
        rating = expected[(row["rating_series"], int(row["version"]))]
        rater, subject = people[rating["rater_id"]], people[rating["subject_id"]]
        assert (row["rater_name"], row["rater_email"], row["rater_lms_id"]) == (rater["name"], rater["email"], rater["sub"])
        assert (row["subject_name"], row["subject_email"], row["subject_lms_id"]) == (subject["name"], subject["email"], subject["sub"])
        assert row["placement"] == titles[rating["link_id"]] and row["source"] == rating["source"]
        assert row["encounter"] == (encounters[rating["encounter_id"]] if rating["encounter_id"] else "")
        assert row["observed_on"] == rating["observed_on"].isoformat() and row["overall"] == str(rating["global"])
        for item, value in rating["values"].items():
            assert row[f"skill_{rating['skills'][item]}"] == ("na" if value is None else str(value))
        for prompt, text in rating["comments"].items():
            assert row[f"comment_{prompt}"] == text
    research = parsed(download(big_course, "ratings", deidentified="1").get_data(as_text=True))
    versions = sorted(int(r["version"]) for r in research)
    assert versions == sorted(r["version"] for r in made.current) and versions[-1] == 2  # corrections, current only
    assert len({r["rating_id"] for r in research}) == len(research)
    assert len({r["encounter_id"] for r in research if r["encounter_id"]}) == len(made.encounters)


def test_small_groups_are_left_out_of_deidentified_exports_only(big_course: BigCourse) -> None:
    data = big_course.data
    with big_course.app.app_context():
        link = ResourceLink(deployment_id=db.session.get(ResourceLink, data.placements[0]["link_id"]).deployment_id,
                            course_id=data.course_id, resource_link_id="small-quiz-link", title="Small section quiz",
                            content_kind="quiz", content_id="booster-trauma-informed")
        db.session.add(link)
        db.session.flush()
        for person in data.students[:4]:
            db.session.add(QuizAttempt(user_id=person["user_id"], resource_link_id=link.id, quiz_id="booster-trauma-informed",
                                       quiz_version=1, number=1, answers={}, correct=3, total=5, score=0.6, passed=False))
        db.session.commit()
        link_id = link.id
    try:
        left_out_of_research_only(big_course, "scores", "Small section quiz", 4)
        result = big_course.app.test_cli_runner().invoke(
            args=["export", "scores", "--course", str(data.course_id), "--deidentified"])
        assert result.exit_code == 0
        assert "left out 1 quiz in a placement(s) with fewer than 5 people" in result.output
    finally:
        with big_course.app.app_context():
            db.session.execute(delete(QuizAttempt).where(QuizAttempt.resource_link_id == link_id))
            db.session.execute(delete(ResourceLink).where(ResourceLink.id == link_id))
            db.session.commit()


def test_ratings_of_fewer_than_five_people_in_an_encounter_are_left_out_of_research_files(big_course: BigCourse) -> None:
    made = big_course.ratings
    sp_ratings = [r for r in made.current if r["source"] == "sp"]
    station = made.encounters[0]["id"]
    with big_course.app.app_context():
        from lti_plugin.models import ChecklistSetting, RatingSubmission

        course_link = db.session.get(ResourceLink, made.placements[0]["link_id"])
        link = ResourceLink(deployment_id=course_link.deployment_id, course_id=big_course.data.course_id,
                            resource_link_id="resit-station", title="Resit station", content_kind="checklist",
                            content_id="sp-student")
        db.session.add(link)
        db.session.flush()
        db.session.add(ChecklistSetting(resource_link_id=link.id, source="sp", release="immediate"))
        for n, rating in enumerate(sp_ratings[:3]):
            db.session.add(RatingSubmission(
                client_id=f"resit-{n}", series=f"resit-{n}", version=1, course_id=big_course.data.course_id,
                resource_link_id=link.id, checklist_id="sp-student", checklist_version=1, source="sp",
                rater_id=rating["rater_id"], subject_id=big_course.data.students[n]["user_id"], encounter_id=station,
                observed_on=rating["observed_on"], global_rating=3, comments={}, launch_ref="test"))
        db.session.commit()
        link_id = link.id
    try:
        left_out_of_research_only(big_course, "ratings", "Resit station", 3)
    finally:
        with big_course.app.app_context():
            db.session.execute(delete(RatingSubmission).where(RatingSubmission.resource_link_id == link_id))
            db.session.execute(delete(ResourceLink).where(ResourceLink.id == link_id))
            db.session.commit()


def test_cells_that_would_run_as_formulas_are_neutralized(big_course: BigCourse) -> None:
    person = big_course.data.students[0]
    dangerous = ["=HYPERLINK(\"http://x\",\"y\")", "+41 SUM(A1)", "-2+3", "@cmd", "\tTabbed", "\rReturn"]
    with big_course.app.app_context():
        user = db.session.get(User, person["user_id"])
        original = (user.name, user.email)
        user.name, user.email = dangerous[0], dangerous[1]
        db.session.commit()
    try:
        rows = parsed(download(big_course, "progress").get_data(as_text=True))
        mine = [r for r in rows if r["lms_user_id"] == person["sub"]]
        assert mine and all(r["learner_name"] == "'" + dangerous[0] and r["learner_email"] == "'" + dangerous[1] for r in mine)
    finally:
        with big_course.app.app_context():
            user = db.session.get(User, person["user_id"])
            user.name, user.email = original
            db.session.commit()
    from lti_plugin.services.exports.cells import cell

    for text in dangerous:
        assert cell(text) == "'" + text
    assert cell("Ana") == "Ana" and cell(-2.5) == "-2.5" and cell(None) == "" and cell(True) == "yes"


def test_the_command_line_explains_a_wrong_course(big_course: BigCourse) -> None:
    runner = big_course.app.test_cli_runner()
    result = runner.invoke(args=["export", "progress", "--course", "no-such-course"])
    assert result.exit_code == 1
    assert "No course is called 'no-such-course'" in result.output and big_course.data.course_title in result.output
    wrong_kind = runner.invoke(args=["export", "attendance", "--course", "1"])
    assert wrong_kind.exit_code == 2 and "progress" in wrong_kind.output
    streamed = runner.invoke(args=["export", "survey-answers", "--course", str(big_course.data.course_id)])
    assert streamed.exit_code == 0 and streamed.output.startswith("course,learner_name,learner_email,lms_user_id,survey_id")
