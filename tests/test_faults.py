"""Faults found by probing the package as a hostile new user: each gives a clear error naming
the argument, or an honest status -- never a false success, a crash or a silent NaN."""
import numpy as np
import pytest

import lagopt
from lagopt import NonFiniteError, Status


def test_stiff_muller_brown_is_not_a_false_success():
    # lam = 1e6 makes omega T about 6e6: no grid within the node cap resolves the path.
    f = lagopt.MullerBrown()
    m = np.asarray(f.minima, dtype=float)
    auto = lagopt.Auto(chain=(lagopt.Collocation(max_nodes=4097, max_time=10.0),
                              lagopt.Direct(max_nodes=4097)))
    path = lagopt.solve_action_path(f, m[0], m[1], T=100.0, lam=1e6, method=auto)
    assert not path.success and path.status != Status.SUCCESS


@pytest.mark.parametrize("T", [1e-12, 1e-6])
def test_a_vanishing_horizon_is_solved_exactly_and_certified(T):
    # Once rejected (a residual scaled as solve_bvp's, 1 + |f|, is not invariant under a change
    # of time scale); the exact path must pass, and what passes must be the exact path.
    A = np.diag([-1.0, 1.0])
    path = lagopt.solve_action_path(lagopt.Quadratic(A), [1.0, 0.0], [1.0, 1.0], T=T)
    exact = lagopt.paths.quadratic_solution(A, [1.0, 0.0], [1.0, 1.0], T)
    assert path.success, path.message
    t = np.linspace(0.0, T, 9)
    assert np.abs(path(t) - exact(t)).max() < 1e-12
    assert abs(path.action - exact.action) <= 1e-9 * exact.action


@pytest.mark.parametrize("loss", [lambda th: -float(th @ th) ** 2,
                                  lambda th: -float(np.abs(th).sum()) ** 4])
def test_loss_unbounded_below_gives_a_non_finite_status(loss):
    # (maxiter keeps the test short: Newton with finite-difference Hessians walks downhill.)
    path = lagopt.solve_action_path(loss, [0.0, 1.0], [1.0, 0.0], T=3.0,
                                    method=lagopt.Direct(maxiter=50))
    assert path.status == Status.NON_FINITE
    assert "Try method='direct'" not in path.message   # no advice to use what just failed
    hedged = lagopt.solve_action_path(loss, [0.0, 1.0], [1.0, 0.0], T=3.0,
                                      method=lagopt.Direct(maxiter=50), n_starts=3, seed=0)
    assert not hedged.success and len(hedged.starts) == 3


@pytest.mark.parametrize("method", ["gd", "momentum"])
def test_diverging_optimizer_keeps_the_last_finite_iterate(method):
    res = lagopt.minimize(lambda x: float(x[0] ** 4 - 3 * x[0] ** 2), [0.5], method=method,
                          lr=0.5, max_grad_evals=200)
    assert res.status == Status.NON_FINITE and not res.success
    assert np.all(np.isfinite(res.x)) and np.isfinite(res.fun)


def test_network_gradient_that_overflows_raises():
    X, y = lagopt.make_dataset("xor")
    f = lagopt.MLPObjective(X, y, sizes=(4, 6, 1), activation="relu")
    with pytest.raises(NonFiniteError, match="gradient"):
        f.grad(np.full(f.n_params, 1e200))


def test_action_of_a_callable_path_returning_nan_raises():
    with pytest.raises(ValueError, match="`path`"):
        lagopt.action(lambda th: float(th @ th), lambda t: np.full((2, np.size(t)), np.nan),
                      T=1.0)


def test_minimize_names_a_bad_seed():
    with pytest.raises(TypeError, match="`seed`"):
        lagopt.minimize(lambda x: float(x @ x), [0.5], seed="abc")


def test_multiple_shooting_keeps_its_time_cap_with_many_segments():
    f = lagopt.MullerBrown()
    m = np.asarray(f.minima, dtype=float)
    path = lagopt.solve_action_path(
        f, m[0], m[1], method=lagopt.MultipleShooting(n_segments=30_000, max_time=0.5))
    assert path.status == Status.MAX_TIME
