"""The practice LMS keeps its course in a file when told to: activities, columns and scores survive a restart."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from practice_lms import create_platform
from practice_lms.activities import Activity
from practice_lms.settings import PlatformSettings
from tests.helpers.keys import TestKey


def settings(tmp_path: Path, issuer: str = "http://127.0.0.2:5999") -> PlatformSettings:
    return PlatformSettings(
        issuer=issuer, client_id="c", deployment_id="d", private_key_pem=TestKey.generate().private_pem,
        tool_login_url="http://127.0.0.1:5998/lti/login", tool_launch_url="http://127.0.0.1:5998/lti/launch",
        tool_jwks_url="http://127.0.0.1:5998/lti/jwks.json", course_file=str(tmp_path / "course.json"))


def test_activities_columns_and_results_come_back_after_a_restart(tmp_path: Path) -> None:
    first = create_platform(settings(tmp_path))
    first.extensions["practice_activities"].add(Activity("link-1", "Giving relational feedback", custom={"a": "b"}))
    book = first.extensions["practice_gradebook"]
    item = book.create_line_item({"label": "Giving relational feedback", "scoreMaximum": 20}, primary_for="link-1")
    book.apply(1, {"userId": "stu-ana", "scoreGiven": 15, "scoreMaximum": 20, "activityProgress": "Completed",
                   "gradingProgress": "FullyGraded", "timestamp": "2026-12-01T10:00:00.123456+00:00"},
               datetime(2026, 12, 1, 10, 0, 0, 123456, tzinfo=UTC))
    # Any change made through a request is written out afterwards.
    assert first.test_client().post("/api/links/link-2/lineitem", json={"label": "Quiz", "scoreMaximum": 10}).status_code == 201
    assert json.loads((tmp_path / "course.json").read_text())["activities"][0]["title"] == "Giving relational feedback"

    again = create_platform(settings(tmp_path))
    assert [(a.link_id, a.title, a.custom) for a in again.extensions["practice_activities"].items] == [
        ("link-1", "Giving relational feedback", {"a": "b"})]
    snapshot = again.extensions["practice_gradebook"].snapshot()
    assert [i["label"] for i in snapshot["line_items"]] == ["Giving relational feedback", "Quiz"]
    assert snapshot["line_items"][0]["id"] == item["id"]
    assert [(r["userId"], r["scoreGiven"]) for r in snapshot["results"]] == [("stu-ana", 15)]
    assert again.extensions["practice_gradebook"].ags_claim("link-1")["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitem"] == item["id"]
    # An older score is still refused after the restart: the moment came back too.
    older = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert again.extensions["practice_gradebook"].apply(1, {"userId": "stu-ana", "timestamp": older.isoformat()}, older) == "oldtimestamp"
    page = again.test_client().get("/")
    assert "Giving relational feedback" in page.get_data(as_text=True)


def test_a_file_from_another_address_is_not_used(tmp_path: Path) -> None:
    first = create_platform(settings(tmp_path))
    first.test_client().post("/api/links/link-2/lineitem", json={"label": "Quiz"})
    moved = create_platform(settings(tmp_path, issuer="http://127.0.0.2:6001"))
    assert moved.extensions["practice_gradebook"].snapshot()["line_items"] == []


def test_without_a_file_nothing_is_written(tmp_path: Path) -> None:
    plain = create_platform(PlatformSettings(**{**vars(settings(tmp_path)), "course_file": ""}))
    plain.test_client().post("/api/links/link-2/lineitem", json={"label": "Quiz"})
    assert list(tmp_path.iterdir()) == []
