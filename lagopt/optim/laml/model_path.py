r"""The least-action path of a local quadratic model, in closed form.

Around the iterate ``x`` the loss is modelled as ``m(x + d) = L + g.d + 1/2 d^T B d``. The
Euler-Lagrange equation of the action ``int 1/2 |d'|^2 + lam m(x + d) dt`` is the linear system
``d'' = lam (g + B d)``, whose solution with ``d(0) = 0``, ``d(T) = d_T`` is, with
``Omega = sqrt(lam B)`` and the model's minimiser step ``d* = -B^-1 g``,

.. math::

    d(t) = d^* - \frac{\sinh(\Omega (T - t))}{\sinh(\Omega T)} d^*
               + \frac{\sinh(\Omega t)}{\sinh(\Omega T)} (d_T - d^*).

For ``d_T = d*`` (the full model step) this is ``[I - sinh(Omega (T-t)) sinh(Omega T)^-1] d*``:
the stiff directions (large curvature) settle first, the soft ones move almost linearly. For
large ``omega T`` the path leaves along ``-sqrt(lam) B^{-1/2} g`` -- between the gradient and the
Newton direction -- and ends on the Newton step, much like the Levenberg-Marquardt curve
``-(B + mu I)^-1 g`` with ``mu ~ 1 / (lam t^2)``. No gradient evaluation is needed.

:class:`QuadraticModel` holds ``B`` in the form an L-BFGS memory gives it: on a subspace spanned
by the gradient and the stored pairs ``(s, y)`` an explicit small symmetric matrix, on its
orthogonal complement ``b_perp I`` (``1 / gamma`` of the L-BFGS initial matrix). The path then
costs ``O(n k)`` for ``k <= 2 m + 1`` basis vectors. A dense BFGS matrix gives it on the
whole space (``k = n``, one eigendecomposition: ``O(n^3)``, for small ``n``); its kinetic
energy alone, which is what LAML's criterion needs, costs ``O(n^2)`` by Lanczos quadrature
(:func:`krylov_kinetic`), and its closed-form bounds (:func:`kinetic_bounds`) ``O(1)`` from
two numbers the predictor already has -- enough for most of the criterion's decisions.
"""
import math

import numpy as np

from ._kernels import lanczos_kinetic, pair_rho, two_loop

__all__ = ["QuadraticModel", "ModelPath", "lbfgs_inverse_apply", "krylov_kinetic",
           "kinetic_bounds"]

_TINY = np.finfo(float).tiny

# Basis vectors whose QR diagonal falls below this fraction of the largest are dropped
# (linearly dependent pairs).
_RANK_TOL = 1e-10
# Below this omega T a mode is a free particle: sinh ratios are replaced by the linear limits.
_OMEGA_T_LINEAR = 1e-8
# Modes stiffer than this are computed as this stiff (omega^2 stays finite): their ratios are
# the instant-settling limits to rounding, where an infinite omega would give inf * 0.
_OMEGA_MAX = 1e150


def lbfgs_inverse_apply(v, pairs):
    """``H v`` for the L-BFGS inverse-Hessian approximation of ``pairs`` ``(s, y)`` (oldest
    first; initial matrix ``(s.y / y.y) I`` of the newest pair), by the two-loop recursion;
    `v` of shape ``(n,)`` or ``(n, k)`` (every column at once)."""
    q = np.array(v, dtype=np.float64, copy=True)
    if q.ndim == 2:
        return _lbfgs_inverse_apply_block(q, pairs)
    return two_loop(q, *stack_pairs(pairs))


def stack_pairs(pairs):
    """The pairs ``(s, y)`` (oldest first) in the form the compiled two-loop recursion takes:
    ``(S, Y, rho, 0, m)``, their rows, their ``1 / (s . y)`` and the ring's start and count
    (see :class:`PairRing`)."""
    S = np.array([p[0] for p in pairs], dtype=np.float64)
    Y = np.array([p[1] for p in pairs], dtype=np.float64)
    rho = np.array([pair_rho(s, y) for s, y in zip(S, Y)])
    return S, Y, rho, 0, len(pairs)


