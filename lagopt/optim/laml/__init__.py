"""LAML: the least-action meta-learning optimizer, one small replaceable object per stage.

``lagopt.minimize(objective, theta0, method=LAML(preset="default" | "reference" | ...,
**stages))`` (or ``method="laml"`` with the same options flat) runs the loop of
:mod:`~lagopt.optim.laml.core`. Its six stages (predict, path,
verify, explore, update, confidence) are replaceable objects:

* predictors -- :class:`ReferencePredictor`, :class:`LookaheadPredictor`,
  :class:`QuasiNewtonPredictor`, :class:`BFGSPredictor`, :class:`SteepestPathPredictor`,
  :class:`ClosedFormPredictor`, :class:`MetaModelPredictor`;
* path -- :class:`PathSolver` (any method of :func:`lagopt.solve_action_path`, on the budget),
  :class:`ModelPathSolver` (the closed-form least-action path of the predictor's quadratic
  model, refined by a direct solve of the actual loss's on demand);
* criteria -- :class:`ThresholdCriterion`, :class:`RestingActionCriterion`;
* explorers -- :class:`RandomExplorer`, :class:`PathBacktrackExplorer`,
  :class:`KrasnoselskiiMannExplorer`, :class:`MultiStartExplorer`; and, when the loop stalls,
  :class:`StallRestart` (multi-start hedging around the best point);
* updates -- :class:`ReferenceUpdate`, :class:`LeastLossUpdate`, :class:`FractionUpdate`;
* confidence -- :class:`ReferenceConfidence`, :class:`TrustConfidence`,
  :class:`ConstantConfidence`.

Write a new stage by subclassing the base class of its kind (:class:`Predictor`,
:class:`Criterion`, :class:`Explorer`, :class:`Update`, :class:`Confidence`) and implementing
its one method; evaluate the loss only through ``state.view`` so that it is charged.

:func:`warm_up` compiles (or loads from numba's cache) LAML's own kernels, about 0.25 s per
process from the cache: call it before timing a run.
"""
from ._base import (BudgetView, CandidatePath, Confidence, Criterion, Explorer, LAMLState,
                    Predictor, Stage, Update)
from ._kernels import warm_up
from .confidence import (ConstantConfidence, FractionUpdate, LeastLossUpdate,
                         ReferenceConfidence, ReferenceUpdate, TrustConfidence)
from .core import LAML, PRESETS, LAMLStages, laml, make_stages
from .criteria import RestingActionCriterion, ThresholdCriterion
from .explorers import (KrasnoselskiiMannExplorer, MultiStartExplorer, PathBacktrackExplorer,
                        RandomExplorer, StallRestart, krasnoselskii_mann, km_alpha)
from .model_path import ModelPath, QuadraticModel
from .path_stage import PATH_METHODS, ModelPathSolver, PathSolver
from .predictors import (BFGSPredictor, ClosedFormPredictor, LBFGSModel, LookaheadPredictor,
                         MetaModelPredictor,
                         QuasiNewtonPredictor, ReferencePredictor, SteepestPathPredictor,
                         lbfgs_direction, task_features)

__all__ = [
    "LAML", "laml", "PRESETS", "LAMLStages", "make_stages",
    "BudgetView", "LAMLState", "CandidatePath", "Stage", "Predictor", "Criterion", "Explorer",
    "Update", "Confidence",
    "ReferencePredictor", "LookaheadPredictor", "QuasiNewtonPredictor", "BFGSPredictor",
    "SteepestPathPredictor", "ClosedFormPredictor", "MetaModelPredictor", "task_features",
    "lbfgs_direction", "LBFGSModel", "warm_up",
    "PathSolver", "ModelPathSolver", "PATH_METHODS", "QuadraticModel", "ModelPath",
    "ThresholdCriterion", "RestingActionCriterion",
    "RandomExplorer", "PathBacktrackExplorer", "KrasnoselskiiMannExplorer",
    "MultiStartExplorer", "StallRestart", "krasnoselskii_mann", "km_alpha",
    "ReferenceUpdate", "LeastLossUpdate", "FractionUpdate",
    "ReferenceConfidence", "TrustConfidence", "ConstantConfidence",
]
