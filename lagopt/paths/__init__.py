"""Least-action paths: `solve_action_path` (all methods behind one function), the `ActionPath`
result, the `action` quadrature that measures any path, and the closed form for quadratics.

Layers, each importing only from the ones below it:

1. numerics: `_formulas` (interpolants, discrete actions, constants), `_measure` (quadrature,
   dense output, Euler-Lagrange residual), `exact` (closed form for quadratic losses);
2. the problem and its results: `_problem` (`BVPProblem`, `Guess`, `RawSolution`), `_result`
   (`ActionPath` and the finaliser that measures a `RawSolution`);
3. the methods: `collocation`, `shooting`, `multiple_shooting` (with `_variational`), `direct`
   (a subpackage), `interpolants`;
4. the methods as objects, `methods` (`Collocation`, `Shooting`, `MultipleShooting`, `Direct`,
   `Linear`, `Smoothstep`, `Auto`: each holds its options; `PathMethod` the base class of a new
   method), and the core `_dispatch` (running a method's chain, breakdowns into statuses);
5. the public functions: `solve` (`solve_action_path`) and `_measured_action` (`action`).
"""
from .._status import Status
from ._measured_action import action, action_saving
from ._dispatch import METHODS
from ._result import ActionPath
from ._second_variation import second_variation
from .methods import (Auto, Collocation, Direct, Linear, MultipleShooting, PathMethod,
                      Shooting, Smoothstep)
from .exact import quadratic_solution
from .solve import solve_action_path

__all__ = ["solve_action_path", "ActionPath", "action", "action_saving", "quadratic_solution",
           "second_variation", "METHODS", "Status", "PathMethod", "Auto", "Collocation",
           "Shooting", "MultipleShooting", "Direct", "Linear", "Smoothstep"]
