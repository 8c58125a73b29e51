"""`lagopt.action`: the action of any path (an `ActionPath`, a callable or an array of points).

It applies the quadrature of `_measure` -- the one every returned path is measured with -- so
that actions of paths from anywhere compare fairly; ``rule="seed"`` gives the original LAML
experiment's 10-point sum instead.
"""
from __future__ import annotations

from typing import Any, Callable, Literal, Optional, Tuple, Union, overload

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_points, choice, positive_float, positive_int
from ..objectives import Objective, as_objective
from ..objectives.callable import LossFunction
from ._formulas import seed_rule_parts
from ._measure import MIN_PANELS, call_path, callable_dense, linear_dense, quadrature
from ._result import ActionPath

__all__ = ["action", "action_saving"]

#: Points of the original experiment's path (``s_i = i / 9``) used by ``rule="seed"``.
SEED_RULE_POINTS = 10

# What `action` accepts as its loss and its path, and returns with ``return_parts=True``.
_Loss = Union[Objective, LossFunction]
_Path = Union[ActionPath, Callable[..., ArrayLike], ArrayLike]
_Parts = Tuple[float, float, float]


def _objective_of(objective: Union[Objective, LossFunction], path: Any) -> Objective:
    """The objective as an `Objective`; a plain callable gets ``n_params`` from the path."""
    if isinstance(objective, Objective):
        return objective
    theta = getattr(path, "theta", None)
    if theta is not None:
        n = np.shape(theta)[0]
    elif callable(path) and not isinstance(path, np.ndarray):
        n = np.atleast_1d(np.asarray(path(0.0), dtype=float)).shape[0]
    else:
        n = np.shape(path)[0] if np.ndim(path) >= 1 else None
    return as_objective(objective, n_params=n)


def _seed_rule(objective, lam, points):
    """``(S, K, V)`` of the original experiment's rule on `points` (shape ``(n, m)``)."""
    losses = objective.loss_batch(np.ascontiguousarray(points[:, :-1]))
    kinetic, potential = (float(v) for v in seed_rule_parts(points, losses, lam))
    return kinetic + potential, kinetic, potential


def _finite(dense):
    """`dense` that raises, naming `path`, where the user's callable is not finite."""
    def checked(tq):
        theta, theta_dot = dense(tq)
        if not (np.all(np.isfinite(theta)) and np.all(np.isfinite(theta_dot))):
            raise ValueError("`path` returned non-finite values (or a non-finite velocity) "
                             "at some time in [0, T].")
        return theta, theta_dot
    return checked


# The overloads tell a type checker that ``return_parts=True`` gives the three parts.
@overload
def action(objective: _Loss, path: _Path, lam: Optional[float] = ..., T: Optional[float] = ...,
           rule: str = ..., return_parts: Literal[False] = ..., min_panels: int = ...) -> float:
    ...


@overload
def action(objective: _Loss, path: _Path, lam: Optional[float], T: Optional[float], rule: str,
           return_parts: Literal[True], min_panels: int = ...) -> _Parts:
    ...


@overload
def action(objective: _Loss, path: _Path, lam: Optional[float] = ..., T: Optional[float] = ...,
           rule: str = ..., *, return_parts: Literal[True], min_panels: int = ...) -> _Parts:
    ...


@overload
def action(objective: _Loss, path: _Path, lam: Optional[float] = ..., T: Optional[float] = ...,
           rule: str = ..., return_parts: bool = ...,
           min_panels: int = ...) -> Union[float, _Parts]:
    ...


