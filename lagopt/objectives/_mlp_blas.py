"""Numpy (BLAS) evaluation of :class:`lagopt.objectives.MLPObjective` for wide layers.

The same quantities as the numba kernels of ``lagopt.objectives._mlp_kernels`` -- batched
losses, gradients and Hessian-vector products -- in the same parameter layout (per layer
``W_i``, ``s_i x s_{i+1}`` row-major, then ``b_i``) and with the same activation definitions,
but with every layer product a BLAS matrix product. For layers of a hundred units and more
the products dominate, and a tuned BLAS is several times faster than the kernels' loops.

Data are *sample-major* here (``X`` is ``N x s_0``), and activations are stacked over a chunk
of ``c`` points as ``(c, N, units)``, so that a layer is one ``np.matmul`` over the chunk::

    Z_i = A_{i-1} @ W_i + b_i,   A_{-1} = X,   A_i = sigma(Z_i) (hidden),   F = Z_{L-1}

Chunks hold as many points as fit in :data:`CHUNK_DOUBLES` doubles per activation array
(one point at a time for wide networks, whose arrays are already BLAS-sized; many at once for
narrow ones, where the per-call overhead of numpy would otherwise dominate).
"""
import numpy as np

from ._mlp_kernels import LINEAR, RELU, SIGMOID, SOFTPLUS, TANH, layout

__all__ = ["evaluate"]

#: Doubles per stacked activation array ``(c, N, units)``; bounds the chunk of points
#: evaluated together (2 MB: the arrays of one chunk stay in the last-level cache).
CHUNK_DOUBLES = 1 << 18


def _stable_sigmoids(t):
    """``(sigmoid(t), sigmoid(-t))`` without overflow, both free of cancellation."""
    e = np.exp(-np.abs(t))
    r = 1.0 / (1.0 + e)
    er = e * r
    pos = t >= 0.0
    return np.where(pos, r, er), np.where(pos, er, r)


def _activate(Z, act, beta, order):
    """``(A, D1, D2)``: ``sigma(Z)``, ``sigma'(Z)`` (``order >= 1``), ``sigma''(Z)``
    (``order >= 2``; else None), with the definitions of ``_mlp_kernels._activate``.

    ReLU has the almost-everywhere derivatives ``relu'(z) = [z > 0]`` and ``relu'' = 0``;
    softplus is ``log(1 + exp(beta z)) / beta`` with ``sigma' = sigmoid(beta z)``.
    """
    D1 = D2 = None
    if act == RELU:
        A = np.maximum(Z, 0.0)
        if order >= 1:
            D1 = (Z > 0.0).astype(np.float64)
        if order >= 2:
            D2 = np.zeros_like(Z)
    elif act == TANH:
        A = np.tanh(Z)
        if order >= 1:
            D1 = 1.0 - A * A
        if order >= 2:
            D2 = -2.0 * A * D1
    elif act == SOFTPLUS:
        A = np.maximum(Z, 0.0) + np.log1p(np.exp(-beta * np.abs(Z))) / beta
        if order >= 1:
            s, sm = _stable_sigmoids(beta * Z)
            D1 = s
            if order >= 2:
                D2 = beta * s * sm
    elif act == SIGMOID:
        A, sm = _stable_sigmoids(Z)
        if order >= 1:
            D1 = A * sm
        if order >= 2:
            D2 = D1 * (sm - A)
    else:
        assert act == LINEAR
        A = Z
        if order >= 1:
            D1 = np.ones_like(Z)
        if order >= 2:
            D2 = np.zeros_like(Z)
    return A, D1, D2


def _layers(Pt, sizes, wo, bo):
    """Per-layer ``(W, b)`` views of the rows of ``Pt`` (``c x n``): ``W`` is
    ``(c, s_i, s_{i+1})``, ``b`` is ``(c, 1, s_{i+1})`` (broadcasts over the samples)."""
    c = Pt.shape[0]
    out = []
    for i in range(len(sizes) - 1):
        fi, fo = int(sizes[i]), int(sizes[i + 1])
        W = Pt[:, wo[i]:bo[i]].reshape(c, fi, fo)
        out.append((W, Pt[:, bo[i]:bo[i] + fo].reshape(c, 1, fo)))
    return out


def _forward(X, layers, act, beta, order):
    """Forward pass over a chunk. Returns ``(F, A, D1, D2)``: the outputs ``(c, N, s_L)``
    and per hidden layer the activations and the derivatives ``order`` needs."""
    A, D1, D2 = [], [], []
    A_prev = X
    L = len(layers)
    for i, (W, b) in enumerate(layers):
        Z = _mm(A_prev, W)
        Z += b
        if i == L - 1:
            return Z, A, D1, D2
        Ai, D1i, D2i = _activate(Z, act, beta, order)
        A.append(Ai)
        D1.append(D1i)
        D2.append(D2i)
        A_prev = Ai


def _mm(A, B):
    """``A @ B`` over stacked matrices. An inner dimension of 1 (the products with a
    single-output layer) is an outer product, done by broadcasting: numpy's matmul does not
    hand it to BLAS and runs ten times slower."""
    if A.shape[-1] == 1:
        return A * B
    return np.matmul(A, B)


