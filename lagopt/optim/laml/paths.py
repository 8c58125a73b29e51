"""The path stage: a path from the current iterate to the predicted end point, on the budget.

:class:`PathSolver` runs any method of :func:`lagopt.solve_action_path` -- the interpolants
``"linear"`` and ``"smoothstep"`` or the solvers ``"direct"``, ``"collocation"``, ``"shooting"``,
``"multiple_shooting"`` (and ``"auto"``) -- on the run's :class:`~._base.BudgetView`, so that
every evaluation the solver makes is charged, and returns a :class:`~._base.PathResult` whose
node losses are all paid for.

It solves through the package's one core (``lagopt.paths._dispatch.dispatch``: the same method
table and ``"auto"`` rule as ``solve_action_path``) rather than ``solve_action_path`` itself,
because that function also
*measures* every path (a 1,000-point quadrature of the loss and an Euler-Lagrange residual with
about ``4k`` gradients) and warms the kernels up with a Hessian, about 550 gradient evaluations
per call for the 37-parameter network. Charged, that would make every LAML iteration cost more
than 500 gradient-descent steps; uncharged, the optimizer would be using information it did
not pay for. So the stage solves the same problem through the same dispatch, and measures the path
with the discrete action of its nodes (:attr:`PathResult.action`), whose losses it pays for.
:meth:`PathResult.to_action_path` gives the full measurement, outside the budget, as a
diagnostic.
"""
import numpy as np

from ..._status import Status
from ..._validation import choice, positive_int
from ...paths._dispatch import INTERPOLANTS, METHODS, dispatch
from ...paths._problem import BVPProblem
from ._base import PathResult, Stage

__all__ = ["PathSolver", "PATH_METHODS"]

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
        Passed to the solver (for instance ``tol``, ``maxiter``, ``solver``, ``rule`` for
        ``"direct"``; ``max_nodes``, ``tol`` for ``"collocation"``). For ``"direct"`` the
        defaults are ``n_nodes=4, solver="lbfgs", newton_tol=1e-3, maxiter=5, max_time=5``.

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
            return PathResult([0.0, state.T], theta, [state.loss, np.inf], self.method,
                              state.lam, state.T, success=False, status=Status.NON_FINITE,
                              message="The predicted end point is not finite.")
        view.note(state.x, loss=state.loss, grad=state.grad)
        problem = BVPProblem(view, state.x.copy(), x_end.copy(), state.T, state.lam)
        method, raw = self._run(problem)
        theta = np.asarray(raw.theta, dtype=np.float64).copy()
        theta[:, 0], theta[:, -1] = state.x, x_end
        t = np.asarray(raw.t, dtype=np.float64)
        return self._finish(state, t, theta, method, raw)

    def _run(self, problem):
        """``(method used, RawSolution)`` from the package's one dispatch."""
        opts = dict(self.options)
        if self.method in INTERPOLANTS:
            opts["n_nodes"] = self.n_nodes or _INTERPOLANT_NODES[self.method]
        direct = dict(_DIRECT_DEFAULTS)
        if self.n_nodes is not None:
            direct["n_nodes"] = self.n_nodes
        with np.errstate(all="ignore"):
            d = dispatch(problem, self.method, None, defaults={"direct": direct}, **opts)
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
        return PathResult(t, theta, losses, method, state.lam, state.T,
                          success=status == Status.SUCCESS, status=status,
                          message=raw.message, raw=raw,
                          info=dict(getattr(raw, "info", {}) or {}))

    def unevaluated(self, state, x_end, message):
        """A two-node straight path to `x_end` whose end was *not* evaluated (loss NaN)."""
        theta = np.column_stack([state.x, np.asarray(x_end, dtype=np.float64)])
        return PathResult([0.0, state.T], theta, [state.loss, np.nan], "linear", state.lam,
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
        theta = np.column_stack([state.x, x_end])
        return PathResult(np.array([0.0, state.T]), theta, np.array([state.loss, loss]),
                          "linear", state.lam, state.T, success=False,
                          status=Status.NOT_SOLVED,
                          message=label, info={"label": label})
