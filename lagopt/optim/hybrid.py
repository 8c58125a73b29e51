r"""Hybrid mode: gradient steps, with periodic action checks.

Ordinary gradient steps do the work; every `check_every` steps the action of the recent stretch
of trajectory is compared with the least action between its ends in the same time, and the
step size is adjusted (or the run restarted from the best recent point) accordingly. The method
is the optimizer object :class:`Hybrid`, ``lagopt.minimize(..., method=Hybrid(...))``, with the
shorthand ``method="hybrid"``.
"""
from __future__ import annotations

import copy
from dataclasses import InitVar, dataclass
from typing import Any, ClassVar, Optional, Union

import numpy as np
from numpy.typing import NDArray

from .._status import NonFiniteError, Status
from .._validation import as_bool, choice, positive_float, positive_int
from ..paths.core import polyline_action
from ._budget import BudgetedObjective, BudgetExhausted, NonFiniteLoss, StopRequested
from ._method import Optimizer, in_interval, method_function, nonnegative, optional_maxiter
from .baselines import AdamStep, GDStep, MomentumStep
from .laml._base import BudgetView, LAMLState
from .laml.path_stage import PATH_METHODS, PathSolver

__all__ = ["Hybrid", "hybrid"]

_INNER = ("gd", "momentum", "adam")
# A step whose loss exceeds this multiple of the window's first loss (or is not finite)
# restarts at once instead of at the next check.
_BLOW_UP = 10.0
_STUCK = ("Every step from the best point, even of length `lr_min` with a fresh inner state, "
          f"raises the loss more than {_BLOW_UP:g}-fold (or makes it or its gradient "
          "non-finite); lower `lr_min`.")


