"""Objectives: losses with exact gradients, Hessians and batched forms over many points.

``Objective`` is the interface (``lagopt.objectives._base``); ``MLPObjective`` and the test
functions are backed by numba kernels; ``CallableObjective`` wraps user callables, and
``as_objective`` is the coercion every entry point applies to its loss argument.
"""
from ._base import Objective
from .callable import CallableObjective, as_objective
from .mlp import MLPObjective
from .gradient_squared import GradientSquared
from .landscapes import Ackley, MullerBrown, Quadratic, Rastrigin, Rosenbrock

__all__ = ["Objective", "MLPObjective", "Quadratic", "Rosenbrock", "Rastrigin", "Ackley",
           "MullerBrown", "GradientSquared", "CallableObjective", "as_objective"]
