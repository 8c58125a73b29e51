"""The lean Lobatto IIIA collocation solver (`lagopt.paths._lobatto`): its Newton matrix
against finite differences, fourth-order convergence, closed forms, and agreement with
scipy's solve_bvp, which implements the same scheme."""
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.integrate import solve_bvp
from scipy.linalg.lapack import dgbtrs

from lagopt.objectives import CallableObjective, Quadratic
from lagopt.paths import _lobatto, quadratic_solution
from lagopt.paths._problem import BVPProblem

from lagopt import Status

FAR = time.perf_counter() + 1e9


def _quartic(n, seed):
    rng = np.random.default_rng(seed)
    C = rng.standard_normal((n, n))
    C = C @ C.T / n + np.eye(n)

    def loss(P):
        return 0.25 * np.sum(P ** 4, axis=0) + 0.5 * np.einsum("im,ij,jm->m", P, C, P)

    def grad(P):
        return P ** 3 + C @ P

    def hess(P):
        H = np.repeat(C[:, :, None], P.shape[1], axis=2)
        H[np.arange(n), np.arange(n)] += 3 * P ** 2
        return H
    return CallableObjective(loss, n, grad=grad, hess=hess, vectorized=True)


def _dense_newton_matrix(obj, lam, x, Y, a, b):
    """The Jacobian of the stacked residual (bc0, intervals, bcT) by central differences."""
    n2, m = Y.shape
    n = n2 // 2

    def F(z):
        R, bc, *_ = _lobatto._residuals(obj, lam, x, z.reshape(m, n2).T, None, a, b)
        return np.concatenate((bc[:n], R.T.ravel(), bc[n:]))
    z = Y.T.ravel()
    J = np.empty((z.size, z.size))
    for j in range(z.size):
        e = np.zeros(z.size)
        e[j] = 1e-6
        J[:, j] = (F(z + e) - F(z - e)) / 2e-6
    return J, F(z)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_banded_newton_matrix_matches_finite_differences(n):
    obj = _quartic(n, seed=n)
    rng = np.random.default_rng(0)
    x = np.sort(np.concatenate(([0.0, 1.3], rng.uniform(0, 1.3, 5))))
    Y = rng.standard_normal((2 * n, x.size))
    a, b = rng.standard_normal(n), rng.standard_normal(n)
    J, r = _dense_newton_matrix(obj, 0.7, x, Y, a, b)
    R, bc, F, Ym, Fm = _lobatto._residuals(obj, 0.7, x, Y, None, a, b)
    lu, piv, u = _lobatto._jacobian_band(obj, 0.7, x, Y, Ym)
    step, info = dgbtrs(lu, u, u, r, piv)
    assert info == 0
    np.testing.assert_allclose(step, np.linalg.solve(J, r), rtol=1e-6, atol=1e-8)


def _quadratic_run(A, a, b, T, lam, nodes, tol=1e-6, max_nodes=1000):
    problem = BVPProblem(Quadratic(A), np.asarray(a, float), np.asarray(b, float), T, lam)
    x = np.linspace(0.0, T, nodes)
    Y = np.vstack((problem.straight_line(x), np.repeat(((problem.thetaT - problem.theta0)
                                                        / T)[:, None], nodes, axis=1)))
    return _lobatto.solve(problem, lam, x, Y, tol, max_nodes, FAR)


def test_fourth_order_convergence_on_a_fixed_mesh():
    # Newton alone on fixed meshes (no refinement): the error of the scheme itself.
    A = np.diag([4.0, -1.0])
    a, b, T = np.array([1.0, 0.5]), np.array([-0.5, 1.0]), 1.5
    exact = quadratic_solution(A, a, b, T)
    errors = []
    for nodes in (9, 17, 33, 65):
        x = np.linspace(0.0, T, nodes)
        Y = np.vstack((a[:, None] + np.outer(b - a, x / T), np.repeat(((b - a) / T)[:, None],
                                                                      nodes, axis=1)))
        Y, F, it, ok = _lobatto._newton(Quadratic(A), 1.0, x, Y, None, a, b, 1e-12, FAR)
        assert ok
        errors.append(np.abs(Y[:2] - exact(x)).max())
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(orders > 3.7), orders


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 6), seed=st.integers(0, 2**31 - 1), T=st.floats(0.2, 3.0))
def test_closed_form_quadratics(n, seed, T):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    # eigenvalues above -(pi / T)^2 / 2: no conjugate point in (0, T]
    eig = rng.uniform(-0.5 * (np.pi / T) ** 2, 30.0, n)
    A = (Q * eig) @ Q.T
    A = 0.5 * (A + A.T)
    a, b = rng.standard_normal(n), rng.standard_normal(n)
    run = _quadratic_run(A, a, b, T, 1.0, 21, tol=1e-8, max_nodes=5000)
    assert run.status == Status.SUCCESS
    exact = quadratic_solution(A, a, b, T)
    scale = 1.0 + np.abs(exact(run.x)).max() + T * np.abs(exact.velocity(run.x)).max()
    assert np.abs(run.sol(run.x)[:n] - exact(run.x)).max() < 1e-6 * scale