class PairRing:
    """The last `capacity` curvature pairs in preallocated rows, overwritten oldest first.

    Re-stacking a memory of ``m`` pairs into arrays at every iteration copies ``2 m n``
    numbers; a ring copies the new pair only, and ``1 / (s . y)`` is computed once per pair.
    :meth:`arrays` gives the arguments of the compiled two-loop recursion.
    """

    __slots__ = ("capacity", "S", "Y", "rho", "start", "count")

    def __init__(self, capacity):
        self.capacity = int(capacity)
        self.S = self.Y = self.rho = None
        self.start = self.count = 0

    def push(self, s, y):
        if self.S is None or self.S.shape[1] != s.size:
            self.S = np.empty((self.capacity, s.size))
            self.Y = np.empty((self.capacity, s.size))
            self.rho = np.empty(self.capacity)
            self.start = self.count = 0
        if self.count < self.capacity:
            row = (self.start + self.count) % self.capacity
            self.count += 1
        else:
            row = self.start
            self.start = (self.start + 1) % self.capacity
        self.S[row] = s
        self.Y[row] = y
        self.rho[row] = pair_rho(self.S[row], self.Y[row])

    def clear(self):
        self.start = self.count = 0

    def arrays(self):
        """``(S, Y, rho, start, count)``."""
        return self.S, self.Y, self.rho, self.start, self.count


def _lbfgs_compact_apply(V, pairs):
    """``H V`` (``V`` of shape ``(n, k)``) from the compact representation of the L-BFGS
    matrix (Byrd, Nocedal & Schnabel, Math. Programming 63 (1994), Thm. 2.2): with ``S``,
    ``Y`` the pairs as columns, ``R`` the upper triangle of ``S^T Y``, ``D`` its diagonal
    and ``gamma`` the initial scaling, ``H = gamma I + W M W^T``, ``W = [S, gamma Y]``,
    ``M = [[R^-T (D + gamma Y^T Y) R^-1, -R^-T], [-R^-1, 0]]``: the two-loop recursion's
    matrix, in three matrix products."""
    S = np.column_stack([p[0] for p in pairs])
    Y = np.column_stack([p[1] for p in pairs])
    m = S.shape[1]
    s, y = pairs[-1]
    gamma = float(s @ y) / float(y @ y)
    SY = S.T @ Y
    R_inv = np.linalg.inv(np.triu(SY))
    M = np.zeros((2 * m, 2 * m))
    M[:m, :m] = R_inv.T @ (np.diag(np.diag(SY)) + gamma * (Y.T @ Y)) @ R_inv
    M[:m, m:] = -R_inv.T
    M[m:, :m] = -R_inv
    W = np.hstack([S, gamma * Y])
    return gamma * V + W @ (M @ (W.T @ V))


def _lbfgs_inverse_apply_block(Q, pairs):
    """The two-loop recursion applied to every column of `Q` at once (overwritten)."""
    alphas = []
    for s, y in reversed(pairs):
        rho = 1.0 / float(y @ s)
        a = rho * (s @ Q)
        Q -= np.multiply.outer(y, a)
        alphas.append((rho, a, s, y))
    s, y = pairs[-1]
    Q *= float(s @ y) / float(y @ y)
    for rho, a, s, y in reversed(alphas):
        b = rho * (y @ Q)
        Q += np.multiply.outer(s, a - b)
    return Q


