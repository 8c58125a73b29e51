"""LAML's fast linear algebra against its exact counterparts: the Krylov (Gauss quadrature)
kinetic energy of the model path vs the eigendecomposition, the compact L-BFGS matrix vs the
two-loop recursion, and whole runs with the Krylov estimate vs the exact kinetic energy."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from lagopt.datasets import make_regression
from lagopt.objectives import MLPObjective
from lagopt.optim import minimize
from lagopt.optim.laml import ModelPathSolver, QuadraticModel
from lagopt.optim.laml.model_path import (_lbfgs_compact_apply, krylov_kinetic,
                                          lbfgs_inverse_apply)


def _spd(n, decades, rs):
    Q, _ = np.linalg.qr(rs.randn(n, n))
    return (Q * np.logspace(-decades, 0, n)) @ Q.T


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 60), decades=st.floats(0.0, 8.0), seed=st.integers(0, 2**31 - 1),
       lam=st.sampled_from([1e-2, 1.0, 1e2, 1e4]), T=st.sampled_from([0.3, 1.0, 2.0]))
def test_krylov_kinetic_is_a_lower_bound_within_its_error_estimate(n, decades, seed, lam, T):
    rs = np.random.RandomState(seed)
    H = _spd(n, decades, rs)
    H = 0.5 * (H + H.T)
    g = rs.randn(n)
    d = -(H @ g)
    exact = QuadraticModel.from_inverse(g, H).path(d, lam, T).kinetic
    G, err = krylov_kinetic(H, d, lam, T, d_star=d)
    tol = 1e-9 * exact
    assert G <= exact + tol                       # Gauss rule of a completely monotone f
    assert exact <= G + err + tol                 # the a-posteriori estimate covers the error
    G_full, err_full = krylov_kinetic(H, d, lam, T, max_steps=n)
    assert G_full == pytest.approx(exact, rel=1e-8) and err_full <= 1e-11 * exact


def test_compact_lbfgs_matrix_is_the_two_loop_recursion():
    rs = np.random.RandomState(1)
    n = 40
    A = _spd(n, 3, rs) + 1e-3 * np.eye(n)
    pairs = [(s, A @ s) for s in rs.randn(7, n)]
    V = rs.randn(n, 5)
    two_loop = np.column_stack([lbfgs_inverse_apply(V[:, j], pairs) for j in range(5)])
    np.testing.assert_allclose(_lbfgs_compact_apply(V, pairs), two_loop, rtol=1e-11,
                               atol=1e-12 * np.abs(two_loop).max())
    np.testing.assert_allclose(lbfgs_inverse_apply(V, pairs), two_loop, rtol=1e-11,
                               atol=1e-12 * np.abs(two_loop).max())


@pytest.mark.parametrize("sizes", [(4, 24, 1), (4, 6, 1)])
def test_krylov_runs_take_the_decisions_of_the_exact_kinetic_energy(sizes):
    X, y = make_regression("sincos", n=120, seed=0, noise=0.1)
    f = MLPObjective(X, y, sizes=sizes, activation="tanh")
    x0 = f.init_params(0)
    runs = {kind: minimize(f, x0, method="laml", max_grad_evals=300, seed=0,
                           path=ModelPathSolver(kinetic=kind, krylov_min=1))
            for kind in ("exact", "krylov")}
    a, b = runs["exact"], runs["krylov"]
    # Same decisions, so the same iterates (up to rounding)...
    np.testing.assert_array_equal(a.history["accepted"], b.history["accepted"])
    np.testing.assert_allclose(b.history["loss"], a.history["loss"], rtol=1e-9, atol=0)
    # ...and a reported action whose kinetic part is a lower bound within a few per cent.
    act_a, act_b = a.history["action"], b.history["action"]
    ok = np.isfinite(act_a)
    assert np.all(act_b[ok] <= act_a[ok] * (1 + 1e-12))
    np.testing.assert_allclose(act_b[ok], act_a[ok], rtol=1e-4)


def test_the_curve_of_a_krylov_path_is_the_exact_model_curve():
    X, y = make_regression("sincos", n=80, seed=1, noise=0.1)
    f = MLPObjective(X, y, sizes=(4, 16, 1), activation="tanh")
    x0 = f.init_params(1)
    res = minimize(f, x0, method="laml", preset="curve", max_grad_evals=150, seed=0,
                   path=ModelPathSolver(kinetic="krylov"))
    ref = minimize(f, x0, method="laml", preset="curve", max_grad_evals=150, seed=0,
                   path=ModelPathSolver(kinetic="exact"))
    np.testing.assert_allclose(res.history["loss"], ref.history["loss"], rtol=1e-9)
    with pytest.raises(ValueError, match="kinetic"):
        ModelPathSolver(kinetic="lanczos")
