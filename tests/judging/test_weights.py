"""The weights: declared once on each check's spec, the table and the README's copy made from
the specs, what each check pays (supporting checks only with some right numbers), and the
instructor's per-assignment weights."""
import json
import re

import pytest
from support import ROOT

from autograder.judging import registry, weights
from autograder.judging.grades import ARGUMENTS, CheckSpec, FunctionGrade
from autograder.judging.pairs import REFERENCE, SHAPES, VALUES


def test_the_readme_shows_the_table_the_specs_make():
    text = (ROOT / "README.md").read_text()
    assert weights.markdown() in text, "paste autograder.judging.weights.markdown() into " \
        "the README's weights table"
    rows = re.findall(r"^\| (.+?) \| (value|gradient|fd|by_hand|shape|mutation|structure|behaviour) "
                      r"\| ([\d.]+) \|$", text, re.M)
    assert {name: (role, float(weight)) for name, role, weight in rows} == \
        {name: (role, float(weight)) for name, (role, weight) in weights.TABLE.items()}


def test_every_check_is_declared_once_with_one_role_and_weight():
    specs = registry.specs()
    assert len({s.title for s in specs}) == len(specs) == len(weights.TABLE)
    assert all(s.weight > 0 for s in specs)


def test_supporting_checks_pay_only_with_some_right_numbers():
    empty = FunctionGrade("f", 8.0, [REFERENCE.check(0.0, "wrong"), SHAPES.check(1.0, "ok"),
                                     ARGUMENTS.check(1.0, "ok")])
    assert empty.score == 0.0
    assert "not paid" in empty.as_report()["checks"][1]["message"]
    some = FunctionGrade("f", 8.0, [REFERENCE.check(0.5, "half"), SHAPES.check(1.0, "ok"),
                                    ARGUMENTS.check(1.0, "ok")])
    assert some.score == pytest.approx(8.0 * (3 * 0.5 + 1 + 1) / 5)


def test_the_spec_decides_weights_and_the_instructor_overrides_them(tmp_path):
    checks = [VALUES.check(1.0, "ok"), ARGUMENTS.check(0.0, "mutated", "input_mutated")]
    assert FunctionGrade("f", 5.0, checks).score == pytest.approx(5.0 * 4 / 5)
    (tmp_path / "weights.json").write_text(json.dumps(
        {"hw2_layers": {"arguments left unchanged": 0}}))
    chosen = weights.course_weights(tmp_path, "hw2_layers")
    assert FunctionGrade("f", 5.0, checks, weights=chosen).score == pytest.approx(5.0)
    assert weights.course_weights(tmp_path, "hw3_cnn") == {}


def test_a_role_that_does_not_exist_is_refused():
    with pytest.raises(ValueError, match="no role"):
        CheckSpec("a check", "bonus", 1)


@pytest.mark.parametrize("content", ['{"hw2_layers": {"no such check": 1}}',
                                     '{"hw2_layers": {"gradient shapes": -1}}', "not json"])
def test_a_bad_weights_file_is_refused_naming_it(tmp_path, content):
    (tmp_path / "weights.json").write_text(content)
    with pytest.raises(ValueError, match="weights.json"):
        weights.course_weights(tmp_path, "hw2_layers")
