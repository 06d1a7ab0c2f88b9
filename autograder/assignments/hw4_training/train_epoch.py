"""train_epoch (hw4): everything the grader knows about it.

``train_epoch`` is handed a grader probe as its ``grad_fn`` (the least-squares gradient of a
linear model, ``probes.least_squares_grad``) and a generator made from a hidden seed; the judge
runs the reference epoch with the same probe and seed and compares the final params and the
batch losses, on hidden cases where batch_size divides N or not or is at least N, with one param
or two. A wrong epoch is named by computing what each usual slip gives on the same case (the
data's own order, a permutation per batch, x and y shuffled apart, another draw, the last batch
dropped, a step that climbs, ignores lr or applies it twice, gradients taken at the first
params), or else by the first batch's loss: right, the step is wrong; wrong, the order is.
"""
import numpy as np

import solutions

from ...judging import in_notebook
from ...judging.compare import Slip, all_close, compare_list
from ...judging.described import count_against
from ...judging.diagnose import Diagnosis, diagnose
from ...judging.grades import CheckSpec
from ...judging.judge import REF_RTOL, StudentError, as_float_array, failure, pair_of
from ...judging.kinds import Kind, declare
from ...judging.recipes import seed_of
from ...judging.tally import Arguments, Tally
from ...sandbox import probes
from ...sandbox.probes import Probe, Rng

EPOCH = "train_epoch"
GRAD_FN = "least_squares_grad"

PARAMS = CheckSpec("params after one epoch on hidden data", "value", 4)
LOSSES = CheckSpec("batch losses on hidden data", "value", 3)
FLOATS = CheckSpec("losses are floats", "behaviour", 1)
KINDS = declare(
    Kind("no_shuffle", "batches in the data's own order"),
    Kind("permutation_per_batch", "a new permutation drawn for every batch"),
    Kind("x_y_shuffled_apart", "x and y shuffled by two different draws"),
    Kind("other_draw", "an order drawn by another call than rng.permutation(N)"),
    Kind("last_batch_dropped", "the last, shorter batch left out"),
    Kind("lr_twice", "a step of lr * lr times the gradient"),
    Kind("first_params_reused", "every batch's gradient (or step) taken at the first params"),
    Kind("losses_averaged", "one number, the mean of the batch losses, for the list"),
    Kind("losses_summed", "one number, the sum of the batch losses, for the list"),
    Kind("last_loss_only", "one number, the last batch loss, for the list"),
    Kind("wrong_batch_count", "as many losses as batches there are not"),
    Kind("batch_order", "already the first batch's loss differs: the order is wrong"),
    Kind("losses_not_floats", "losses that are not Python floats"),
)
# case: (N, batch_size, number of params (1: [w], 2: [w, b]), lr); D = 3 inputs, K = 2 outputs
EPOCH_CASES = {"N a multiple of batch_size, two params": (12, 4, 2, 0.1),
               "a shorter last batch, two params": (13, 5, 2, 0.05),
               "a shorter last batch, one param": (10, 3, 1, 0.2),
               "batch_size >= N, one param": (6, 8, 1, 0.3)}


def epoch_inputs(judge, case):
    """(params, x, y, lr, batch_size, seed) of a hidden case."""
    n, batch_size, n_params, lr = EPOCH_CASES[case]
    index = list(EPOCH_CASES).index(case)
    rng = judge.rng([103, index])
    params = [rng.standard_normal((3, 2)), rng.standard_normal(2)][:n_params]
    x, y = rng.standard_normal((n, 3)), rng.standard_normal((n, 2))
    return params, x, y, lr, batch_size, seed_of(judge, 103, index)


def sgd_over(params, x, y, batches, step, stale=None):
    """(params, losses) of SGD with the probe's gradient over ``batches`` ((rows of x, rows of
    y) pairs), each param moved by ``step(p, g)``. The reference and its slips, computed in the
    judge: ``stale="grads"`` takes every gradient at the params passed in, ``stale="steps"``
    also starts every step from them."""
    grad_fn = probes.PROBES[GRAD_FN]
    current, losses = params, []
    for rows_x, rows_y in batches:
        loss, grads = grad_fn(params if stale else current, x[rows_x], y[rows_y])
        start = params if stale == "steps" else current
        current = [step(p, g) for p, g in zip(start, grads, strict=False)]
        losses.append(float(loss))
    return current, losses


def slices(order, batch_size, full_only=False):
    """``order`` cut into batches of ``batch_size`` (the last shorter, or left out)."""
    stop = len(order) - len(order) % batch_size if full_only else len(order)
    return [order[i:i + batch_size] for i in range(0, stop, batch_size)]


