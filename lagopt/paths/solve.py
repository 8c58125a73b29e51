r"""`solve_action_path`: one entry point for every path method, with hedging over starts.

The function validates the user's arguments once, builds a `BVPProblem`, generates the initial
guesses, solves each through the one core (`_dispatch.dispatch`), measures every returned path
with the same quadrature (`_result.finalize`) and keeps the least-action successful one.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Optional, Union

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_points, as_rng, as_vector, positive_float, positive_int
from ..objectives import Objective, as_objective
from ..objectives.callable import CallableObjective, DerivativeFunction, LossFunction
from ._dispatch import AUTO_COLLOCATION_MAX_TIME, AUTO_MAX_PARAMS, METHODS, dispatch
from ._formulas import DENSE_HESSIAN_MAX, smoothstep, straight_line
from ._measure import callable_dense
from ._problem import BVPProblem, Guess
from ._result import ActionPath, finalize
from ._second_variation import BLOCK_MAX_PARAMS, compile_kernels
from .methods import Auto, PathMethod, as_method, misplaced_options

__all__ = ["solve_action_path", "METHODS", "AUTO_MAX_PARAMS", "AUTO_COLLOCATION_MAX_TIME"]

_GUESS_NODES = 21   # mesh of the generated initial guesses
_DETOUR_MODES = 3   # sine modes in a random detour


# ----------------------------------------------------------------------------- guesses
def _guesses(problem, n_starts, rng, user_guess, detour_scale):
    """Initial guesses: the user's, straight line, smoothstep, then random detours."""
    T, n = problem.T, problem.n
    t = np.linspace(0.0, T, _GUESS_NODES)
    s = t / T
    D = problem.thetaT - problem.theta0
    out = []
    if user_guess is not None:
        out.append(user_guess)
    line, line_dot = straight_line(problem.theta0, problem.thetaT, t, T)
    out.append(Guess(t=t, theta=line, label="line", theta_dot=line_dot))
    if np.any(D != 0):   # with equal ends smoothstep is the line again: not a distinct start
        w, dw = smoothstep(s)
        out.append(Guess(t=t, theta=problem.theta0[:, None] + np.outer(D, w),
                         label="smoothstep", theta_dot=np.outer(D, dw / T)))
    # Detours: line + sum_k a_k sin(k pi s), |a_k| ~ detour_scale |D| / k (zero at both ends).
    scale = detour_scale * (np.linalg.norm(D) if np.linalg.norm(D) > 0 else 1.0)
    j = 0
    while len(out) < n_starts:
        j += 1
        theta, theta_dot = line.copy(), line_dot.copy()
        for k in range(1, _DETOUR_MODES + 1):
            a = rng.standard_normal(n) * scale / (k * np.sqrt(n))
            theta += np.outer(a, np.sin(k * np.pi * s))
            theta_dot += np.outer(a, k * np.pi / T * np.cos(k * np.pi * s))
        out.append(Guess(t=t, theta=theta, label=f"detour {j}", theta_dot=theta_dot))
    return out[:n_starts]


def _user_guess(guess, problem):
    """Validate a user-supplied initial path into a `Guess`."""
    n, T = problem.n, problem.T
    if callable(guess) and not isinstance(guess, np.ndarray):
        t = np.linspace(0.0, T, _GUESS_NODES)
        dense, _ = callable_dense(guess, T, n)
        theta, theta_dot = dense(t)
        if not (np.all(np.isfinite(theta)) and np.all(np.isfinite(theta_dot))):
            raise ValueError("`guess` must return finite values on [0, T].")
        return Guess(t=t, theta=theta, label="user", theta_dot=theta_dot)
    theta = as_points(guess, "guess", n).copy()
    if theta.shape[1] < 2:
        raise ValueError(f"`guess` must hold at least 2 points, got {theta.shape[1]}.")
    theta[:, 0], theta[:, -1] = problem.theta0, problem.thetaT
    return Guess(t=np.linspace(0.0, T, theta.shape[1]), theta=theta, label="user")


# ----------------------------------------------------------------------------- running
def _as_objective(objective, n, grad, hess):
    # An Objective carries its own n_params (checked against theta0 by the caller, with a
    # message naming `theta0`); a plain callable takes it from theta0.
    return as_objective(objective, n_params=None if isinstance(objective, Objective) else n,
                        grad=grad, hess=hess)


