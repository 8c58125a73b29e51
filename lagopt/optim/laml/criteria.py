r"""Action verification: is a path worth following?

:class:`ThresholdCriterion` is the original experiment's fixed threshold on the action.
:class:`RestingActionCriterion` gives the test a meaning: over the same time ``T``, compare
the action of moving along the path with the action of staying put.
"""
import numpy as np

from ..._validation import choice, positive_float
from ._base import Criterion

__all__ = ["ThresholdCriterion", "RestingActionCriterion"]


class ThresholdCriterion(Criterion):
    r"""Accept a path whose action is at most a fixed threshold (the reference rule).

    Parameters
    ----------
    threshold : float, optional
        Default 0.5, the original experiment's.
    rule : {"seed", "trapezoid"}, optional
        How the action is computed from the path's nodes: ``"seed"`` (default) is the
        experiment's formula ``sum_{i<k-1} [1/2 |dtheta_i|^2 + lam L_i] / k``
        (:meth:`CandidatePath.seed_action`), ``"trapezoid"`` the discrete action
        (:attr:`CandidatePath.action`).

    Notes
    -----
    A fixed number has no meaning of its own: the ``"seed"`` rule is about ``(k-1)/k`` times the
    mean loss along the path, so with losses near 1 the experiment's threshold of 0.5
    rejected every prediction (acceptance rate 0 %).
    """

    def __init__(self, threshold=0.5, rule="seed"):
        self.threshold = positive_float(threshold, "threshold", allow_zero=True)
        self.rule = choice(rule, "rule", ("seed", "trapezoid"))

    def _params(self):
        return {"threshold": self.threshold, "rule": self.rule}

    def value(self, state, path):
        return path.seed_action() if self.rule == "seed" else path.action

    def accept(self, state, path):
        value = self.value(state, path)
        if self.rule == "trapezoid" and path.kinetic_error > 0 \
                and value <= self.threshold < value + path.kinetic_error:
            value = path.exact_kinetic() + path.potential
        return bool(np.isfinite(value)) and not value > self.threshold


class RestingActionCriterion(Criterion):
    r"""Move when moving costs less action than resting: ``S[path] < lam L(theta) T``.

    Parameters
    ----------
    margin : float, optional
        Relative margin ``m >= 0``: accept when ``S[path] < (1 - m) lam L(theta) T``.
        Default 0.
    assume_nonnegative : bool or None, optional
        The loss is known to be ``>= 0``; enables :meth:`max_move`. Default None: True for
        the objectives that are (``MLPObjective``, ``Rosenbrock``, ``Rastrigin``, ``Ackley``),
        False otherwise.

    Notes
    -----
    Resting at ``theta`` for the time ``T`` has action ``S_rest = lam L(theta) T`` (no kinetic
    part). A path of the same duration that ends elsewhere has ``S = K + lam int L dt``. So
    ``S < S_rest`` reads

    .. math::

        \frac{1}{T}\int_0^T L(\theta(t))\,dt \;<\; L(\theta) - \frac{K}{\lambda T},

    the loss *averaged along the path* must fall below the current loss by at least the
    kinetic cost of the move in loss units. For a straight move ``Delta`` the kinetic part is
    ``|Delta|^2 / (2T)``; along a gradient step ``Delta = -eta grad L`` with a locally linear
    loss the test holds exactly when ``eta < lam T^2``: ``lam T^2`` is the largest step, in
    units of a learning rate, that the criterion considers worth its distance. With a large
    ``lam T^2`` the test is a descent test on the path-averaged loss (with the trapezoid rule
    on a two-node path: ``L(theta*) < L(theta) - |Delta|^2 / (lam T^2)``).

    The test does not need the path to be *least*-action: any path that beats resting shows
    that moving is worth it, so a solver that stopped early (``success=False``) still offers a
    valid path. Paths with a non-finite or unknown node loss are rejected.
    """

    def __init__(self, margin=0.0, assume_nonnegative=None):
        self.margin = positive_float(margin, "margin", allow_zero=True)
        if self.margin >= 1:
            raise ValueError(f"`margin` must be in [0, 1), got {margin}.")
        self.assume_nonnegative = None if assume_nonnegative is None else \
            bool(assume_nonnegative)
        self._nonneg = bool(assume_nonnegative)

    def reset(self, state):
        if self.assume_nonnegative is None:
            from ...objectives import Ackley, MLPObjective, Rastrigin, Rosenbrock

            self._nonneg = isinstance(state.objective,
                                      (MLPObjective, Rosenbrock, Rastrigin, Ackley))
        else:
            self._nonneg = self.assume_nonnegative

    def _params(self):
        return {"margin": self.margin, "assume_nonnegative": self.assume_nonnegative}

    def max_move(self, state):
        if not self._nonneg or not state.loss >= 0:
            return np.inf
        return state.T * float(np.sqrt(state.lam * (1.0 - self.margin) * state.loss))

    @staticmethod
    def resting_action(state):
        """``lam L(theta) T``."""
        return state.lam * state.loss * state.T

    def accept(self, state, path):
        return path.action_below((1.0 - self.margin) * self.resting_action(state))
