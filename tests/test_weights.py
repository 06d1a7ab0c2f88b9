"""The weights table: what each check pays, gating of supporting checks, the instructor's
per-assignment weights, and the README's copy of the table."""
import json
import re

import pytest
from notebook_utils import ROOT

from autograder.judging.judge import Check, FunctionGrade
from autograder.judging.weights import TABLE, course_weights


def test_the_readme_shows_the_table_as_it_is():
    text = (ROOT / "README.md").read_text()
    rows = re.findall(r"^\| (.+?) \| (value|gradient|fd|shape|mutation|structure|behaviour) "
                      r"\| ([\d.]+) \|$", text, re.M)
    assert {name: (role, float(weight)) for name, role, weight in rows} == \
        {name: (role, float(weight)) for name, (role, weight) in TABLE.items()}


def test_supporting_checks_pay_only_with_some_right_numbers():
    empty = FunctionGrade("f", 8.0, [Check("matches the reference gradients", 3, 0.0, "wrong"),
                                      Check("gradient shapes", 1, 1.0, "ok"),
                                      Check("arguments left unchanged", 1, 1.0, "ok")])
    assert empty.score == 0.0
    assert "not paid" in empty.as_report()["checks"][1]["message"]
    some = FunctionGrade("f", 8.0, [Check("matches the reference gradients", 3, 0.5, "half"),
                                     Check("gradient shapes", 1, 1.0, "ok"),
                                     Check("arguments left unchanged", 1, 1.0, "ok")])
    assert some.score == pytest.approx(8.0 * (3 * 0.5 + 1 + 1) / 5)


def test_the_table_decides_weights_and_the_instructor_overrides_them(tmp_path):
    checks = [Check("values on hidden inputs", 99, 1.0, "ok"),
              Check("arguments left unchanged", 99, 0.0, "mutated", "input_mutated")]
    assert FunctionGrade("f", 5.0, checks).score == pytest.approx(5.0 * 4 / 5)
    (tmp_path / "weights.json").write_text(json.dumps(
        {"hw2_layers": {"arguments left unchanged": 0}}))
    chosen = course_weights(tmp_path, "hw2_layers")
    assert FunctionGrade("f", 5.0, checks, weights=chosen).score == pytest.approx(5.0)
    assert course_weights(tmp_path, "hw3_cnn") == {}


@pytest.mark.parametrize("content", ['{"hw2_layers": {"no such check": 1}}',
                                     '{"hw2_layers": {"gradient shapes": -1}}', "not json"])
def test_a_bad_weights_file_is_refused_naming_it(tmp_path, content):
    (tmp_path / "weights.json").write_text(content)
    with pytest.raises(ValueError, match="weights.json"):
        course_weights(tmp_path, "hw2_layers")
