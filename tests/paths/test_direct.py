"""The direct method: closed form, second-order convergence, energy, branches, ReLU, large n,
resolution control (a-priori omega h, Richardson refinement, the node cap)."""
import time

import numpy as np
import pytest

from lagopt._status import Status
from lagopt.datasets import make_dataset
from lagopt.objectives import MLPObjective, MullerBrown, Objective, Quadratic
from lagopt.paths import Direct, direct, solve_action_path
from lagopt.paths._problem import BVPProblem, Guess
from lagopt.paths.direct import _refine
from lagopt.paths.direct._discrete_action import DiscreteAction
from lagopt.paths.direct._lbfgs import lbfgs
from lagopt.paths.direct._newton import kink_newton, newton
from lagopt.paths.exact import quadratic_solution


def _quadratic(eigs, seed=0):
    rs = np.random.RandomState(seed)
    n = len(eigs)
    Q, _ = np.linalg.qr(rs.randn(n, n))
    A = Q @ np.diag(eigs) @ Q.T
    c = 0.3 * rs.randn(n)
    return 0.5 * (A + A.T), c, rs.randn(n), rs.randn(n)


def _energy(sol, f, lam):
    """Discrete energy 1/2 |v_i|^2 - lam L(theta_i) at the nodes."""
    return 0.5 * np.sum(sol.theta_dot**2, axis=0) - lam * f.loss_batch(sol.theta)


@pytest.fixture(scope="module")
def seed_net():
    X, y = make_dataset("nonlinear")
    out = {}
    for act in ("relu", "tanh"):
        f = MLPObjective(X, y, sizes=(4, 6, 1), activation=act)
        theta0 = f.init_params(42)
        thetaT = theta0 + 0.3 * np.random.RandomState(0).randn(f.n_params)
        P = np.column_stack([theta0, thetaT])
        f.loss_batch(P), f.grad_batch(P), f.hess_batch(P)  # compile outside the wall-time caps
        out[act] = (f, theta0, thetaT)
    return out


@pytest.mark.parametrize("rule", ["trapezoid", "midpoint"])
def test_matches_closed_form_wide_spread(rule):
    # Eigenvalues over four decades plus a free direction; omega up to 20, lam = 1.
    A, c, th0, thT = _quadratic([0.0, 0.04, 1.0, 25.0, 400.0])
    T, lam = 1.0, 1.0
    exact = quadratic_solution(A, th0, thT, T, lam, c)
    sol = direct.solve(BVPProblem(Quadratic(A, c), th0, thT, T, lam), None, n_nodes=513,
                       rule=rule)
    assert sol.success and sol.status == Status.SUCCESS
    scale = np.abs(exact(sol.t)).max()
    assert np.abs(sol.theta - exact(sol.t)).max() < 2e-4 * scale
    assert sol.info["discrete_action"] == pytest.approx(exact.action, rel=2e-4)
    assert np.array_equal(sol.theta[:, 0], th0) and np.array_equal(sol.theta[:, -1], thT)
    vel = exact.velocity(sol.t)
    assert np.abs(sol.theta_dot - vel).max() < 3e-3 * np.abs(vel).max()


@pytest.mark.parametrize("rule", ["trapezoid", "midpoint"])
def test_second_order_convergence(rule):
    A, c, th0, thT = _quadratic([0.5, 2.0, 8.0, 20.0], seed=1)
    exact = quadratic_solution(A, th0, thT, 1.0, 1.0, c)
    prob = BVPProblem(Quadratic(A, c), th0, thT, 1.0, 1.0)
    errs, verrs = [], []
    for N in (32, 64, 128):
        sol = direct.solve(prob, None, n_nodes=N + 1, rule=rule)
        assert sol.success
        errs.append(np.abs(sol.theta - exact(sol.t)).max())
        verrs.append(np.abs(sol.theta_dot - exact.velocity(sol.t)).max())
    orders = np.log2(np.array(errs[:-1]) / errs[1:])
    assert np.all((orders >= 1.8) & (orders <= 2.2)), orders
    vorders = np.log2(np.array(verrs[:-1]) / verrs[1:])
    assert np.all(vorders >= 1.8), vorders  # velocities (end Legendre transform) too


