"""Ratings for a generated course, written in bulk: coaches and workshop groups, SPs and encounters, checklist
placements with their settings, and ratings from every source (some corrected, some not released), plus an
earlier year's course on the same platform where some of the same students were rated.

Everything is returned as plain values so a test can work out what each report should show without Rapport's
code: a rating's latest released version, means per skill and source, who is still to rate.
This seeder (`add_report_ratings`) serves the feedback reports; the dashboard's figures and the
exports use `rating_pairs.add_paired_ratings`, which writes a differently shaped course.
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, select

from lti_plugin.content import get_library
from lti_plugin.extensions import db
from lti_plugin.models import (ChecklistSetting, Course, CourseRole, Encounter, EncounterMember, GroupMember,
                               Membership, RatingAnswer, RatingSubmission, ResourceLink, User, WorkshopGroup, utcnow)
from tests.helpers.course_data import FAMILY, GIVEN, GeneratedCourse

# checklist -> (source, release, confidential)
PLACEMENTS = {"coach-student": ("coach", "immediate", False), "sp-student": ("sp", "immediate", True),
              "student-self": ("self", "immediate", False), "student-peer": ("peer", "all_raters", True),
              "student-coach": ("student", "all_raters", True), "coach-self": ("coach-self", "immediate", False)}
WORKSHOPS = (date(2026, 9, 8), date(2026, 10, 6), date(2026, 11, 3))
STATIONS = (("Station 1: breaking news", date(2026, 9, 22)), ("Station 2: the worried parent", date(2026, 10, 20)),
            ("Station 3: advice declined", date(2026, 11, 17)))
LAST_YEAR = date(2025, 10, 14)


@dataclass
class RatedCourse:
    """The generated course and its ratings, in plain values."""

    course: GeneratedCourse
    earlier_course_id: int
    earlier_title: str
    links: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)  # (course, checklist) -> placement
    coaches: list[dict[str, Any]] = field(default_factory=list)
    sps: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)  # name, id, coaches, students
    encounters: list[dict[str, Any]] = field(default_factory=list)
    ratings: list[dict[str, Any]] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)

    def group_of(self, student_id: int) -> dict[str, Any]:
        """The student's workshop group."""
        return next(g for g in self.groups if student_id in g["students"])


def _user(rng: random.Random, issuer: str, kind: str, number: int) -> User:
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    return User(issuer=issuer, sub=f"lms-{kind}-{uuid.UUID(int=rng.getrandbits(128))}", given_name=given,
                family_name=family, name=f"Dr {given} {family}" if kind == "coach" else f"{given} {family}",
                email=f"{kind}.{number}@school.example.edu")


