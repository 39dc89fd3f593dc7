"""The landing page, the page a launch opens, and health checks."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template
from sqlalchemy import text

from ..auth import current_launch, launch_required
from ..extensions import db

bp = Blueprint("core", __name__)

ROLE_NAMES = {"student": "Student", "staff": "Teaching staff", "other": "Guest"}


@bp.get("/")
def index() -> str:
    """What Rapport is, for someone who opens its address directly."""
    return render_template("core/index.html")


@bp.get("/home")
@launch_required
def home() -> str:
    """The first page after a launch: who you are, in which course, as what."""
    launch = current_launch()
    assert launch is not None
    return render_template("core/home.html", launch=launch, role_name=ROLE_NAMES.get(launch.role, launch.role))


@bp.get("/healthz")
def healthz() -> Response:
    """Alive: the process answers and the database responds."""
    db.session.execute(text("SELECT 1"))
    return current_app.response_class('{"status": "ok"}', mimetype="application/json")
