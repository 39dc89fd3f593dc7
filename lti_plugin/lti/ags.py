"""Assignment and Grade Services 2.0 calls: post a score, find or create a line item, read Link headers."""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from .errors import ServiceCallError
from .http import TimeoutSession

SCORE_MEDIA = "application/vnd.ims.lis.v1.score+json"
LINEITEM_MEDIA = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER_MEDIA = "application/vnd.ims.lis.v2.lineitemcontainer+json"
MAX_PAGES = 100
MESSAGE_LIMIT = 400

T = TypeVar("T")


def delivery_session(timeout: float, connections: int) -> TimeoutSession:
    """An HTTP session with the platform timeout and a connection pool for `connections` threads."""
    session = TimeoutSession(timeout)
    adapter = HTTPAdapter(pool_connections=8, pool_maxsize=max(10, connections))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def scores_url(line_item_url: str) -> str:
    """The scores endpoint of a line item: `/scores` appended to its path, keeping the query."""
    parts = urlsplit(line_item_url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + "/scores", parts.query, ""))


def parse_link_header(value: str, base: str | None = None) -> dict[str, str]:
    """Relations of an RFC 8288 Link header, {rel: URL}; URLs exactly as given (resolved against base)."""
    links: dict[str, str] = {}
    i, n = 0, len(value)
    while i < n:
        while i < n and value[i] in " \t,":
            i += 1
        if i >= n:
            break
        if value[i] != "<":  # not a link-value: skip to the next one
            comma = value.find(",", i)
            if comma < 0:
                break
            i = comma + 1
            continue
        end = value.find(">", i)
        if end < 0:
            break
        target, i = value[i + 1:end].strip(), end + 1
        params: dict[str, str] = {}
        while i < n and value[i] != ",":
            if value[i] != ";":
                i += 1
                continue
            name, param, i = _link_param(value, i + 1)
            if name and name not in params:
                params[name] = param
        for rel in params.get("rel", "").split():
            links.setdefault(rel.lower(), urljoin(base, target) if base else target)
    return links


def _link_param(value: str, i: int) -> tuple[str, str, int]:
    """One `; name=value` parameter (quoted or not) starting after the semicolon."""
    n = len(value)
    match = re.compile(r"\s*([^=;,\s]*)\s*").match(value, i)
    assert match is not None
    name, i = match.group(1).lower(), match.end()
    if i >= n or value[i] != "=":
        return name, "", i
    i += 1
    while i < n and value[i] in " \t":
        i += 1
    if i < n and value[i] == '"':
        i += 1
        chars: list[str] = []
        while i < n and value[i] != '"':
            if value[i] == "\\" and i + 1 < n:
                i += 1
            chars.append(value[i])
            i += 1
        return name, "".join(chars), i + 1
    start = i
    while i < n and value[i] not in ";,":
        i += 1
    return name, value[start:i].strip(), i


def platform_message(response: requests.Response) -> str:
    """What the platform said about an error, as one short line."""
    text = ""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        parts = [str(data[k]) for k in ("error", "error_description", "message", "reason", "detail")
                 if isinstance(data.get(k), (str, int)) and str(data[k]).strip()]
        text = ": ".join(dict.fromkeys(parts))
        errors = data.get("errors")
        if not text and isinstance(errors, list) and errors:
            text = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors[:3])
    if not text:
        text = re.sub(r"<[^>]+>", " ", response.text or "")
    text = " ".join(text.split()) or (response.reason or "no message")
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT - 1] + "…"


def retry_after(response: requests.Response) -> float | None:
    """The Retry-After delay in seconds, when given as a number."""
    value = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def refusal(response: requests.Response, what: str) -> ServiceCallError:
    """The error for a platform answer that is not a success; 5xx, 408 and 429 may be retried."""
    status = response.status_code
    retryable = status >= 500 or status in (408, 429)
    return ServiceCallError(f"{what}: the platform answered {status}: {platform_message(response)}",
                            retryable=retryable, status=status, retry_after=retry_after(response))


def call(what: str, url: str, send: Callable[[], requests.Response]) -> requests.Response:
    """Make one request; timeouts and connection failures become retryable errors."""
    try:
        return send()
    except requests.Timeout:
        raise ServiceCallError(f"{what}: the platform did not answer in time ({_origin(url)}).",
                               retryable=True) from None
    except requests.ConnectionError:
        raise ServiceCallError(f"{what}: Rapport could not reach the platform ({_origin(url)}).",
                               retryable=True) from None
    except requests.RequestException as error:
        raise ServiceCallError(f"{what}: the call to the platform failed ({type(error).__name__}).",
                               retryable=True) from None


def post_score(session: requests.Session, token: str, line_item_url: str, score: dict[str, Any]) -> int:
    """POST one score to the line item's scores endpoint; returns the platform's status."""
    url = scores_url(line_item_url)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": SCORE_MEDIA, "Accept": "application/json"}
    response = call("Sending the score", url, lambda: session.post(url, data=json.dumps(score), headers=headers))
    if not 200 <= response.status_code < 300:
        raise refusal(response, "Sending the score")
    return response.status_code


def find_line_item(session: requests.Session, token: str, line_items_url: str, *, resource_link_id: str | None,
                   resource_id: str | None, tag: str | None) -> str | None:
    """The URL of the first line item matching the filters, following `next` links page by page."""
    wanted = {"resourceLinkId": resource_link_id, "resourceId": resource_id, "tag": tag}
    filters = {k: v for k, v in (("resource_link_id", resource_link_id), ("resource_id", resource_id),
                                 ("tag", tag)) if v}
    headers = {"Authorization": f"Bearer {token}", "Accept": CONTAINER_MEDIA}
    url: str | None = line_items_url
    params: dict[str, str] | None = filters
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        if url is None or url in seen:
            return None
        seen.add(url)

        def fetch(page: str = url, query: dict[str, str] | None = params) -> requests.Response:
            return session.get(page, params=query, headers=headers)

        response = call("Finding the line item", url, fetch)
        if response.status_code != 200:
            raise refusal(response, "Finding the line item")
        try:
            items = response.json()
        except ValueError:
            raise ServiceCallError("Finding the line item: the platform's answer is not JSON.",
                                   retryable=True, status=200) from None
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("id"), str) and all(
                    not v or item.get(k) == v for k, v in wanted.items()):
                return str(item["id"])
        url = parse_link_header(response.headers.get("Link", ""), base=response.url).get("next")
        params = None  # the next link is followed exactly as given
    return None


def create_line_item(session: requests.Session, token: str, line_items_url: str, *, label: str,
                     score_maximum: float, resource_id: str | None, tag: str | None,
                     resource_link_id: str | None) -> str:
    """Create a line item in the container; returns its URL."""
    body: dict[str, Any] = {"label": label, "scoreMaximum": score_maximum}
    for key, value in (("resourceId", resource_id), ("tag", tag), ("resourceLinkId", resource_link_id)):
        if value:
            body[key] = value
    headers = {"Authorization": f"Bearer {token}", "Content-Type": LINEITEM_MEDIA, "Accept": LINEITEM_MEDIA}
    response = call("Creating the line item", line_items_url,
                    lambda: session.post(line_items_url, data=json.dumps(body), headers=headers))
    if response.status_code not in (200, 201):
        raise refusal(response, "Creating the line item")
    try:
        created = response.json()
    except ValueError:
        created = None
    if not isinstance(created, dict) or not isinstance(created.get("id"), str):
        raise ServiceCallError("Creating the line item: the platform's answer has no line item id.",
                               retryable=True, status=response.status_code)
    return str(created["id"])


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
