"""The large-n route of the direct method: Numerov's fourth-order scheme as a minimisation,
solved by Newton-Krylov, and the measurement that follows the method's mesh beyond 2,000
parameters. Checked against closed forms, finite differences and the block-Newton solver."""
import numpy as np
import pytest

from lagopt.objectives import MLPObjective, Quadratic
from lagopt.paths import direct, solve_action_path
from lagopt.paths._measure import FULL_MEASURE_MAX_PARAMS, measurement_plan
from lagopt.paths._problem import BVPProblem
from lagopt.paths.direct._discrete_action import DiscreteAction
from lagopt.paths.exact import quadratic_solution

from .test_shooting import _quadratic


@pytest.fixture(scope="module")
def tanh_net():
    rs = np.random.RandomState(3)
    X = rs.randn(200, 16)
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2]
    f = MLPObjective(X, y, sizes=(16, 100, 2, 1), activation="tanh")
    th0 = f.init_params(0)
    return f, th0, th0 + 0.05 * rs.randn(f.n_params)


def test_numerov_gradient_matches_finite_differences():
    A, c, th0, thT = _quadratic([-2.0, 0.5, 3.0, 9.0], seed=4)
    da = DiscreteAction(BVPProblem(Quadratic(A, c), th0, thT, 1.3, 0.7), 7, "numerov")
    X = da.line + 0.2 * np.random.RandomState(0).randn(*da.line.shape)
    S, G, _ = da.value_grad(X)
    E = np.random.RandomState(1).randn(*X.shape)
    eps = 1e-6
    fd = (da.value_grad(X + eps * E)[0] - da.value_grad(X - eps * E)[0]) / (2 * eps)
    assert fd == pytest.approx(float(np.sum(G * E)), rel=1e-7)


def test_numerov_stationary_point_is_the_scheme():
    A, c, th0, thT = _quadratic([0.5, 4.0, 16.0], seed=5)
    f, lam, T, N = Quadratic(A, c), 1.0, 1.0, 12
    sol = direct.solve(BVPProblem(f, th0, thT, T, lam), None, n_nodes=N + 1, rule="numerov")
    assert sol.success and sol.info["solver"] == "krylov"
    Th, h = sol.theta, T / N
    g = f.grad_batch(Th)
    lhs = (Th[:, 2:] - 2 * Th[:, 1:-1] + Th[:, :-2]) / h**2
    rhs = lam * (g[:, :-2] + 10 * g[:, 1:-1] + g[:, 2:]) / 12
    assert np.abs(lhs - rhs).max() < 1e-7 * np.abs(rhs).max()


def test_numerov_is_fourth_order():
    A, c, th0, thT = _quadratic([0.5, 2.0, 8.0, 20.0], seed=1)
    exact = quadratic_solution(A, th0, thT, 1.0, 1.0, c)
    prob = BVPProblem(Quadratic(A, c), th0, thT, 1.0, 1.0)
    errs = []
    for N in (8, 16, 32):
        sol = direct.solve(prob, None, n_nodes=N + 1, rule="numerov", newton_tol=1e-12)
        assert sol.success
        errs.append(np.abs(sol.theta - exact(sol.t)).max())
    orders = np.log2(np.array(errs[:-1]) / errs[1:])
    assert np.all((orders >= 3.7) & (orders <= 4.3)), orders


@pytest.mark.parametrize("rule", ["trapezoid", "numerov"])
def test_krylov_solves_the_same_discrete_problem_as_newton(rule):
    # An indefinite loss (a negative eigenvalue, no conjugate point before T): CG's
    # preconditioned Hessian is still positive definite.
    A, c, th0, thT = _quadratic([-4.0, 0.1, 3.0, 30.0], seed=2)
    prob = BVPProblem(Quadratic(A, c), th0, thT, 1.0, 1.0)
    k = direct.solve(prob, None, n_nodes=41, rule=rule, solver="krylov", newton_tol=1e-11)
    ref = (direct.solve(prob, None, n_nodes=41, solver="newton", newton_tol=1e-11)
           if rule == "trapezoid" else
           direct.solve(prob, None, n_nodes=41, rule=rule, solver="lbfgs", newton_tol=1e-11))
    assert k.success and ref.success
    assert k.info["solver"] == "krylov" and k.info["newton_iterations"] >= 1
    assert np.abs(k.theta - ref.theta).max() < 1e-8 * np.abs(thT - th0).max()


