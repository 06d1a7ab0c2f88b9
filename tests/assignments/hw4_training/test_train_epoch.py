"""train_epoch (hw4): the tests of the grader's checks.

Epochs written the way students write them, correct ones in other formulations and realistic
bugs, each with the exact score (a fraction of the function's points) and the diagnosis it must
get, graded once in the class of the assignment (the ``graded`` fixture, see support.py); the
seed-invariance test grades them again under many student ids. The checks run on the reference
in one student process, with realistic bugs swapped in (``reference_student``). The probe
``grad_fn`` the judge hands to ``train_epoch`` is itself checked here against autograd and
finite differences.
"""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from support import (
    corpus_test,
    reference_tests,
)

from autograder.round.samples import Sample
from autograder.sandbox.probes import least_squares_grad

A = "hw4_training"

SLICED_RANGE = '''def train_epoch(params, x, y, grad_fn, lr, batch_size, rng):
    n = len(x)
    order = rng.permutation(n)
    x_shuffled, y_shuffled = x[order], y[order]
    losses = []
    for start in range(0, n, batch_size):
        xb = x_shuffled[start:start + batch_size]
        yb = y_shuffled[start:start + batch_size]
        loss, grads = grad_fn(params, xb, yb)
        new_params = []
        for p, g in zip(params, grads):
            new_params.append(p - lr * g)
        params = new_params
        losses.append(float(loss))
    return params, losses
'''
WHILE_LOOP = '''def train_epoch(params, x, y, grad_fn, lr, batch_size, rng):
    idx = np.arange(x.shape[0])
    rng.shuffle(idx)  # the same draw as rng.permutation(N)
    losses, start = [], 0
    current = list(params)
    while start < len(idx):
        batch = idx[start:start + batch_size]
        loss, grads = grad_fn(current, x[batch], y[batch])
        current = [p.copy() for p in current]
        for i in range(len(current)):
            current[i] -= lr * grads[i]   # on my own copies
        losses.append(loss.item() if hasattr(loss, "item") else float(loss))
        start += batch_size
    return current, losses
'''
COMPREHENSION = '''def train_epoch(params, x, y, grad_fn, lr, batch_size, rng):
    n = x.shape[0]
    perm = rng.permutation(n)
    n_batches = -(-n // batch_size)  # rounded up: the last batch may be shorter
    current, losses = list(params), []
    for k in range(n_batches):
        idx = perm[k * batch_size:(k + 1) * batch_size]
        batch_loss, batch_grads = grad_fn(current, x[idx], y[idx])
        losses.append(float(batch_loss))
        current = [current[j] - lr * batch_grads[j] for j in range(len(current))]
    return current, losses
'''
NO_SHUFFLE = '''def train_epoch(params, x, y, grad_fn, lr, batch_size, rng):
    losses = []
    for start in range(0, len(x), batch_size):
        loss, grads = grad_fn(params, x[start:start + batch_size], y[start:start + batch_size])
        params = [p - lr * g for p, g in zip(params, grads)]
        losses.append(float(loss))
    return params, losses
'''
PERMUTATION_PER_BATCH = '''def train_epoch(params, x, y, grad_fn, lr, batch_size, rng):
    n = x.shape[0]
    losses = []
    for start in range(0, n, batch_size):
        batch = rng.permutation(n)[start:start + batch_size]
        loss, grads = grad_fn(params, x[batch], y[batch])
        params = [p - lr * g for p, g in zip(params, grads)]
        losses.append(float(loss))
    return params, losses
'''
SHUFFLED_APART = '''def train_epoch(params, x, y, grad_fn, lr, batch_size, rng):
    xs, ys = rng.permutation(x), rng.permutation(y)
    losses = []
    for start in range(0, len(xs), batch_size):
        loss, grads = grad_fn(params, xs[start:start + batch_size], ys[start:start + batch_size])
        params = [p - lr * g for p, g in zip(params, grads)]
        losses.append(float(loss))
    return params, losses
'''
LAST_BATCH_DROPPED = '''def train_epoch(params, x, y, grad_fn, lr, batch_size, rng):
    order = rng.permutation(x.shape[0])
    losses = []
    for k in range(len(order) // batch_size):
        batch = order[k * batch_size:(k + 1) * batch_size]
        loss, grads = grad_fn(params, x[batch], y[batch])
        params = [p - lr * g for p, g in zip(params, grads)]
        losses.append(float(loss))
    return params, losses
'''
STEP_UPHILL = '''def train_epoch(params, x, y, grad_fn, lr, batch_size, rng):
    order = rng.permutation(x.shape[0])
    losses = []
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        loss, grads = grad_fn(params, x[batch], y[batch])
        params = [p + lr * g for p, g in zip(params, grads)]
        losses.append(float(loss))
    return params, losses
'''
LR_TWICE = '''def train_epoch(params, x, y, grad_fn, lr, batch_size, rng):
    order = rng.permutation(x.shape[0])
    losses = []
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        loss, grads = grad_fn(params, x[batch], y[batch])
        steps = [lr * g for g in grads]
        params = [p - lr * s for p, s in zip(params, steps)]
        losses.append(float(loss))
    return params, losses
'''
IN_PLACE = '''def train_epoch(params, x, y, grad_fn, lr, batch_size, rng):
    order = rng.permutation(x.shape[0])
    losses = []
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        loss, grads = grad_fn(params, x[batch], y[batch])
        for p, g in zip(params, grads):
            p -= lr * g
        losses.append(float(loss))
    return params, losses
'''
LOSSES_AVERAGED = '''def train_epoch(params, x, y, grad_fn, lr, batch_size, rng):
    order = rng.permutation(x.shape[0])
    total = 0.0
    n_batches = 0
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        loss, grads = grad_fn(params, x[batch], y[batch])
        params = [p - lr * g for p, g in zip(params, grads)]
        total += float(loss)
        n_batches += 1
    return params, total / n_batches
'''
FIRST_PARAMS_REUSED = '''def train_epoch(params, x, y, grad_fn, lr, batch_size, rng):
    order = rng.permutation(x.shape[0])
    losses = []
    new_params = params
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        loss, grads = grad_fn(params, x[batch], y[batch])
        new_params = [p - lr * g for p, g in zip(params, grads)]
        losses.append(float(loss))
    return new_params, losses
'''
LOSSES_AS_RETURNED = '''def train_epoch(params, x, y, grad_fn, lr, batch_size, rng):
    order = rng.permutation(x.shape[0])
    losses = []
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        loss, grads = grad_fn(params, x[batch], y[batch])
        params = [p - lr * g for p, g in zip(params, grads)]
        losses.append(loss)
    return params, losses
'''


