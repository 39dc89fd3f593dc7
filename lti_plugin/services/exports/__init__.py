"""CSV exports of a course, by name: each kind is a module that registers itself in `registry.py`.

The web view and `rapport export` both call `registry.build_export`, so the same rows, the
same de-identification and the same spreadsheet-safe cells come out of either.
"""

from . import kinds, rating_kind  # noqa: E402,F401  (registers the built-in exports)
