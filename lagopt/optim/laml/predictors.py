r"""Meta-prediction stages: from the data and the current state to an end point ``theta*``.

* :class:`ReferencePredictor` -- ``theta - 2 (1 + std y) grad L + 0.3 xi``, the end point
  predicted by the original LAML experiment; cost 1.
* :class:`LookaheadPredictor` -- ``theta - eta grad L`` with a floored Barzilai-Borwein
  ``eta``; cost 1.
* :class:`QuasiNewtonPredictor` -- the minimiser of the L-BFGS quadratic model of the
  trajectory; cost 1.
* :class:`SteepestPathPredictor` -- equal arc-length steepest descent ``dtheta/ds =
  -grad L / |grad L|``, landing on the minimum of a parabola; cost 1.5 per step.
* :class:`ClosedFormPredictor` -- the least-squares output layer (exact for linear models);
  cost 1/2.
* :class:`MetaModelPredictor` -- ridge regression from task features to trained weights,
  fitted on a family of tasks; cost 0.

Costs are in gradient evaluations per prediction (the gradient at the current iterate is paid
at most once per iterate: when the previous path's end was evaluated with its gradient it is
free).
"""
import numpy as np

from ..._validation import positive_float, positive_int
from ...objectives import MLPObjective
from ..baselines import _parabola_vertex, _point_on_polyline
from ._base import Predictor
from ._kernels import bfgs_pair_update, bfgs_update_inplace, neg_symv, vdot
from ._kernels import two_loop
from .model_path import PairRing, QuadraticModel, stack_pairs

# BFGSPredictor adds a pair only when s.y > _CURVATURE_TOL |s| |y| (keeps H positive definite).
_CURVATURE_TOL = 1e-10

__all__ = ["ReferencePredictor", "LookaheadPredictor", "QuasiNewtonPredictor", "BFGSPredictor",
           "SteepestPathPredictor", "ClosedFormPredictor", "MetaModelPredictor",
           "task_features", "lbfgs_direction", "LBFGSModel"]


class ReferencePredictor(Predictor):
    r"""The original experiment's heuristic: ``theta - gain (1 + std y) grad L + noise xi``.

    Parameters
    ----------
    gain : float, optional
        Default 2.
    noise : float, optional
        Standard deviation of the Gaussian perturbation of every coordinate. Default 0.3.
    y_std : float, optional
        ``std(y)``; by default read from the objective's targets (``objective.y``), 0 if it has
        none.

    Notes
    -----
    Draws ``n`` standard normals per prediction (after the gradient). Why it fails in the
    original experiment (4-6-1 ReLU network): with 37 parameters the noise has norm about
    ``0.3 sqrt(37) = 1.8``, much more than the gradient step, so the predicted end is almost
    always worse than the start.
    """

    def __init__(self, gain=2.0, noise=0.3, y_std=None):
        self.gain = positive_float(gain, "gain", allow_zero=True)
        self.noise = positive_float(noise, "noise", allow_zero=True)
        self.y_std = None if y_std is None else positive_float(y_std, "y_std", allow_zero=True)

    def _params(self):
        return {"gain": self.gain, "noise": self.noise, "y_std": self.y_std}

    def reset(self, state):
        if self.y_std is not None:
            self._ystd = self.y_std
        else:
            y = getattr(state.objective, "y", None)
            self._ystd = float(np.std(y)) if y is not None else 0.0

    def predict(self, state):
        g = state.ensure_grad()
        xi = state.rng.standard_normal(state.n)
        return state.x - self.gain * (1.0 + self._ystd) * g + self.noise * xi


