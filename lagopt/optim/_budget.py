"""One budget rule for every optimizer: evaluations are charged in gradient equivalents.

Every optimizer in :func:`lagopt.minimize` sees the objective only through a
:class:`BudgetedObjective`, which charges each evaluation *before* making it and refuses (raises
:class:`BudgetExhausted`) any evaluation that would take the total over the budget. So no
optimizer can exceed ``max_grad_evals``, whatever it does internally, and all of them are
compared at equal cost. The same object records the history (loss against cost and wall time)
and holds the current iterate, which is what :func:`lagopt.minimize` returns when the budget
runs out in the middle of an iteration.

The rule (:data:`COSTS`), per point evaluated:

======================  ==========================================================
evaluation              charge (gradient evaluations)
======================  ==========================================================
``grad``                1
``loss_and_grad``       1 (the loss comes with the forward pass of the gradient)
``loss``                1/2 (a forward pass, about half of forward + backward)
``hessp``               ``objective.hessp_cost`` (2 by default, 3 for MLPs, 1 for
                        quadratics)
``hess``                ``n_params`` (one Hessian-vector product per column would
                        cost more; ``n`` gradients is the finite-difference price)
``residuals``           1/2 (the residual vector of a least-squares objective: a
                        forward pass, like ``loss``)
``jac``                 ``objective.jac_cost`` if the objective defines it, else
                        ``n_params`` (the Jacobian of the residuals, charged like
                        ``hess`` at the finite-difference price of ``n`` gradients)
======================  ==========================================================

Batched calls (``loss_batch``, ``grad_batch``, ``hess_batch``) charge per column. The final
loss that :func:`lagopt.minimize` reports as ``fun`` is evaluated outside the budget.

A run may also have a wall-time cap (``minimize(..., max_time=seconds)``): before every charge
the budgeted objective compares ``time.perf_counter()`` with its deadline, and once the deadline
has passed it refuses the evaluation with :class:`TimeExhausted`, a subclass of
:class:`BudgetExhausted`. Every method therefore ends on the clock exactly as it ends on the
budget (within one evaluation, plus the work of the iteration that asked for it, after the
deadline), and :func:`lagopt.minimize` reports ``Status.MAX_TIME`` with the iterate of lowest
recorded loss (:attr:`BudgetedObjective.x_best`: a point whose loss was paid for).

Derivative matrices are charged at the price of forming them from gradients, not at what a
particular kernel happens to cost: ``MLPObjective`` forms its Jacobian for about the work of
one gradient plus the writing of the matrix, yet sets ``jac_cost = n_params`` so that methods
that use Jacobians (Levenberg-Marquardt) and methods that use Hessians are charged alike.
"""
import math
import time

import numpy as np

__all__ = ["BudgetedObjective", "BudgetExhausted", "TimeExhausted", "StopRequested",
           "NonFiniteLoss", "COSTS"]

#: Charge per evaluated point, in gradient evaluations (``"hess"`` and ``"hessp"`` depend on
#: the objective, see :meth:`BudgetedObjective.cost`).
COSTS = {"loss": 0.5, "grad": 1.0, "loss_and_grad": 1.0, "hessp": "hessp_cost",
         "hess": "n_params", "residuals": 0.5, "jac": "jac_cost"}

# Costs are sums of halves and of the objective's hessp_cost; a relative slack keeps a budget
# that is exactly used up from being refused because of rounding.
_SLACK = 1e-9


class BudgetExhausted(Exception):
    """Raised by :class:`BudgetedObjective` instead of an evaluation the budget cannot pay."""


class TimeExhausted(BudgetExhausted):
    """Raised by :class:`BudgetedObjective` instead of an evaluation asked for after the deadline
    of ``max_time``.

    A :class:`BudgetExhausted`, so that every method that ends cleanly on the budget (catching
    it, or letting :func:`lagopt.minimize` catch it) ends the same way on the clock;
    :func:`lagopt.minimize` then reports ``Status.MAX_TIME`` (the objective's ``timed_out``).
    """


class StopRequested(Exception):
    """Raised by :meth:`BudgetedObjective.record` when the user callback asks to stop."""


class NonFiniteLoss(Exception):
    """Raised by :class:`BudgetedObjective` when the loss at the current iterate is not finite."""


