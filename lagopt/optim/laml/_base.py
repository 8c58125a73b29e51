"""What every LAML stage shares: the budget view, the loop state, the path result, the bases.

A LAML iteration is six small replaceable stages, each an object behind a one-method
interface, in the style of emcee's "moves":

* predict -- :class:`Predictor`: ``predict(state) -> theta_star``;
* path -- :class:`~lagopt.optim.laml.PathSolver`: ``solve(state, theta_star) -> CandidatePath``;
* verify -- :class:`Criterion`: ``accept(state, path) -> bool``;
* explore -- :class:`Explorer`: ``explore(state, path, stages) -> CandidatePath``;
* update -- :class:`Update`: ``step(state, path) -> (x, loss, grad)``;
* confidence -- :class:`Confidence`: ``update(state, accepted, improved)``.

Every stage evaluates the loss only through ``state.view``, a :class:`BudgetView`: an
:class:`~lagopt.objectives.Objective` that forwards to the run's
:class:`~lagopt.optim._budget.BudgetedObjective`, so every evaluation -- including those made
inside a path solver -- is charged by the one budget rule, and no stage can overspend.
"""
import math

import numpy as np

from ..._status import Status, checked_status
from ...objectives import Objective
from ...paths.core import (BVPProblem, RawSolution, finalize, polyline_kinetic, seed_rule_parts,
                           trapezoid_potential)

__all__ = ["BudgetView", "LAMLState", "CandidatePath", "Stage", "Predictor", "Criterion",
           "Explorer", "Update", "Confidence"]


def two_nodes(a, b):
    """The ``(n, 2)`` array of columns `a` and `b` (``np.column_stack([a, b])``, without its
    per-call overhead)."""
    theta = np.empty((a.shape[0], 2))
    theta[:, 0] = a
    theta[:, 1] = b
    return theta


# Points remembered by a BudgetView (about 0.3 kB each for the 37-parameter network).
_TAPE_SIZE = 4096


