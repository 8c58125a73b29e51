"""`solve_mep`: Mueller-Brown reference values, the Jacobi-Maupertuis and Freidlin-Wentzell
identities, a property test on random double wells, faults, and a 50-D matrix-free case."""
import numpy as np
import pytest
import scipy.optimize
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lagopt
from lagopt import Status, solve_mep
from lagopt.objectives import CallableObjective, MullerBrown
from lagopt.transition import MEPResult

A = np.array([-0.5582236, 1.4417258])
B = np.array([0.6234994, 0.0280378])
C = np.array([-0.0500108, 0.4666941])
S1, V_S1 = np.array([-0.8220015587, 0.6243128028]), -40.66484351
S2, V_S2 = np.array([0.2124865820, 0.2929883251]), -72.24894011


@pytest.fixture(scope="module")
def mb():
    return MullerBrown()


@pytest.fixture(scope="module")
def mb_result(mb):
    return solve_mep(mb, A, B)


def test_exported():
    assert lagopt.solve_mep is solve_mep and "solve_mep" in lagopt.__all__


def test_mueller_brown_a_to_b(mb, mb_result):
    res = mb_result
    assert isinstance(res, MEPResult)
    assert res.success and res.status == Status.SUCCESS, res.message
    assert res.n_grad <= 800
    assert len(res.saddles) == 2 and len(res.minima) == 3
    for sp, x, v in zip(res.saddles, (S1, S2), (V_S1, V_S2)):
        np.testing.assert_allclose(sp.x, x, atol=1e-8)
        assert sp.energy == pytest.approx(v, abs=1e-8)
        assert sp.certified and sp.index == 1 and sp.grad_norm <= 1e-8
    for m, x in zip(res.minima, (A, C, B)):
        np.testing.assert_allclose(m.x, x, atol=1e-6)
        assert m.certified and m.index == 0
    v_a, v_c = res.minima[0].energy, res.minima[1].energy
    assert res.quasi_potential == pytest.approx(229.107103, rel=1e-6)
    assert res.quasi_potential == pytest.approx(2 * ((V_S1 - v_a) + (V_S2 - v_c)), rel=1e-9)
    assert res.barrier_forward == pytest.approx(V_S1 - v_a, rel=1e-9)
    assert res.barrier_backward == pytest.approx(V_S1 - res.minima[-1].energy, rel=1e-9)
    assert res.tangent_residual <= 1e-3


def test_result_layout(mb, mb_result):
    res = mb_result
    n, m = res.path.shape
    assert n == 2 and res.s.shape == (m,) and res.energy.shape == (m,)
    assert res.s[0] == 0 and res.s[-1] == pytest.approx(1) and np.all(np.diff(res.s) > 0)
    np.testing.assert_allclose(res.energy, mb.loss_batch(res.path), rtol=1e-12)
    np.testing.assert_allclose(res.path[:, 0], res.minima[0].x)
    np.testing.assert_allclose(res.path[:, -1], res.minima[-1].x)
    # the critical points are images of the path, in path order
    order = [int(np.argmin(np.linalg.norm(res.path - p.x[:, None], axis=0)))
             for p in (res.minima[0], res.saddles[0], res.minima[1], res.saddles[1],
                       res.minima[2])]
    assert order == sorted(order)
    text = repr(res)
    assert "success: True" in text and "saddle" in text and "quasi_potential" in text
    assert set(["path", "s", "energy", "saddles", "minima", "n_grad"]) <= set(res.keys())


def _jacobi_length(mb, res):
    g = np.linalg.norm(mb.grad_batch(res.path), axis=0)
    ds = np.linalg.norm(np.diff(res.path, axis=1), axis=0)
    return float(np.sum(0.5 * (g[1:] + g[:-1]) * ds))


