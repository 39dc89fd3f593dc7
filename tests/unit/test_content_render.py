"""Markdown rendering: internal links rewritten, raw HTML checked, output sanitized."""

from __future__ import annotations

import pytest
from markupsafe import Markup, escape

from lti_plugin.content.render import render_markdown, resolve_links


def test_internal_links_are_rewritten() -> None:
    rendered = render_markdown("See [the quiz](#page:check) and [module two](module:two).\n")
    assert '<a href="#page-check" data-page="check"' in rendered.html
    assert '<a href="#module-two" data-module="two"' in rendered.html
    assert [(link.kind, link.target, link.line) for link in rendered.links] == [
        ("page", "check", 1),
        ("module", "two", 1),
    ]
    assert rendered.issues == ()


def test_link_lines_are_counted() -> None:
    rendered = render_markdown(
        "# Title\n\nFirst line\nsecond [x](#page:a) line\n\n- [y](module:b)\n"
    )
    assert [link.line for link in rendered.links] == [4, 6]


def test_invalid_link_target_is_an_issue() -> None:
    rendered = render_markdown("[x](#page:Not_An_Id)")
    assert "not a valid id" in rendered.issues[0].message


def test_resolve_links_uses_callbacks_and_escapes() -> None:
    html = render_markdown("[a](#page:intro) [b](module:next) [c](https://example.org)").html
    resolved = resolve_links(html, lambda p: f"/play?page={p}&x=1", lambda m: f"/m/{m}")
    assert 'href="/play?page=intro&amp;x=1" data-page="intro"' in resolved
    assert 'href="/m/next" data-module="next"' in resolved
    assert 'href="https://example.org"' in resolved


def test_tables_and_alignment_become_classes() -> None:
    html = render_markdown("| a | b |\n|:--|--:|\n| 1 | 2 |\n").html
    assert '<th class="align-left">a</th>' in html
    assert '<td class="align-right">2</td>' in html
    assert "style" not in html


def test_code_fences_lose_language_class() -> None:
    html = render_markdown("```python\nx = 1\n```\n").html
    assert html == "<pre><code>x = 1\n</code></pre>\n"


def test_safe_raw_html_is_allowed() -> None:
    rendered = render_markdown(
        "<details><summary>More</summary>\n\nHidden *text*\n\n</details>\n\n"
        'Some <abbr title="standardized patient">SP</abbr> text.<br>\n'
    )
    assert rendered.issues == ()
    assert "<details><summary>More</summary>" in rendered.html


def test_html_comments_are_allowed_and_removed() -> None:
    rendered = render_markdown("Text\n\n<!-- note for authors -->\n")
    assert rendered.issues == ()
    assert "note for authors" not in rendered.html


@pytest.mark.parametrize(
    ("markdown", "line", "fragment"),
    [
        ("Hello\n\n<script>alert(1)</script>\n", 3, "<script> tag is never allowed"),
        ('a\n\nb <span onclick="x()">c</span>\n', 3, "event handler attribute 'onclick'"),
        ('<div style="color:red">x</div>\n', 1, "attribute 'style' on <div>"),
        ('<p>\n<a href="javascript:alert(1)">x</a>\n</p>\n', 2, "uses 'javascript:'"),
        ('<iframe src="https://example.org"></iframe>\n', 1, "<iframe> tag"),
        ('<p class="fancy">x</p>\n', 1, "class 'fancy' on <p>"),
        ("<form><input></form>\n", 1, "<form> tag"),
        ("[x](ftp://example.org)\n", 1, "uses 'ftp:'"),
        ("line\n\n<svg><circle/></svg>\n", 3, "<svg> tag"),
    ],
)
def test_unsafe_html_is_reported_at_its_line(markdown: str, line: int, fragment: str) -> None:
    rendered = render_markdown(markdown)
    assert any(i.line == line and fragment in i.message for i in rendered.issues), rendered.issues
    assert "alert" not in rendered.html or "<a" not in rendered.html
    assert "onclick" not in rendered.html and "style=" not in rendered.html


def test_rendered_html_is_always_sanitized() -> None:
    rendered = render_markdown('<img src="x" onerror="alert(1)">\n\n<script>bad()</script>\n')
    assert "onerror" not in rendered.html
    assert "<script" not in rendered.html
    assert "bad()" not in rendered.html


def test_markdown_javascript_links_are_not_links() -> None:
    rendered = render_markdown("[x](javascript:alert(1))")
    assert "href" not in rendered.html


def test_inline_rendering_has_no_paragraph() -> None:
    assert render_markdown("**Yes**, it is", inline=True).html == "<strong>Yes</strong>, it is"


def test_images_are_collected() -> None:
    rendered = render_markdown("Text\n\n![A diagram](media/diagram.png)\n")
    assert rendered.images == (("media/diagram.png", 3),)
    assert 'alt="A diagram"' in rendered.html


def test_rendered_html_is_markup_for_jinja() -> None:
    rendered = render_markdown("*hi* [p](#page:a)")
    assert isinstance(rendered.html, Markup)
    assert escape(rendered.html) == rendered.html
    assert isinstance(resolve_links(rendered.html, str, str), Markup)
