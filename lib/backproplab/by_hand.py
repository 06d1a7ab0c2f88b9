"""The self-check of a small case worked by hand: says which arrays are right, never the numbers.

The notebook's self-check cell holds a digest of each right array (its shape and its entries
rounded to three significant digits, hashed); ``check_by_hand`` computes the same digest of
your numbers and compares. Nothing here holds or computes an answer.
"""
import hashlib

import numpy as np

DIGITS = 3  # significant digits kept before hashing


def digest(array):
    """A short hash of an array's shape and of its entries rounded to DIGITS significant
    digits (``-0.0`` counts as ``0.0``)."""
    array = np.asarray(array, dtype=np.float64) + 0.0
    text = f"{array.shape}:" + ",".join(f"{x:.{DIGITS - 1}e}" for x in array.ravel())
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def as_numbers(value):
    """``value`` as a float array when it is plain finite numbers, else None."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return None
    try:
        array = np.asarray(value)
    except Exception:
        return None
    if array.dtype.kind not in "iuf" or not np.all(np.isfinite(array)):
        return None
    return array.astype(np.float64)


def check_by_hand(name, answer, digests):
    """Print, for each key of ``digests``, whether ``answer[key]`` (your numbers worked by
    hand, in the variable ``name``) is right to three significant digits. Returns the number
    of right arrays."""
    if answer is None:
        print(f"{name} is not defined yet: run your answer cell first.")
        return 0
    if not isinstance(answer, dict):
        print(f"{name} should be a dict with the keys {', '.join(digests)}; "
              f"it is a {type(answer).__name__}.")
        return 0
    right = 0
    for key, expected in digests.items():
        numbers = as_numbers(answer.get(key))
        if key not in answer:
            print(f"{name}[{key!r}]: missing")
        elif numbers is None:
            print(f"{name}[{key!r}]: not plain finite numbers")
        elif digest(numbers) == expected:
            print(f"{name}[{key!r}]: right")
            right += 1
        else:
            print(f"{name}[{key!r}]: not right yet (shape {numbers.shape}; compare the shape "
                  "with what it is the gradient of, then each entry; give at least four "
                  "significant digits)")
    print(f"{right} of {len(digests)} right")
    return right


from .rules import _protect  # noqa: E402  (last: every public name above refuses while grading)

_protect(__name__)
