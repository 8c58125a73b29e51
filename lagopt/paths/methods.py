"""The path methods as objects: each holds its own options, with their defaults, validated when
it is made.

``solve_action_path(..., method=Direct(rule="numerov"))`` solves with the direct method and
Numerov's rule; a string names the method with its default options (``"direct"`` is
``Direct()``). An option means one thing wherever it appears: ``tol`` the relative accuracy
asked of the path, ``max_nodes`` the cap on mesh nodes, ``max_time`` the wall-time cap in
seconds of a start, certificates included (a solve that ends past it is measured but not
certified: ``Status.MAX_TIME``; under `Auto` the chain's caps add up), ``maxiter`` the
iteration cap of the method's inner solver; the direct method's tolerance on each discrete
problem is ``newton_tol``, the shooting methods' integrator ``integrator``.

A new method derives from `PathMethod` (see its contract) and is used like the built-in ones.
"""
from abc import ABC, abstractmethod
from dataclasses import MISSING, dataclass, fields, is_dataclass
from typing import Any, ClassVar, Optional, Tuple

from .._validation import as_bool, choice, positive_float, positive_int
from . import collocation, direct, interpolants, multiple_shooting, shooting
from ._problem import BVPProblem, Guess, RawSolution
from ._variational import INTEGRATORS
from .direct._discrete_action import RULES

__all__ = ["PathMethod", "Auto", "Collocation", "Shooting", "MultipleShooting", "Direct",
           "Linear", "Smoothstep", "as_method", "misplaced_options", "METHOD_CLASSES",
           "METHODS", "INTERPOLANTS", "AUTO_MAX_PARAMS", "AUTO_COLLOCATION_MAX_TIME"]

#: `Auto` uses its whole chain (collocation first) only up to this many parameters
#: (solve_bvp's dense 2n x 2n blocks per node make it memory- and time-bound beyond).
AUTO_MAX_PARAMS = 100
#: Wall-time cap (s) of the collocation in `Auto`'s default chain: a collocation that has not
#: converged by then hands over to the direct method.
AUTO_COLLOCATION_MAX_TIME = 10.0
# solve_bvp's verbosity levels.
_VERBOSE = (0, 1, 2)


class PathMethod(ABC):
    """Base class of the path methods: a method is an object holding its options.

    The contract of a subclass:

    * ``name``, a class attribute: the string that names the method in results
      (``ActionPath.method``) and messages;
    * ``solve(problem, guess=None) -> RawSolution``: solve the boundary value problem
      ``problem`` (a `lagopt.paths._problem.BVPProblem`: ``objective``, ``theta0``,
      ``thetaT``, ``T``, ``lam``) from the initial path ``guess`` (a `Guess` on a mesh, or
      None for the straight line), returning a `lagopt.paths._problem.RawSolution` whose
      ``success`` obeys ``success == (status == Status.SUCCESS)``. `solve_action_path`
      measures it like every other method's and applies the package's certificate; a
      numerical breakdown it raises (``ArithmeticError``, ``LinAlgError``) becomes a failed
      solution with a status;
    * options as fields of a frozen dataclass, validated in ``__post_init__`` with messages
      that name the option, the allowed values and the value given.

    ``interpolant = True`` marks a method that solves nothing (one start, whatever
    ``n_starts``). ``candidates(problem)`` lists the methods to try in turn (default: the
    method itself; `Auto` overrides it).

    Examples
    --------
    A method that solves with the direct method on a fixed grid, under its own name:

    >>> from dataclasses import dataclass
    >>> import lagopt
    >>> from lagopt.paths import Direct, PathMethod
    >>> @dataclass(frozen=True)
    ... class CoarseDirect(PathMethod):
    ...     name = "coarse_direct"
    ...     n_nodes: int = 17
    ...     def solve(self, problem, guess=None):
    ...         return Direct(n_nodes=self.n_nodes).solve(problem, guess)
    >>> f = lagopt.Quadratic([[1.0, 0.0], [0.0, 2.0]])
    >>> path = lagopt.solve_action_path(f, [1.0, 0.0], [0.0, 1.0], method=CoarseDirect())
    >>> path.method, path.t.size
    ('coarse_direct', 17)
    """

    name: ClassVar[str] = ""
    interpolant: ClassVar[bool] = False

    @abstractmethod
    def solve(self, problem: BVPProblem, guess: Optional[Guess] = None) -> RawSolution:
        """Solve `problem` from `guess`: a `RawSolution` (see the class's contract)."""

    def candidates(self, problem: BVPProblem) -> Tuple["PathMethod", ...]:
        """The methods to try in turn on `problem`, until one succeeds: this one."""
        return (self,)

    def options(self) -> dict:
        """The options of this method as a dict (its dataclass fields)."""
        if not is_dataclass(self):
            return {}
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _set(obj, name, check, *args, **kwargs):
    """Validate option `name` of `obj` with `check` (whose message names the option, the
    allowed values and the value given), prefixed by the class, and store the checked value."""
    try:
        value = check(getattr(obj, name), name, *args, **kwargs)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{type(obj).__name__}: {exc}") from None
    object.__setattr__(obj, name, value)


