"""The hybrid mode (the LAML report's section 5.1) and the trajectory-efficiency diagnostic
(its section 4.1)."""
import numpy as np
import pytest

import lagopt
from lagopt.datasets import make_dataset
from lagopt.objectives import MLPObjective, Quadratic
from lagopt.optim import Status, minimize
from lagopt.optim.diagnostics import trajectory_efficiency
from lagopt.paths import quadratic_solution, solve_action_path

from .test_laml import Spy


@pytest.fixture(scope="module")
def net():
    X, y = make_dataset("xor")
    f = MLPObjective(X, y, sizes=(4, 6, 1), activation="tanh")
    return f, f.init_params(42)


# ----------------------------------------------------------------------------- hybrid
@pytest.mark.parametrize("options", [{}, {"inner": "momentum"}, {"inner": "adam", "lr": 0.01},
                                     {"path": "direct"}])
def test_hybrid_budget_history_and_determinism(net, options):
    f, theta0 = net
    spy = Spy(f)
    res = minimize(spy, theta0, method="hybrid", max_grad_evals=120, seed=3, **options)
    assert res.n_grad <= 120 and res.status == Status.BUDGET_EXHAUSTED
    assert spy.charged == pytest.approx(res.n_grad + 0.5)   # + the final `fun`
    h = res.history
    assert len(h["lr"]) == len(h["efficiency"]) == len(h["event"]) == len(h["loss"])
    assert res.n_checks >= 1 and np.isfinite(h["efficiency"]).sum() == res.n_checks
    again = minimize(f, theta0, method="hybrid", max_grad_evals=120, seed=3, **options)
    assert np.array_equal(res.x, again.x)


def test_hybrid_recovers_from_a_diverging_step():
    # gd with lr = 0.05 diverges on a Hessian with eigenvalue 100 (lr must be < 0.02); the
    # hybrid's checks see the loss rise, restart from the best point and shrink the step.
    f = Quadratic(np.diag([1.0, 100.0]))
    with np.errstate(over="ignore", invalid="ignore"):
        gd = minimize(f, [1.0, 1.0], method="gd", lr=0.05, max_grad_evals=400)
    hyb = minimize(f, [1.0, 1.0], method="hybrid", lr=0.05, max_grad_evals=400)
    assert not gd.fun < 1.0
    assert hyb.fun < 1e-6 and hyb.n_restarts >= 1
    assert hyb.history["lr"].min() < 0.02
    # A blow-up between checks restarts at once: gd(0.1) overflows on Rosenbrock.
    from lagopt.objectives import Rosenbrock

    with np.errstate(over="ignore", invalid="ignore"):
        assert minimize(Rosenbrock(), [-1.2, 1.0], method="gd", max_grad_evals=300).status \
            == Status.NON_FINITE
    res = minimize(Rosenbrock(), [-1.2, 1.0], method="hybrid", max_grad_evals=300)
    assert res.status == Status.BUDGET_EXHAUSTED and res.fun < 1.0
    assert "restart" in set(res.history["event"])


def test_hybrid_grows_a_timid_step():
    # A straight, steady descent (efficiency near 1) earns larger steps.
    f = Quadratic(np.eye(3))
    res = minimize(f, [3.0, -2.0, 1.0], method="hybrid", lr=0.01, max_grad_evals=200)
    gd = minimize(f, [3.0, -2.0, 1.0], method="gd", lr=0.01, max_grad_evals=200)
    assert "grow" in set(res.history["event"])
    assert res.fun < 1e-3 * gd.fun


def test_hybrid_validation():
    f = Quadratic(np.eye(2))
    with pytest.raises(ValueError, match="inner"):
        minimize(f, [1.0, 1.0], method="hybrid", inner="sgd")
    with pytest.raises(ValueError, match="check_every"):
        minimize(f, [1.0, 1.0], method="hybrid", check_every=1)
    with pytest.raises(ValueError, match="low"):
        minimize(f, [1.0, 1.0], method="hybrid", low=0.9, high=0.5)


# ----------------------------------------------------------------------------- diagnostics
def test_efficiency_of_an_optimizer_trajectory_is_at_most_one():
    f = Quadratic(np.diag([1.0, 10.0]))
    res = minimize(f, [1.0, 1.0], method="gd", lr=0.15, max_grad_evals=20,
                   keep_iterates=True)
    assert res.history["x"].shape == (len(res.history["loss"]), 2)
    for lam in (0.0, 1.0, 5.0):
        eff = trajectory_efficiency(f, res, lam=lam)
        assert eff.success
        assert 0 < eff.efficiency <= 1 + 1e-8
        assert eff.trajectory_action == pytest.approx(eff.trajectory_kinetic
                                                      + eff.trajectory_potential)
    # The zig-zag wastes most of the effort; the same points given as an array agree.
    same = trajectory_efficiency(f, res.history["x"].T, lam=1.0)
    assert same.efficiency == pytest.approx(eff_at(f, res, 1.0))
    assert same.efficiency < 0.2


def eff_at(f, res, lam):
    return trajectory_efficiency(f, res, lam=lam).efficiency


def test_efficiency_of_the_least_action_path_is_one():
    A = np.diag([1.0, 4.0])
    f = Quadratic(A)
    theta0, thetaT = np.array([1.0, 1.0]), np.array([-0.5, 2.0])
    exact = quadratic_solution(A, theta0, thetaT, T=1.5, lam=2.0)
    eff = trajectory_efficiency(f, exact, lam=2.0, T=1.5)
    assert eff.efficiency == pytest.approx(1.0, abs=1e-7)
    assert eff.least_action == pytest.approx(exact.action, rel=1e-7)
    # The solved path itself, and densely sampled points of it (polyline: O(h^2) above).
    path = solve_action_path(f, theta0, thetaT, T=1.5, lam=2.0)
    assert trajectory_efficiency(f, path, lam=2.0).efficiency == pytest.approx(1.0, abs=1e-7)
    pts = exact(np.linspace(0.0, 1.5, 401))
    assert trajectory_efficiency(f, pts, lam=2.0, T=1.5).efficiency == \
        pytest.approx(1.0, abs=1e-4)


def test_efficiency_errors():
    f = Quadratic(np.eye(2))
    res = minimize(f, [1.0, 1.0], method="gd", max_grad_evals=5)
    with pytest.raises(ValueError, match="keep_iterates"):
        trajectory_efficiency(f, res)
    with pytest.raises(ValueError, match="at least 2"):
        trajectory_efficiency(f, np.ones((2, 1)))
    with pytest.raises(ValueError, match="`T`"):
        trajectory_efficiency(f, lambda t: np.array([t, t]))


def test_keep_iterates_records_every_history_row(net):
    f, theta0 = net
    res = minimize(f, theta0, method="laml", max_grad_evals=40, keep_iterates=True)
    X = res.history["x"]
    assert X.shape == (len(res.history["loss"]), f.n_params)
    assert np.array_equal(X[0], theta0)
    assert f.loss(X[-1]) == pytest.approx(res.history["loss"][-1])


def test_trajectory_efficiency_takes_a_configured_path_method():
    f = lagopt.Quadratic(np.diag([1.0, 10.0]))
    res = lagopt.minimize(f, [1.0, 1.0], method="gd", lr=0.15, max_grad_evals=20,
                          keep_iterates=True)
    by_name = trajectory_efficiency(f, res, method="direct")
    by_object = trajectory_efficiency(f, res, method=lagopt.Direct(tol=1e-7))
    assert by_object.path.method == "direct" and by_object.path.success
    assert by_object.least_action == pytest.approx(by_name.least_action, rel=1e-4)
