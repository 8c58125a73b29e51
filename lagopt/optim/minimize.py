"""``lagopt.minimize``: one entry point for every optimizer, all on the same gradient budget."""
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
from . import baselines
from .lm import lm
from ._budget import BudgetedObjective, BudgetExhausted, NonFiniteLoss, StopRequested

__all__ = ["minimize", "MinimizeResult", "METHODS", "register_method", "Status"]

#: Registry of optimizers: name -> ``method(f, x0, rng, **options) -> dict``. ``f`` is a
#: :class:`~lagopt.optim._budget.BudgetedObjective`, ``x0`` a float64 copy of the start,
#: ``rng`` a ``numpy.random.Generator``; the dict holds ``x`` and optionally ``status`` (a
#: :class:`~lagopt._status.Status`, default ``Status.SUCCESS``), ``message`` and further
#: entries, which are copied into the result. Add methods with :func:`register_method`.
METHODS = {
    "gd": baselines.gd,
    "momentum": baselines.momentum,
    "adam": baselines.adam,
    "lbfgs": baselines.lbfgs,
    "steepest": baselines.steepest,
    "lm": lm,
}


def register_method(name: str, func: Callable[..., Mapping[str, Any]], *,
                    overwrite: bool = False) -> None:
    """Make `func` available as ``minimize(..., method=name)``.

    Parameters
    ----------
    name : str
        Method name.
    func : callable
        ``func(f, x0, rng, **options) -> dict`` as described for :data:`METHODS`. Its
        keyword parameters are the method's options; they are validated by name before the
        call.
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
    nfev, njev, nhev, njac, nhessp : int
        Points at which the loss, the gradient, the Hessian, the Jacobian of the residuals
        and Hessian-vector products were evaluated during the run (a loss-and-gradient pair
        counts in both nfev and njev; a residual vector, which gives the loss, in nfev).
    success : bool
        ``status == Status.SUCCESS``.
    status : Status
        ``SUCCESS`` (converged), ``BUDGET_EXHAUSTED``, ``CALLBACK_STOP``, ``MAX_ITER``
        (``maxiter`` reached), ``NON_FINITE`` (diverged: the last iterate with a finite loss is
        returned) or ``NOT_CONVERGED`` (the method failed); see :class:`lagopt._status.Status`.
    message : str
        The method's own message, else the default message of `status`.
    method : str
    history : dict of ndarray
        ``n_grad``, ``loss``, ``time``: the loss at every iterate whose loss the method knew,
        against the gradient evaluations spent when it became known and the wall time
        (seconds since the start). ``n_grad`` is non-decreasing.
    wall_time : float
        Seconds for the whole run.
    """


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


def minimize(objective: Union[Objective, LossFunction], theta0: ArrayLike, method: str = "gd",
             max_grad_evals: float = 1000, seed: Union[None, int, np.random.Generator] = None,
             callback: Optional[Callable[[OptimizeResult], Any]] = None, progress: bool = False,
             *, grad: Optional[DerivativeFunction] = None,
             hess: Optional[DerivativeFunction] = None, keep_iterates: bool = False,
             **options: Any) -> MinimizeResult:
    r"""Minimise a loss with one of the registered optimizers, on a gradient-evaluation budget.

    Parameters
    ----------
    objective : Objective or callable
        The loss. A plain callable ``loss(theta) -> float`` is wrapped by
        :func:`lagopt.objectives.as_objective` (with `grad`/`hess` if given, else finite
        differences).
    theta0 : array_like, shape (n,)
        Starting point.
    method : str, optional
        A key of :data:`METHODS`: ``"gd"`` (default), ``"momentum"``, ``"adam"``,
        ``"lbfgs"``, ``"steepest"``, ``"lm"`` (Levenberg-Marquardt, for objectives that
        expose residuals, such as ``MLPObjective``; see :func:`lagopt.optim.lm.lm`), or any
        registered method (e.g. ``"laml"``).
    max_grad_evals : float, optional
        Budget in gradient evaluations (>= 1), charged by the single rule of
        :mod:`lagopt.optim._budget`: a gradient (with or without its loss) costs 1, a loss
        alone 1/2, a Hessian-vector product ``objective.hessp_cost``, a Hessian ``n``, a
        residual vector 1/2 and a Jacobian of the residuals ``objective.jac_cost`` (``n`` by
        default). No method can exceed it. Default 1000.
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
    **options
        Options of the method (see :mod:`lagopt.optim.baselines` and :mod:`lagopt.optim.lm`),
        e.g. ``lr=0.1`` for ``"gd"``. Unknown options raise ``TypeError``.

    Returns
    -------
    MinimizeResult
        With ``x``, ``fun``, ``n_grad``, ``nit``, ``success``, ``status``, ``message``,
        ``method``, ``history`` and evaluation counts.

    Raises
    ------
    ValueError
        For an unknown `method` or invalid arguments.
    TypeError
        For unknown options, or ``method="lm"`` on an objective without residuals.

    Notes
    -----
    The budget exists so that optimizers are compared at equal cost. When it runs out during
    an iteration the run ends cleanly (``status = Status.BUDGET_EXHAUSTED``) with the method's
    current iterate: for example gradient descent returns the point its last paid-for gradient
    led to.

    Examples
    --------
    >>> import numpy as np
    >>> from lagopt.objectives import Quadratic
    >>> from lagopt.optim import minimize
    >>> f = Quadratic(np.diag([1.0, 4.0]))
    >>> res = minimize(f, [1.0, 1.0], method="gd", lr=0.4, max_grad_evals=50)
    >>> res.status, res.nit, res.n_grad, bool(res.fun < 1e-10)
    (<Status.SUCCESS: 0>, 30, 31.0, True)
    """
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"Unknown `method`={method!r}; choose one of "
                         f"{', '.join(map(repr, METHODS))}.")
    theta0 = as_vector(theta0, "theta0")
    if isinstance(objective, Objective):
        theta0 = as_vector(theta0, "theta0", objective.n_params)
    objective = as_objective(objective, n_params=theta0.shape[0], grad=grad, hess=hess)
    if isinstance(max_grad_evals, bool) or not isinstance(max_grad_evals, numbers.Real) \
            or not np.isfinite(max_grad_evals) or max_grad_evals < 1:
        raise ValueError(f"`max_grad_evals` must be a finite number >= 1, got "
                         f"{max_grad_evals!r}.")
    if callback is not None and not callable(callback):
        raise TypeError("`callback` must be callable.")
    func = METHODS[method]
    _check_options(method, func, options)
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
    f = BudgetedObjective(objective, max_grad_evals, callback=callback, progress=bar)
    extra = {}
    t0 = time.perf_counter()
    try:
        out = dict(func(f, theta0.copy(), rng, **options))
        x = np.asarray(out.pop("x"), dtype=np.float64)
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
    if x is None:                       # stopped before any iterate was declared
        x = theta0
    if status == Status.NON_FINITE and message is None:
        message = (status.message() + " Returned the last iterate with a finite loss; reduce "
                   "the step size (`lr`, `step`).")
    fun = float(objective.loss(x))      # outside the budget
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
        njev=c["grad"] + c["loss_and_grad"], nhev=c["hess"], njac=c["jac"], nhessp=c["hessp"],
        success=status == Status.SUCCESS, status=status, message=message, method=method,
        history=history, wall_time=wall)
    for key, value in extra.items():
        result.setdefault(key, value)
    return result
