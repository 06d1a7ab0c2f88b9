"""init_weights (hw4): everything the grader knows about it.

Judged by shape, exact zeros, the mean and std of large draws within statistical bounds (a
wrong std is matched against the usual mistakes: another scheme's, fan_out for fan_in, the
variance for the std), reproducibility for generators made from the same seed, and a
ValueError for unknown schemes.
"""
import numpy as np

from ...judging.compare import SIGMAS
from ...judging.described import factor_words, shape_against
from ...judging.diagnose import Diagnosis, diagnose
from ...judging.grades import CheckSpec
from ...judging.judge import StudentError, as_float_array, exception_name, failure
from ...judging.kinds import Kind, declare
from ...judging.recipes import seed_of
from ...judging.tally import Tally
from ...sandbox.probes import Rng

INIT = "init_weights"
FAN_IN, FAN_OUT = 400, 300

STATS = CheckSpec("std and mean of normal, xavier and he", "value", 4)
ZEROS = CheckSpec('"zeros" is exactly zero', "value", 2)
SHAPE = CheckSpec("shape (fan_in, fan_out)", "shape", 1)
SAME_SEED = CheckSpec("same seed, same weights", "behaviour", 1)
UNKNOWN = CheckSpec("ValueError for an unknown scheme", "behaviour", 1)
KINDS = declare(
    Kind("nonzero_mean", "the mean of a large draw far from 0"),
    Kind("wrong_std", "the std of a large draw not the scheme's"),
    Kind("not_zeros", '"zeros" weights that are not all 0'),
    Kind("wrong_exception", "an exception other than the contract's ValueError"),
    Kind("no_error", "a value returned where the contract asks for an exception"),
)

SCHEME_STDS = {"normal": lambda fan_in: 1.0, "xavier": lambda fan_in: np.sqrt(1 / fan_in),
               "he": lambda fan_in: np.sqrt(2 / fan_in)}


def std_hint(got_std, target, fan_in, fan_out):
    """What a std that is not the scheme's looks like, or None."""
    tol = SIGMAS / np.sqrt(2 * fan_in * fan_out) * 1.2
    mistakes = {
        "it is the std of the xavier scheme": np.sqrt(1 / fan_in),
        "it is the std of the he scheme": np.sqrt(2 / fan_in),
        "it is a std of 1: are the draws scaled?": 1.0,
        "it is what fan_out in place of fan_in gives": target * np.sqrt(fan_in / fan_out),
        "it is what averaging fan_in and fan_out gives (Glorot's variant), where the "
        "contract's schemes use fan_in": np.sqrt(2 / (fan_in + fan_out)),
        "it is what the variance used as the std gives: take the square root":
        target ** 2 if target != 1 else None}
    for label, value in mistakes.items():
        if value is not None and abs(value - target) > 3 * tol * target and \
                abs(got_std / value - 1) <= tol:
            return label
    return None


def check_init(judge):
    wanted = {scheme: std(FAN_IN) for scheme, std in SCHEME_STDS.items()}
    n = FAN_IN * FAN_OUT
    tol = SIGMAS / np.sqrt(2 * n)  # relative spread of a sample std
    stats = Tally()
    for i, (scheme, target) in enumerate(wanted.items()):
        w, problem = init_call(judge, FAN_IN, FAN_OUT, scheme, seed_of(judge, 79, i))
        if problem is None:
            mean, std = float(np.mean(w)), float(np.std(w))
            if abs(mean) > SIGMAS * target / np.sqrt(n):
                problem = Diagnosis("nonzero_mean", f"{INIT} ({scheme}): the mean of a large "
                                    "draw of your weights is far from 0 (beyond statistical "
                                    "bounds). The weights are drawn from a normal distribution "
                                    "centered on 0.")
            elif abs(std / target - 1) > tol:
                label = std_hint(std, target, FAN_IN, FAN_OUT)
                problem = Diagnosis("wrong_std", f"{INIT} ({scheme}): the std of a large draw "
                                    f"of your weights is {factor_words(std / target)} times the "
                                    "one the "
                                    "contract gives for this scheme" + (
                                        f": {label}." if label else
                                        ". Check the factor you multiply the draws by."))
        stats.add(problem)
    return [stats.check(STATS, "schemes", ok="the std and the mean of large draws are within "
                        "statistical bounds for every scheme."),
            check_zeros(judge), check_shapes(judge), check_init_seed(judge),
            check_unknown_scheme(judge)]


