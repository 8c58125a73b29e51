"""CallableObjective (finite differences, checks on user callables) and as_objective."""
import numpy as np
import pytest

from lagopt.objectives import CallableObjective, Objective, Quadratic, Rosenbrock, as_objective


def loss(x):
    return float(np.sum(np.sin(x)) + x[0] * x[1] ** 2 + 0.25 * np.sum(x ** 4))


def grad(x):
    g = np.cos(x) + x ** 3
    g[0] += x[1] ** 2
    g[1] += 2 * x[0] * x[1]
    return g


def hess(x):
    H = np.diag(-np.sin(x) + 3 * x ** 2)
    H[0, 1] += 2 * x[1]
    H[1, 0] += 2 * x[1]
    H[1, 1] += 2 * x[0]
    return H


X = np.random.default_rng(0).uniform(-2, 2, (3, 4))


@pytest.mark.parametrize("x", X)
def test_finite_difference_gradient_and_hessians(x):
    f = CallableObjective(loss, 4)
    np.testing.assert_allclose(f.grad(x), grad(x), rtol=0, atol=1e-8)
    np.testing.assert_allclose(f.hess(x), hess(x), rtol=0, atol=1e-5)  # from `loss` alone
    fg = CallableObjective(loss, 4, grad=grad)
    np.testing.assert_array_equal(fg.grad(x), grad(x))
    np.testing.assert_allclose(fg.hess(x), hess(x), rtol=0, atol=1e-8)  # differences of grad
    v = np.array([1.0, -2.0, 0.5, 0.0])
    np.testing.assert_allclose(fg.hessp(x, v), hess(x) @ v, rtol=0, atol=1e-7)
    np.testing.assert_allclose(f.hessp(x, v), hess(x) @ v, rtol=0, atol=1e-4)
    np.testing.assert_array_equal(f.hessp(x, np.zeros(4)), 0.0)
    fh = CallableObjective(loss, 4, grad=grad, hess=hess)
    np.testing.assert_array_equal(fh.hess(x), hess(x))
    np.testing.assert_allclose(fh.hessp(x, v), hess(x) @ v, rtol=1e-15)
    H = f.hess(x)
    np.testing.assert_array_equal(H, H.T)


def test_batched_forms_and_call_counts():
    f = CallableObjective(loss, 4, grad=grad)
    P = X.T
    np.testing.assert_array_equal(f.loss_batch(P), [loss(p) for p in X])
    np.testing.assert_array_equal(f.grad_batch(P), np.column_stack([grad(p) for p in X]))
    assert f.hess_batch(P).shape == (4, 4, 3)
    assert f.counts == {"loss": 3, "grad": 3, "hess": 3}
    assert f.n_calls["grad"] == 3 + 3 * 2 * 4  # direct, then 2n per finite-difference Hessian
    f.reset_counts()
    assert f.n_calls == {"loss": 0, "grad": 0, "hess": 0} and f.counts["grad"] == 0
    g = CallableObjective(loss, 4)
    g.grad(X[0])
    assert g.n_calls["loss"] == 8


def test_fd_step_and_attributes():
    f = CallableObjective(loss, 4, fd_step=1e-4, smooth=False, name="mine")
    np.testing.assert_allclose(f.grad(X[0]), grad(X[0]), atol=1e-6)
    assert not f.smooth and f.name == "mine" and "mine" in repr(f)
    assert CallableObjective(loss, 4).name == "loss"
    assert isinstance(f, Objective) and f.n_params == 4


def test_user_callable_cannot_corrupt_theta():
    def mutating(x):
        x[:] = 1e3
        return 0.0

    theta = np.arange(3.0)
    f = CallableObjective(mutating, 3)
    f.grad(theta)
    np.testing.assert_array_equal(theta, np.arange(3.0))


@pytest.mark.parametrize("kwargs,method,exc,match", [
    (dict(loss=lambda x: np.ones(2)), "loss", ValueError, "`loss` must return a scalar"),
    (dict(loss=lambda x: "a"), "loss", TypeError, "`loss` must return real numbers"),
    (dict(loss=lambda x: np.nan), "loss", ValueError, "`loss` returned NaN"),
    (dict(grad=lambda x: np.ones((4, 1))), "grad", ValueError, r"`grad` must return shape \(4,\)"),
    (dict(grad=lambda x: np.ones(3)), "grad", ValueError, "`grad`"),
    (dict(grad=lambda x: np.full(4, np.inf)), "grad", ValueError, "`grad` returned non-finite"),
    (dict(grad=lambda x: None), "grad", ValueError, "`grad`"),
    (dict(hess=lambda x: np.ones(4)), "hess", ValueError, r"`hess` must return shape \(4, 4\)"),
    (dict(hess=lambda x: np.triu(np.ones((4, 4)))), "hess", ValueError, "`hess`.*symmetric"),
    (dict(hess=lambda x: np.full((4, 4), np.nan)), "hess", ValueError, "`hess`"),
    (dict(grad=lambda x: np.ones(3)), "hess", ValueError, "`grad`"),  # FD Hessian uses grad
])
def test_wrong_returns_from_user_callables(kwargs, method, exc, match):
    args = dict(loss=loss, n_params=4)
    args.update(kwargs)
    f = CallableObjective(**args)
    with pytest.raises(exc, match=match):
        getattr(f, method)(X[0])


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(loss=3.0), TypeError, "`loss`"),
    (dict(loss=None), TypeError, "`loss`"),
    (dict(grad="g"), TypeError, "`grad`"),
    (dict(hess=np.eye(4)), TypeError, "`hess`"),
    (dict(n_params=0), ValueError, "`n_params`"),
    (dict(n_params=2.5), TypeError, "`n_params`"),
    (dict(fd_step=-1e-6), ValueError, "`fd_step`"),
])
def test_constructor_rejects_bad_input(kwargs, exc, match):
    args = dict(loss=loss, n_params=4)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        CallableObjective(**args)


def test_as_objective():
    q = Quadratic(np.eye(2))
    assert as_objective(q) is q
    assert as_objective(q, n_params=2) is q
    f = as_objective(loss, n_params=4, grad=grad)
    assert isinstance(f, CallableObjective)
    np.testing.assert_array_equal(f.grad(X[0]), grad(X[0]))
    with pytest.raises(TypeError, match="`objective`"):
        as_objective(3.0)
    with pytest.raises(TypeError, match="`f`"):
        as_objective("loss", name="f")
    with pytest.raises(TypeError, match="instance"):
        as_objective(Rosenbrock)
    with pytest.raises(ValueError, match="`grad`"):
        as_objective(q, grad=grad)
    with pytest.raises(ValueError, match="`grad` and `hess`"):
        as_objective(q, hess=hess)
    with pytest.raises(ValueError, match="`n_params`"):
        as_objective(loss)
    with pytest.raises(ValueError, match="`n_params`"):
        as_objective(q, n_params=3)