class LookaheadPredictor(Predictor):
    r"""Gradient look-ahead with an adaptive step: ``theta* = theta - c eta grad L``.

    Parameters
    ----------
    step : float, optional
        First step ``eta``. Default 0.1 (gradient descent's rate).
    min_step, max_step : float, optional
        Safeguards on ``eta``. Default ``min_step=0.1`` (never below gradient descent's step:
        the floor that keeps a Barzilai-Borwein step from collapsing), ``max_step=100``.
    rule : {"bb1", "bb2", "fixed"}, optional
        ``"bb1"`` (default): the long Barzilai-Borwein step [1]_ ``s.s / s.y`` from the last move
        ``s`` and gradient change ``y``; ``"bb2"``: the short one ``s.y / y.y``; ``"fixed"``:
        ``eta = step`` always. When ``s.y <= 0`` (negative curvature along the move) the step
        doubles.
    use_confidence : bool, optional
        Multiply the step by ``state.confidence``. Default True.

    References
    ----------
    .. [1] J. Barzilai and J. M. Borwein, "Two-point step size gradient methods", IMA J. Numer.
       Anal. 8 (1988), 141-148.
    """

    def __init__(self, step=0.1, min_step=0.1, max_step=100.0, rule="bb1", use_confidence=True):
        self.step = positive_float(step, "step")
        self.min_step = positive_float(min_step, "min_step", allow_zero=True)
        self.max_step = positive_float(max_step, "max_step")
        if self.min_step > self.max_step:
            raise ValueError("`min_step` must not exceed `max_step`.")
        if rule not in ("bb1", "bb2", "fixed"):
            raise ValueError(f"`rule` must be one of 'bb1', 'bb2', 'fixed'; got {rule!r}.")
        self.rule = rule
        self.use_confidence = bool(use_confidence)

    def _params(self):
        return {"step": self.step, "min_step": self.min_step, "max_step": self.max_step,
                "rule": self.rule, "use_confidence": self.use_confidence}

    def reset(self, state):
        self.eta = self.step

    def predict(self, state):
        g = state.ensure_grad()
        if self.rule != "fixed" and state.x_prev is not None and state.grad_prev is not None:
            s = state.x - state.x_prev
            y = g - state.grad_prev
            sy = float(s @ y)
            if sy > 0:
                self.eta = float(s @ s) / sy if self.rule == "bb1" else sy / float(y @ y)
            else:
                self.eta *= 2.0
            self.eta = min(max(self.eta, self.min_step), self.max_step)
        c = state.confidence if self.use_confidence else 1.0
        return state.x - c * self.eta * g


def lbfgs_direction(g, pairs, stacked=None):
    """``-H g`` by the L-BFGS two-loop recursion over ``pairs`` of ``(s, y)`` (oldest first).

    The initial matrix is ``(s.y / y.y) I`` of the newest pair (Nocedal & Wright, eq. 7.20);
    see :func:`~lagopt.optim.laml.model_path.lbfgs_inverse_apply`. `stacked` is the memory
    in the recursion's form (:func:`~lagopt.optim.laml.model_path.stack_pairs`
    or :meth:`~lagopt.optim.laml.model_path.PairRing.arrays`) when the caller keeps it.
    """
    stacked = stack_pairs(pairs) if stacked is None else stacked
    return -two_loop(np.ascontiguousarray(g, dtype=np.float64), *stacked)


class LBFGSModel:
    """``state.model`` of :class:`QuasiNewtonPredictor`: calling it gives the
    :class:`QuadraticModel` of the L-BFGS memory (a QR factorisation of ``[g, S, Y]``,
    ``O(n m^2)``, made once, on demand); :class:`~lagopt.optim.laml.ModelPathSolver` reads
    the gradient `g` and the two-loop direction ``d_star = -H g`` to bound the model path's
    kinetic energy without it (:func:`~lagopt.optim.laml.model_path.kinetic_bounds`)."""

    __slots__ = ("g", "pairs", "loss", "d_star", "_model")

    def __init__(self, g, pairs, loss, d_star=None):
        self.g, self.pairs, self.loss, self.d_star, self._model = g, pairs, loss, d_star, None

    def minimiser_step(self):
        """``d* = -H g`` (the two-loop recursion's)."""
        if self.d_star is None:
            self.d_star = lbfgs_direction(self.g, self.pairs)
        return self.d_star

    def __call__(self):
        if self._model is None:
            self._model = QuadraticModel.from_lbfgs(self.g, self.pairs, self.loss)
        return self._model


