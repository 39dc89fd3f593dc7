"""sanitize.py: nothing executable survives, and ordinary content HTML does."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

import pytest

from lti_plugin.sanitize import (
    CONTENT_ATTRIBUTES,
    CONTENT_CLASSES,
    CONTENT_TAGS,
    LINK_REL,
    URL_SCHEMES,
    clean_content_html,
    plain_text,
)

XSS_PAYLOADS: list[str] = [
    # script tags, plain and disguised
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<script/src=data:,alert(1)>",
    "<<script>alert(1)//<</script>",
    '<script type="text/plain">alert(1)</script>',
    # event handlers
    "<img src=x onerror=alert(1)>",
    '<img src="x" ONERROR="alert(1)">',
    "<img/src=x/onerror=alert(1)>",
    "<body onload=alert(1)>",
    '<div onmouseover="alert(1)">hover</div>',
    "<p onclick=alert(1)>click</p>",
    '<a href="https://ok.example" onfocus="alert(1)" autofocus>x</a>',
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<input autofocus onfocus=alert(1)>",
    # javascript:, vbscript:, data: URLs, disguised
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="java\rscript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#x6A;avascript&#x3A;alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="\x01javascript:alert(1)">x</a>',
    '<a href="java\u200bscript:alert(1)">x</a>',
    '<a href="\ufeffjavascript:alert(1)">x</a>',
    '<a href="java\u00adscript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="VBScript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<a href="livescript:alert(1)">x</a>',
    # SVG and MathML
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    '<math href="javascript:alert(1)">x</math>',
    "<math><maction actiontype=statusline xlink:href=javascript:alert(1)>x</maction></math>",
    # frames, objects, forms, meta, base
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<button formaction="javascript:alert(1)">go</button>',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    # style and expression
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="width:expression(alert(1))">x</p>',
    "<style>@import 'https://evil.example/x.css';</style>",
    '<span style="behavior:url(x.htc)">x</span>',
    # comments, CDATA, template, noscript, malformed nesting
    "<!--<img src=x onerror=alert(1)>-->",
    "<!--><img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<template><img src=x onerror=alert(1)></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<p title="</p><img src=x onerror=alert(1)>">',
    '<a href="https://ok.example"><a href="javascript:alert(1)">x</a></a>',
    "<table><td><img src=x onerror=alert(1)></td></table>",
    '<div><img src="x" onerror="alert(1)"',
    "<textarea><img src=x onerror=alert(1)></textarea>",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    '<img src="x" alt="x"onerror="alert(1)">',
    '<a href="https://ok.example" id="x" name="x" class="evil">clobber</a>',
]

FORBIDDEN_TAGS = {
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "style",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "base",
    "meta",
    "link",
    "template",
    "noscript",
    "video",
    "audio",
    "source",
    "body",
    "marquee",
}
URL_ATTRS = {"href", "src", "cite", "action", "formaction", "xlink:href", "data", "poster"}


class _Collector(HTMLParser):
    """Collects (tag, attrs) of every start tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _browser_scheme(url: str) -> str | None:
    """The scheme a browser would see: C0/space trimmed, tab and newline removed."""
    url = re.sub(
        r"[\t\n\r]",
        "",
        url.strip(
            "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e"
            "\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a"
            "\x1b\x1c\x1d\x1e\x1f \t\n\r"
        ),
    )
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", url)
    return match.group(1).lower() if match else None


def _squeezed(url: str) -> str:
    """The URL with everything invisible removed, lower-cased."""
    kept = "".join(ch for ch in url if unicodedata.category(ch) not in ("Cc", "Cf", "Zs"))
    return re.sub(r"\s", "", kept).lower()


