"""The numpy/BLAS route of MLPObjective against the numba kernels and finite differences.

``blas_min_work`` set on an instance forces a route (0: always BLAS; a huge value: always
numba), so one network is evaluated both ways; the dispatch test checks which route the
default threshold picks.
"""
import numpy as np
import pytest

from lagopt.objectives import MLPObjective
from lagopt.objectives import _mlp_blas as B
from lagopt.objectives import _mlp_kernels as K
from lagopt.objectives import mlp as mlp_module

ACTIVATIONS = ["relu", "tanh", "softplus", "sigmoid", "linear"]
SHAPES = [((4, 6, 1), 30), ((3, 7, 5, 2), 40), ((5, 1), 20)]
NUMBA_ONLY = 10**18


def make(sizes, act, n_samples, seed=0, route="blas"):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, sizes[0]))
    Y = rng.standard_normal((n_samples, sizes[-1]))
    f = MLPObjective(X, Y[:, 0] if sizes[-1] == 1 else Y, sizes=sizes, activation=act,
                     beta=2.0)
    f.blas_min_work = 0 if route == "blas" else NUMBA_ONLY
    return f


def points(f, m, seed):
    return 0.7 * np.random.default_rng(seed).standard_normal((f.n_params, m))


def both_routes(sizes, act, n_samples):
    return (make(sizes, act, n_samples, route="blas"),
            make(sizes, act, n_samples, route="numba"))


@pytest.mark.parametrize("sizes,n_samples", SHAPES)
@pytest.mark.parametrize("act", ACTIVATIONS)
def test_blas_route_matches_numba_kernels(sizes, n_samples, act):
    fb, fn = both_routes(sizes, act, n_samples)
    assert fb._uses_blas(1) and not fn._uses_blas(1)
    P, V = points(fb, 5, 1), points(fb, 5, 2)
    np.testing.assert_allclose(fb.loss_batch(P), fn.loss_batch(P), rtol=1e-12)
    Gb, Gn = fb.grad_batch(P), fn.grad_batch(P)
    assert Gb.shape == P.shape and Gb.flags.c_contiguous
    np.testing.assert_allclose(Gb, Gn, rtol=1e-12, atol=1e-12 * np.abs(Gn).max())
    for j in range(P.shape[1]):
        Hb, Hn = fb.hessp(P[:, j], V[:, j]), fn.hessp(P[:, j], V[:, j])
        np.testing.assert_allclose(Hb, Hn, rtol=1e-12, atol=1e-12 * np.abs(Hn).max())
        loss, g = fb.loss_and_grad(P[:, j])
        assert loss == pytest.approx(fn.loss(P[:, j]), rel=1e-12)
        np.testing.assert_array_equal(g, Gb[:, j])


@pytest.mark.parametrize("sizes,n_samples", SHAPES[:2])
@pytest.mark.parametrize("act", ACTIVATIONS)
def test_blas_route_matches_finite_differences(sizes, n_samples, act):
    f = make(sizes, act, n_samples, seed=3)
    theta, v = points(f, 1, 4)[:, 0], points(f, 1, 5)[:, 0]
    v /= np.linalg.norm(v)
    eps = 1e-6
    g = f.grad(theta)
    # Directional derivative of the loss, and of the gradient (the HVP), by central differences.
    fd_loss = (f.loss(theta + eps * v) - f.loss(theta - eps * v)) / (2 * eps)
    assert g @ v == pytest.approx(fd_loss, rel=1e-6, abs=1e-9)
    fd_grad = (f.grad(theta + eps * v) - f.grad(theta - eps * v)) / (2 * eps)
    Hv = f.hessp(theta, v)
    np.testing.assert_allclose(Hv, fd_grad, rtol=1e-5, atol=1e-6 * np.abs(Hv).max())
    # Single coordinates of the gradient.
    for i in np.random.default_rng(6).choice(f.n_params, 4, replace=False):
        e = np.zeros(f.n_params)
        e[i] = eps
        fd = (f.loss(theta + e) - f.loss(theta - e)) / (2 * eps)
        assert g[i] == pytest.approx(fd, rel=1e-6, abs=1e-9)