class QuasiNewtonPredictor(Predictor):
    r"""The minimiser of the local quadratic model learned from the trajectory (L-BFGS).

    ``theta* = theta - c H grad L(theta)`` where ``H`` is the L-BFGS inverse-Hessian
    approximation [1]_ [2]_ built from the last `memory` moves ``s = theta_{k+1} - theta_k`` and
    gradient changes ``y`` with ``s.y > 0``, and ``c = state.confidence``.

    Parameters
    ----------
    memory : int, optional
        Number of ``(s, y)`` pairs kept. Default 10.
    first_step : float, optional
        Step ``eta`` of ``theta - eta grad L`` before any pair is known, and the fall-back when
        the model's direction is not a descent direction. Default 0.1 (gradient descent's).
    use_confidence : bool, optional
        Scale the predicted move by ``state.confidence``. Default True.

    Notes
    -----
    This is the "meta-prediction" of the original idea made local and honest: it predicts
    the end point of training from what the trajectory has measured of the landscape (its
    curvature along the moves), not from the data alone. On a strictly convex quadratic the
    predictions, even followed blindly, converge superlinearly to the minimiser. A pair is
    only added when
    ``s.y > 1e-10 |s|^2`` (positive curvature), which keeps ``H`` positive definite on
    non-convex losses.

    References
    ----------
    .. [1] D. C. Liu and J. Nocedal, "On the limited memory BFGS method for large scale
       optimization", Math. Programming 45 (1989), 503-528.
    .. [2] J. Nocedal and S. J. Wright, "Numerical Optimization", 2nd ed., Springer (2006),
       sec. 7.2.
    """

    def __init__(self, memory=10, first_step=0.1, use_confidence=True):
        self.memory = positive_int(memory, "memory")
        self.first_step = positive_float(first_step, "first_step")
        self.use_confidence = bool(use_confidence)

    def _params(self):
        return {"memory": self.memory, "first_step": self.first_step,
                "use_confidence": self.use_confidence}

    def reset(self, state):
        # a hedge start (StallRestart's hedge_memory, hedge_first_step) sets the new
        # trajectory's memory and first step
        self._memory = getattr(state, "lbfgs_memory", None) or self.memory
        self._first_step = getattr(state, "first_step", None) or self.first_step
        self.pairs = []
        self._ring = PairRing(self._memory)  # the same pairs, as the compiled recursion reads them
        self._last = None
        self._last_direction = None   # -H g of the last prediction

    def predict(self, state):
        g = state.ensure_grad()
        if self._last is not None and self._last[0] is not state.x:
            x0, g0 = self._last
            self._observe(state, state.x - x0, g - g0)
        self._last = (state.x, g)
        d = self._direction(state, g)
        if d is not None and (not vdot(d, g) < 0 or not np.isfinite(d).all()):
            self._forget(state)
            d = None
        return self._end_point(state, g, d)

    def _end_point(self, state, g, d):
        """The predicted end point from the direction `d` (None: a gradient step), with
        ``state.model`` set."""
        loss = state.loss
        if d is None:
            d, step = -self._first_step * g, self._first_step
            state.model = lambda: QuadraticModel.from_step(g, step, loss)
        else:
            state.model = self._model(state, g, loss)
        c = state.confidence if self.use_confidence else 1.0
        return state.x + c * d

    # The memory, in four hooks (BFGSPredictor keeps a dense matrix instead of pairs).
    def _observe(self, state, s, y):
        """Take the move ``s`` and gradient change ``y`` into the memory (positive
        curvature only)."""
        if float(s @ y) > 1e-10 * float(s @ s):
            self.pairs.append((s, y))
            self._ring.push(s, y)
            if len(self.pairs) > self._memory:
                self.pairs.pop(0)

    def _direction(self, state, g):
        """``-H g``, or None without a memory."""
        if not self.pairs:
            self._last_direction = None
            return None
        self._last_direction = lbfgs_direction(g, self.pairs, self._stacked_pairs())
        return self._last_direction

    def _stacked_pairs(self):
        """The memory as the compiled two-loop recursion takes it
        (:meth:`~lagopt.optim.laml.model_path.PairRing.arrays`)."""
        return self._ring.arrays()

    def _forget(self, state):
        self.pairs.clear()
        self._ring.clear()

    def _model(self, state, g, loss):
        """An :class:`LBFGSModel` of the memory (its :class:`QuadraticModel` built on
        demand)."""
        return LBFGSModel(g, list(self.pairs), loss, d_star=self._last_direction)