class BudgetView(Objective):
    """An :class:`~lagopt.objectives.Objective` whose every evaluation is charged to a budget.

    Parameters
    ----------
    budgeted : BudgetedObjective
        The run's budgeted objective (see :mod:`lagopt.optim._budget`).
    tape_size : int, optional
        How many evaluated points are remembered (see Notes).

    Attributes
    ----------
    budget : BudgetedObjective
    inner : Objective
        The objective itself. Stages may read its data (``X``, ``y``, layer sizes) but must not
        evaluate it: evaluations go through the view.

    Notes
    -----
    The view is what path solvers receive as their objective, so whatever a solver evaluates
    is charged, batched calls per column, with the rule of :data:`lagopt.optim.COSTS`.

    It keeps a *tape* of the points it has evaluated, with their losses (and gradients where
    computed). Asking again for the loss or gradient of a point on the tape returns the stored
    value without a charge: the objective is deterministic, so the value is the one already
    paid for. This is what makes the losses at a solved path's nodes free when the solver has
    evaluated them, and a gradient computed at a path's end reusable as the next iterate's.
    Points are matched exactly (bit for bit); the tape is cleared by the loop between
    iterations and when it exceeds `tape_size` entries.
    """

    def __init__(self, budgeted, tape_size=_TAPE_SIZE):
        super().__init__(budgeted.n_params)
        self.budget = budgeted
        self.inner = budgeted.objective
        self.smooth = bool(getattr(self.inner, "smooth", True))
        self.hessp_cost = float(getattr(self.inner, "hessp_cost", 2.0))
        self.name = f"budgeted {getattr(self.inner, 'name', 'objective')}"
        self._tape = {}
        self._tape_size = int(tape_size)

    # ------------------------------------------------------------------ tape
    @staticmethod
    def _key(x):
        return np.ascontiguousarray(x, dtype=np.float64).tobytes()

    def note(self, x, loss=None, grad=None):
        """Put a point whose loss (and/or gradient) has been paid for on the tape."""
        if len(self._tape) >= self._tape_size:
            self._tape.clear()
        entry = self._tape.setdefault(self._key(x), [None, None])
        if loss is not None:
            entry[0] = float(loss)
        if grad is not None:
            entry[1] = np.array(grad, dtype=np.float64, copy=True)

    def known(self, x):
        """``[loss, grad]`` of `x` on the tape (either may be None; the stored gradient
        itself, not a copy: do not modify it), or None when `x` is not on it."""
        return self._tape.get(self._key(x))

    def known_loss(self, x):
        """The loss at `x` if it is on the tape, else None (no charge either way)."""
        entry = self._tape.get(self._key(x))
        return None if entry is None else entry[0]

    def known_grad(self, x):
        """The gradient at `x` if it is on the tape, else None (no charge either way)."""
        entry = self._tape.get(self._key(x))
        return None if entry is None or entry[1] is None else entry[1].copy()

    def clear_tape(self):
        self._tape.clear()

    # ------------------------------------------------------------------ evaluations
    def _loss(self, theta):
        known = self.known_loss(theta)
        if known is not None:
            return known
        value = float(self.budget.loss(theta))
        self.note(theta, loss=value)
        return value

    def _grad(self, theta):
        known = self.known_grad(theta)
        if known is not None:
            return known
        value, g = self.budget.loss_and_grad(theta)  # the loss comes free with the gradient
        self.note(theta, loss=value, grad=g)
        return np.array(g, copy=True)

    def _loss_and_grad(self, theta):
        entry = self._tape.get(self._key(theta))
        if entry is not None and entry[0] is not None and entry[1] is not None:
            return entry[0], entry[1].copy()
        value, g = self.budget.loss_and_grad(theta)
        self.note(theta, loss=value, grad=g)
        return float(value), np.array(g, copy=True)

    def _hess(self, theta):
        return self.budget.hess(theta)

    def _hessp(self, theta, v):
        return self.budget.hessp(theta, v)

    def _loss_batch(self, P):
        m = P.shape[1]
        out = np.empty(m)
        todo = []
        for j in range(m):
            known = self.known_loss(P[:, j])
            if known is None:
                todo.append(j)
            else:
                out[j] = known
        if todo:
            Q = np.ascontiguousarray(P[:, todo])
            vals = np.asarray(self.budget.loss_batch(Q), dtype=np.float64)
            for j, v in zip(todo, vals):
                out[j] = v
                self.note(P[:, j], loss=v)
        return out

    def _grad_batch(self, P):
        m = P.shape[1]
        out = np.empty_like(P)
        todo = []
        for j in range(m):
            known = self.known_grad(P[:, j])
            if known is None:
                todo.append(j)
            else:
                out[:, j] = known
        if todo:
            Q = np.ascontiguousarray(P[:, todo])
            G = np.asarray(self.budget.grad_batch(Q), dtype=np.float64)
            for k, j in enumerate(todo):
                out[:, j] = G[:, k]
                self.note(P[:, j], grad=G[:, k])
        return out

    def _hess_batch(self, P):
        return self.budget.hess_batch(P)


