"""AGS helpers that need no network: Link headers, scores URLs, error messages, backoff."""
from __future__ import annotations

import pytest
import requests

from lti_plugin.lti.ags import parse_link_header, platform_message, refusal, scores_url


@pytest.mark.parametrize("header,expected", [
    ('<https://lms.example.edu/li?cursor=AbCdEf>; rel="next"', {"next": "https://lms.example.edu/li?cursor=AbCdEf"}),
    ("<https://lms.example.edu/li?page=2&Cursor=XyZ>; rel=next", {"next": "https://lms.example.edu/li?page=2&Cursor=XyZ"}),
    (('<https://c.example/a?p=2>; rel="current",<https://c.example/a?p=3&k=QwE>; rel="next",'
      '<https://c.example/a?p=1>; rel="first",<https://c.example/a?p=9>; rel="last"'),
     {"current": "https://c.example/a?p=2", "next": "https://c.example/a?p=3&k=QwE",
      "first": "https://c.example/a?p=1", "last": "https://c.example/a?p=9"}),
    ('<https://x.example/a?c=Zz9>; title="a, b; c"; rel="next prev"',
     {"next": "https://x.example/a?c=Zz9", "prev": "https://x.example/a?c=Zz9"}),
    ('<https://x.example/a,b?c=1>;rel=NEXT', {"next": "https://x.example/a,b?c=1"}),
    ("<https://x.example/1>; rel=prev , <https://x.example/2> ; rel = \"next\"",
     {"prev": "https://x.example/1", "next": "https://x.example/2"}),
    ("", {}),
    ("garbage, <https://x.example/2>; rel=next", {"next": "https://x.example/2"}),
    ("<https://x.example/2>", {}),
])
def test_link_header_relations_keep_the_url_exactly(header: str, expected: dict[str, str]) -> None:
    assert parse_link_header(header) == expected


def test_relative_links_resolve_against_the_page() -> None:
    links = parse_link_header('</api/li?cursor=MiXeD>; rel="next"', base="https://lms.example.edu/api/li?x=1")
    assert links == {"next": "https://lms.example.edu/api/li?cursor=MiXeD"}


@pytest.mark.parametrize("line_item,expected", [
    ("https://lms.example.edu/api/lineitems/7", "https://lms.example.edu/api/lineitems/7/scores"),
    ("https://lms.example.edu/api/lineitems/7/", "https://lms.example.edu/api/lineitems/7/scores"),
    ("https://moodle.example.edu/mod/lti/services.php/2/lineitems/3/lineitem?type_id=1",
     "https://moodle.example.edu/mod/lti/services.php/2/lineitems/3/lineitem/scores?type_id=1"),
    ("https://lms.example.edu/li/3?a=1&b=Two#frag", "https://lms.example.edu/li/3/scores?a=1&b=Two"),
])
def test_scores_url_goes_before_the_query(line_item: str, expected: str) -> None:
    assert scores_url(line_item) == expected


def _response(status: int, body: str, content_type: str = "application/json", **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body.encode()
    response.headers.update({"Content-Type": content_type, **headers})
    response.reason = "Reason"
    return response


def test_the_platform_message_is_kept_short_and_plain() -> None:
    assert platform_message(_response(400, '{"error": "invalid_grant", "error_description": "User not in course"}')) \
        == "invalid_grant: User not in course"
    assert platform_message(_response(422, '{"errors": [{"message": "Score too high"}]}')) == "Score too high"
    assert platform_message(_response(500, "<html><body><h1>Oops</h1>  broke</body></html>", "text/html")) \
        == "Oops broke"
    assert platform_message(_response(502, "")) == "Reason"
    assert len(platform_message(_response(400, "x" * 5000, "text/plain"))) == 400


@pytest.mark.parametrize("status,retryable", [(500, True), (503, True), (429, True), (408, True),
                                               (400, False), (403, False), (404, False), (422, False)])
def test_which_answers_are_retried(status: int, retryable: bool) -> None:
    error = refusal(_response(status, '{"message": "m"}', **{"Retry-After": "7"}), "Sending the score")
    assert error.retryable is retryable and error.status == status and error.retry_after == 7.0
    assert error.message == f"Sending the score: the platform answered {status}: m"
