"""Test functions and their numba kernels against plain-numpy references written here."""
import numpy as np
import pytest

from lagopt.objectives import Ackley, MullerBrown, Quadratic, Rastrigin, Rosenbrock
from lagopt.objectives import _landscape_kernels as K


# --------------------------------------------------------------------------- numpy references
def rosenbrock_ref(x, a=1.0, b=100.0):
    u = x[1:] - x[:-1] ** 2
    f = np.sum(b * u ** 2 + (a - x[:-1]) ** 2)
    g = np.zeros_like(x)
    g[:-1] = -4 * b * x[:-1] * u - 2 * (a - x[:-1])
    g[1:] += 2 * b * u
    H = np.zeros((x.size, x.size))
    i = np.arange(x.size - 1)
    H[i, i] += 12 * b * x[:-1] ** 2 - 4 * b * x[1:] + 2
    H[i + 1, i + 1] += 2 * b
    H[i, i + 1] = H[i + 1, i] = -4 * b * x[:-1]
    return f, g, H


def rastrigin_ref(x, A=10.0):
    w = 2 * np.pi
    return (A * x.size + np.sum(x ** 2 - A * np.cos(w * x)), 2 * x + A * w * np.sin(w * x),
            np.diag(2 + A * w ** 2 * np.cos(w * x)))


def ackley_ref(x, a=20.0, b=0.2, c=2 * np.pi):
    n = x.size
    r = np.sqrt(np.mean(x ** 2))
    e1, e2 = np.exp(-b * r), np.exp(np.mean(np.cos(c * x)))
    f = -a * e1 - e2 + a + np.e
    dr = x / (n * r)
    ds = -(c / n) * np.sin(c * x)
    g = a * b * e1 * dr - e2 * ds
    d2r = np.eye(n) / (n * r) - np.outer(x, x) / (n ** 2 * r ** 3)
    H = (-a * b ** 2 * e1 * np.outer(dr, dr) + a * b * e1 * d2r
         - e2 * (np.outer(ds, ds) - np.diag((c ** 2 / n) * np.cos(c * x))))
    return f, g, H


MB = dict(A=[-200, -100, -170, 15], a=[-1, -1, -6.5, 0.7], b=[0, 0, 11, 0.6],
          c=[-10, -10, -6.5, 0.7], x0=[1, 0, -0.5, -1], y0=[0, 0.5, 1.5, 1])


def muller_brown_ref(p, scale=1.0):
    A, a, b, c, x0, y0 = (np.array(MB[k], float) for k in ("A", "a", "b", "c", "x0", "y0"))
    dx, dy = p[0] - x0, p[1] - y0
    e = A * np.exp(a * dx ** 2 + b * dx * dy + c * dy ** 2)
    qx, qy = 2 * a * dx + b * dy, b * dx + 2 * c * dy
    g = np.array([e @ qx, e @ qy])
    H = np.array([[e @ (qx * qx + 2 * a), e @ (qx * qy + b)],
                  [e @ (qx * qy + b), e @ (qy * qy + 2 * c)]])
    return scale * e.sum(), scale * g, scale * H


CASES = [
    (Rosenbrock(), rosenbrock_ref, 1.0),
    (Rosenbrock(6, a=0.5, b=30.0), lambda x: rosenbrock_ref(x, 0.5, 30.0), 1.0),
    (Rastrigin(), rastrigin_ref, 1.0),
    (Rastrigin(5, A=3.0), lambda x: rastrigin_ref(x, 3.0), 1.0),
    (Ackley(), ackley_ref, 2.0),
    (Ackley(4), ackley_ref, 2.0),
    (MullerBrown(), muller_brown_ref, 0.5),
    (MullerBrown(scale=0.01), lambda p: muller_brown_ref(p, 0.01), 0.5),
]
IDS = [repr(c[0]) for c in CASES]


def fd(fun, x, h=1e-6):
    return np.array([(fun(x + h * e) - fun(x - h * e)) / (2 * h) for e in np.eye(x.size)]).T


def points(f, spread, k=4, seed=0):
    return np.random.default_rng(seed).uniform(-spread, spread, (k, f.n_params))


