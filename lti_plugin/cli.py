"""The `rapport` command line: init, serve, platforms, deployments, keys.

Exit codes: 0 done; 1 the command could not do what was asked (unknown platform, duplicate,
bad value); 2 the command line itself was wrong or a setting is missing or malformed.
"""
from __future__ import annotations

import logging
import os
import secrets
import signal
import sys
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo, with_appcontext
from sqlalchemy import select

from .admin_cli import admin_cli
from .config import ConfigError, instance_dir, load_settings
from .content.cli import content_cli
from .export_cli import export_command
from .extensions import db
from .models import Deployment, Registration, SigningKey
from .outbox import start_background_worker, worker_command


class Failure(click.ClickException):
    """The command could not do what was asked (exit 1)."""

    exit_code = 1


def _check_url(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Failure(f"{what} must be an http(s) URL, not {value!r}.")
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1") and not (
        parts.hostname or ""
    ).startswith("127."):
        raise Failure(f"{what} must use https (plain http is allowed only on this machine): {value!r}.")
    return value


def _registration(issuer: str, client_id: str) -> Registration:
    row = db.session.scalar(
        select(Registration).where(Registration.issuer == issuer, Registration.client_id == client_id)
    )
    if row is None:
        raise Failure(f"No platform is registered with issuer {issuer} and client id {client_id}; see `rapport platform list`.")
    return row


# -- platforms ------------------------------------------------------------------------------------
platform_cli = AppGroup("platform", help="Register platforms (LMSs) that launch Rapport.")


@platform_cli.command("add")
@click.option("--issuer", required=True, help="The platform's issuer (iss), e.g. https://canvas.instructure.com")
@click.option("--client-id", required=True, help="The client id the platform gave Rapport.")
@click.option("--auth-login-url", required=True, help="The platform's OIDC authorization endpoint.")
@click.option("--token-url", required=True, help="The platform's OAuth2 token endpoint.")
@click.option("--jwks-url", required=True, help="The platform's public key set URL.")
@click.option("--audience", default=None, help="Token audience, if the platform wants one other than the token URL.")
@click.option("--deployment-id", "deployment_ids", multiple=True, help="A deployment id to accept (repeatable).")
@click.option("--name", default="", help="A name for people, e.g. 'Moodle (School of Medicine)'.")
@with_appcontext
def platform_add(issuer: str, client_id: str, auth_login_url: str, token_url: str, jwks_url: str,
                 audience: str | None, deployment_ids: tuple[str, ...], name: str) -> None:
    """Register a platform: issuer, client id and its endpoints."""
    _check_url(issuer, "The issuer")
    for value, what in ((auth_login_url, "The auth login URL"), (token_url, "The token URL"), (jwks_url, "The JWKS URL")):
        _check_url(value, what)
    if not client_id.strip():
        raise Failure("The client id must not be empty.")
    exists = db.session.scalar(
        select(Registration).where(Registration.issuer == issuer, Registration.client_id == client_id)
    )
    if exists is not None:
        raise Failure(f"A platform with issuer {issuer} and client id {client_id} is already registered (id {exists.id}).")
    row = Registration(issuer=issuer, client_id=client_id.strip(), auth_login_url=auth_login_url,
                       auth_token_url=token_url, key_set_url=jwks_url, auth_audience=audience, name=name)
    db.session.add(row)
    for deployment_id in dict.fromkeys(deployment_ids):
        row.deployments.append(Deployment(deployment_id=deployment_id, active=True))
    db.session.commit()
    click.echo(f"Registered platform {row.id}: {issuer} (client id {row.client_id}) with "
               f"{len(row.deployments)} active deployment(s).")


@platform_cli.command("list")
@with_appcontext
def platform_list() -> None:
    """List registered platforms."""
    rows = db.session.scalars(select(Registration).order_by(Registration.id)).all()
    if not rows:
        click.echo("No platforms are registered. Add one with `rapport platform add`.")
        return
    for row in rows:
        active = sum(1 for d in row.deployments if d.active)
        state = "active" if row.active else "inactive"
        click.echo(f"{row.id}\t{row.issuer}\t{row.client_id}\t{state}\t{active}/{len(row.deployments)} deployments active")