def test_discrete_energy_conservation_improves():
    A, c, th0, thT = _quadratic([0.3, 3.0, 30.0], seed=2)
    f = Quadratic(A, c)
    prob = BVPProblem(f, th0, thT, 1.0, 1.0)
    drifts = []
    for N in (32, 64, 128):
        sol = direct.solve(prob, None, n_nodes=N + 1)
        H = _energy(sol, f, 1.0)
        drifts.append(H.max() - H.min())
    assert drifts[1] < 0.35 * drifts[0] and drifts[2] < 0.35 * drifts[1], drifts


def test_newton_and_lbfgs_agree(seed_net):
    f, th0, thT = seed_net["tanh"]
    prob = BVPProblem(f, th0, thT, 1.0, 1.0)
    a = direct.solve(prob, None, solver="newton")
    b = direct.solve(prob, None, solver="lbfgs")
    assert a.success and b.success
    assert a.info["solver"] == "newton" and b.info["solver"] == "lbfgs"
    assert np.abs(a.theta - b.theta).max() < 1e-6 * np.abs(thT - th0).max()
    assert a.info["discrete_action"] == pytest.approx(b.info["discrete_action"], rel=1e-10)


def test_relu_seed_network(seed_net):
    f, th0, thT = seed_net["relu"]
    assert not f.smooth
    prob = BVPProblem(f, th0, thT, 1.0, 1.0)
    sol = direct.solve(prob, None)
    assert sol.success, sol.message
    assert np.all(np.isfinite(sol.theta)) and np.all(np.isfinite(sol.theta_dot))
    assert np.array_equal(sol.theta[:, -1], thT)
    assert sol.info["newton_residual"] <= 1e-6
    assert sol.info["refinements"] >= 1 and sol.info["error_estimate"] <= sol.info["tol"]
    # Both branches find the same least action on the kinked landscape.
    lb = direct.solve(prob, None, solver="lbfgs")
    assert lb.success
    assert lb.info["discrete_action"] == pytest.approx(sol.info["discrete_action"], rel=1e-8)


def test_relu_far_point_kinks_certified():
    # Far from the start, nodes of the minimiser sit on ReLU kinks: no node residual vanishes
    # there, and convergence is certified by gradient sampling instead.
    X, y = make_dataset("nonlinear")
    f = MLPObjective(X, y, sizes=(4, 6, 1), activation="relu")
    th0 = f.init_params(42)
    thT = th0 + np.random.RandomState(2).randn(f.n_params)
    sol = direct.solve(BVPProblem(f, th0, thT, 1.0, 1.0), None, solver="lbfgs")
    assert sol.success, sol.message
    assert sol.info["newton_residual"] <= 1e-6
    if sol.info["kink_nodes"]:
        assert "kink" in sol.message


def test_large_n_uses_lbfgs():
    rs = np.random.RandomState(3)
    X = rs.randn(200, 16)
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2]
    f = MLPObjective(X, y, sizes=(16, 100, 2, 1), activation="tanh")
    assert f.n_params > 1500
    th0 = f.init_params(0)
    thT = th0 + 0.05 * rs.randn(f.n_params)
    sol = direct.solve(BVPProblem(f, th0, thT, 1.0, 1.0), None, n_nodes=33, rule="trapezoid")
    assert sol.info["solver"] == "lbfgs"
    assert sol.success, sol.message
    assert sol.theta.shape == (f.n_params, 33)
    assert f.counts["hess"] == 0


def test_guess_is_used():
    A, c, th0, thT = _quadratic([1.0, 10.0], seed=4)
    exact = quadratic_solution(A, th0, thT, 1.0, 1.0, c)
    tg = np.linspace(0, 1, 200)
    sol = direct.solve(BVPProblem(Quadratic(A, c), th0, thT, 1.0, 1.0),
                       Guess(tg, exact(tg), "exact"), solver="lbfgs")
    line = direct.solve(BVPProblem(Quadratic(A, c), th0, thT, 1.0, 1.0), None, solver="lbfgs")
    assert sol.success and sol.nit < line.nit


def test_lam_zero_is_straight_line():
    A, c, th0, thT = _quadratic([1.0, 10.0], seed=5)
    prob = BVPProblem(Quadratic(A, c), th0, thT, 2.0, 0.0)
    sol = direct.solve(prob, None)
    assert sol.success
    np.testing.assert_allclose(sol.theta, prob.straight_line(sol.t), atol=1e-12)
    np.testing.assert_allclose(sol.theta_dot, np.repeat(((thT - th0) / 2.0)[:, None], 65, 1),
                               atol=1e-12)


