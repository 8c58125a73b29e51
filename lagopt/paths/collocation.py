r"""Collocation: `scipy.integrate.solve_bvp` on the first-order Euler-Lagrange system.

With ``y = (theta, v)`` the boundary value problem is

.. math::

    \theta' = v, \qquad v' = \lambda \nabla L(\theta), \qquad
    \theta(0) = \theta_0, \quad \theta(T) = \theta_T,

with Jacobian ``[[0, I], [lam Hess L(theta), 0]]``. ``solve_bvp`` (4th-order Lobatto IIIA
collocation with residual control, Kierzenka & Shampine 2001) handles the exponential
instability of this system in both time directions natively, because it solves for the whole
path at once. The right-hand side is evaluated on the whole mesh in one batched gradient call,
the Jacobian from one batched Hessian call, and the boundary-condition Jacobian is constant.

What this module adds around ``solve_bvp``: caps that it does not have (a wall-time cap,
checked at every evaluation; a node cap sized to memory), detection of non-finite values, a
polite refusal when the dense ``2n x 2n`` blocks would not fit, and failure messages that say
what to try -- in particular for non-smooth (ReLU) objectives, on which residual control
refines at every activation kink without end (measured in ``docs/results/choices.md``) --
and, when Newton fails from the initial guess on a smooth objective, a homotopy
(continuation in ``lam`` from the straight line by default) that rescues most such cases.
"""
import time

import numpy as np
from scipy.integrate import solve_bvp
from scipy.interpolate import CubicSpline

from .._status import NonFiniteError, Status
from ._formulas import DENSE_HESSIAN_MAX, AbortSolve
from ._measure import sampled_residual
from . import _lobatto
from ._problem import RawSolution

__all__ = ["solve", "MAX_PARAMS"]

#: Largest n_params collocation accepts: solve_bvp stores dense (2n x 2n) blocks per node and
#: factorises a sparse matrix with them; beyond this the direct method is the right tool.
MAX_PARAMS = DENSE_HESSIAN_MAX
#: Memory the default node cap allows solve_bvp's Jacobian blocks to take (bytes).
MEMORY_BUDGET = 2 * 2**30
# solve_bvp holds about this many (2n x 2n) float64 blocks per mesh node at its peak (df_dy at
# nodes and midpoints, the global sparse Jacobian's data and int index arrays, the CSC copy).
_BLOCKS_PER_NODE = 10
_DEFAULT_MAX_NODES = 2000
_DEFAULT_NODES = 21
#: Node cap of the first attempt when continuation can take over (at least 15 nodes per
#: initial node).
FIRST_ATTEMPT_NODES = 300
#: The solver each collocation attempt starts with: ``"lobatto"`` (`lagopt.paths._lobatto`,
#: the same scheme and mesh control as solve_bvp, lean, for ``n <= 8``; solve_bvp takes over
#: where its Newton iteration fails) or ``"solve_bvp"`` (scipy's alone).
ENGINE = "lobatto"

NONSMOOTH_HINT = (
    " The objective is not smooth (objective.smooth is False, e.g. a ReLU network): its gradient "
    "jumps across activation boundaries, so collocation with residual control keeps refining "
    "the mesh at every kink. Use method='direct' (robust for non-smooth losses), or a smooth "
    "surrogate such as MLPObjective(..., activation='softplus', beta=...) continued towards "
    "ReLU by increasing beta.")


def _node_bytes(n):
    return _BLOCKS_PER_NODE * (2 * n) ** 2 * 8


def _guess_spline(problem, guess):
    """A C2 cubic spline through the guess (clamped to its velocities when it has them)."""
    if guess is None:
        t = np.linspace(0.0, problem.T, 2)
        return CubicSpline(t, problem.straight_line(t), axis=1), _DEFAULT_NODES
    t, theta = np.asarray(guess.t, dtype=float), np.asarray(guess.theta, dtype=float).copy()
    theta[:, 0], theta[:, -1] = problem.theta0, problem.thetaT
    theta_dot = getattr(guess, "theta_dot", None)
    if theta_dot is not None:
        bc_type = ((1, np.asarray(theta_dot)[:, 0]), (1, np.asarray(theta_dot)[:, -1]))
        return CubicSpline(t, theta, axis=1, bc_type=bc_type), t.size
    return CubicSpline(t, theta, axis=1), t.size


