"""Classic boundary value problems: the stiff ones solved from the straight line without user
help, and the least action returned where a saddle of the action is found first.

Troesch's problem ``y'' = mu sinh(mu y)``, ``y(0) = 0``, ``y(1) = 1`` is ``L = cosh(mu theta)``,
``lam = 1``. Its boundary layer at ``t = 1`` steepens like ``exp(mu / 2)``; scipy's solve_bvp
from the straight line fails from ``mu = 10`` on. References: ``y'(0)`` from the literature
(``mu <= 30``) and the asymptote ``8 exp(-mu)`` (relative error about ``exp(-mu / 2)``);
``y'(1)`` from energy conservation, ``y'(1)^2 = y'(0)^2 + 2 (cosh mu - 1)``.
"""
import numpy as np
import pytest

from lagopt.objectives import CallableObjective
from lagopt.paths import Direct, solve_action_path

TROESCH_SLOPE = {10: 3.5833778463081369e-4, 20: 1.6487731827804036e-8,
                 30: 7.4860937950438118e-13}


def troesch(mu, vectorized=True):
    if vectorized:
        return CallableObjective(lambda P: np.cosh(mu * P[0]), 1,
                                 grad=lambda P: mu * np.sinh(mu * P),
                                 hess=lambda P: (mu * mu * np.cosh(mu * P))[None],
                                 vectorized=True)
    return CallableObjective(lambda th: np.cosh(mu * th[0]), 1,
                             grad=lambda th: mu * np.sinh(mu * th),
                             hess=lambda th: np.array([[mu * mu * np.cosh(mu * th[0])]]))


@pytest.mark.parametrize("mu", [10, 20, 30, 50])
def test_troesch_from_the_straight_line_is_certified_and_right(mu):
    path = solve_action_path(troesch(mu), [0.0], [1.0])
    assert path.success, path.message
    assert path.is_minimum is True
    v0, v1 = path.velocity(0.0)[0], path.velocity(1.0)[0]
    ref0 = TROESCH_SLOPE.get(mu, 8.0 * np.exp(-mu))
    ref1 = np.sqrt(ref0 ** 2 + 2.0 * (np.cosh(mu) - 1.0))
    assert abs(v0 - ref0) <= 1e-3 * ref0
    assert abs(v1 - ref1) <= 1e-5 * ref1
    # Reached by continuation in lam, recorded as (weight, converged) steps ending at 1.
    assert path.info["continuation"][-1] == (1.0, True)


def test_troesch_with_a_per_point_callable():
    path = solve_action_path(troesch(10, vectorized=False), [0.0], [1.0])
    assert path.success, path.message
    assert abs(path.velocity(0.0)[0] - TROESCH_SLOPE[10]) <= 1e-3 * TROESCH_SLOPE[10]


def pendulum():
    return CallableObjective(lambda P: np.cos(P[0]), 1, grad=lambda P: -np.sin(P),
                             hess=lambda P: -np.cos(P)[None], vectorized=True)


@pytest.mark.parametrize("T", [4.5, 7.0])
def test_pendulum_past_pi_returns_the_minimum_not_the_saddle(T):
    # theta'' = -sin(theta), 0 -> 0.5: past T = pi collocation converges to a saddle of the
    # action; auto goes on to the direct method, which minimises the action.
    path = solve_action_path(pendulum(), [0.0], [0.5], T=T)
    assert path.success and path.is_minimum is True, path.message
    assert path.info["saddle_from"]["action"] > path.action
    reference = solve_action_path(pendulum(), [0.0], [0.5], T=T,
                                  method=Direct(tol=1e-10, rule="numerov"))
    assert reference.is_minimum is True
    assert abs(path.velocity(0.0)[0] - reference.velocity(0.0)[0]) < 1e-5
    assert abs(path.action - reference.action) < 1e-6 * max(1.0, abs(reference.action))


def test_a_saddle_is_returned_when_the_chain_finds_no_minimum():
    # Collocation alone: the saddle is certified (success) but labelled, never hidden.
    from lagopt.paths import Auto, Collocation
    path = solve_action_path(pendulum(), [0.0], [0.5], T=4.5, method=Auto(chain=(Collocation(),)))
    assert path.success and path.is_minimum is False
