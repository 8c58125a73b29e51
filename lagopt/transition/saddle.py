r"""Refinement of stationary points of a potential and their Hessian-index certificates.

A stationary point ``x*`` of ``V`` (``grad V(x*) = 0``) is a *minimum* when the Hessian
``H = grad^2 V(x*)`` has no negative eigenvalue and an index-1 *saddle* (a transition state)
when it has exactly one. The certificate of a point is therefore two numbers: the gradient norm
(``max_i |dV/dx_i| <= tol``) and the index (the count of negative eigenvalues), with no
eigenvalue so close to zero that its sign is in doubt.

* `refine_minimum` and `refine_saddle` are trust-region Newton methods on ``grad V = 0``. For
  ``n <= dense_max`` they use the exact Hessian (``objective.hess``) and its eigenvectors:
  the *partitioned rational function optimisation* step (P-RFO; Banerjee, Adams, Simons and
  Shepard, J. Phys. Chem. 89 (1985) 52; Baker, J. Comput. Chem. 7 (1986) 385) maximises
  along one followed eigenvector and minimises along all others, so the iteration keeps
  exactly one uphill direction and converges quadratically to an index-1 saddle (plain RFO,
  minimising along all modes, for a minimum). For larger ``n`` they are matrix-free: the
  lowest Hessian mode comes from Lanczos (`scipy.sparse.linalg.eigsh` on a `LinearOperator`
  of Hessian-vector products), the uphill step along it from the same P-RFO formula, and the
  downhill step in its orthogonal complement from a Steihaug truncated conjugate-gradient
  solve of the Newton equations inside the trust region.
* `hessian_index` counts negative Hessian eigenvalues: all of them from
  ``numpy.linalg.eigvalsh`` on the dense Hessian, or the ``k`` smallest from ``eigsh``
  (smallest algebraic) matrix-free. An eigenvalue with ``|lambda| <= eig_tol`` (1e-6 times
  the largest magnitude seen, by default) is *degenerate*: its sign is not trusted and the
  point is not certified.

Cost accounting, shared with `lagopt.solve_mep` and with :func:`lagopt.minimize`'s budget rule:
a gradient (with or without the value) counts 1, a Hessian-vector product the objective's
``hessp_cost`` (2 for the built-in objectives: a forward and a backward pass more), a dense
Hessian ``n``.
"""
from __future__ import annotations

import time
from typing import Any, Optional

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq
from scipy.sparse.linalg import ArpackError, ArpackNoConvergence, LinearOperator, eigsh

from .._status import NonFiniteError, Status
from .._validation import as_vector
from ..objectives import Objective, as_objective
from ._result import CriticalPoint

__all__ = ["refine_saddle", "refine_minimum", "hessian_index", "HessianIndex"]

#: Problems with at most this many parameters use the dense Hessian; larger ones Lanczos.
DENSE_MAX = 200
#: Relative width of the degenerate band of eigenvalues (times the largest magnitude seen).
EIG_RTOL = 1e-6
#: Default cap on the Hessian-vector products of one matrix-free certificate (Lanczos for the
#: lowest eigenvalues plus the coarse largest one). When eigsh has not finished within it the
#: point is reported uncertified (index unknown) instead of running on.
CERT_MAX_HVP = 1000

#: Cap on the conjugate-gradient iterations of one matrix-free (Steihaug) step.
CG_MAX = 250


class _LanczosCap(RuntimeError):
    """Raised inside eigsh's matvec when the cap on Hessian-vector products is reached."""


class BudgetExhausted(RuntimeError):
    """The gradient-evaluation budget is spent (raised by `Evaluator`, caught by callers)."""


class TimeExhausted(BudgetExhausted):
    """The wall-time cap (`max_time`) has passed: no further evaluation is made."""


