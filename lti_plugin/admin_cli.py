"""`rapport admin ...`: the accounts that may sign in to Rapport's admin page."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from .extensions import db
from .models import AdminUser
from .services.admins import MIN_PASSWORD, AdminError, create_admin, find_admin, set_password


class AdminFailure(click.ClickException):
    """The command could not do what was asked (exit 1)."""

    exit_code = 1


admin_cli = AppGroup("admin", help="Accounts for Rapport's admin page (/admin).")

stdin_option = click.option(
    "--password-stdin", is_flag=True,
    help="Read the password from the first line of standard input instead of asking for it.",
)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt(f"Password (at least {MIN_PASSWORD} characters)", hide_input=True,
                            confirmation_prompt="Repeat the password"))


@admin_cli.command("create")
@click.argument("username")
@stdin_option
@with_appcontext
def admin_create(username: str, password_stdin: bool) -> None:
    """Create an administrator; asks for the password (or reads it with --password-stdin)."""
    try:
        create_admin(username, _password(password_stdin))
    except AdminError as error:
        raise AdminFailure(error.message) from None
    db.session.commit()
    click.echo(f"Administrator {username} created; sign in at /admin.")


@admin_cli.command("passwd")
@click.argument("username")
@stdin_option
@with_appcontext
def admin_passwd(username: str, password_stdin: bool) -> None:
    """Set a new password (also lifts a lockout and signs the account out everywhere)."""
    if find_admin(username) is None:
        raise AdminFailure(f"No administrator is named {username}; see `rapport admin list`.")
    try:
        set_password(username, _password(password_stdin))
    except AdminError as error:
        raise AdminFailure(error.message) from None
    db.session.commit()
    click.echo(f"Password of {username} changed; their open sessions are signed out.")


@admin_cli.command("list")
@with_appcontext
def admin_list() -> None:
    """List administrators and when each last signed in."""
    rows = db.session.scalars(select(AdminUser).order_by(AdminUser.username)).all()
    if not rows:
        click.echo("No administrators yet. Create one with `rapport admin create USERNAME`.")
    for row in rows:
        last = f"{row.last_login_at:%Y-%m-%d %H:%M} UTC" if row.last_login_at else "never"
        locked = "\tlocked" if row.locked_until is not None else ""
        click.echo(f"{row.username}\tlast sign-in {last}{locked}")


@admin_cli.command("remove")
@click.argument("username")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def admin_remove(username: str, yes: bool) -> None:
    """Remove an administrator."""
    row = find_admin(username)
    if row is None:
        raise AdminFailure(f"No administrator is named {username}; see `rapport admin list`.")
    if not yes and not click.confirm(f"Remove administrator {username}?"):
        raise AdminFailure("Nothing was removed.")
    db.session.delete(row)
    db.session.commit()
    click.echo(f"Administrator {username} removed.")