EPOCH_SLIPS = {  # label (kind, or kind/variant): the slip, as the student reads it
    "no_shuffle": Slip(
        "no_shuffle", "your batches follow the order of the data (0, 1, 2, ...): the epoch must "
        "visit the examples in the order of rng.permutation(N), drawn at its start."),
    "permutation_per_batch": Slip(
        "permutation_per_batch", "your batches come from a new permutation drawn for every batch, "
        "so some examples are visited twice and others never. Draw one permutation per epoch and "
        "slice it."),
    "x_y_shuffled_apart": Slip(
        "x_y_shuffled_apart", "x and y are shuffled by two different draws, so each batch pairs "
        "inputs with the labels of other examples. Index x and y with the same order."),
    "other_draw": Slip(
        "other_draw", "your order is drawn with another call of the generator than "
        "rng.permutation(N). Every draw gives another order: the contract fixes this one, so that "
        "a run is reproducible."),
    "last_batch_dropped": Slip(
        "last_batch_dropped", "the last, shorter batch is missing: when batch_size does not divide "
        "N, the epoch ends with a batch of the examples left over."),
    "gradient_sign": Slip(
        "gradient_sign", "your params move along the gradient instead of against it."),
    "ignores_lr": Slip(
        "ignores_lr", "your params move by the whole gradient; the step is lr times the gradient."),
    "lr_twice": Slip(
        "lr_twice", "your step is lr * lr times the gradient: is lr applied twice (once here and "
        "once in a helper)?"),
    "first_params_reused/grads": Slip(
        "first_params_reused", "every batch's gradient is taken at the params the epoch "
        "started from. Each batch must see the params the previous batch's step left."),
    "first_params_reused/steps": Slip(
        "first_params_reused", "every step starts from the params passed in, so the epoch "
        "ends one step away from them. Each batch takes its gradient at, and moves, the params the "
        "previous batch's step left."),
}


def epoch_slips(params, x, y, lr, batch_size, seed):
    """[Slip whose value is (params, losses)]: what each usual slip gives on this case, drawing
    from generators made from the case's seed as the student's code does."""
    n = x.shape[0]

    def draws(count):  # the first ``count`` permutations of a generator made from the seed
        rng = np.random.default_rng(seed)
        return [rng.permutation(n) for _ in range(count)]

    def same_rows(orders):
        return [(rows, rows) for rows in orders]

    def sgd(p, g):
        return p - lr * g

    [order], (order_x, order_y) = draws(1), draws(2)
    right = same_rows(slices(order, batch_size))
    starts = range(0, n, batch_size)
    visits = {  # label: the batches the slip visits, with right steps
        "no_shuffle": same_rows(slices(np.arange(n), batch_size)),
        "permutation_per_batch": same_rows([perm[i:i + batch_size] for perm, i in
                                            zip(draws(len(starts)), starts, strict=False)]),
        "x_y_shuffled_apart": list(zip(slices(order_x, batch_size), slices(order_y, batch_size),
                                       strict=False)),
        "other_draw": same_rows(slices(np.random.default_rng(seed).choice(n, n, replace=False),
                                       batch_size)),
        "last_batch_dropped": same_rows(slices(order, batch_size, full_only=True)),
    }
    steps = {"gradient_sign": lambda p, g: p + lr * g, "ignores_lr": lambda p, g: p - g,
             "lr_twice": lambda p, g: p - lr * lr * g}  # label: the slip's step, right batches
    outcomes = [(label, sgd_over(params, x, y, batches, sgd)) for label, batches in visits.items()]
    outcomes += [(label, sgd_over(params, x, y, right, step)) for label, step in steps.items()]
    outcomes += [(f"first_params_reused/{stale}", sgd_over(params, x, y, right, sgd, stale=stale))
                 for stale in ("grads", "steps")]
    return [Slip(EPOCH_SLIPS[label].kind, f"{EPOCH}: {EPOCH_SLIPS[label].message}", outcome)
            for label, outcome in outcomes]


def reduced_losses(losses, expected):
    """A Diagnosis when ``losses`` is one number summarizing the batch losses, or None."""
    value = as_float_array(losses)
    if value is None or value.size != 1 or isinstance(losses, (list, tuple)):
        return None
    value = float(value.reshape(()))
    for slip in (Slip("losses_averaged", "their mean", np.mean(expected)),
                 Slip("losses_summed", "their sum", np.sum(expected)),
                 Slip("last_loss_only", "the last of them", expected[-1])):
        if np.isclose(value, slip.value, rtol=1e-7, atol=0):
            return Diagnosis(slip.kind, f"{EPOCH}: losses is one number, {slip.message}; the "
                             "contract asks for the list of every batch's loss, in order.")
    return Diagnosis("wrong_structure", f"{EPOCH}: losses is one number; the contract asks for "
                     "the list of every batch's loss, in order.")


def epoch_call(judge, params, x, y, lr, batch_size, seed):
    """((new_params, losses), args as left or None, Diagnosis or None)."""
    outcome = judge.call(EPOCH, params, x, y, Probe(GRAD_FN), lr, batch_size, Rng(seed),
                         echo_args=True)
    if isinstance(outcome, StudentError):
        return None, None, failure(outcome, EPOCH, "(new_params, losses)")
    result, after = outcome
    result, problem = pair_of(result, EPOCH, "(new_params, losses)")
    return result, after, problem