class LAMLState:
    """The state a LAML iteration works on (shared by the stages of one run).

    Attributes
    ----------
    x : ndarray, shape (n,)
        Current iterate.
    loss : float
        Loss at `x` (always known: every iterate's loss has been paid for).
    grad : ndarray or None
        Gradient at `x` when known; :meth:`ensure_grad` pays for it when it is not.
    view : BudgetView
        The objective, charged.
    objective : Objective
        The objective itself, for its data only (never evaluate it directly).
    rng : numpy.random.Generator
        The run's random stream (anything with ``standard_normal(size)`` works).
    lam, T : float
        Weight of the loss in the action and horizon of the paths.
    confidence : float
        Current confidence (maintained by the :class:`Confidence` stage).
    iteration : int
        Number of completed iterations.
    x_prev, grad_prev : ndarray or None
        The previous iterate and its gradient (if it was known).
    model : callable or None
        Set by a predictor that has a local quadratic model of the loss (the quasi-Newton
        one): ``model()`` returns it as a
        :class:`~lagopt.optim.laml.model_path.QuadraticModel` (built on demand).
    path_solves : dict
        Euler-Lagrange problems solved so far, by kind: ``"model"`` (the closed-form path of
        the quadratic model, no evaluation) and ``"direct"`` (the actual loss's, by the direct
        method), and ``"direct_cost"``, the gradient evaluations those cost.
    lbfgs_memory, first_step : int or None, float or None
        Set by a hedge start (:class:`~lagopt.optim.laml.StallRestart`'s `hedge_memory` and
        `hedge_first_step`): from then on a quasi-Newton predictor keeps an L-BFGS memory of
        this many pairs whatever the number of parameters, and takes this gradient step
        before it has a pair (None: the predictor's own).
    """

    def __init__(self, x, loss, grad, view, rng, lam, T, confidence):
        self.x = x
        self.loss = float(loss)
        self.grad = grad
        self.view = view
        self.objective = view.inner
        self.rng = rng
        self.lam = float(lam)
        self.T = float(T)
        self.confidence = float(confidence)
        self.iteration = 0
        self.x_prev = None
        self.grad_prev = None
        self.model = None
        self.path_solves = {"model": 0, "direct": 0, "direct_cost": 0.0}
        self.lbfgs_memory = None
        self.first_step = None

    @property
    def n(self):
        return self.x.shape[0]

    def ensure_grad(self):
        """The gradient at `x`, paid for (1 gradient evaluation) unless already known."""
        if self.grad is None:
            _, self.grad = self.view.loss_and_grad(self.x)
        return self.grad

    def move(self, x, loss, grad=None):
        """Make `x` (with its known `loss`, and `grad` if known) the current iterate."""
        self.x_prev, self.grad_prev = self.x, self.grad
        self.x = np.asarray(x, dtype=np.float64)
        self.loss = float(loss)
        if grad is None:
            grad = self.view.known_grad(self.x)
        self.grad = grad


