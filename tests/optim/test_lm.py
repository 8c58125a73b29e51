"""minimize(method="lm"): Levenberg-Marquardt on the budget, its history, errors and fallback."""
import numpy as np
import pytest

from lagopt.datasets import make_dataset
from lagopt.objectives import CallableObjective, MLPObjective, Quadratic, Rosenbrock
from lagopt.optim import METHODS, BudgetedObjective, Status, minimize
from lagopt.optim.lm import LM

from ._spy import Spy


class LeastSquaresSpy(Spy):
    """The budget spy with the least-squares interface: residuals 1/2, a Jacobian n_params."""

    has_residuals = True

    def __init__(self, inner):
        super().__init__(inner)
        self.residual_scale = inner.residual_scale

    def _residuals(self, theta):
        self.charged += 0.5
        return self.inner._residuals(theta)

    def _jacobian(self, theta):
        self.charged += self.n_params
        return self.inner._jacobian(theta)


@pytest.fixture(scope="module")
def mlp():
    X, y = make_dataset("nonlinear")
    f = MLPObjective(X, y, activation="tanh")
    return f, f.init_params(42)


@pytest.fixture(scope="module")
def linear():
    """A linear model (sizes (4, 1)) and its exact least-squares solution."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 4))
    y = X @ [1.0, -0.5, 0.3, 0.8] + 0.2 + 0.1 * rng.standard_normal(60)
    exact = np.linalg.lstsq(np.c_[X, np.ones(60)], y, rcond=None)[0]
    return MLPObjective(X, y, sizes=(4, 1), activation="linear"), exact


def test_registered():
    assert METHODS["lm"] is LM


def test_budget_rule_for_residuals_and_jacobians(mlp):
    f, _ = mlp
    b = BudgetedObjective(f, 100)
    assert b.cost("residuals") == 0.5 and b.cost("jac") == f.jac_cost == 37
    assert BudgetedObjective(Rosenbrock(5), 100).cost("jac", 2) == 10   # no jac_cost: n


class CheapJacobian(Rosenbrock):
    jac_cost = 0.25


def test_the_objectives_jac_cost_is_charged():
    res = minimize(CheapJacobian(), [-1.2, 1.0], method="lm", max_grad_evals=100)
    assert res.status == Status.SUCCESS
    assert res.n_grad == pytest.approx(0.5 * res.nfev + 0.25 * res.njac)


@pytest.mark.parametrize("budget", [1, 37, 37.5, 38, 75.5, 120])
def test_budget_never_exceeded(mlp, budget):
    # 4-6-1: a Jacobian costs 37, so budgets 1 and 37 fit no Jacobian after the first
    # residuals, 37.5 exactly one; Rosenbrock's costs 2.
    for f, x0 in (mlp, (Rosenbrock(), np.array([-1.2, 1.0]))):
        spy = LeastSquaresSpy(f)
        res = minimize(spy, x0, method="lm", max_grad_evals=budget)
        # The final `fun` is one free loss evaluation (charged 0.5 by the spy only).
        assert spy.charged - 0.5 <= budget
        assert spy.charged - 0.5 == pytest.approx(res.n_grad)
        assert np.all(res.history["n_grad"] <= budget)
        assert res.status in (Status.SUCCESS, Status.BUDGET_EXHAUSTED), res.message
        assert np.all(np.isfinite(res.x)) and res.fun == f.loss(res.x)
        assert (res.nfev, res.njac) == (spy.counts["residuals"], spy.counts.get("jac", 0))


@pytest.mark.parametrize("budget", [1, 37])
def test_a_jacobian_that_does_not_fit_ends_the_run_at_the_start(mlp, budget):
    f, x0 = mlp
    res = minimize(f, x0, method="lm", max_grad_evals=budget)
    assert res.status == Status.BUDGET_EXHAUSTED
    assert res.n_grad == 0.5 and res.njac == 0 and res.nfev == 1 and res.nit == 0
    np.testing.assert_array_equal(res.x, x0)
    assert res.history["loss"] == pytest.approx([f.loss(x0)], rel=1e-13)


def test_solves_a_linear_model_to_the_lstsq_minimum(linear):
    f, exact = linear
    res = minimize(f, np.zeros(5), method="lm", max_grad_evals=20)
    assert res.status == Status.SUCCESS, res.message
    assert res.solver == "lm" and res.n_grad <= 20
    np.testing.assert_allclose(res.x, exact, rtol=1e-12, atol=1e-12)
    assert res.fun == pytest.approx(f.loss(exact), rel=1e-12)
    # The trust-region reflective solver gets there too.
    res = minimize(f, np.zeros(5), method="lm", solver="trf", max_grad_evals=40)
    assert res.status == Status.SUCCESS and res.solver == "trf"
    np.testing.assert_allclose(res.x, exact, rtol=1e-10, atol=1e-10)


def test_history_is_honest_and_monotone(mlp):
    f, x0 = mlp
    res = minimize(f, x0, method="lm", max_grad_evals=600, keep_iterates=True)
    h = res.history
    assert len(h["loss"]) == res.nit + 1 >= 5
    assert np.all(np.diff(h["n_grad"]) >= 0) and np.all(np.diff(h["loss"]) < 0)
    assert h["n_grad"][0] == 0.5 and h["loss"][0] == pytest.approx(f.loss(x0), rel=1e-12)
    # Every recorded loss is the loss of its iterate, and the result is the last of them.
    for x, loss in zip(h["x"], h["loss"]):
        assert loss == pytest.approx(f.loss(x), rel=1e-12)
    np.testing.assert_array_equal(res.x, h["x"][-1])
    assert res.fun < 0.1 * h["loss"][0]


def test_rosenbrock_converges():
    res = minimize(Rosenbrock(), [-1.2, 1.0], method="lm", max_grad_evals=200)
    assert res.status == Status.SUCCESS and res.success
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-10)


@pytest.mark.parametrize("objective", [Quadratic(np.eye(2)), lambda x: float(x @ x),
                                       CallableObjective(np.sum, 2)],
                         ids=["quadratic", "plain-callable", "callable"])
def test_objectives_without_residuals_are_refused(objective):
    with pytest.raises(TypeError, match="method 'lm' needs an objective that exposes "
                                        "residuals.*MLPObjective"):
        minimize(objective, [1.0, 2.0], method="lm")


def test_fewer_residuals_than_parameters_falls_back_to_trf(mlp):
    f_full, x0 = mlp
    f = MLPObjective(f_full.X[:10], f_full.y[:10], activation="tanh")   # m = 10 < n = 37
    res = minimize(f, x0, method="lm", max_grad_evals=1000)
    assert res.solver == "trf" and "'trf' was used" in res.message
    assert "m = 10 < n = 37" in res.message
    assert res.status in (Status.SUCCESS, Status.BUDGET_EXHAUSTED)
    assert res.fun < 1e-3 * f.loss(x0)       # an underdetermined fit goes towards zero


def test_deterministic(mlp):
    f, x0 = mlp
    a = minimize(f, x0, method="lm", max_grad_evals=300, seed=1)
    b = minimize(f, x0, method="lm", max_grad_evals=300, seed=2)
    np.testing.assert_array_equal(a.x, b.x)
    for key in ("n_grad", "loss"):
        np.testing.assert_array_equal(a.history[key], b.history[key])
    assert (a.status, a.nit, a.nfev, a.njac) == (b.status, b.nit, b.nfev, b.njac)


def test_max_nfev_and_callback_stop(mlp):
    f, x0 = mlp
    res = minimize(f, x0, method="lm", max_nfev=3, max_grad_evals=1000)
    assert res.status == Status.MAX_ITER and "max_nfev" in res.message
    seen = []
    res = minimize(f, x0, method="lm", max_grad_evals=1000,
                   callback=lambda r: seen.append(r.fun) or len(seen) >= 3)
    assert res.status == Status.CALLBACK_STOP and len(seen) == 3
    assert f.loss(res.x) == pytest.approx(seen[-1], rel=1e-12)


@pytest.mark.parametrize("options,exc,match", [
    ({"solver": "dogbox"}, ValueError, "`solver`"),
    ({"ftol": 1e-20}, ValueError, "`ftol`.*machine epsilon"),
    ({"gtol": -1.0}, ValueError, "`gtol`"),
    ({"x_scale": "auto"}, ValueError, "`x_scale`"),
    ({"x_scale": [1.0, 2.0, 3.0]}, ValueError, "`x_scale`"),
    ({"x_scale": -1.0}, ValueError, "`x_scale`"),
    ({"max_nfev": 0}, ValueError, "`max_nfev`"),
    ({"lr": 0.1}, TypeError, "Unknown option"),
])
def test_bad_options(options, exc, match):
    with pytest.raises(exc, match=match):
        minimize(Rosenbrock(), [0.0, 0.0], method="lm", **options)


def test_x_scale_numbers_are_accepted():
    for x_scale in (1.0, [1.0, 2.0]):
        res = minimize(Rosenbrock(), [-1.2, 1.0], method="lm", x_scale=x_scale,
                       max_grad_evals=300)
        assert res.status == Status.SUCCESS
        np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-8)
