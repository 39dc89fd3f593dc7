"""The dashboard's rating figures on a course of 300 learners with ratings from every source: each count and each
agreement figure checked against values worked out here from the generated ratings alone."""
from __future__ import annotations

import itertools
import statistics
import uuid
from datetime import datetime, timezone
from collections import defaultdict
from typing import Any

from sqlalchemy import event

from lti_plugin.content import get_library
from lti_plugin.extensions import db
from tests.helpers.lti import INSTRUCTOR
from tests.helpers.platform import launch
from tests.helpers.rating_pairs import SCARCE_SKILL, SP_ROLE, TA
from tests.helpers.reports import BigCourse, big_course, cell, fixed, pct, soup  # noqa: F401  (fixture)

SELF = ("self", "coach-self")
MIN_PAIRS = 10  # the page says agreement needs at least this many pairs


# -- the figures, worked out from the generated ratings --------------------------------------------------------------
def current(course: BigCourse, link_id: int | None = None) -> list[dict[str, Any]]:
    return [r for r in course.ratings.current if link_id is None or r["link_id"] == link_id]


def expected_by_source(rows: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        found[row["source"]].append(row)
    return {source: {"ratings": str(len(mine)), "corrected": str(sum(1 for r in mine if r["version"] > 1)),
                     "subjects": str(len({r["subject_id"] for r in mine})), "raters": str(len({r["rater_id"] for r in mine})),
                     "mean": fixed(statistics.fmean(r["global"] for r in mine))}
            for source, mine in found.items()}


def expected_by_skill(rows: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[int, int, float | None]]:
    levels: dict[tuple[str, str], list[int | None]] = defaultdict(list)
    for row in rows:
        for item, value in row["values"].items():
            levels[(row["skills"][item], row["source"])].append(value)
    return {key: (sum(v is not None for v in values), sum(v is None for v in values),
                  statistics.fmean(v for v in values if v is not None) if any(v is not None for v in values) else None)
            for key, values in levels.items()}


def kappa_by_variance(pairs: list[tuple[int, int]]) -> float | None:
    """Quadratic-weighted kappa with chance from the pooled levels, written another way: with weights (i - j)^2,
    the disagreement chance predicts for two independent draws from one distribution is twice its variance."""
    pooled = [a for a, _ in pairs] + [b for _, b in pairs]
    variance = statistics.pvariance(pooled)
    if variance == 0:
        return None
    return 1 - statistics.fmean((a - b) ** 2 for a, b in pairs) / (2 * variance)


def expected_agreement(rows: list[dict[str, Any]]) -> dict[str, Any]:
    latest: dict[tuple[str, int, int, int], dict[str, Any]] = {}
    for row in rows:
        if row["encounter_id"] is None or row["source"] in SELF:
            continue
        key = (row["checklist_id"], row["subject_id"], row["encounter_id"], row["rater_id"])
        if key not in latest or row["submitted_at"] > latest[key]["submitted_at"]:
            latest[key] = row
    seen: dict[tuple[str, int, int], list[dict[str, Any]]] = defaultdict(list)
    for (checklist, subject, encounter, _), row in latest.items():
        seen[(checklist, subject, encounter)].append(row)
    levels: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    left_out: dict[tuple[str, str], int] = defaultdict(int)
    rating_pairs: dict[str, int] = defaultdict(int)
    partnered: set[int] = set()
    for (checklist, _, _), raters in seen.items():
        for one, other in itertools.combinations(raters, 2):
            rating_pairs[checklist] += 1
            partnered |= {one["id"], other["id"]}
            levels[(checklist, "overall")].append((one["global"], other["global"]))
            for item, value in one["values"].items():
                theirs = other["values"][item]
                if value is None or theirs is None:
                    left_out[(checklist, one["skills"][item])] += 1
                else:
                    levels[(checklist, one["skills"][item])].append((value, theirs))
    figures = {}
    for key in set(levels) | set(left_out):
        pairs = levels.get(key, [])
        row = {"pairs": len(pairs), "na": left_out.get(key, 0)}
        if len(pairs) >= MIN_PAIRS:
            row["exact"] = sum(a == b for a, b in pairs) / len(pairs)
            row["within"] = sum(abs(a - b) <= 1 for a, b in pairs) / len(pairs)
            row["kappa"] = kappa_by_variance(pairs)
        figures[key] = row
    others = [r for r in rows if r["source"] not in SELF]
    return {"skills": figures, "rating_pairs": dict(rating_pairs),
            "outside": sum(1 for r in others if r["encounter_id"] is None),
            "unpaired": sum(1 for r in others if r["encounter_id"] is not None and r["id"] not in partnered),
            "self": sum(1 for r in rows if r["source"] in SELF)}


# -- the page --------------------------------------------------------------------------------------------------------
def check_sources(page: Any, rows: list[dict[str, Any]]) -> None:
    expected = expected_by_source(rows)
    table = page.find("table", id="ratings-by-source")
    assert table.find("caption") is not None and all(th.get("scope") for th in table.find_all("th"))
    shown = table.select("tbody tr")
    assert {r["data-source"] for r in shown} == set(expected)
    for row in shown:
        for name, value in expected[row["data-source"]].items():
            assert cell(row, name) == value, (row["data-source"], name)
    assert f"{len(rows)} current ratings" in page.get_text(" ")


def check_skills(page: Any, rows: list[dict[str, Any]]) -> None:
    table = page.find("table", id="ratings-by-skill")
    expected = expected_by_skill(rows)
    assert {(r["data-skill"], s) for r in table.select("tbody tr") for s in
            [td["data-source"] for td in r.find_all("td") if td.find(attrs={"data-cell": f"{td['data-source']}:na"})]} \
        == set(expected)
    for (skill, source), (rated, na, mean) in expected.items():
        row = table.find("tr", attrs={"data-skill": skill})
        assert cell(row, f"{source}:rated") == f"{rated} rated ({fixed(mean)})"
        assert cell(row, f"{source}:na") == f"{na} N/A"


def check_agreement(page: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    expected = expected_agreement(rows)
    tables = page.select("table.agreement")
    assert {t["id"].removeprefix("agreement-") for t in tables} == set(expected["rating_pairs"])
    for table in tables:
        checklist = table["id"].removeprefix("agreement-")
        assert f"{expected['rating_pairs'][checklist]} pairs of ratings" in table.find_parent("section").get_text(" ")
        shown = table.select("tbody tr")
        assert {r["data-skill"] for r in shown} == {s for c, s in expected["skills"] if c == checklist}
        for row in shown:
            figures = expected["skills"][(checklist, row["data-skill"])]
            assert cell(row, "pairs") == str(figures["pairs"]) and cell(row, "na") == str(figures["na"])
            if figures["pairs"] < MIN_PAIRS:
                assert cell(row, "exact") == f"Fewer than {MIN_PAIRS} pairs: not worked out"
                continue
            assert cell(row, "exact") == pct(figures["exact"])
            assert cell(row, "within") == pct(figures["within"])
            assert cell(row, "kappa") == fixed(figures["kappa"])
    left = page.find("ul", id="agreement-left-out")
    assert cell(left, "outside").startswith(f"{expected['outside']} ratings made outside an encounter")
    assert cell(left, "unpaired").startswith(f"{expected['unpaired']} ratings in an encounter")
    assert cell(left, "self").startswith(f"{expected['self']} self-assessments")
    return expected


def check_charts(page: Any) -> int:
    """Every chart names its table, and every bar's value is in that table."""
    charts = page.find_all("svg", attrs={"data-table": True})
    for chart in charts:
        table = page.find("table", id=chart["data-table"])
        assert table is not None and table.find("caption") is not None, chart["data-table"]
        assert chart.get("role") == "img" and chart.find("title") and chart.find("desc")
        texts = {" ".join(td.get_text(" ").split()) for td in table.find_all("td")}
        bars = chart.find_all("rect", attrs={"data-value": True})
        assert bars and all(bar["data-value"] in texts for bar in bars)
    for svg in page.find_all("svg"):
        assert svg.get("data-table") or svg.get("aria-hidden") == "true"
    return len(charts)


def test_rating_counts_and_agreement_for_the_whole_course(big_course: BigCourse) -> None:
    rows = current(big_course)
    assert len(rows) < len(big_course.ratings.submissions)  # some ratings were corrected: only the new version counts
    response = big_course.get("/dashboard/ratings")
    assert response.status_code == 200
    page = soup(response)
    assert page.find("h1").get_text(strip=True) == "Ratings"
    check_sources(page, rows)
    check_skills(page, rows)
    expected = check_agreement(page, rows)
    # the data exercises every case: several checklists with pairs, a skill with too few, a rater twice
    assert len(expected["rating_pairs"]) == 2 and expected["skills"][("coach-student", SCARCE_SKILL)]["pairs"] < MIN_PAIRS
    assert all(f["pairs"] >= MIN_PAIRS for (c, s), f in expected["skills"].items() if c == "sp-student")
    assert check_charts(page) == 1 + 2  # by source, and one per checklist with pairs
    placements = page.find("table", id="ratings-by-placement").select("tbody tr")
    assert len(placements) == len(big_course.ratings.placements)
    for row in placements:
        mine = current(big_course, int(row["data-placement"]))
        assert cell(row, "ratings") == str(len(mine)) and cell(row, "subjects") == str(len({r["subject_id"] for r in mine}))
    text = page.get_text(" ")
    assert "weighted kappa" in text and f"Fewer than {MIN_PAIRS} pairs" in text


def test_one_placement_at_a_time(big_course: BigCourse) -> None:
    osce = big_course.ratings.placement("Coach observation")
    rows = current(big_course, osce["link_id"])
    page = soup(big_course.get("/dashboard/ratings", placement=str(osce["link_id"])))
    assert page.find("h1").get_text(strip=True) == f"Ratings: {osce['title']}"
    assert page.find("select", id="placement").find("option", selected=True)["value"] == str(osce["link_id"])
    check_sources(page, rows)
    check_skills(page, rows)
    expected = check_agreement(page, rows)
    assert list(expected["rating_pairs"]) == ["coach-student"]
    workshops = big_course.ratings.placement("Coach feedback after")
    alone = soup(big_course.get("/dashboard/ratings", placement=str(workshops["link_id"])))
    check_sources(alone, current(big_course, workshops["link_id"]))
    assert not alone.select("table.agreement")  # workshop ratings are made outside any encounter
    assert "No two raters have rated the same person in the same encounter" in alone.get_text(" ")
    module = next(p for p in big_course.data.placements if p["kind"] == "module")
    for wrong in (str(module["link_id"]), "999999", "x"):
        refused = big_course.get("/dashboard/ratings", placement=wrong)
        assert refused.status_code == 404 and "no such checklist placement" in refused.get_data(as_text=True)


def test_the_overview_has_the_counts_by_source(big_course: BigCourse) -> None:
    page = soup(big_course.get("/dashboard"))
    table = page.find("table", id="rating-sources")
    expected = expected_by_source(current(big_course))
    for row in table.select("tbody tr"):
        for name in ("ratings", "subjects", "mean"):
            assert cell(row, name) == expected[row["data-source"]][name]
    assert page.find("section", id="section-ratings").find("a")["href"].startswith("/dashboard/ratings")


def test_the_page_reads_cached_figures_and_a_correction_shows_at_once(big_course: BigCourse) -> None:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append(statement)

    big_course.get("/dashboard/ratings")  # the figures are in the cache now
    with big_course.app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert big_course.get("/dashboard/ratings").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert statements and not any("rating_answer" in s for s in statements)  # the stamp only, not the ratings

    # an SP corrects a rating through Rapport's own form endpoint, and the next page shows it
    data, made = big_course.data, big_course.ratings
    sp_link = made.placement("Standardized patient")
    old = next(r for r in made.current if r["link_id"] == sp_link["link_id"] and r["encounter_id"])
    sp = next(p for p in made.sps if p["user_id"] == old["rater_id"])
    client = big_course.app.test_client()
    token = launch(client, big_course.platform, sub=sp["sub"], roles=[SP_ROLE], link=sp_link["lti_id"], name=sp["name"],
                   email=sp["email"], custom={"rapport_kind": "checklist", "rapport_id": "sp-student"},
                   lti_context={"id": data.context_id, "title": data.course_title, "label": "RS101"})
    checklist = get_library(big_course.app.config["CONTENT_DIR"]).checklist("sp-student")
    levels = {item.id: (5 if (old["values"][item.id] or 3) < 4 else 1) for item in checklist.items}
    fields = {f"item-{item}": str(value) for item, value in levels.items()}
    fields.update({"global": "5" if old["global"] < 4 else "1", "client_id": uuid.uuid4().hex, "corrects": str(old["id"])})
    sent = client.post("/rate/submit", json=fields, headers={"X-Rapport-Launch": token, "Accept": "application/json"})
    assert sent.status_code in (200, 201), sent.get_data(as_text=True)
    old["current"] = False
    made.submissions.append({**old, "id": sent.get_json()["id"], "version": old["version"] + 1, "current": True,
                             "global": int(fields["global"]), "values": levels, "comments": {},
                             "submitted_at": datetime.now(timezone.utc)})
    page = soup(big_course.get("/dashboard/ratings"))
    row = page.find("table", id="ratings-by-source").find("tr", attrs={"data-source": "sp"})
    assert cell(row, "corrected") == expected_by_source(current(big_course))["sp"]["corrected"]
    check_sources(page, current(big_course))
    check_skills(page, current(big_course))


def test_only_the_course_instructors_see_the_rating_figures(big_course: BigCourse) -> None:
    data, made = big_course.data, big_course.ratings
    coach = made.coaches[0]
    client = big_course.app.test_client()
    context = {"id": data.context_id, "title": data.course_title, "label": "RS101"}
    ta = launch(client, big_course.platform, sub=coach["sub"], roles=[TA], link="ta-home", name=coach["name"],
                email=coach["email"], lti_context=context)
    for path in ("/dashboard/ratings", "/dashboard/exports/ratings.csv"):
        assert client.get(f"{path}?lt={ta}").status_code == 403, path
    overview = soup(client.get(f"/dashboard?lt={ta}"))  # staff who do not run the course: no rating figures
    assert overview.find("section", id="section-ratings") is None and "Ratings" not in overview.find("nav", class_="dash-nav").get_text()
    assert "Ratings" not in soup(client.get(f"/dashboard/exports?lt={ta}")).find("table").get_text(" ")
    student = data.students[0]
    learner = launch(client, big_course.platform, sub=student["sub"], link="learner-home", name=student["name"],
                     email=student["email"], lti_context=context)
    assert client.get(f"/dashboard/ratings?lt={learner}").status_code == 403
    assert big_course.app.test_client().get("/dashboard/ratings").status_code == 401
    other = launch(client, big_course.platform, sub="teacher-elsewhere", roles=[INSTRUCTOR], link="elsewhere",
                   lti_context={"id": "course-elsewhere", "title": "Clinical Communication 202"})
    elsewhere = client.get(f"/dashboard/ratings?lt={other}")
    assert elsewhere.status_code == 200 and "No rating has been made in this course yet" in elsewhere.get_data(as_text=True)
    for placement in made.placements:  # another course's placement id is not found in this course
        assert client.get(f"/dashboard/ratings?lt={other}&placement={placement['link_id']}").status_code == 404
    exported = client.get(f"/dashboard/exports/ratings.csv?lt={other}").get_data(as_text=True)
    assert exported.count("\n") == 1 and all(p["sub"] not in exported for p in data.students + made.coaches)
