"""The WSGI entry point for production servers: `gunicorn lti_plugin.wsgi:app`.

The app is built when this module is imported, and only then: nothing else in Rapport builds
one at import time, so `rapport worker`, the CLI and the tests never pay for it.
"""
from __future__ import annotations

from . import create_app

app = create_app()