def test_caps_are_reported():
    X, y = make_dataset("nonlinear")
    f = MLPObjective(X, y, sizes=(4, 6, 1), activation="tanh")
    th0 = f.init_params(42)
    thT = th0 + np.random.RandomState(1).randn(f.n_params)
    prob = BVPProblem(f, th0, thT, 1.0, 1.0)
    sol = direct.solve(prob, None, solver="lbfgs", maxiter=2)
    assert not sol.success and sol.status == Status.MAX_ITER and "maxiter" in sol.message
    sol = direct.solve(prob, None, solver="newton", max_time=1e-9)
    assert not sol.success and sol.status == Status.MAX_TIME and "max_time" in sol.message


class _NaNBeyond(Objective):
    """A quadratic bowl whose loss and gradient are NaN where theta_0 > 1."""

    def __init__(self):
        super().__init__(2)

    def _loss(self, x):
        return np.nan if x[0] > 1 else 0.5 * float(x @ x)

    def _grad(self, x):
        return np.full(2, np.nan) if x[0] > 1 else x.copy()

    def _hess(self, x):
        return np.eye(2)


def test_non_finite_is_a_failure_value():
    prob = BVPProblem(_NaNBeyond(), np.array([0.0, 0.0]), np.array([3.0, 0.0]), 1.0, 1.0)
    for solver in ("newton", "lbfgs"):
        sol = direct.solve(prob, None, solver=solver)
        assert not sol.success and sol.status == Status.NON_FINITE


def test_validation():
    A, c, th0, thT = _quadratic([1.0], seed=6)
    prob = BVPProblem(Quadratic(A, c), th0, thT, 1.0, 1.0)
    with pytest.raises(ValueError, match="rule"):
        direct.solve(prob, None, rule="simpson")
    with pytest.raises(ValueError, match="n_nodes"):
        direct.solve(prob, None, n_nodes=2)
    with pytest.raises(ValueError, match="solver"):
        direct.solve(prob, None, solver="bfgs")


# ----------------------------------------------------------------------------- resolution
def test_stiff_quadratic_refines_to_the_closed_form():
    # lam = 100, T = 10: omega T ~ 450. The old default (65 nodes, omega h ~ 7) reported
    # success with the action off by a factor 4.4; the grid is now refined until resolved.
    A, c, th0, thT = _quadratic([0.5, 2.0, 8.0, 20.0], seed=0)
    f = Quadratic(A, c)
    exact = quadratic_solution(A, th0, thT, 10.0, 100.0, c)
    path = solve_action_path(f, th0, thT, T=10.0, lam=100.0, method="direct")
    info = path.info
    assert path.success, path.message
    assert info["omega"] * 10.0 > 400 and info["omega_h"] <= direct.OMEGA_H_MAX
    assert info["refinements"] >= 1 and info["error_estimate"] <= direct.TOL_PATH
    size = exact.kinetic + abs(exact.potential)
    assert abs(path.action - exact.action) <= 1e-6 * size
    extent = np.ptp(exact(path.t), axis=1).max()
    assert np.abs(path.theta - exact(path.t)).max() <= direct.TOL_PATH * extent
    # The Richardson estimate bounds the error of the unextrapolated fine solution.
    raw = direct.solve(BVPProblem(f, th0, thT, 10.0, 100.0), None)
    assert raw.info["extrapolated"] and raw.info["N"] == info["N"]


@pytest.mark.parametrize("eigs", [[0.5, 2.0, 8.0, 20.0], [0.0, 0.04, 1.0, 25.0, 400.0]])
def test_stiff_quadratic_at_the_node_cap_is_a_failure(eigs):
    A, c, th0, thT = _quadratic(eigs, seed=0)
    exact = quadratic_solution(A, th0, thT, 10.0, 100.0, c)
    path = solve_action_path(Quadratic(A, c), th0, thT, T=10.0, lam=100.0,
                             method=Direct(max_nodes=2049))
    assert not path.success and path.status == Status.MAX_ITER
    assert path.info["N"] <= 2048 and path.info["error_estimate"] > direct.TOL_PATH
    for hint in ("max_nodes=2049", "`tol`", "multiple_shooting", "collocation"):
        assert hint in path.message
    # Never success with a large error: whatever the options, success means resolved.
    for opts in ({}, {"max_nodes": 513}, {"tol": 1e-3}, {"rule": "midpoint"}):
        p = solve_action_path(Quadratic(A, c), th0, thT, T=10.0, lam=100.0,
                              method=Direct(**opts))
        if p.success:
            size = exact.kinetic + abs(exact.potential)
            assert abs(p.action - exact.action) <= p.info["tol"] * size
        else:   # the node cap, or a loose `tol` whose path fails the certificate
            assert p.status in (Status.MAX_ITER, Status.NOT_CONVERGED)


