"""CallableObjective(vectorized=True): user callables that take the points as columns."""
import numpy as np
import pytest

import lagopt
from lagopt._status import NonFiniteError
from lagopt.objectives import CallableObjective, Quadratic, as_objective


# ---------------------------------------------------------------- test functions, both forms
def bratu_loss(x):
    return float(-np.exp(x[0]))


def bratu_grad(x):
    return -np.exp(x)


def bratu_hess(x):
    return -np.exp(x)[None]


def bratu_loss_v(P):
    return -np.exp(P[0])


def bratu_grad_v(P):
    return -np.exp(P)


def bratu_hess_v(P):
    return -np.exp(P)[None]


def quartic_loss(x):       # coupled 3-D quartic
    return float(0.25 * np.sum(x ** 4) + x[0] * x[1] ** 2 - x[1] * x[2] + np.sum(np.sin(x)))


def quartic_grad(x):
    g = x ** 3 + np.cos(x)
    g[0] += x[1] ** 2
    g[1] += 2 * x[0] * x[1] - x[2]
    g[2] -= x[1]
    return g


def quartic_hess(x):
    H = np.diag(3 * x ** 2 - np.sin(x))
    H[1, 1] += 2 * x[0]
    H[0, 1] = H[1, 0] = 2 * x[1]
    H[1, 2] = H[2, 1] = -1.0
    return H


def quartic_loss_v(P):
    return 0.25 * np.sum(P ** 4, axis=0) + P[0] * P[1] ** 2 - P[1] * P[2] + np.sum(np.sin(P), 0)


def quartic_grad_v(P):
    G = P ** 3 + np.cos(P)
    G[0] += P[1] ** 2
    G[1] += 2 * P[0] * P[1] - P[2]
    G[2] -= P[1]
    return G


def quartic_hess_v(P):
    n, m = P.shape
    H = np.zeros((n, n, m))
    idx = np.arange(n)
    H[idx, idx] = 3 * P ** 2 - np.sin(P)
    H[1, 1] += 2 * P[0]
    H[0, 1] = H[1, 0] = 2 * P[1]
    H[1, 2] = H[2, 1] = -1.0
    return H


def rosen_loss(x):
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))


def rosen_grad(x):
    g = np.zeros_like(x)
    d = x[1:] - x[:-1] ** 2
    g[:-1] = -400.0 * x[:-1] * d - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * d
    return g


def rosen_hess(x):
    n = x.size
    H = np.zeros((n, n))
    i = np.arange(n - 1)
    H[i, i] = 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    H[i + 1, i + 1] += 200.0
    H[i, i + 1] = H[i + 1, i] = -400.0 * x[:-1]
    return H


def rosen_loss_v(P):
    return np.sum(100.0 * (P[1:] - P[:-1] ** 2) ** 2 + (1.0 - P[:-1]) ** 2, axis=0)


def rosen_grad_v(P):
    G = np.zeros_like(P)
    D = P[1:] - P[:-1] ** 2
    G[:-1] = -400.0 * P[:-1] * D - 2.0 * (1.0 - P[:-1])
    G[1:] += 200.0 * D
    return G


def rosen_hess_v(P):
    n, m = P.shape
    H = np.zeros((n, n, m))
    i = np.arange(n - 1)
    H[i, i] = 1200.0 * P[:-1] ** 2 - 400.0 * P[1:] + 2.0
    H[i + 1, i + 1] += 200.0
    H[i, i + 1] = H[i + 1, i] = -400.0 * P[:-1]
    return H


CASES = {
    "bratu": (1, (bratu_loss, bratu_grad, bratu_hess), (bratu_loss_v, bratu_grad_v, bratu_hess_v)),
    "quartic": (3, (quartic_loss, quartic_grad, quartic_hess),
                (quartic_loss_v, quartic_grad_v, quartic_hess_v)),
    "rosenbrock": (4, (rosen_loss, rosen_grad, rosen_hess),
                   (rosen_loss_v, rosen_grad_v, rosen_hess_v)),
}
#: which derivatives are given: exact both, exact grad only (FD Hessian), none (FD both)
GIVEN = {"exact": (True, True), "grad": (True, False), "none": (False, False)}