@dataclass(frozen=True)
class Hybrid(Optimizer):
    r"""Gradient steps with an action check of the recent trajectory every `check_every`
    steps.

    ``minimize(f, x0, method=Hybrid(step=AdamStep(lr=1e-2)))``; ``method="hybrid"`` is
    ``Hybrid()``, and flat options make the object (``method="hybrid", step="adam"``).

    Parameters
    ----------
    step : {"gd", "momentum", "adam"} or GDStep, MomentumStep, AdamStep, optional
        The inner step: a step object of :mod:`lagopt.optim.baselines` (each run starts from
        a fresh copy of it), or its name. Default ``"gd"``. ``inner`` is accepted as the
        option's former name.
    lr : float, optional
        Initial learning rate (``> 0``, clipped to ``[lr_min, lr_max]``); default the step's
        ``lr``: 0.1, 0.01, 1e-3 for ``"gd"``, ``"momentum"``, ``"adam"``, the baselines'.
    check_every : int, optional
        Steps between checks (``k``, ``>= 2``). Default 10.
    lam : float, optional
        Weight of the loss in the action (``>= 0``). Default 1.
    dt : float, optional
        Time per step (``> 0``): the window of ``k`` steps lasts ``T = k dt``. Default: the
        learning rate at the start of the window (gradient-flow time, in which gradient
        descent is the explicit Euler method).
    path : str or PathSolver, optional
        Path stage for the least action between the window's ends (any method of
        :func:`lagopt.solve_action_path`, charged to the budget). Default ``"linear"`` with
        `n_nodes` nodes: the straight line, whose action bounds the least action from above and
        costs ``n_nodes - 2`` loss evaluations.
    n_nodes : int, optional
        Nodes of a ``"linear"`` or ``"smoothstep"`` path (default 3: the midpoint is
        evaluated).
    low, high : float, optional
        Efficiency thresholds, ``0 <= low <= high``, ``high > 0``: below `low` the step
        shrinks, above `high` it grows. Defaults 0.7 and 0.99.
    grow, shrink : float, optional
        Factors applied to the learning rate, ``grow >= 1``, `shrink` in ``(0, 1)``. Defaults
        1.5 and 0.5.
    restart_tol : float, optional
        Relative rise of the loss over a window above which the run restarts from the
        window's best point (``>= 0``). Default 0.5.
    lr_min, lr_max : float, optional
        Bounds of the learning rate, ``0 < lr_min <= lr_max``. Defaults 1e-4 and 10.
    beta, beta2, eps : float, optional
        For a step given by name: the momentum coefficient (``"momentum"``; ``beta1`` of
        ``"adam"``) and Adam's ``beta2``, each in ``[0, 1)``, and ``eps >= 0``. Default (None)
        the step's: 0.9, 0.999, 1e-8. A step object carries its own (giving them too is an
        error).
    take_path : bool, optional
        When a node of the check's path has a lower loss than the current point, jump there
        (its loss is already paid for). Default True.
    gtol : float, optional
        Stop when ``max |grad_i| <= gtol`` (``>= 0``). Default 1e-6.
    maxiter : int, optional
        Limit on inner steps (``>= 0``).

    The result of :func:`lagopt.minimize` holds, besides the usual, ``history`` entries per
    iterate: ``lr`` (the learning rate of the step that produced it), ``efficiency`` (at
    checks, else NaN), ``event`` (``""``, ``"grow"``, ``"shrink"``, ``"restart"``,
    ``"path"``); and ``n_checks``, ``n_restarts``.

    Notes
    -----
    At a check the window ``theta_{j-k}, ..., theta_j`` (whose losses the inner steps paid
    for) has the action

    .. math::

        S_\text{traj} = \sum_i \frac{\lVert\theta_{i+1} - \theta_i\rVert^2}{2 h}
        + \lambda h \sum_i \frac{L_i + L_{i+1}}2, \qquad h = \frac{T}{k},

    free of charge, and the path stage gives ``S_min``, the (least, or straight-line) action
    between ``theta_{j-k}`` and ``theta_j`` in the same time ``T``. The efficiency
    ``S_min / S_traj`` is near 1 when the steps go straight downhill at a steady pace, and
    falls when they zig-zag across a valley (the kinetic part of the trajectory then exceeds
    that of the direct route many times). The rules, in order:

    1. the window's last loss is above its first by more than `restart_tol` (relative): restart
       from the window's best point, with ``lr *= shrink`` and the inner state (momentum,
       Adam's moments) reset;
    2. the loss rose less than that, or the efficiency is below `low`: ``lr *= shrink``;
    3. efficiency above `high` (and the loss fell): ``lr *= grow``;
    4. with `take_path`, move to the path's least-loss node if it beats the current point.

    Between checks, a step whose loss is more than 10 times the window's first loss, or that
    reaches a point where the loss or its gradient is not finite, triggers rule 1 at once
    (divergence does not wait for the check). When that happens twice in a row at `lr_min`
    the run would only repeat itself (the same step from the same point): it ends at the
    window's best point with ``Status.NOT_CONVERGED`` (unless `maxiter` bounds it). Every step
    is charged to the budget, also one that returns to a point evaluated before. A step
    smaller than the floating-point spacing of ``x`` (``lr`` far below ``|x_i|`` times the
    machine epsilon) leaves ``x`` unchanged and is not evaluated; `check_every` of them in a
    row end the run with ``Status.NOT_CONVERGED`` and a message saying so.

    When the budget runs out in the middle of a window, the run ends at the window's
    lowest-loss point (all its losses are paid for). The wall-time cap of
    ``minimize(..., max_time=...)`` ends it the same way (``Status.MAX_TIME``, at the lowest
    recorded loss of the run), within one evaluation and one action check of the deadline.

    The trajectory's action uses the trapezoid rule on the known losses
    (:func:`lagopt.paths._formulas.polyline_action`) rather than :func:`lagopt.paths.action`'s
    1,000-point quadrature, which would cost about 50 times the steps it checks. The inner
    steps are those of :mod:`lagopt.optim.baselines` (:class:`~.baselines.GDStep`,
    :class:`~.baselines.MomentumStep`, :class:`~.baselines.AdamStep`).
    """

    name: ClassVar[str] = "hybrid"
    step: Union[str, GDStep, MomentumStep, AdamStep] = "gd"
    lr: Optional[float] = None
    check_every: int = 10
    lam: float = 1.0
    dt: Optional[float] = None
    path: Union[str, PathSolver] = "linear"
    n_nodes: int = 3
    low: float = 0.7
    high: float = 0.99
    grow: float = 1.5
    shrink: float = 0.5
    restart_tol: float = 0.5
    lr_min: float = 1e-4
    lr_max: float = 10.0
    beta: Optional[float] = None
    beta2: Optional[float] = None
    eps: Optional[float] = None
    take_path: bool = True
    gtol: float = 1e-6
    maxiter: Optional[int] = None
    inner: InitVar[Optional[str]] = None

    def __post_init__(self, inner: Optional[str] = None) -> None:
        if inner is not None:
            if self.step != "gd":
                raise TypeError("Give the inner step as `step` or as `inner`, not both.")
            self._set(step=choice(inner, "inner", _INNER))
        self._validate()

    def _validate(self) -> None:
        self._check_step()
        self._set(lr=None if self.lr is None else positive_float(self.lr, "lr"),
                  check_every=positive_int(self.check_every, "check_every", minimum=2),
                  lam=nonnegative(self.lam, "lam"),
                  dt=None if self.dt is None else positive_float(self.dt, "dt"),
                  restart_tol=nonnegative(self.restart_tol, "restart_tol"),
                  take_path=as_bool(self.take_path, "take_path"),
                  gtol=nonnegative(self.gtol, "gtol"), maxiter=optional_maxiter(self.maxiter))
        self._check_bounds()
        if isinstance(self.path, str):
            choice(self.path, "path", PATH_METHODS)
            self._path_solver()                     # checks `n_nodes`
        elif not isinstance(self.path, PathSolver):
            raise TypeError(f"`path` must be a method name or a PathSolver, got "
                            f"{type(self.path).__name__}.")

    def _check_step(self):
        """`step`, and `beta`, `beta2`, `eps` (only for a step given by name)."""
        tuned = {k: getattr(self, k) for k in ("beta", "beta2", "eps")
                 if getattr(self, k) is not None}
        if isinstance(self.step, str):
            choice(self.step, "step", _INNER)
            self._set(**{k: (nonnegative(v, k) if k == "eps" else in_interval(v, k, 0, 1))
                         for k, v in tuned.items()})
        elif not isinstance(self.step, (GDStep, MomentumStep, AdamStep)):
            raise TypeError(f"`step` must be one of {', '.join(map(repr, _INNER))} or a "
                            f"GDStep, MomentumStep or AdamStep, got {type(self.step).__name__}.")
        elif tuned:
            raise TypeError(f"{', '.join(f'`{k}`' for k in tuned)}: only for a step given by "
                            f"name; give it to the step object {self.step!r} instead.")

    def _check_bounds(self):
        """`low` <= `high`, `grow` >= 1, `shrink` in (0, 1), `lr_min` <= `lr_max`."""
        low, high = nonnegative(self.low, "low"), positive_float(self.high, "high")
        if low > high:
            raise ValueError(f"`low` must not exceed `high`, got low={low}, high={high}.")
        lr_min = positive_float(self.lr_min, "lr_min")
        lr_max = positive_float(self.lr_max, "lr_max")
        if lr_min > lr_max:
            raise ValueError(f"`lr_min` must not exceed `lr_max`, got lr_min={lr_min}, "
                             f"lr_max={lr_max}.")
        self._set(low=low, high=high, lr_min=lr_min, lr_max=lr_max,
                  grow=in_interval(self.grow, "grow", 1, np.inf),
                  shrink=in_interval(self.shrink, "shrink", 0, 1, low_open=True))

    def _make_step(self):
        """A fresh inner step: a reset copy of the step object, or the one `step` names."""
        if not isinstance(self.step, str):
            stepper = copy.copy(self.step)
            stepper.reset()
            return stepper
        if self.step == "gd":
            return GDStep()
        if self.step == "momentum":
            return MomentumStep(*_given(self.beta))
        return AdamStep(**{k: v for k, v in (("beta1", self.beta), ("beta2", self.beta2),
                                             ("eps", self.eps)) if v is not None})

    def _path_solver(self):
        """The path stage of the checks (a new one per run when `path` is a name)."""
        if not isinstance(self.path, str):
            return self.path
        return PathSolver(self.path,
                          n_nodes=self.n_nodes if self.path in ("linear", "smoothstep") else None)

    def run(self, f: BudgetedObjective, x0: NDArray[np.float64],
            rng: np.random.Generator) -> dict[str, Any]:
        run = _HybridRun(f, rng, self)
        status, message = None, None
        try:
            status, message = run.loop(x0)
        except BudgetExhausted:             # the budget, or the clock of `max_time`
            status = f.exhausted()[0]
            run.end_at_best_of_window()
        except StopRequested:
            status = Status.CALLBACK_STOP
        except NonFiniteLoss:
            status = Status.NON_FINITE
        return run.result(status, message)


