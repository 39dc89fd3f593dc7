"""Pure helpers behind the reports: statistics, pseudonyms, CSV cells, chart geometry, the export registry."""
from __future__ import annotations

import csv
import io
import math
import statistics

import pytest

from lti_plugin.charts import line_chart
from lti_plugin.services.errors import PlayerError
from lti_plugin.services.exports.cells import lines, neutralize
from lti_plugin.services.exports.pseudonyms import Pseudonyms
from lti_plugin.services.exports.registry import EXPORTS, kind
from lti_plugin.services.surveys.stats import summarize, t_cdf, t_quantile

KEY = "k" * 40


@pytest.mark.parametrize(("df", "value"), [(1, 12.706), (2, 4.303), (5, 2.571), (10, 2.228), (30, 2.042), (120, 1.980)])
def test_t_quantiles_match_the_published_table(df: int, value: float) -> None:
    assert t_quantile(0.975, df) == pytest.approx(value, abs=5e-4)
    assert t_cdf(t_quantile(0.9, df), df) == pytest.approx(0.9, abs=1e-9)
    assert t_quantile(0.025, df) == pytest.approx(-value, abs=5e-4)


def test_summaries_of_small_and_larger_samples() -> None:
    assert summarize([]).n == 0 and summarize([]).mean is None
    one = summarize([4.0])
    assert (one.n, one.mean, one.sd, one.ci_low) == (1, 4.0, None, None)
    values = [0.5, 1.0, -0.25, 0.75, 1.5, 0.0]
    found = summarize(values)
    assert found.mean == pytest.approx(statistics.fmean(values)) and found.sd == pytest.approx(statistics.stdev(values))
    half = 2.571 * statistics.stdev(values) / math.sqrt(6)
    assert found.ci_low == pytest.approx(found.mean - half, abs=1e-3) and found.ci_high == pytest.approx(found.mean + half, abs=1e-3)


def test_pseudonyms_are_stable_keyed_and_need_a_real_key() -> None:
    ids = Pseudonyms(KEY)
    assert ids.person("https://lms", "sub-1") == Pseudonyms(KEY).person("https://lms", "sub-1")
    assert ids.person("https://lms", "sub-1") != ids.person("https://lms", "sub-2")
    assert ids.person("https://lms", "sub-1") != Pseudonyms("j" * 40).person("https://lms", "sub-1")
    assert ids.person("a", "b") != ids.course(1, "b") and ids.person("x", "y").startswith("P-")
    with pytest.raises(PlayerError, match="research key"):
        Pseudonyms("short")


def test_csv_lines_neutralize_formulas_and_quote_the_rest() -> None:
    assert [neutralize(t) for t in ("=1+1", "+1", "-1", "@A1", "\t=x", "\rx", "plain", "a=b")] == [
        "'=1+1", "'+1", "'-1", "'@A1", "'\t=x", "'\rx", "plain", "a=b"]
    text = "".join(lines(["name", "note"], [["=cmd", 'said "hi", then left'], ["Ana", None]] * 300, per_chunk=50))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["name", "note"] and rows[1] == ["'=cmd", 'said "hi", then left'] and rows[2] == ["Ana", ""]
    assert len(rows) == 601
    assert len(list(lines(["a"], [[1]] * 120, per_chunk=50))) == 3  # streamed in chunks


def test_chart_lines_break_where_a_value_is_missing() -> None:
    chart = line_chart("T", "D", "t", ["Baseline", "Follow-up 1", "Follow-up 2"], [("A", [1.0, None, 7.0]), ("B", [4.0, 4.5, 5.0])], 1, 7)
    first, second = chart.series
    assert len(first.segments) == 2 and len(second.segments) == 1
    assert first.points[0].y > first.points[2].y  # higher values are drawn higher
    assert [p.label for p in second.points] == ["4.00", "4.50", "5.00"]


def test_a_phone_shows_the_first_middle_and_last_x_labels_shortened() -> None:
    labels = ["Relational Skills 101: Station 1", "3 Feb 2026", "Workshop on difficult news", "9 Mar 2026",
              "Relational Skills 201: OSCE final station"]
    chart = line_chart("T", "D", "t", labels, [("A", [1.0, 2.0, 3.0, 4.0, 5.0])], 1, 5)
    assert [label for _, label in chart.narrow_ticks] == ["Station 1", "Workshop on…", "OSCE final…"]
    assert [x for x, _ in chart.narrow_ticks] == [chart.x_ticks[i][0] for i in (0, 2, 4)]
    assert [label for _, label in chart.x_ticks] == labels  # wider screens keep every label in full
    assert len(line_chart("T", "D", "t", ["a", "b"], [("A", [1.0, 2.0])], 1, 5).narrow_ticks) == 2


def test_the_export_registry_names_what_exists() -> None:
    assert {"progress", "scores", "survey-answers", "ratings"} <= set(EXPORTS)
    with pytest.raises(PlayerError, match="choose one of"):
        kind("attendance")
