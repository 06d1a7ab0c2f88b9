"""backprop (hw2): everything the grader knows about it. The loop, on layers that are not
graded functions.

The hidden networks are built from the grader's probe layers (sandbox/probes.py: a halved
linear map, a doubled shift, a halved linear map with a bias, softsign without params) and its
quartic loss, sent into the student's process by name, so that a mistake in a student's
graded layer can't cost ``backprop`` anything, and none of them is a graded function a
student could borrow (the child holds no answer). The judge computes what the loop must return by
running the reference ``backprop`` on the very same probe functions in its own process.

Checks: the loss; every gradient (a reversed list, and an upstream gradient not passed on,
are named); the structure of ``grads`` (one tuple per layer, empty for a layer without params,
no dx inside); the arguments (params, x, y) left unchanged.
"""
import numpy as np

import solutions

from ...judging.described import count_against, count_of, value_kind
from ...judging.diagnose import Diagnosis, diagnose
from ...judging.finite_differences import every_coordinate
from ...judging.grades import CheckSpec
from ...judging.in_notebook import RTOL, rel_error
from ...judging.judge import REF_RTOL, StudentError, as_float_array, failure, shape_of
from ...judging.kinds import Kind, declare
from ...judging.tally import Arguments, Tally, first_mutation
from ...sandbox import probes
from ...sandbox.probes import Probe

NAME = "backprop"
LOSS = "quartic_loss"
LINEAR, SHIFT, AFFINE, SOFTSIGN = "half_linear", "double_shift", "half_linear_bias", "softsign"
WITH_PARAMLESS = "a layer without params in the middle"
TWO_PARAMS = "layers with two params"
BATCH_OF_ONE = "a batch of one, first layer without params"
CASES = (WITH_PARAMLESS, TWO_PARAMS, BATCH_OF_ONE)

LOSS_VALUES = CheckSpec("loss on hidden networks", "value", 3)
GRADIENTS = CheckSpec("gradients on hidden networks", "gradient", 4)
STRUCTURE = CheckSpec("grads has one tuple per layer", "structure", 1)
KINDS = declare(
    Kind("paramless_entry", "None where a layer without params needs an empty tuple"),
    Kind("includes_dx", "dx kept among a layer's gradients"),
    Kind("upstream_not_passed", "the last layer's gradients right, an earlier layer's not: "
         "dx is not passed on as the upstream gradient of the layer before"),
)


def network(judge, case):
    """(layers as (stem, params) pairs, x, y) of a hidden network. Every layer but a first one
    with params has the width of the scores, so a loop that does not pass the upstream
    gradient on still runs (and is diagnosed) instead of failing on shapes."""
    rng = judge.rng([41, CASES.index(case)])
    if case == WITH_PARAMLESS:
        n, d, m = 5, 4, 3
        layers = [(LINEAR, (rng.standard_normal((d, m)) / 2,)), (SHIFT, (rng.standard_normal(m),)),
                  (SOFTSIGN, ()), (LINEAR, (rng.standard_normal((m, m)),))]
    elif case == TWO_PARAMS:
        n, d, m = 4, 3, 5
        layers = [(AFFINE, (rng.standard_normal((d, m)) / 2, rng.standard_normal(m))),
                  (SOFTSIGN, ()),
                  (AFFINE, (rng.standard_normal((m, m)) / 2, rng.standard_normal(m)))]
    else:
        n, d, m = 1, 3, 3
        layers = [(SOFTSIGN, ()), (LINEAR, (rng.standard_normal((d, m)),)),
                  (SHIFT, (rng.standard_normal(m),))]
    x = rng.standard_normal((n, d))
    return layers, x, targets(layers, x, rng)


def targets(layers, x, rng):
    """y (N, M) a residual of magnitude 0.7 to 1.3 away from the network's scores at every
    entry. The quartic loss's gradient is the residual cubed: with targets drawn at random, one
    entry can outweigh the others a thousandfold, and a wrong gradient then passes for a
    multiple of the right one (a rank-one weight gradient of a batch of one, most of all)."""
    scores = x
    for stem, params in layers:
        scores, _ = probes.PROBES[f"{stem}_forward"](scores, *params)
    residual = rng.uniform(0.7, 1.3, scores.shape) * rng.choice([-1.0, 1.0], scores.shape)
    return scores - residual


def expected(layers, x, y):
    """The reference loop on the real probe functions, in the judge's process."""
    real = [(probes.PROBES[f"{stem}_forward"], probes.PROBES[f"{stem}_backward"],
             tuple(p.copy() for p in params)) for stem, params in layers]
    return solutions.backprop(real, x.copy(), y.copy(), probes.PROBES[LOSS])


