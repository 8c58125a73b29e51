"""The closed-form least-action path of LAML's quadratic model, against the package's exact
quadratic solution and the Euler-Lagrange equation."""
import numpy as np
import pytest

from lagopt.optim.laml._kernels import two_loop
from lagopt.optim.laml.model_path import PairRing, QuadraticModel, lbfgs_inverse_apply, stack_pairs
from lagopt.paths.exact import quadratic_solution


def _spd(n, seed, spread=3.0):
    rs = np.random.RandomState(seed)
    Q, _ = np.linalg.qr(rs.randn(n, n))
    return (Q * np.logspace(-spread / 2, spread / 2, n)) @ Q.T, rs


@pytest.mark.parametrize("lam,T", [(1.0, 1.0), (100.0, 1.0), (1e4, 2.0), (1e-6, 1.0)])
@pytest.mark.parametrize("full_step", [True, False])
def test_model_path_is_the_exact_quadratic_path(lam, T, full_step):
    A, rs = _spd(6, 0)
    A = 0.5 * (A + A.T)
    c, x = rs.randn(6), rs.randn(6)
    g = A @ (x - c)
    b, V = np.linalg.eigh(A)
    model = QuadraticModel(g, np.eye(6), b, V, b_perp=1.0, loss=0.5 * (x - c) @ A @ (x - c))
    d_star = model.minimiser_step()
    np.testing.assert_allclose(d_star, c - x, rtol=1e-10, atol=1e-12)
    d_end = d_star if full_step else 0.4 * d_star + 0.1 * rs.randn(6)
    path = model.path(d_end, lam, T)
    exact = quadratic_solution(A, x, x + d_end, T, lam, c)
    t = np.linspace(0, T, 9)
    np.testing.assert_allclose(x[:, None] + path(t), exact(t), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(path.velocity(t), exact.velocity(t), rtol=1e-7, atol=1e-9)
    assert path.model_action() == pytest.approx(exact.action, rel=1e-8, abs=1e-10)


def test_lbfgs_model_inverts_the_two_loop_recursion_on_its_subspace():
    A, rs = _spd(30, 1)
    pairs = []
    for _ in range(5):
        s = rs.randn(30)
        pairs.append((s, A @ s))
    g = rs.randn(30)
    model = QuadraticModel.from_lbfgs(g, pairs)
    # The model's minimiser step is the two-loop step -H g.
    np.testing.assert_allclose(model.minimiser_step(), -lbfgs_inverse_apply(g, pairs),
                               rtol=1e-9, atol=1e-12)
    # B H v = v on the subspace, and the curvature outside it is 1 / gamma.
    for j in range(model.Q.shape[1]):
        v = model.Q[:, j]
        Hv = lbfgs_inverse_apply(v, pairs)
        BHv = model.U @ (model.b * (model.U.T @ Hv))
        np.testing.assert_allclose(BHv, v, atol=1e-9)
    s, y = pairs[-1]
    assert model.b_perp == pytest.approx(float(y @ y) / float(s @ y))


def test_path_satisfies_the_euler_lagrange_equation_outside_the_subspace_too():
    rs = np.random.RandomState(2)
    g = rs.randn(8)
    model = QuadraticModel.from_step(g, step=0.25)
    d_end = rs.randn(8)  # not along g: a component moves as a free mode of curvature 4
    lam, T = 3.0, 1.5
    path = model.path(d_end, lam, T)
    h = 1e-4
    t = np.array([0.3, 0.7, 1.2])
    acc = (path(t + h) - 2 * path(t) + path(t - h)) / h**2
    np.testing.assert_allclose(acc, lam * (g[:, None] + 4.0 * path(t)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(path(np.array([0.0, T])), np.column_stack([0 * d_end, d_end]),
                               atol=1e-12)


def test_stiff_directions_settle_first():
    g = np.array([1.0, 1.0])
    model = QuadraticModel(g, np.eye(2), np.array([100.0, 0.01]), np.eye(2), 1.0)
    path = model.path(model.minimiser_step(), lam=1.0, T=1.0)
    d_star = model.minimiser_step()
    frac = path(0.5)[:, 0] / d_star
    assert frac[0] > 0.99 and abs(frac[1] - 0.5) < 0.01


@pytest.mark.parametrize("lam", [1e-3, 1.0, 1e4])
def test_dense_inverse_model_is_the_exact_quadratic_path(lam):
    # A dense inverse Hessian H = A^-1: the model is the quadratic itself, on the whole space.
    A, rs = _spd(7, 3)
    A = 0.5 * (A + A.T)
    c, x = rs.randn(7), rs.randn(7)
    g = A @ (x - c)
    model = QuadraticModel.from_inverse(g, np.linalg.inv(A), loss=0.5 * (x - c) @ A @ (x - c))
    assert model.Q is None and model.k == 7
    np.testing.assert_allclose(model.minimiser_step(), c - x, rtol=1e-9, atol=1e-11)
    d_end = 0.7 * (c - x) + 0.2 * rs.randn(7)
    path = model.path(d_end, lam, 1.0)
    exact = quadratic_solution(A, x, x + d_end, 1.0, lam, c)
    t = np.linspace(0, 1.0, 7)
    np.testing.assert_allclose(x[:, None] + path(t), exact(t), rtol=1e-8, atol=1e-10)
    assert path.kinetic == pytest.approx(exact.kinetic, rel=1e-8)
    assert path.model_action() == pytest.approx(exact.action, rel=1e-8, abs=1e-10)


@pytest.mark.parametrize("capacity, pushed", [(3, 2), (3, 3), (3, 7), (5, 11)])
def test_pair_ring_gives_the_two_loop_of_the_last_pairs_bit_for_bit(capacity, pushed):
    """The ring (overwritten oldest first) and the pairs stacked afresh give the same bits,
    and the two-loop recursion is H v of the explicit L-BFGS matrix."""
    rng = np.random.default_rng(capacity * 100 + pushed)
    n = 9
    ring, pairs = PairRing(capacity), []
    for _ in range(pushed):
        s = rng.standard_normal(n)
        y = s + 0.3 * rng.standard_normal(n)      # s.y > 0 with these scales
        ring.push(s, y)
        pairs = (pairs + [(s, y)])[-capacity:]
    v = rng.standard_normal(n)
    got = two_loop(v, *ring.arrays())
    np.testing.assert_array_equal(got, two_loop(v, *stack_pairs(pairs)))
    s, y = pairs[-1]
    H = (s @ y) / (y @ y) * np.eye(n)
    for s, y in pairs:                              # the BFGS updates, oldest first
        rho = 1.0 / (s @ y)
        V = np.eye(n) - rho * np.outer(y, s)
        H = V.T @ H @ V + rho * np.outer(s, s)
    np.testing.assert_allclose(got, H @ v, rtol=1e-9, atol=1e-12 * np.abs(H @ v).max())
    ring.clear()
    assert ring.arrays()[4] == 0
