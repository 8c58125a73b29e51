"""A non-finite loss along a path is a status, never an exception (and a hedged solve keeps its
other starts); equal end points still give distinct starts."""
import numpy as np
import pytest

import lagopt
from lagopt.paths import Collocation
from lagopt import Status


def _nan_beyond_half(th):
    return float("nan") if th[0] > 0.5 else float(th @ th)


@pytest.mark.parametrize("method", ["auto", "direct", "collocation", "shooting",
                                    "multiple_shooting", "linear"])
def test_a_nan_region_is_a_non_finite_status(method):
    path = lagopt.solve_action_path(_nan_beyond_half, [0.0, 0.0], [1.0, 1.0], method=method)
    assert path.status == Status.NON_FINITE and not path.success
    assert np.isnan(path.residual) and np.isnan(path.action)
    assert "returned NaN" in path.message


def test_a_hedged_solve_with_a_nan_region_returns_a_path():
    path = lagopt.solve_action_path(_nan_beyond_half, [0.0, 0.0], [1.0, 1.0], n_starts=3,
                                    seed=0)
    assert len(path.starts) == 3 and path.status == Status.NON_FINITE


def test_the_good_start_is_kept_when_another_start_meets_a_nan():
    # NaN only far off the line: the line start succeeds, a large detour may cross it.
    # (Without continuation: the default continuation in lam restarts from the straight line
    # and rescues that detour too.)
    def loss(th):
        return float("nan") if th[1] > 1.5 else float(0.5 * th @ th)
    kw = dict(n_starts=4, seed=3, detour_scale=8.0)
    path = lagopt.solve_action_path(loss, [0.0, 0.0], [1.0, 0.0],
                                    method=Collocation(continuation=None), **kw)
    assert path.success and path.starts[0]["label"] == "line"
    assert any(s["status"] == Status.NON_FINITE for s in path.starts)
    rescued = lagopt.solve_action_path(loss, [0.0, 0.0], [1.0, 0.0], **kw)
    assert all(s["success"] for s in rescued.starts)


def test_equal_ends_give_distinct_starts():
    bratu = lagopt.CallableObjective(lambda th: -np.exp(th[0]), 1,
                                     grad=lambda th: -np.exp(th),
                                     hess=lambda th: -np.exp(th)[None, :])
    path = lagopt.solve_action_path(bratu, [0.0], [0.0], lam=1.0, n_starts=3, seed=0)
    labels = [s["label"] for s in path.starts]
    assert labels == ["line", "detour 1", "detour 2"]


def test_max_time_bounds_the_certificates_too():
    # A solve that ends past the method's max_time is measured but not certified.
    import time as _time
    from lagopt.objectives import Quadratic as _Q
    from lagopt.paths import Direct

    class Slow(_Q):
        def _hess_batch(self, P):
            _time.sleep(0.02)
            return super()._hess_batch(P)
    f = Slow(np.diag([1.0, 2.0]))
    path = lagopt.solve_action_path(f, [0.0, 0.0], [1.0, 1.0], method=Direct(max_time=0.01))
    assert not path.success and path.status == Status.MAX_TIME, path.message
    assert "max_time" in path.message and path.is_minimum is None
    roomy = lagopt.solve_action_path(f, [0.0, 0.0], [1.0, 1.0], method=Direct(max_time=60.0))
    assert roomy.success and roomy.is_minimum is True


def test_a_solve_that_ends_past_its_deadline_is_not_certified():
    import time as _time
    from lagopt.objectives import Quadratic as _Q
    from lagopt.paths._dispatch import dispatch
    from lagopt.paths._problem import BVPProblem
    from lagopt.paths._result import finalize
    problem = BVPProblem(_Q(np.eye(2)), np.zeros(2), np.ones(2), 1.0, 1.0)
    raw = dispatch(problem, "collocation").raw
    late = finalize(problem, raw, "collocation", deadline=_time.perf_counter() - 1.0)
    assert late.status == Status.MAX_TIME and "conjugate-point certificate" in late.message
    assert np.isfinite(late.action) and late.is_minimum is None
    on_time = finalize(problem, raw, "collocation", deadline=_time.perf_counter() + 60.0)
    assert on_time.success and on_time.is_minimum is True