def init_call(judge, fan_in, fan_out, scheme, seed):
    """(w as a float array, None) or (None, Diagnosis)."""
    result = judge.call(INIT, fan_in, fan_out, scheme, Rng(seed))
    if isinstance(result, StudentError):
        return None, failure(result, INIT, "w")
    w = as_float_array(result)
    if w is not None and w.shape == (fan_out, fan_in) != (fan_in, fan_out):
        return None, Diagnosis("transposed", f"{INIT} ({scheme}): your w has shape {w.shape}, "
                               f"which is (fan_out, fan_in); the contract asks for (fan_in, "
                               f"fan_out) = {(fan_in, fan_out)}.")
    if w is None or w.shape != (fan_in, fan_out) or not np.all(np.isfinite(w)):
        return None, diagnose(result, np.ones((fan_in, fan_out)), function=INIT,
                              check=f"the contract ({scheme})", what="w")
    return w, None


def check_zeros(judge):
    w, problem = init_call(judge, 7, 5, "zeros", seed_of(judge, 83))
    if problem is None and np.any(w != 0):
        problem = Diagnosis("not_zeros", f"{INIT} (zeros): some of your weights are not 0.")
    if problem is not None:
        return ZEROS.failed(problem)
    return ZEROS.passed("all zeros, of the right shape.")


def check_shapes(judge):
    shapes = Tally()
    for i, scheme in enumerate(("normal", "xavier", "he", "zeros")):
        _, problem = init_call(judge, 6, 9, scheme, seed_of(judge, 89, i))
        shapes.add(problem)
    return shapes.check(SHAPE, "schemes", ok="every scheme gives a (fan_in, fan_out) matrix.")


def check_init_seed(judge):
    seed = seed_of(judge, 97)
    draws = []
    for s in (seed, seed, seed + 1):
        w, problem = init_call(judge, 30, 20, "he", s)
        if problem is not None:
            return SAME_SEED.failed(problem)
        draws.append(w)
    if not np.array_equal(draws[0], draws[1]):
        return SAME_SEED.check(0.0, f"{INIT}: two calls with generators made from the same "
                               "seed gave different weights. Draw them from the rng argument, "
                               "not from np.random.", "not_reproducible")
    if np.array_equal(draws[0], draws[2]):
        return SAME_SEED.check(0.0, f"{INIT}: generators made from different seeds gave the "
                               "same weights. Is the rng argument used for the draws?",
                               "ignores_rng")
    return SAME_SEED.passed("the same seed gives the same weights, another seed others.")


def check_unknown_scheme(judge):
    result = judge.call(INIT, 5, 4, "orthogonal", Rng(seed_of(judge, 101)))
    if isinstance(result, StudentError) and result.is_a("ValueError"):
        return UNKNOWN.passed("an unknown scheme raises ValueError.")
    if isinstance(result, StudentError):
        if result.kind != "exception" or result.is_a("NotImplementedError"):
            return UNKNOWN.failed(failure(result, INIT, "w"))
        return UNKNOWN.check(0.0, f"{INIT}: an unknown scheme raised "
                             f"{exception_name(result)}; the contract asks for ValueError.",
                             "wrong_exception")
    return UNKNOWN.check(0.0, f"{INIT}: an unknown scheme returned a value instead of raising "
                         "ValueError.", "no_error")


CHECKS = {INIT: check_init}


def notebook_check(ns, seed=0):
    for scheme, std in [("normal", 1.0), ("xavier", np.sqrt(1 / 400)), ("he", np.sqrt(2 / 400))]:
        w = ns[INIT](400, 300, scheme, np.random.default_rng(seed))
        assert w.shape == (400, 300), f"{INIT}: {shape_against(w.shape, (400, 300))}"
        assert abs(w.std() / std - 1) < 0.02 and abs(w.mean()) < 0.02 * std, f"{INIT} {scheme}"
    assert not np.any(ns[INIT](3, 4, "zeros", np.random.default_rng(0)))


NOTEBOOK_CHECKS = {INIT: notebook_check}
