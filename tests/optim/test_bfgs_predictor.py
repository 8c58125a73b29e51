"""LAML's dense BFGS predictor: the secant equation, positive definiteness, finite
termination-like convergence on a quadratic, its model's least-action path, and the L-BFGS
route above `max_dense`."""
import numpy as np
import pytest

from lagopt.datasets import make_dataset
from lagopt.objectives import MLPObjective, Quadratic
from lagopt.optim import minimize
from lagopt.optim._budget import BudgetedObjective
from lagopt.optim.laml import (BFGSPredictor, BudgetView, LAMLState, QuadraticModel,
                               QuasiNewtonPredictor)


def _state(objective, x):
    view = BudgetView(BudgetedObjective(objective, 1e6))
    loss, g = view.loss_and_grad(np.asarray(x, dtype=float))
    return LAMLState(np.asarray(x, dtype=float), loss, g, view, np.random.default_rng(0),
                     1.0, 1.0, 1.0)


def _quadratic(n=8, seed=0):
    rs = np.random.RandomState(seed)
    Q, _ = np.linalg.qr(rs.randn(n, n))
    A = (Q * np.logspace(-1, 2, n)) @ Q.T
    return Quadratic(0.5 * (A + A.T), c=rs.randn(n)), rs


def test_update_satisfies_the_secant_equation_and_stays_positive_definite():
    f, rs = _quadratic()
    state = _state(f, rs.randn(8))
    pred = BFGSPredictor()
    pred.reset(state)
    for _ in range(6):
        x = state.x + 0.1 * rs.randn(8)          # any moves: y = A s on a quadratic
        s, y = x - state.x, f.grad(x) - state.grad
        pred.predict(state)
        state.move(x, *state.view.loss_and_grad(x))
        pred.predict(state)                        # takes the pair (s, y)
        np.testing.assert_allclose(pred.H @ y, s, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(pred.H, pred.H.T, atol=1e-12)
        assert np.linalg.eigvalsh(pred.H).min() > 0


def test_followed_blindly_the_predictions_converge_on_a_quadratic():
    f, rs = _quadratic(seed=1)
    state = _state(f, rs.randn(8))
    pred = BFGSPredictor(first_step=0.01)
    pred.reset(state)
    errors = []
    for _ in range(50):   # unit steps, no line search: superlinear once H has the curvature
        x = pred.predict(state)
        errors.append(np.linalg.norm(x - f.c))
        state.move(x, *state.view.loss_and_grad(x))
    assert errors[-1] < 1e-11 * errors[0]


def test_model_is_the_dense_bfgs_matrix_and_its_path_ends_on_the_prediction():
    f, rs = _quadratic(seed=2)
    state = _state(f, rs.randn(8))
    pred = BFGSPredictor()
    pred.reset(state)
    for _ in range(4):
        x = pred.predict(state)
        state.move(x, *state.view.loss_and_grad(x))
    x_star = pred.predict(state)
    model = state.model()
    assert isinstance(model, QuadraticModel) and model.Q is None
    np.testing.assert_allclose(model.minimiser_step(), x_star - state.x, rtol=1e-8,
                               atol=1e-12)
    path = model.path(x_star - state.x, 1e4, 1.0)
    np.testing.assert_allclose(path(np.array([1.0]))[:, 0], x_star - state.x, atol=1e-10)


def test_above_max_dense_it_is_the_lbfgs_predictor():
    X, y = make_dataset("nonlinear")
    f = MLPObjective(X, y, sizes=(4, 6, 1), activation="tanh")
    theta0 = f.init_params(3)
    a = minimize(f, theta0, method="laml", predictor=BFGSPredictor(max_dense=10),
                 max_grad_evals=120, seed=0)
    b = minimize(f, theta0, method="laml", predictor=QuasiNewtonPredictor(),
                 max_grad_evals=120, seed=0)
    assert np.array_equal(a.history["loss"], b.history["loss"])
    c = minimize(f, theta0, method="laml", predictor=BFGSPredictor(), max_grad_evals=120,
                 seed=0)
    assert not np.array_equal(c.history["loss"], b.history["loss"])


def test_bad_max_dense():
    with pytest.raises(ValueError, match="max_dense"):
        BFGSPredictor(max_dense=-1)
