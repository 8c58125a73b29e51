"""The base class of the optimizer objects of :mod:`lagopt.optim.methods`, and its checks."""
from __future__ import annotations

import dataclasses
import inspect
import numbers
from collections.abc import Mapping
from typing import Any, ClassVar, Optional

import numpy as np
from numpy.typing import NDArray

from .._validation import positive_float, positive_int
from ._budget import BudgetedObjective

__all__ = ["Optimizer", "method_function", "in_interval", "optional_maxiter", "nonnegative"]


class Optimizer:
    """Base class of the optimizer objects that :func:`lagopt.minimize` accepts as `method`.

    A subclass is a frozen dataclass whose fields are the method's options: they are checked
    when the object is made (``__post_init__`` calls :meth:`_validate`), and :meth:`run`
    performs one run on a budgeted objective. ``minimize(f, x0, method=Adam(lr=0.01))`` and
    ``minimize(f, x0, method="adam", lr=0.01)`` are the same run: a name in
    :data:`lagopt.optim.METHODS` that maps to a subclass is a shorthand for that subclass made
    from the flat options (:meth:`from_options`).

    Attributes
    ----------
    name : str
        The method's name (class attribute): the result's ``method`` and its key in
        :data:`lagopt.optim.METHODS`.
    """

    name: ClassVar[str] = ""

    def __post_init__(self) -> None:
        self._validate()

    def _validate(self) -> None:
        """Check (and normalise with :meth:`_set`) the options; subclasses override it."""

    def _set(self, **values: Any) -> None:
        """Store normalised option values on the frozen object (from :meth:`_validate`)."""
        for key, value in values.items():
            object.__setattr__(self, key, value)

    def run(self, f: BudgetedObjective, x0: NDArray[np.float64],
            rng: np.random.Generator) -> Mapping[str, Any]:
        """One run from `x0`, evaluating only through `f`.

        Parameters
        ----------
        f : BudgetedObjective
            The budgeted objective (:class:`~lagopt.optim.BudgetedObjective`): evaluate
            through it, declare iterates with ``f.set_iterate``. It raises
            :class:`~lagopt.optim.BudgetExhausted` for an evaluation the budget cannot pay or
            that comes after the deadline of ``max_time`` (then a
            :class:`~lagopt.optim._budget.TimeExhausted`); a method may let it propagate, or
            catch it and return ``f.exhausted()``'s status.
        x0 : ndarray
            Float64 copy of the start.
        rng : numpy.random.Generator
            The only source of randomness.

        Returns
        -------
        dict
            ``x`` and optionally ``status``, ``message`` and further entries, as described
            for :data:`lagopt.optim.METHODS`.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement run().")

    def options(self) -> dict[str, Any]:
        """The options as a dict (field name -> value)."""
        return {fl.name: getattr(self, fl.name) for fl in dataclasses.fields(self)}

    @classmethod
    def option_names(cls) -> list[str]:
        """The names of the options the class accepts (its keyword parameters)."""
        return [p for p in inspect.signature(cls).parameters]

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Optimizer:
        """The object made from flat options; an unknown option raises TypeError naming the
        valid ones."""
        valid = cls.option_names()
        unknown = sorted(set(options) - set(valid))
        if unknown:
            raise TypeError(f"Unknown option(s) {', '.join(map(repr, unknown))} for method "
                            f"{cls.name or cls.__name__!r}; it accepts "
                            f"{', '.join(map(repr, valid)) or 'none'}.")
        return cls(**options)


def method_function(cls: type) -> Any:
    """`cls` (an :class:`Optimizer` subclass) as a function of the ``(f, x0, rng, **options)``
    signature of :data:`lagopt.optim.METHODS`: ``cls(**options).run(f, x0, rng)``, named after
    the method (``gd = method_function(GD)``)."""
    def run(f: BudgetedObjective, x0: NDArray[np.float64], rng: np.random.Generator,
            **options: Any) -> Mapping[str, Any]:
        return cls.from_options(options).run(f, x0, rng)
    run.__name__ = run.__qualname__ = cls.name
    run.__module__ = cls.__module__
    run.__doc__ = (f":class:`{cls.__name__}` as a function of the :data:`lagopt.optim.METHODS` "
                   f"signature: ``{cls.__name__}(**options).run(f, x0, rng)``.")
    return run


def in_interval(x: Any, name: str, low: float, high: float, *, low_open: bool = False,
                high_open: bool = True) -> float:
    """`x` as a float in the interval from `low` to `high` (``[low, high)`` by default), or a
    ValueError naming `name`, the interval and the value."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"`{name}` must be a real number, got {type(x).__name__}.")
    x = float(x)
    above = x > low if low_open else x >= low
    below = x < high if high_open else x <= high
    if not np.isfinite(x) or not (above and below):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"`{name}` must be in {interval}, got {x}.")
    return x


def optional_maxiter(maxiter: Any, name: str = "maxiter") -> Optional[int]:
    """None, or `maxiter` as an integer >= 0."""
    return None if maxiter is None else positive_int(maxiter, name, minimum=0)


def nonnegative(x: Any, name: str) -> float:
    """`x` as a finite float >= 0."""
    return positive_float(x, name, allow_zero=True)
