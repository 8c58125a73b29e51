"""The message of a direct solve: what happened, with the numbers, and on failure what to try.

It starts with the status's own statement (`Status.message`) and adds the specifics, built from
the `RefinementOutcome` and the solve's `Settings`.
"""
from dataclasses import dataclass

import numpy as np

from ..._status import Status

__all__ = ["message"]


@dataclass
class _Facts:
    """The phrases messages share, for the returned grid."""

    res: str  # the final residual and its tolerance
    grid: str  # "N=.., refined from N=.."
    omega_h: str  # the a-priori resolution, "" when not estimated
    estimate: str  # the Richardson estimate, "" when not estimated
    kinks: str  # the nodes certified on kinks, "" when none


def _residual(out, tol):
    return f"relative discrete Euler-Lagrange residual {out.resid:.2e} (newton_tol {tol:.1e})"


def _facts(r, settings, omega, T):
    N = r.da.N
    grid = f"N={N}"
    if N != r.levels[0]["N"]:
        grid += f", refined from N={r.levels[0]['N']}"
    wh = ""
    if omega is not None and np.isfinite(omega) and omega > 0:
        wh = f"omega h = {omega * T / N:.2g} (omega T = {omega * T:.3g})"
    est = ""
    if r.estimate is not None:
        a, p = r.estimate
        kind = "" if settings.smooth else ", first order: non-smooth loss"
        est = (f"estimated discretisation error (Richardson, N={N // 2} vs {N}{kind}): action "
               f"{a:.1e}, positions {p:.1e} relative (tol {settings.tol:.0e})")
    kinks = ""
    if r.out.kinks:
        kinks = (f" {r.out.kinks} node(s) sit on kinks of the non-smooth loss; their residual "
                 "is certified by gradient sampling (a Clarke-stationary point).")
    return _Facts(_residual(r.out, settings.newton_tol), grid, wh, est, kinks)


def message(r, settings, omega, T):
    """The message for the `RefinementOutcome` ``r`` of a solve with `Settings` ``settings``;
    ``omega`` is the a-priori stiffness (None if not estimated) and ``T`` the time horizon."""
    f = _facts(r, settings, omega, T)
    head = Status(r.status).message()
    if r.status == Status.SUCCESS:
        return head + _solved(r, settings, f)
    if r.at_cap:
        return head + _at_cap(r, settings, f)
    if r.status == Status.MAX_TIME and r.timed_out:
        return (f"{head} Direct method ({r.solver}): the discrete problem converged on "
                f"{f.grid} ({f.res}), but max_time={settings.max_time:g} s ran out before the "
                "discretisation error was brought below tol"
                + (f" (the last {f.estimate})" if f.estimate else "")
                + ". Increase `max_time`, or loosen `tol`.")
    return head + _failed(r, settings, f)


def _solved(r, settings, f):
    """Success: on a fixed grid, with ``lam = 0``, or with the error estimated."""
    said = f" Direct method ({r.solver}, {f.grid}): {f.res}"
    if not settings.refine:
        note = f" ({f.omega_h})" if f.omega_h else ""
        return (f"{said}. This solves the discrete problem on a fixed grid: its discretisation "
                f"error was not estimated (refine=False){note}; refine=True estimates and "
                f"controls it.{f.kinks}")
    if r.estimate == (0.0, 0.0) and len(r.levels) == 1:
        return f"{said}; lam = 0, the straight line is exact on any grid."
    extra = ("; the returned path is Richardson-extrapolated (fine + (fine - coarse) / "
             "(2^p - 1), p the order)" if r.extrapolated else "")
    return f"{said}; {f.estimate}{extra}.{f.kinks}"


def _at_cap(r, settings, f):
    """The discrete problem converged, but the node cap leaves the error above tol."""
    cap = settings.max_nodes
    why = (f"the {f.estimate}, is above tol" if f.estimate else
           f"max_nodes={cap} leaves no finer grid to estimate the error on")
    w = f" ({f.omega_h})" if f.omega_h else ""
    return (f" Direct method ({r.solver}): the discrete problem converged on {f.grid} "
            f"({f.res}) but the grid does not resolve the continuous path to tol: "
            f"{why} at the node cap max_nodes={cap}{w}. Try more nodes (a larger "
            "`max_nodes`; memory grows as N n), a looser `tol`, or, for a stiff smooth "
            "problem, method='multiple_shooting' or 'collocation', which adapt to its "
            "exponential layers.")


def _failed(r, settings, f):
    """A discrete problem did not converge: on the first grid, or on a refinement (then the
    coarser, converged grid is returned and the message says so first)."""
    prefix, out, solver, res, grid = "", r.out, r.solver, f.res, f.grid
    if r.failed is not None:
        N2, out, solver = r.failed
        prefix = (f" The discrete problem converged on {f.grid} ({f.res}), but the refinement "
                  f"to N={N2} that estimates the discretisation error failed"
                  + (f" (the last estimate: {f.estimate})" if f.estimate else "")
                  + f"; the returned path is the N={r.da.N} solution.")
        res, grid = _residual(out, settings.newton_tol), f"N={N2}"
    if r.status == Status.MAX_ITER:
        return (f"{prefix} Direct method ({solver}, {grid}) stopped at {res} (maxiter). "
                "Increase `maxiter`, or try solver='newton' if n is small.")
    if r.status == Status.MAX_TIME:
        where = prefix or (f" ({f.estimate})" if f.estimate else "")
        return (f"{where} Direct method ({solver}, {grid}) stopped after "
                f"{settings.max_time:g} s at {res}. Increase `max_time`, or reduce `n_nodes` / "
                "loosen `tol`.")
    if r.status == Status.NON_FINITE:
        return (f"{prefix} The loss or its gradient was not finite along the path; check the "
                "objective on the segment between the end points.")
    if settings.smooth:
        hint = ("The landscape is smooth: try another initial guess (`n_starts` > 1), "
                "solver='newton' or 'lbfgs', a larger `maxiter`, or method='collocation'.")
    else:
        hint = ("For a non-smooth (ReLU) loss the minimiser can sit on kinks whose residual "
                "the gradient-sampling certificate could not confirm: the path is usable (its "
                "discrete action is minimal to the printed residual) but not certified; a "
                "smooth surrogate (softplus) or a looser `newton_tol` gives a clean convergence.")
    return f"{prefix} Direct method ({solver}, {grid}) stalled ({out.message}) at {res}. " + hint
