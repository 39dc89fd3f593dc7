"""`rapport admin ...` and `rapport platform activate|deactivate`, as an operator runs them."""
from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import check_password_hash

from lti_plugin.extensions import db
from lti_plugin.models import AdminUser, Registration
from tests.helpers.platform import CLIENT_ID, ISSUER

PASSWORD = "twelve chars or more"


def admin_row(app, username: str) -> AdminUser | None:
    with app.app_context():
        row = db.session.scalar(select(AdminUser).where(AdminUser.username == username))
        if row is not None:
            db.session.expunge(row)
        return row


def test_create_asks_for_the_password_twice(app, runner) -> None:
    result = runner.invoke(args=["admin", "create", "registrar"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Administrator registrar created" in result.output and PASSWORD not in result.output
    row = admin_row(app, "registrar")
    assert row is not None and check_password_hash(row.password_hash, PASSWORD)
    assert runner.invoke(args=["admin", "list"]).output.startswith("registrar\tlast sign-in never")


def test_create_reads_the_password_from_stdin(app, runner) -> None:
    result = runner.invoke(args=["admin", "create", "ops@school.edu", "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert check_password_hash(admin_row(app, "ops@school.edu").password_hash, PASSWORD)


def test_create_refuses_bad_input(app, runner) -> None:
    short = runner.invoke(args=["admin", "create", "a", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    bad_name = runner.invoke(args=["admin", "create", "has space", "--password-stdin"], input=PASSWORD + "\n")
    assert bad_name.exit_code == 1 and "The username must be" in bad_name.output
    assert runner.invoke(args=["admin", "create", "a", "--password-stdin"], input=PASSWORD + "\n").exit_code == 0
    twice = runner.invoke(args=["admin", "create", "a", "--password-stdin"], input=PASSWORD + "\n")
    assert twice.exit_code == 1 and "already exists" in twice.output
    mismatch = runner.invoke(args=["admin", "create", "b"], input=f"{PASSWORD}\nsomething else entirely\n{PASSWORD}\n{PASSWORD}\n")
    assert mismatch.exit_code == 0 and "do not match" in mismatch.output.lower()


def test_passwd_and_remove(app, runner) -> None:
    runner.invoke(args=["admin", "create", "a", "--password-stdin"], input=PASSWORD + "\n")
    changed = runner.invoke(args=["admin", "passwd", "a", "--password-stdin"], input="an entirely new one\n")
    assert changed.exit_code == 0 and check_password_hash(admin_row(app, "a").password_hash, "an entirely new one")
    unknown = runner.invoke(args=["admin", "passwd", "nobody", "--password-stdin"], input=PASSWORD + "\n")
    assert unknown.exit_code == 1 and "No administrator is named nobody" in unknown.output
    assert runner.invoke(args=["admin", "remove", "a", "--yes"]).exit_code == 0
    assert admin_row(app, "a") is None


def test_platform_activate_and_deactivate(app, runner, platform) -> None:
    off = runner.invoke(args=["platform", "deactivate", ISSUER, CLIENT_ID])
    assert off.exit_code == 0 and "is now inactive" in off.output
    with app.app_context():
        row = db.session.scalar(select(Registration).where(Registration.client_id == CLIENT_ID))
        assert row.active is False
    on = runner.invoke(args=["platform", "activate", ISSUER, CLIENT_ID])
    assert on.exit_code == 0 and "is now active" in on.output
    shown = runner.invoke(args=["platform", "show", ISSUER, CLIENT_ID])
    assert "registered: by hand" in shown.output and "state: active" in shown.output
    assert runner.invoke(args=["platform", "activate", ISSUER, "nope"]).exit_code == 1