def _optional(check):
    """`check` that lets None through (an option whose default is resolved at solve time)."""
    def checked(value, name, *args, **kwargs):
        return None if value is None else check(value, name, *args, **kwargs)
    return checked


@dataclass(frozen=True)
class Collocation(PathMethod):
    """Collocation: ``scipy.integrate.solve_bvp`` on ``y = (theta, v)``, with caps.

    Fourth-order Lobatto IIIA collocation with residual control (Kierzenka and Shampine), a
    right-hand side from one batched gradient call, an analytic Jacobian from one batched
    Hessian call, caps on nodes and wall time that ``solve_bvp`` lacks, and a homotopy when
    Newton fails from the guess. For smooth losses and small ``n`` (it declines above
    ``lagopt.paths.collocation.MAX_PARAMS`` parameters). See `lagopt.paths.collocation.solve`
    for the algorithm and its status mapping.

    Parameters
    ----------
    tol : float, optional
        ``solve_bvp``'s tolerance on the RMS over each mesh interval of the relative residual
        ``|y_h' - f(y_h)| / (1 + |f|)`` (default 1e-6). `ActionPath.residual` is the
        *maximum* of the same relative residual over sample points, so it can exceed `tol`.
    max_nodes : int or None, optional
        Node cap, ``>= 2``. None (default): ``min(2000, nodes that fit in 2 GiB of Jacobian
        blocks)``. Reaching it gives ``Status.MAX_ITER``.
    max_time : float, optional
        Wall-time cap in seconds (default 30), checked at every right-hand-side and Jacobian
        evaluation; a Jacobian assembly and sparse factorisation is not started when the
        previous one, scaled to the current mesh, would end past the cap. Reaching it gives
        ``Status.MAX_TIME``.
    initial_nodes : int or None, optional
        Resample the guess onto this many uniform nodes, ``>= 2`` (default: the guess's own
        mesh; 21 nodes for the straight line).
    bc_tol : float or None, optional
        Boundary-condition tolerance (default: `tol`).
    continuation : {"lam", "guess", None}, optional
        If the solve from the guess fails (node cap, non-finite values, singular Jacobian) on a
        smooth objective, retry by a homotopy within the same `max_time`: ``"lam"`` (default)
        continues in ``lam`` from the straight line; ``"guess"`` continues from the guess
        itself; None does not retry.
    verbose : {0, 1, 2}, optional
        Passed to ``solve_bvp`` (default 0).

    Examples
    --------
    >>> from lagopt.paths import Collocation
    >>> Collocation(tol=1e-8, max_nodes=500)
    Collocation(tol=1e-08, max_nodes=500, max_time=30.0, initial_nodes=None, bc_tol=None, \
continuation='lam', verbose=0)
    >>> Collocation(tol=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: Collocation: `tol` must be finite and > 0, got -1.0.
    """

    name: ClassVar[str] = "collocation"
    tol: float = 1e-6
    max_nodes: Optional[int] = None
    max_time: float = 30.0
    initial_nodes: Optional[int] = None
    bc_tol: Optional[float] = None
    continuation: Optional[str] = "lam"
    verbose: int = 0

    def __post_init__(self):
        _set(self, "tol", positive_float)
        _set(self, "max_nodes", _optional(positive_int), minimum=2)
        _set(self, "max_time", positive_float)
        _set(self, "initial_nodes", _optional(positive_int), minimum=2)
        _set(self, "bc_tol", _optional(positive_float))
        _set(self, "continuation", choice, ("lam", "guess", None))
        _set(self, "verbose", choice, _VERBOSE)

    def solve(self, problem: BVPProblem, guess: Optional[Guess] = None) -> RawSolution:
        """Solve by collocation (`lagopt.paths.collocation.solve` with these options)."""
        return collocation.solve(problem, guess, **self.options())


