"""`solve_action_path`: boundary validation, the "auto" rule, hedging, counts, user callables."""
import numpy as np
import pytest

from lagopt import Status
from lagopt.paths import (METHODS, Auto, Collocation, Direct, quadratic_solution,
                          solve_action_path)
from lagopt.paths.methods import METHOD_CLASSES
from lagopt.paths.solve import AUTO_MAX_PARAMS

from ._solve_helpers import Kink, MullerBrown, Quadratic, Rosenbrock, spread_matrix


def _quad(n=3, seed=0):
    rng = np.random.default_rng(seed)
    A = spread_matrix(n, -1, 1, seed)
    return Quadratic(A), A, rng.standard_normal(n), rng.standard_normal(n)


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize("kwargs, name", [
    ({"theta0": [np.nan, 0.0, 0.0]}, "theta0"),
    ({"thetaT": [0.0, np.inf, 0.0]}, "thetaT"),
    ({"thetaT": [0.0, 0.0]}, "thetaT"),
    ({"theta0": [0.0, 0.0]}, "theta0"),
    ({"T": 0.0}, "T"),
    ({"T": -1.0}, "T"),
    ({"lam": -0.5}, "lam"),
    ({"method": "newton"}, "method"),
    ({"n_starts": 0}, "n_starts"),
])
def test_validation_errors_name_the_argument(kwargs, name):
    f, _, x0, xT = _quad()
    args = {"theta0": x0, "thetaT": xT, **kwargs}
    with pytest.raises((ValueError, TypeError), match=f"`{name}`"):
        solve_action_path(f, **args)


def test_bad_seed_unknown_option_and_bad_guess():
    f, _, x0, xT = _quad()
    with pytest.raises(TypeError, match="`seed`"):
        solve_action_path(f, x0, xT, seed="abc")
    with pytest.raises(TypeError, match="max_nodez"):
        solve_action_path(f, x0, xT, method="collocation", max_nodez=10)
    with pytest.raises(ValueError, match="`guess`"):
        solve_action_path(f, x0, xT, guess=np.zeros((2, 5)))


def test_success_is_status_zero_for_every_method():
    f, _, x0, xT = _quad()
    for method in METHODS:
        path = solve_action_path(f, x0, xT, method=method)
        assert path.success == (path.status == Status.SUCCESS), method
        assert isinstance(path.status, Status)


def test_methods_table():
    assert METHODS == ("auto", "collocation", "shooting", "multiple_shooting", "direct",
                       "linear", "smoothstep")


# ----------------------------------------------------------------------------- auto
def test_auto_takes_collocation_for_small_smooth_problems():
    f, A, x0, xT = _quad()
    path = solve_action_path(f, x0, xT, T=1.5, lam=2.0)
    assert path.method == "collocation" and path.success and path.status == Status.SUCCESS
    assert path.info["requested_method"] == "auto"
    exact = quadratic_solution(A, x0, xT, 1.5, 2.0)
    assert path.action == pytest.approx(exact.action, rel=1e-7)


def test_auto_takes_direct_for_nonsmooth_and_large_problems():
    capped = Auto(chain=(Collocation(max_time=20), Direct(max_time=20)))
    path = solve_action_path(Kink(3), -np.ones(3), np.ones(3), method=capped)
    assert path.method == "direct"
    n = AUTO_MAX_PARAMS + 1
    big = solve_action_path(Quadratic(np.eye(n)), np.zeros(n), np.ones(n), method=capped)
    assert big.method == "direct"
    exact = quadratic_solution(np.eye(n), np.zeros(n), np.ones(n))
    assert big.action == pytest.approx(exact.action, rel=1e-3)


def test_auto_falls_back_to_direct_and_records_both():
    A = spread_matrix(3, 0, 2, seed=2)
    f = Quadratic(A)
    x0, xT = np.ones(3), -np.ones(3)
    # a node cap on collocation alone: collocation must fail
    auto = Auto(chain=(Collocation(max_nodes=12, max_time=10.0), Direct()))
    path = solve_action_path(f, x0, xT, T=3.0, lam=3.0, method=auto)
    assert path.method == "direct"
    assert path.info["fallback_from"]["method"] == "collocation"
    assert path.info["fallback_from"]["status"] == Status.MAX_ITER


# ----------------------------------------------------------------------------- hedging
def test_hedging_keeps_least_action_and_summarises_starts():
    f, _, x0, xT = _quad(2, seed=3)
    path = solve_action_path(f, x0, xT, method="collocation", n_starts=4, seed=1)
    assert [s["label"] for s in path.starts] == ["line", "smoothstep", "detour 1", "detour 2"]
    assert set(path.starts[0]) >= {"label", "success", "action", "status"}
    ok = [s["action"] for s in path.starts if s["success"]]
    assert path.action == pytest.approx(min(ok), rel=1e-8)  # near-ties: smaller residual


