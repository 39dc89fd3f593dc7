"""The landing page and health checks."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template
from sqlalchemy import text

from ..extensions import db

bp = Blueprint("core", __name__)


@bp.get("/")
def index() -> str:
    """What Rapport is, for someone who opens its address directly."""
    return render_template("core/index.html")


@bp.get("/healthz")
def healthz() -> Response:
    """Alive: the process answers and the database responds."""
    db.session.execute(text("SELECT 1"))
    return current_app.response_class('{"status": "ok"}', mimetype="application/json")