class BudgetedObjective:
    """An objective seen through a gradient-evaluation budget (the view optimizers get).

    Parameters
    ----------
    objective : Objective
        The objective; it is not modified (its own ``counts`` still increase).
    max_grad_evals : float
        Budget in gradient evaluations, see :data:`COSTS`.
    callback : callable, optional
        ``callback(intermediate_result)`` called by :meth:`record` with an
        ``OptimizeResult`` holding ``x``, ``fun``, ``nit`` and ``n_grad``; returning True or
        raising ``StopIteration`` (scipy's convention) stops the optimizer
        (:class:`StopRequested`).
    progress : tqdm progress bar, optional
        Advanced by the cost spent at every :meth:`record`.
    max_time : float, optional
        Wall-time cap in seconds (> 0), counted from the object's creation; None (default)
        means no cap. Once ``time.perf_counter()`` has reached the deadline, every charge
        raises :class:`TimeExhausted` (the check costs one clock read per evaluation).

    Attributes
    ----------
    spent : float
        Gradient evaluations charged so far.
    x : ndarray or None
        The current iterate (set with :meth:`set_iterate`).
    x_recorded : ndarray or None
        The last iterate whose (finite) loss was recorded.
    x_best, loss_best : ndarray or None, float
        The recorded iterate with the lowest finite loss, and that loss (``inf`` before any):
        the best point whose loss was paid for.
    deadline : float or None
        ``time.perf_counter()`` value at which the time runs out (None without `max_time`).
    timed_out : bool
        Whether an evaluation was refused because the deadline had passed.
    nit : int
        Number of iterates declared after the first (iterations).
    counts : dict
        Number of calls per kind of evaluation (points, for batched calls).

    Notes
    -----
    Optimizers use it like the objective itself (``loss``, ``grad``, ``loss_and_grad``,
    ``hessp``, ``hess``, the batched forms, and ``residuals`` and ``jacobian`` for objectives
    with ``has_residuals``) and in addition declare every new iterate with
    :meth:`set_iterate`, and every loss they *know* at the current iterate with
    :meth:`record`. A loss is only known after it has been paid for, so the history is honest:
    ``history["n_grad"][k]`` is what had been spent when ``history["loss"][k]`` was known.
    """

    def __init__(self, objective, max_grad_evals, callback=None, progress=None, max_time=None):
        self.objective = objective
        self.n_params = objective.n_params
        self.max_grad_evals = float(max_grad_evals)
        self.callback = callback
        self.progress = progress
        self.spent = 0.0
        self.x = None
        self.x_recorded = None
        self.x_best = None
        self.loss_best = np.inf
        self.nit = -1
        self.counts = {"loss": 0, "grad": 0, "loss_and_grad": 0, "hessp": 0, "hess": 0,
                       "residuals": 0, "jac": 0}
        self.raise_on_nonfinite = True
        self._t0 = time.perf_counter()
        self.max_time = None if max_time is None else float(max_time)
        self.deadline = None if max_time is None else self._t0 + self.max_time
        self.timed_out = False
        self._hist = {"n_grad": [], "loss": [], "time": []}
        self._bar_done = 0.0

    # ------------------------------------------------------------------ accounting
    @property
    def remaining(self):
        """Gradient evaluations still available."""
        return max(0.0, self.max_grad_evals - self.spent)

    @property
    def has_residuals(self):
        """Whether the objective exposes :meth:`residuals` and :meth:`jacobian`."""
        return bool(getattr(self.objective, "has_residuals", False))

    @property
    def residual_scale(self):
        """``c`` in ``loss == c * sum(residuals**2)`` (None without residuals)."""
        return getattr(self.objective, "residual_scale", None)

    def cost(self, kind, m=1):
        """Charge for evaluating `kind` at `m` points (see :data:`COSTS`)."""
        if kind == "hessp":
            unit = float(getattr(self.objective, "hessp_cost", 2.0))
        elif kind == "hess":
            unit = float(self.n_params)
        elif kind == "jac":
            jac_cost = getattr(self.objective, "jac_cost", None)
            unit = float(self.n_params if jac_cost is None else jac_cost)
        else:
            unit = COSTS[kind]
        return unit * m

    def can_afford(self, kind, m=1):
        """Whether `m` evaluations of `kind` fit into the remaining budget."""
        return self.spent + self.cost(kind, m) <= self.max_grad_evals * (1 + _SLACK)

    @property
    def time_left(self):
        """Seconds until the deadline (``inf`` without `max_time`, 0 once it has passed)."""
        if self.deadline is None:
            return np.inf
        return max(0.0, self.deadline - time.perf_counter())

    def check_time(self):
        """Raise :class:`TimeExhausted` if the deadline has passed (called by :meth:`charge`,
        i.e. before every evaluation; methods may call it at other points of their own)."""
        if self.deadline is not None and (self.timed_out
                                          or time.perf_counter() >= self.deadline):
            self.timed_out = True
            raise TimeExhausted(
                f"the wall-time cap max_time = {self.max_time:g} s was reached "
                f"({self.spent:g} gradient evaluations spent)")

    def charge(self, kind, m=1):
        """Charge `m` evaluations of `kind`, or raise :class:`BudgetExhausted` if they don't fit
        (:class:`TimeExhausted` if the deadline of `max_time` has passed)."""
        self.check_time()
        if not self.can_afford(kind, m):
            raise BudgetExhausted(
                f"evaluating {kind} at {m} point(s) would exceed the budget of "
                f"{self.max_grad_evals:g} gradient evaluations ({self.spent:g} spent)")
        self.spent += self.cost(kind, m)
        self.counts[kind] += m

    # ------------------------------------------------------------------ evaluations
    def loss(self, x):
        self.charge("loss")
        return self.objective.loss(x)

    def grad(self, x):
        self.charge("grad")
        return self.objective.grad(x)

    def loss_and_grad(self, x):
        self.charge("loss_and_grad")
        return self.objective.loss_and_grad(x)

    def hessp(self, x, v):
        self.charge("hessp")
        return self.objective.hessp(x, v)

    def hess(self, x):
        self.charge("hess")
        return self.objective.hess(x)

    def residuals(self, x):
        self.charge("residuals")
        return self.objective.residuals(x)

    def jacobian(self, x):
        self.charge("jac")
        return self.objective.jacobian(x)

    def loss_batch(self, P):
        self.charge("loss", np.shape(P)[1])
        return self.objective.loss_batch(P)

    def grad_batch(self, P):
        self.charge("grad", np.shape(P)[1])
        return self.objective.grad_batch(P)

    def hess_batch(self, P):
        self.charge("hess", np.shape(P)[1])
        return self.objective.hess_batch(P)

    # ------------------------------------------------------------------ iterates and history
    def set_iterate(self, x, loss=None):
        """Declare `x` the current iterate; with its `loss` (already paid for), :meth:`record` it.

        The first call declares the starting point; every later call counts one iteration.
        """
        self.x = np.array(x, dtype=np.float64, copy=True)
        self.nit += 1
        if loss is not None:
            self.record(loss)

    def record(self, loss):
        """Append ``(spent, loss, wall time)`` for the current iterate, then call the callback.

        Raises
        ------
        NonFiniteLoss
            If `loss` is not finite (and ``raise_on_nonfinite``); nothing is recorded.
        StopRequested
            If the callback returned True (after recording).
        """
        loss = float(loss)
        finite = math.isfinite(loss)
        if not finite and self.raise_on_nonfinite:
            raise NonFiniteLoss(f"the loss became {loss} at iteration {self.nit}")
        if finite:
            self.x_recorded = self.x
            if loss < self.loss_best or self.x_best is None:
                self.x_best, self.loss_best = self.x, loss
        self._hist["n_grad"].append(self.spent)
        self._hist["loss"].append(loss)
        self._hist["time"].append(time.perf_counter() - self._t0)
        if self.progress is not None:
            self.progress.update(self.spent - self._bar_done)
            self._bar_done = self.spent
            self.progress.set_postfix(loss=f"{loss:.4g}", refresh=False)
        if self.callback is not None:
            from scipy.optimize import OptimizeResult

            try:
                stop = self.callback(OptimizeResult(x=self.x.copy(), fun=loss, nit=self.nit,
                                                    n_grad=self.spent))
            except StopIteration:
                stop = True
            if stop is True:
                raise StopRequested("the callback requested a stop")

    def exhausted(self):
        """``(status, message)`` of a run that a refused evaluation ended: ``MAX_TIME`` when
        the deadline refused it (:attr:`timed_out`), else ``BUDGET_EXHAUSTED``."""
        from .._status import Status

        if self.timed_out:
            return Status.MAX_TIME, time_message(self.max_time, self.spent)
        return Status.BUDGET_EXHAUSTED, Status.BUDGET_EXHAUSTED.message(
            budget=self.max_grad_evals)

    def history(self):
        """The recorded history as a dict of arrays ``n_grad``, ``loss``, ``time``."""
        return {k: np.asarray(v, dtype=np.float64) for k, v in self._hist.items()}


def time_message(max_time, spent):
    """The message of a run that the wall-time cap `max_time` ended."""
    return (f"The wall-time cap `max_time` = {max_time:g} s was reached after {spent:g} "
            "gradient evaluations; returned the iterate with the lowest loss paid for. Raise "
            "`max_time` to continue.")
