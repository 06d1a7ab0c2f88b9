"""max_pool_forward and max_pool_backward, what proves the grader's checks: submissions written
the way students write them, each with its exact score and diagnosis (graded in the
assignment's class, support.py); its hidden recipes."""

import numpy as np
from support import assert_shape_classes, backward_share, corpus_test, forward_share, made
from test_hw3_cnn import POOL_LOOPS, PY2_SHIM, loops

import solutions
from autograder.assignments.hw3_cnn import max_pool
from autograder.judging.diagnose import diagnose
from autograder.judging.recipes import upstream
from autograder.round.samples import Sample

A = "hw3_cnn"

POOL_WIDTH_FROM_HEIGHT = {
    name: code.replace("W_out = 1 + (W - pool_width) // stride",
                       "W_out = 1 + (W - pool_height) // stride")
    for name, code in POOL_LOOPS.items()}
POOL_WIDTH_FROM_HEIGHT["max_pool_backward"] = POOL_LOOPS["max_pool_backward"].replace(
    "    _, _, H_out, W_out = dout.shape\n",
    "    H_out = 1 + (H - pool_height) // stride\n    W_out = 1 + (W - pool_height) // stride\n")


POOL_MASK_BACKWARD = POOL_LOOPS["max_pool_backward"].replace(
    "                    a, b = np.unravel_index(np.argmax(window), window.shape)\n"
    "                    dx[n, c, hs + a, ws + b] += dout[n, c, i, j]\n",
    "                    mask = (window == np.max(window))\n"
    "                    dx[n, c, hs:hs + pool_height, ws:ws + pool_width] += mask * dout[n, c, i, j]\n")


POOL_OVERWRITE_BACKWARD = POOL_LOOPS["max_pool_backward"].replace(
    "dx[n, c, hs + a, ws + b] += dout[n, c, i, j]", "dx[n, c, hs + a, ws + b] = dout[n, c, i, j]")


POOL_RESHAPE = {
    "max_pool_forward": '''\
def max_pool_forward(x, pool_height=2, pool_width=2, stride=2):
    N, C, H, W = x.shape
    x_reshaped = x.reshape(N, C, H // pool_height, pool_height, W // pool_width, pool_width)
    out = x_reshaped.max(axis=3).max(axis=4)
    cache = (x, x_reshaped, out)
    return out, cache
''',
    "max_pool_backward": '''\
def max_pool_backward(dout, cache):
    x, x_reshaped, out = cache
    dx_reshaped = np.zeros_like(x_reshaped)
    out_newaxis = out[:, :, :, np.newaxis, :, np.newaxis]
    mask = (x_reshaped == out_newaxis)
    dout_newaxis = dout[:, :, :, np.newaxis, :, np.newaxis]
    dout_broadcast, _ = np.broadcast_arrays(dout_newaxis, dx_reshaped)
    dx_reshaped[mask] = dout_broadcast[mask]
    dx_reshaped /= np.sum(mask, axis=(3, 5), keepdims=True)
    dx = dx_reshaped.reshape(x.shape)
    return dx
''',
}


POOL_MAX_FROM_ZERO = POOL_LOOPS["max_pool_forward"].replace(
    "                    out[n, c, i, j] = np.max(x[n, c, hs:hs + pool_height, ws:ws + pool_width])\n",
    "                    best = 0\n"
    "                    for a in xrange(pool_height):\n"
    "                        for b in xrange(pool_width):\n"
    "                            if x[n, c, hs + a, ws + b] > best:\n"
    "                                best = x[n, c, hs + a, ws + b]\n"
    "                    out[n, c, i, j] = best\n")