@platform_cli.command("show")
@click.argument("issuer")
@click.argument("client_id")
@with_appcontext
def platform_show(issuer: str, client_id: str) -> None:
    """Show one platform and its deployments."""
    row = _registration(issuer, client_id)
    click.echo(f"Platform {row.id} {row.name}".rstrip())
    for label, value in (("issuer", row.issuer), ("client id", row.client_id), ("auth login URL", row.auth_login_url),
                         ("token URL", row.auth_token_url), ("JWKS URL", row.key_set_url),
                         ("token audience", row.auth_audience or "(the token URL)"),
                         ("registered", ("by dynamic registration" if row.origin == "dynamic" else "by hand")
                          + (f" ({row.product})" if row.product else "")),
                         ("state", "active" if row.active else "inactive")):
        click.echo(f"  {label}: {value}")
    click.echo("  deployments:" if row.deployments else "  deployments: none yet")
    for dep in row.deployments:
        last = f", last launch {dep.last_launch_at:%Y-%m-%d %H:%M} UTC" if dep.last_launch_at else ""
        click.echo(f"    {dep.deployment_id}: {'active' if dep.active else 'inactive'}{last}")


@platform_cli.command("remove")
@click.argument("issuer")
@click.argument("client_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def platform_remove(issuer: str, client_id: str, yes: bool) -> None:
    """Remove a platform with its deployments, courses and launches."""
    row = _registration(issuer, client_id)
    if not yes and not click.confirm(f"Remove {issuer} ({client_id}) and everything recorded through it?"):
        raise Failure("Nothing was removed.")
    db.session.delete(row)
    db.session.commit()
    click.echo(f"Removed platform {issuer} (client id {client_id}).")


def _set_registration(issuer: str, client_id: str, active: bool) -> None:
    row = _registration(issuer, client_id)
    row.active = active
    db.session.commit()
    click.echo(f"Platform {issuer} (client id {client_id}) is now {'active' if active else 'inactive'}.")


@platform_cli.command("activate")
@click.argument("issuer")
@click.argument("client_id")
@with_appcontext
def platform_activate(issuer: str, client_id: str) -> None:
    """Approve a platform registration (for example one made by dynamic registration)."""
    _set_registration(issuer, client_id, True)


@platform_cli.command("deactivate")
@click.argument("issuer")
@click.argument("client_id")
@with_appcontext
def platform_deactivate(issuer: str, client_id: str) -> None:
    """Refuse every login and launch through a platform registration."""
    _set_registration(issuer, client_id, False)


# -- deployments ----------------------------------------------------------------------------------
deployment_cli = AppGroup("deployment", help="Approve or stop deployments of Rapport in a platform.")


def _set_deployment(issuer: str, client_id: str, deployment_id: str, active: bool) -> None:
    registration = _registration(issuer, client_id)
    row = db.session.scalar(select(Deployment).where(
        Deployment.registration_id == registration.id, Deployment.deployment_id == deployment_id))
    if row is None:
        if not active:
            raise Failure(f"Deployment {deployment_id} is not known for {issuer} ({client_id}).")
        row = Deployment(registration_id=registration.id, deployment_id=deployment_id)
        db.session.add(row)
    row.active = active
    db.session.commit()
    click.echo(f"Deployment {deployment_id} of {issuer} ({client_id}) is now {'active' if active else 'inactive'}.")


@deployment_cli.command("activate")
@click.argument("issuer")
@click.argument("client_id")
@click.argument("deployment_id")
@with_appcontext
def deployment_activate(issuer: str, client_id: str, deployment_id: str) -> None:
    """Accept launches from a deployment (adds it when it is not known yet)."""
    _set_deployment(issuer, client_id, deployment_id, True)


@deployment_cli.command("deactivate")
@click.argument("issuer")
@click.argument("client_id")
@click.argument("deployment_id")
@with_appcontext
def deployment_deactivate(issuer: str, client_id: str, deployment_id: str) -> None:
    """Refuse launches from a deployment."""
    _set_deployment(issuer, client_id, deployment_id, False)


# -- keys -----------------------------------------------------------------------------------------
keys_cli = AppGroup("keys", help="Rapport's own signing keys.")


@keys_cli.command("list")
@with_appcontext
def keys_list() -> None:
    """List signing keys and whether each is published."""
    from .lti.keys import key_state

    grace = current_app.config["KEY_GRACE_DAYS"]
    rows = db.session.scalars(select(SigningKey).order_by(SigningKey.created_at.desc(), SigningKey.id.desc())).all()
    if not rows:
        click.echo("No signing keys yet: run `rapport init`.")
    for key in rows:
        click.echo(f"{key.kid}\tcreated {key.created_at:%Y-%m-%d %H:%M} UTC\t{key_state(key, grace)}")


@keys_cli.command("rotate")
@with_appcontext
def keys_rotate() -> None:
    """Start signing with a new key; the old one stays published for the grace period."""
    from .lti.keys import rotate

    new, retired = rotate()
    db.session.commit()
    grace = current_app.config["KEY_GRACE_DAYS"]
    click.echo(f"Now signing with key {new.kid}.")
    for key in retired:
        click.echo(f"Key {key.kid} retired; still published for {grace} day(s) so platforms can verify in-flight messages.")


# -- init and serve -------------------------------------------------------------------------------
def _ensure_config_file() -> str | None:
    """Write instance/config.toml with a fresh secret key when Rapport has no secret yet."""
    if os.environ.get("RAPPORT_SECRET_KEY") or os.environ.get("RAPPORT_CONFIG"):
        return None
    path = instance_dir() / "config.toml"
    if path.exists():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Written by `rapport init`. Every setting is described in config.example.toml.\n"
        f'SECRET_KEY = "{secrets.token_urlsafe(48)}"\n'
        f'RESEARCH_KEY = "{secrets.token_urlsafe(48)}"\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return str(path)


def _ensure_research_key() -> str | None:
    """Add a research key to instance/config.toml when no research key is configured anywhere."""
    import tomllib

    if os.environ.get("RAPPORT_RESEARCH_KEY") or os.environ.get("RAPPORT_CONFIG"):
        return None
    path = instance_dir() / "config.toml"
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8")
    try:
        if any(key.upper() == "RESEARCH_KEY" for key in tomllib.loads(text)):
            return None
    except tomllib.TOMLDecodeError:
        return None  # loading the settings reports the broken file
    with path.open("a", encoding="utf-8") as handle:
        handle.write(("" if text.endswith("\n") or not text else "\n") + "# Added by `rapport init`: keys the pseudonymous ids of research exports.\n"
                     f'RESEARCH_KEY = "{secrets.token_urlsafe(48)}"\n')
    return str(path)


@click.command("init")
def init_command() -> None:
    """Create or upgrade the database and create a signing key; safe to run again."""
    written = _ensure_config_file()
    if written:
        click.echo(f"Wrote {written} with a new secret key and research key.")
    elif added := _ensure_research_key():
        click.echo(f"Added a research key for de-identified exports to {added}.")
    app = _make_app()
    logging.getLogger("alembic").setLevel(logging.WARNING)  # say what changed, not how Alembic works
    from flask_migrate import upgrade

    from .lti.keys import ensure_key

    with app.app_context():
        before = _current_revision()
        upgrade(directory=app.extensions["migrate"].directory)
        after = _current_revision()
        click.echo("Database is up to date." if before == after else f"Database upgraded to revision {after}.")
        key = ensure_key()
        db.session.commit()
        click.echo(f"Created signing key {key.kid}." if key else "A signing key already exists.")
        from .models import AdminUser

        if db.session.scalar(select(AdminUser.id).limit(1)) is None:
            click.echo("No administrator yet: create one for the admin page with `rapport admin create USERNAME`.")


def _current_revision() -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", default=None, type=click.IntRange(1, 65535),
              help="Port to listen on (default 5000; with --production, RAPPORT_BIND or 8000).")