def _check_shooting(m):
    """The options the two shooting methods share."""
    _set(m, "tol", positive_float)
    _set(m, "rtol", positive_float)
    _set(m, "maxiter", positive_int)
    _set(m, "max_time", positive_float)
    _set(m, "integrator", choice, INTEGRATORS)
    _set(m, "allow_nonsmooth", as_bool)
    _set(m, "n_mesh", positive_int, minimum=2)


@dataclass(frozen=True)
class Shooting(PathMethod):
    """Single shooting: Newton on the initial velocity, with the variational equations.

    ``F(v0) = theta(T; v0) - thetaT`` is solved by damped Newton, its Jacobian integrated with
    the trajectory (`scipy.integrate.solve_ivp`). Errors grow like ``exp(omega T)``
    (``omega = sqrt(lam h_max)``), so the method declines stiff problems. For mild problems and
    teaching. See `lagopt.paths.shooting.solve` for the algorithm.

    Parameters
    ----------
    tol : float, optional
        Relative miss: success requires ``|theta(T) - thetaT|_inf <= tol * scale``, ``scale``
        the largest of ``|theta0|_inf``, ``|thetaT|_inf`` and ``|thetaT - theta0|_inf`` (1 if
        all vanish). Default 1e-8.
    rtol : float, optional
        Relative (and, times ``scale``, absolute) tolerance of the integrator (default 1e-10).
    maxiter : int, optional
        Newton iterations (default 50).
    max_time : float, optional
        Wall-time cap in seconds, enforced inside the integrations too (default 60).
    max_omega_T : float, optional
        Decline (``Status.DECLINED``) when the estimated ``omega T`` exceeds this (default
        ``lagopt.paths.shooting.MAX_OMEGA_T`` = 12).
    integrator : str, optional
        The `scipy.integrate.solve_ivp` method: one of ``"RK23"``, ``"RK45"``, ``"DOP853"``
        (default), ``"Radau"``, ``"BDF"``, ``"LSODA"``.
    allow_nonsmooth : bool, optional
        Try even when ``objective.smooth`` is False. Default False: decline (the integrator
        would have to resolve every kink, and the almost-everywhere Hessian gives a wrong
        Newton matrix there).
    n_mesh : int, optional
        Minimum number of points of the returned mesh, ``>= 2`` (default 129): the
        integrator's steps, each split evenly, with values from the dense output.

    Examples
    --------
    >>> from lagopt.paths import Shooting
    >>> Shooting(integrator="Radau").integrator
    'Radau'
    """

    name: ClassVar[str] = "shooting"
    tol: float = 1e-8
    rtol: float = 1e-10
    maxiter: int = 50
    max_time: float = 60.0
    max_omega_T: float = shooting.MAX_OMEGA_T
    integrator: str = "DOP853"
    allow_nonsmooth: bool = False
    n_mesh: int = 129

    def __post_init__(self):
        _check_shooting(self)
        _set(self, "max_omega_T", positive_float)

    def solve(self, problem: BVPProblem, guess: Optional[Guess] = None) -> RawSolution:
        """Solve by single shooting (`lagopt.paths.shooting.solve` with these options)."""
        return shooting.solve(problem, guess, **self.options())


