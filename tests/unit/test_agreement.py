"""The weighted kappa of the dashboard's agreement figures, on tables worked out by hand."""
from __future__ import annotations

import pytest

from lti_plugin.bar_charts import bar_chart, nice_step
from lti_plugin.services.reports.agreement import weighted_kappa


def test_weighted_kappa_on_tables_worked_out_by_hand() -> None:
    # pairs (1,2) (2,1) (3,3) (4,5): mean squared difference 3/4; pooled levels 1,2,2,1,3,3,4,5 have
    # variance 111/64, so chance gives 111/32 and kappa = 1 - (3/4) / (111/32) = 29/37
    assert weighted_kappa({(1, 2): 1, (2, 1): 1, (3, 3): 1, (4, 5): 1}) == pytest.approx(29 / 37)
    assert weighted_kappa({(3, 3): 5, (4, 4): 5, (1, 1): 2}) == pytest.approx(1.0)
    assert weighted_kappa({(1, 5): 1, (5, 1): 1}) == pytest.approx(-1.0)  # as far apart as can be: worse than chance
    assert weighted_kappa({(2, 3): 7}) == weighted_kappa({(3, 2): 7})  # which rater comes first does not matter
    assert weighted_kappa({(4, 4): 9}) is None  # one level only: nothing to disagree about
    assert weighted_kappa({}) is None


def test_bar_charts_place_values_on_round_ticks() -> None:
    assert [nice_step(h, 4) for h in (1.0, 7, 29, 234, 3703)] == [0.25, 2, 10, 100, 1000]
    chart = bar_chart("t", "d", "table", ["a", "b"], [("n", [50, 100]), ("m", [None, 25])], 100)
    first, second = chart.series
    assert second.bars[0] is None and first.bars[1].width == pytest.approx(2 * first.bars[0].width)
    assert [label for _, label in chart.x_ticks] == ["0", "25", "50", "75", "100"]
