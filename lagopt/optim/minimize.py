"""``lagopt.minimize``: one entry point for every optimizer, all on the same gradient budget
(and, optionally, the same wall-time cap ``max_time``)."""
from __future__ import annotations

import inspect
import numbers
import time
from collections.abc import Mapping
from typing import Any, Callable, Optional, Union

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import OptimizeResult

from .._status import NonFiniteError, Status
from .._validation import as_rng, as_vector
from ..objectives import Objective, as_objective
from ..objectives.callable import DerivativeFunction, LossFunction
from ._budget import (BudgetedObjective, BudgetExhausted, NonFiniteLoss, StopRequested,
                      time_message)
from ._method import Optimizer
from .baselines import GD, LBFGS, Adam, Momentum, Steepest
from .lm import LM

__all__ = ["minimize", "MinimizeResult", "METHODS", "register_method", "Status"]

#: Registry of optimizers by name: a :class:`~lagopt.optim.methods.Optimizer` subclass, whose
#: object made from the flat options of :func:`minimize` runs (``method="adam", lr=0.01`` is
#: ``method=Adam(lr=0.01)``), or a function ``method(f, x0, rng, **options) -> dict``. ``f``
#: is a :class:`~lagopt.optim._budget.BudgetedObjective`, ``x0`` a float64 copy of the start,
#: ``rng`` a ``numpy.random.Generator``; the dict (also that of ``Optimizer.run(f, x0, rng)``)
#: holds ``x`` and optionally ``status`` (a :class:`~lagopt._status.Status`, default
#: ``Status.SUCCESS``), ``message`` and further entries, which are copied into the result.
#: Add methods with :func:`register_method` (:mod:`lagopt.optim` adds ``"laml"`` and
#: ``"hybrid"``, whose modules import this one).
METHODS = {cls.name: cls for cls in (GD, Momentum, Adam, LBFGS, Steepest, LM)}


def register_method(name: str,
                    func: Union[Callable[..., Mapping[str, Any]], type[Optimizer]], *,
                    overwrite: bool = False) -> None:
    """Make `func` available as ``minimize(..., method=name)``.

    Parameters
    ----------
    name : str
        Method name.
    func : callable or Optimizer subclass
        ``func(f, x0, rng, **options) -> dict`` as described for :data:`METHODS`: its
        keyword parameters are the method's options, validated by name before the call. Or a
        subclass of :class:`~lagopt.optim.methods.Optimizer`, made from the options.
    overwrite : bool, optional, keyword-only
        Allow replacing an existing method. Default False.

    Examples
    --------
    >>> from lagopt.optim import Status, register_method, minimize
    >>> def fixed_point(f, x0, rng, tau=0.5):   # toy method: one damped gradient step
    ...     loss, g = f.loss_and_grad(x0)
    ...     f.set_iterate(x0, loss)
    ...     x = x0 - tau * g
    ...     f.set_iterate(x)
    ...     return {"x": x, "status": Status.SUCCESS, "message": "One step taken."}
    >>> register_method("one_step", fixed_point)
    >>> minimize(lambda th: float(th @ th), [1.0], method="one_step", tau=0.25).x
    array([0.5])
    >>> _ = METHODS.pop("one_step")            # unregister
    """
    if not isinstance(name, str) or not name:
        raise TypeError("`name` must be a non-empty string.")
    if not callable(func):
        raise TypeError(f"`func` must be callable, got {type(func).__name__}.")
    if name in METHODS and not overwrite:
        raise ValueError(f"A method {name!r} is already registered; pass overwrite=True to "
                         "replace it.")
    METHODS[name] = func


class MinimizeResult(OptimizeResult):
    """Result of :func:`lagopt.minimize` (a ``scipy.optimize.OptimizeResult``).

    Attributes
    ----------
    x : ndarray
        Final iterate.
    fun : float
        Loss at `x`, evaluated once more after the run and *not* charged to the budget.
    n_grad : float
        Gradient evaluations charged (``<= max_grad_evals``), see :mod:`lagopt.optim._budget`.
    nit : int
        Iterations (new iterates after the start).
    nfev, ngev, nhev : int
        Objective points at which loss, gradient and Hessian were evaluated by the run (the
        counters of :class:`lagopt.ActionPath`, same names and meanings; a loss-and-gradient
        pair counts in both nfev and ngev, a residual vector, which gives the loss, in nfev;
        the final `fun` is excluded).
    njev : int
        Alias of ``ngev`` (scipy's name for gradient evaluations).
    njac, nhessp : int
        Points at which the Jacobian of the residuals and Hessian-vector products were
        evaluated.
    success : bool
        ``status == Status.SUCCESS``.
    status : Status
        ``SUCCESS`` (converged), ``BUDGET_EXHAUSTED``, ``MAX_TIME`` (the wall-time cap
        ``max_time`` was reached: the iterate with the lowest recorded loss is returned),
        ``CALLBACK_STOP``, ``MAX_ITER`` (``maxiter`` reached), ``NON_FINITE`` (diverged: the
        last iterate with a finite loss is returned) or ``NOT_CONVERGED`` (the method failed);
        see :class:`lagopt._status.Status`.
    message : str
        The method's own message, else the default message of `status`.
    method : str
    history : dict of ndarray
        ``n_grad``, ``loss``, ``time``: the loss at every iterate whose loss the method knew,
        against the gradient evaluations spent when it became known and the wall time
        (seconds since the start). ``n_grad`` is non-decreasing.
    wall_time : float
        Seconds for the whole run (with ``max_time``, at most about one evaluation and one
        iteration of the method more than ``max_time``, plus the final `fun`).
    """


