"""An AGS platform in a thread of the test process whose answers the test controls.

Faults are queued and used up one request at a time: "500", "429", "timeout" (sleep past the
client's timeout, then fail without storing), "slow-accept" (store the score, then sleep past
the timeout, so the client never hears it worked), "400".
"""
from __future__ import annotations

import secrets
import socket
import threading
import time
from datetime import datetime
from typing import Any

import jwt
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

SCORE_MEDIA = "application/vnd.ims.lis.v1.score+json"
LINEITEM_MEDIA = "application/vnd.ims.lis.v2.lineitem+json"


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class FaultyPlatform:
    """Token endpoint, line items container and scores endpoints with scripted faults."""

    def __init__(self, host: str = "127.0.0.4", client_id: str = "faulty-client") -> None:
        self.host, self.port, self.client_id = host, _free_port(host), client_id
        self.lock = threading.Lock()
        self.token_faults: list[str] = []
        self.score_faults: list[str] = []
        self.sleep_seconds = 1.0
        self.score_delay = 0.0
        self.not_gradable: dict[str, str] = {}
        self.always_unauthorized = False
        self.issued: list[str] = []
        self.revoked: set[str] = set()
        self.token_requests: list[str] = []
        self.score_posts: list[dict[str, Any]] = []  # every POST, with the status answered
        self.accepted: list[dict[str, Any]] = []  # scores stored
        self.results: dict[tuple[int, str], dict[str, Any]] = {}
        self.line_items: dict[int, dict[str, Any]] = {}
        self.page_size = 2
        self.ignore_filters = False
        self.cursors: dict[str, int] = {}
        self.pages_asked: list[str] = []
        self.app = self._build()
        self.server: Any = None
        self.start()

    @property
    def url(self) -> str:
        """The platform's base URL."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        """Serve (again) on the same address."""
        self.server = make_server(self.host, self.port, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop serving; connections are refused until start()."""
        self.server.shutdown()
        self.server.server_close()

    def add_line_item(self, **fields: Any) -> str:
        """Add a line item; returns its URL."""
        with self.lock:
            number = len(self.line_items) + 1
            item = {"id": f"{self.url}/lineitems/{number}", "label": f"Item {number}", "scoreMaximum": 10, **fields}
            self.line_items[number] = item
            return str(item["id"])

    def results_by_user(self) -> dict[str, dict[str, Any]]:
        """The current score of each user (all line items)."""
        with self.lock:
            return {user: dict(score) for (_, user), score in self.results.items()}

    def _fault(self, queue: list[str]) -> str | None:
        with self.lock:
            return queue.pop(0) if queue else None

    def _authorized(self) -> bool:
        parts = request.headers.get("Authorization", "").split()
        with self.lock:
            return (len(parts) == 2 and parts[0] == "Bearer" and parts[1] in self.issued
                    and parts[1] not in self.revoked and not self.always_unauthorized)

    def _build(self) -> Flask:
        app = Flask("faulty-platform")

        @app.post("/token")
        def token() -> Any:
            scope = request.form.get("scope", "")
            with self.lock:
                self.token_requests.append(scope)
            fault = self._fault(self.token_faults)
            if fault == "timeout":
                time.sleep(self.sleep_seconds)
            if fault in ("500", "timeout"):
                return jsonify({"error": "server_error", "error_description": "Token service is restarting"}), 500
            if fault == "400":
                return jsonify({"error": "invalid_client", "error_description": "Unknown client"}), 400
            claims = jwt.decode(request.form["client_assertion"], options={"verify_signature": False})
            if not (claims["iss"] == claims["sub"] == self.client_id and claims["aud"] == self.url + "/token"
                    and claims.get("jti") and claims["exp"] > time.time()):
                return jsonify({"error": "invalid_client", "error_description": "bad client assertion"}), 401
            with self.lock:
                issued = f"tok-{len(self.issued) + 1}-{secrets.token_hex(4)}"
                self.issued.append(issued)
            return jsonify({"access_token": issued, "token_type": "Bearer", "expires_in": 3600, "scope": scope})

        @app.route("/lineitems", methods=["GET", "POST"])
        def line_items() -> Any:
            if not self._authorized():
                return jsonify({"error": "unauthorized"}), 401
            if request.method == "POST":
                data = request.get_json(force=True)
                if request.mimetype != LINEITEM_MEDIA or "label" not in data or data.get("scoreMaximum", 0) <= 0:
                    return jsonify({"error": "bad line item"}), 400
                item_url = self.add_line_item(**data)
                return jsonify({**data, "id": item_url}), 201
            return self._page()

        @app.post("/lineitems/<int:number>/scores")
        def scores(number: int) -> Any:
            score = request.get_json(force=True)
            entry = {"item": number, "score": score, "status": 0}
            with self.lock:
                self.score_posts.append(entry)
            status, body = self._score(number, score)
            entry["status"] = status
            return jsonify(body), status

        return app

    def _score(self, number: int, score: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if not self._authorized():
            return 401, {"error": "unauthorized", "error_description": "The access token is not valid"}
        if request.mimetype != SCORE_MEDIA or number not in self.line_items:
            return 400, {"error": "bad request"}
        if self.score_delay:
            time.sleep(self.score_delay)
        fault = self._fault(self.score_faults)
        if fault == "timeout":
            time.sleep(self.sleep_seconds)
            return 500, {"error": "too late"}
        if fault in ("500", "429"):
            return int(fault), {"message": "Gradebook is resting"}
        if score["userId"] in self.not_gradable:
            return 400, {"error": "user_not_gradable", "error_description": self.not_gradable[score["userId"]]}
        with self.lock:
            key = (number, score["userId"])
            current = self.results.get(key)
            moment = datetime.fromisoformat(score["timestamp"])
            if current is None or moment >= datetime.fromisoformat(current["timestamp"]):
                self.results[key] = score
            self.accepted.append({"item": number, **score})
        if fault == "slow-accept":
            time.sleep(self.sleep_seconds)
        return 200, {}

    def _page(self) -> Any:
        """A page of the container; cursors are opaque, mixed-case, and must come back exactly."""
        with self.lock:
            items = sorted(self.line_items.items())
            self.pages_asked.append(request.query_string.decode())
        if not self.ignore_filters:
            for param, field in (("resource_link_id", "resourceLinkId"), ("resource_id", "resourceId"), ("tag", "tag")):
                if request.args.get(param):
                    items = [(n, i) for n, i in items if i.get(field) == request.args[param]]
        start = 0
        if "cursor" in request.args:
            if request.args["cursor"] not in self.cursors:
                return jsonify({"error": "unknown cursor (cursors are case-sensitive)"}), 400
            start = self.cursors[request.args["cursor"]]
        page = [i for _, i in items[start:start + self.page_size]]
        response = jsonify(page)
        base = f"{self.url}/lineitems"
        links = [f'<{base}?limit={self.page_size}>; rel="first"']
        if start + self.page_size < len(items):
            cursor = secrets.choice(["AbC", "xYz", "QrS"]) + secrets.token_hex(3) + "Zz"
            self.cursors[cursor] = start + self.page_size
            links.append(f'<{base}?cursor={cursor}&limit={self.page_size}>; rel="next last"' if start == 0
                         else f"<{base}?cursor={cursor}&limit={self.page_size}>; rel=next")
        response.headers["Link"] = ", ".join(links)
        return response
