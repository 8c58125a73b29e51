r"""Hybrid mode: gradient steps, with periodic action checks.

Ordinary gradient steps do the work; every `check_every` steps the action of the recent stretch
of trajectory is compared with the least action between its ends in the same time, and the
step size is adjusted (or the run restarted from the best recent point) accordingly. Registered
as ``lagopt.minimize(..., method="hybrid")``.
"""
from types import SimpleNamespace

import numpy as np

from .._status import Status
from .._validation import choice, positive_float, positive_int
from ..paths._formulas import polyline_action
from ._budget import BudgetExhausted, NonFiniteLoss, StopRequested
from .baselines import AdamStep, GDStep, MomentumStep
from .laml._base import BudgetView, LAMLState
from .laml.paths import PathSolver

__all__ = ["hybrid"]

_INNER = ("gd", "momentum", "adam")
# A step whose loss exceeds this multiple of the window's first loss (or is not finite)
# restarts at once instead of at the next check.
_BLOW_UP = 10.0
_DEFAULT_LR = {"gd": 0.1, "momentum": 0.01, "adam": 1e-3}


def hybrid(f, x0, rng, inner="gd", lr=None, check_every=10, lam=1.0, dt=None, path="linear",
           n_nodes=3, low=0.7, high=0.99, grow=1.5, shrink=0.5, restart_tol=0.5, lr_min=1e-4,
           lr_max=10.0, beta=0.9, beta2=0.999, eps=1e-8, take_path=True, gtol=1e-6, maxiter=None):
    r"""Gradient steps with an action check of the recent trajectory every `check_every` steps.

    Parameters
    ----------
    f, x0, rng
        As for every method of :func:`lagopt.minimize` (`rng` is unused).
    inner : {"gd", "momentum", "adam"}, optional
        The inner step. Default ``"gd"``.
    lr : float, optional
        Initial learning rate; default that of the baseline (0.1, 0.01, 1e-3).
    check_every : int, optional
        Steps between checks (``k``). Default 10.
    lam : float, optional
        Weight of the loss in the action. Default 1.
    dt : float, optional
        Time per step: the window of ``k`` steps lasts ``T = k dt``. Default: the learning
        rate at the start of the window (gradient-flow time, in which gradient descent is the
        explicit Euler method).
    path : str or PathSolver, optional
        Path stage for the least action between the window's ends (any method of
        :func:`lagopt.solve_action_path`, charged to the budget). Default ``"linear"`` with
        `n_nodes` nodes: the straight line, whose action bounds the least action from above and
        costs ``n_nodes - 2`` loss evaluations.
    n_nodes : int, optional
        Nodes of the straight path (default 3: the midpoint is evaluated).
    low, high : float, optional
        Efficiency thresholds: below `low` the step shrinks, above `high` it grows. Defaults
        0.7 and 0.99.
    grow, shrink : float, optional
        Factors applied to the learning rate. Defaults 1.5 and 0.5.
    restart_tol : float, optional
        Relative rise of the loss over a window above which the run restarts from the
        window's best point. Default 0.5.
    lr_min, lr_max : float, optional
        Bounds of the learning rate. Defaults 1e-4 and 10.
    beta, beta2, eps : float, optional
        Momentum coefficient (``momentum``; ``beta1`` of Adam) and Adam's ``beta2``, ``eps``.
    take_path : bool, optional
        When a node of the check's path has a lower loss than the current point, jump there
        (its loss is already paid for). Default True.
    gtol : float, optional
        Stop when ``max |grad_i| <= gtol``. Default 1e-6.
    maxiter : int, optional
        Limit on inner steps.

    Returns
    -------
    dict
        ``x``, ``status``, ``message``, and ``history`` entries per iterate: ``lr`` (the
        learning rate of the step that produced it), ``efficiency`` (at checks, else NaN),
        ``event`` (``""``, ``"grow"``, ``"shrink"``, ``"restart"``, ``"path"``); plus
        ``n_checks``, ``n_restarts``.

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

    Between checks, a step whose loss is not finite or more than 10 times the window's first
    loss triggers rule 1 at once (divergence does not wait for the check).

    When the budget runs out in the middle of a window, the run ends at the window's
    lowest-loss point (all its losses are paid for).

    The trajectory's action uses the trapezoid rule on the known losses
    (:func:`lagopt.paths._formulas.polyline_action`) rather than :func:`lagopt.paths.action`'s
    1,000-point quadrature, which would cost about 50 times the steps it checks. The inner
    steps are those of :mod:`lagopt.optim.baselines` (:class:`~.baselines.GDStep`,
    :class:`~.baselines.MomentumStep`, :class:`~.baselines.AdamStep`).
    """
    opts = _options(inner=inner, lr=lr, check_every=check_every, lam=lam, dt=dt, path=path,
                    n_nodes=n_nodes, low=low, high=high, grow=grow, shrink=shrink,
                    restart_tol=restart_tol, lr_min=lr_min, lr_max=lr_max, beta=beta,
                    beta2=beta2, eps=eps, take_path=take_path, gtol=gtol, maxiter=maxiter)
    run = _HybridRun(f, rng, opts)
    status, message = None, None
    try:
        status, message = run.loop(x0)
    except BudgetExhausted:
        status = Status.BUDGET_EXHAUSTED
        run.end_at_best_of_window()
    except StopRequested:
        status = Status.CALLBACK_STOP
    except NonFiniteLoss:
        status = Status.NON_FINITE
    return run.result(status, message)