_NON_FINITE_START = (
    "Non-finite values at the starting point: the loss at `theta0` is {fun:g}, or its gradient "
    "is not finite there, so no step could be taken; returned `theta0`. Start where the loss "
    "and its gradient are finite (e.g. smaller parameters), or rescale the objective.")


def _check_method(method):
    """Raise ValueError unless `method` is an :class:`Optimizer` or a name of :data:`METHODS`."""
    if not isinstance(method, Optimizer) and not (isinstance(method, str) and method in METHODS):
        raise ValueError(f"Unknown `method`={method!r}; choose one of "
                         f"{', '.join(map(repr, METHODS))}, or pass a method object such as "
                         "Adam(lr=0.01).")


def _method_runner(method, options):
    """``(name, run)`` for `method` (a name of :data:`METHODS` or an :class:`Optimizer` object)
    and the flat `options`: ``run(f, x0, rng) -> dict``; options are checked here."""
    if isinstance(method, Optimizer):
        if options:
            raise TypeError(f"Options {', '.join(map(repr, sorted(options)))} were given "
                            f"besides the method object {type(method).__name__}; give them to "
                            "the object (e.g. Adam(lr=0.01)), or use its name "
                            "(method=\"adam\", lr=0.01).")
        return type(method).name or type(method).__name__, method.run
    _check_method(method)
    entry = METHODS[method]
    if isinstance(entry, type) and issubclass(entry, Optimizer):
        return method, entry.from_options(options).run
    _check_options(method, entry, options)
    return method, lambda f, x0, rng: entry(f, x0, rng, **options)


def _check_max_time(max_time):
    """`max_time` as a float > 0, or None (no cap; also for ``inf``); ValueError otherwise."""
    if max_time is None:
        return None
    if isinstance(max_time, bool) or not isinstance(max_time, numbers.Real) \
            or np.isnan(max_time) or max_time <= 0:
        raise ValueError(f"`max_time` must be a number of seconds > 0, or None for no limit, "
                         f"got {max_time!r}.")
    return None if np.isinf(max_time) else float(max_time)


def _check_options(name, func, options):
    params = inspect.signature(func).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    allowed = [p for p in list(params)[3:]
               if params[p].kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                     inspect.Parameter.KEYWORD_ONLY)]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TypeError(f"Unknown option(s) {', '.join(map(repr, unknown))} for method "
                        f"{name!r}; it accepts {', '.join(map(repr, allowed)) or 'none'}.")


