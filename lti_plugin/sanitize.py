"""The only module that sanitizes HTML: named allow-lists and nh3 (ammonia) underneath.

Content HTML (rendered from the curriculum's Markdown) goes through `clean_content_html`.
Free text typed by users (rater comments) is never HTML: it is normalised by `plain_text`
and escaped by Jinja when shown.
"""

from __future__ import annotations

import re
import unicodedata

import nh3

# Tags that may appear in rendered content. Everything else is dropped (its text kept),
# except CLEAN_CONTENT_TAGS, which are dropped together with everything inside them.
CONTENT_TAGS: frozenset[str] = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "details",
        "dfn",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
    }
)

CLEAN_CONTENT_TAGS: frozenset[str] = frozenset(
    {
        "script",
        "style",
        "template",
        "noscript",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "svg",
        "math",
        "textarea",
        "title",
        "xmp",
        "noembed",
        "noframes",
        "plaintext",
        "select",
        "option",
        "button",
        "form",
        "head",
        "meta",
        "base",
        "link",
    }
)

# Per-tag attributes. No style, no id/name (DOM clobbering), no event handlers, no class
# (classes are allowed only from CONTENT_CLASSES). `rel` is set by LINK_REL, never copied.
CONTENT_ATTRIBUTES: dict[str, frozenset[str]] = {
    "*": frozenset({"title", "lang", "dir"}),
    "a": frozenset({"href", "title", "hreflang", "data-page", "data-module"}),
    "abbr": frozenset({"title"}),
    "blockquote": frozenset({"cite"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
    "del": frozenset({"cite", "datetime"}),
    "img": frozenset({"src", "alt", "title", "width", "height"}),
    "ins": frozenset({"cite", "datetime"}),
    "ol": frozenset({"start", "reversed"}),
    "q": frozenset({"cite"}),
    "td": frozenset({"colspan", "rowspan", "headers"}),
    "th": frozenset({"colspan", "rowspan", "headers", "scope", "abbr"}),
}

# Table cell alignment from Markdown becomes one of these classes (see content.render).
CONTENT_CLASSES: dict[str, frozenset[str]] = {
    "th": frozenset({"align-left", "align-center", "align-right"}),
    "td": frozenset({"align-left", "align-center", "align-right"}),
}

URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
URL_ATTRIBUTES: frozenset[str] = frozenset({"href", "src", "cite"})
LINK_REL = "noopener noreferrer"

# Schemes a browser may execute or use to smuggle markup; refused even when disguised.
_DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:", "livescript:", "mocha:")
# Characters a browser ignores or that hide text: controls, whitespace, format chars (Cf).
_INVISIBLE = re.compile(
    r"[\s\x00-\x1f\x7f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5"
    r"\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufeff\uffa0]"
)


def _url_is_dangerous(value: str) -> bool:
    """True when a URL, stripped of anything invisible, starts with an executable scheme."""
    squeezed = "".join(ch for ch in value if unicodedata.category(ch) != "Cf")
    squeezed = _INVISIBLE.sub("", squeezed).lower()
    return squeezed.startswith(_DANGEROUS_SCHEMES)


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Second line of defence after ammonia's own URL-scheme check; must never raise."""
    if attribute in URL_ATTRIBUTES and _url_is_dangerous(value):
        return None
    return value


_CONTENT_CLEANER = nh3.Cleaner(
    tags=set(CONTENT_TAGS),
    clean_content_tags=set(CLEAN_CONTENT_TAGS),
    attributes={tag: set(names) for tag, names in CONTENT_ATTRIBUTES.items()},
    allowed_classes={tag: set(names) for tag, names in CONTENT_CLASSES.items()},
    attribute_filter=_filter_attribute,
    url_schemes=set(URL_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=True,
)


def clean_content_html(html: str) -> str:
    """Return `html` reduced to the content allow-lists (safe to mark as Markup)."""
    return _CONTENT_CLEANER.clean(html)


# Control characters other than tab/newline, and bidi overrides that can disguise text.
_PLAIN_TEXT_DROP = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def plain_text(text: str, max_length: int | None = None) -> str:
    """Normalise user free text for storage: NFC, LF newlines, no control characters, trimmed."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _PLAIN_TEXT_DROP.sub("", text).strip()
    if max_length is not None:
        text = text[:max_length].rstrip()
    return text
