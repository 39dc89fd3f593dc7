"""Assignment and Grade Services in the practice LMS: lti1p3platform's service class, strict Flask glue.

Line items live at /ags/lineitems; a line item's URL carries a query string, as Moodle's do
(/ags/lineitems/N/lineitem?type_id=1), and its scores go to /ags/lineitems/N/lineitem/scores?type_id=1.
Each call must carry a token from /token with the scope that operation needs.
"""
from __future__ import annotations

import typing as t
from datetime import datetime

import jwt
from flask import Flask, Response, jsonify, render_template, request
from lti1p3platform.exceptions import LineItemNotFoundException
from lti1p3platform.lineitem import TLineItem
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.response import Response as LtiResponse
from lti1p3platform.response import generate_next_link
from lti1p3platform.score import TScore, UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService, TPage

from .gradebook import SCOPES, Gradebook
from .lti import FlaskPlatformRequest, public_pem
from .settings import MEMBERSHIP, PlatformSettings
from .token import TokenEndpoint

SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/"
SCORE_MEDIA = "application/vnd.ims.lis.v1.score+json"
LINEITEM_MEDIA = "application/vnd.ims.lis.v2.lineitem+json"
ACTIVITY = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")
DEFAULT_LIMIT = 10


class ServiceRequest(FlaskPlatformRequest):
    """A request whose query keeps only the parameters a handler takes, with page and limit as numbers."""

    def __init__(self, request: t.Any, allowed: tuple[str, ...]) -> None:
        self.allowed = allowed
        super().__init__(request)

    def build_metadata(self, request: t.Any) -> t.Any:
        data = super().build_metadata(request)
        query = {k: v for k, v in data["get_data"].items() if k in self.allowed and v != ""}
        for number in ("page", "limit"):  # lti1p3platform computes page + 1
            if number in query:
                query[number] = int(query[number]) if str(query[number]).isdigit() else 1
        data["get_data"] = query
        return data


class PracticeAGS(AssignmentsGradesService):
    """The practice gradebook behind lti1p3platform's AGS handlers."""

    def __init__(self, request: ServiceRequest, conf: LTI1P3PlatformConfAbstract, gradebook: Gradebook,
                 lineitem_url: str | None = None) -> None:
        super().__init__(request, conf, gradebook.container_url, lineitem_url)
        self.gradebook = gradebook

    @property
    def allowed_scopes(self) -> list[str]:
        # lti1p3platform leaves lineitem.readonly out when creating is allowed; the glue checks
        # each operation's own scope before a handler runs.
        return list(SCOPES)

    def find_lineitems(self, page: int = 1, limit: int | None = None, line_item_id: str | None = None,
                       resource_link_id: str | None = None, resource_id: str | None = None,
                       tag: str | None = None) -> TPage:
        items = self.gradebook.find(resource_link_id=resource_link_id, resource_id=resource_id, tag=tag)
        size = limit or DEFAULT_LIMIT
        start = (max(1, page) - 1) * size
        return {"content": items[start:start + size], "has_next": start + size < len(items)}

    def find_lineitem(self, line_item_id: str) -> TLineItem:
        item = self.gradebook.line_item(int(line_item_id))
        if item is None:
            raise LineItemNotFoundException()
        return t.cast(TLineItem, item)

    def create_lineitem(self, creation_data: TLineItem) -> TLineItem:
        return t.cast(TLineItem, self.gradebook.create_line_item(dict(creation_data)))

    def update_lineitem(self, update_data: TLineItem) -> TLineItem:
        item = self.gradebook.update_line_item(int(update_data["id"]), dict(update_data))
        if item is None:
            raise LineItemNotFoundException()
        return t.cast(TLineItem, item)

    def delete_lineitem(self, line_item_id: str) -> None:
        if not self.gradebook.delete_line_item(int(line_item_id)):
            raise LineItemNotFoundException()

    def update_score(self, line_item_id: str, score: TScore) -> UpdateScoreStatus:
        number = int(line_item_id)
        if self.gradebook.line_item(number) is None:
            raise LineItemNotFoundException()
        moment = datetime.fromisoformat(str(score["timestamp"]))
        return UpdateScoreStatus(self.gradebook.apply(number, dict(score), moment))

    def get_results(self, line_item_id: str, page: int = 1, limit: int | None = None,
                    user_id: str | None = None) -> TPage:
        number = int(line_item_id)
        if self.gradebook.line_item(number) is None:
            raise LineItemNotFoundException()
        return {"content": self.gradebook.result_list(number, user_id), "has_next": False}


