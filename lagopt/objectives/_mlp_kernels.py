"""Numba kernels for :class:`lagopt.objectives.MLPObjective`.

Plain functions on float64 arrays; the class validates and passes C-contiguous data, so each
kernel compiles once and is then loaded from the on-disk cache.

Conventions
-----------
``sizes = (s_0, ..., s_L)``; layer ``i`` maps ``s_i -> s_{i+1}``. ``theta`` holds, layer by
layer, ``W_i`` (``s_i x s_{i+1}``, row-major) then ``b_i``. Data are passed *feature-major*:
``Xt = X.T`` (``s_0 x N``) and ``Yt = Y.T`` (``s_L x N``), and every activation is stored as
``(units, N)``, so the innermost loops run over the ``N`` samples, contiguously (that is what
vectorises for the small layers of the 4-6-1 network)::

    Z_i = W_i^T A_{i-1} + b_i,   A_{-1} = Xt,   A_i = sigma(Z_i) (hidden),   F = Z_{L-1}
    loss = mean((F - Yt)**2)     over all N * s_L entries

Per-layer arrays are 2-D views into one workspace, made once per chunk of points (the
parameter vector of each point is copied into a fixed buffer): a slice costs ~13 ns, and made
per point the views were a third of the 4-6-1 network's gradient time. The R-operator treats
``k`` directions at once in the layout ``(units, k, N)``, so every product is a single GEMM on
a contiguous 2-D view.

Compile time: numba specialises a jitted callee on every *literal* argument (``f(x, 0)`` and
``f(x, 1)`` are two compilations), and generates machine code again for the whole call tree of
each compiled function. Internal switches are therefore runtime values ("compute sigma' if
``D1`` is non-empty", an ``order`` passed in from Python), whole-array assignments are written
as loops (numba's generic slice assignment is expensive to compile), and there are only two
entry points, :func:`mlp_eval` and :func:`mlp_eval_parallel`.
"""
import numpy as np
from numba import njit, prange

RELU, TANH, SOFTPLUS, SIGMOID, LINEAR = 0, 1, 2, 3, 4
ACTIVATIONS = {"relu": RELU, "tanh": TANH, "softplus": SOFTPLUS, "sigmoid": SIGMOID,
               "linear": LINEAR}

# Products with fewer multiply-adds run as inline loops: for the 4-6-1 network's 6x4 @ 4x100
# products a BLAS call costs more than the arithmetic.
_BLAS_MIN_WORK = 8192
# Doubles per R-operator work array; bounds the number of Hessian columns formed per pass.
_RBLOCK_BUDGET = 1 << 18
# Batches with less work than this (multiply-adds; about 0.25 ms serially) run serially. A
# parallel region is a fork-join costing ~10 us on idle cores, so 2 threads already pay at
# ~30 us of work; but on cores shared with other busy processes (other OpenMP teams) every
# join waits for the slowest thread to be scheduled again, measured at 5-10 ms per region on
# the 2-core development machine, 100x the 4-6-1 network's 64-point gradient batch. The
# threshold trades the idle-machine gain on small batches for that robustness. Read by the
# Python wrappers at each call, so it can be changed at run time; numba.set_num_threads(1)
# turns the parallel path off.
PARALLEL_MIN_WORK = 2_000_000

# Reassociation lets LLVM vectorise the dot-product loops; results stay deterministic.
_FAST = {"reassoc", "contract"}