def warm_up(objective, theta0):
    """Evaluate the batched kernels once at theta0, outside every method's wall-time cap.

    numba objectives compile on first use (seconds, more for Hessian kernels when the cache is
    cold); without this the first solve of a session could spend its `max_time` compiling.
    The Hessian is skipped when it would be large (it is then not what the methods use).
    A user's callable compiles nothing and is not called here (a non-finite value at theta0
    is then the methods' status, not an exception here). The certificate's own kernels (the
    second variation's block inertia) are compiled, or loaded from numba's cache, here too.
    """
    if not isinstance(objective, CallableObjective):
        P = np.ascontiguousarray(theta0[:, None])
        with np.errstate(all="ignore"):
            objective.loss_batch(P)
            objective.grad_batch(P)
            if objective.n_params <= DENSE_HESSIAN_MAX:
                objective.hess_batch(P)
    if objective.n_params <= BLOCK_MAX_PARAMS:
        compile_kernels()


def _measured(problem, raw, method, clock, solve_counts=None, deadline=None):
    """`finalize` (measurement and certificates), its seconds added to ``clock[0]``."""
    start = time.perf_counter()
    path = finalize(problem, raw, method, solve_counts=solve_counts, deadline=deadline)
    clock[0] += time.perf_counter() - start
    return path


def _time_budget(method, problem):
    """Seconds one start may take, certificates included: the method's ``max_time`` (the sum
    over `Auto`'s chain, whose methods run in turn); None when it has none."""
    if isinstance(method, Auto):
        caps = [_time_budget(m, problem) for m in method.candidates(problem)]
        return None if any(c is None for c in caps) else float(sum(caps))
    cap = getattr(method, "max_time", None)
    return None if cap is None else float(cap)


def _solve_start(problem, method, guess):
    """Dispatch one start and measure its path: ``(ActionPath, counts, solve_seconds,
    certificate_seconds)``."""
    clock = [0.0]
    budget = _time_budget(method, problem)
    deadline = None if budget is None else time.perf_counter() + budget
    d = dispatch(problem, method, guess)
    path = _measured(problem, d.raw, d.method, clock, solve_counts=d.counts, deadline=deadline)
    if d.fallback is not None:
        first_method, first = d.fallback
        # Measured like every path, so that the record says how far the failure was.
        measured = _measured(problem, first, first_method, clock)
        path.message = (f"auto: {first_method} failed (status {first.status}: "
                        f"{first.message}) -> fell back to {path.method}: {path.message}")
        path.info["fallback_from"] = {"method": first_method, "status": first.status,
                                      "message": first.message, "action": measured.action,
                                      "residual": measured.residual}
    counts, seconds = dict(d.counts), d.seconds
    # A user's guess asks for the stationary path near it (e.g. an upper branch): kept.
    user = guess is not None and guess.label == "user"
    if (isinstance(method, Auto) and path.success and path.is_minimum is False and not user
            and (deadline is None or time.perf_counter() < deadline)):
        path, search_seconds = _seek_minimum(problem, method, guess, path, counts, clock,
                                             deadline)
        seconds += search_seconds
    return path, counts, seconds, clock[0]


def _seek_minimum(problem, auto, guess, saddle, counts, clock, deadline=None):
    """`Auto` found a certified saddle of the action: the methods after it in the chain are
    tried from the same start (the direct method minimises the discretised action, so it
    descends to a minimum where one exists); the first certified minimum of lower action is
    returned, else the saddle, with the seconds spent solving. Evaluations are added to
    `counts`, measurement seconds to ``clock[0]``."""
    chain = auto.candidates(problem)
    names = [m.name for m in chain]
    later = chain[names.index(saddle.method) + 1:] if saddle.method in names else ()
    tried, seconds = [], 0.0
    for other in later:
        d = dispatch(problem, other, guess)
        seconds += d.seconds
        for k, v in d.counts.items():
            counts[k] = counts.get(k, 0) + v
        candidate = _measured(problem, d.raw, d.method, clock, solve_counts=d.counts,
                              deadline=deadline)
        tried.append(f"{d.method} (status {int(candidate.status)}, "
                     f"is_minimum {candidate.is_minimum})")
        if candidate.success and candidate.is_minimum and candidate.action <= saddle.action:
            candidate.message = (
                f"auto: {saddle.method} returned a saddle of the action (is_minimum False, "
                f"action {saddle.action:.6g}); {d.method} found a certified minimum of action "
                f"{candidate.action:.6g}: {candidate.message}")
            candidate.info["saddle_from"] = {"method": saddle.method, "action": saddle.action,
                                             "second_variation":
                                                 saddle.info.get("second_variation")}
            return candidate, seconds
    if tried:
        saddle.message += (" | auto looked for a minimum of the action from the same start "
                           f"and found none: {', '.join(tried)}; try `n_starts` > 1.")
    return saddle, seconds