def minimize(objective: Union[Objective, LossFunction], theta0: ArrayLike,
             method: Union[str, Optimizer] = "gd",
             max_grad_evals: float = 1000, seed: Union[None, int, np.random.Generator] = None,
             callback: Optional[Callable[[OptimizeResult], Any]] = None, progress: bool = False,
             *, grad: Optional[DerivativeFunction] = None,
             hess: Optional[DerivativeFunction] = None, keep_iterates: bool = False,
             max_time: Optional[float] = None, **options: Any) -> MinimizeResult:
    r"""Minimise a loss with one of the registered optimizers, on a gradient-evaluation budget
    and, optionally, a wall-time cap.

    Parameters
    ----------
    objective : Objective or callable
        The loss. A plain callable ``loss(theta) -> float`` is wrapped by
        :func:`lagopt.objectives.as_objective` (with `grad`/`hess` if given, else finite
        differences).
    theta0 : array_like, shape (n,)
        Starting point.
    method : str or Optimizer, optional
        An optimizer object of :mod:`lagopt.optim.methods`, which holds the method's
        options: :class:`~lagopt.optim.LAML`, :class:`~lagopt.optim.Hybrid`,
        :class:`~lagopt.optim.GD`, :class:`~lagopt.optim.Momentum`,
        :class:`~lagopt.optim.Adam`, :class:`~lagopt.optim.LBFGS`,
        :class:`~lagopt.optim.Steepest`, :class:`~lagopt.optim.LM` (Levenberg-Marquardt,
        for objectives that expose residuals, such as ``MLPObjective``). Or a key of
        :data:`METHODS`, the shorthand for the default object (``"adam"`` is ``Adam()``):
        ``"gd"`` (default), ``"momentum"``, ``"adam"``, ``"lbfgs"``, ``"steepest"``,
        ``"lm"``, ``"laml"``, ``"hybrid"`` or any registered method.
    max_grad_evals : float, optional
        Budget in gradient evaluations (>= 1), charged by the single rule of
        :mod:`lagopt.optim._budget`: a gradient (with or without its loss) costs 1, a loss
        alone 1/2, a Hessian-vector product ``objective.hessp_cost``, a Hessian ``n``, a
        residual vector 1/2 and a Jacobian of the residuals ``objective.jac_cost`` (``n`` by
        default). No method can exceed it. Default 1000. With `max_time`, whichever runs out
        first ends the run.
    seed : int, numpy.random.Generator or None, optional
        Seed of the ``numpy.random.Generator`` passed to the method (stochastic methods draw
        only from it). Default None (fresh entropy).
    callback : callable, optional
        ``callback(intermediate_result)`` after every recorded iterate, with an
        ``OptimizeResult`` holding ``x``, ``fun``, ``nit``, ``n_grad``; return True or raise
        ``StopIteration`` to stop.
    progress : bool, optional
        Show a tqdm progress bar over the budget. Default False.
    grad, hess : callable, optional, keyword-only
        Derivatives of a plain-callable `objective`.
    keep_iterates : bool, optional, keyword-only
        Also keep the iterate of every history row, as ``history["x"]`` (shape
        ``(len(history["loss"]), n)``), e.g. for
        :func:`lagopt.optim.diagnostics.trajectory_efficiency`. Default False.
    max_time : float, optional, keyword-only
        Wall-time cap in seconds (> 0), counted from the start of the run. Before every
        evaluation the budgeted objective reads the clock (``time.perf_counter()``); once the
        deadline has passed it refuses the evaluation as it refuses one the budget cannot pay,
        so every method (the scipy-driven ``"lbfgs"`` and ``"lm"`` included) stops within one
        evaluation and the rest of its current iteration, and the run ends with
        ``status = Status.MAX_TIME`` (``success=False``), the iterate with the lowest recorded
        loss and a message naming `max_time`. Default None: no cap (``inf`` too). NaN, zero
        or negative values raise ValueError.
    **options
        With a method name: the options of its object, e.g. ``method="gd", lr=0.1`` is
        ``method=GD(lr=0.1)``. Unknown options raise ``TypeError`` naming the valid ones;
        with a method object, give the options to the object.

    Returns
    -------
    MinimizeResult
        With ``x``, ``fun``, ``n_grad``, ``nit``, ``success``, ``status``, ``message``,
        ``method``, ``history`` and evaluation counts.

    Raises
    ------
    ValueError
        For an unknown `method` or invalid arguments (e.g. `max_time` NaN, zero or
        negative).
    TypeError
        For unknown options, options besides a method object, ``method="lm"`` on an
        objective without residuals, or a plain-callable loss that returns a non-numeric
        value (such as None).

    Notes
    -----
    The budget exists so that optimizers are compared at equal cost. When it runs out during
    an iteration the run ends cleanly (``status = Status.BUDGET_EXHAUSTED``) with the method's
    current iterate: for example gradient descent returns the point its last paid-for gradient
    led to.

    The wall-time cap ends a run the same way (``status = Status.MAX_TIME``), but returns the
    iterate whose recorded loss is the lowest of the run: a point whose loss was paid for,
    never worse than the start. Runs that differ only in speed stop at different points, so a
    run with `max_time` is reproducible only when it ends before the cap. Races at equal
    wall time (:mod:`lagopt.benchmarks.wide_race`, ``--equal-time``) give every method the same
    `max_time` and an evaluation budget that does not bind.

    When the loss or a derivative stops being finite (the method diverged) the run ends with
    ``Status.NON_FINITE`` and the last iterate whose loss was finite; when already the start's
    loss or gradient is not finite, with `theta0` and a message saying so.

    Examples
    --------
    >>> import numpy as np
    >>> from lagopt.objectives import Quadratic
    >>> from lagopt.optim import minimize
    >>> f = Quadratic(np.diag([1.0, 4.0]))
    >>> res = minimize(f, [1.0, 1.0], method="gd", lr=0.4, max_grad_evals=50)
    >>> res.status, res.nit, res.n_grad, bool(res.fun < 1e-10)
    (<Status.SUCCESS: 0>, 30, 31.0, True)

    The same run with the optimizer object (the options belong to the method):

    >>> from lagopt.optim import GD
    >>> minimize(f, [1.0, 1.0], method=GD(lr=0.4), max_grad_evals=50).nit
    30
    """
    _check_method(method)
    theta0 = as_vector(theta0, "theta0")
    if isinstance(objective, Objective):
        theta0 = as_vector(theta0, "theta0", objective.n_params)
    objective = as_objective(objective, n_params=theta0.shape[0], grad=grad, hess=hess)
    if isinstance(max_grad_evals, bool) or not isinstance(max_grad_evals, numbers.Real) \
            or not np.isfinite(max_grad_evals) or max_grad_evals < 1:
        raise ValueError(f"`max_grad_evals` must be a finite number >= 1, got "
                         f"{max_grad_evals!r}.")
    max_time = _check_max_time(max_time)
    if callback is not None and not callable(callback):
        raise TypeError("`callback` must be callable.")
    method, run = _method_runner(method, options)
    rng = as_rng(seed)
    iterates = None
    if keep_iterates:
        iterates, user_callback = [], callback

        def callback(intermediate_result):
            iterates.append(intermediate_result.x)
            return None if user_callback is None else user_callback(intermediate_result)

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=float(max_grad_evals), desc=method, unit="grad")
    f = BudgetedObjective(objective, max_grad_evals, callback=callback, progress=bar,
                          max_time=max_time)
    extra = {}
    t0 = time.perf_counter()
    try:
        out = dict(run(f, theta0.copy(), rng))
        x = out.pop("x")                # None when no iterate was declared (or finite)
        x = None if x is None else np.asarray(x, dtype=np.float64)
        status = Status(out.pop("status", Status.SUCCESS))
        message = out.pop("message", None)
        extra = out
    except BudgetExhausted:
        x, status, message = f.x, Status.BUDGET_EXHAUSTED, None
    except StopRequested:
        x, status, message = f.x, Status.CALLBACK_STOP, None
    except (NonFiniteLoss, NonFiniteError):
        # The loss or a derivative overflowed (the method diverged): keep the last iterate
        # whose loss was finite.
        x, status, message = f.x_recorded, Status.NON_FINITE, None
    finally:
        if bar is not None:
            bar.close()
    if f.timed_out and status not in (Status.SUCCESS, Status.NON_FINITE,
                                      Status.CALLBACK_STOP):
        # The clock refused an evaluation (the method may have reported it as the budget, or
        # ended otherwise because of it): end at the best point whose loss was paid for.
        if status != Status.MAX_TIME or message is None:
            message = time_message(max_time, f.spent)
        status = Status.MAX_TIME
        if f.x_best is not None:
            x = f.x_best
    if x is None:                       # stopped before any iterate was declared
        x = theta0
    nonfinite_start = status == Status.NON_FINITE and f.x_recorded is None
    if nonfinite_start:                 # no iterate with a finite loss: the start is at fault
        x = theta0
    elif status == Status.NON_FINITE and message is None:
        message = (status.message() + " Returned the last iterate with a finite loss; reduce "
                   "the step size (`lr`, `step`).")
    fun = float(objective.loss(x))      # outside the budget
    if nonfinite_start:
        message = _NON_FINITE_START.format(fun=fun)
    if not np.isfinite(fun) and status != Status.NON_FINITE and f.x_recorded is not None:
        x, status, message = f.x_recorded, Status.NON_FINITE, None
        fun = float(objective.loss(x))
    wall = time.perf_counter() - t0
    if message is None:
        message = status.message(budget=float(max_grad_evals))

    c = f.counts
    history = f.history()
    if iterates is not None:
        history["x"] = np.array(iterates, dtype=np.float64).reshape(len(iterates), -1)
    # Per-iterate records of the method (e.g. LAML's action and acceptance) join the history.
    for key, value in dict(extra.pop("history", None) or {}).items():
        history.setdefault(key, np.asarray(value))
    result = MinimizeResult(
        x=x, fun=fun, n_grad=f.spent, nit=max(f.nit, 0),
        nfev=c["loss"] + c["loss_and_grad"] + c["residuals"],
        ngev=c["grad"] + c["loss_and_grad"], njev=c["grad"] + c["loss_and_grad"],
        nhev=c["hess"], njac=c["jac"], nhessp=c["hessp"],
        success=status == Status.SUCCESS, status=status, message=message, method=method,
        history=history, wall_time=wall)
    for key, value in extra.items():
        result.setdefault(key, value)
    return result
