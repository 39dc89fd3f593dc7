"""Rules that need more than one file: references between files and files on disk.

They read the raw YAML data (not the validated objects), so a file with a schema error is
still cross-checked and an author sees every problem in one run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lti_plugin.content.errors import Problem
from lti_plugin.content.model import REPORT_VIEWS
from lti_plugin.content.source import Source

KINDS = ("skill", "video", "module", "quiz", "checklist", "survey")
VIDEO_EXTENSIONS = (".mp4", ".webm")


@dataclass
class Context:
    """Shared state of one load: the folder, every problem so far, the ids that exist."""

    root: Path
    problems: list[Problem] = field(default_factory=list)
    known: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in KINDS})
    domain_skills: dict[str, list[str]] = field(default_factory=dict)

    def report(self, source: Source, path: tuple[str | int, ...], message: str) -> None:
        """Record a problem at `path` inside a YAML file."""
        self.problems.append(source.problem(path, message))

    def file_problem(self, rel_path: str, line: int | None, message: str) -> None:
        """Record a problem in any file."""
        self.problems.append(Problem(rel_path, line, message))

    def resolve(self, relative_to: str, name: str) -> Path | None:
        """A path inside the content folder, or None when `name` escapes it."""
        base = (self.root / relative_to).resolve()
        target = (base / name).resolve()
        root = self.root.resolve()
        return target if target == root or root in target.parents else None


def items(data: Any, key: str) -> list[tuple[int, dict[str, Any]]]:
    """(index, item) for every mapping in data[key] (tolerates any broken shape)."""
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def text(data: Any, key: str) -> str | None:
    """data[key] when it is a non-empty string."""
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def collect_skills(ctx: Context, data: Any) -> None:
    """Remember every domain and skill id written in skills.yaml, valid or not."""
    for _, domain in items(data, "domains"):
        domain_id = text(domain, "id")
        skill_ids = [s_id for _, s in items(domain, "skills") if (s_id := text(s, "id"))]
        if domain_id:
            ctx.domain_skills.setdefault(domain_id, []).extend(skill_ids)
        ctx.known["skill"].update(skill_ids)


def check_skill_ids_unique(ctx: Context, source: Source) -> None:
    """A skill id names one skill across all domains."""
    seen: dict[str, str] = {}
    for d_index, domain in items(source.data, "domains"):
        for s_index, skill in items(domain, "skills"):
            skill_id = text(skill, "id")
            if skill_id is None:
                continue
            if skill_id in seen:
                ctx.report(
                    source,
                    ("domains", d_index, "skills", s_index, "id"),
                    f"skill id '{skill_id}' is used twice (also in domain '{seen[skill_id]}')",
                )
            seen[skill_id] = text(domain, "id") or "?"


def _need_file(
    ctx: Context,
    source: Source,
    path: tuple[str | int, ...],
    name: str,
    what: str,
    base: str = "",
    suffixes: Iterable[str] = (),
) -> Path | None:
    """The file a YAML value points to, or None after reporting why it is unusable."""
    target = ctx.resolve(base, name)
    suffixes = tuple(suffixes)
    if target is None:
        ctx.report(source, path, f"{what} '{name}' must be inside the content folder")
    elif suffixes and not name.lower().endswith(suffixes):
        ctx.report(source, path, f"{what} '{name}' must end in {' or '.join(suffixes)}")
    elif not target.is_file():
        where = f"{base}/{name}" if base else name
        ctx.report(
            source,
            path,
            f"{what} '{name}' does not exist (looked for {where} in the content folder)",
        )
    else:
        return target
    return None


def check_video_files(ctx: Context, source: Source) -> None:
    """Every video's file, caption files (WebVTT) and transcript exist."""
    for index, video in items(source.data, "videos"):
        src = video.get("source")
        if isinstance(src, dict) and (name := text(src, "file")):
            _need_file(
                ctx,
                source,
                ("videos", index, "source", "file"),
                name,
                "video file",
                suffixes=VIDEO_EXTENSIONS,
            )
        for c_index, caption in items(video, "captions"):
            name = text(caption, "file")
            path = ("videos", index, "captions", c_index, "file")
            found = (
                _need_file(ctx, source, path, name, "caption file", suffixes=(".vtt",))
                if name
                else None
            )
            if found and not _is_webvtt(found):
                ctx.report(
                    source,
                    path,
                    f"caption file '{name}' is not WebVTT (its first line must be WEBVTT)",
                )
        if name := text(video, "transcript"):
            _need_file(
                ctx, source, ("videos", index, "transcript"), name, "transcript", suffixes=(".md",)
            )


