"""The one measurement routine: action, energy drift and Euler-Lagrange residual of a path.

Every path that `solve_action_path` returns, whatever method built it, is measured here with
the same quadrature and the same residual definition, so that methods compare on equal terms.
The public `lagopt.action` (module `_measured_action`) applies the same quadrature to any path.

This is the numerical bottom layer of `lagopt.paths`: it imports nothing from the layers above
(results, methods, dispatch).
"""

import functools

import numpy as np
from scipy.interpolate import CubicHermiteSpline

__all__ = ["measure", "measurement_plan", "FULL_MEASURE_MAX_PARAMS", "quadrature",
           "gauss_panels", "hermite_dense", "quintic_dense", "velocities_from_accelerations",
           "velocities_from_accelerations_high_order",
           "linear_dense",
           "el_residual", "callable_dense", "call_path"]

#: Gauss-Legendre order per panel: exact for polynomials of degree 9, so the kinetic part of
#: any piecewise cubic path (integrand of degree <= 4 per mesh interval) is integrated exactly.
GAUSS_ORDER = 5
#: Default minimum number of quadrature panels over [0, T].
MIN_PANELS = 200
#: The residual is sampled on the method's mesh with every interval split evenly until there
#: are at least this many: it then measures the dense output the user receives, not how
#: coarse the method's mesh is (a cubic through accurate but sparse nodes has a large defect).
MIN_RESIDUAL_INTERVALS = 256
_GX, _GW = np.polynomial.legendre.leggauss(GAUSS_ORDER)
#: Up to this many parameters every path is measured on the fixed sample sets above (about
#: 1,000 losses and 1,000 gradients, less than a typical solve). Beyond it one loss costs
#: ``O(n)`` and those sample sets would cost more than the solve (a minute at 10^5
#: parameters), so the samples follow the method's own mesh: one Gauss panel per mesh
#: interval (at least `SCALED_MIN_PANELS`) and the residual on the mesh with every interval
#: halved (at least `SCALED_MIN_RESIDUAL_INTERVALS`). On 16-interval Numerov paths of
#: quadratics with ``omega`` 3 to 20 this measured the same residual (1e-5 to 1e-4) as
#: samples twice as dense: what it sees is the path's defect, not the sampling's. The rule
#: depends only on ``n`` and the mesh, so every method is measured alike at a given ``n``.
FULL_MEASURE_MAX_PARAMS = 2000
SCALED_MIN_PANELS = 16
SCALED_MIN_RESIDUAL_INTERVALS = 32
_SCALED_RESIDUAL_SPLIT = 2

# Interior points of each mesh interval where the residual is sampled, as fractions of the
# interval: the midpoint and the two interior 5-point Lobatto nodes, i.e. exactly the points at
# which scipy.integrate.solve_bvp estimates its own residual.
_RESIDUAL_POINTS = np.array([0.5 - 0.5 * np.sqrt(3.0 / 7.0), 0.5, 0.5 + 0.5 * np.sqrt(3.0 / 7.0)])


def _hermite_basis(s):
    """Cubic Hermite basis ``(h00, h10, h01, h11)`` and its derivative at ``s`` (rows)."""
    return (np.array([2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s, -2 * s**3 + 3 * s**2,
                      s**3 - s**2]),
            np.array([6 * s**2 - 6 * s, 3 * s**2 - 4 * s + 1, -6 * s**2 + 6 * s,
                      3 * s**2 - 2 * s]))


_HERMITE_AT_SAMPLES, _HERMITE_SLOPE_AT_SAMPLES = _hermite_basis(_RESIDUAL_POINTS)

# Above this many floats in one batch of points the loss/gradient is evaluated in chunks
# (memory only: the result is identical).
_CHUNK_FLOATS = 2 ** 24
# The residual's sample arrays, (2n, 3, intervals), are built for this many floats at a time:
# at 10^5 parameters and 128 intervals they were 600 MB each, several alive at once.
_RESIDUAL_CHUNK_FLOATS = 2 ** 22


# ----------------------------------------------------------------------------- dense outputs
def hermite_dense(t, theta, theta_dot):
    """Dense output of a C1 piecewise-cubic Hermite interpolant of mesh values.

    Returns a callable ``tq -> (theta(tq), theta'(tq))`` with shapes ``(n, len(tq))``.
    """
    spline = CubicHermiteSpline(t, theta, theta_dot, axis=1)
    deriv = spline.derivative()

    def dense(tq):
        tq = np.asarray(tq, dtype=float)
        return spline(tq), deriv(tq)

    return dense