def add_report_ratings(data: GeneratedCourse, deployment_id: int, issuer: str, *, seed: int = 11,
                earlier_students: int = 60) -> RatedCourse:
    """Write groups, encounters, placements and ratings into the generated course (and an earlier one); commits."""
    from flask import current_app

    rng = random.Random(seed)
    library = get_library(current_app.config["CONTENT_DIR"])
    earlier = Course(deployment_id=deployment_id, context_id="course-2025", title="Relational Skills 101 (2025)",
                     label="RS101-2025")
    db.session.add(earlier)
    db.session.flush()
    rated = RatedCourse(data, earlier.id, earlier.title)
    students = [s["user_id"] for s in data.students]
    rated.names.update({s["user_id"]: s["name"] for s in data.students})
    coaches = [_user(rng, issuer, "coach", i) for i in range(30)]
    sps = [_user(rng, issuer, "sp", i) for i in range(6)]
    db.session.add_all(coaches + sps)
    db.session.flush()
    for user in coaches + sps:
        rated.names[user.id] = user.name
    for course_id in (data.course_id, earlier.id):
        db.session.add_all([Membership(course_id=course_id, user_id=u.id, role="staff", lti_roles=[]) for u in coaches + sps])
        db.session.add_all([CourseRole(course_id=course_id, user_id=u.id, role="coach") for u in coaches]
                           + [CourseRole(course_id=course_id, user_id=u.id, role="sp") for u in sps])
    db.session.add_all([Membership(course_id=earlier.id, user_id=s, role="student", lti_roles=[])
                        for s in students[:earlier_students]])
    rated.coaches = [{"user_id": u.id, "sub": u.sub, "name": u.name} for u in coaches]
    rated.sps = [{"user_id": u.id, "sub": u.sub, "name": u.name} for u in sps]
    for course_id in (data.course_id, earlier.id):
        for checklist, (source, release, confidential) in PLACEMENTS.items():
            link = ResourceLink(deployment_id=deployment_id, course_id=course_id, resource_link_id=f"lms-{course_id}-{checklist}",
                                title=library.checklist(checklist).title, content_kind="checklist", content_id=checklist)
            db.session.add(link)
            db.session.flush()
            db.session.add(ChecklistSetting(resource_link_id=link.id, source=source, release=release,
                                            confidential=confidential))
            rated.links[(course_id, checklist)] = {"link_id": link.id, "lti_id": link.resource_link_id,
                                                   "confidential": confidential, "title": link.title}
    # 30 groups of 10; every fifth group has a second coach (the coach of the next group)
    for number in range(30):
        group = WorkshopGroup(course_id=data.course_id, name=f"Group {number + 1:02d}")
        db.session.add(group)
        db.session.flush()
        group_coaches = [coaches[number].id] + ([coaches[(number + 1) % 30].id] if number % 5 == 0 else [])
        group_students = students[number * 10:(number + 1) * 10]
        db.session.add_all([GroupMember(group_id=group.id, user_id=c, role="coach") for c in group_coaches]
                           + [GroupMember(group_id=group.id, user_id=s, role="student") for s in group_students])
        rated.groups.append({"id": group.id, "name": group.name, "coaches": group_coaches, "students": group_students})
    for number, (name, on) in enumerate(STATIONS):
        row = Encounter(course_id=data.course_id, name=name, occurs_on=on)
        db.session.add(row)
        db.session.flush()
        station_sps = [sps[2 * number].id, sps[2 * number + 1].id]
        db.session.add_all([EncounterMember(encounter_id=row.id, user_id=s, role="sp") for s in station_sps]
                           + [EncounterMember(encounter_id=row.id, user_id=s, role="student") for s in students])
        rated.encounters.append({"id": row.id, "name": name, "on": on, "sps": station_sps})
    db.session.flush()

    def rate(course_id: int, checklist: str, rater: int, subject: int, on: date, encounter: int | None,
             tendency: float) -> None:
        items = library.checklist(checklist).items
        values = {}
        for item in items:
            values[item.id] = (item.skill, None if rng.random() < 0.06 else
                               max(1, min(5, round(tendency + rng.gauss(0, 0.9)))))
        versions = 2 if rng.random() < 0.06 else 1
        series = uuid.uuid4().hex
        for version in range(1, versions + 1):
            if version == 2:  # a correction: one value changed
                first = items[-1].id
                values[first] = (values[first][0], rng.randint(1, 5))
            released = rng.random() < (0.88 if version == 1 else 0.5)
            comments = {"strengths": f"Comment {len(rated.ratings)} on a moment in the encounter"} \
                if rng.random() < 0.3 else {}
            rated.ratings.append({
                "client_id": uuid.uuid4().hex, "series": series, "version": version, "course_id": course_id,
                "link_id": rated.links[(course_id, checklist)]["link_id"], "checklist": checklist,
                "source": PLACEMENTS[checklist][0], "rater_id": rater, "subject_id": subject, "encounter_id": encounter,
                "observed_on": on, "global": max(1, min(5, round(tendency + rng.gauss(0, 0.7)))),
                "answers": dict(values), "comments": comments, "released": released,
                "superseded": version < versions, "confidential": rated.links[(course_id, checklist)]["confidential"]})

    for group in rated.groups:
        for student in group["students"]:
            level = rng.uniform(2.0, 4.0)
            for n, on in enumerate(WORKSHOPS):
                grown = level + 0.3 * n
                if rng.random() < 0.8:
                    rate(data.course_id, "student-self", student, student, on, None, grown + rng.choice((-1, 0.5, 1)))
                if rng.random() < 0.85:
                    rate(data.course_id, "coach-student", rng.choice(group["coaches"]), student, on, None, grown)
                for mate in rng.sample([s for s in group["students"] if s != student], rng.choice((0, 1, 2))):
                    rate(data.course_id, "student-peer", mate, student, on, None, grown + 0.3)
            for station in rated.encounters:
                if rng.random() < 0.9:
                    rate(data.course_id, "sp-student", rng.choice(station["sps"]), student, station["on"], station["id"],
                         level + 0.2)
            if rng.random() < 0.7:
                rate(data.course_id, "student-coach", student, rng.choice(group["coaches"]), WORKSHOPS[-1], None,
                     rng.uniform(3, 5))
        for coach in group["coaches"]:
            if rng.random() < 0.8:
                rate(data.course_id, "coach-self", coach, coach, WORKSHOPS[-1], None, 3.5)
    for student in students[:earlier_students]:  # last year: one workshop, a coach and a self-assessment
        rate(earlier.id, "coach-student", coaches[0].id, student, LAST_YEAR, None, 2.2)
        rate(earlier.id, "student-self", student, student, LAST_YEAR, None, 3.0)

    now = utcnow()
    db.session.execute(insert(RatingSubmission), [{
        "client_id": r["client_id"], "series": r["series"], "version": r["version"], "course_id": r["course_id"],
        "resource_link_id": r["link_id"], "checklist_id": r["checklist"], "checklist_version": 1, "source": r["source"],
        "rater_id": r["rater_id"], "subject_id": r["subject_id"], "encounter_id": r["encounter_id"],
        "observed_on": r["observed_on"], "global_rating": r["global"], "comments": r["comments"],
        "submitted_at": now - timedelta(days=(date.today() - r["observed_on"]).days) + timedelta(seconds=r["version"]),
        "launch_ref": "seeded", "superseded_at": now if r["superseded"] else None,
        "released_at": now if r["released"] else None} for r in rated.ratings])
    ids = dict(db.session.execute(select(RatingSubmission.client_id, RatingSubmission.id).where(
        RatingSubmission.launch_ref == "seeded")).all())
    db.session.execute(insert(RatingAnswer), [
        {"submission_id": ids[r["client_id"]], "item_id": item, "skill_id": skill, "value": value}
        for r in rated.ratings for item, (skill, value) in r["answers"].items()])
    for r in rated.ratings:
        r["id"] = ids[r["client_id"]]
    db.session.commit()
    return rated
