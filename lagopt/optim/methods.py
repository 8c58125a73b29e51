"""The optimizers of :func:`lagopt.minimize` as objects: the options belong to the method.

Each object is a frozen dataclass whose fields are its method's options, checked when it is
made (an invalid value raises an error naming the option, its allowed range and the value),
and documented in its docstring:

=====================  ==============  ===================================================
object                 shorthand       method
=====================  ==============  ===================================================
:class:`LAML`          ``"laml"``      least-action meta-learning (a preset and its stages)
:class:`Hybrid`        ``"hybrid"``    gradient steps with periodic action checks, its
                                       inner step a step object (:class:`AdamStep`, ...)
:class:`GD`            ``"gd"``        gradient descent
:class:`Momentum`      ``"momentum"``  Polyak's heavy ball
:class:`Adam`          ``"adam"``      Adam with bias correction
:class:`LBFGS`         ``"lbfgs"``     scipy's L-BFGS-B on the budget
:class:`Steepest`      ``"steepest"``  equal arc-length steepest descent
:class:`LM`            ``"lm"``        Levenberg-Marquardt (``scipy.optimize.least_squares``)
=====================  ==============  ===================================================

A name is the shorthand for the default object, and a name with flat options is the object
made from them: ``minimize(f, x0, method="adam", lr=1e-2)`` is
``minimize(f, x0, method=Adam(lr=1e-2))``. A new method subclasses :class:`Optimizer` (a
frozen dataclass with a ``name`` and a ``run(f, x0, rng)``), and can be passed as an object
or registered by name with :func:`lagopt.optim.register_method`.

Examples
--------
>>> import numpy as np
>>> from lagopt.objectives import Quadratic
>>> from lagopt.optim import minimize
>>> from lagopt.optim.methods import Adam, Hybrid, AdamStep
>>> f = Quadratic(np.diag([1.0, 4.0]))
>>> a = minimize(f, [1.0, 1.0], method=Adam(lr=1e-2), max_grad_evals=100)
>>> b = minimize(f, [1.0, 1.0], method="adam", lr=1e-2, max_grad_evals=100)
>>> bool(np.array_equal(a.x, b.x))
True
>>> hyb = Hybrid(step=AdamStep(lr=1e-2), check_every=10)
>>> minimize(f, [1.0, 1.0], method=hyb, max_grad_evals=100).method
'hybrid'
>>> Adam(beta1=1.0)
Traceback (most recent call last):
...
ValueError: `beta1` must be in [0, 1), got 1.0.
"""
from ._method import Optimizer
from .baselines import GD, LBFGS, Adam, AdamStep, GDStep, Momentum, MomentumStep, Steepest
from .hybrid import Hybrid
from .laml.core import LAML
from .lm import LM

__all__ = ["Optimizer", "LAML", "Hybrid", "GD", "Momentum", "Adam", "LBFGS", "Steepest",
           "LM", "GDStep", "MomentumStep", "AdamStep"]
