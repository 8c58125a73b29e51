"""The building blocks of the direct method against dense reference computations: the
block-tridiagonal Cholesky solver, the sine-transform preconditioner, the L-BFGS two-loop
recursion, and the gradient and Hessian blocks of the discrete action."""
import numpy as np
import pytest

from lagopt.objectives import Quadratic
from lagopt.paths._problem import BVPProblem
from lagopt.paths.direct._discrete_action import DiscreteAction, SinePreconditioner
from lagopt.paths.direct._blocktri import block_tridiagonal_solve
from lagopt.paths.direct._lbfgs import two_loop


def _dense(D, B):
    """The symmetric block-tridiagonal matrix with diagonal blocks D and upper blocks B."""
    M, n = D.shape[0], D.shape[1]
    A = np.zeros((M * n, M * n))
    for i in range(M):
        A[i * n:(i + 1) * n, i * n:(i + 1) * n] = D[i]
    for i in range(M - 1):
        A[i * n:(i + 1) * n, (i + 1) * n:(i + 2) * n] = B[i]
        A[(i + 1) * n:(i + 2) * n, i * n:(i + 1) * n] = B[i].T
    return A


def _random_spd_blocks(M, n, seed):
    """Random blocks whose assembled matrix is symmetric positive definite (smallest eigenvalue
    0.1), for sizes of the Hessian of S_h: M interior nodes of n parameters."""
    rs = np.random.RandomState(seed)
    D = rs.randn(M, n, n)
    D = 0.5 * (D + np.swapaxes(D, 1, 2))
    B = rs.randn(max(M - 1, 0), n, n)
    shift = 0.1 - np.linalg.eigvalsh(_dense(D, B)).min()
    D += shift * np.eye(n)
    return D, B, rs.randn(M, n)


@pytest.mark.parametrize("n", [1, 3, 7])
@pytest.mark.parametrize("M", [1, 2, 5, 20])
@pytest.mark.parametrize("mu", [0.0, 0.7])
def test_block_tridiagonal_solve_matches_dense(n, M, mu):
    D, B, rhs = _random_spd_blocks(M, n, seed=10 * n + M)
    x = block_tridiagonal_solve(D, B, mu, rhs)
    A = _dense(D, B) + mu * np.eye(M * n)
    ref = np.linalg.solve(A, rhs.ravel()).reshape(M, n)
    assert x.shape == (M, n)
    np.testing.assert_allclose(x, ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())


def test_block_tridiagonal_solve_rejects_indefinite():
    D, B, rhs = _random_spd_blocks(5, 3, seed=1)
    lowest = 0.1  # the smallest eigenvalue of the assembled matrix
    with pytest.raises(np.linalg.LinAlgError):
        block_tridiagonal_solve(D - 2 * lowest * np.eye(3), B, 0.0, rhs)
    # The shift mu restores positive definiteness.
    x = block_tridiagonal_solve(D - 2 * lowest * np.eye(3), B, 3 * lowest, rhs)
    A = _dense(D, B) + lowest * np.eye(15)
    np.testing.assert_allclose(x.ravel(), np.linalg.solve(A, rhs.ravel()), rtol=1e-9)


def _problem(n, lam=1.0, T=2.0, seed=0):
    rs = np.random.RandomState(seed)
    Q = rs.randn(n, n)
    A = Q @ Q.T / n + np.diag(np.linspace(-0.5, 3.0, n))
    return BVPProblem(Quadratic(A, rs.randn(n)), rs.randn(n), rs.randn(n), T, lam)