def _error(status: int, error: str, description: str) -> tuple[Response, int]:
    return jsonify({"error": error, "error_description": description}), status


def bearer_scopes(settings: PlatformSettings) -> set[str] | tuple[Response, int]:
    """The scopes of the request's access token (issued by this LMS's /token), or the error answer."""
    parts = request.headers.get("Authorization", "").split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return _error(401, "invalid_token", "a bearer token from /token is required")
    try:
        claims = Registration.decode_and_verify(parts[1], public_pem(settings.private_key_pem))
    except jwt.PyJWTError as error:
        return _error(401, "invalid_token", f"the access token is not valid: {error}")
    if claims.get("iss") != settings.issuer or claims.get("sub") != settings.client_id:
        return _error(401, "invalid_token", "the access token was not issued here for this tool")
    return set(str(claims.get("scopes", "")).split())


def install_services(app: Flask, settings: PlatformSettings, conf: LTI1P3PlatformConfAbstract) -> Gradebook:
    """Add the token endpoint, AGS and the gradebook pages to the practice LMS; returns its gradebook."""
    gradebook = Gradebook(settings.issuer)
    app.extensions["practice_gradebook"] = gradebook
    tokens = TokenEndpoint(settings, conf, gradebook)
    app.extensions["practice_tool_keys"] = tokens.tool_keys  # Rapport's keys, refetched on an unknown kid
    app.add_url_rule("/token", "token", tokens.view, methods=["POST"])

    def service(allowed: tuple[str, ...], needs: tuple[str, ...], number: int | None = None
                ) -> PracticeAGS | tuple[Response, int]:
        scopes = bearer_scopes(settings)
        if isinstance(scopes, tuple):
            return scopes
        if not scopes & {SCOPE + n for n in needs}:
            return _error(403, "insufficient_scope", f"this needs the scope {SCOPE + needs[0]}")
        if number is not None and request.args.get("type_id") != "1":
            return _error(404, "not_found", "unknown line item URL (type_id is missing)")
        url = gradebook.line_item_url(number) if number is not None else None
        return PracticeAGS(ServiceRequest(request, allowed), conf, gradebook, url)

    def answer(response: LtiResponse, body: t.Any = None) -> Response | tuple[Response, int]:
        if response.code >= 400:
            return _error(response.code, response.message.lower().replace(" ", "_"), response.message)
        out = jsonify(response.result if body is None else body)
        out.status_code, out.mimetype = response.code, response.media_type
        return out

    @app.route("/ags/lineitems", methods=["GET", "POST"])
    def line_items() -> t.Any:
        if request.method == "GET":
            svc = service(("page", "limit", "resource_link_id", "resource_id", "tag"),
                          ("lineitem", "lineitem.readonly"))
            if isinstance(svc, tuple):
                return svc
            result = svc.handle_resp(svc.handle_get_lineitems)
            if result.code != 200:
                return answer(result)
            out = answer(result, result.result["content"])
            links = [f'<{gradebook.container_url}>; rel="first"']
            if result.result.get("next"):
                links.append(generate_next_link(result.result["next"]))  # rel=next, unquoted
            t.cast(Response, out).headers["Link"] = ", ".join(links)
            return out
        svc = service((), ("lineitem",))
        if isinstance(svc, tuple):
            return svc
        data = request.get_json(silent=True)
        if request.mimetype != LINEITEM_MEDIA:
            return _error(415, "unsupported_media_type", f"Content-Type must be {LINEITEM_MEDIA}")
        if not isinstance(data, dict) or not str(data.get("label", "")).strip():
            return _error(400, "invalid_request", "a line item needs a label")
        maximum = data.get("scoreMaximum")
        if isinstance(maximum, bool) or not isinstance(maximum, (int, float)) or maximum <= 0:
            return _error(400, "invalid_request", "a line item needs a scoreMaximum above 0")
        return answer(svc.handle_resp(svc.handle_create_lineitem))

    @app.route("/ags/lineitems/<int:number>/lineitem", methods=["GET", "PUT", "DELETE"])
    def line_item(number: int) -> t.Any:
        svc = service((), ("lineitem",) if request.method != "GET" else ("lineitem", "lineitem.readonly"), number)
        if isinstance(svc, tuple):
            return svc
        handler = {"GET": svc.handle_get_lineitem, "PUT": svc.handle_update_lineitem,
                   "DELETE": svc.handle_delete_lineitem}[request.method]
        result = svc.handle_resp(handler, line_item_id=str(number))
        return ("", 204) if result.code == 204 else answer(result)

    @app.post("/ags/lineitems/<int:number>/lineitem/scores")
    def scores(number: int) -> t.Any:
        score = request.get_json(silent=True) if request.mimetype == SCORE_MEDIA else None
        svc = service((), ("score",), number)
        refused = svc if isinstance(svc, tuple) else _score_problem(settings, score)
        if refused is not None:
            gradebook.receive(number, score if isinstance(score, dict) else {}, refused[1],
                              refused[0].get_json()["error_description"])
            return refused
        assert not isinstance(svc, tuple)
        result = svc.handle_resp(svc.handle_update_score, line_item_id=str(number))
        gradebook.receive(number, t.cast(dict, score), result.code, result.message)
        if result.code == 409:
            return _error(409, "oldtimestamp", "a score with a later timestamp was already received")
        return answer(result, {"status": result.message})

    @app.get("/ags/lineitems/<int:number>/lineitem/results")
    def results(number: int) -> t.Any:
        svc = service(("page", "limit", "user_id"), ("result.readonly",), number)
        if isinstance(svc, tuple):
            return svc
        result = svc.handle_resp(svc.handle_get_results, line_item_id=str(number))
        return answer(result, result.result["content"] if result.code == 200 else None)

    @app.get("/gradebook.json")
    def gradebook_json() -> t.Any:
        return jsonify(gradebook.snapshot())

    @app.get("/gradebook")
    def gradebook_page() -> str:
        learners = [p for p in settings.people if MEMBERSHIP + "Learner" in p.roles]
        return render_template("gradebook.html", settings=settings, learners=learners, snapshot=gradebook.snapshot())

    @app.post("/api/links/<link_id>/lineitem")
    def link_line_item(link_id: str) -> t.Any:
        """Give an activity a gradebook column (its own, as deep linking makes, unless primary is false)."""
        data = request.get_json(silent=True) or {}
        fields = {"label": data.get("label", link_id), "scoreMaximum": data.get("scoreMaximum", 100),
                  **{k: v for k, v in data.items() if k in ("resourceId", "tag")}}
        if data.get("primary", True):  # the link's own column: launches name it in `lineitem`
            return jsonify(gradebook.create_line_item(fields, primary_for=link_id)), 201
        return jsonify(gradebook.create_line_item({**fields, "resourceLinkId": link_id})), 201

    @app.post("/api/reset")
    def reset() -> t.Any:
        gradebook.reset()
        return jsonify({"status": "reset"})

    return gradebook


