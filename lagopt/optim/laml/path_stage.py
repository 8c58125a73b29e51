"""The path stage: a path from the current iterate to the predicted end point, on the budget.

:class:`PathSolver` runs any method of :func:`lagopt.solve_action_path` -- the interpolants
``"linear"`` and ``"smoothstep"`` or the solvers ``"direct"``, ``"collocation"``, ``"shooting"``,
``"multiple_shooting"`` (and ``"auto"``) -- on the run's :class:`~._base.BudgetView`, so that
every evaluation the solver makes is charged, and returns a :class:`~._base.CandidatePath` whose
node losses are all paid for.

It solves through the package's one core (:func:`lagopt.paths.core.dispatch`: the same method
objects and ``"auto"`` rule as ``solve_action_path``) rather than ``solve_action_path`` itself,
because that function also
*measures* every path (a 1,000-point quadrature of the loss and an Euler-Lagrange residual with
about ``4k`` gradients) and warms the kernels up with a Hessian, about 550 gradient evaluations
per call for the 37-parameter network. Charged, that would make every LAML iteration cost more
than 500 gradient-descent steps; uncharged, the optimizer would be using information it did
not pay for. So the stage solves the same problem through the same dispatch, and measures the path
with the discrete action of its nodes (:attr:`CandidatePath.action`), whose losses it pays for.
:meth:`CandidatePath.to_action_path` gives the full measurement, outside the budget, as a
diagnostic.
"""
import numpy as np

from ..._status import Status
from ..._validation import choice, positive_float, positive_int
from ...paths.core import INTERPOLANTS, METHOD_CLASSES, METHODS, BVPProblem, Guess, dispatch
from ...paths.methods import Auto, Collocation, Direct
from ._base import CandidatePath, Stage, two_nodes
from ._kernels import vdot
from .model_path import KRYLOV_MAX_STEPS, QuadraticModel, kinetic_bounds, krylov_kinetic
from .predictors import DenseInverseModel, LBFGSModel

__all__ = ["PathSolver", "ModelPathSolver", "PATH_METHODS"]

#: Methods of :func:`lagopt.solve_action_path` the stage accepts.
PATH_METHODS = METHODS

# Cheap defaults for the direct method inside an optimizer loop: a few nodes and a loose
# tolerance (the path is a proposal, not a certificate), L-BFGS (Newton needs Hessians, which
# cost n_params gradient evaluations per node).
_DIRECT_DEFAULTS = {"n_nodes": 4, "solver": "lbfgs", "newton_tol": 1e-3, "maxiter": 5,
                    "max_time": 5.0}
# Nodes of the interpolants when `n_nodes` is not given: the two ends of the straight line;
# the reference experiment's 10 smoothstep points.
_INTERPOLANT_NODES = {"linear": 2, "smoothstep": 10}


