"""`solve_mep(method="lbfgs")`: the string optimised jointly by L-BFGS (no Hessian)."""
import numpy as np
import pytest

from lagopt import Status, solve_mep
from lagopt.objectives import MullerBrown

A = np.array([-0.5582236, 1.4417258])
B = np.array([0.6234994, 0.0280378])


def test_lbfgs_agrees_with_newton_on_mueller_brown():
    mb = MullerBrown()
    newton = solve_mep(mb, A, B, method="newton")
    lb = solve_mep(mb, A, B, method="lbfgs")
    assert newton.success and lb.success, lb.message
    assert lb.info["method"] == "lbfgs"
    assert len(lb.saddles) == len(newton.saddles) == 2
    for p, q in zip(lb.saddles, newton.saddles):
        np.testing.assert_allclose(p.x, q.x, atol=1e-8)          # both P-RFO refined
        assert p.certified and p.index == 1
    assert lb.tangent_residual <= 1e-3
    assert lb.quasi_potential == pytest.approx(229.107103, rel=1e-6)
    assert lb.n_grad <= 800            # fewer than the first-order string (about 1,100)


def test_lbfgs_without_climbing_and_energy_weighted_still_finds_the_saddles():
    res = solve_mep(MullerBrown(), A, B, method="lbfgs", climb=False, energy_weight=1.0)
    assert res.success, res.message
    assert [round(sp.energy, 4) for sp in res.saddles] == [-40.6648, -72.2489]


def test_lbfgs_unconverged_is_honest_and_keeps_its_string():
    res = solve_mep(MullerBrown(), A, B, method="lbfgs", max_grad_evals=150)
    assert not res.success and res.status == Status.BUDGET_EXHAUSTED
    assert res.n_grad <= 150 and "did not converge" in res.message
    assert res.path.shape == (2, 11) and np.all(np.isfinite(res.energy))
    # the returned energies are those of the returned string
    np.testing.assert_allclose(res.energy, MullerBrown().loss_batch(res.path), rtol=1e-12)


def test_connect_lbfgs_mep_on_a_4_6_1_network_within_budget():
    from lagopt.benchmarks.transition import mep_options, network_objectives, train_network
    from lagopt.transition.connect import connect
    f, f_test = network_objectives((4, 6, 1), n_train=40, n_test=40)
    a, b = (train_network(f, s, budget=150)["theta"] for s in (0, 1))
    opts = mep_options(f)
    assert opts["method"] == "lbfgs"
    res = connect(f, a, b, held_out=f_test, max_grad_evals=500, seed=0, mep_options=opts)
    assert res.mep.n_grad <= 500 and res.bezier.n_grad == 500
    assert np.isfinite(res.mep.barrier) and np.isfinite(res.mep.barrier_held_out)
    assert res.mep.barrier < res.line.barrier
    assert res.mep_result.info["method"] == "lbfgs"
    # ends taken as given: never reported as a success, and the message says why
    assert res.mep.success is False and res.mep.message
    assert res.mep_result.status in (Status.BUDGET_EXHAUSTED, Status.MAX_ITER,
                                     Status.NOT_CONVERGED)


def test_max_time_ends_the_call_with_a_status(monkeypatch):
    # A clock that advances 0.01 s per reading: the cap of 0.5 s passes after about 50
    # evaluations (batched: several images each), deterministically, before the ~555
    # gradients of the whole call.
    import time as _time
    from lagopt import Status
    from lagopt.objectives import MullerBrown
    from lagopt.transition import solve_mep
    from lagopt.transition import saddle
    clock = iter(range(10**9))
    monkeypatch.setattr(saddle.time, "perf_counter", lambda: 0.01 * next(clock))
    res = solve_mep(MullerBrown(), [-0.5582236, 1.4417258], [0.6234994, 0.0280378],
                    max_time=0.5)
    assert res.status == Status.MAX_TIME and not res.success
    assert "max_time" in res.message and "max_grad_evals" not in res.message
    assert res.n_grad < 500
    monkeypatch.setattr(saddle.time, "perf_counter", _time.perf_counter)
    assert solve_mep(MullerBrown(), [-0.5582236, 1.4417258], [0.6234994, 0.0280378],
                     max_time=60.0).success


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), "1", True])
def test_max_time_rejects_bad_values(bad):
    from lagopt.objectives import MullerBrown
    from lagopt.transition import solve_mep
    with pytest.raises(ValueError, match="max_time"):
        solve_mep(MullerBrown(), [-0.5582236, 1.4417258], [0.6234994, 0.0280378], max_time=bad)