def test_jacobi_maupertuis_length_equals_sum_of_energy_drops(mb):
    # On the MEP, int |grad V| |dtheta| = sum over monotone segments of |Delta V|.
    errors = []
    for m in (21, 31):
        res = solve_mep(mb, A, B, n_images=m)
        assert res.success
        pts = sorted(res.minima + res.saddles, key=lambda p: np.argmin(
            np.linalg.norm(res.path - p.x[:, None], axis=0)))
        drops = float(np.sum(np.abs(np.diff([p.energy for p in pts]))))
        assert drops == pytest.approx(190.5743103, rel=1e-8)
        errors.append(abs(_jacobi_length(mb, res) / drops - 1))
    assert errors[1] < 0.02 and errors[1] < errors[0]     # converges with the images


def test_freidlin_wentzell_reverse_direction(mb, mb_result):
    back = solve_mep(mb, B, A)
    assert back.success
    # B -> A climbs S2 from B, then S1 from C.
    v_b, v_c = back.minima[0].energy, back.minima[1].energy
    want = 2 * ((V_S2 - v_b) + (V_S1 - v_c))
    assert back.quasi_potential == pytest.approx(want, rel=1e-8)
    assert back.barrier_forward == pytest.approx(mb_result.barrier_backward, rel=1e-8)


# ---------------------------------------------------------------------- random double wells
def double_well(c1, c2, a1, a2, s1, s2, k):
    """``k |x|^2 / 2 - a1 exp(-|x - c1|^2 / 2 s1^2) - a2 exp(-|x - c2|^2 / 2 s2^2)``, with
    exact vectorized gradient and Hessian (points as columns)."""
    cs = [np.asarray(c1, float)[:, None], np.asarray(c2, float)[:, None]]
    amps, sig = [a1, a2], [s1, s2]

    def parts(P):
        for c, a, s in zip(cs, amps, sig):
            d = P - c
            yield d, a * np.exp(-np.sum(d * d, axis=0) / (2 * s * s)), s

    def loss(P):
        return 0.5 * k * np.sum(P * P, axis=0) - sum(e for _, e, _ in parts(P))

    def grad(P):
        return k * P + sum(e * d / s ** 2 for d, e, s in parts(P))

    def hess(P):
        H = np.zeros((2, 2, P.shape[1])) + k * np.eye(2)[:, :, None]
        for d, e, s in parts(P):
            H += e * (np.eye(2)[:, :, None] / s ** 2 - d[:, None, :] * d[None, :, :] / s ** 4)
        return H

    return CallableObjective(loss, 2, grad=grad, hess=hess, vectorized=True)


@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(dx=st.floats(0.7, 1.3), dy=st.floats(-0.5, 0.5), a1=st.floats(1.0, 3.0),
       a2=st.floats(1.0, 3.0), s1=st.floats(0.4, 0.7), s2=st.floats(0.4, 0.7),
       k=st.floats(0.05, 0.5))
def test_property_saddles_and_minima_are_certified(dx, dy, a1, a2, s1, s2, k):
    c1, c2 = np.array([-dx, dy]), np.array([dx, -dy])
    f = double_well(c1, c2, a1, a2, s1, s2, k)
    res = solve_mep(f, c1, c2, max_grad_evals=20000)
    assert res.success in (True, False)
    if not res.success:
        assert res.message
        return
    assert np.all(np.isfinite(res.energy)) and np.isfinite(res.quasi_potential)
    assert len(res.saddles) >= 1
    for p in res.saddles + res.minima:
        g = f.grad(p.x)
        assert np.max(np.abs(g)) <= 1e-8
        root = scipy.optimize.root(f.grad, p.x, jac=f.hess, tol=1e-14)
        np.testing.assert_allclose(root.x, p.x, atol=1e-7)
        negative = int(np.sum(np.linalg.eigvalsh(f.hess(p.x)) < 0))
        assert negative == (1 if p.kind == "saddle" else 0)
    assert res.quasi_potential >= 2 * res.barrier_forward * (1 - 1e-12) - 1e-12 \
        or len(res.saddles) > 1


def test_a_typical_double_well_succeeds():
    f = double_well([-1, 0.2], [1, -0.2], 2.0, 1.5, 0.5, 0.6, 0.2)
    res = solve_mep(f, [-1, 0.2], [1, -0.2])
    assert res.success and len(res.saddles) == 1
    assert res.quasi_potential == pytest.approx(2 * res.barrier_forward, rel=1e-12)