def _options(*, inner, lr, check_every, lam, dt, path, n_nodes, low, high, grow, shrink,
             restart_tol, lr_min, lr_max, beta, beta2, eps, take_path, gtol, maxiter):
    """The options of :func:`hybrid`, validated, as a namespace."""
    choice(inner, "inner", _INNER)
    lr = _DEFAULT_LR[inner] if lr is None else positive_float(lr, "lr")
    check_every = positive_int(check_every, "check_every", minimum=2)
    lam = positive_float(lam, "lam", allow_zero=True)
    if dt is not None:
        dt = positive_float(dt, "dt")
    if isinstance(path, str):
        path = PathSolver(path, n_nodes=n_nodes if path in ("linear", "smoothstep") else None)
    elif not isinstance(path, PathSolver):
        raise TypeError("`path` must be a method name or a PathSolver.")
    low = positive_float(low, "low", allow_zero=True)
    high = positive_float(high, "high")
    if low > high:
        raise ValueError("`low` must not exceed `high`.")
    grow = positive_float(grow, "grow")
    shrink = positive_float(shrink, "shrink")
    if grow < 1 or shrink >= 1:
        raise ValueError("`grow` must be >= 1 and `shrink` in (0, 1).")
    lr_min = positive_float(lr_min, "lr_min")
    lr_max = positive_float(lr_max, "lr_max")
    if lr_min > lr_max:
        raise ValueError("`lr_min` must not exceed `lr_max`.")
    lr = min(max(lr, lr_min), lr_max)
    gtol = positive_float(gtol, "gtol", allow_zero=True)
    if maxiter is not None:
        maxiter = positive_int(maxiter, "maxiter", minimum=0)
    return SimpleNamespace(
        inner=inner, lr=lr, check_every=check_every, lam=lam, dt=dt, path=path, low=low,
        high=high, grow=grow, shrink=shrink, restart_tol=restart_tol, lr_min=lr_min,
        lr_max=lr_max, beta=beta, beta2=beta2, eps=eps, take_path=take_path, gtol=gtol,
        maxiter=maxiter)


def _make_step(o):
    """The inner step object of :mod:`lagopt.optim.baselines` named by ``o.inner``."""
    if o.inner == "gd":
        return GDStep()
    if o.inner == "momentum":
        return MomentumStep(o.beta)
    return AdamStep(o.beta, o.beta2, o.eps)


def _trajectory_action(P, losses, lam, T):
    """Action of the polyline through the columns of `P` in time `T`, equal time per segment,
    the loss integrated by the trapezoid rule on the (known) losses at the points."""
    kinetic, potential = polyline_action(np.linspace(0.0, T, P.shape[1]), P, losses, lam)
    return kinetic + potential


class _HybridRun:
    """One run of :func:`hybrid`: the inner step, the learning rate, the window of recent
    iterates ``(x, loss, grad)`` and the per-iterate records (rows of ``f.history()``)."""

    def __init__(self, f, rng, opts):
        self.f, self.rng, self.o = f, rng, opts
        self.view = BudgetView(f)
        self.lr = opts.lr
        self.stepper = _make_step(opts)
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
        """Inner steps and checks until `gtol` or `maxiter` (the budget raises)."""
        o, f, view = self.o, self.f, self.view
        x = x0
        loss, g = view.loss_and_grad(x)
        f.set_iterate(x, loss)
        self.window = [(x, loss, g)]
        k = 0
        while True:
            if float(np.max(np.abs(g))) <= o.gtol:
                return Status.SUCCESS, "The gradient norm (max |g_i|) is at most `gtol`."
            if o.maxiter is not None and k >= o.maxiter:
                return Status.MAX_ITER, "The iteration limit `maxiter` was reached."
            x = self.stepper.step(x, g, self.lr)
            k += 1
            f.set_iterate(x)
            with np.errstate(all="ignore"):
                loss, g = view.loss_and_grad(x)
            start = self.window[0][1]
            if not np.isfinite(loss) or loss > _BLOW_UP * max(abs(start), 1e-300):
                # Diverging: do not wait for the check. Back to the window's best point,
                # half the step, inner state reset.
                j = int(np.argmin([w[1] for w in self.window]))
                x, loss, g = self.window[j]
                self._shrink_and_reset()
                self.record(x, loss, event="restart")
                self.window = [(x, loss, g)]
                continue
            f.record(loss)
            self.hist["lr"].append(self.lr)
            self.hist["efficiency"].append(np.nan)
            self.hist["event"].append("")
            self.window.append((x, loss, g))
            if len(self.window) > o.check_every:
                x, loss, g = self.check(x, loss, g)
                self.window = [(x, loss, g)]

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
        least = o.path.solve(state, x)
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