class BFGSPredictor(QuasiNewtonPredictor):
    r"""The minimiser of a full-memory (dense) BFGS model; L-BFGS above `max_dense` parameters.

    ``theta* = theta - c H grad L(theta)`` with ``H`` the BFGS inverse-Hessian approximation
    updated by every move ``s`` and gradient change ``y`` with positive curvature,

    .. math::

        H \leftarrow (I - \rho s y^T) H (I - \rho y s^T) + \rho s s^T, \qquad
        \rho = 1 / (s \cdot y),

    starting from ``(s.y / y.y) I`` at the first pair ([1]_, eq. 6.20). Unlike
    the L-BFGS memory of :class:`QuasiNewtonPredictor`, nothing the trajectory measured is
    forgotten. The matrix costs ``8 n^2`` bytes and every iteration ``O(n^2)``: the update,
    in place (one compiled call: curvature test, ``H y`` and the one-pass rank-2 update), and
    the direction ``-H g``. The model's least-action path needs only bounds of its kinetic
    energy in most iterations (:class:`ModelPathSolver`: closed form, no product with the
    matrix), 8 Lanczos steps otherwise
    (:func:`~lagopt.optim.laml.model_path.krylov_kinetic`); the ``O(n^3)``
    eigendecomposition is made only when a decision needs the exact value or an explorer
    the curve. Above `max_dense` parameters the predictor is :class:`QuasiNewtonPredictor`
    with `memory` pairs; so it is after a hedge start (:class:`StallRestart`'s
    `hedge_memory`), with that many pairs.

    Parameters
    ----------
    max_dense : int, optional
        Largest number of parameters kept dense. Default 300.
    memory, first_step, use_confidence
        As for :class:`QuasiNewtonPredictor` (`memory` only above `max_dense`).

    Notes
    -----
    Evaluations are what the budget counts; the linear algebra is not charged. At equal
    evaluations a dense BFGS matrix models a small network's loss better than ten L-BFGS
    pairs, and its eigendecomposition, when it is made, gives the model's least-action path
    exactly on the whole space (:meth:`QuadraticModel.from_inverse`). A pair is added when
    ``s.y > 1e-10 |s| |y|``; a direction that is not a descent direction resets ``H``.

    References
    ----------
    .. [1] J. Nocedal and S. J. Wright, "Numerical Optimization", 2nd ed., Springer (2006),
       ch. 6.
    """

    def __init__(self, max_dense=300, memory=10, first_step=0.1, use_confidence=True):
        super().__init__(memory=memory, first_step=first_step, use_confidence=use_confidence)
        self.max_dense = positive_int(max_dense, "max_dense", minimum=0)

    def _params(self):
        return {"max_dense": self.max_dense, **super()._params()}

    def limited(self, state):
        """True when this run keeps an L-BFGS memory rather than the dense matrix: above
        `max_dense` parameters, or after a hedge restart (``state.lbfgs_memory``)."""
        return state.n > self.max_dense or getattr(state, "lbfgs_memory", None) is not None

    def reset(self, state):
        super().reset(state)
        self.H = None
        self._issued = None          # the DenseInverseModel built on the current H
        self._last_direction = None  # -H g of the last prediction

    def _observe(self, state, s, y):
        if self.limited(state):
            return super()._observe(state, s, y)
        self._update(s, y)

    def _direction(self, state, g):
        if self.limited(state):
            return super()._direction(state, g)
        if self.H is None:
            return None
        self._last_direction = neg_symv(self.H, np.ascontiguousarray(g, dtype=np.float64))
        return self._last_direction

    def _forget(self, state):
        if self.limited(state):
            return super()._forget(state)
        self._retire()
        self.H = None

    def _model(self, state, g, loss):
        if self.limited(state):
            return super()._model(state, g, loss)
        self._retire()
        self._issued = DenseInverseModel(g, self.H, loss, d_star=self._last_direction)
        return self._issued

    def _retire(self):
        """`H` is about to change in place (or be dropped): the model issued on it, whose
        iteration is over, is marked stale."""
        if self._issued is not None:
            self._issued._stale = True
            self._issued = None

    def _update(self, s, y):
        s = np.ascontiguousarray(s, dtype=np.float64)
        y = np.ascontiguousarray(y, dtype=np.float64)
        if self.H is not None:
            # H+ = H - rho (Hy s^T + s Hy^T) + (rho^2 y^T H y + rho) s s^T, in place, in one
            # compiled call (the curvature test, Hy and the one-pass update); the model of
            # the previous iteration, which referred to the old matrix, is stale by now.
            self._retire()
            bfgs_pair_update(self.H, s, y, _CURVATURE_TOL)
            return
        sy = float(s @ y)
        if not sy > _CURVATURE_TOL * float(np.sqrt(float(s @ s) * float(y @ y))):
            return
        self._retire()
        self.H = np.eye(s.size) * (sy / float(y @ y))
        rho = 1.0 / sy
        Hy = self.H @ y
        c = rho * rho * float(y @ Hy) + rho
        bfgs_update_inplace(self.H, s, Hy, rho, c)


