r"""How efficient is a training trajectory? Its action against the least action.

The most durable suggestion of the original LAML experiment (a report of January 2026):
whatever optimizer produced a trajectory ``theta_0, theta_1, ..., theta_K``, the action
functional measures how much "effort" it spent between its end points, and the least-action
path between the same end points in the same time is the benchmark.
:func:`trajectory_efficiency` computes both with the package's path machinery and returns their
ratio.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, Union

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import OptimizeResult

from .._validation import as_points, positive_float
from ..objectives import Objective
from ..objectives.callable import LossFunction

if TYPE_CHECKING:  # for the annotations; the functions import lagopt.paths when called
    from ..paths import ActionPath, PathMethod

__all__ = ["trajectory_efficiency", "TrajectoryEfficiency"]


class TrajectoryEfficiency(OptimizeResult):
    """Result of :func:`trajectory_efficiency` (a ``scipy.optimize.OptimizeResult``).

    Attributes
    ----------
    trajectory_action : float
        Action of the trajectory, ``S_traj``.
    trajectory_kinetic, trajectory_potential : float
        Its two parts.
    least_action : float
        Action of the least-action path between the trajectory's end points, ``S_min``.
    efficiency : float
        ``S_min / S_traj``: 1 for a least-action trajectory, smaller the more effort the
        trajectory wasted (up to the accuracy of the path solve, see Notes).
    path : lagopt.paths.ActionPath
        The least-action path.
    success : bool
        Whether the path solve succeeded (``path.success``).
    message : str
    lam, T : float
    n_points : int
        Points of the trajectory (0 for a callable or an ActionPath).
    """


def _trajectory_points(trajectory):
    """(points (n, k) or None, path-like or None) from the accepted trajectory forms."""
    from ..paths import ActionPath

    if isinstance(trajectory, ActionPath):
        return None, trajectory
    history = None
    if isinstance(trajectory, dict) and "history" in trajectory:
        history = trajectory["history"]
    elif hasattr(trajectory, "history") and isinstance(getattr(trajectory, "history"), dict):
        history = trajectory.history
    if history is not None:
        if "x" not in history:
            raise ValueError("The result has no recorded iterates: run lagopt.minimize(..., "
                             "keep_iterates=True), or pass the points as an (n, k) array.")
        X = np.asarray(history["x"], dtype=np.float64)
        return np.ascontiguousarray(X.T), None
    if callable(trajectory) and not isinstance(trajectory, np.ndarray):
        return None, trajectory
    return np.asarray(trajectory, dtype=np.float64), None


def trajectory_efficiency(objective: Union[Objective, LossFunction],
                          trajectory: Union[ArrayLike, Mapping[str, Any], ActionPath,
                                            Callable[..., ArrayLike]],
                          lam: float = 1.0, T: Union[float, None] = None,
                          method: Union[str, PathMethod] = "auto",
                          *, n_starts: int = 1, seed: Union[None, int, np.random.Generator] = None,
                          ) -> TrajectoryEfficiency:
    r"""Action of a trajectory relative to the least action between its end points.

    Parameters
    ----------
    objective : Objective or callable
        The loss ``L``.
    trajectory : array_like (n, k), MinimizeResult, ActionPath or callable
        The trajectory:

        * points, shape ``(n, k)`` with ``k >= 2`` (columns are iterates), taken as equally
          spaced in time on ``[0, T]`` and joined by straight segments;
        * a result of :func:`lagopt.minimize` run with ``keep_iterates=True`` (its
          ``history["x"]``: every recorded iterate, in order);
        * an :class:`~lagopt.paths.ActionPath` or a callable ``t -> theta`` (``T`` required
          for a callable), measured through its dense output.
    lam : float, optional
        Weight of the loss in the action, ``>= 0``. Default 1.
    T : float, optional
        Duration given to the trajectory and to the least-action path. Default: the path's
        ``T`` for an ActionPath, else 1.
    method : str or PathMethod, optional
        Method of :func:`lagopt.solve_action_path` for the least-action path, a name or a
        configured object with its options (e.g. ``Direct(tol=1e-7)``). Default ``"auto"``.
    n_starts : int, optional, keyword-only
        Initial guesses of the path solve (hedging over several stationary paths).
    seed : optional, keyword-only
        Seed of the path solve's random detours.

    Returns
    -------
    TrajectoryEfficiency
        ``trajectory_action``, ``least_action``, ``efficiency`` (= least / trajectory),
        ``path`` and the parts.

    Notes
    -----
    Both actions are measured with the same quadrature (:func:`lagopt.paths.action`):

    .. math::

        S[\theta] = \int_0^T \Bigl(\tfrac12\lVert\dot\theta\rVert^2 + \lambda
        L(\theta)\Bigr)dt, \qquad \text{efficiency} = \frac{\min_{\theta(0)=\theta_0,\,
        \theta(T)=\theta_K} S}{S[\text{trajectory}]} .

    A trajectory has no clock of its own; giving every iterate the same share of ``T`` is
    the reading under which a steady optimizer is a path of constant pace. The least action
    is a minimum, so the efficiency is at most 1 -- up to the accuracy of the path solve, and
    provided the solve found the global minimiser of the action (for non-convex losses use
    ``n_starts > 1``; a stationary path that is not minimal can give a ratio above 1, which
    then says so).

    Examples
    --------
    >>> import numpy as np
    >>> from lagopt.objectives import Quadratic
    >>> from lagopt.optim import minimize
    >>> from lagopt.optim.diagnostics import trajectory_efficiency
    >>> f = Quadratic(np.diag([1.0, 10.0]))
    >>> res = minimize(f, [1.0, 1.0], method="gd", lr=0.15, max_grad_evals=20,
    ...                keep_iterates=True)            # zig-zags across the steep direction
    >>> eff = trajectory_efficiency(f, res, lam=1.0)
    >>> bool(0 < eff.efficiency < 1)
    True
    """
    from ..paths import ActionPath, action, solve_action_path

    lam = positive_float(lam, "lam", allow_zero=True)
    points, pathlike = _trajectory_points(trajectory)
    if pathlike is not None:
        if isinstance(pathlike, ActionPath):
            T = pathlike.T if T is None else positive_float(T, "T")
        elif T is None:
            raise ValueError("`T` is required when `trajectory` is a callable.")
        else:
            T = positive_float(T, "T")
        S, K, V = action(objective, pathlike, lam=lam, T=T, return_parts=True)
        start = np.asarray(pathlike(0.0), dtype=np.float64).reshape(-1)
        end = np.asarray(pathlike(T), dtype=np.float64).reshape(-1)
        n_points = 0
    else:
        T = 1.0 if T is None else positive_float(T, "T")
        n = points.shape[0] if points.ndim == 2 else None
        points = as_points(points, "trajectory", n)
        if points.shape[1] < 2:
            raise ValueError(f"`trajectory` must hold at least 2 points, got "
                             f"{points.shape[1]}.")
        S, K, V = action(objective, points, lam=lam, T=T, return_parts=True)
        start, end = points[:, 0], points[:, -1]
        n_points = points.shape[1]
    path = solve_action_path(objective, start, end, T=T, lam=lam, method=method,
                             n_starts=n_starts, seed=seed)
    eff = path.action / S if S > 0 else np.nan
    message = (f"Least action {path.action:.6g} against {S:.6g} along the trajectory "
               f"(efficiency {eff:.4g}); path: {path.method}, {path.message}")
    return TrajectoryEfficiency(
        trajectory_action=float(S), trajectory_kinetic=float(K), trajectory_potential=float(V),
        least_action=float(path.action), least_kinetic=float(path.kinetic),
        least_potential=float(path.potential), efficiency=float(eff), path=path,
        success=bool(path.success), message=message, lam=lam, T=T, n_points=n_points)
