"""Markdown to safe HTML for content: markdown-it-py (CommonMark + tables), then sanitize.py.

Internal links are rewritten so the player can resolve them:
`[text](#page:intro)` becomes `<a href="#page-intro" data-page="intro">` and
`[text](module:foundations)` becomes `<a href="#module-foundations" data-module="foundations">`.
`resolve_links` swaps those hrefs for real URLs at request time without re-rendering.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from lti_plugin.sanitize import (
    CLEAN_CONTENT_TAGS,
    CONTENT_ATTRIBUTES,
    CONTENT_CLASSES,
    CONTENT_TAGS,
    URL_ATTRIBUTES,
    URL_SCHEMES,
    clean_content_html,
)

ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_ALIGN = re.compile(r"text-align:\s*(left|center|right)")
_RESOLVABLE = re.compile(r'href="#(page|module)-([a-z0-9]+(?:-[a-z0-9]+)*)" data-\1="\2"')

LinkKind = Literal["page", "module"]


@dataclass(frozen=True)
class InternalLink:
    """A `#page:<id>` or `module:<id>` link found in Markdown, with its 1-based line."""

    kind: LinkKind
    target: str
    line: int


@dataclass(frozen=True)
class MarkdownIssue:
    """Something wrong in a Markdown text, with its 1-based line inside that text."""

    line: int
    message: str


@dataclass(frozen=True)
class Rendered:
    """Safe HTML (as Markup, so Jinja does not escape it again) plus what the loader needs to
    check: internal links, images, issues."""

    html: Markup
    links: tuple[InternalLink, ...]
    images: tuple[tuple[str, int], ...]
    issues: tuple[MarkdownIssue, ...]


def _new_markdown() -> MarkdownIt:
    """A CommonMark parser with tables and strikethrough; raw HTML is parsed, then checked."""
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


_MD = _new_markdown()


def render_markdown(text: str, *, inline: bool = False, heading_offset: int = 0) -> Rendered:
    """Render Markdown (a block, or one line when `inline`) to sanitized HTML and findings.

    `heading_offset` moves headings down (1: `#` becomes h2) for text shown under a page's own h1.
    """
    tokens = _MD.parseInline(text) if inline else _MD.parse(text)
    if heading_offset:
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                token.tag = f"h{min(6, int(token.tag[1]) + heading_offset)}"
    links, images, issues = _rewrite(tokens)
    raw = _MD.renderer.render(tokens, _MD.options, {})
    safe = clean_content_html(raw)
    if _canonical(raw) != _canonical(safe):
        found = _explain_unsafe(tokens)
        issues.extend(found or [MarkdownIssue(1, _GENERIC_UNSAFE)])
    return Rendered(Markup(safe), tuple(links), tuple(images), tuple(issues))


_GENERIC_UNSAFE = (
    "unsafe HTML: sanitizing would change the raw HTML in this text "
    "(check for badly nested or unclosed tags)"
)


def resolve_links(
    safe_html: str, page_url: Callable[[str], str], module_url: Callable[[str], str]
) -> Markup:
    """Replace the placeholder hrefs of internal links with real URLs (escaped here)."""

    def swap(match: re.Match[str]) -> str:
        kind, target = match.group(1), match.group(2)
        url = page_url(target) if kind == "page" else module_url(target)
        return f'href="{html.escape(url, quote=True)}" data-{kind}="{target}"'

    return Markup(_RESOLVABLE.sub(swap, str(safe_html)))


def _walk(tokens: Sequence[Token]) -> list[tuple[Token, int]]:
    """Every token with its best-known 0-based line (inline children get their block's)."""
    out: list[tuple[Token, int]] = []
    last_line = 0
    for token in tokens:
        if token.map:
            last_line = token.map[0]
        out.append((token, last_line))
        line = last_line
        for child in token.children or []:
            out.append((child, line))
            if child.type in ("softbreak", "hardbreak"):
                line += 1
    return out


def _rewrite(
    tokens: Sequence[Token],
) -> tuple[list[InternalLink], list[tuple[str, int]], list[MarkdownIssue]]:
    """Rewrite internal links, table alignment and code classes; collect links and images."""
    links: list[InternalLink] = []
    images: list[tuple[str, int]] = []
    issues: list[MarkdownIssue] = []
    for token, line0 in _walk(tokens):
        line = line0 + 1
        if token.type == "fence":
            token.info = ""  # no language-* classes: the allow-list has none
        elif token.type in ("th_open", "td_open") and token.attrs.get("style"):
            align = _ALIGN.search(str(token.attrs.pop("style")))
            if align:
                token.attrSet("class", f"align-{align.group(1)}")
        elif token.type == "image":
            images.append((str(token.attrGet("src") or ""), line))
        elif token.type == "link_open":
            link = _internal_link(str(token.attrGet("href") or ""), line)
            if link is None:
                continue
            if not ID_PATTERN.match(link.target):
                issues.append(MarkdownIssue(line, f"link target '{link.target}' is not a valid id"))
            token.attrSet("href", f"#{link.kind}-{link.target}")
            token.attrSet(f"data-{link.kind}", link.target)
            links.append(link)
    return links, images, issues


def _internal_link(href: str, line: int) -> InternalLink | None:
    """Parse `#page:<id>` / `module:<id>` hrefs; None for any other href."""
    if href.startswith("#page:"):
        return InternalLink("page", href[len("#page:") :], line)
    if href.startswith("module:"):
        return InternalLink("module", href[len("module:") :], line)
    return None


class _Canonical(HTMLParser):
    """Flattens HTML to (tag, attributes) and text events, ignoring what sanitizing may
    legitimately reformat: end tags, quoting, entities, comments, added rel, implied tbody."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[object] = []
        self._text: list[str] = []

    def _flush(self) -> None:
        text = " ".join("".join(self._text).split())
        if text:
            self.events.append(text)
        self._text = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tbody":
            return
        self._flush()
        kept = sorted((name, value or "") for name, value in attrs if name != "rel")
        self.events.append((tag, tuple(kept)))

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def _canonical(fragment: str) -> list[object]:
    """The comparable shape of an HTML fragment."""
    parser = _Canonical()
    parser.feed(fragment)
    parser.close()
    return parser.events


class _Explainer(HTMLParser):
    """Names each tag or attribute in raw HTML that the content allow-list would remove."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        if tag not in CONTENT_TAGS:
            kind = "is never allowed" if tag in CLEAN_CONTENT_TAGS else "is not allowed"
            self.found.append((line, f"unsafe HTML: the <{tag}> tag {kind}"))
            return
        for name, value in attrs:
            problem = _attribute_problem(tag, name, value or "")
            if problem:
                self.found.append((line, f"unsafe HTML: {problem}"))


def _attribute_problem(tag: str, name: str, value: str) -> str | None:
    """Why an attribute would be removed by sanitizing, or None if it is kept."""
    if name == "rel":
        return None
    if name.startswith("on"):
        return f"event handler attribute '{name}' on <{tag}> is not allowed"
    if name == "class":
        allowed = CONTENT_CLASSES.get(tag, frozenset())
        bad = [cls for cls in value.split() if cls not in allowed]
        return f"class '{' '.join(bad)}' on <{tag}> is not allowed" if bad else None
    if name not in CONTENT_ATTRIBUTES.get(tag, frozenset()) | CONTENT_ATTRIBUTES["*"]:
        return f"attribute '{name}' on <{tag}> is not allowed"
    if name in URL_ATTRIBUTES:
        return url_problem(value)
    return None


def url_problem(url: str) -> str | None:
    """Why a link or image URL is not allowed in content, or None when it is fine."""
    squeezed = re.sub(r"[\t\n\r]", "", url.strip())
    scheme = _SCHEME.match(squeezed)
    if scheme and scheme.group(1).lower() not in URL_SCHEMES:
        allowed = ", ".join(sorted(URL_SCHEMES))
        return f"link '{url}' uses '{scheme.group(1)}:'; only {allowed} or relative links"
    if clean_content_html(f'<a href="{html.escape(url)}">x</a>').find("href=") < 0:
        return f"link '{url}' is not allowed"
    return None


def _explain_unsafe(tokens: Sequence[Token]) -> list[MarkdownIssue]:
    """Locate the raw HTML or link that sanitizing would change, line by line."""
    issues: list[MarkdownIssue] = []
    for token, line0 in _walk(tokens):
        if token.type in ("html_block", "html_inline"):
            explainer = _Explainer()
            explainer.feed(token.content)
            explainer.close()
            issues.extend(MarkdownIssue(line0 + pos, msg) for pos, msg in explainer.found)
        elif token.type in ("link_open", "image"):
            attr = "href" if token.type == "link_open" else "src"
            problem = url_problem(str(token.attrGet(attr) or ""))
            if problem:
                issues.append(MarkdownIssue(line0 + 1, problem))
    return issues
