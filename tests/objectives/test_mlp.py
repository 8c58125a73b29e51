"""MLPObjective and its numba kernels against plain-numpy references written here.

References: a sample-major numpy forward pass and backpropagation (independent of the
feature-major kernels), and the exact Hessian-vector product by *complex-step*
differentiation of that numpy gradient, ``H v = Im grad(theta + i h v) / h`` with
``h = 1e-30`` (exact to rounding for analytic activations; for ReLU the mask is taken on the
real part, which gives the almost-everywhere Hessian).
"""
import numpy as np
import pytest

from lagopt.objectives import MLPObjective
from lagopt.objectives import _mlp_kernels as K

ACTIVATIONS = ["relu", "tanh", "softplus", "sigmoid", "linear"]
CONFIGS = [(4, 6, 1), (4, 1), (3, 5, 4, 2), (2, 3, 3)]


# --------------------------------------------------------------------------- numpy reference
def _act_np(z, name, beta):
    """sigma, valid for complex z (complex step); branches on the real part."""
    if name == "relu":
        return z * (z.real > 0)
    if name == "tanh":
        return np.tanh(z)
    if name == "softplus":
        t = beta * z
        pos = t.real > 0
        return np.where(pos, z + np.log1p(np.exp(-np.where(pos, t, 0))) / beta,
                        np.log1p(np.exp(np.where(pos, 0, t))) / beta)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    return z


def _dact_np(z, name, beta):
    if name == "relu":
        return (z.real > 0).astype(float)
    if name == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if name == "softplus":
        return 1.0 / (1.0 + np.exp(-beta * z))
    if name == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-z))
        return s * (1.0 - s)
    return np.ones_like(z)


def _unpack_np(theta, sizes):
    out, p = [], 0
    for a, b in zip(sizes[:-1], sizes[1:]):
        out.append((theta[p:p + a * b].reshape(a, b), theta[p + a * b:p + a * b + b]))
        p += a * b + b
    return out


def ref_loss_grad(theta, X, Y, sizes, act, beta=1.0):
    """Sample-major forward pass and backpropagation; works for complex theta."""
    layers = _unpack_np(theta, sizes)
    As, Zs = [X], []
    for i, (W, b) in enumerate(layers):
        Z = As[-1] @ W + b
        Zs.append(Z)
        As.append(_act_np(Z, act, beta) if i < len(layers) - 1 else Z)
    R = As[-1] - Y
    loss = np.mean(R ** 2)
    G = 2.0 * R / R.size
    grads = []
    for i in range(len(layers) - 1, -1, -1):
        W, _ = layers[i]
        grads.append(np.concatenate([(As[i].T @ G).ravel(), G.sum(axis=0)]))
        if i > 0:
            G = (G @ W.T) * _dact_np(Zs[i - 1], act, beta)
    return loss, np.concatenate(grads[::-1]), Zs


def ref_hvp(theta, v, X, Y, sizes, act, beta=1.0):
    h = 1e-30
    return ref_loss_grad(theta + 1j * h * v, X, Y, sizes, act, beta)[1].imag / h


def fd_grad(f, x, h=1e-6):
    E = np.eye(x.size) * h
    return np.array([(f(x + e) - f(x - e)) / (2 * h) for e in E]).T


def make(sizes, act, n_samples=30, seed=0, beta=2.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, sizes[0]))
    y = rng.standard_normal((n_samples, sizes[-1]))
    if sizes[-1] == 1:
        y = y[:, 0]
    return MLPObjective(X, y, sizes=sizes, activation=act, beta=beta)


def random_points(f, k, seed=1, scale=0.6):
    return np.random.default_rng(seed).standard_normal((k, f.n_params)) * scale


def ref_of(f, theta):
    Y = f.y.reshape(f.n_samples, -1)
    return ref_loss_grad(theta, f.X, Y, f.sizes, f.activation, f.beta)


def relu_margin(f, theta):
    """Smallest |pre-activation| of the hidden layers: FD is valid if it dwarfs the step."""
    Zs = ref_of(f, theta)[2][:-1]
    return min(np.abs(Z).min() for Z in Zs) if Zs else np.inf


