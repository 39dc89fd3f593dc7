"""`rapport export KIND --course COURSE [--deidentified] [-o FILE]`: the dashboard's CSV files from the command line."""
from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from .content.current import current_library
from .extensions import db
from .models import Course, Deployment, Registration
from .services.errors import PlayerError
from .services.exports.registry import EXPORTS, SMALLEST_GROUP, build_export
from .services.reports.scope import course_scope

LISTED = 20


def _courses_hint() -> str:
    rows = db.session.execute(
        select(Course.id, Course.title, Course.context_id, Registration.issuer)
        .join(Deployment, Deployment.id == Course.deployment_id).join(Registration, Registration.id == Deployment.registration_id)
        .order_by(Course.id).limit(LISTED + 1)).all()
    if not rows:
        return "Rapport knows no course yet: courses appear after their first launch."
    lines = [f"  {cid}\t{title or '(no title)'}\t{context} ({issuer})" for cid, title, context, issuer in rows[:LISTED]]
    more = "\n  ..." if len(rows) > LISTED else ""
    return "Courses Rapport knows (id, title, LMS context id):\n" + "\n".join(lines) + more


def find_course(reference: str) -> Course:
    """A course by Rapport's id, or by the LMS's context id when that names exactly one course."""
    from .cli import Failure

    reference = reference.strip()
    if reference.isdigit():
        course = db.session.get(Course, int(reference))
        if course is not None:
            return course
    matches = db.session.scalars(select(Course).where(Course.context_id == reference)).all()
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise Failure(f"{len(matches)} courses have the LMS context id {reference!r}; name one by its id.\n{_courses_hint()}")
    raise Failure(f"No course is called {reference!r}.\n{_courses_hint()}")


@click.command("export")
@click.argument("kind", type=click.Choice(sorted(EXPORTS)))
@click.option("--course", "course_ref", required=True, metavar="COURSE",
              help="Rapport's id of the course, or the LMS's context id (a wrong value lists the courses).")
@click.option("--deidentified", is_flag=True,
              help="For research: pseudonymous ids, dates without times, no free text, groups under 5 left out.")
@click.option("--survey", default="", help="Which survey, for survey-answers when the course has several.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (written in full, then moved into place) instead of standard output.")
@with_appcontext
def export_command(kind: str, course_ref: str, deidentified: bool, survey: str, output: Path | None) -> None:
    """Write a CSV export of a course: progress, scores, ratings or survey-answers."""
    from .cli import Failure

    course = find_course(course_ref)
    try:
        made = build_export(kind, course_scope(current_library(), course), deidentified=deidentified,
                            research_key=current_app.config.get("RESEARCH_KEY", ""), options={"survey": survey})
        if output is None:
            for chunk in made.chunks:
                sys.stdout.write(chunk)
            sys.stdout.flush()
        else:
            _write_atomically(output, made.chunks)
    except PlayerError as error:
        raise Failure(error.message) from None
    where = str(output) if output else "standard output"
    left_out = (f"; left out {len(made.suppressed)} {made.kind.group_name}(s) with fewer than {SMALLEST_GROUP} people"
                if made.suppressed else "")
    click.echo(f"Wrote {made.rows_written} row(s) of {kind} for {course.display_title} to {where}{left_out}.", err=True)


def _write_atomically(path: Path, chunks: Iterable[str]) -> None:
    """Write every chunk to a temporary file next to `path`, then move it into place (no half-written file)."""
    from .cli import Failure

    folder = path.resolve().parent
    if not folder.is_dir():
        raise Failure(f"The folder {folder} does not exist.")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            for chunk in chunks:
                out.write(chunk)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