@click.option("--production", is_flag=True,
              help="Run gunicorn with deploy/gunicorn.conf.py; grades are then delivered by `rapport worker`.")
@click.pass_context
def serve_command(ctx: click.Context, host: str | None, port: int | None, production: bool) -> None:
    """Serve Rapport: the embedded default (one process, threads), or gunicorn with --production."""
    if production:  # the settings were checked by main(); gunicorn's workers build the app
        _exec_gunicorn(host, port)
    from werkzeug.serving import run_simple

    host, port = host or "127.0.0.1", port or 5000
    app = ctx.ensure_object(ScriptInfo).load_app()
    worker = start_background_worker(app)  # the embedded default delivers grades in-process
    # A supervisor (systemd, a container runtime) stops a service with SIGTERM, whose default
    # action ends the process at once, in the middle of a score being sent. Treat it as Ctrl-C,
    # which the development server answers by returning, so the worker finishes what is in flight.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    click.echo(f"Rapport is listening on http://{host}:{port}/ (Ctrl-C stops it).")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if worker is not None:
            worker.stop(timeout=30)
        click.echo("Rapport has stopped.")


def _interrupt(signum: int, frame: object) -> None:
    """Raise KeyboardInterrupt in the main thread, as Ctrl-C does."""
    raise KeyboardInterrupt


