"""The cost of a request itself: gunicorn and Flask answering a tiny page, nothing else.

Not an LTI tool: it tells how much of a launch's CPU any Flask app under these gunicorn settings
pays per request before it does any work (Rapport's launch is three requests, the floor's two).
Served by gunicorn as `bench.bare_tool:app`.
"""
from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/lti/login")
def page() -> str:
    """A tiny page (at the path the benchmark waits on before it starts)."""
    return "<!doctype html><title>Bare</title><p>Hello</p>"