# --------------------------------------------------------------------------- derivatives
@pytest.mark.parametrize("sizes", CONFIGS)
@pytest.mark.parametrize("act", ACTIVATIONS)
def test_loss_and_grad_match_numpy_reference(sizes, act):
    f = make(sizes, act)
    for theta in random_points(f, 3):
        loss, grad, _ = ref_of(f, theta)
        assert f.loss(theta) == pytest.approx(loss, rel=1e-13)
        np.testing.assert_allclose(f.grad(theta), grad, rtol=1e-11, atol=1e-13)
        l2, g2 = f.loss_and_grad(theta)
        assert l2 == pytest.approx(loss, rel=1e-13)
        np.testing.assert_allclose(g2, grad, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("sizes", CONFIGS)
@pytest.mark.parametrize("act", ACTIVATIONS)
def test_hessian_matches_complex_step_reference(sizes, act):
    f = make(sizes, act)
    n = f.n_params
    for theta in random_points(f, 2, seed=2):
        H = f.hess(theta)
        assert H.shape == (n, n)
        np.testing.assert_array_equal(H, H.T)
        Y = f.y.reshape(f.n_samples, -1)
        H_ref = np.column_stack([ref_hvp(theta, e, f.X, Y, sizes, act, f.beta)
                                 for e in np.eye(n)])
        scale = np.abs(H_ref).max()
        np.testing.assert_allclose(H, H_ref, rtol=0, atol=1e-11 * scale)
        v = np.random.default_rng(3).standard_normal(n)
        np.testing.assert_allclose(f.hessp(theta, v), H @ v, rtol=0,
                                   atol=1e-11 * scale * np.abs(v).sum())


@pytest.mark.parametrize("sizes", [(4, 6, 1), (3, 5, 4, 2)])
@pytest.mark.parametrize("act", ACTIVATIONS)
def test_derivatives_match_finite_differences(sizes, act):
    f = make(sizes, act)
    h = 1e-6
    checked = 0
    for theta in random_points(f, 6, seed=4):
        if act == "relu" and relu_margin(f, theta) < 1e-3:
            continue  # an activation boundary within reach of the FD step: skip this point
        checked += 1
        g = f.grad(theta)
        np.testing.assert_allclose(g, fd_grad(f.loss, theta, h), rtol=1e-6,
                                   atol=1e-7 * max(1.0, np.abs(g).max()))
        H = f.hess(theta)
        np.testing.assert_allclose(H, fd_grad(f.grad, theta, h), rtol=1e-5,
                                   atol=1e-6 * max(1.0, np.abs(H).max()))
    assert checked >= 2


def test_relu_mask_convention_and_smooth_flag():
    # relu'(0) := 0: a unit whose pre-activation is exactly 0 passes no gradient.
    X = np.array([[1.0], [2.0]])
    f = MLPObjective(X, np.array([1.0, 1.0]), sizes=(1, 1, 1), activation="relu")
    theta = np.array([0.0, 0.0, 1.0, 0.0])  # W1 = 0, b1 = 0: z = 0 for every sample
    g = f.grad(theta)
    assert g[0] == 0.0 and g[1] == 0.0
    assert not f.smooth
    assert make((4, 6, 1), "tanh").smooth
    assert make((4, 6, 1), "softplus").smooth


def test_softplus_tends_to_relu_and_is_stable():
    rng = np.random.default_rng(5)
    theta = rng.standard_normal(37) * 0.5
    relu = make((4, 6, 1), "relu")
    sharp = make((4, 6, 1), "softplus", beta=1e6)
    assert sharp.loss(theta) == pytest.approx(relu.loss(theta), rel=1e-5)
    np.testing.assert_allclose(sharp.grad(theta), relu.grad(theta), atol=1e-3)
    big = theta * 1e3  # pre-activations of order 1e3: exp would overflow if formed naively
    assert np.isfinite(sharp.loss(big)) and np.all(np.isfinite(sharp.hess(big)))


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_activate_kernel_against_numpy(act):
    code = K.ACTIVATIONS[act]
    beta = 3.0
    z = np.concatenate([np.linspace(-40, 40, 81), [-800.0, 800.0, 0.0]]).reshape(3, 28)
    A, D1, D2 = (np.full_like(z, np.nan) for _ in range(3))
    K._activate(z, A, D1, D2, code, beta)
    with np.errstate(over="ignore"):
        ref = {"relu": (np.maximum(z, 0), (z > 0) * 1.0, 0 * z),
               "tanh": (np.tanh(z), 1 - np.tanh(z) ** 2,
                        -2 * np.tanh(z) * (1 - np.tanh(z) ** 2)),
               "softplus": (np.logaddexp(0, beta * z) / beta, 0.5 * (1 + np.tanh(beta * z / 2)),
                            beta * 0.25 / np.cosh(beta * z / 2) ** 2),
               "sigmoid": (0.5 * (1 + np.tanh(z / 2)), 0.25 / np.cosh(z / 2) ** 2,
                           -0.25 * np.tanh(z / 2) / np.cosh(z / 2) ** 2),
               "linear": (z, 1 + 0 * z, 0 * z)}[act]
    for got, want in zip((A, D1, D2), ref):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- batched forms
@pytest.mark.parametrize("sizes,act", [((4, 6, 1), "relu"), ((3, 5, 4, 2), "tanh"),
                                       ((4, 1), "linear")])
def test_batched_forms_equal_single_point_forms(sizes, act):
    f = make(sizes, act)
    P = random_points(f, 7, seed=6).T
    L, G, H = f.loss_batch(P), f.grad_batch(P), f.hess_batch(P)
    assert L.shape == (7,) and G.shape == (f.n_params, 7) and H.shape == (f.n_params,) * 2 + (7,)
    for j in range(7):
        assert L[j] == f.loss(P[:, j])
        np.testing.assert_array_equal(G[:, j], f.grad(P[:, j]))
        np.testing.assert_array_equal(H[:, :, j], f.hess(P[:, j]))


def test_batched_parallel_path_and_non_contiguous_input():
    # Enough work per batch to take the parallel kernel (see PARALLEL_MIN_WORK).
    f = make((5, 16, 2), "tanh", n_samples=200)
    m = 40
    assert 3 * m * f.n_params * f.n_samples >= K.PARALLEL_MIN_WORK
    P = np.asfortranarray(random_points(f, m, seed=7).T)
    G = f.grad_batch(P)
    L = f.loss_batch(P[:, ::-1])
    for j in range(m):
        loss, grad, _ = ref_of(f, P[:, j])
        np.testing.assert_allclose(G[:, j], grad, rtol=1e-11, atol=1e-14)
        assert L[m - 1 - j] == pytest.approx(loss, rel=1e-13)
    H = f.hess_batch(P[:, :3])
    for j in range(3):
        np.testing.assert_array_equal(H[:, :, j], f.hess(P[:, j]))
    # The parallel kernel itself, whatever numba's thread count (uneven chunks, every order).
    P = np.ascontiguousarray(P[:, :7])
    V = random_points(f, 7, seed=11).T.copy()
    n = f.n_params
    for order, shape in [(0, (0,)), (1, (n, 7)), (2, (n, n, 7)), (3, (n, 7))]:
        f_par, f_ser = np.empty(7), np.empty(7)
        o_par, o_ser = np.empty(shape), np.empty(shape)
        K.mlp_eval_parallel(P, V, *f._args, order, f_par, o_par.reshape(-1), 3)
        K.mlp_eval(P, V, *f._args, order, f_ser, o_ser.reshape(-1), 0, 7)
        np.testing.assert_array_equal(o_par, o_ser)
        if order < 2:
            np.testing.assert_array_equal(f_par, f_ser)


def test_blas_path_and_hessian_blocks():
    # Products large enough for np.dot (BLAS), and a Hessian formed in several R-operator
    # blocks with a partial last block.
    f = make((10, 24, 2), "softplus", n_samples=400)
    n = f.n_params
    k = K.block_size(n, f.n_samples, 26)
    assert 1 < k < n and n % k
    theta = random_points(f, 1, seed=8)[0]
    loss, grad, _ = ref_of(f, theta)
    assert f.loss(theta) == pytest.approx(loss, rel=1e-13)
    np.testing.assert_allclose(f.grad(theta), grad, rtol=1e-10, atol=1e-14)
    H = f.hess(theta)
    Y = f.y.reshape(f.n_samples, -1)
    scale = np.abs(H).max()
    for i in np.random.default_rng(9).choice(n, 6, replace=False):
        e = np.zeros(n)
        e[i] = 1.0
        np.testing.assert_allclose(H[:, i], ref_hvp(theta, e, f.X, Y, f.sizes, "softplus",
                                                    f.beta), rtol=0, atol=1e-12 * scale)


def test_large_network_loss_and_grad_batches():
    # The scaling case of the brief: ~16,700 parameters, 1,000 samples.
    rng = np.random.default_rng(10)
    X = rng.standard_normal((1000, 32))
    f = MLPObjective(X, rng.standard_normal(1000), sizes=(32, 256, 32, 1), activation="tanh")
    assert f.n_params == 16705
    P = 0.05 * rng.standard_normal((f.n_params, 2))
    L, G = f.loss_batch(P), f.grad_batch(P)
    for j in range(2):
        loss, grad, _ = ref_of(f, P[:, j])
        assert L[j] == pytest.approx(loss, rel=1e-12)
        np.testing.assert_allclose(G[:, j], grad, rtol=1e-9, atol=1e-14)
    v = rng.standard_normal(f.n_params)
    Hv = f.hessp(P[:, 0], v)
    eps = 1e-6
    fd = (f.grad(P[:, 0] + eps * v) - f.grad(P[:, 0] - eps * v)) / (2 * eps)
    np.testing.assert_allclose(Hv, fd, rtol=1e-4, atol=1e-6 * np.abs(Hv).max())
    with pytest.raises(ValueError, match="hessp"):
        f.hess(P[:, 0])
    with pytest.raises(ValueError, match="MB"):
        f.hess_batch(P)


# --------------------------------------------------------------------------- parameters
def test_parameter_layout_pack_unpack():
    f = make((4, 6, 1), "relu")
    assert f.n_params == 37
    theta = np.arange(37.0)
    (W1, b1), (W2, b2) = f.unpack(theta)
    np.testing.assert_array_equal(W1, np.arange(24.0).reshape(4, 6))
    np.testing.assert_array_equal(b1, np.arange(24.0, 30.0))
    np.testing.assert_array_equal(W2, np.arange(30.0, 36.0).reshape(6, 1))
    np.testing.assert_array_equal(b2, [36.0])
    assert np.shares_memory(W1, theta)
    np.testing.assert_array_equal(f.pack(f.unpack(theta)), theta)
    with pytest.raises(ValueError, match="layers"):
        f.pack([(W1, b1)])
    with pytest.raises(ValueError, match=r"layers\[1\]"):
        f.pack([(W1, b1), (W2.T, b2)])


def test_init_params_reproduces_reference_stream():
    f = make((4, 6, 1), "relu")
    rs = np.random.RandomState(42)
    W1 = 0.1 * rs.randn(4, 6)
    W2 = 0.1 * rs.randn(6, 1)
    expected = np.concatenate([W1.ravel(), np.zeros(6), W2.ravel(), [0.0]])
    np.testing.assert_array_equal(f.init_params(42), expected)
    np.testing.assert_array_equal(f.init_params(), expected)  # seed 42 by default
    # A RandomState passed in is advanced: the caller continues the same stream.
    stream = np.random.RandomState(42)
    np.testing.assert_array_equal(f.init_params(stream), expected)
    assert stream.randn() == rs.randn()
    gen = np.random.default_rng(0)
    ref = np.random.default_rng(0)
    theta = f.init_params(gen, scale=0.5)
    np.testing.assert_array_equal(theta[:24], 0.5 * ref.standard_normal((4, 6)).ravel())
    with pytest.raises(TypeError, match="seed"):
        f.init_params("42")
    with pytest.raises(ValueError, match="scale"):
        f.init_params(1, scale=-1.0)


def test_predict_and_repr():
    f = make((3, 5, 4, 2), "sigmoid")
    theta = random_points(f, 1)[0]
    out = f.predict(theta)
    assert out.shape == (30, 2)
    assert np.mean((out - f.y) ** 2) == pytest.approx(f.loss(theta), rel=1e-13)
    g = make((4, 6, 1), "relu")
    assert g.predict(np.zeros(37), np.ones((5, 4))).shape == (5,)
    assert "activation='sigmoid'" in repr(f) and "n_params=" in repr(f)


def test_counts():
    f = make((4, 6, 1), "relu")
    f.loss_batch(np.zeros((37, 5)))
    f.grad(np.zeros(37))
    assert f.counts == {"loss": 5, "grad": 1, "hess": 0}
    f.reset_counts()
    assert f.counts["loss"] == 0


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(X=np.ones(10)), ValueError, "`X`"),
    (dict(X=np.full((10, 4), np.nan)), ValueError, "`X`"),
    (dict(X="abc"), TypeError, "`X`"),
    (dict(y=np.ones(9)), ValueError, "`y`"),
    (dict(y=np.r_[np.nan, np.ones(9)]), ValueError, "`y`"),
    (dict(y=np.ones((10, 1, 1))), ValueError, "`y`"),
    (dict(sizes=(3, 6, 1)), ValueError, r"`sizes\[0\]`"),
    (dict(sizes=(4, 6, 2)), ValueError, r"`sizes\[-1\]`"),
    (dict(sizes=(4,)), ValueError, "`sizes`"),
    (dict(sizes=(4, 0, 1)), ValueError, r"`sizes\[1\]`"),
    (dict(sizes=(4, 2.5, 1)), TypeError, r"`sizes\[1\]`"),
    (dict(sizes=4), TypeError, "`sizes`"),
    (dict(activation="gelu"), ValueError, "`activation`.*'relu'"),
    (dict(activation=None), TypeError, "`activation`"),
    (dict(beta=0.0), ValueError, "`beta`"),
    (dict(beta=np.inf), ValueError, "`beta`"),
])
def test_constructor_rejects_bad_input(kwargs, exc, match):
    args = dict(X=np.ones((10, 4)), y=np.ones(10), sizes=(4, 6, 1), activation="relu")
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        MLPObjective(**args)