def test_same_seed_same_result():
    f = MullerBrown()
    a, b = f.minima[1], f.minima[2]
    kw = dict(T=1.0, lam=0.1, method="collocation", n_starts=4, seed=11)
    p1, p2 = solve_action_path(f, a, b, **kw), solve_action_path(f, a, b, **kw)
    assert p1.action == p2.action and p1.info["start"] == p2.info["start"]
    np.testing.assert_array_equal(p1.theta, p2.theta)
    assert [s["action"] for s in p1.starts] == [s["action"] for s in p2.starts]


@pytest.mark.parametrize("make, pair, lam, T, method", [
    (MullerBrown, (1, 2), 0.1, 1.0, "auto"),
    (MullerBrown, (0, 1), 1.0, 3.0, "direct"),  # measured: -342.2 (line) -> -383.8 (detour 3)
    (Rosenbrock, None, 0.1, 1.0, "auto"),
])
def test_hedging_on_2d_landscapes_never_worse_than_one_start(make, pair, lam, T, method):
    f = make()
    if pair is None:
        a, b = np.array([-1.0, 1.0]), np.array([1.0, 1.0])
    else:
        a, b = f.minima[pair[0]], f.minima[pair[1]]
    method = (Auto(chain=(Collocation(max_time=10), Direct(max_time=10))) if method == "auto"
              else METHOD_CLASSES[method](max_time=10))
    single = solve_action_path(f, a, b, T=T, lam=lam, method=method)
    hedged = solve_action_path(f, a, b, T=T, lam=lam, method=method, n_starts=5, seed=0)
    assert hedged.success and len(hedged.starts) == 5
    assert hedged.action <= single.action + 1e-12 * abs(single.action)
    smooth = solve_action_path(f, a, b, T=T, lam=lam, method="smoothstep")
    assert hedged.action < smooth.action  # a least-action path beats the interpolant


def test_collocation_continuation_rescues_a_failed_first_attempt():
    f = MullerBrown()
    a, b = f.minima[0], f.minima[1]
    plain = solve_action_path(f, a, b, T=2.0, lam=0.03, method=Collocation(continuation=None))
    assert not plain.success
    path = solve_action_path(f, a, b, T=2.0, lam=0.03, method="collocation")
    assert path.success and path.status == Status.SUCCESS
    assert path.info["continuation"][-1] == (1.0, True)
    assert path.info["energy_drift_rel"] < 1e-5


def test_user_guess_is_the_first_start():
    f, _, x0, xT = _quad(2, seed=4)
    guess = np.linspace(x0, xT, 7).T
    path = solve_action_path(f, x0, xT, method="collocation", guess=guess, n_starts=2)
    assert [s["label"] for s in path.starts] == ["user", "line"]
    cb = solve_action_path(f, x0, xT, method="collocation",
                           guess=lambda t: np.outer(x0, 1 - np.asarray(t)) +
                           np.outer(xT, np.asarray(t)))
    assert cb.success and cb.starts[0]["label"] == "user"


def test_all_starts_fail_returns_least_action_failure():
    path = solve_action_path(Kink(2), -np.ones(2), np.ones(2), method=Collocation(max_nodes=30),
                             n_starts=3, seed=0)
    assert not path.success and len(path.starts) == 3
    assert all(not s["success"] for s in path.starts)
    assert path.action == min(s["action"] for s in path.starts)


# ----------------------------------------------------------------------------- interpolants
def test_interpolants_are_built_but_not_successes():
    f, _, x0, xT = _quad()
    path = solve_action_path(f, x0, xT, method="smoothstep", n_starts=3)
    assert not path.success and path.status == Status.NOT_SOLVED and path.method == "smoothstep"
    assert np.isfinite(path.action) and path.residual > 0
    assert len(path.starts) == 1 and path.info["n_starts_ignored"]
    assert path.ngev == 0 and path.nfev == 0


# ----------------------------------------------------------------------------- bookkeeping
def test_counts_exclude_the_measurement_and_time_is_recorded():
    f, _, x0, xT = _quad()
    f.reset_counts()
    path = solve_action_path(f, x0, xT, method="collocation")
    assert 0 < path.ngev < f.counts["grad"]  # the rest is the residual measurement
    # one Hessian at theta0 warms the (numba) kernels up outside the solve; the second
    # variation (is_minimum) takes Hessians along the path, also outside the solve's count
    assert 0 < path.nhev < f.counts["hess"] - 1
    assert path.nfev < f.counts["loss"]
    assert path.wall_time > 0 and path.info["solve_time"] <= path.wall_time


def test_plain_callable_objective_with_grad_and_hess_keywords():
    A = np.diag([1.0, 3.0])
    path = solve_action_path(lambda x: 0.5 * x @ A @ x, [1.0, 0.0], [0.0, 1.0], T=1.0, lam=1.0,
                             method="collocation", grad=lambda x: A @ x, hess=lambda x: A)
    exact = quadratic_solution(A, [1.0, 0.0], [0.0, 1.0])
    assert path.success and path.action == pytest.approx(exact.action, rel=1e-7)
