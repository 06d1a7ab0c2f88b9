"""Every kind of diagnosis the grader gives, declared once with what it means.

A kind is the short, stable label of a diagnosis (``Diagnosis.kind``; a report check's
``kind`` and ``also``): class statistics count by it, feedback is written around it and tests
assert it. Each kind is declared once, with one line saying what it means and its group:

- ``ok``: nothing is wrong;
- ``mistake``: the student's values show this mistake (the default);
- ``failed``: the student's code gave no value to judge (it raised, crashed, hung or was
  refused);
- ``not_attempted``: there was nothing to grade (not implemented, not defined, no notebook);
- ``grader``: the grader could not finish this check (its own error, the time budget).

The kinds ``diagnose``, the judge and the shared judging modules give are declared here; a
kind that only one graded function's checks give is declared in that function's module of
``autograder/assignments/`` (its ``KINDS``), beside the slip it names. ``registry.all_kinds()``
gathers them all; ``tests/judging/test_kinds.py`` fails on a kind given anywhere and declared
nowhere, or declared twice. ``vague`` marks a kind that says only that something is wrong,
not what: a more specific diagnosis of the same check is shown first.
"""
from dataclasses import dataclass

GROUPS = ("ok", "mistake", "failed", "not_attempted", "grader")


@dataclass(frozen=True)
class Kind:
    """A kind of diagnosis: its label, what it means, its group (see GROUPS)."""

    name: str
    meaning: str
    group: str = "mistake"
    vague: bool = False

    def __post_init__(self):
        if self.group not in GROUPS:
            raise ValueError(f"kind {self.name!r}: no group {self.group!r}")

    @property
    def label(self):
        """How statistics name it: ``scaled_by_batch`` -> "scaled by batch"."""
        return self.name.replace("_", " ")


def declare(*kinds):
    """{name: Kind} of ``kinds``, refusing a name declared twice."""
    table = {}
    for kind in kinds:
        if kind.name in table:
            raise ValueError(f"kind {kind.name!r} is declared twice")
        table[kind.name] = kind
    return table


