"""Numbers worked by hand (issue 18, item 3): a graded backward's small case, answered in a cell.

Before a graded backward the notebook asks for a derivation and a small case with numbers
(the 2x2 affine case, the 3x3 convolution, ...). The student writes the numbers, worked by
hand, as literals in an answer cell::

    by_hand_affine = {"dx": [[...], [...]], "dw": [[...], [...]], "db": [...]}

The naming scheme: the variable is ``by_hand_<stem>`` (stem: the backward's name without
``_backward``; hw1's operations share ``by_hand_operations``), a dict from the names the
prompt gives each asked-for number or array to that number or nested list of numbers. The
answer is a check of the backward (``BY_HAND``, of the role ``by_hand`` and weight 1 beside
its others), so it is a small share of the backward's points and ``weights.json`` may change
it; it pays on its own, but right numbers by hand do not make the code's shape or
"arguments left unchanged" checks pay (grades.py).

Each case is declared in its graded function's module (``ByHand``: the backward, the stem,
the reference's numbers on the prompt's inputs and the batch size where a 1/N can go
missing); this module holds what every case shares: reading the variable from the
contained child (``Judge.read``: the value is sent like any call's result, bounded by the
wire, and nothing is handed to the student), the comparison (``RTOL``: hand arithmetic kept to
four significant digits passes) and the slips (transposed, sign flipped, missing 1/N, wrong
shape, a missing entry), the in-notebook hidden test's share (nbgrader's partial credit: the
test cell's output is the points earned), the answer cell of the source notebook and the
self-check's digests, which say whether an array is right without holding its numbers.

The grader cannot tell numbers typed by hand from numbers computed by calling the student's
own backward in the same cell; the prompt asks for literals, and the value must be plain
numbers (a dict of numbers and lists of numbers, not an object).
"""
import hashlib
from dataclasses import dataclass

import numpy as np

from ..sandbox.runner import StudentError
from .diagnose import Diagnosis
from .grades import CheckSpec
from .judge import failure, one_check

BY_HAND = CheckSpec("numbers worked by hand", "by_hand", 1)
PREFIX = "by_hand_"
RTOL = 1e-3          # relative to the largest expected entry of the array
DIGEST_DIGITS = 3    # significant digits the self-check's digest keeps


def close(got, expected):
    """Whether ``got`` is within RTOL of ``expected`` (same shape), relative to its largest
    entry (at least 1, so a zero array is not held to nothing)."""
    if got.shape != expected.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    return bool(np.all(np.abs(got - expected) <= RTOL * scale))