@pytest.mark.parametrize("f,ref,spread", CASES, ids=IDS)
def test_kernels_match_numpy_reference(f, ref, spread):
    for x in points(f, spread):
        fv, g, H = ref(x)
        assert f.loss(x) == pytest.approx(fv, rel=1e-13, abs=1e-13)
        np.testing.assert_allclose(f.grad(x), g, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(f.hess(x), H, rtol=1e-12, atol=1e-11)
        loss, grad = f.loss_and_grad(x)
        assert loss == pytest.approx(fv, rel=1e-13, abs=1e-13)
        np.testing.assert_allclose(grad, g, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("f,ref,spread", CASES, ids=IDS)
def test_derivatives_match_finite_differences(f, ref, spread):
    for x in points(f, spread, seed=1):
        g, H = f.grad(x), f.hess(x)
        scale_g, scale_h = max(1.0, np.abs(g).max()), max(1.0, np.abs(H).max())
        np.testing.assert_allclose(g, fd(f.loss, x), rtol=0, atol=1e-7 * scale_g)
        np.testing.assert_allclose(H, fd(f.grad, x), rtol=0, atol=1e-7 * scale_h)
        np.testing.assert_array_equal(H, H.T)
        v = np.random.default_rng(2).standard_normal(f.n_params)
        np.testing.assert_allclose(f.hessp(x, v), H @ v, rtol=1e-14, atol=1e-12 * scale_h)


@pytest.mark.parametrize("f,ref,spread", CASES, ids=IDS)
def test_batched_forms_equal_single_point_forms(f, ref, spread):
    P = points(f, spread, k=9, seed=3).T
    L, G, H = f.loss_batch(P), f.grad_batch(P), f.hess_batch(P)
    assert L.shape == (9,) and G.shape == P.shape and H.shape == (f.n_params,) * 2 + (9,)
    for j in range(9):
        assert L[j] == f.loss(P[:, j])
        np.testing.assert_array_equal(G[:, j], f.grad(P[:, j]))
        np.testing.assert_array_equal(H[:, :, j], f.hess(P[:, j]))


def test_parallel_kernel_matches_serial_kernel():
    f = Ackley(5)
    P = np.random.default_rng(7).uniform(-3, 3, (5, 11))
    for order in (0, 1, 2):
        outs = []
        for parallel in (True, False):
            fv, G, H = np.empty(11), np.empty((5, 11)), np.empty((5, 5, 11))
            if parallel:
                K.evaluate_parallel(K.ACKLEY, P, f._prm, order, fv, G, H, 4)
            else:
                K.evaluate_range(K.ACKLEY, P, f._prm, order, fv, G, H, 0, 11)
            outs.append((fv, G if order >= 1 else None, H if order == 2 else None))
        for a, b in zip(*outs):
            if a is not None:
                np.testing.assert_array_equal(a, b)


def test_parallel_batch_kernel():
    f = Rosenbrock(dim=40)
    P = np.random.default_rng(4).uniform(-2, 2, (40, 2500))
    assert 20 * 2500 * 40 >= K.PARALLEL_MIN_WORK  # takes evaluate_parallel (if > 1 thread)
    G = f.grad_batch(P)
    L = f.loss_batch(P)
    H = f.hess_batch(P[:, :100])  # parallel too (work grows with n^2)
    for j in range(0, 2500, 97):
        fv, g, Hr = rosenbrock_ref(P[:, j])
        assert L[j] == pytest.approx(fv, rel=1e-13)
        np.testing.assert_allclose(G[:, j], g, rtol=1e-12, atol=1e-10)
        if j < 100:
            np.testing.assert_allclose(H[:, :, j], Hr, rtol=1e-12, atol=1e-10)


# --------------------------------------------------------------------------- known points
def test_minima_and_domains():
    for f in (Rosenbrock(), Rastrigin(), Ackley(), MullerBrown()):
        (x0, x1), (y0, y1) = f.domain
        assert x0 < x1 and y0 < y1
        assert f.minima.shape[1] == 2
        for m in f.minima:
            assert x0 <= m[0] <= x1 and y0 <= m[1] <= y1
    assert Rosenbrock(3).domain is None and Rastrigin(3).minima.shape == (1, 3)
    for f in (Rosenbrock(), Rosenbrock(5), Rastrigin(4), Ackley(3)):
        assert f.loss(f.minima[0]) == pytest.approx(0.0, abs=1e-14)
        assert np.abs(f.grad(f.minima[0])).max() < 1e-12
    np.testing.assert_array_equal(Rosenbrock(a=2.0).minima, [[2.0, 4.0]])
    r = Rosenbrock(4, a=0.5)  # no closed form: a numerically refined minimiser
    assert np.abs(r.grad(r.minima[0])).max() < 1e-8
    assert np.all(np.linalg.eigvalsh(r.hess(r.minima[0])) > 0)


def test_muller_brown_stationary_points():
    f = MullerBrown()
    expected = [-146.699517, -108.166724, -80.767818]
    for m, v in zip(f.minima, expected):
        assert f.loss(m) == pytest.approx(v, abs=1e-6)
        assert np.abs(f.grad(m)).max() < 1e-8 * 1e3
        assert np.all(np.linalg.eigvalsh(f.hess(m)) > 0)
    for s in f.saddles:
        assert np.abs(f.grad(s)).max() < 1e-8 * 1e3
        w = np.linalg.eigvalsh(f.hess(s))
        assert w[0] < 0 < w[1]
    np.testing.assert_allclose(f.minima, [[-0.558, 1.442], [0.623, 0.028], [-0.050, 0.467]],
                               atol=1e-3)
    g = MullerBrown(scale=0.01)
    assert g.loss(f.minima[0]) == pytest.approx(0.01 * f.loss(f.minima[0]), rel=1e-14)


def test_ackley_kink_at_origin():
    f = Ackley(3)
    assert not f.smooth
    x = np.zeros(3)
    np.testing.assert_array_equal(f.grad(x), 0.0)
    H = f.hess(x)
    assert np.all(np.isfinite(H))
    # Away from the origin the cone's curvature blows up like 1/r: the kink is real.
    assert np.abs(f.hess(np.full(3, 1e-8))).max() > 1e6


# --------------------------------------------------------------------------- Quadratic
def test_quadratic():
    rng = np.random.default_rng(5)
    B = rng.standard_normal((4, 4))
    A = B @ B.T + np.eye(4)
    c = rng.standard_normal(4)
    f = Quadratic(A, c)
    P = rng.standard_normal((4, 6))
    for j in range(6):
        d = P[:, j] - c
        assert f.loss(P[:, j]) == pytest.approx(0.5 * d @ A @ d, rel=1e-13)
        np.testing.assert_allclose(f.grad(P[:, j]), A @ d, rtol=1e-13)
    np.testing.assert_allclose(f.loss_batch(P), [f.loss(p) for p in P.T], rtol=1e-14)
    np.testing.assert_allclose(f.grad_batch(P), A @ (P - c[:, None]), rtol=1e-13)
    Hb = f.hess_batch(P)
    assert Hb.shape == (4, 4, 6) and Hb.flags.c_contiguous
    np.testing.assert_array_equal(Hb[:, :, 3], f.A)
    np.testing.assert_array_equal(f.hessp(P[:, 0], c), f.A @ c)
    w, V = f.eigh
    assert f.eigh is f.eigh  # cached
    np.testing.assert_allclose(V @ np.diag(w) @ V.T, A, atol=1e-12)
    np.testing.assert_array_equal(f.minima, c[None])
    assert f.domain is None and Quadratic(np.eye(2)).domain == ((-2.0, 2.0), (-2.0, 2.0))
    assert Quadratic(np.diag([1.0, -1.0])).minima.shape == (0, 2)
    with pytest.raises(ValueError):
        f.A[0, 0] = 1.0  # read-only
    np.testing.assert_array_equal(Quadratic(np.eye(3)).c, np.zeros(3))


@pytest.mark.parametrize("args,exc,match", [
    ((np.ones((2, 3)),), ValueError, "`A`"),
    ((np.array([[1.0, 2.0], [0.0, 1.0]]),), ValueError, "`A` must be symmetric"),
    ((np.array([[1.0, np.nan], [np.nan, 1.0]]),), ValueError, "`A`"),
    ((np.ones(3),), ValueError, "`A`"),
    ((np.eye(2), np.ones(3)), ValueError, "`c`"),
    ((np.eye(2), [np.inf, 0.0]), ValueError, "`c`"),
])
def test_quadratic_rejects_bad_input(args, exc, match):
    with pytest.raises(exc, match=match):
        Quadratic(*args)


def test_quadratic_accepts_rounding_asymmetry():
    B = np.random.default_rng(6).standard_normal((5, 3))
    A = B @ B.T
    A[0, 1] += 1e-14
    f = Quadratic(A)
    np.testing.assert_array_equal(f.A, f.A.T)


@pytest.mark.parametrize("make,exc,match", [
    (lambda: Rosenbrock(dim=1), ValueError, "`dim`"),
    (lambda: Rosenbrock(dim=2.0), TypeError, "`dim`"),
    (lambda: Rosenbrock(b=0.0), ValueError, "`b`"),
    (lambda: Rosenbrock(a=np.nan), ValueError, "`a`"),
    (lambda: Rastrigin(dim=0), ValueError, "`dim`"),
    (lambda: Rastrigin(A=-1.0), ValueError, "`A`"),
    (lambda: Ackley(b=-0.2), ValueError, "`b`"),
    (lambda: MullerBrown(scale=0.0), ValueError, "`scale`"),
])
def test_constructors_reject_bad_input(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_methods_validate_points():
    f = MullerBrown()
    with pytest.raises(ValueError, match="`theta`"):
        f.loss(np.zeros(3))
    with pytest.raises(ValueError, match="`P`"):
        f.grad_batch(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="`P`"):
        f.hess_batch(np.full((2, 2), np.nan))
