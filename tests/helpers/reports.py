"""One realistic course (300 learners, with ratings) built once per test module, with launches into it through a signed id_token."""
from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from bs4 import BeautifulSoup

from lti_plugin.extensions import db
from lti_plugin.models import Deployment
from tests.conftest import _clean, make_app
from tests.helpers.course_data import GeneratedCourse, build_course
from tests.helpers.lti import INSTRUCTOR
from tests.helpers.platform import Platform, launch, register
from tests.helpers.rating_pairs import GeneratedRatings, add_paired_ratings


@dataclass
class BigCourse:
    """The app, the platform, the generated data, and a staff launch token into the course."""

    app: Any
    platform: Platform
    data: GeneratedCourse
    staff_client: Any
    staff_token: str
    ratings: GeneratedRatings

    def get(self, path: str, **query: str) -> Any:
        """GET a page as the course's instructor."""
        return self.staff_client.get(path, query_string={"lt": self.staff_token, **query})


def fresh_platform(migrated: str, redis_url: str, keyset_server: Any, **config: Any) -> tuple[Any, Platform, int]:
    """An app on an emptied database with a signing key and a registered platform: (app, platform, deployment id)."""
    app = make_app(migrated, redis_url, **config)
    _clean(app)
    from lti_plugin.lti.keys import ensure_key

    with app.app_context():
        ensure_key()
        db.session.commit()
    platform = register(app, keyset_server.url)
    keyset_server.status = 200
    keyset_server.keys = [platform.key]
    with app.app_context():
        deployment = db.session.scalar(db.select(Deployment).where(Deployment.deployment_id == platform.deployment_id))
        return app, platform, deployment.id


@pytest.fixture(scope="module")
def big_course(migrated: str, redis_url: str, keyset_server: Any) -> Iterator[BigCourse]:
    """300 learners, three modules, a standalone quiz, deliveries in every state, three survey rounds, and ratings
    from every source with pairs of raters (tests/helpers/rating_pairs.py)."""
    app, platform, deployment_id = fresh_platform(migrated, redis_url, keyset_server,
                                                  RESEARCH_KEY="research-key-for-tests-0123456789abcdef")
    with app.app_context():
        data = build_course(deployment_id, students=300)
        ratings = add_paired_ratings(data)
    client = app.test_client()
    token = launch(client, platform, sub="teacher-1", roles=[INSTRUCTOR], link="staff-home", name="Dr. Ifeoma Okafor",
                   email="okafor@school.example.edu")
    yield BigCourse(app, platform, data, client, token, ratings)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def soup(response: Any) -> BeautifulSoup:
    """The parsed HTML of a response."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def cell(row: Any, name: str) -> str:
    """The text of the cell marked data-cell=name in a row, whitespace folded."""
    found = row.find(attrs={"data-cell": name})
    assert found is not None, name
    return " ".join(found.get_text(" ").split())


def pct(value: float | None) -> str:
    """A share as the pages print it."""
    return "—" if value is None else f"{value * 100:.1f}%"


def fixed(value: float | None, digits: int = 2) -> str:
    """A number as the pages print it."""
    return "—" if value is None else f"{value:.{digits}f}"


# -- the figures, worked out from the generated data alone ----------------------------------------------------------
def student_ids(data: GeneratedCourse) -> set[int]:
    """User ids of the course's learners."""
    return {s["user_id"] for s in data.students}


def subscale_scores(survey: Any, answers: dict[str, int]) -> dict[str, float | None]:
    """Scores as the survey's README describes them: reverse-keyed items as points + 1 - answer, a mean of
    answered items, None when fewer than min_answered of a subscale's items were answered."""
    result: dict[str, float | None] = {}
    for subscale in survey.subscales:
        items = [i for i in survey.items if i.subscale == subscale.id]
        values = [(8 - answers[i.id]) if i.reverse else answers[i.id] for i in items if i.id in answers]
        result[subscale.id] = statistics.fmean(values) if values and len(values) / len(items) >= subscale.min_answered else None
    return result


def expected_cohort(data: GeneratedCourse, survey: Any) -> dict[str, Any]:
    """Mean, SD and n per subscale and round; paired change, its SD and n per follow-up."""
    learners = student_ids(data)
    by_window: dict[int, dict[int, dict[str, float | None]]] = defaultdict(dict)
    for response in data.responses:
        if response["submitted"] and response["user_id"] in learners:
            by_window[response["position"]][response["user_id"]] = subscale_scores(survey, response["answers"])
    figures: dict[str, Any] = {}
    for subscale in survey.subscales:
        for position in range(len(data.windows)):
            values = [s[subscale.id] for s in by_window[position].values() if s[subscale.id] is not None]
            figures[(subscale.id, position, "mean")] = statistics.fmean(values) if values else None
            figures[(subscale.id, position, "sd")] = statistics.stdev(values) if len(values) > 1 else None
            figures[(subscale.id, position, "n")] = len(values)
            if position:
                diffs = [later[subscale.id] - by_window[0][user][subscale.id]
                         for user, later in by_window[position].items()
                         if user in by_window[0] and later[subscale.id] is not None and by_window[0][user][subscale.id] is not None]
                figures[(subscale.id, position, "pairs")] = len(diffs)
                figures[(subscale.id, position, "change")] = statistics.fmean(diffs) if diffs else None
                figures[(subscale.id, position, "change-sd")] = statistics.stdev(diffs) if len(diffs) > 1 else None
    return figures


# Student's t at 97.5% (two-sided 95%) from published tables; between rows, linear in 1/df.
T_TABLE = {20: 2.086, 30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980, 1_000_000: 1.960}


def t_975(df: int) -> float:
    """The table value of t for a 95% interval, interpolated in 1/df."""
    keys = sorted(T_TABLE)
    low = max(k for k in keys if k <= df)
    high = min(k for k in keys if k >= df)
    if low == high:
        return T_TABLE[low]
    weight = (1 / df - 1 / high) / (1 / low - 1 / high)
    return T_TABLE[high] + weight * (T_TABLE[low] - T_TABLE[high])


def interval(diffs_mean: float, sd: float, n: int) -> tuple[float, float]:
    """The 95% t interval of a mean."""
    half = t_975(n - 1) * sd / math.sqrt(n)
    return diffs_mean - half, diffs_mean + half
