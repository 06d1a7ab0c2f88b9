"""conv_forward and conv_backward, what proves the grader's checks: submissions written the way
students write them, each with its exact score and diagnosis (graded in the assignment's class,
support.py); its hidden recipes."""

import numpy as np
from support import BY_HAND_ONLY, assert_shape_classes, backward_share, corpus_test, forward_share
from test_hw3_cnn import CONV_BACKWARD_LOOPS, CONV_LOOPS, PY2_SHIM, loops

from autograder.assignments.hw3_cnn import conv
from autograder.round.samples import Sample

A = "hw3_cnn"

CONV_CEIL = CONV_LOOPS.replace(
    "    H_out = 1 + (H + 2 * pad - HH) // stride\n    W_out = 1 + (W + 2 * pad - WW) // stride\n",
    "    H_out = int(np.ceil((H + 2 * pad - HH) / stride)) + 1\n"
    "    W_out = int(np.ceil((W + 2 * pad - WW) / stride)) + 1\n")


CONV_ASSERT = CONV_LOOPS.replace(
    "    H_out = 1 + (H + 2 * pad - HH) // stride\n",
    "    assert (H + 2 * pad - HH) % stride == 0, 'width does not work'\n"
    "    assert (W + 2 * pad - WW) % stride == 0, 'height does not work'\n"
    "    H_out = 1 + (H + 2 * pad - HH) // stride\n")


CONV_PAD_EVERY_AXIS = CONV_LOOPS.replace(
    "np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), 'constant')",
    "np.pad(x, pad, 'constant')")


CONV_ZEROS_BACKWARD = '''\
def conv_backward(dout, cache):
    x, w, b, stride, pad = cache
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    db = np.zeros_like(b)
    # TODO
    return dx, dw, db
'''


CONV_FLIPPED_KERNEL = CONV_BACKWARD_LOOPS.replace(
    "dx_pad[n, :, hs:hs + HH, ws:ws + WW] += w[f] * dout[n, f, i, j]",
    "dx_pad[n, :, hs:hs + HH, ws:ws + WW] += w[f, :, ::-1, ::-1] * dout[n, f, i, j]")


CONV_DW_LAST_EXAMPLE = '''\
def conv_backward(dout, cache):
    x, w, b, stride, pad = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), 'constant')
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    for n in range(N):
        for f in range(F):
            grad_w = np.zeros_like(w[f])
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    grad_w += x_pad[n, :, hs:hs + HH, ws:ws + WW] * dout[n, f, i, j]
                    dx_pad[n, :, hs:hs + HH, ws:ws + WW] += w[f] * dout[n, f, i, j]
            dw[f] = grad_w
    return dx_pad[:, :, pad:pad + H, pad:pad + W], dw, db
'''


CONV_NUMERICAL_BACKWARD = '''\
def conv_backward(dout, cache):
    x, w, b, stride, pad = cache
    h = 1e-6
    grads = []
    for arr in (x, w, b):
        grad = np.zeros_like(arr)
        for idx in np.ndindex(*arr.shape):
            old = arr[idx]
            arr[idx] = old + h
            plus = conv_forward(x, w, b, stride, pad)[0]
            arr[idx] = old - h
            minus = conv_forward(x, w, b, stride, pad)[0]
            arr[idx] = old
            grad[idx] = np.sum((plus - minus) * dout) / (2 * h)
        grads.append(grad)
    return tuple(grads)
'''


CORPUS = [
    Sample("c3_ceil", "conv output size rounded up",
           answers={**loops, "conv_forward": CONV_CEIL}, extra_cells=[PY2_SHIM]),
    Sample("c3_assert", "conv asserts that sizes divide (as in CS231n)",
           answers={**loops, "conv_forward": CONV_ASSERT}, extra_cells=[PY2_SHIM]),
    Sample("c3_pad_all", "np.pad(x, pad) pads every axis",
           answers={**loops, "conv_forward": CONV_PAD_EVERY_AXIS}, extra_cells=[PY2_SHIM]),
    Sample("c3_zeros", "conv backward returns zeros of the right shapes",
           answers={**loops, "conv_backward": CONV_ZEROS_BACKWARD}, extra_cells=[PY2_SHIM]),
    Sample("c3_flipped", "conv backward: dx through the flipped filter",
           answers={**loops, "conv_backward": CONV_FLIPPED_KERNEL}, extra_cells=[PY2_SHIM]),
    Sample("c3_dw_last", "conv dw keeps only the last example",
           answers={**loops, "conv_backward": CONV_DW_LAST_EXAMPLE},
           extra_cells=[PY2_SHIM]),
    Sample("c3_numerical", "conv backward by finite differences of the forward",
           answers={**loops, "conv_backward": CONV_NUMERICAL_BACKWARD},
           extra_cells=[PY2_SHIM]),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    # a window past the edge: raises where sizes do not divide; the backward can't run
    "c3_ceil": {"conv_forward": (forward_share(4 / 5), "non_divisible_size"),
                "conv_backward": (backward_share(1, 15 / 18, shapes=0), "non_divisible_size")},
    # raises on the sizes that do not divide; the backward can't be run there
    "c3_assert": {"conv_forward": (forward_share(4 / 5), "non_divisible_size"),
                  "conv_backward": (backward_share(1, 15 / 18, shapes=0), "non_divisible_size")},
    # raises wherever pad > 0 (3 of 5 forward cases; the large one has no padding)
    "c3_pad_all": {"conv_forward": (forward_share(2 / 5), "raised"),
                   "conv_backward": (backward_share(1, 9 / 18, shapes=0), "raised")},
    "c3_zeros": {"conv_backward": (BY_HAND_ONLY, "all_zeros")},
    "c3_flipped": {"conv_backward": (backward_share(2 / 3, 12 / 18), "wrong_values")},
    # dw right on the batches of one only
    "c3_dw_last": {"conv_backward": (backward_share(2 / 3, 14 / 18), "wrong_values")},
    "c3_numerical": {"conv_backward": (BY_HAND_ONLY, "not_derived")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED)


def test_shape_classes_are_what_their_names_say():
    assert_shape_classes(conv.CASES, lambda a, k: a[1].shape[2:])
    made = {c.name: c.make(np.random.default_rng(0))[1] for c in conv.CASES}
    assert {(k["pad"], k["stride"]) for k in made.values()} >= {(2, 3), (1, 2), (0, 1)}