def gunicorn_command(host: str | None = None, port: int | None = None) -> list[str]:
    """The gunicorn command line `rapport serve --production` runs."""
    from .config import PROJECT_ROOT

    command = [sys.executable, "-m", "gunicorn", "--config", str(PROJECT_ROOT / "deploy" / "gunicorn.conf.py")]
    if host or port:
        bound = os.environ.get("RAPPORT_BIND", "127.0.0.1:8000")
        default_host, _, default_port = bound.rpartition(":")
        command += ["--bind", f"{host or default_host}:{port or default_port}"]
    return command + ["lti_plugin.wsgi:app"]


def _exec_gunicorn(host: str | None, port: int | None) -> None:
    """Replace this process with gunicorn, so signals from a supervisor reach it directly."""
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        raise Failure("gunicorn is not installed: pip install 'rapport[production]'.") from None
    command = gunicorn_command(host, port)
    click.echo("Starting gunicorn: " + " ".join(command[1:]))
    click.echo("Grades are delivered by `rapport worker`: run at least one beside it.")
    sys.stdout.flush()
    os.execv(command[0], command)


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Remove expired launch sessions, pending logins, used nonces and registration attempts."""
    from .services.housekeeping import purge_expired

    removed = purge_expired()
    db.session.commit()
    click.echo("Removed " + ", ".join(f"{count} {label}" for label, count in removed.items()) + ".")


# Every command but `init`, which must work before an app can be built, is also a `flask` command.
APP_COMMANDS = (platform_cli, deployment_cli, keys_cli, serve_command, content_cli, worker_command, admin_cli,
                export_command, purge_command)


def register_commands(app: Flask) -> None:
    """Attach Rapport's command groups to the app's CLI."""
    for command in APP_COMMANDS:
        app.cli.add_command(command)


def _make_app() -> Flask:
    from . import create_app

    try:
        return create_app()
    except ConfigError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)


def _app_for_cli() -> Flask:
    from flask.cli import NoAppException

    from . import create_app

    try:
        return create_app()
    except ConfigError as error:
        raise NoAppException(str(error)) from None


@click.group(help="Rapport, the relational-skills LTI tool.")
def cli() -> None:
    """The `rapport` command group."""


for _command in (init_command, *APP_COMMANDS):
    cli.add_command(_command)


def main() -> None:
    """Entry point of the `rapport` console script."""
    args = sys.argv[1:]
    # init writes the settings; content validate DIR reads files only; help needs nothing.
    if args and args[0] not in ("init", "content", "--help", "-h"):
        try:
            load_settings()
        except ConfigError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(2)
    cli.main(args=args, prog_name="rapport", obj=ScriptInfo(create_app=_app_for_cli, load_dotenv_defaults=False))