class DenseInverseModel:
    """``state.model`` of :class:`BFGSPredictor`: calling it gives the
    :class:`QuadraticModel` of the dense inverse Hessian `H` (one eigendecomposition, made
    once, on demand); :class:`~lagopt.optim.laml.ModelPathSolver` reads `H` and the
    minimiser step ``d_star = -H g`` directly to estimate the model path's kinetic energy
    without it (:func:`krylov_kinetic`).

    The predictor updates `H` in place at its next update: a model of an earlier iteration
    that was not built by then cannot be any more (RuntimeError)."""

    __slots__ = ("g", "_H", "loss", "d_star", "_model", "_stale")

    def __init__(self, g, H, loss, d_star=None):
        self.g, self._H, self.loss, self._model, self._stale = g, H, loss, None, False
        self.d_star = d_star    # -H g, when the predictor has it

    @property
    def H(self):
        if self._stale:
            raise RuntimeError("this BFGS model belongs to an earlier iteration: the "
                               "predictor has since updated its matrix in place.")
        return self._H

    def minimiser_step(self):
        """``d* = -H g``."""
        if self.d_star is None:
            self.d_star = -(self.H @ self.g)
        return self.d_star

    def __call__(self):
        if self._model is None:
            self._model = QuadraticModel.from_inverse(self.g, self.H, self.loss)
        return self._model


