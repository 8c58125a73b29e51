"""The one measurement routine: action, energy drift and Euler-Lagrange residual of a path.

Every path that `solve_action_path` returns, whatever method built it, is measured here with
the same quadrature and the same residual definition, so that methods compare on equal terms.
The public `lagopt.action` (module `_action`) applies the same quadrature to any path.

This is the numerical bottom layer of `lagopt.paths`: it imports nothing from the layers above
(results, methods, dispatch).
"""

import numpy as np
from scipy.interpolate import CubicHermiteSpline

__all__ = ["measure", "quadrature", "gauss_panels", "hermite_dense", "linear_dense",
           "el_residual", "callable_dense", "call_path"]

#: Gauss-Legendre order per panel: exact for polynomials of degree 9, so the kinetic part of
#: any piecewise cubic path (integrand of degree <= 4 per mesh interval) is integrated exactly.
GAUSS_ORDER = 5
#: Default minimum number of quadrature panels over [0, T].
MIN_PANELS = 200
_GX, _GW = np.polynomial.legendre.leggauss(GAUSS_ORDER)

# Interior points of each mesh interval where the residual is sampled, as fractions of the
# interval: the midpoint and the two interior 5-point Lobatto nodes, i.e. exactly the points at
# which scipy.integrate.solve_bvp estimates its own residual.
_RESIDUAL_POINTS = np.array([0.5 - 0.5 * np.sqrt(3.0 / 7.0), 0.5, 0.5 + 0.5 * np.sqrt(3.0 / 7.0)])

# Above this many floats in one batch of points the loss/gradient is evaluated in chunks
# (memory only: the result is identical).
_CHUNK_FLOATS = 2 ** 24


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
    idx = np.repeat(np.arange(h.size), sub)
    first = np.cumsum(sub) - sub
    j = np.arange(idx.size) - first[idx]
    width = h[idx] / sub[idx]
    a = left[idx] + width * j
    tq = (a[:, None] + 0.5 * width[:, None] * (_GX + 1.0)).ravel()
    wq = (0.5 * width[:, None] * _GW).ravel()
    return tq, wq


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
    if lam > 0 and np.all(np.isfinite(theta_q)):
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
    interpolant ``S`` of ``y_i`` with slopes ``f(y_i)`` on the mesh (solve_bvp's own solution
    spline) and sample ``r = S'(t) - f(S(t))`` at the midpoint and the two interior 5-point
    Lobatto nodes of every interval (``r`` vanishes at the nodes by construction).

    Returns
    -------
    residual : float
        ``max |r|`` over components and sample points (absolute, max-norm).
    residual_rel : float
        ``max |r| / (1 + |f|)``, componentwise, the relative scaling solve_bvp's ``tol`` uses.
    per_interval : ndarray, shape (k - 1,)
        Absolute max residual in each mesh interval.
    """
    n, k = theta.shape
    h = np.diff(t)
    keep = h > 0
    g = _chunked(objective.grad_batch, np.ascontiguousarray(theta))
    Y = np.vstack((theta, theta_dot))
    F = np.vstack((theta_dot, lam * g))
    Y0, Y1, F0, F1 = Y[:, :-1][:, keep], Y[:, 1:][:, keep], F[:, :-1][:, keep], F[:, 1:][:, keep]
    hk = h[keep]
    s = _RESIDUAL_POINTS[:, None]  # (3, 1) against intervals (1, k')
    # Cubic Hermite basis and its derivative in the local variable s in [0, 1].
    h00, h10 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s
    h01, h11 = -2 * s**3 + 3 * s**2, s**3 - s**2
    d00, d10 = 6 * s**2 - 6 * s, 3 * s**2 - 4 * s + 1
    d01, d11 = -6 * s**2 + 6 * s, 3 * s**2 - 2 * s
    # (2n, 3, k') arrays
    S = (h00 * Y0[:, None] + hk * h10 * F0[:, None] + h01 * Y1[:, None] + hk * h11 * F1[:, None])
    dS = ((d00 * Y0[:, None] + d01 * Y1[:, None]) / hk + d10 * F0[:, None] + d11 * F1[:, None])
    m = S.shape[1] * S.shape[2]
    S2 = S.reshape(2 * n, m)
    if np.all(np.isfinite(S2)):
        gS = _chunked(objective.grad_batch, np.ascontiguousarray(S2[:n]))
    else:
        gS = np.full((n, m), np.nan)
    fS = np.vstack((S2[n:], lam * gS))
    r = np.abs(dS.reshape(2 * n, m) - fS)
    if r.size == 0:
        return 0.0, 0.0, np.zeros(0)
    rel = r / (1.0 + np.abs(fS))
    per_interval = np.full(k - 1, 0.0)
    per_interval[keep] = r.reshape(2 * n, S.shape[1], S.shape[2]).max(axis=(0, 1))
    return float(r.max()), float(rel.max()), per_interval


def measure(objective, lam, T, t, theta, theta_dot, dense=None, min_panels=MIN_PANELS,
            residual=True):
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
        Also compute the Euler-Lagrange residual (``4k - 3`` gradient evaluations).

    Returns
    -------
    dict
        ``action, kinetic, potential, energy_drift, residual, residual_rel, finite`` and
        extras (``energy_mean``, ``energy_drift_rel``, ``residual_per_interval``,
        ``n_quad_points``). ``finite`` is False when any value is not finite.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _measure(objective, lam, T, t, theta, theta_dot, dense, min_panels, residual)


def _measure(objective, lam, T, t, theta, theta_dot, dense, min_panels, residual):
    if dense is None:
        dense = hermite_dense(t, theta, theta_dot)
    finite_mesh = bool(np.all(np.isfinite(theta)) and np.all(np.isfinite(theta_dot)))
    if finite_mesh:
        out = quadrature(objective, lam, dense, t, T, min_panels)
    else:
        out = {"kinetic": np.nan, "potential": np.nan, "action": np.nan, "energy_drift": np.nan,
               "energy_mean": np.nan, "energy_scale": np.nan, "n_quad_points": 0}
    if residual and finite_mesh:
        res, rel, per = el_residual(objective, lam, t, theta, theta_dot)
    else:
        res, rel, per = (np.nan, np.nan, None) if residual else (None, None, None)
    out["residual"], out["residual_rel"], out["residual_per_interval"] = res, rel, per
    scale = out["energy_scale"]
    out["energy_drift_rel"] = (out["energy_drift"] / scale if np.isfinite(scale) and scale > 0
                               else (0.0 if scale == 0 else np.nan))
    values = [out["action"], out["kinetic"], out["potential"], out["energy_drift"]]
    if residual:
        values.append(res)
    out["finite"] = bool(finite_mesh and np.all(np.isfinite(values)))
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