def _pair(case, given):
    n, (f, g, h), (fv, gv, hv) = CASES[case]
    use_g, use_h = GIVEN[given]
    per_point = CallableObjective(f, n, grad=g if use_g else None, hess=h if use_h else None)
    vec = CallableObjective(fv, n, grad=gv if use_g else None, hess=hv if use_h else None,
                            vectorized=True)
    return n, per_point, vec, (f, g, h)


def _points(n, m=5, seed=1):
    return np.random.default_rng(seed).uniform(-1.5, 1.5, (n, m))


# ---------------------------------------------------------------- agreement
@pytest.mark.parametrize("given", list(GIVEN))
@pytest.mark.parametrize("case", list(CASES))
def test_vectorized_agrees_with_per_point(case, given):
    n, f, fv, (loss, grad, hess) = _pair(case, given)
    P = _points(n)
    V = np.random.default_rng(2).standard_normal(P.shape)
    V[:, 1] = 0.0                                       # a zero direction
    exact_g, exact_h = GIVEN[given]
    gtol = 1e-14 if exact_g else 1e-7
    htol = 1e-14 if exact_h else 1e-5

    def close(a, b, rtol):
        scale = max(1.0, np.max(np.abs(b)))
        np.testing.assert_allclose(a, b, rtol=0, atol=rtol * scale)

    close(fv.loss_batch(P), f.loss_batch(P), 1e-14)
    close(fv.grad_batch(P), f.grad_batch(P), gtol)
    close(fv.hess_batch(P), f.hess_batch(P), htol)
    close(fv.hessp_batch(P, V), f.hessp_batch(P, V), htol)
    lv, gv = fv.loss_and_grad_batch(P)
    lp, gp = f.loss_and_grad_batch(P)
    close(lv, lp, 1e-14)
    close(gv, gp, gtol)
    assert lv.shape == (P.shape[1],) and gv.shape == P.shape
    assert fv.hess_batch(P).shape == (n, n, P.shape[1])
    np.testing.assert_array_equal(fv.hessp_batch(P, V)[:, 1], 0.0)
    # against the closed forms too (finite-difference accuracy when not exact)
    close(fv.grad_batch(P), np.column_stack([grad(p) for p in P.T]), gtol)
    close(fv.hess_batch(P), np.stack([hess(p) for p in P.T], axis=-1), htol)
    for j in range(P.shape[1]):
        x = P[:, j].copy()
        assert isinstance(fv.loss(x), float)
        close(fv.loss(x), loss(x), 1e-14)
        close(fv.grad(x), f.grad(x), gtol)
        close(fv.hess(x), f.hess(x), htol)
        close(fv.hessp(x, V[:, j]), f.hessp(x, V[:, j]), htol)
        lj, gj = fv.loss_and_grad(x)
        close(lj, loss(x), 1e-14)
        close(gj, f.grad(x), gtol)
        assert fv.grad(x).shape == (n,) and fv.hess(x).shape == (n, n)
    H = fv.hess_batch(P)
    np.testing.assert_array_equal(H, H.transpose(1, 0, 2))


# ---------------------------------------------------------------- call counts
def test_one_user_call_per_batch_and_counts_count_points():
    n, f, fv, _ = _pair("quartic", "exact")
    P = _points(n, m=7)
    fv.loss_batch(P)
    fv.grad_batch(P)
    fv.hess_batch(P)
    fv.hessp_batch(P, P)
    fv.loss_and_grad_batch(P)
    assert fv.n_calls == {"loss": 2, "grad": 2, "hess": 2}
    assert fv.counts == {"loss": 14, "grad": 14, "hess": 14}
    fv.loss(P[:, 0])
    fv.grad(P[:, 0])
    fv.hess(P[:, 0])
    assert fv.n_calls == {"loss": 3, "grad": 3, "hess": 3}
    assert fv.counts == {"loss": 15, "grad": 15, "hess": 15}
    fv.reset_counts()
    assert fv.n_calls == {"loss": 0, "grad": 0, "hess": 0}
    assert fv.counts == {"loss": 0, "grad": 0, "hess": 0}


