"""One status vocabulary for every result of the package: paths and optimizers alike.

Every result object carries ``status`` (a :class:`Status`) and ``success``, and
``success == (status == Status.SUCCESS)`` holds for all of them, the interpolants included.
Each code has a default message (:meth:`Status.message`); a method may give a more specific one
(the result's ``message``), which then names what to try.

The codes are plain integers (an ``IntEnum``), so ``path.status == 0`` and ``int(res.status)``
keep working; ``Status(k).name`` gives the symbolic name.
"""
from __future__ import annotations

from enum import IntEnum
from typing import Any

__all__ = ["Status", "NonFiniteError", "checked_status"]


class NonFiniteError(FloatingPointError, ValueError):
    """An objective produced non-finite values (overflow, a loss unbounded below, NaN).

    A ``FloatingPointError`` (an ``ArithmeticError``), so that path methods and optimizers turn
    it into ``Status.NON_FINITE``; also a ``ValueError``, as a bad value it is.
    """


class Status(IntEnum):
    """Status codes shared by `solve_action_path`, `minimize` and the LAML stages.

    ========  ==================  ==================================================================
    code      name                meaning
    ========  ==================  ==================================================================
    0         SUCCESS             solved / converged; the result passed its own checks
    1         MAX_ITER            iteration or mesh-node limit reached before convergence
    2         MAX_TIME            wall-time cap reached
    3         NON_FINITE          non-finite values appeared (divergence, overflow)
    4         DECLINED            the method declined an ill-conditioned problem
    5         NOT_CONVERGED       no convergence (singular Jacobian, no progress, method failed)
    6         NOT_SOLVED          an interpolant or candidate: nothing was solved
    7         BUDGET_EXHAUSTED    the gradient-evaluation budget of `minimize` is spent
    8         CALLBACK_STOP       stopped by the user's callback
    ========  ==================  ==================================================================
    """

    SUCCESS = 0
    MAX_ITER = 1
    MAX_TIME = 2
    NON_FINITE = 3
    DECLINED = 4
    NOT_CONVERGED = 5
    NOT_SOLVED = 6
    BUDGET_EXHAUSTED = 7
    CALLBACK_STOP = 8

    def message(self, **fields: Any) -> str:
        """The default message of this code; ``fields`` fill its placeholders (``budget``)."""
        text = _MESSAGES[self]
        return text.format(**fields) if fields else text

    def __str__(self) -> str:
        return f"{int(self)} ({self.name})"


# Statements of what happened; a method's own message adds the specifics and what to try.
_MESSAGES = {
    Status.SUCCESS: "Solved to the requested tolerance.",
    Status.MAX_ITER: "The maximum number of iterations or mesh nodes was reached.",
    Status.MAX_TIME: "The wall-time cap was reached.",
    Status.NON_FINITE: "Non-finite values appeared (the iteration diverged).",
    Status.DECLINED: "The method declined the problem as ill-conditioned.",
    Status.NOT_CONVERGED: "The method did not converge (singular Jacobian or no progress).",
    Status.NOT_SOLVED: "Nothing was solved: the path is an interpolant (its residual shows how "
                       "far it is from a solution); use method='collocation' or 'direct' for a "
                       "least-action path.",
    Status.BUDGET_EXHAUSTED: "The budget of {budget:g} gradient evaluations is exhausted; raise "
                             "`max_grad_evals` to continue.",
    Status.CALLBACK_STOP: "Stopped by the callback.",
}


def checked_status(success: Any, status: Any, owner: str = "result") -> tuple[bool, Status]:
    """``(bool(success), Status(status))``, or ValueError when they break the rule
    ``success == (status == Status.SUCCESS)`` that every result class of the package obeys.

    Examples
    --------
    >>> checked_status(True, 0)
    (True, <Status.SUCCESS: 0>)
    >>> checked_status(True, Status.MAX_ITER, "RawSolution")
    Traceback (most recent call last):
    ...
    ValueError: RawSolution: success=True contradicts status 1 (MAX_ITER).
    """
    status = Status(status)
    if bool(success) != (status == Status.SUCCESS):
        raise ValueError(f"{owner}: success={success!r} contradicts status {status}.")
    return bool(success), status