CORPUS = [
    Sample("c3_pool_ph", "pool output width (and loops) from pool_height",
           answers={**loops, **POOL_WIDTH_FROM_HEIGHT}, extra_cells=[PY2_SHIM]),
    Sample("c3_pool_mask", "pool backward to every tied maximum",
           answers={**loops, "max_pool_backward": POOL_MASK_BACKWARD},
           extra_cells=[PY2_SHIM]),
    Sample("c3_pool_overwrite", "pool backward assigns instead of adding",
           answers={**loops, "max_pool_backward": POOL_OVERWRITE_BACKWARD},
           extra_cells=[PY2_SHIM]),
    Sample("c3_pool_reshape", "pool by the reshape trick (CS231n's fast pool)",
           answers={**loops, **POOL_RESHAPE}, extra_cells=[PY2_SHIM]),
    Sample("c3_pool_zero_max", "pool maximum started at 0",
           answers={**loops, "max_pool_forward": POOL_MAX_FROM_ZERO},
           extra_cells=[PY2_SHIM]),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    "c3_pool_ph": {"max_pool_forward": (forward_share(4 / 5), "non_square_window"),
                   "max_pool_backward": (backward_share(1, 5 / 6), "non_square_window")},
    "c3_pool_mask": {"max_pool_backward": (backward_share(1, 5 / 6), "wrong_at_ties")},
    "c3_pool_overwrite": {"max_pool_backward": (backward_share(1, 5 / 6), "wrong_at_overlaps")},
    # right only where stride = window and sizes divide; splits ties
    "c3_pool_reshape": {"max_pool_forward": (forward_share(2 / 5), "raised"),
                        "max_pool_backward": (backward_share(1, 2 / 6, shapes=0),
                                              "wrong_at_ties")},
    # wrong wherever a window is all negative (the first channel of every case); the
    # backward is right, but its own forward's finite differences disagree with it
    "c3_pool_zero_max": {"max_pool_forward": (0.0, "wrong_values"),
                         "max_pool_backward": (backward_share(0, 1), "wrong_values")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED)


def test_recipes_always_tie_and_share_maxima():
    for seed in range(40):
        (x,), kw = made(max_pool.CASES, "ties inside windows", seed)
        assert max_pool.tie_mask(x, kw).any(axis=(2, 3)).all()        # in every channel
        (x,), kw = made(max_pool.CASES, "overlapping windows sharing their maximum", seed)
        assert max_pool.overlap_mask(x, kw).any(axis=(2, 3)).all()
        for case in max_pool.CASES:                                    # a maximum below 0
            (x,), kw = case.make(np.random.default_rng([seed, 5]))
            assert x[0, 0].max() < 0


def test_shape_classes_are_what_their_names_say():
    assert_shape_classes(max_pool.CASES, lambda a, k: (k["pool_height"], k["pool_width"]))


def test_the_contract_rule_at_ties_is_told():
    rng = np.random.default_rng(0)
    expected = rng.standard_normal((2, 3))
    ties = np.zeros((2, 3), bool)
    ties[0, 1] = True
    got = expected.copy()
    got[ties] += 5
    d = diagnose(got, expected, function="max_pool_backward", check="reference", what="dx",
                 tie_mask=ties, tie_rule=max_pool.TIE_RULE)
    assert d.kind == "wrong_at_ties" and "first in row-major order" in d.message


def pool_backward(x, dout, kw, add=True):
    ph, pw, s = kw["pool_height"], kw["pool_width"], kw["stride"]
    dx = np.zeros_like(x)
    for n, c, i, j in np.ndindex(*dout.shape):
        window = x[n, c, i * s:i * s + ph, j * s:j * s + pw]
        a, b = np.unravel_index(np.argmax(window), window.shape)
        if add:
            dx[n, c, i * s + a, j * s + b] += dout[n, c, i, j]
        else:  # the bug: a later window overwrites an earlier one's gradient
            dx[n, c, i * s + a, j * s + b] = dout[n, c, i, j]
    return dx


def test_a_backward_that_overwrites_shared_maxima_is_named():
    case = next(c for c in max_pool.CASES if c.has("overlaps"))
    (x,), kw = case.make(np.random.default_rng(3))
    dout = upstream(np.random.default_rng(4), solutions.max_pool_forward(x, **kw)[0].shape)
    d = diagnose(pool_backward(x, dout, kw, add=False), pool_backward(x, dout, kw),
                 function="max_pool_backward", check="reference", what="dx",
                 overlap_mask=max_pool.overlap_mask(x, kw))
    assert d.kind == "wrong_at_overlaps" and "overlapping" in d.message
