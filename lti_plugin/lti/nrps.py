"""Names and Role Provisioning Services 2.0: read a course's members, page by page.

Every call has a timeout (the session's, and an overall deadline across pages); `next` links
are followed exactly as the platform wrote them (pylti1p3 lower-cases Link headers, which
breaks case-sensitive cursors such as Canvas's), with the one Link parser in `ags.py`.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from .ags import call, parse_link_header, refusal
from .errors import ServiceCallError
from .service_tokens import TokenSource, call_with_token

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEMBERSHIP_MEDIA = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_PAGES = 200
WHAT = "Reading the course roster"


@dataclass(frozen=True)
class Member:
    """One member of the context as the platform describes them."""

    user_id: str
    roles: tuple[str, ...]
    status: str = "Active"
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    picture: str = ""


@dataclass(frozen=True)
class Membership:
    """The members read, and how many pages it took."""

    members: tuple[Member, ...]
    pages: int
    context_id: str | None = None
    urls: tuple[str, ...] = field(default=())


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _picture(value: Any) -> str:
    """A picture URL only when it is a plain web address (never javascript:, data: ...)."""
    text = _text(value, 1024)
    return text if text.startswith(("https://", "http://")) else ""


def parse_member(data: Any) -> Member | None:
    """A member from one entry of `members`; None when it has no user id."""
    if not isinstance(data, dict) or not isinstance(data.get("user_id"), str) or not data["user_id"].strip():
        return None
    roles = data.get("roles")
    status = str(data["status"]) if data.get("status") in ("Active", "Inactive", "Deleted") else "Active"
    return Member(
        user_id=data["user_id"][:255],
        roles=tuple(r for r in roles if isinstance(r, str))[:50] if isinstance(roles, list) else (),
        status=status,
        name=_text(data.get("name"), 255),
        given_name=_text(data.get("given_name"), 255),
        family_name=_text(data.get("family_name"), 255),
        email=_text(data.get("email"), 320),
        picture=_picture(data.get("picture")),
    )


def with_query(url: str, extra: dict[str, str]) -> str:
    """The URL with parameters added, keeping its own query (and any it already names) as it is."""
    parts = urlsplit(url)
    present = {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
    added = urlencode([(k, v) for k, v in extra.items() if k not in present])
    query = "&".join(q for q in (parts.query, added) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def read_members(session: requests.Session, source: TokenSource, url: str, *, role: str | None = None,
                 rlid: str | None = None, limit: int | None = None, deadline_seconds: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> Membership:
    """Every member of the context, following `next` links; raises ServiceCallError on any failure.

    `role` filters by role (a full URI or a context role's short name), `rlid` asks for the
    members of one resource link, `limit` the page size; a URL that already names one of them
    keeps its own. `deadline_seconds` bounds the whole read, across pages and token requests.
    """
    started = clock()
    extra = {k: v for k, v in (("role", role), ("rlid", rlid), ("limit", str(limit) if limit else None)) if v}
    page: str | None = with_query(url, extra)
    members: list[Member] = []
    seen: list[str] = []
    context_id: str | None = None
    while page is not None:
        if page in seen:
            raise ServiceCallError(f"{WHAT}: the platform's next link points back at a page already read.",
                                   retryable=False, status=200)
        if len(seen) >= MAX_PAGES:
            raise ServiceCallError(f"{WHAT}: the roster has more than {MAX_PAGES} pages; Rapport stopped there.",
                                   retryable=False, status=200)
        if deadline_seconds is not None and clock() - started > deadline_seconds:
            raise ServiceCallError(f"{WHAT}: the platform took longer than {deadline_seconds:g} seconds in all.",
                                   retryable=True)
        seen.append(page)
        address: str = page
        # No single call may run past the deadline either (the session's own timeout still applies).
        left = None if deadline_seconds is None else max(0.5, deadline_seconds - (clock() - started))

        def fetch(token: str) -> requests.Response:
            return _get(session, token, address, left)

        response = call_with_token(source, [NRPS_SCOPE], session, fetch)
        data = _json(response)
        context = data.get("context")
        if isinstance(context, dict) and isinstance(context.get("id"), str):
            context_id = context_id or context["id"]
        raw = data.get("members")
        if not isinstance(raw, list):
            raise ServiceCallError(f"{WHAT}: the platform's answer has no list of members.", retryable=True,
                                   status=response.status_code)
        members.extend(m for m in (parse_member(item) for item in raw) if m is not None)
        page = parse_link_header(response.headers.get("Link", ""), base=response.url).get("next")
    return Membership(tuple(members), len(seen), context_id, tuple(seen))


def _get(session: requests.Session, token: str, url: str, left: float | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", "Accept": MEMBERSHIP_MEDIA}
    default = getattr(session, "default_timeout", None)
    timeout = default if left is None else min(left, default) if default else left
    response = call(WHAT, url, lambda: session.get(url, headers=headers, timeout=timeout))
    if response.status_code != 200:
        raise refusal(response, WHAT)
    return response


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ServiceCallError(f"{WHAT}: the platform's answer is not a membership container.", retryable=True,
                               status=response.status_code)
    return data