def _is_webvtt(path: Path) -> bool:
    """True when the file starts with the WEBVTT signature (optionally after a BOM)."""
    with path.open("rb") as handle:
        head = handle.read(16)
    head = head.removeprefix(b"\xef\xbb\xbf")
    return head.startswith(b"WEBVTT") and (
        len(head) == 6 or head[6:7] in (b" ", b"\t", b"\n", b"\r")
    )


def check_module_refs(ctx: Context, source: Source) -> None:
    """A module's skills, videos, quizzes and body files exist."""
    data = source.data
    for index, skill in enumerate(data.get("skills") or [] if isinstance(data, dict) else []):
        if isinstance(skill, str) and skill not in ctx.known["skill"]:
            ctx.report(source, ("skills", index), f"unknown skill '{skill}' (not in skills.yaml)")
    for index, page in items(data, "pages"):
        video = text(page, "video")
        if video and video not in ctx.known["video"]:
            ctx.report(
                source, ("pages", index, "video"), f"unknown video '{video}' (not in videos.yaml)"
            )
        quiz = text(page, "quiz")
        if quiz and quiz not in ctx.known["quiz"]:
            ctx.report(
                source,
                ("pages", index, "quiz"),
                f"unknown quiz '{quiz}' (no file quizzes/{quiz}.yaml)",
            )


def body_file(ctx: Context, source: Source, index: int, page: dict[str, Any]) -> Path | None:
    """The Markdown file of a page, relative to content/modules/, if it is usable."""
    name = text(page, "body")
    if name is None:
        return None
    return _need_file(
        ctx,
        source,
        ("pages", index, "body"),
        name,
        "Markdown file",
        base="modules",
        suffixes=(".md",),
    )


def check_checklist_coverage(ctx: Context, source: Source) -> None:
    """Items rate exactly the skills of the listed domains: each one once, no others."""
    data = source.data
    domains = (
        [d for d in (data.get("domains") or []) if isinstance(d, str)]
        if isinstance(data, dict) and isinstance(data.get("domains"), list)
        else []
    )
    expected: dict[str, str] = {}
    for index, domain in enumerate(domains):
        if domain not in ctx.domain_skills:
            ctx.report(
                source, ("domains", index), f"unknown domain '{domain}' (not in skills.yaml)"
            )
            continue
        expected.update({skill: domain for skill in ctx.domain_skills[domain]})
    rated: dict[str, int] = {}
    for index, item in items(data, "items"):
        skill = text(item, "skill")
        if skill is None:
            continue
        path = ("items", index, "skill")
        if skill not in ctx.known["skill"]:
            ctx.report(source, path, f"unknown skill '{skill}' (not in skills.yaml)")
        elif skill in rated:
            ctx.report(
                source, path, f"skill '{skill}' is rated twice (also item #{rated[skill] + 1})"
            )
        elif skill not in expected:
            ctx.report(
                source,
                path,
                f"skill '{skill}' is not in this checklist's domains ({', '.join(domains)})",
            )
        rated.setdefault(skill, index)
    missing = [skill for skill in expected if skill not in rated]
    if missing and expected:
        ctx.report(
            source,
            ("items",),
            "missing an item for skill " + ", ".join(f"'{s}' ({expected[s]})" for s in missing),
        )


def check_catalogue(ctx: Context, source: Source) -> None:
    """Every catalogue reference names an existing item, and only once."""
    seen: set[str] = set()
    for s_index, section in items(source.data, "sections"):
        refs = section.get("items")
        for index, ref in enumerate(refs if isinstance(refs, list) else []):
            if not isinstance(ref, str) or ":" not in ref:
                continue
            kind, _, item_id = ref.partition(":")
            path = ("sections", s_index, "items", index)
            if kind == "report" and item_id not in REPORT_VIEWS:
                ctx.report(source, path, f"'{ref}' is not one of Rapport's reports ("
                           + ", ".join(f"report:{r}" for r in REPORT_VIEWS) + ")")
            elif kind in ctx.known and kind != "skill" and item_id not in ctx.known[kind]:
                folder = {"quiz": "quizzes"}.get(kind, kind + "s")
                ctx.report(
                    source, path, f"'{ref}' does not exist (no file {folder}/{item_id}.yaml)"
                )
            if ref in seen:
                ctx.report(source, path, f"'{ref}' is listed twice in the catalogue")
            seen.add(ref)
