"""The module and quiz player a launch opens: thin views over services.progress and services.quizzes."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, send_from_directory, url_for
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from ..auth import current_launch, launch_required, role_required
from ..content.current import current_library
from ..content.render import resolve_links
from ..extensions import csrf, db
from ..models import LaunchSession
from ..services import activities, progress, quizzes
from ..services.errors import PlayerError
from ..services.scores import send_score

bp = Blueprint("player", __name__)

ROLE_NAMES = {"student": "Student", "staff": "Teaching staff", "other": "Guest"}


def _launch() -> LaunchSession:
    launch = current_launch()
    assert launch is not None
    return launch


def _page_url(page_id: str) -> str:
    return url_for("player.module_page", page_id=page_id)


def _page_urls(module: Any) -> dict[str, str]:
    """Every page's address, routed once (url_for for each page of a long module was a good part of its first page)."""
    marker = "rapport-page-id"  # a page id is a slug: nothing in it needs quoting, and neither does this
    pattern = url_for("player.module_page", page_id=marker)
    return {page.id: pattern.replace(marker, quote(page.id, safe=""), 1) for page in module.pages}


def _module() -> Any:
    """The module this placement shows, or 404."""
    found = activities.activity(current_library(), _launch().resource_link)
    if found is None or found.kind != "module":
        abort(404, description="This activity is not a module.")
    return found.item


def _context(**extra: Any) -> dict[str, Any]:
    launch = _launch()
    return {"launch": launch, "role_name": ROLE_NAMES.get(launch.role, launch.role), **extra}


@bp.get("/home")
@launch_required
def home() -> Any:
    """The page a launch opens: the activity this placement shows."""
    library = current_library()
    launch = _launch()
    found = activities.activity(library, launch.resource_link)
    if found is None:
        entries = library.catalogue_entries() if launch.role == "staff" else ()
        return render_template("player/unbound.html", entries=entries, **_context())
    if found.kind == "module":
        view = progress.module_view(library, launch, found.item)
        db.session.commit()
        return render_template("player/module.html", view=view, page_urls=_page_urls(found.item), **_context())
    if found.kind == "quiz":
        return redirect(url_for("player.quiz"))
    if found.kind == "survey":
        return redirect(url_for("surveys.survey"))
    if found.kind == "report":
        return redirect(url_for("reports.placement"))
    assert found.kind == "checklist", found.kind  # activities.KINDS: module, quiz, survey, report, checklist
    return redirect(url_for("rater.home"))


@bp.post("/home/choose")
@role_required("staff")
def choose() -> Response:
    """An instructor chooses what a placement added without deep linking shows."""
    launch = _launch()
    if launch.resource_link is None:
        raise PlayerError("Open this from an activity in your course to choose what it shows.", 400)
    kind, _, item_id = request.form.get("item", "").partition(":")
    # Points are for modules and quizzes; a checklist is graded only when its page says so.
    points = activities.parse_points(request.form.get("points"), 100.0) if kind in activities.GRADED_KINDS else None
    activities.bind(current_library(), launch.resource_link, kind, item_id, points)
    db.session.commit()
    return redirect(url_for("player.home"), code=303)


@bp.get("/module/<page_id>")
@launch_required
def module_page(page_id: str) -> str:
    """One page of the module; opening it records the step."""
    library, launch, module = current_library(), _launch(), _module()
    view, page = progress.visit_page(library, launch, module, page_id)
    db.session.commit()
    index = module.page_index(page.id)
    context: dict[str, Any] = {}
    if page.kind == "quiz" and page.quiz:
        context = _quiz_context(library.quiz(page.quiz), url_for("player.module_quiz", page_id=page.id),
                                view.attempts.get(page.quiz, []))
    video = library.video(page.video) if page.video else None
    return render_template(
        "player/page.html", view=view, page=page, video=video, index=index,
        body=resolve_links(page.body_html, _page_url, lambda m: "#") if page.body_html else "",
        previous=module.pages[index - 1] if index > 0 else None,
        next=module.pages[index + 1] if index + 1 < len(module.pages) else None,
        status=next(s for s in view.pages if s.page.id == page.id),
        **context, **_context(),
    )


@bp.post("/module/<page_id>/acknowledge")
@launch_required
def acknowledge(page_id: str) -> Response:
    """The learner confirms the expectation statement."""
    if request.form.get("confirm") != "yes":
        raise PlayerError("Tick the box to confirm before continuing.", 422)
    progress.acknowledge(current_library(), _launch(), _module(), page_id)
    db.session.commit()
    return redirect(url_for("player.module_page", page_id=page_id), code=303)


