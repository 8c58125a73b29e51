"""The least-squares interface: residuals and their Jacobian (MLPObjective's numba kernel,
Rosenbrock's numpy form) against references written here.

References: a sample-major numpy forward pass (independent of the feature-major kernels)
differentiated by *complex step*, ``J[:, p] = Im r(theta + i h e_p) / h`` with ``h = 1e-30``
(exact to rounding for the analytic activations; for ReLU the mask is taken on the real part,
which gives the almost-everywhere Jacobian), and central finite differences of the public
``residuals`` for the smooth activations.
"""
import numpy as np
import pytest

from lagopt import NonFiniteError
from lagopt.objectives import CallableObjective, MLPObjective, Quadratic, Rosenbrock

ACTIVATIONS = ["relu", "tanh", "softplus", "sigmoid", "linear"]
SMOOTH = ["tanh", "softplus", "sigmoid", "linear"]
# One hidden layer; a linear model; two hidden layers with two outputs; three outputs.
CONFIGS = [(4, 6, 1), (4, 1), (3, 5, 4, 2), (2, 3, 3)]


def _act(z, name, beta):
    """The activations for complex z; ReLU branches on the real part."""
    if name == "relu":
        return z * (z.real > 0)
    if name == "tanh":
        return np.tanh(z)
    if name == "softplus":
        return np.log1p(np.exp(beta * z)) / beta   # |beta z| stays small in these tests
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    return z


def ref_residuals(theta, f):
    """``(f_theta(X) - y).ravel()`` by a sample-major numpy forward pass (complex-safe)."""
    A, p = f.X.astype(theta.dtype), 0
    for i, (a, b) in enumerate(zip(f.sizes[:-1], f.sizes[1:])):
        W = theta[p:p + a * b].reshape(a, b)
        c = theta[p + a * b:p + a * b + b]
        p += a * b + b
        A = A @ W + c
        if i < len(f.sizes) - 2:
            A = _act(A, f.activation, f.beta)
    return (A - f.y.reshape(f.n_samples, -1)).ravel()


def hidden_margin(theta, f):
    """Smallest |pre-activation| of the hidden layers (how far the nearest ReLU kink is)."""
    A, p, margin = f.X, 0, np.inf
    for a, b in zip(f.sizes[:-2], f.sizes[1:-1]):
        Z = A @ theta[p:p + a * b].reshape(a, b) + theta[p + a * b:p + a * b + b]
        p += a * b + b
        margin, A = min(margin, np.abs(Z).min()), np.maximum(Z, 0.0)
    return margin


def ref_jacobian(theta, f, h=1e-30):
    return np.column_stack([ref_residuals(theta + 1j * h * e, f).imag / h
                            for e in np.eye(f.n_params)])


def fd_jacobian(fun, theta, h=1e-6):
    return np.column_stack([(fun(theta + h * e) - fun(theta - h * e)) / (2 * h)
                            for e in np.eye(theta.size)])


def make(sizes, act, n_samples=25, seed=0, beta=2.0, y_2d=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, sizes[0]))
    y = rng.standard_normal((n_samples, sizes[-1]))
    if sizes[-1] == 1 and not y_2d:
        y = y[:, 0]
    return MLPObjective(X, y, sizes=sizes, activation=act, beta=beta)


def points(f, k, seed=1, scale=0.6):
    return np.random.default_rng(seed).standard_normal((k, f.n_params)) * scale


# --------------------------------------------------------------------------- residuals
@pytest.mark.parametrize("sizes", CONFIGS)
@pytest.mark.parametrize("act", ACTIVATIONS)
def test_residuals_are_predictions_minus_targets(sizes, act):
    f = make(sizes, act)
    m = f.n_samples * f.n_outputs
    assert f.has_residuals and f.residual_scale == 1.0 / m
    for theta in points(f, 2):
        r = f.residuals(theta)
        assert r.shape == (m,) and r.dtype == np.float64
        np.testing.assert_allclose(r, (f.predict(theta) - f.y).ravel(), rtol=1e-12,
                                   atol=1e-14)
        np.testing.assert_allclose(r, ref_residuals(theta, f), rtol=1e-12, atol=1e-14)
        assert f.residual_scale * (r @ r) == pytest.approx(f.loss(theta), rel=1e-13)


def test_column_target_gives_the_same_residuals_as_a_vector_target():
    f1, f2 = make((4, 6, 1), "tanh"), make((4, 6, 1), "tanh", y_2d=True)
    theta = points(f1, 1)[0]
    np.testing.assert_array_equal(f1.residuals(theta), f2.residuals(theta))
    np.testing.assert_array_equal(f1.jacobian(theta), f2.jacobian(theta))


# --------------------------------------------------------------------------- Jacobian
@pytest.mark.parametrize("sizes", CONFIGS)
@pytest.mark.parametrize("act", ACTIVATIONS)
def test_jacobian_matches_complex_step_reference(sizes, act):
    f = make(sizes, act)
    for theta in points(f, 2, seed=2):
        J = f.jacobian(theta)
        assert J.shape == (f.n_samples * f.n_outputs, f.n_params)
        J_ref = ref_jacobian(theta, f)
        np.testing.assert_allclose(J, J_ref, rtol=0, atol=1e-13 * np.abs(J_ref).max())


