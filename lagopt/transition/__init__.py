"""Minimum energy paths and certified transition states (the ``T -> infinity`` companion of
`lagopt.solve_action_path`).

`solve_mep` runs the string method between two minima of a potential ``V`` and returns the
minimum energy path with its saddles and intermediate minima, each refined by Newton
(P-RFO) and certified by its Hessian index (`refine_saddle`, `refine_minimum`,
`hessian_index`).
"""
from ._result import CriticalPoint, MEPResult
from .connect import ConnectResult, bezier_curve, connect
from .mep import solve_mep
from .saddle import HessianIndex, hessian_index, refine_minimum, refine_saddle

__all__ = ["solve_mep", "MEPResult", "CriticalPoint", "refine_saddle", "refine_minimum",
           "hessian_index", "HessianIndex",
           "connect", "ConnectResult", "bezier_curve"]