def action(objective: _Loss, path: _Path, lam: Optional[float] = None, T: Optional[float] = None,
           rule: str = "quadrature", return_parts: bool = False,
           min_panels: int = MIN_PANELS) -> Union[float, _Parts]:
    r"""Action of any path through a loss landscape, with one accurate quadrature.

    .. math::

        S[\theta] = \int_0^T \Bigl(\tfrac12\lVert\theta'(t)\rVert^2
                    + \lambda L(\theta(t))\Bigr)\,dt

    Parameters
    ----------
    objective : Objective or callable
        The loss ``L`` (plain callables are wrapped by ``lagopt.objectives.as_objective``).
    path : ActionPath, callable or array_like of shape (n, k)
        * an `ActionPath`: its dense output is used (and its ``T``, and its ``lam`` unless
          `lam` is given);
        * a callable ``t -> theta`` (``T`` required): evaluated at a 1-D array of times it
          should return shape ``(n, m)`` (otherwise it is called once per time and must return
          shape ``(n,)``). The velocity is taken from ``path.velocity(t)`` if it exists (e.g.
          `quadratic_solution`), else from ``path.derivative()`` (scipy interpolators), else by
          fourth-order finite differences with step ``7e-4 T`` (one-sided near the ends, so the
          callable is only evaluated inside ``[0, T]``), accurate to about ``1e-12``
          relative for paths that vary on the scale of ``T``;
        * an array of points, shape ``(n, k)``, ``k >= 2``: the points are taken as equally
          spaced in time on ``[0, T]`` and joined by straight segments (piecewise-linear path:
          its kinetic part is exactly ``sum 1/2 |Delta theta_i|^2 / h``).
    lam : float, optional
        Weight ``lambda >= 0`` of the loss. Default: the path's own ``lam`` for an
        `ActionPath`, else 1.0.
    T : float, optional
        Horizon. Default: the path's ``T`` for an `ActionPath` (a different value is an
        error), 1.0 for arrays; required for callables.
    rule : {"quadrature", "seed"}, optional
        ``"quadrature"`` (default): composite 5-point Gauss-Legendre quadrature (see Notes).
        ``"seed"``: the discrete formula by which the original LAML experiment accepted or
        rejected a path; for 10 points
        ``sum_{i=0}^{8} [1/2 |theta_{i+1} - theta_i|^2 + lam L(theta_i)] / 10``, for ``k``
        points the same sum over ``k - 1`` steps divided by ``k``. An `ActionPath` or callable
        is first sampled at 10 equally spaced times ``t_i = i T / 9``. The formula ignores
        ``T`` and is not a consistent approximation of the action; it is provided to reproduce
        that experiment.
    return_parts : bool, optional
        Return ``(action, kinetic, potential)`` instead of the action alone; ``potential``
        includes the factor ``lam``.
    min_panels : int, optional
        Minimum number of quadrature panels on ``[0, T]`` (default 200).

    Returns
    -------
    float or tuple of float

    Notes
    -----
    Quadrature: the breakpoints of the path (an `ActionPath`'s mesh, the array's time grid, or
    a uniform grid for callables) are refined so that there are at least `min_panels` panels,
    each inside one interval; every panel gets 5 Gauss-Legendre points [1]_ (exact to degree
    9, so the kinetic part of piecewise cubic paths, and of the interpolants, is exact). The
    loss is evaluated once, batched, at all quadrature points. This is the routine used to
    measure every path `solve_action_path` returns, so all methods are compared with the same
    rule.

    References
    ----------
    .. [1] P. J. Davis and P. Rabinowitz, "Methods of Numerical Integration", 2nd ed.,
       Academic Press (1984).

    Examples
    --------
    >>> import numpy as np
    >>> from lagopt.objectives import Quadratic
    >>> from lagopt.paths import action
    >>> f = Quadratic(np.eye(2))
    >>> s = np.linspace(0, 1, 11)
    >>> line = np.outer([1.0, 0.0], 1 - s) + np.outer([0.0, 1.0], s)
    >>> round(action(f, line, lam=0.0), 12)   # 1/2 |Delta theta|^2 / T
    1.0
    """
    rule = choice(rule, "rule", ("quadrature", "seed"))
    min_panels = positive_int(min_panels, "min_panels")
    objective = _objective_of(objective, path)
    n = objective.n_params
    if lam is not None:
        lam = positive_float(lam, "lam", allow_zero=True)
    if T is not None:
        T = positive_float(T, "T")

    if isinstance(path, ActionPath):
        if T is not None and abs(T - path.T) > 1e-12 * path.T:
            raise ValueError(f"`T` ({T}) differs from the path's horizon T={path.T}.")
        if path.theta.shape[0] != n:
            raise ValueError(f"`path` has {path.theta.shape[0]} parameters but the objective "
                             f"has n_params={n}.")
        T = path.T
        lam = path.lam if lam is None else lam
        mesh, dense = path.t, path._dense
    elif callable(path) and not isinstance(path, np.ndarray):
        if T is None:
            raise ValueError("`T` is required when `path` is a callable.")
        lam = 1.0 if lam is None else lam
        mesh = np.linspace(0.0, T, min_panels + 1)
        dense = _finite(callable_dense(path, T, n)[0])
    else:
        points = as_points(path, "path", n)
        if points.shape[1] < 2:
            raise ValueError(f"`path` must hold at least 2 points, got {points.shape[1]}.")
        lam = 1.0 if lam is None else lam
        T = 1.0 if T is None else T
        if rule == "seed":
            parts = _seed_rule(objective, lam, points)
            return parts if return_parts else parts[0]
        mesh = np.linspace(0.0, T, points.shape[1])
        dense = linear_dense(mesh, points)

    if rule == "seed":
        ts = np.linspace(0.0, T, SEED_RULE_POINTS)
        if isinstance(path, ActionPath):
            points = path.path(ts)
        else:
            points = call_path(path, ts, n)
        parts = _seed_rule(objective, lam, points)
        return parts if return_parts else parts[0]

    q = quadrature(objective, lam, dense, mesh, T, min_panels)
    parts = (q["action"], q["kinetic"], q["potential"])
    return parts if return_parts else parts[0]


def action_saving(reference: float, action: float) -> Tuple[float, float]:
    """How much action a path saves against a reference path (e.g. smoothstep's).

    Returns ``(delta, relative)``: ``delta = reference - action`` (positive when the path's
    action is lower), and ``relative = delta / reference`` only when both actions are
    positive, NaN otherwise. With a loss that takes negative values (Mueller-Brown) actions
    can be negative, and a percentage of a negative action reads backwards (a path of action
    -21 against a reference of -10 would "save 114 %"); the difference does not.

    Examples
    --------
    >>> from lagopt.paths import action_saving
    >>> action_saving(2.0, 1.5)
    (0.5, 0.25)
    >>> delta, relative = action_saving(-10.0, -21.4)
    >>> round(delta, 6), relative
    (11.4, nan)
    """
    reference, action = float(reference), float(action)
    delta = reference - action
    relative = delta / reference if (reference > 0 and action > 0) else float("nan")
    return delta, relative
