"""Load a whole `content/` folder into a `ContentLibrary`, reporting every problem at once.

library = load_library("content")            # raises ContentInvalid(problems)
library = get_library(app.config["CONTENT_DIR"], reload=app.config["CONTENT_RELOAD"])
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from marshmallow import Schema, ValidationError

from lti_plugin.content import checks, prose
from lti_plugin.content.checks import Context
from lti_plugin.content.errors import ContentInvalid, Problem
from lti_plugin.content.library import ContentLibrary
from lti_plugin.content.schemas import (
    CatalogueSchema,
    ChecklistSchema,
    ModuleSchema,
    QuizSchema,
    SkillsFileSchema,
    SurveySchema,
    VideosFileSchema,
    load_with,
)
from lti_plugin.content.source import Source, parse_yaml, schema_problems

# folder -> (kind, schema); each file in the folder holds one item whose id is its name.
FOLDERS: dict[str, tuple[str, type[Schema]]] = {
    "modules": ("module", ModuleSchema),
    "quizzes": ("quiz", QuizSchema),
    "checklists": ("checklist", ChecklistSchema),
    "surveys": ("survey", SurveySchema),
}


@dataclass
class Loaded:
    """One parsed YAML file and, when it passed its schema, the object it built."""

    source: Source
    item: Any | None


def load_library(content_dir: str | Path) -> ContentLibrary:
    """Load, validate and pre-render a content folder; raise ContentInvalid listing all problems."""
    root = Path(content_dir)
    if not root.is_dir():
        raise ContentInvalid([Problem(str(content_dir), None, "content folder not found")])
    ctx = Context(root.resolve())
    skills = _load_file(ctx, "skills.yaml", SkillsFileSchema, required=True)
    videos = _load_file(ctx, "videos.yaml", VideosFileSchema, required=False)
    if skills:
        checks.collect_skills(ctx, skills.source.data)
        checks.check_skill_ids_unique(ctx, skills.source)
    if videos:
        ctx.known["video"].update(
            v_id
            for _, v in checks.items(videos.source.data, "videos")
            if (v_id := checks.text(v, "id"))
        )
        checks.check_video_files(ctx, videos.source)
    folders = {
        folder: _load_folder(ctx, folder, kind, schema)
        for folder, (kind, schema) in FOLDERS.items()
    }
    catalogue = _load_file(ctx, "catalogue.yaml", CatalogueSchema, required=True)

    for loaded in folders["modules"]:
        checks.check_module_refs(ctx, loaded.source)
    for loaded in folders["checklists"]:
        checks.check_checklist_coverage(ctx, loaded.source)
    if catalogue:
        checks.check_catalogue(ctx, catalogue.source)

    video_items = prose.render_videos(ctx, videos.source, videos.item) if videos else ()
    modules = [prose.render_module(ctx, x.source, x.item) for x in folders["modules"]]
    quizzes = [prose.render_quiz(ctx, x.source, x.item) for x in folders["quizzes"]]
    checklists = [prose.render_instructions(ctx, x.source, x.item) for x in folders["checklists"]]
    surveys = [prose.render_instructions(ctx, x.source, x.item) for x in folders["surveys"]]

    if ctx.problems or skills is None or skills.item is None:
        raise ContentInvalid(ctx.problems)
    return ContentLibrary(
        root=root.resolve(),
        skills=skills.item,
        videos=_by_id(video_items),
        modules=_by_id(modules),
        quizzes=_by_id(quizzes),
        checklists=_by_id(checklists),
        surveys=_by_id(surveys),
        catalogue=catalogue.item if catalogue and catalogue.item else (),
    )


def _by_id(objects: Iterable[Any]) -> Mapping[str, Any]:
    """Read-only index of the valid objects by id, in file-name order."""
    return MappingProxyType({obj.id: obj for obj in objects if obj is not None})


def _read(ctx: Context, path: Path) -> str | None:
    """A file's text, or None after reporting that it is not UTF-8."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        ctx.file_problem(
            path.relative_to(ctx.root).as_posix(), None, "is not UTF-8 text (save it as UTF-8)"
        )
        return None


def _load_file(
    ctx: Context, rel_path: str, schema: type[Schema], *, required: bool
) -> Loaded | None:
    """Parse and validate one YAML file; None if it is missing or not valid YAML."""
    path = ctx.root / rel_path
    if not path.is_file():
        if required:
            ctx.file_problem(rel_path, None, "this file is required but does not exist")
        return None
    content = _read(ctx, path)
    if content is None:
        return None
    source, problems = parse_yaml(content, rel_path)
    ctx.problems.extend(problems)
    if source is None:
        return None
    try:
        return Loaded(source, load_with(schema, source.data))
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        ctx.problems.extend(schema_problems(source, messages))
        return Loaded(source, None)


def _load_folder(ctx: Context, folder: str, kind: str, schema: type[Schema]) -> list[Loaded]:
    """Load every `<id>.yaml` of a folder; the id must equal the file name, which also keeps
    ids unique per kind."""
    directory = ctx.root / folder
    if not directory.is_dir():
        return []
    loaded: list[Loaded] = []
    paths = sorted(directory.iterdir())
    stems = {path.stem: f"{folder}/{path.name}" for path in paths if path.suffix == ".yaml"}
    for path in paths:
        rel_path = f"{folder}/{path.name}"
        if path.suffix == ".yml":
            ctx.file_problem(rel_path, None, "content files must end in .yaml (not .yml)")
            continue
        if path.suffix != ".yaml" or not path.is_file():
            continue
        ctx.known[kind].add(path.stem)  # exists for references even if it cannot be read
        result = _load_file(ctx, rel_path, schema, required=True)
        if result is None:
            continue
        data = result.source.data
        item_id = data.get("id") if isinstance(data, dict) else None
        if isinstance(item_id, str) and item_id != path.stem:
            message = (
                f"id '{item_id}' must equal the file name '{path.stem}' "
                "(rename the file or fix the id)"
            )
            if item_id in stems:
                message += f"; {kind} id '{item_id}' is already used by {stems[item_id]}"
            ctx.report(result.source, ("id",), message)
            result.item = None
        loaded.append(result)
    return loaded


# ---- per-process cache -------------------------------------------------------------------

Snapshot = tuple[tuple[str, int, int], ...]
_cache: dict[Path, tuple[ContentLibrary, Snapshot]] = {}
_cache_lock = threading.Lock()


def _snapshot(root: Path) -> Snapshot:
    """(path, mtime, size) of every file under the folder: changes when any file changes."""
    entries = []
    for path in root.rglob("*"):
        if path.is_file():
            stat = path.stat()
            entries.append((path.relative_to(root).as_posix(), stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(entries))


def get_library(content_dir: str | Path, reload: bool = False) -> ContentLibrary:
    """The cached library of a folder; with `reload` (development), reload after any file change."""
    key = Path(content_dir).resolve()
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None and not reload:
            return cached[0]
        snapshot = _snapshot(key) if key.is_dir() else ()
        if cached is not None and cached[1] == snapshot:
            return cached[0]
        library = load_library(key)
        _cache[key] = (library, snapshot)
        return library


def clear_cache() -> None:
    """Forget every cached library (tests)."""
    with _cache_lock:
        _cache.clear()
