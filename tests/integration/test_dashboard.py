"""The instructor's dashboard on a course of 300 learners: every figure checked against the generated data."""
from __future__ import annotations

import statistics
from collections import defaultdict

from lti_plugin.content import get_library
from tests.helpers.reports import BigCourse, big_course, cell, pct, soup, student_ids  # noqa: F401  (fixture)


def newest_deliveries(data) -> dict[tuple[int, str], dict]:
    """The newest delivery of every (learner, line item)."""
    newest: dict[tuple[int, str], dict] = {}
    for row in data.deliveries:
        key = (row["user_id"], row["key"])
        if key not in newest or row["timestamp"] > newest[key]["timestamp"]:
            newest[key] = row
    return newest


def test_module_progress_figures(big_course: BigCourse) -> None:
    data = big_course.data
    learners = student_ids(data)
    page = soup(big_course.get("/dashboard"))
    assert page.find("h1").get_text(strip=True) == "Relational Skills 101: dashboard"
    assert "300 learners" in page.get_text(" ")
    table = page.find("table", id="progress-summary")
    assert table.find("caption") is not None and all(th.get("scope") for th in table.find_all("th"))
    modules = [p for p in data.placements if p["kind"] == "module"]
    assert len(table.select("tbody tr")) == len(modules)
    for placement in modules:
        rows = [r for r in data.progress if r["link_id"] == placement["link_id"] and r["user_id"] in learners]
        done = [r for r in rows if r["completed"]]
        row = table.find("tr", attrs={"data-placement": str(placement["link_id"])})
        assert cell(row, "started") == f"{len(rows)} of 300"
        assert cell(row, "not-started") == str(300 - len(rows))
        assert cell(row, "completed") == f"{len(done)} of 300"
        assert cell(row, "pages") == f"{statistics.fmean(r['pages_seen'] for r in rows):.1f} of {rows[0]['pages_total']}"
        assert cell(row, "score") == pct(statistics.fmean(r["score"] for r in done))
        assert 0 < len(done) < len(rows) < 300  # the data exercises every case


