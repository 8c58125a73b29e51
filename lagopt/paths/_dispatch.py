"""The one core of the path methods: the method table, the ``"auto"`` rule, and the conversion
of a method's numerical breakdown into a status.

Every caller that solves a path -- `solve_action_path`, the LAML optimizer's path stage, the
benchmarks -- goes through :func:`dispatch`, and measures the returned `RawSolution` as much as
it needs (`solve_action_path` measures everything; LAML only the losses at the nodes, which it
pays for).

Layering: this module sits above the method modules and below `solve`; it imports no result or
measurement code.
"""
import inspect
import time
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .._status import Status
from . import collocation, direct, interpolants, multiple_shooting, shooting
from ._formulas import straight_line
from ._problem import RawSolution

__all__ = ["dispatch", "Dispatched", "METHODS", "INTERPOLANTS", "AUTO_MAX_PARAMS",
           "AUTO_COLLOCATION_MAX_TIME", "method_chain", "split_options"]

#: The method table: name -> ``solve(problem, guess, **options) -> RawSolution``.
SOLVERS = {
    "collocation": collocation.solve,
    "shooting": shooting.solve,
    "multiple_shooting": multiple_shooting.solve,
    "direct": direct.solve,
    "linear": interpolants.solve_linear,
    "smoothstep": interpolants.solve_smoothstep,
}
METHODS = ("auto",) + tuple(SOLVERS)
#: Methods that build a path without solving anything (status ``NOT_SOLVED``).
INTERPOLANTS = ("linear", "smoothstep")

#: "auto" uses collocation only up to this many parameters (solve_bvp's dense 2n x 2n blocks
#: per node make it memory- and time-bound beyond), the direct method above.
AUTO_MAX_PARAMS = 100
#: Wall-time cap (s) of collocation inside "auto" unless the caller gives `max_time`: a
#: collocation that has not converged by then hands over to the direct method.
AUTO_COLLOCATION_MAX_TIME = 10.0


@dataclass
class Dispatched:
    """What :func:`dispatch` returns: the solution and how it was obtained."""

    raw: RawSolution
    method: str  # the method that produced `raw` (what "auto" chose)
    counts: dict = field(default_factory=dict)  # objective evaluations of all attempts
    seconds: float = 0.0  # wall time of all attempts
    # Under "auto": the failed first attempt, as (method, RawSolution), when it fell back.
    fallback: Optional[tuple] = None


def method_chain(problem, method):
    """The methods to try in turn for `method`: ``"auto"`` becomes collocation then direct
    for smooth objectives with ``n <= AUTO_MAX_PARAMS``, direct alone otherwise."""
    if method != "auto":
        if method not in SOLVERS:
            raise ValueError(f"`method` must be one of {METHODS}, got {method!r}.")
        return [method]
    smooth = bool(getattr(problem.objective, "smooth", True))
    if smooth and problem.n <= AUTO_MAX_PARAMS:
        return ["collocation", "direct"]
    return ["direct"]


def _accepted_options(fn):
    """Names of the keyword options `fn` accepts after (problem, guess); None means any."""
    params = list(inspect.signature(fn).parameters.values())[2:]
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params
            if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)}


def split_options(chain, options, defaults=None):
    """Options for each method of `chain`: each gets those it accepts, on top of its
    ``defaults[method]``. Options no method of the chain accepts raise TypeError."""
    defaults = defaults or {}
    per, known = {}, set()
    for method in chain:
        acc = _accepted_options(SOLVERS[method])
        mine = dict(options) if acc is None else {k: v for k, v in options.items() if k in acc}
        known |= set(options) if acc is None else acc
        per[method] = {**defaults.get(method, {}), **mine}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"unknown option(s) {unknown} for method(s) {', '.join(chain)}; "
                        f"accepted options: {sorted(known)}.")
    if len(chain) > 1 and chain[0] == "collocation":
        per["collocation"].setdefault("max_time", AUTO_COLLOCATION_MAX_TIME)
    return per


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


def run_method(problem, method, guess, options):
    """Run one method; a numerical breakdown becomes a failed `RawSolution`, not a crash."""
    try:
        return SOLVERS[method](problem, guess, **options)
    except (ArithmeticError, np.linalg.LinAlgError) as exc:
        return _breakdown(problem, method, guess, exc)


def _counts(objective):
    return dict(getattr(objective, "counts", None) or {})


def dispatch(problem, method, guess=None, *, defaults=None, **options):
    """Solve `problem` with `method` (``"auto"`` included) from `guess`.

    Parameters
    ----------
    problem : BVPProblem
    method : str
        One of :data:`METHODS`.
    guess : Guess or None
        Initial path (None: the straight line).
    defaults : dict, optional
        ``{method: {option: value}}``: a caller's defaults, overridden by `options` (LAML uses
        a cheap direct method inside its loop).
    **options
        Method options; under ``"auto"`` each method receives those it accepts.

    Returns
    -------
    Dispatched
        ``raw`` from the first method of the chain that succeeded (else the last one tried).
    """
    chain = method_chain(problem, method)
    per = split_options(chain, options, defaults)
    before = _counts(problem.objective)
    start = time.perf_counter()
    tried = []
    for name in chain:
        raw = run_method(problem, name, guess, per[name])
        tried.append((name, raw))
        if raw.success:
            break
    after = _counts(problem.objective)
    counts = {k: after[k] - before.get(k, 0) for k in after}
    name, raw = tried[-1]
    return Dispatched(raw=raw, method=name, counts=counts,
                      seconds=time.perf_counter() - start,
                      fallback=tried[0] if len(tried) > 1 else None)
