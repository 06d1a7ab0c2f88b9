"""The case loop every check runs: a tally of its hidden cases, and a watch on the arguments.

A check judges a function on several hidden cases and scores the fraction that passed. The
``Tally`` counts them (``add``: a verdict for one case, or for ``count`` values of it) and keeps
every failure with how far off the student's array was, so that ``verdicts()`` lists the
farthest first: the check then reports each kind of mistake on the case that shows it best,
not on the first case, where it may be barely visible. ``Arguments`` records, over the calls
that returned, whether the function changed an argument it was given.
"""
import numpy as np

from .diagnose import diagnose_mutation, relative_error
from .grades import ARGUMENTS
from .judge import as_float_array


def distance(got, expected):
    """How far ``got`` is from ``expected`` (relative error; 1 when they can't be compared)."""
    got = as_float_array(got)
    if got is None or expected is None or got.shape != np.shape(expected):
        return 1.0
    error = relative_error(got, expected)
    return error if np.isfinite(error) else 1.0


class Tally:
    """How many of a check's hidden cases passed, of how many, and every failure."""

    def __init__(self):
        self.passed = 0
        self.total = 0
        self.found = []

    def add(self, verdict, got=None, expected=None, count=1):
        """Counts ``count`` values judged by ``verdict`` (a Diagnosis; None or ok passes
        them); returns whether they passed. A failure is kept with how far ``got`` is from
        ``expected`` (when both are given)."""
        self.total += count
        if self.note(verdict, got, expected):
            self.passed += count
            return True
        return False

    def count(self, passed, total):
        """Counts ``total`` values of which ``passed`` passed (their failures noted apart)."""
        self.passed += passed
        self.total += total

    def note(self, verdict, got=None, expected=None):
        """Keeps ``verdict`` when it is a failure, without counting a case; returns whether it
        is ok."""
        if verdict is None or verdict.ok:
            return True
        gap = 1.0 if expected is None else distance(got, expected)
        self.found.append((-gap, len(self.found), verdict))
        return False

    def extend(self, other):
        """Keeps the failures ``other`` holds (not its counts)."""
        self.found += [(gap, len(self.found) + i, verdict)
                       for i, (gap, _, verdict) in enumerate(other.found)]

    def verdicts(self):
        """The failures, the farthest first (in the order they came among equals)."""
        return [verdict for *_, verdict in sorted(self.found, key=lambda f: f[:2])]

    def first(self):
        return next(iter(self.verdicts()), None)

    def check(self, spec, noun="hidden cases", ok=None):
        """``spec``'s result from this tally (see ``CheckSpec.counted``)."""
        return spec.counted(self.passed, self.total, self.verdicts(), noun, ok)


def first_mutation(before, after, function, names):
    """The Diagnosis of the first argument that differs after the call, or None."""
    if after is None:
        return None
    for b, a, name in zip(before, after, names, strict=False):
        d = diagnose_mutation(b, a, function=function, argname=name)
        if not d.ok:
            return d
    return None


class Arguments:
    """Whether ``function`` left its arguments alone, over the calls that returned."""

    def __init__(self, function):
        self.function = function
        self.ran = 0
        self.mutated = None

    def saw(self, before, after, names):
        """A call that returned: ``after`` (its arguments as it left them, or None when they
        were not sent back) against copies taken ``before``."""
        self.ran += 1
        self.mutated = self.mutated or first_mutation(before, after, self.function, names)

    def saw_verdict(self, mutated):
        """A call that returned, and the Diagnosis of what it changed (None: nothing)."""
        self.ran += 1
        self.mutated = self.mutated or mutated

    def merge(self, other):
        self.ran += other.ran
        self.mutated = self.mutated or other.mutated

    def check(self, failed=None):
        """Credit for leaving the arguments alone, earned only by calls that returned;
        ``failed`` says why none did."""
        if not self.ran:
            return ARGUMENTS.check(0.0, failed.message, failed.kind)
        if self.mutated is None:
            return ARGUMENTS.passed("no argument was modified.")
        return ARGUMENTS.failed(self.mutated)
