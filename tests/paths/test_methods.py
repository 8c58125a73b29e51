"""The path methods as objects: options with their defaults, validation, the spelling of
misplaced options, a user's own method, `Auto`'s chain, shooting's integrator."""
import inspect
from dataclasses import FrozenInstanceError, dataclass

import numpy as np
import pytest

import lagopt
from lagopt import Status
from lagopt.paths import (Auto, Collocation, Direct, Linear, MultipleShooting, PathMethod,
                          Shooting, Smoothstep, collocation, direct, multiple_shooting,
                          shooting, solve_action_path)
from lagopt.paths._problem import RawSolution
from lagopt.paths.methods import METHOD_CLASSES, as_method

from ._solve_helpers import Kink, Quadratic


def _quad():
    return Quadratic(np.diag([1.0, 4.0])), np.array([1.0, 1.0]), np.array([0.0, 2.0])


def _defaults(fn, skip=("problem", "guess")):
    return {k: p.default for k, p in inspect.signature(fn).parameters.items() if k not in skip}


@pytest.mark.parametrize("cls, fn", [
    (Collocation, collocation.solve), (Shooting, shooting.solve),
    (MultipleShooting, multiple_shooting.solve), (Direct, direct.solve),
])
def test_objects_hold_exactly_the_options_and_defaults_of_the_solvers(cls, fn):
    assert cls().options() == _defaults(fn)


def test_interpolants_and_auto_defaults():
    assert Linear().n_nodes == Smoothstep().n_nodes == 101
    auto = Auto()
    assert auto.max_params == 100 and auto.collocation_max_time == 10.0
    assert auto.methods() == (Collocation(max_time=10.0), Direct())


def test_a_name_is_the_default_object():
    for name, cls in METHOD_CLASSES.items():
        assert as_method(name) == cls() and cls.name == name
    with pytest.raises(ValueError, match="`method`"):
        as_method("newton")
    with pytest.raises(TypeError, match="`method`"):
        as_method(3)


def test_objects_are_frozen():
    with pytest.raises(FrozenInstanceError):
        Direct().tol = 1e-3


@pytest.mark.parametrize("make, exc, words", [
    (lambda: Collocation(tol=0.0), ValueError, ["Collocation", "`tol`", "> 0", "0.0"]),
    (lambda: Collocation(max_nodes=1), ValueError, ["`max_nodes`", ">= 2", "1"]),
    (lambda: Collocation(continuation="sideways"), ValueError, ["`continuation`", "sideways"]),
    (lambda: Shooting(integrator="Euler"), ValueError, ["Shooting", "`integrator`", "Radau"]),
    (lambda: Shooting(maxiter=2.5), TypeError, ["`maxiter`", "integer"]),
    (lambda: MultipleShooting(n_segments=0), ValueError, ["`n_segments`", ">= 1"]),
    (lambda: Direct(rule="simpson"), ValueError, ["Direct", "`rule`", "numerov", "simpson"]),
    (lambda: Direct(n_nodes=65, max_nodes=33), ValueError, ["n_nodes", "max_nodes"]),
    (lambda: Direct(rule="numerov", solver="newton"), ValueError, ["numerov", "krylov"]),
    (lambda: Direct(refine="yes"), TypeError, ["`refine`"]),
    (lambda: Linear(n_nodes=1), ValueError, ["Linear", "`n_nodes`", ">= 2"]),
    (lambda: Auto(chain=()), TypeError, ["`chain`"]),
    (lambda: Auto(chain=(Auto(),)), TypeError, ["`chain`", "not Auto"]),
    (lambda: Auto(max_params=-1), ValueError, ["`max_params`", ">= 0"]),
])
def test_validation_names_the_option_the_range_and_the_value(make, exc, words):
    with pytest.raises(exc) as err:
        make()
    for word in words:
        assert word in str(err.value)