def _quiz_context(quiz: Any, form_action: str, rows: list[Any]) -> dict[str, Any]:
    """What the quiz partial shows: the attempts so far, what counts, what is left."""
    return {
        "quiz": quiz, "attempts": rows, "attempts_left": quizzes.attempts_left(quiz, rows),
        "counted": quizzes.counted_attempt(quiz, rows), "result": rows[-1] if rows else None,
        "form_action": form_action,
    }


def _submit(quiz: Any) -> Any:
    launch = _launch()
    answers = quizzes.parse_answers(quiz, request.form.to_dict(flat=False))
    try:
        attempt = quizzes.submit(launch, quiz, answers)
        db.session.flush()
    except IntegrityError:  # the same attempt submitted twice at once (a double click)
        db.session.rollback()
        raise PlayerError("This attempt was already submitted.", 409) from None
    return attempt


@bp.post("/module/<page_id>/quiz")
@launch_required
def module_quiz(page_id: str) -> Response:
    """Submit a quiz inside a module; completing the module sends its score."""
    library, launch, module = current_library(), _launch(), _module()
    page = module.page(page_id)
    if page.kind != "quiz" or not page.quiz:
        raise PlayerError("This page has no quiz.", 404)
    _submit(library.quiz(page.quiz))
    progress.refresh_completion(library, launch, module)
    db.session.commit()
    return redirect(url_for("player.module_page", page_id=page_id, _anchor="result"), code=303)


def _standalone_quiz() -> Any:
    found = activities.activity(current_library(), _launch().resource_link)
    if found is None or found.kind != "quiz":
        abort(404, description="This activity is not a quiz.")
    return found.item


@bp.get("/quiz")
@launch_required
def quiz() -> str:
    """A quiz placed on its own."""
    item = _standalone_quiz()
    rows = quizzes.attempts(_launch(), item.id)
    return render_template("player/quiz.html", **_quiz_context(item, url_for("player.quiz_submit"), rows), **_context())


@bp.post("/quiz")
@launch_required
def quiz_submit() -> Response:
    """Submit a standalone quiz; its counted attempt is the score."""
    launch, item = _launch(), _standalone_quiz()
    _submit(item)
    rows = quizzes.attempts(launch, item.id)
    counted = quizzes.counted_attempt(item, rows)
    assert counted is not None
    settled = quizzes.quiz_is_settled(item, rows)
    send_score(launch, counted.score, completed=settled, title=item.title)
    db.session.commit()
    return redirect(url_for("player.quiz", _anchor="result"), code=303)


@bp.post("/progress/video")
@csrf.exempt
@launch_required
def video_progress() -> Response:
    """Played intervals of a video, sent by the page's script as the learner watches."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("video"), str):
        raise PlayerError("Send JSON with video, duration and played.", 400)
    library, launch = current_library(), _launch()
    try:
        library.video(data["video"])
    except KeyError:
        raise PlayerError("No such video.", 404) from None
    row = progress.record_video(launch, data["video"], data.get("duration"), data.get("played"))
    found = activities.activity(library, launch.resource_link)
    if found is not None and found.kind == "module":
        progress.refresh_completion(library, launch, found.item)
    db.session.commit()
    return jsonify({"share": round(row.share, 4), "played_seconds": round(row.played_seconds, 2)})


@bp.app_template_filter("embed_url")
def embed_url(url: str, provider: str | None) -> str:
    """The address to embed a platform video in an iframe (privacy-enhanced for YouTube)."""
    parts = urlsplit(url)
    if provider == "youtube":
        video_id = parse_qs(parts.query).get("v", [""])[0] or parts.path.rstrip("/").rsplit("/", 1)[-1]
        return f"https://www.youtube-nocookie.com/embed/{quote(video_id)}"
    if provider == "vimeo" and not parts.netloc.startswith("player."):
        return f"https://player.vimeo.com/video/{quote(parts.path.strip('/').split('/')[-1])}"
    return url


@bp.get("/media/<path:filename>")
def media(filename: str) -> Response:
    """Video, caption and image files of the content folder (the curriculum is not secret)."""
    folder = Path(current_app.config["CONTENT_DIR"]) / "media"
    response = send_from_directory(folder, filename, max_age=3600)
    if filename.endswith(".vtt"):
        response.mimetype = "text/vtt"
    return response
