"""The content library of the running app (reloaded on change when CONTENT_RELOAD is on)."""
from __future__ import annotations

from flask import current_app

from .library import ContentLibrary
from .loader import get_library


def current_library() -> ContentLibrary:
    """The app's content library; in development, reloaded when a file changed."""
    if current_app.config["CONTENT_RELOAD"]:
        current_app.extensions["rapport_content"] = get_library(current_app.config["CONTENT_DIR"], reload=True)
    library: ContentLibrary = current_app.extensions["rapport_content"]
    return library
