"""Ratings for a generated course, written straight into the database: coaches and SPs, workshop groups,
OSCE stations, six checklist placements, and current and corrected ratings from every source, with pairs
of raters who saw the same student at the same station.

Everything written is returned as plain values too, so a test can work out on its own what the
dashboard and the exports should show. This seeder (`add_paired_ratings`) serves the dashboard, the
exports and bench/dashboard.py; the feedback reports use `rating_data.add_report_ratings`.
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import insert

from lti_plugin.content import get_library
from lti_plugin.extensions import db
from lti_plugin.models import (
    ChecklistSetting,
    Course,
    CourseRole,
    Encounter,
    EncounterMember,
    GroupMember,
    Membership,
    RatingAnswer,
    RatingSubmission,
    ResourceLink,
    User,
    WorkshopGroup,
    utcnow,
)
from tests.helpers.course_data import GeneratedCourse, _person

TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
SP_ROLE = "http://example.edu/roles#StandardizedPatient"
# (checklist, source, the LMS's title for the placement)
PLACEMENTS = (
    ("coach-student", "coach", "Coach feedback after workshops - Dr. Whitcombe's section"),
    ("coach-student", "coach", "Coach observation at the OSCE"),
    ("sp-student", "sp", "Standardized patient feedback - spring OSCE"),
    ("student-self", "self", "Rate yourself"),
    ("student-peer", "peer", "Rate a classmate"),
    ("student-coach", "student", "How was your coach?"),
)
STATIONS = ("Station 1: breaking bad news to Mrs Lindqvist", "Station 2: the angry father", "Station 3: smoking cessation")
SCARCE_SKILL = "release-emotional-charge"  # at the OSCE, coaches rarely both see it: too few pairs
SCARCE_PAIRS = 6


@dataclass
class GeneratedRatings:
    """What was written, in plain values."""

    placements: list[dict[str, Any]] = field(default_factory=list)
    coaches: list[dict[str, Any]] = field(default_factory=list)
    sps: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    encounters: list[dict[str, Any]] = field(default_factory=list)
    submissions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def current(self) -> list[dict[str, Any]]:
        """The current version of every rating."""
        return [s for s in self.submissions if s["current"]]

    def placement(self, title_start: str) -> dict[str, Any]:
        """The placement whose title starts so."""
        return next(p for p in self.placements if p["title"].startswith(title_start))


def _people(rng: random.Random, count: int, issuer: str, role: str, start: int) -> list[User]:
    people = [_person(rng, start + i, issuer, role) for i in range(count)]
    for user in people:  # coaches and SPs work for the hospital
        user.email = user.email.replace("@school.example.edu", f".{role}@hospital.example.org")
        if role == "coach":
            user.name = f"Dr. {user.name}"
    return people


def _plain(user: User) -> dict[str, Any]:
    return {"user_id": user.id, "name": user.name, "given": user.given_name, "family": user.family_name,
            "email": user.email, "sub": user.sub}


def add_paired_ratings(data: GeneratedCourse, *, seed: int = 11, now: datetime | None = None,
                content_dir: str | None = None) -> GeneratedRatings:
    """Write groups, stations, placements and ratings into the generated course (call in an app context; commits)."""
    from flask import current_app

    rng = random.Random(seed)
    now = now or utcnow()
    library = get_library(content_dir or current_app.config["CONTENT_DIR"])
    course = db.session.get(Course, data.course_id)
    assert course is not None
    issuer = course_issuer(course)
    made = GeneratedRatings()
    students = data.students
    coaches = _people(rng, max(4, len(students) // 12), issuer, "coach", 0)
    sps = _people(rng, max(4, len(students) // 40), issuer, "sp", 500)
    db.session.add_all(coaches + sps)
    db.session.flush()
    db.session.add_all([Membership(course_id=course.id, user_id=u.id, role="staff", lti_roles=[TA]) for u in coaches]
                       + [Membership(course_id=course.id, user_id=u.id, role="other", lti_roles=[SP_ROLE]) for u in sps]
                       + [CourseRole(course_id=course.id, user_id=u.id, role="coach") for u in coaches]
                       + [CourseRole(course_id=course.id, user_id=u.id, role="sp") for u in sps])
    made.coaches, made.sps = [_plain(u) for u in coaches], [_plain(u) for u in sps]

    links = []
    for checklist_id, source, title in PLACEMENTS:
        link = ResourceLink(deployment_id=course.deployment_id, course_id=course.id,
                            resource_link_id=f"lms-link-{uuid.UUID(int=rng.getrandbits(128))}", title=title,
                            content_kind="checklist", content_id=checklist_id)
        links.append((link, source))
    db.session.add_all([link for link, _ in links])
    db.session.flush()
    db.session.add_all([ChecklistSetting(resource_link_id=link.id, source=source, release="immediate") for link, source in links])
    made.placements = [{"link_id": link.id, "lti_id": link.resource_link_id, "title": link.title,
                        "checklist_id": link.content_id, "source": source} for link, source in links]
    workshops, osce_coach, sp_link, self_link, peer_link, coach_link = made.placements

    # workshop groups of about ten students, one coach each (every third group has a second coach)
    size = 10
    for number, start in enumerate(range(0, len(students), size)):
        members = students[start:start + size]
        group_coaches = [coaches[number % len(coaches)]] + ([coaches[(number + 1) % len(coaches)]] if number % 3 == 0 else [])
        group = WorkshopGroup(course_id=course.id, name=f"Workshop group {number + 1} (Tuesday, room B{number})")
        group.members = ([GroupMember(user_id=c.id, role="coach") for c in group_coaches]
                         + [GroupMember(user_id=s["user_id"], role="student") for s in members])
        db.session.add(group)
        made.groups.append({"name": group.name, "coaches": [c.id for c in group_coaches],
                            "students": [s["user_id"] for s in members]})
    stations = []
    for number, name in enumerate(STATIONS):
        station = Encounter(course_id=course.id, name=name, occurs_on=(now - timedelta(days=30 - 7 * number)).date())
        station_sps = [sps[(number * 2 + k) % len(sps)] for k in range(3)]
        station_coaches = [coaches[(number * 2 + k) % len(coaches)] for k in range(2)]
        station.members = ([EncounterMember(user_id=u.id, role="sp") for u in station_sps]
                           + [EncounterMember(user_id=u.id, role="coach") for u in station_coaches]
                           + [EncounterMember(user_id=s["user_id"], role="student") for s in students])
        stations.append((station, station_sps, station_coaches))
    db.session.add_all([s for s, _, _ in stations])
    db.session.flush()
    made.encounters = [{"id": s.id, "name": s.name, "occurs_on": s.occurs_on} for s, _, _ in stations]

    writer = _Writer(rng, library, made, data, now)
    ability = {s["user_id"]: rng.gauss(3.0, 0.7) for s in students}
    for c in coaches:
        ability[c.id] = rng.gauss(3.6, 0.5)
    bias = {u.id: rng.gauss(0, 0.3) for u in coaches + sps}
    bias.update({s["user_id"]: rng.gauss(0.3, 0.4) for s in students})  # students rate a little high
    writer.ability, writer.bias = ability, bias
    by_group = {s: g for g in made.groups for s in g["students"]}
    for person in students:
        me = person["user_id"]
        group = by_group[me]
        for session in range(2):  # two workshop sessions, rated by the group's first coach
            if rng.random() < 0.9:
                writer.rating(workshops, group["coaches"][0], me, None, (now - timedelta(days=60 - 14 * session)).date())
        if rng.random() < 0.9:
            writer.rating(self_link, me, me, None, (now - timedelta(days=40)).date())
        mates = [s for s in group["students"] if s != me]
        if mates and rng.random() < 0.7:
            writer.rating(peer_link, me, rng.choice(mates), None, (now - timedelta(days=35)).date())
        if rng.random() < 0.5:
            writer.rating(coach_link, me, group["coaches"][0], None, (now - timedelta(days=20)).date())
    scarce = 0
    for station, station_sps, station_coaches in stations:
        for person in students:
            me = person["user_id"]
            if rng.random() < 0.85:
                raters = rng.sample(station_sps, 3 if rng.random() < 0.08 else 2 if rng.random() < 0.4 else 1)
                for rater in raters:
                    writer.rating(sp_link, rater.id, me, station.id, station.occurs_on)
                if rng.random() < 0.02:  # the same SP rates the same student again: the later rating counts
                    writer.rating(sp_link, raters[0].id, me, station.id, station.occurs_on)
            if station is stations[0][0] and rng.random() < 0.3:  # two coaches observe at the first station
                keep = scarce < SCARCE_PAIRS
                scarce += 1
                for n, rater in enumerate(station_coaches):
                    writer.rating(osce_coach, rater.id, me, station.id, station.occurs_on,
                                  na={SCARCE_SKILL} if n == 1 and not keep else set())
    db.session.flush()
    writer.correct_some(0.06)
    writer.flush()
    db.session.commit()
    return made


def course_issuer(course: Course) -> str:
    """The issuer of the platform the course belongs to."""
    from lti_plugin.models import Deployment

    deployment = db.session.get(Deployment, course.deployment_id)
    assert deployment is not None
    return deployment.registration.issuer


class _Writer:
    """Makes rating rows with values that depend on the student, the skill and the rater."""

    def __init__(self, rng: random.Random, library: Any, made: GeneratedRatings, data: GeneratedCourse, now: datetime):
        self.rng, self.library, self.made, self.now = rng, library, made, now
        self.ability: dict[int, float] = {}
        self.bias: dict[int, float] = {}
        self.skill_shift = {s.id: rng.uniform(-0.5, 0.5) for s in library.skills.skills}
        self.counter = 0
        self.rows: list[RatingSubmission] = []
        self.records: list[dict[str, Any]] = []
        self.names = {p["user_id"]: p for p in data.students}
        self.course_id = data.course_id

    def _level(self, subject: int, rater: int, skill: str | None) -> int:
        shift = self.skill_shift.get(skill, 0.0) if skill else 0.0
        value = self.ability[subject] + shift + self.bias.get(rater, 0.0) + self.rng.gauss(0, 0.6)
        return min(5, max(1, round(value)))

    def rating(self, placement: dict[str, Any], rater: int, subject: int, encounter: int | None, observed: date,
               *, na: set[str] | None = None, series: str | None = None, version: int = 1) -> dict[str, Any]:
        """One submission (and its answers, written at the next flush)."""
        checklist = self.library.checklist(placement["checklist_id"])
        self.counter += 1  # sent the day after the encounter, each a little after the one before
        moment = datetime.combine(observed, datetime.min.time(), tzinfo=timezone.utc) + timedelta(days=1, seconds=37 * self.counter)
        values: dict[str, int | None] = {}
        for item in checklist.items:
            missing = item.skill in (na or set()) or self.rng.random() < 0.08
            values[item.id] = None if missing else self._level(subject, rater, item.skill)
        overall = self._level(subject, rater, None)
        first = self.names.get(subject, {}).get("given", "the coach")
        comments = {c.id: f"{first}: remark {uuid.UUID(int=self.rng.getrandbits(128)).hex[:12]} on {c.id}"
                    for c in checklist.comments if self.rng.random() < 0.7}
        row = RatingSubmission(
            client_id=uuid.UUID(int=self.rng.getrandbits(128)).hex, series=series or uuid.UUID(int=self.rng.getrandbits(128)).hex,
            version=version, course_id=self.course_id, resource_link_id=placement["link_id"],
            checklist_id=checklist.id, checklist_version=checklist.version, source=placement["source"], rater_id=rater,
            subject_id=subject, encounter_id=encounter, observed_on=observed, global_rating=overall, comments=comments,
            submitted_at=moment, launch_ref="seeded", released_at=moment)
        record = {"source": placement["source"], "checklist_id": checklist.id, "link_id": placement["link_id"],
                  "rater_id": rater, "subject_id": subject, "encounter_id": encounter, "observed_on": observed,
                  "global": overall, "values": values, "skills": {i.id: i.skill for i in checklist.items},
                  "comments": comments, "submitted_at": moment, "version": version, "current": True,
                  "na": set(na or ())}
        self.rows.append(row)
        self.records.append(record)
        self.made.submissions.append(record)
        return record

    def flush(self) -> None:
        """Write the submissions made since the last flush, then their answers in one statement."""
        if not self.rows:
            return
        db.session.add_all(self.rows)
        db.session.flush()
        answers = []
        for row, record in zip(self.rows, self.records):
            record["id"], record["series"] = row.id, row.series
            answers.extend({"submission_id": row.id, "item_id": item, "skill_id": record["skills"][item], "value": value}
                           for item, value in record["values"].items())
        db.session.execute(insert(RatingAnswer), answers)
        self.rows, self.records = [], []

    def correct_some(self, share: float) -> None:
        """Raters correct a share of their ratings: a new version replaces the old one (kept, superseded)."""
        self.flush()
        originals = [r for r in self.made.submissions if self.rng.random() < share]
        placements = {p["link_id"]: p for p in self.made.placements}
        for old in originals:
            old["current"] = False
            new = self.rating(placements[old["link_id"]], old["rater_id"], old["subject_id"], old["encounter_id"],
                              old["observed_on"], series=old["series"], version=2, na=old["na"])
            db.session.get(RatingSubmission, old["id"]).superseded_at = new["submitted_at"]
        self.flush()
