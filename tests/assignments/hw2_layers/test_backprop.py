"""backprop, what proves the grader's checks: submissions written the way students write them,
each with its exact score and diagnosis (graded in the assignment's class, support.py); the
checks on the reference with realistic bugs swapped in."""

from support import corpus_test, reference_tests

from autograder.round.samples import Sample

A = "hw2_layers"

BACKPROP_OTHER_WAY = '''def backprop(layers, x, y, loss_fn):
    caches = []
    h = x
    for forward, _, params in layers:
        h, cache = forward(h, *params)
        caches.append(cache)
    loss, d = loss_fn(h, y)
    grads = []
    for (_, backward, params), cache in zip(reversed(layers), reversed(caches)):
        if params:
            d, *dparams = backward(d, cache)
            grads.insert(0, tuple(dparams))
        else:
            d = backward(d, cache)
            grads.insert(0, ())
    return loss, grads
'''


BACKPROP_GRADS_REVERSED = '''def backprop(layers, x, y, loss_fn):
    caches = []
    out = x
    for forward, backward, params in layers:
        out, cache = forward(out, *params)
        caches.append(cache)
    loss, dout = loss_fn(out, y)
    grads = []
    for i in range(len(layers) - 1, -1, -1):
        backward, params = layers[i][1], layers[i][2]
        if len(params) == 0:
            dout = backward(dout, caches[i])
            grads.append(())
        else:
            dout, *dparams = backward(dout, caches[i])
            grads.append(tuple(dparams))
    return loss, grads
'''


BACKPROP_WALKS_FORWARD = '''def backprop(layers, x, y, loss_fn):
    caches = []
    out = x
    for forward, backward, params in layers:
        out, cache = forward(out, *params)
        caches.append(cache)
    loss, dout = loss_fn(out, y)
    grads = [()] * len(layers)
    for i in range(len(layers)):
        backward, params = layers[i][1], layers[i][2]
        if params:
            dout, *dparams = backward(dout, caches[i])
            grads[i] = tuple(dparams)
        else:
            dout = backward(dout, caches[i])
    return loss, grads
'''


BACKPROP_KEEPS_DOUT = '''def backprop(layers, x, y, loss_fn):
    caches = []
    out = x
    for forward, backward, params in layers:
        out, cache = forward(out, *params)
        caches.append(cache)
    loss, dout = loss_fn(out, y)
    grads = [()] * len(layers)
    for i in reversed(range(len(layers))):
        backward, params = layers[i][1], layers[i][2]
        if params:
            dx, *dparams = backward(dout, caches[i])
            grads[i] = tuple(dparams)
        else:
            dout = backward(dout, caches[i])
    return loss, grads
'''


CORPUS = [
    Sample("b_other_way", "backprop with zip(reversed(...)) and insert(0, ...)",
           answers={"backprop": BACKPROP_OTHER_WAY}),
    Sample("b_reversed", "backprop appends grads walking backwards, never reverses "
           "them", answers={"backprop": BACKPROP_GRADS_REVERSED}),
    Sample("b_walks_forward", "backprop's backward loop walks the layers in forward "
           "order", answers={"backprop": BACKPROP_WALKS_FORWARD}),
    Sample("b_keeps_dout", "backprop does not pass dx on from layers with params",
           answers={"backprop": BACKPROP_KEEPS_DOUT}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    "b_other_way": {},
    # backprop: 3 (loss), 4 (grads), 1 (one tuple per layer), 1 (args)
    "b_reversed": {"backprop": ((3 + 0 + 0 + 1) / 9, "reversed_order")},
    # runs on the network whose layers all keep the width (a batch of one), fails on the others
    "b_walks_forward": {"backprop": ((3 / 3 + 0 + 1 / 3 + 1) / 9, "raised")},
    # the last layer with params is right in every network: 5 of the 9 gradients
    "b_keeps_dout": {"backprop": ((3 + 4 * 5 / 9 + 1 + 1) / 9, "upstream_not_passed")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED, also=False)


# ---------------------------------------- the checks on the reference, with realistic bugs

NAMES = ["backprop"]


# (graded name, [(old, new), ...], the diagnosis kind expected among the failed checks)
BUGS = {
    "backprop reverses grads": (
        "backprop", [("grads = [()] * len(layers)", "grads = []"),
                     ("grads[i] = tuple(dparams)", "grads.append(tuple(dparams))"),
                     ("dout = backward(dout, caches[i])",
                      "dout = backward(dout, caches[i])\n            grads.append(())")],
        "reversed_order"),
    "backprop does not pass dout on": (
        "backprop", [("dout, *dparams = backward(dout, caches[i])",
                      "_, *dparams = backward(dout, caches[i])")], "upstream_not_passed"),
    "backprop keeps dx among the grads": (
        "backprop", [("grads[i] = tuple(dparams)", "grads[i] = (dout, *dparams)")],
        "includes_dx"),
    "backprop puts None for a layer without params": (
        "backprop", [("grads = [()] * len(layers)", "grads = [None] * len(layers)")],
        "paramless_entry"),
}


(test_the_reference_earns_full_marks_whatever_the_seed,
 test_bug_costs_marks_with_its_diagnosis_whatever_the_seed,
 test_every_function_has_a_bug) = reference_tests(NAMES, BUGS)
