"""Feedback reports on a course of 300 students rated by 30 coaches, 6 SPs, classmates and themselves over
three workshops and three SP stations, with an earlier year's course: every figure the student's report and
the coach's view show is worked out here from the generated ratings alone."""
from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from lti_plugin.content import get_library
from lti_plugin.extensions import db
from tests.helpers.course_data import build_course
from tests.helpers.lti import INSTRUCTOR, LEARNER
from tests.helpers.platform import Platform, launch
from tests.helpers.rating_data import PLACEMENTS, RatedCourse, add_report_ratings
from tests.helpers.ratings import TA
from tests.helpers.reports import cell, fresh_platform, soup

STUDENT_SOURCES = ("self", "peer", "coach", "sp")
WORDS = {"self": "Self-assessment", "peer": "Peer", "coach": "Coach", "sp": "Standardized patient"}


@dataclass
class Rated:
    app: Any
    platform: Platform
    rated: RatedCourse
    client: Any
    library: Any

    def context(self, earlier: bool = False) -> dict[str, str]:
        data = self.rated.course
        return ({"id": "course-2025", "title": self.rated.earlier_title} if earlier
                else {"id": data.context_id, "title": data.course_title, "label": "RS101"})

    def token(self, sub: str, roles: list[str], checklist: str, name: str) -> str:
        link = self.rated.links[(self.rated.course.course_id, checklist)]
        return launch(self.client, self.platform, sub=sub, roles=roles, name=name,
                      lti_resource_link={"id": link["lti_id"], "title": link["title"]}, custom={"rapport_kind": "checklist", "rapport_id": checklist}, lti_context=self.context())

    def get(self, token: str, path: str) -> Any:
        return self.client.get(path, query_string={"lt": token})


@pytest.fixture(scope="module")
def rated(migrated: str, redis_url: str, keyset_server: Any) -> Iterator[Rated]:
    app, platform, deployment_id = fresh_platform(migrated, redis_url, keyset_server)
    with app.app_context():
        data = build_course(deployment_id, students=300, modules=("foundations",), quiz_placements=(), survey=False)
        made = add_report_ratings(data, deployment_id, platform.issuer)
    yield Rated(app, platform, made, app.test_client(), get_library(app.config["CONTENT_DIR"]))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# -- what the pages should show, from the generated ratings alone --------------------------------------------
def visible(rated: RatedCourse, subject: int, courses: set[int], sources: tuple[str, ...]) -> list[dict]:
    """The latest released version of each rating of the subject."""
    latest: dict[str, dict] = {}
    for r in sorted(rated.ratings, key=lambda r: r["version"]):
        if r["subject_id"] == subject and r["course_id"] in courses and r["released"] and r["source"] in sources:
            latest[r["series"]] = r
    return list(latest.values())


def values(rows: list[dict], skill: str, source: str) -> list[int]:
    if skill == "overall":
        return [r["global"] for r in rows if r["source"] == source]
    return [v for r in rows if r["source"] == source for s, v in r["answers"].values() if s == skill and v is not None]


def shown(numbers: list[int]) -> str:
    return f"{statistics.fmean(numbers):.2f} (n={len(numbers)})" if numbers else "—"


def gap_text(rows: list[dict], skill: str, whose: str) -> str:
    mine = values(rows, skill, "self")
    others = [v for s in ("peer", "coach", "sp") for v in values(rows, skill, s)]
    if not mine or not others:
        return "—"
    gap = statistics.fmean(mine) - statistics.fmean(others)
    if abs(gap) < 0.005:
        return "0.00 (the same)"
    return f"{'+' if gap > 0 else '−'}{abs(gap):.2f} ({whose} {'higher' if gap > 0 else 'lower'})"


def occasion_label(rated: RatedCourse, r: dict) -> str:
    if r["encounter_id"]:
        return next(e["name"] for e in rated.encounters if e["id"] == r["encounter_id"])
    return f"{r['observed_on'].day} {r['observed_on']:%b %Y}"


