"""Error carried forward: when gradients consistent with the student's OWN forward are paid.

Every check that pays finite-difference credit (role ``fd``: a backward, a loss's gradient, an
op's or hw1's example's gradients, an L2 penalty's grads, and dropout's "dx follows your
forward") compares the student's gradient with the student's own forward, so that a backward
right for the forward it was given is recognised: one mistake costs once. Consistency alone
proves nothing when the forward is trivial, though: a constant forward and a zero backward
agree, and so do a forward that hands its input back and a backward that hands ``dout`` back
(the finite differences then only echo the probe). So the credit is paid when the student's
forward is an honest attempt (``Attempt.honest``), that is when it is not trivial and

1. it is right on at least one hidden case, or
2. its mistake is one the judge names (``Attempt.saw_value``): a slip of the function's own
   module (dropout's unscaled units, a wrong factor, p taken as the keep probability, ...) or a
   specific kind of ``diagnose`` (scaled, by 2, by the batch size, sign flipped, transposed,
   not summed over the batch, wrong at zeros, ...), or
3. it depends on its inputs the way the reference does (``Attempt.saw_dependence``): along
   the very probes its finite differences were taken, for every input it depends on, its
   directional derivatives are zero exactly where the reference's are (the same Jacobian
   pattern; along coordinates, the same entries matter) and are not the probe's echo.

It is **trivial** (``trivial``) when, on some case the finite differences measured, it
changes with none of its inputs (constant, zero, or computed from something else), or every
input it changes with it merely echoes: its derivatives along the probes are one constant
times those of ``sum(weights * input)`` (the forward is ``c * input + const`` there: the
input handed back, scaled or shifted), while the reference's are not. An echo can only be
seen along two or more probes (a single scalar probe is proportional to anything): hw1's ops
are probed on arrays too, and that case decides; hw1's example (scalars x and z) calls its y
an echo when its slopes are the same at every hidden point (``a x + b z + c``). Dropout's
mask is the student's own, so there its forward is only told trivial or not ("depends"), and
its own slips say the rest.

What this does not catch: a forward that is some other non-trivial function of its inputs
with the same Jacobian pattern as the reference (``x**3`` for a sigmoid) and a backward
derived from it keep the finite-difference credit, as the rule intends (that backward was
derived); the forward's own points are lost all the same. A linear forward other than an
echo (``out = A x`` for a made-up ``A``) is not told from an honest linear slip either.
"""
from dataclasses import dataclass, field

import numpy as np

from .diagnose import Diagnosis
from .finite_differences import directional
from .kinds import vague

# Diagnoses of a forward's value that name no mistake a student made while computing the
# function: no value, a container, a shape, or the function's own finite-difference troubles.
NOT_A_SLIP = frozenset({"ok", "all_zeros", "returned_none", "not_numeric", "wrong_shape",
                        "wrong_structure", "wrong_count", "input_mutated", "fp_warning",
                        "overflow", "log_of_zero", "not_implemented", "not_defined"})
ZERO = 1e-7      # a derivative this small relative to the largest (plus ZERO_ATOL) is zero
ZERO_ATOL = 1e-10
ECHO_RTOL = 1e-6  # derivatives within this of c times the weights' echo the probe


def named_slip(kind):
    """Whether ``kind``, said of a forward's value, names a mistake (a slip, not "wrong")."""
    return kind not in NOT_A_SLIP and not vague(kind)


def zeros(derivatives):
    """Which directional derivatives are zero (relative to the largest of them)."""
    d = np.abs(np.asarray(derivatives, dtype=np.float64))
    return d <= ZERO * (np.max(d) if d.size else 0.0) + ZERO_ATOL


def echoes(derivatives, echo):
    """Whether ``derivatives`` along the probes are one nonzero constant times ``echo`` (the
    derivatives of ``sum(weights * input)`` along the same probes), seen along at least two
    probes."""
    d, e = (np.asarray(a, dtype=np.float64) for a in (derivatives, echo))
    if d.shape != e.shape or np.count_nonzero(~zeros(e)) < 2:
        return False
    c = float(np.dot(d, e) / np.dot(e, e))
    if abs(c) <= ZERO_ATOL:
        return False
    return bool(np.max(np.abs(d - c * e)) <= ECHO_RTOL * np.max(np.abs(d)) + ZERO_ATOL)


