"""The one core of the path methods: running a method object (its chain, for `Auto`), and the
conversion of a method's numerical breakdown into a status.

Every caller that solves a path -- `solve_action_path`, the LAML optimizer's path stage, the
benchmarks -- goes through :func:`dispatch`, and measures the returned `RawSolution` as much as
it needs (`solve_action_path` measures everything; LAML only the losses at the nodes, which it
pays for). The methods and their options are the objects of `lagopt.paths.methods`.

Layering: this module sits above the method modules and below `solve`; it imports no result or
measurement code.
"""
import time
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .._status import Status
from ._formulas import straight_line
from ._problem import RawSolution
from .methods import (AUTO_COLLOCATION_MAX_TIME, AUTO_MAX_PARAMS, INTERPOLANTS, METHODS,
                      as_method)

__all__ = ["dispatch", "Dispatched", "METHODS", "INTERPOLANTS", "AUTO_MAX_PARAMS",
           "AUTO_COLLOCATION_MAX_TIME", "run_method"]


@dataclass
class Dispatched:
    """What :func:`dispatch` returns: the solution and how it was obtained."""

    raw: RawSolution
    method: str  # name of the method that produced `raw` (what "auto" chose)
    counts: dict = field(default_factory=dict)  # objective evaluations of all attempts
    seconds: float = 0.0  # wall time of all attempts
    # Under "auto": the failed first attempt, as (method name, RawSolution), when it fell back.
    fallback: Optional[tuple] = None


def _breakdown(problem, method, guess, exc):
    """A failed `RawSolution` for a method that raised a numerical error."""
    status = (Status.NON_FINITE if isinstance(exc, (OverflowError, FloatingPointError))
              else Status.NOT_CONVERGED)
    if guess is not None:
        t, theta = guess.t, guess.theta
        theta_dot = (guess.theta_dot if guess.theta_dot is not None
                     else np.gradient(theta, t, axis=1))
    else:
        t = np.linspace(0.0, problem.T, 2)
        theta, theta_dot = straight_line(problem.theta0, problem.thetaT, t, problem.T)
    hint = ("a smaller `T` or `lam`, or another initial guess (`n_starts` > 1)"
            if method == "direct" else "method='direct' or another initial guess")
    what = (f"{method} met non-finite values ({type(exc).__name__}: {exc}): the loss overflows "
            "or is unbounded below along the way" if status == Status.NON_FINITE else
            f"{method} broke down ({type(exc).__name__}: {exc})")
    return RawSolution(t=t, theta=theta, theta_dot=theta_dot, success=False, status=status,
                       message=f"{what}. Try {hint}.")


def run_method(problem, method, guess):
    """Run one method object; a numerical breakdown becomes a failed `RawSolution`, not a
    crash."""
    try:
        return method.solve(problem, guess)
    except (ArithmeticError, np.linalg.LinAlgError) as exc:
        return _breakdown(problem, method.name, guess, exc)


def _counts(objective):
    return dict(getattr(objective, "counts", None) or {})


def dispatch(problem, method, guess=None):
    """Solve `problem` with `method` from `guess`.

    Parameters
    ----------
    problem : BVPProblem
    method : PathMethod or str
        A method object of `lagopt.paths.methods` (or a user's `PathMethod`), or the name of
        a built-in method with its default options (one of :data:`METHODS`). Its
        ``candidates(problem)`` are tried in turn (`Auto`'s chain).
    guess : Guess or None
        Initial path (None: the straight line).

    Returns
    -------
    Dispatched
        ``raw`` from the first candidate that succeeded (else the last one tried).
    """
    chain = as_method(method).candidates(problem)
    before = _counts(problem.objective)
    start = time.perf_counter()
    tried = []
    for m in chain:
        raw = run_method(problem, m, guess)
        tried.append((m.name, raw))
        if raw.success:
            break
    after = _counts(problem.objective)
    counts = {k: after[k] - before.get(k, 0) for k in after}
    name, raw = tried[-1]
    return Dispatched(raw=raw, method=name, counts=counts,
                      seconds=time.perf_counter() - start,
                      fallback=tried[0] if len(tried) > 1 else None)
