"""The practice LMS is as strict as a real platform: client assertions, scopes, score documents, paging."""
from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
import pytest
import requests

from lti_plugin.lti.ags import parse_link_header
from lti_plugin.lti.keys import current_key
from tests.helpers.keys import TestKey

SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture
def lms(app, live_rapport, practice_lms):
    """The practice LMS with an empty gradebook, and Rapport's signing key."""
    requests.post(practice_lms["url"] + "/api/reset", timeout=10).raise_for_status()
    with app.app_context():
        key = current_key()
        return {**practice_lms, "pem": key.private_key_pem, "kid": key.kid}


def assertion(lms: dict, pem: str | None = None, kid: str | None = None, **changes: Any) -> str:
    """A client assertion as Rapport makes it; changes replace (or with None remove) claims."""
    now = int(time.time())
    claims = {"iss": lms["client_id"], "sub": lms["client_id"], "aud": lms["url"] + "/token",
              "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex}
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, pem or lms["pem"], algorithm="RS256", headers={"kid": kid or lms["kid"]})


def ask(lms: dict, client_assertion: str, scope: str = SCOPE + "score", grant: str = "client_credentials"):
    """POST /token."""
    return requests.post(lms["url"] + "/token", timeout=10, data={
        "grant_type": grant, "client_assertion_type": ASSERTION_TYPE, "client_assertion": client_assertion,
        "scope": scope})


def token(lms: dict, *scopes: str) -> str:
    """An access token for these scopes (short names)."""
    response = ask(lms, assertion(lms), " ".join(SCOPE + s for s in scopes))
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_a_good_client_assertion_gets_a_token_once(lms) -> None:
    good = assertion(lms)
    first = ask(lms, good)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600 and body["scope"] == SCOPE + "score"
    replay = ask(lms, good)
    assert replay.status_code == 401 and "already used" in replay.json()["error_description"]


@pytest.mark.parametrize("changes,message", [
    ({"aud": "https://elsewhere.example/token"}, "Audience doesn't match"),
    ({"iss": "someone-else"}, "Invalid issuer"),
    ({"sub": "someone-else"}, "sub must be the client id"),
    ({"exp": int(time.time()) - 120, "iat": int(time.time()) - 420}, "expired"),
    ({"jti": None}, '"jti"'),
    ({"exp": int(time.time()) + 7200}, "lives too long"),
])
def test_a_client_assertion_with_wrong_claims_is_refused(lms, changes, message) -> None:
    response = ask(lms, assertion(lms, **changes))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client" and message in response.json()["error_description"]


def test_keys_and_request_shape_are_checked(lms) -> None:
    stranger = TestKey.generate()
    forged = ask(lms, assertion(lms, pem=stranger.private_pem))  # Rapport's kid, another key
    assert forged.status_code == 401 and "Signature verification failed" in forged.json()["error_description"]
    unknown = ask(lms, assertion(lms, pem=stranger.private_pem, kid="no-such-kid"))
    assert unknown.status_code == 401 and "no key with kid" in unknown.json()["error_description"]
    assert ask(lms, assertion(lms), grant="password").json()["error"] == "unsupported_grant_type"
    assert ask(lms, assertion(lms), scope="https://example.com/scope/all").json()["error"] == "invalid_scope"
    outcomes = requests.get(lms["url"] + "/gradebook.json", timeout=10).json()["token_requests"]
    assert [o["outcome"].split(":")[0] for o in outcomes] == [
        "invalid_client", "invalid_client", "unsupported_grant_type", "invalid_scope"]


