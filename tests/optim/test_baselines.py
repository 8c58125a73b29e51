"""minimize and the baseline optimizers: the budget rule, convergence, determinism, history."""
import numpy as np
import pytest

from lagopt.datasets import make_dataset
from lagopt.objectives import MLPObjective, Quadratic, Rosenbrock
from lagopt.optim import METHODS, Status, minimize, register_method
from lagopt.optim.baselines import AdamStep, GDStep, MomentumStep

from ._spy import Spy

BASELINES = ("gd", "momentum", "adam", "lbfgs", "steepest")


@pytest.fixture(scope="module")
def mlp():
    X, y = make_dataset("nonlinear")
    f = MLPObjective(X, y)
    return f, f.init_params(42)


def _objectives(mlp):
    return {"mlp": mlp, "rosenbrock": (Rosenbrock(), np.array([-1.2, 1.0])),
            "quadratic": (Quadratic(np.diag([1.0, 10.0, 100.0])), np.ones(3))}


@pytest.mark.parametrize("method", BASELINES)
@pytest.mark.parametrize("budget", [1, 2.5, 17, 60])
def test_budget_never_exceeded(mlp, method, budget):
    for name, (f, x0) in _objectives(mlp).items():
        spy = Spy(f)
        res = minimize(spy, x0, method=method, max_grad_evals=budget)
        # The final `fun` is one free loss evaluation (charged 0.5 by the spy only).
        assert spy.charged - 0.5 <= budget, (name, spy.charged)
        assert spy.charged - 0.5 == pytest.approx(res.n_grad)
        assert res.n_grad <= budget
        assert np.all(res.history["n_grad"] <= budget)
        assert res.status in (Status.SUCCESS, Status.BUDGET_EXHAUSTED, Status.NON_FINITE), \
            res.message   # gd diverges on two of them
        assert np.all(np.isfinite(res.x)) and res.fun == f.loss(res.x)


@pytest.mark.parametrize("method", BASELINES)
def test_history_monotone_in_n_grad(mlp, method):
    f, x0 = mlp
    res = minimize(f, x0, method=method, max_grad_evals=80)
    h = res.history
    assert set(h) == {"n_grad", "loss", "time"}
    assert len(h["n_grad"]) == len(h["loss"]) == len(h["time"]) >= 2
    assert np.all(np.diff(h["n_grad"]) >= 0) and np.all(np.diff(h["time"]) >= 0)
    assert h["n_grad"][0] == 1.0 and h["loss"][0] == pytest.approx(f.loss(x0), rel=1e-12)
    # The message names the budget (what to raise to continue).
    assert res.status == Status.BUDGET_EXHAUSTED
    assert res.message == Status.BUDGET_EXHAUSTED.message(budget=80.0) and "80" in res.message
    assert res.method == method and not res.success


@pytest.mark.parametrize("method", BASELINES)
def test_same_seed_same_result(mlp, method):
    f, x0 = mlp
    a = minimize(f, x0, method=method, max_grad_evals=40, seed=3)
    b = minimize(f, x0, method=method, max_grad_evals=40, seed=3)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.history["loss"], b.history["loss"])


def test_seed_reaches_stochastic_methods_through_rng():
    def random_search(f, x0, rng, sigma=0.1):
        loss = f.loss(x0)
        f.set_iterate(x0, loss)
        x = x0
        while True:
            trial = x + sigma * rng.standard_normal(x.shape)
            trial_loss = f.loss(trial)
            if trial_loss < loss:
                x, loss = trial, trial_loss
                f.set_iterate(x, loss)

    register_method("_test_random_search", random_search)
    try:
        f = Quadratic(np.eye(3))
        run = lambda seed: minimize(f, np.ones(3), method="_test_random_search",  # noqa: E731
                                    max_grad_evals=20, seed=seed)
        np.testing.assert_array_equal(run(1).x, run(1).x)
        assert not np.array_equal(run(1).x, run(2).x)
        assert run(1).n_grad == 20.0          # 40 losses at 1/2
    finally:
        METHODS.pop("_test_random_search")


def test_gd_linear_rate_on_a_quadratic():
    # L = 1/2 x^T diag(1, 10) x with lr = 0.1: x_k = (0.9^k x_0[0], 0) after one step, so the
    # loss contracts by exactly 0.81 per iteration (the rate max|1 - lr a_i| squared).
    f = Quadratic(np.diag([1.0, 10.0]))
    res = minimize(f, [1.0, 1.0], method="gd", lr=0.1, max_grad_evals=60)
    loss = res.history["loss"]
    np.testing.assert_allclose(loss[2:] / loss[1:-1], 0.81, rtol=1e-12)
    np.testing.assert_allclose(res.x, [0.9**60, 0.0], rtol=1e-12, atol=1e-300)


def test_baselines_are_their_step_objects_in_a_loop():
    # gd, momentum and Adam take the steps of GDStep, MomentumStep and AdamStep (which the
    # hybrid mode shares): the same iterates, bit for bit.
    f = Quadratic(np.diag([1.0, 4.0]))
    for method, stepper, lr in (("gd", GDStep(), 0.1), ("momentum", MomentumStep(0.9), 0.01),
                                ("adam", AdamStep(0.9, 0.999, 1e-8), 1e-3)):
        res = minimize(f, [1.0, 1.0], method=method, lr=lr, maxiter=5)
        assert res.status == Status.MAX_ITER and res.nit == 5
        x = np.array([1.0, 1.0])
        for _ in range(5):
            x = stepper.step(x, f.grad(x), lr)
        assert np.array_equal(res.x, x), method
    adam = AdamStep()
    first = adam.step(np.ones(2), np.ones(2), 0.1)
    adam.step(first, np.ones(2), 0.1)
    adam.reset()                              # a restart forgets the moments and the count
    assert adam.t == 0 and np.array_equal(adam.step(np.ones(2), np.ones(2), 0.1), first)


