"""Numba kernels of LAML's dense BFGS predictor.

:func:`bfgs_update_inplace` applies the BFGS update of the inverse Hessian to a dense
symmetric matrix in place, element by element with the floating-point operations of the
formula ``H - rho (Hy s^T + s Hy^T) + (rho^2 y^T H y + rho) s s^T`` written with NumPy
(``outer``, ``P + P.T``, ``*= rho``, subtraction, ``outer(s, s) * c``, addition): the result
is bit for bit that of the NumPy expression, in one pass over the matrix and without its seven
``n x n`` temporaries. (No ``fastmath``: LLVM then contracts nothing into fused multiply-adds.)
"""
import numpy as np
from numba import njit


@njit(cache=True)
def bfgs_update_inplace(H, s, Hy, rho, c):
    """``H[i, j] = (H[i, j] - (Hy[i] s[j] + Hy[j] s[i]) rho) + (s[i] s[j]) c`` for all
    ``i, j`` (`H` C-contiguous, square)."""
    n = H.shape[0]
    for i in range(n):
        hi = Hy[i]
        si = s[i]
        for j in range(n):
            H[i, j] = (H[i, j] - (hi * s[j] + Hy[j] * si) * rho) + (si * s[j]) * c


@njit(cache=True)
def vdot(a, b):
    """``a . b`` of two 1-D float arrays, summed in order: the dot product every quantity of
    the dense-model step shares (LAML's general loop and its inlined default step compute
    each with it, so that both take the same decisions on the same values)."""
    acc = 0.0
    for i in range(a.shape[0]):
        acc += a[i] * b[i]
    return acc


@njit(cache=True)
def neg_symv(H, g):
    """``-(H g)`` for a symmetric C-contiguous `H`, accumulated over the rows of `H` (a
    vectorisable order)."""
    n = g.shape[0]
    d = np.zeros(n)
    for j in range(n):
        gj = g[j]
        for i in range(n):
            d[i] += H[j, i] * gj
    for i in range(n):
        d[i] = -d[i]
    return d


@njit(cache=True)
def dense_prediction(H, g, x, c):
    """The dense BFGS model's step in one call, each value computed as the general loop
    computes it (:func:`neg_symv`, :func:`vdot`, NumPy's elementwise operations): the
    direction ``d = -H g``, ``d . g``, whether `d` is finite, the end ``x* = x + c d``, the
    step ``x* - x`` actually taken, its squared length, and ``|(x* - x) - d|^2`` and
    ``|d|^2`` (the rounding of the end)."""
    return _prediction(neg_symv(H, g), g, x, c)


@njit(cache=True)
def lbfgs_prediction(g, S, Y, rho, start, count, x, c):
    """:func:`dense_prediction` for an L-BFGS memory (:func:`two_loop`'s arguments): the
    direction ``d = -(two_loop(g))``."""
    return _prediction(-two_loop(g, S, Y, rho, start, count), g, x, c)


@njit(cache=True)
def _prediction(d, g, x, c):
    n = g.shape[0]
    dg = vdot(d, g)
    finite = True
    for i in range(n):
        if not np.isfinite(d[i]):
            finite = False
    x_star = np.empty(n)
    d_end = np.empty(n)
    e = np.empty(n)
    for i in range(n):
        x_star[i] = x[i] + c * d[i]
        d_end[i] = x_star[i] - x[i]
        e[i] = d_end[i] - d[i]
    return d, x_star, d_end, dg, finite, vdot(d_end, d_end), vdot(e, e), vdot(d, d)


@njit(cache=True)
def dot4(a, b):
    """``a . b`` summed in four interleaved partial sums, ``(s0 + s1) + (s2 + s3)``: a fixed
    order (the same bits on every call) that does not wait on one long chain of additions,
    which made the L-BFGS recursion's hundreds of dot products latency-bound."""
    n = a.shape[0]
    s0 = s1 = s2 = s3 = 0.0
    k = n - n % 4
    for i in range(0, k, 4):
        s0 += a[i] * b[i]
        s1 += a[i + 1] * b[i + 1]
        s2 += a[i + 2] * b[i + 2]
        s3 += a[i + 3] * b[i + 3]
    for i in range(k, n):
        s0 += a[i] * b[i]
    return (s0 + s1) + (s2 + s3)


