"""The second variation's compiled block route and its conjugate-point test.

The compiled inertia kernel must give the counts of the plain numpy block LDL^T (kept here as
the reference); the grids must nest (one Hessian evaluation serves both); and an eigenvalue
near zero is judged against its own discretisation error: a soft mode of a strict minimum is
a minimum, not a conjugate point.

For ``L = a x^2 / 2`` the pencil eigenvalue of the first sine mode is, in the continuum,
``mu_1 = 1 + lam a (T / pi)^2``: ``a = -(pi / T)^2 (1 - delta) / lam`` gives ``mu_1 = delta``.
"""
import numpy as np
import pytest
import scipy.linalg

from lagopt import Quadratic
from lagopt.paths import quadratic_solution, second_variation
from lagopt.paths import _second_variation as sv


def _reference_inertia(H, lam, h, sigma):
    """The pure-numpy block LDL^T inertia the compiled kernel replaces."""
    n, _, m = H.shape
    eye = np.eye(n)
    c = 1.0 - sigma
    count, smallest = 0, np.inf
    schur = None   # (1 - sigma)^2 D_{i-1}^{-1}
    for i in range(m):
        D = 2.0 * c * eye + (h * h * lam) * H[:, :, i]
        if schur is not None:
            D = D - schur
        w, V = np.linalg.eigh(0.5 * (D + D.T))
        count += int(np.sum(w < 0))
        smallest = min(smallest, float(np.min(np.abs(w))))
        if smallest == 0.0:
            break
        schur = (c * c) * ((V / w) @ V.T)
    return count, smallest


def _symmetric_stack(rng, n, m, scale):
    B = rng.standard_normal((n, n, m)) * scale
    return np.ascontiguousarray(0.5 * (B + B.transpose(1, 0, 2)))


def _pencil(H, lam, h):
    """Dense ``A`` and ``K`` of the pencil ``A v = mu K v`` (node-major ordering)."""
    n, _, m = H.shape
    K = np.kron(np.diag(np.full(m, 2.0)) - np.eye(m, k=1) - np.eye(m, k=-1), np.eye(n)) / h
    return K + scipy.linalg.block_diag(*[h * lam * H[:, :, i] for i in range(m)]), K


@pytest.mark.parametrize("n", [1, 2, 5])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kernel_counts_as_the_numpy_reference(n, seed):
    rng = np.random.default_rng(seed)
    m, h = 63, 1.0 / 64
    H = _symmetric_stack(rng, n, m, scale=400.0)
    sigmas = np.array([-0.7, -sv.MARGIN, 0.0, sv.MARGIN, 0.2, 0.9, 1.5])
    counts, smallest = sv._pencil_inertia(H, 1.3, h, sigmas)
    for s, sigma in enumerate(sigmas):
        count, small = _reference_inertia(H, 1.3, h, sigma)
        assert counts[s] == count
        # (positive definite pivots are factored by Cholesky: `smallest` is then another
        # positive number; it must agree on being exactly zero or not finite)
        assert (smallest[s] == 0.0) == (small == 0.0)
        assert np.isfinite(smallest[s]) == np.isfinite(small) and smallest[s] > 0.0
    assert counts.min() < counts.max()   # the shifts cross eigenvalues: a real test


def test_kernel_stops_at_an_exactly_singular_pivot_like_the_reference():
    # h^2 lam H = -1 at sigma = 0: pivots 1, 0 (exactly), ...
    H = np.full((1, 1, 9), -1.0)
    counts, smallest = sv._pencil_inertia(H, 1.0, 1.0, np.array([0.0]))
    assert (counts[0], smallest[0]) == _reference_inertia(H, 1.0, 1.0, 0.0)
    assert smallest[0] == 0.0


@pytest.mark.parametrize("n", [1, 2, 3])
def test_bisection_locates_the_pencil_eigenvalues(n):
    rng = np.random.default_rng(7 + n)
    m, h, lam = 20, 1.0 / 21, 1.0
    H = _symmetric_stack(rng, n, m, scale=300.0)
    A, K = _pencil(H, lam, h)
    exact = scipy.linalg.eigh(A, K, eigvals_only=True)
    j0, j1 = 2, 6
    mu = sv._pencil_eigenvalues(H, lam, h, j0, j1, -1e-3, 1e-3, 1e-9, 1e-13)
    np.testing.assert_allclose(mu, exact[j0:j1], rtol=1e-7, atol=1e-12)
    counts, _ = sv._pencil_inertia(H, lam, h, np.array([exact[3] - 1e-6, exact[3] + 1e-6]))
    assert list(counts) == [3, 4]   # Sylvester: the count steps by one at an eigenvalue


def test_the_coarse_grid_is_every_other_node_of_the_fine_one():
    T, N = 1.7, 64
    np.testing.assert_allclose(sv._grid(T, 2 * N)[1::2], sv._grid(T, N), rtol=1e-15)


class _PositionHessian:
    """A 1-parameter objective whose Hessian is the position: it shows where it was taken."""

    def hess_batch(self, P):
        return P[None, :, :].copy()


