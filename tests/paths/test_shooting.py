"""Single and multiple shooting: closed forms, the stiffness decline, agreement with direct."""
import numpy as np
import pytest
import scipy.linalg

from lagopt import Status
from lagopt.datasets import make_dataset
from lagopt.objectives import MLPObjective, Quadratic
from lagopt.paths import direct, multiple_shooting, shooting
from lagopt.paths._problem import BVPProblem, Guess
from lagopt.paths._variational import estimate_omega, integrate
from lagopt.paths.exact import quadratic_solution


def _quadratic(eigs, seed=0):
    rs = np.random.RandomState(seed)
    n = len(eigs)
    Q, _ = np.linalg.qr(rs.randn(n, n))
    A = Q @ np.diag(eigs) @ Q.T
    return 0.5 * (A + A.T), 0.3 * rs.randn(n), rs.randn(n), rs.randn(n)


def _check_hit(sol, thetaT, tol=1e-8):
    """A successful solution must end on thetaT, on the mesh and in its dense output."""
    if sol.success:
        scale = max(np.abs(thetaT).max(), 1e-300)
        assert np.abs(sol.theta[:, -1] - thetaT).max() <= 10 * tol * max(scale, 1.0)
        end = sol.dense(np.array([sol.t[-1]]))[0][:, 0]
        assert np.abs(end - thetaT).max() <= 10 * tol * max(scale, 1.0)


@pytest.fixture(scope="module")
def tanh_net():
    X, y = make_dataset("nonlinear")
    f = MLPObjective(X, y, sizes=(4, 6, 1), activation="tanh")
    th0 = f.init_params(42)
    thT = th0 + 0.5 * np.random.RandomState(1).randn(f.n_params)
    P = np.column_stack([th0, thT])
    f.loss_batch(P), f.grad_batch(P), f.hess_batch(P), f.hess(th0)  # compile the kernels
    return f, th0, thT


def test_state_transition_matrix_is_the_exponential():
    A, c, th0, v0 = _quadratic([0.5, 4.0, 9.0])
    n, lam, T = 3, 2.0, 0.7
    prob = BVPProblem(Quadratic(A, c), th0, th0, T, lam)
    tr = integrate(prob, th0, v0, 0.0, T, tangent=np.eye(2 * n), rtol=1e-12, atol=1e-12)
    M = np.block([[np.zeros((n, n)), np.eye(n)], [lam * A, np.zeros((n, n))]])
    E = scipy.linalg.expm(M * T)
    np.testing.assert_allclose(tr.Phi, E, rtol=1e-9, atol=1e-10)
    y0 = np.concatenate([th0 - c, v0])
    np.testing.assert_allclose(np.concatenate([tr.theta - c, tr.v]), E @ y0, rtol=1e-9)


def test_omega_estimate():
    A, c, th0, thT = _quadratic([0.0, 1.0, 400.0])
    omega, h_max = estimate_omega(BVPProblem(Quadratic(A, c), th0, thT, 2.0, 1.0))
    assert h_max == pytest.approx(400.0) and omega == pytest.approx(20.0)


def test_single_shooting_matches_closed_form():
    # Mildly stiff: omega T = sqrt(60) ~ 7.7.
    A, c, th0, thT = _quadratic([0.0, 0.5, 6.0, 60.0], seed=1)
    exact = quadratic_solution(A, th0, thT, 1.0, 1.0, c)
    sol = shooting.solve(BVPProblem(Quadratic(A, c), th0, thT, 1.0, 1.0), None)
    assert sol.success and sol.status == Status.SUCCESS, sol.message
    assert sol.info["omega_T"] == pytest.approx(np.sqrt(60.0), rel=1e-6)
    t = np.linspace(0, 1, 201)
    theta, vel = sol.dense(t)
    np.testing.assert_allclose(theta, exact(t), atol=1e-7)
    np.testing.assert_allclose(vel, exact.velocity(t), atol=1e-6)
    np.testing.assert_allclose(sol.theta, exact(sol.t), atol=1e-7)
    np.testing.assert_allclose(sol.theta_dot, exact.velocity(sol.t), atol=1e-6)
    _check_hit(sol, thT)


def test_stiff_case_declined_by_single_and_solved_by_multiple_shooting():
    # Eigenvalue 400, lam = 1, T = 2: omega T = 40, cond(d theta(T)/d v0) ~ e^40 ~ 2e17.
    A, c, th0, thT = _quadratic([0.0, 1.0, 400.0], seed=2)
    prob = BVPProblem(Quadratic(A, c), th0, thT, 2.0, 1.0)
    single = shooting.solve(prob, None)
    assert not single.success and single.status == Status.DECLINED
    assert "multiple_shooting" in single.message and "direct" in single.message
    assert single.info["omega_T"] == pytest.approx(40.0, rel=1e-6)

    sol = multiple_shooting.solve(prob, None)
    assert sol.success, sol.message
    assert sol.info["n_segments"] == 20  # ceil(omega T / 2)
    exact = quadratic_solution(A, th0, thT, 2.0, 1.0, c)
    t = np.linspace(0, 2, 401)
    theta, vel = sol.dense(t)
    np.testing.assert_allclose(theta, exact(t), atol=1e-7)
    np.testing.assert_allclose(vel, exact.velocity(t), atol=1e-5)
    np.testing.assert_allclose(sol.theta, exact(sol.t), atol=1e-7)
    _check_hit(sol, thT)


