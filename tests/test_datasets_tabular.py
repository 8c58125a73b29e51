"""`make_tabular`: synthetic data sets that look like real tabular data (the wide race's
realistic suite). Shapes, determinism by seed, the inputs' mixed types and scales, balanced
labels, and the noise the docstring describes."""
import numpy as np
import pytest
from scipy import stats

from lagopt.datasets import (COLUMN_TYPES, HETERO, POSITIVE_FRACTION, TABULAR, TABULAR_KINDS,
                             TABULAR_NOISE, make_tabular)

_OUTPUTS = {"tabular": 1, "tabular-heavy": 1, "tabular-multi": 3, "tabular-binary": 1,
            "tabular-3class": 3}


def test_registry_is_documented():
    assert set(TABULAR) == set(TABULAR_KINDS) == set(TABULAR_NOISE) == set(_OUTPUTS)


@pytest.mark.parametrize("name", TABULAR)
@pytest.mark.parametrize("n, p", [(200, 8), (450, 20)])
def test_shapes_and_standardised_inputs(name, n, p):
    X, y = make_tabular(name, n=n, seed=1, n_features=p)
    m = _OUTPUTS[name]
    assert X.shape == (n, p) and y.shape == ((n,) if m == 1 else (n, m))
    assert X.dtype == y.dtype == np.float64 and X.flags.c_contiguous and y.flags.c_contiguous
    np.testing.assert_allclose(X.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(0), 1, rtol=1e-12)
    assert np.all(np.isfinite(y))
    if name in ("tabular", "tabular-heavy", "tabular-multi"):
        np.testing.assert_allclose(y.mean(0), 0, atol=1e-12)
        np.testing.assert_allclose(y.std(0), 1, rtol=1e-12)
    else:
        assert set(np.unique(y)) == {0.0, 1.0}


def test_multi_outputs_count_and_fixed_outputs_refused():
    for m in (2, 4):
        assert make_tabular("tabular-multi", n=100, n_outputs=m)[1].shape == (100, m)
    assert make_tabular("tabular-3class", n=100, n_outputs=3)[1].shape == (100, 3)
    with pytest.raises(ValueError, match="n_outputs"):
        make_tabular("tabular", n=100, n_outputs=2)
    with pytest.raises(ValueError, match="n_outputs"):
        make_tabular("tabular-multi", n=100, n_outputs=1)


@pytest.mark.parametrize("name", TABULAR)
def test_deterministic_by_seed(name):
    X0, y0 = make_tabular(name, n=300, seed=7, n_features=10)
    X1, y1 = make_tabular(name, n=300, seed=7, n_features=10)
    np.testing.assert_array_equal(X0, X1)
    np.testing.assert_array_equal(y0, y1)
    X2, y2 = make_tabular(name, n=300, seed=np.random.default_rng(7), n_features=10)
    np.testing.assert_array_equal(X0, X2)
    np.testing.assert_array_equal(y0, y2)
    X3, y3 = make_tabular(name, n=300, seed=8, n_features=10)
    assert not np.array_equal(X0, X3) and not np.array_equal(y0, y3)
    state = np.random.get_state()[1].copy()
    make_tabular(name, n=50, seed=7)
    np.testing.assert_array_equal(np.random.get_state()[1], state)   # global state untouched


def test_inputs_are_correlated_mixed_and_differently_scaled():
    X, _, info = make_tabular("tabular", n=500, seed=3, n_features=16, return_info=True)
    raw, types = info["X_raw"], info["column_types"]
    assert len(types) == 16 and set(types) <= set(COLUMN_TYPES) and len(set(types)) >= 3
    np.testing.assert_allclose(X, (raw - raw.mean(0)) / raw.std(0), rtol=1e-12, atol=1e-12)
    raw_only, _ = make_tabular("tabular", n=500, seed=3, n_features=16, standardize=False)
    np.testing.assert_array_equal(raw_only, raw)
    corr = np.corrcoef(X.T)[np.triu_indices(16, 1)]
    assert np.max(np.abs(corr)) > 0.4                       # shared latent factors
    spread = raw.std(0)
    assert spread.max() / spread.min() > 100                # very different scales
    for j, kind in enumerate(types):
        col = raw[:, j]
        if kind == "binary":
            assert set(np.unique(col)) == {0.0, 1.0}
        elif kind == "count":
            assert np.all(col >= 0) and np.all(col == np.floor(col))
        elif kind == "bounded":
            assert np.all((col >= 0) & (col <= 100))
        elif kind == "lognormal":
            assert np.all(col > 0) and np.mean(col) > np.median(col)   # right-skewed
    assert 3 <= len(info["informative"]) <= 16