def dependence(student, reference=None, echo=None):
    """How the student's function depends on one input, from its directional derivatives
    ``student`` along probes, beside the reference's along the same probes (``reference``, or
    None where the reference's pattern is not comparable, as for dropout's random mask) and
    the echo's (``echo``, or None where the input can't be handed back as the output):
    "ignores" (flat), "echo" (see ``echoes``), "alike" (zero exactly where the reference's
    derivatives are), "unlike", or "depends" (not trivial; no reference to compare with)."""
    student = np.asarray(student, dtype=np.float64)
    if np.all(np.abs(student) < 1e-12):
        return "ignores"
    if echo is not None and echoes(student, echo) and \
            (reference is None or not echoes(reference, echo)):
        return "echo"
    if reference is None:
        return "depends"
    if np.array_equal(zeros(student), zeros(reference)):
        return "alike"
    return "unlike"


@dataclass
class Attempt:
    """What the judge saw of a student's forward (or loss, or y), to decide whether gradients
    consistent with it are paid: right somewhere, a named slip, and how it depends on its
    inputs on each case its finite differences were taken."""

    right: bool = False
    slip: str = None                            # the kind of a named slip of the forward
    cases: list = field(default_factory=list)   # [[dependence of each input]] per case

    def saw_value(self, verdict):
        """The Diagnosis of the forward's value on one hidden case (against the reference)."""
        if verdict is None:
            return
        self.right |= verdict.ok
        if self.slip is None and named_slip(verdict.kind):
            self.slip = verdict.kind

    def saw_dependence(self, classes):
        """``dependence`` of each input on one case whose finite differences were taken."""
        self.cases.append(list(classes))

    @property
    def trivial(self):
        """Constant, or an echo of its inputs, on some case."""
        return any(all(c in ("ignores", "echo") for c in case) for case in self.cases)

    @property
    def alike(self):
        """Depends on its inputs the way the reference does on every case measured."""
        return bool(self.cases) and all(c in ("alike", "ignores") for case in self.cases
                                        for c in case)

    @property
    def honest(self):
        return not self.trivial and (self.right or self.slip is not None or self.alike)


def trivial_forward(function, source):
    return Diagnosis("forward_trivial", f"{function}: your gradients agree with finite "
                     f"differences of your own {source}, but that {source} is trivial: it is "
                     "constant, or hands its input back unchanged (or only scaled), so there "
                     "was nothing to derive and this pays nothing yet. It pays once your "
                     f"{source} computes the function, even with a slip in it.")


def not_an_attempt(function, source):
    return Diagnosis("forward_wrong", f"{function}: your gradients agree with finite "
                     f"differences of your own {source}, but that {source} is right on no "
                     "hidden case, and its mistake is not one the grader recognises, nor does "
                     "it change with its inputs where the right one does, so this pays "
                     f"nothing yet. It pays once your {source} is right on a hidden case, or "
                     "close to right with a recognisable slip.")


def why_not_paid(attempt, function, source):
    """None when gradients consistent with this forward are paid, else the Diagnosis why."""
    if attempt.trivial:
        return trivial_forward(function, source)
    if not attempt.honest:
        return not_an_attempt(function, source)
    return None


def carried(check, attempt, function, source="forward"):
    """The finite-difference ``check`` (a Check) as it pays: unchanged for an honest attempt,
    nothing (saying why) when it would pay for agreeing with a trivial or unrecognisable
    forward."""
    if check.fraction <= 0:
        return check
    why = why_not_paid(attempt, function, source)
    return check if why is None else check.spec.failed(why)


def dependence_along(derivatives, probes, reference_grad=None, weights=None):
    """``dependence`` of one input from the student's finite differences ``derivatives``
    along ``probes`` (arrays shaped like the input), the reference's gradient there
    (``reference_grad``, same weights; None: no pattern to compare) and ``weights`` (the
    upstream gradient the output was weighted by, or a number for a scalar output): the echo
    is the derivative of ``sum(weights * input)``, where the sizes let the input be handed
    back as the output."""
    shape = np.shape(probes[0]) if probes else ()
    reference = None if reference_grad is None else directional(reference_grad, probes)
    echo = None
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)
        if w.size == 1:
            echo = directional(np.full(shape, float(w.reshape(-1)[0])), probes)
        elif w.size == int(np.prod(shape)):
            echo = directional(w.reshape(shape), probes)
    return dependence(derivatives, reference, echo)