def quintic_dense(t, theta, theta_dot, theta_ddot):
    """Dense output of the C2 piecewise-quintic Hermite interpolant of values, velocities and
    accelerations on a mesh: for a path given by nodes of a discretised Euler-Lagrange equation
    with accelerations ``lam grad L(theta_i)``, a continuous path consistent with the scheme
    (its defect at the nodes is zero, inside each interval of the order of the nodes' error).
    Returns ``tq -> (theta(tq), theta'(tq))`` (outside the mesh, the end pieces extended).

    The quintic of each interval in ``s = (t - t_i) / h_i`` has the coefficients below (the
    quintic Hermite basis expanded), evaluated by Horner's rule for all times at once; scipy's
    ``BPoly.from_derivatives`` builds the same piecewise polynomial interval by interval in
    Python (17 ms of a 28 ms direct solve on 256 intervals).
    """
    t = np.asarray(t, dtype=float)
    h = np.diff(t)
    Y0, Y1 = theta[:, :-1], theta[:, 1:]
    V0, V1 = h * theta_dot[:, :-1], h * theta_dot[:, 1:]
    A0, A1 = h * h * theta_ddot[:, :-1], h * h * theta_ddot[:, 1:]
    dY = Y1 - Y0
    c = np.stack((Y0, V0, 0.5 * A0,
                  10.0 * dY - 6.0 * V0 - 4.0 * V1 - 1.5 * A0 + 0.5 * A1,
                  -15.0 * dY + 8.0 * V0 + 7.0 * V1 + 1.5 * A0 - A1,
                  6.0 * dY - 3.0 * V0 - 3.0 * V1 - 0.5 * A0 + 0.5 * A1))   # (6, n, k - 1)

    def dense(tq):
        tq = np.atleast_1d(np.asarray(tq, dtype=float))
        i = np.minimum(np.maximum(np.searchsorted(t, tq, side="right") - 1, 0), t.size - 2)
        hi = h[i]
        s = (tq - t[i]) / hi
        ci = c[:, :, i]
        value = ci[0] + s * (ci[1] + s * (ci[2] + s * (ci[3] + s * (ci[4] + s * ci[5]))))
        slope = ci[1] + s * (2.0 * ci[2] + s * (3.0 * ci[3] + s * (4.0 * ci[4]
                                                                   + s * 5.0 * ci[5])))
        return value, slope / hi

    return dense


def velocities_from_accelerations(h, theta, acc):
    """Fourth-order velocities at uniform nodes (spacing `h`) from positions and accelerations.

    Inside: ``(theta_{i+1} - theta_{i-1}) / 2h - h (a_{i+1} - a_{i-1}) / 12``; at the ends the
    one-sided Taylor formula with the accelerations' first and second differences. Both are
    ``O(h^4)`` for a smooth path (needs at least 3 nodes; with 2, the straight-line slope).
    """
    V = np.empty_like(theta)
    if theta.shape[1] < 3:
        V[:] = ((theta[:, -1] - theta[:, 0]) / h)[:, None]
        return V
    V[:, 1:-1] = (theta[:, 2:] - theta[:, :-2]) / (2 * h) - h * (acc[:, 2:] - acc[:, :-2]) / 12
    a0, a1, a2 = acc[:, 0], acc[:, 1], acc[:, 2]
    V[:, 0] = ((theta[:, 1] - theta[:, 0]) / h - h * a0 / 2 - h * (a1 - a0) / 6
               + h * (a2 - 2 * a1 + a0) / 24)
    b0, b1, b2 = acc[:, -1], acc[:, -2], acc[:, -3]
    V[:, -1] = ((theta[:, -1] - theta[:, -2]) / h + h * b0 / 2 + h * (b1 - b0) / 6
                - h * (b2 - 2 * b1 + b0) / 24)
    return V


#: Nodes of the acceleration stencil of `velocities_from_accelerations_high_order`.
_VELOCITY_STENCIL = 6