@pytest.mark.parametrize("sizes", CONFIGS)
@pytest.mark.parametrize("act", SMOOTH)
def test_jacobian_matches_finite_differences(sizes, act):
    f = make(sizes, act)
    for theta in points(f, 2, seed=3):
        J = f.jacobian(theta)
        J_fd = fd_jacobian(f.residuals, theta)
        # Central differences with h = 1e-6: truncation ~1e-12, rounding ~1e-10.
        np.testing.assert_allclose(J, J_fd, rtol=0, atol=1e-8 * max(1.0, np.abs(J).max()))


def test_jacobian_matches_finite_differences_for_relu_away_from_kinks():
    f = make((3, 5, 4, 2), "relu")
    theta = points(f, 1, seed=4)[0]
    J = f.jacobian(theta)
    # A step of 1e-7 crosses no kink: the smallest |pre-activation| is far larger.
    assert hidden_margin(theta, f) > 1e-4
    J_fd = fd_jacobian(f.residuals, theta, h=1e-7)
    np.testing.assert_allclose(J, J_fd, rtol=0, atol=1e-7 * np.abs(J).max())
    assert np.abs(J[:, :15]).max() > 0            # the first layer does contribute


@pytest.mark.parametrize("sizes", CONFIGS)
@pytest.mark.parametrize("act", ACTIVATIONS)
def test_gradient_is_twice_scaled_jacobian_transpose_residuals(sizes, act):
    f = make(sizes, act)
    for theta in points(f, 3, seed=5):
        r, J, g = f.residuals(theta), f.jacobian(theta), f.grad(theta)
        np.testing.assert_allclose(g, 2.0 * f.residual_scale * J.T @ r, rtol=1e-12,
                                   atol=1e-14 * np.abs(g).max())


def test_relu_derivative_at_zero_is_zero_as_in_the_gradient():
    f = make((4, 6, 1), "relu")
    theta = points(f, 1, seed=6)[0]
    theta[:30] = 0.0                  # W1 = 0 and b1 = 0: every hidden pre-activation is 0
    r, J = f.residuals(theta), f.jacobian(theta)
    assert np.all(J[:, :30] == 0.0)   # relu'(0) := 0 blocks the first layer
    np.testing.assert_array_equal(J[:, 30:36], 0.0)   # relu(0) = 0: W2 sees no activation
    np.testing.assert_array_equal(J[:, 36], 1.0)      # d F / d b2
    np.testing.assert_allclose(f.grad(theta), 2 * f.residual_scale * J.T @ r, rtol=1e-13)


def test_jacobian_refuses_non_finite_values_and_oversized_matrices():
    f = make((3, 5, 4, 2), "linear")
    with pytest.raises(NonFiniteError, match="Jacobian"):
        f.jacobian(np.full(f.n_params, 1e200))
    f.max_jac_entries = f.n_samples * f.n_outputs * f.n_params - 1
    with pytest.raises(ValueError, match="max_jac_entries"):
        f.jacobian(np.zeros(f.n_params))
    with pytest.raises(ValueError, match="length"):
        f.residuals(np.zeros(f.n_params + 1))


def test_jac_cost_is_the_finite_difference_price():
    f = make((3, 5, 4, 2), "tanh")
    assert f.jac_cost == f.n_params == 54


# --------------------------------------------------------------------------- counts
def test_counts():
    f = make((4, 6, 1), "tanh")
    assert "residuals" not in f.counts and "jac" not in f.counts   # appear on first use
    theta = np.zeros(f.n_params)
    f.residuals(theta)
    f.residuals(theta)
    f.jacobian(theta)
    assert f.counts == {"loss": 0, "grad": 0, "hess": 0, "residuals": 2, "jac": 1}
    f.reset_counts()
    assert f.counts == {"loss": 0, "grad": 0, "hess": 0, "residuals": 0, "jac": 0}


# --------------------------------------------------------------------------- other objectives
@pytest.mark.parametrize("dim,a,b", [(2, 1.0, 100.0), (5, 0.5, 10.0)])
def test_rosenbrock_residuals(dim, a, b):
    f = Rosenbrock(dim, a=a, b=b)
    assert f.has_residuals and f.residual_scale == 1.0
    for x in np.random.default_rng(7).standard_normal((3, dim)):
        r, J = f.residuals(x), f.jacobian(x)
        assert r.shape == (2 * (dim - 1),) and J.shape == (2 * (dim - 1), dim)
        assert r @ r == pytest.approx(f.loss(x), rel=1e-13)
        np.testing.assert_allclose(J, fd_jacobian(f.residuals, x), rtol=0, atol=1e-7)
        np.testing.assert_allclose(f.grad(x), 2 * J.T @ r, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("f", [Quadratic(np.eye(2)), CallableObjective(np.sum, 2)],
                         ids=["quadratic", "callable"])
def test_objectives_without_residuals_say_so(f):
    assert not f.has_residuals and f.residual_scale is None
    for method in (f.residuals, f.jacobian):
        with pytest.raises(NotImplementedError, match="exposes no residuals"):
            method(np.zeros(2))
    assert "residuals" not in f.counts
