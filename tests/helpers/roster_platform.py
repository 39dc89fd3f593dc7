"""A Canvas-like Names and Role Provisioning service in a thread of the test process.

Like Canvas, it pages with opaque, mixed-case cursors that must come back exactly, and sends
several relations in one Link header (current, next, first, last). Faults are queued, one per
request: "500", "401" (refuses the token once), "loop" (the next link points at the page itself).
`delay` slows every page down. Token handling is the AGS test platform's.
"""
from __future__ import annotations

import secrets
import time
from typing import Any

from flask import Flask, jsonify, request

from tests.helpers.ags_platform import FaultyPlatform

MEMBERSHIP_MEDIA = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
PATH = "/api/lti/courses/7/names_and_roles"


def member(user_id: str, name: str, roles: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """One NRPS member entry."""
    return {"user_id": user_id, "name": name, "roles": roles or [LEARNER], "status": "Active", **extra}


class RosterPlatform(FaultyPlatform):
    """Token endpoint (from FaultyPlatform) and a paged membership container."""

    def __init__(self, members: list[dict[str, Any]], *, client_id: str, host: str = "127.0.0.5") -> None:
        self.members = members
        self.roster_page_size = 2
        self.roster_faults: list[str] = []
        self.roster_asked: list[str] = []  # every URL asked, exactly (path and query as sent)
        self.roster_accept: list[str] = []
        self.roster_cursors: dict[str, int] = {}
        self.delay = 0.0
        super().__init__(host=host, client_id=client_id)

    @property
    def members_url(self) -> str:
        """The context memberships URL a launch names."""
        return self.url + PATH

    def _build(self) -> Flask:
        app = super()._build()
        app.add_url_rule(PATH, "names_and_roles", self._roster)
        return app

    def _roster(self) -> Any:
        with self.lock:
            self.roster_asked.append(request.full_path.rstrip("?"))
            self.roster_accept.append(request.headers.get("Accept", ""))
        if self.delay:
            time.sleep(self.delay)
        fault = self._fault(self.roster_faults)
        if fault == "500":
            return jsonify({"errors": [{"message": "The roster service is down"}]}), 500
        if fault == "401" or not self._authorized():
            return jsonify({"errors": [{"message": "Invalid access token"}]}), 401
        people = self.members
        if request.args.get("role"):
            people = [m for m in people if any(r == request.args["role"] or r.endswith("#" + request.args["role"])
                                               for r in m["roles"])]
        start = 0
        if "cursor" in request.args:
            if request.args["cursor"] not in self.roster_cursors:
                return jsonify({"errors": [{"message": "Unknown cursor (cursors are case-sensitive)"}]}), 400
            start = self.roster_cursors[request.args["cursor"]]
        size = int(request.args.get("per_page", self.roster_page_size))
        response = jsonify({"id": self.members_url, "context": {"id": "canvas-course-7", "title": "Canvas course"},
                            "members": people[start:start + size]})
        response.mimetype = MEMBERSHIP_MEDIA
        base = self.members_url
        links = [f'<{request.url}>; rel="current"']
        if fault == "loop":
            links.append(f'<{request.url}>; rel="next"')
        elif start + size < len(people):
            cursor = "Pg" + secrets.token_hex(3) + "XyZ"
            self.roster_cursors[cursor] = start + size
            links.append(f'<{base}?cursor={cursor}&per_page={size}>; rel="next"')
        links += [f'<{base}?per_page={size}>; rel="first"', f'<{base}?cursor=LaSt&per_page={size}>; rel="last"']
        response.headers["Link"] = ",".join(links)
        return response