@functools.lru_cache(maxsize=None)
def _velocity_weights(offset, mirrored=False, width=_VELOCITY_STENCIL):
    """Weights ``w_j`` with ``int_0^1 (1 - u) p(u) du = sum_j w_j a_j`` for the polynomial
    ``p`` through ``a_j`` at the ``width`` nodes ``u = j - offset``, ``j = 0 .. width-1``
    (at ``u = offset - j`` if `mirrored`: the backward step). Read-only array."""
    nodes = np.arange(width, dtype=float) - offset
    if mirrored:
        nodes = -nodes
    gx, gw = np.polynomial.legendre.leggauss(width)
    u, wq = 0.5 * (gx + 1.0), 0.5 * gw
    weights = np.empty(width)
    for j in range(width):
        others = np.delete(nodes, j)
        lj = np.prod((u[:, None] - others[None, :]) / (nodes[j] - others[None, :]), axis=1)
        weights[j] = float(np.sum(wq * (1.0 - u) * lj))
    weights.flags.writeable = False
    return weights


def velocities_from_accelerations_high_order(h, theta, acc):
    """Velocities at uniform nodes from positions and accelerations, to ``O(h^6)`` and beyond.

    ``theta_{i+1} = theta_i + h v_i + int_{t_i}^{t_{i+1}} (t_{i+1} - s) a(s) ds`` exactly; with
    ``a`` replaced by its degree-5 interpolant on six nodes around ``i`` the integral errs by
    ``O(h^8)``, so ``v_i`` inherits the accuracy of the positions (``theta_{i-1}`` and the
    backward form at the last node). `velocities_from_accelerations`' fourth-order formulas
    left errors of ``1e-3`` of the speed at the ends of a 16-interval path with ``omega h =
    0.375``, which the pointwise residual of the dense output showed. Falls back to
    `velocities_from_accelerations` below six nodes.
    """
    n, k = theta.shape
    w = _VELOCITY_STENCIL
    if k < w:
        return velocities_from_accelerations(h, theta, acc)
    V = np.empty_like(theta)
    for i in range(k):
        forward = i < k - 1
        j0 = min(max(i - (w // 2 - 1), 0), k - w) if forward else k - w
        if forward:
            # int_0^1 (1 - u) p(t_i + u h) du, stencil nodes at u = j0 + j - i.
            c = _velocity_weights(i - j0)
            V[:, i] = (theta[:, i + 1] - theta[:, i]) / h - h * (acc[:, j0:j0 + w] @ c)
        else:
            # Backward: theta_{i-1} = theta_i - h v_i + h^2 int_0^1 (1 - u) p(t_i - u h) du.
            c = _velocity_weights(i - j0, mirrored=True)
            V[:, i] = (theta[:, i] - theta[:, i - 1]) / h + h * (acc[:, j0:j0 + w] @ c)
    return V


def linear_dense(t, theta):
    """Dense output of the piecewise-linear interpolant of mesh values (velocity piecewise
    constant; at a breakpoint the velocity of the interval to its right is returned)."""
    t = np.asarray(t, dtype=float)
    h = np.diff(t)
    slopes = np.diff(theta, axis=1) / h

    def dense(tq):
        tq = np.asarray(tq, dtype=float)
        i = np.clip(np.searchsorted(t, tq, side="right") - 1, 0, t.size - 2)
        v = slopes[:, i]
        return theta[:, i] + v * (tq - t[i]), v

    return dense


# ----------------------------------------------------------------------------- quadrature
def gauss_panels(t_mesh, T, min_panels=MIN_PANELS):
    """Composite Gauss-Legendre nodes and weights on panels that refine a mesh.

    Each mesh interval ``[t_i, t_{i+1}]`` is split into ``max(1, ceil(min_panels h_i / T))``
    equal panels (so there are at least ``min_panels`` panels in total, and every panel lies
    inside one mesh interval: piecewise polynomial dense outputs are integrated piece by
    piece), each with `GAUSS_ORDER` Gauss points.

    Returns
    -------
    tq, wq : ndarray, shape (m,)
        Quadrature nodes (increasing) and weights; ``wq.sum() == T`` up to rounding.
    """
    t_mesh = np.asarray(t_mesh, dtype=float)
    h = np.diff(t_mesh)
    keep = h > 0
    left, h = t_mesh[:-1][keep], h[keep]
    sub = np.maximum(1, np.ceil(min_panels * h / T - 1e-9)).astype(np.int64)
    if sub.max() == 1:   # one panel per mesh interval
        return ((left[:, None] + 0.5 * h[:, None] * (_GX + 1.0)).ravel(),
                (0.5 * h[:, None] * _GW).ravel())
    idx = np.repeat(np.arange(h.size), sub)
    first = np.cumsum(sub) - sub
    j = np.arange(idx.size) - first[idx]
    width = h[idx] / sub[idx]
    a = left[idx] + width * j
    tq = (a[:, None] + 0.5 * width[:, None] * (_GX + 1.0)).ravel()
    wq = (0.5 * width[:, None] * _GW).ravel()
    return tq, wq


def measurement_plan(n, t):
    """``(min_panels, residual_intervals)`` of the measurement of a path with ``n`` parameters
    on the mesh ``t`` (see `FULL_MEASURE_MAX_PARAMS`)."""
    if n <= FULL_MEASURE_MAX_PARAMS:
        return MIN_PANELS, MIN_RESIDUAL_INTERVALS
    intervals = max(len(t) - 1, 1)
    return (max(intervals, SCALED_MIN_PANELS),
            max(_SCALED_RESIDUAL_SPLIT * intervals, SCALED_MIN_RESIDUAL_INTERVALS))


def refine_mesh(t, min_intervals):
    """`t` with every interval split into ``ceil(min_intervals / (len(t) - 1))`` equal parts."""
    t = np.asarray(t, dtype=float)
    parts = max(1, -(-min_intervals // max(t.size - 1, 1)))
    if parts == 1:
        return t
    frac = np.arange(parts) / parts
    inner = (t[:-1, None] + np.diff(t)[:, None] * frac[None, :]).ravel()
    return np.append(inner, t[-1])


def _chunked(fun, P):
    """Apply a batched objective method to the columns of P, in chunks for huge batches."""
    n, m = P.shape
    step = max(1, _CHUNK_FLOATS // max(n, 1))
    if m <= step:
        return fun(P)
    parts = [fun(np.ascontiguousarray(P[:, i:i + step])) for i in range(0, m, step)]
    return np.concatenate(parts, axis=-1)


def quadrature(objective, lam, dense, t_mesh, T, min_panels):
    """Kinetic, potential, energy drift (and the H values) by composite Gauss quadrature."""
    tq, wq = gauss_panels(t_mesh, T, min_panels)
    theta_q, vel_q = dense(tq)
    theta_q = np.asarray(theta_q, dtype=float)
    vel_q = np.asarray(vel_q, dtype=float)
    kin_density = 0.5 * np.einsum("ij,ij->j", vel_q, vel_q)
    if lam > 0 and np.isfinite(theta_q).all():
        loss_q = _chunked(objective.loss_batch, np.ascontiguousarray(theta_q))
    elif lam > 0:
        loss_q = np.full(tq.size, np.nan)
    else:
        loss_q = np.zeros(tq.size)
    kinetic = float(wq @ kin_density)
    potential = float(lam * (wq @ loss_q))
    H = kin_density - lam * loss_q
    return {
        "kinetic": kinetic,
        "potential": potential,
        "action": kinetic + potential,
        "energy_drift": float(H.max() - H.min()) if H.size else 0.0,
        "energy_mean": float((wq @ H) / T),
        "energy_scale": float(np.max(kin_density + lam * np.abs(loss_q))) if H.size else 0.0,
        "n_quad_points": int(tq.size),
    }


# ----------------------------------------------------------------------------- residual
def el_residual(objective, lam, t, theta, theta_dot):
    """Euler-Lagrange residual of mesh values, as scipy.integrate.solve_bvp defines it.

    With ``y = (theta, v)`` and ``f(y) = (v, lam grad L(theta))``, build the C1 cubic Hermite
    interpolant ``y_h`` of ``y_i`` with slopes ``f(y_i)`` on the mesh (solve_bvp's own solution
    spline; not the action ``S``) and sample ``r = y_h'(t) - f(y_h(t))`` at the midpoint and
    the two interior 5-point Lobatto nodes of every interval (``r`` vanishes at the nodes by
    construction).

    Returns
    -------
    residual : float
        ``max |r|`` over components and sample points (absolute, max-norm).
    residual_rel : float
        ``max |r| / scale`` over sample points, normwise at each point: for the position
        equation ``theta_h' - v_h`` the scale is ``D / T + |v|_inf``, for the momentum equation
        ``v_h' - lam grad L`` it is ``D / T^2 + |lam grad L|_inf``, with ``T`` the length of
        the mesh and ``D = max_t |theta(t) - theta(0)|_inf`` the path's extent. It is
        solve_bvp's ``|r_i| / (1 + |f_i|)`` with two changes: the norm over components (the
        componentwise form depends on the basis: a rotated stiff quadratic solved to 1e-10
        measured 1e-2 where an acceleration component crosses zero), and the unit ``1``
        replaced by the path's own scales, so that the measure does not depend on the units
        of time and length (with the ``1``, an exact path at ``T = 1e-6`` measured 70 -- its
        velocity, ``1e6``, rounded to 1e-10, differentiated over ``h = 5e-8`` -- and at
        ``T = 100`` the smoothstep interpolant, whose accelerations are ``1e-4``, passed).
    per_interval : ndarray, shape (k - 1,)
        Absolute max residual in each mesh interval.
    """
    n, k = theta.shape
    h = np.diff(t)
    g = _chunked(objective.grad_batch, np.ascontiguousarray(theta))
    Y = np.vstack((theta, theta_dot))
    F = np.vstack((theta_dot, lam * g))
    per_interval = np.full(k - 1, 0.0)
    r_max = rel_max = 0.0
    intervals = np.flatnonzero(h > 0)
    if intervals.size == 0:
        return 0.0, 0.0, per_interval
    span = float(t[-1] - t[0])
    D = float(np.max(np.abs(theta - theta[:, :1])))
    floors = (D / span, D / span ** 2) if span > 0 else (0.0, 0.0)
    # Intervals in chunks: the sample arrays are (2n, 3, chunk), bounded in memory.
    step = max(1, _RESIDUAL_CHUNK_FLOATS // (6 * max(n, 1)))
    for c0 in range(0, intervals.size, step):
        ii = intervals[c0:c0 + step]
        r, rel = _interval_residuals(objective, lam, Y[:, ii], Y[:, ii + 1], F[:, ii],
                                     F[:, ii + 1], h[ii], floors)
        r_max = max(r_max, float(r.max()))
        rel_max = max(rel_max, float(rel.max()))
        per_interval[ii] = r.reshape(2 * n, _RESIDUAL_POINTS.size, ii.size).max(axis=(0, 1))
    return r_max, rel_max, per_interval


def _interval_residuals(objective, lam, Y0, Y1, F0, F1, hk, floors=(0.0, 0.0)):
    """``|S' - f(S)|`` and its relative form (normwise scales, see `el_residual`) at the sample
    points of some intervals, for `el_residual`; arrays of shape ``(2n, 3 * len(hk))``."""
    n = Y0.shape[0] // 2
    # (2n, 3, k') arrays: the Hermite basis (and its derivative) at the sample points applied
    # to (Y0, h F0, Y1, h F1) (and to (Y0 / h, F0, Y1 / h, F1)).
    S = np.einsum("bs,bnk->nsk", _HERMITE_AT_SAMPLES, np.stack((Y0, hk * F0, Y1, hk * F1)))
    dS = np.einsum("bs,bnk->nsk", _HERMITE_SLOPE_AT_SAMPLES,
                   np.stack((Y0 / hk, F0, Y1 / hk, F1)))
    m = S.shape[1] * S.shape[2]
    S2 = S.reshape(2 * n, m)
    if np.isfinite(S2).all():
        gS = _chunked(objective.grad_batch, np.ascontiguousarray(S2[:n]))
    else:
        gS = np.full((n, m), np.nan)
    fS = np.vstack((S2[n:], lam * gS))
    return _scaled(dS.reshape(2 * n, m), fS, floors)


def _scaled(dS, fS, floors):
    """``|dS - fS|`` and its normwise relative form (see `el_residual`)."""
    n = dS.shape[0] // 2
    r = np.abs(dS - fS)
    scale = np.empty_like(r)
    scale[:n] = floors[0] + np.max(np.abs(fS[:n]), axis=0)
    scale[n:] = floors[1] + np.max(np.abs(fS[n:]), axis=0)
    # A path at rest at a critical point has r = 0 and scale 0: residual 0.
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(r == 0.0, 0.0, r / scale)
    return r, rel


def sampled_residual(t, theta, dS, fS):
    """`el_residual` from values a solver already has: ``dS`` and ``fS``, shape
    ``(2n, 3 (k - 1))``, the derivative of the Hermite interpolant of ``(theta, v)`` (slopes
    ``f`` at the nodes) and ``f`` at its values, at the sample points of `el_residual` (the
    midpoint, then the two interior 5-point Lobatto nodes, of every interval of the strictly
    increasing mesh `t`, in that order). The same numbers as `el_residual` on the same
    interpolant, without evaluating the gradient again. Returns ``(residual, residual_rel,
    per_interval)``."""
    n2, k = dS.shape[0], t.size - 1
    if k == 0:
        return 0.0, 0.0, np.zeros(0)
    span = float(t[-1] - t[0])
    D = float(np.max(np.abs(theta - theta[:, :1])))
    r, rel = _scaled(dS, fS, (D / span, D / span ** 2))
    # Sample order (midpoint, left, right) of each interval: the maxima do not depend on it.
    per_interval = r.reshape(n2, 3, k).max(axis=(0, 1))
    return float(r.max()), float(rel.max()), per_interval


def weak_residual(objective, lam, t, dense):
    """Euler-Lagrange residual in integrated (momentum-balance) form.

    ``R(t_j) = v(t_j) - v(0) - lam int_0^{t_j} grad L(theta(t)) dt`` (5-point Gauss-Legendre on
    every interval of `t`) vanishes for an exact solution even where ``grad L`` jumps (ReLU
    kinks), where the pointwise residual of any smooth interpolant does not, and it converges
    with the path's accuracy. Returns ``max_j |R(t_j)|_inf`` relative to the momentum scale
    ``max_t |v|_inf + lam int_0^T |grad L|_inf dt``.
    """
    t = np.asarray(t, dtype=float)
    h = np.diff(t)
    tq = (t[:-1, None] + 0.5 * h[:, None] * (_GX + 1.0)).ravel()
    theta_q, _ = dense(tq)
    g = lam * _chunked(objective.grad_batch, np.ascontiguousarray(theta_q))
    n = g.shape[0]
    g = g.reshape(n, h.size, GAUSS_ORDER)
    impulse = np.cumsum(0.5 * h * np.einsum("nik,k->ni", g, _GW), axis=1)
    _, v = dense(t)
    v = np.asarray(v, dtype=float)
    R = np.abs(v[:, 1:] - v[:, :1] - impulse)
    scale = float(np.abs(v).max()) + float(np.sum(0.5 * h * (np.abs(g).max(axis=0) @ _GW)))
    if R.size == 0 or scale == 0.0:
        return 0.0
    return float(R.max() / scale)


def measure(objective, lam, T, t, theta, theta_dot, dense=None, min_panels=MIN_PANELS,
            residual=True, residual_intervals=MIN_RESIDUAL_INTERVALS, mesh_residual=None):
    """Measure a path given on a mesh, with its dense output.

    Parameters
    ----------
    objective : Objective
    lam, T : float
    t : ndarray, shape (k,)
        Mesh, increasing, ``t[0] = 0``, ``t[-1] = T``.
    theta, theta_dot : ndarray, shape (n, k)
        Values and velocities on the mesh.
    dense : callable, optional
        ``tq -> (theta(tq), theta'(tq))``; default: the cubic Hermite interpolant of the mesh
        values (`hermite_dense`).
    min_panels : int, optional
        Minimum number of Gauss panels (see `gauss_panels`).
    residual : bool, optional
        Also compute the Euler-Lagrange residual of the dense output (`el_residual` on the
        mesh refined to at least `residual_intervals` intervals: about four gradient
        evaluations per interval).
    residual_intervals : int, optional
        Default ``MIN_RESIDUAL_INTERVALS``; `measurement_plan` gives the package's rule.
    mesh_residual : tuple, optional
        ``(residual, residual_rel, per_interval)`` of `el_residual` on the mesh `t` itself,
        already known to the solver (`sampled_residual`); used when the residual is measured
        on the mesh (``residual_intervals`` does not refine it).

    Returns
    -------
    dict
        ``action, kinetic, potential, energy_drift, residual, residual_rel, finite`` and
        extras (``energy_mean``, ``energy_drift_rel``, ``residual_per_interval``,
        ``n_quad_points``). ``finite`` is False when any value is not finite.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _measure(objective, lam, T, t, theta, theta_dot, dense, min_panels, residual,
                        residual_intervals, mesh_residual)


def _measure(objective, lam, T, t, theta, theta_dot, dense, min_panels, residual,
             residual_intervals, mesh_residual=None):
    if dense is None:
        dense = hermite_dense(t, theta, theta_dot)
    finite_mesh = bool(np.isfinite(theta).all() and np.isfinite(theta_dot).all())
    if finite_mesh:
        out = quadrature(objective, lam, dense, t, T, min_panels)
    else:
        out = {"kinetic": np.nan, "potential": np.nan, "action": np.nan, "energy_drift": np.nan,
               "energy_mean": np.nan, "energy_scale": np.nan, "n_quad_points": 0}
    if residual and finite_mesh:
        t_res = refine_mesh(t, residual_intervals)
        if t_res is t:   # the mesh itself: its values are given
            theta_r, v_r = theta, theta_dot
        else:
            theta_r, v_r = (np.asarray(a, dtype=float) for a in dense(t_res))
        if t_res is t and mesh_residual is not None:
            res, rel, per = mesh_residual
        else:
            res, rel, per = el_residual(objective, lam, t_res, theta_r, v_r)
        if not getattr(objective, "smooth", True):
            out["weak_residual_rel"] = weak_residual(objective, lam, t_res, dense)
    else:
        res, rel, per = (np.nan, np.nan, None) if residual else (None, None, None)
    out["residual"], out["residual_rel"], out["residual_per_interval"] = res, rel, per
    scale = out["energy_scale"]
    out["energy_drift_rel"] = (out["energy_drift"] / scale if np.isfinite(scale) and scale > 0
                               else (0.0 if scale == 0 else np.nan))
    values = [out["action"], out["kinetic"], out["potential"], out["energy_drift"]]
    if residual:
        values.append(res)
    out["finite"] = bool(finite_mesh and np.isfinite(values).all())
    return out


def call_path(fun, tq, n):
    """Evaluate a user path ``t -> theta`` at many times; shape (n, len(tq))."""
    try:
        out = np.asarray(fun(tq), dtype=float)
        if out.shape == (n, tq.size):
            return out
    except Exception:  # noqa: BLE001 - not vectorised: fall back to one call per time
        pass
    out = np.empty((n, tq.size))
    for j, tj in enumerate(tq):
        val = np.asarray(fun(float(tj)), dtype=float).reshape(-1)
        if val.shape != (n,):
            raise ValueError(f"`path` must return an array of shape ({n},) for a scalar time "
                             f"(or ({n}, m) for m times), got shape {val.shape}.")
        out[:, j] = val
    return out


# Five-point fourth-order difference stencils (offsets in units of h, weights / (12 h)).
_CENTRAL = (np.array([-2.0, -1.0, 1.0, 2.0]), np.array([1.0, -8.0, 8.0, -1.0]))
_FORWARD = (np.array([0.0, 1.0, 2.0, 3.0, 4.0]), np.array([-25.0, 48.0, -36.0, 16.0, -3.0]))


def _fd_velocity(fun, tq, T, n):
    """Fourth-order finite-difference velocity of a path callable inside [0, T]."""
    h = 7e-4 * T  # ~ eps**(1/5) * T: balances O(h^4) truncation against O(eps/h) rounding
    left = tq < 2 * h
    right = tq > T - 2 * h
    mid = ~(left | right)
    vel = np.empty((n, tq.size))
    for mask, (offs, wts), sign in ((mid, _CENTRAL, 1.0), (left, _FORWARD, 1.0),
                                    (right, _FORWARD, -1.0)):
        if not np.any(mask):
            continue
        tt = tq[mask][None, :] + sign * h * offs[:, None]  # (stencil, p)
        vals = call_path(fun, tt.ravel(), n).reshape(n, offs.size, -1)
        vel[:, mask] = sign * np.einsum("s,nsp->np", wts, vals) / (12.0 * h)
    return vel


def callable_dense(fun, T, n):
    if hasattr(fun, "velocity") and callable(fun.velocity):
        def dense(tq):
            return call_path(fun, tq, n), call_path(fun.velocity, tq, n)
        return dense, "velocity"
    if hasattr(fun, "derivative") and callable(fun.derivative):
        try:
            deriv = fun.derivative()
        except Exception:  # noqa: BLE001 - derivative() of another signature: use differences
            deriv = None
        if callable(deriv):
            def dense(tq):
                return call_path(fun, tq, n), call_path(deriv, tq, n)
            return dense, "derivative"

    def dense(tq):
        return call_path(fun, tq, n), _fd_velocity(fun, tq, T, n)
    return dense, "finite differences"
