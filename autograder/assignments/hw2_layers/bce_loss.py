"""bce_loss (hw2): everything the grader knows about it.

Checked as every loss is (``judging/losses.py``), and held to the stability the contract asks
for (``STABLE``): finite and warning-free for any p in (0, 1), checked down to 1e-315 (where
1/p overflows, only finiteness is checked), and exact to 1e-7 wherever p is at least 2e-6 from
0 and 1, so a clip with any eps from 1e-300 to 1e-6 passes and one with 1e-3 does not.
"""
import numpy as np

import solutions

from ...judging import in_notebook
from ...judging.by_hand import ByHand, with_by_hand, with_by_hand_in_notebook
from ...judging.grades import CheckSpec
from ...judging.losses import Loss
from ...judging.recipes import LARGE_BATCH, ONE, SEVERAL, case

GRADIENT = CheckSpec("dprob matches the reference", "gradient", 3)
STABLE = ("for any probability in (0, 1): finite and no NumPy warning (checked down to "
          "1e-315); loss and dprob within 1e-7 (relative) of the exact ones wherever the "
          "probabilities are at least 2e-6 from 0 and 1, so a clip with any eps up to 1e-6 is "
          "exact there")
ADVICE = ("with a probability this close to 0 or 1, 1/p, 1/(1 - p) and their logs leave the "
          "range of float64: keep the probabilities used there a tiny distance (any eps from "
          "1e-300 to 1e-6) away from 0 and 1")


def half_ones(rng, n):
    """Targets in {0, 1}, both present (n >= 2)."""
    return (rng.permutation(n) < (n + 1) // 2).astype(float)


def probabilities(rng, n):
    """n probabilities in [0.05, 0.4] or [0.6, 0.95]: away from 0.5, where p and 1 - p (a
    swapped term) agree."""
    p = rng.uniform(0.05, 0.4, n)
    return np.where(rng.permutation(n) % 2 == 0, p, 1 - p)


def bce_case(n):
    """n probabilities; targets half 1 and half 0 (for a batch of one: 1)."""
    def make(rng):
        target = half_ones(rng, n) if n > 1 else np.ones(1)
        return (probabilities(rng, n), target), {}
    return make


def near_edges(rng):
    """Probabilities 2e-6 to 1e-5 from 0 and from 1, with each target (confidently right
    and confidently wrong), beside two ordinary ones: a clip with any eps <= 2e-6 leaves
    them as they are, a clip with eps 1e-3 does not."""
    gap = rng.uniform(2e-6, 1e-5, 4)
    p = np.array([gap[0], gap[1], 1 - gap[2], 1 - gap[3], *rng.uniform(0.2, 0.8, 2)])
    t = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    order = rng.permutation(len(p))
    return (p[order], t[order]), {}


def overflowing(rng):
    """Probabilities between 1e-315 and 1e-310 (1/p overflows float64) with targets 1 and
    0, beside ordinary ones: the exact gradient is not a float64, so only finiteness and the
    absence of floating-point warnings are checked here."""
    tiny = 10.0 ** rng.uniform(-315, -310, 2)
    p = np.array([tiny[0], tiny[1], *rng.uniform(0.2, 0.8, 2)])
    t = np.array([1.0, 0.0, 0.0, 1.0])
    order = rng.permutation(len(p))
    return (p[order], t[order]), {}


EDGES = "probabilities within 1e-5 of 0 and of 1"
OVERFLOWING = "probabilities so close to 0 that 1/p overflows"
CASES = (case(SEVERAL, bce_case(6)), case(ONE, bce_case(1)), case(EDGES, near_edges),
         case(OVERFLOWING, overflowing, "huge", "finite_only"),
         case(LARGE_BATCH, bce_case(100_000), "large"))
LOSS = Loss("bce_loss", CASES, "dprob", GRADIENT, stable=STABLE, advice=ADVICE)
CHECKS = LOSS.checks()
NOTEBOOK_CHECKS = in_notebook.loss_check(
    "bce_loss", lambda rng: (rng.uniform(0.1, 0.9, 6), rng.integers(0, 2, 6).astype(float)))


def by_hand_numbers():
    """p = (0.9, 0.2), t = (1, 0): {"loss": (), "dprob": (2,)}."""
    loss, dprob = solutions.bce_loss(np.array([0.9, 0.2]), np.array([1.0, 0.0]))
    return {"loss": loss, "dprob": dprob}


# The small case of the derivation prompt, worked by hand in the notebook (judging/by_hand.py).
BY_HAND_CASE = ByHand('bce_loss', 'bce_loss', by_hand_numbers, batch=2, beside=11)
CHECKS = with_by_hand(CHECKS, BY_HAND_CASE)
NOTEBOOK_CHECKS = with_by_hand_in_notebook(NOTEBOOK_CHECKS, BY_HAND_CASE)