def test_heteroscedastic_noise_is_as_documented():
    for seed in range(3):
        _, y, info = make_tabular("tabular", n=600, seed=seed, return_info=True)
        f, e, s = info["f"], info["noise"], info["scale"]
        np.testing.assert_allclose(info["y_raw"], f + e, rtol=0, atol=1e-12)
        np.testing.assert_allclose(y, (info["y_raw"] - info["y_raw"].mean())
                                   / info["y_raw"].std(), atol=1e-12)
        assert np.mean(s ** 2) == pytest.approx(1.0)
        assert s.max() / s.min() <= np.exp(4 * HETERO) * (1 + 1e-12)
        assert s.max() / s.min() > 3                            # it does vary
        z = e / (TABULAR_NOISE["tabular"] * f.std() * s)        # standard normal draws
        assert abs(z.mean()) < 0.15 and z.std() == pytest.approx(1.0, abs=0.1)
        assert np.corrcoef(np.abs(e), s)[0, 1] > 0.25           # larger where s is large
    # the noise level scales as asked, and 0 means none
    _, _, info = make_tabular("tabular", n=300, seed=0, noise=0.0, return_info=True)
    assert np.all(info["noise"] == 0)


def test_heavy_tailed_noise_is_as_documented():
    kurt = []
    for seed in range(4):
        _, _, info = make_tabular("tabular-heavy", n=600, seed=seed, return_info=True)
        e, f = info["noise"], info["f"]
        assert np.all(info["scale"] == 1.0)
        t = e / (TABULAR_NOISE["tabular-heavy"] * f.std()) * np.sqrt(3.0)   # Student t(3)
        kurt.append(np.mean((t - t.mean()) ** 4) / t.var() ** 2)
        # the draws are Student t with 3 degrees of freedom (heavier tails than a normal)
        assert stats.kstest(t, "t", args=(3,)).pvalue > 1e-3
        assert stats.kstest(t / t.std(), "norm").statistic > stats.kstest(t, "t",
                                                                          args=(3,)).statistic
    assert np.median(kurt) > 5                                    # a normal's is 3


def test_multi_outputs_are_correlated_with_their_own_noise():
    _, Y, info = make_tabular("tabular-multi", n=500, seed=2, n_outputs=4, return_info=True)
    assert info["f"].shape == info["noise"].shape == (500, 4)
    e = info["noise"] / (0.3 * info["f"].std(0) * info["scale"][:, None])
    np.testing.assert_allclose(e.std(0), 1.0, atol=0.12)
    assert np.max(np.abs(np.corrcoef(e.T) - np.eye(4))) < 0.15   # independent noise draws
    assert np.max(np.abs(np.corrcoef(Y.T)[np.triu_indices(4, 1)])) > 0.2   # shared teacher


def test_classification_labels_are_balanced_and_noisy():
    for seed in range(6):
        _, y, info = make_tabular("tabular-binary", n=400 + 40 * seed, seed=seed,
                                  n_features=8 + 2 * seed, return_info=True)
        assert y.mean() == pytest.approx(POSITIVE_FRACTION, abs=0.01)
        clean = info["f"] > np.quantile(info["f"], 1 - POSITIVE_FRACTION)
        agree = np.mean(clean == (y == 1))
        assert 0.7 < agree < 0.995                       # the score noise flips some labels
        _, Y = make_tabular("tabular-3class", n=300 + 50 * seed, seed=seed,
                            n_features=6 + 2 * seed)
        np.testing.assert_array_equal(Y.sum(1), 1.0)
        assert Y.mean(0).min() >= 0.25 and Y.mean(0).max() <= 0.42


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"name": "spiral"}, ValueError, "spiral"),
    ({"name": 3}, TypeError, "name"),
    ({"n": 5}, ValueError, "n"),
    ({"n_features": 3}, ValueError, "n_features"),
    ({"noise": -0.1}, ValueError, "noise"),
    ({"seed": -1}, ValueError, "seed"),
    ({"seed": 1.5}, TypeError, "seed"),
])
def test_bad_arguments(kwargs, exc, match):
    args = {"name": "tabular", **kwargs}
    with pytest.raises(exc, match=match):
        make_tabular(args.pop("name"), **args)