class QuadraticModel:
    """``m(x + d) = loss + g.d + 1/2 d^T B d`` with ``B = Q V diag(b) V^T Q^T + b_perp (I -
    Q Q^T)`` (``Q`` orthonormal, ``n x k``; ``b > 0``; ``g`` in the span of ``Q``; ``Q =
    None`` for the whole space, ``k = n``, where ``b_perp`` plays no part).

    Parameters
    ----------
    g : ndarray, shape (n,)
        Gradient at the iterate.
    Q : ndarray, shape (n, k), or None
    b : ndarray, shape (k,)
        Curvatures of the model in the eigenbasis ``Q V``.
    V : ndarray, shape (k, k)
        Orthogonal.
    b_perp : float
        Curvature on the orthogonal complement of ``Q``.
    loss : float, optional
        Loss at the iterate (the model's constant).
    """

    def __init__(self, g, Q, b, V, b_perp, loss=0.0):
        self.g = np.asarray(g, dtype=np.float64)
        self.Q, self.b, self.V = Q, np.asarray(b, dtype=np.float64), V
        self.b_perp = float(b_perp)
        self.loss = float(loss)
        # The eigenvectors of B inside the subspace (Q None: the whole space, U = V).
        self.U = V if Q is None else Q @ V

    @classmethod
    def from_lbfgs(cls, g, pairs, loss=0.0):
        """The model whose inverse Hessian is the L-BFGS approximation of `pairs` (every pair
        with ``s.y > 0``): restricted to ``span(g, s_i, y_i)``, which ``H`` maps into itself,
        and ``1 / gamma`` (the inverse of its initial scaling) outside it."""
        g = np.asarray(g, dtype=np.float64)
        cols = [g] + [s for s, _ in pairs] + [y for _, y in pairs]
        Q, R = np.linalg.qr(np.column_stack(cols))
        d = np.abs(np.diag(R))
        Q = Q[:, d > _RANK_TOL * max(float(d.max()), np.finfo(float).tiny)]
        HQ = _lbfgs_compact_apply(Q, pairs)          # every column at once
        Hk = Q.T @ HQ
        h, V = np.linalg.eigh(0.5 * (Hk + Hk.T))
        h = np.maximum(h, np.finfo(float).tiny)
        s, y = pairs[-1]
        gamma = float(s @ y) / float(y @ y)
        return cls(g, Q, 1.0 / h, V, 1.0 / gamma, loss)

    @classmethod
    def from_inverse(cls, g, H, loss=0.0):
        """The model whose inverse Hessian is the dense symmetric positive definite `H` (a
        BFGS matrix), on the whole space: ``B = H^-1`` by one eigendecomposition of `H`."""
        g = np.asarray(g, dtype=np.float64)
        h, V = np.linalg.eigh(0.5 * (H + H.T))
        h = np.maximum(h, np.finfo(float).tiny)
        return cls(g, None, 1.0 / h, V, 1.0 / float(np.max(h)), loss)

    @classmethod
    def from_step(cls, g, step, loss=0.0):
        """``B = I / step``: the model whose minimiser step is the gradient step ``-step g``."""
        g = np.asarray(g, dtype=np.float64)
        norm = float(np.linalg.norm(g))
        Q = (g / norm)[:, None] if norm > 0 else np.zeros((g.size, 0))
        k = Q.shape[1]
        return cls(g, Q, np.full(k, 1.0 / step), np.eye(k), 1.0 / step, loss)

    @property
    def k(self):
        return self.b.size

    def minimiser_step(self):
        """``d* = -B^-1 g`` (``g`` lies in the span of ``Q``)."""
        return -self.U @ ((self.U.T @ self.g) / self.b)

    def path(self, d_end, lam, T):
        """The model's least-action path from ``0`` to `d_end` (a :class:`ModelPath`)."""
        return ModelPath(self, np.asarray(d_end, dtype=np.float64), float(lam), float(T))


def _ratios(omega, t, T):
    """``A = sinh(omega (T - t)) / sinh(omega T)``, ``C = sinh(omega t) / sinh(omega T)`` and
    their time derivatives, overflow-free, for modes ``omega`` (shape ``(k,)``) at times `t`
    (shape ``(m,)``); arrays ``(k, m)``. Linear limits for ``omega T`` below `_OMEGA_T_LINEAR`."""
    w = np.asarray(omega, dtype=np.float64)[:, None]
    t = np.asarray(t, dtype=np.float64)[None, :]
    lin = (w * T < _OMEGA_T_LINEAR)
    # An infinite mode (a model curvature that overflowed) settles at once; capped, it gives
    # those limits instead of inf * 0.
    ws = np.minimum(np.where(lin, 1.0, w), _OMEGA_MAX)
    den = -np.expm1(-2.0 * ws * T)
    eA, eC = np.exp(-ws * t), np.exp(-ws * (T - t))
    fA, fC = np.exp(-2.0 * ws * (T - t)), np.exp(-2.0 * ws * t)
    A = eA * (1.0 - fA) / den
    C = eC * (1.0 - fC) / den
    dA = -ws * eA * (1.0 + fA) / den
    dC = ws * eC * (1.0 + fC) / den
    A = np.where(lin, (T - t) / T, A)
    C = np.where(lin, t / T, C)
    dA = np.where(lin, -1.0 / T, dA)
    dC = np.where(lin, 1.0 / T, dC)
    return A, C, dA, dC