CORPUS = [
    Sample("e_sliced_range", "correct: shuffled copies of x and y, sliced with range",
           answers={"train_epoch": SLICED_RANGE}),
    Sample("e_while_loop", "correct: rng.shuffle of indices, a while loop, in-place "
           "updates on its own copies", answers={"train_epoch": WHILE_LOOP}),
    Sample("e_comprehension", "correct: a count of batches rounded up, comprehension "
           "update by index",
           answers={"train_epoch": COMPREHENSION}),
    Sample("e_no_shuffle", "batches in the order of the data",
           answers={"train_epoch": NO_SHUFFLE}),
    Sample("e_perm_per_batch", "a new permutation for every batch",
           answers={"train_epoch": PERMUTATION_PER_BATCH}),
    Sample("e_shuffled_apart", "x and y shuffled by two draws",
           answers={"train_epoch": SHUFFLED_APART}),
    Sample("e_drop_last", "the last, shorter batch dropped",
           answers={"train_epoch": LAST_BATCH_DROPPED}),
    Sample("e_uphill", "params move along the gradient", answers={"train_epoch": STEP_UPHILL}),
    Sample("e_lr_twice", "the step is lr * lr * g", answers={"train_epoch": LR_TWICE}),
    Sample("e_in_place", "p -= lr * g on the arrays passed in",
           answers={"train_epoch": IN_PLACE}),
    Sample("e_averaged", "returns the mean loss, not the list",
           answers={"train_epoch": LOSSES_AVERAGED}),
    Sample("e_first_params", "every batch steps from the params passed in",
           answers={"train_epoch": FIRST_PARAMS_REUSED}),
    Sample("e_losses_as_returned", "losses appended as grad_fn returned them (0-d arrays)",
           answers={"train_epoch": LOSSES_AS_RETURNED}),
]