@dataclass(frozen=True)
class MultipleShooting(PathMethod):
    """Multiple shooting: segments of length ``~2/omega``, block-sparse Newton on the
    continuity conditions.

    For stiff smooth problems. See `lagopt.paths.multiple_shooting.solve` for the algorithm.

    Parameters
    ----------
    n_segments : int or None, optional
        Number of segments ``K``. None (default): ``max(1, ceil(omega T / 2))`` with ``omega``
        estimated along the straight line (and the guess), capped at `max_segments`.
    tol : float, optional
        Relative accuracy: every continuity gap and the end miss must be at most ``tol`` times
        the position scale (positions) or the velocity scale (velocities). Default 1e-8.
    rtol : float, optional
        Tolerance of the integrator on every segment (default 1e-10).
    maxiter : int, optional
        Newton iterations (default 50).
    max_time : float, optional
        Wall-time cap in seconds, enforced inside the integrations too (default 60).
    max_segments : int, optional
        Cap on the automatic ``K`` (default 1000).
    integrator : str, optional
        The `scipy.integrate.solve_ivp` method: one of ``"RK23"``, ``"RK45"``, ``"DOP853"``
        (default), ``"Radau"``, ``"BDF"``, ``"LSODA"``.
    allow_nonsmooth : bool, optional
        Try even when ``objective.smooth`` is False. Default False: decline
        (``Status.DECLINED``), for the reasons given by `Shooting`.
    n_mesh : int, optional
        Minimum number of points of the returned mesh, ``>= 2`` (default 129).

    Examples
    --------
    >>> from lagopt.paths import MultipleShooting
    >>> MultipleShooting(n_segments=0)
    Traceback (most recent call last):
    ...
    ValueError: MultipleShooting: `n_segments` must be >= 1, got 0.
    """

    name: ClassVar[str] = "multiple_shooting"
    n_segments: Optional[int] = None
    tol: float = 1e-8
    rtol: float = 1e-10
    maxiter: int = 50
    max_time: float = 60.0
    max_segments: int = 1000
    integrator: str = "DOP853"
    allow_nonsmooth: bool = False
    n_mesh: int = 129

    def __post_init__(self):
        _check_shooting(self)
        _set(self, "n_segments", _optional(positive_int))
        _set(self, "max_segments", positive_int)

    def solve(self, problem: BVPProblem, guess: Optional[Guess] = None) -> RawSolution:
        """Solve by multiple shooting (`lagopt.paths.multiple_shooting.solve`)."""
        return multiple_shooting.solve(problem, guess, **self.options())