def test_finite_differences_are_vectorized():
    n, m = 3, 6
    P = _points(n, m=m)
    _, _, fv, _ = _pair("quartic", "none")
    fv.grad_batch(P)
    assert fv.n_calls["loss"] == 2 * n                  # 2n calls, each on all m points
    fv.reset_counts()
    fv.hess_batch(P)
    assert fv.n_calls["loss"] == 2 * n * n + 1          # second differences of the loss
    fv.reset_counts()
    fv.hessp_batch(P, P)
    assert fv.n_calls["loss"] == 2 * 2 * n              # two batched FD gradients
    _, _, fg, _ = _pair("quartic", "grad")
    fg.hess_batch(P)
    assert fg.n_calls == {"loss": 0, "grad": 2 * n, "hess": 0}
    fg.reset_counts()
    fg.hessp_batch(P, P)
    assert fg.n_calls["grad"] == 2
    assert fg.counts["hess"] == m


def test_callables_receive_a_float_copy_with_points_as_columns():
    seen = []

    def loss_v(P):
        seen.append((P.shape, P.dtype, P.flags.c_contiguous))
        out = np.sum(P ** 2, axis=0)
        P[:] = 1e3                                      # must not corrupt the caller's array
        return out

    f = CallableObjective(loss_v, 2, vectorized=True)
    P = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(f.loss_batch(P), [9.0, 17.0, 29.0])
    np.testing.assert_array_equal(P, np.arange(6.0).reshape(2, 3))
    theta = np.array([1.0, 2.0])
    assert f.loss(theta) == 5.0
    f.grad(theta)
    np.testing.assert_array_equal(theta, [1.0, 2.0])
    assert seen[0] == ((2, 3), np.float64, True) and seen[1][0] == (2, 1)


def test_repr_and_empty_batch():
    _, f, fv, _ = _pair("quartic", "exact")
    assert "vectorized=True" in repr(fv) and "vectorized" not in repr(f)
    assert fv.vectorized and not f.vectorized
    E = np.empty((3, 0))
    assert fv.loss_batch(E).shape == (0,) and fv.grad_batch(E).shape == (3, 0)
    assert fv.hess_batch(E).shape == (3, 3, 0)
    assert fv.n_calls == {"loss": 0, "grad": 0, "hess": 0}


# ---------------------------------------------------------------- errors
def _sym_fail(P):
    H = quartic_hess_v(P)
    H[0, 2, 3] += 1.0
    return H


def _grad_inf(P):
    G = quartic_grad_v(P)
    G[1, 2] = np.inf
    return G


def _loss_nan(P):
    f = quartic_loss_v(P)
    f[2] = np.nan
    return f


