"""Block-tridiagonal linear solves by block Cholesky, the linear algebra of the Newton branch.

The Hessian of the discrete action couples each interior node only to its two neighbours: it is
symmetric block tridiagonal with ``n x n`` blocks. Newton solves ``(A + mu I) x = b`` with it,
``mu >= 0`` a Levenberg shift, in ``O(M n^3)`` flops for ``M`` interior nodes.
"""
import numpy as np
from numba import njit

__all__ = ["block_tridiagonal_solve"]


@njit(cache=True)
def _block_cholesky_solve(D, B, mu, rhs, x):
    """Numba kernel of `block_tridiagonal_solve`; returns False if not positive definite.

    Plain loops, no BLAS: these are many small (n x n) factorisations and solves, for which a
    multi-threaded BLAS spends more time synchronising than computing (100x slower measured
    next to numba's own thread pool on a loaded 2-core machine).
    """
    M, n = rhs.shape
    Ld = np.zeros((M, n, n))
    Lo = np.zeros((M, n, n))  # Lo[i] = L_{i+1, i}
    y = np.zeros((M, n))
    C = np.empty((n, n))
    for i in range(M):
        # C = D_i + mu I - L_{i,i-1} L_{i,i-1}^T, the Schur complement to factor.
        for a in range(n):
            for b in range(a + 1):
                s = D[i, a, b]
                if i > 0:
                    for c in range(n):
                        s -= Lo[i - 1, a, c] * Lo[i - 1, b, c]
                C[a, b] = s
            C[a, a] += mu
        L = Ld[i]
        for a in range(n):  # Cholesky, row by row
            for b in range(a + 1):
                s = C[a, b]
                for c in range(b):
                    s -= L[a, c] * L[b, c]
                if a == b:
                    if not s > 0.0:
                        return False
                    L[a, a] = np.sqrt(s)
                else:
                    L[a, b] = s / L[b, b]
        for a in range(n):  # forward substitution for y_i
            s = rhs[i, a]
            if i > 0:
                for c in range(n):
                    s -= Lo[i - 1, a, c] * y[i - 1, c]
            for c in range(a):
                s -= L[a, c] * y[i, c]
            y[i, a] = s / L[a, a]
        if i < M - 1:
            # L_{i+1,i} = (L_ii^{-1} B_i)^T: forward substitution, column j of B_i at a time.
            for j in range(n):
                for a in range(n):
                    s = B[i, a, j]
                    for c in range(a):
                        s -= L[a, c] * Lo[i, j, c]
                    Lo[i, j, a] = s / L[a, a]
    for i in range(M - 1, -1, -1):  # back substitution with L^T
        L = Ld[i]
        for a in range(n - 1, -1, -1):
            s = y[i, a]
            if i < M - 1:
                for c in range(n):
                    s -= Lo[i, c, a] * x[i + 1, c]
            for c in range(a + 1, n):
                s -= L[c, a] * x[i, c]
            x[i, a] = s / L[a, a]
    return True


def block_tridiagonal_solve(D, B, mu, rhs):
    """Solve ``(A + mu I) x = rhs`` for symmetric block-tridiagonal ``A`` by block Cholesky.

    ``D`` (``(M, n, n)``) are the diagonal blocks, ``B`` (``(M-1, n, n)``) the blocks above them;
    ``rhs`` and the result have shape ``(M, n)``. ``O(M n^3)`` flops. Raises
    `numpy.linalg.LinAlgError` when ``A + mu I`` is not positive definite.
    """
    M, n = rhs.shape
    Bc = np.ascontiguousarray(B) if M > 1 else np.zeros((1, n, n))
    x = np.empty((M, n))
    if not _block_cholesky_solve(np.ascontiguousarray(D), Bc, float(mu),
                                 np.ascontiguousarray(rhs), x):
        raise np.linalg.LinAlgError("not positive definite")
    return x