@dataclass(frozen=True)
class Direct(PathMethod):
    """The direct method: the discretised action on ``N + 1`` nodes, minimised with its exact
    gradient, the grid refined until a Richardson estimate of the error meets `tol`.

    Block-tridiagonal Newton up to 200 parameters; above, for smooth losses, Numerov's
    fourth-order scheme solved by matrix-free Newton-Krylov; L-BFGS for large non-smooth ones.
    A C2 quintic dense output consistent with the scheme. Robust for ReLU networks and large
    ``n`` (10^4 to 10^5 parameters). See `lagopt.paths.direct.solve` for the algorithm.

    Parameters
    ----------
    n_nodes : int or None, optional
        Number of nodes ``N + 1`` (``>= 3``) of the first grid, uniform. None (default): chosen
        a priori, ``N = max(64, ceil(omega T / 0.5))`` (8 for Numerov). An explicit value fixes
        the grid unless ``refine=True``.
    rule : {"trapezoid", "midpoint", "numerov"} or None, optional
        Quadrature of the potential term: the loss at the nodes (ends weighted 1/2), at the
        interval midpoints (both second order), or Numerov's fourth-order scheme written as a
        minimisation (smooth objectives only; not with ``solver="newton"``). None (default):
        Numerov for smooth objectives when the solver is ``"krylov"``, or ``"auto"`` with more
        than 200 parameters; the trapezoid rule otherwise.
    tol : float or None, optional
        Relative accuracy of the returned path: the Richardson estimate of its discretisation
        error (action and positions) must be below it. None (default): 1e-5, or 1e-4 for
        non-smooth objectives (where the estimate converges only at first order near kinks).
    newton_tol : float or None, optional
        Convergence test of each discrete problem on its relative Euler-Lagrange residual
        ``max |dS_h/dtheta_i| / h``. None (default): 1e-8, or 1e-6 for non-smooth objectives,
        whose nodes on kinks are certified by gradient sampling.
    maxiter : int or None, optional
        Iteration cap of the solver on each grid. None (default): 500 for Newton, 10,000 for
        L-BFGS, 200 for Newton-Krylov.
    max_time : float, optional
        Wall-time cap in seconds for the whole solve, refinements included (default 60).
    solver : {"auto", "newton", "lbfgs", "krylov"}, optional
        ``"newton"``: damped Newton with the block-tridiagonal Hessian. ``"lbfgs"``:
        preconditioned L-BFGS, memory ``O(N n)``. ``"krylov"``: matrix-free Newton-Krylov
        (conjugate gradients on batched Hessian-vector products). ``"auto"`` (default): Newton
        when ``n <= 200`` and its Hessian blocks fit, else L-BFGS, Newton-Krylov for Numerov;
        a stalled Newton hands over to L-BFGS, and on non-smooth objectives a stalled L-BFGS
        is finished by Newton on the kink manifold.
    refine : bool or None, optional
        Estimate the discretisation error on the grid of half the spacing and refine until it
        is below `tol`. None (default): True unless `n_nodes` is given. With False,
        ``success`` means only that the discrete problem on one grid was solved.
    max_nodes : int or None, optional
        Cap on the number of nodes ``N + 1``, ``>= 3``. None (default):
        `lagopt.paths.direct.default_max_nodes`, ``2**20 // n`` clipped to ``[129, 16385]``.
        If the error estimate is still above `tol` at the cap, ``Status.MAX_ITER``.

    Examples
    --------
    >>> from lagopt.paths import Direct
    >>> Direct(rule="numerov")
    Direct(n_nodes=None, rule='numerov', tol=None, newton_tol=None, maxiter=None, \
max_time=60.0, solver='auto', refine=None, max_nodes=None)
    >>> Direct(rule="simpson")
    Traceback (most recent call last):
    ...
    ValueError: Direct: `rule` must be one of 'trapezoid', 'midpoint', 'numerov'; got 'simpson'.
    """

    name: ClassVar[str] = "direct"
    n_nodes: Optional[int] = None
    rule: Optional[str] = None
    tol: Optional[float] = None
    newton_tol: Optional[float] = None
    maxiter: Optional[int] = None
    max_time: float = 60.0
    solver: str = "auto"
    refine: Optional[bool] = None
    max_nodes: Optional[int] = None

    def __post_init__(self):
        _set(self, "n_nodes", _optional(positive_int), minimum=3)
        _set(self, "rule", _optional(choice), RULES)
        _set(self, "tol", _optional(positive_float))
        _set(self, "newton_tol", _optional(positive_float))
        _set(self, "maxiter", _optional(positive_int))
        _set(self, "max_time", positive_float)
        _set(self, "solver", choice, ("auto", "newton", "lbfgs", "krylov"))
        _set(self, "refine", _optional(as_bool))
        _set(self, "max_nodes", _optional(positive_int), minimum=3)
        if None not in (self.n_nodes, self.max_nodes) and self.n_nodes > self.max_nodes:
            raise ValueError(f"Direct: `n_nodes` ({self.n_nodes}) exceeds `max_nodes` "
                             f"({self.max_nodes}).")
        if self.rule == "numerov" and self.solver == "newton":
            raise ValueError("Direct: rule='numerov' has no block-tridiagonal Hessian for "
                             "solver='newton'; use solver='krylov' (or 'lbfgs', 'auto').")

    def solve(self, problem: BVPProblem, guess: Optional[Guess] = None) -> RawSolution:
        """Solve by the direct method (`lagopt.paths.direct.solve` with these options)."""
        return direct.solve(problem, guess, **self.options())


@dataclass(frozen=True)
class _Interpolant(PathMethod):
    """An interpolant between the end points on `n_nodes` uniform nodes (nothing solved)."""

    interpolant: ClassVar[bool] = True
    n_nodes: int = 101

    def __post_init__(self):
        _set(self, "n_nodes", positive_int, minimum=2)

    def solve(self, problem: BVPProblem, guess: Optional[Guess] = None) -> RawSolution:
        """The interpolant (`guess` is ignored)."""
        return self._build(problem, guess, n_nodes=self.n_nodes)


