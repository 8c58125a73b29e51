"""Levenberg-Marquardt on the gradient budget: ``lagopt.minimize(..., method="lm")``.

Gauss-Newton with a trust region, for losses that are sums of squares,
``L(theta) = c * sum(r(theta)**2)``: the objective must expose its residuals ``r`` and their
Jacobian (``has_residuals``; :class:`~lagopt.objectives.MLPObjective` and
:class:`~lagopt.objectives.Rosenbrock` do). The iteration is ``scipy.optimize.least_squares``
(MINPACK's ``lmder`` for ``solver="lm"``, the trust-region reflective method for ``"trf"``);
this module feeds it the budgeted residuals and Jacobians, keeps an honest history and maps its
outcome to a :class:`~lagopt._status.Status`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Optional

import numpy as np
import scipy.optimize
from numpy.typing import NDArray

from .._status import Status
from .._validation import choice, positive_float, positive_int
from ._budget import BudgetedObjective, BudgetExhausted
from ._method import Optimizer, method_function

__all__ = ["LM", "lm"]

_EPS = np.finfo(np.float64).eps
_INT32_MAX = int(np.iinfo(np.int32).max)   # the largest `max_nfev` scipy accepts
SOLVERS = ("lm", "trf")


class _LeastSquares:
    """``fun`` and ``jac`` for scipy: charged through the budget, memoised at the last point.

    Every residual evaluation whose loss ``c * r @ r`` is lower than the best so far (and the
    first one) declares its point as the new iterate, with that loss: it has been paid for.
    A repeated request at the point of the previous evaluation returns the stored value
    without evaluating (scipy asks again for the start, and for the Jacobian at the solution).
    """

    def __init__(self, f):
        self.f = f
        self.scale = float(f.residual_scale)
        self.best = None
        self._r_at = self._r = self._J_at = self._J = None

    def fun(self, x):
        if self._r_at is not None and np.array_equal(x, self._r_at):
            return self._r.copy()
        r = np.asarray(self.f.residuals(x), dtype=np.float64)
        self._r_at, self._r = np.array(x, dtype=np.float64), r.copy()
        loss = self.scale * float(r @ r)
        if self.best is None or loss < self.best:
            self.best = loss
            self.f.set_iterate(x, loss)
        return r

    def jac(self, x):
        if self._J_at is None or not np.array_equal(x, self._J_at):
            self._J = np.asarray(self.f.jacobian(x), dtype=np.float64)
            self._J_at = np.array(x, dtype=np.float64)
        return self._J.copy()


def _check_x_scale(x_scale, n):
    """`x_scale` checked (its length only when the number of parameters `n` is given)."""
    if isinstance(x_scale, str):
        if x_scale != "jac":
            raise ValueError(f"`x_scale` must be 'jac' or positive numbers, got {x_scale!r}.")
        return x_scale
    try:
        arr = np.asarray(x_scale, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"`x_scale` must be 'jac' or positive numbers, got "
                        f"{type(x_scale).__name__}.") from None
    if arr.ndim > 1 or arr.size not in (1, arr.size if n is None else n) \
            or not np.all(np.isfinite(arr)) or not np.all(arr > 0):
        count = "one per parameter" if n is None else f"{n}"
        raise ValueError(f"`x_scale` must be 'jac', a positive number or {count} positive "
                         f"numbers, got {x_scale!r}.")
    return arr if arr.ndim else float(arr)


def _tolerance(value, name):
    value = positive_float(value, name)
    if value < _EPS:
        raise ValueError(f"`{name}` must be at least the machine epsilon ({_EPS:.2e}), got "
                         f"{value:g}.")
    return value


def _outcome(res, f, max_nfev_given, fallback_note):
    """``(status, message)`` for a scipy result."""
    message = str(res.message)
    if res.status > 0:
        status = Status.SUCCESS
    elif res.status == 0 and max_nfev_given:
        status = Status.MAX_ITER
        message = f"The evaluation limit `max_nfev` was reached ({message})"
    elif res.status == 0:
        # Only the budget should end a run without `max_nfev`; scipy's own cap is set above it.
        status = Status.BUDGET_EXHAUSTED
        message = status.message(budget=f.max_grad_evals)
    else:
        status = Status.NOT_CONVERGED
        message = f"least_squares stopped: {message}"
    return status, message + fallback_note


@dataclass(frozen=True)
class LM(Optimizer):
    r"""Levenberg-Marquardt (``scipy.optimize.least_squares``) on the gradient budget.

    ``minimize(f, x0, method=LM(solver="trf"))``; ``method="lm"`` is ``LM()``. The objective
    must expose residuals (``has_residuals``), e.g. :class:`~lagopt.objectives.MLPObjective`;
    :meth:`run` raises TypeError otherwise.

    Parameters
    ----------
    solver : {"lm", "trf"}, optional
        ``"lm"`` (default): MINPACK's Levenberg-Marquardt, ``least_squares(method="lm")``.
        It needs at least as many residuals as parameters (``m >= n``); when ``m < n`` the
        trust-region reflective method ``"trf"`` (exact trust-region subproblems by SVD) is
        used instead, and the result's ``solver`` and message say so. ``"trf"`` always uses
        it.
    ftol, xtol, gtol : float, optional
        scipy's stopping tolerances (relative reduction of the loss, relative step, scaled
        gradient); each at least the machine epsilon. Default 1e-12, tight enough that the
        budget usually ends the run unless the problem is solved to rounding (a
        zero-residual or linear least-squares problem).
    x_scale : "jac", float or array_like, optional
        Characteristic scale of each parameter (positive numbers: one, or one per
        parameter). Default ``"jac"``: the inverse norms of the Jacobian's columns, updated
        as MINPACK does.
    max_nfev : int, optional
        Limit on residual evaluations counted by scipy (``>= 1``); reaching it gives
        ``Status.MAX_ITER``. By default only the budget limits the run. What is passed to
        scipy is at most ``2**31 - 1`` (MINPACK's C integer), which also bounds a larger
        budget's residual evaluations.

    The run's dict (and so the result of :func:`lagopt.minimize`) holds ``x`` (the point with
    the lowest loss evaluated), ``status``, ``message``, ``solver`` (the scipy method used)
    and ``scipy_result`` (scipy's ``OptimizeResult``; None when the budget ran out first).

    Notes
    -----
    Budget: a residual vector costs 1/2 (a forward pass) and a Jacobian ``jac_cost``
    (``n_params`` unless the objective says otherwise; see :mod:`lagopt.optim._budget`). A
    Levenberg-Marquardt iteration costs one Jacobian plus one residual vector per trial step,
    so on an MLP it costs ``n + 1/2`` or more gradient evaluations: few iterations fit into a
    budget that gradient methods spend on hundreds, and each does far more.

    History: the first residual evaluation records the start; every later one whose loss
    ``residual_scale * sum(r**2)`` is lower than all before it is declared the new iterate,
    with that loss. The history is therefore non-increasing, and when the budget refuses an
    evaluation (scipy's iteration is interrupted) :func:`lagopt.minimize` returns the best
    point evaluated (``Status.BUDGET_EXHAUSTED``). The returned ``x`` is that point also when
    scipy finishes.

    scipy evaluates the Jacobian once more at the point it returns (for its ``optimality``);
    when that point is the last one whose Jacobian was formed the stored matrix is reused,
    otherwise the evaluation is charged like any other, and if it does not fit, the run ends
    with ``Status.BUDGET_EXHAUSTED`` although scipy had stopped: the returned point is the
    same.

    Wall-time cap (``minimize(..., max_time=...)``): the clock is read before every residual
    vector and Jacobian, and an evaluation asked for after the deadline interrupts scipy as the
    budget does; the run ends with ``Status.MAX_TIME`` at the best point evaluated. One
    Jacobian is the longest evaluation, so the run ends at most about one Jacobian and one
    iteration's linear algebra after the deadline.

    The method (``solver="lm"``): Gauss-Newton steps damped as proposed by Levenberg [1]_ and
    Marquardt [2]_, in the trust-region form of Moré [3]_ that MINPACK implements; see also
    [4]_.

    References
    ----------
    .. [1] K. Levenberg, "A method for the solution of certain non-linear problems in least
       squares", Quart. Appl. Math. 2 (1944), 164-168.
    .. [2] D. W. Marquardt, "An algorithm for least-squares estimation of nonlinear
       parameters", J. Soc. Indust. Appl. Math. 11 (1963), 431-441.
    .. [3] J. J. Moré, "The Levenberg-Marquardt algorithm: implementation and theory", in
       G. A. Watson (ed.), Numerical Analysis, Lecture Notes in Mathematics 630, Springer
       (1978), 105-116.
    .. [4] J. Nocedal and S. J. Wright, "Numerical Optimization", 2nd ed., Springer (2006),
       ch. 10.

    Examples
    --------
    Rosenbrock's function is a sum of two squares; from the classic start Levenberg-Marquardt
    reaches the minimum ``(1, 1)`` within 100 gradient evaluations (a Jacobian costs 2 here):

    >>> import numpy as np
    >>> from lagopt.objectives import Rosenbrock
    >>> from lagopt.optim import minimize
    >>> res = minimize(Rosenbrock(), [-1.2, 1.0], method="lm", max_grad_evals=100)
    >>> res.status, res.solver, np.allclose(res.x, [1.0, 1.0])
    (<Status.SUCCESS: 0>, 'lm', True)

    An objective without residuals is refused:

    >>> from lagopt.objectives import Quadratic
    >>> minimize(Quadratic(np.eye(2)), [1.0, 1.0], method="lm")
    Traceback (most recent call last):
    ...
    TypeError: method 'lm' needs an objective that exposes residuals ...
    """

    name: ClassVar[str] = "lm"
    solver: str = "lm"
    ftol: float = 1e-12
    xtol: float = 1e-12
    gtol: float = 1e-12
    x_scale: Any = "jac"
    max_nfev: Optional[int] = None

    def _validate(self) -> None:
        choice(self.solver, "solver", SOLVERS)
        self._set(**{k: _tolerance(getattr(self, k), k) for k in ("ftol", "xtol", "gtol")})
        self._set(x_scale=_check_x_scale(self.x_scale, None),
                  max_nfev=None if self.max_nfev is None else
                  positive_int(self.max_nfev, "max_nfev"))

    def run(self, f: BudgetedObjective, x0: NDArray[np.float64],
            rng: np.random.Generator) -> dict[str, Any]:
        if not f.has_residuals:
            raise TypeError(
                f"method 'lm' needs an objective that exposes residuals (a sum-of-squares "
                f"loss with has_residuals = True, e.g. MLPObjective or Rosenbrock); "
                f"{type(f.objective).__name__} does not. Use a gradient method such as "
                "'lbfgs'.")
        solver, ftol, xtol, gtol = self.solver, self.ftol, self.xtol, self.gtol
        max_nfev = self.max_nfev
        x_scale = _check_x_scale(self.x_scale, x0.shape[0])
        ls = _LeastSquares(f)
        m, n = ls.fun(x0).shape[0], x0.shape[0]         # the start, recorded; scipy reuses it
        used, note = solver, ""
        if solver == "lm" and m < n:
            used = "trf"
            note = (f" (solver 'trf' was used: 'lm' needs at least as many residuals as "
                    f"parameters, and m = {m} < n = {n})")
        # Without `max_nfev` the budget ends the run: scipy's count (which includes requests
        # answered from the memo) is capped above what the budget can pay for.
        # Either way within scipy's C integer (MINPACK's `maxfev`).
        cap = max_nfev if max_nfev is not None else 2 * int(np.ceil(f.remaining)) + 10
        cap = min(cap, _INT32_MAX)
        try:
            res = scipy.optimize.least_squares(ls.fun, x0, jac=ls.jac, method=used, ftol=ftol,
                                               xtol=xtol, gtol=gtol, x_scale=x_scale,
                                               max_nfev=cap)
        except BudgetExhausted:
            # Caught here rather than by minimize, so that the result still names the solver.
            # The budget or the clock (`max_time`: TimeExhausted, Status.MAX_TIME).
            status, message = f.exhausted()
            return {"x": f.x, "status": status, "solver": used, "scipy_result": None,
                    "message": message + note}
        status, message = _outcome(res, f, max_nfev is not None, note)
        return {"x": f.x, "status": status, "message": message, "solver": used,
                "scipy_result": res}


#: :class:`LM` as a function of the :data:`lagopt.optim.METHODS` signature.
lm = method_function(LM)
