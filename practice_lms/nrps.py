"""Names and Role Provisioning Services in the practice LMS: lti1p3platform's membership service, strict glue.

The launch claim names `/nrps/members?limit=N` (lti1p3platform pages only when `limit` is in
the query); the next page goes out in a `Link` header written by lti1p3platform's own helper,
`<...>; rel=next` without quotes, as some platforms do. Each call needs a token from /token
with the NRPS scope.
"""
from __future__ import annotations

import typing as t

from flask import Flask, jsonify, request
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.response import generate_next_link
from lti1p3platform.service_connector import NamesRoleProvisioningService, TPage

from .activities import Activities
from .ags import ServiceRequest, _error, bearer_scopes
from .settings import PlatformSettings

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
PAGE_SIZE = 3


def members_url(settings: PlatformSettings) -> str:
    """The membership service's address, without a query."""
    return settings.issuer + "/nrps/members"


def nrps_claim(settings: PlatformSettings) -> dict[str, t.Any]:
    """The launch's NRPS claim; the URL asks for pages of PAGE_SIZE members."""
    return {NRPS_CLAIM: {"context_memberships_url": f"{members_url(settings)}?limit={PAGE_SIZE}",
                         "service_versions": ["2.0"]}}


def _short(role: str) -> str:
    return role.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


class PracticeNRPS(NamesRoleProvisioningService):
    """The practice course's people behind lti1p3platform's membership handler."""

    def __init__(self, request: ServiceRequest, conf: LTI1P3PlatformConfAbstract, settings: PlatformSettings,
                 activities: Activities) -> None:
        super().__init__(request, conf, members_url(settings))
        self.settings, self.activities = settings, activities

    def get_context_by_id(self) -> Context:
        s = self.settings
        return Context(id=s.course_id, label=s.course_label, title=s.course_title)

    def is_resource_link_valid(self, context_id: str, resource_link_id: str) -> bool:
        return context_id == self.settings.course_id and self.activities.get(resource_link_id) is not None

    def get_member_data_page(self, page: int = 1, limit: int | None = None, role: str | None = None,
                             since: str | None = None, rlid: str | None = None) -> TPage:
        people = [p for p in self.settings.people
                  if not role or role in p.roles or _short(role) in {_short(r) for r in p.roles}]
        members = [{"user_id": p.id, "roles": list(p.roles), "status": "Active", "name": p.name,
                    "given_name": p.given_name, "family_name": p.family_name, "email": p.email}
                   for p in people]
        if not limit:
            return {"content": members, "has_next": False}
        start = (max(1, page) - 1) * limit
        return {"content": members[start:start + limit], "has_next": start + limit < len(members)}


def install_nrps(app: Flask, settings: PlatformSettings, conf: LTI1P3PlatformConfAbstract,
                 activities: Activities) -> None:
    """Add GET /nrps/members to the practice LMS."""

    @app.get("/nrps/members")
    def nrps_members() -> t.Any:
        scopes = bearer_scopes(settings)
        if isinstance(scopes, tuple):
            return scopes
        if NRPS_SCOPE not in scopes:
            return _error(403, "insufficient_scope", f"this needs the scope {NRPS_SCOPE}")
        conf.get_registration()
        service = PracticeNRPS(ServiceRequest(request, ("page", "limit", "role", "rlid")), conf, settings, activities)
        result = service.handle_resp(service.handle_get_members)
        if result.code != 200:
            return _error(result.code, result.message.lower().replace(" ", "_"), result.message)
        body = dict(result.result)
        following = body.pop("next", None)
        out = jsonify(body)
        out.mimetype = result.media_type
        if following:
            out.headers["Link"] = generate_next_link(following)  # rel=next, unquoted
        return out