@pytest.mark.parametrize("kwargs,method,exc,match", [
    (dict(loss=lambda P: np.sum(P)), "loss_batch", ValueError,
     r"`loss` must return shape \(5,\) for 5 points \(vectorized=True: points are columns\), "
     r"got shape \(\)"),
    (dict(loss=lambda P: np.sum(P)), "loss", ValueError,
     r"`loss` must return shape \(1,\) for 1 point \(vectorized=True"),
    (dict(grad=lambda P: P[:, 0]), "grad_batch", ValueError,
     r"`grad` must return shape \(3, 5\) for 5 points \(vectorized=True: points are columns\), "
     r"got shape \(3,\)"),
    (dict(grad=lambda P: P.T), "grad", ValueError,
     r"`grad` must return shape \(3, 1\).*vectorized"),
    (dict(hess=lambda P: np.zeros((3, 3))), "hess_batch", ValueError,
     r"`hess` must return shape \(3, 3, 5\) for 5 points \(vectorized=True"),
    (dict(loss=lambda P: ["a"] * P.shape[1]), "loss_batch", TypeError,
     "`loss` must return real numbers"),
    (dict(grad=lambda P: "g"), "grad_batch", TypeError, "`grad` must return real numbers"),
    (dict(grad=lambda P: None), "grad_batch", ValueError, "`grad` must return shape"),
    (dict(loss=_loss_nan), "loss_batch", NonFiniteError, r"`loss` returned NaN.*column 2"),
    (dict(loss=_loss_nan, grad=None), "grad_batch", NonFiniteError, "`loss` returned NaN"),
    (dict(grad=_grad_inf), "grad_batch", NonFiniteError, "`grad` returned non-finite"),
    (dict(grad=_grad_inf, hess=None), "hess_batch", NonFiniteError, "`grad` returned non-finite"),
    (dict(hess=lambda P: np.full((3, 3, P.shape[1]), np.nan)), "hess_batch", NonFiniteError,
     "`hess` returned non-finite"),
    (dict(hess=_sym_fail), "hess_batch", ValueError, r"`hess`.*non-symmetric.*column 3"),
    (dict(hess=_sym_fail), "hessp_batch", ValueError, r"`hess`.*non-symmetric"),
])
def test_wrong_returns_from_vectorized_callables(kwargs, method, exc, match):
    args = dict(loss=quartic_loss_v, grad=quartic_grad_v, hess=quartic_hess_v)
    args.update(kwargs)
    f = CallableObjective(args.pop("loss"), 3, vectorized=True, **args)
    P = _points(3)
    call = getattr(f, method)
    with pytest.raises(exc, match=match):
        if method.endswith("_batch"):
            call(P, P) if method == "hessp_batch" else call(P)
        else:
            call(P[:, 0])


def test_fd_gradient_of_an_overflowing_loss_is_an_error():
    f = CallableObjective(lambda P: np.exp(np.exp(P[0])), 1, vectorized=True)
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(NonFiniteError):
            f.grad_batch(np.array([[0.0, 7.0]]))


# ---------------------------------------------------------------- as_objective
def test_as_objective_vectorized():
    f = as_objective(quartic_loss_v, 3, grad=quartic_grad_v, vectorized=True)
    assert isinstance(f, CallableObjective) and f.vectorized
    P = _points(3)
    np.testing.assert_array_equal(f.grad_batch(P), quartic_grad_v(P))
    assert f.n_calls["grad"] == 1
    assert not as_objective(quartic_loss, 3).vectorized
    q = Quadratic(np.eye(2))
    assert as_objective(q, vectorized=False) is q
    with pytest.raises(ValueError, match="vectorized"):
        as_objective(q, vectorized=True)


# ---------------------------------------------------------------- end to end
def test_bratu_path_with_vectorized_callables():
    """y'' = -exp(y), y(0) = y(1) = 0: the lower branch has y'(0) = 0.549352728775."""
    fv = CallableObjective(lambda P: -np.exp(P[0]), 1, grad=lambda P: -np.exp(P),
                           hess=lambda P: -np.exp(P)[None], vectorized=True)
    path = lagopt.paths.solve_action_path(fv, [0.0], [0.0], T=1.0, lam=1.0)
    assert path.success, path.message
    assert abs(path.velocity(0.0)[0] - 0.549352728775) < 1e-6
    assert sum(fv.counts.values()) > sum(fv.n_calls.values())    # batches were single calls
    f = CallableObjective(bratu_loss, 1, grad=bratu_grad, hess=bratu_hess)
    ref = lagopt.paths.solve_action_path(f, [0.0], [0.0], T=1.0, lam=1.0)
    assert ref.success
    assert abs(path.velocity(0.0)[0] - ref.velocity(0.0)[0]) < 1e-9
    assert abs(path.action - ref.action) < 1e-9 * max(1.0, abs(ref.action))
