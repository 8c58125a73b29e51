r"""`solve_mep`: the minimum energy path between two minima by the string method, with
certified saddles.

The minimum energy path (MEP) of a potential ``V`` between two minima is the curve
``theta(s)`` whose tangent is everywhere parallel to ``grad V``: ``(grad V)_perp = 0``,
the component of the gradient perpendicular to the path vanishing. It climbs from a minimum
along the gentlest valley to an index-1 saddle (a transition state) and descends from there,
possibly through intermediate minima and further saddles. It is the ``T -> infinity`` limit
of the least-action paths that `lagopt.solve_action_path` computes at a finite time ``T``:

* **Jacobi-Maupertuis.** With the potential ``U = |grad V|^2 / 2``, ``lam = 1`` and energy
  ``E = 0``, the least action over all times ``T`` of a path from ``a`` to ``b`` equals the
  geometric (Jacobi) length ``int |grad V| |dtheta|``, and ``|grad V| |dtheta| >= |dV|``
  with equality where ``dtheta`` is parallel to ``grad V``. The minimiser is the MEP, and on
  it ``int |grad V| |dtheta| = sum over monotone segments of |Delta V|``.
* **Freidlin-Wentzell.** For the gradient diffusion ``dtheta = -grad V dt + sqrt(eps) dW``,
  ``(1/2) int |theta' + grad V|^2 dt = int (|theta'|^2/2 + |grad V|^2/2) dt + V(end) -
  V(start)``: a downhill segment along the MEP costs nothing, an uphill one from a minimum
  ``A`` over a saddle ``S`` costs at least ``2 (V_S - V_A)`` (reached along the time-reversed
  MEP). The quasi-potential along the path is the sum over its uphill segments;
  ``P(escape) ~ exp(-quasi_potential / eps)``.

The string method (E, Ren and Vanden-Eijnden, J. Chem. Phys. 126, 164103 (2007)) evolves
``m`` images ``theta_i`` of a curve by the perpendicular force ``-(grad V)_perp`` and
reparametrises them to equal arc length after each step (a cubic spline through the images),
which removes the tangential motion; its fixed points are the discretised MEPs.
"""
from __future__ import annotations

import time
from typing import Any, Optional

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.interpolate import CubicHermiteSpline, CubicSpline
from scipy.signal import find_peaks

from .._status import NonFiniteError, Status
from .._validation import as_vector
from ..objectives import as_objective
from ._result import CriticalPoint, MEPResult
from .saddle import CERT_MAX_HVP, DENSE_MAX, BudgetExhausted, Evaluator, _certify, _refine

__all__ = ["solve_mep"]

#: Default number of images of the string.
N_IMAGES = 11
#: Default cap on string iterations.
MAX_ITER = 500
#: ``method="auto"`` uses the first-order string above this many parameters.
AUTO_NEWTON_MAX = DENSE_MAX
#: ``method="auto"``: the Newton string is given up for the first-order one when, over a
#: window of this many iterations, its best tangent residual did not fall below
#: `NEWTON_STALL` times the best before the window.
NEWTON_WINDOW, NEWTON_STALL = 50, 0.5
#: First-order string: Adam's step relative to the root-mean-square coordinate of ``b - a``
#: (the same scale as the Bézier training of `lagopt.transition.connect`), its moment decay
#: rates, and the share of the iterations with a constant step (then linear decay to 1 %).
FO_LR = 0.01
FO_BETAS = (0.0, 0.999)
FO_CONSTANT_SHARE = 0.5
#: First-order string: the step is halved when the tangent residual has not reached a new
#: best for this many iterations (deterministic convergence on smooth potentials).
FO_PATIENCE = 25
#: The climbing image starts climbing after this share of the (estimated) iterations, at
#: least `FO_CLIMB_MIN` iterations.
FO_CLIMB_SHARE, FO_CLIMB_MIN = 0.1, 5
#: L-BFGS string: memory (curvature pairs); the largest image step in image spacings
#: (initial and maximal trust radius); the images are redistributed every
#: `LB_REPARAM_EVERY` iterations (at equal arc length, or weighted by the energy with
#: ``solve_mep(energy_weight=...)``). Tuned on the training barriers of network pairs from
#: seeds 10-12 (not the benchmark's) and on Müller-Brown.
LB_MEMORY = 10
LB_TRUST0, LB_TRUST = 0.01, 0.25
LB_REPARAM_EVERY = 5
METHODS = ("auto", "newton", "first_order", "lbfgs")


# ---------------------------------------------------------------------- the string
def _spline(X: NDArray[np.float64]):
    """Cubic spline through the columns of `X` on the normalised chord length, and it."""
    d = np.linalg.norm(np.diff(X, axis=1), axis=0)
    s = np.concatenate([[0.0], np.cumsum(d)])
    length = s[-1]
    s = s / length if length > 0 else np.linspace(0.0, 1.0, X.shape[1])
    keep = np.concatenate([[True], np.diff(s) > 1e-14])
    if not keep[-1]:      # a repeated last image: keep the end, drop its twin
        keep[-1], keep[np.flatnonzero(keep)[-2]] = True, False
    s_k, X_k = s[keep], X[:, keep]
    bc = "not-a-knot" if s_k.size > 3 else "natural"
    return CubicSpline(s_k, X_k.T, axis=0, bc_type=bc), s, length