def test_quiz_score_figures(big_course: BigCourse) -> None:
    data = big_course.data
    library = get_library(big_course.app.config["CONTENT_DIR"])
    learners = student_ids(data)
    by_cell: dict[tuple[int, str], dict[int, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for attempt in data.attempts:
        if attempt["user_id"] in learners:
            by_cell[(attempt["link_id"], attempt["quiz_id"])][attempt["user_id"]].append(attempt)
    table = soup(big_course.get("/dashboard")).find("table", id="quiz-summary")
    shown = table.select("tbody tr")
    assert len(shown) == len(by_cell) >= 5
    for row in shown:
        key = (int(row["data-placement"]), row["data-quiz"])
        quiz = library.quiz(key[1])
        people = by_cell[key]
        counted = [(max(a["score"] for a in tries) if quiz.counts == "best" else sorted(tries, key=lambda a: a["number"])[-1]["score"])
                   for tries in people.values()]
        assert cell(row, "attempted") == str(len(people))
        assert cell(row, "passed") == str(sum(1 for tries in people.values() if any(a["passed"] for a in tries)))
        assert cell(row, "mean") == pct(statistics.fmean(counted))
        assert cell(row, "attempts") == f"{statistics.fmean(len(t) for t in people.values()):.2f}"


def test_grade_delivery_states(big_course: BigCourse) -> None:
    newest = newest_deliveries(big_course.data)
    expected = {state: sum(1 for r in newest.values() if r["state"] == state) for state in ("delivered", "pending", "failed")}
    assert all(expected.values())
    table = soup(big_course.get("/dashboard")).find("table", id="grade-states")
    for state, count in expected.items():
        assert cell(table, state) == str(count)
    page = soup(big_course.get("/dashboard/grades", state="failed"))
    assert f"{expected['failed']} gradebook cell" in page.get_text(" ")
    assert page.find("table", id="grades").find("caption").get_text(strip=True) == "Failed grades"
    assert page.find("select", id="state").find("option", selected=True)["value"] == "failed"
    rows = page.select("table#grades tbody tr")
    assert len(rows) == min(50, expected["failed"])
    assert all(r.find("input", attrs={"name": "state"})["value"] == "failed" for r in rows)
    for row in rows:
        delivery = next(r for r in newest.values() if r["id"] == int(row["data-delivery"]))
        assert delivery["state"] == "failed" and delivery["last_error"] in row.get_text(" ")
        assert row.find("button", string="Send again") is not None
    pending = soup(big_course.get("/dashboard/grades", state="pending")).select("table#grades tbody tr")
    assert pending and all("next try" in r.get_text(" ") and "Gradebook is restarting" in r.get_text(" ") for r in pending)
    assert all(r.find("button") is None for r in pending)
    everything = soup(big_course.get("/dashboard/grades", state="all"))
    assert f"{len(newest)} gradebook cells" in everything.get_text(" ") and "Page 1 of" in everything.get_text(" ")


def test_survey_response_rates(big_course: BigCourse) -> None:
    data = big_course.data
    learners = student_ids(data)
    tables = soup(big_course.get("/dashboard")).select("table.survey-rates")
    assert len(tables) == 1
    for window in data.windows:
        answered = [r for r in data.responses if r["window_id"] == window["id"] and r["user_id"] in learners]
        submitted = sum(1 for r in answered if r["submitted"])
        row = tables[0].find("tr", attrs={"data-position": str(window["position"])})
        assert cell(row, "submitted") == f"{submitted} of 300"
        assert cell(row, "drafts") == str(len(answered) - submitted)
        assert cell(row, "rate") == pct(submitted / 300)


def test_the_learners_table_pages_filters_and_shows_each_cell(big_course: BigCourse) -> None:
    data = big_course.data
    first = soup(big_course.get("/dashboard/learners"))
    assert "300 learners match; showing page 1 of 6" in first.get_text(" ")
    rows = first.select("table#learners tbody tr")
    assert len(rows) == 50
    progress = {(r["user_id"], r["link_id"]): r for r in data.progress}
    newest = newest_deliveries(data)
    for row in rows[:20]:
        user = int(row["data-user"])
        for placement in (p for p in data.placements if p["kind"] == "module"):
            shown = row.find("td", attrs={"data-placement": str(placement["link_id"])})
            mine = progress.get((user, placement["link_id"]))
            if mine is None:
                assert cell(shown, "completion") == "Not started"
                continue
            assert cell(shown, "pages") == f"{mine['pages_seen']} of {mine['pages_total']} pages"
            assert cell(shown, "completion") == (f"Completed, {pct(mine['score'])}" if mine["completed"] else "In progress")
            grade = [r for (u, _), r in newest.items() if u == user and r["link_id"] == placement["link_id"]]
            if grade:
                assert {"delivered": "Delivered", "pending": "Pending", "failed": "Failed"}[grade[0]["state"]] in cell(shown, "grade")
    last = soup(big_course.get("/dashboard/learners", page="6")).select("table#learners tbody tr")
    assert len(last) == 50 and not {r["data-user"] for r in last} & {r["data-user"] for r in rows}

    someone = data.students[17]
    found = soup(big_course.get("/dashboard/learners", q=someone["email"].upper()))
    assert [r["data-user"] for r in found.select("table#learners tbody tr")] == [str(someone["user_id"])]

    modules = {p["link_id"] for p in data.placements if p["kind"] == "module"}
    finished = {u for u in student_ids(data)
                if sum(1 for r in data.progress if r["user_id"] == u and r["link_id"] in modules and r["completed"]) == len(modules)}
    shown = soup(big_course.get("/dashboard/learners", status="finished-modules"))
    assert f"{len(finished)} learner" in shown.get_text(" ")
    started = {r["user_id"] for r in data.progress} | {a["user_id"] for a in data.attempts}
    not_started = student_ids(data) - started
    shown = soup(big_course.get("/dashboard/learners", status="not-started"))
    assert f"{len(not_started)} learner" in shown.get_text(" ")
    problems = {u for (u, _), r in newest.items() if r["state"] == "failed"}
    shown = soup(big_course.get("/dashboard/learners", status="grade-problems"))
    assert f"{len(problems)} learners match" in shown.get_text(" ")


def test_one_learner_in_detail(big_course: BigCourse) -> None:
    data = big_course.data
    person = next(s for s in data.students if any(r["user_id"] == s["user_id"] and r["state"] == "failed"
                                                   for r in newest_deliveries(data).values()))
    page = soup(big_course.get(f"/dashboard/learners/{person['user_id']}"))
    assert page.find("h1").get_text(strip=True) == person["name"]
    history = page.select("table#learner-grades tbody tr")
    assert len(history) == sum(1 for r in data.deliveries if r["user_id"] == person["user_id"])
    assert any(r.find("button", string="Send again") for r in history)
    assert big_course.get("/dashboard/learners/999999").status_code == 404
    staff_member = data.staff[0]["user_id"]
    assert big_course.get(f"/dashboard/learners/{staff_member}").status_code == 404


def test_the_cohort_view_of_the_survey(big_course: BigCourse) -> None:
    from tests.helpers.reports import expected_cohort, fixed, interval

    data = big_course.data
    survey = get_library(big_course.app.config["CONTENT_DIR"]).survey("attitudes")
    expected = expected_cohort(data, survey)
    page = soup(big_course.get("/survey/results"))
    means = page.find("table", id="cohort-means")
    for subscale in survey.subscales:
        for position in range(3):
            for what in ("mean", "sd"):
                assert cell(means, f"{subscale.id}:{position}:{what}") == fixed(expected[(subscale.id, position, what)])
            assert cell(means, f"{subscale.id}:{position}:n") == str(expected[(subscale.id, position, "n")])
    change = page.find("table", id="cohort-change")
    for subscale in survey.subscales:
        for position in (1, 2):
            pairs = expected[(subscale.id, position, "pairs")]
            mean, sd = expected[(subscale.id, position, "change")], expected[(subscale.id, position, "change-sd")]
            assert pairs > 20 and mean > 0.2  # the generated views improve with training
            assert cell(change, f"{subscale.id}:{position}:pairs") == str(pairs)
            assert cell(change, f"{subscale.id}:{position}:change") == fixed(mean)
            assert cell(change, f"{subscale.id}:{position}:change-sd") == fixed(sd)
            low, high = interval(mean, sd, pairs)
            shown_low, shown_high = (float(v) for v in cell(change, f"{subscale.id}:{position}:ci").split(" to "))
            assert abs(shown_low - low) < 0.006 and abs(shown_high - high) < 0.006
    # partial responses below a subscale's min_answered share are not scored, so n differs between subscales
    assert len({expected[(s.id, 0, "n")] for s in survey.subscales}) > 1


def test_every_chart_has_its_data_table(big_course: BigCourse) -> None:
    page = soup(big_course.get("/survey/results"))
    charts = page.find_all("svg", attrs={"data-table": True})
    assert charts
    survey = get_library(big_course.app.config["CONTENT_DIR"]).survey("attitudes")
    for chart in charts:
        table = page.find("table", id=chart["data-table"])
        assert table is not None and table.find("caption") is not None
        assert chart.get("role") == "img" and chart.find("title") is not None and chart.find("desc") is not None
        # every plotted value is in the table, in the same place
        for number, series in enumerate(chart.find_all("g", class_="series")):
            subscale = survey.subscales[number]
            assert series["data-series"] == subscale.name
            values = [mark["data-value"] for mark in series.find_all(attrs={"data-value": True})]
            assert values == [cell(table, f"{subscale.id}:{position}:mean") for position in range(3)]
    for svg in page.find_all("svg"):  # decorative legend swatches are hidden from assistive technology
        assert svg.get("data-table") or svg.get("aria-hidden") == "true"