def wire_layers(layers):
    return [(Probe(f"{stem}_forward"), Probe(f"{stem}_backward"), params)
            for stem, params in layers]


def structure(result, layers):
    """(grads as a list of tuples, None) or (None, Diagnosis of what is wrong with them)."""
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        return None, Diagnosis("wrong_structure", f"{NAME} must return a pair (loss, grads).")
    grads = result[1]
    if not isinstance(grads, (tuple, list)):
        return None, Diagnosis("wrong_structure", f"{NAME}: grads must be a list with one tuple "
                               f"per layer; it is {value_kind(grads)}.")
    if len(grads) != len(layers):
        return None, Diagnosis("wrong_count", f"{NAME}: grads has "
                               f"{count_against(len(grads), len(layers), 'entry', 'entries')} "
                               f"(a network of {len(layers)} layers): it needs one per layer, an "
                               "empty tuple for a layer without params.")
    for i, (entry, (_, params)) in enumerate(zip(grads, layers, strict=False)):
        if not params and entry is None:
            return None, Diagnosis("paramless_entry", f"{NAME}: grads[{i}] is None for a layer "
                                   "without params; the contract asks for an empty tuple there.")
        if not isinstance(entry, (tuple, list)):
            hint = (" A layer without params has an empty tuple there, and dx is not one of the "
                    "gradients kept." if not params else
                    " Keep the gradients of its params in a tuple, even when there is only one.")
            return None, Diagnosis("wrong_structure", f"{NAME}: grads[{i}] is not a tuple of "
                                   f"gradients but {value_kind(entry)}.{hint}")
        if len(entry) == len(params) + 1:
            return None, Diagnosis("includes_dx", f"{NAME}: grads[{i}] holds "
                                   f"{count_of(len(entry), 'array')} for a layer with "
                                   f"{len(params)} param(s). Keep only "
                                   "the gradients of the params: dx goes on to the layer "
                                   "before, it is not a gradient of this layer.")
        if len(entry) != len(params):
            return None, Diagnosis("wrong_count", f"{NAME}: grads[{i}] holds "
                                   f"{count_against(len(entry), len(params), 'array')} for a "
                                   f"layer with {len(params)} param(s): one "
                                   "gradient per param, in the order of the params.")
    return [tuple(entry) for entry in grads], None


def reversed_order(grads, ref_grads):
    """A Diagnosis when the student's grads are the expected ones in reverse layer order."""
    if not isinstance(grads, (tuple, list)) or len(grads) != len(ref_grads) or \
            len(ref_grads) < 2:
        return None
    flipped = list(grads)[::-1]
    for entry, ref in zip(flipped, ref_grads, strict=False):
        if not isinstance(entry, (tuple, list)) or len(entry) != len(ref):
            return None
        for g, e in zip(entry, ref, strict=False):
            if shape_of(g) != np.shape(e) or not diagnose(g, e, function=NAME, check="reference",
                                                          what="grads", rtol=REF_RTOL).ok:
                return None
    if all(len(entry) == len(ref) and all(close(g, e) for g, e in zip(entry, ref, strict=False))
           for entry, ref in zip(grads, ref_grads, strict=False)):
        return None  # a symmetric network: the order can't be told
    return Diagnosis("reversed_order", f"{NAME}: your grads are in reverse order, the last "
                     "layer's first. grads[i] belongs to layers[i]: fill the list by layer index "
                     "while walking backwards, or reverse it at the end.")


def close(got, expected):
    """Whether the student's ``got`` is an array of numbers close to ``expected``."""
    got = as_float_array(got)
    return got is not None and got.shape == np.shape(expected) and np.allclose(got, expected)


def compare_grads(grads, ref_grads, case, batch_size, tally):
    """Counts in ``tally`` the grads (of the right structure) that are right; the failing
    verdicts are noted there, or ``upstream_not_passed`` alone when it explains them (the last
    layer with params is right, an earlier one is not)."""
    right, layer_ok, wrong = 0, [], Tally()
    for i, (entry, ref) in enumerate(zip(grads, ref_grads, strict=False)):
        oks = [wrong.note(diagnose(g, e, function=NAME, check=f"reference ({case})",
                                   what=f"grads[{i}][{j}]", batch_size=batch_size,
                                   rtol=REF_RTOL), g, e)
               for j, (g, e) in enumerate(zip(entry, ref, strict=False))]
        right += sum(oks)
        layer_ok.append(all(oks) if ref else None)
    with_params = [ok for ok in layer_ok if ok is not None]
    if with_params and with_params[-1] and not all(with_params):
        tally.note(Diagnosis("upstream_not_passed", f"{NAME}, grads vs reference ({case}): the "
                             "gradients of the last layer with params are right, those of an "
                             "earlier layer are not. Check that the dx each backward call "
                             "returns becomes the upstream gradient of the layer before it, "
                             "and that each backward gets its own layer's cache."))
    else:
        tally.extend(wrong)
    tally.count(right, sum(len(ref) for ref in ref_grads))