def test_methods_reject_bad_points():
    f = make((4, 6, 1), "relu")
    with pytest.raises(ValueError, match="`theta`"):
        f.loss(np.zeros(36))
    with pytest.raises(ValueError, match="`theta`"):
        f.grad(np.r_[np.nan, np.zeros(36)])
    with pytest.raises(ValueError, match="`v`"):
        f.hessp(np.zeros(37), np.zeros(3))
    with pytest.raises(ValueError, match="`P`"):
        f.grad_batch(np.zeros((36, 4)))
    with pytest.raises(ValueError, match="`P`"):
        f.hess_batch(np.zeros(37))
    with pytest.raises(TypeError, match="`theta`"):
        f.loss("x")


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("blas", [False, True])
def test_batched_loss_and_grad_and_hessp_match_the_single_point_methods(activation, blas):
    rs = np.random.RandomState(11)
    f = MLPObjective(rs.randn(30, 3), rs.randn(30), sizes=(3, 5, 4, 1), activation=activation)
    if blas:
        f.blas_min_work = 0
    P = 0.5 * rs.randn(f.n_params, 4)
    V = rs.randn(f.n_params, 4)
    f.reset_counts()
    L, G = f.loss_and_grad_batch(P)
    assert f.counts == {"loss": 4, "grad": 4, "hess": 0}
    HV = f.hessp_batch(P, V)
    assert f.counts["hess"] == 4
    for j in range(4):
        p = np.ascontiguousarray(P[:, j])
        assert L[j] == pytest.approx(f.loss(p), rel=1e-12)
        np.testing.assert_allclose(G[:, j], f.grad(p), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(HV[:, j], f.hessp(p, np.ascontiguousarray(V[:, j])),
                                   rtol=1e-10, atol=1e-14)
    with pytest.raises(ValueError, match="shape"):
        f.hessp_batch(P, V[:, :3])
