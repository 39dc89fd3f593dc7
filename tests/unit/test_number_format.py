"""Numbers on the dashboard and the survey results: a value that rounds to zero is printed as zero."""
from __future__ import annotations

import pytest

from lti_plugin import create_app


@pytest.mark.parametrize("template, digits", [("dashboard/_macros.html", 2), ("surveys/results.html", 2),
                                              ("dashboard/_macros.html", 1)])
def test_num_prints_no_negative_zero(tmp_path, template: str, digits: int) -> None:
    app = create_app({"SECRET_KEY": "x" * 32, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", "TESTING": True})
    with app.test_request_context():
        num = app.jinja_env.get_template(template).module.num
    zero = "0." + "0" * digits
    assert str(num(-0.001, digits)) == zero
    assert str(num(0.0, digits)) == zero
    assert str(num(-0.5, digits)) == "-0.5" + "0" * (digits - 1)
    assert str(num(1.26, digits)) == ("1.26" if digits == 2 else "1.3")
    assert str(num(None, digits)) == "—"