#: Actions within this relative distance are ties (the same stationary path reached from two
#: starts, or by two methods, differs at the level of the solver tolerance); ties go to the
#: path with the smaller Euler-Lagrange residual.
TIE_RTOL = 1e-8


def _pick(results):
    """The least-action successful (label, path), preferring certified minima (stationary is
    not minimal: a saddle of lower action than a minimum is a worse answer); failures only if
    nothing succeeded."""
    pool = [r for r in results if r[1].success] or results
    pool = [r for r in pool if r[1].is_minimum] or pool
    finite = [r for r in pool if np.isfinite(r[1].action)]
    if not finite:
        return pool[0]
    amin = min(p.action for _, p in finite)
    scale = max(abs(amin), max(abs(p.kinetic) for _, p in finite))
    ties = [r for r in finite if r[1].action <= amin + TIE_RTOL * scale]
    return min(ties, key=lambda r: r[1].residual if np.isfinite(r[1].residual) else np.inf)


def solve_action_path(objective: Union[Objective, LossFunction], theta0: ArrayLike,
                      thetaT: ArrayLike, T: float = 1.0, lam: float = 1.0,
                      method: Union[str, PathMethod] = "auto",
                      *, grad: Optional[DerivativeFunction] = None,
                      hess: Optional[DerivativeFunction] = None, n_starts: int = 1,
                      seed: Union[None, int, np.random.Generator] = None,
                      guess: Union[None, ArrayLike, Callable[..., ArrayLike]] = None,
                      detour_scale: float = 0.5, **options: Any) -> ActionPath:
    r"""Least-action path between two parameter vectors through a loss landscape.

    Solves the Euler-Lagrange boundary value problem of the action

    .. math::

        S[\theta] = \int_0^T \Bigl(\tfrac12\lVert\theta'\rVert^2 + \lambda L(\theta)\Bigr)dt,
        \qquad \theta'' = \lambda\nabla L(\theta),\quad \theta(0)=\theta_0,\ \theta(T)=\theta_T,

    and returns the path with its measured action and correctness certificates.

    Parameters
    ----------
    objective : Objective or callable
        The loss ``L``. A plain callable ``L(theta) -> float`` is wrapped by
        ``lagopt.objectives.as_objective`` (missing derivatives by finite differences).
    theta0, thetaT : array_like, shape (n,)
        End points (finite).
    T : float, optional
        Horizon, ``> 0`` (default 1).
    lam : float, optional
        Weight of the loss, ``>= 0`` (default 1).
    method : PathMethod or str, optional
        The method, an object holding its own options (documented on its class), or the name
        of a method (one of `METHODS`) for its default options: ``"direct"`` is ``Direct()``.

        * `Auto` (``"auto"``, default): `Collocation` when the objective is smooth and
          ``n <= 100`` (``Auto.max_params``), falling back to `Direct` on the same start if
          collocation fails (the message records both; collocation's ``max_time`` is 10 s
          there, ``Auto.collocation_max_time``); `Direct` for non-smooth objectives (ReLU)
          or larger ``n``. The chain is an option: ``Auto(chain=(Collocation(tol=1e-8,
          max_time=10.0), Direct(tol=1e-8)))``. ``path.method`` names the method that
          produced the path.
        * `Collocation` (``"collocation"``): ``scipy.integrate.solve_bvp`` [1]_ with analytic
          Jacobians and caps.
        * `Shooting`, `MultipleShooting` (``"shooting"``, ``"multiple_shooting"``): Newton on
          initial velocities (single or per segment) [2]_ [3]_.
        * `Direct` (``"direct"``): minimisation of the discretised action, a variational
          integrator [4]_ (robust, scalable); e.g. ``Direct(rule="numerov")``.
        * `Linear`, `Smoothstep` (``"linear"``, ``"smoothstep"``): interpolants (nothing
          solved: ``success=False``, ``status=Status.NOT_SOLVED``), returned so that their
          action is measured like the others'.

        A new method derives from `PathMethod`. ``tol`` means the relative accuracy of the
        path for every method.
    grad, hess : callable, optional
        Derivatives of a plain-callable `objective`.
    n_starts : int, optional
        Number of initial guesses (hedging, default 1): the straight line, smoothstep, then
        random detours ``line + sum_{k=1}^{3} a_k sin(k pi t / T)`` with
        ``a_k ~ N(0, I) detour_scale |thetaT - theta0| / (k sqrt(n))`` (``|thetaT - theta0|``
        read as 1 when the ends coincide, and smoothstep, then the line again, left out). A
        user `guess` comes first and counts as one start. Ignored by the interpolants.
    seed : int, numpy.random.Generator or None, optional
        Seed of ``numpy.random.default_rng`` for the detours (same seed, same result).
    guess : array_like (n, k) or callable, optional
        A first initial path: points equally spaced on ``[0, T]`` (ends replaced by the end
        points), or a callable ``t -> theta``.
    detour_scale : float, optional
        Size of the random detours relative to ``|thetaT - theta0|`` (default 0.5).
    **options
        Not accepted: a method's options belong to its object. An option given here raises
        TypeError showing the spelling, e.g. "`tol` is an option of the method: write
        method=Collocation(tol=1e-08)". Caps (``max_time``, ``max_nodes``) apply per start.

    Returns
    -------
    ActionPath
        The least-action successful path over the starts (if none succeeded: the least-action
        failure, ``success=False``), with ``starts`` summarising every start. ``nfev``,
        ``ngev``, ``nhev`` count objective points evaluated by all solves (not by the
        measurement); ``wall_time`` is the whole call, of which ``info["solve_time"]`` went
        to the methods and ``info["certificate_time"]`` to measuring and certifying the
        paths (action, residual, energy drift, second variation), every start included.

    Raises
    ------
    ValueError, TypeError
        Invalid arguments (the message names the argument); options of the method given as
        keyword arguments here (TypeError).

    See Also
    --------
    lagopt.paths.Auto, lagopt.paths.Collocation, lagopt.paths.Shooting,
    lagopt.paths.MultipleShooting, lagopt.paths.Direct, lagopt.paths.Linear,
    lagopt.paths.Smoothstep : the methods and their options.
    lagopt.paths.PathMethod : the contract of a new method.

    Notes
    -----
    Sign convention. ``S`` is a Euclidean (imaginary-time) action: the loss is *added* to the
    kinetic energy, so the Euler-Lagrange equation ``theta'' = +lam grad L(theta)`` is Newton's
    law in the potential ``-lam L``, and the loss plays the role of *minus* a mechanical
    potential (minima of ``L`` are hilltops of the mechanical potential). A mechanical problem
    ``theta'' = -grad V(theta)`` is solved with ``L = -V`` and ``lam = 1``: the pendulum
    ``theta'' = -lam sin(theta)`` is ``L = cos(theta)``, and Bratu's problem
    ``y'' + mu exp(y) = 0`` is ``L = -exp(theta)`` with ``lam = mu``.

    Stationary is not minimal: for non-convex losses the boundary value problem has several
    solutions, so ``n_starts > 1`` keeps the least action among the successful starts that are
    certified local minima (``is_minimum``), or among all successful starts when none is
    (hedging over diverse starts, as in multi-start optimisation). Actions within a relative
    ``TIE_RTOL = 1e-8`` (of ``max(|S|, K)``) count as equal and the smaller residual wins, so
    that solver noise does not pick a less accurate copy of the same path.

    Certificates. Every path is measured by one quadrature (so its ``action`` compares fairly
    with the interpolants'), its Euler-Lagrange residual and its energy drift, which vanish on
    an exact solution. ``success=True`` promises that both are within the gates
    ``lagopt.paths._result.RESIDUAL_GATE`` (1e-3, relative) and ``ENERGY_GATE`` (1e-5,
    relative; 1e-3 for non-smooth objectives, ``ENERGY_GATE_NONSMOOTH``), whatever the
    method's own test said, and that ``T`` is not a conjugate point (where the problem has no
    unique solution). ``is_minimum`` then says whether the path is a
    local minimum of the action (second variation positive definite, no conjugate point in
    ``(0, T]`` [5]_), a saddle (False), or cannot be decided (None, with the reason in
    ``info["second_variation"]``).

    References
    ----------
    .. [1] J. Kierzenka and L. F. Shampine, "A BVP solver based on residual control and the
       MATLAB PSE", ACM Trans. Math. Software 27 (2001), 299-316.
    .. [2] J. Stoer and R. Bulirsch, "Introduction to Numerical Analysis", 3rd ed., Springer
       (2002), sec. 7.3.
    .. [3] U. M. Ascher, R. M. M. Mattheij and R. D. Russell, "Numerical Solution of Boundary
       Value Problems for Ordinary Differential Equations", SIAM (1995), ch. 4.
    .. [4] J. E. Marsden and M. West, "Discrete mechanics and variational integrators",
       Acta Numerica 10 (2001), 357-514.
    .. [5] I. M. Gelfand and S. V. Fomin, "Calculus of Variations", Prentice-Hall (1963),
       ch. 5-6.

    Examples
    --------
    >>> import numpy as np
    >>> from lagopt.objectives import Quadratic
    >>> from lagopt.paths import solve_action_path, quadratic_solution
    >>> A = np.diag([1.0, 4.0])
    >>> path = solve_action_path(Quadratic(A), [1.0, 1.0], [0.0, 2.0], T=1.0, lam=1.0)
    >>> path.success, path.method
    (True, 'collocation')
    >>> exact = quadratic_solution(A, [1.0, 1.0], [0.0, 2.0])
    >>> bool(abs(path.action - exact.action) < 1e-6)
    True
    """
    clock = time.perf_counter()
    problem = _problem(objective, theta0, thetaT, T, lam, grad, hess)
    method = as_method(method)
    if options:
        raise misplaced_options(method, options)
    n_starts = positive_int(n_starts, "n_starts")
    detour_scale = positive_float(detour_scale, "detour_scale", allow_zero=True)
    rng = as_rng(seed)
    user_guess = None if guess is None else _user_guess(guess, problem)

    interpolant = method.interpolant
    if interpolant:
        guesses = [None]
    else:
        guesses = _guesses(problem, n_starts, rng, user_guess, detour_scale)
        warm_up(problem.objective, problem.theta0)

    totals = {"loss": 0, "grad": 0, "hess": 0}
    solve_seconds = certificate_seconds = 0.0
    results = []
    for g in guesses:
        path, counts, seconds, certifying = _solve_start(problem, method, g)
        for k, v in counts.items():
            totals[k] = totals.get(k, 0) + v
        solve_seconds += seconds
        certificate_seconds += certifying
        results.append((g.label if g is not None else method.name, path))

    label, best = _pick(results)
    best.starts = [{"label": lab, "method": p.method, "success": p.success, "status": p.status,
                    "action": p.action, "residual": p.residual, "is_minimum": p.is_minimum}
                   for lab, p in results]
    best.nfev, best.ngev, best.nhev = totals["loss"], totals["grad"], totals["hess"]
    best.wall_time = time.perf_counter() - clock
    best.info.update({"start": label, "solve_time": solve_seconds,
                      "certificate_time": certificate_seconds,
                      "requested_method": method.name})
    if interpolant and n_starts > 1:
        best.info["n_starts_ignored"] = True
    return best


def _problem(objective, theta0, thetaT, T, lam, grad, hess):
    """Validate the problem's arguments (messages name the argument) into a `BVPProblem`."""
    theta0 = as_vector(theta0, "theta0")
    n = theta0.shape[0]
    if n == 0:
        raise ValueError("`theta0` must not be empty.")
    objective = _as_objective(objective, n, grad, hess)
    if objective.n_params != n:
        raise ValueError(f"`theta0` has length {n} but the objective has "
                         f"n_params={objective.n_params}.")
    thetaT = as_vector(thetaT, "thetaT", n)
    T = positive_float(T, "T")
    lam = positive_float(lam, "lam", allow_zero=True)
    return BVPProblem(objective, theta0, thetaT, T, lam)
