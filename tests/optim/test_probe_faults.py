"""Faults of `minimize` and the objectives found by a hostile probe: every run ends, every
non-finite value gives a status or a clear error, and nothing passes silently."""
import warnings

import numpy as np
import pytest

import lagopt
from lagopt import NonFiniteError, Status
from lagopt.objectives import CallableObjective, MLPObjective, Rosenbrock

# A runaway loop calls the callback at every iterate: stopping it there keeps a regression from
# hanging the suite (the test then fails with CALLBACK_STOP instead).
_RUNAWAY = 5000


def _guarded(method, x0, budget=50, **options):
    """``minimize`` on Rosenbrock with a callback that stops a loop that does not end."""
    calls = [0]

    def callback(_):
        calls[0] += 1
        return calls[0] >= _RUNAWAY

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = lagopt.minimize(Rosenbrock(), x0, method=method, max_grad_evals=budget, seed=0,
                              callback=callback, **options)
    return res, calls[0]


@pytest.mark.parametrize("step", ["gd", "momentum", "adam"])
@pytest.mark.parametrize("start", [10.0, 100.0, 1e20, -1e20, 1e50])
def test_hybrid_ends_and_keeps_its_best_point(step, start):
    x0 = np.array([start, start])
    res, calls = _guarded("hybrid", x0, step=step)
    assert res.status != Status.CALLBACK_STOP and calls < _RUNAWAY
    assert res.nit <= 200 and res.n_grad <= 50
    assert np.isfinite(res.x).all() and np.isfinite(res.fun)
    # A run that gives up returns the best point it met, not the step that blew up.
    assert res.fun <= Rosenbrock().loss(x0)
    assert res.status in (Status.NOT_CONVERGED, Status.BUDGET_EXHAUSTED, Status.NON_FINITE)
    assert res.message


def test_hybrid_step_below_the_resolution_of_x_stops_and_says_so():
    # Adam's steps have the length `lr` (at most `lr_max` = 10): at 1e20 they do not move x,
    # and the loop used to repeat itself, its losses read back without charge, forever.
    res, _ = _guarded("hybrid", [1e20, 1e20], step="adam")
    assert res.status == Status.NOT_CONVERGED
    assert "floating-point" in res.message and "lr" in res.message
    assert res.nit == 0 and np.array_equal(res.x, [1e20, 1e20])


def test_hybrid_gradient_that_overflows_after_a_step_restarts():
    # The gradient "overflows" (is infinite, so the callable objective raises NonFiniteError)
    # beyond |theta_i| = 1e4: a diverging step of the hybrid must restart from its best point,
    # as for a non-finite loss, not end the run.
    def loss(th):
        return float(np.sum(th ** 4))

    def grad(th):
        return np.where(np.abs(th) > 1e4, np.inf, 4.0 * th ** 3)

    x0 = np.array([30.0, 30.0])
    res = lagopt.minimize(loss, x0, grad=grad, method="hybrid", lr=1.0, max_grad_evals=100)
    assert res.n_restarts >= 1 and res.status != Status.NON_FINITE
    assert res.fun < 1e-3 * loss(x0)


@pytest.mark.parametrize("start", [10.0, 100.0, 1e20])
def test_laml_ends_from_far_starts(start):
    res, calls = _guarded("laml", [start, start])
    assert res.status != Status.CALLBACK_STOP and calls < _RUNAWAY
    assert res.n_grad <= 50
    assert np.isfinite(res.x).all() and np.isfinite(res.fun)


@pytest.mark.parametrize("method", ["laml", "hybrid", "lbfgs", "gd", "adam", "steepest", "lm"])
@pytest.mark.parametrize("start", [1e77, 1e100])
def test_non_finite_start_gives_a_status(method, start):
    res, _ = _guarded(method, [start, start])
    assert res.status == Status.NON_FINITE and not res.success
    assert np.array_equal(res.x, [start, start])        # the only iterate there is
    assert "starting point" in res.message and "theta0" in res.message


def test_lbfgs_divergence_gives_a_status_and_the_last_finite_iterate():
    # A loss whose gradient grows faster than the loss: L-BFGS-B's first trial step from
    # 1e100 overflows x itself, which used to reach the objective as a raw ValueError.
    def loss(th):
        return float(np.sum(np.abs(th)))

    def grad(th):
        return np.sign(th) * 1e300

    res = lagopt.minimize(loss, [1e100, 1.0], grad=grad, method="lbfgs", max_grad_evals=50)
    assert res.status == Status.NON_FINITE
    assert np.array_equal(res.x, [1e100, 1.0]) and np.isfinite(res.fun)
    assert "L-BFGS-B" in res.message and "not finite" in res.message


@pytest.mark.parametrize("options", [dict(max_grad_evals=2 ** 31), dict(max_grad_evals=1e300),
                                     dict(max_grad_evals=100, max_nfev=2 ** 31),
                                     dict(max_grad_evals=100, solver="trf", max_nfev=2 ** 40)])
def test_lm_budget_beyond_scipy_int_range_is_clamped(options):
    res = lagopt.minimize(Rosenbrock(), [-1.2, 1.0], method="lm", **options)
    assert res.status == Status.SUCCESS, res.message
    assert np.allclose(res.x, [1.0, 1.0])