@njit(cache=True)
def pair_rho(s, y):
    """``1 / (s . y)`` of one curvature pair, as :func:`two_loop` uses it."""
    return 1.0 / dot4(y, s)


@njit(cache=True)
def two_loop(v, S, Y, rho, start, count):
    """``H v`` for the L-BFGS inverse Hessian of `count` pairs kept in the rows of `S` and
    `Y` as a ring: the ``k``-th oldest pair in row ``(start + k) % len(S)``, ``rho`` its
    :func:`pair_rho` (initial matrix ``(s.y / y.y) I`` of the newest pair): the two-loop
    recursion (Nocedal & Wright, alg. 7.4), its dot products those of :func:`dot4`."""
    m = S.shape[0]
    n = v.shape[0]
    q = v.copy()
    alpha = np.empty(count)
    for k in range(count - 1, -1, -1):
        r = (start + k) % m
        a = rho[r] * dot4(S[r], q)
        alpha[k] = a
        for i in range(n):
            q[i] -= a * Y[r, i]
    r = (start + count - 1) % m
    gamma = dot4(S[r], Y[r]) / dot4(Y[r], Y[r])
    for i in range(n):
        q[i] *= gamma
    for k in range(count):
        r = (start + k) % m
        c = alpha[k] - rho[r] * dot4(Y[r], q)
        for i in range(n):
            q[i] += c * S[r, i]
    return q


@njit(cache=True)
def bfgs_pair_update(H, s, y, curvature_tol):
    """The whole BFGS update of the dense inverse Hessian `H` (symmetric, C-contiguous) by the
    pair ``(s, y)``, in one call: skipped (returns False) unless ``s.y > curvature_tol |s|
    |y|``; otherwise ``Hy`` (from the rows of the symmetric `H`, a vectorisable order) and
    :func:`bfgs_update_inplace` with ``rho = 1 / s.y``, ``c = rho^2 y.Hy + rho``. The dot
    products are sequential sums, so the result differs from NumPy's (BLAS) at rounding
    level; `H` stays exactly symmetric."""
    n = s.shape[0]
    sy = 0.0
    ss = 0.0
    yy = 0.0
    for i in range(n):
        sy += s[i] * y[i]
        ss += s[i] * s[i]
        yy += y[i] * y[i]
    if not sy > curvature_tol * np.sqrt(ss * yy):
        return False
    Hy = np.zeros(n)
    for j in range(n):
        yj = y[j]
        for i in range(n):
            Hy[i] += H[j, i] * yj
    yHy = 0.0
    for i in range(n):
        yHy += y[i] * Hy[i]
    rho = 1.0 / sy
    bfgs_update_inplace(H, s, Hy, rho, rho * rho * yHy + rho)
    return True


@njit(cache=True)
def _gauss_kinetic(alpha, beta, k, norm2, lam, T, series, tiny):
    """``1/2 |d|^2 e1^T I_AA(sqrt(lam T_k^-1)) e1`` of the leading ``k x k`` block of the
    Lanczos tridiagonal matrix, and its least Ritz value (see :func:`lanczos_kinetic`)."""
    Tk = np.zeros((k, k))
    for i in range(k):
        Tk[i, i] = alpha[i]
        if i + 1 < k:
            Tk[i, i + 1] = beta[i]
            Tk[i + 1, i] = beta[i]
    if k == 1:
        h = np.empty(1)
        h[0] = alpha[0]
        V = np.ones((1, 1))
    else:
        h, V = np.linalg.eigh(Tk)
    total = 0.0
    h_min = np.inf
    for i in range(k):
        hi = max(h[i], tiny)
        h_min = min(h_min, hi)
        w = np.sqrt(lam / hi)
        x = w * T
        if x < series:
            I_aa = 1.0 / T
        else:
            eps = np.exp(-2.0 * x)
            one_m = -np.expm1(-2.0 * x)
            I_aa = w * w * 2.0 * T * eps / one_m ** 2 + w * (1.0 + eps) / (2.0 * one_m)
        total += V[0, i] * V[0, i] * I_aa
    return 0.5 * norm2 * total, h_min