class Evaluator:
    """Counted, checked access to an objective for this subpackage.

    Counts gradient evaluations (``n_grad``: a gradient 1, a Hessian-vector product the
    objective's ``hessp_cost``, a dense Hessian ``n``), refuses to exceed ``budget``
    (`BudgetExhausted`) and raises
    `lagopt.NonFiniteError` for a non-finite point, value, gradient or Hessian.
    """

    def __init__(self, objective: Objective, budget: Optional[float] = None,
                 rng: Optional[np.random.Generator] = None,
                 max_time: Optional[float] = None) -> None:
        self.obj = objective
        self.n = objective.n_params
        self.budget = budget
        # Wall-time cap: checked before every evaluation (`TimeExhausted` past it).
        self.max_time = max_time
        self.deadline = None if max_time is None else time.perf_counter() + max_time
        self.timed_out = False
        self.n_grad = 0
        # A Hessian-vector product at its price in gradients (minimize's budget rule).
        self.hvp_cost = float(getattr(objective, "hessp_cost", 2.0))
        self.rng = np.random.default_rng(0) if rng is None else rng

    def _spend(self, k: float) -> None:
        if self.deadline is not None and time.perf_counter() > self.deadline:
            self.timed_out = True
            raise TimeExhausted(f"the time cap `max_time` = {self.max_time:g} s has passed")
        if self.budget is not None and self.n_grad + k > self.budget:
            raise BudgetExhausted(f"the budget of {self.budget:g} gradient evaluations is "
                                  "spent")
        self.n_grad += k

    @staticmethod
    def _finite(what: str, *arrays: Any) -> None:
        for a in arrays:
            if not np.all(np.isfinite(a)):
                raise NonFiniteError(f"non-finite {what}")

    def vg(self, x: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        """``(V(x), grad V(x))``."""
        self._finite("point", x)
        self._spend(1)
        v, g = self.obj.loss_and_grad(x)
        self._finite("potential or gradient", v, g)
        return float(v), np.asarray(g, dtype=float)

    def vg_batch(self, X: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``V`` and ``grad V`` at the columns of ``X``: shapes ``(m,)`` and ``(n, m)``."""
        self._finite("image", X)
        self._spend(X.shape[1])
        v, g = self.obj.loss_and_grad_batch(np.ascontiguousarray(X))
        self._finite("potential or gradient", v, g)
        return np.asarray(v, dtype=float), np.asarray(g, dtype=float)

    def hess(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        self._finite("point", x)
        self._spend(self.n)
        H = np.asarray(self.obj.hess(x), dtype=float)
        self._finite("Hessian", H)
        return 0.5 * (H + H.T)

    def hessp(self, x: NDArray[np.float64], v: NDArray[np.float64]) -> NDArray[np.float64]:
        self._finite("point", x, v)
        self._spend(self.hvp_cost)
        hv = np.asarray(self.obj.hessp(x, np.ascontiguousarray(v, dtype=float)), dtype=float)
        self._finite("Hessian-vector product", hv)
        return hv

    def hessp_batch(self, X: NDArray[np.float64], W: NDArray[np.float64]) -> NDArray[np.float64]:
        self._finite("image", X, W)
        self._spend(X.shape[1] * self.hvp_cost)
        hw = np.asarray(self.obj.hessp_batch(np.ascontiguousarray(X), np.ascontiguousarray(W)),
                        dtype=float)
        self._finite("Hessian-vector product", hw)
        return hw


# ---------------------------------------------------------------------- Hessian index
class HessianIndex(int):
    """The Morse index found by `hessian_index`: an ``int`` carrying its evidence.

    Compares and computes as the index itself (``hessian_index(f, x) == 1``); the attributes
    hold the eigenvalues behind it.

    Attributes
    ----------
    eigenvalues : ndarray
        The lowest eigenvalues found, ascending.
    degenerate : bool
        Some eigenvalue lies in ``[-eig_tol, eig_tol]``: the index is not decided.
    eig_tol : float
        Half-width of the degenerate band.
    complete : bool
        The index is exact (the dense spectrum, or a positive eigenvalue among those found);
        False when every eigenvalue found is negative (the index is a lower bound).
    method : str
        ``"dense"`` or ``"lanczos"``.
    n_grad : int
        Gradient evaluations spent (dense Hessian ``n``, each Hessian-vector product the
        objective's ``hessp_cost``).
    finished : bool
        False when Lanczos hit its cap of Hessian-vector products (``max_hvp``) before
        converging: the eigenvalues are then unknown (empty) and the index is undecided.
    """

    eigenvalues: NDArray[np.float64]
    degenerate: bool
    eig_tol: float
    complete: bool
    method: str
    n_grad: int

    finished: bool = True

    def __new__(cls, index: int, **attrs: Any) -> "HessianIndex":
        self = super().__new__(cls, index)
        for key, value in attrs.items():
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        eig = np.array2string(self.eigenvalues[:6], precision=6)
        return (f"HessianIndex({int(self)}, eigenvalues={eig}, degenerate={self.degenerate}, "
                f"method={self.method!r})")


def _lanczos(ev: Evaluator, x: NDArray[np.float64], k: int, which: str,
             v0: Optional[NDArray[np.float64]] = None, tol: float = 1e-10,
             max_hvp: Optional[int] = None):
    """``k`` extreme eigenpairs (``which`` = 'SA' or 'LA') of the Hessian at `x` by eigsh.

    At most `max_hvp` Hessian-vector products (each charged to the budget): when eigsh has
    not finished by then, the eigenpairs it had converged are returned (possibly none), with
    ``finished=False``. Returns ``(w, V, finished)``.
    """
    n = ev.n
    count = [0]

    def matvec(v):
        if max_hvp is not None and count[0] >= max_hvp:
            raise _LanczosCap
        count[0] += 1
        return ev.hessp(x, np.ravel(v))

    op = LinearOperator((n, n), matvec=matvec, dtype=float)
    if v0 is None or not np.any(v0):
        v0 = ev.rng.standard_normal(n)
    ncv = min(n, max(2 * k + 1, 20))
    finished = True
    try:
        w, V = eigsh(op, k=k, which=which, v0=v0, ncv=ncv, tol=tol, maxiter=50 * n)
    except ArpackNoConvergence as exc:      # keep what converged
        w, V = exc.eigenvalues, exc.eigenvectors
    except _LanczosCap:
        return np.empty(0), np.empty((n, 0)), False
    except ArpackError:
        return np.empty(0), np.empty((n, 0)), finished
    order = np.argsort(w)
    return np.asarray(w)[order], np.asarray(V)[:, order], finished


def _index(ev: Evaluator, x: NDArray[np.float64], k: int, dense_max: int,
           eig_rtol: float = EIG_RTOL, H: Optional[NDArray[np.float64]] = None,
           max_hvp: Optional[int] = CERT_MAX_HVP) -> HessianIndex:
    start = ev.n_grad
    n = ev.n
    finished = True
    if n <= dense_max:
        if H is None:
            H = ev.hess(x)
        w = np.linalg.eigvalsh(H)
        scale, complete, method = float(np.max(np.abs(w))), True, "dense"
        found = w
    else:
        k = max(1, min(k, n - 1))
        found, _, finished = _lanczos(ev, x, k, "SA", max_hvp=max_hvp)
        top = np.empty(0)
        if finished:
            left = None if max_hvp is None else max(max_hvp - (ev.n_grad - start), 0)
            top, _, _ = _lanczos(ev, x, 1, "LA", tol=1e-3, max_hvp=left)
        scale = float(np.max(np.abs(np.concatenate([found, top])))) if found.size else 0.0
        if found.size == n - 1 and top.size and top[-1] > found[-1]:
            found = np.append(found, top[-1])        # the whole spectrum is known
        complete = bool(finished and found.size >= k and found[-1] > 0)
        method = "lanczos"
    eig_tol = eig_rtol * scale if scale > 0 else np.inf
    index = int(np.sum(found < -eig_tol))
    degenerate = bool(np.any(np.abs(found) <= eig_tol)) or found.size == 0
    return HessianIndex(index, eigenvalues=np.asarray(found[:max(k, 1)] if method == "dense"
                                                      else found),
                        degenerate=degenerate, eig_tol=float(eig_tol), complete=complete,
                        method=method, n_grad=ev.n_grad - start, finished=finished,
                        max_hvp=max_hvp)


def _prepare(objective, x, seed=None, budget=None):
    x = as_vector(x, "x")
    obj = as_objective(objective, x.size, name="objective")
    if obj.n_params != x.size:
        raise ValueError(f"`x` must have length {obj.n_params}, got {x.size}.")
    return Evaluator(obj, budget, np.random.default_rng(seed)), x


def hessian_index(objective: Any, x: ArrayLike, k: int = 4, *, dense_max: int = DENSE_MAX,
                  eig_rtol: float = EIG_RTOL, seed: Optional[int] = None,
                  max_hvp: Optional[int] = CERT_MAX_HVP) -> HessianIndex:
    """The Morse index of ``V`` at `x`: the number of negative Hessian eigenvalues.

    Parameters
    ----------
    objective : Objective or callable
        The potential ``V`` (a callable ``V(x) -> float`` is wrapped by
        `lagopt.objectives.as_objective`, derivatives then by finite differences).
    x : array_like, shape (n,)
        The point, normally a stationary point.
    k : int, optional
        How many of the lowest eigenvalues to report (and, matrix-free, to compute). Default 4.
    dense_max : int, optional
        Up to this dimension the dense Hessian is formed and fully diagonalised
        (``numpy.linalg.eigvalsh``; costs ``n`` gradient evaluations); above it the ``k``
        smallest eigenvalues come from Lanczos (`scipy.sparse.linalg.eigsh`, smallest
        algebraic) on Hessian-vector products, plus a coarse largest one for the scale.
        Default 200.
    eig_rtol : float, optional
        Eigenvalues with ``|lambda| <= eig_rtol * max |lambda|`` are degenerate. Default 1e-6.
    seed : int, optional
        Seed of the Lanczos start vector (`numpy.random.default_rng`).
    max_hvp : int or None, optional
        Cap on the Hessian-vector products of the matrix-free route (default
        `CERT_MAX_HVP`, 1000; None: no cap). When Lanczos has not finished within it the
        result has ``finished=False``, no eigenvalues and ``degenerate=True`` (undecided).

    Returns
    -------
    HessianIndex
        An ``int`` (the index) with attributes ``eigenvalues`` (lowest ``k``, ascending),
        ``degenerate``, ``eig_tol``, ``complete``, ``method`` and ``n_grad``.

    Examples
    --------
    >>> from lagopt.objectives import MullerBrown
    >>> mb = MullerBrown()
    >>> int(hessian_index(mb, mb.saddles[0])), int(hessian_index(mb, mb.minima[0]))
    (1, 0)
    >>> idx = hessian_index(mb, mb.saddles[0], dense_max=0)     # matrix-free route
    >>> idx == 1, idx.method, idx.degenerate
    (True, 'lanczos', False)
    """
    ev, x = _prepare(objective, x, seed)
    return _index(ev, x, int(k), int(dense_max), float(eig_rtol), max_hvp=max_hvp)


# ---------------------------------------------------------------------- steps
def _rfo_shift(F: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """The RFO shift: the root ``lam < min(b, 0)`` of ``lam = sum F_i^2 / (lam - b_i)``."""
    if b.size == 0:
        return 0.0
    top = min(float(b.min()), 0.0)
    fnorm = float(np.linalg.norm(F))
    lo = top - fnorm - 1.0

    def phi(lam):
        return lam - float(np.sum(F ** 2 / (lam - b)))

    hi = top - 1e-14 * max(1.0, abs(top))
    if phi(hi) <= 0:          # hard case: no pole to bracket the root (F = 0 on the lowest mode)
        return hi
    return brentq(phi, lo, hi, xtol=1e-15, rtol=1e-15, maxiter=200)


def _uphill_component(f: float, b: float) -> float:
    """P-RFO step along the followed mode: maximise ``f h + b h^2 / 2`` rationally."""
    if f == 0.0:
        return 0.0
    lam_p = 0.5 * b + 0.5 * np.sqrt(b * b + 4.0 * f * f)
    return -f / (b - lam_p)


def _dense_step(g, H, kind, mode, radius):
    """P-RFO (saddle) or RFO (minimum) step from the eigen-decomposition of the Hessian.

    Returns ``(step, followed eigenvector or None, its eigenvalue)``.
    """
    w, V = np.linalg.eigh(H)
    F = V.T @ g
    h = np.zeros_like(F)
    down = np.ones(w.size, bool)
    up = None
    if kind == "saddle":
        up = int(np.argmax(np.abs(V.T @ mode))) if mode is not None else 0
        down[up] = False
        h[up] = _uphill_component(F[up], w[up])
    lam_n = _rfo_shift(F[down], w[down])
    h[down] = -F[down] / (w[down] - lam_n)
    step = V @ h
    norm = np.linalg.norm(step)
    if norm > radius:
        step *= radius / norm
    return step, (V[:, up] if up is not None else None), (w[up] if up is not None else None)


def _steihaug(matvec, g, radius, tol, max_iter):
    """Approximately minimise ``g.p + p.A p / 2`` over ``|p| <= radius`` (truncated CG)."""
    p = np.zeros_like(g)
    r = g.copy()
    d = -r
    rr = r @ r
    for _ in range(max_iter):
        if np.sqrt(rr) <= tol:
            break
        Ad = matvec(d)
        dAd = d @ Ad
        if dAd <= 0:
            return _to_boundary(p, d, radius)
        alpha = rr / dAd
        if np.linalg.norm(p + alpha * d) >= radius:
            return _to_boundary(p, d, radius)
        p = p + alpha * d
        r = r + alpha * Ad
        rr_new = r @ r
        d = -r + (rr_new / rr) * d
        rr = rr_new
    return p


def _to_boundary(p, d, radius):
    """``p + t d`` with ``t >= 0`` on the sphere ``|.| = radius``."""
    a, b, c = d @ d, 2 * p @ d, p @ p - radius ** 2
    t = (-b + np.sqrt(max(b * b - 4 * a * c, 0.0))) / (2 * a)
    return p + t * d


def _krylov_step(ev, x, g, kind, mode, radius):
    """Matrix-free step: Lanczos lowest mode (saddle) plus Steihaug-CG in its complement."""
    cg_tol = min(0.5, np.sqrt(np.linalg.norm(g))) * np.linalg.norm(g)
    if kind == "minimum":
        step = _steihaug(lambda v: ev.hessp(x, v), g, radius, cg_tol, min(2 * ev.n, CG_MAX))
        return step, None, None
    w, V, _ = _lanczos(ev, x, 1, "SA", v0=mode, tol=1e-6, max_hvp=CERT_MAX_HVP)
    if w.size == 0:
        raise np.linalg.LinAlgError("Lanczos did not converge on the lowest Hessian mode")
    v, b = V[:, 0], float(w[0])
    if mode is not None and v @ mode < 0:
        v = -v
    f = float(g @ v)

    def proj(u):
        return u - (u @ v) * v

    h_up = _uphill_component(f, b)
    h_up = float(np.clip(h_up, -radius, radius))
    rest = np.sqrt(max(radius ** 2 - h_up ** 2, 0.0)) or 0.1 * radius
    step = _steihaug(lambda u: proj(ev.hessp(x, proj(u))), proj(g), rest, cg_tol,
                     min(2 * ev.n, CG_MAX))
    return proj(step) + h_up * v, v, b


# ---------------------------------------------------------------------- refinement
def _unit(d):
    if d is None:
        return None
    d = np.asarray(d, dtype=float).ravel()
    norm = np.linalg.norm(d)
    return d / norm if np.isfinite(norm) and norm > 0 else None


def _trust_update(radius, step_norm, rho, accepted, max_radius):
    if accepted and 0.75 <= rho <= 1.33 and step_norm >= 0.8 * radius:
        return min(2.0 * radius, max_radius)
    if not accepted or not 0.25 <= rho <= 4.0:
        return 0.25 * step_norm
    return radius


def _accept(kind, v, g, v_new, g_new, pred):
    """Whether a trial point is taken: energy decrease (minimum) or a sane model (saddle);
    a smaller gradient is always taken."""
    if np.linalg.norm(g_new) < np.linalg.norm(g):
        return True
    actual = v_new - v
    if kind == "minimum":
        return actual <= 0.0
    rho = actual / pred if pred != 0 else 1.0
    return 0.25 <= rho <= 4.0


def _refine(ev: Evaluator, x0, kind, tol, direction=None, dense_max=DENSE_MAX, max_iter=100,
            radius=None, k=4, eig_rtol=EIG_RTOL, max_hvp=CERT_MAX_HVP) -> CriticalPoint:
    """Trust-region (P-)RFO to a minimum or saddle from `x0`, then its certificate.

    Budget and non-finite errors propagate (callers decide); everything else is a verdict.
    """
    start = ev.n_grad
    x = np.array(x0, dtype=float)
    mode = _unit(direction)
    if radius is None:
        radius = 0.1 * max(1.0, float(np.max(np.abs(x))))
    max_radius = 10.0 * radius
    dense = ev.n <= dense_max
    v, g = ev.vg(x)
    it, stalled = 0, False
    while np.max(np.abs(g)) > tol and it < max_iter:
        it += 1
        if dense:
            H = ev.hess(x)
            step, new_mode, _ = _dense_step(g, H, kind, mode, radius)
            Hs = H @ step
        else:
            try:
                step, new_mode, _ = _krylov_step(ev, x, g, kind, mode, radius)
            except np.linalg.LinAlgError:      # Lanczos capped: stop, certify where we are
                stalled = True
                break
            Hs = ev.hessp(x, step)
        step_norm = float(np.linalg.norm(step))
        if step_norm <= 1e-15 * (1.0 + np.linalg.norm(x)):
            stalled = True
            break
        pred = float(g @ step + 0.5 * step @ Hs)
        v_new, g_new = ev.vg(x + step)
        accepted = _accept(kind, v, g, v_new, g_new, pred)
        rho = (v_new - v) / pred if pred != 0 else 1.0
        radius = _trust_update(radius, step_norm, rho, accepted, max_radius)
        if accepted:
            x, v, g = x + step, v_new, g_new
            mode = new_mode if new_mode is not None else mode
    idx = _index(ev, x, k, dense_max, eig_rtol, max_hvp=max_hvp)
    return _verdict(x, v, g, idx, kind, tol, it, max_iter, stalled, ev.n_grad - start)


def _verdict(x, v, g, idx, kind, tol, it, max_iter, stalled, n_grad) -> CriticalPoint:
    gnorm = float(np.max(np.abs(g)))
    want = 0 if kind == "minimum" else 1
    problems = []
    if not gnorm <= tol:
        why = ("no progress (the trust region collapsed)" if stalled else
               f"{max_iter} iterations" if it >= max_iter else "stopped")
        problems.append(f"|grad V|_max = {gnorm:.2e} > tol = {tol:.1e} after {why}")
    if not getattr(idx, "finished", True):
        problems.append(f"the Hessian index is unknown: Lanczos (eigsh) did not finish within "
                        f"its cap of {idx.max_hvp} Hessian-vector products")
    elif idx.degenerate:
        problems.append(f"a Hessian eigenvalue is within {idx.eig_tol:.1e} of zero "
                        "(degenerate: the index is undecided)")
    elif int(idx) != want or not idx.complete:
        bound = "" if idx.complete else " at least"
        problems.append(f"the Hessian has{bound} {int(idx)} negative eigenvalue(s), not "
                        f"{want}")
    certified = not problems
    if certified:
        message = (f"Certified {kind}: |grad V|_max = {gnorm:.1e} <= {tol:.1e}, index {want} "
                   f"(lowest eigenvalues {np.array2string(idx.eigenvalues[:3], precision=4)}).")
    else:
        message = f"Not a certified {kind}: " + "; ".join(problems) + "."
    cp = CriticalPoint(x=x, energy=v, grad_norm=gnorm, eigenvalues=idx.eigenvalues,
                       index=int(idx), kind=kind, certified=certified, n_grad=n_grad,
                       n_iter=it, degenerate=idx.degenerate, message=message)
    cp._g = np.asarray(g, dtype=float)
    return cp


def _certify(ev: Evaluator, x, kind, tol, dense_max=DENSE_MAX, k=4,
             max_hvp=CERT_MAX_HVP) -> CriticalPoint:
    """The certificate of `x` as it is (no refinement)."""
    start = ev.n_grad
    v, g = ev.vg(np.asarray(x, dtype=float))
    idx = _index(ev, x, k, dense_max, max_hvp=max_hvp)
    return _verdict(np.array(x, dtype=float), v, g, idx, kind, tol, 0, 1, False,
                    ev.n_grad - start)


def _public_refine(kind, objective, x0, tol, direction, dense_max, max_iter, radius, k,
                   seed, max_grad_evals):
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"`tol` must be a positive number, got {tol!r}.")
    ev, x = _prepare(objective, x0, seed, max_grad_evals)
    try:
        return _refine(ev, x, kind, float(tol), direction, int(dense_max), int(max_iter),
                       radius, int(k))
    except (NonFiniteError, FloatingPointError, BudgetExhausted, np.linalg.LinAlgError) as exc:
        status = Status.NON_FINITE if isinstance(exc, FloatingPointError) else (
            Status.BUDGET_EXHAUSTED if isinstance(exc, BudgetExhausted) else
            Status.NOT_CONVERGED)
        nan = np.full(1, np.nan)
        return CriticalPoint(x=x, energy=np.nan, grad_norm=np.nan, eigenvalues=nan, index=-1,
                             kind=kind, certified=False, n_grad=ev.n_grad,
                             message=f"Not a certified {kind} ({status.name}): {exc}.")


def refine_saddle(objective: Any, x0: ArrayLike, tol: float = 1e-8,
                  direction: Optional[ArrayLike] = None, *, dense_max: int = DENSE_MAX,
                  max_iter: int = 100, radius: Optional[float] = None, k: int = 4,
                  seed: Optional[int] = None,
                  max_grad_evals: Optional[int] = None) -> CriticalPoint:
    r"""Converge to an index-1 saddle of ``V`` near `x0` and certify it.

    Trust-region Newton on ``grad V = 0`` that keeps exactly one uphill direction: the
    partitioned rational-function (P-RFO) step maximises ``V`` along one followed Hessian
    eigenvector and minimises it along all others; steps are limited to a trust radius that
    grows or shrinks with the agreement between the quadratic model and ``V``. The followed
    mode starts as the eigenvector most parallel to `direction` (e.g. the path tangent at a
    string's energy maximum), else the lowest mode, and is then tracked by overlap
    (eigenvector following). For ``n <= dense_max`` the exact Hessian is diagonalised; above,
    the method is matrix-free (Lanczos lowest mode plus Steihaug-CG on Hessian-vector
    products in its complement).

    Parameters
    ----------
    objective : Objective or callable
        The potential ``V``.
    x0 : array_like, shape (n,)
        Starting point (a guess of the saddle).
    tol : float, optional
        Convergence and certificate threshold on ``max_i |dV/dx_i|``. Default 1e-8.
    direction : array_like, shape (n,), optional
        Guess of the unstable direction.
    dense_max : int, optional
        Largest ``n`` for the dense-Hessian route. Default 200.
    max_iter : int, optional
        Iteration cap. Default 100.
    radius : float, optional
        Initial trust radius (it may grow tenfold). Default ``0.1 max(1, max|x0_i|)``.
    k : int, optional
        Eigenvalues reported by the certificate. Default 4.
    seed : int, optional
        Seed of the Lanczos start vectors (matrix-free route only).
    max_grad_evals : int, optional
        Budget of gradient evaluations (a Hessian-vector product ``hessp_cost``, a Hessian
        ``n``).

    Returns
    -------
    CriticalPoint
        ``kind="saddle"``; ``certified`` when ``grad_norm <= tol`` and the index is exactly 1
        with no degenerate eigenvalue. Never raises for a failed refinement: a non-finite
        ``V`` or a spent budget gives ``certified=False`` and says so in ``message``.

    Examples
    --------
    >>> from lagopt.objectives import MullerBrown
    >>> sp = refine_saddle(MullerBrown(), [-0.8, 0.6])
    >>> sp.certified, sp.index, round(sp.energy, 6)
    (True, 1, -40.664844)
    """
    return _public_refine("saddle", objective, x0, tol, direction, dense_max, max_iter, radius,
                          k, seed, max_grad_evals)


def refine_minimum(objective: Any, x0: ArrayLike, tol: float = 1e-8, *,
                   dense_max: int = DENSE_MAX, max_iter: int = 200,
                   radius: Optional[float] = None, k: int = 4, seed: Optional[int] = None,
                   max_grad_evals: Optional[int] = None) -> CriticalPoint:
    r"""Converge to a local minimum of ``V`` from `x0` and certify it (index 0).

    Trust-region Newton with the rational-function (RFO) step, which descends along every
    Hessian eigenvector even where the Hessian is indefinite; a step that raises ``V`` and the
    gradient is rejected and the radius shrunk. Dense Hessian for ``n <= dense_max``,
    Steihaug truncated CG on Hessian-vector products above.

    Parameters
    ----------
    objective, x0, tol, dense_max, radius, k, seed, max_grad_evals
        As for `refine_saddle`.
    max_iter : int, optional
        Iteration cap. Default 200.

    Returns
    -------
    CriticalPoint
        ``kind="minimum"``; ``certified`` when ``grad_norm <= tol`` and no Hessian eigenvalue
        is negative or degenerate.

    Examples
    --------
    >>> from lagopt.objectives import MullerBrown
    >>> m = refine_minimum(MullerBrown(), [-0.5, 1.4])
    >>> m.certified, m.index, round(m.energy, 6)
    (True, 0, -146.699517)
    """
    return _public_refine("minimum", objective, x0, tol, None, dense_max, max_iter, radius, k,
                          seed, max_grad_evals)