def check_backprop(judge):
    loss, grads_tally, structure_tally = Tally(), Tally(), Tally()
    arguments = Arguments(NAME)
    for case in CASES:
        layers, x, y = network(judge, case)
        ref_loss, ref_grads = expected(layers, x, y)
        n_grads = sum(len(g) for g in ref_grads)
        outcome = judge.call(NAME, wire_layers(layers), x, y, Probe(LOSS), echo_args=True)
        if isinstance(outcome, StudentError):
            d = failure(outcome, NAME, "(loss, grads)")
            loss.add(d)
            grads_tally.add(d, count=n_grads)
            structure_tally.add(d)
            continue
        result, after = outcome
        arguments.saw_verdict(arguments_changed(layers, x, y, after))
        grads, problem = structure(result, layers)
        pair = isinstance(result, (tuple, list)) and len(result) == 2
        if pair:
            loss.add(diagnose(result[0], ref_loss, function=NAME, what="loss",
                              check=f"reference ({case})", rtol=REF_RTOL), result[0], ref_loss)
        else:
            loss.add(problem)
        problem = (reversed_order(result[1], ref_grads) if pair else None) or problem
        if problem is not None:
            structure_tally.add(problem)
            grads_tally.add(problem, count=n_grads)
            continue
        structure_tally.add(None)
        compare_grads(grads, ref_grads, case, len(x), grads_tally)
    return [loss.check(LOSS_VALUES, "networks"),
            grads_tally.check(GRADIENTS, "gradients of the hidden networks' params"),
            structure_tally.check(STRUCTURE, "networks",
                                  ok="grads holds one tuple per layer, in layer order."),
            arguments.check(loss.first())]


def arguments_changed(layers, x, y, after):
    """The Diagnosis of the first argument the student's loop changed, or None."""
    if after is None:
        return None
    try:
        params_after = [tuple(entry[2]) for entry in after[0]]
    except (TypeError, IndexError, KeyError):
        params_after = None
    if params_after is None or len(params_after) != len(layers):
        return Diagnosis("input_mutated", f"{NAME}: your function changed the list layers "
                         "(its order or its entries), and the contract says no function "
                         "modifies its arguments. Walk it backwards by index or with "
                         "reversed(...), which leave it as it is.")
    before = [params for _, params in layers]
    return first_mutation([before, x, y], [params_after, after[1], after[2]], NAME,
                          ["layers (the params arrays)", "x", "y"])


CHECKS = {NAME: check_backprop}


def notebook_check(ns, seed=0):
    """backprop with layers that are not graded functions: a scaled tanh and a linear map."""
    rng = np.random.default_rng(seed)

    def lin_f(x, w):
        return x @ w, (x, w)

    def lin_b(d, c):
        return d @ c[1].T, c[0].T @ d

    def act_f(x):
        return np.tanh(x) * 2, x

    def act_b(d, x):
        return d * 2 * (1 - np.tanh(x) ** 2)

    def loss_fn(s, t):
        return float(np.sum((s - t) ** 2)), 2 * (s - t)

    def layers(a, b):
        return [(lin_f, lin_b, (a,)), (act_f, act_b, ()), (lin_f, lin_b, (b,))]

    def total(a, b):
        return np.array(loss_fn(np.tanh(x @ a) * 2 @ b, y)[0])

    w1, w2 = rng.standard_normal((4, 5)), rng.standard_normal((5, 3))
    x, y = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    _, grads = ns["backprop"](layers(w1, w2), x, y, loss_fn)
    assert len(grads) == 3 and len(grads[1]) == 0, "backprop: one tuple of gradients per layer"
    one = np.array(1.0)
    assert rel_error(grads[0][0], every_coordinate(lambda a: total(a, w2), w1.copy(), one)) < RTOL
    assert rel_error(grads[2][0], every_coordinate(lambda b: total(w1, b), w2.copy(), one)) < RTOL


NOTEBOOK_CHECKS = {NAME: notebook_check}