class SteepestPathPredictor(Predictor):
    r"""Follow the steepest-descent path with equal arc-length steps, land on its minimum.

    From ``theta``, take steps of equal arc length ``h`` along ``dtheta/ds = -g/|g|`` with the
    gradient ``g`` at the step's midpoint, until the loss rises; the parabola through the last
    three ``(s, L)`` pairs places the minimum along the path, and the point at that arc length
    is the prediction.

    Parameters
    ----------
    step : float, optional
        Initial arc length ``h``. Default ``0.1 max(1, |theta|)``.
    max_steps : int, optional
        Steps per prediction at most. Default 20.
    grow, shrink : float, optional
        ``h`` is multiplied by `grow` for the next prediction when the run used all
        `max_steps` without a rise, by `shrink` when the loss rose at the first step.
        Defaults 2 and 0.5.

    Notes
    -----
    Each step costs one gradient (at the midpoint, predicted with the previous direction) and
    one loss (at the step's end): 1.5 gradient evaluations, as in
    :func:`lagopt.optim.baselines.steepest`, whose parabola helpers this predictor reuses.

    On the example ``E = (x - 2)^2`` from ``x = -3``: in one dimension the step whose
    midpoint passes the minimum turns back (the midpoint gradient changes sign), so the three
    ``(s, L)`` pairs are symmetric and the parabola lands on the last point before the rise,
    within ``h/2`` of the minimum. From there the first step rises, and the parabola through
    ``L(0)``, the slope ``-|g|`` and the loss at the first midpoint -- exact for a quadratic
    -- places the second prediction on ``x = 2``.
    """

    def __init__(self, step=None, max_steps=20, grow=2.0, shrink=0.5):
        self.step = None if step is None else positive_float(step, "step")
        self.max_steps = positive_int(max_steps, "max_steps")
        self.grow = positive_float(grow, "grow")
        self.shrink = positive_float(shrink, "shrink")
        if self.grow < 1 or self.shrink >= 1:
            raise ValueError("`grow` must be >= 1 and `shrink` in (0, 1).")

    def _params(self):
        return {"step": self.step, "max_steps": self.max_steps, "grow": self.grow,
                "shrink": self.shrink}

    def reset(self, state):
        self.h = self.step if self.step is not None else \
            0.1 * max(1.0, float(np.linalg.norm(state.x)))

    def predict(self, state):
        view = state.view
        g = state.ensure_grad()
        norm = float(np.linalg.norm(g))
        if norm == 0.0:
            return state.x.copy()
        h = self.h
        d = g / norm
        x, loss = state.x, state.loss
        run = [(0.0, loss, x)]
        rose = None
        first_mid = None
        for _ in range(self.max_steps):
            loss_mid, g_mid = view.loss_and_grad(x - 0.5 * h * d)
            if first_mid is None:
                first_mid = loss_mid
            n_mid = float(np.linalg.norm(g_mid))
            if n_mid == 0.0:
                break
            d = g_mid / n_mid
            x_new = x - h * d
            loss_new = view.loss(x_new)
            if not loss_new < loss:
                rose = (run[-1][0] + h, loss_new, x_new)
                break
            run.append((run[-1][0] + h, loss_new, x_new))
            x, loss = x_new, loss_new
        if rose is None:
            if len(run) > self.max_steps:
                self.h *= self.grow
            return run[-1][2]
        if len(run) == 1:
            # The first step rose: the parabola through L(0), the slope -|g| and the loss at
            # the first midpoint (which lies on the ray -g) places the minimum along -g.
            # (The step never shrinks below 1e-12 (1 + |theta|): rounding level.)
            self.h = max(self.h * self.shrink, 1e-12 * (1.0 + float(np.linalg.norm(state.x))))
            u = g / norm
            with np.errstate(all="ignore"):
                curv = (first_mid - state.loss + norm * 0.5 * h) / (0.5 * h) ** 2
            if curv > 0 and np.isfinite(curv):
                return state.x - min(norm / (2.0 * curv), h) * u
            return state.x - 0.5 * h * u
        (s0, L0, _), (s1, L1, _) = run[-2], run[-1]
        s_star = _parabola_vertex((s0, s1, rose[0]), (L0, L1, rose[1]))
        if s_star is None:
            return run[-1][2]
        return _point_on_polyline(run + [rose], s_star)


# ----------------------------------------------------------------------------- closed form
def _is_ls_network(obj):
    return isinstance(obj, MLPObjective)


def _hidden_features(obj, theta):
    """Activations of the last hidden layer (the inputs themselves for a linear model)."""
    return obj.hidden_features(theta)


def _output_layer_ls(obj, H, ridge):
    """Least-squares output layer ``[W; b]`` for features `H`, and its loss."""
    n = H.shape[0]
    Hb = np.hstack([H, np.ones((n, 1))])
    Y = np.asarray(obj.y, dtype=np.float64).reshape(n, -1)
    A = Hb.T @ Hb
    # A relative ridge keeps dead (all-zero) ReLU units and collinear features solvable; it
    # changes a well-posed solution by about ridge * cond(A).
    A[np.diag_indices_from(A)] += ridge * (1.0 + np.trace(A) / A.shape[0])
    wb = np.linalg.solve(A, Hb.T @ Y)
    r = Hb @ wb - Y
    return wb, float(np.mean(r * r))