class ModelPath:
    """The closed-form least-action path of a :class:`QuadraticModel` from ``0`` to ``d_end``.

    Calling it at times ``t`` gives the displacements ``d(t)`` (shape ``(n, len(t))``);
    :meth:`velocity` their derivative; :attr:`kinetic` the exact kinetic part of its action
    and :meth:`model_action` the whole action under the model, both in closed form.
    """

    def __init__(self, model, d_end, lam, T):
        self.model, self.lam, self.T = model, lam, T
        U = model.U
        with np.errstate(over="ignore"):     # an overflowing mode is capped in _ratios
            self.omega = np.sqrt(lam * model.b)
        self.omega_perp = float(np.sqrt(lam * model.b_perp))
        self.c_star = (U.T @ model.minimiser_step())
        self.c_end = U.T @ d_end
        self.perp = d_end - U @ self.c_end  # moves as a free mode of curvature b_perp

    def _coords(self, t, derivative=False):
        A, C, dA, dC = _ratios(self.omega, t, self.T)
        Ap, Cp, dAp, dCp = _ratios(np.array([self.omega_perp]), t, self.T)
        cs, ce = self.c_star[:, None], self.c_end[:, None]
        if derivative:
            return -cs * dA + (ce - cs) * dC, dCp[0]
        return cs * (1.0 - A) + (ce - cs) * C, Cp[0]

    def __call__(self, t):
        t = np.atleast_1d(np.asarray(t, dtype=np.float64))
        c, w = self._coords(t)
        return self.model.U @ c + np.outer(self.perp, w)

    def velocity(self, t):
        t = np.atleast_1d(np.asarray(t, dtype=np.float64))
        c, w = self._coords(t, derivative=True)
        return self.model.U @ c + np.outer(self.perp, w)

    @property
    def kinetic(self):
        """``int_0^T 1/2 |d'(t)|^2 dt``, in closed form mode by mode (the ``Q`` columns are
        orthonormal and ``perp`` orthogonal to them): with ``u_j = c*_j (1 - A_j) + e_j C_j``,
        ``e = c_end - c*``, it is ``1/2 sum_j (c*_j^2 I_AA + e_j^2 I_AA - 2 c*_j e_j I_AC)``
        (`_kinetic_integrals`), exact however thin the boundary layers are."""
        I_aa, I_ac = _kinetic_integrals(self.omega, self.T)
        cs, e = self.c_star, self.c_end - self.c_star
        k = 0.5 * float(np.sum(cs * cs * I_aa + e * e * I_aa - 2.0 * cs * e * I_ac))
        p_aa, _ = _kinetic_integrals(np.array([self.omega_perp]), self.T)
        return k + 0.5 * float(self.perp @ self.perp) * float(p_aa[0])

    def model_action(self):
        """The action under the model, ``kinetic + lam int_0^T m(x + d(t)) dt``.

        Multiplying ``d'' = lam (g + B d)`` by ``d`` and integrating by parts gives
        ``lam int (g.d + d^T B d) = d_T . d'(T) - 2 kinetic``, hence the closed form
        ``lam L T + lam/2 g . int d + 1/2 d_T . d'(T)`` with ``int_0^T A = int_0^T C =
        tanh(omega T / 2) / omega`` per mode.
        """
        w = self.omega
        tau = np.where(w * self.T < _OMEGA_T_LINEAR, 0.5 * self.T,
                       np.tanh(0.5 * w * self.T) / np.where(w > 0, w, 1.0))
        int_c = self.c_star * (self.T - tau) + (self.c_end - self.c_star) * tau
        g_c = self.model.U.T @ self.model.g
        d_T = self(np.array([self.T]))[:, 0]
        v_T = self.velocity(np.array([self.T]))[:, 0]
        return (self.lam * self.model.loss * self.T + 0.5 * self.lam * float(g_c @ int_c)
                + 0.5 * float(d_T @ v_T))


# Below this omega T the kinetic integrals take their free-particle values (relative error
# (omega T)^2 / 3 < 4e-9).
_OMEGA_T_SERIES = 1e-4