def _t(M):
    """Transpose of the last two axes (a view; matmul passes it to BLAS as transposed)."""
    return np.swapaxes(M, -1, -2)


def _backward(X, layers, A, D1, G, gt, wo, bo):
    """Backpropagation from ``G = dL/dF`` (``c x N x s_L``); the gradients go to the rows of
    ``gt`` (``c x n``) in the parameter layout."""
    c = gt.shape[0]
    for i in range(len(layers) - 1, -1, -1):
        W = layers[i][0]
        A_prev = X if i == 0 else A[i - 1]
        gt[:, wo[i]:bo[i]] = _mm(_t(A_prev), G).reshape(c, -1)
        gt[:, bo[i]:bo[i] + W.shape[2]] = G.sum(axis=1)
        if i > 0:
            G = _mm(G, _t(W))
            G *= D1[i - 1]


def _hvp(X, layers, vlayers, A, D1, D2, G, scale, ht, wo, bo):
    """Pearlmutter's R-operator along one direction per point: ``H v`` into the rows of
    ``ht`` (``c x n``). ``vlayers`` are the directions' ``(VW, Vb)`` views and
    ``G = dL/dF``. With ``R{.}`` the directional derivative::

        R Z_i  = R A_{i-1} W_i + A_{i-1} VW_i + Vb_i,          R A_i = sigma'(Z_i) R Z_i
        R G_out = scale R F
        R gW_i = A_{i-1}^T R G_i + R A_{i-1}^T G_i,            R gb_i = sum over samples R G_i
        R G_{i-1} = (R G_i W_i^T + G_i VW_i^T) sigma'(Z_{i-1}) + dA_{i-1} sigma''(Z_{i-1}) R Z_{i-1}

    where ``dA_{i-1} = G_i W_i^T`` (backpropagation runs alongside).
    """
    c = ht.shape[0]
    L = len(layers)
    RZ, RA = [], []
    A_prev, RA_prev = X, None
    for i in range(L):
        (W, _), (VW, Vb) = layers[i], vlayers[i]
        Rz = _mm(A_prev, VW)
        Rz += Vb
        if i > 0:
            Rz += _mm(RA_prev, W)
        RZ.append(Rz)
        if i < L - 1:
            RA_prev = D1[i] * Rz
            RA.append(RA_prev)
            A_prev = A[i]
    RG = scale * RZ[L - 1]
    for i in range(L - 1, -1, -1):
        W, VW = layers[i][0], vlayers[i][0]
        A_prev = X if i == 0 else A[i - 1]
        hW = _mm(_t(A_prev), RG)
        if i > 0:
            hW += _mm(_t(RA[i - 1]), G)
        ht[:, wo[i]:bo[i]] = hW.reshape(c, -1)
        ht[:, bo[i]:bo[i] + W.shape[2]] = RG.sum(axis=1)
        if i > 0:
            dA = _mm(G, _t(W))
            RG = _mm(RG, _t(W))
            RG += _mm(G, _t(VW))
            RG *= D1[i - 1]
            RG += dA * D2[i - 1] * RZ[i - 1]
            G = dA
            G *= D1[i - 1]


def chunk_size(n_samples, n_units):
    """Points evaluated together: their stacked activations fit in :data:`CHUNK_DOUBLES`."""
    return max(1, CHUNK_DOUBLES // (n_samples * n_units))


def evaluate(P, V, X, Y, sizes, act, beta, order, f, out):
    """Evaluate at the columns of ``P`` (``n x m``), the numpy counterpart of
    ``_mlp_kernels.mlp_eval`` for ``order`` 0 (losses into ``f``), 1 (losses into ``f`` and
    gradients into ``out``, ``n x m``) and 3 (Hessian-vector products ``H(P[:, j]) @ V[:, j]``
    into ``out``; ``f`` is then left untouched).

    ``X`` (``N x s_0``) and ``Y`` (``N x s_L``) are sample-major; ``sizes`` is an int64 array.
    """
    n, m = P.shape
    N = X.shape[0]
    wo, bo, uo = layout(sizes)
    scale = 2.0 / Y.size
    c = chunk_size(N, int(uo[-1]))
    for j0 in range(0, m, c):
        j1 = min(m, j0 + c)
        Pt = np.ascontiguousarray(P[:, j0:j1].T)
        layers = _layers(Pt, sizes, wo, bo)
        F, A, D1, D2 = _forward(X, layers, act, beta, order)
        R = F - Y
        if order != 3:
            f[j0:j1] = np.einsum("cnk,cnk->c", R, R) / Y.size
        if order == 0:
            continue
        R *= scale
        gt = np.empty((j1 - j0, n))
        if order == 1:
            _backward(X, layers, A, D1, R, gt, wo, bo)
        else:
            Vt = np.ascontiguousarray(V[:, j0:j1].T)
            _hvp(X, layers, _layers(Vt, sizes, wo, bo), A, D1, D2, R, scale, gt, wo, bo)
        out[:, j0:j1] = gt.T
