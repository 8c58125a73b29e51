"""Collocation (scipy.integrate.solve_bvp) against the closed form, and its caps and refusals."""

import numpy as np
import pytest

from lagopt import Status
from lagopt.datasets import make_dataset
from lagopt.paths import Collocation, collocation, quadratic_solution, solve_action_path
from lagopt.paths._problem import BVPProblem

from ._solve_helpers import Kink, NaNBeyond, Quadratic, spread_matrix


def _ends(n, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n), rng.standard_normal(n), rng.standard_normal(n)


# (lam, T) pairs up to omega*T = sqrt(lam * 1e2) * T = 100: strongly unstable in both time
# directions, which single shooting cannot do and collocation must.
@pytest.mark.parametrize("lam, T", [(1.0, 1.0), (0.2, 3.0), (10.0, 1.0), (1.0, 10.0),
                                    (0.0, 2.0)])
def test_matches_closed_form_with_wide_eigenvalue_spread(lam, T):
    n = 6
    A = spread_matrix(n, -3, 2, seed=1)  # eigenvalues 1e-3 .. 1e2
    c, x0, xT = _ends(n, 1)
    path = solve_action_path(Quadratic(A, c), x0, xT, T=T, lam=lam, method="collocation")
    exact = quadratic_solution(A, x0, xT, T, lam, c)
    assert path.success and path.status == Status.SUCCESS and path.method == "collocation"
    assert path.action == pytest.approx(exact.action, rel=1e-7)
    assert path.kinetic == pytest.approx(exact.kinetic, rel=1e-6)
    tq = np.linspace(0, T, 57)
    scale = np.abs(exact(tq)).max()
    assert np.abs(path(tq) - exact(tq)).max() < 1e-5 * scale
    assert np.abs(path.velocity(tq) - exact.velocity(tq)).max() < 1e-4 * (
        np.abs(exact.velocity(tq)).max())
    # energy is conserved along the computed path (certificate), relative to its size
    assert path.info["energy_drift_rel"] < 1e-6
    assert path.info["residual_rel"] < 1e-4
    np.testing.assert_array_equal(path.theta[:, 0], x0)
    np.testing.assert_allclose(path.theta[:, -1], xT, atol=1e-10)
    assert path.ngev > 0
    if lam > 0:   # (at lam = 0 the straight line start is exact: no Newton step, no Hessian)
        assert path.nhev > 0 and path.nit >= 1


def test_module_solve_with_no_guess_and_initial_nodes():
    A = np.diag([1.0, 4.0])
    x0, xT = np.array([1.0, 1.0]), np.array([0.0, 2.0])
    problem = BVPProblem(Quadratic(A), x0, xT, 1.0, 1.0)
    raw = collocation.solve(problem, None, initial_nodes=5)
    assert raw.success and raw.status == Status.SUCCESS
    exact = quadratic_solution(A, x0, xT)
    th, v = raw.dense(np.array([0.3, 0.7]))
    np.testing.assert_allclose(th, exact(np.array([0.3, 0.7])), atol=1e-6)
    np.testing.assert_allclose(v, exact.velocity(np.array([0.3, 0.7])), atol=1e-5)


def test_max_nodes_cap_on_nonsmooth_loss_fails_fast_with_advice():
    f = Kink(4)
    path = solve_action_path(f, -np.ones(4), np.ones(4), method=Collocation(max_nodes=60))
    assert not path.success and path.status == Status.MAX_ITER
    # the advice for a non-smooth loss is the feature here
    assert "method='direct'" in path.message and "softplus" in path.message
    assert np.isfinite(path.action)  # the last iterate is still measured
    assert path.n_nodes <= 60


def test_max_time_cap_stops_solve_bvp():
    f = Kink(4)
    path = solve_action_path(f, -np.ones(4), np.ones(4),
                             method=Collocation(max_time=0.2, max_nodes=10**6))
    assert not path.success and path.status == Status.MAX_TIME


def test_smooth_failure_message_does_not_blame_smoothness():
    A = spread_matrix(3, 0, 2, seed=2)
    c, x0, xT = _ends(3, 2)
    path = solve_action_path(Quadratic(A, c), x0, xT, T=5.0, lam=10.0,
                             method=Collocation(max_nodes=25))
    assert not path.success and path.status == Status.MAX_ITER
    assert "softplus" not in path.message  # no blame on smoothness for a smooth loss


def test_non_finite_values_give_non_finite_status():
    f = NaNBeyond(2)
    # the straight line from (0, 0) to (1, 0) crosses the NaN region theta_0 > 0.5
    path = solve_action_path(f, [0.0, 0.0], [1.0, 0.0], method="collocation")
    assert not path.success and path.status == Status.NON_FINITE


def test_refuses_large_n_politely():
    n = collocation.MAX_PARAMS + 1
    f = Quadratic(np.eye(n))
    path = solve_action_path(f, np.zeros(n), np.ones(n), method="collocation")
    assert not path.success and path.status == Status.DECLINED
    assert "method='direct'" in path.message  # the alternative it names is the feature
    assert path.ngev == 0  # refused before any work


def test_rosenbrock_like_nonquadratic_energy_conservation():
    # Non-quadratic smooth loss: no closed form, but H must be conserved along the solution.
    from lagopt.objectives._base import Objective

    class Quartic(Objective):
        def _loss(self, x):
            return 0.25 * np.sum(x**4) + 0.5 * x[0] * x[1]

        def _grad(self, x):
            g = x**3
            g[0] += 0.5 * x[1]
            g[1] += 0.5 * x[0]
            return g

        def _hess(self, x):
            H = np.diag(3 * x**2)
            H[0, 1] = H[1, 0] = 0.5
            return H

    path = solve_action_path(Quartic(2), [-1.0, 0.5], [1.5, -1.0], T=2.0, lam=3.0,
                             method=Collocation(tol=1e-8))
    assert path.success
    assert path.info["energy_drift_rel"] < 1e-7
    assert path.residual < 1e-3


def test_seed_network_tanh_converges_and_relu_is_sent_to_direct():
    from lagopt.objectives import MLPObjective

    X, y = make_dataset("nonlinear")
    tanh = MLPObjective(X, y, sizes=(4, 6, 1), activation="tanh")
    theta = tanh.init_params(42)
    end = theta - 2 * (1 + y.std()) * tanh.grad(theta) + 0.3 * np.random.RandomState(0).randn(37)
    path = solve_action_path(tanh, theta, end, method=Collocation(tol=1e-3))
    assert path.success and path.n_nodes <= 41  # measured: ~21 nodes
    assert path.info["energy_drift_rel"] < 1e-5
    line = solve_action_path(tanh, theta, end, method="linear")
    assert path.action < line.action
    relu = MLPObjective(X, y, sizes=(4, 6, 1), activation="relu")
    auto = solve_action_path(relu, theta, end)
    assert auto.method == "direct"


def test_bad_continuation_option():
    problem = BVPProblem(Quadratic(np.eye(2)), np.zeros(2), np.ones(2), 1.0, 1.0)
    with pytest.raises(ValueError, match="`continuation`"):
        collocation.solve(problem, continuation="sideways")