def _initial_mesh(problem, spline, nodes):
    """Uniform mesh of `nodes` points, theta and v of the guess spline on it."""
    t = np.linspace(0.0, problem.T, nodes)
    theta, v = spline(t), spline(t, 1)
    theta[:, 0], theta[:, -1] = problem.theta0, problem.thetaT
    return t, theta, v


def solve(problem, guess=None, tol=1e-6, max_nodes=None, max_time=30.0, initial_nodes=None,
          bc_tol=None, continuation="lam", verbose=0):
    r"""Solve the Euler-Lagrange BVP by collocation (``scipy.integrate.solve_bvp``).

    Parameters
    ----------
    problem : BVPProblem
    guess : Guess, optional
        Initial path on a mesh, interpolated by a C2 cubic spline (clamped to the guess's
        velocities when given). Default: the straight line on 21 nodes.
    tol : float, optional
        ``solve_bvp``'s tolerance on the RMS relative residual per interval (default 1e-6).
    max_nodes : int, optional
        Node cap. Default ``min(2000, nodes that fit in 2 GiB of Jacobian blocks)``; reaching
        it gives ``Status.MAX_ITER``.
    max_time : float, optional
        Wall-time cap in seconds (default 30), checked at every right-hand-side and Jacobian
        evaluation; a Jacobian assembly + sparse factorisation (which cannot be interrupted) is
        not started when the previous one, scaled to the current mesh, would end past the
        cap. Reaching it gives ``Status.MAX_TIME``.
    initial_nodes : int, optional
        Resample the guess onto this many uniform nodes (default: the guess's own mesh).
    bc_tol : float, optional
        Boundary-condition tolerance (default `tol`).
    continuation : {"lam", "guess", None}, optional
        If the solve from the guess fails (node cap, non-finite values, singular Jacobian) on
        a smooth objective, retry by a homotopy within the same `max_time`: ``"lam"``
        (default) continues in ``lam`` from the straight line (exact at ``lam = 0``);
        ``"guess"`` continues from the guess itself (exact at the start of its homotopy);
        ``None`` does not retry. See `_continuation`.
    verbose : {0, 1, 2}, optional
        Passed to ``solve_bvp``.

    Returns
    -------
    RawSolution
        ``dense`` is ``solve_bvp``'s cubic ``PPoly`` (theta and v). On a cap or non-finite
        values the last finite collocation iterate is returned with ``success=False``.

    Notes
    -----
    ``solve_bvp`` implements fourth-order collocation (the three-stage Lobatto IIIA formula,
    whose solution is a C1 cubic spline) with the mesh refined by control of the residual,
    after Kierzenka and Shampine [1]_; see [2]_ for collocation methods for boundary value
    problems and their conditioning.

    Status mapping: ``solve_bvp`` 0 -> ``SUCCESS``; 1 (nodes) -> ``MAX_ITER``; 2 (singular
    Jacobian) and 3 (boundary conditions not met) -> ``NOT_CONVERGED``; wall time ->
    ``MAX_TIME``; non-finite -> ``NON_FINITE``; ``n_params > MAX_PARAMS`` or an initial mesh
    beyond the memory budget -> ``DECLINED`` (refused before any work).
    When continuation rescues a failed first attempt, ``info["continuation"]`` lists the
    ``(mu, converged)`` steps and ``nit`` counts the Newton iterations of all attempts.

    ``tol`` is solve_bvp's: the RMS over each interval of ``|y_h' - f(y_h)| / (1 + |f|)``
    (``y_h`` the collocation spline). `ActionPath.residual` is the *maximum* of the same
    relative residual over sample points of each interval, so it can exceed ``tol`` (max
    versus RMS) while the certificate (``residual <= 1e-3``) holds with room.

    References
    ----------
    .. [1] J. Kierzenka and L. F. Shampine, "A BVP solver based on residual control and the
       MATLAB PSE", ACM Trans. Math. Software 27 (2001), 299-316.
    .. [2] U. M. Ascher, R. M. M. Mattheij and R. D. Russell, "Numerical Solution of Boundary
       Value Problems for Ordinary Differential Equations", SIAM (1995).

    Examples
    --------
    >>> import numpy as np
    >>> from lagopt.objectives import Quadratic
    >>> from lagopt.paths._problem import BVPProblem
    >>> from lagopt.paths import collocation, quadratic_solution
    >>> A = np.diag([1.0, 100.0])            # omega T = 10 in the stiff direction
    >>> problem = BVPProblem(Quadratic(A), np.array([1.0, 1.0]), np.array([0.0, -1.0]), 1.0, 1.0)
    >>> raw = collocation.solve(problem)
    >>> raw.success, raw.status.name
    (True, 'SUCCESS')
    >>> exact = quadratic_solution(A, [1.0, 1.0], [0.0, -1.0])
    >>> bool(np.abs(raw.dense([0.5])[0][:, 0] - exact(0.5)[:, 0]).max() < 1e-6)
    True
    """
    n, lam, obj = problem.n, problem.lam, problem.objective
    t0_clock = time.perf_counter()
    tol = float(tol)
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"`tol` must be finite and > 0, got {tol}.")
    bc_tol = tol if bc_tol is None else float(bc_tol)
    max_time = float(max_time)
    if not max_time > 0:
        raise ValueError(f"`max_time` must be > 0, got {max_time}.")
    if continuation not in ("lam", "guess", None, False):
        raise ValueError("`continuation` must be 'lam', 'guess' or None, got "
                         f"{continuation!r}.")
    if initial_nodes is not None:
        initial_nodes = int(initial_nodes)
        if initial_nodes < 2:
            raise ValueError(f"`initial_nodes` must be >= 2, got {initial_nodes}.")
    mem_nodes = max(2, MEMORY_BUDGET // _node_bytes(n))
    if max_nodes is None:
        max_nodes = int(min(_DEFAULT_MAX_NODES, mem_nodes))
    else:
        max_nodes = int(max_nodes)
        if max_nodes < 2:
            raise ValueError(f"`max_nodes` must be >= 2, got {max_nodes}.")
    smooth_hint = "" if getattr(obj, "smooth", True) else NONSMOOTH_HINT

    if initial_nodes is None and guess is not None and guess.theta_dot is not None:
        # The guess's own mesh and exact velocities: no spline needed (it is built only for
        # the "guess" continuation, which differentiates it twice).
        t, theta, v = (np.array(guess.t, dtype=float), np.array(guess.theta, dtype=float),
                       np.array(guess.theta_dot, dtype=float))
        theta[:, 0], theta[:, -1] = problem.theta0, problem.thetaT
        spline = None
    else:
        spline, guess_nodes = _guess_spline(problem, guess)
        t, theta, v = _initial_mesh(problem, spline, initial_nodes or guess_nodes)
    info = {"max_nodes": max_nodes, "tol": tol, "initial_nodes": t.size}

    if n > MAX_PARAMS or t.size > mem_nodes:
        need = _node_bytes(n) * max(t.size, 2) / 2**30
        msg = (f"{Status.DECLINED.message()} Collocation declined: n_params={n} means dense "
               f"{2 * n}x{2 * n} Jacobian blocks at every mesh node (~{need:.2g} GiB already on "
               f"the {t.size}-node initial mesh; limit n_params <= {MAX_PARAMS}). "
               "Use method='direct', which scales to large n.")
        return RawSolution(t=t, theta=theta, theta_dot=v, success=False, status=Status.DECLINED,
                           message=msg, nit=0, info=info)

    deadline = t0_clock + max_time
    can_continue = bool(continuation) and lam > 0 and getattr(obj, "smooth", True)
    # With continuation to fall back on, a first attempt whose mesh runs away is cut short:
    # it is Newton wandering off the branch (pendulum 0 -> 0.5 at T = 3.5 refines to 1,618
    # nodes and fails; continuation then needs 82).
    first_cap = (min(max_nodes, max(FIRST_ATTEMPT_NODES, 15 * t.size)) if can_continue
                 else max_nodes)
    first = _attempt(problem, lam, t, np.vstack((theta, v)), tol, bc_tol, first_cap, deadline,
                     verbose)
    out, steps = first, []
    retry = can_continue and first.status in (Status.MAX_ITER, Status.NON_FINITE,
                                              Status.NOT_CONVERGED)
    if retry:
        out, steps = _continuation(problem, spline, (t, theta, v), first, tol, bc_tol,
                                   max_nodes, deadline, verbose, kind=continuation, guess=guess)
    elapsed = time.perf_counter() - t0_clock
    info.update({"n_nodes": out.x.size, "rms_residual": out.rms, "solve_time": elapsed,
                 "bvp_status": out.bvp_status})
    if retry:
        info["continuation"] = steps

    if out.status == Status.SUCCESS:
        how = (f" after {continuation!r} continuation in {len(steps)} steps (the first "
               f"attempt failed: {_describe(first, max_nodes, tol)})" if retry else "")
        msg = (f"Collocation ({out.engine}) converged on {out.x.size} nodes in {out.niter} "
               f"Newton iterations (solve_bvp's stopping measure, the largest per-interval RMS "
               f"of the relative residual, {out.rms:.1e} <= tol={tol:g}){how}.")
    else:
        if retry:  # report the failure at the full lam, and what continuation reached
            reached = max([s for s, ok in steps if ok] or [0.0])
            out = first
            why = ("the time cap stopped it" if time.perf_counter() > deadline
                   else "its steps could not shrink further")
            extra = (f" {continuation!r} continuation then reached only mu={reached:.3g} of 1 "
                     f"({why}).")
        else:
            extra = ""
        msg = _describe(out, max_nodes, tol, max_time) + extra
        msg += _advice(out.status) + smooth_hint
    pp = out.sol
    dense = None
    if pp is not None:
        def _dense(tq):
            Y = pp(np.atleast_1d(np.asarray(tq, dtype=float)))
            return Y[:n], Y[n:]
        dense = _dense
    known = None
    if dense is not None and getattr(out, "samples", None) is not None \
            and out.lam == problem.lam:
        known = sampled_residual(out.x, out.y[:n], *out.samples)
    return RawSolution(t=out.x, theta=out.y[:n].copy(), theta_dot=out.y[n:].copy(),
                       success=out.status == Status.SUCCESS, status=out.status, message=msg,
                       dense=dense, measured_on_mesh=dense is not None, mesh_residual=known,
                       nit=sum(o.niter for o in out.history) if out.history else out.niter,
                       info=info)


class _BVPRun:
    """One solve_bvp run: status (lagopt codes), last mesh and values, spline if finished."""

    def __init__(self, status, x, y, sol=None, niter=0, rms=np.nan, detail="", bvp_status=None):
        self.status, self.x, self.y, self.sol = status, x, y, sol
        self.niter, self.rms, self.detail, self.bvp_status = niter, rms, detail, bvp_status
        self.history = None
        self.engine = "solve_bvp"


def _attempt(problem, lam, t, Y, tol, bc_tol, max_nodes, deadline, verbose, forcing=None):
    """Run solve_bvp once from mesh `t`, values `Y` = (theta, v).

    Solves ``theta'' = lam grad L(theta) + forcing(t)`` (``forcing`` None: the problem itself).
    """
    n, T, obj = problem.n, problem.T, problem.objective
    # A strictly increasing mesh (nodes of earlier attempts may coincide in floating point).
    t, keep = np.unique(t, return_index=True)
    Y = Y[:, keep]
    if ENGINE == "lobatto" and n <= _lobatto.MAX_PARAMS:
        # The lean solver first (several times faster on a few parameters); where its Newton
        # iteration does not converge, solve_bvp runs from the same start.
        run = _lobatto.solve(problem, lam, t, Y, tol, max_nodes, deadline, forcing)
        if run.status in (Status.SUCCESS, Status.MAX_TIME, Status.MAX_ITER):
            return run   # (solve_bvp refines the same mesh by the same rule: no second try)
    last = {"x": t.copy(), "y": Y.copy()}
    eye = np.eye(n)
    # The Jacobian assembly and sparse LU between two callbacks cannot be interrupted; time
    # it, and refuse to start one that would end past the deadline (scaled by the mesh size,
    # which the cost is linear in).
    lu = {"start": None, "m": None, "seconds": None, "m_done": None}

    def fun(x, y):
        now = time.perf_counter()
        if now > deadline:
            raise AbortSolve(Status.MAX_TIME, "time")
        if lu["start"] is not None:
            lu["seconds"], lu["m_done"], lu["start"] = now - lu["start"], lu["m"], None
        if not np.isfinite(y).all():
            raise AbortSolve(Status.NON_FINITE, "non-finite path values")
        g = obj.grad_batch(np.ascontiguousarray(y[:n]))
        if not np.isfinite(g).all():
            raise AbortSolve(Status.NON_FINITE, "non-finite gradient")
        if x.size >= 2 and x[0] == 0.0 and x[-1] == T:  # a call on the mesh itself
            last["x"], last["y"] = x.copy(), y.copy()
        acc = lam * g if forcing is None else lam * g + forcing(x)
        return np.vstack((y[n:], acc))

    def fun_jac(x, y):
        now = time.perf_counter()
        if now > deadline:
            raise AbortSolve(Status.MAX_TIME, "time")
        if x.size >= 2 and x[0] == 0.0 and x[-1] == T:  # start of a Jacobian + LU phase
            if lu["seconds"] is not None and (
                    now + lu["seconds"] * x.size / lu["m_done"] > deadline):
                raise AbortSolve(Status.MAX_TIME, "time")
            lu["start"], lu["m"] = now, x.size
        H = obj.hess_batch(np.ascontiguousarray(y[:n]))
        if not np.isfinite(H).all():
            raise AbortSolve(Status.NON_FINITE, "non-finite Hessian")
        J = np.zeros((2 * n, 2 * n, x.size))
        J[:n, n:, :] = eye[:, :, None]
        J[n:, :n, :] = lam * H
        return J

    def bc(ya, yb):
        return np.concatenate((ya[:n] - problem.theta0, yb[:n] - problem.thetaT))

    dbc_dya = np.zeros((2 * n, 2 * n))
    dbc_dya[:n, :n] = eye
    dbc_dyb = np.zeros((2 * n, 2 * n))
    dbc_dyb[n:, :n] = eye

    def bc_jac(ya, yb):
        return dbc_dya, dbc_dyb

    try:
        # Overflow on the way to a blow-up is detected (``NON_FINITE``), not warned about.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            res = solve_bvp(fun, bc, t, Y, fun_jac=fun_jac, bc_jac=bc_jac, tol=tol,
                            max_nodes=max_nodes, bc_tol=bc_tol, verbose=verbose)
    except AbortSolve as stop:
        return _BVPRun(stop.status, last["x"], last["y"], detail=stop.message)
    except NonFiniteError as exc:
        # The objective itself refused a non-finite value (a user callable's check): the same
        # breakdown as a non-finite gradient seen here, so continuation may still rescue it.
        return _BVPRun(Status.NON_FINITE, last["x"], last["y"],
                       detail=f"non-finite objective value ({exc})")
    rms = float(np.max(res.rms_residuals)) if res.rms_residuals.size else 0.0
    # solve_bvp's own codes: 0 converged, 1 max_nodes exceeded, 2 singular Jacobian, 3 tol.
    status = {0: Status.SUCCESS, 1: Status.MAX_ITER}.get(res.status, Status.NOT_CONVERGED)
    detail = {2: "a singular collocation Jacobian",
              3: "boundary conditions it could not satisfy to `bc_tol`"}.get(res.status, "")
    return _BVPRun(status, res.x, res.y, sol=res.sol, niter=res.niter, rms=rms,
                   bvp_status=res.status, detail=detail)