@dataclass(frozen=True)
class Linear(_Interpolant):
    """The uniform-speed straight line, measured like a solved path (nothing is solved:
    ``success=False``, ``status=Status.NOT_SOLVED``).

    Parameters
    ----------
    n_nodes : int, optional
        Number of uniform mesh nodes returned, ``>= 2`` (default 101). The dense output is
        exact at every ``t``; the nodes only set where the residual is sampled.
    """

    name: ClassVar[str] = "linear"
    _build = staticmethod(interpolants.solve_linear)


@dataclass(frozen=True)
class Smoothstep(_Interpolant):
    """The smoothstep interpolant ``3s^2 - 2s^3`` of the original LAML experiment, measured like
    a solved path (nothing is solved: ``success=False``, ``status=Status.NOT_SOLVED``).

    Parameters
    ----------
    n_nodes : int, optional
        Number of uniform mesh nodes returned, ``>= 2`` (default 101). The dense output is
        exact at every ``t``; the nodes only set where the residual is sampled.
    """

    name: ClassVar[str] = "smoothstep"
    _build = staticmethod(interpolants.solve_smoothstep)


def _check_chain(chain, name):
    """`chain` as a non-empty tuple of method objects other than `Auto`."""
    if not isinstance(chain, (tuple, list)) or not chain:
        raise TypeError(f"`{name}` must be None or a non-empty tuple of path methods, got "
                        f"{chain!r}.")
    for m in chain:
        if not isinstance(m, PathMethod) or isinstance(m, Auto):
            raise TypeError(f"`{name}` must hold path method objects (not Auto), got {m!r}.")
    return tuple(chain)


@dataclass(frozen=True)
class Auto(PathMethod):
    """Try the methods of a chain in turn until one succeeds.

    For a smooth objective (``objective.smooth`` True) with ``n <= max_params`` parameters the
    methods of `chain` are tried in turn on the same start, until one succeeds (the path's
    message records the failed attempt, ``info["fallback_from"]`` its measurements); otherwise
    only the last method of the chain runs. ``path.method`` names the method that produced the
    path. ``Auto()`` is collocation (``max_time`` 10 s) falling back to the direct method for
    smooth objectives with ``n <= 100``, the direct method otherwise.

    Parameters
    ----------
    chain : tuple of PathMethod or None, optional
        The methods, in order (not `Auto`). None (default):
        ``(Collocation(max_time=collocation_max_time), Direct())``.
    max_params : int, optional
        Largest ``n`` for which the whole chain is tried (default 100: collocation's dense
        ``2n x 2n`` blocks per node make it memory- and time-bound beyond).
    collocation_max_time : float, optional
        Wall-time cap in seconds of the default chain's collocation (default 10), after which
        it hands over to the direct method. Not used with an explicit `chain`, whose methods
        carry their own ``max_time``.

    Examples
    --------
    >>> from lagopt.paths import Auto, Collocation, Direct
    >>> Auto().methods()
    (Collocation(tol=1e-06, max_nodes=None, max_time=10.0, initial_nodes=None, bc_tol=None, \
continuation='lam', verbose=0), Direct(n_nodes=None, rule=None, tol=None, newton_tol=None, \
maxiter=None, max_time=60.0, solver='auto', refine=None, max_nodes=None))
    >>> chain = (Collocation(tol=1e-8, max_time=10.0), Direct(rule="numerov"))
    >>> [m.name for m in Auto(chain=chain).methods()]
    ['collocation', 'direct']
    """

    name: ClassVar[str] = "auto"
    chain: Optional[Tuple[PathMethod, ...]] = None
    max_params: int = AUTO_MAX_PARAMS
    collocation_max_time: float = AUTO_COLLOCATION_MAX_TIME

    def __post_init__(self):
        _set(self, "chain", _optional(_check_chain))
        _set(self, "max_params", positive_int, minimum=0)
        _set(self, "collocation_max_time", positive_float)

    def methods(self) -> Tuple[PathMethod, ...]:
        """The chain, the default one resolved."""
        if self.chain is not None:
            return self.chain
        return (Collocation(max_time=self.collocation_max_time), Direct())

    def candidates(self, problem: BVPProblem) -> Tuple["PathMethod", ...]:
        """The whole chain for a smooth objective with ``n <= max_params``, else its last
        method."""
        chain = self.methods()
        smooth = bool(getattr(problem.objective, "smooth", True))
        return chain if (smooth and problem.n <= self.max_params) else chain[-1:]

    def solve(self, problem: BVPProblem, guess: Optional[Guess] = None) -> RawSolution:
        """The solution of the first method of `candidates` that succeeds, else the last
        one's (`solve_action_path` also records the failed attempt)."""
        for method in self.candidates(problem):
            raw = method.solve(problem, guess)
            if raw.success:
                break
        return raw