class PathSolver(Stage):
    """Path stage: any :func:`lagopt.solve_action_path` method, every evaluation charged.

    Parameters
    ----------
    method : str, optional
        One of :data:`PATH_METHODS`. Default ``"linear"`` (the uniform straight line).
    n_nodes : int, optional
        Nodes of the returned path (including both ends) for the interpolants, at which the
        loss is evaluated; passed to the direct method as its ``n_nodes``. Default 2 for
        ``"linear"`` (the two ends only), 10 for ``"smoothstep"`` (the reference experiment),
        4 for ``"direct"``.
    end_grad : bool, optional
        Evaluate the end point with its gradient (1 gradient evaluation instead of 1/2 for the
        loss alone). When the loop then moves to the end, that gradient is the next iterate's
        and is not paid twice. Default False.
    evaluate : {"all", "end"}, optional
        Which interpolant nodes to evaluate: all of them (needed for the action of a path with
        interior nodes), or only the end. Default ``"all"``.
    **options
        Options of the method's class (`lagopt.paths.Direct`, `lagopt.paths.Collocation`,
        ...; for instance ``newton_tol``, ``maxiter``, ``solver``, ``rule`` for ``"direct"``;
        ``max_nodes``, ``tol`` for ``"collocation"``; ``chain`` for ``"auto"``). For
        ``"direct"`` (alone or in ``"auto"``'s default chain) the defaults are ``n_nodes=4,
        solver="lbfgs", newton_tol=1e-3, maxiter=5, max_time=5``.

    Notes
    -----
    The loss weight ``lam`` and the horizon ``T`` come from the loop (``state.lam``,
    ``state.T``). A solver that stops early returns its last path with ``success=False``;
    it is still a path, judged by its action (a non-finite end is returned with an infinite
    loss and rejected). Running out of budget inside a solver propagates
    :class:`~lagopt.optim.BudgetExhausted` to the loop, which ends the run cleanly.

    Examples
    --------
    >>> from lagopt.optim.laml import PathSolver
    >>> PathSolver("direct", n_nodes=3)
    PathSolver(method='direct', n_nodes=3, end_grad=False, evaluate='all', options={})
    """

    def __init__(self, method="linear", n_nodes=None, end_grad=False, evaluate="all",
                 **options):
        self.method = choice(method, "method", PATH_METHODS)
        if n_nodes is not None:
            n_nodes = positive_int(n_nodes, "n_nodes", minimum=2)
        self.n_nodes = n_nodes
        self.end_grad = bool(end_grad)
        self.evaluate = choice(evaluate, "evaluate", ("all", "end"))
        if "T" in options or "lam" in options:
            raise TypeError("`T` and `lam` are options of the LAML loop, not of its path stage.")
        self.options = dict(options)

    def _params(self):
        return {"method": self.method, "n_nodes": self.n_nodes, "end_grad": self.end_grad,
                "evaluate": self.evaluate, "options": self.options}

    def solve(self, state, x_end):
        """Path from ``state.x`` to `x_end`, with the losses at its nodes paid for."""
        x_end = np.asarray(x_end, dtype=np.float64)
        view = state.view
        if not np.all(np.isfinite(x_end)):
            theta = np.column_stack([state.x, x_end])
            return CandidatePath([0.0, state.T], theta, [state.loss, np.inf], self.method,
                                 state.lam, state.T, success=False, status=Status.NON_FINITE,
                                 message="The predicted end point is not finite.")
        view.note(state.x, loss=state.loss, grad=state.grad)
        problem = BVPProblem(view, state.x.copy(), x_end.copy(), state.T, state.lam)
        method, raw = self._run(problem)
        theta = np.asarray(raw.theta, dtype=np.float64).copy()
        theta[:, 0], theta[:, -1] = state.x, x_end
        t = np.asarray(raw.t, dtype=np.float64)
        return self._finish(state, t, theta, method, raw)

    def _path_method(self):
        """The method object: the stage's method with its options, on the loop's cheap
        defaults for the direct method."""
        opts = dict(self.options)
        if self.method in INTERPOLANTS:
            opts["n_nodes"] = self.n_nodes or _INTERPOLANT_NODES[self.method]
        direct = dict(_DIRECT_DEFAULTS)
        if self.n_nodes is not None:
            direct["n_nodes"] = self.n_nodes
        if self.method == "direct":
            return Direct(**{**direct, **opts})
        if self.method == "auto" and "chain" not in opts:
            budget = opts.get("collocation_max_time", Auto.collocation_max_time)
            opts["chain"] = (Collocation(max_time=budget), Direct(**direct))
        return METHOD_CLASSES[self.method](**opts)

    def _run(self, problem):
        """``(method used, RawSolution)`` from the package's one dispatch."""
        method = self._path_method()
        with np.errstate(all="ignore"):
            d = dispatch(problem, method, None)
        return d.method, d.raw

    def _finish(self, state, t, theta, method, raw):
        view = state.view
        k = t.size
        losses = np.full(k, np.nan)
        losses[0] = state.loss
        for j in range(1, k):
            known = view.known_loss(theta[:, j])
            if known is not None:
                losses[j] = known
        if self.end_grad and view.known_grad(theta[:, -1]) is None:
            losses[-1], _ = view.loss_and_grad(theta[:, -1])
        todo = [j for j in range(1, k) if np.isnan(losses[j])
                and (self.evaluate == "all" or j == k - 1)]
        if todo:
            losses[todo] = view.loss_batch(np.ascontiguousarray(theta[:, todo]))
        status = raw.status if np.all(np.isfinite(theta)) else Status.NON_FINITE
        return CandidatePath(t, theta, losses, method, state.lam, state.T,
                             success=status == Status.SUCCESS, status=status,
                             message=raw.message, raw=raw,
                             info=dict(getattr(raw, "info", {}) or {}))

    def unevaluated(self, state, x_end, message):
        """A two-node straight path to `x_end` whose end was *not* evaluated (loss NaN)."""
        theta = two_nodes(state.x, np.asarray(x_end, dtype=np.float64))
        return CandidatePath((0.0, state.T), theta, (state.loss, np.nan), "linear", state.lam,
                             state.T, success=False, status=Status.NOT_SOLVED, message=message)

    def point(self, state, x_end, loss=None, grad=None, label="point"):
        """A two-node straight path to `x_end` whose end loss is known or paid for here.

        Used by explorers and updates for single candidate points (no solver involved).
        """
        view = state.view
        x_end = np.asarray(x_end, dtype=np.float64)
        if loss is None:
            loss = view.known_loss(x_end)
        if loss is None:
            if self.end_grad:
                loss, _ = view.loss_and_grad(x_end)
            else:
                loss = view.loss(x_end)
        elif grad is not None:
            view.note(x_end, loss=loss, grad=grad)
        theta = two_nodes(state.x, x_end)
        return CandidatePath((0.0, state.T), theta, (state.loss, loss),
                             "linear", state.lam, state.T, success=False,
                             status=Status.NOT_SOLVED,
                             message=label, info={"label": label})


