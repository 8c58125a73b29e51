"""Optimizers on one gradient-evaluation budget, and the original LAML experiment.

``minimize`` dispatches to the methods of the ``METHODS`` registry (baselines in
``baselines``; LAML variants register themselves with ``register_method``), every one of them
charged by the single rule of ``_budget``; every result's ``status`` is a ``Status``.
``reference_experiment`` re-runs the published LAML experiment (a 4-6-1 ReLU network on three
small data sets, 100 iterations of predict / smoothstep path / action check / update, against
plain gradient descent) and reproduces its table.
"""
from ._budget import COSTS, BudgetedObjective, BudgetExhausted
from .minimize import METHODS, MinimizeResult, Status, minimize, register_method
from .reference import PUBLISHED_TABLE, PROTOCOLS, reference_experiment, seed_rule_action

# LAML and the hybrid mode register themselves as minimize methods "laml" and "hybrid".
from .laml.core import laml as _laml_method  # noqa: E402
from .hybrid import hybrid as _hybrid_method  # noqa: E402
from .diagnostics import trajectory_efficiency  # noqa: E402

for _name, _fn in (("laml", _laml_method), ("hybrid", _hybrid_method)):
    if _name not in METHODS:
        register_method(_name, _fn)
del _name, _fn

__all__ = ["minimize", "MinimizeResult", "METHODS", "Status", "register_method",
           "BudgetedObjective", "BudgetExhausted", "COSTS",
           "reference_experiment", "seed_rule_action", "PUBLISHED_TABLE", "PROTOCOLS",
           "trajectory_efficiency"]