def _kinetic_integrals(omega, T):
    """``I_AA = int_0^T A'^2 dt = int_0^T C'^2 dt`` and ``I_AC = int_0^T A' C' dt`` for
    ``A = sinh(omega (T - t)) / sinh(omega T)``, ``C = sinh(omega t) / sinh(omega T)``,
    written with ``eps = exp(-2 omega T)`` so that nothing overflows."""
    w = np.asarray(omega, dtype=np.float64)
    x = w * T
    small = x < _OMEGA_T_SERIES
    ws = np.minimum(np.where(small, 1.0, w), _OMEGA_MAX)
    xs = ws * T
    eps = np.exp(-2.0 * xs)
    one_m = -np.expm1(-2.0 * xs)
    I_aa = ws * ws * 2.0 * T * eps / one_m**2 + ws * (1.0 + eps) / (2.0 * one_m)
    h = np.exp(-xs)
    I_ac = -(ws * ws * T * h * (1.0 + eps) / one_m**2 + ws * h / one_m)
    return np.where(small, 1.0 / T, I_aa), np.where(small, -1.0 / T, I_ac)


# ----------------------------------------------------------------------------- Krylov kinetic
#: Lanczos steps of :func:`krylov_kinetic` (products with the inverse Hessian).
KRYLOV_MAX_STEPS = 8
# A Lanczos vector whose norm falls below this fraction of the first diagonal entry ends the
# recursion: the Krylov space is invariant and the quadrature exact.
_LANCZOS_BREAKDOWN = 1e-13


def krylov_kinetic(H, d, lam, T, max_steps=KRYLOV_MAX_STEPS, d_star=None):
    r"""The kinetic energy of the least-action path of the model ``B = H^-1`` (dense
    symmetric positive definite `H`) from ``0`` to `d`, the model's minimiser step ``d* = -H
    g`` up to rounding, by Lanczos (Gauss) quadrature, without an eigendecomposition of `H`.

    With ``u = T sqrt(lam b)`` a mode of curvature ``b`` contributes ``I_AA / 2 = J(u) / (2 T)``
    per unit squared amplitude, where (from ``u coth u = 1 + 2 sum_k u^2 / (u^2 + k^2 pi^2)``)

    .. math::

        J(u) = \frac{u}{2}\Big(\coth u + \frac{u}{\sinh^2 u}\Big)
             = 1 + 2\sum_{k\ge1} \frac{\beta^2}{(\beta + k^2\pi^2 h)^2},
             \qquad \beta = \lambda T^2,\; h = 1/b,

    so ``K = d^T f(H) d / (2T)`` with ``f(h) = J`` *completely monotone* in ``h`` (its
    derivatives alternate in sign). For such an ``f`` the ``k``-point Gauss rule of the
    Lanczos process started from `d`, ``|d|^2 e1^T f(T_k) e1``, is a lower bound of the exact
    value that increases with ``k`` (Golub & Meurant, *Matrices, Moments and Quadrature*,
    2010, ch. 6). The recursion (``k`` products with `H`, ``O(n^2 k)``, full
    reorthogonalisation) runs `max_steps` steps, or fewer when the Krylov space is invariant
    (then the value is exact to rounding); the rule is formed after ``k - 2`` and ``k``
    steps. The recursion and the quadratures run in one compiled kernel
    (:func:`~lagopt.optim.laml._kernels.lanczos_kinetic`).

    When `d_star` is given and differs from `d` (rounding: ``d = (x + d*) - x``), the exact
    kinetic energy has the extra term ``-d*^T (I_AA + I_AC)(Omega) (d - d*)``, of size at most
    ``omega_max |d*| |d - d*|``, which is added to the error estimate (``omega_max`` from the
    least Ritz value). Callers use this only when ``|d - d*|`` is at rounding level.

    Returns
    -------
    kinetic : float
        The Gauss value (a lower bound of the exact kinetic energy).
    error : float
        An a-posteriori estimate of ``exact - kinetic`` (rounding only when the space was
        invariant): ``30 (G_k - G_{k-2})`` (`_ERROR_FACTOR`), a heuristic, not a bound. On
        400 random SPD models (condition numbers up to 1e8) it covered the actual error in
        every case, by a margin of 1.7 at the worst (with the factor 10 it first had, 99.25 %
        of the cases; ``tests/optim/test_krylov_kinetic.py`` checks the bound and the
        estimate on a fixed sample). The factor was chosen on that sample; on 800 models
        drawn from other seeds it also covered every error, at worst by a margin of 1.25.
        The criterion decides a comparison on it when the threshold lies outside it and by
        the eigendecomposition otherwise (see
        :meth:`~lagopt.optim.laml.CandidatePath.action_below`): a decision can differ from
        the exact one only where the estimate falls short.
    """
    d = np.asarray(d, dtype=np.float64)
    norm2 = float(d @ d)
    n = d.size
    if norm2 == 0.0 or n == 0:
        return 0.0, 0.0
    offset2 = None
    if d_star is not None:
        e = d - d_star
        offset2 = float(e @ e) * float(d_star @ d_star)
    return krylov_kinetic_of(np.ascontiguousarray(H, dtype=np.float64), np.ascontiguousarray(d),
                             min(int(max_steps), n), float(lam), float(T), offset2)


