"""lagopt: least-action paths through loss landscapes, and an optimizer built on them.

The action of a path ``theta(t)`` from ``theta0`` to ``thetaT`` in time ``T`` is
``S = int_0^T (1/2 |theta'|^2 + lam L(theta)) dt``; its stationary paths solve the
Euler-Lagrange boundary value problem ``theta'' = lam grad L(theta)``. `solve_action_path`
solves it (collocation, single and multiple shooting, a direct discretised method) on any
`Objective`; `minimize` runs the LAML optimizer built on those paths and the baselines it is
measured against, on one gradient-evaluation budget.

Sign convention: ``S`` is a Euclidean (imaginary-time) action, with the loss added to the
kinetic energy, so ``theta'' = +lam grad L`` is Newton's law in the potential ``-lam L``: the
loss plays the role of *minus* a mechanical potential. To solve a mechanical problem
``theta'' = -grad V(theta)``, take ``L = -V`` and ``lam = 1``. For example, the pendulum
``theta'' = -lam sin(theta)`` is ``L = cos(theta)``, and Bratu's problem
``y'' + mu exp(y) = 0`` is ``L = -exp(theta)`` with ``lam = mu``.
"""
# First: numba picks each kernel's cache folder when its decorator runs (see _numba_cache).
from . import _numba_cache  # noqa: F401
from ._status import NonFiniteError, Status
from .datasets import make_dataset
from .objectives import (Ackley, CallableObjective, MLPObjective, MullerBrown, Objective,
                         Quadratic, Rastrigin, Rosenbrock, as_objective)
from .optim import (GD, LAML, LBFGS, LM, Adam, AdamStep, GDStep, Hybrid, Momentum,
                    MomentumStep, Optimizer, Steepest, minimize, reference_experiment,
                    trajectory_efficiency)
from .paths import (ActionPath, Auto, Collocation, Direct, Linear, MultipleShooting,
                    PathMethod, Shooting, Smoothstep, action, quadratic_solution,
                    solve_action_path)
from .transition import solve_mep

__version__ = "0.1.0"

__all__ = [
    "Status", "NonFiniteError", "make_dataset",
    "Objective", "MLPObjective", "Quadratic", "Rosenbrock", "Rastrigin", "Ackley",
    "MullerBrown", "CallableObjective", "as_objective",
    "solve_action_path", "ActionPath", "action", "quadratic_solution",
    "PathMethod", "Auto", "Collocation", "Shooting", "MultipleShooting", "Direct", "Linear",
    "Smoothstep",
    "minimize", "reference_experiment", "trajectory_efficiency",
    "Optimizer", "LAML", "Hybrid", "GD", "Momentum", "Adam", "LBFGS", "Steepest", "LM",
    "GDStep", "MomentumStep", "AdamStep",
    "solve_mep",
]