class ClosedFormPredictor(Predictor):
    r"""Least squares in closed form where the model is linear in (some of) its parameters.

    For an :class:`~lagopt.objectives.MLPObjective` the output layer is linear and the loss is
    the mean squared error, so for fixed hidden weights the best output layer ``(W, b)`` is a
    linear least-squares problem. The prediction keeps the hidden weights of ``theta`` (or of
    the `base` predictor's ``theta*``) and replaces the output layer by that least-squares
    solution.

    * Network with no hidden layer, ``sizes=(d, 1)``: the model is linear and the prediction is
      the exact global minimiser, in one step.
    * Hidden layers: the prediction is the best output layer *given the current hidden
      features* -- an exact partial minimisation (the variable-projection idea), not the
      minimiser of the network; its loss is never above that of the point it starts from.

    Parameters
    ----------
    base : Predictor, optional
        Predictor whose end point is completed by the closed form (for instance
        :class:`QuasiNewtonPredictor`); by default the current iterate.
    ridge : float, optional
        Relative Tikhonov regularisation of the normal equations. Default 1e-10.

    Notes
    -----
    Cost: one forward pass for the hidden features, charged as one loss evaluation (1/2);
    the least-squares residual *is* the loss at the prediction, which is put on the budget
    view's tape, so the path stage does not pay for it again. The small linear solve (size
    ``hidden + 1``) is not an evaluation of the loss and is not charged.

    Raises
    ------
    TypeError
        At the start of a run, if the objective is not an ``MLPObjective``.
    """

    @property
    def needs_grad(self):
        return self.base is not None and self.base.needs_grad

    def __init__(self, base=None, ridge=1e-10):
        if base is not None and not isinstance(base, Predictor):
            raise TypeError("`base` must be a Predictor.")
        self.base = base
        self.ridge = positive_float(ridge, "ridge", allow_zero=True)

    def _params(self):
        return {"base": self.base, "ridge": self.ridge}

    def reset(self, state):
        if not _is_ls_network(state.objective):
            raise TypeError("ClosedFormPredictor needs an MLPObjective (mean squared error of "
                            f"a network with a linear output layer), got "
                            f"{type(state.objective).__name__}.")
        if self.base is not None:
            self.base.reset(state)

    def predict(self, state):
        x = state.x if self.base is None else self.base.predict(state)
        obj = state.objective
        state.view.budget.charge("loss")  # the forward pass to the hidden features
        H = _hidden_features(obj, x)
        wb, loss = _output_layer_ls(obj, H, self.ridge)
        layers = obj.unpack(np.array(x, dtype=np.float64, copy=True))
        W, b = layers[-1]
        W[...] = wb[:-1]
        b[...] = wb[-1]
        x_star = obj.pack(layers)
        state.view.note(x_star, loss=loss)
        return x_star


# ----------------------------------------------------------------------------- meta-model
def task_features(objective):
    r"""Features of a regression task for :class:`MetaModelPredictor`.

    With ``b = X^T y / m`` and ``C = X^T X / m`` (``m`` samples): ``[b, C b, C^2 b, 1]``.

    For a linear model the least-squares weights are ``C^{-1} b``; with standardised inputs
    ``C`` is near the identity and ``C^{-1} = 3I - 3C + C^2 + O(|C - I|^3)``, so the weights are
    (almost) a *linear* function of these features, which a ridge regression can learn from a
    family of tasks. For networks there is no such relation (see
    :class:`MetaModelPredictor`).
    """
    X = np.asarray(objective.X, dtype=np.float64)
    y = np.asarray(objective.y, dtype=np.float64)
    if y.ndim == 1:
        y = y[:, None]
    m = X.shape[0]
    C = X.T @ X / m
    b = X.T @ y / m
    return np.concatenate([b.ravel(), (C @ b).ravel(), (C @ (C @ b)).ravel(), [1.0]])


def _default_trainer(objective):
    from ..minimize import minimize

    x0 = objective.init_params(0) if hasattr(objective, "init_params") else \
        np.zeros(objective.n_params)
    return minimize(objective, x0, method="lbfgs", max_grad_evals=2000, seed=0).x