def test_gd_converges_to_gtol():
    f = Quadratic(np.diag([1.0, 4.0]))
    res = minimize(f, [1.0, 1.0], method="gd", lr=0.4, gtol=1e-10, max_grad_evals=1000)
    assert res.success and res.status == Status.SUCCESS
    assert np.max(np.abs(f.grad(res.x))) <= 1e-10
    assert res.nit == res.n_grad - 1


@pytest.mark.parametrize("step", [2.0, None, 0.37])
def test_steepest_on_the_seed_example(step):
    # Seed 001: E = (x - 2)^2 from x = -3. Equal steps of 2 go -3, -1, 1, 3; the rise at 3
    # puts the parabola's vertex through (-1, 9), (1, 1), (3, 1) at exactly 2.
    f = Quadratic([[2.0]], c=[2.0])
    res = minimize(f, [-3.0], method="steepest", step=step, max_grad_evals=200)
    assert res.success, res.message
    assert abs(res.x[0] - 2.0) < 1e-8
    if step == 2.0:
        assert res.x[0] == 2.0 and res.n_grad <= 10


def test_steepest_descends_in_several_dimensions():
    f = Quadratic(np.diag([1.0, 3.0, 10.0]), c=[1.0, -1.0, 0.5])
    res = minimize(f, np.zeros(3), method="steepest", max_grad_evals=2000)
    np.testing.assert_allclose(res.x, f.c, atol=1e-5)
    assert np.all(np.diff(res.history["loss"]) < 0)     # only descending iterates recorded


def test_lbfgs_reaches_the_rosenbrock_minimum():
    res = minimize(Rosenbrock(), [-1.2, 1.0], method="lbfgs", max_grad_evals=200)
    assert res.success, res.message
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-4)
    assert res.n_grad < 200 and res.nit > 10


@pytest.mark.parametrize("method, options", [("adam", {"lr": 0.01}), ("momentum", {}),
                                             ("gd", {}), ("steepest", {})])
def test_first_order_methods_decrease_the_loss(mlp, method, options):
    f, x0 = mlp
    res = minimize(f, x0, method=method, max_grad_evals=200, **options)
    assert res.fun < 0.5 * f.loss(x0)
    r2 = minimize(Rosenbrock(), [-1.2, 1.0], method=method, max_grad_evals=200,
                  **({"lr": 1e-4} if method == "momentum" else
                     {"lr": 1e-3} if method == "gd" else options))
    assert r2.fun < Rosenbrock().loss([-1.2, 1.0])


def test_callback_can_stop_and_sees_results():
    seen = []

    def cb(intermediate_result):
        seen.append((intermediate_result.nit, intermediate_result.n_grad))
        return intermediate_result.nit >= 5

    res = minimize(Quadratic(np.eye(2)), [1.0, 1.0], method="gd", lr=0.01, callback=cb)
    assert res.status == Status.CALLBACK_STOP and res.nit == 5 and seen[-1] == (5, 6.0)

    def cb_scipy_style(intermediate_result):
        raise StopIteration

    res = minimize(Quadratic(np.eye(2)), [1.0, 1.0], method="lbfgs", callback=cb_scipy_style)
    assert res.status == Status.CALLBACK_STOP and res.nit == 0


def test_divergence_is_reported_with_a_finite_iterate():
    f = Quadratic(np.diag([1.0, 100.0]))
    with np.errstate(over="ignore", invalid="ignore"):
        res = minimize(f, [1.0, 1.0], method="gd", lr=1.0, max_grad_evals=1000)
    assert res.status == Status.NON_FINITE and not res.success
    assert np.all(np.isfinite(res.x)) and np.isfinite(res.fun)


def test_plain_callable_with_gradient():
    res = minimize(lambda x: float((x - 3.0) @ (x - 3.0)), np.zeros(2), method="lbfgs",
                   grad=lambda x: 2.0 * (x - 3.0), max_grad_evals=50)
    np.testing.assert_allclose(res.x, 3.0, atol=1e-6)


def test_arguments_are_validated(mlp):
    f, x0 = mlp
    with pytest.raises(ValueError, match="method"):
        minimize(f, x0, method="newton")
    with pytest.raises(TypeError, match="'learning_rate'.*'gd'"):
        minimize(f, x0, method="gd", learning_rate=0.1)
    with pytest.raises(ValueError, match="max_grad_evals"):
        minimize(f, x0, max_grad_evals=0.5)
    with pytest.raises(ValueError, match="theta0"):
        minimize(f, x0[:5])
    with pytest.raises(ValueError, match="lr"):
        minimize(f, x0, method="adam", lr=-1.0)
    with pytest.raises(ValueError, match="beta"):
        minimize(f, x0, method="momentum", beta=1.0)


def test_register_method_guards_names():
    with pytest.raises(ValueError, match="already registered"):
        register_method("gd", METHODS["gd"])
    with pytest.raises(TypeError):
        register_method("x", 3)
    assert set(BASELINES) <= set(METHODS)