# --------------------------------------------------------------------------- helpers
@njit(cache=True, fastmath=_FAST)
def _gemm(A, B, bias, beta, out):
    """``out = A @ B + bias[:, None] + beta * out`` (all C-contiguous; no ``bias`` if empty).

    As in BLAS, ``beta == 0`` ignores the previous contents of ``out``. The loop form makes
    one vectorised pass over each row of ``out`` per four rows of ``B``, the first of which
    also initialises it: four multiply-adds per load and store of ``out``, and a single pass
    for a layer of fan-in <= 4.
    """
    p, q = A.shape
    r = B.shape[1]
    has_bias = bias.shape[0] > 0
    if p * q * r >= _BLAS_MIN_WORK:
        if beta == 0.0:
            np.dot(A, B, out)
        else:
            prod = np.dot(A, B)
            for i in range(p):
                for j in range(r):
                    out[i, j] = prod[i, j] + beta * out[i, j]
        if has_bias:
            for i in range(p):
                for j in range(r):
                    out[i, j] += bias[i]
        return
    for i in range(p):
        c = bias[i] if has_bias else 0.0
        t = 0
        if beta != 0.0:
            for j in range(r):
                out[i, j] = beta * out[i, j] + c
        else:
            # The first (up to four) rows of B initialise the row of out, with the bias.
            t = min(q, 4)
            if t == 4:
                a0, a1, a2, a3 = A[i, 0], A[i, 1], A[i, 2], A[i, 3]
                for j in range(r):
                    out[i, j] = c + a0 * B[0, j] + a1 * B[1, j] + a2 * B[2, j] + a3 * B[3, j]
            elif t == 3:
                a0, a1, a2 = A[i, 0], A[i, 1], A[i, 2]
                for j in range(r):
                    out[i, j] = c + a0 * B[0, j] + a1 * B[1, j] + a2 * B[2, j]
            elif t == 2:
                a0, a1 = A[i, 0], A[i, 1]
                for j in range(r):
                    out[i, j] = c + a0 * B[0, j] + a1 * B[1, j]
            else:
                a0 = A[i, 0]
                for j in range(r):
                    out[i, j] = c + a0 * B[0, j]
        while t + 4 <= q:
            a0, a1, a2, a3 = A[i, t], A[i, t + 1], A[i, t + 2], A[i, t + 3]
            for j in range(r):
                out[i, j] += a0 * B[t, j] + a1 * B[t + 1, j] + a2 * B[t + 2, j] + a3 * B[t + 3, j]
            t += 4
        if q - t == 3:
            a0, a1, a2 = A[i, t], A[i, t + 1], A[i, t + 2]
            for j in range(r):
                out[i, j] += a0 * B[t, j] + a1 * B[t + 1, j] + a2 * B[t + 2, j]
        elif q - t == 2:
            a0, a1 = A[i, t], A[i, t + 1]
            for j in range(r):
                out[i, j] += a0 * B[t, j] + a1 * B[t + 1, j]
        elif q - t == 1:
            a0 = A[i, t]
            for j in range(r):
                out[i, j] += a0 * B[t, j]


@njit(cache=True, fastmath=_FAST)
def _gemm_nt(A, Bt, out):
    """``out = A @ Bt.T``; all C-contiguous (dot products of rows, over the samples).

    The loop form takes four rows of ``A`` against each row of ``Bt``: four independent
    vectorised reductions per load of ``Bt[j]`` (twice as fast as one dot at a time).
    """
    p, q = A.shape
    r = Bt.shape[0]
    if p * q * r >= _BLAS_MIN_WORK:
        np.dot(A, Bt.T, out)
        return
    i = 0
    while i + 4 <= p:
        for j in range(r):
            s0 = 0.0
            s1 = 0.0
            s2 = 0.0
            s3 = 0.0
            for t in range(q):
                b = Bt[j, t]
                s0 += A[i, t] * b
                s1 += A[i + 1, t] * b
                s2 += A[i + 2, t] * b
                s3 += A[i + 3, t] * b
            out[i, j] = s0
            out[i + 1, j] = s1
            out[i + 2, j] = s2
            out[i + 3, j] = s3
        i += 4
    while i < p:
        for j in range(r):
            s = 0.0
            for t in range(q):
                s += A[i, t] * Bt[j, t]
            out[i, j] = s
        i += 1


@njit(cache=True)
def _sigmoid(t):
    # Branch on the sign so that exp never overflows.
    if t >= 0.0:
        return 1.0 / (1.0 + np.exp(-t))
    e = np.exp(t)
    return e / (1.0 + e)