#: Mesh resolution of the stiff continuation: every interval satisfies ``omega h <= OMEGA_H``
#: with ``omega = sqrt(lam max|eig Hess L|)`` the local rate of the fastest linearised mode.
#: solve_bvp's residual control is absolute where the path is small (its scale is
#: ``1 + |f|``), so on a stiff problem it leaves coarse intervals where the solution is tiny
#: and its relative error large (Troesch mu = 30: y'(0) off by 5 %); resolving every mode
#: makes the error relative everywhere (Troesch mu = 30 and 50: y'(0) to 1e-5, see
#: `docs/results`).
OMEGA_H = 0.25
#: Fewest intervals of a remeshed continuation step.
_REMESH_MIN_INTERVALS = 20
#: Re-solves at one continuation step to reach ``omega h <= OMEGA_H``.
_REMESH_ROUNDS = 4
#: The first continuation weight makes the loss's pull on the straight line at most this
#: fraction of the line's own scale (``mu0 lam |grad L| T^2 / 8 <= _FIRST_PULL |D|``).
_FIRST_PULL = 0.1
#: Intermediate continuation steps are remeshed (equidistributing ``omega``) only across a
#: layer, where ``omega`` varies along the path by more than this factor: there the nodes of
#: earlier steps pile up where the layer was (Troesch mu = 20 then exceeds the node cap);
#: elsewhere the mesh solve_bvp refined is the better start (Mueller-Brown's continuation
#: fails to converge from an equidistributed coarser mesh).
LAYER_RATIO = 1e3
#: Smallest multiplicative step of the weight before continuation gives up.
_MIN_LOG_STEP = np.log(10.0) / 64


