"""Deep linking: the catalogue, the settings a platform sends, and the signed response."""
from __future__ import annotations

import jwt
from bs4 import BeautifulSoup

from lti_plugin.content import get_library

from tests.helpers.lti import INSTRUCTOR, LEARNER, page_text
from tests.helpers.platform import CLIENT_ID, DEPLOYMENT, ISSUER, deep_linking_launch

RETURN = "https://lms.example.edu/deep-link-return?course=7&x=<script>"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
LTI = "https://purl.imsglobal.org/spec/lti/claim/"


def settings(**extra):
    base = {"deep_link_return_url": RETURN, "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"], "accept_multiple": True}
    base.update(extra)
    return base


def decode(client, response) -> dict:
    form = BeautifulSoup(response.get_data(as_text=True), "html.parser").find("form")
    assert form["action"] == RETURN  # escaped in the page, intact after parsing
    token = form.find("input", attrs={"name": "JWT"})["value"]
    keys = client.get("/lti/jwks.json").get_json()["keys"]
    header = jwt.get_unverified_header(token)
    key = next(jwt.PyJWK(k) for k in keys if k["kid"] == header["kid"])
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=ISSUER)


def test_the_catalogue_lists_every_entry_with_time_and_audience(app, client, platform) -> None:
    token = deep_linking_launch(client, platform, settings(), [INSTRUCTOR])
    page = client.get(f"/deep-link?lt={token}")
    assert page.status_code == 200
    text = page_text(page)
    assert "Relational skills foundations" in text and "about 40 min" in text and "for students" in text
    assert "filled in by standardized patients, about a student" in text and " sp" not in text
    assert "Attitudes" in text or "attitudes" in text.lower()
    html = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert len(html.select("input[name=item][type=checkbox]")) == 17
    legends = [legend.get_text(strip=True) for legend in html.select("form > fieldset > legend")]
    assert legends == [section.title for section in get_library(app.config["CONTENT_DIR"]).catalogue]  # file order
    assert html.select_one("select#target") is not None
    # Choosing content is a step of the LMS's own flow: no way out of it to the dashboard.
    assert html.find("a", string="Course dashboard") is None
    assert html.select_one(".who-bar .who-role").get_text(strip=True) == "Teaching staff"


def test_choosing_items_returns_a_signed_response_with_line_items(app, client, platform) -> None:
    token = deep_linking_launch(client, platform, settings(data="opaque-platform-data"), [INSTRUCTOR])
    response = client.post("/deep-link", data={
        "lt": token, "item": ["module:foundations", "quiz:foundations-final", "checklist:coach-student"],
        "points-module:foundations": "25", "points-quiz:foundations-final": "10", "target": "window",
    })
    assert response.status_code == 200
    body = decode(client, response)
    assert body["iss"] == CLIENT_ID and body["aud"] == ISSUER
    assert body[LTI + "deployment_id"] == DEPLOYMENT
    assert body[LTI + "message_type"] == "LtiDeepLinkingResponse" and body[LTI + "version"] == "1.3.0"
    assert body[DL + "data"] == "opaque-platform-data"
    items = body[DL + "content_items"]
    assert [i["type"] for i in items] == ["ltiResourceLink"] * 3
    module, quiz, checklist = items
    assert module["lineItem"] == {"scoreMaximum": 25.0, "label": "Relational skills foundations",
                                  "resourceId": "module:foundations", "tag": "rapport"}
    assert module["custom"] == {"rapport_kind": "module", "rapport_id": "foundations", "rapport_points": "25"}
    assert module["url"] == "http://localhost/lti/launch" and "window" in module
    assert quiz["lineItem"]["scoreMaximum"] == 10.0
    # A checklist without points has no gradebook column; its settings travel as custom parameters.
    assert "lineItem" not in checklist and checklist["custom"] == {
        "rapport_kind": "checklist", "rapport_id": "coach-student", "rapport_rater": "coach",
        "rapport_release": "immediate", "rapport_confidential": "false"}


def test_data_is_not_echoed_when_not_sent_and_lineitems_respect_the_platform(app, client, platform) -> None:
    token = deep_linking_launch(client, platform, settings(accept_lineitem=False), [INSTRUCTOR])
    body = decode(client, client.post("/deep-link", data={"lt": token, "item": "module:foundations"}))
    assert DL + "data" not in body
    assert "lineItem" not in body[DL + "content_items"][0]
    assert "iframe" in body[DL + "content_items"][0]


def test_single_item_platforms_and_bad_choices_are_refused(app, client, platform) -> None:
    token = deep_linking_launch(client, platform, settings(accept_multiple=False,
                                                           accept_presentation_document_targets=["iframe"]), [INSTRUCTOR])
    html = BeautifulSoup(client.get(f"/deep-link?lt={token}").get_data(as_text=True), "html.parser")
    assert html.select("input[name=item][type=radio]") and not html.select("select#target")
    two = client.post("/deep-link", data={"lt": token, "item": ["module:foundations", "module:coaching"]})
    assert two.status_code == 422 and "one activity at a time" in page_text(two)
    unknown = client.post("/deep-link", data={"lt": token, "item": "module:nope"})
    assert unknown.status_code == 422
    window = client.post("/deep-link", data={"lt": token, "item": "module:foundations", "target": "window"})
    assert window.status_code == 422
    points = client.post("/deep-link", data={"lt": token, "item": "module:foundations", "points-module:foundations": "lots"})
    assert points.status_code == 422 and "Points must be a number" in page_text(points)
    empty = decode(client, client.post("/deep-link", data={"lt": token}))
    assert empty[DL + "content_items"] == []


def test_platforms_that_take_no_links_get_an_explanation(app, client, platform) -> None:
    from tests.helpers.lti import begin_login, claims, post_launch
    from tests.helpers.platform import DL_SETTINGS

    login = begin_login(client, platform.issuer, platform.client_id)
    body = claims(platform.issuer, platform.client_id, platform.deployment_id, login.nonce,
                  lti_message_type="LtiDeepLinkingRequest", lti_roles=[INSTRUCTOR], lti_resource_link=None,
                  **{DL_SETTINGS: settings(accept_types=["file"])})
    response = post_launch(client, platform.key.sign(body), login.state)
    assert response.status_code == 400
    assert "accepts only file" in page_text(response)


def test_students_cannot_use_deep_linking(app, client, platform) -> None:
    token = deep_linking_launch(client, platform, settings(), [LEARNER])
    assert client.get(f"/deep-link?lt={token}").status_code == 403
    assert client.post("/deep-link", data={"lt": token, "item": "module:foundations"}).status_code == 403


def test_a_resource_launch_cannot_open_the_catalogue(app, client, platform) -> None:
    from tests.helpers.platform import launch

    token = launch(client, platform, roles=[INSTRUCTOR])
    response = client.get(f"/deep-link?lt={token}")
    assert response.status_code == 400 and "add external tool" in page_text(response)