@njit(cache=True)
def _activate(Z, A, D1, D2, act, beta):
    """``A = sigma(Z)``, and ``D1 = sigma'(Z)``, ``D2 = sigma''(Z)`` unless they are empty.

    2-D arrays of one shape. One loop per activation and quantity (fused loops vectorise
    worse). ReLU: ``relu'(z) = [z > 0]`` (so ``relu'(0) := 0``) and ``relu'' = 0``, the
    almost-everywhere derivatives. ``1 - sigmoid(t)`` is evaluated as ``sigmoid(-t)``, free of
    cancellation in the tails.
    """
    p, n = Z.shape
    d1 = D1.shape[0] > 0
    d2 = D2.shape[0] > 0
    for c in range(p):
        if act == RELU:
            for r in range(n):
                A[c, r] = max(Z[c, r], 0.0)
            if d1:
                for r in range(n):
                    D1[c, r] = 1.0 if Z[c, r] > 0.0 else 0.0
            if d2:
                for r in range(n):
                    D2[c, r] = 0.0
        elif act == TANH:
            for r in range(n):
                A[c, r] = np.tanh(Z[c, r])
            if d1:
                for r in range(n):
                    D1[c, r] = 1.0 - A[c, r] * A[c, r]
            if d2:
                for r in range(n):
                    D2[c, r] = -2.0 * A[c, r] * (1.0 - A[c, r] * A[c, r])
        elif act == SOFTPLUS:
            for r in range(n):
                # log(1 + e^(beta z)) / beta, never forming a large exponential.
                A[c, r] = max(Z[c, r], 0.0) + np.log1p(np.exp(-beta * abs(Z[c, r]))) / beta
            if d1:
                for r in range(n):
                    D1[c, r] = _sigmoid(beta * Z[c, r])
            if d2:
                for r in range(n):
                    D2[c, r] = beta * _sigmoid(beta * Z[c, r]) * _sigmoid(-beta * Z[c, r])
        elif act == SIGMOID:
            for r in range(n):
                A[c, r] = _sigmoid(Z[c, r])
            if d1:
                for r in range(n):
                    D1[c, r] = A[c, r] * _sigmoid(-Z[c, r])
            if d2:
                for r in range(n):
                    sm = _sigmoid(-Z[c, r])
                    D2[c, r] = A[c, r] * sm * (sm - A[c, r])
        else:  # LINEAR
            for r in range(n):
                A[c, r] = Z[c, r]
            if d1:
                for r in range(n):
                    D1[c, r] = 1.0
            if d2:
                for r in range(n):
                    D2[c, r] = 0.0


@njit(cache=True)
def layout(sizes):
    """Offsets ``(wo, bo, uo)``: of ``W_i`` and ``b_i`` in ``theta``, of layer ``i``'s units."""
    L = sizes.shape[0] - 1
    wo = np.empty(L, np.int64)
    bo = np.empty(L, np.int64)
    uo = np.empty(L + 1, np.int64)
    p = 0
    u = 0
    for i in range(L):
        wo[i] = p
        bo[i] = p + sizes[i] * sizes[i + 1]
        p = bo[i] + sizes[i + 1]
        uo[i] = u
        u += sizes[i + 1]
    uo[L] = u
    return wo, bo, uo


@njit(cache=True)
def _network_views(theta, grad, ws, sizes, N, order):
    """Per-layer 2-D views into ``theta``, ``grad`` and the workspace ``ws``.

    Returns lists indexed by layer: ``W, WT, b, gW, gb`` (weights, their transposes kept in
    ``ws``, biases, and the matching parts of ``grad``) and ``Z, A, D1, D2, G, dA``
    (``units x N``: pre-activations, activations, ``sigma'``, ``sigma''``, ``dL/dZ``,
    ``dL/dA``). What ``order`` does not need is ``0 x 0``: ``D1`` and ``G`` for the loss,
    ``D2`` and ``dA`` below the Hessian. ``ws`` holds ``6 N U + n`` doubles.
    """
    L = sizes.shape[0] - 1
    wo, bo, uo = layout(sizes)
    NU = N * uo[L]
    none = ws[:0].reshape((0, 0))
    W = [none]
    WT = [none]
    gW = [none]
    b = [ws[:0]]
    gb = [ws[:0]]
    Z = [none]
    A = [none]
    D1 = [none]
    D2 = [none]
    G = [none]
    dA = [none]
    for i in range(L):
        fi = sizes[i]
        fo = sizes[i + 1]
        W.append(theta[wo[i]:bo[i]].reshape((fi, fo)))
        WT.append(ws[6 * NU + wo[i]:6 * NU + bo[i]].reshape((fo, fi)))
        gW.append(grad[wo[i]:bo[i]].reshape((fi, fo)))
        b.append(theta[bo[i]:bo[i] + fo])
        gb.append(grad[bo[i]:bo[i] + fo])
        lo = N * uo[i]
        hi = N * uo[i + 1]
        Z.append(ws[lo:hi].reshape((fo, N)))
        A.append(ws[NU + lo:NU + hi].reshape((fo, N)))
        D1.append(ws[2 * NU + lo:2 * NU + hi].reshape((fo, N)) if order >= 1 else none)
        G.append(ws[3 * NU + lo:3 * NU + hi].reshape((fo, N)) if order >= 1 else none)
        D2.append(ws[4 * NU + lo:4 * NU + hi].reshape((fo, N)) if order >= 2 else none)
        dA.append(ws[5 * NU + lo:5 * NU + hi].reshape((fo, N)) if order >= 2 else none)
    # The placeholder at index 0 fixed the list types; drop it.
    return (W[1:], WT[1:], b[1:], gW[1:], gb[1:], Z[1:], A[1:], D1[1:], D2[1:], G[1:],
            dA[1:])


