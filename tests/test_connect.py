"""`lagopt.transition.connect`: the Bézier curve, its training, the barriers, held-out
judging, and an MEP failure reported rather than raised."""
import numpy as np
import pytest

from lagopt.benchmarks.transition import double_well, network_objectives, train_network
from lagopt.transition.connect import ConnectResult, bezier_curve, connect, train_bezier


def test_bezier_curve_ends_midpoint_and_line():
    a, b, c = np.array([0.0, 1.0]), np.array([2.0, 3.0]), np.array([5.0, -1.0])
    P = bezier_curve(a, b, c, [0.0, 0.5, 1.0])
    assert P.shape == (2, 3)
    np.testing.assert_allclose(P[:, 0], a)
    np.testing.assert_allclose(P[:, 2], b)
    np.testing.assert_allclose(P[:, 1], (a + 2 * c + b) / 4)
    t = np.linspace(0, 1, 7)
    np.testing.assert_allclose(bezier_curve(a, b, (a + b) / 2, t),
                               np.outer(a, 1 - t) + np.outer(b, t), atol=1e-15)
    assert bezier_curve(a, b, c, 0.25).shape == (2, 1)
    with pytest.raises(ValueError):
        bezier_curve(a, b, c, [np.nan])


def test_double_well_barriers_and_profiles():
    f, a, b, _, _ = double_well()
    res = connect(f, a, b, max_grad_evals=1500, n_eval=41, seed=3)
    assert isinstance(res, ConnectResult)
    # The line y = 1 crosses (0, 1), where V = 1 + 5 = 6; the ends are at V = 0.
    assert res.line.barrier == pytest.approx(6.0, abs=1e-12)
    assert res.line.n_grad == 0 and res.line.loss.size == 41
    assert res.line.s[0] == 0 and res.line.s[-1] == 1 and np.all(np.diff(res.line.s) > 0)
    # The trained Bézier curve bends down towards the saddle (V = 1) at the origin.
    assert res.bezier.n_grad == 1500
    # (At least the pass height 1, up to where the 41 points fall on the curve.)
    assert 0.99 <= res.bezier.barrier < 1.5
    assert res.bezier.barrier == pytest.approx(res.bezier.loss.max() - 0.0)
    assert np.isnan(res.line.barrier_held_out) and res.line.loss_held_out is None
    # The MEP: whatever happened is in the profile; a success crosses the saddle at V = 1.
    if res.mep.success:
        assert res.mep.barrier == pytest.approx(1.0, abs=1e-6)
        assert res.mep.saddle_s.size == 1 and abs(res.mep.saddle_s[0] - 0.5) < 0.05
    assert [r["curve"] for r in res.rows()] == ["line", "bezier", "mep"]
    assert "bezier" in str(res)


def test_bezier_training_is_seeded():
    f, a, b, _, _ = double_well()
    c1, n1, m1 = train_bezier(f, a, b, 200, seed=5)
    c2, n2, _ = train_bezier(f, a, b, 200, seed=5)
    c3, _, _ = train_bezier(f, a, b, 200, seed=6)
    assert n1 == n2 == 200 and m1 == ""
    np.testing.assert_array_equal(c1, c2)
    assert not np.array_equal(c1, c3)


def test_network_held_out_and_a_failed_mep_is_reported():
    f, f_test = network_objectives((4, 6, 1), n_train=40, n_test=40)
    a, b = (train_network(f, s, budget=150)["theta"] for s in (0, 1))
    res = connect(f, a, b, held_out=f_test, max_grad_evals=50, seed=0,
                  mep_options={"no_such_option": 1})
    # Judged on held-out data: its own end losses are subtracted.
    ends_ho = f_test.loss_batch(np.column_stack([a, b]))
    np.testing.assert_allclose(res.end_loss_held_out, ends_ho)
    assert res.line.barrier_held_out == pytest.approx(res.line.loss_held_out.max()
                                                      - ends_ho.mean())
    assert np.isfinite(res.bezier.barrier_held_out)
    # Judging on the training objective itself reproduces the training barriers.
    same = connect(f, a, b, held_out=f, max_grad_evals=20, seed=0,
                   mep_options={"no_such_option": 1})
    assert same.line.barrier_held_out == pytest.approx(same.line.barrier)
    # The MEP raised (unknown option): reported in its profile, the other curves measured.
    assert res.mep.success is False and "TypeError" in res.mep.message
    assert np.isnan(res.mep.barrier) and res.mep_result is None
    assert res.line.success and res.bezier.success


def test_plot_draws_every_curve():
    from lagopt import plotting
    plotting.use_agg()
    import matplotlib.pyplot as plt
    f, a, b, _, _ = double_well()
    res = connect(f, a, b, max_grad_evals=300, seed=0)
    fig = res.plot()
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert any(lab.startswith("straight line") for lab in labels)
    assert any(lab.startswith("Bézier") for lab in labels)
    assert fig.axes[0].get_xlabel() == "normalised arc length s"
    plt.close("all")