# ---------------------------------------------------------------------- faults
def test_bad_inputs_raise(mb):
    with pytest.raises(ValueError, match="same point"):
        solve_mep(mb, A, A)
    with pytest.raises(ValueError, match="finite"):
        solve_mep(mb, [np.nan, 1.0], B)
    with pytest.raises(ValueError):
        solve_mep(mb, A, [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="n_images"):
        solve_mep(mb, A, B, n_images=2)


def test_nan_region_crossed_gives_non_finite_status():
    base = double_well([-1, 0.0], [1, 0.0], 2.0, 2.0, 0.5, 0.5, 0.2)

    def loss(x):
        return np.nan if np.hypot(x[0], x[1]) < 0.3 else base.loss(x)

    def grad(x):
        return np.full(2, np.nan) if np.hypot(x[0], x[1]) < 0.3 else base.grad(x)

    f = CallableObjective(loss, 2, grad=grad, hess=lambda x: base.hess(x))
    res = solve_mep(f, [-1, 0.0], [1, 0.0])
    assert not res.success and res.status == Status.NON_FINITE
    assert "finite" in res.message


def test_ends_not_at_minima_without_refinement(mb):
    res = solve_mep(mb, [-0.45, 1.3], B, refine_ends=False)
    assert not res.success
    assert not res.minima[0].certified
    assert "refine_ends" in res.message and "minimum" in res.message


def test_same_basin_ends(mb):
    res = solve_mep(mb, A, A + 0.02)
    assert not res.success and "same minimum" in res.message


def test_budget_exhausted_is_a_status(mb):
    res = solve_mep(mb, A, B, max_grad_evals=60)
    assert not res.success and res.status == Status.BUDGET_EXHAUSTED
    assert res.n_grad <= 60 and "max_grad_evals" in res.message


def test_unconverged_string_is_max_iter(mb):
    res = solve_mep(mb, A, B, max_iter=2)
    assert not res.success and res.status == Status.MAX_ITER and "max_iter" in res.message


# ---------------------------------------------------------------------- 50-D, matrix-free
def test_embedded_double_well_in_50d_matrix_free():
    rng = np.random.default_rng(0)
    n = 50
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    k = rng.uniform(5.0, 20.0, n - 2)

    def dV_dy(y):
        r = y[1] - 0.6 * y[0] ** 2
        return np.concatenate([[4 * y[0] * (y[0] ** 2 - 1) - 7.2 * r * y[0], 6 * r],
                               k * y[2:]])

    def hess(x):
        y = Q @ x
        r = y[1] - 0.6 * y[0] ** 2
        Hy = np.diag(np.concatenate([[12 * y[0] ** 2 - 4 + 8.64 * y[0] ** 2 - 7.2 * r, 6.0],
                                     k]))
        Hy[0, 1] = Hy[1, 0] = -7.2 * y[0]
        return Q.T @ Hy @ Q

    def V(x):
        y = Q @ x
        return (y[0] ** 2 - 1) ** 2 + 3 * (y[1] - 0.6 * y[0] ** 2) ** 2 + \
            0.5 * np.sum(k * y[2:] ** 2)

    f = CallableObjective(V, n, grad=lambda x: Q.T @ dV_dy(Q @ x), hess=hess)
    ya = np.zeros(n)
    ya[:2] = -1.0, 0.6
    yb = ya.copy()
    yb[0] = 1.0
    res = solve_mep(f, Q.T @ ya + 0.01, Q.T @ yb - 0.01, dense_max=10, seed=0)
    assert res.success, res.message
    (sp,) = res.saddles
    np.testing.assert_allclose(sp.x, 0.0, atol=1e-8)
    assert sp.energy == pytest.approx(1.0, abs=1e-12)
    assert sp.certified and sp.index == 1
    assert sp.eigenvalues[0] == pytest.approx(-4.0, rel=1e-6)
    assert sp.eigenvalues.size == 4 and sp.eigenvalues[1] > 0      # Lanczos: k lowest only
    assert res.quasi_potential == pytest.approx(2.0, rel=1e-9)
