"""The regression targets of the wide optimizer race (`lagopt.datasets.make_regression`): drawn
from an explicit Generator, standardised, each the documented function of its inputs."""
import numpy as np
import pytest
from scipy.special import ndtr

from lagopt.datasets import (QUADRATIC_FORM, TARGET_FORMULAS, TARGETS, make_dataset,
                             make_regression)

#: The documented formulas, written out again independently of the module.
EXPECTED = {
    "sincos": lambda x: np.sin(x[:, 0]) + np.cos(x[:, 1]) * x[:, 2],
    "product": lambda x: x[:, 0] * x[:, 1],
    "friedman": lambda x: (10 * np.sin(np.pi * ndtr(x[:, 0]) * ndtr(x[:, 1]))
                           + 20 * (ndtr(x[:, 2]) - 0.5) ** 2 + 10 * ndtr(x[:, 3])),
    "bump": lambda x: np.exp(-np.sum(x ** 2, axis=1) / 4),
    "kinks": lambda x: np.abs(x[:, 0]) - np.abs(x[:, 1]),
    "step": lambda x: np.tanh(3 * x[:, 0] * x[:, 3]),
    "quadratic": lambda x: np.array([v @ np.array(QUADRATIC_FORM) @ v for v in x]),
    "ridge": lambda x: np.tanh(x[:, 0] + x[:, 1] - x[:, 2]),
    "maxabs": lambda x: np.maximum(np.abs(x[:, 0]), np.abs(x[:, 2])),
    "triple": lambda x: x[:, 0] * x[:, 1] * x[:, 2],
    "radial": lambda x: np.sqrt(np.sum(x ** 2, axis=1)),
    "wave": lambda x: np.sin(2 * x[:, 0]) + x[:, 3] / 2,
}


def _standardised(v):
    return (v - v.mean()) / v.std()


def test_at_least_six_targets_each_documented():
    assert len(TARGETS) >= 6 and len(set(TARGETS)) == len(TARGETS)
    assert set(TARGET_FORMULAS) == set(TARGETS) == set(EXPECTED)
    A = np.array(QUADRATIC_FORM)
    np.testing.assert_array_equal(A, A.T)
    eig = np.linalg.eigvalsh(A)
    assert eig.min() < 0 < eig.max()        # indefinite, as documented


@pytest.mark.parametrize("name", TARGETS)
def test_shapes_standardised_and_deterministic(name):
    X, y = make_regression(name)
    assert X.shape == (100, 4) and y.shape == (100,)
    assert X.dtype == y.dtype == np.float64 and X.flags.c_contiguous and y.flags.c_contiguous
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-14)
    np.testing.assert_allclose(X.std(axis=0), 1.0, rtol=1e-12)
    assert abs(y.mean()) < 1e-13 and abs(y.std() - 1.0) < 1e-12
    X2, y2 = make_regression(name)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, y3 = make_regression(name, seed=1)
    assert not np.array_equal(X, X3) and not np.array_equal(y, y3)


@pytest.mark.parametrize("name", TARGETS)
def test_noise_free_target_is_the_documented_function(name):
    X, y = make_regression(name, n=50, seed=3, noise=0.0)
    np.testing.assert_allclose(y, _standardised(EXPECTED[name](X)), atol=1e-12)


def test_the_draws_follow_the_documented_order():
    rng = np.random.default_rng(7)
    Z = rng.standard_normal((30, 6))
    e = rng.standard_normal(30)
    X, y = make_regression("product", n=30, seed=7, n_features=6, noise=0.2)
    np.testing.assert_allclose(X, (Z - Z.mean(0)) / Z.std(0), rtol=1e-14, atol=1e-15)
    f = X[:, 0] * X[:, 1]
    np.testing.assert_allclose(y, _standardised(f + 0.2 * f.std() * e), atol=1e-12)
    # Inputs do not depend on the target; a Generator is drawn from and advanced.
    np.testing.assert_array_equal(make_regression("bump", n=30, seed=7, n_features=6)[0], X)
    g = np.random.default_rng(7)
    np.testing.assert_array_equal(make_regression("product", n=30, seed=g, n_features=6,
                                                  noise=0.2)[1], y)
    assert not np.array_equal(make_regression("product", n=30, seed=g, n_features=6)[0], X)


def test_noise_is_small_and_relative():
    X, y = make_regression("friedman", n=2000, seed=0, noise=0.1)
    f = _standardised(EXPECTED["friedman"](X))
    residual = np.mean((y - f) ** 2)
    assert 0.005 < residual < 0.015                 # about noise**2 / (1 + noise**2)


def test_global_random_state_and_make_dataset_untouched():
    before = np.random.get_state()[1].copy()
    make_regression("kinks", seed=5)
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    X, _ = make_dataset("linear", standardize=False)
    assert X[0, 0] == 0.4967141530112327     # the legacy RandomState(42) stream, unchanged


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"'spiral'.*'sincos'"):
        make_regression("spiral")
    with pytest.raises(TypeError, match="name"):
        make_regression(3)
    for kwargs, exc, match in [({"n": 1}, ValueError, "n"), ({"n": 2.0}, TypeError, "n"),
                               ({"n_features": 3}, ValueError, "n_features"),
                               ({"noise": -0.1}, ValueError, "noise"),
                               ({"seed": -1}, ValueError, "seed"),
                               ({"seed": 1.5}, TypeError, "seed"),
                               ({"seed": True}, TypeError, "seed"),
                               ({"seed": None}, TypeError, "seed")]:
        with pytest.raises(exc, match=match):
            make_regression("product", **kwargs)
