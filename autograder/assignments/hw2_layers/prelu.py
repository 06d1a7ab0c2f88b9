"""prelu_forward and prelu_backward (hw2): everything the grader knows about them.

Checked as every layer is (``judging/pairs.py``), with two inputs, x (N, D) and alpha (D,):
dx and dalpha each against finite differences of the student's own forward and against the
reference. The hidden cases: a batch of several examples, a batch of one, exact zeros in x
(where the contract puts the slope: a backward wrong only there is ``wrong_at_zeros``, told
the rule), as many examples as features (N = D: a slope taken per example gives values there,
where elsewhere it can't even broadcast), and a large input. The slopes are distinct, so a
slope moved to another feature always shows.

PReLU's own mistakes are named (``slips``): the slope on the wrong side of 0
(``prelu_wrong_side``), one slope per example instead of per feature
(``prelu_alpha_wrong_axis``), dalpha without its factor x (``prelu_dalpha_missing_x``), a dx
that ignores alpha (``prelu_dx_ignores_alpha``); a dalpha averaged over the batch is told that
alpha is shared as a bias is (``SHARED_SLOPE``). Its other mistakes have the general kinds:
dalpha of shape (N, D) is ``not_summed_over_batch``, a slope taken for x < 0 only
``wrong_at_zeros``, alpha changed in place ``input_mutated``.
"""
import numpy as np

import solutions

from ...judging import in_notebook
from ...judging.by_hand import ByHand, with_by_hand, with_by_hand_in_notebook
from ...judging.compare import Slip
from ...judging.kinds import Kind, declare
from ...judging.pairs import Pair
from ...judging.recipes import LARGE, ONE, SEVERAL, away_from_zero, case, signed, with_zeros

KINDS = declare(
    Kind("prelu_wrong_side", "PReLU's slope on the side x > 0 (the two sides swapped)"),
    Kind("prelu_alpha_wrong_axis", "one slope per example instead of one per feature"),
    Kind("prelu_dalpha_missing_x", "dalpha without its factor x"),
    Kind("prelu_dx_ignores_alpha", "a dx that does not depend on alpha"),
)
ZERO_RULE = "the contract says the slope is the feature's alpha for x <= 0, so at exactly 0 too"

#: What each of PReLU's own mistakes is told: where to look, never the formula.
WRONG_SIDE = (
    "this is what a PReLU with its slope on the side x > 0 (and x <= 0 passed through "
    "unchanged) gives: the two sides are swapped. Check the condition that decides where "
    "alpha applies, in the forward and in the backward alike; the contract puts the slope "
    "on the side x <= 0.")
WRONG_AXIS = (
    "this is what one slope per example gives (alpha lined up with the batch axis, or "
    "dalpha combined over the features). alpha holds one slope per feature, shared by "
    "every example of the batch: check which axis of x each entry of alpha goes with, and "
    "over which axis the contributions to dalpha are combined.")
DALPHA_MISSING_X = (
    "this is dout added up over the entries where the slope applies, as if out moved one "
    "for one with alpha there. Work out, at one entry with x <= 0, how much out moves when "
    "alpha moves by a little: that local derivative multiplies each entry of dout before "
    "the contributions are combined.")
DX_IGNORES_ALPHA = (
    "your dx does not depend on alpha: it is what a fixed slope on the side x <= 0 gives "
    "(0 as for relu, 1, or leaky relu's default). Where x <= 0, what is the derivative of "
    "out with respect to x, and which number of the forward call does it depend on? The "
    "backward gets it only through the cache.")
#: Said when dalpha is the expected gradient divided by the batch size.
SHARED_SLOPE = (" alpha is shared by every example of the batch, as a bias is, and the 1/N "
                "of an averaged loss is already inside dout.")