class MetaModelPredictor(Predictor):
    r"""A meta-model learned across a family of tasks: ridge regression from features to weights.

    ``fit(tasks)`` trains every task (by default L-BFGS from ``init_params(0)``, 2,000 gradient
    evaluations), computes its features (:func:`task_features` by default) and fits a ridge
    regression from features to the trained weights; ``predict`` applies it to the features
    of the run's objective. Fitting is done once, before and outside any run's budget (it is
    the "many (data, final weights) pairs" the original LAML report asked for); a prediction
    costs no evaluation of the loss.

    Parameters
    ----------
    ridge : float, optional
        Ridge penalty (on standardised features). Default 1e-6.
    features : callable, optional
        ``features(objective) -> 1-D array``. Default :func:`task_features`.
    trainer : callable, optional
        ``trainer(objective) -> weights``.

    Notes
    -----
    On a family of linear-regression tasks with a linear model (``sizes=(d, 1)``) the
    prediction is near-exact: the least-squares weights are almost linear in the features
    (see :func:`task_features`); the tests check an excess loss below 1 % of the target
    variance on unseen tasks. For networks with hidden layers it is not: the trained weights
    are defined only up to permutations and sign flips of hidden units and depend on the
    initialisation as much as on the data, so a regression from data features to weights
    averages unrelated minima. Measured on 4-6-1 networks (standardised linear-regression
    tasks, 60 training tasks trained by L-BFGS, 20 unseen test tasks; target variance 1): the
    predicted weights had a mean loss of 12.3 with tanh (far worse than a zero output, 1.0)
    and 0.21 with ReLU, against 0.012 and 0.013 after 100 gradient-descent steps from the
    standard initialisation. Use it on linear (or last-layer) problems.

    Examples
    --------
    >>> import numpy as np
    >>> from lagopt.objectives import MLPObjective
    >>> from lagopt.optim.laml import MetaModelPredictor
    >>> rng = np.random.default_rng(0)
    >>> def task():
    ...     X = rng.standard_normal((200, 3)); w = rng.standard_normal(3)
    ...     return MLPObjective(X, X @ w + 0.1 * rng.standard_normal(200), sizes=(3, 1))
    >>> meta = MetaModelPredictor().fit([task() for _ in range(50)])
    >>> meta.n_tasks
    50
    """

    needs_grad = False

    def __init__(self, ridge=1e-6, features=None, trainer=None):
        self.ridge = positive_float(ridge, "ridge", allow_zero=True)
        self.features = task_features if features is None else features
        self.trainer = _default_trainer if trainer is None else trainer
        if not callable(self.features) or not callable(self.trainer):
            raise TypeError("`features` and `trainer` must be callable.")
        self.coef_ = None

    def _params(self):
        return {"ridge": self.ridge, "fitted": self.coef_ is not None}

    def fit(self, tasks, weights=None):
        """Fit the meta-model on a family of tasks.

        Parameters
        ----------
        tasks : sequence of Objective
            Objectives with the same ``n_params`` (and the data ``X``, ``y`` the features
            need).
        weights : array_like, shape (len(tasks), n_params), optional
            Trained weights of the tasks; computed with `trainer` when not given.

        Returns
        -------
        self
        """
        tasks = list(tasks)
        if len(tasks) < 2:
            raise ValueError("`tasks` must hold at least 2 tasks.")
        n = tasks[0].n_params
        if any(t.n_params != n for t in tasks):
            raise ValueError("all `tasks` must have the same n_params.")
        F = np.array([np.asarray(self.features(t), dtype=np.float64) for t in tasks])
        if weights is None:
            W = np.array([np.asarray(self.trainer(t), dtype=np.float64) for t in tasks])
        else:
            W = np.asarray(weights, dtype=np.float64)
            if W.shape != (len(tasks), n):
                raise ValueError(f"`weights` must have shape ({len(tasks)}, {n}), got "
                                 f"{W.shape}.")
        self.mu_ = F.mean(axis=0)
        self.sd_ = F.std(axis=0)
        self.sd_[self.sd_ == 0] = 1.0
        Z = (F - self.mu_) / self.sd_
        self.w_mean_ = W.mean(axis=0)
        A = Z.T @ Z + self.ridge * len(tasks) * np.eye(Z.shape[1])
        self.coef_ = np.linalg.solve(A, Z.T @ (W - self.w_mean_))
        self.n_params_ = n
        self.n_tasks = len(tasks)
        return self

    def predict_weights(self, objective):
        """Predicted weights for a task (no evaluation of its loss)."""
        if self.coef_ is None:
            raise RuntimeError("MetaModelPredictor is not fitted: call fit(tasks) first.")
        z = (np.asarray(self.features(objective), dtype=np.float64) - self.mu_) / self.sd_
        return self.w_mean_ + z @ self.coef_

    def reset(self, state):
        if self.coef_ is None:
            raise RuntimeError("MetaModelPredictor is not fitted: call fit(tasks) first.")
        if state.n != self.n_params_:
            raise ValueError(f"the meta-model predicts {self.n_params_} weights but the "
                             f"objective has {state.n}.")
        self._pred = self.predict_weights(state.objective)

    def predict(self, state):
        return self._pred.copy()
