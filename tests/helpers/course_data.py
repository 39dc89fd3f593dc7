"""A course with realistic data written straight into the database: learners, module progress, quiz
attempts, grade deliveries in every state, and a survey schedule with baseline and follow-up answers.

Everything generated is also returned as plain Python values, so a test can work out the
figures a page should show on its own, without Rapport's code.
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lti_plugin.content import get_library
from lti_plugin.extensions import db
from lti_plugin.models import (
    Course,
    Deployment,
    Membership,
    ModuleProgress,
    QuizAttempt,
    ResourceLink,
    ScoreDelivery,
    SurveyResponse,
    SurveySchedule,
    SurveyWindow,
    User,
    utcnow,
)
from lti_plugin.services.grading import line_item_key

GIVEN = ["Ana", "Bruno", "Chiara", "Dmitri", "Efua", "Farah", "Gustavo", "Hana", "Ioana", "Jonas", "Kwame", "Leilani",
         "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sione", "Tamar", "Umar", "Valentina", "Wei", "Ximena",
         "Yusuf", "Zofia"]
FAMILY = ["Okafor", "Ribeiro", "Nakamura", "Lindqvist", "Haddad", "Moreau", "Kowalczyk", "Achterberg", "Mensah",
          "Castellanos", "Ivanova", "Fairweather", "Oyelaran", "Tremblay", "Sorensen", "Abernathy", "Villanueva",
          "Papadakis", "Whitcombe", "Kuznetsova"]
MODULES = ("foundations", "booster-difficult-conversations", "booster-trauma-informed")
QUIZ_PLACEMENTS = ("foundations-final",)
ERRORS = ["User is not enrolled as a student in this course (the platform cannot grade them)",
          "Line item was deleted by an instructor"]


@dataclass
class GeneratedCourse:
    """What was written, in plain values."""

    course_id: int
    context_id: str
    course_title: str
    students: list[dict[str, Any]] = field(default_factory=list)
    staff: list[dict[str, Any]] = field(default_factory=list)
    placements: list[dict[str, Any]] = field(default_factory=list)
    progress: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    schedule_id: int = 0
    windows: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)

    def placement(self, content_id: str) -> dict[str, Any]:
        """The placement showing this content."""
        return next(p for p in self.placements if p["content_id"] == content_id)


def _person(rng: random.Random, number: int, issuer: str, role: str) -> User:
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    return User(issuer=issuer, sub=f"lms-{role}-{uuid.UUID(int=rng.getrandbits(128))}", given_name=given, family_name=family,
                name=f"{given} {family}", email=f"{given.lower()}.{family.lower()}.{number}@school.example.edu")


def build_course(deployment_id: int, *, students: int = 300, modules: tuple[str, ...] = MODULES,
                 quiz_placements: tuple[str, ...] = QUIZ_PLACEMENTS, seed: int = 7, context_id: str = "course-1",
                 title: str = "Relational Skills 101", content_dir: str | None = None, now: datetime | None = None,
                 survey: bool = True) -> GeneratedCourse:
    """Write a course with `students` learners and two staff; call inside an app context (commits)."""
    rng = random.Random(seed)
    now = now or utcnow()
    from flask import current_app

    library = get_library(content_dir or current_app.config["CONTENT_DIR"])
    deployment = db.session.get(Deployment, deployment_id)
    assert deployment is not None
    issuer = deployment.registration.issuer
    course = Course(deployment_id=deployment_id, context_id=context_id, title=title, label="RS101")
    db.session.add(course)
    db.session.flush()
    data = GeneratedCourse(course.id, context_id, title)

    people = [_person(rng, i, issuer, "student") for i in range(students)]
    staff = [_person(rng, 9000 + i, issuer, "staff") for i in range(2)]
    db.session.add_all(people + staff)
    db.session.flush()
    db.session.add_all([Membership(course_id=course.id, user_id=u.id, role="student", lti_roles=[]) for u in people]
                       + [Membership(course_id=course.id, user_id=u.id, role="staff", lti_roles=[]) for u in staff])
    for user, into in [(u, data.students) for u in people] + [(u, data.staff) for u in staff]:
        into.append({"user_id": user.id, "name": user.name, "given": user.given_name, "family": user.family_name,
                     "email": user.email, "sub": user.sub})

    links = []
    for kind, ids in (("module", modules), ("quiz", quiz_placements), ("survey", ("attitudes",) if survey else ())):
        for content_id in ids:
            lti_id = f"lms-link-{uuid.UUID(int=rng.getrandbits(128))}"
            link_title = f"{content_id.replace('-', ' ').title()} - Dr. Whitcombe's section"
            link = ResourceLink(deployment_id=deployment_id, course_id=course.id, resource_link_id=lti_id, title=link_title,
                                content_kind=kind, content_id=content_id, points=20.0 if kind != "survey" else None)
            links.append(link)
    db.session.add_all(links)
    db.session.flush()
    for link in links:
        data.placements.append({"link_id": link.id, "lti_id": link.resource_link_id, "title": link.title,
                                "kind": link.content_kind, "content_id": link.content_id})

    graded = [p for p in data.placements if p["kind"] in ("module", "quiz")]
    rows: list[Any] = []
    for person in data.students + data.staff[:1]:  # one staff member previews everything: never counted
        for placement in graded:
            rows.extend(_learner_in_placement(rng, library, data, person, placement, now, issuer, deployment.registration_id))
    db.session.add_all(rows)
    db.session.flush()
    for row in rows:
        if isinstance(row, ScoreDelivery):
            data.deliveries.append({"id": row.id, "user_id": row.user_id, "link_id": row.resource_link_id,
                                    "key": row.line_item_key, "timestamp": row.timestamp, "state": row.state,
                                    "last_error": row.last_error, "score_given": row.score_given})
    if survey:
        _survey(rng, library, data, now)
    db.session.commit()
    return data


def _learner_in_placement(rng: random.Random, library: Any, data: GeneratedCourse, person: dict[str, Any],
                          placement: dict[str, Any], now: datetime, issuer: str, registration_id: int) -> list[Any]:
    """Progress, attempts and deliveries of one learner in one placement."""
    rows: list[Any] = []
    user_id, link_id = person["user_id"], placement["link_id"]
    started = now - timedelta(days=rng.randint(5, 60), minutes=rng.randint(0, 1000))
    scores: list[float] = []
    if placement["kind"] == "module":
        module = library.module(placement["content_id"])
        if rng.random() < 0.15:
            return rows  # not started
        seen = module.pages[: rng.randint(1, len(module.pages))] if rng.random() < 0.45 else module.pages
        for page in seen:
            if page.kind == "quiz" and page.quiz:
                scores.append(_attempts(rng, library.quiz(page.quiz), data, user_id, link_id, started, rows))
        completed = len(seen) == len(module.pages)
        score = sum(scores) / len(scores) if completed and scores else (1.0 if completed else None)
        rows.append(ModuleProgress(user_id=user_id, resource_link_id=link_id, module_id=module.id,
                                   current_page=seen[-1].id, pages_seen=[p.id for p in seen], started_at=started,
                                   updated_at=started + timedelta(hours=2),
                                   completed_at=started + timedelta(hours=3) if completed else None, score=score))
        data.progress.append({"user_id": user_id, "link_id": link_id, "pages_seen": len(seen),
                              "pages_total": len(module.pages), "completed": completed, "score": score})
        graded_share = score if completed else None
    else:
        if rng.random() < 0.2:
            return rows
        graded_share = _attempts(rng, library.quiz(placement["content_id"]), data, user_id, link_id, started, rows)
    if graded_share is not None and person in data.students:
        rows.extend(_deliveries(rng, data, person, placement, graded_share, started, now, issuer, registration_id))
    return rows


def _attempts(rng: random.Random, quiz: Any, data: GeneratedCourse, user_id: int, link_id: int, started: datetime,
              rows: list[Any]) -> float:
    """1..allowed attempts at a quiz; returns the counted share."""
    allowed = quiz.attempts or 3
    total = len(quiz.questions)
    made = []
    for number in range(1, rng.randint(1, allowed) + 1):
        correct = rng.randint(max(0, total - 3), total)
        share = correct / total
        passed = share + 1e-9 >= quiz.pass_mark
        rows.append(QuizAttempt(user_id=user_id, resource_link_id=link_id, quiz_id=quiz.id, quiz_version=quiz.version,
                                number=number, answers={}, correct=correct, total=total, score=share, passed=passed,
                                submitted_at=started + timedelta(minutes=10 * number)))
        record = {"user_id": user_id, "link_id": link_id, "quiz_id": quiz.id, "number": number, "score": share,
                  "passed": passed, "correct": correct, "total": total}
        data.attempts.append(record)
        made.append(record)
        if passed:
            break
    if quiz.counts == "last":
        return float(made[-1]["score"])
    return float(max(r["score"] for r in made))


def _deliveries(rng: random.Random, data: GeneratedCourse, person: dict[str, Any], placement: dict[str, Any], share: float,
                started: datetime, now: datetime, issuer: str, registration_id: int) -> list[ScoreDelivery]:
    """A Started row, sometimes an older score, then the newest score in a random state."""
    key = line_item_key("lineitem", f"{issuer}/lineitems/{placement['lti_id']}")
    base = dict(registration_id=registration_id, user_id=person["user_id"], resource_link_id=placement["link_id"],
                user_sub=person["sub"], line_item_key=key, line_item_url=f"{issuer}/lineitems/{placement['lti_id']}",
                score_maximum=20.0, grading_progress="FullyGraded")
    rows = [ScoreDelivery(**{**base, "grading_progress": "NotReady"}, score_given=None, activity_progress="Started",
                          state="delivered", attempts=1, timestamp=started, created_at=started, next_attempt_at=started,
                          delivered_at=started)]
    moment = started + timedelta(hours=1)
    if rng.random() < 0.3:  # an earlier, lower score that a later one replaced
        rows.append(ScoreDelivery(**base, score_given=round(share * 20 * 0.5, 4), activity_progress="Submitted",
                                  state="superseded", attempts=0, timestamp=moment, created_at=moment,
                                  next_attempt_at=moment, last_error="A newer score for the same line item and user replaced this one before it was sent."))
        moment += timedelta(minutes=30)
    roll = rng.random()
    newest = ScoreDelivery(**base, score_given=round(share * 20, 4), activity_progress="Completed", timestamp=moment,
                           created_at=moment, attempts=1, next_attempt_at=moment)
    if roll < 0.7:
        newest.state, newest.delivered_at = "delivered", moment + timedelta(seconds=3)
    elif roll < 0.85:
        newest.state, newest.attempts = "pending", rng.randint(1, 4)
        newest.next_attempt_at = now + timedelta(minutes=rng.randint(1, 90))
        newest.last_status, newest.last_error = 503, "Gradebook is restarting"
    else:
        newest.state, newest.last_status, newest.last_error = "failed", 422, rng.choice(ERRORS)
    rows.append(newest)
    return rows


def _survey(rng: random.Random, library: Any, data: GeneratedCourse, now: datetime) -> None:
    """A course-wide schedule: baseline and follow-up 1 closed, follow-up 2 open now; answers in each."""
    survey = library.survey("attitudes")
    schedule = SurveySchedule(course_id=data.course_id, survey_id=survey.id, timezone="Europe/Lisbon", rule={"mode": "dates"})
    spans = [(now - timedelta(days=200), now - timedelta(days=186)), (now - timedelta(days=20), now - timedelta(days=6)),
             (now - timedelta(days=1), now + timedelta(days=13))]
    schedule.windows = [SurveyWindow(position=i, opens_at=a, closes_at=b) for i, (a, b) in enumerate(spans)]
    db.session.add(schedule)
    db.session.flush()
    data.schedule_id = schedule.id
    data.windows = [{"id": w.id, "position": w.position, "opens_at": w.opens_at, "closes_at": w.closes_at}
                    for w in schedule.windows]
    shares = [(0.85, 0.05), (0.6, 0.05), (0.2, 0.1)]  # submitted, draft, per window
    rows = []
    for person in data.students + data.staff[:1]:
        leaning = rng.uniform(-1.2, 1.2)
        for window, (submitted_share, draft_share) in zip(schedule.windows, shares):
            roll = rng.random()
            if roll >= submitted_share + draft_share:
                continue
            lift = 0.5 * window.position  # views improve a little over training
            answers = {}
            for item in survey.items:
                agree = min(7, max(1, round(4.6 + leaning + lift + rng.gauss(0, 1.1))))
                answers[item.id] = survey.scale.points + 1 - agree if item.reverse else agree
            if rng.random() < 0.12:  # a partial response: some subscales fall below their min_answered share
                drop = [item.id for item in survey.items if item.subscale == rng.choice(survey.subscales).id][:4]
                drop += rng.sample([item.id for item in survey.items], 3)
                for item_id in drop:
                    answers.pop(item_id, None)
            submitted = roll < submitted_share
            moment = window.opens_at + timedelta(hours=rng.randint(1, 48))
            rows.append(SurveyResponse(window_id=window.id, user_id=person["user_id"], survey_id=survey.id,
                                       survey_version=survey.version, answers=answers, started_at=moment,
                                       updated_at=moment, submitted_at=moment + timedelta(minutes=12) if submitted else None))
            data.responses.append({"user_id": person["user_id"], "window_id": window.id, "position": window.position,
                                   "answers": answers, "submitted": submitted, "student": person in data.students})
    db.session.add_all(rows)