@pytest.mark.parametrize("n, N", [(1, 2), (3, 5), (2, 20)])
def test_sine_preconditioner_inverts_the_kinetic_matrix(n, N):
    prob = _problem(n)
    da = DiscreteAction(prob, N, "trapezoid")
    pre = SinePreconditioner(da)
    M = N - 1
    rs = np.random.RandomState(N)
    z = rs.randn(n * M)
    X = pre.to_X(z)
    np.testing.assert_allclose(pre.to_z(X), z, rtol=1e-12, atol=1e-12)  # round trip
    # The linear map z -> X - X_line, as a dense matrix W: W^T (K kron I) W = I with the
    # kinetic matrix K = tridiag(-1, 2, -1) / h over the interior nodes.
    W = np.stack([(pre.to_X(e) - pre.X_line).ravel() for e in np.eye(n * M)], axis=1)
    W = W.reshape(n, M, -1)
    W = W.transpose(1, 0, 2).reshape(M * n, -1)  # rows node-major, like the Hessian
    K = (2 * np.eye(M) - np.eye(M, k=1) - np.eye(M, k=-1)) / da.h
    Kn = np.kron(K, np.eye(n))
    np.testing.assert_allclose(W.T @ Kn @ W, np.eye(n * M), atol=1e-12)
    # So the kinetic term of S_h is |z|^2 / 2 plus that of the straight line.
    free = BVPProblem(prob.objective, prob.theta0, prob.thetaT, prob.T, 0.0)
    S_line = DiscreteAction(free, N, "trapezoid").value_grad(pre.X_line)[0]
    S = DiscreteAction(free, N, "trapezoid").value_grad(X)[0]
    assert S == pytest.approx(S_line + 0.5 * z @ z, rel=1e-12)
    # grad_z is the chain rule through W: W^T applied to the node-major gradient.
    G = rs.randn(n, M)
    np.testing.assert_allclose(pre.grad_z(G), W.T @ G.T.ravel(), rtol=1e-12, atol=1e-12)


def _bfgs_inverse(pairs, dim):
    """Explicit BFGS inverse-Hessian updates of H0 = (s.y / y.y of the last pair) I."""
    s, y, _ = pairs[-1]
    H = (s @ y) / (y @ y) * np.eye(dim)
    for s, y, rho in pairs:
        V = np.eye(dim) - rho * np.outer(y, s)
        H = V.T @ H @ V + rho * np.outer(s, s)
    return H


@pytest.mark.parametrize("m", [1, 3, 10])
def test_two_loop_matches_explicit_bfgs(m):
    dim = 12
    rs = np.random.RandomState(m)
    Q = rs.randn(dim, dim)
    A = Q @ Q.T + np.eye(dim)  # y = A s: positive curvature s.y > 0
    pairs = []
    for _ in range(m):
        s = rs.randn(dim)
        y = A @ s + 0.1 * rs.randn(dim)
        assert s @ y > 0
        pairs.append((s, y, 1.0 / (s @ y)))
    g = rs.randn(dim)
    np.testing.assert_allclose(two_loop(g, pairs), _bfgs_inverse(pairs, dim) @ g, rtol=1e-10)
    # Without pairs the product is the identity: the kinetic curvature in these coordinates.
    np.testing.assert_array_equal(two_loop(g, []), g)
    # The recursion works on a copy.
    g0 = g.copy()
    two_loop(g, pairs)
    np.testing.assert_array_equal(g, g0)


@pytest.mark.parametrize("rule", ["trapezoid", "midpoint"])
def test_discrete_action_gradient_and_hessian(rule):
    n, N = 3, 6
    prob = _problem(n, lam=1.7, seed=3)
    da = DiscreteAction(prob, N, rule)
    rs = np.random.RandomState(4)
    X = rs.randn(n, N - 1)
    S, G, _ = da.value_grad(X)
    # S_h is quadratic here: central differences of S and of its gradient are exact to rounding.
    eps = 1e-4
    fd = np.empty_like(X)
    for idx in np.ndindex(X.shape):
        E = np.zeros_like(X)
        E[idx] = eps
        fd[idx] = (da.value_grad(X + E)[0] - da.value_grad(X - E)[0]) / (2 * eps)
    np.testing.assert_allclose(G, fd, rtol=1e-7, atol=1e-7 * np.abs(G).max())
    D, B = da.hessian_blocks(X)
    H = _dense(D, B)
    cols = []
    for k in range(n * (N - 1)):
        E = np.zeros(n * (N - 1))
        E[k] = eps
        dX = E.reshape(N - 1, n).T  # node-major index -> (parameter, node)
        dG = (da.value_grad(X + dX)[1] - da.value_grad(X - dX)[1]) / (2 * eps)
        cols.append(dG.T.ravel())
    np.testing.assert_allclose(H, np.column_stack(cols), rtol=1e-7, atol=1e-7 * np.abs(H).max())