def check_report(rated: RatedCourse, library: Any, page: Any, rows: list[dict], whose: str, several: bool) -> None:
    skills = ["overall"] + [s.id for s in library.skills.skills
                            if any(s.id == i.skill for i in library.checklist("coach-student").items)]
    heatmap = page.find("table", id="heatmap")
    assert [r["data-skill"] for r in heatmap.select("tbody tr")] == skills
    for skill in skills:
        row = heatmap.find("tr", attrs={"data-skill": skill})
        for source in STUDENT_SOURCES:
            assert cell(row, source) == shown(values(rows, skill, source)), (skill, source)
        assert cell(row, "others") == shown([v for s in ("peer", "coach", "sp") for v in values(rows, skill, s)])
        assert cell(row, "gap") == gap_text(rows, skill, whose), skill
    # over time: one table row per encounter or day, in date order, each source's mean there
    titles = {rated.course.course_id: rated.course.course_title, rated.earlier_course_id: rated.earlier_title}
    occasions: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        occasions[(r["course_id"], r["encounter_id"] or r["observed_on"])].append(r)
    ordered = sorted(occasions.values(), key=lambda rs: (min(r["observed_on"] for r in rs),))
    labels = [(f"{titles[rs[0]['course_id']]}: " if several else "") + occasion_label(rated, rs[0]) for rs in ordered]
    for skill in skills:
        table = page.find("table", id=f"skill-{skill}")
        assert page.find("svg", attrs={"data-table": f"skill-{skill}"}) is not None
        lines = table.select("tbody tr")
        assert [line.find("th").get_text(strip=True) for line in lines] == labels
        for line, group in zip(lines, ordered):
            for source in STUDENT_SOURCES:
                assert cell(line, source) == shown(values(group, skill, source)), (skill, source, labels)
    # comments: every released rating with a comment, names hidden where the placement is confidential
    commented = [r for r in rows if r["comments"]]
    found = page.select(".report-comment")
    assert len(found) == len(commented)
    texts = " ".join(c.get_text(" ") for c in found)
    for r in commented:
        assert r["comments"]["strengths"] in texts
    for item in found:
        text = item.get_text(" ")
        source = item["data-source"]
        if source in ("sp", "peer") and whose == "you rate yourself":
            assert "(name kept confidential)" in text
            assert not any(name in text for name in rated.names.values())


def pick_students(rated: RatedCourse) -> list[dict]:
    """A student of last year's cohort, one with a corrected rating, one in a two-coach group."""
    data = rated.course
    corrected = {r["subject_id"] for r in rated.ratings if r["version"] == 2 and r["course_id"] == data.course_id}
    wanted = [data.students[3], next(s for s in data.students[60:] if s["user_id"] in corrected),
              next(s for s in data.students[110:] if len(rated.group_of(s["user_id"])["coaches"]) == 2)]
    return wanted


def test_students_reports_match_the_ratings(rated: Rated) -> None:
    data, made = rated.rated.course, rated.rated
    assert len(data.students) == 300 and len(made.ratings) > 3000
    assert {r["source"] for r in made.ratings} == {"self", "peer", "coach", "sp", "student", "coach-self"}
    print(f"{len(made.ratings)} ratings, {sum(1 for r in made.ratings if not r['released'])} not released")
    both = {data.course_id, made.earlier_course_id}
    for student in pick_students(made):
        token = rated.token(student["sub"], [LEARNER], "student-self", student["name"])
        rated.get(token, "/report")  # the first request after a launch also warms the process
        started = time.perf_counter()
        response = rated.get(token, "/report")
        took = time.perf_counter() - started
        page = soup(response)
        rows = visible(made, student["user_id"], both, STUDENT_SOURCES)
        several = len({r["course_id"] for r in rows}) > 1
        assert several == (data.students.index(student) < 60)
        check_report(made, rated.library, page, rows, "you rate yourself", several)
        assert took < 2.0, f"the report took {took * 1000:.0f} ms"
        print(f"student report: {took * 1000:.0f} ms for {len(rows)} ratings")


def test_instructor_and_coach_see_this_course_only(rated: Rated) -> None:
    data, made = rated.rated.course, rated.rated
    student = data.students[3]  # also rated last year
    teacher = rated.token("teacher-1", [INSTRUCTOR], "coach-student", "Dr. Ifeoma Okafor")
    rows = visible(made, student["user_id"], {data.course_id}, STUDENT_SOURCES)
    page = soup(rated.get(teacher, f"/report/{student['user_id']}"))
    check_report(made, rated.library, page, rows, "the student rates themself", False)
    assert made.earlier_title not in page.get_text(" ")
    coach = next(c for c in made.coaches if c["user_id"] in made.group_of(student["user_id"])["coaches"])
    coach_token = rated.token(coach["sub"], [TA], "coach-student", coach["name"])
    page = soup(rated.get(coach_token, f"/report/{student['user_id']}"))
    check_report(made, rated.library, page, rows, "the student rates themself", False)
    other = data.students[50]  # another group's student
    assert rated.get(coach_token, f"/report/{other['user_id']}").status_code == 404


def latest_text(rows: list[dict], source: str) -> str:
    mine = sorted((r for r in rows if r["source"] == source), key=lambda r: (r["observed_on"], r["version"], r["id"]))
    if not mine:
        return "—"
    on = mine[-1]["observed_on"]
    return f"{mine[-1]['global']} on {on.day} {on:%B %Y} {len(mine)} released"


