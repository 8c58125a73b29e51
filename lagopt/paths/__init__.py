"""Least-action paths: `solve_action_path` (all methods behind one function), the `ActionPath`
result, the `action` quadrature that measures any path, and the closed form for quadratics."""
from ._measure import action
from ._result import ActionPath
from .exact import quadratic_solution
from .solve import METHODS, available_methods, solve_action_path

__all__ = ["solve_action_path", "ActionPath", "action", "quadratic_solution", "METHODS",
           "available_methods"]
