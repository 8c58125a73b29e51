"""Numba kernel for the residuals and their Jacobian of :class:`lagopt.objectives.MLPObjective`.

The network's least-squares form: ``r = f_theta(X) - y`` flattened sample-major (residual
``s * K + k`` is output ``k`` of sample ``s``, as ``(f_theta(X) - y).ravel()`` for 2-D ``y``), so
that ``loss = sum(r**2) / (N K)``. The Jacobian ``J[s K + k, p] = d F[k, s] / d theta_p`` is
backpropagation seeded once per output ``k`` with the unit vector ``e_k``, vectorised over the
samples (one backward pass per output serves every sample at once)::

    Delta_{L-1} = e_k 1^T                          (the output layer is linear)
    J rows of W_i[a, c]:  A_{i-1}[a, s] Delta_i[c, s]      J rows of b_i[c]:  Delta_i[c, s]
    Delta_{i-1} = (W_i Delta_i) * sigma'(Z_{i-1})

with the conventions of :mod:`lagopt.objectives._mlp_kernels` (feature-major data, the same
forward pass and the same activation derivatives, so ``relu'(0) := 0``). The kernel writes the
*transposed* Jacobian ``JT`` (``n x N K``, C order): every inner loop then runs over the
samples, contiguously. Work per call: one forward pass plus, per output, about ``2 N n``
multiply-adds, and ``N K n`` stores of the matrix itself; a gradient is one forward pass plus
about ``2 N n``.
"""
import numpy as np
from numba import njit

from ._mlp_kernels import _forward, _network_views, layout

__all__ = ["mlp_residuals_jacobian"]


@njit(cache=True)
def _backward_rows(Xt, W, A, D1, G, JT, k, K, wo, bo):
    """Fill the columns ``s K + k`` of ``JT`` (all samples ``s``) by backpropagating ``e_k``.

    ``G`` (per layer ``units x N``) is the workspace of the deltas; ``D1`` holds
    ``sigma'(Z)`` of the forward pass.
    """
    L = len(W)
    N = Xt.shape[1]
    Gl = G[L - 1]
    for c in range(Gl.shape[0]):
        v = 1.0 if c == k else 0.0
        for s in range(N):
            Gl[c, s] = v
    for i in range(L - 1, -1, -1):
        Gi = G[i]
        A_prev = Xt if i == 0 else A[i - 1]
        fi, fo = W[i].shape
        for a in range(fi):
            for c in range(fo):
                row = JT[wo[i] + a * fo + c]
                for s in range(N):
                    row[s * K + k] = A_prev[a, s] * Gi[c, s]
        for c in range(fo):
            row = JT[bo[i] + c]
            for s in range(N):
                row[s * K + k] = Gi[c, s]
        if i > 0:
            Gp = G[i - 1]
            D1p = D1[i - 1]
            Wi = W[i]
            for a in range(fi):
                for s in range(N):
                    Gp[a, s] = 0.0
                for c in range(fo):
                    w = Wi[a, c]
                    for s in range(N):
                        Gp[a, s] += w * Gi[c, s]
                for s in range(N):
                    Gp[a, s] *= D1p[a, s]


@njit(cache=True)
def mlp_residuals_jacobian(theta_in, Xt, Yt, sizes, act, beta, r, JT):
    """Residuals into ``r`` (``N K``) and, unless ``JT`` is ``0 x 0``, ``JT = J.T`` (``n x N K``).

    ``theta_in`` is copied into a private buffer (any contiguous float64 vector will do, also
    a read-only one); ``Xt``, ``Yt``, ``sizes``, ``act``, ``beta`` are the operands of
    :func:`lagopt.objectives._mlp_kernels.mlp_eval`.
    """
    n = theta_in.shape[0]
    K, N = Yt.shape
    L = sizes.shape[0] - 1
    wo, bo, uo = layout(sizes)
    theta = np.empty(n)
    for p in range(n):
        theta[p] = theta_in[p]
    grad = np.empty(n)
    ws = np.empty(6 * N * uo[L] + n)
    # order 1: sigma' (D1) and the delta buffers (G) are allocated, sigma'' is not.
    W, WT, b, gW, gb, Z, A, D1, D2, G, dA = _network_views(theta, grad, ws, sizes, N, 1)
    _forward(Xt, W, WT, b, Z, A, D1, D2, act, beta)
    F = Z[L - 1]
    for s in range(N):
        for k in range(K):
            r[s * K + k] = F[k, s] - Yt[k, s]
    if JT.shape[0] == 0:
        return
    for k in range(K):
        _backward_rows(Xt, W, A, D1, G, JT, k, K, wo, bo)
