r"""Mode connectivity: how high is the loss between two minima of a trained network?

Two networks trained from different initialisations land in different minima ``a`` and ``b``
of the training loss ``L``. *Mode connectivity* asks whether they are joined by a path of low
loss. The straight line ``(1 - t) a + t b`` usually crosses a high ridge, yet Garipov et al.
[1]_ and Draxler et al. [2]_ found simple curves along which the loss stays almost as low as
at the ends. :func:`connect` measures three such curves on the same footing:

* the **straight line** between the minima;
* a **quadratic Bézier curve** ``phi(t) = (1 - t)^2 a + 2 t (1 - t) c + t^2 b`` whose control
  point ``c`` is trained by Garipov et al.'s procedure: start at the midpoint
  ``c = (a + b) / 2``; at each step draw ``t ~ U(0, 1)``, evaluate the gradient
  ``g = grad L(phi(t))`` and, since ``d phi / d c = 2 t (1 - t) I``, step ``c`` along
  ``2 t (1 - t) g`` with Adam. This is stochastic gradient descent on the mean loss along
  the curve, ``E_t L(phi(t))``; one gradient of ``L`` per step, so the budget is the number
  of steps;
* the **minimum-energy path** (MEP) of :func:`lagopt.transition.solve_mep`, the curve whose
  tangent is everywhere parallel to ``grad L``, which passes through the lowest first-order
  saddle between the minima: its highest point is the lowest possible barrier of any curve
  (in the basin-to-basin sense), so it bounds what the Bézier curve can reach.

The **barrier** of a curve is the highest loss along it minus the mean of the two end losses,
``max_t L(phi(t)) - (L(a) + L(b)) / 2``, evaluated densely (``n_eval`` points equally spaced in
``t``) for the line and the Bézier curve, and at the MEP's images and its refined saddle
points. A barrier near zero means the two minima are connected at that loss; a large one
that the curve crosses a ridge.

The curves are *found* on the training objective only. When a ``held_out`` objective (the
same network on a test split) is given, each curve is also *judged* on it: the held-out
barrier is the highest held-out loss along the same points minus the mean held-out loss of
the two ends. Whether a low-loss path on the training data is also one on unseen data is the
question of interest for ensembling and for the geometry of generalisation.

References
----------
.. [1] T. Garipov, P. Izmailov, D. Podoprikhin, D. Vetrov and A. G. Wilson, "Loss surfaces,
   mode connectivity, and fast ensembling of DNNs", NeurIPS 2018.
.. [2] F. Draxler, K. Veschgini, M. Salmhofer and F. A. Hamprecht, "Essentially no barriers
   in neural network energy landscape", ICML 2018.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Optional, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._status import NonFiniteError
from .._validation import as_vector, positive_int
from ..objectives import Objective, as_objective

__all__ = ["connect", "ConnectResult", "CurveProfile", "bezier_curve"]

#: Default gradient-evaluation budget of the Bézier training and of the MEP, each.
DEFAULT_BUDGET = 2000
#: Default number of points at which the line and the Bézier curve are evaluated.
DEFAULT_N_EVAL = 65
#: Adam's step of the control point, relative to the root-mean-square coordinate of ``b - a``.
BEZIER_LR = 0.02
#: Adam's moment decay rates (Kingma and Ba's defaults) and its denominator guard.
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-12
#: The step is constant for this share of the budget, then decays linearly to 1 % of it
#: (the last steps average the noise of the random ``t`` out).
BEZIER_CONSTANT_SHARE = 0.5
#: With ``mep_options={"init": "bezier"}``, the share of the MEP's budget spent training its
#: own Bézier curve to start the string on.
MEP_BEZIER_SHARE = 0.5
#: Colours of the three curves in :meth:`ConnectResult.plot` (Okabe-Ito palette).
CURVE_STYLE = {"line": {"color": "#D55E00", "ls": "--"},
               "bezier": {"color": "#0072B2", "ls": "-"},
               "mep": {"color": "#009E73", "ls": "-"}}
CURVE_LABEL = {"line": "straight line", "bezier": "Bézier curve (trained)",
               "mep": "minimum-energy path"}


def bezier_curve(theta_a: ArrayLike, theta_b: ArrayLike, control: ArrayLike,
                 t: ArrayLike) -> NDArray[np.float64]:
    r"""Points of the quadratic Bézier curve ``(1 - t)^2 a + 2 t (1 - t) c + t^2 b``.

    Parameters
    ----------
    theta_a, theta_b : array_like, shape (n,)
        The end points (``t = 0`` and ``t = 1``).
    control : array_like, shape (n,)
        The control point ``c``. The curve passes through ``(a + 2 c + b) / 4`` at
        ``t = 1/2``; ``c = (a + b) / 2`` gives the straight line.
    t : float or array_like, shape (k,)
        Curve parameters, usually in ``[0, 1]``.

    Returns
    -------
    ndarray, shape (n, k)
        The points as columns (lagopt's layout for batched evaluation); ``k = 1`` for a
        scalar ``t``.

    Examples
    --------
    >>> import numpy as np
    >>> P = bezier_curve([-1.0, 0.0], [1.0, 0.0], [0.0, 2.0], [0.0, 0.5, 1.0])
    >>> P.T.tolist()
    [[-1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]
    """
    a = as_vector(theta_a, "theta_a")
    b = as_vector(theta_b, "theta_b", a.size)
    c = as_vector(control, "control", a.size)
    t = np.atleast_1d(np.asarray(t, dtype=np.float64))
    if t.ndim != 1 or not np.all(np.isfinite(t)):
        raise ValueError("`t` must be a finite scalar or 1-D array.")
    return (np.outer(a, (1.0 - t) ** 2) + np.outer(c, 2.0 * t * (1.0 - t))
            + np.outer(b, t ** 2))


def _arc_length(P):
    """Normalised cumulative chord length of the columns of `P` (0 at the first, 1 at the
    last; equally spaced when all points coincide)."""
    steps = np.linalg.norm(np.diff(P, axis=1), axis=0)
    s = np.concatenate([[0.0], np.cumsum(steps)])
    return s / s[-1] if s[-1] > 0 else np.linspace(0.0, 1.0, P.shape[1])


def _position_on(P, s, x):
    """Normalised arc length of the point of the polyline through the columns of `P`
    (arc lengths `s`) nearest to `x`."""
    best, where = np.inf, 0.0
    for j in range(P.shape[1] - 1):
        d = P[:, j + 1] - P[:, j]
        dd = float(d @ d)
        u = 0.0 if dd == 0 else float(np.clip((x - P[:, j]) @ d / dd, 0.0, 1.0))
        dist = float(np.linalg.norm(P[:, j] + u * d - x))
        if dist < best:
            best, where = dist, s[j] + u * (s[j + 1] - s[j])
    return where


@dataclass
class CurveProfile:
    """The loss along one curve between the two minima.

    Attributes
    ----------
    name : {"line", "bezier", "mep"}
    s : ndarray, shape (k,)
        Normalised arc length of the evaluated points (0 at ``theta_a``, 1 at ``theta_b``).
    points : ndarray, shape (n, k)
        The evaluated points, as columns.
    loss : ndarray, shape (k,)
        Training loss at the points.
    loss_held_out : ndarray, shape (k,) or None
        Held-out loss at the same points (None without a held-out objective).
    barrier : float
        ``max(loss, saddle_loss) - (L(a) + L(b)) / 2`` (NaN when the curve failed).
    barrier_held_out : float
        The same on the held-out objective, its own end losses subtracted (NaN without one).
    saddle_s, saddle_loss, saddle_loss_held_out : ndarray
        Arc-length position and losses of the refined saddle points (MEP only; empty
        otherwise). They count in the barriers.
    n_grad : float
        Gradient evaluations spent *finding* the curve (0 for the line; the Bézier steps; the
        MEP solver's ``n_grad``, a Hessian-vector product counted 1).
    n_loss : int
        Loss evaluations spent *measuring* it on the training objective (``k`` plus saddles).
    time : float
        Seconds to find the curve (training or solving), measurement excluded.
    success : bool
        Whether the curve was found as asked (always True for the line and, unless the loss
        overflowed, for the Bézier curve; the solver's ``success`` for the MEP).
    message : str
        What happened, e.g. the MEP solver's message or the exception it raised.
    """

    name: str
    s: NDArray[np.float64]
    points: NDArray[np.float64]
    loss: NDArray[np.float64]
    loss_held_out: Optional[NDArray[np.float64]]
    barrier: float
    barrier_held_out: float
    saddle_s: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    saddle_loss: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    saddle_loss_held_out: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    n_grad: float = 0.0
    n_loss: int = 0
    time: float = 0.0
    success: bool = True
    message: str = ""


@dataclass
class ConnectResult:
    """Loss profiles of the straight line, the trained Bézier curve and the MEP between two
    minima (see :mod:`lagopt.transition.connect` for the procedure and the barrier).

    Attributes
    ----------
    line, bezier, mep : CurveProfile
        The three curves.
    control : ndarray, shape (n,)
        The trained control point of the Bézier curve.
    mep_result : MEPResult or None
        What :func:`lagopt.transition.solve_mep` returned (None if it raised: then
        ``mep.message`` holds the exception).
    end_loss : ndarray, shape (2,)
        ``L(a), L(b)`` on the training objective.
    end_loss_held_out : ndarray, shape (2,) or None
        The same on the held-out objective.
    max_grad_evals : float
        The budget given to the Bézier training and to the MEP solver, each.
    n_eval : int
    n_params : int
    time : float
        Seconds of the whole call.
    """

    line: CurveProfile
    bezier: CurveProfile
    mep: CurveProfile
    control: NDArray[np.float64]
    mep_result: Any
    end_loss: NDArray[np.float64]
    end_loss_held_out: Optional[NDArray[np.float64]]
    max_grad_evals: float
    n_eval: int
    n_params: int
    time: float

    @property
    def curves(self) -> dict[str, CurveProfile]:
        """``{"line": ..., "bezier": ..., "mep": ...}``."""
        return {"line": self.line, "bezier": self.bezier, "mep": self.mep}

    def rows(self) -> list[dict[str, Any]]:
        """One dict per curve: ``curve, success, barrier, barrier_held_out, n_grad, n_loss,
        time, message`` (for tables)."""
        return [{"curve": c.name, "success": bool(c.success), "barrier": float(c.barrier),
                 "barrier_held_out": float(c.barrier_held_out), "n_grad": float(c.n_grad),
                 "n_loss": int(c.n_loss), "time": float(c.time), "message": c.message}
                for c in self.curves.values()]

    def __str__(self) -> str:
        lines = [f"ConnectResult(n_params={self.n_params}, end losses "
                 f"{self.end_loss[0]:.4g} / {self.end_loss[1]:.4g})"]
        for r in self.rows():
            lines.append(f"  {r['curve']:6s} barrier {r['barrier']:.4g} (held-out "
                         f"{r['barrier_held_out']:.4g}), {r['n_grad']:.0f} gradients, "
                         f"{r['time']:.2f} s{'' if r['success'] else ', FAILED: ' + r['message']}")
        return "\n".join(lines)

    def plot(self, ax: Any = None, held_out: bool = True, title: Optional[str] = None,
             log: Optional[bool] = None) -> Any:
        """Loss against normalised arc length for the line, the Bézier curve and the MEP.

        Solid lines: training loss; thin dotted lines of the same colour: held-out loss (when
        a held-out objective was given and `held_out`). The MEP's refined saddles are marked
        with an ``x``. A failed MEP is drawn only if it returned a path, and labelled FAILED.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; default a new figure.
        held_out : bool, optional
            Also draw the held-out losses. Default True.
        title : str, optional
        log : bool, optional
            Logarithmic loss axis. Default: when every loss drawn is positive and they span
            more than two decades (as between trained networks, whose end losses are tiny).

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt
        if ax is None:
            fig, ax = plt.subplots(figsize=(7.5, 4.5))
        else:
            fig = ax.figure
        for name, c in self.curves.items():
            if c.loss.size == 0:
                continue
            style = CURVE_STYLE[name]
            label = (f"{CURVE_LABEL[name]}: barrier {c.barrier:.3g}"
                     + ("" if c.success else " (FAILED)"))
            ax.plot(c.s, c.loss, lw=2.0, label=label, **style)
            if held_out and c.loss_held_out is not None:
                ax.plot(c.s, c.loss_held_out, lw=1.0, ls=":", color=style["color"],
                        label=f"  held-out: barrier {c.barrier_held_out:.3g}")
            if c.saddle_s.size:
                ax.plot(c.saddle_s, c.saddle_loss, "x", ms=9, mew=2.0, color=style["color"],
                        label="  refined saddle(s)", zorder=5)
        drawn = np.concatenate([c.loss for c in self.curves.values()] + [
            c.loss_held_out for c in self.curves.values()
            if held_out and c.loss_held_out is not None])
        if log is None:
            log = bool(drawn.size and np.all(drawn > 0) and drawn.max() > 100 * drawn.min())
        if log:
            ax.set_yscale("log")
        ax.set_xlabel("normalised arc length s")
        ax.set_ylabel("loss")
        ax.set_xlim(0.0, 1.0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
        ax.set_title(title or f"Loss between two minima ({self.n_params} parameters)",
                     fontsize=10)
        return fig


# ----------------------------------------------------------------------------- the curves
def _profile(name, P, f, held_out, ends, ends_ho, **extra):
    """A `CurveProfile` of the points `P` (columns), with its barriers."""
    loss = np.asarray(f.loss_batch(P), dtype=float)
    ho = None if held_out is None else np.asarray(held_out.loss_batch(P), dtype=float)
    sad = extra.pop("saddle_loss", np.empty(0))
    sad_ho = extra.pop("saddle_loss_held_out", np.empty(0))
    top = max(np.max(loss), np.max(sad, initial=-np.inf))
    barrier = float(top - np.mean(ends))
    barrier_ho = np.nan
    if ho is not None:
        barrier_ho = float(max(np.max(ho), np.max(sad_ho, initial=-np.inf)) - np.mean(ends_ho))
    return CurveProfile(name=name, s=_arc_length(P), points=P, loss=loss, loss_held_out=ho,
                        barrier=barrier, barrier_held_out=barrier_ho, saddle_loss=sad,
                        saddle_loss_held_out=sad_ho, n_loss=P.shape[1] + sad.size, **extra)


def train_bezier(objective: Objective, theta_a: NDArray[np.float64],
                 theta_b: NDArray[np.float64], max_grad_evals: int, *,
                 lr: Optional[float] = None, seed: Union[int, None, np.random.Generator] = None,
                 progress: bool = False) -> tuple[NDArray[np.float64], int, str]:
    r"""Train the control point of the quadratic Bézier curve between two minima.

    Garipov et al.'s procedure: ``c`` starts at ``(a + b) / 2``; each step draws
    ``t ~ U(0, 1)`` from ``numpy.random.default_rng(seed)``, takes ``g = grad L(phi(t))`` and
    moves ``c`` by Adam along ``2 t (1 - t) g``, the gradient of ``L(phi(t))`` with respect
    to ``c``. One gradient of `objective` per step. The step is ``lr`` for the first half
    of the steps, then decays linearly to ``lr / 100``.

    Parameters
    ----------
    objective : Objective
    theta_a, theta_b : ndarray, shape (n,)
    max_grad_evals : int
        Number of steps (gradient evaluations), >= 1.
    lr : float, optional
        Adam's step. Default ``BEZIER_LR * rms(b - a)``: the step scales with the distance
        between the minima, so the same setting serves 2-D potentials and networks.
    seed : int, Generator or None, optional
    progress : bool, optional
        A tqdm bar over the steps.

    Returns
    -------
    control : ndarray, shape (n,)
    n_grad : int
        Gradients evaluated.
    message : str
        Empty, or why training stopped early (a non-finite gradient).
    """
    rng = np.random.default_rng(seed)
    a, b = theta_a, theta_b
    c = 0.5 * (a + b)
    if lr is None:
        lr = BEZIER_LR * float(np.sqrt(np.mean((b - a) ** 2)))
    m, v = np.zeros_like(c), np.zeros_like(c)
    beta1, beta2 = ADAM_BETAS
    n = int(max_grad_evals)
    flat = int(BEZIER_CONSTANT_SHARE * n)
    from tqdm.auto import tqdm
    message = ""
    for k in tqdm(range(n), desc="bezier", leave=False, disable=not progress):
        t = rng.uniform()
        w = 2.0 * t * (1.0 - t)
        try:
            g = w * objective.grad((1 - t) ** 2 * a + w * c + t * t * b)
        except NonFiniteError as exc:
            message = f"stopped after {k} steps: {exc}"
            return c, k + 1, message
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        mhat = m / (1 - beta1 ** (k + 1))
        vhat = v / (1 - beta2 ** (k + 1))
        step = lr if k < flat else lr * (1.0 - 0.99 * (k - flat) / max(n - flat, 1))
        c = c - step * mhat / (np.sqrt(vhat) + ADAM_EPS)
    return c, n, message


def _polyline_points(P, k):
    """The columns of `P` and `k` points equally spaced in arc length on the polyline through
    them, in path order (the MEP as a curve, evaluated as densely as the other two)."""
    s = _arc_length(P)
    u = np.union1d(np.linspace(0.0, 1.0, k), s)
    j = np.clip(np.searchsorted(s, u, side="right") - 1, 0, P.shape[1] - 2)
    w = np.where(s[j + 1] > s[j], (u - s[j]) / np.maximum(s[j + 1] - s[j], 1e-300), 0.0)
    return P[:, j] * (1.0 - w) + P[:, j + 1] * w


def _mep_profile(objective, a, b, held_out, ends, ends_ho, budget, seed, progress, options,
                 n_eval=DEFAULT_N_EVAL):
    """Solve the MEP within `budget` and profile it; a raised exception becomes a failed
    profile.

    Options besides `solve_mep`'s: ``init`` = ``"line"`` (default) or ``"bezier"``,
    ``bezier_share`` (default `MEP_BEZIER_SHARE`): with ``"bezier"``, a Bézier curve is
    trained for ``bezier_share * budget`` gradients (its own, charged to the MEP) and the
    string starts on it with the rest of the budget; ``lr_rel``: the first-order string's
    step relative to ``rms(b - a)`` (`solve_mep`'s ``lr``).
    """
    start = time.perf_counter()
    options = dict(options)
    init = options.pop("init", "line")
    share = float(options.pop("bezier_share", MEP_BEZIER_SHARE))
    if "lr_rel" in options:
        options["lr"] = float(options.pop("lr_rel")) * float(np.sqrt(np.mean((b - a) ** 2)))
    spent = 0
    try:
        from .mep import solve_mep
        if init == "bezier":
            used = max(1, min(budget - 1, int(round(share * budget))))
            c, spent, _ = train_bezier(objective, a, b, used, seed=seed)
            options.setdefault("init_path", bezier_curve(a, b, c, np.linspace(0, 1, n_eval)))
        elif init != "line":
            raise ValueError(f"`init` must be 'line' or 'bezier', got {init!r}")
        res = solve_mep(objective, a, b, max_grad_evals=budget - spent, seed=seed,
                        progress=progress, **options)
    except Exception as exc:   # reported, not hidden: the table shows the failure
        return _failed_profile(a, b, f"{type(exc).__name__}: {exc}",
                               time.perf_counter() - start), None
    elapsed = time.perf_counter() - start
    P = np.asarray(res.path, dtype=float)
    if P.ndim != 2 or P.shape[0] != a.size or P.shape[1] < 3:
        # Fewer than three images is no path (the solver stopped before building its string):
        # a barrier of the two ends alone would pretend to measure something.
        prof = _failed_profile(a, b, str(res.message), elapsed)
        prof.n_grad = float(res.n_grad + spent)
        return prof, res
    saddles = [np.asarray(cp.x, dtype=float) for cp in (res.saddles or [])]
    S = np.column_stack(saddles) if saddles else np.empty((a.size, 0))
    sad = np.asarray(objective.loss_batch(S), dtype=float) if saddles else np.empty(0)
    sad_ho = (np.asarray(held_out.loss_batch(S), dtype=float)
              if saddles and held_out is not None else np.empty(0))
    prof = _profile("mep", _polyline_points(P, n_eval), objective, held_out, ends, ends_ho,
                    saddle_loss=sad, saddle_loss_held_out=sad_ho,
                    n_grad=float(res.n_grad + spent), time=elapsed,
                    success=bool(res.success), message=str(res.message))
    # Place the saddles on the path's own arc length.
    prof.saddle_s = np.array([_position_on(prof.points, prof.s, x) for x in saddles])
    return prof, res


def _failed_profile(a, b, message, elapsed):
    """The profile of a curve that could not be found: no points, NaN barriers."""
    return CurveProfile(name="mep", s=np.empty(0), points=np.empty((a.size, 0)),
                        loss=np.empty(0), loss_held_out=None, barrier=np.nan,
                        barrier_held_out=np.nan, time=elapsed, success=False,
                        message=message)


def connect(objective: Objective, theta_a: ArrayLike, theta_b: ArrayLike, *,
            held_out: Optional[Objective] = None, max_grad_evals: float = DEFAULT_BUDGET,
            n_eval: int = DEFAULT_N_EVAL, seed: Union[int, None, np.random.Generator] = None,
            progress: bool = False,
            bezier_lr: Optional[float] = None,
            mep_options: Optional[dict] = None) -> ConnectResult:
    r"""Loss barriers between two minima along the line, a trained Bézier curve and the MEP.

    Parameters
    ----------
    objective : Objective
        The training loss, e.g. an :class:`lagopt.objectives.MLPObjective` (or any objective
        with gradients; the MEP also uses Hessian-vector products).
    theta_a, theta_b : array_like, shape (n,)
        The two minima, e.g. two networks trained from different initialisations.
    held_out : Objective, optional, keyword-only
        The same model on held-out data (e.g. an ``MLPObjective`` of the same ``sizes`` on a
        test split). The curves are found on `objective` only and judged on both.
    max_grad_evals : float, optional, keyword-only
        Gradient-evaluation budget of the Bézier training and, the same again, of the MEP
        solver. Default ``DEFAULT_BUDGET`` (2000).
    n_eval : int, optional, keyword-only
        Points (equally spaced in ``t``, ends included) at which the line and the Bézier curve
        are evaluated, >= 3. Default 65.
    seed : int, Generator or None, optional, keyword-only
        Seed of ``numpy.random.default_rng`` for the Bézier's ``t`` draws; also passed to
        ``solve_mep``.
    progress : bool, optional, keyword-only
        Progress bars for the Bézier training and the MEP solver.
    bezier_lr : float, optional, keyword-only
        Adam's step for the control point (see :func:`train_bezier`).
    mep_options : dict, optional, keyword-only
        More keyword arguments of :func:`lagopt.transition.solve_mep`, plus ``init``
        (``"line"``, default, or ``"bezier"``), ``bezier_share`` and ``lr_rel`` (see below).
        By default the solver is called with ``refine_ends=False``: the curves join the two
        given points (e.g. the networks as trained, whose gradients are small but not zero),
        and all three barriers are measured from their losses; ``{"refine_ends": True}`` lets
        the solver first refine its ends to stationary points (with Newton steps charged to
        the same budget). ``certify_ends`` defaults to ``n_params <= 200`` (the dense
        Hessian is cheap there); above, the ends are taken as given (the MEP then reports
        ``success=False`` with that reason, but its path and barrier are measured).

        **Equal budget, and the string's start.** The MEP gets the same total budget as the
        Bézier curve: everything it spends counts (gradients, Hessian-vector products 1 each,
        dense Hessians ``n``, and with ``init="bezier"`` the gradients of its own Bézier
        training). With ``init="line"`` the string starts on the straight line. With
        ``init="bezier"`` the MEP first trains *its own* Bézier curve for
        ``bezier_share * max_grad_evals`` gradients (default half; not the Bézier curve
        reported here, which had the whole budget) and starts the string on it with the
        rest; ``lr_rel`` sets the first-order string's step relative to ``rms(b - a)``.
        The MEP's barrier is measured like the others: on ``n_eval`` points equally spaced
        in arc length along the polyline through its images, plus the images and saddles.

    Returns
    -------
    ConnectResult

    Notes
    -----
    The barrier of each curve is ``max L - (L(a) + L(b)) / 2`` over its evaluated points
    (``n_eval`` for the line and the Bézier curve; the images and refined saddles for the
    MEP), see :mod:`lagopt.transition.connect`. Measuring (loss evaluations, ``n_loss``) is
    not charged to the budget. If ``solve_mep`` raises, the MEP profile is empty with
    ``success=False`` and the exception in its ``message``; the other two curves are still
    measured.
    """
    start = time.perf_counter()
    f = as_objective(objective)
    a = as_vector(theta_a, "theta_a", f.n_params)
    b = as_vector(theta_b, "theta_b", f.n_params)
    n_eval = positive_int(n_eval, "n_eval", minimum=3)
    budget = positive_int(int(max_grad_evals), "max_grad_evals")
    ends = np.asarray(f.loss_batch(np.column_stack([a, b])), dtype=float)
    ends_ho = (None if held_out is None
               else np.asarray(held_out.loss_batch(np.column_stack([a, b])), dtype=float))
    t = np.linspace(0.0, 1.0, n_eval)
    line = _profile("line", np.outer(a, 1 - t) + np.outer(b, t), f, held_out, ends, ends_ho)
    seeds = np.random.default_rng(seed).integers(0, 2**63 - 1, size=2)
    t0 = time.perf_counter()
    c, used, note = train_bezier(f, a, b, budget, lr=bezier_lr, seed=int(seeds[0]),
                                 progress=progress)
    bezier = _profile("bezier", bezier_curve(a, b, c, t), f, held_out, ends, ends_ho,
                      n_grad=float(used), time=time.perf_counter() - t0,
                      success=not note, message=note or f"{used} Adam steps")
    from .saddle import DENSE_MAX
    defaults = {"refine_ends": False, "certify_ends": f.n_params <= DENSE_MAX}
    mep, res = _mep_profile(f, a, b, held_out, ends, ends_ho, budget, int(seeds[1]),
                            progress, {**defaults, **(mep_options or {})}, n_eval)
    return ConnectResult(line=line, bezier=bezier, mep=mep, control=c, mep_result=res,
                         end_loss=ends, end_loss_held_out=ends_ho, max_grad_evals=budget,
                         n_eval=n_eval, n_params=f.n_params, time=time.perf_counter() - start)
