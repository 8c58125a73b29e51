"""``minimize(..., max_time=...)``: every method ends on the clock as it ends on the budget.

The runs on a loss that sleeps check the real clock with generous margins (a run must end
well within a second of a 0.1 s cap); the exact counts come from a fake clock
(``time.perf_counter`` patched) that advances only when the objective evaluates.
"""
import math
import time

import numpy as np
import pytest

from lagopt.datasets import make_regression
from lagopt.objectives import MLPObjective, Quadratic
from lagopt.optim import METHODS, BudgetedObjective, BudgetExhausted, Status, minimize
from lagopt.optim._budget import TimeExhausted

_EVALUATIONS = ("loss", "grad", "loss_and_grad", "hess", "hessp", "residuals", "jacobian",
                "loss_batch", "grad_batch", "loss_and_grad_batch", "hess_batch",
                "hessp_batch")


class _Delayed(MLPObjective):
    """An MLP objective whose every evaluation first calls ``self.wait()`` (a sleep, or a
    step of a fake clock) and counts itself in ``self.calls`` (an evaluation made inside
    another one is neither delayed nor counted)."""

    wait = None
    calls = 0
    _depth = 0

    def _make(name):
        def method(self, *args):
            if self._depth == 0:
                self.calls += 1
                if self.wait is not None:
                    self.wait()
            self._depth += 1
            try:
                return getattr(MLPObjective, name)(self, *args)
            finally:
                self._depth -= 1
        method.__name__ = name
        return method

    for _name in _EVALUATIONS:
        locals()[_name] = _make(_name)
    del _name, _make


def _objective():
    X, y = make_regression("sincos", n=50, seed=0, noise=0.1)
    return _Delayed(X, y, sizes=(4, 6, 1), activation="tanh")


@pytest.fixture(scope="module")
def objective():
    f = _objective()
    theta0 = f.init_params(np.random.default_rng(0))
    # Compile and load every kernel (and each method's code) before the timed runs.
    for name in METHODS:
        minimize(f, theta0, method=name, max_grad_evals=30, seed=0)
    return f, theta0


class _FakeClock:
    """``time.perf_counter`` replaced by a clock that advances `dt` per evaluation."""

    def __init__(self, dt=1.0):
        self.now, self.dt = 1000.0, dt

    def __call__(self):
        return self.now

    def tick(self):
        self.now += self.dt


@pytest.fixture
def fake_clock(monkeypatch, objective):
    clock = _FakeClock()
    monkeypatch.setattr(time, "perf_counter", clock)
    f, _ = objective
    monkeypatch.setattr(f, "wait", clock.tick)
    return clock


# ----------------------------------------------------------------------------- real clock
@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_ends_on_the_clock(objective, monkeypatch, method):
    f, theta0 = objective
    start = f.loss(theta0)
    monkeypatch.setattr(f, "wait", lambda: time.sleep(0.005))
    t0 = time.perf_counter()
    res = minimize(f, theta0, method=method, max_grad_evals=1e6, max_time=0.1, seed=0)
    elapsed = time.perf_counter() - t0
    assert res.status == Status.MAX_TIME and not res.success
    assert "max_time" in res.message
    assert 0.1 <= res.wall_time and elapsed < 1.0
    assert 0 < res.n_grad < 1e6
    assert np.all(np.isfinite(res.x)) and np.isfinite(res.fun)
    assert res.fun <= start
    # The returned point is the best one whose loss was paid for.
    assert res.fun == pytest.approx(np.nanmin(res.history["loss"]), rel=1e-12, abs=0)