@njit(cache=True)
def _forward(Xt, W, WT, b, Z, A, D1, D2, act, beta):
    """Forward pass: ``Z_i = W_i^T A_{i-1} + b_i``; hidden layers also ``A_i = sigma(Z_i)`` and
    the derivatives that are not empty. The network output is ``Z[-1]``. Refreshes ``WT``
    from ``W`` first (C-order transposes keep every product on one specialisation of
    :func:`_gemm`)."""
    L = len(Z)
    for i in range(L):
        Wi = W[i]
        WTi = WT[i]
        for a in range(Wi.shape[0]):
            for c in range(Wi.shape[1]):
                WTi[c, a] = Wi[a, c]
    A_prev = Xt
    for i in range(L):
        _gemm(WT[i], A_prev, b[i], 0.0, Z[i])
        if i < L - 1:
            _activate(Z[i], A[i], D1[i], D2[i], act, beta)
            A_prev = A[i]


@njit(cache=True, fastmath=_FAST)
def _residual(F, Yt, scale, G):
    """Return ``mean((F - Yt)**2)``; unless ``G`` is empty set ``G = scale * (F - Yt)``."""
    K, N = Yt.shape
    write = G.shape[0] > 0
    s = 0.0
    for c in range(K):
        for r in range(N):
            e = F[c, r] - Yt[c, r]
            s += e * e
            if write:
                G[c, r] = scale * e
    return s / (K * N)


@njit(cache=True, fastmath=_FAST)
def _backward(Xt, W, A, D1, G, dA, gW, gb):
    """Backpropagation from ``G[-1] = dL/dF``: fills ``gW``, ``gb`` (views of the gradient)
    and ``G``; also ``dA`` of the hidden layers unless those views are empty (the R-operator
    needs them)."""
    L = len(G)
    for i in range(L - 1, -1, -1):
        Gi = G[i]
        A_prev = Xt if i == 0 else A[i - 1]
        _gemm_nt(A_prev, Gi, gW[i])
        gbi = gb[i]
        for c in range(Gi.shape[0]):
            s = 0.0
            for r in range(Gi.shape[1]):
                s += Gi[c, r]
            gbi[c] = s
        if i > 0:
            Gp = G[i - 1]
            _gemm(W[i], Gi, gbi[:0], 0.0, Gp)
            D1p = D1[i - 1]
            dAp = dA[i - 1]
            if dAp.shape[0] > 0:
                for a in range(Gp.shape[0]):
                    for r in range(Gp.shape[1]):
                        dAp[a, r] = Gp[a, r]
            for a in range(Gp.shape[0]):
                for r in range(Gp.shape[1]):
                    Gp[a, r] *= D1p[a, r]