def _given(value):
    """``(value,)``, or ``()`` for None (the step's default)."""
    return () if value is None else (value,)


def _trajectory_action(P, losses, lam, T):
    """Action of the polyline through the columns of `P` in time `T`, equal time per segment,
    the loss integrated by the trapezoid rule on the (known) losses at the points."""
    kinetic, potential = polyline_action(np.linspace(0.0, T, P.shape[1]), P, losses, lam)
    return kinetic + potential


class _HybridRun:
    """One run of :class:`Hybrid` (its options `opts`): the inner step, the learning rate, the
    window of recent iterates ``(x, loss, grad)`` and the per-iterate records (rows of
    ``f.history()``)."""

    def __init__(self, f, rng, opts):
        self.f, self.rng, self.o = f, rng, opts
        self.view = BudgetView(f)
        self.stepper = opts._make_step()
        self.path = opts._path_solver()
        lr = self.stepper.lr if opts.lr is None else opts.lr
        self.lr = min(max(lr, opts.lr_min), opts.lr_max)
        self.hist = {"lr": [self.lr], "efficiency": [np.nan], "event": ["start"]}
        self.counters = {"n_checks": 0, "n_restarts": 0}
        self.window = []

    def record(self, x, loss, event="", efficiency=np.nan):
        """Declare `x` (loss known) as a new iterate and add its history row."""
        self.f.set_iterate(x, loss)
        self.hist["lr"].append(self.lr)
        self.hist["efficiency"].append(efficiency)
        self.hist["event"].append(event)

    def loop(self, x0):
        """Inner steps and checks until `gtol` or `maxiter` (the budget raises).

        Every pass of the loop either charges the budget (the step's point is evaluated
        through it, never read back from the tape) or is one of a bounded run of passes
        without charge: a step that does not move `x` (at most `check_every` in a row, then
        the run stops) or a step to a non-finite point (a restart with ``lr *= shrink``,
        until the run stops at `lr_min`).
        """
        o, f, view = self.o, self.f, self.view
        x = x0
        loss, g = view.loss_and_grad(x)
        f.set_iterate(x, loss)
        self.window = [(x, loss, g)]
        k, stuck, frozen = 0, False, 0
        while True:
            if float(np.max(np.abs(g))) <= o.gtol:
                return Status.SUCCESS, "The gradient norm (max |g_i|) is at most `gtol`."
            if o.maxiter is not None and k >= o.maxiter:
                return Status.MAX_ITER, "The iteration limit `maxiter` was reached."
            with np.errstate(all="ignore"):
                x_new = self.stepper.step(x, g, self.lr)
            k += 1
            if np.array_equal(x_new, x):
                # The step is below the floating-point spacing of x: x, its loss and gradient
                # are unchanged (nothing to evaluate). Momentum may still build up; a whole
                # window of such steps ends the run.
                frozen += 1
                if frozen >= o.check_every:
                    return Status.NOT_CONVERGED, self._frozen_message(x)
                continue
            frozen = 0
            x = x_new
            f.set_iterate(x)
            loss, g = self._evaluate(x)
            start = self.window[0][1]
            if not np.isfinite(loss) or loss > _BLOW_UP * max(abs(start), 1e-300):
                # Diverging: do not wait for the check. Back to the window's best point,
                # half the step, inner state reset.
                if stuck and self.lr <= o.lr_min and o.maxiter is None:
                    # The step just taken (fresh inner state, `lr_min`) would be repeated
                    # exactly: end at the best point instead.
                    self.end_at_best_of_window()
                    return Status.NOT_CONVERGED, _STUCK
                j = int(np.argmin([w[1] for w in self.window]))
                x, loss, g = self.window[j]
                self._shrink_and_reset()
                self.record(x, loss, event="restart")
                self.window = [(x, loss, g)]
                stuck = True
                continue
            stuck = False
            f.record(loss)
            self.hist["lr"].append(self.lr)
            self.hist["efficiency"].append(np.nan)
            self.hist["event"].append("")
            self.window.append((x, loss, g))
            if len(self.window) > o.check_every:
                x, loss, g = self.check(x, loss, g)
                self.window = [(x, loss, g)]

    def _evaluate(self, x):
        """``(loss, grad)`` at the point a step reached, charged to the budget even when the
        point was evaluated before (so that a loop that revisits points still ends); ``(inf,
        None)`` when the point, the loss or the gradient is not finite (the step diverged)."""
        if not np.isfinite(x).all():
            return np.inf, None             # the step overflowed: nothing to evaluate
        try:
            with np.errstate(all="ignore"):
                loss, g = self.f.loss_and_grad(x)
        except NonFiniteError:              # the objective's check of its gradient
            return np.inf, None
        if not np.isfinite(g).all():
            return np.inf, None
        return float(loss), np.asarray(g, dtype=np.float64)

    def _frozen_message(self, x):
        """The message of a run whose steps no longer move `x`."""
        return (f"The steps no longer change x: {self.o.check_every} steps in a row of "
                f"learning rate lr = {self.lr:.3g} were below the floating-point spacing of x "
                f"(max |x_i| = {float(np.max(np.abs(x))):.3g}). Raise `lr` and `lr_max`, or "
                "rescale the parameters (the objective) to order 1.")

    def _shrink_and_reset(self):
        """A restart: ``lr *= shrink`` (not below `lr_min`), inner state reset."""
        self.lr = max(self.o.lr_min, self.lr * self.o.shrink)
        self.stepper.reset()
        self.counters["n_restarts"] += 1

    def check(self, x, loss, g):
        """The action check of the full window; returns the point to continue from."""
        o, view, window = self.o, self.view, self.window
        P = np.column_stack([w[0] for w in window])
        losses = np.array([w[1] for w in window])
        T = o.check_every * (self.lr if o.dt is None else o.dt)
        S_traj = _trajectory_action(P, losses, o.lam, T)
        state = LAMLState(P[:, 0].copy(), losses[0], None, view, self.rng, o.lam, T, 1.0)
        view.clear_tape()
        view.note(x, loss=loss, grad=g)
        least = self.path.solve(state, x)
        eff = least.action / S_traj if S_traj > 0 else np.nan
        self.counters["n_checks"] += 1
        self.hist["efficiency"][-1] = eff
        event = ""
        rise = losses[-1] - losses[0]
        if rise > o.restart_tol * abs(losses[0]):
            j = int(np.argmin(losses))
            x, loss = P[:, j].copy(), float(losses[j])
            view.note(x, loss=loss, grad=window[j][2])
            self._shrink_and_reset()
            event = "restart"
        elif rise > 0 or (np.isfinite(eff) and eff < o.low):
            self.lr = max(o.lr_min, self.lr * o.shrink)
            event = "shrink"
        elif np.isfinite(eff) and eff > o.high:
            self.lr = min(o.lr_max, self.lr * o.grow)
            event = "grow"
        if o.take_path and event != "restart" and least.k > 2:
            j = least.best_node(first=1)
            if least.losses[j] < loss:
                x, loss = least.theta[:, j].copy(), float(least.losses[j])
                event = (event + "+path") if event else "path"
        self.hist["event"][-1] = event or self.hist["event"][-1]
        if event == "restart" or "path" in event:
            g = view.known_grad(x)
            if g is None:
                _, g = view.loss_and_grad(x)
            self.record(x, loss, event="moved")
        return x, loss, g

    def end_at_best_of_window(self):
        """After the budget ran out: end at the best point of the unfinished window (its loss
        is paid for), so that a budget that runs out right after the step grew does not
        return an overshoot."""
        if not self.window:
            return
        j = int(np.argmin([w[1] for w in self.window]))
        f = self.f
        if f.x is not None and not np.array_equal(self.window[j][0], f.x):
            try:
                self.record(self.window[j][0], self.window[j][1], event="best of window")
            except (NonFiniteLoss, StopRequested):
                pass

    def result(self, status, message):
        """The dict returned to :func:`lagopt.minimize`."""
        f = self.f
        n = len(f.history()["loss"])
        out_hist = {"lr": np.asarray(self.hist["lr"][:n], dtype=float),
                    "efficiency": np.asarray(self.hist["efficiency"][:n], dtype=float),
                    "event": np.asarray(self.hist["event"][:n], dtype=object)}
        out = {"x": f.x_recorded if status == Status.NON_FINITE else f.x, "status": status,
               "history": out_hist, **self.counters}
        if message is not None:
            out["message"] = message
        return out


#: :class:`Hybrid` as a function of the :data:`lagopt.optim.METHODS` signature.
hybrid = method_function(Hybrid)
