r"""The two interpolants: the uniform straight line and the seed's smoothstep.

They solve nothing. They are returned as paths so that their action is measured by the same
quadrature as the true least-action paths, so that the comparison is fair (the original
experiment's 10-point sum would not be).

Both travel the segment ``theta0 -> thetaT``; with ``s = t / T`` and ``D = thetaT - theta0``:

* line: ``theta = theta0 + s D``, ``theta' = D / T``, kinetic part ``|D|^2 / (2T)``;
* smoothstep: ``theta = theta0 + (3 s^2 - 2 s^3) D``, ``theta' = 6 s (1 - s) D / T``, kinetic
  part ``36 |D|^2 / (2T) int_0^1 s^2 (1-s)^2 ds = 1.2 |D|^2 / (2T)`` -- 20 % more than the
  line for every loss, because only the speed profile differs.
"""
import numpy as np

from .._status import Status
from ._formulas import smoothstep
from ._problem import RawSolution

__all__ = ["solve", "solve_linear", "solve_smoothstep", "KINDS"]

KINDS = ("linear", "smoothstep")


def _profile(kind, s):
    """Progress ``p(s)`` along the segment and its derivative ``dp/ds``."""
    if kind == "linear":
        return s, np.ones_like(s)
    return smoothstep(s)


def solve(problem, guess=None, kind="smoothstep", n_nodes=101):
    """Build an interpolant between the end points (no equation is solved).

    Parameters
    ----------
    problem : BVPProblem
    guess : Guess, optional
        Ignored (accepted for the common ``solve(problem, guess, **options)`` signature).
    kind : {"linear", "smoothstep"}
    n_nodes : int, optional
        Number of uniform mesh nodes returned in ``t``/``theta``. The dense output is exact
        at every ``t`` whatever this is; it only sets where the residual is sampled.

    Returns
    -------
    RawSolution
        ``status=Status.NOT_SOLVED`` and ``success=False``: an interpolant is not a solution
        of the Euler-Lagrange equation (its measured residual shows how far it is from one).

    Examples
    --------
    >>> import numpy as np
    >>> from lagopt.objectives import Quadratic
    >>> from lagopt.paths import solve_action_path
    >>> f = Quadratic(np.eye(2))
    >>> s = solve_action_path(f, [0.0, 0.0], [1.0, 1.0], T=1.0, method="smoothstep")
    >>> l = solve_action_path(f, [0.0, 0.0], [1.0, 1.0], T=1.0, method="linear")
    >>> round(s.kinetic / l.kinetic, 12), s.status.name, s.success
    (1.2, 'NOT_SOLVED', False)
    """
    if kind not in KINDS:
        raise ValueError(f"`kind` must be one of {KINDS}, got {kind!r}.")
    n_nodes = int(n_nodes)
    if n_nodes < 2:
        raise ValueError(f"`n_nodes` must be >= 2, got {n_nodes}.")
    T, theta0 = problem.T, problem.theta0
    D = problem.thetaT - theta0

    def dense(tq):
        tq = np.atleast_1d(np.asarray(tq, dtype=float))
        p, dp = _profile(kind, tq / T)
        return theta0[:, None] + np.outer(D, p), np.outer(D, dp / T)

    t = np.linspace(0.0, T, n_nodes)
    theta, theta_dot = dense(t)
    theta[:, 0], theta[:, -1] = problem.theta0, problem.thetaT  # exact ends
    message = f"{kind} interpolant built on {n_nodes} nodes. " + Status.NOT_SOLVED.message()
    return RawSolution(t=t, theta=theta, theta_dot=theta_dot, success=False,
                       status=Status.NOT_SOLVED,
                       message=message, dense=dense, nit=0, info={"kind": kind})


def solve_linear(problem, guess=None, n_nodes=101):
    """The uniform-speed straight line (see `solve`)."""
    return solve(problem, guess, kind="linear", n_nodes=n_nodes)


def solve_smoothstep(problem, guess=None, n_nodes=101):
    """The smoothstep interpolant of the original LAML experiment (see `solve`)."""
    return solve(problem, guess, kind="smoothstep", n_nodes=n_nodes)
