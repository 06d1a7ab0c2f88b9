"""Which units share what correct answers need not share, and how much.

Per graded function, each unit's fingerprints are *discounted* first (as MOSS ignores base
code and frequent passages): those of the reference solution (every graded function of the
assignment: its idioms are what the course teaches), those of the released skeleton, and
those found in more than ``common_limit(students)`` submissions: more than
``max(COMMON_MIN, COMMON_SHARE * students)``, or in a class under 20, more than half of it
and more than ``MAJORITY_MIN`` (8 of 10 writing the same two-line ``affine_backward`` is
the class's idiom, not a copy ring of eight). A unit smaller than ``MIN_SIZE`` normalised
nodes, or left with fewer than ``MIN_FINGERPRINTS``, is not compared: there, correct answers
must coincide (the submission view, ``submissions.py``, weighs them all together).

Two students score the Dice coefficient of their discounted fingerprint sets,
``2 |A & B| / (|A| + |B|)``; a student and a file they can reach score the share of the
student's set found in the file's, ``|S & R| / |S|`` (how much of the answer came from it).
Every fingerprint counts once: a copier who edits one statement changes the hashes of the
few blocks around it, not a weight as large as the function.
Only candidates are scored: an inverted index from fingerprint to the (distinct) sets holding
it yields the pairs sharing anything, and students with identical sets are scored once.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations

MIN_SIZE = 30          # normalised nodes: `relu_forward` is 12, a naive conv about 200
MIN_FINGERPRINTS = 6   # discounted fingerprints left to compare
COMMON_MIN = 10        # MOSS's -m default: a passage in more files than this is an idiom
COMMON_SHARE = 0.05    # ... or in more than this share of a large class
MAJORITY_MIN = 5       # ... or in more than half of a small class and more than this many
# Calibrated on the grading corpora (tests/similarity/test_similarity.py): independently
# written correct answers score at most 0.29 (0.52 against the reference when it is not
# discounted); the planted copies 0.62 (gradcheck's loop, its calls rewritten) to 1.0.
THRESHOLD = 0.55


@dataclass
class Match:
    """``students`` share ``similarity`` of ``function``; ``source`` is set for a match with
    code students can reach (then ``students`` holds the one student). ``shared``: the
    fingerprints in common, to mark them."""

    function: str
    students: tuple
    similarity: float
    source: str = None
    shared: frozenset = field(default=frozenset(), repr=False)


def common_limit(n):
    """How many of ``n`` students may hold a fingerprint before it is an idiom: MOSS's
    ``max(COMMON_MIN, COMMON_SHARE * n)``, but never more than half of a small class (at
    least MAJORITY_MIN)."""
    return min(max(COMMON_MIN, COMMON_SHARE * n), max(MAJORITY_MIN, n / 2))


def common_fingerprints(sets, n):
    """Fingerprints held by more than ``common_limit(n)`` of ``sets``."""
    limit = common_limit(n)
    counts = Counter(h for fps in sets for h in fps)
    return {h for h, count in counts.items() if count > limit}


def comparable(units, discount):
    """{author: frozenset of discounted fingerprints} of the units big enough to compare."""
    sets = {}
    for author, unit in units.items():
        if unit.size < MIN_SIZE:
            continue
        fps = frozenset(unit.fingerprint.hashes) - discount
        if len(fps) >= MIN_FINGERPRINTS:
            sets[author] = fps
    return sets


def grouped(sets):
    """[(fingerprint set, [authors])] of the distinct sets, and the inverted index
    {fingerprint: [group number]}."""
    groups = defaultdict(list)
    for author, fps in sets.items():
        groups[fps].append(author)
    items = [(fps, sorted(authors)) for fps, authors in groups.items()]
    index = defaultdict(list)
    for number, (fps, _) in enumerate(items):
        for h in fps:
            index[h].append(number)
    return items, index


def similar_pairs(function, sets, threshold):
    """Matches of every two students of ``sets`` whose Dice similarity >= ``threshold``."""
    items, index = grouped(sets)
    shared = Counter()
    for posting in index.values():
        for pair in combinations(posting, 2):
            shared[pair] += 1
    totals = [len(fps) for fps, _ in items]
    matches = []
    for fps, authors in items:
        matches += [Match(function, pair, 1.0, shared=fps) for pair in combinations(authors, 2)]
    for (i, j), count in shared.items():
        (a, first), (b, second) = items[i], items[j]
        score = 2 * count / (totals[i] + totals[j])
        if score >= threshold:
            common = a & b
            matches += [Match(function, tuple(sorted((s, t))), score, shared=common)
                        for s in first for t in second]
    return matches


def reachable_matches(function, sets, sources, threshold):
    """Matches of the students of ``sets`` with the reachable ``sources`` ({label: set})
    holding at least ``threshold`` of their fingerprints; a source whose shared part is
    within a better one's (a helper of the file's function, copied with it) is left out."""
    items, _ = grouped(sets)
    index = defaultdict(list)
    for label, fps in sources.items():
        for h in fps:
            index[h].append(label)
    matches = []
    for fps, authors in items:
        found = Counter(label for h in fps for label in index.get(h, ()))
        kept = []
        for label, count in sorted(found.items(), key=lambda item: (-item[1], item[0])):
            common = fps & sources[label]
            if count / len(fps) >= threshold and not any(common <= k for k in kept):
                kept.append(common)
                matches += [Match(function, (s,), count / len(fps), source=label,
                                  shared=common) for s in authors]
    return matches


def ranked(matches):
    """Highest similarity first; ties by function, then names (a stable, readable order)."""
    return sorted(matches, key=lambda m: (-round(m.similarity, 6), m.function, m.students,
                                          m.source or ""))