def test_top_level_options_raise_with_the_object_spelling():
    f, a, b = _quad()
    with pytest.raises(TypeError) as err:
        solve_action_path(f, a, b, method="collocation", tol=1e-8)
    assert "write method=Collocation(tol=1e-08)" in str(err.value)
    with pytest.raises(TypeError) as err:
        solve_action_path(f, a, b, method=Direct(rule="numerov"), tol=1e-7)
    assert "method=Direct(rule='numerov', tol=1e-07)" in str(err.value)
    with pytest.raises(TypeError) as err:   # under auto: one value for each method that has it
        solve_action_path(f, a, b, tol=1e-8)
    assert ("Auto(chain=(Collocation(max_time=10.0, tol=1e-08), Direct(tol=1e-08)))"
            in str(err.value))
    with pytest.raises(TypeError, match=r"Direct\(rule='numerov'\)"):
        solve_action_path(f, a, b, rule="numerov")     # no longer silently ignored
    with pytest.raises(TypeError, match="not an option|neither"):
        solve_action_path(f, a, b, method="shooting", max_nodez=3)


def test_string_and_object_give_the_same_path():
    f, a, b = _quad()
    p1 = solve_action_path(f, a, b, method="direct")
    p2 = solve_action_path(f, a, b, method=Direct())
    np.testing.assert_array_equal(p1.theta, p2.theta)
    assert p1.action == p2.action


def test_auto_chain_is_configurable():
    f, a, b = _quad()
    direct_only = solve_action_path(f, a, b, method=Auto(chain=(Direct(),)))
    assert direct_only.method == "direct"
    # collocation capped to fail first, then the direct method: the fallback is recorded
    auto = Auto(chain=(Collocation(max_nodes=2, initial_nodes=2, continuation=None), Direct()))
    path = solve_action_path(f, a, b, T=3.0, lam=3.0, method=auto)
    assert path.method == "direct" and path.info["fallback_from"]["method"] == "collocation"
    # above max_params only the chain's last method runs
    assert solve_action_path(f, a, b, method=Auto(max_params=1)).method == "direct"
    assert solve_action_path(Kink(2), -np.ones(2), np.ones(2)).method == "direct"


def test_shooting_integrator_is_reachable():
    f, a, b = _quad()
    path = solve_action_path(f, a, b, method=Shooting(integrator="Radau"))
    assert path.success and path.method == "shooting"
    ref = solve_action_path(f, a, b, method="shooting")
    assert path.action == pytest.approx(ref.action, rel=1e-7)


@dataclass(frozen=True)
class Halfway(PathMethod):
    """A user's method: the direct method from a coarse first grid, under its own name."""

    name = "halfway"
    n_nodes: int = 9

    def __post_init__(self):
        if self.n_nodes < 3:
            raise ValueError(f"Halfway: `n_nodes` must be >= 3, got {self.n_nodes}.")

    def solve(self, problem, guess=None):
        raw = Direct(n_nodes=self.n_nodes, refine=True).solve(problem, guess)
        raw.info["wrapped"] = "direct"
        return raw


@dataclass(frozen=True)
class Straight(PathMethod):
    """A user's trivial method: the straight line on two nodes, claimed as nothing solved."""

    name = "straight"
    interpolant = True

    def solve(self, problem, guess=None):
        t = np.array([0.0, problem.T])
        theta = np.column_stack([problem.theta0, problem.thetaT])
        v = np.repeat(((problem.thetaT - problem.theta0) / problem.T)[:, None], 2, axis=1)
        return RawSolution(t=t, theta=theta, theta_dot=v, success=False,
                           status=Status.NOT_SOLVED, message="the straight line")


def test_a_user_method_solves_through_solve_action_path():
    f, a, b = _quad()
    path = solve_action_path(f, a, b, method=Halfway(), n_starts=2, seed=0)
    assert path.method == "halfway" and path.success and path.info["wrapped"] == "direct"
    assert path.info["levels"][0]["N"] == 8 and len(path.starts) == 2
    line = solve_action_path(f, a, b, method=Straight(), n_starts=3)
    assert line.method == "straight" and line.status == Status.NOT_SOLVED
    assert len(line.starts) == 1 and line.info["n_starts_ignored"]
    exact = lagopt.quadratic_solution(np.diag([1.0, 4.0]), a, b)
    assert line.action > exact.action
    with pytest.raises(ValueError, match="n_nodes"):
        Halfway(n_nodes=2)
    with pytest.raises(TypeError, match="write method=Halfway"):
        solve_action_path(f, a, b, method=Halfway(), n_nodes=5)


def test_a_user_method_may_sit_in_auto_chain():
    f, a, b = _quad()
    path = solve_action_path(f, a, b, method=Auto(chain=(Straight(), Halfway())))
    assert path.method == "halfway"
    assert path.info["fallback_from"]["method"] == "straight"