class CandidatePath:
    """A path from the current iterate towards a candidate end point, with what is known on it.

    Not a certified path: it is known only at its nodes, through the losses LAML paid for
    there, and ``success`` is the producing method's own verdict. :meth:`to_action_path`
    measures and certifies it as a `lagopt.paths.ActionPath` (outside the budget).

    Attributes
    ----------
    t : ndarray, shape (k,)
        Node times in ``[0, T]``.
    theta : ndarray, shape (n, k)
        Nodes; ``theta[:, 0]`` is the current iterate.
    losses : ndarray, shape (k,)
        Losses at the nodes (all paid for; NaN where a stage chose not to evaluate).
    method : str
        Path method that produced the nodes (``"linear"``, ``"smoothstep"``, ``"direct"``, ...).
    success : bool
        ``status == Status.SUCCESS``: a solver solved the Euler-Lagrange problem.
    status : lagopt.Status
        The solver's status; ``NOT_SOLVED`` for an interpolant and for a point produced by an
        explorer or a fall-back.
    message : str
    lam, T : float
    raw : object or None
        The solver's raw solution (for :meth:`to_action_path`).
    info : dict
        Extras (for instance ``forced=True`` for an explorer's fall-back step).

    Notes
    -----
    ``action`` is the discrete (trapezoid) action of the nodes,

    .. math::

        S_h = \\sum_i \\frac{\\lVert\\theta_{i+1} - \\theta_i\\rVert^2}{2 (t_{i+1} - t_i)}
              + \\lambda \\sum_i (t_{i+1} - t_i) \\frac{L_i + L_{i+1}}{2},

    computed only from losses that were paid for. It is the functional the direct method
    minimises (for its trapezoid rule), exact in its kinetic part for a straight line. The
    accurate quadrature of :func:`lagopt.paths.action` would need about a thousand more loss
    evaluations per path; :meth:`to_action_path` provides it, outside the budget, for
    diagnostics.
    """

    def __init__(self, t, theta, losses, method, lam, T, success=False,
                 status=Status.NOT_SOLVED, message="", raw=None, info=None, kinetic=None,
                 kinetic_error=0.0, exact_kinetic=None, kinetic_bounds=None,
                 estimate_kinetic=None):
        self.t = np.asarray(t, dtype=np.float64)
        self.theta = np.asarray(theta, dtype=np.float64)
        self.losses = np.asarray(losses, dtype=np.float64)
        self.method = method
        self.lam = float(lam)
        self.T = float(T)
        self.success, self.status = checked_status(success, status, "CandidatePath")
        self.message = message
        self.raw = raw
        self.info = {} if info is None else info
        # A path known in closed form between its nodes gives its exact kinetic energy; an
        # approximate one (Krylov quadrature of the model path) its error estimate and a
        # callable giving the exact value on demand (see `action_below`).
        self._kinetic = None if kinetic is None else float(kinetic)
        self.kinetic_error = float(kinetic_error)
        self._exact_kinetic = exact_kinetic
        # Cheaper still: bounds ``(lo, hi)`` of the kinetic energy, and a callable giving the
        # estimate ``(kinetic, error)`` on first use (see `action_below`, `reported_action`).
        self._bounds = kinetic_bounds
        self._estimate = estimate_kinetic
        self._decided = None
        self._potential = None

    @property
    def k(self):
        """Number of nodes."""
        return self.t.size

    @property
    def end(self):
        """The end point ``theta[:, -1]``."""
        return self.theta[:, -1]

    # The nodes and their losses are fixed once the path is built: measure them once.
    @property
    def kinetic(self):
        if self._kinetic is None:
            if self._estimate is not None:
                kinetic, error = self._estimate()
                self._kinetic, self.kinetic_error = float(kinetic), float(error)
                self._estimate = None
            else:
                self._kinetic = polyline_kinetic(self.t, self.theta)
        return self._kinetic

    @property
    def potential(self):
        if self._potential is None:
            if self.t.size == 2:   # trapezoid_potential's operations, on two nodes
                t0, t1 = self.t.tolist()
                L0, L1 = self.losses.tolist()
                self._potential = self.lam * ((t1 - t0) * 0.5 * (L0 + L1))
            else:
                self._potential = trapezoid_potential(self.t, self.losses, self.lam)
        return self._potential

    @property
    def action(self):
        """Discrete trapezoid action of the nodes (NaN if a node's loss is unknown).

        For a model path whose kinetic energy was estimated by Krylov quadrature
        (:func:`~lagopt.optim.laml.model_path.krylov_kinetic`) the kinetic part is that
        estimate, a lower bound within ``kinetic_error`` of the exact value."""
        return self.kinetic + self.potential

    @property
    def reported_action(self):
        """The action LAML's history records: :attr:`action`, or, when :meth:`action_below`
        was decided by the kinetic energy's bounds alone and nothing has asked for the
        kinetic energy since, the bound that decided it (the upper bound of an accepted path,
        the lower bound of a rejected one)."""
        if self._kinetic is None and self._decided is not None:
            return self._decided
        return self.action

    def exact_kinetic(self):
        """Replace an estimated kinetic energy by the exact one (no-op when it is exact)."""
        self.kinetic                                    # a deferred estimate first
        if self._exact_kinetic is not None and self.kinetic_error > 0:
            self._kinetic = float(self._exact_kinetic())
            self.kinetic_error = 0.0
        self._exact_kinetic = None
        return self.kinetic

    def action_below(self, bound):
        """``action < bound``, decided as with the exact kinetic energy: first by the kinetic
        energy's bounds, when the path has them and they decide (``hi + potential < bound``
        or ``lo + potential >= bound``), without computing it; then by the estimated kinetic
        energy (see :attr:`action`), replaced by the exact one when `bound` lies within its
        error estimate (it is a lower bound, so ``action >= bound`` is certain already)."""
        if self._kinetic is None and self._bounds is not None:
            P = self.potential
            if not math.isfinite(P):
                return False
            lo, hi = self._bounds
            if hi + P < bound:
                self._decided = hi + P
                return True
            if lo + P >= bound:
                self._decided = lo + P
                return False
        S = self.action
        if not np.isfinite(S):
            return False
        if self.kinetic_error > 0 and S < bound <= S + self.kinetic_error:
            S = self.exact_kinetic() + self.potential
        return bool(S < bound)

    def seed_action(self):
        """The original experiment's rule ``sum_{i<k-1} [1/2 |dtheta_i|^2 + lam L_i] / k``."""
        kinetic, potential = seed_rule_parts(self.theta, self.losses[:-1], self.lam)
        return float(kinetic + potential)

    def best_node(self, first=1):
        """Index of the node of least known loss among ``first, ..., k-1``."""
        if first >= self.t.size - 1:
            return self.t.size - 1
        L = np.where(np.isfinite(self.losses[first:]), self.losses[first:], np.inf)
        j = int(np.argmin(L))
        return first + j if np.isfinite(L[j]) else self.k - 1

    def to_action_path(self, objective):
        """Measure this path with :func:`lagopt.paths`' quadrature, outside the budget.

        Parameters
        ----------
        objective : Objective
            The objective itself (not a budget view): this is a diagnostic, and charging it
            would cost about a thousand loss evaluations.

        Returns
        -------
        lagopt.paths.ActionPath
        """
        raw = self.raw
        if raw is None:
            v = np.gradient(self.theta, self.t, axis=1) if self.k > 1 else 0 * self.theta
            raw = RawSolution(t=self.t, theta=self.theta, theta_dot=v, success=self.success,
                              status=self.status, message=self.message)
        problem = BVPProblem(objective, self.theta[:, 0].copy(), self.theta[:, -1].copy(),
                             self.T, self.lam)
        return finalize(problem, raw, self.method)

    def __repr__(self):
        return (f"CandidatePath(method={self.method!r}, k={self.k}, action={self.action:.6g}, "
                f"end_loss={self.losses[-1]:.6g}, success={self.success})")


