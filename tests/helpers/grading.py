"""Helpers for grade delivery tests: launch sessions made directly, a worker tuned for tests."""
from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from lti_plugin.extensions import db
from lti_plugin.lti.state import digest
from lti_plugin.models import (
    Course,
    Deployment,
    LaunchSession,
    Registration,
    ResourceLink,
    ScoreDelivery,
    User,
    utcnow,
)
from lti_plugin.outbox import DeliveryWorker

AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
OPEN_WORKERS: list[DeliveryWorker] = []  # closed after each test by tests/integration/conftest.py
SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]


def test_worker(app: Any, **options: Any) -> DeliveryWorker:
    """A delivery worker with quick polling and backoff, so retries happen within a test."""
    settings: dict[str, Any] = {"threads": 8, "poll_seconds": 0.02, "backoff_base": 0.02, "backoff_cap": 0.2}
    settings.update(options)
    worker = DeliveryWorker(app, **settings)
    OPEN_WORKERS.append(worker)
    return worker


test_worker.__test__ = False  # type: ignore[attr-defined]


def make_launches(app: Any, platform_url: str, subs: list[str], *, lineitem: str | None = None,
                  lineitems: str | None = None, link: str = "link-1") -> tuple[int, list[str]]:
    """A registration at platform_url and one student launch per sub; returns (registration id, launch keys)."""
    claim: dict[str, Any] = {"scope": SCOPES}
    if lineitem:
        claim["lineitem"] = lineitem
    if lineitems:
        claim["lineitems"] = lineitems
    now = utcnow()
    with app.app_context():
        registration = Registration(issuer=platform_url, client_id="faulty-client", auth_login_url=platform_url + "/auth",
                                    auth_token_url=platform_url + "/token", key_set_url=platform_url + "/jwks")
        deployment = Deployment(deployment_id="d-1", active=True)
        registration.deployments.append(deployment)
        db.session.add(registration)
        db.session.flush()
        course = Course(deployment_id=deployment.id, context_id="course-1", title="Course")
        db.session.add(course)
        db.session.flush()
        resource_link = ResourceLink(deployment_id=deployment.id, course=course, resource_link_id=link, title="Foundations")
        users = [User(issuer=platform_url, sub=sub, name=sub) for sub in subs]
        db.session.add_all([resource_link, *users])
        db.session.flush()
        sessions = [
            LaunchSession(token_hash=digest(secrets.token_urlsafe(16)), registration_id=registration.id,
                          deployment_id=deployment.id, user_id=user.id, course_id=course.id,
                          resource_link_id=resource_link.id, message_type="LtiResourceLinkRequest", role="student",
                          lti_roles=[], claims={AGS: claim}, created_at=now, expires_at=now + timedelta(hours=1))
            for user in users
        ]
        db.session.add_all(sessions)
        db.session.commit()
        return registration.id, [s.token_hash for s in sessions]


def rows(app: Any) -> list[ScoreDelivery]:
    """All outbox rows, oldest first, detached for assertions."""
    with app.app_context():
        found = list(db.session.scalars(db.select(ScoreDelivery).order_by(ScoreDelivery.id)))
        db.session.expunge_all()
        return found


def enqueue(app: Any, launch_keys: list[str], score: float = 8.0, maximum: float = 10.0, **options: Any) -> None:
    """Enqueue one score per launch and commit, as a view would after a quiz attempt."""
    from lti_plugin.services.grading import enqueue_score

    with app.app_context():
        for key in launch_keys:
            launch = db.session.get(LaunchSession, key)
            assert launch is not None
            enqueue_score(launch, score_given=score, score_maximum=maximum, activity_progress="Completed",
                          grading_progress="FullyGraded", **options)
        db.session.commit()


def make_due(app: Any) -> None:
    """Bring every pending row's next attempt forward to now (skips a long backoff in a test)."""
    with app.app_context():
        db.session.execute(db.update(ScoreDelivery).where(ScoreDelivery.state == "pending").values(next_attempt_at=utcnow()))
        db.session.commit()
