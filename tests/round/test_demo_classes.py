"""The demo's class of every assignment, graded through the real pipeline, gets what each
student's description says: the reference and the one written differently full marks, the
untouched notebook nothing, every slip a student is described with costs points in the
function it names (with the diagnosis its ``bugs`` declares) and nowhere else, the cheat earns
nothing with its cheating (no more than the same wrong answer handed in honestly), and the file
that is not a notebook is flagged with 0."""
import pytest
from support import code_fraction, fraction, honest_twin, kinds

import solutions
from autograder.round.demo_classes import demo_class
from autograder.round.samples import demo_class as demo_class_of_samples

ASSIGNMENTS = list(solutions.ASSIGNMENTS)


def is_right(sample):
    return not (sample.all_blank or sample.raw or sample.bugs or sample.attacks)


def slipped(sample):
    return bool(sample.bugs) and not sample.attacks


def members(kind_of):
    """(assignment, student) of every demo student ``kind_of`` picks."""
    return [(a, s.student) for a in ASSIGNMENTS for s in demo_class(a) if kind_of(s)]


def sample_of(assignment, student):
    return next(s for s in demo_class(assignment) if s.student == student)


def assert_full_marks_except(report, names, assignment):
    assert not report["errors"], report["errors"]
    others = [n for n in solutions.ASSIGNMENTS[assignment] if n not in names]
    assert {n: fraction(report, n) for n in others} == {n: 1.0 for n in others}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_class_has_the_whole_cast(assignment):
    samples = demo_class(assignment)
    graded_names = set(solutions.ASSIGNMENTS[assignment])
    assert len({s.student for s in samples}) == len(samples)
    assert sum(map(is_right, samples)) == 2 and any(is_right(s) and s.answers for s in samples)
    assert sum(s.all_blank for s in samples) == sum(bool(s.raw) for s in samples) == 1
    assert 2 <= sum(map(slipped, samples)) <= 3
    [cheat] = [s for s in samples if s.attacks]
    assert cheat.extra_cells and set(cheat.attacks) <= set(cheat.bugs)
    for sample in samples:
        assert set(sample.answers) | set(sample.bugs) <= graded_names, sample.student
        assert all(sample.bugs.values()), sample.student


def test_without_an_assignment_the_class_is_hw2s_and_samples_still_hands_it_out():
    assert demo_class() == demo_class("hw2_layers") == demo_class_of_samples()
    with pytest.raises(ValueError, match="hw9"):
        demo_class("hw9")


@pytest.mark.parametrize("assignment, student", members(is_right))
def test_right_students_get_full_marks(demo_reports, assignment, student):
    report = demo_reports[assignment][student]
    assert_full_marks_except(report, (), assignment)
    assert report["score"] == pytest.approx(report["max_score"]) and not report["flags"]


@pytest.mark.parametrize("assignment, student", members(lambda s: s.all_blank))
def test_the_untouched_notebook_gets_nothing(demo_reports, assignment, student):
    report = demo_reports[assignment][student]
    assert report["score"] == 0
    assert all(kinds(report, n) - {"by_hand_blank"} == {"not_implemented"}
               for n in report["functions"])


@pytest.mark.parametrize("assignment, student", members(slipped))
def test_each_slip_costs_points_where_it_is_described_and_nowhere_else(demo_reports, assignment,
                                                                       student):
    report = demo_reports[assignment][student]
    for name, expected in sample_of(assignment, student).bugs.items():
        assert fraction(report, name) < 1, report["functions"][name]
        assert set(expected) <= kinds(report, name), (name, kinds(report, name))
    assert_full_marks_except(report, sample_of(assignment, student).bugs, assignment)


@pytest.mark.parametrize("assignment, student", members(lambda s: s.attacks))
def test_the_cheat_earns_nothing_by_cheating(demo_reports, assignment, student):
    report, cheat = demo_reports[assignment][student], sample_of(assignment, student)
    honest = demo_reports[assignment][honest_twin(cheat).student]
    for name in cheat.attacks:  # its numbers worked by hand (the reference's) pay as usual
        assert code_fraction(report, name) == 0, report["functions"][name]
    for name, expected in cheat.bugs.items():
        assert set(expected) <= kinds(report, name), (name, kinds(report, name))
    assert_full_marks_except(report, cheat.bugs, assignment)
    assert report["score"] <= honest["score"]
    failed = [f for f in report["flags"] if f["code"] == "cell_failed"]
    assert len(failed) == len(cheat.extra_cells), report["flags"]


@pytest.mark.parametrize("assignment, student", members(lambda s: s.raw))
def test_the_file_that_is_not_a_notebook_is_flagged_with_nothing(demo_reports, assignment, student):
    report = demo_reports[assignment][student]
    assert report["score"] == 0 and report["errors"]
    assert "not_json" in {f["code"] for f in report["flags"]}
    assert all(kinds(report, n) == {"unreadable_notebook"} for n in report["functions"])