def test_fixed_grid_says_the_error_was_not_estimated():
    A, c, th0, thT = _quadratic([0.5, 2.0, 8.0, 20.0], seed=0)
    prob = BVPProblem(Quadratic(A, c), th0, thT, 10.0, 100.0)
    sol = direct.solve(prob, None, n_nodes=65)  # an explicit grid is kept (refine=False)
    assert sol.success and sol.info["N"] == 64 and not sol.info["refine"]
    assert sol.info["error_estimate"] is None and sol.info["omega"] is None
    assert "not estimated" in sol.message and "refine=False" in sol.message
    ref = direct.solve(prob, None, n_nodes=65, refine=True)  # the same start, then refined
    assert ref.info["refine"] and ref.info["N"] > 64 and ref.info["levels"][0]["N"] >= 64


@pytest.mark.parametrize("pair, T", [((0, 1), 1.0), ((0, 1), 3.0), ((0, 2), 3.0),
                                     ((1, 2), 1.0)])
def test_muller_brown_success_means_resolved(pair, T):
    f = MullerBrown()
    a, b = f.minima[pair[0]], f.minima[pair[1]]
    path = solve_action_path(f, a, b, T=T, lam=1.0, method="direct")
    assert path.success, path.message
    info = path.info
    assert info["error_estimate"] <= direct.TOL_PATH and info["omega_h"] <= direct.OMEGA_H_MAX
    # The measured residual of the (extrapolated) path is small, not the 0.2-1 of 65 nodes.
    assert info["residual_rel"] < 0.05
    # A reference ten times more accurate agrees with the measured action.
    ref = solve_action_path(f, a, b, T=T, lam=1.0, guess=path.theta,
                            method=Direct(tol=direct.TOL_PATH / 10, max_nodes=2**16 + 1))
    assert ref.success and ref.info["N"] > info["N"]
    assert path.action == pytest.approx(ref.action, rel=1e-7)


def test_richardson_estimate_bounds_the_fine_grid_error():
    A, c, th0, thT = _quadratic([0.3, 3.0, 30.0], seed=2)
    exact = quadratic_solution(A, th0, thT, 1.0, 1.0, c)
    prob = BVPProblem(Quadratic(A, c), th0, thT, 1.0, 1.0)
    for rule in ("trapezoid", "midpoint"):
        sol = direct.solve(prob, None, rule=rule, tol=1e-6)
        assert sol.success and sol.info["extrapolated"], sol.message
        fine = direct.solve(prob, None, rule=rule, n_nodes=sol.info["N"] + 1)
        extent = np.ptp(exact(sol.t), axis=1).max()
        err_fine = np.abs(fine.theta - exact(sol.t)).max() / extent
        assert err_fine <= 1.5 * sol.info["position_error"] <= 1.5e-6
        err_extrap = np.abs(sol.theta - exact(sol.t)).max() / extent
        assert err_extrap < 0.1 * err_fine  # the O(h^2) term is gone


def test_node_cap_and_options_are_validated():
    A, c, th0, thT = _quadratic([1.0], seed=6)
    prob = BVPProblem(Quadratic(A, c), th0, thT, 1.0, 1.0)
    with pytest.raises(ValueError, match="max_nodes"):
        direct.solve(prob, None, n_nodes=65, max_nodes=33)
    with pytest.raises(ValueError, match="max_nodes"):
        direct.solve(prob, None, max_nodes=2)
    with pytest.raises(ValueError, match="`tol`"):
        direct.solve(prob, None, tol=0.0)
    with pytest.raises(TypeError, match="refine"):
        direct.solve(prob, None, refine="yes")
    assert direct.default_max_nodes(2) == 16385
    assert direct.default_max_nodes(37) == 16385
    assert direct.default_max_nodes(10_000) == 129
    assert 129 <= direct.default_max_nodes(3000) <= 400
    # A cap too small to refine: no estimate, an honest status 1.
    sol = direct.solve(prob, None, max_nodes=3)
    assert not sol.success and sol.status == Status.MAX_ITER and "max_nodes=3" in sol.message