def slips(args, kwargs, dout):
    """What PReLU's own mistakes return on x (N, D) and alpha (D,) (see ``Pair.slips``): each
    kept to the array it describes ("out" for the forward, "dx" or "dalpha"). A slope per
    example is listed only where its shapes broadcast (N == D, or N == 1)."""
    x, alpha = (np.asarray(a, dtype=np.float64) for a in args)
    per_example = alpha.reshape(-1, 1)
    fits = x.ndim == 2 and x.shape[0] in (1, alpha.size)
    negative = x <= 0
    with np.errstate(all="ignore"):
        if dout is None:
            found = [Slip("prelu_wrong_side", WRONG_SIDE, np.where(x > 0, alpha * x, x), "out")]
            if fits:
                found.append(Slip("prelu_alpha_wrong_axis", WRONG_AXIS,
                                  np.where(x > 0, x, per_example * x), "out"))
            return found
        dout = np.asarray(dout, dtype=np.float64)
        found = [
            Slip("prelu_wrong_side", WRONG_SIDE, dout * np.where(x > 0, alpha, 1.0), "dx"),
            Slip("prelu_wrong_side", WRONG_SIDE, np.sum(dout * x * (x > 0), axis=0),
                 "dalpha"),
            Slip("prelu_dx_ignores_alpha", DX_IGNORES_ALPHA, dout * (x > 0), "dx"),
            Slip("prelu_dx_ignores_alpha", DX_IGNORES_ALPHA, dout.copy(), "dx"),
            Slip("prelu_dx_ignores_alpha", DX_IGNORES_ALPHA,
                 dout * np.where(x > 0, 1.0, 0.01), "dx"),
            Slip("prelu_dalpha_missing_x", DALPHA_MISSING_X, np.sum(dout * negative, axis=0),
                 "dalpha"),
            Slip("prelu_dalpha_missing_x", DALPHA_MISSING_X, np.sum(dout * (x < 0), axis=0),
                 "dalpha"),
            Slip("prelu_alpha_wrong_axis", WRONG_AXIS, np.sum(dout * x * negative, axis=1),
                 "dalpha")]
        if fits:
            found.append(Slip("prelu_alpha_wrong_axis", WRONG_AXIS,
                              dout * np.where(x > 0, 1.0, per_example), "dx"))
        return found


def slopes(rng, d):
    """d distinct slopes in [0.05, 0.4]: one per 0.35 / d wide bin, the bins in random order
    (so slopes never tie and a slope moved to another feature always shows), never near 0
    or 1 (where a missing or an extra slope would hide)."""
    width = 0.35 / d
    return 0.05 + width * (rng.permutation(d) + rng.uniform(0.15, 0.85, d))


def prelu_case(shape, values=signed):
    """x = ``values(rng, shape)`` (both signs, away from 0 unless ``with_zeros``), alpha (D,)
    from ``slopes``."""
    def make(rng):
        return (values(rng, shape), slopes(rng, shape[1])), {}
    return make


CASES = (case(SEVERAL, prelu_case((5, 3))),
         case(ONE, prelu_case((1, 6))),
         case("exact zeros in x", prelu_case((4, 5), with_zeros), "zeros"),
         # N = D: a slope taken per example (alpha along the batch axis) gives values here,
         # where elsewhere it can't even broadcast
         case("as many examples as features", prelu_case((4, 4))),
         case(LARGE, prelu_case((400, 500)), "large"))
PAIR = Pair("prelu", CASES, ("x", "alpha"), slips=slips,
            batch_notes=(("dalpha", SHARED_SLOPE),), zero_rule=ZERO_RULE)
CHECKS = PAIR.checks()
NOTEBOOK_CHECKS = in_notebook.pair_checks(
    "prelu", lambda rng: ((away_from_zero(rng, (4, 5), 0.1), rng.permutation(5) * 0.05 + 0.1),
                          {}))


def by_hand_numbers():
    """x = ((2, -1), (-3, -0.5)), alpha = (0.1, 0.2), dout = ((1, 2), (-1, 4)):
    {"dx": (2, 2), "dalpha": (2,)}."""
    _, cache = solutions.prelu_forward(np.array([[2.0, -1.0], [-3.0, -0.5]]),
                                       np.array([0.1, 0.2]))
    dx, dalpha = solutions.prelu_backward(np.array([[1.0, 2.0], [-1.0, 4.0]]), cache)
    return {"dx": dx, "dalpha": dalpha}


# The small case of the derivation prompt, worked by hand in the notebook (judging/by_hand.py).
BY_HAND_CASE = ByHand('prelu_backward', 'prelu', by_hand_numbers, batch=2)
CHECKS = with_by_hand(CHECKS, BY_HAND_CASE)
NOTEBOOK_CHECKS = with_by_hand_in_notebook(NOTEBOOK_CHECKS, BY_HAND_CASE)