@njit(cache=True)
def lanczos_kinetic(H, d, steps, lam, T, breakdown, series, tiny):
    """The Lanczos part of :func:`~lagopt.optim.laml.model_path.krylov_kinetic`: `steps`
    steps of the recursion on the symmetric `H` from `d` (``|d| > 0``; full
    reorthogonalisation, twice), stopped early when the Krylov space is invariant (the new
    vector's norm below `breakdown` times the first diagonal entry), then the Gauss rules of
    the tridiagonal matrix after ``k`` and ``k - 2`` steps.

    Returns ``(G_k, G_{k-2}, h_min, k, invariant)``: ``G_{k-2}`` is 0 when ``k <= 2`` and NaN
    when not formed (the space invariant, or ``k = n``: then ``G_k`` is exact to rounding);
    ``h_min`` the least Ritz value of ``T_k``."""
    n = d.shape[0]
    Qm = np.empty((steps, n))
    alpha = np.empty(steps)
    beta = np.empty(steps)
    c = np.empty(steps)
    norm2 = 0.0
    for i in range(n):
        norm2 += d[i] * d[i]
    nrm = np.sqrt(norm2)
    for i in range(n):
        Qm[0, i] = d[i] / nrm
    k = steps
    invariant = False
    tol = 0.0
    for j in range(steps):
        w = H @ Qm[j]
        for sweep in range(2):            # twice is enough (Giraud et al., 2005)
            for m in range(j + 1):
                acc = 0.0
                for i in range(n):
                    acc += Qm[m, i] * w[i]
                c[m] = acc
            if sweep == 0:
                alpha[j] = c[j]
            for m in range(j + 1):
                cm = c[m]
                for i in range(n):
                    w[i] -= cm * Qm[m, i]
        b2 = 0.0
        for i in range(n):
            b2 += w[i] * w[i]
        b = np.sqrt(b2)
        beta[j] = b
        if j == 0:
            tol = breakdown * abs(alpha[0])
        if b <= tol:
            k = j + 1
            invariant = True
            break
        if j + 1 < steps:
            for i in range(n):
                Qm[j + 1, i] = w[i] / b
    G, h_min = _gauss_kinetic(alpha, beta, k, norm2, lam, T, series, tiny)
    if invariant or k == n:
        return G, np.nan, h_min, k, invariant
    G_old = 0.0
    if k > 2:
        G_old, _ = _gauss_kinetic(alpha, beta, k - 2, norm2, lam, T, series, tiny)
    return G, G_old, h_min, k, invariant


def warm_up():
    """Compile (or load from the cache) every kernel of this module for the argument types
    LAML passes, so that a timed run does not pay for it."""
    n = 3
    H = np.eye(n)
    v = np.ones(n)
    S = np.eye(n)[:2].copy()
    Y = 2.0 * S
    rho = np.array([pair_rho(S[0], Y[0]), pair_rho(S[1], Y[1])])
    vdot(v, v)
    neg_symv(H, v)
    dense_prediction(H, v, v, 1.0)
    lbfgs_prediction(v, S, Y, rho, 1, 2, v, 1.0)
    two_loop(v, S, Y, rho, 0, 2)
    bfgs_pair_update(H.copy(), v, 2.0 * v, 1e-10)
    bfgs_update_inplace(H.copy(), v, v, 0.5, 0.25)
    lanczos_kinetic(H, v, 2, 1.0, 1.0, 1e-13, 1e-4, 1e-300)