def test_time_cap_during_refinement_is_reported(monkeypatch):
    A, c, th0, thT = _quadratic([0.5, 2.0, 8.0, 20.0], seed=0)
    prob = BVPProblem(Quadratic(A, c), th0, thT, 10.0, 100.0)
    full = direct.solve(prob, None)
    assert full.success and full.info["refinements"] >= 2
    prolong = _refine.prolong

    def slow_prolong(da, X):  # the first refinement outlasts max_time
        time.sleep(0.3)
        return prolong(da, X)

    monkeypatch.setattr(_refine, "prolong", slow_prolong)
    sol = direct.solve(prob, None, max_time=0.2)
    assert not sol.success and sol.status == Status.MAX_TIME and "max_time" in sol.message
    assert np.all(np.isfinite(sol.theta))


# ----------------------------------------------------------------------------- ReLU pairs
def _relu_pair(name, seed, k, scale):
    """The k-th random pair (theta + scale xi, theta + scale xi') of the path benchmark."""
    X, y = make_dataset(name)
    f = MLPObjective(X, y, sizes=(4, 6, 1), activation="relu")
    theta = f.init_params(42)
    rng = np.random.default_rng([seed, ["linear", "nonlinear", "xor"].index(name)])
    for _ in range(k + 1):
        a = theta + scale * rng.standard_normal(f.n_params)
        b = theta + scale * rng.standard_normal(f.n_params)
    return f, a, b


# Pairs on which L-BFGS used to stop with "no progress on the residual in 200 iterations"
# (nodes pinned to ReLU kinks, the residual stuck at 1e-6..3e-3), and two easy ones.
@pytest.mark.parametrize("name, seed, k, scale", [
    ("xor", 3, 9, 0.5), ("linear", 2, 7, 1.0), ("nonlinear", 1, 15, 1.0),
    ("linear", 1, 0, 0.5), ("nonlinear", 1, 3, 0.5)])
def test_relu_random_pairs_converge(name, seed, k, scale):
    f, a, b = _relu_pair(name, seed, k, scale)
    sol = direct.solve(BVPProblem(f, a, b, 1.0, 1.0), None)
    assert sol.success, sol.message
    assert sol.info["newton_residual"] <= 1e-6
    assert sol.info["error_estimate"] <= sol.info["tol"] and not sol.info["extrapolated"]
    assert "first order: non-smooth loss" in sol.message


def test_kink_manifold_newton_finishes_an_lbfgs_stall():
    # A pair on which both Newton and L-BFGS stall on kinks. (The xor pair (3, 9, 0.5) used
    # here before no longer stalls L-BFGS: it converges in 41 iterations.)
    f, a, b = _relu_pair("linear", 2, 7, 1.0)
    prob = BVPProblem(f, a, b, 1.0, 1.0)
    da = DiscreteAction(prob, 64, "trapezoid")
    X0 = prob.straight_line(np.linspace(0.0, 1.0, 65)[1:-1])
    free = newton(da, X0, 1e-6, 500, np.inf)
    assert free.status == Status.NOT_CONVERGED  # hands over to L-BFGS on the kinks...
    crawl = lbfgs(da, free.X, 1e-6, 10_000, np.inf)
    assert crawl.status == Status.NOT_CONVERGED  # ...which crawls: the old stop
    assert 1e-6 < crawl.resid < 1e-2
    polished = kink_newton(da, crawl.X, 1e-6, 500, np.inf)
    assert polished.status == Status.SUCCESS and polished.resid <= 1e-6 and polished.kinks >= 1
    assert polished.S <= crawl.S + 1e-12 * abs(crawl.S)
    sol = direct.solve(prob, None, n_nodes=65)  # what "auto" does
    assert sol.success and sol.info["solver"] == "newton+lbfgs+kink-newton", sol.message
    assert "kink" in sol.message
