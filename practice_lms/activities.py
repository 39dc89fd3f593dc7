"""The practice course's activities, and "add activity" through Deep Linking 2.0."""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from flask import Flask, redirect, render_template, request, url_for

from .gradebook import Gradebook
from .settings import PlatformSettings
from .token import ToolKeys, TokenRefused

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
LTI = "https://purl.imsglobal.org/spec/lti/claim/"


@dataclass
class Activity:
    """One placement of Rapport in the practice course."""

    link_id: str
    title: str
    text: str = ""
    custom: dict[str, str] = field(default_factory=dict)
    window: bool = False


class Activities:
    """The course's activities, in the order they were added."""

    def __init__(self) -> None:
        self.items: list[Activity] = []
        self.lock = threading.Lock()
        self.requests_sent: dict[str, float] = {}  # deep linking `data` value -> when it went out

    def new_request_data(self) -> str:
        """A fresh `data` value for a deep linking request; the response must echo it."""
        data = secrets.token_urlsafe(12)
        with self.lock:
            self.requests_sent[data] = time.time()
        return data

    def spend_request_data(self, data: object) -> bool:
        """True, once, for a `data` value this LMS sent."""
        with self.lock:
            return isinstance(data, str) and self.requests_sent.pop(data, None) is not None

    def add(self, activity: Activity) -> None:
        """Add an activity at the end of the course page."""
        with self.lock:
            self.items.append(activity)

    def get(self, link_id: str) -> Activity | None:
        """The activity with this resource link id."""
        with self.lock:
            return next((a for a in self.items if a.link_id == link_id), None)


def deep_linking_claim(settings: PlatformSettings, return_url: str, data: str) -> dict[str, Any]:
    """What the practice LMS asks for: links to activities, one or several, with line items."""
    return {DL + "deep_linking_settings": {
        "deep_link_return_url": return_url,
        "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["iframe", "window"],
        "accept_multiple": True,
        "accept_lineitem": True,
        "auto_create": True,
        "title": f"Add to {settings.course_title}",
        "data": data,
    }}


def install_activities(app: Flask, settings: PlatformSettings, gradebook: Gradebook, tool_keys: ToolKeys) -> Activities:
    """Add the "add activity" flow: a deep linking launch out, the signed answer back."""
    activities = Activities()
    app.extensions["practice_activities"] = activities

    @app.post("/deep-link-return")
    def deep_link_return() -> Any:
        """Check Rapport's signed LtiDeepLinkingResponse strictly, then create what it lists."""
        token = request.form.get("JWT", "")
        try:
            header = jwt.get_unverified_header(token)
            key = jwt.PyJWK(tool_keys.jwk(str(header.get("kid"))))
            body = jwt.decode(token, key.key, algorithms=["RS256"], audience=settings.issuer,
                              issuer=settings.client_id, options={"require": ["exp", "iat", "iss", "aud", "nonce"]})
        except (jwt.PyJWTError, TokenRefused) as error:
            return f"invalid deep linking response: {error}", 400
        if body.get(LTI + "message_type") != "LtiDeepLinkingResponse" or body.get(LTI + "version") != "1.3.0":
            return "invalid deep linking response: wrong message type or version", 400
        if body.get(LTI + "deployment_id") != settings.deployment_id:
            return "invalid deep linking response: wrong deployment", 400
        if not activities.spend_request_data(body.get(DL + "data")):
            return "invalid deep linking response: data does not echo a request of ours", 400
        for item in body.get(DL + "content_items", []):
            if item.get("type") != "ltiResourceLink":
                return f"invalid deep linking response: unsupported item type {item.get('type')!r}", 400
            link_id = "link-" + secrets.token_hex(4)
            custom = {str(k): str(v) for k, v in (item.get("custom") or {}).items()}
            activities.add(Activity(link_id, str(item.get("title") or "Rapport activity"), str(item.get("text") or ""),
                                    custom, window="window" in item))
            line_item = item.get("lineItem")
            if isinstance(line_item, dict) and line_item.get("scoreMaximum"):
                gradebook.create_line_item({**line_item, "label": line_item.get("label") or item.get("title")},
                                           primary_for=link_id)
        added = len(body.get(DL + "content_items", []))
        course_url = url_for("course", added=added)
        if request.headers.get("Sec-Fetch-Dest") == "iframe":  # deep linking ran inside the LMS page
            return render_template("returned.html", added=added, course_url=course_url)
        return redirect(course_url, code=303)

    return activities
