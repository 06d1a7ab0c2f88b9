"""autograder/judging/finite_differences.py, the one place the judge differentiates a
student's own function: both probing policies, the base point evaluated again, the probes
answered by another function, the verdict and its wording."""
import numpy as np
import pytest

from autograder.judging import finite_differences as fd
from autograder.judging.diagnose import Diagnosis


def test_few_directions_are_coordinates_of_a_small_input_else_random_unit_directions():
    rng = np.random.default_rng(0)
    small = fd.few_directions((2, 3), rng)
    assert len(small) == 6 and all(np.count_nonzero(d) == 1 for d in small)
    large = fd.few_directions((4, 5), rng)
    assert len(large) == fd.FEW and all(np.isclose(np.linalg.norm(d), 1) for d in large)
    assert all(np.count_nonzero(d) == 20 for d in large)


def test_sampled_coordinates_cost_the_same_however_large_the_input():
    rng = np.random.default_rng(0)
    assert len(fd.sampled_coordinates((), rng)) == 1
    assert len(fd.sampled_coordinates((10, 12), rng)) == 120
    probes = fd.sampled_coordinates((50, 50), rng)
    assert len(probes) == fd.MAX_COORDS
    assert sum(np.count_nonzero(p) == 1 for p in probes) == fd.MAX_COORDS - 4


@pytest.mark.parametrize("policy", [fd.few_directions, fd.sampled_coordinates])
def test_a_plain_function_is_differentiated_along_its_probes(policy):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4))
    probes = policy(x.shape, rng)
    (numeric,), base = fd.differentiate([lambda v: float(np.sum(np.sin(v)))], [x], [probes],
                                        rng, function="f")
    assert base == pytest.approx(np.sum(np.sin(x)))
    assert np.allclose(numeric, fd.directional(np.cos(x), probes), atol=1e-8)
    assert fd.fd_verdict(np.cos(x), numeric, probes, function="f", source="forward",
                         what="dx", check="finite differences").ok


def test_a_function_that_counts_its_calls_is_caught_at_the_base_point():
    calls = [0]

    def counting(v):
        calls[0] += 1
        return float(np.sum(v)) + 1e-3 * (calls[0] % 2)
    got = fd.differentiate([counting], [np.ones(3)], [fd.few_directions((3,), None)],
                           np.random.default_rng(0), function="f")
    assert isinstance(got, Diagnosis) and got.kind == "inconsistent_forward"
    assert "two different values for the same input" in got.message


def test_a_function_right_at_the_point_and_another_next_to_it_is_caught():
    x = np.array([0.5, -1.0, 2.0])

    def answers(v):  # right at x, the slope of another function next to it
        return float(np.sum(x**2) + 3 * np.sum(v - x))
    got = fd.derivatives_at(answers, x, np.random.default_rng(0), function="f",
                            right=(float(np.sum(x**2)), 2 * x))
    assert isinstance(got, Diagnosis) and got.kind == "inconsistent_forward"
    assert "changes like another function next to it" in got.message


def test_a_function_that_ignores_its_input_gives_nothing_to_compare_with():
    numeric, probes = fd.derivatives_at(lambda v: 1.0, np.ones(3), np.random.default_rng(0),
                                        function="f")
    d = fd.fd_verdict(np.zeros(3), numeric, probes, function="f", source="forward",
                      what="dx", check="finite differences")
    assert d.kind == "forward_ignores_input"


def test_nan_near_the_point_is_named_not_finite():
    def blows_up(v):
        return float("nan") if v[0] > 1 else float(np.sum(v))
    got = fd.derivatives_at(blows_up, np.array([1.0, 2.0]), np.random.default_rng(0),
                            function="f")
    assert isinstance(got, Diagnosis) and got.kind == "not_finite"


def test_difference_quotients_are_central_and_one_sided_on_request():
    x = np.array([0.3, -1.2])
    central, forward, backward = fd.difference_quotients(lambda v: float(np.sum(v**3)), x, 1e-3,
                                                         one_sided=True)
    assert np.allclose(central, 3 * x**2 + 1e-6, atol=1e-12)
    assert not np.allclose(forward, central, atol=1e-6)
    assert np.allclose((forward + backward) / 2, central)
    assert np.allclose(fd.every_coordinate(np.sin, x.copy(), np.ones(2)), np.cos(x))
