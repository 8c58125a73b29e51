"""`solve_mep` in first-order mode (no Hessian in the string, a climbing image), the bounded
Lanczos certificate, ends taken as given, and the MEP of `connect` on a small network."""
import time

import numpy as np
import pytest

from lagopt import Status, solve_mep
from lagopt.objectives import CallableObjective, MullerBrown
from lagopt.transition import hessian_index

A = np.array([-0.5582236, 1.4417258])
B = np.array([0.6234994, 0.0280378])


def test_first_order_agrees_with_newton_on_mueller_brown():
    mb = MullerBrown()
    newton = solve_mep(mb, A, B, method="newton")
    first = solve_mep(mb, A, B, method="first_order")
    assert newton.success and first.success, first.message
    assert newton.info["method"] == "newton" and first.info["method"] == "first_order"
    assert len(first.saddles) == len(newton.saddles) == 2
    for p, q in zip(first.saddles, newton.saddles):
        np.testing.assert_allclose(p.x, q.x, atol=1e-8)          # both P-RFO refined
        assert p.certified and p.grad_norm <= 1e-8 and p.index == 1
    assert first.tangent_residual <= 1e-3
    # The climbing image sat at the highest saddle before refinement: its estimate is close.
    assert first.info["barrier_estimate"] == pytest.approx(first.barrier_forward, rel=1e-2)


def test_auto_keeps_newton_on_mueller_brown_within_800_gradients():
    res = solve_mep(MullerBrown(), A, B)
    assert res.success and res.info["method"] == "newton" and res.n_grad <= 800


def test_first_order_string_unconverged_reports_the_climbing_image():
    res = solve_mep(MullerBrown(), A, B, method="first_order", max_iter=40)
    assert not res.success and res.status == Status.MAX_ITER
    assert "Climbing image" in res.message and "barrier estimate" in res.message
    ci = res.info["climbing_image"]
    assert ci is not None and res.energy[ci] == pytest.approx(np.max(res.energy))
    assert np.isfinite(res.info["barrier_estimate"])


def _rotated_double_well(n=50, seed=0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    k = rng.uniform(5.0, 20.0, n - 2)

    def dV_dy(y):
        r = y[1] - 0.6 * y[0] ** 2
        return np.concatenate([[4 * y[0] * (y[0] ** 2 - 1) - 7.2 * r * y[0], 6 * r],
                               k * y[2:]])

    def V(x):
        y = Q @ x
        return (y[0] ** 2 - 1) ** 2 + 3 * (y[1] - 0.6 * y[0] ** 2) ** 2 + \
            0.5 * np.sum(k * y[2:] ** 2)

    def hess(x):
        y = Q @ x
        r = y[1] - 0.6 * y[0] ** 2
        Hy = np.diag(np.concatenate([[12 * y[0] ** 2 - 4 + 8.64 * y[0] ** 2 - 7.2 * r, 6.0],
                                     k]))
        Hy[0, 1] = Hy[1, 0] = -7.2 * y[0]
        return Q.T @ Hy @ Q

    f = CallableObjective(V, n, grad=lambda x: Q.T @ dV_dy(Q @ x), hess=hess)
    ya = np.zeros(n)
    ya[:2] = -1.0, 0.6
    yb = ya.copy()
    yb[0] = 1.0
    return f, Q.T @ ya, Q.T @ yb


def test_rotated_double_well_50d_first_order():
    f, a, b = _rotated_double_well()
    res = solve_mep(f, a + 0.01, b - 0.01, method="first_order", dense_max=10, seed=0)
    assert res.success, res.message
    assert res.info["method"] == "first_order"
    (sp,) = res.saddles
    np.testing.assert_allclose(sp.x, 0.0, atol=1e-8)
    assert sp.energy == pytest.approx(1.0, abs=1e-12) and sp.certified and sp.index == 1
    assert res.quasi_potential == pytest.approx(2.0, rel=1e-9)


def test_auto_is_lbfgs_above_the_newton_size():
    f, a, b = _rotated_double_well(n=250, seed=1)
    res = solve_mep(f, a, b, max_iter=5, certify_ends=False)
    assert res.info["method"] == "lbfgs" and not res.success


def _clustered_quadratic(n=400):
    """A 400-D quadratic with a dense cluster of tiny eigenvalues: Lanczos for the lowest
    ones needs many Hessian-vector products."""
    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    w = np.concatenate([1e-3 * (1 + 1e-4 * np.arange(n // 2)), np.linspace(1, 1e3, n - n // 2)])
    H = (Q * w) @ Q.T
    return CallableObjective(lambda x: 0.5 * x @ H @ x, n, grad=lambda x: H @ x,
                             hess=lambda x: H), H


def test_lanczos_cap_gives_an_uncertified_point_not_a_hang():
    f, H = _clustered_quadratic()
    t0 = time.perf_counter()
    idx = hessian_index(f, np.zeros(f.n_params), dense_max=0, max_hvp=60, seed=0)
    assert time.perf_counter() - t0 < 30
    # (each Hessian-vector product charged at the objective's hessp_cost)
    assert idx.finished is False and idx.degenerate and idx.n_grad <= 60 * f.hessp_cost
    # In solve_mep: the ends' certificates are capped and charged to the budget.
    x = np.zeros(f.n_params)
    y = x.copy()
    y[0] = 1.0
    res = solve_mep(f, x, y, refine_ends=False, dense_max=0, cert_max_hvp=50,
                    max_grad_evals=400, max_iter=3, seed=0)
    assert not res.success and res.n_grad <= 400
    assert res.info["n_grad_stages"]["ends"] <= 2 * (50 * f.hessp_cost + 1)
    assert not res.minima[0].certified and "Lanczos" in res.minima[0].message
    assert "did not finish" in res.minima[0].message


def test_ends_taken_as_given():
    mb = MullerBrown()
    res = solve_mep(mb, A, B, refine_ends=False, certify_ends=False, tol=1e-4)
    assert not res.success and res.status == Status.NOT_CONVERGED
    assert res.info["ends_certified"] is False
    assert "certify_ends=False" in res.message
    assert res.info["n_grad_stages"]["ends"] == 2
    # The saddles are still refined and certified; the barrier is returned.
    assert len(res.saddles) == 2 and all(s.certified for s in res.saddles)
    assert res.barrier_forward == pytest.approx(-40.66484351 - mb.loss(A), abs=1e-5)


def test_connect_mep_on_a_small_network_within_budget():
    from lagopt.benchmarks.transition import mep_options, network_objectives, train_network
    from lagopt.transition.connect import connect
    f, f_test = network_objectives((4, 6, 1), n_train=40, n_test=40)
    a, b = (train_network(f, s, budget=150)["theta"] for s in (0, 1))
    for opts in (None, mep_options(f)):
        res = connect(f, a, b, held_out=f_test, max_grad_evals=400, seed=0, mep_options=opts)
        assert res.mep_result is not None
        assert res.mep.n_grad <= 400 and res.bezier.n_grad == 400
        assert np.isfinite(res.mep.barrier) and np.isfinite(res.mep.barrier_held_out)
        assert res.mep.loss.size >= 65
        # Honest status: ends not exact minima, or string not converged; said in the message.
        assert res.mep.success is False and res.mep.message
        assert res.mep_result.info["method"] == "lbfgs"
