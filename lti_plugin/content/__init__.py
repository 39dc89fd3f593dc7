"""Content as files: load, validate and pre-render `content/` into typed objects."""

from lti_plugin.content.errors import ContentInvalid, Problem
from lti_plugin.content.library import ContentLibrary
from lti_plugin.content.loader import clear_cache, get_library, load_library
from lti_plugin.content.model import ContentNotFound
from lti_plugin.content.render import render_markdown, resolve_links

__all__ = [
    "ContentInvalid",
    "ContentLibrary",
    "ContentNotFound",
    "Problem",
    "clear_cache",
    "get_library",
    "load_library",
    "render_markdown",
    "resolve_links",
]
