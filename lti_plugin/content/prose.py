"""Render every Markdown text of the loaded content once, checking links and raw HTML.

Markdown files report problems at their own lines; Markdown written inside YAML reports
them at the matching line of the YAML file.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from lti_plugin.content import model
from lti_plugin.content.checks import Context, body_file, items, text
from lti_plugin.content.render import Rendered, render_markdown
from lti_plugin.content.source import Source

WithInstructions = TypeVar("WithInstructions", model.Checklist, model.Survey)
_SCHEME_OR_ABSOLUTE = ("http:", "https:", "mailto:", "/", "#", "//")


def _check_links(
    ctx: Context, rendered: Rendered, module: tuple[str, set[str]] | None, where: tuple[str, int]
) -> None:
    """Report internal links and images that do not resolve; `module` = (id, page ids) for
    module pages; `where` = (file, line of the text's first line)."""
    rel_path, first = where
    page_ids = module[1] if module else None
    for link in rendered.links:
        line = first + link.line - 1
        if link.kind == "page" and page_ids is None:
            ctx.file_problem(
                rel_path,
                line,
                f"link to page '{link.target}': links to pages "
                "(#page:...) work only in a module's pages",
            )
        elif (
            module and page_ids is not None and link.kind == "page" and link.target not in page_ids
        ):
            ctx.file_problem(
                rel_path, line, f"broken link: module '{module[0]}' has no page '{link.target}'"
            )
        elif link.kind == "module" and link.target not in ctx.known["module"]:
            ctx.file_problem(rel_path, line, f"broken link: there is no module '{link.target}'")
    for src, line in rendered.images:
        if src and not src.lower().startswith(_SCHEME_OR_ABSOLUTE):
            target = ctx.resolve("", src)
            if target is None or not target.is_file():
                ctx.file_problem(
                    rel_path,
                    first + line - 1,
                    f"image '{src}' does not exist (image paths are relative to content/)",
                )
    for issue in rendered.issues:
        ctx.file_problem(rel_path, first + issue.line - 1, issue.message)


def markdown_file(ctx: Context, path: Path, module: tuple[str, set[str]] | None = None,
                  heading_offset: int = 0) -> str:
    """Render a Markdown file to safe HTML, reporting problems at its own lines."""
    rel_path = path.relative_to(ctx.root.resolve()).as_posix()
    try:
        source_text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        ctx.file_problem(rel_path, None, "is not UTF-8 text (save it as UTF-8)")
        return ""
    rendered = render_markdown(source_text, heading_offset=heading_offset)
    _check_links(ctx, rendered, module, (rel_path, 1))
    return rendered.html


def markdown_field(
    ctx: Context, source: Source, path: tuple[str | int, ...], *, inline: bool = False
) -> str:
    """Render the Markdown value at `path` of a YAML file ('' when absent or not text)."""
    value: Any = source.data
    for part in path:
        value = (
            value.get(part)
            if isinstance(value, dict)
            else (
                value[part]
                if isinstance(value, list) and isinstance(part, int) and part < len(value)
                else None
            )
        )
    if not isinstance(value, str):
        return ""
    rendered = render_markdown(value, inline=inline)
    _check_links(ctx, rendered, None, (source.path, source.text_line(*path)))
    return rendered.html


def render_module(ctx: Context, source: Source, module: model.Module | None) -> model.Module | None:
    """Render every page body of a module (checked even when the module itself is invalid)."""
    raw_pages = items(source.data, "pages")
    page_ids = {page_id for _, page in raw_pages if (page_id := text(page, "id"))}
    module_id = text(source.data, "id") or Path(source.path).stem
    html: dict[int, str] = {}
    for index, page in raw_pages:
        path = body_file(ctx, source, index, page)
        if path is not None:
            html[index] = markdown_file(ctx, path, (module_id, page_ids))
    if module is None:
        return None
    pages = tuple(replace(p, body_html=html.get(i, "")) for i, p in enumerate(module.pages))
    return replace(module, pages=pages)


def render_quiz(ctx: Context, source: Source, quiz: model.Quiz | None) -> model.Quiz | None:
    """Render question prompts, option texts and option feedback."""
    prompts: dict[int, str] = {}
    options: dict[tuple[int, int], tuple[str, str]] = {}
    for q_index, question in items(source.data, "questions"):
        prompts[q_index] = markdown_field(ctx, source, ("questions", q_index, "prompt"))
        for o_index, _ in items(question, "options"):
            base = ("questions", q_index, "options", o_index)
            options[q_index, o_index] = (
                markdown_field(ctx, source, (*base, "text"), inline=True),
                markdown_field(ctx, source, (*base, "feedback")),
            )
    if quiz is None:
        return None
    questions = tuple(
        replace(
            question,
            prompt_html=prompts.get(q, ""),
            options=tuple(
                replace(option, text_html=options[q, o][0], feedback_html=options[q, o][1])
                for o, option in enumerate(question.options)
            ),
        )
        for q, question in enumerate(quiz.questions)
    )
    return replace(quiz, questions=questions)


def render_instructions(
    ctx: Context, source: Source, item: WithInstructions | None
) -> WithInstructions | None:
    """Render the instructions of a checklist or survey."""
    html = markdown_field(ctx, source, ("instructions",))
    return None if item is None else replace(item, instructions_html=html)


def render_videos(
    ctx: Context, source: Source, videos: tuple[model.Video, ...] | None
) -> tuple[model.Video, ...]:
    """Render every transcript named in videos.yaml (missing files are reported elsewhere)."""
    html: dict[str, str] = {}
    for _, video in items(source.data, "videos"):
        video_id, name = text(video, "id"), text(video, "transcript")
        path = ctx.resolve("", name) if name else None
        if video_id and path is not None and path.is_file() and path.suffix == ".md":
            # A transcript sits under the page's own h1: its "# Title" becomes an h2.
            html.setdefault(video_id, markdown_file(ctx, path, heading_offset=1))
    return tuple(replace(v, transcript_html=html.get(v.id, "")) for v in videos or ())
