"""The linear / nonlinear / xor data sets of the original LAML experiment: 100 samples each,
from one legacy `RandomState(42)`."""
import numpy as np
import pytest

from lagopt.datasets import DATASETS, LINEAR_WEIGHTS, make_dataset


@pytest.mark.parametrize("name", DATASETS)
def test_shapes_and_dtype(name):
    X, y = make_dataset(name)
    assert X.shape == (100, 4) and y.shape == (100,)
    assert X.dtype == y.dtype == np.float64
    assert X.flags.c_contiguous and y.flags.c_contiguous
    X, y = make_dataset(name, n=7)
    assert X.shape == (7, 4) and y.shape == (7,)


@pytest.mark.parametrize("name", DATASETS)
def test_standardised(name):
    X, y = make_dataset(name)
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-14)
    np.testing.assert_allclose(X.std(axis=0), 1.0, rtol=1e-7)
    assert abs(y.mean()) < 1e-14
    assert abs(y.std() - 1.0) < 1e-7


def test_inputs_are_the_randomstate_42_stream():
    X_raw, _ = make_dataset("linear", standardize=False)
    draws = np.random.RandomState(42).randn(400)
    np.testing.assert_array_equal(X_raw.ravel(), draws)
    # The first draw of the legacy Mersenne twister seeded 42, as a fixed number.
    assert X_raw[0, 0] == 0.4967141530112327
    X, _ = make_dataset("linear")
    np.testing.assert_array_equal(X, (X_raw - X_raw.mean(0)) / (X_raw.std(0) + 1e-8))


def test_targets_follow_the_protocol():
    X, y_lin = make_dataset("linear", standardize=False)
    np.testing.assert_allclose(y_lin, X @ np.array(LINEAR_WEIGHTS), rtol=1e-15)
    _, y_nl = make_dataset("nonlinear", standardize=False)
    np.testing.assert_allclose(y_nl, np.sin(X[:, 0]) + np.cos(X[:, 1]) * X[:, 2], rtol=1e-15)
    _, y_xor = make_dataset("xor", standardize=False)
    expected = np.array([1.0 if (a > 0) ^ (b > 0) else 0.0 for a, b in X[:, :2]])
    np.testing.assert_array_equal(y_xor, expected)
    _, y = make_dataset("xor")
    np.testing.assert_array_equal(y, (y_xor - y_xor.mean()) / (y_xor.std() + 1e-8))


def test_seed_changes_the_draws_and_is_reproducible():
    X0, y0 = make_dataset("nonlinear", seed=0)
    X1, y1 = make_dataset("nonlinear", seed=0)
    X42, _ = make_dataset("nonlinear")
    np.testing.assert_array_equal(X0, X1)
    np.testing.assert_array_equal(y0, y1)
    assert not np.array_equal(X0, X42)


def test_bad_name():
    with pytest.raises(ValueError, match=r"'spiral'.*'linear', 'nonlinear', 'xor'"):
        make_dataset("spiral")
    with pytest.raises(TypeError, match="name"):
        make_dataset(3)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"n": 1}, ValueError, "n"),
    ({"n": 10.0}, TypeError, "n"),
    ({"n": True}, TypeError, "n"),
    ({"seed": -1}, ValueError, "seed"),
    ({"seed": 2**32}, ValueError, "seed"),
    ({"seed": 1.5}, TypeError, "seed"),
    ({"seed": None}, TypeError, "seed"),
])
def test_bad_sizes_and_seeds(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        make_dataset("xor", **kwargs)