@njit(cache=True, fastmath=_FAST)
def _rop(V, Xt, W, WT, A, D1, D2, G, dA, scale, out, RZb, RAb, RGb, VWf, VWb, T1b, T2b,
         wo, bo, uo):
    """Pearlmutter's R-operator on the ``k`` columns of ``V`` at once: ``out = H @ V``.

    Needs the forward pass with ``sigma'`` and ``sigma''`` and the backward pass with ``dA``.
    With ``R{.}`` the directional derivative along ``v = (VW_i, Vb_i)``::

        R Z_i  = W_i^T R A_{i-1} + VW_i^T A_{i-1} + Vb_i,     R A_i = sigma'(Z_i) R Z_i
        R G_out = scale R F
        R gW_i = A_{i-1} R G_i^T + R A_{i-1} G_i^T,            R gb_i = rowsum(R G_i)
        R G_{i-1} = (W_i R G_i + VW_i G_i) sigma'(Z_{i-1}) + dA_{i-1} sigma''(Z_{i-1}) R Z_{i-1}

    The ``R`` buffers are flat, layer ``i`` at ``N k uo[i]``, in the layout ``(units, k, N)``.
    (B. A. Pearlmutter, "Fast exact multiplication by the Hessian", Neural Computation 6,
    147-160, 1994.)
    """
    N = Xt.shape[1]
    L = len(W)
    k = V.shape[1]
    Nk = N * k
    # ---- R-forward
    for i in range(L):
        fi, fo = W[i].shape
        # The direction block arranged for both passes: [c*k + j, a] and [a*k + j, c].
        Vf = VWf[k * wo[i]:k * bo[i]].reshape((fo * k, fi))
        Vb = VWb[k * wo[i]:k * bo[i]].reshape((fi * k, fo))
        for a in range(fi):
            for c in range(fo):
                for j in range(k):
                    v = V[wo[i] + a * fo + c, j]
                    Vf[c * k + j, a] = v
                    Vb[a * k + j, c] = v
        A_prev = Xt if i == 0 else A[i - 1]
        lo = Nk * uo[i]
        hi = Nk * uo[i + 1]
        RZ = RZb[lo:hi].reshape((fo * k, N))
        Vbias = T1b[:fo * k]  # bias directions, row c*k + j
        for c in range(fo):
            for j in range(k):
                Vbias[c * k + j] = V[bo[i] + c, j]
        _gemm(Vf, A_prev, Vbias, 0.0, RZ)
        if i > 0:
            RA_prev = RAb[Nk * uo[i - 1]:lo].reshape((fi, Nk))
            _gemm(WT[i], RA_prev, Vbias[:0], 1.0, RZb[lo:hi].reshape((fo, Nk)))
        if i < L - 1:
            RA = RAb[lo:hi].reshape((fo * k, N))
            D1i = D1[i]
            for c in range(fo):
                for j in range(k):
                    for r in range(N):
                        RA[c * k + j, r] = D1i[c, r] * RZ[c * k + j, r]
    # ---- R-backward
    for p in range(Nk * uo[L - 1], Nk * uo[L]):
        RGb[p] = scale * RZb[p]
    for i in range(L - 1, -1, -1):
        fi, fo = W[i].shape
        lo = Nk * uo[i]
        hi = Nk * uo[i + 1]
        RG = RGb[lo:hi].reshape((fo * k, N))
        Gi = G[i]
        A_prev = Xt if i == 0 else A[i - 1]
        T1 = T1b[:fi * fo * k].reshape((fi, fo * k))  # [a, c*k + j]
        _gemm_nt(A_prev, RG, T1)
        for a in range(fi):
            for c in range(fo):
                for j in range(k):
                    out[wo[i] + a * fo + c, j] = T1[a, c * k + j]
        if i > 0:
            RA_prev = RAb[Nk * uo[i - 1]:lo].reshape((fi * k, N))
            T2 = T2b[:fi * k * fo].reshape((fi * k, fo))  # [a*k + j, c]
            _gemm_nt(RA_prev, Gi, T2)
            for a in range(fi):
                for c in range(fo):
                    for j in range(k):
                        out[wo[i] + a * fo + c, j] += T2[a * k + j, c]
        for c in range(fo):
            for j in range(k):
                s = 0.0
                for r in range(N):
                    s += RG[c * k + j, r]
                out[bo[i] + c, j] = s
        if i > 0:
            plo = Nk * uo[i - 1]
            none = T1b[:0]
            _gemm(W[i], RGb[lo:hi].reshape((fo, Nk)), none, 0.0, RGb[plo:lo].reshape((fi, Nk)))
            Vb = VWb[k * wo[i]:k * bo[i]].reshape((fi * k, fo))
            RGp = RGb[plo:lo].reshape((fi * k, N))
            _gemm(Vb, Gi, none, 1.0, RGp)
            RZp = RZb[plo:lo].reshape((fi * k, N))
            D1p = D1[i - 1]
            D2p = D2[i - 1]
            dAp = dA[i - 1]
            for a in range(fi):
                for j in range(k):
                    q = a * k + j
                    for r in range(N):
                        RGp[q, r] = RGp[q, r] * D1p[a, r] + dAp[a, r] * D2p[a, r] * RZp[q, r]


