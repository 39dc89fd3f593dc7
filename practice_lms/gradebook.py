"""The practice LMS's gradebook, in memory: line items, every score received, the current results."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
)
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"


def now_iso() -> str:
    """The current time as ISO 8601 with microseconds."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass
class Gradebook:
    """Line items, received scores and results for the practice course; safe across request threads."""

    base_url: str
    line_items: dict[int, dict[str, Any]] = field(default_factory=dict)
    primary: dict[str, int] = field(default_factory=dict)  # resource link id -> its own line item
    received: list[dict[str, Any]] = field(default_factory=list)  # every score POST, accepted or not
    results: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)

    # -- URLs, shaped like Moodle's: the line item URL carries a query string ----------------------
    @property
    def container_url(self) -> str:
        """The line items container of the practice course."""
        return f"{self.base_url}/ags/lineitems"

    def line_item_url(self, number: int) -> str:
        """A line item's URL (its id)."""
        return f"{self.base_url}/ags/lineitems/{number}/lineitem?type_id=1"

    # -- line items -------------------------------------------------------------------------------
    def create_line_item(self, data: dict[str, Any], *, primary_for: str | None = None) -> dict[str, Any]:
        """Add a line item (label and scoreMaximum required); primary_for makes it a link's own column."""
        with self.lock:
            number = max(self.line_items, default=0) + 1
            item = {"id": self.line_item_url(number), "label": str(data["label"]),
                    "scoreMaximum": data["scoreMaximum"]}
            for key in ("resourceId", "tag", "resourceLinkId", "startDateTime", "endDateTime"):
                if data.get(key):
                    item[key] = data[key]
            if primary_for:
                item["resourceLinkId"] = primary_for
                self.primary[primary_for] = number
            self.line_items[number] = item
            return dict(item)

    def line_item(self, number: int) -> dict[str, Any] | None:
        """A line item by number."""
        with self.lock:
            item = self.line_items.get(number)
            return dict(item) if item else None

    def find(self, *, resource_link_id: str | None = None, resource_id: str | None = None,
             tag: str | None = None) -> list[dict[str, Any]]:
        """Line items matching the AGS filters, in creation order."""
        with self.lock:
            items = [dict(i) for _, i in sorted(self.line_items.items())]
        return [i for i in items if (not resource_link_id or i.get("resourceLinkId") == resource_link_id)
                and (not resource_id or i.get("resourceId") == resource_id) and (not tag or i.get("tag") == tag)]

    def update_line_item(self, number: int, data: dict[str, Any]) -> dict[str, Any] | None:
        """Change a line item's fields (its id stays)."""
        with self.lock:
            item = self.line_items.get(number)
            if item is None:
                return None
            item.update({k: v for k, v in data.items() if k != "id"})
            return dict(item)

    def delete_line_item(self, number: int) -> bool:
        """Remove a line item and its results."""
        with self.lock:
            if self.line_items.pop(number, None) is None:
                return False
            self.results = {k: v for k, v in self.results.items() if k[0] != number}
            return True

    def ags_claim(self, resource_link_id: str) -> dict[str, Any]:
        """The launch's AGS endpoint claim: the container, and the link's own line item if it has one."""
        claim: dict[str, Any] = {"scope": list(SCOPES), "lineitems": self.container_url}
        with self.lock:
            number = self.primary.get(resource_link_id)
            if number is not None and number in self.line_items:
                claim["lineitem"] = self.line_item_url(number)
        return {AGS_CLAIM: claim}

    # -- scores -----------------------------------------------------------------------------------
    def receive(self, number: int, score: dict[str, Any], status: int, message: str) -> None:
        """Keep a record of a score POST, whatever became of it."""
        with self.lock:
            self.received.append({"lineitem": self.line_item_url(number), "score": dict(score),
                                  "status": status, "message": message, "received_at": now_iso()})

    def apply(self, number: int, score: dict[str, Any], moment: datetime) -> str:
        """Store a score unless an older one: 'created', 'success' (replaced) or 'oldtimestamp'."""
        key = (number, str(score["userId"]))
        with self.lock:
            current = self.results.get(key)
            if current is not None and moment < current["_moment"]:
                return "oldtimestamp"
            self.results[key] = {**score, "_moment": moment}
            return "created" if current is None else "success"

    def result_list(self, number: int | None = None, user_id: str | None = None) -> list[dict[str, Any]]:
        """Current results, as AGS result objects."""
        with self.lock:
            rows = sorted(self.results.items())
        out = []
        for (n, user), score in rows:
            if (number is not None and n != number) or (user_id and user != user_id) or n not in self.line_items:
                continue
            result = {"id": f"{self.line_item_url(n)}&user={user}", "scoreOf": self.line_item_url(n),
                      "userId": user, "resultMaximum": score.get("scoreMaximum")}
            if "scoreGiven" in score:
                result["resultScore"] = score["scoreGiven"]
            if "comment" in score:
                result["comment"] = score["comment"]
            out.append(result)
        return out

    def record_token_request(self, scope: str, outcome: str) -> None:
        """Count a token request (granted, or why it was refused)."""
        with self.lock:
            self.token_requests.append({"scope": scope, "outcome": outcome, "at": now_iso()})

    def snapshot(self) -> dict[str, Any]:
        """Everything, as JSON for tests and the gradebook page."""
        with self.lock:
            return {
                "line_items": [dict(i) for _, i in sorted(self.line_items.items())],
                "scores": [dict(r) for r in self.received],
                "results": [{k: v for k, v in r.items() if k != "_moment"} | {"lineitem": self.line_item_url(n)}
                            for (n, _), r in sorted(self.results.items())],
                "token_requests": list(self.token_requests),
            }

    def reset(self) -> None:
        """Forget everything (tests start from an empty gradebook)."""
        with self.lock:
            self.line_items.clear()
            self.primary.clear()
            self.received.clear()
            self.results.clear()
            self.token_requests.clear()