def _score_problem(settings: PlatformSettings, score: t.Any) -> tuple[Response, int] | None:
    """Why a score document is refused, as a real gradebook would say it; None when it is acceptable."""
    if request.mimetype != SCORE_MEDIA:
        return _error(415, "unsupported_media_type", f"Content-Type must be {SCORE_MEDIA}")
    if not isinstance(score, dict):
        return _error(400, "invalid_request", "the score must be a JSON object")
    person = settings.person(score.get("userId")) if isinstance(score.get("userId"), str) else None
    if person is None:
        return _error(400, "invalid_request", f"userId {score.get('userId')!r} is not enrolled in this course")
    if MEMBERSHIP + "Learner" not in person.roles:
        return _error(403, "user_not_gradable", f"{person.name} is not a learner in this course and cannot be graded")
    if score.get("activityProgress") not in ACTIVITY or score.get("gradingProgress") not in GRADING:
        return _error(400, "invalid_request", "activityProgress and gradingProgress must be AGS values")
    stamp = score.get("timestamp")
    try:
        moment = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or "." not in stamp.partition("T")[2]:  # type: ignore[union-attr]
        return _error(400, "invalid_request", "timestamp must be ISO 8601 with sub-second precision and a zone")
    given, maximum = score.get("scoreGiven"), score.get("scoreMaximum")
    numbers = [v for v in (given, maximum) if v is not None]
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in numbers):
        return _error(400, "invalid_request", "scoreGiven and scoreMaximum must be numbers")
    if given is not None and (maximum is None or maximum <= 0 or given < 0):
        return _error(400, "invalid_request", "scoreGiven needs scoreMaximum above 0 and must not be negative")
    return None