# Fewest parameters for which ModelPathSolver(kinetic="auto") uses the Krylov kinetic energy.
_KRYLOV_MIN = 16
# The Krylov kinetic energy is used for paths to the model's minimiser step, up to this relative
# difference (rounding: the end is ``(x + d*) - x``).
_KRYLOV_END_RTOL = 1e-8


class ModelPathSolver(PathSolver):
    r"""Path stage: the least-action path of the predictor's local quadratic model.

    The quasi-Newton predictor models the loss around ``theta`` as ``m(theta + d) = L + g.d +
    1/2 d^T B d`` (``B`` the inverse of its BFGS or L-BFGS matrix). The Euler-Lagrange problem
    of the action under that model, ``d'' = lam (g + B d)``, ``d(0) = 0``, ``d(T) = theta* -
    theta``, has a closed form (:mod:`~lagopt.optim.laml.model_path`): with ``Omega = sqrt(lam
    B)``, ``d(t) = [I - sinh(Omega (T - t)) sinh(Omega T)^-1] d*`` for the full model step.
    Solving it costs no evaluation; the stage then pays for the end point (with its gradient)
    and returns the path with its exact kinetic energy, so that the criterion checks the action
    of the actual loss along the model's least-action path (trapezoid in time: the
    end losses). ``info["curve"]`` is the whole curve ``t -> theta(t)``, along which
    :class:`PathBacktrackExplorer` backtracks in time: early points have the stiff
    directions settled and the soft ones barely moved, as a Levenberg-Marquardt step with
    damping ``~ 1 / (lam t^2)`` would.

    Each call counts one solve of kind ``"model"`` in ``state.path_solves``.
    :meth:`refine` solves the actual loss's Euler-Lagrange problem with the direct method,
    warm-started from the model path (kind ``"direct"``, its gradient evaluations counted).

    Parameters
    ----------
    fallback_step : float, optional
        Without a model from the predictor, ``B = I / fallback_step`` (the model of a gradient
        step). Default 0.1.
    refine_nodes : int, optional
        Nodes (including the ends) of the direct solve of :meth:`refine`. Default 4.
    kinetic : {"auto", "exact", "krylov"}, optional
        How the kinetic energy of the path of a *dense* model (:class:`BFGSPredictor` up to
        its `max_dense`) is computed: ``"exact"`` from the eigendecomposition of the BFGS
        matrix (``O(n^3)`` per iteration); ``"krylov"`` by Lanczos quadrature
        (:func:`~lagopt.optim.laml.model_path.krylov_kinetic`, 8 products with the matrix,
        ``O(n^2)``, measured about 20 us for 37 parameters and 70 us for 193, against 110 us
        and 2.5 ms for the eigendecomposition); ``"auto"`` (default) Krylov from `krylov_min`
        parameters on. See Notes.
    krylov_min : int, optional
        Smallest number of parameters for which ``"auto"`` uses the Krylov estimate (and
        more than its 8 steps: with fewer parameters the Lanczos quadrature is exact and
        the eigendecomposition as cheap). Default 16.

    Notes
    -----
    With the Krylov route the kinetic energy is computed only as far as the criterion's
    decision needs it, in three tiers (:meth:`CandidatePath.action_below`): closed-form
    bounds first (:func:`~lagopt.optim.laml.model_path.kinetic_bounds`, from ``|d*|^2`` and
    ``-g.d*``, no product with the matrix), which decide about 97-99 % of the resting-action
    tests on LAML's networks with ``lam = 1e4``, 99.9 % with the default 1e8; then the Krylov
    estimate, a lower bound of the exact kinetic energy (Gauss quadrature of a completely
    monotone function) within a few per cent of it,
    with an a-posteriori error estimate (``CandidatePath.kinetic_error``); then the exact
    value -- the eigendecomposition, made only then -- when the threshold falls within that
    error estimate. So the decisions are those of the exact kinetic energy. The action in
    LAML's history is the bound that decided when the bounds did (the upper bound of an
    accepted path), otherwise the estimate: the kinetic part is a small fraction of the
    action with LAML's ``lam`` (about 0.1-0.2 % on the race's networks with ``lam = 1e4``, less
    with the default 1e8), so the reported action
    is within a fraction of a per cent of the exact one. The curve
    (``info["curve"]``, ``info["model_path"]``, ``info["model"]``) is always the exact
    one, built on first use.
    """

    def __init__(self, fallback_step=0.1, refine_nodes=4, kinetic="auto",
                 krylov_min=_KRYLOV_MIN):
        super().__init__("linear", n_nodes=2, end_grad=True, evaluate="end")
        self.method = "model"
        self.fallback_step = positive_float(fallback_step, "fallback_step")
        self.refine_nodes = positive_int(refine_nodes, "refine_nodes", minimum=3)
        self.kinetic = choice(kinetic, "kinetic", ("auto", "exact", "krylov"))
        self.krylov_min = positive_int(krylov_min, "krylov_min", minimum=1)

    def _params(self):
        out = {"fallback_step": self.fallback_step, "refine_nodes": self.refine_nodes}
        if self.kinetic != "auto" or self.krylov_min != _KRYLOV_MIN:
            out.update(kinetic=self.kinetic, krylov_min=self.krylov_min)
        return out

    def _use_krylov(self, state):
        spec = state.model
        if not isinstance(spec, DenseInverseModel) or self.kinetic == "exact":
            return False
        return self.kinetic == "krylov" or (state.n >= self.krylov_min
                                            and state.n > KRYLOV_MAX_STEPS)

    def model_path(self, state, x_end):
        """``(QuadraticModel, ModelPath)`` from ``state.x`` to `x_end` (counted)."""
        model = state.model() if state.model is not None else None
        if model is None:
            model = QuadraticModel.from_step(state.ensure_grad(), self.fallback_step,
                                             state.loss)
        state.path_solves["model"] += 1
        return model, model.path(np.asarray(x_end, dtype=np.float64) - state.x, state.lam,
                                 state.T)

    def solve(self, state, x_end):
        x_end = np.asarray(x_end, dtype=np.float64)
        if not np.isfinite(x_end).all():
            return super().solve(state, x_end)
        x0 = state.x.copy()
        found = self._minimiser_step(state, x_end)
        if found is not None:
            # The path to the model's minimiser step: the kinetic energy's bounds first; the
            # Lanczos estimate (dense model) or the model's QR (L-BFGS memory) and its exact
            # kinetic energy only when they do not decide.
            spec, d_end, d_star = found
            state.path_solves["model"] += 1
            lam, T = state.lam, state.T
            bounds = kinetic_bounds(vdot(d_end, d_end), -vdot(d_star, spec.g), lam, T)
            loss = self._end_loss(state, x_end)
            if isinstance(spec, LBFGSModel):
                return self.lbfgs_path(state, x0, x_end, d_end, loss, bounds)
            return self.krylov_path(state, x0, x_end, d_end, loss, bounds=bounds,
                                    estimate=lambda: krylov_kinetic(spec.H, d_end, lam, T,
                                                                    d_star=d_star))
        model, mp = self.model_path(state, x_end)
        info = {"curve": lambda t, x0=x0, mp=mp: x0[:, None] + mp(t), "model_path": mp,
                "model": model}
        return self._path(state, x0, x_end, self._end_loss(state, x_end), info, mp.kinetic, {})

    def _minimiser_step(self, state, x_end):
        """``(spec, d_end, d_star)`` when ``state.model`` is a dense model on the Krylov route
        or an :class:`LBFGSModel` (not with ``kinetic="exact"``) and `x_end` is its minimiser
        step ``d_star`` to rounding (``d_end = x_end - x``), else None."""
        spec = state.model
        if self._use_krylov(state):
            d_star = spec.minimiser_step()
        elif (self.kinetic != "exact" and isinstance(spec, LBFGSModel)
              and spec.d_star is not None):
            d_star = spec.d_star
        else:
            return None
        d_end = x_end - state.x
        e = d_end - d_star
        if not vdot(e, e) <= _KRYLOV_END_RTOL ** 2 * vdot(d_star, d_star):
            return None   # not the model's minimiser step: the exact path
        return spec, d_end, d_star

    @staticmethod
    def _end_loss(state, x_end):
        """The loss at the path's end, paid for with its gradient unless on the tape."""
        known = state.view.known(x_end)
        if known is not None and known[0] is not None and known[1] is not None:
            return known[0]
        return state.view.loss_and_grad(x_end)[0]

    def krylov_path(self, state, x0, x_end, d_end, loss, *, kinetic=None, error=0.0,
                    bounds=None, estimate=None):
        """The path to the model's minimiser step ``x_end = x0 + d_end`` (``state.model`` a
        :class:`DenseInverseModel`), the end's `loss` paid for, whose kinetic energy is
        either `kinetic`, estimated by :func:`krylov_kinetic` with `error`, or deferred:
        `bounds` (:func:`kinetic_bounds`) and `estimate`, a callable giving ``(kinetic,
        error)`` when first needed."""
        info = _LazyModelInfo(state.model, d_end, state.lam, state.T, x0)
        extra = {"kinetic_error": error, "kinetic_bounds": bounds, "estimate_kinetic": estimate,
                 "exact_kinetic": lambda info=info: info["model_path"].kinetic}
        return self._path(state, x0, x_end, loss, info, kinetic, extra)

    def lbfgs_path(self, state, x0, x_end, d_end, loss, bounds):
        """The path to the minimiser step ``x_end = x0 + d_end`` of the L-BFGS model
        ``state.model`` (an :class:`LBFGSModel`), the end's `loss` paid for, with the
        kinetic energy's `bounds` (:func:`kinetic_bounds`); the model and the exact kinetic
        energy are built on first use."""
        info = _LazyModelInfo(state.model, d_end, state.lam, state.T, x0)
        return self._path(state, x0, x_end, loss, info, None,
                          {"kinetic_bounds": bounds,
                           "estimate_kinetic": lambda: (info["model_path"].kinetic, 0.0)})

    @staticmethod
    def _path(state, x0, x_end, loss, info, kinetic, extra):
        return CandidatePath((0.0, state.T), two_nodes(x0, x_end), (state.loss, loss),
                             "model", state.lam, state.T, success=False,
                             status=Status.NOT_SOLVED, message="the model's least-action path "
                             "(closed form); the actual loss checked at its end", info=info,
                             kinetic=kinetic, **extra)

    def refine(self, state, path):
        """Solve the actual loss's Euler-Lagrange problem to ``path.end`` (direct method,
        `refine_nodes` nodes, the loop's cheap settings), warm-started from the model curve;
        a :class:`CandidatePath` whose node losses are paid for."""
        curve = path.info.get("curve")
        t = np.linspace(0.0, state.T, self.refine_nodes)
        guess = None
        if curve is not None:
            with np.errstate(all="ignore"):
                theta = curve(t)
            if np.isfinite(theta).all():   # else the direct method's own straight start
                guess = Guess(t=t, theta=theta, label="model path")
        spent = state.view.budget.spent
        problem = BVPProblem(state.view, state.x.copy(), path.end.copy(), state.T, state.lam)
        direct = Direct(**dict(_DIRECT_DEFAULTS, n_nodes=self.refine_nodes))
        with np.errstate(all="ignore"):
            d = dispatch(problem, direct, guess)
        theta = np.asarray(d.raw.theta, dtype=np.float64).copy()
        theta[:, 0], theta[:, -1] = state.x, path.end
        out = self._finish(state, np.asarray(d.raw.t, dtype=np.float64), theta, d.method,
                           d.raw)
        state.path_solves["direct"] += 1
        state.path_solves["direct_cost"] += state.view.budget.spent - spent
        return out


class _LazyModelInfo(dict):
    """``info`` of a model path whose kinetic energy was estimated: ``"model"``,
    ``"model_path"`` (exact, one eigendecomposition) and ``"curve"`` are built on first use."""

    def __init__(self, spec, d_end, lam, T, x0):
        super().__init__()
        self._args = (spec, d_end, lam, T)
        self["curve"] = lambda t, x0=x0: x0[:, None] + self["model_path"](t)

    def __missing__(self, key):
        if key not in ("model", "model_path"):
            raise KeyError(key)
        spec, d_end, lam, T = self._args
        model = spec()
        self["model"], self["model_path"] = model, model.path(d_end, lam, T)
        return self[key]