def test_blas_route_in_chunks_of_points(monkeypatch):
    # Several points per chunk, with a partial last chunk, and non-contiguous input.
    fb, fn = both_routes((3, 7, 5, 2), "softplus", 40)
    monkeypatch.setattr(B, "CHUNK_DOUBLES", 3 * 40 * 14)
    assert B.chunk_size(40, 14) == 3
    P = np.asfortranarray(points(fb, 7, 7))
    V = points(fb, 7, 8)
    np.testing.assert_allclose(fb.grad_batch(P), fn.grad_batch(P), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(fb.loss_batch(P[:, ::-1]), fn.loss_batch(P[:, ::-1]),
                               rtol=1e-12)
    n, m = P.shape
    f_b, f_n = np.empty(m), np.empty(m)
    o_b, o_n = np.empty((n, m)), np.empty((n, m))
    P = np.ascontiguousarray(P)
    B.evaluate(P, V, fb._Xs, fb._Ys, fb._sizes, fb._act, fb.beta, 3, f_b, o_b)
    K.mlp_eval(P, V, *fn._args, 3, f_n, o_n.reshape(-1), 0, m)
    np.testing.assert_allclose(o_b, o_n, rtol=1e-12, atol=1e-12 * np.abs(o_n).max())


def test_dispatch_picks_each_route(monkeypatch):
    calls = []
    real_blas, real_numba, real_par = B.evaluate, K.mlp_eval, K.mlp_eval_parallel
    monkeypatch.setattr(B, "evaluate", lambda *a: calls.append("blas") or real_blas(*a))
    monkeypatch.setattr(K, "mlp_eval", lambda *a: calls.append("numba") or real_numba(*a))
    monkeypatch.setattr(K, "mlp_eval_parallel",
                        lambda *a: calls.append("numba") or real_par(*a))
    rng = np.random.default_rng(9)
    # Small: the seed network on 100 samples.
    X = rng.standard_normal((100, 4))
    small = MLPObjective(X, X @ [1.0, -0.5, 0.3, 0.8], sizes=(4, 6, 1), activation="relu")
    assert small.n_samples * small.n_params < mlp_module.BLAS_MIN_WORK
    small.grad_batch(points(small, 2, 10))
    assert calls == ["numba"]
    # Wide: 4,401 parameters on 1,000 samples.
    X = rng.standard_normal((1000, 20))
    wide = MLPObjective(X, np.sin(X[:, 0]), sizes=(20, 200, 1), activation="tanh")
    assert wide.n_samples * wide.n_params >= mlp_module.BLAS_MIN_WORK
    P = 0.1 * points(wide, 2, 11)
    calls.clear()
    G, L, Hv = wide.grad_batch(P), wide.loss_batch(P), wide.hessp(P[:, 0], P[:, 1])
    assert calls == ["blas"] * 3
    wide.blas_min_work = NUMBA_ONLY
    calls.clear()
    np.testing.assert_allclose(G, wide.grad_batch(P), rtol=1e-12, atol=1e-12 * np.abs(G).max())
    np.testing.assert_allclose(L, wide.loss_batch(P), rtol=1e-12)
    np.testing.assert_allclose(Hv, wide.hessp(P[:, 0], P[:, 1]), rtol=1e-12,
                               atol=1e-12 * np.abs(Hv).max())
    assert calls == ["numba"] * 3


def test_hessian_stays_on_the_kernels():
    fb, fn = both_routes((4, 6, 1), "tanh", 30)
    assert not fb._uses_blas(2)
    theta = points(fb, 1, 12)[:, 0]
    np.testing.assert_array_equal(fb.hess(theta), fn.hess(theta))