def test_each_service_call_needs_its_scope(lms) -> None:
    url = lms["url"]
    score_only = {"Authorization": "Bearer " + token(lms, "score")}
    item = {"label": "Quiz", "scoreMaximum": 10}
    lineitem_media = {"Content-Type": "application/vnd.ims.lis.v2.lineitem+json"}
    refused = requests.post(url + "/ags/lineitems", json=item, headers={**score_only, **lineitem_media}, timeout=10)
    assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope"
    assert requests.get(url + "/ags/lineitems", timeout=10).status_code == 401
    assert requests.get(url + "/ags/lineitems", headers={"Authorization": "Bearer forged.token.here"},
                        timeout=10).status_code == 401
    manage = {"Authorization": "Bearer " + token(lms, "lineitem", "result.readonly")}
    created = requests.post(url + "/ags/lineitems", headers={**manage, **lineitem_media}, timeout=10,
                            data='{"label": "Quiz", "scoreMaximum": 10}')
    assert created.status_code == 201 and created.json()["id"].endswith("/lineitem?type_id=1")
    bare = created.json()["id"].split("?")[0]
    assert requests.get(bare, headers=manage, timeout=10).status_code == 404  # type_id is part of the URL
    assert requests.get(created.json()["id"], headers=manage, timeout=10).json()["label"] == "Quiz"


def test_score_documents_are_checked(lms) -> None:
    url = lms["url"]
    manage = {"Authorization": "Bearer " + token(lms, "lineitem")}
    item = requests.post(url + "/ags/lineitems", timeout=10, data='{"label": "Q", "scoreMaximum": 10}',
                         headers={**manage, "Content-Type": "application/vnd.ims.lis.v2.lineitem+json"}).json()["id"]
    scores = item.replace("/lineitem?", "/lineitem/scores?")
    headers = {"Authorization": "Bearer " + token(lms, "score"), "Content-Type": "application/vnd.ims.lis.v1.score+json"}
    good = {"userId": "stu-ana", "scoreGiven": 5, "scoreMaximum": 10, "activityProgress": "Completed",
            "gradingProgress": "FullyGraded", "timestamp": "2026-11-22T09:00:00.250000+00:00"}

    def post(body: dict, **extra: str) -> requests.Response:
        return requests.post(scores, json=body, headers={**headers, **extra}, timeout=10)

    assert post(good).status_code == 201
    assert post(good).status_code == 200  # the same score again: idempotent
    assert post({**good, "timestamp": "2026-11-22T08:00:00.1+00:00"}).status_code == 409
    assert post({**good, "timestamp": "2026-11-22T10:00:00+00:00"}).status_code == 400  # no sub-second part
    assert post({**good, "scoreMaximum": None}).status_code == 400
    assert post({**good, "activityProgress": "Finished"}).status_code == 400
    assert post({**good, "userId": "nobody"}).status_code == 400
    assert post(good, **{"Content-Type": "application/json"}).status_code == 415
    results = requests.get(item.replace("/lineitem?", "/lineitem/results?"), timeout=10,
                           headers={"Authorization": "Bearer " + token(lms, "result.readonly")}).json()
    assert [(r["userId"], r["resultScore"]) for r in results] == [("stu-ana", 5)]


def test_line_items_come_in_pages_with_link_headers(lms) -> None:
    for n in range(12):
        requests.post(lms["url"] + f"/api/links/l{n}/lineitem", json={"primary": False, "label": f"Item {n}"}, timeout=10)
    headers = {"Authorization": "Bearer " + token(lms, "lineitem.readonly")}
    url: str | None = lms["url"] + "/ags/lineitems?limit=5"
    labels: list[str] = []
    raw_headers: list[str] = []
    while url:
        page = requests.get(url, headers=headers, timeout=10)
        assert page.status_code == 200, page.text
        labels += [i["label"] for i in page.json()]
        raw_headers.append(page.headers["Link"])
        url = parse_link_header(page.headers["Link"]).get("next")
    assert labels == [f"Item {n}" for n in range(12)]
    assert "rel=next" in raw_headers[0] and 'rel="first"' in raw_headers[0]  # unquoted and quoted together
    filtered = requests.get(lms["url"] + "/ags/lineitems", params={"resource_link_id": "l3"}, headers=headers, timeout=10)
    assert [i["label"] for i in filtered.json()] == ["Item 3"]