# ----------------------------------------------------------------------------- fake clock
@pytest.mark.parametrize("method", list(METHODS))
def test_the_deadline_refuses_the_first_evaluation_after_it(objective, fake_clock, method):
    f, theta0 = objective
    before = f.calls
    res = minimize(f, theta0, method=method, max_grad_evals=1e6, max_time=12.5, seed=0)
    assert res.status == Status.MAX_TIME
    # Clock at 0, 1, 2, ... (seconds after the start) when evaluations 1, 2, 3, ... begin:
    # the 13 that begin before 12.5 s run, the 14th is refused; the final `fun` is free.
    assert f.calls - before == 13 + 1
    again = minimize(f, theta0, method=method, max_grad_evals=1e6, max_time=12.5, seed=0)
    np.testing.assert_array_equal(res.x, again.x)
    assert res.n_grad == again.n_grad and res.fun == again.fun
    assert res.fun <= f.loss(theta0)
    assert res.fun == pytest.approx(min(res.history["loss"]), rel=1e-12, abs=0)


def test_budget_or_clock_whichever_ends_first(objective, fake_clock):
    f, theta0 = objective
    res = minimize(f, theta0, method="gd", max_grad_evals=5, max_time=100.0)
    assert res.status == Status.BUDGET_EXHAUSTED and res.n_grad == 5
    res = minimize(f, theta0, method="gd", max_grad_evals=100, max_time=4.5)
    assert res.status == Status.MAX_TIME and res.n_grad == 5
    assert res.message.startswith("The wall-time cap `max_time` = 4.5 s was reached")


def test_a_callback_stop_is_not_a_time_out(objective, fake_clock):
    f, theta0 = objective
    res = minimize(f, theta0, method="adam", max_grad_evals=100, max_time=50.0,
                   callback=lambda r: r.nit >= 3)
    assert res.status == Status.CALLBACK_STOP and res.nit == 3


# ----------------------------------------------------------------------------- no cap
@pytest.mark.parametrize("method", ["gd", "lbfgs", "lm", "laml", "hybrid"])
def test_without_max_time_nothing_changes(objective, method):
    f, theta0 = objective
    base = minimize(f, theta0, method=method, max_grad_evals=60, seed=3)
    for max_time in (None, math.inf, 1e6):
        res = minimize(f, theta0, method=method, max_grad_evals=60, seed=3, max_time=max_time)
        np.testing.assert_array_equal(res.x, base.x)
        assert (res.status, res.n_grad, res.nit, res.message) == \
            (base.status, base.n_grad, base.nit, base.message)
        np.testing.assert_array_equal(res.history["loss"], base.history["loss"])


@pytest.mark.parametrize("bad", [0, 0.0, -1.0, -1e-9, float("nan"), float("-inf"), True, "1",
                                 [1.0]])
def test_invalid_max_time_raises(bad):
    f = Quadratic(np.eye(2))
    with pytest.raises(ValueError, match="max_time"):
        minimize(f, [1.0, 1.0], max_time=bad)


# ----------------------------------------------------------------------------- the object
def test_budgeted_objective_checks_the_deadline_before_each_charge(monkeypatch):
    clock = _FakeClock()
    monkeypatch.setattr(time, "perf_counter", clock)
    f = BudgetedObjective(Quadratic(np.eye(2)), 100, max_time=2.0)
    assert f.deadline == 1002.0 and f.time_left == 2.0 and not f.timed_out
    f.loss(np.ones(2))
    clock.now += 1.5
    f.grad(np.ones(2))
    clock.now += 0.5
    with pytest.raises(TimeExhausted, match="max_time = 2 s"):
        f.loss(np.ones(2))
    assert issubclass(TimeExhausted, BudgetExhausted)
    assert f.timed_out and f.time_left == 0.0 and f.spent == 1.5
    assert f.exhausted()[0] == Status.MAX_TIME
    assert BudgetedObjective(Quadratic(np.eye(2)), 1).exhausted()[0] == Status.BUDGET_EXHAUSTED
    # x_best follows the lowest recorded loss.
    f.set_iterate([1.0, 0.0], 3.0)
    f.set_iterate([2.0, 0.0], 1.0)
    f.set_iterate([3.0, 0.0], 2.0)
    np.testing.assert_array_equal(f.x_best, [2.0, 0.0])
    assert f.loss_best == 1.0