def plain_numbers(value):
    """``value`` as a float array when it is a number, or nested lists/tuples of numbers, or a
    NumPy array of real numbers; else None (strings, None, objects, ragged lists, booleans)."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        return None
    try:
        array = np.asarray(value)
    except Exception:
        return None
    if array.dtype.kind not in "iuf":
        return None
    array = array.astype(np.float64)
    return array if np.all(np.isfinite(array)) else None


def literal(array):
    """Python source for ``array``: a number, or nested lists of numbers (integers where the
    entry is one, else six significant digits)."""
    if np.ndim(array) == 0:
        x = float(array)
        return repr(int(x)) if x == int(x) else f"{x:.6g}"
    return "[" + ", ".join(literal(a) for a in array) + "]"


def digest(array):
    """A digest of an array's shape and its entries rounded to DIGEST_DIGITS significant
    digits: the self-check compares digests, so it never holds the numbers."""
    array = np.asarray(array, dtype=np.float64) + 0.0  # -0.0 is 0.0
    text = f"{array.shape}:" + ",".join(f"{x:.{DIGEST_DIGITS - 1}e}" for x in array.ravel())
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ByHand:
    """A graded backward's small case worked by hand.

    ``backward``: the graded function it belongs to (its check and its points); ``stem``:
    the variable is ``by_hand_<stem>``; ``answer()``: {key: array}, the reference's numbers on
    the prompt's inputs, keyed as the prompt names them ("dx", "dw", ...); ``batch``: the
    batch size N of the case where a factor 1/N belongs in an answer (its slip is then named);
    ``beside``: the weight of the backward's other checks, so that the in-notebook hidden test
    pays the same share as the grader (a test compares the two); ``only``: the keys of the cell
    this backward is judged on, where one cell serves several (hw1's six operations share
    ``by_hand_operations``, one key each).
    """

    backward: str
    stem: str
    answer: object
    batch: int = None
    beside: float = 8.0
    only: tuple = None  # the keys this backward is judged on, where one cell serves several

    @property
    def variable(self):
        return PREFIX + self.stem

    @property
    def share(self):
        """The share of the backward's points the by-hand answer is worth."""
        return BY_HAND.weight / (BY_HAND.weight + self.beside)

    def whole(self):
        """{key: array} of the whole cell (every backward it serves)."""
        return {key: np.asarray(value, dtype=np.float64) for key, value in self.answer().items()}

    def expected(self):
        """{key: array} this backward is judged on."""
        return {key: value for key, value in self.whole().items()
                if self.only is None or key in self.only}

    def keys(self):
        """The keys the whole cell asks for, as the prompt writes them: '"dx": ..., "dw": ...'."""
        return ", ".join(f'"{k}": ...' for k in self.whole())

    # ------------------------------------------------------------------ the grader's check

    def check(self, judge):
        """The BY_HAND check: the fraction of the asked-for arrays that are right."""
        return one_check(BY_HAND)(self.judged)(judge.read(self.variable))

    def judged(self, got):
        if isinstance(got, StudentError):
            return BY_HAND.failed(self.unread(got))
        verdicts = self.verdicts(got)
        if isinstance(verdicts, Diagnosis):
            return BY_HAND.failed(verdicts)
        right = sum(v.ok for v in verdicts)
        return BY_HAND.counted(right, len(verdicts), verdicts, noun="arrays worked by hand",
                               ok=f"{self.variable}: every number worked by hand is right.")

    def unread(self, err):
        if err.error == "NameError" or (err.kind == "exception" and "NameError" in str(err)):
            return Diagnosis("by_hand_blank", (
                f"{self.backward}: the small case worked by hand is not answered yet. Write "
                f"your numbers in its answer cell (after the derivation prompt), as "
                f"{self.variable} = {{{self.keys()}}} with each value a number or a list of "
                "numbers."))
        return failure(err, self.variable, "numbers")

    def verdicts(self, got):
        """A Diagnosis per expected key (``ok`` where right), or one Diagnosis when ``got``
        is not a dict of them."""
        if not isinstance(got, dict):
            return Diagnosis("wrong_structure", (
                f"{self.backward}: {self.variable} should be a dict, {{{self.keys()}}}, each "
                f"value numbers worked by hand; it is a {type(got).__name__}."))
        return [self.verdict(key, got.get(key), value, key in got)
                for key, value in self.expected().items()]

    def verdict(self, key, value, expected, present):
        where = f"{self.backward}, by hand: {key}"
        if not present:
            return Diagnosis("by_hand_missing_entry", f"{where} is missing from "
                             f"{self.variable}: add it as a number or a list of numbers.")
        got = plain_numbers(value)
        if got is None:
            return Diagnosis("not_numeric", f"{where} should be plain, finite numbers (a "
                             "number or nested lists of numbers), written by hand.")
        if close(got, expected):
            return Diagnosis("ok", f"{where} is right.")
        return self.slip(where, got, expected)

    def slip(self, where, got, expected):
        """What is wrong with ``got``: the commonest slips of a hand derivation first."""
        if got.shape != expected.shape:
            if got.shape == expected.T.shape and close(got, expected.T):
                return Diagnosis("transposed", f"{where} holds the transpose of the right "
                                 f"array: a gradient has the shape of what it is the "
                                 f"gradient of, here {expected.shape}. Check which factor is "
                                 "transposed in your chain rule.")
            if got.size == expected.size and close(got.reshape(expected.shape), expected):
                return Diagnosis("wrong_shape", f"{where} has the right numbers in the wrong "
                                 f"shape {got.shape}; it should have shape {expected.shape}.")
            return Diagnosis("wrong_shape", f"{where} has shape {got.shape}; it should have "
                             f"shape {expected.shape} (the shape of what it is the gradient "
                             "of).")
        if np.any(expected) and close(-got, expected):
            return Diagnosis("sign_flipped", f"{where} has the opposite sign of the right "
                             "numbers: follow the signs through each step of the chain rule.")
        if expected.ndim == 2 and expected.shape[0] == expected.shape[1] \
                and not close(expected.T, expected) and close(got, expected.T):
            return Diagnosis("transposed", f"{where} holds the transpose of the right array: "
                             "check which factor is transposed in your chain rule.")
        if self.batch and self.batch > 1 and np.any(expected):
            if close(got / self.batch, expected):
                return Diagnosis("scaled_by_batch", f"{where} is {self.batch} times too large "
                                 f"(the batch size N = {self.batch}): the loss is averaged "
                                 "over the batch, so its gradient carries a factor 1/N.")
            if close(got * self.batch, expected):
                return Diagnosis("scaled_by_inverse_batch", f"{where} is divided by the batch "
                                 f"size N = {self.batch} once too often.")
        return Diagnosis("wrong_values", f"{where}: {self.first_off(got, expected)} Work that "
                         "entry again through the chain rule.")

    @staticmethod
    def first_off(got, expected):
        scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
        off = np.argwhere(np.abs(got - expected) > RTOL * scale)
        if got.ndim == 0:
            return "the number is off."
        index = tuple(int(i) for i in off[0])
        more = f" ({len(off)} entries are off)" if len(off) > 1 else ""
        return f"entry {index if len(index) > 1 else index[0]} is off{more}."

    # ------------------------------------------------------------ the in-notebook hidden test

    def fraction_in(self, namespace):
        """The fraction of the arrays of ``namespace[variable]`` that are right, and the
        messages of the wrong ones (the in-notebook hidden test; no reference number shown)."""
        verdicts = self.verdicts(namespace.get(self.variable)) \
            if self.variable in namespace else [Diagnosis("by_hand_blank", self.unanswered())]
        if isinstance(verdicts, Diagnosis):
            return 0.0, [verdicts.message]
        return (sum(v.ok for v in verdicts) / len(verdicts),
                [v.message for v in verdicts if not v.ok])

    def unanswered(self):
        return f"{self.backward}: {self.variable} (the small case worked by hand) is not answered."

    def notebook_check(self, backward_check):
        """The backward's in-notebook hidden test with the by-hand share added: returns None
        when everything is right, the points earned (nbgrader's partial credit: the test
        cell's output) when only part is, and raises AssertionError when nothing is."""
        def check(namespace, points=None):
            try:
                backward_check(namespace)
                code, code_error = 1.0, None
            except Exception as error:  # the backward's own test failed
                code, code_error = 0.0, error
            fraction, wrong = self.fraction_in(namespace)
            earned = (1 - self.share) * code + self.share * fraction
            if earned >= 1 - 1e-12:
                return None
            said = "; ".join([str(code_error)] * (code_error is not None) + wrong)
            if earned <= 0 or points is None:
                raise AssertionError(said)
            print(said)
            return round(points * earned, 6)
        check.takes_points = True
        return check

    # ---------------------------------------------------------------- the notebook's cells

    def solution_source(self):
        """The answer cell of the source notebook (nbgrader strips the solution region)."""
        lines = [f"    {key!r}: {literal(value)}," for key, value in self.whole().items()]
        return "\n".join(["### BEGIN SOLUTION", f"{self.variable} = {{", *lines, "}",
                          "### END SOLUTION"])

    def digests(self):
        """{key: digest} of the right arrays, for the self-check."""
        return {key: digest(value) for key, value in self.whole().items()}

    def selfcheck_source(self):
        """The self-check cell: compares digests, never the numbers themselves."""
        return (f"# Are your numbers right? This compares a digest of each array (rounded to "
                f"{DIGEST_DIGITS} significant\n# digits), never the numbers themselves.\n"
                f"check_by_hand({self.variable!r}, globals().get({self.variable!r}),\n"
                f"              {self.digests()!r})")


def with_by_hand(checks, case):
    """{graded name: check(judge)} with ``case``'s BY_HAND check added to its backward's."""
    table = dict(checks)
    backward = table[case.backward]
    table[case.backward] = lambda judge: [*backward(judge), case.check(judge)]
    return table


def with_by_hand_in_notebook(checks, case):
    """{graded name: in-notebook check} with ``case``'s share added to its backward's."""
    table = dict(checks)
    table[case.backward] = case.notebook_check(table[case.backward])
    return table


def cases(modules):
    """[ByHand] declared by ``modules`` (as ``BY_HAND_CASE``, or ``BY_HAND_CASES`` where one
    cell serves several backwards)."""
    found = []
    for module in modules:
        found += [getattr(module, "BY_HAND_CASE", None), *getattr(module, "BY_HAND_CASES", ())]
    return [case for case in found if isinstance(case, ByHand)]
