"""The success gate is right both ways: exact paths pass at any horizon, stiffness and basis;
paths that are not solutions fail at any horizon.

The residual is normwise at each sample point and its momentum part is scaled by the rate
``|v| / T`` at which the velocity can change over the path, so it does not depend on the basis
(a rotated stiff quadratic solved to 1e-10 once measured 1e-2 componentwise) nor on the time
scale (an exact path at ``T = 1e-6`` once measured 16).
"""
import numpy as np
from hypothesis import given, settings, strategies as st

from lagopt.objectives import Quadratic
from lagopt.paths import core, quadratic_solution
from lagopt.paths._measure import measure
from lagopt.paths._result import ENERGY_GATE, RESIDUAL_GATE


def _rotated(n, omega, seed):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = (Q * (omega ** 2 * np.linspace(1e-3, 1.0, n))) @ Q.T   # fastest mode: omega
    return 0.5 * (A + A.T), rng.standard_normal(n), rng.standard_normal(n)


def _measured(A, a, b, T, dense=None):
    exact = quadratic_solution(A, a, b, T)
    t = np.linspace(0.0, T, 65)
    if dense is None:
        def dense(tq):
            return exact(tq), exact.velocity(tq)
    theta, v = dense(t)
    return measure(Quadratic(A), 1.0, T, t, theta, v, dense)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), omega_T=st.floats(0.1, 60.0), log_T=st.floats(-9.0, 3.0),
       seed=st.integers(0, 2**31 - 1))
def test_exact_paths_pass_the_gate_at_any_horizon_and_basis(n, omega_T, log_T, seed):
    T = 10.0 ** log_T
    A, a, b = _rotated(n, omega_T / T, seed)
    m = _measured(A, a, b, T)
    assert m["finite"]
    # (with room: at omega T = 60 the 256 measured intervals themselves leave ~1e-4)
    assert m["residual_rel"] <= 0.3 * RESIDUAL_GATE
    assert m["energy_drift_rel"] <= ENERGY_GATE


def test_a_stiff_rotated_quadratic_of_300_parameters_passes():
    A, a, b = _rotated(300, 50.0, seed=1)
    assert _measured(A, a, b, 1.0)["residual_rel"] <= 0.1 * RESIDUAL_GATE


@settings(max_examples=15, deadline=None)
@given(log_T=st.floats(-9.0, 3.0), n=st.integers(1, 5), seed=st.integers(0, 2**31 - 1))
def test_the_smoothstep_interpolant_fails_the_gate_at_any_horizon(log_T, n, seed):
    T = 10.0 ** log_T
    A, a, b = _rotated(n, 3.0 / T, seed)

    def smooth(tq):
        w, dw = core.smoothstep(np.asarray(tq) / T)
        return a[:, None] + np.outer(b - a, w), np.outer(b - a, dw / T)
    assert _measured(A, a, b, T, dense=smooth)["residual_rel"] > 10 * RESIDUAL_GATE
