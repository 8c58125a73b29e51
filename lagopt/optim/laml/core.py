r"""The LAML loop and its presets: ``minimize(objective, theta0, method=LAML(preset=...))``.

One iteration::

    theta*   = predictor.predict(state)                 # 1. meta-prediction
    path     = path_solver.solve(state, theta*)         # 2. path, every evaluation charged
    accepted = criterion.accept(state, path)            # 3. action verification
    if not accepted:
        path = explorer.explore(state, path, stages)    # 4. exploration
    x, L, g  = update.step(state, path)                 # 5. update along the path
    confidence.update(state, accepted, L < L_before)    # 6. confidence

Each stage is a small object (see :mod:`~lagopt.optim.laml`); a preset names a combination,
and any stage can be replaced by passing it as an option of the optimizer object
:class:`LAML` (``method="laml"`` with flat options is the shorthand).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Optional, Union

import numpy as np
from numpy.typing import NDArray

from ..._status import NonFiniteError, Status
from ..._validation import choice, positive_float, positive_int
from .._budget import BudgetedObjective, BudgetExhausted, NonFiniteLoss, StopRequested
from .._method import Optimizer, method_function
from ._base import BudgetView, Confidence, Criterion, Explorer, LAMLState, Predictor, Update
from .confidence import (ConstantConfidence, LeastLossUpdate, ReferenceConfidence,
                         ReferenceUpdate, TrustConfidence)
from .criteria import RestingActionCriterion, ThresholdCriterion
from .explorers import (KrasnoselskiiMannExplorer, MultiStartExplorer, PathBacktrackExplorer,
                        RandomExplorer, StallRestart)
from ._kernels import dense_prediction, lbfgs_prediction, vdot
from .model_path import KRYLOV_MAX_STEPS, kinetic_bounds, krylov_kinetic_of
from .path_stage import _KRYLOV_END_RTOL, ModelPathSolver, PathSolver
from .predictors import (BFGSPredictor, ClosedFormPredictor, LookaheadPredictor,
                         QuasiNewtonPredictor, ReferencePredictor, SteepestPathPredictor)

__all__ = ["LAML", "laml", "LAMLStages", "PRESETS", "make_stages"]


class LAMLStages:
    """The six stages of a LAML run (a plain container).

    Attributes
    ----------
    predictor : Predictor
    path : PathSolver
    criterion : Criterion
    explorer : Explorer
    update : Update
    confidence : Confidence
    """

    _NAMES = ("predictor", "path", "criterion", "explorer", "update", "confidence")
    _TYPES = (Predictor, PathSolver, Criterion, Explorer, Update, Confidence)

    def __init__(self, predictor, path, criterion, explorer, update, confidence):
        for name, typ, value in zip(self._NAMES, self._TYPES,
                                    (predictor, path, criterion, explorer, update, confidence)):
            if not isinstance(value, typ):
                raise TypeError(f"`{name}` must be a {typ.__name__}, got "
                                f"{type(value).__name__}.")
            setattr(self, name, value)

    def as_dict(self):
        return {name: getattr(self, name) for name in self._NAMES}

    def __repr__(self):
        body = ",\n".join(f"    {k}={v!r}" for k, v in self.as_dict().items())
        return f"LAMLStages(\n{body})"


def _reference():
    return dict(predictor=ReferencePredictor(), path=PathSolver("smoothstep", n_nodes=10),
                criterion=ThresholdCriterion(0.5, rule="seed"), explorer=RandomExplorer(),
                update=ReferenceUpdate(), confidence=ReferenceConfidence(),
                lam=1.0, T=1.0, tol=0.01, restart=None)


def _default():
    # How this default was chosen, and on which data: docs/results/choices.md (the first
    # step 2.0 and the backtracking factor 0.3, then 100 L-BFGS pairs above 300 parameters
    # and lam = 1e8, then the hedge start, were chosen on the races' tune, dev, real-tune and
    # real-dev parts).
    return dict(predictor=BFGSPredictor(memory=100, first_step=2.0), path=ModelPathSolver(),
                criterion=RestingActionCriterion(),
                explorer=PathBacktrackExplorer(memory=4.0, refine=True, along_curve=False,
                                               shrink=0.3),
                update=LeastLossUpdate(), confidence=ConstantConfidence(),
                lam=1e8, T=1.0, tol=None,
                restart=StallRestart(patience=10, rtol=1e-4, hedge_memory=50,
                                     hedge_first_step=0.1))


def _straight():
    return dict(_default(), path=PathSolver("linear", end_grad=True),
                explorer=PathBacktrackExplorer(memory=4.0), restart=None)


def _variant(**changes):
    def make():
        out = _default()
        for key, value in changes.items():
            out[key] = value() if callable(value) and not isinstance(value, type) else value
        return out
    return make


#: Named combinations of stages (plus the loop's ``lam``, ``T`` and ``tol``). ``"reference"``
#: is the published experiment (smoothstep paths of 10 points, the seed rule's action against
#: the threshold 0.5, random exploration, noisy update, confidence rule); ``"default"`` is the
#: best combination the race benchmark (``benchmarks/optimizer_race.py``) measured; the others
#: are the ablations it compares, each differing from the default in one stage (or in ``lam``).
PRESETS = {
    "reference": _reference,
    "default": _default,
    "straight": _straight,
    "no_restart": _variant(restart=None),
    # the first default of this loop: ten L-BFGS pairs, restarts after 5 iterations
    "lbfgs_model": _variant(predictor=lambda: QuasiNewtonPredictor(),
                            restart=lambda: StallRestart(patience=5, rtol=1e-4)),
    "curve": _variant(explorer=lambda: PathBacktrackExplorer(memory=4.0, refine=True,
                                                             shrink=0.3)),
    "lookahead": _variant(predictor=lambda: LookaheadPredictor()),
    "steepest": _variant(predictor=lambda: SteepestPathPredictor()),
    "closed_form": _variant(predictor=lambda: ClosedFormPredictor(base=BFGSPredictor())),
    "direct": _variant(path=lambda: PathSolver("direct", n_nodes=3)),
    "smoothstep": _variant(path=lambda: PathSolver("smoothstep", n_nodes=3)),
    "km": _variant(explorer=lambda: KrasnoselskiiMannExplorer()),
    "no_memory": _variant(explorer=lambda: PathBacktrackExplorer(refine=True,
                                                                 along_curve=False,
                                                                 shrink=0.3)),
    "multistart": _variant(explorer=lambda: MultiStartExplorer()),
    "trust": _variant(confidence=lambda: TrustConfidence()),
    "lam1": _variant(lam=1.0),
    "lam100": _variant(lam=100.0),
}


def make_stages(preset="default", **overrides):
    """The stages and loop settings of a preset, with overrides.

    Parameters
    ----------
    preset : str
        A key of :data:`PRESETS`.
    **overrides
        ``predictor``, ``path`` (a :class:`PathSolver` or a method name), ``criterion``,
        ``explorer``, ``update``, ``confidence``, ``lam``, ``T``, ``tol``, ``restart`` (a
        :class:`StallRestart`, or False for none); None keeps the preset's.

    Returns
    -------
    stages : LAMLStages
    settings : dict
        ``lam``, ``T``, ``tol``, ``restart``.
    """
    choice(preset, "preset", tuple(PRESETS))
    spec = PRESETS[preset]()
    for key, value in overrides.items():
        if value is not None:
            spec[key] = value
    if isinstance(spec["path"], str):
        spec["path"] = PathSolver(spec["path"])
    stages = LAMLStages(*(spec[k] for k in LAMLStages._NAMES))
    settings = {"lam": positive_float(spec["lam"], "lam"), "T": positive_float(spec["T"], "T"),
                "tol": None if spec["tol"] is None else positive_float(spec["tol"], "tol",
                                                                       allow_zero=True),
                "restart": None if spec.get("restart") is False else spec.get("restart")}
    if settings["restart"] is not None and not isinstance(settings["restart"], StallRestart):
        raise TypeError(f"`restart` must be a StallRestart, got "
                        f"{type(settings['restart']).__name__}.")
    return stages, settings


def _norm(v):
    """The Euclidean norm of a 1-D float array, ``sqrt(v.v)`` with the dot product of the
    dense-model step (:func:`~lagopt.optim.laml._kernels.vdot`)."""
    return math.sqrt(vdot(v, v))


def _inf_norm(g):
    return float(np.max(np.abs(g))) if g.size else 0.0


@dataclass(frozen=True)
class LAML(Optimizer):
    r"""LAML: predict an end point, check the path to it by its action, explore, move.

    ``minimize(f, x0, method=LAML(preset="default"), seed=0)``; ``method="laml"`` is
    ``LAML()``, and flat options make the object (``method="laml", preset="reference"``).
    The run's random numbers come from the ``rng`` of :meth:`run` (``minimize``'s `seed`; any
    object with ``standard_normal(size)`` works, e.g. a legacy ``RandomState`` to replay the
    published experiment's stream).

    Parameters
    ----------
    preset : str, optional
        A key of :data:`PRESETS`: ``"default"`` or ``"reference"`` (the published
        experiment's stages), or one of the ablations. The default (see Notes):
        :class:`BFGSPredictor` (dense BFGS up to 300 parameters, 100 L-BFGS pairs above; a
        first gradient step of 2 before any curvature pair),
        :class:`ModelPathSolver` (the model's least-action path, its end evaluated with its
        gradient), :class:`RestingActionCriterion` with ``lam = 1e8, T = 1``,
        :class:`PathBacktrackExplorer` (``memory=4``, straight backtracking by factors of
        0.3, direct refinement, gradient-step fall-back), :class:`LeastLossUpdate`,
        :class:`ConstantConfidence` and :class:`StallRestart` (``patience=10, rtol=1e-4,
        hedge_memory=50, hedge_first_step=0.1``: the first restart a hedge start).
    predictor, path, criterion, explorer, update, confidence : stage, optional
        Replace the preset's stage (``path`` may be a method name of
        :func:`lagopt.solve_action_path`).
    lam, T : float, optional
        Weight of the loss in the action and horizon of every path (each ``> 0``); default
        the preset's.
    tol : float, optional
        Stop when the followed path is accepted and the loss is below `tol` (``>= 0``; the
        reference's early stop, 0.01); default the preset's (None for ``"default"``).
    gtol : float, optional
        Stop when ``max |grad_i| <= gtol`` (``>= 0``) at a point whose gradient is known.
        Default 1e-6.
    maxiter : int, optional
        Iteration limit (``>= 0``; the reference experiment ran 100); by default the budget
        limits.
    restart : StallRestart or False, optional
        Multi-start hedging when the loop stalls; False for none; default (None) the
        preset's (a :class:`StallRestart` for ``"default"`` and the ablations built on it,
        none for ``"reference"``, ``"straight"`` and ``"no_restart"``). With it the run does not
        stop at `gtol`: it restarts, and stops when restarts keep finding nothing lower.

    Returns
    -------
    dict
        The dict of :meth:`run`, whose entries join the result of :func:`lagopt.minimize`:
        ``x``, ``status``, ``message``, and

        ``accept_rate`` : float
            Fraction of iterations whose *predicted* path the criterion accepted.
        ``history`` : dict of ndarray
            Per iterate (row 0 is the start, so the rows match ``result.history["loss"]``):
            ``action`` (discrete action of the followed path; for a model path whose
            acceptance the kinetic energy's bounds decided, the deciding bound -- see
            :class:`ModelPathSolver`), ``predicted_action`` (of the path to the
            prediction), ``confidence`` (after the iteration), ``accepted``,
            ``explored``, ``path_method`` (the path method of the iteration; ``"hedge
            start"`` and ``"restart"`` mark the new starts of :class:`StallRestart`, ``"best
            point met"`` the move to the lowest loss met when the budget ran out mid-iteration),
            ``step`` (``|x_new - x|``).
        ``stages`` : dict
            The stages used (their ``repr``).
        ``n_path_solves`` : int
            Euler-Lagrange problems solved: closed-form paths of the quadratic model and
            direct solves of the actual loss's; ``path_solves`` has them by kind (``"model"``,
            ``"direct"``) with ``"direct_cost"``, the gradient evaluations of the direct ones.
        ``n_restarts`` : int
            Restarts of :class:`StallRestart` (when the loop has one).

    Notes
    -----
    Every evaluation goes through a :class:`~._base.BudgetView` of `f`, including those made
    inside path solvers, so ``n_grad`` counts everything. When the budget runs out in the middle
    of an iteration the run ends at the lowest-loss point whose loss had been paid for. When an
    iterate's loss, or a gradient a stage needs, is not finite, it ends with
    ``Status.NON_FINITE`` at the last iterate whose loss was finite.

    What the default is, plainly: a quasi-Newton method whose every step follows a solved
    least-action path. The predictor's BFGS model ``m(theta + d) = L + g.d + 1/2 d^T B d``
    (dense, every measured pair kept, up to 300 parameters; 100 L-BFGS pairs above)
    gives the end point (the model's minimiser step) and, in closed form, the least-action path
    of the model to it (:class:`ModelPathSolver`; no evaluation). The end is paid for and the
    action of the actual loss along the path is checked against the action of resting
    (:class:`RestingActionCriterion`; with ``lam T^2 = 1e8`` a descent test with margin
    ``K / (lam T)``, ``K`` the exact kinetic energy of the curved path). A rejected path is
    backtracked on the straight segment to the prediction (preset ``"curve"`` backtracks in
    time along the model curve instead, a Levenberg-Marquardt-like curved search; how the
    default was chosen is in ``docs/results/choices.md``); when every point fails, the actual loss's
    Euler-Lagrange problem is solved by the direct method, warm-started from the model path,
    before a gradient step is taken. When the loop stalls (converged, or less than a 1e-4
    relative decrease over ten iterations) :class:`StallRestart` first goes back to the
    initial point (free: its loss and gradient are known) and follows a second trajectory with
    50 L-BFGS pairs in place of the dense matrix (or of 100 pairs) and a first gradient step of
    0.1, a hedge against the basin the first trajectory led to; later stalls restart near the
    best point found, and the run returns the best point over all starts. ``n_path_solves``
    in the result counts the Euler-Lagrange problems solved (``path_solves`` by kind, with
    the gradient evaluations of the direct solves). The first default of this loop, the same
    with an L-BFGS model of ten pairs, is the preset ``"lbfgs_model"``; a straight path with
    straight backtracking and no restart is ``"straight"``.

    Examples
    --------
    >>> import numpy as np
    >>> from lagopt.datasets import make_dataset
    >>> from lagopt.objectives import MLPObjective
    >>> from lagopt.optim import minimize
    >>> X, y = make_dataset("xor")
    >>> f = MLPObjective(X, y, sizes=(4, 6, 1), activation="tanh")
    >>> res = minimize(f, f.init_params(42), method="laml", max_grad_evals=300, seed=0)
    >>> gd = minimize(f, f.init_params(42), method="gd", lr=0.1, max_grad_evals=300)
    >>> bool(res.fun < gd.fun), res.n_grad <= 300, 0 < res.accept_rate <= 1
    (True, True, True)
    """

    name: ClassVar[str] = "laml"
    preset: str = "default"
    predictor: Optional[Predictor] = None
    path: Union[None, str, PathSolver] = None
    criterion: Optional[Criterion] = None
    explorer: Optional[Explorer] = None
    update: Optional[Update] = None
    confidence: Optional[Confidence] = None
    lam: Optional[float] = None
    T: Optional[float] = None
    tol: Optional[float] = None
    gtol: float = 1e-6
    maxiter: Optional[int] = None
    restart: Union[None, bool, StallRestart] = None

    def _validate(self) -> None:
        self.stages()                       # checks the preset, the stages, lam, T, tol
        self._set(gtol=positive_float(self.gtol, "gtol", allow_zero=True),
                  maxiter=None if self.maxiter is None else
                  positive_int(self.maxiter, "maxiter", minimum=0))

    def stages(self) -> tuple[LAMLStages, dict[str, Any]]:
        """The stages and loop settings of a run: :func:`make_stages` of the options."""
        overrides = {k: getattr(self, k) for k in _OVERRIDES}
        return make_stages(self.preset, **overrides)

    def run(self, f: BudgetedObjective, x0: NDArray[np.float64],
            rng: np.random.Generator) -> dict[str, Any]:
        stages, settings = self.stages()
        return _run(f, x0, rng, stages, settings, self.gtol, self.maxiter)


_NON_FINITE = ("Non-finite values appeared ({what}); returned the last iterate with a finite "
               "loss. LAML's steps follow a model of the loss, which extrapolates badly far from "
               "a minimum: start nearer one or rescale the parameters to order 1, or use a "
               "method whose step size you set (method='hybrid' or 'adam' with a small `lr`).")

_OVERRIDES = ("predictor", "path", "criterion", "explorer", "update", "confidence", "lam", "T",
              "tol", "restart")


def _run(f, x0, rng, stages, settings, gtol, maxiter):
    """One LAML run with the stages and settings of :meth:`LAML.stages` (the default preset's
    stages iterate by :class:`_DenseModelStep`, the same iterates as :func:`_iteration`)."""
    restarter = settings["restart"]
    tol = settings["tol"]
    view = BudgetView(f)
    hist = {key: [] for key in _ROW_KEYS}
    n_accepted = 0
    status, message = None, None
    state = None
    track = {"best": None}   # (loss, point): the lowest loss paid for in this iteration
    try:
        needs_grad = getattr(stages.predictor, "needs_grad", True)
        if needs_grad:
            loss, g = view.loss_and_grad(x0)
        else:
            loss, g = view.loss(x0), None
        state = LAMLState(x0, loss, g, view, rng, settings["lam"], settings["T"],
                          stages.confidence.initial)
        _add_row(hist, state.confidence)                    # row 0: the start
        for stage in stages.as_dict().values():
            stage.reset(state)
        if restarter is not None:
            restarter.reset(state)
        f.set_iterate(x0, loss)
        iteration = _DenseModelStep.plan(stages, state) or _iteration
        while True:
            if maxiter is not None and state.iteration >= maxiter:
                status, message = Status.MAX_ITER, "The iteration limit `maxiter` was reached."
                break
            if restarter is None and state.grad is not None and _inf_norm(state.grad) <= gtol:
                status, message = (Status.SUCCESS,
                                   "The gradient norm (max |g_i|) is at most `gtol`.")
                break
            accepted, followed_ok = iteration(state, stages, view, track, hist)
            n_accepted += accepted
            f.set_iterate(state.x, state.loss)
            if tol is not None and followed_ok and state.loss < tol:
                status, message = (Status.SUCCESS, "The followed path was accepted and the "
                                   "loss is below `tol`.")
                break
            if restarter is not None and restarter.observe(state):
                if restarter.converged(state):
                    status, message = _stalled_status(restarter, gtol)
                    break
                if _restart(f, state, stages, restarter, hist):
                    # a hedge start changes the predictor's memory, hence the iteration's plan
                    iteration = _DenseModelStep.plan(stages, state) or _iteration
    except BudgetExhausted:
        status = Status.BUDGET_EXHAUSTED
        _end_at_best_known(f, state, _lower(track["best"], restarter), hist)
    except StopRequested:
        status = Status.CALLBACK_STOP
    except (NonFiniteLoss, NonFiniteError) as exc:
        # An iterate's loss, or a loss or gradient the stages needed, is not finite: keep the
        # last iterate whose loss was (minimize returns the start, saying so, if none was).
        return {"x": f.x_recorded, "status": Status.NON_FINITE,
                "message": _NON_FINITE.format(what=exc),
                **_extras(hist, n_accepted, stages, state)}
    if restarter is not None and status != Status.BUDGET_EXHAUSTED:
        _end_at_best_known(f, state, restarter.best[:2], hist)
    x = f.x if f.x is not None else x0
    out = {"x": x, "status": status, **_extras(hist, n_accepted, stages, state)}
    if restarter is not None:
        out["n_restarts"] = restarter.n_restarts
    if message is not None:
        out["message"] = message
    return out


def _iteration(state, stages, view, track, hist):
    """One LAML iteration (steps 1-6 of the module docstring); moves `state` and adds its
    history row.

    ``track["best"]`` follows the lowest loss paid for during the iteration, so that a budget
    running out in the middle can end there. Returns ``(accepted, followed_ok)``: whether the
    predicted path was accepted and whether the followed one would be.
    """
    view.clear_tape()
    state.model = None  # a predictor with a quadratic model sets it for this iteration
    track["best"] = (state.loss, state.x)
    view.note(state.x, loss=state.loss, grad=state.grad)
    x_star = np.asarray(stages.predictor.predict(state), dtype=np.float64)
    return _from_prediction(state, stages, track, hist, x_star)


def _from_prediction(state, stages, track, hist, x_star):
    """Steps 2-6 of :func:`_iteration`, from the predicted end point `x_star`."""
    if _norm(x_star - state.x) > stages.criterion.max_move(state):
        predicted = stages.path.unevaluated(state, x_star, "beyond the criterion's "
                                            "longest acceptable move; not evaluated")
    else:
        predicted = stages.path.solve(state, x_star)
    return _from_path(state, stages, track, hist, predicted)


def _from_path(state, stages, track, hist, predicted):
    """Steps 3-6 of :func:`_iteration`, from the predicted path."""
    track["best"] = _best(track["best"], predicted)
    accepted = bool(stages.criterion.accept(state, predicted))
    followed = predicted
    if not accepted:
        followed = stages.explorer.explore(state, predicted, stages)
        track["best"] = _best(track["best"], followed)
    loss_before = state.loss
    followed_ok = accepted if followed is predicted else \
        bool(stages.criterion.accept(state, followed))
    x_new, loss_new, g_new = stages.update.step(state, followed)
    improved = loss_new < loss_before
    stages.confidence.update(state, accepted, improved)
    step = _norm(x_new - state.x)
    state.move(x_new, loss_new, g_new)
    state.iteration += 1
    _add_row(hist, state.confidence, followed.method, step, action=followed.reported_action,
             predicted_action=predicted.reported_action, accepted=accepted,
             explored=not accepted)
    return accepted, followed_ok


class _DenseModelStep:
    """The default preset's common iteration, inlined: :func:`_iteration` with the stages
    :class:`BFGSPredictor` (its dense matrix, or above `max_dense` its L-BFGS memory),
    :class:`ModelPathSolver` (bounds of the kinetic energy first), :class:`RestingActionCriterion`
    and :class:`LeastLossUpdate` (any confidence, explorer and restart), the same operations
    on the same values in the same order, so the iterates and every history field are bit for
    bit those of :func:`_iteration`.

    An iteration whose predicted path is accepted is made here without the stages' objects:
    no :class:`CandidatePath`, no tape, the end evaluated through the budget directly. Every
    other case -- no gradient or no model yet, a prediction that is not a descent
    direction or lies beyond the criterion's longest move, an acceptance decision that needs
    more than the bounds (the Lanczos estimate of a dense model is made here), a rejection --
    continues with the general code from the point reached (the tape filled as the general
    code would have filled it), so what the explorer, the criterion and a restart see is
    unchanged.
    """

    __slots__ = ("predictor", "path", "criterion", "steps", "rtol2", "dense")

    def __init__(self, stages, state):
        self.predictor, self.path, self.criterion = (stages.predictor, stages.path,
                                                     stages.criterion)
        self.steps = min(KRYLOV_MAX_STEPS, state.n)
        self.rtol2 = _KRYLOV_END_RTOL ** 2
        self.dense = not self.predictor.limited(state)

    @classmethod
    def plan(cls, stages, state):
        """The fast iteration for these stages, or None when they are not the default's."""
        p, path = stages.predictor, stages.path
        if not (_FAST_PATH and type(p) is BFGSPredictor
                and type(path) is ModelPathSolver
                and type(stages.criterion) is RestingActionCriterion
                and type(stages.update) is LeastLossUpdate
                and path.kinetic != "exact"):
            return None
        if not p.limited(state) and not (path.kinetic == "krylov" or (
                state.n >= path.krylov_min and state.n > KRYLOV_MAX_STEPS)):
            return None
        return cls(stages, state)

    def _predict(self, state, x, g):
        """Step 1 (QuasiNewtonPredictor.predict): the memory updated, then ``(d, x*, d_end,
        dg, finite, dd, ee, ss)`` of the model's step, or None without a model."""
        p = self.predictor
        last = p._last
        if last is not None and last[0] is not x:
            p._observe(state, x - last[0], g - last[1])
        p._last = (x, g)
        c = float(state.confidence if p.use_confidence else 1.0)
        gc = np.ascontiguousarray(g, dtype=np.float64)
        if self.dense:
            return None if p.H is None else dense_prediction(p.H, gc, x, c)
        if not p.pairs:
            p._last_direction = None
            return None
        return lbfgs_prediction(gc, *p._stacked_pairs(), x, c)

    def __call__(self, state, stages, view, track, hist):
        x, g, loss0 = state.x, state.grad, state.loss
        if g is None:
            return _iteration(state, stages, view, track, hist)
        view.clear_tape()
        track["best"] = (loss0, x)
        p = self.predictor
        pred = self._predict(state, x, g)
        d = None
        if pred is not None:
            d, x_star, d_end, dg, finite, dd, ee, ss = pred
            p._last_direction = d
            if not dg < 0 or not finite:
                p._forget(state)
                d = None
        if d is None:
            state.model = None
            x_star = p._end_point(state, g, None)
            view.note(x, loss=loss0, grad=g)
            return _from_prediction(state, stages, track, hist, x_star)
        state.model = p._model(state, g, loss0)     # the dense or L-BFGS model, d_star = d
        # 2. ModelPathSolver.solve: the path to the minimiser step, its end paid for
        step = math.sqrt(dd)
        if not (0.0 < dd < math.inf and not step > self.criterion.max_move(state)
                and ee <= self.rtol2 * ss):
            view.note(x, loss=loss0, grad=g)
            return _from_prediction(state, stages, track, hist, x_star)
        lam, T = state.lam, state.T
        state.path_solves["model"] += 1
        value, g_end = view.budget.loss_and_grad(x_star)
        loss1 = float(value)
        g1 = np.array(g_end, dtype=np.float64, copy=True)
        # 3. RestingActionCriterion.accept (CandidatePath.action_below): the kinetic energy's
        # bounds first, the Lanczos estimate (dense model) only when they do not decide
        P = lam * ((T - 0.0) * 0.5 * (loss0 + loss1))
        bound = (1.0 - self.criterion.margin) * (lam * loss0 * T)
        lo, hi = bounds = kinetic_bounds(dd, -dg, lam, T)
        S = hi + P
        if not (math.isfinite(P) and S < bound):
            kinetic = None
            if self.dense and math.isfinite(P) and lo + P < bound:
                kinetic, error = krylov_kinetic_of(p.H, d_end, self.steps, lam, T, ee * ss)
                S = kinetic + P
            if kinetic is None or not (S < bound and not (error > 0 and bound <= S + error)):
                # the general code from here, with what is known (the same decisions)
                view.note(x, loss=loss0, grad=g)
                view.note(x_star, loss=loss1, grad=g1)
                predicted = self._handover(state, x, x_star, d_end, loss1, bounds, kinetic,
                                           error if kinetic is not None else 0.0, ee * ss)
                return _from_path(state, stages, track, hist, predicted)
        if -math.inf < loss1 < loss0:
            track["best"] = (loss1, x_star)
        # 5. LeastLossUpdate.step (the end), 6. confidence, and the move
        stages.confidence.update(state, True, loss1 < loss0)
        state.x_prev, state.grad_prev = x, g
        state.x, state.loss, state.grad = x_star, loss1, g1
        state.iteration += 1
        _add_row(hist, state.confidence, "model", step, action=S, predicted_action=S,
                 accepted=True, explored=False)
        return True, True

    def _handover(self, state, x, x_star, d_end, loss1, bounds, kinetic, error, offset2):
        """The predicted path as :meth:`ModelPathSolver.solve` builds it, with what this
        iteration computed (the Lanczos estimate, when made)."""
        if not self.dense:
            return self.path.lbfgs_path(state, x.copy(), x_star, d_end, loss1, bounds)
        if kinetic is not None:
            return self.path.krylov_path(state, x.copy(), x_star, d_end, loss1,
                                         kinetic=kinetic, error=error)
        spec, steps, lam, T = state.model, self.steps, state.lam, state.T
        return self.path.krylov_path(
            state, x.copy(), x_star, d_end, loss1, bounds=bounds,
            estimate=lambda: krylov_kinetic_of(spec.H, d_end, steps, lam, T, offset2))


#: Whether :func:`_run` uses :class:`_DenseModelStep` when the stages allow (tests compare
#: it with the general loop).
_FAST_PATH = True


def _stalled_status(restarter, gtol):
    """``(status, message)`` when restarts keep finding nothing lower: success only if the
    gradient at the best point is known and passes `gtol`."""
    g = restarter.best[2]
    found = (f"the loop stalled and {restarter.n_restarts} restart(s) near the best point "
             "found nothing lower")
    if g is not None and _inf_norm(g) <= gtol:
        return Status.SUCCESS, f"Converged: {found}, and max |grad_i| <= `gtol` there."
    return Status.NOT_CONVERGED, (f"Stopped: {found}, but the gradient at the best point "
                                  "is not below `gtol` (slow progress, not a minimum); "
                                  "raise the restart's `patience` or lower its `rtol`.")


def _lower(best_known, restarter):
    """The lower of the iteration's best point and the best over all starts."""
    if restarter is None or best_known is None or not restarter.best[0] < best_known[0]:
        return best_known
    return restarter.best[:2]


def _restart(f, state, stages, restarter, hist):
    """Leave a stalled basin (see :class:`StallRestart`): a new start, fresh stage memories
    (after a hedge start, a quasi-Newton predictor's L-BFGS memory of `hedge_memory` pairs).
    True when this start was the hedge start."""
    hedge = (restarter.hedge_memory is not None and not restarter.hedged
             and isinstance(stages.predictor, QuasiNewtonPredictor))
    x, loss, g = restarter.restart(state, hedge=hedge)
    if hedge:
        state.lbfgs_memory = restarter.hedge_memory
        state.first_step = restarter.hedge_first_step
    step = float(np.linalg.norm(x - state.x))
    state.move(x, loss, g)
    state.model = None
    for stage in (stages.predictor, stages.explorer, stages.confidence):
        stage.reset(state)
    f.set_iterate(x, loss)
    _add_row(hist, state.confidence, "hedge start" if hedge else "restart", step, explored=True)
    return hedge


def _end_at_best_known(f, state, best_known, hist):
    """After the budget ran out mid-iteration: move to the lowest-loss point met, if it beats
    the current one (free: its loss was paid for during the interrupted iteration)."""
    if state is None or best_known is None or not best_known[0] < state.loss \
            or not np.isfinite(best_known[0]):
        return
    try:
        f.set_iterate(best_known[1], best_known[0])
        _add_row(hist, state.confidence, "best point met",
                 float(np.linalg.norm(best_known[1] - state.x)))
        state.move(best_known[1], best_known[0])
    except (NonFiniteLoss, StopRequested):
        pass


def _best(best, path):
    """The lower of ``best`` and the path's least-loss node (loss, point)."""
    L = path.losses
    if L.size == 2:
        end = float(L[1])
        if -math.inf < end < best[0]:           # False for NaN
            return end, path.theta[:, 1].copy()
        return best
    if L.size > 1 and np.any(np.isfinite(L[1:])):
        j = path.best_node(first=1)
        if L[j] < best[0]:
            return float(L[j]), path.theta[:, j].copy()
    return best


#: The columns of LAML's history, one row per iterate (written only by :func:`_add_row`).
_ROW_KEYS = ("action", "predicted_action", "accepted", "explored", "path_method", "step",
             "confidence")


def _add_row(hist, confidence, path_method="", step=0.0, *, action=np.nan,
             predicted_action=np.nan, accepted=False, explored=False):
    """Append one row to the history `hist` (the one place rows are written); the defaults
    are those of an iterate that followed no path (the start, a restart, a budget's end)."""
    row = (action, predicted_action, accepted, explored, path_method, step, confidence)
    for key, value in zip(_ROW_KEYS, row):
        hist[key].append(value)


def _extras(hist, n_accepted, stages, state):
    n_it = state.iteration if state is not None else 0
    if not hist["action"]:              # stopped before the start's loss was known
        _add_row(hist, np.nan)
    out = {k: np.asarray(v, dtype=bool if k in ("accepted", "explored") else
                         (object if k == "path_method" else float)) for k, v in hist.items()}
    solves = dict(state.path_solves) if state is not None else \
        {"model": 0, "direct": 0, "direct_cost": 0.0}
    return {"accept_rate": float(n_accepted / n_it) if n_it else 0.0,
            "n_accepted": int(n_accepted),
            "n_path_solves": int(solves["model"] + solves["direct"]),
            "path_solves": solves,
            "history": out,
            "stages": {k: repr(v) for k, v in stages.as_dict().items()}}


#: :class:`LAML` as a function of the :data:`lagopt.optim.METHODS` signature.
laml = method_function(LAML)