def tangents(X: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Unit tangents ``(n, m)`` of the discrete path, and the normalised chord length ``s``.

    Central differences ``theta_{i+1} - theta_{i-1}`` at interior images, one-sided at the
    ends: the tangent the string iteration and `MEPResult.tangent_residual` use.
    """
    T = np.empty_like(X)
    T[:, 1:-1] = X[:, 2:] - X[:, :-2]
    T[:, 0], T[:, -1] = X[:, 1] - X[:, 0], X[:, -1] - X[:, -2]
    d = np.linalg.norm(np.diff(X, axis=1), axis=0)
    s = np.concatenate([[0.0], np.cumsum(d)])
    s = s / s[-1] if s[-1] > 0 else np.linspace(0.0, 1.0, X.shape[1])
    return T / np.maximum(np.linalg.norm(T, axis=0), 1e-300), s


def reparametrize(X: NDArray[np.float64], fixed: Optional[NDArray[np.bool_]] = None,
                  m: Optional[int] = None,
                  weights: Optional[NDArray[np.float64]] = None) -> NDArray[np.float64]:
    """Images at equal arc length along the cubic spline through `X`'s columns.

    Without `fixed`: `m` images (default as many), ends kept. With a boolean mask `fixed`
    (the ends and pinned critical points): the pinned images stay, and the free images of
    each segment between consecutive pinned ones are spread at equal arc length within it.
    With `weights` (one positive number per column, interpolated linearly along the curve):
    at equal *weighted* arc length ``int w ds`` instead, so the image density is
    proportional to the weight (e.g. more images where the energy is high).
    """
    spl, s, _ = _spline(X)
    fine = np.linspace(0.0, 1.0, 20 * (X.shape[1] - 1) + 1)
    fine = np.union1d(fine, s)
    P = spl(fine)
    steps = np.linalg.norm(np.diff(P, axis=0), axis=1)
    if weights is not None:
        w = np.interp(fine, s, np.asarray(weights, dtype=float))
        steps = steps * 0.5 * (w[:-1] + w[1:])
    arc = np.concatenate([[0.0], np.cumsum(steps)])
    if fixed is None:
        m = X.shape[1] if m is None else m
        Y = spl(np.interp(np.linspace(0.0, arc[-1], m), arc, fine)).T
        Y[:, 0], Y[:, -1] = X[:, 0], X[:, -1]
        return Y
    Y = X.copy()
    knots_arc = np.interp(s, fine, arc)
    pins = np.flatnonzero(fixed)
    for i0, i1 in zip(pins[:-1], pins[1:]):
        if i1 - i0 > 1:
            targets = np.linspace(knots_arc[i0], knots_arc[i1], i1 - i0 + 1)[1:-1]
            Y[:, i0 + 1:i1] = spl(np.interp(targets, arc, fine)).T
    return Y


def perp_residual(G: NDArray[np.float64], T: NDArray[np.float64]) -> tuple[NDArray, float]:
    """Perpendicular gradients ``g - (g.tau) tau`` (interior images) and the relative tangent
    residual ``max_i |g_perp,i| / max_j |g_j|`` (2-norms)."""
    Gp = G - T * np.sum(G * T, axis=0)
    scale = float(np.max(np.linalg.norm(G, axis=0)))
    inner = np.linalg.norm(Gp[:, 1:-1], axis=0)
    if inner.size == 0:
        return Gp, 0.0
    return Gp, float(np.max(inner) / scale) if scale > 0 else 0.0


class _State:
    """What is known so far: a failed call still returns the latest string and points."""

    def __init__(self, X):
        self.X = X
        self.E = np.full(X.shape[1], np.nan)
        self.G = np.full(X.shape, np.nan)
        self.fixed = np.zeros(X.shape[1], bool)
        self.fixed[[0, -1]] = True
        self.n_iter = 0
        self.residual = np.inf
        self.history: list[float] = []
        self.minima: list[CriticalPoint] = []
        self.saddles: list[CriticalPoint] = []
        self.stage_grads: dict[str, int] = {}
        self.climbing: Optional[int] = None
        self.method = "newton"
        self.path_tol = np.nan


def _evolve(ev: Evaluator, st: _State, path_tol: float, max_iter: int, progress: bool,
            give_up: bool = False):
    """Simplified string method with per-image damped Newton steps along ``-(grad V)_perp``.

    Each iteration evaluates ``V`` and ``grad V`` at all interior images in one batch and
    moves every image not yet converged by ``-alpha_i g_perp,i``, then reparametrises to
    equal arc length. The step is the optimal one for the linearised perpendicular dynamics
    of image ``i``: its own curvature ``c_i = u.H u`` along ``u = g_perp / |g_perp|`` (one
    batched Hessian-vector product) and the coupling through the tangent, which rotates
    with the neighbours and moves ``g_perp`` by ``a_i = |g . tau| / h`` per unit
    displacement (``h`` the image spacing), give ``alpha_i = c_i / (c_i^2 + a_i^2)`` (Newton,
    ``1 / c_i``, where the coupling is weak). Steps are capped at half the spacing (the cap
    is also the step where ``c_i <= 0``). Returns whether the tangent residual reached
    `path_tol`; with `give_up`, returns ``"stalled"`` when the residual stops falling (see
    `NEWTON_WINDOW`), for the caller to continue with `_evolve_first_order`.
    """
    X, free = st.X, ~st.fixed
    start = len(st.history)
    while True:
        st.E[free], st.G[:, free] = ev.vg_batch(X[:, free])
        T, _ = tangents(X)
        Gp, res = perp_residual(st.G, T)
        st.residual = res
        st.history.append(res)
        if progress:
            print(f"string iteration {st.n_iter:4d}: tangent residual {res:.3e}, "
                  f"max V {np.max(st.E):.8g}, n_grad {ev.n_grad}")
        if res <= path_tol or st.n_iter >= max_iter:    # max_iter: cap on the total count
            return res <= path_tol
        h = st.history[start:]
        if give_up and len(h) > NEWTON_WINDOW and (len(h) - 1) % NEWTON_WINDOW == 0 and \
                min(h[-NEWTON_WINDOW:]) > NEWTON_STALL * min(h[:-NEWTON_WINDOW]):
            return "stalled"
        st.n_iter += 1
        scale = float(np.max(np.linalg.norm(st.G, axis=0)))
        P = -Gp[:, free]
        pn = np.linalg.norm(P, axis=0)
        active = pn > 0.25 * path_tol * scale
        d = np.linalg.norm(np.diff(X, axis=1), axis=0)
        spacing = (0.5 * (d[:-1] + d[1:]))[free[1:-1]]     # free images are interior
        lengths = np.zeros(P.shape[1])
        if np.any(active):
            Pa = P[:, active]
            c = np.sum(Pa * ev.hessp_batch(X[:, free][:, active], Pa), axis=0) / pn[active] ** 2
            a = np.abs(np.sum(st.G * T, axis=0))[free][active] / spacing[active]
            alpha = np.where(c > 0, c / np.where(c > 0, c * c + a * a, 1.0), np.inf)
            lengths[active] = np.minimum(alpha * pn[active], 0.5 * spacing[active])
        Y = X.copy()
        Y[:, free] += P * (lengths / np.maximum(pn, 1e-300))
        X = reparametrize(Y, st.fixed)
        st.X = X


def _evolve_first_order(ev: Evaluator, st: _State, path_tol: float, max_iter: int,
                        progress: bool, lr: float, climb: bool = True) -> bool:
    """Simplified string method with per-image Adam on the perpendicular force and a
    climbing image: the first-order mode for large ``n`` and the fallback of a stalled
    Newton string.

    Each iteration evaluates ``V`` and ``grad V`` at the free images in one batch (no
    Hessian), forms the perpendicular gradient ``g_perp = g - (g.tau) tau`` of every free
    image and, once climbing has started (after `FO_CLIMB_SHARE` of the iterations), the
    climbing gradient ``g - 2 (g.tau) tau`` of the highest free image, whose tangential force
    is reversed so that it climbs to the saddle (Henkelman, Uberuaga and Jónsson, J. Chem.
    Phys. 113, 9901 (2000)). Every free image takes an Adam step (Kingma and Ba; moments per
    image and coordinate, which copes with the very different curvatures of a network's
    parameters) of size `lr`, constant for `FO_CONSTANT_SHARE` of the iterations the budget
    or `max_iter` allows and then decaying linearly to 1 %, halved whenever the residual
    has not reached a new best for `FO_PATIENCE` iterations; then the images are
    redistributed at equal arc length with the climbing image pinned.

    Stops when the tangent residual is at most `path_tol` (True), at `max_iter`, or when the
    budget cannot pay for another iteration (False). The last evaluated energies always
    belong to the returned string.
    """
    X = st.X
    base_fixed = st.fixed.copy()
    free0 = ~base_fixed
    n_free = int(free0.sum())
    M, S = np.zeros_like(X), np.zeros_like(X)
    b1, b2 = FO_BETAS
    left = max_iter - st.n_iter
    if ev.budget is not None:
        left = min(left, int((ev.budget - ev.n_grad) // max(n_free, 1)) - 1)
    left = max(left, 1)
    flat = FO_CONSTANT_SHARE * left
    climb_at = st.n_iter + max(FO_CLIMB_MIN, int(FO_CLIMB_SHARE * left))
    first, k, best, since, shrink = st.n_iter, 0, np.inf, 0, 1.0
    ci = None
    while True:
        free = ~st.fixed
        st.E[free], st.G[:, free] = ev.vg_batch(X[:, free])
        T, _ = tangents(X)
        Gp, res = perp_residual(st.G, T)
        st.residual = res
        st.history.append(res)
        if ci is not None:
            st.climbing = ci
        if progress:
            print(f"string iteration {st.n_iter:4d} (first order): tangent residual "
                  f"{res:.3e}, max V {np.max(st.E):.8g}, n_grad {ev.n_grad}")
        if res < best:
            best, since = res, 0
        else:
            since += 1
            if since >= FO_PATIENCE:
                shrink, since = 0.5 * shrink, 0
        no_budget = ev.budget is not None and ev.n_grad + n_free > ev.budget
        if res <= path_tol or st.n_iter >= max_iter or no_budget:
            st.fixed = base_fixed
            return res <= path_tol
        st.n_iter += 1
        k += 1
        D = Gp.copy()
        inner = np.flatnonzero(~base_fixed)
        ci = None
        if climb and st.n_iter >= climb_at and inner.size:
            ci = int(inner[np.argmax(st.E[inner])])
            if 0 < ci < X.shape[1] - 1 and st.E[ci] > max(st.E[ci - 1], st.E[ci + 1]):
                D[:, ci] = st.G[:, ci] - 2.0 * T[:, ci] * float(st.G[:, ci] @ T[:, ci])
            else:
                ci = None
        M = b1 * M + (1 - b1) * D
        S = b2 * S + (1 - b2) * D * D
        mhat, shat = M / (1 - b1 ** k), S / (1 - b2 ** k)
        j = st.n_iter - first
        rate = lr * shrink * (1.0 if j <= flat else
                              max(0.01, 1.0 - 0.99 * (j - flat) / max(left - flat, 1)))
        Y = X.copy()
        Y[:, free0] -= rate * mhat[:, free0] / (np.sqrt(shat[:, free0]) + 1e-12 * lr)
        fixed = base_fixed.copy()
        if ci is not None:
            fixed[ci] = True
        X = reparametrize(Y, fixed)
        st.X = X
        st.fixed = base_fixed


def _two_loop(g, mem_s, mem_y, gamma0):
    """L-BFGS's ``H g`` by the two-loop recursion over the pairs ``(s, y)`` (oldest first);
    the initial matrix ``gamma I`` with ``gamma = s.y / y.y`` of the newest pair, or `gamma0`
    without pairs."""
    q = g.copy()
    alphas = []
    for s_k, y_k in zip(reversed(mem_s), reversed(mem_y)):
        a_k = float(s_k @ q) / float(s_k @ y_k)
        alphas.append(a_k)
        q -= a_k * y_k
    gamma = (float(mem_s[-1] @ mem_y[-1]) / float(mem_y[-1] @ mem_y[-1]) if mem_s
             else gamma0)
    r = gamma * q
    for (s_k, y_k), a_k in zip(zip(mem_s, mem_y), reversed(alphas)):
        r += (a_k - float(y_k @ r) / float(s_k @ y_k)) * s_k
    return r


def _evolve_lbfgs(ev: Evaluator, st: _State, path_tol: float, max_iter: int,
                  progress: bool, lr: float, climb: bool = True,
                  energy_weight: float = 0.0) -> bool:
    """String method with one L-BFGS on all the free images together and a climbing image:
    the quasi-Newton first-order mode (no Hessian).

    The "gradient" of the concatenated free images is the string force with its sign
    reversed: ``g_perp,i = g_i - (g_i.tau_i) tau_i`` for every free image and, once climbing
    has started (as in `_evolve_first_order`), ``g - 2 (g.tau) tau`` for the highest free
    image (CI-NEB). L-BFGS (memory `LB_MEMORY`, as NEB optimisers in ASE or pysisyphus use
    it) turns it into a step; the step of every non-climbing image is projected
    perpendicular to its tangent (the string does not slide) and the largest image step is
    capped at a trust radius: `LB_TRUST0` image spacings at first, grown by half after an
    accepted step up to `LB_TRUST` spacings. A step that raises the sum of the energies of
    the non-climbing free images is rejected (the string goes back, the memory is cleared,
    the trust radius quartered): a merit function for the perpendicular force, whose
    direction is the projected gradient of that sum. Every `LB_REPARAM_EVERY` steps the
    images are redistributed at equal arc length, or equal weighted arc length with weight
    ``1 + energy_weight (E - E_min) / (E_max - E_min)`` (climbing image pinned); such a
    step is not judged by the merit and gives no curvature pair. Curvature pairs with
    ``s.y <= 0`` (negative curvature, frequent on networks) are skipped; the memory is
    cleared when the climbing image changes.

    Stops like `_evolve_first_order`: the tangent residual at most `path_tol` (True),
    `max_iter`, or a budget that cannot pay for another iteration (False). The last
    accepted string is returned with its energies.
    """
    X = st.X
    base_fixed = st.fixed.copy()
    free = ~base_fixed
    idx = np.flatnonzero(free)
    n_free = idx.size
    left = max_iter - st.n_iter
    if ev.budget is not None:
        left = min(left, int((ev.budget - ev.n_grad) // max(n_free, 1)) - 1)
    left = max(left, 1)
    climb_at = st.n_iter + max(FO_CLIMB_MIN, int(FO_CLIMB_SHARE * left))
    mem_s: list = []
    mem_y: list = []
    prev = None            # the last accepted iterate
    trust = None
    ci = None
    reparam = False
    since = 0

    def merit(E, skip):
        return float(sum(E[i] for i in idx if i != skip))

    while True:
        E_new, G_new = ev.vg_batch(X[:, free])
        st.E[free], st.G[:, free] = E_new, G_new
        T, _ = tangents(X)
        Gp, res = perp_residual(st.G, T)
        if prev is not None and not reparam and merit(st.E, prev["ci"]) > prev["merit"]:
            # rejected: back to the last accepted string, smaller steps, fresh memory
            X, T, Gp, res = prev["X"], prev["T"], prev["Gp"], prev["res"]
            st.X, st.E, st.G = X, prev["E"].copy(), prev["G"].copy()
            trust *= 0.25
            mem_s, mem_y = [], []
            rejected = True
        else:
            rejected = False
        st.residual = res
        st.history.append(res)
        if progress:
            print(f"string iteration {st.n_iter:4d} (lbfgs): tangent residual "
                  f"{res:.3e}, max V {np.max(st.E):.8g}, n_grad {ev.n_grad}"
                  + (" (step rejected)" if rejected else ""))
        no_budget = ev.budget is not None and ev.n_grad + n_free > ev.budget
        if res <= path_tol or st.n_iter >= max_iter or no_budget:
            st.fixed = base_fixed
            return res <= path_tol
        st.n_iter += 1
        h = float(np.mean(np.linalg.norm(np.diff(X, axis=1), axis=0)))
        if trust is None:
            trust = LB_TRUST0 * h
        D = Gp.copy()
        new_ci = None
        if climb and st.n_iter >= climb_at and n_free:
            c = int(idx[np.argmax(st.E[idx])])
            if 0 < c < X.shape[1] - 1 and st.E[c] > max(st.E[c - 1], st.E[c + 1]):
                new_ci = c
                D[:, c] = st.G[:, c] - 2.0 * T[:, c] * float(st.G[:, c] @ T[:, c])
        if new_ci != ci:
            mem_s, mem_y = [], []
        elif prev is not None and not rejected:
            s_k = (X - prev["X"])[:, free].ravel()
            y_k = (D - prev["D"])[:, free].ravel()
            if not reparam and \
                    float(s_k @ y_k) > 1e-12 * float(np.linalg.norm(s_k) * np.linalg.norm(y_k)):
                mem_s.append(s_k)
                mem_y.append(y_k)
                if len(mem_s) > LB_MEMORY:
                    mem_s.pop(0)
                    mem_y.pop(0)
            trust = min(1.5 * trust, LB_TRUST * h)
        ci = new_ci
        if ci is not None:
            st.climbing = ci
        prev = {"X": X.copy(), "E": st.E.copy(), "G": st.G.copy(), "T": T, "Gp": Gp,
                "res": res, "D": D, "ci": ci, "merit": merit(st.E, ci)}
        dmax = max(float(np.max(np.linalg.norm(D[:, free], axis=0))), 1e-300)
        r = _two_loop(D[:, free].ravel(), mem_s, mem_y, trust / dmax)
        P = np.zeros_like(X)
        P[:, free] = -r.reshape(X.shape[0], n_free)
        if float(np.sum(P[:, free] * D[:, free])) >= 0:       # not a descent direction
            mem_s, mem_y = [], []
            P[:, free] = -D[:, free] * (trust / dmax)
        calm = np.array([i for i in idx if i != ci], dtype=int)
        P[:, calm] -= T[:, calm] * np.sum(P[:, calm] * T[:, calm], axis=0)
        big = float(np.max(np.linalg.norm(P[:, free], axis=0)))
        if big > trust:
            P *= trust / big
        since += 1
        reparam = since >= LB_REPARAM_EVERY
        X = X + P
        if reparam:
            fixed = base_fixed.copy()
            if ci is not None:
                fixed[ci] = True
            span = float(np.ptp(st.E))
            w = (1.0 + energy_weight * (st.E - np.min(st.E)) / span
                 if energy_weight > 0 and span > 0 else None)
            X = reparametrize(X, fixed, weights=w)
            since = 0
        st.X = X


# ---------------------------------------------------------------------- critical points
def _profile(st: _State):
    """Hermite energy profile ``V(s)`` (slopes ``grad V . dtheta/ds``) sampled finely."""
    spl, s, _ = _spline(st.X)
    slopes = np.sum(st.G * spl(s, 1).T, axis=0)
    herm = CubicHermiteSpline(s, st.E, slopes)
    fine = np.linspace(0.0, 1.0, 40 * (st.X.shape[1] - 1) + 1)
    return spl, fine, herm(fine)


def _guesses(st: _State):
    """Parameters ``s`` of the interior energy maxima of the profile, and of the lowest point
    between each pair of consecutive maxima."""
    spl, fine, Ef = _profile(st)
    span = float(np.ptp(Ef)) if np.all(np.isfinite(Ef)) else 0.0
    peaks, _ = find_peaks(Ef, prominence=1e-6 * span if span > 0 else None)
    maxima = [float(fine[j]) for j in peaks]
    minima = []
    for j0, j1 in zip(peaks[:-1], peaks[1:]):
        minima.append(float(fine[j0 + int(np.argmin(Ef[j0:j1 + 1]))]))
    return spl, maxima, minima


def _critical_points(ev: Evaluator, st: _State, tol: float, dense_max: int, k: int):
    """Refine the saddles and intermediate minima the converged string points to.

    Returns ``(points sorted by path parameter, list of problems)``; each point carries its
    path parameter ``_s`` and gradient ``_g``.
    """
    spl, s_max, s_min = _guesses(st)
    spacing = float(np.sum(np.linalg.norm(np.diff(st.X, axis=1), axis=0))) / (st.X.shape[1] - 1)
    problems, points = [], []
    if not s_max:
        problems.append("the energy profile along the string has no interior maximum, so no "
                        "saddle was found (are the two ends distinct minima?)")
    for s0 in s_max:
        x0, d0 = spl(s0), spl(s0, 1)
        cp = _refine(ev, x0, "saddle", tol, d0, dense_max, radius=0.5 * spacing, k=k)
        cp._s = s0
        if np.linalg.norm(cp.x - x0) > 3.0 * spacing:
            problems.append(f"the saddle refined from s = {s0:.3f} moved "
                            f"{np.linalg.norm(cp.x - x0):.3g} away from the string (more "
                            "than 3 image spacings): it may not lie on this path")
        points.append(cp)
    ends = [st.X[:, 0], st.X[:, -1]]
    for s0 in s_min:
        cp = _refine(ev, spl(s0), "minimum", tol, None, dense_max, radius=0.5 * spacing, k=k)
        cp._s = s0
        if all(np.linalg.norm(cp.x - e) > 1e-6 * spacing for e in ends):
            points.append(cp)
    points = _dedupe(sorted(points, key=lambda p: p._s), 1e-6 * spacing)
    return points, problems


def _dedupe(points: list, dist: float) -> list:
    """Drop repeated points (two maxima refined to one saddle) and the minimum between two
    copies of a saddle."""
    out: list = []
    for p in points:
        twin = next((q for q in out if q.kind == p.kind and np.linalg.norm(q.x - p.x) <= dist),
                    None)
        if twin is None:
            out.append(p)
        elif out[-1].kind == "minimum" and out[-1] is not twin:
            out.pop()       # the minimum between two copies of one saddle is spurious
    return out


def _assemble(st: _State, points: list) -> None:
    """Pin the refined points into the string: insert them at their path parameter, drop the
    images within a quarter spacing of them, and spread the free images of each segment
    between pinned points at equal arc length (the path split at its critical points)."""
    _, s = tangents(st.X)
    m = st.X.shape[1]
    cols = [(s[i], st.X[:, i], st.E[i], st.G[:, i], i in (0, m - 1)) for i in range(m)]
    h = 1.0 / (m - 1)
    for p in points:
        cols = [c for c in cols if c[4] or abs(c[0] - p._s) > 0.25 * h]
        cols.append((p._s, p.x, p.energy, p._g, True))
    cols.sort(key=lambda c: c[0])
    st.fixed = np.array([c[4] for c in cols])
    st.X = reparametrize(np.column_stack([c[1] for c in cols]), st.fixed)
    st.E = np.array([c[2] for c in cols])
    st.G = np.column_stack([c[3] for c in cols])


# ---------------------------------------------------------------------- the result
def _quasi_potential(points: list) -> float:
    """``2 sum (V_saddle - V_preceding_minimum)`` over the saddles, in path order."""
    total, last_min = 0.0, None
    for p in points:
        if p.kind == "minimum":
            last_min = p.energy
        elif last_min is not None:
            total += 2.0 * (p.energy - last_min)
    return total


def _finish(ev, st, points, status, message, t0, n_images):
    """Build the `MEPResult` from the state; `points` are all critical points in path order."""
    minima = [p for p in points if p.kind == "minimum"]
    saddles = [p for p in points if p.kind == "saddle"]
    X, E, residual = st.X, st.E, st.residual
    s = tangents(X)[1] if X.shape[1] > 1 else np.zeros(1)
    finite = bool(np.all(np.isfinite(E)))
    top = float(np.max(E)) if finite else np.nan
    fwd = top - minima[0].energy if minima and finite else np.nan
    bwd = top - minima[-1].energy if minima and finite else np.nan
    qp = _quasi_potential(points) if finite and saddles else np.nan
    if status == Status.SUCCESS and not np.isfinite([fwd, bwd, qp, residual]).all():
        status, message = Status.NON_FINITE, message + " | But a reported value is not finite."
    if ev.timed_out and status != Status.SUCCESS:
        # Whichever stage met the cap first (a certificate may have reported it as its budget).
        status = Status.MAX_TIME
        message = (f"The time cap `max_time` = {ev.max_time:g} s was reached after "
                   f"{ev.n_grad:g} gradient evaluations; raise it. " + message)
    ci = st.climbing if st.climbing is not None and st.climbing < E.size else None
    info = {"n_images": n_images, "residual_history": st.history,
            "string_residual": st.residual, "n_grad_stages": dict(st.stage_grads),
            "method": st.method, "climbing_image": ci,
            "barrier_estimate": (float(E[ci] - minima[0].energy) if ci is not None and minima
                                 and finite else fwd),
            "ends_certified": bool(len(st.minima) >= 2 and st.minima[0].certified
                                   and st.minima[-1].certified)}
    return MEPResult(path=X, s=s, energy=E, saddles=saddles, minima=minima,
                     barrier_forward=fwd, barrier_backward=bwd, quasi_potential=qp,
                     tangent_residual=residual, success=status == Status.SUCCESS,
                     status=status, message=message, n_grad=ev.n_grad, n_iter=st.n_iter,
                     time=time.perf_counter() - t0, info=info)


def _verdict_message(points: list, problems: list, st: _State):
    """Status and message once the string converged and the points are refined."""
    bad = [p for p in points if not p.certified]
    if not bad and not problems:
        n_s = sum(p.kind == "saddle" for p in points)
        n_m = sum(p.kind == "minimum" for p in points) - 2
        return Status.SUCCESS, (
            f"Minimum energy path found: string converged (tangent residual "
            f"{st.residual:.1e} <= {st.path_tol:g}) in {st.n_iter} iterations; {n_s} "
            f"saddle(s) and {n_m} intermediate minimum/minima, all certified.")
    lines = [f"{p.kind} at x = {np.array2string(p.x[:4], precision=6)}: {p.message}"
             for p in bad] + problems
    hint = ("For an end that is not a minimum, pass `refine_ends=True` or start at a "
            "minimum. For a saddle or minimum short of `tol`, loosen `tol` (it bounds "
            "max|grad V| absolutely) or raise `max_grad_evals`; for a degenerate or "
            "wrong index, use more images (`n_images`) or a smaller `path_tol`.")
    return Status.NOT_CONVERGED, "Not certified: " + " | ".join(lines) + ". " + hint


def _ends(ev, a, b, tol, refine_ends, dense_max, k, certify_ends=True, max_hvp=CERT_MAX_HVP):
    """The two end minima: refined from `a`, `b`, or only certified where they are (or, with
    ``certify_ends=False``, only evaluated: reported as not certified)."""
    if refine_ends:
        radius = 0.1 * float(np.linalg.norm(b - a))
        return [_refine(ev, x, "minimum", tol, None, dense_max, radius=radius, k=k,
                        max_hvp=max_hvp) for x in (a, b)]
    if certify_ends:
        return [_certify(ev, x, "minimum", tol, dense_max, k, max_hvp=max_hvp) for x in (a, b)]
    V, G = ev.vg_batch(np.column_stack([a, b]))
    out = []
    for j, x in enumerate((a, b)):
        gnorm = float(np.max(np.abs(G[:, j])))
        cp = CriticalPoint(x=np.array(x, dtype=float), energy=V[j], grad_norm=gnorm,
                           eigenvalues=np.empty(0), index=-1, kind="minimum", certified=False,
                           n_grad=1, message=(
                               f"Not a certified minimum: taken as given (certify_ends=False; "
                               f"|grad V|_max = {gnorm:.2e}, Hessian index not computed)."))
        cp._g = G[:, j].copy()
        out.append(cp)
    return out


def _check_args(objective, theta_a, theta_b, n_images, tol, path_tol, max_grad_evals,
                max_iter, method="auto"):
    if method not in METHODS:
        raise ValueError(f"`method` must be one of {METHODS}, got {method!r}.")
    a = as_vector(theta_a, "theta_a")
    b = as_vector(theta_b, "theta_b", a.size)
    if np.array_equal(a, b):
        raise ValueError("`theta_a` and `theta_b` are the same point: a path needs two "
                         "distinct ends.")
    obj = as_objective(objective, a.size, name="objective")
    if obj.n_params != a.size:
        raise ValueError(f"the end points have length {a.size}, the objective "
                         f"{obj.n_params} parameters.")
    m = N_IMAGES if n_images is None else n_images
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 3:
        raise ValueError(f"`n_images` must be an integer >= 3, got {n_images!r}.")
    for name, val in (("tol", tol), ("path_tol", path_tol)):
        if not (isinstance(val, (int, float, np.floating)) and np.isfinite(val) and val > 0):
            raise ValueError(f"`{name}` must be a positive number, got {val!r}.")
    if max_grad_evals is not None and not (np.isfinite(max_grad_evals) and max_grad_evals > 0):
        raise ValueError(f"`max_grad_evals` must be positive, got {max_grad_evals!r}.")
    if not (isinstance(max_iter, (int, np.integer)) and max_iter >= 0):
        raise ValueError(f"`max_iter` must be a non-negative integer, got {max_iter!r}.")
    return obj, a, b, int(m)


def _initial_string(a, xa, xb, m, init_path):
    """`m` images from `xa` to `xb`: the segment, or `init_path` (its ends replaced by the
    refined ends) redistributed at equal arc length along its spline."""
    if init_path is None:
        return np.linspace(0.0, 1.0, m)[None, :] * (xb - xa)[:, None] + xa[:, None]
    P = np.array(init_path, dtype=float)
    if P.ndim != 2 or P.shape[0] != a.size or P.shape[1] < 2 or not np.all(np.isfinite(P)):
        raise ValueError(f"`init_path` must be a finite array of shape ({a.size}, k >= 2), "
                         f"got shape {P.shape}.")
    P[:, 0], P[:, -1] = xa, xb
    return reparametrize(P, m=m)


def _string(ev, st, path_tol, max_iter, progress, method, lr, climb=True, energy_weight=0.0):
    """Run the string in the chosen mode; returns whether it converged."""
    if method == "first_order":
        st.method = st.method if st.method != "newton" else "first_order"
        return _evolve_first_order(ev, st, path_tol, max_iter, progress, lr, climb)
    if method == "lbfgs":
        st.method = st.method if st.method != "newton" else "lbfgs"
        return _evolve_lbfgs(ev, st, path_tol, max_iter, progress, lr, climb, energy_weight)
    out = _evolve(ev, st, path_tol, max_iter, progress, give_up=method == "auto")
    if out == "stalled":
        st.method = "newton+first_order"
        return _evolve_first_order(ev, st, path_tol, max_iter, progress, lr, climb)
    return bool(out)


def _not_converged_message(st, path_tol, ends):
    base = (f"The string did not converge: tangent residual {st.residual:.2e} > path_tol = "
            f"{path_tol:g} after {st.n_iter} iterations ({st.method} string).")
    if st.climbing is not None:
        ci = st.climbing
        base += (f" Climbing image {ci} of {st.X.shape[1]}: V = {st.E[ci]:.6g}, barrier "
                 f"estimate {st.E[ci] - ends[0].energy:.6g} from the first end (an upper "
                 "bound on the path's true barrier up to the residual; not refined to a "
                 "saddle, not certified).")
    return base + " Raise `max_iter` or `max_grad_evals`, loosen `path_tol`, or use fewer " \
                  "images."


def _run(ev, st, a, b, m, tol, path_tol, max_iter, refine_ends, dense_max, k, progress, t0,
         method="auto", certify_ends=True, init_path=None, lr=None, max_hvp=CERT_MAX_HVP,
         climb=True, energy_weight=0.0):
    mark = ev.n_grad
    ends = _ends(ev, a, b, tol, refine_ends, dense_max, k, certify_ends, max_hvp)
    st.minima = ends
    st.stage_grads["ends"] = ev.n_grad - mark
    xa, xb = ends[0].x, ends[1].x
    if np.linalg.norm(xb - xa) <= 1e-8 * max(1.0, float(np.linalg.norm(b - a))):
        return _finish(ev, st, ends, Status.NOT_CONVERGED,
                       "Both ends converge to the same minimum (they lie in one basin): there "
                       "is no path to find. Start the ends in different basins, or pass "
                       "`refine_ends=False` with both ends at minima.", t0, m)
    if method == "auto" and (a.size > AUTO_NEWTON_MAX
                             or not (ends[0].certified and ends[1].certified)):
        method = "lbfgs"
    if lr is None:
        lr = FO_LR * float(np.sqrt(np.mean((xb - xa) ** 2)))
    st.X = _initial_string(a, xa, xb, m, init_path)
    st.E, st.G = np.full(m, np.nan), np.full((a.size, m), np.nan)
    st.fixed = np.zeros(m, bool)
    st.fixed[[0, -1]] = True
    st.E[0], st.E[-1] = ends[0].energy, ends[1].energy
    st.G[:, 0], st.G[:, -1] = ends[0]._g, ends[1]._g
    mark = ev.n_grad
    converged = _string(ev, st, path_tol, max_iter, progress, method, lr, climb, energy_weight)
    st.stage_grads["string"] = ev.n_grad - mark
    if not converged:
        out_of_budget = ev.budget is not None and st.n_iter < max_iter
        return _finish(ev, st, ends,
                       Status.BUDGET_EXHAUSTED if out_of_budget else Status.MAX_ITER,
                       _not_converged_message(st, path_tol, ends)
                       + (" The budget (`max_grad_evals`) cannot pay for another "
                          "iteration." if out_of_budget else ""), t0, m)
    mark = ev.n_grad
    inner, problems = _critical_points(ev, st, tol, dense_max, k)
    st.stage_grads["critical_points"] = ev.n_grad - mark
    points = [ends[0]] + inner + [ends[1]]
    st.saddles = [p for p in inner if p.kind == "saddle"]
    st.minima = [ends[0]] + [p for p in inner if p.kind == "minimum"] + [ends[1]]
    if inner:                      # re-converge the string with the points pinned
        mark = ev.n_grad
        _assemble(st, inner)
        st.climbing = None
        polish = (method if st.method == "newton" else
                  "lbfgs" if st.method.endswith("lbfgs") else "first_order")
        if not _string(ev, st, path_tol, st.n_iter + max_iter, progress, polish, lr,
                       climb=False):
            problems.append(f"with the refined points pinned, the string did not re-converge "
                            f"(tangent residual {st.residual:.2e} > path_tol = {path_tol:g})")
        st.stage_grads["polish"] = ev.n_grad - mark
    status, message = _verdict_message(points, problems, st)
    return _finish(ev, st, points, status, message, t0, m)


def _max_time(value):
    """`max_time` checked: None (or inf) for no cap, else a positive number of seconds."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"`max_time` must be a positive number of seconds or None, got "
                         f"{value!r}.")
    value = float(value)
    if np.isnan(value) or value <= 0:
        raise ValueError(f"`max_time` must be a positive number of seconds, got {value!r}.")
    return None if np.isinf(value) else value


