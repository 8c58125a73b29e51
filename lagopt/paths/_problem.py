"""The contract between `solve_action_path` and the per-method solver modules.

`solve_action_path` validates the user's arguments once and builds a `BVPProblem`. Each method
module exposes ``solve(problem, guess, **options) -> RawSolution``, where ``guess`` is an
initial path given as values on a mesh (``guess_t`` of shape ``(N,)``, ``guess_theta`` of shape
``(n, N)``) or ``None`` (straight line). The shared finaliser turns a `RawSolution` into an
`ActionPath`, measuring every path with the same quadrature so that methods compare fairly.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np


@dataclass
class BVPProblem:
    """``theta'' = lam * grad L(theta)`` on ``[0, T]`` with ``theta(0) = theta0``, ``theta(T) = thetaT``."""

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
        s = np.asarray(t, dtype=float) / self.T
        return self.theta0[:, None] + np.outer(self.thetaT - self.theta0, s)


@dataclass
class Guess:
    """An initial path: values on a mesh (velocities optional)."""

    t: np.ndarray  # (N,)
    theta: np.ndarray  # (n, N)
    label: str = "line"
    # Optional exact velocities on the same mesh, shape (n, N); methods that need a velocity
    # guess (collocation, shooting) use them instead of finite differences when present.
    theta_dot: Optional[np.ndarray] = None


# Status codes shared by every method (scipy style: 0 success, >0 failure kinds).
STATUS_MESSAGES = {
    0: "The Euler-Lagrange boundary value problem was solved to the requested tolerance.",
    1: "The maximum number of mesh nodes/iterations was exceeded.",
    2: "The wall-time cap was reached.",
    3: "Non-finite values appeared during the solve.",
    4: "The method declined the problem as ill-conditioned.",
    5: "The solver did not converge (singular Jacobian or no progress).",
    # success=True, but not a solution: "linear" and "smoothstep" build a path without solving
    # anything, and they are returned on equal terms so that their action can be compared.
    6: "The path is an interpolant, not a solution of the Euler-Lagrange equation (its residual "
       "shows how far it is from one); use method='collocation' or 'direct' for a least-action "
       "path.",
}


@dataclass
class RawSolution:
    """What a method module returns; the finaliser adds the measurements."""

    t: np.ndarray  # (N,) mesh, t[0] = 0, t[-1] = T
    theta: np.ndarray  # (n, N)
    theta_dot: np.ndarray  # (n, N)
    success: bool
    status: int
    message: str
    # Dense output: callable t -> (theta (n, len(t)), theta_dot (n, len(t))). When None, the
    # finaliser builds a piecewise cubic Hermite interpolant from the mesh values.
    dense: Optional[Callable] = None
    nit: int = 0  # Newton / optimiser iterations
    info: dict = field(default_factory=dict)  # method-specific extras (e.g. K segments, N nodes)