def assert_nothing_executable(output: str) -> None:
    """Fail if the sanitized HTML holds a dangerous tag, attribute or URL."""
    collector = _Collector()
    collector.feed(output)
    collector.close()
    for tag, attrs in collector.tags:
        assert tag not in FORBIDDEN_TAGS, output
        assert tag in CONTENT_TAGS, output
        allowed = CONTENT_ATTRIBUTES.get(tag, frozenset()) | CONTENT_ATTRIBUTES["*"]
        for name, value in attrs:
            value = value or ""
            assert not name.startswith("on"), output
            assert name not in {"style", "srcdoc", "id", "name", "formaction"}, output
            if name == "class":
                assert set(value.split()) <= CONTENT_CLASSES.get(tag, frozenset()), output
            elif name == "rel":
                assert tag == "a" and value == LINK_REL, output
            else:
                assert name in allowed, output
            if name in URL_ATTRS:
                scheme = _browser_scheme(value)
                assert scheme is None or scheme in URL_SCHEMES, output
                assert not _squeezed(value).startswith(("javascript:", "vbscript:", "data:")), (
                    output
                )


def test_corpus_is_big_enough() -> None:
    assert len(XSS_PAYLOADS) >= 40


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_is_neutralised(payload: str) -> None:
    output = clean_content_html(payload)
    assert_nothing_executable(output)
    assert clean_content_html(output) == output  # stable: no mutation on a second pass


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_inside_allowed_markup_is_neutralised(payload: str) -> None:
    output = clean_content_html(f"<p><strong>before</strong> {payload} <em>after</em></p>")
    assert_nothing_executable(output)
    assert "before" in output


def test_ordinary_content_survives() -> None:
    html = (
        "<h2>Title</h2><p>Some <strong>bold</strong> and <em>emphasis</em>, "
        '<a href="https://example.org/x?a=1&amp;b=2">a link</a>, '
        '<a href="mailto:dean@example.org">mail</a>, <a href="#page-intro" data-page="intro">'
        "a page</a>.</p><ul><li>one</li></ul><blockquote><p>quote</p></blockquote>"
        '<table><thead><tr><th class="align-right">h</th></tr></thead>'
        '<tbody><tr><td class="align-right">1</td></tr></tbody></table>'
        '<img src="media/picture.png" alt="A picture">'
    )
    output = clean_content_html(html)
    for fragment in (
        "<h2>Title</h2>",
        "<strong>bold</strong>",
        'href="https://example.org/x?a=1&amp;b=2"',
        'href="mailto:dean@example.org"',
        'data-page="intro"',
        'class="align-right"',
        'src="media/picture.png"',
        'alt="A picture"',
        "<blockquote>",
    ):
        assert fragment in output


def test_links_get_rel_noopener() -> None:
    output = clean_content_html('<a href="https://example.org" rel="opener">x</a>')
    assert f'rel="{LINK_REL}"' in output
    assert 'opener"' not in output.replace(LINK_REL, "")


def test_disallowed_class_is_dropped() -> None:
    assert "class" not in clean_content_html('<td class="evil">x</td>')


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Great listening!  ", "Great listening!"),
        ("line one\r\nline two\rthree", "line one\nline two\nthree"),
        ("a\x00b\x07c\x1bd", "abcd"),
        ("abc\u202edcba", "abcdcba"),
        ("<b>not html</b> & more", "<b>not html</b> & more"),  # kept as typed; Jinja escapes it
        ("cafe\u0301", "caf\u00e9"),
    ],
)
def test_plain_text(typed: str, stored: str) -> None:
    assert plain_text(typed) == stored


def test_plain_text_max_length() -> None:
    assert plain_text("abcdef  ghi", max_length=8) == "abcdef"


@pytest.mark.parametrize(
    "raw",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="java\tscript:alert(1)">x</a>',
        '<a href="java\u200bscript:alert(1)">x</a>',
        '<div style="x">y</div>',
        "<svg></svg>",
    ],
)
def test_checker_is_not_vacuous(raw: str) -> None:
    with pytest.raises(AssertionError):
        assert_nothing_executable(raw)
