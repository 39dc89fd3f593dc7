"""`rapport content ...` commands."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app, has_app_context
from flask.cli import AppGroup, ScriptInfo

from lti_plugin.content.errors import ContentInvalid
from lti_plugin.content.loader import load_library

content_cli = AppGroup("content", help="Check the content files (modules, quizzes, checklists).")


def _configured_dir() -> Path:
    """The app's CONTENT_DIR, loading the app only when no folder was given."""
    if has_app_context():
        return Path(current_app.config["CONTENT_DIR"])
    info = click.get_current_context().ensure_object(ScriptInfo)
    return Path(info.load_app().config["CONTENT_DIR"])


_SINGULAR = {"quizzes": "quiz", "catalogue entries": "catalogue entry"}


def _count(number: int, plural: str) -> str:
    """'1 module', '2 modules'."""
    word = plural if number != 1 else _SINGULAR.get(plural, plural.removesuffix("s"))
    return f"{number} {word}"


@content_cli.command("validate", with_appcontext=False)
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def validate_command(directory: Path | None) -> None:
    """Check a content folder (default: the app's CONTENT_DIR); list every problem."""
    folder = directory if directory is not None else _configured_dir()
    try:
        library = load_library(folder)
    except ContentInvalid as exc:
        for problem in exc.problems:
            where = folder / problem.path if problem.path != str(folder) else folder
            line = f":{problem.line}" if problem.line is not None else ""
            click.echo(f"{where}{line}: {problem.message}")
        count = len(exc.problems)
        click.echo(f"{count} problem{'s' if count != 1 else ''} in {folder}", err=True)
        raise SystemExit(1) from None
    counts = ", ".join(_count(n, what) for what, n in library.counts().items())
    click.echo(f"{folder}: OK ({counts})")