KINDS = declare(
    Kind("ok", "the check passed", "ok"),
    # --- what diagnose() says of an array (autograder/judging/diagnose.py)
    Kind("not_implemented", "the function raises NotImplementedError: not done yet",
         "not_attempted"),
    Kind("raised", "the call raised an exception, so there was no value to compare", "failed",
         vague=True),
    Kind("returned_none", "None where a value was expected (a missing return)"),
    Kind("not_numeric", "a tuple, a string, an object or a complex array where real numbers "
         "were expected"),
    Kind("nan_or_inf", "NaN or inf where the expected values are finite", vague=True),
    Kind("overflow", "NaN or inf on inputs of huge magnitude: an intermediate result left "
         "the range of float64"),
    Kind("log_of_zero", "infinite values on huge inputs from the log of a probability that "
         "underflowed to 0"),
    Kind("transposed", "the transpose of the expected array (or of its shape)"),
    Kind("not_summed_over_batch", "one slice per example where the contributions of the "
         "batch should be combined"),
    Kind("wrong_shape", "an array of another shape than the expected one"),
    Kind("all_zeros", "zero everywhere where the expected array is not"),
    Kind("sign_flipped", "the expected array with the opposite sign"),
    Kind("scaled_by_batch", "the expected array times the batch size N"),
    Kind("scaled_by_inverse_batch", "the expected array divided by the batch size N"),
    Kind("scaled_by_2", "twice the expected array"),
    Kind("scaled_by_half", "half the expected array"),
    Kind("scaled", "the expected array times one constant factor (not a named one)"),
    Kind("wrong_at_zeros", "right except where an input is exactly 0 (the kink)"),
    Kind("wrong_at_ties", "right except where entries tie for a maximum"),
    Kind("wrong_at_overlaps", "right except at the maximum of several overlapping windows"),
    Kind("missing_path", "the contributions of some paths of the graph are missing"),
    Kind("wrong_values", "wrong values, with no more specific pattern found", vague=True),
    Kind("input_mutated", "the function changed one of its arguments in place"),
    Kind("non_square_window", "a window's or filter's height used for its width (or back)"),
    Kind("non_divisible_size", "an output size rounded up where the contract rounds down"),
    Kind("fp_warning", "NumPy warned of an overflow, invalid value or division by zero where "
         "the contract asks for a stable computation"),
    # --- why a call gave no value (autograder/judging/judge.py)
    Kind("timeout", "the call did not finish within the time limit", "failed", vague=True),
    Kind("time_budget", "not run or not finished: the submission's time budget was used up",
         "grader", vague=True),
    Kind("bad_reply", "the call returned something the grader cannot read", "failed",
         vague=True),
    Kind("crashed", "the call stopped the student's process (exit, crash, recursion, memory)",
         "failed", vague=True),
    Kind("uses_student_package", "the function calls the backproplab package instead of "
         "computing its own result", "failed"),
    Kind("not_defined", "the function is not defined in the notebook", "not_attempted"),
    Kind("forbidden", "the call tried something the grader does not allow (files, "
         "processes, the network, the grader itself)", "failed"),
    Kind("memory", "the call ran out of memory on a small input", "failed"),
    Kind("recursion", "the call recursed without end", "failed"),
    Kind("deep_recursion", "RecursionError on a graph as deep as Python's recursion limit"),
    Kind("grader_error", "the grader could not use what the code returned; the check could "
         "not be completed", "grader", vague=True),
    Kind("wrong_structure", "a container of the wrong kind or length where the contract asks "
         "for another (a pair, a tuple, a list, a dict)"),
    Kind("wrong_count", "the wrong number of values (gradients, entries) returned"),
    Kind("reversed_order", "the expected order reversed"),
    Kind("wrong_step", "a step of the wrong size"),
    Kind("ignores_upstream", "the upstream gradient is not multiplied in (the chain rule)"),
    Kind("gradient_sign", "params moved along the gradient instead of against it"),
    Kind("ignores_lr", "a step that ignores the learning rate lr"),
    Kind("not_reproducible", "generators made from the same seed gave different results: "
         "the draws do not come from the rng argument"),
    Kind("ignores_rng", "generators made from different seeds gave the same result"),
    Kind("state_not_carried", "the first steps of a chain match, a later one does not: the "
         "state returned is not what the next step needs"),
    # --- finite differences of the student's own function (finite_differences.py)
    Kind("not_finite", "the student's own function gave NaN or inf near a hidden input, so "
         "its finite differences could not be taken", vague=True),
    Kind("forward_ignores_input", "the student's own function does not change with this "
         "input: nothing to compare a gradient with"),
    Kind("inconsistent_forward", "the student's own function is not a plain function of its "
         "arguments (it keeps state, or answers the points next to a hidden input "
         "differently): its finite differences can't be trusted"),
    # --- error carried forward (carried.py)
    Kind("forward_wrong", "gradients consistent with a forward (or loss) that is right on no "
         "hidden case, shows no named slip and does not change with its inputs where the "
         "reference does: finite-difference credit is not paid yet"),
    Kind("forward_trivial", "gradients consistent with a trivial forward (or loss): constant, "
         "zero, independent of its inputs, or handing its input back: finite-difference "
         "credit is not paid"),
    Kind("not_derived", "a gradient evaluated, not derived: the slowness of finite "
         "differences on the large case, or evidence in its code or its monitored calls (a "
         "complex step, dual numbers, perturbed calls of its forward, an autodiff or "
         "numerical-derivative library); its gradient checks earn nothing"),
    # --- the pair, loss and stability checks (pairs.py, losses.py)
    Kind("not_checked", "the huge inputs were not reached, so stability was not checked",
         "grader"),
    # --- what the grading of one student says (autograder/round/grading.py)
    Kind("no_check", "this version of the grader has no hidden check for the function",
         "not_attempted"),
    Kind("unreadable_notebook", "the notebook holding the function is missing or unreadable",
         "not_attempted"),
    # --- the small case worked by hand beside a backward (judging/by_hand.py)
    Kind("by_hand_blank", "the by-hand answer (by_hand_<stem>) is not defined: not answered",
         "not_attempted"),
    Kind("by_hand_missing_entry", "the by-hand answer lacks one of the arrays the prompt asks "
         "for"),
)


def vague(kind):
    """Whether ``kind`` says only that something is wrong (unknown kinds are not)."""
    found = KINDS.get(kind)
    return bool(found and found.vague)
