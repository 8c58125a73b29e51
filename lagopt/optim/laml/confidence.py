r"""The last two stages: how far to move along the followed path, and how much to trust.

Updates (``step(state, path) -> (x, loss, grad)``):

* :class:`ReferenceUpdate` -- the original experiment: a tenth of the way to the path's second
  node, scaled by the confidence, plus noise;
* :class:`LeastLossUpdate` -- to the node of least loss on the path (the losses are known: the
  path stage paid for them, so choosing among them is free). A least-action path dips into
  low loss, so an interior node can beat the end;
* :class:`FractionUpdate` -- a fixed fraction of the way along the path.

Confidence rules (``update(state, accepted, improved)``, acting on ``state.confidence``):

* :class:`ReferenceConfidence` -- times 1.05 after an improvement, 0.95 otherwise, in
  ``[0.1, 1]``;
* :class:`TrustConfidence` -- a trust-region rule: double after an accepted prediction, halve
  after a rejected one, in ``[lo, hi]``; predictors that use the confidence scale their
  predicted move by it, so after rejections the next prediction starts shorter;
* :class:`ConstantConfidence` -- always the same value.
"""
import numpy as np

from ..._validation import positive_float
from ._base import Confidence, Update

__all__ = ["ReferenceUpdate", "LeastLossUpdate", "FractionUpdate", "ReferenceConfidence",
           "TrustConfidence", "ConstantConfidence"]


class ReferenceUpdate(Update):
    r"""``theta <- theta + lr c (path[1] - theta) + noise c xi`` (the original experiment's update).

    Parameters
    ----------
    lr : float, optional
        Default 0.1.
    noise : float, optional
        Default 0.02.

    Notes
    -----
    Draws ``n`` standard normals; pays 1/2 for the loss at the new point.
    """

    def __init__(self, lr=0.1, noise=0.02):
        self.lr = positive_float(lr, "lr")
        self.noise = positive_float(noise, "noise", allow_zero=True)

    def _params(self):
        return {"lr": self.lr, "noise": self.noise}

    def step(self, state, path):
        c = state.confidence
        second = path.theta[:, 1] if path.k > 1 else path.end
        x = state.x + self.lr * c * (second - state.x) \
            + self.noise * c * state.rng.standard_normal(state.n)
        return x, float(state.view.loss(x)), None


class LeastLossUpdate(Update):
    """Move to the node of least (known) loss among the path's nodes after the start.

    The move is made even if that loss is higher than the current one (the explorer's
    fall-back step, like a gradient-descent step, is followed unconditionally). No
    evaluation: the path stage has paid for the nodes' losses.
    """

    def step(self, state, path):
        j = path.best_node(first=1)
        x = path.theta[:, j].copy()
        loss = path.losses[j]
        if not np.isfinite(loss):
            loss = float(state.view.loss(x))
        return x, float(loss), state.view.known_grad(x)


class FractionUpdate(Update):
    """Move a fixed fraction of the way along the path (by time, on the nodes' polyline).

    Parameters
    ----------
    fraction : float, optional
        In ``(0, 1]``. Default 0.5.

    Notes
    -----
    Pays 1/2 for the loss at the new point unless it is a node whose loss is known.
    """

    def __init__(self, fraction=0.5):
        self.fraction = positive_float(fraction, "fraction")
        if self.fraction > 1:
            raise ValueError(f"`fraction` must be in (0, 1], got {fraction}.")

    def _params(self):
        return {"fraction": self.fraction}

    def step(self, state, path):
        t = self.fraction * path.T
        i = min(int(np.searchsorted(path.t, t, side="right")) - 1, path.k - 2)
        w = (t - path.t[i]) / (path.t[i + 1] - path.t[i])
        if np.isclose(w, 1.0, rtol=0, atol=1e-12):
            return path.theta[:, i + 1].copy(), float(path.losses[i + 1]), \
                state.view.known_grad(path.theta[:, i + 1])
        x = path.theta[:, i] + w * (path.theta[:, i + 1] - path.theta[:, i])
        return x, float(state.view.loss(x)), None


class ReferenceConfidence(Confidence):
    """``c <- min(hi, up c)`` if the loss fell, else ``max(lo, down c)`` (the reference rule).

    Parameters
    ----------
    up, down : float, optional
        Defaults 1.05 and 0.95.
    lo, hi : float, optional
        Defaults 0.1 and 1.
    initial : float, optional
        Default 1.
    """

    def __init__(self, up=1.05, down=0.95, lo=0.1, hi=1.0, initial=1.0):
        self.up = positive_float(up, "up")
        self.down = positive_float(down, "down")
        self.lo = positive_float(lo, "lo", allow_zero=True)
        self.hi = positive_float(hi, "hi")
        self.initial = positive_float(initial, "initial")
        if not self.lo <= self.initial <= self.hi:
            raise ValueError("`initial` must lie in [lo, hi].")

    def _params(self):
        return {"up": self.up, "down": self.down, "lo": self.lo, "hi": self.hi,
                "initial": self.initial}

    def update(self, state, accepted, improved):
        if improved:
            state.confidence = min(self.hi, state.confidence * self.up)
        else:
            state.confidence = max(self.lo, state.confidence * self.down)


class TrustConfidence(Confidence):
    """Trust-region confidence: ``c <- min(hi, grow c)`` on acceptance, else ``max(lo, shrink c)``.

    Parameters
    ----------
    grow, shrink : float, optional
        Defaults 2 and 0.5.
    lo, hi : float, optional
        Defaults 1e-3 and 1.
    initial : float, optional
        Default 1.
    """

    def __init__(self, grow=2.0, shrink=0.5, lo=1e-3, hi=1.0, initial=1.0):
        self.grow = positive_float(grow, "grow")
        self.shrink = positive_float(shrink, "shrink")
        if self.grow < 1 or self.shrink >= 1:
            raise ValueError("`grow` must be >= 1 and `shrink` in (0, 1).")
        self.lo = positive_float(lo, "lo")
        self.hi = positive_float(hi, "hi")
        self.initial = positive_float(initial, "initial")
        if not self.lo <= self.initial <= self.hi:
            raise ValueError("`initial` must lie in [lo, hi].")

    def _params(self):
        return {"grow": self.grow, "shrink": self.shrink, "lo": self.lo, "hi": self.hi,
                "initial": self.initial}

    def update(self, state, accepted, improved):
        if accepted:
            state.confidence = min(self.hi, state.confidence * self.grow)
        else:
            state.confidence = max(self.lo, state.confidence * self.shrink)


class ConstantConfidence(Confidence):
    """The confidence stays at `value` (default 1)."""

    def __init__(self, value=1.0):
        self.initial = positive_float(value, "value")

    def _params(self):
        return {"value": self.initial}

    def update(self, state, accepted, improved):
        state.confidence = self.initial
