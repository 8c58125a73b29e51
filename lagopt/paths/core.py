"""The building blocks that other parts of lagopt drive the path methods with, one solve at
a time: the LAML optimizer's path stage and the benchmarks. `solve_action_path` is the user's
entry point; this module is for code that builds a problem, runs a method on it and measures
the result itself.

* `BVPProblem`, `Guess`, `RawSolution`: a boundary value problem, an initial path on a mesh,
  and a method's unmeasured answer;
* `dispatch` (returns a `Dispatched`): run a method (a name or a `PathMethod`) on a problem,
  numerical breakdowns turned into statuses; `METHODS`, `INTERPOLANTS`, `METHOD_CLASSES`;
* `finalize`: measure a `RawSolution` and certify it, giving an `ActionPath`;
* the discrete formulas: `smoothstep`, `seed_rule_parts` (the original experiment's 10-point
  action), `polyline_kinetic`, `trapezoid_potential`, `polyline_action`;
* the measurement: `quadrature` (the action of a dense path), `linear_dense`,
  `measurement_plan`.
"""
from ._dispatch import Dispatched, dispatch
from ._formulas import (polyline_action, polyline_kinetic, seed_rule_parts, smoothstep,
                        trapezoid_potential)
from ._measure import linear_dense, measurement_plan, quadrature
from ._problem import BVPProblem, Guess, RawSolution
from ._result import finalize
from .methods import INTERPOLANTS, METHOD_CLASSES, METHODS

__all__ = ["BVPProblem", "Guess", "RawSolution", "dispatch", "Dispatched", "METHODS",
           "INTERPOLANTS", "METHOD_CLASSES", "finalize", "smoothstep", "seed_rule_parts",
           "polyline_kinetic", "trapezoid_potential", "polyline_action", "quadrature",
           "linear_dense", "measurement_plan"]
