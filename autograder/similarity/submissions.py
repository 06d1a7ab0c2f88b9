"""The submission-level view: pairs of students ranked by how many of their functions they
share and how rare the shared code is in the class.

The per-function view leaves short functions out (correct short answers must coincide) and
judges each function alone, so a student who copies six short functions from one classmate
passes it. Here every graded function counts, short ones too, and the evidence adds up:

- Per graded function, each student's fingerprints (the unit, helpers included) less those
  of the reference and the released skeleton.
- A fingerprint held by ``df`` of the ``n`` students who wrote the function weighs
  ``log(n / df) / log(n)`` (inverse document frequency, 1 for what one student wrote, 0 for
  what all wrote) and 0 when more than the per-function view's ``common_limit`` hold it:
  what many students write (the canonical two-line ``affine_backward``) is no evidence.
- For two students and one function, with ``W`` the summed weights:
  ``match = 2 W(A & B) / (W(A) + W(B))`` (how much of their rare code is shared),
  ``rarity = W(A & B) / |A & B|`` (how rare what they share is), and
  ``amount = min(1, |A & B| / FULL_FINGERPRINTS)`` (a fingerprint or two is a coincidence).
  The function *matches* when ``match >= FUNCTION_MATCH``; it then adds
  ``match * rarity * amount`` (at most 1) to the pair's score.
- The score is the sum over the functions that match: about how many functions' worth of
  rare code two submissions share. A pair at or above ``THRESHOLD`` is reported.

Only candidates are scored: per function an inverted index over the fingerprints that weigh
anything (so at most the common limit of students per posting) yields the pairs sharing
something, and students with identical sets are grouped and scored once.
"""
import math
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from .compare import common_limit

FUNCTION_MATCH = 0.5     # weighted Dice for a function to count as shared
FULL_FINGERPRINTS = 4    # shared fingerprints for a function to count fully (relu: 3)
# Calibrated as compare.THRESHOLD was (tests/similarity/test_similarity.py,
# test_similarity_hiding.py): the 105 independently written correct variants of the corpora
# score 0 (no function reaches FUNCTION_MATCH; 0.04 at most without it); the corpora as they
# are 0.66 at most (bce clipped with another eps: one text edited, one function); a class of
# 10 where 8 write the same canonical affine_backward 0; a classmate with 2 or 3 of another's
# short functions 1.24 or 1.96. Planted copiers of short functions: 4 of them 2.67, 6 of them
# 3.73 (class of 11), 7 of them 3.56 (class of 5, where rarity weighs least).
THRESHOLD = 2.5


@dataclass
class SubmissionMatch:
    """Two ``students`` whose ``functions`` match (each with its share: match * rarity *
    amount), and their ``score``, the sum of the shares. ``shared``: {function: the
    fingerprints in common}, to mark them."""

    students: tuple
    functions: dict
    score: float
    shared: dict = field(default_factory=dict, repr=False)


def weights(sets):
    """{fingerprint: weight} for the fingerprint sets of one function's ``n`` students."""
    n = len(sets)
    if n < 2:
        return {}
    counts = defaultdict(int)
    for fps in sets:
        for h in fps:
            counts[h] += 1
    limit = common_limit(n)
    scale = math.log(n)
    return {h: (math.log(n / df) / scale if df <= limit else 0.0) for h, df in counts.items()}


def function_shares(sets):
    """{(student, student): (share, shared fingerprints)} of one function's ``sets``
    ({student: frozenset}) for the pairs whose function matches."""
    weight = weights(list(sets.values()))
    groups = defaultdict(list)
    for student, fps in sets.items():
        groups[fps].append(student)
    items = [(fps, sorted(students)) for fps, students in groups.items()]
    totals = [sum(weight[h] for h in fps) for fps, _ in items]
    index = defaultdict(list)
    for number, (fps, _) in enumerate(items):
        for h in fps:
            if weight[h] > 0:
                index[h].append(number)
    common = defaultdict(lambda: [0.0, 0])
    for h, posting in index.items():
        for pair in combinations(posting, 2):
            entry = common[pair]
            entry[0] += weight[h]
            entry[1] += 1
    for number, (fps, students) in enumerate(items):
        if len(students) > 1:
            positive = [h for h in fps if weight[h] > 0]
            common[(number, number)] = [totals[number], len(positive)]
    found = {}
    for (i, j), (shared_weight, count) in common.items():
        if not count or 2 * shared_weight < FUNCTION_MATCH * (totals[i] + totals[j]):
            continue
        match = 2 * shared_weight / (totals[i] + totals[j])
        share = match * (shared_weight / count) * min(1.0, count / FULL_FINGERPRINTS)
        shared = items[i][0] & items[j][0]
        pairs = combinations(items[i][1], 2) if i == j else \
            (tuple(sorted((s, t))) for s in items[i][1] for t in items[j][1])
        for pair in pairs:
            found[pair] = (share, shared)
    return found


def submission_pairs(per_function, threshold):
    """SubmissionMatches at or above ``threshold``, best first, from ``per_function``
    {function: {student: frozenset of fingerprints, reference and skeleton discounted}}."""
    pairs = defaultdict(dict)
    for function, sets in per_function.items():
        for students, found in function_shares(sets).items():
            pairs[students][function] = found
    matches = []
    for students, functions in pairs.items():
        score = sum(share for share, _ in functions.values())
        if score >= threshold:
            order = sorted(functions, key=lambda f: (-functions[f][0], f))
            matches.append(SubmissionMatch(students, {f: functions[f][0] for f in order},
                                           score, {f: functions[f][1] for f in order}))
    return ranked(matches)


def ranked(matches):
    """Highest score first; ties by the number of functions, then names."""
    return sorted(matches, key=lambda m: (-round(m.score, 6), -len(m.functions), m.students))