class Stage:
    """Base of all stages: a ``reset`` hook and a readable ``repr``.

    Stages are configured at construction (validated there, with messages naming the
    argument) and may keep state during a run (memory of a quasi-Newton predictor, an adapted
    step size); :meth:`reset` is called once at the start of every run, so the same stage
    object gives the same result when reused.
    """

    def reset(self, state):
        """Prepare for a new run (called once, before the first iteration)."""

    def _params(self):
        return {}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"


class Predictor(Stage):
    """Meta-prediction: from the data and the current state to an end point ``theta*``.

    ``needs_grad`` says whether the predictor uses the gradient at the current iterate (the
    loop then makes sure it is known, and tests it against ``gtol``).
    """

    needs_grad = True

    def predict(self, state):
        """Return the predicted end point, shape ``(n,)``."""
        raise NotImplementedError


class Criterion(Stage):
    """Action verification: is the path worth following?

    A criterion may also state the longest move it could ever accept (:meth:`max_move`); the
    loop then rejects longer predictions without paying for their evaluation, and explorers
    start from that length.
    """

    def max_move(self, state):
        """Upper bound on the length ``|theta* - theta|`` of an acceptable move (default inf)."""
        return np.inf

    def accept(self, state, path):
        """Return True to follow `path`, False to explore."""
        raise NotImplementedError


class Explorer(Stage):
    """Exploration after a rejection: return the path to follow instead."""

    def explore(self, state, path, stages):
        """Return a :class:`CandidatePath` (possibly `path` itself).

        ``stages`` is the run's :class:`~.core.LAMLStages` (its path solver and criterion
        may be used to build and check candidates).
        """
        raise NotImplementedError


class Update(Stage):
    """How far to move along the followed path."""

    def step(self, state, path):
        """Return ``(x_new, loss_new, grad_new_or_None)``; the loss must be paid for."""
        raise NotImplementedError


class Confidence(Stage):
    """How much the loop trusts its predictions (``state.confidence``)."""

    initial = 1.0

    def update(self, state, accepted, improved):
        """Adjust ``state.confidence`` after an iteration."""
        raise NotImplementedError
