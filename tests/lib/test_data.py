"""The data sets of the student package: splits, normalization, determinism, toy sets."""

import numpy as np
import pytest
import sklearn.datasets
from hypothesis import given, settings
from hypothesis import strategies as st

from backproplab.data import load_digits, make_circles, make_moons, make_spirals

SPLITS = ("train", "val", "test")


def parts(digits):
    return [(getattr(digits, f"X_{s}"), getattr(digits, f"y_{s}")) for s in SPLITS]


def raw_pixels(digits, X):
    """Undo the normalization: back to the integer pixel values 0..16."""
    return np.rint((X.reshape(len(X), 64) * digits.std + digits.mean) * 16).astype(int)


def sorted_rows(A):
    return A[np.lexsort(A.T[::-1])]


def test_digits_splits_partition_the_data_set():
    digits = load_digits(seed=0)
    bunch = sklearn.datasets.load_digits()
    X_all = np.concatenate([raw_pixels(digits, X) for X, _ in parts(digits)])
    y_all = np.concatenate([y for _, y in parts(digits)])
    rows = np.column_stack([X_all, y_all])
    expected = np.column_stack([bunch.data.astype(int), bunch.target])
    assert len(rows) == len(expected) == 1797
    np.testing.assert_array_equal(sorted_rows(rows), sorted_rows(expected))


def test_digits_sizes_types_and_stratification():
    digits = load_digits(seed=1, val_fraction=0.2, test_fraction=0.1)
    sizes = [len(y) for _, y in parts(digits)]
    assert abs(sizes[1] - 0.2 * 1797) <= 2 and abs(sizes[2] - 0.1 * 1797) <= 2
    overall = np.bincount(sklearn.datasets.load_digits().target) / 1797
    for X, y in parts(digits):
        assert X.dtype == np.float64 and X.shape == (len(y), 64)
        assert y.dtype == np.int64 and set(np.unique(y)) == set(range(10))
        assert np.abs(np.bincount(y, minlength=10) / len(y) - overall).max() < 0.02


def test_digits_standardized_with_train_statistics_only():
    digits = load_digits(seed=0)
    assert abs(digits.X_train.mean()) < 1e-12 and abs(digits.X_train.std() - 1) < 1e-12
    assert 0 < digits.mean < 1 and 0 < digits.std < 1
    assert abs(digits.X_test.mean()) > 1e-6  # test split not re-centred on its own statistics


def test_digits_deterministic_by_seed():
    a, b, c = load_digits(seed=5), load_digits(seed=5), load_digits(seed=6)
    for (Xa, ya), (Xb, yb) in zip(parts(a), parts(b)):
        np.testing.assert_array_equal(Xa, Xb)
        np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(a.y_train, c.y_train)


def test_digits_as_images():
    flat, images = load_digits(seed=2), load_digits(seed=2, images=True)
    for (Xf, yf), (Xi, yi) in zip(parts(flat), parts(images)):
        assert Xi.shape == (len(yi), 1, 8, 8)
        np.testing.assert_array_equal(Xi.reshape(len(yi), 64), Xf)
        np.testing.assert_array_equal(yi, yf)


def test_digits_empty_splits_and_bad_fractions():
    digits = load_digits(val_fraction=0, test_fraction=0)
    assert len(digits.y_train) == 1797 and digits.X_val.shape == (0, 64) and len(digits.y_test) == 0
    for fractions in [(-0.1, 0.1), (0.5, 0.5), (0.3, 0.9)]:
        with pytest.raises(ValueError):
            load_digits(val_fraction=fractions[0], test_fraction=fractions[1])


@pytest.mark.parametrize("make", [make_moons, make_circles, make_spirals])
def test_toy_sets_shapes_types_and_determinism(make):
    X, y = make(n_points=101, seed=3)
    assert X.shape == (101, 2) and X.dtype == np.float64
    assert y.shape == (101,) and y.dtype == np.int64
    X2, y2 = make(n_points=101, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, make(n_points=101, seed=4)[0])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 300), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_spirals_balanced_and_inside_unit_disc(n_points, n_classes, seed):
    X, y = make_spirals(n_points, n_classes, noise=0.3, seed=seed)
    counts = np.bincount(y, minlength=n_classes)
    assert len(y) == n_points and counts.max() - counts.min() <= 1 and y.max() < n_classes
    assert np.all(np.hypot(X[:, 0], X[:, 1]) <= 1 + 1e-12)


def test_spirals_without_noise_lie_on_their_arms():
    X, y = make_spirals(n_points=90, n_classes=3, noise=0.0, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    keep = radius > 0
    angle = np.arctan2(X[keep, 1], X[keep, 0])
    expected = 2 * np.pi * (y[keep] / 3 + radius[keep])
    np.testing.assert_allclose(np.cos(angle - expected), 1.0, atol=1e-12)