def test_a_refined_grid_evaluates_only_the_midpoints():
    T = 2.0
    dense = lambda t: (np.atleast_2d(t), np.ones((1, np.size(t))))   # noqa: E731
    grid = sv._Grid(dense(sv._grid(T, 8))[0][None], 1.0, T)
    fine = sv._refined(_PositionHessian(), 1.0, T, dense, grid)
    assert fine.M == 16
    np.testing.assert_allclose(fine.H[0, 0], sv._grid(T, 16), rtol=1e-15)


@pytest.mark.parametrize("T", [1.0, 2.5, 3.3, 4.0, 7.0])
def test_counts_as_the_reference_on_two_separately_evaluated_grids(T):
    c, s = np.cos(0.4), np.sin(0.4)
    Q = np.array([[c, -s], [s, c]])
    A = Q @ np.diag([-1.3, 0.7]) @ Q.T
    exact = quadratic_solution(A, [1.0, 0.0], [0.5, 1.0], T)
    dense = lambda t: (exact(t), exact.velocity(t))   # noqa: E731
    f = Quadratic(A)
    N = sv._n_intervals(f, 1.0, T, dense)
    H = f.hess_batch(np.ascontiguousarray(dense(sv._grid(T, 2 * N))[0]))
    for grid in (sv._Grid(H[:, :, 1::2], 1.0, T), sv._Grid(H, 1.0, T)):
        Hm = f.hess_batch(np.ascontiguousarray(dense(sv._grid(T, grid.M))[0]))
        assert grid.low == _reference_inertia(Hm, 1.0, T / grid.M, -sv.MARGIN)[0]
        assert grid.high == _reference_inertia(Hm, 1.0, T / grid.M, sv.MARGIN)[0]
    out = second_variation(f, 1.0, T, dense)
    assert out["is_minimum"] is exact.is_minimum
    assert out["morse_index"] == int(np.floor(T * np.sqrt(1.3) / np.pi))


def _soft(delta, T=1.0, lam=1.0, modes=1):
    """A quadratic whose first ``modes`` pencil eigenvalues are ``delta`` (continuum)."""
    a = -(np.pi / T) ** 2 * (1.0 - delta) / lam
    A = np.diag([a] * modes + [1.0])
    if delta == 0.0:
        # T is then a conjugate point: no closed-form path. The Hessian of a quadratic is the
        # same everywhere, so any path has the same second variation: the straight line.
        x0, xT = np.zeros(modes + 1), np.ones(modes + 1)
        dense = lambda t: (x0[:, None] + np.outer(xT - x0, t / T),   # noqa: E731
                           np.outer(xT - x0, np.ones_like(t) / T))
    else:
        exact = quadratic_solution(A, np.r_[np.ones(modes), 0.0], np.r_[np.zeros(modes), 1.0],
                                   T, lam)
        dense = lambda t: (exact(t), exact.velocity(t))   # noqa: E731
    return second_variation(Quadratic(A), lam, T, dense)


@pytest.mark.parametrize("T, lam", [(1.0, 1.0), (2.0, 0.5)])
def test_a_soft_mode_of_a_strict_minimum_is_a_minimum(T, lam):
    delta = 2e-4
    out = _soft(delta, T, lam)
    assert out["is_minimum"] is True and not out["singular"]
    assert out["morse_index"] == 0
    assert 0.0 < out["min_eigenvalue"] < sv.MARGIN
    # The located eigenvalue is delta within (a few of) its own error estimate.
    assert abs(out["min_eigenvalue"] - delta) <= 2.0 * out["min_eigenvalue_error"] + 1e-6


def test_a_soft_negative_mode_is_a_saddle():
    out = _soft(-2e-4)
    assert out["is_minimum"] is False and not out["singular"]
    assert out["morse_index"] == 1
    assert -sv.MARGIN < out["min_eigenvalue"] < 0.0


def test_a_true_conjugate_point_at_T_is_singular():
    out = _soft(0.0)
    assert out["is_minimum"] is None and out["singular"]
    assert out["morse_index"] == 0
    assert abs(out["min_eigenvalue"]) <= sv.SAFETY * out["min_eigenvalue_error"]
    assert "conjugate point" in out["reason"]


@pytest.mark.parametrize("delta, expected, index", [(2e-4, True, 0), (-2e-4, False, 2),
                                                    (0.0, None, 0)])
def test_a_double_soft_mode(delta, expected, index):
    out = _soft(delta, modes=2)
    assert out["is_minimum"] is expected
    assert out["morse_index"] == index
    assert out["singular"] is (expected is None)


def test_eigenvalues_far_from_zero_are_not_located():
    out = _soft(0.05)
    assert out["is_minimum"] is True and out["N"] == 128
    assert "min_eigenvalue" not in out


def test_a_non_finite_hessian_is_reported():
    class Bad:
        def hess_batch(self, P):
            H = np.ones((1, 1, P.shape[1]))
            H[0, 0, P.shape[1] // 2] = np.nan
            return H

    dense = lambda t: (np.atleast_2d(t), np.ones((1, np.size(t))))   # noqa: E731
    out = sv._block_route(Bad(), 1.0, 1.0, dense, 1)
    assert out["is_minimum"] is None and "not finite" in out["reason"]


def test_compile_kernels_runs():
    sv.compile_kernels()