@njit(cache=True)
def block_size(n, n_samples, n_units):
    """Number of Hessian columns formed per R-operator pass (work arrays of bounded size)."""
    return max(1, min(n, _RBLOCK_BUDGET // (n_samples * n_units)))


# --------------------------------------------------------------------------- entry points
@njit(cache=True, nogil=True)
def mlp_eval(P, V, Xt, Yt, sizes, act, beta, order, f, out, j0, j1):
    """Evaluate at the columns ``j0:j1`` of ``P`` (``n x m``), serially.

    ``order`` 0: losses into ``f`` (shape ``(m,)``). 1: losses into ``f`` and gradients into
    ``out`` (``(n, m)``). 2: Hessians into ``out`` (``(n, n, m)``). 3: Hessian-vector products
    ``H(P[:, j]) @ V[:, j]`` into ``out`` (``(n, m)``; ``V`` is ignored for the other orders).
    ``out`` is passed flattened (C order).

    This is the only serial entry point, and :func:`mlp_eval_parallel` the only parallel one:
    numba generates machine code again for the whole call tree of every compiled entry point,
    so fewer entry points is what keeps the cold-cache compile short. The Hessian is formed by
    R-operator passes over blocks of unit vectors that share the point's forward and backward
    pass, and is symmetrised (its triangles differ only by rounding).
    """
    n, m = P.shape
    N = Xt.shape[1]
    L = sizes.shape[0] - 1
    wo, bo, uo = layout(sizes)
    NU = N * uo[L]
    theta = np.empty(n)
    grad = np.empty(n)
    ws = np.empty(6 * NU + n)
    W, WT, b, gW, gb, Z, A, D1, D2, G, dA = _network_views(theta, grad, ws, sizes, N, order)
    scale = 2.0 / Yt.size
    # R-operator work arrays: k directions per pass.
    k = 0
    if order == 2:
        k = block_size(n, N, uo[L])
    elif order == 3:
        k = 1
    maxw = 0
    for i in range(L):
        maxw = max(maxw, sizes[i] * sizes[i + 1])
    RZb = np.empty(NU * k)
    RAb = np.empty(NU * k)
    RGb = np.empty(NU * k)
    VWf = np.empty(n * k)
    VWb = np.empty(n * k)
    T1b = np.empty(max(maxw, 1) * k)
    T2b = np.empty(max(maxw, 1) * k)
    E = np.zeros((n, k))
    Hb = np.empty((n, k))
    for j in range(j0, j1):
        for p in range(n):
            theta[p] = P[p, j]
        _forward(Xt, W, WT, b, Z, A, D1, D2, act, beta)
        f[j] = _residual(Z[L - 1], Yt, scale, G[L - 1])
        if order == 0:
            continue
        _backward(Xt, W, A, D1, G, dA, gW, gb)
        if order == 1:
            for p in range(n):
                out[p * m + j] = grad[p]
        elif order == 3:
            for p in range(n):
                E[p, 0] = V[p, j]
            _rop(E, Xt, W, WT, A, D1, D2, G, dA, scale, Hb, RZb, RAb, RGb, VWf, VWb, T1b,
                 T2b, wo, bo, uo)
            for p in range(n):
                out[p * m + j] = Hb[p, 0]
        else:
            for s0 in range(0, n, k):
                kb = min(k, n - s0)
                Eb = E if kb == k else np.zeros((n, kb))
                Ob = Hb if kb == k else np.empty((n, kb))
                for c in range(kb):
                    Eb[s0 + c, c] = 1.0
                _rop(Eb, Xt, W, WT, A, D1, D2, G, dA, scale, Ob, RZb, RAb, RGb, VWf, VWb,
                     T1b, T2b, wo, bo, uo)
                for c in range(kb):
                    Eb[s0 + c, c] = 0.0
                for p in range(n):
                    for c in range(kb):
                        out[(p * n + s0 + c) * m + j] = Ob[p, c]
            for p in range(n):
                for q in range(p + 1, n):
                    upper = (p * n + q) * m + j
                    lower = (q * n + p) * m + j
                    h = 0.5 * (out[upper] + out[lower])
                    out[upper] = h
                    out[lower] = h


@njit(cache=True, parallel=True)
def mlp_eval_parallel(P, V, Xt, Yt, sizes, act, beta, order, f, out, chunks):
    """:func:`mlp_eval` over all columns of ``P``, split in ``chunks`` ranges run in parallel.

    One chunk per thread: each chunk allocates its workspace and views once (~2 us), and
    numba's ``prange`` splits the chunks evenly between its threads.
    """
    m = P.shape[1]
    for c in prange(chunks):
        i = np.int64(c)  # the prange index is unsigned; keep one signature for the callee
        mlp_eval(P, V, Xt, Yt, sizes, act, beta, order, f, out, i * m // chunks,
                 (i + 1) * m // chunks)