def test_krylov_refined_path_matches_the_closed_form():
    A, c, th0, thT = _quadratic([0.0, 0.04, 1.0, 25.0, 100.0], seed=3)
    exact = quadratic_solution(A, th0, thT, 1.0, 1.0, c)
    sol = direct.solve(BVPProblem(Quadratic(A, c), th0, thT, 1.0, 1.0), None, solver="krylov")
    assert sol.success, sol.message
    assert sol.info["rule"] == "numerov" and sol.info["error_estimate"] <= 1e-5
    extent = np.ptp(exact(sol.t), axis=1).max()
    assert np.abs(sol.theta - exact(sol.t)).max() < 1e-5 * extent
    # CG's Ritz value: omega = sqrt(lam h_max) = 10 within a few per cent.
    assert sol.info["omega_ritz"] == pytest.approx(10.0, rel=0.05)


def test_default_route_above_the_block_newton_size(tanh_net, monkeypatch):
    f, th0, thT = tanh_net
    assert f.n_params > 1500

    def no_matrices(*args):
        raise AssertionError("the Krylov route formed a Hessian")

    with monkeypatch.context() as m:  # matrix-free: Hessian-vector products only
        m.setattr(f, "hess", no_matrices)
        m.setattr(f, "hess_batch", no_matrices)
        sol = direct.solve(BVPProblem(f, th0, thT, 1.0, 1.0), None)
    assert sol.success, sol.message
    assert sol.info["rule"] == "numerov" and sol.info["solver"] == "krylov"
    assert sol.info["krylov_iterations"] >= sol.info["newton_iterations"] >= 1
    # The trapezoid rule on a fine grid reaches the same path.
    ref = direct.solve(BVPProblem(f, th0, thT, 1.0, 1.0), None, rule="trapezoid",
                       solver="lbfgs")
    assert ref.success
    t = np.linspace(0, 1, 9)
    diff = np.abs(sol.dense(t)[0] - ref.dense(t)[0]).max()
    assert diff < 1e-5 * np.abs(thT - th0).max()


def test_numerov_options_are_validated(tanh_net):
    A, c, th0, thT = _quadratic([1.0, 2.0])
    prob = BVPProblem(Quadratic(A, c), th0, thT, 1.0, 1.0)
    with pytest.raises(ValueError, match="krylov"):
        direct.solve(prob, None, rule="numerov", solver="newton")
    rs = np.random.RandomState(0)
    relu = MLPObjective(rs.randn(20, 2), rs.randn(20), sizes=(2, 3, 1), activation="relu")
    p0 = relu.init_params(0)
    with pytest.raises(ValueError, match="smooth"):
        direct.solve(BVPProblem(relu, p0, p0 + 0.1, 1.0, 1.0), None, rule="numerov")
    with pytest.raises(ValueError, match="rule"):
        direct.solve(prob, None, rule="simpson")


def test_measurement_follows_the_mesh_beyond_the_threshold():
    assert measurement_plan(FULL_MEASURE_MAX_PARAMS, np.linspace(0, 1, 17)) == (200, 256)
    assert measurement_plan(FULL_MEASURE_MAX_PARAMS + 1, np.linspace(0, 1, 9)) == (16, 32)
    assert measurement_plan(10**5, np.linspace(0, 1, 65)) == (64, 128)


def test_large_quadratic_solved_and_measured_on_its_mesh():
    n = FULL_MEASURE_MAX_PARAMS + 100
    rs = np.random.RandomState(7)
    eigs = np.concatenate([np.linspace(0.0, 4.0, n - 1), [36.0]])
    A = np.diag(eigs)
    th0, thT = rs.randn(n), rs.randn(n)
    exact = quadratic_solution(A, th0, thT, 1.0, 1.0)
    path = solve_action_path(Quadratic(A), th0, thT)
    assert path.success, path.message
    assert path.method == "direct" and path.info["rule"] == "numerov"
    panels = max(path.t.size - 1, 16)
    assert path.info["n_quad_points"] == 5 * panels
    assert path.action == pytest.approx(exact.action, rel=1e-6)
    assert path.is_minimum is None  # the second variation declines above 2,000 parameters
    assert np.abs(path.dense(0.37)[0] - exact(0.37)).max() < 1e-5 * np.abs(thT - th0).max()
