"""Driving Rapport's login and launch the way a platform and a browser do."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bs4 import BeautifulSoup

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
TOOL_BASE = "http://localhost"
TARGET = TOOL_BASE + "/lti/launch"


@dataclass
class Login:
    """What the login redirect told the platform."""

    state: str
    nonce: str
    query: dict[str, str]


def begin_login(client: Any, issuer: str, client_id: str | None = None, **extra: str) -> Login:
    """Send a third-party login request; return the state and nonce Rapport issued."""
    params = {"iss": issuer, "login_hint": "user-1", "target_link_uri": TARGET}
    if client_id:
        params["client_id"] = client_id
    params.update(extra)
    response = client.get("/lti/login", query_string=params)
    assert response.status_code == 302, response.get_data(as_text=True)
    query = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}
    return Login(query["state"], query["nonce"], query)


def claims(issuer: str, client_id: str, deployment_id: str, issued_nonce: str, /, **overrides: Any) -> dict[str, Any]:
    """A complete, valid resource link launch for a learner; overrides replace or (None) remove claims."""
    now = int(time.time())
    body: dict[str, Any] = {
        "iss": issuer,
        "aud": client_id,
        "sub": "user-1",
        "exp": now + 300,
        "iat": now,
        "nonce": issued_nonce,
        "name": "Ana Ribeiro",
        "email": "ana@example.edu",
        LTI + "message_type": "LtiResourceLinkRequest",
        LTI + "version": "1.3.0",
        LTI + "deployment_id": deployment_id,
        LTI + "target_link_uri": TARGET,
        LTI + "roles": [LEARNER],
        LTI + "resource_link": {"id": "link-1", "title": "Foundations"},
        LTI + "context": {"id": "course-1", "title": "Relational Skills 101", "label": "RS101"},
    }
    for key, value in overrides.items():
        name = LTI + key[4:] if key.startswith("lti_") else key
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def post_launch(client: Any, id_token: str | None, state: str | None) -> Any:
    """Post the launch form as the browser would."""
    form = {}
    if id_token is not None:
        form["id_token"] = id_token
    if state is not None:
        form["state"] = state
    return client.post("/lti/launch", data=form)


def first_page_address(response: Any) -> str:
    """Where a successful launch's first page lives: the address the page names (a module, an
    unbound link) or the one the launch redirected to (a quiz, a survey, a checklist, deep linking).

    Works on Flask's test responses and on `requests` responses, redirects followed or not.
    """
    status = response.status_code
    if status in (302, 303):
        return str(response.headers["Location"])
    html = response.get_data(as_text=True) if hasattr(response, "get_data") else response.text
    assert status == 200, html[:2000]
    meta = BeautifulSoup(html, "html.parser").find("meta", attrs={"name": "rapport-address"})
    if meta is None and "lt=" in str(getattr(response, "url", "")):  # `requests` followed a redirect to it
        return str(response.url)
    assert meta is not None, "the launch's page does not name its address: " + html[:2000]
    return str(meta["content"])


def launch_token(response: Any) -> str:
    """The launch token of a successful launch's first page."""
    return parse_qs(urlsplit(first_page_address(response)).query)["lt"][0]


def page_text(response: Any) -> str:
    """The visible text of an HTML response, whitespace folded."""
    return " ".join(BeautifulSoup(response.get_data(as_text=True), "html.parser").get_text(" ").split())


def unique(prefix: str) -> str:
    """A unique id for a test object."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