@pytest.mark.parametrize("value, match", [
    (None, "`loss` returned None"), ("1.0", "`loss` must return real numbers, got str"),
    (object(), "got object"), (1 + 2j, "got complex"), ([None], "got a list containing None")])
@pytest.mark.parametrize("method", ["gd", "lbfgs", "laml", "hybrid"])
def test_loss_returning_a_non_number_is_a_type_error(value, match, method):
    # None used to become NaN and be reported as "`loss` returned NaN".
    with pytest.raises(TypeError, match=match):
        lagopt.minimize(lambda th: value, [1.0, 2.0], method=method)
    f = CallableObjective(lambda th: value, 2)
    with pytest.raises(TypeError, match=match):
        f.loss(np.ones(2))


def test_vectorized_and_derivative_returns_containing_none_are_type_errors():
    f = CallableObjective(lambda P: [None] * P.shape[1], 2, vectorized=True)
    with pytest.raises(TypeError, match=r"`loss` must return real numbers.*containing None"):
        f.loss_batch(np.ones((2, 3)))
    g = CallableObjective(lambda th: float(th @ th), 2, grad=lambda th: [None, 1.0])
    with pytest.raises(TypeError, match=r"`grad` must return real numbers.*containing None"):
        g.grad(np.ones(2))
    h = CallableObjective(lambda th: float(th @ th), 2, grad=lambda th: None)
    with pytest.raises(ValueError, match=r"`grad` must return shape \(2,\), got None"):
        h.grad(np.ones(2))


def test_numeric_returns_still_accepted():
    f = CallableObjective(lambda th: np.float32(th.sum()), 2, grad=lambda th: [1, True])
    assert f.loss(np.ones(2)) == 2.0
    assert np.array_equal(f.grad(np.ones(2)), [1.0, 1.0])


@pytest.fixture(scope="module")
def mlp():
    X, y = lagopt.make_dataset("xor")
    return MLPObjective(X, y, sizes=(4, 6, 1), activation="tanh")


@pytest.mark.parametrize("form, what", [
    ("grad_batch", "gradient"), ("hess", "Hessian"), ("hess_batch", "Hessian"),
    ("hessp", "Hessian-vector product"), ("hessp_batch", "Hessian-vector product")])
def test_mlp_derivatives_that_overflow_raise(mlp, form, what):
    n = mlp.n_params
    good = mlp.init_params(0)
    P = np.column_stack([good, np.full(n, 1e200)])
    args = {"grad_batch": (P,), "hess": (P[:, 1],), "hess_batch": (P,),
            "hessp": (P[:, 1], np.ones(n)), "hessp_batch": (P, np.ones_like(P))}[form]
    with pytest.raises(NonFiniteError, match=what) as info:
        getattr(mlp, form)(*args)
    assert isinstance(info.value, ArithmeticError)
    if form.endswith("_batch"):
        assert "column 1" in str(info.value)
    # Finite parameters are untouched.
    ok = {"grad_batch": (good[:, None],), "hess": (good,), "hess_batch": (good[:, None],),
          "hessp": (good, np.ones(n)), "hessp_batch": (good[:, None], np.ones((n, 1)))}[form]
    assert np.isfinite(getattr(mlp, form)(*ok)).all()


def test_model_path_of_an_infinitely_stiff_mode_is_finite():
    # A model curvature that overflowed (omega = inf) settles at once instead of giving NaN
    # (inf * 0); found by the optimizer race, where the NaN curve then reached the direct
    # method's warm start and raised.
    from lagopt.optim.laml.model_path import _kinetic_integrals, _ratios

    t = np.linspace(0.0, 1.0, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        A, C, dA, dC = _ratios(np.array([np.inf, 1e200, 1.0]), t, 1.0)
        I_aa, I_ac = _kinetic_integrals(np.array([np.inf, 1e200, 1.0]), 1.0)
    for M in (A, C, dA, dC):
        assert np.isfinite(M).all()
    for row in (0, 1):
        np.testing.assert_array_equal(A[row], [1, 0, 0, 0, 0])
        np.testing.assert_array_equal(C[row], [0, 0, 0, 0, 1])
    assert np.isfinite(I_aa).all() and np.isfinite(I_ac).all() and I_aa[0] > 1e100


def test_refine_ignores_a_model_curve_that_is_not_finite():
    from lagopt.optim._budget import BudgetedObjective
    from lagopt.optim.laml import BudgetView, CandidatePath, LAMLState, ModelPathSolver

    f = Rosenbrock()
    view = BudgetView(BudgetedObjective(f, 100))
    x = np.array([-1.2, 1.0])
    loss, g = view.loss_and_grad(x)
    state = LAMLState(x, loss, g, view, np.random.default_rng(0), 1.0, 1.0, 1.0)
    end = x - 1e-3 * g
    path = CandidatePath((0.0, 1.0), np.column_stack([x, end]), (loss, f.loss(end)), "model",
                         1.0, 1.0, info={"curve": lambda t: np.full((2, np.size(t)), np.nan)})
    out = ModelPathSolver().refine(state, path)
    assert np.isfinite(out.theta).all() and out.theta.shape[0] == 2
