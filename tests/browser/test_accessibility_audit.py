"""An automated WCAG 2.1 A/AA audit (axe-core, run inside Chromium) of every kind of page Rapport
serves: the player, quizzes, the checklists, feedback reports, the coach's view (and an instructor's copy of it,
the list of coaches, a report activity with nothing for its reader), the survey, the dashboard (with its rating
figures), deep linking, the admin sign-in, a refusal. Every violation is listed with the elements it was found on."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from werkzeug.security import generate_password_hash

from lti_plugin.content import get_library
from lti_plugin.extensions import db
from lti_plugin.models import AdminUser, Deployment
from tests.helpers.lti import INSTRUCTOR
from tests.integration.test_survey import schedule_form
from tests.helpers.platform import deep_linking_launch, launch
from tests.helpers.course_data import build_course
from tests.helpers.rating_pairs import add_paired_ratings
from tests.helpers.ratings import RatingCourse
from tests.integration.conftest import platform  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return {passed: result.passes.length, violations: result.violations.map(v => ({rule: v.id, impact: v.impact,
    help: v.help, where: v.nodes.slice(0, 4).map(n => n.target.join(" ") + ": " + n.failureSummary.replace(/\\s+/g, " "))}))};
}"""


@pytest.fixture
def audit(browser: Any, live_rapport: str) -> Iterator[Callable[[str], list[dict[str, Any]]]]:
    """audit(path) opens a page of the live Rapport at desktop size and returns axe's violations."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15000)
    tab = context.new_page()

    def run(path: str) -> list[dict[str, Any]]:
        response = tab.goto(live_rapport + path)
        assert response is not None and response.status < 500, (path, response and response.status)
        tab.add_script_tag(path=str(AXE))
        result = tab.evaluate(RUN_AXE, WCAG_TAGS)
        assert result["passed"] >= 5, (path, result)  # the rules did run on a real page
        return list(result["violations"])

    run.tab = tab  # type: ignore[attr-defined]
    yield run
    context.close()


def _report(found: dict[str, list[dict[str, Any]]]) -> str:
    lines = []
    for path, violations in found.items():
        for v in violations:
            lines.append(f"{path.split('?')[0]}: {v['rule']} ({v['impact']}): {v['help']}")
            lines.extend(f"    {where}" for where in v["where"])
    return "\n".join(lines)


def test_the_audit_finds_what_it_is_meant_to_find(browser) -> None:
    context = browser.new_context(bypass_csp=True)
    tab = context.new_page()
    tab.set_content('<html><body><img src="x.png"><p style="color:#bbb;background:#fff">faint</p><input></body></html>')
    tab.add_script_tag(path=str(AXE))
    rules = {v["rule"] for v in tab.evaluate(RUN_AXE, WCAG_TAGS)["violations"]}
    context.close()
    assert {"image-alt", "color-contrast", "label", "html-has-lang", "document-title"} <= rules


def test_every_kind_of_page_passes_an_automated_wcag_audit(app, client, platform, audit) -> None:  # noqa: F811
    library = get_library(app.config["CONTENT_DIR"])
    module = library.module("foundations")
    video_page = next(p for p in module.pages if p.kind == "video")
    quiz_page = next(p for p in module.pages if p.kind == "quiz")
    learner = launch(client, platform, sub="audit-learner", link="audit-module",
                     custom={"rapport_kind": "module", "rapport_id": "foundations"})
    quiz = launch(client, platform, sub="audit-learner", link="audit-quiz",
                  custom={"rapport_kind": "quiz", "rapport_id": "foundations-final"})
    client.post("/quiz", data={"lt": quiz})  # an attempt with no answers: the result page with feedback
    teacher = launch(client, platform, sub="audit-teacher", roles=[INSTRUCTOR], link="audit-module",
                     custom={"rapport_kind": "module", "rapport_id": "foundations"})
    survey_teacher = launch(client, platform, sub="audit-teacher", roles=[INSTRUCTOR], link="audit-survey",
                            custom={"rapport_kind": "survey", "rapport_id": "attitudes"})
    catalogue = deep_linking_launch(client, platform, {
        "deep_link_return_url": "https://lms.example.edu/return", "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["iframe", "window"], "accept_multiple": True}, [INSTRUCTOR])
    assert client.post("/survey/schedule", data=schedule_form(survey_teacher)).status_code == 303
    survey_learner = launch(client, platform, sub="audit-learner", link="audit-survey",
                            custom={"rapport_kind": "survey", "rapport_id": "attitudes"})
    with app.app_context():
        db.session.add(AdminUser(username="audit-admin", failed_logins=0,
                                 password_hash=generate_password_hash("a long enough password", "pbkdf2:sha256:1000")))
        db.session.commit()
    ratings = RatingCourse(app, client, platform)
    ratings.set_up()
    ratings.submit("kofi", "coach-student", "ana", library, value=4)
    ratings.submit("ana", "student-self", "ana", library, value=2)
    ratings.submit("maria", "sp-student", "ana", library, value=5, encounter=ratings.row_ids("encounters")[0])
    with app.app_context():  # a course with ratings from every source and pairs of raters, for the rating figures
        deployment = db.session.scalar(select(Deployment).where(Deployment.deployment_id == platform.deployment_id))
        rated = build_course(deployment.id, students=40, survey=False, context_id="audit-rated", title="Audit rated course")
        osce = add_paired_ratings(rated).placement("Coach observation")["link_id"]
    rated_teacher = launch(client, platform, sub="audit-rated-teacher", roles=[INSTRUCTOR], link="audit-rated-home",
                           lti_context={"id": "audit-rated", "title": "Audit rated course"})

    pages = [
        f"/home?lt={learner}",
        f"/module/{video_page.id}?lt={learner}",
        f"/module/{quiz_page.id}?lt={learner}",
        f"/quiz?lt={quiz}",
        f"/deep-link?lt={catalogue}",
        f"/rate?lt={ratings.launch('kofi', 'coach-student')}",
        f"/rate/form?lt={ratings.launch('kofi', 'coach-student')}&subject={ratings.user_id('ana')}",
        f"/feedback?lt={ratings.launch('ana', 'coach-student')}",
        f"/report?lt={ratings.launch('ana', 'coach-student')}",
        f"/report/{ratings.user_id('ana')}?lt={ratings.launch('iris', 'coach-student')}",
        f"/coaching?lt={ratings.launch('kofi', 'coach-student')}",
        f"/coaching?lt={ratings.launch('iris', 'coach-student')}&coach={ratings.user_id('kofi')}",
        f"/coaching/coaches?lt={ratings.launch('iris', 'coach-student')}",
        f"/report/open?lt={ratings.launch_report('maria', 'feedback')}",
        f"/report/open?lt={ratings.launch_report('ben', 'coaching')}",
        f"/rate?lt={ratings.launch('iris', 'coach-student')}",
        f"/course/people?lt={ratings.launch('iris', 'coach-student')}",
        f"/course/groups?lt={ratings.launch('iris', 'coach-student')}",
        f"/survey/schedule?lt={survey_teacher}&scope=course",
        f"/survey?lt={survey_learner}",
        f"/survey/results?lt={survey_teacher}",
        f"/dashboard?lt={teacher}",
        f"/dashboard/learners?lt={teacher}",
        f"/dashboard/grades?lt={teacher}",
        f"/dashboard/exports?lt={teacher}",
        f"/dashboard?lt={rated_teacher}",
        f"/dashboard/ratings?lt={rated_teacher}",
        f"/dashboard/ratings?lt={rated_teacher}&placement={osce}",
        f"/dashboard/ratings?lt={ratings.launch('iris', 'coach-student')}",
        "/",
        "/lti/login?iss=https://unknown.example.edu&login_hint=x&target_link_uri=http://localhost/lti/launch",
    ]
    found = {path: audit(path) for path in pages}
    found["/admin/login"] = audit("/admin/login")
    tab = audit.tab  # type: ignore[attr-defined]
    tab.fill("#username", "audit-admin")
    tab.fill("#password", "a long enough password")
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url("**/admin/")
    found["/admin/"] = audit("/admin/")
    found = {path: violations for path, violations in found.items() if violations}
    assert not found, "WCAG 2.1 A/AA violations:\n" + _report(found)
