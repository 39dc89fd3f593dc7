"""The practice course kept in a JSON file, so that running the practice LMS again finds the
activities added and the scores received before (the run command names the file)."""
from __future__ import annotations

import json
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

from .activities import Activities, Activity
from .gradebook import Gradebook

VERSION = 1


class SavedCourse:
    """Reads the course from its file at start and writes it back after every change."""

    def __init__(self, path: str | Path, activities: Activities, gradebook: Gradebook) -> None:
        self.path = Path(path)
        self.issuer = gradebook.base_url
        self.activities, self.gradebook = activities, gradebook
        self.lock = threading.Lock()

    def load(self) -> None:
        """Restore what the file holds (nothing happens when there is no file yet)."""
        if not self.path.exists():
            return
        data = json.loads(self.path.read_text(encoding="utf-8"))
        if data.get("version") != VERSION or data.get("issuer") != self.issuer:
            return  # another format, or a practice LMS at another address: start afresh
        with self.activities.lock:
            self.activities.items[:] = [Activity(**item) for item in data["activities"]]
        book = self.gradebook
        with book.lock:
            book.line_items = {int(n): item for n, item in data["line_items"].items()}
            book.primary = {link: int(n) for link, n in data["primary"].items()}
            book.received = list(data["received"])
            book.token_requests = list(data["token_requests"])
            book.results = {(int(r["number"]), str(r["score"]["userId"])):
                            {**r["score"], "_moment": datetime.fromisoformat(r["moment"])} for r in data["results"]}

    def save(self) -> None:
        """Write the whole course atomically (a crash leaves the previous file)."""
        book = self.gradebook
        with self.activities.lock:
            activities = [vars(a).copy() for a in self.activities.items]
        with book.lock:
            data = {
                "version": VERSION, "issuer": self.issuer, "activities": activities,
                "line_items": {str(n): item for n, item in book.line_items.items()},
                "primary": dict(book.primary), "received": list(book.received),
                "token_requests": list(book.token_requests),
                "results": [{"number": n, "moment": score["_moment"].isoformat(),
                             "score": {k: v for k, v in score.items() if k != "_moment"}}
                            for (n, _), score in book.results.items()],
            }
        with self.lock:
            partial = self.path.with_suffix(".tmp")
            partial.write_text(json.dumps(data, indent=1), encoding="utf-8")
            os.replace(partial, self.path)


def keep_course(app: Flask, path: str | Path, activities: Activities, gradebook: Gradebook) -> SavedCourse:
    """Load the saved course now, and save it after every request that may have changed it."""
    saved = SavedCourse(path, activities, gradebook)
    saved.load()

    @app.after_request
    def save_changes(response: Response) -> Response:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            saved.save()
        return response

    return saved
