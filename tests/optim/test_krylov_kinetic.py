"""LAML's fast linear algebra against its exact counterparts: the Krylov (Gauss quadrature)
kinetic energy of the model path vs the eigendecomposition, the compact L-BFGS matrix vs the
two-loop recursion, and whole runs with the Krylov estimate vs the exact kinetic energy."""
import numpy as np
import pytest

from lagopt.datasets import make_regression
from lagopt.objectives import MLPObjective
from lagopt.optim import minimize
from lagopt.optim.laml import ModelPathSolver, QuadraticModel, make_stages
from lagopt.optim.laml.model_path import (_ERROR_FACTOR, _lbfgs_compact_apply,
                                          kinetic_bounds, krylov_kinetic, lbfgs_inverse_apply)


def _spd(n, decades, rs):
    Q, _ = np.linalg.qr(rs.randn(n, n))
    return (Q * np.logspace(-decades, 0, n)) @ Q.T


def _random_models(count, seed=0):
    """A fixed sample of random SPD models (size, conditioning up to 1e8, lam, T)."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n = int(rng.integers(2, 61))
        rs = np.random.RandomState(int(rng.integers(0, 2**31 - 1)))
        H = _spd(n, float(rng.uniform(0.0, 8.0)), rs)
        yield (0.5 * (H + H.T), rs.randn(n), float(rng.choice([1e-2, 1.0, 1e2, 1e4])),
               float(rng.choice([0.3, 1.0, 2.0])))


def test_krylov_kinetic_is_a_lower_bound_within_its_error_estimate():
    # A fixed sample, not a hypothesis search: the lower bound is a theorem (Gauss rule of a
    # completely monotone function), the error estimate a heuristic, which an adversarial
    # search does defeat (hypothesis found a model where the first factor, 10, fell short
    # by 1.6x); on this sample the factor 30 covers every error with room to spare.
    worst = 0.0
    for H, g, lam, T in _random_models(200):
        d = -(H @ g)
        exact = QuadraticModel.from_inverse(g, H).path(d, lam, T).kinetic
        G, err = krylov_kinetic(H, d, lam, T, d_star=d)
        tol = 1e-9 * exact
        assert G <= exact + tol                       # Gauss rule of a completely monotone f
        assert exact <= G + err + tol                 # the a-posteriori estimate covers the error
        worst = max(worst, (exact - G) / max(err, 1e-300))
        n = g.size
        G_full, err_full = krylov_kinetic(H, d, lam, T, max_steps=n)
        assert G_full == pytest.approx(exact, rel=1e-8) and err_full <= 1e-11 * exact
    assert worst < 0.8   # margin: the estimate is not just barely enough


def test_kinetic_bounds_enclose_the_exact_kinetic_energy():
    # A theorem (1 <= J(u) <= 1 + u/2 and Cauchy-Schwarz): checked on random SPD models
    # conditioned up to 1e8, every lam and T of the sample, and the free-particle limit.
    ratios = []
    for H, g, lam, T in _random_models(200, seed=3):
        d = -(H @ g)
        exact = QuadraticModel.from_inverse(g, H).path(d, lam, T).kinetic
        lo, hi = kinetic_bounds(float(d @ d), -float(d @ g), lam, T)
        assert lo <= exact * (1 + 1e-9) and exact <= hi
        ratios.append(hi / exact)
    assert min(ratios) < 1.05            # tight where the path is nearly straight (small lam)
    lo, hi = kinetic_bounds(4.0, 0.0, 1e4, 2.0)      # no curvature: a straight line, exactly
    assert lo == 1.0 and hi == pytest.approx(1.0, rel=1e-8)


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
    # ...and a reported action close to the exact one: the Lanczos estimate (a lower bound)
    # or, where the bounds decided without it, the bound that decided (the upper one for an
    # accepted path, still below the resting action lam L T).
    act_a, act_b = a.history["action"], b.history["action"]
    ok = np.isfinite(act_a)
    np.testing.assert_allclose(act_b[ok], act_a[ok], rtol=1e-2)   # K is ~0.1 % of S here
    acc = b.history["accepted"][1:]
    resting = make_stages("default")[1]["lam"] * b.history["loss"][:-1]
    assert np.all(act_b[1:][acc] < resting[acc])
    assert np.any(act_b[1:][acc] > act_a[1:][acc])      # some decided by the upper bound


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


# ----------------------------------------------------------------------------- compiled kernels
def _numpy_lanczos_gauss(H, d, steps, lam, T):
    """Reference: the NumPy Lanczos recursion (full reorthogonalisation, twice) and the Gauss
    rule ``1/2 |d|^2 e1^T I_AA(sqrt(lam T_k^-1)) e1`` after ``k`` and ``k - 2`` steps, by
    ``np.linalg.eigh`` of the tridiagonal matrix and the closed-form integrals."""
    from lagopt.optim.laml.model_path import _kinetic_integrals
    norm2 = float(d @ d)
    Q = [d / np.sqrt(norm2)]
    alpha, beta = [], []
    for j in range(steps):
        w = H @ Q[j]
        alpha.append(float(Q[j] @ w))
        P = np.array(Q)
        w -= (P @ w) @ P
        w -= (P @ w) @ P
        beta.append(float(np.linalg.norm(w)))
        Q.append(w / beta[-1])

    def gauss(k):
        Tk = np.diag(alpha[:k]) + np.diag(beta[:k - 1], 1) + np.diag(beta[:k - 1], -1)
        h, V = np.linalg.eigh(Tk)
        I_aa, _ = _kinetic_integrals(np.sqrt(lam / h), T)
        return 0.5 * norm2 * float((V[0] ** 2) @ I_aa), float(h.min())

    return gauss(steps), gauss(steps - 2)


@pytest.mark.parametrize("n, decades, lam, T", [(30, 3.0, 1e4, 1.0), (193, 6.0, 1e4, 1.0),
                                                (50, 1.0, 1.0, 0.3), (12, 8.0, 1e2, 2.0)])
def test_compiled_lanczos_is_the_numpy_recursion(n, decades, lam, T):
    from lagopt.optim.laml._kernels import lanczos_kinetic
    from lagopt.optim.laml.model_path import _LANCZOS_BREAKDOWN, _OMEGA_T_SERIES
    rs = np.random.RandomState(n)
    H = _spd(n, decades, rs)
    H = 0.5 * (H + H.T)
    d = -(H @ rs.randn(n))
    steps = min(8, n - 1)
    (G_ref, h_ref), (G_old_ref, _) = _numpy_lanczos_gauss(H, d, steps, lam, T)
    G, G_old, h_min, k, invariant = lanczos_kinetic(H, d, steps, lam, T, _LANCZOS_BREAKDOWN,
                                                    _OMEGA_T_SERIES, np.finfo(float).tiny)
    assert k == steps and not invariant
    assert G == pytest.approx(G_ref, rel=1e-12)
    assert G_old == pytest.approx(G_old_ref, rel=1e-12)
    assert h_min == pytest.approx(h_ref, rel=1e-10)
    # The public function: the same value, and the error estimate of its docstring.
    G_pub, err = krylov_kinetic(H, d, lam, T, max_steps=steps)
    assert G_pub == G and err == pytest.approx(_ERROR_FACTOR * (G - G_old) + 1e-12 * G, rel=1e-12)


def test_compiled_lanczos_stops_on_an_invariant_subspace():
    # H with 3 distinct eigenvalues: the Krylov space of any d has dimension <= 3, so the
    # recursion stops there and the quadrature is exact.
    rs = np.random.RandomState(3)
    n = 40
    Q, _ = np.linalg.qr(rs.randn(n, n))
    H = (Q * np.repeat([0.01, 0.1, 1.0], [10, 10, 20])) @ Q.T
    H = 0.5 * (H + H.T)
    g = rs.randn(n)
    d = -(H @ g)
    G, err = krylov_kinetic(H, d, 1e4, 1.0)
    exact = QuadraticModel.from_inverse(g, H).path(d, 1e4, 1.0).kinetic
    assert G == pytest.approx(exact, rel=1e-9) and err <= 1e-11 * exact


@pytest.mark.parametrize("n", [1, 7, 37, 193])
def test_inplace_bfgs_update_is_bitwise_the_numpy_formula(n):
    from lagopt.optim.laml._kernels import bfgs_update_inplace
    rs = np.random.RandomState(n)
    A = rs.randn(n, n)
    H = A @ A.T + np.eye(n)
    s, y = rs.randn(n), rs.randn(n)
    rho = 1.0 / float(s @ y)
    Hy = H @ y
    c = rho * rho * float(y @ Hy) + rho
    P = np.multiply.outer(Hy, s)
    expected = H - (P + P.T) * rho + np.multiply.outer(s, s) * c
    bfgs_update_inplace(H, s, Hy, rho, c)
    assert np.array_equal(H, expected)


@pytest.mark.parametrize("n", [1, 7, 37, 193])
def test_bfgs_pair_update_is_the_bfgs_formula_and_skips_negative_curvature(n):
    from lagopt.optim.laml._kernels import bfgs_pair_update
    rs = np.random.RandomState(100 + n)
    A = rs.randn(n, n)
    H = A @ A.T + np.eye(n)
    s = rs.randn(n)
    y = s + 0.3 * rs.randn(n)                     # s.y > 0
    rho = 1.0 / float(s @ y)
    V = np.eye(n) - rho * np.outer(y, s)
    expected = V.T @ H @ V + rho * np.outer(s, s)    # (I - rho s y^T) H (I - rho y s^T) + ...
    out = H.copy()
    assert bfgs_pair_update(out, s, y, 1e-10)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())
    assert np.array_equal(out, out.T)
    np.testing.assert_allclose(out @ y, s, rtol=1e-8, atol=1e-8 * np.abs(s).max())  # secant
    before = out.copy()
    assert not bfgs_pair_update(out, s, -y, 1e-10) and np.array_equal(out, before)


def test_a_bfgs_model_of_an_earlier_iteration_is_stale():
    from lagopt.objectives import Quadratic
    from lagopt.optim._budget import BudgetedObjective
    from lagopt.optim.laml import BFGSPredictor, BudgetView, LAMLState
    rs = np.random.RandomState(0)
    f = Quadratic(_spd(6, 2, rs) + np.eye(6))
    view = BudgetView(BudgetedObjective(f, 1e6))
    x = rs.randn(6)
    state = LAMLState(x, *view.loss_and_grad(x), view, np.random.default_rng(0), 1.0, 1.0, 1.0)
    pred = BFGSPredictor()
    pred.reset(state)
    models = []
    for _ in range(4):
        x = pred.predict(state)
        models.append(state.model)
        state.move(x, *view.loss_and_grad(x))
    built = models[-1]()                        # the current one works...
    np.testing.assert_allclose(built.minimiser_step(), models[-1].minimiser_step(),
                               rtol=1e-10, atol=1e-14)
    pred.predict(state)                         # ...until the matrix moves on
    with pytest.raises(RuntimeError, match="earlier iteration"):
        models[-1].H
    assert models[-1]() is built                # a model already built stays valid