def solve_mep(objective: Any, theta_a: ArrayLike, theta_b: ArrayLike, *,
              n_images: Optional[int] = None, tol: float = 1e-8, path_tol: float = 1e-3,
              max_grad_evals: Optional[int] = None, refine_ends: bool = True,
              seed: Optional[int] = None, progress: bool = False,
              dense_max: int = DENSE_MAX, max_iter: int = MAX_ITER, k: int = 4,
              method: str = "auto", certify_ends: bool = True,
              init_path: Optional[ArrayLike] = None, lr: Optional[float] = None,
              cert_max_hvp: Optional[int] = CERT_MAX_HVP, climb: bool = True,
              energy_weight: float = 0.0, max_time: Optional[float] = None) -> MEPResult:
    r"""The minimum energy path (MEP) of ``V`` between two minima, with certified saddles.

    The MEP is the curve from minimum to minimum whose tangent is parallel to ``grad V``
    everywhere; it crosses each energy barrier at an index-1 saddle. It is the
    ``T -> infinity`` limit of `lagopt.solve_action_path`: by Jacobi-Maupertuis (potential
    ``U = |grad V|^2 / 2``, ``lam = 1``, energy 0) it minimises ``int |grad V| |dtheta|``
    over all paths and times, with value ``sum |Delta V|`` over its monotone segments; by
    Freidlin-Wentzell, the action ``(1/2) int |theta' + grad V|^2 dt`` of escaping along it is
    ``2 (V_S - V_A)`` per barrier climbed from a minimum ``A`` over a saddle ``S``.

    Method:

    1. The ends are minimised (`refine_minimum`: trust-region Newton/RFO, exact Hessian for
       ``n <= dense_max``, truncated CG on Hessian-vector products above) to
       ``max |grad V| <= tol`` (``refine_ends=True``), or only certified where they are.
    2. The string method (E, Ren, Vanden-Eijnden 2007): ``n_images`` images on the segment
       between the minima (or on `init_path`) move by ``-(grad V)_perp`` and are
       redistributed to equal arc length along a cubic spline, until the tangent residual is
       at most `path_tol`. Two modes (`method`):

       * ``"newton"``: each image takes its own damped Newton step
         ``|g_perp|^2 / (g_perp . H g_perp)`` (one batched gradient and one batched
         Hessian-vector product per iteration). Fast near a true MEP between true minima
         (Müller-Brown: certified in about 400 gradients), but with an indefinite Hessian far
         from critical points in high dimension (networks) it oscillates.
       * ``"first_order"``: no Hessian. Every free image takes an RMSprop/Adam step (moments
         per image and coordinate, ``beta1 = 0``) on ``g_perp``, of size `lr`, constant for
         half the iterations the budget allows, then decaying linearly, and halved when the
         residual stalls; after the first 10 % of the iterations the highest image *climbs*
         (its tangential force reversed, CI-NEB), so its energy estimates the barrier; it is
         pinned in the equal-arc-length redistribution.
       * ``"lbfgs"``: no Hessian. One L-BFGS on all free images together, the string force
         (``g_perp``, and the climbing image's ``g - 2 (g.tau) tau``) as its gradient, steps
         projected perpendicular to the path, a trust radius on the largest image step, a
         step rejected when the sum of the non-climbing images' energies rises, and the
         images redistributed every 5 iterations (at equal arc length, or with
         `energy_weight` more of them where the energy is high). Müller-Brown: certified in
         about 450 gradients (first-order: about 1,100). On networks (benchmark, budget
         1,000 per curve, started on its own Bézier curve, ``climb=False``,
         ``energy_weight=3``) its barriers were below the first-order string's at 1,111
         parameters on 3 of 3 pairs, mixed at 37 (2 of 3).
       * ``"auto"`` (default): L-BFGS when ``n > AUTO_NEWTON_MAX`` (200) or when the
         ends are not certified minima (``certify_ends=False``, or they fail their
         certificate), else Newton, switching to first-order if the Newton residual stalls
         (its best over 50 iterations not below half the best before). ``info["method"]``
         says what ran.

       A string that does not reach `path_tol` within `max_iter` or the budget returns
       (``MAX_ITER`` or ``BUDGET_EXHAUSTED``) with the string, its energies, the residual
       reached and the climbing image's barrier estimate (``info["barrier_estimate"]``,
       ``info["climbing_image"]``); its points are then not refined nor certified.
    3. The Hermite energy profile along the string (slopes ``grad V . dtheta/ds``) locates the
       maxima and the minima between them; each maximum is refined to a saddle with P-RFO
       (`refine_saddle`, following the mode closest to the path tangent) and each interior
       minimum with `refine_minimum`; those distinct from the ends split the path.
    4. Every point gets its Hessian-index certificate (`hessian_index`): index 1 for a
       saddle, 0 for a minimum, no degenerate eigenvalue, ``max |grad V| <= tol``. The
       refined points are inserted into the string and the tangent residual is measured
       again on the final path.

    Parameters
    ----------
    objective : Objective or callable
        The potential ``V``: any `lagopt.objectives.Objective`, or a callable
        ``V(theta) -> float`` (wrapped by `lagopt.objectives.as_objective`, derivatives by
        finite differences; supply an `Objective` with exact derivatives when you can).
    theta_a, theta_b : array_like, shape (n,)
        The two ends (near two minima, or at them with ``refine_ends=False``).
    n_images : int, optional
        Images of the string (``>= 3``). Default 11; coarse is enough, the saddles are
        refined off the string.
    tol : float, optional
        Absolute bound on ``max_i |dV/dtheta_i|`` at every certified point. Default 1e-8.
    path_tol : float, optional
        Bound on the tangent residual of the string and of the final path (see
        `MEPResult.tangent_residual`). Default 1e-3.
    max_grad_evals : int, optional
        Budget of gradient evaluations for the whole call (a Hessian-vector product counts
        the objective's ``hessp_cost``, a dense Hessian ``n``); when spent the call returns with
        status ``BUDGET_EXHAUSTED``. Default: no budget (the iteration caps still apply).
    refine_ends : bool, optional
        Minimise from the ends first. Default True.
    seed : int, optional
        Seed of `numpy.random.default_rng` for the Lanczos start vectors (matrix-free route).
    progress : bool, optional
        Print the string's residual at every iteration.
    dense_max : int, optional
        Largest dimension handled with dense Hessians; above it everything is matrix-free.
        Default 200.
    max_iter : int, optional
        Cap on string iterations. Default 500.
    k : int, optional
        Eigenvalues reported per certified point. Default 4.
    method : {"auto", "newton", "first_order", "lbfgs"}, optional
        The string's mode (see Method, step 2). Default ``"auto"``.
    certify_ends : bool, optional
        With ``refine_ends=False``: compute the ends' Hessian-index certificates (default
        True), or take the ends as given (one gradient each, no Hessian): they are then
        reported ``certified=False`` with that reason, so ``success`` is False however the
        rest goes (the path, its barrier and any certified saddles are still returned).
        Meant for ends that are not exact minima, e.g. trained networks.
    init_path : array_like, shape (n, k), optional
        Initial curve (columns, ``k >= 2``) from ``theta_a`` to ``theta_b`` (its end columns
        are replaced by the ends), redistributed to ``n_images`` at equal arc length. Default
        the straight segment.
    lr : float, optional
        Step of the first-order mode. Default ``FO_LR * rms(theta_b - theta_a)`` (0.01 times
        the root-mean-square coordinate of the end difference).
    cert_max_hvp : int or None, optional
        Cap on the Hessian-vector products of each matrix-free certificate and Lanczos mode
        search (``n > dense_max``), charged to the budget. A point whose Lanczos has not
        finished within it is reported uncertified ("index unknown") instead of running on.
        Default `CERT_MAX_HVP` (1000); None: no cap.
    climb : bool, optional
        Let the highest image climb (CI-NEB) in the first-order and L-BFGS modes. Default
        True. On networks with a small budget (string far from converged) ``False`` gave
        lower barriers: a climbing image on an unconverged string only finds the top of that
        string.
    energy_weight : float, optional
        L-BFGS mode: redistribute the images at equal weighted arc length, weight
        ``1 + energy_weight (E - E_min) / (E_max - E_min)``, so that the polyline through
        the images resolves the barrier (AutoNEB-like). Default 0 (equal arc length); not
        used when re-converging with the refined points pinned.
    max_time : float, optional
        Wall-time cap in seconds, read before every evaluation: past it the call returns
        with ``Status.MAX_TIME`` and the string as it stands (its energies, barriers and any
        points refined so far). Default None (no cap; the iteration caps and
        `max_grad_evals` still bound the call).

    Returns
    -------
    MEPResult
        ``path``, ``s``, ``energy``, ``saddles``, ``minima``, ``barrier_forward``,
        ``barrier_backward``, ``quasi_potential``, ``tangent_residual``, ``success``,
        ``status``, ``message``, ``n_grad``, ``n_iter``, ``time``. ``success`` only when the
        string converged and every saddle and minimum (the ends included) is certified.
        ``info`` adds ``method``, ``climbing_image``, ``barrier_estimate``,
        ``ends_certified``, ``residual_history`` and ``n_grad_stages``. A non-finite ``V`` or
        gradient met on the way gives ``Status.NON_FINITE`` (no exception), a spent budget
        ``Status.BUDGET_EXHAUSTED``, an unconverged string ``Status.MAX_ITER``, an
        uncertified point ``Status.NOT_CONVERGED``.

    Raises
    ------
    ValueError
        Ends of different lengths, not finite, or equal; bad `n_images`, `tol`, `path_tol`.

    Examples
    --------
    The Müller-Brown potential: from the deepest minimum A to minimum B the path climbs over
    two saddles with the intermediate minimum C between them.

    >>> import numpy as np
    >>> from lagopt import solve_mep
    >>> from lagopt.objectives import MullerBrown
    >>> mb = MullerBrown()
    >>> res = solve_mep(mb, [-0.558, 1.442], [0.623, 0.028])
    >>> res.success, len(res.saddles), len(res.minima)
    (True, 2, 3)
    >>> [round(sp.energy, 4) for sp in res.saddles]
    [-40.6648, -72.2489]
    >>> round(res.quasi_potential, 3), round(res.barrier_forward, 3)
    (229.107, 106.035)
    >>> all(p.certified for p in res.saddles + res.minima), [sp.index for sp in res.saddles]
    (True, [1, 1])
    """
    t0 = time.perf_counter()
    obj, a, b, m = _check_args(objective, theta_a, theta_b, n_images, tol, path_tol,
                               max_grad_evals, max_iter, method)
    ev = Evaluator(obj, max_grad_evals, np.random.default_rng(seed), _max_time(max_time))
    st = _State(np.column_stack([a, b]))
    st.path_tol = float(path_tol)
    try:
        return _run(ev, st, a, b, m, float(tol), float(path_tol), int(max_iter),
                    bool(refine_ends), int(dense_max), int(k), progress, t0, method,
                    bool(certify_ends), init_path, lr, cert_max_hvp, bool(climb),
                    float(energy_weight))
    except (NonFiniteError, FloatingPointError) as exc:
        return _finish(ev, st, st.minima if len(st.minima) == 2 else [], Status.NON_FINITE,
                       f"Non-finite values: {exc} (after {ev.n_grad} gradient evaluations, "
                       f"{st.n_iter} string iterations). The path crosses a region where V or "
                       "its gradient is not finite: move the ends, add images, or make V "
                       "finite there.", t0, m)
    except BudgetExhausted as exc:   # the evaluation budget, or the time cap (_finish)
        return _finish(ev, st, st.minima if len(st.minima) == 2 else [],
                       Status.BUDGET_EXHAUSTED,
                       f"Stopped: {exc} (string residual {st.residual:.2e}, {st.n_iter} "
                       "iterations)." + ("" if ev.timed_out else " Raise `max_grad_evals`."),
                       t0, m)