def test_agrees_with_solve_bvp_on_troesch():
    mu = 5.0
    obj = CallableObjective(lambda P: np.cosh(mu * P[0]), 1,
                            grad=lambda P: mu * np.sinh(mu * P),
                            hess=lambda P: (mu * mu * np.cosh(mu * P))[None], vectorized=True)
    problem = BVPProblem(obj, np.zeros(1), np.ones(1), 1.0, 1.0)
    x = np.linspace(0.0, 1.0, 11)
    Y = np.vstack((x, np.ones_like(x)))
    ours = _lobatto.solve(problem, 1.0, x, Y, 1e-6, 5000, FAR)

    def f(t, y):
        return np.vstack((y[1], mu * np.sinh(mu * y[0])))

    def fj(t, y):
        J = np.zeros((2, 2, y.shape[1]))
        J[0, 1], J[1, 0] = 1.0, mu * mu * np.cosh(mu * y[0])
        return J
    ref = solve_bvp(f, lambda ya, yb: np.array([ya[0], yb[0] - 1.0]), x, Y, fun_jac=fj,
                    tol=1e-6)
    assert ours.status == Status.SUCCESS and ref.status == 0
    assert ours.rms < 1e-6
    # The same scheme and refinement rule: the same slope at 0 (0.0457504614063) to 1e-7.
    assert abs(ours.sol(0.0)[1, 0] - ref.sol(0.0)[1]) < 1e-7 * 0.0457
    assert abs(ours.sol(0.0)[1, 0] - 0.0457504614063) < 1e-6 * 0.0457


def test_failures_are_statuses():
    A = np.diag([1.0])
    run = _quadratic_run(A, [0.0], [1.0], 1.0, 1.0, 3, tol=1e-12, max_nodes=4)
    assert run.status == Status.MAX_ITER and run.sol is None
    problem = BVPProblem(Quadratic(A), np.zeros(1), np.ones(1), 1.0, 1.0)
    x = np.linspace(0, 1, 5)
    run = _lobatto.solve(problem, 1.0, x, np.vstack((x, np.ones(5))), 1e-6, 100,
                         time.perf_counter() - 1.0)
    assert run.status in (Status.MAX_TIME, Status.SUCCESS)


def test_refinement_of_intervals_of_a_few_ulps_keeps_the_mesh_strictly_increasing():
    # Troesch's mu = 100 drives intervals at t = 1 down to the spacing of floating point,
    # where inserted nodes round onto the ends (solve_bvp then refused the mesh, an exception
    # out of solve_action_path).
    x = np.array([0.0, 0.5, 1.0 - 2.0 * np.finfo(float).eps, 1.0])
    new = _lobatto._refine(x, np.array([1.0, 1.0, 1.0]), 1e-6)
    assert np.all(np.diff(new) > 0)


def test_collocation_attempt_accepts_a_mesh_with_repeated_nodes():
    from lagopt.paths import collocation
    problem = BVPProblem(Quadratic(np.eye(1)), np.zeros(1), np.ones(1), 1.0, 1.0)
    t = np.array([0.0, 0.25, 0.5, 0.5, 1.0])
    Y = np.vstack((t, np.ones_like(t)))
    for engine in ("lobatto", "solve_bvp"):
        collocation.ENGINE = engine
        try:
            out = collocation._attempt(problem, 1.0, t, Y, 1e-6, 1e-6, 1000, FAR, 0)
        finally:
            collocation.ENGINE = "lobatto"
        assert out.status == Status.SUCCESS and np.all(np.diff(out.x) > 0)


@pytest.mark.parametrize("n, seed", [(1, 0), (3, 1), (5, 2)])
def test_the_certificate_reuses_the_solvers_residual_evaluation_exactly(n, seed):
    # The collocation result's residual comes from the solver's last evaluation (no new
    # gradient calls); it must be el_residual of the returned interpolant on its own mesh.
    from lagopt.paths import solve_action_path
    from lagopt.paths._measure import el_residual
    obj = _quartic(n, seed)
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(n), rng.standard_normal(n)
    path = solve_action_path(obj, a, b, T=2.0, method="collocation")
    assert path.success and path.info["bvp_status"] is None   # the lean engine ran
    res, rel, per = el_residual(obj, 1.0, path.t, path.theta, path.theta_dot)
    assert path.info["residual_rel"] == pytest.approx(rel, rel=1e-6)
    assert path.info["residual_abs"] == pytest.approx(res, rel=1e-6)
    np.testing.assert_allclose(path.info["residual_per_interval"], per, rtol=1e-6, atol=1e-15)
    assert path.residual == path.info["residual_rel"]