# Relative slack of `kinetic_bounds`' upper bound: covers the rounding of the bound's own
# arithmetic and of an end ``(x + d*) - x`` that differs from ``d*`` at rounding level.
_BOUNDS_SLACK = 1e-9


def kinetic_bounds(dd, curvature, lam, T):
    r"""Bounds ``lo <= K <= hi`` of the kinetic energy ``K`` of the model's least-action path
    to its minimiser step ``d*``, from two numbers the predictor already has: ``dd = |d*|^2``
    and ``curvature = d*^T B d* = -g . d*``. No product with the matrix.

    A mode of curvature ``b`` and amplitude ``c`` contributes ``c^2 J(u) / (2 T)``, ``u = T
    sqrt(lam b)``, ``J(u) = (u/2)(coth u + u / sinh^2 u)`` (see :func:`krylov_kinetic`). For
    ``u > 0``, ``J(u) >= 1`` and, since ``coth u - 1 = 2 / (e^{2u} - 1) <= 1/u`` and
    ``sinh u >= u``, ``J(u) <= 1 + u / 2``. Summing over modes, with Cauchy-Schwarz
    ``d^T B^{1/2} d <= |d| sqrt(d^T B d)``:

    .. math::

        \frac{|d^*|^2}{2T} \le K \le \frac{|d^*|^2}{2T}
            + \frac{\sqrt{\lambda}}{4} |d^*| \sqrt{d^{*T} B d^*}.

    On LAML's BFGS models the upper bound is within a factor of about 2 of ``K``, and these
    bounds alone decide the resting-action test in about 97-99 % of iterations with ``lam =
    1e4`` and 99.9 % with LAML's default ``lam = 1e8`` (measured on networks of the races'
    choosing parts), so the Lanczos estimate is needed only for the rest.

    Returns
    -------
    lo, hi : float
        ``hi`` carries a relative slack of 1e-9 for rounding.
    """
    lo = 0.5 * dd / T
    hi = lo + 0.25 * math.sqrt(lam * dd * max(curvature, 0.0))
    return lo, hi * (1.0 + _BOUNDS_SLACK)


#: The error estimate of `krylov_kinetic` is this multiple of the last two-step change of the
#: Gauss value. 10 covered the error in 99.25 % of 400 random SPD models (condition numbers to
#: 1e8), at worst 1.7 times short; 30 covers them all there, and all of 800 further models
#: (other seeds, not used to choose it). A heuristic, not a bound: a
#: decision inside it is made with the exact eigendecomposition, outside it on the estimate.
_ERROR_FACTOR = 30.0


def krylov_kinetic_of(H, d, steps, lam, T, offset2=None):
    """:func:`krylov_kinetic` of a nonzero `d` (C-contiguous float arrays; `lam`, `T`
    floats), `steps` Lanczos steps (``1 <= steps <= n``); `offset2` is ``|d - d*|^2 |d*|^2``
    (None without `d_star`), whose square root bounds the cross term of an end that differs
    from the minimiser step."""
    G, G_old, h_min, k, invariant = lanczos_kinetic(H, d, steps, lam, T, _LANCZOS_BREAKDOWN,
                                                    _OMEGA_T_SERIES, _TINY)
    off = 0.0
    if offset2 is not None:
        omega = math.sqrt(lam / max(h_min, _TINY))
        off = math.sqrt(offset2) * (omega + 2.0 / T)
    if invariant or k == d.shape[0]:
        return G, 1e-12 * G + off
    return G, _ERROR_FACTOR * max(G - G_old, 0.0) + 1e-12 * G + off
