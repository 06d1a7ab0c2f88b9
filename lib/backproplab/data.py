"""Small data sets for the notebooks, all offline and deterministic given a seed.

- ``load_digits``: scikit-learn's bundled 8x8 handwritten digits (1797 images, 10 classes), split
  into train/validation/test and normalized with statistics of the training split only.
- ``make_moons``, ``make_circles``, ``make_spirals``: 2-D toy problems for decision-boundary
  pictures; each returns ``X`` float64 of shape (N, 2) and integer labels ``y`` of shape (N,).
"""

from dataclasses import dataclass

import numpy as np

# scikit-learn is imported inside the functions: it takes a second, and `import backproplab`
# should not pay that when no data set is asked for.

__all__ = ["Digits", "load_digits", "make_moons", "make_circles", "make_spirals"]


@dataclass(frozen=True)
class Digits:
    """The digits split into three parts.

    ``X_*`` are float64, shape (n, 64), or (n, 1, 8, 8) when loaded with ``images=True``;
    ``y_*`` are int64 labels 0..9, shape (n,). ``mean`` and ``std`` are the (scalar) statistics of
    the training pixels, after scaling to [0, 1], that every split was standardized with.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    mean: float
    std: float


def _split(X, y, fraction, seed):
    """Stratified split of (X, y) into (rest, part) with ``fraction`` of the rows in ``part``."""
    from sklearn.model_selection import train_test_split

    if fraction == 0:
        return X, y, X[:0], y[:0]
    X_rest, X_part, y_rest, y_part = train_test_split(
        X, y, test_size=fraction, stratify=y, random_state=seed
    )
    return X_rest, y_rest, X_part, y_part


def load_digits(seed=0, val_fraction=0.15, test_fraction=0.15, images=False):
    """Load scikit-learn's digits, split (stratified) and normalized.

    Pixel values (0..16) are divided by 16, then standardized to zero mean and unit variance with
    one mean and one standard deviation taken over all pixels of the training split (so images
    still look like images, and no split's statistics leak into another).

    Inputs:
    - seed: the split is a deterministic function of it
    - val_fraction, test_fraction: fractions of all 1797 images in validation and test; either may
      be 0 (that split is then empty)
    - images: if True the X arrays have shape (n, 1, 8, 8) for CNNs; otherwise (n, 64)

    Returns a ``Digits``.
    """
    if not (0 <= val_fraction and 0 <= test_fraction and val_fraction + test_fraction < 1):
        raise ValueError("need 0 <= val_fraction, test_fraction and their sum < 1")
    import sklearn.datasets

    bunch = sklearn.datasets.load_digits()
    X, y = bunch.data.astype(np.float64) / 16.0, bunch.target.astype(np.int64)
    X_rest, y_rest, X_test, y_test = _split(X, y, test_fraction, seed)
    val_of_rest = val_fraction / (1 - test_fraction)
    X_train, y_train, X_val, y_val = _split(X_rest, y_rest, val_of_rest, seed)
    mean, std = float(X_train.mean()), float(X_train.std())
    shape = (-1, 1, 8, 8) if images else (-1, 64)

    def prep(A):
        return ((A - mean) / std).reshape(shape)

    return Digits(prep(X_train), y_train, prep(X_val), y_val, prep(X_test), y_test, mean, std)


def make_moons(n_points=200, noise=0.1, seed=0):
    """Two interleaving half circles (scikit-learn's ``make_moons``); labels 0 and 1."""
    import sklearn.datasets

    X, y = sklearn.datasets.make_moons(n_samples=n_points, noise=noise, random_state=seed)
    return X.astype(np.float64), y.astype(np.int64)


def make_circles(n_points=200, noise=0.05, factor=0.5, seed=0):
    """A small circle (label 1) inside a large one (label 0), scikit-learn's ``make_circles``.

    ``factor`` is the ratio of the inner radius to the outer one.
    """
    import sklearn.datasets

    X, y = sklearn.datasets.make_circles(
        n_samples=n_points, noise=noise, factor=factor, random_state=seed
    )
    return X.astype(np.float64), y.astype(np.int64)


def make_spirals(n_points=300, n_classes=3, noise=0.2, seed=0):
    """``n_classes`` interleaved spiral arms, one per class, from the origin out to radius 1.

    ``n_points`` in total, shared as evenly as possible between the classes (the first classes get
    one more when it does not divide). Each arm winds once around the origin: the points of arm
    ``k`` have radii evenly spaced in [0, 1], and the point at radius ``r`` sits at angle
    ``2*pi*(k / n_classes + r)`` plus Gaussian noise of standard deviation ``noise`` (radians), so
    larger noise blurs the arms together.

    Returns X float64 (n_points, 2) and y int64 (n_points,), points grouped by class.
    """
    rng = np.random.default_rng(seed)
    extra = np.arange(n_classes) < n_points % n_classes
    counts = np.full(n_classes, n_points // n_classes) + extra
    y = np.repeat(np.arange(n_classes, dtype=np.int64), counts)
    radius = np.concatenate([np.linspace(0.0, 1.0, count) for count in counts])
    angle = 2 * np.pi * (y / n_classes + radius) + noise * rng.standard_normal(n_points)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return X, y


from .rules import _protect  # noqa: E402  (last: every public name above refuses while grading)

_protect(__name__)
