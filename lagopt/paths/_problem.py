"""The contract between `solve_action_path` and the per-method solver modules.

`solve_action_path` validates the user's arguments once and builds a `BVPProblem`. Each method
module exposes ``solve(problem, guess, **options) -> RawSolution``, where ``guess`` is a `Guess`
(an initial path as values on a mesh) or ``None`` (straight line); `lagopt.paths._dispatch`
holds the table of methods and calls them. The shared finaliser (`_result.finalize`) turns a
`RawSolution` into an `ActionPath`, measuring every path with the same quadrature so that
methods compare fairly.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from .._status import Status, checked_status
from ._formulas import straight_line


@dataclass
class BVPProblem:
    """``theta'' = lam * grad L(theta)`` on ``[0, T]``, ``theta(0) = theta0``,
    ``theta(T) = thetaT``."""

    objective: object  # an lagopt.objectives.Objective
    theta0: np.ndarray
    thetaT: np.ndarray
    T: float
    lam: float

    @property
    def n(self):
        return self.theta0.shape[0]

    def straight_line(self, t):
        """The uniform-speed straight line evaluated at times ``t``; shape ``(n, len(t))``."""
        return straight_line(self.theta0, self.thetaT, t, self.T)[0]


@dataclass
class Guess:
    """An initial path: values on a mesh (velocities optional)."""

    t: np.ndarray  # (N,)
    theta: np.ndarray  # (n, N)
    label: str = "line"
    # Optional exact velocities on the same mesh, shape (n, N); methods that need a velocity
    # guess (collocation, shooting) use them instead of finite differences when present.
    theta_dot: Optional[np.ndarray] = None


@dataclass
class RawSolution:
    """What a method module returns; the finaliser adds the measurements."""

    t: np.ndarray  # (N,) mesh, t[0] = 0, t[-1] = T
    theta: np.ndarray  # (n, N)
    theta_dot: np.ndarray  # (n, N)
    success: bool
    status: Status
    message: str
    # Dense output: callable t -> (theta (n, len(t)), theta_dot (n, len(t))). When None, the
    # finaliser builds a piecewise cubic Hermite interpolant from the mesh values.
    dense: Optional[Callable] = None
    nit: int = 0  # Newton / optimiser iterations
    info: dict = field(default_factory=dict)  # method-specific extras (e.g. K segments, N nodes)
    # True when `dense` is the C1 cubic Hermite interpolant of y = (theta, v) on the mesh with
    # slopes f(y) = (v, lam grad L) at the nodes (collocation's own solution spline): the
    # finaliser then measures the residual and the quadrature on the mesh itself (three
    # residual points and five Gauss points per interval), which samples that very
    # interpolant, instead of on a refined mesh (a cost proportional to the solve's).
    measured_on_mesh: bool = False
    # With `measured_on_mesh`: the Euler-Lagrange residual of `dense` on the mesh, ``(residual,
    # residual_rel, per_interval)`` as `_measure.el_residual` defines it, when the solver
    # already evaluated it at the same points on the same interpolant (None: the finaliser
    # evaluates it).
    mesh_residual: Optional[tuple] = None

    def __post_init__(self):
        self.success, self.status = checked_status(self.success, self.status, "RawSolution")
