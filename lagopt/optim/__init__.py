"""Optimizers on one gradient-evaluation budget, and the original LAML experiment.

``minimize`` runs an optimizer object of ``methods`` (``LAML``, ``Hybrid``, ``GD``,
``Momentum``, ``Adam``, ``LBFGS``, ``Steepest``, ``LM``: the options belong to the method) or
a name of the ``METHODS`` registry (the shorthand for the default object; more with
``register_method``), every one of them charged by the single rule of ``_budget``; every
result's ``status`` is a ``Status``.
``reference_experiment`` re-runs the published LAML experiment (a 4-6-1 ReLU network on three
small data sets, 100 iterations of predict / smoothstep path / action check / update, against
plain gradient descent) and reproduces its table.
"""
from ._budget import COSTS, BudgetedObjective, BudgetExhausted
from .methods import (GD, LAML, LBFGS, LM, Adam, AdamStep, GDStep, Hybrid, Momentum,
                      MomentumStep, Optimizer, Steepest)
from .minimize import METHODS, MinimizeResult, Status, minimize, register_method
from .reference import PUBLISHED_TABLE, PROTOCOLS, reference_experiment, seed_rule_action
from .diagnostics import trajectory_efficiency

# LAML and the hybrid mode become the minimize methods "laml" and "hybrid" here, not in
# minimize's registry itself: lagopt.optim.laml imports minimize (the meta-model predictor
# trains with it).
for _cls in (LAML, Hybrid):
    if _cls.name not in METHODS:
        register_method(_cls.name, _cls)
del _cls

__all__ = ["minimize", "MinimizeResult", "METHODS", "Status", "register_method",
           "Optimizer", "LAML", "Hybrid", "GD", "Momentum", "Adam", "LBFGS", "Steepest", "LM",
           "GDStep", "MomentumStep", "AdamStep",
           "BudgetedObjective", "BudgetExhausted", "COSTS",
           "reference_experiment", "seed_rule_action", "PUBLISHED_TABLE", "PROTOCOLS",
           "trajectory_efficiency"]