# Weights (weights.TABLE): 4 (params after one epoch), 3 (batch losses), 1 (losses are
# floats: pays only with some right numbers), 1 (arguments left unchanged). The hidden cases:
# N a multiple of batch_size, a shorter last batch (two params, one param), batch_size >= N.
EXPECTED = {
    "e_sliced_range": {},
    "e_while_loop": {},
    "e_comprehension": {},
    # the order of a single batch changes nothing: right on batch_size >= N only
    "e_no_shuffle": {"train_epoch": ((4 / 4 + 3 / 4 + 1 + 1) / 9, "no_shuffle")},
    "e_perm_per_batch": {"train_epoch": ((4 / 4 + 3 / 4 + 1 + 1) / 9,
                                         "permutation_per_batch")},
    # pairs inputs with the wrong targets everywhere, the single batch included
    "e_shuffled_apart": {"train_epoch": (0.0, "x_y_shuffled_apart")},
    # right when batch_size divides N; no batch at all when batch_size >= N
    "e_drop_last": {"train_epoch": ((4 / 4 + 3 / 4 + 1 + 1) / 9, "last_batch_dropped")},
    # the losses of the first batch are right; one batch: every loss right, params wrong
    "e_uphill": {"train_epoch": ((0 + 3 / 4 + 1 + 1) / 9, "gradient_sign")},
    "e_lr_twice": {"train_epoch": ((0 + 3 / 4 + 1 + 1) / 9, "lr_twice")},
    "e_in_place": {"train_epoch": ((4 + 3 + 1 + 0) / 9, "input_mutated")},
    # params right, losses one number (not floats in a list either)
    "e_averaged": {"train_epoch": ((4 + 0 + 0 + 1) / 9, "losses_averaged")},
    "e_first_params": {"train_epoch": ((4 / 4 + 3 / 4 + 1 + 1) / 9, "first_params_reused")},
    "e_losses_as_returned": {"train_epoch": ((4 + 3 + 0 + 1) / 9, "losses_not_floats")},
}


def test_the_corpus_has_bugs_and_other_ways_and_every_one_has_its_expectation():
    students = [s.student for s in CORPUS]
    assert len(students) == len(set(students)) and set(students) == set(EXPECTED)
    assert sum(not e for e in EXPECTED.values()) >= 3
    assert sum(bool(e) for e in EXPECTED.values()) >= 6


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED, also=False)


@pytest.mark.parametrize("n_params", [1, 2])
def test_the_probe_grad_fn_matches_autograd_and_finite_differences(n_params):
    rng = np.random.default_rng(n_params)
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    params = [rng.standard_normal((3, 2)), rng.standard_normal(2)][:n_params]

    def loss(*ps):
        residual = anp.dot(x, ps[0]) - y + (ps[1] if len(ps) > 1 else 0.0)
        return 0.5 * anp.sum(residual ** 2) / x.shape[0]

    value, grads = least_squares_grad(params, x, y)
    assert float(value) == pytest.approx(loss(*params), rel=1e-12)
    for k, g in enumerate(grads):
        assert np.allclose(g, grad(loss, k)(*params), rtol=1e-12, atol=1e-14)
        direction = rng.standard_normal(params[k].shape)

        def moved(step, k=k, direction=direction):
            return loss(*[p + step * direction if i == k else p for i, p in enumerate(params)])
        numeric = (moved(1e-6) - moved(-1e-6)) / 2e-6  # central differences along a direction
        assert np.sum(g * direction) == pytest.approx(numeric, rel=1e-6)
    assert len(grads) == n_params and np.ndim(value) == 0 and not isinstance(value, float)


# ---------------------------------------- the checks on the reference, with realistic bugs

NAMES = ["train_epoch"]


# (graded name, [(old, new), ...], the diagnosis kind expected among the failed checks)
BUGS = {
    "train_epoch without shuffling": (
        "train_epoch", [("order = rng.permutation(x.shape[0])", "order = np.arange(x.shape[0])")],
        "no_shuffle"),
    "train_epoch drops the last batch": (
        "train_epoch", [("range(0, len(order), batch_size)",
                         "range(0, len(order) - batch_size + 1, batch_size)")],
        "last_batch_dropped"),
}


(test_the_reference_earns_full_marks_whatever_the_seed,
 test_bug_costs_marks_with_its_diagnosis_whatever_the_seed,
 test_every_function_has_a_bug) = reference_tests(NAMES, BUGS)