def test_multiple_shooting_given_segments():
    A, c, th0, thT = _quadratic([0.0, 2.0, 30.0], seed=3)
    exact = quadratic_solution(A, th0, thT, 1.5, 1.0, c)
    sol = multiple_shooting.solve(BVPProblem(Quadratic(A, c), th0, thT, 1.5, 1.0), None,
                                  n_segments=4)
    assert sol.success and sol.info["n_segments"] == 4
    t = np.linspace(0, 1.5, 301)
    np.testing.assert_allclose(sol.dense(t)[0], exact(t), atol=1e-7)
    # The segment joins are on the mesh, and the mesh is increasing.
    assert np.all(np.diff(sol.t) > 0)
    for tk in np.linspace(0, 1.5, 5):
        assert np.min(np.abs(sol.t - tk)) < 1e-12


def test_too_few_segments_is_not_a_success():
    # omega T = 100 with 2 segments: each segment amplifies by e^50; never claim success.
    A, c, th0, thT = _quadratic([1.0, 1e4], seed=4)
    sol = multiple_shooting.solve(BVPProblem(Quadratic(A, c), th0, thT, 1.0, 1.0), None,
                                  n_segments=2)
    assert not sol.success and sol.status in (3, 5)
    assert np.all(np.isfinite(sol.theta))


def test_shooting_agrees_with_direct_on_tanh_network(tanh_net):
    f, th0, thT = tanh_net
    prob = BVPProblem(f, th0, thT, 1.0, 1.0)
    ref = direct.solve(prob, None, n_nodes=257)
    assert ref.success
    for mod in (shooting, multiple_shooting):
        sol = mod.solve(prob, None)
        assert sol.success, sol.message
        _check_hit(sol, thT)
        theta, vel = sol.dense(ref.t)
        # The direct method's O(h^2) error at N = 256 bounds the disagreement.
        assert np.abs(theta - ref.theta).max() < 1e-4 * np.abs(thT - th0).max()
        assert np.abs(vel - ref.theta_dot).max() < 1e-3 * np.abs(thT - th0).max()
    ms = multiple_shooting.solve(prob, None, n_segments=3)
    one = shooting.solve(prob, None)
    t = np.linspace(0, 1, 51)
    np.testing.assert_allclose(ms.dense(t)[0], one.dense(t)[0], atol=1e-7)


def test_guess_velocity_is_used(tanh_net):
    f, th0, thT = tanh_net
    prob = BVPProblem(f, th0, thT, 1.0, 1.0)
    sol = shooting.solve(prob, None)
    tg = np.linspace(0, 1, 101)
    warm = shooting.solve(prob, Guess(tg, sol.dense(tg)[0], "solution"))
    assert warm.success and warm.nit < sol.nit


def test_conjugate_point_is_singular_not_success():
    # L = -pi^2 |theta|^2 / 2 with T = 1: theta'' = -pi^2 theta has a conjugate point at T, so
    # d theta(T) / d v0 = sin(pi T) / pi = 0.
    n = 2
    A = -np.pi**2 * np.eye(n)
    prob = BVPProblem(Quadratic(A), np.array([1.0, 0.0]), np.array([0.5, 1.0]), 1.0, 1.0)
    for mod in (shooting, multiple_shooting):
        sol = mod.solve(prob, None)
        assert not sol.success and sol.status == Status.NOT_CONVERGED, sol.message
        assert "singular" in sol.message


def test_misses_are_never_successes(tanh_net):
    f, th0, thT = tanh_net
    prob = BVPProblem(f, th0, thT, 1.0, 1.0)
    for mod in (shooting, multiple_shooting):
        sol = mod.solve(prob, None, maxiter=1)
        assert not sol.success and sol.status == Status.MAX_ITER
        miss = np.abs(sol.theta[:, -1] - thT).max()
        assert miss > 1e-8 * np.abs(thT).max()
        assert "maxiter" in sol.message


def test_lam_zero_straight_line():
    A, c, th0, thT = _quadratic([1.0, 5.0], seed=5)
    prob = BVPProblem(Quadratic(A, c), th0, thT, 1.0, 0.0)
    for mod in (shooting, multiple_shooting):
        sol = mod.solve(prob, None)
        assert sol.success and sol.nit == 0
        t = np.linspace(0, 1, 11)
        np.testing.assert_allclose(sol.dense(t)[0], prob.straight_line(t), atol=1e-12)


def test_validation():
    A, c, th0, thT = _quadratic([1.0], seed=6)
    prob = BVPProblem(Quadratic(A, c), th0, thT, 1.0, 1.0)
    with pytest.raises(ValueError, match="integrator"):
        shooting.solve(prob, None, integrator="Euler")
    with pytest.raises(ValueError, match="n_segments"):
        multiple_shooting.solve(prob, None, n_segments=0)
    with pytest.raises(ValueError, match="tol"):
        shooting.solve(prob, None, tol=-1.0)


def test_nonsmooth_loss_is_declined():
    X, y = make_dataset("nonlinear")
    f = MLPObjective(X, y, sizes=(4, 6, 1), activation="relu")
    th0 = f.init_params(42)
    prob = BVPProblem(f, th0, th0 + 0.1, 1.0, 1.0)
    for mod in (shooting, multiple_shooting):
        sol = mod.solve(prob, None)
        assert not sol.success and sol.status == Status.DECLINED
        assert "direct" in sol.message and "softplus" in sol.message