#: The built-in methods by name; a string ``method`` stands for ``METHOD_CLASSES[name]()``.
METHOD_CLASSES = {"auto": Auto, "collocation": Collocation, "shooting": Shooting,
                  "multiple_shooting": MultipleShooting, "direct": Direct, "linear": Linear,
                  "smoothstep": Smoothstep}
METHODS = tuple(METHOD_CLASSES)
#: Methods that build a path without solving anything (status ``NOT_SOLVED``).
INTERPOLANTS = tuple(name for name, cls in METHOD_CLASSES.items() if cls.interpolant)


def as_method(method: Any, name: str = "method") -> PathMethod:
    """`method` as a `PathMethod`: an object as given, a string (one of `METHODS`) as the
    default object of that method."""
    if isinstance(method, PathMethod):
        return method
    if isinstance(method, str):
        return METHOD_CLASSES[choice(method, name, METHODS)]()
    raise TypeError(f"`{name}` must be a method name ({', '.join(METHODS)}) or a path method "
                    f"object such as Direct(rule='numerov'), got {type(method).__name__}.")


def _field_names(method):
    return {f.name for f in fields(method)} if is_dataclass(method) else set()


def _spelling(method, extra):
    """``Class(option=value, ...)``: the options of `method` that differ from their defaults,
    updated with `extra`."""
    shown = {}
    if is_dataclass(method):
        for f in fields(method):
            value = getattr(method, f.name)
            if f.default is MISSING or value != f.default:
                shown[f.name] = value
    shown.update(extra)
    args = ", ".join(f"{k}={v!r}" for k, v in shown.items())
    return f"{type(method).__name__}({args})"


def _auto_spelling(auto, options):
    """``Auto(chain=(...), ...)`` with each option given to the chain's methods that have it."""
    parts = [_spelling(m, {k: v for k, v in options.items() if k in _field_names(m)})
             for m in auto.methods()]
    own = {k: v for k, v in options.items() if k in _field_names(auto) and k != "chain"}
    rest = "".join(f", {k}={v!r}" for k, v in own.items())
    return f"Auto(chain=({', '.join(parts)}{',' if len(parts) == 1 else ''}){rest})"


def misplaced_options(method: PathMethod, options: dict) -> TypeError:
    """The TypeError for `options` given to `solve_action_path` itself: an option of the method
    is spelled on the method object, e.g. ``method=Collocation(tol=1e-08)``."""
    if isinstance(method, Auto):
        known = set().union(*(_field_names(m) for m in method.methods()), _field_names(method))
        spelled = _auto_spelling(method, {k: v for k, v in options.items() if k in known})
    else:
        known = _field_names(method)
        spelled = _spelling(method, {k: v for k, v in options.items() if k in known})
    unknown = sorted(set(options) - known)
    if unknown:
        return TypeError(f"solve_action_path() got unexpected option(s) {unknown}: neither an "
                         f"argument of solve_action_path nor an option of the method "
                         f"{type(method).__name__} (its options: {sorted(known)}).")
    names = ", ".join(f"`{k}`" for k in options)
    verb = "is an option" if len(options) == 1 else "are options"
    return TypeError(f"{names} {verb} of the method: write method={spelled}.")