def losses_verdict(losses, expected, case):
    """(Diagnosis, as a float array or None) of the student's losses against ``expected``."""
    named = reduced_losses(losses, expected)
    if named is not None:
        return named, None
    got = as_float_array(losses) if isinstance(losses, (list, tuple)) else None
    if got is None or got.ndim != 1:
        return Diagnosis("wrong_structure", f"{EPOCH}: losses must be a list of numbers, one "
                         "per batch."), None
    if len(got) != len(expected):
        return Diagnosis("wrong_batch_count", f"{EPOCH} ({case}): "
                         f"{count_against(len(got), len(expected), 'loss', 'losses')} (one "
                         "per batch); the epoch has one batch per batch_size "
                         "examples of the permutation, the last one possibly shorter."), got
    return diagnose(got, np.array(expected), function=EPOCH, check=f"reference ({case})",
                    what="losses", rtol=REF_RTOL), got


def epoch_slip(result, slips, expected, expected_losses):
    """The named slip whose params and losses the student's result matches, or None. A slip
    that gives the right params and losses on this case names nothing."""
    new_params, losses = result
    expected_losses = [np.asarray(v) for v in expected_losses]
    for slip in slips:
        slip_params, slip_losses = slip.value
        slip_losses = [np.asarray(v) for v in slip_losses]
        if all_close(slip_params, expected) and all_close(slip_losses, expected_losses):
            continue
        if all_close(losses, slip_losses) and all_close(new_params, slip_params):
            return Diagnosis(slip.kind, slip.message)
    return None


def order_or_step(losses, expected, case):
    """When no named slip matches: which half of the epoch the losses point at, or None."""
    got = as_float_array(losses) if isinstance(losses, (list, tuple)) else None
    if got is None or got.ndim != 1 or len(got) != len(expected) or len(got) < 2:
        return None
    if np.isclose(got[0], expected[0], rtol=1e-7):
        return Diagnosis("wrong_step", f"{EPOCH} ({case}): the first batch's loss is right "
                         "but the params after the epoch are not: look at the update, every "
                         "param p becoming p - lr * g, with the grads of each batch.")
    return Diagnosis("batch_order", f"{EPOCH} ({case}): already the first batch's loss differs, "
                     "so the first batch is not order[0:batch_size] of order = "
                     "rng.permutation(N), drawn once at the start of the epoch.")


def check_train_epoch(judge):
    params_right, losses_right, floats = Tally(), Tally(), Tally()
    arguments = Arguments(EPOCH)
    for case in EPOCH_CASES:
        params, x, y, lr, batch_size, seed = epoch_inputs(judge, case)
        expected, expected_losses = solutions.train_epoch(
            [p.copy() for p in params], x.copy(), y.copy(), probes.PROBES[GRAD_FN], lr,
            batch_size, np.random.default_rng(seed))
        result, after, problem = epoch_call(judge, params, x, y, lr, batch_size, seed)
        if after is not None:
            arguments.saw([params, x, y], after[:3], ["params", "x", "y"])
        if problem is not None:
            for tally in (params_right, losses_right, floats):
                tally.add(problem)
            continue
        new_params, losses = result
        loss_problem, _ = losses_verdict(losses, expected_losses, case)
        wrong = Tally()
        params_ok = compare_list(new_params, expected, wrong, EPOCH, f"reference ({case})",
                                 "new_params", rtol=REF_RTOL) == len(expected)
        params_right.count(params_ok, 1)
        losses_right.count(loss_problem.ok, 1)
        if not (params_ok and loss_problem.ok):
            named = epoch_slip(result, epoch_slips(params, x, y, lr, batch_size, seed),
                               expected, expected_losses)
            if named is None and not params_ok:
                named = order_or_step(losses, expected_losses, case)
            if named is not None:
                params_right.note(None if params_ok else named)
                losses_right.note(None if loss_problem.ok else named)
            else:
                params_right.extend(wrong)
                losses_right.note(loss_problem)
        if isinstance(losses, (list, tuple)):
            floats.add(None if all(isinstance(v, float) for v in losses) else
                       Diagnosis("losses_not_floats", f"{EPOCH}: some losses are not Python "
                                 "floats (a NumPy array, say); turn each into a float with "
                                 "float(loss)."))
        else:
            floats.add(loss_problem)
    return [params_right.check(PARAMS), losses_right.check(LOSSES),
            floats.check(FLOATS, ok="every loss is a float."),
            arguments.check(params_right.first())]


CHECKS = {EPOCH: check_train_epoch}
NOTEBOOK_CHECKS = in_notebook.same_as_reference(
    EPOCH, lambda f, given, seed: f(given.params, given.x, given.y, probes.least_squares_grad,
                                    0.1, 3, np.random.default_rng(seed)))