def waiting_texts(rated: RatedCourse, library: Any, student: int) -> list[str]:
    course = rated.course.course_id
    group = rated.group_of(student)
    current = {(r["link_id"], r["rater_id"], r["encounter_id"]) for r in rated.ratings
               if r["subject_id"] == student and not r["superseded"] and r["course_id"] == course}
    texts = []
    # placements in the order the course lists them: by title
    for checklist in sorted(("coach-student", "sp-student", "student-peer", "student-self"),
                            key=lambda c: rated.links[(course, c)]["title"].lower()):
        link = rated.links[(course, checklist)]
        label = f"{WORDS[PLACEMENTS[checklist][0]]} ({link['title']})"
        done = {rater for lk, rater, _ in current if lk == link["link_id"]}
        if checklist == "student-self" and student not in done:
            texts.append(f"{label}: not done yet")
        elif checklist == "coach-student" and set(group["coaches"]) - done:
            texts.append(f"{label}: not yet rated by " + ", ".join(sorted(rated.names[c] for c in set(group["coaches"]) - done)))
        elif checklist == "student-peer":
            mates = set(group["students"]) - {student}
            if mates - done:
                texts.append(f"{label}: {len(mates - done)} of {len(mates)} classmates have not rated yet")
        elif checklist == "sp-student":
            for station in rated.encounters:
                missing = [s for s in station["sps"] if (link["link_id"], s, station["id"]) not in current]
                if missing:
                    texts.append(f"{label}, {station['name']}: not yet rated by "
                                 + ", ".join(sorted(rated.names[s] for s in missing)))
    return texts


def test_the_coach_view_matches_the_ratings(rated: Rated) -> None:
    made, library = rated.rated, rated.library
    data = made.course
    coach = made.coaches[1]  # second coach of Group 01 and coach of Group 02
    mine = [g for g in made.groups if coach["user_id"] in g["coaches"]]
    assert len(mine) == 2
    token = rated.token(coach["sub"], [TA], "coach-student", coach["name"])
    rated.get(token, "/coaching")  # the first request after a launch also warms the process
    started = time.perf_counter()
    response = rated.get(token, "/coaching")
    took = time.perf_counter() - started
    page = soup(response)
    assert [h.get_text(strip=True) for h in page.select("section > h2")] == [g["name"] for g in mine]
    for group in mine:
        table = page.find("table", id=f"group-table-{group['id']}")
        rows = {int(r["data-student"]): r for r in table.select("tbody tr")}
        assert set(rows) == set(group["students"])
        for student, row in rows.items():
            seen = visible(made, student, {data.course_id}, STUDENT_SOURCES)
            for source in STUDENT_SOURCES:
                assert cell(row, source) == latest_text(seen, source), (student, source)
            expected = waiting_texts(made, library, student)
            items = [" ".join(li.get_text(" ").split()) for li in row.find(attrs={"data-cell": "waiting"}).find_all("li")]
            assert items == expected
    # what the students said about this coach, beside the coach's own self-assessment
    said = visible(made, coach["user_id"], {data.course_id}, ("student",))
    own = [r for r in made.ratings if r["subject_id"] == coach["user_id"] and r["source"] == "coach-self"
           and r["course_id"] == data.course_id and not r["superseded"]]
    table = page.find("table", id="coaching-skills")
    skills = ["overall"] + [s.id for s in library.skills.skills
                            if any(s.id == i.skill for i in library.checklist("student-coach").items)]
    assert [r["data-skill"] for r in table.select("tbody tr")] == skills
    for skill in skills:
        row = table.find("tr", attrs={"data-skill": skill})
        students_values = values(said, skill, "student")
        assert cell(row, "students") == (f"{statistics.fmean(students_values):.2f}" if students_values else "—")
        assert cell(row, "n") == str(len(students_values))
        own_values = values(own, skill, "coach-self")
        assert cell(row, "self") == (f"{statistics.fmean(own_values):.2f}" if own_values else "—")
    held = sum(1 for r in made.ratings if r["subject_id"] == coach["user_id"] and r["source"] == "student"
               and not r["superseded"] and not r["released"])
    intro = page.find(id="coaching-feedback").find_next("p").get_text(" ")
    assert f"{len(said)} released rating" in intro
    assert (f"{held} more" in intro) if held else ("more" not in intro)
    comments = page.select(".report-comment")
    assert len(comments) == sum(1 for r in said if r["comments"])
    assert not any(made.names[r["rater_id"]] in c.get_text(" ") for r in said for c in comments)
    assert took < 2.0, f"the coaching view took {took * 1000:.0f} ms"
    print(f"coaching view: {took * 1000:.0f} ms for {sum(len(g['students']) for g in mine)} students")
