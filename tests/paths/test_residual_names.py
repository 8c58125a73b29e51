"""One name per number: `ActionPath.residual` is the residual the success gate checks, the
message states it against the gate, and the methods' own stopping measures have other names."""
import numpy as np

import lagopt
from lagopt.paths import solve_action_path
from lagopt.paths._result import RESIDUAL_GATE


def _network(activation):
    X, y = lagopt.make_dataset("xor")
    f = lagopt.MLPObjective(X, y, sizes=(4, 6, 1), activation=activation)
    a = f.init_params(42)
    b = a + 0.3 * np.random.default_rng(0).standard_normal(f.n_params)
    return f, a, b


def test_smooth_loss_residual_is_the_relative_pointwise_one():
    f, a, b = _network("tanh")
    path = solve_action_path(f, a, b, method="collocation")
    assert path.success, path.message
    assert path.residual == path.info["residual_rel"] <= RESIDUAL_GATE
    # unscaled: the scale is the path's own (D / T + |f|), so it may be either side of it
    assert 0.0 < path.info["residual_abs"] < float("inf")
    assert f"Certified: residual {path.residual:.1e}" in path.message
    assert "solve_bvp's stopping measure" in path.message


def test_nonsmooth_loss_residual_is_the_weak_one():
    f, a, b = _network("relu")
    path = solve_action_path(f, a, b, method="direct")
    assert path.success, path.message
    assert path.residual == path.info["weak_residual_rel"] <= RESIDUAL_GATE
    # the direct method's Newton residual is its own number, under its own name
    assert "newton_residual" in path.info and "residual" not in path.info


def test_an_interpolant_is_far_above_the_gate():
    f, a, b = _network("tanh")
    path = solve_action_path(f, a, b, method="smoothstep")
    assert not path.success and path.residual > 10 * RESIDUAL_GATE