def _omega(problem, lam, theta):
    """``sqrt(lam max|eig H|)`` at the columns of `theta` (one batched Hessian call)."""
    H = problem.objective.hess_batch(np.ascontiguousarray(theta))
    if not np.isfinite(H).all():
        return None
    top = np.abs(np.linalg.eigvalsh(np.moveaxis(H, 2, 0))).max(axis=1)
    return np.sqrt(lam * top)


def _remesh(problem, lam, out, max_nodes, split):
    """A mesh on which every linearised mode is resolved (``omega h <= OMEGA_H``), with the
    solution of `out` on it; None when `out`'s mesh already is (or the Hessian is not finite).

    ``split``: every interval of `out`'s mesh with ``omega h > OMEGA_H`` is split evenly (the
    nodes solve_bvp placed for its tolerance are kept: the final step). Otherwise a new mesh
    equidistributes ``omega / OMEGA_H + intervals / T`` (an intermediate step: the nodes
    earlier steps left where the path no longer bends are dropped).
    """
    x = out.x
    om = _omega(problem, lam, out.y[:problem.n])
    if om is None:
        return None
    h = np.diff(x)
    worst = np.maximum(om[:-1], om[1:]) * h
    if worst.max() <= OMEGA_H:
        return None
    if not split and om.max() <= LAYER_RATIO * max(om.min(), 1.0 / problem.T):
        return None
    if split:
        parts = np.ceil(worst / OMEGA_H).astype(np.int64)
        inner = [x[i] + h[i] * np.arange(1, parts[i]) / parts[i]
                 for i in np.flatnonzero(parts > 1)]
        t_new = np.unique(np.concatenate([x] + inner))
        if t_new.size > max_nodes:
            return None
    else:
        density = np.maximum(om[:-1], om[1:]) / OMEGA_H + _REMESH_MIN_INTERVALS / problem.T
        F = np.concatenate(([0.0], np.cumsum(density * h)))
        k = int(min(np.ceil(F[-1]) + 1, max(max_nodes // 2, 3)))
        t_new = np.interp(np.linspace(0.0, F[-1], k), F, x)
        t_new[0], t_new[-1] = 0.0, problem.T
        t_new = np.unique(t_new)
    return t_new, out.sol(t_new)


def _resolved(problem, lam, out, tol, bc_tol, max_nodes, deadline, verbose, final):
    """`out` re-solved on meshes resolving every linearised mode (`OMEGA_H`)."""
    for _ in range(_REMESH_ROUNDS):
        mesh = _remesh(problem, lam, out, max_nodes, split=final)
        if mesh is None or time.perf_counter() > deadline:
            return out
        again = _attempt(problem, lam, mesh[0], mesh[1], tol, bc_tol, max_nodes, deadline,
                         verbose)
        if again.status != Status.SUCCESS:
            return out
        out = again
    return out


def _first_weight(problem, x, theta):
    """The first weight of the continuation in ``lam`` (see `_FIRST_PULL`)."""
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            g = problem.objective.grad_batch(np.ascontiguousarray(theta))
        except ArithmeticError:
            return 1e-12
    pull = problem.lam * float(np.max(np.abs(g))) * problem.T ** 2 / 8.0
    scale = max(float(np.max(np.abs(problem.thetaT - problem.theta0))), 1e-6)
    if not np.isfinite(pull):
        return 1e-12
    return float(min(0.25, _FIRST_PULL * scale / pull)) if pull > 0 else 0.25


def _continuation(problem, spline, start, first, tol, bc_tol, max_nodes, deadline, verbose,
                  kind="lam", guess=None):
    r"""Homotopy to the problem after a failed direct attempt.

    ``kind="lam"`` (natural continuation in the weight): solve ``theta'' = mu lam grad L`` for
    ``mu`` from 0, where the straight line is the exact solution, to 1, in geometric steps:
    the first ``mu`` makes the loss's pull on the line a tenth of its length (`_FIRST_PULL`;
    on a stiff problem such as Troesch's ``mu = 50`` that is ``1e-23``), then ``mu`` is
    multiplied by a factor that squares after a success and whose logarithm halves after a
    failure. Each converged step is re-solved on a mesh that resolves every linearised mode
    (``omega h <= OMEGA_H``, equidistributed), which also drops the nodes earlier steps left
    where the path no longer bends. ``kind="guess"`` (residual homotopy from the initial
    guess ``g``, its cubic spline): solve ``theta'' = lam grad L(theta) + (1 - mu) r(t)`` with
    ``r = g'' - lam grad L(g)``, so that at ``mu = 0`` the guess itself is the exact solution,
    ``mu`` growing by steps that double after a success and halve after a failure (down to
    1/64). Every solve starts from the previous solution, so Newton starts close to the branch
    it follows. Intermediate solves use a loose tolerance (``max(tol, 1e-3)``), the last one
    the requested `tol`.

    Measured on Mueller-Brown (3 pairs of minima x 4 lam x 3 T, 6 starts): from the straight
    line, 13/36 direct attempts converge, 35/36 with (linear) ``"lam"`` continuation, 24/36
    with ``"guess"`` -- hence ``"lam"`` is the default, and ``"guess"`` is there for hedging
    diversity.
    """
    if kind == "guess":
        if spline is None:
            spline = _guess_spline(problem, guess)[0]
        return _guess_continuation(problem, spline, start, first, tol, bc_tol, max_nodes,
                                   deadline, verbose)
    lam = problem.lam
    t = np.linspace(0.0, problem.T, _DEFAULT_NODES)
    theta = problem.straight_line(t)
    v = np.repeat(((problem.thetaT - problem.theta0) / problem.T)[:, None], t.size, axis=1)
    x, Y = t, np.vstack((theta, v))
    first_mu = _first_weight(problem, t, theta)
    mu, log_step, steps, history, last = 0.0, np.log(10.0), [], [first], None
    first_tries = 0
    loose = max(tol, 1e-3)
    while mu < 1.0 and time.perf_counter() < deadline:
        trial = first_mu if mu == 0.0 else float(min(1.0, mu * np.exp(log_step)))
        final = trial == 1.0
        step_tol, step_bc = (tol, bc_tol) if final else (loose, max(bc_tol, loose))
        out = _attempt(problem, trial * lam, x, Y, step_tol, step_bc, max_nodes, deadline,
                       verbose)
        if out.status == Status.SUCCESS:
            out = _resolved(problem, trial * lam, out, step_tol, step_bc, max_nodes, deadline,
                            verbose, final)
        history.append(out)
        steps.append((trial, out.status == Status.SUCCESS))
        if out.status == Status.SUCCESS:
            if mu > 0.0:
                log_step *= 2.0
            mu, x, Y, last = trial, out.x, out.y, out
        elif out.status == Status.MAX_TIME:
            break
        elif mu == 0.0:
            first_tries += 1
            first_mu /= 10.0
            if first_tries > 6:
                break
        else:
            # Halve the step actually tried (a step capped at mu = 1 was shorter than log_step).
            log_step = 0.5 * np.log(trial / mu)
            if log_step < _MIN_LOG_STEP:
                break
    if mu == 1.0 and last is not None:
        last.history = history
        return last, steps
    first.history = history
    return first, steps


def _guess_continuation(problem, spline, start, first, tol, bc_tol, max_nodes, deadline,
                        verbose):
    """``kind="guess"`` of `_continuation`: the residual homotopy from the guess."""
    obj, lam = problem.objective, problem.lam
    t, theta, v = start
    acc = spline.derivative(2)

    def make_forcing(mu):
        def forcing(x):
            g = acc(x) - lam * obj.grad_batch(np.ascontiguousarray(spline(x)))
            return (1.0 - mu) * g
        return forcing

    x, Y = t, np.vstack((theta, v))
    mu, step, steps, history, last = 0.0, 0.25, [], [first], None
    loose = max(tol, 1e-3)
    while mu < 1.0 and step >= 1.0 / 64 and time.perf_counter() < deadline:
        trial = min(1.0, mu + step)
        final = trial == 1.0
        forcing = None if final else make_forcing(trial)
        out = _attempt(problem, lam, x, Y, tol if final else loose,
                       bc_tol if final else max(bc_tol, loose), max_nodes, deadline, verbose,
                       forcing)
        history.append(out)
        steps.append((trial, out.status == Status.SUCCESS))
        if out.status == Status.SUCCESS:
            mu, x, Y, last = trial, out.x, out.y, out
            step *= 2.0
        elif out.status == Status.MAX_TIME:
            break
        else:
            step *= 0.5
    if mu == 1.0 and last is not None:
        last.history = history
        return last, steps
    first.history = history
    return first, steps


def _describe(out, max_nodes, tol, max_time=None):
    m = out.x.size
    if out.status == Status.MAX_ITER:
        return (f"{Status.MAX_ITER.message()} {out.engine} needed more than max_nodes={max_nodes} "
                f"mesh nodes (solve_bvp's stopping measure, the largest per-interval RMS of the "
                f"relative residual, {out.rms:.1e} > tol={tol:g}).")
    if out.status == Status.MAX_TIME:
        cap = f"max_time={max_time:g} s" if max_time is not None else "the time cap"
        return (f"{Status.MAX_TIME.message()} Collocation stopped at {cap} on a {m}-node mesh; the "
                "last iterate is returned.")
    if out.status == Status.NON_FINITE:
        return (f"{Status.NON_FINITE.message()} Collocation met a {out.detail}; the last finite "
                "iterate is returned (the Euler-Lagrange system grows like exp(omega T)).")
    return (f"{Status.NOT_CONVERGED.message()} solve_bvp stopped on {out.detail} after "
            f"{out.niter} iterations.")


def _advice(status):
    if status == Status.MAX_ITER:
        return " Increase `max_nodes`, loosen `tol`, or use method='direct'."
    if status == Status.MAX_TIME:
        return " Increase `max_time`, loosen `tol`, or use method='direct'."
    if status == Status.NON_FINITE:
        return (" Try a smaller `T` or `lam`, another initial guess (`n_starts` > 1), or "
                "method='direct'.")
    return (" Try another initial guess (`n_starts` > 1), more `initial_nodes`, or "
            "method='direct'.")
