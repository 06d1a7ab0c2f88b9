"""Checks and their specs, and how a function's checks become its points.

Every check is declared once as a ``CheckSpec``: its title (what feedback, reports and
``weights.json`` call it), its role and its weight. The module of a graded function declares
the specs of its own checks; the specs several functions share (every forward's values, every
backward's gradients, "arguments left unchanged", ...) are declared in the shared judging
module that runs them. ``weights.TABLE`` and the README's weight table are made from the specs.

Roles: ``value``, ``gradient`` and ``fd`` checks pay for right numbers (the function's values,
its gradients against the reference, its gradients against finite differences of the student's
own forward). A ``by_hand`` check (judging/by_hand.py) pays for the numbers of a backward's
small case worked by hand, on its own, but does not count as the function's code earning.
Every other role (``shape``, ``mutation``, ``structure``, ``behaviour``) pays only when the
function also earns some credit from a ``value``, ``gradient`` or ``fd`` check: a function that
returns no right number earns nothing.

A check scores the fraction of its hidden cases that passed; the function's points (the points
of its test cell) are shared among its checks in proportion to their weights (the instructor's
``weights.json`` overrides them by title). Messages are cut to ``MAX_MESSAGE`` characters.
"""
from dataclasses import dataclass, field

from .kinds import vague

ROLES = ("value", "gradient", "fd", "by_hand", "shape", "mutation", "structure", "behaviour")
EARNING = ("value", "gradient", "fd")
PAYS_ALONE = (*EARNING, "by_hand")  # by_hand pays for itself, but makes no other check pay
MAX_MESSAGE = 1200   # characters of one check's message (every distinct diagnosis)


@dataclass(frozen=True)
class CheckSpec:
    """A check as declared: its ``title``, ``role`` (see ROLES) and default ``weight``."""

    title: str
    role: str
    weight: float

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"check {self.title!r}: no role {self.role!r}")

    def check(self, fraction, message, kind="ok", also=()):
        """This check's result: ``fraction`` of its hidden cases passed."""
        return Check(self, fraction, message, kind, tuple(also))

    def passed(self, message):
        return self.check(1.0, message)

    def failed(self, diagnosis):
        """The check paying nothing, for the reason ``diagnosis`` gives."""
        return self.check(0.0, diagnosis.message, diagnosis.kind)

    def counted(self, passed, total, bad, noun="hidden cases", ok=None):
        """The check scoring ``passed / total`` of ``noun``; ``ok`` is the message when all
        passed. ``bad`` is the failing verdict, or all of them: every distinct kind of mistake
        is named, the most specific first (its kind is the check's)."""
        if passed == total:
            return self.check(1.0, ok or f"right on all {total} {noun}.")
        found = distinct(bad)
        if not found:
            return self.check(passed / total, f"right on {passed} of {total} {noun}.",
                              "wrong_values")
        also = " Also: " + " ".join(d.message for d in found[1:]) if len(found) > 1 else ""
        return self.check(passed / total, f"right on {passed} of {total} {noun}. "
                          f"{found[0].message}{also}", found[0].kind,
                          tuple(d.kind for d in found[1:]))


# The judge's own checks, every function's.
ARGUMENTS = CheckSpec("arguments left unchanged", "mutation", 1)
GRADED = CheckSpec("graded", "value", 1)              # a function that could not be graded
NOTEBOOK_READABLE = CheckSpec("notebook readable", "value", 1)


@dataclass
class Check:
    """One named part of a function's grade; ``fraction`` of its hidden cases passed."""

    spec: CheckSpec
    fraction: float
    message: str
    kind: str = "ok"
    also: tuple = ()  # the kinds of the other distinct mistakes the message names

    def __post_init__(self):
        if len(self.message) > MAX_MESSAGE:
            self.message = self.message[:MAX_MESSAGE - 3].rstrip() + "..."

    @property
    def name(self):
        return self.spec.title

    @property
    def weight(self):
        return self.spec.weight

    @property
    def role(self):
        return self.spec.role


@dataclass
class FunctionGrade:
    """A function's checks and points. Weights come from the checks' specs (the instructor's
    ``weights`` override them by title); a check whose role is not an earning one pays only
    when an earning check of the function pays something."""

    name: str
    max_score: float
    checks: list = field(default_factory=list)
    weights: dict = field(default_factory=dict)

    def weight(self, check):
        return self.weights.get(check.name, check.weight)

    def earns(self):
        return any(c.fraction > 0 for c in self.checks if c.role in EARNING)

    def paid(self, check):
        """The fraction of its weight ``check`` pays."""
        return check.fraction if check.role in PAYS_ALONE or self.earns() else 0.0

    @property
    def score(self):
        total = sum(self.weight(c) for c in self.checks)
        if not total:
            return 0.0
        return round(self.max_score * sum(self.weight(c) * self.paid(c)
                                          for c in self.checks) / total, 6)

    def as_report(self):
        total = sum(self.weight(c) for c in self.checks) or 1.0
        return {"score": self.score, "max_score": self.max_score, "checks": [
            {"name": c.name,
             "score": round(self.max_score * self.weight(c) * self.paid(c) / total, 6),
             "max_score": round(self.max_score * self.weight(c) / total, 6),
             "message": c.message if self.paid(c) >= c.fraction else
             f"{c.message} (not paid: this check pays only once {self.name} gets some values "
             "or gradients right)", "kind": c.kind, "also": list(c.also)}
            for c in self.checks]}


def distinct(verdicts):
    """One Diagnosis per kind among ``verdicts`` (a Diagnosis, a list, or None), the most
    specific first (the order they came in otherwise)."""
    if verdicts is None:
        return []
    if not isinstance(verdicts, (list, tuple)):
        verdicts = [verdicts]
    by_kind = {}
    for verdict in verdicts:
        if verdict is not None and not verdict.ok:
            by_kind.setdefault(verdict.kind, verdict)
    return sorted(by_kind.values(), key=lambda d: vague(d.kind))
