"""Expired launch records are removed by `rapport purge` and by the grade worker; nothing else is."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from lti_plugin.extensions import db
from lti_plugin.lti.state import digest
from lti_plugin.models import LaunchSession, LoginState, ModuleProgress, UsedNonce, utcnow
from tests.helpers.grading import test_worker
from tests.helpers.lti import begin_login
from tests.helpers.platform import launch


def _counts() -> dict[str, int]:
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (LaunchSession, LoginState, UsedNonce, ModuleProgress)}


def _age_everything_but(app, keep_token_hash: str) -> None:
    """Make every launch record except one launch session look expired an hour ago."""
    past = utcnow() - timedelta(hours=1)
    with app.app_context():
        db.session.execute(update(LaunchSession).where(LaunchSession.token_hash != keep_token_hash).values(expires_at=past))
        db.session.execute(update(LoginState).values(expires_at=past))
        db.session.execute(update(UsedNonce).values(expires_at=past))
        db.session.commit()


def test_purge_removes_only_what_has_expired(app, client, platform, runner) -> None:
    module = {"rapport_kind": "module", "rapport_id": "foundations"}
    old = launch(client, platform, sub="learner-old", custom=module)
    current = launch(client, platform, sub="learner-now", custom=module)
    assert client.get(f"/home?lt={old}").status_code == 200
    begin_login(client, platform.issuer, platform.client_id)  # a login never finished
    _age_everything_but(app, digest(current))
    in_database = 0 if app.config["REDIS_URL"] else 1  # with Redis, logins and nonces live (and expire) there
    with app.app_context():
        before = _counts()
    assert before["launch_session"] == 2
    assert before["login_state"] == in_database and before["used_nonce"] == 2 * in_database

    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "1 launch sessions" in result.output
    assert f"{in_database} pending logins" in result.output and f"{2 * in_database} used nonces" in result.output
    with app.app_context():
        after = _counts()
    assert after["launch_session"] == 1 and after["login_state"] == 0 and after["used_nonce"] == 0
    assert after["module_progress"] == before["module_progress"]  # learners' work stays
    assert client.get(f"/home?lt={current}").status_code == 200
    assert client.get(f"/home?lt={old}").status_code == 401  # refused as before, now without a row

    again = runner.invoke(args=["purge"])
    assert again.exit_code == 0 and "0 launch sessions" in again.output


def test_the_grade_worker_purges_while_idle(app, client, platform) -> None:
    kept = launch(client, platform, sub="learner-a")
    launch(client, platform, sub="learner-b")
    _age_everything_but(app, digest(kept))
    worker = test_worker(app)
    worker.run_until_idle(wait_for_retries=False)  # nothing is due, so it only tidies up
    with app.app_context():
        counts = _counts()
    assert counts["launch_session"] == 1 and counts["used_nonce"] == 0
