"""The transition benchmark: its potentials (derivatives against finite differences, the
references), its network helpers, and a tiny run writing the markdown and the figure."""
import numpy as np
import pytest

from lagopt.benchmarks import SUITE
from lagopt.benchmarks import transition as tb
from lagopt.objectives import MullerBrown


def test_in_the_suite_last():
    assert SUITE[-1] == "transition"


@pytest.mark.parametrize("name", ["double_well", "gaussians"])
def test_potential_derivatives_match_finite_differences(name):
    f, a, b, refs, qp = tb.POTENTIALS[name]()
    rs = np.random.RandomState(0)
    P = rs.uniform(-1.2, 1.2, size=(2, 5))
    G, H = f.grad_batch(P), f.hess_batch(P)
    h = 1e-6
    for i in range(2):
        E = np.zeros_like(P)
        E[i] = h
        np.testing.assert_allclose((f.loss_batch(P + E) - f.loss_batch(P - E)) / (2 * h), G[i],
                                   rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose((f.grad_batch(P + E) - f.grad_batch(P - E)) / (2 * h),
                                   H[:, i], rtol=1e-5, atol=1e-6)
    # The ends are minima and every reference saddle is an index-1 stationary point.
    for x in (a, b):
        assert np.abs(f.grad(x)).max() < 1e-8 and np.all(np.linalg.eigvalsh(f.hess(x)) > 0)
    for x, y, v in refs:
        assert np.abs(f.grad([x, y])).max() < 1e-8 and f.loss([x, y]) == pytest.approx(v)
        assert (np.linalg.eigvalsh(f.hess([x, y])) < 0).sum() == 1
    assert qp == pytest.approx(2 * (refs[0][2] - f.loss(a)))


def test_muller_brown_references_agree_with_the_objective():
    mb = MullerBrown()
    for (x, y, v), s in zip(tb.MB_SADDLES, mb.saddles):
        np.testing.assert_allclose([x, y], s, atol=1e-9)
        assert mb.loss([x, y]) == pytest.approx(v, abs=1e-7)
    climb = 2 * ((tb.MB_SADDLES[0][2] - mb.loss(mb.minima[0]))
                 + (tb.MB_SADDLES[1][2] - mb.loss(mb.minima[2])))
    assert climb == pytest.approx(tb.MB_QUASI_POTENTIAL, abs=1e-5)


def test_saddle_errors_take_the_nearest_found_saddle():
    class CP:
        def __init__(self, x, energy):
            self.x, self.energy = np.asarray(x), energy

    class Res:
        saddles = [CP([0.0, 0.1], 1.5), CP([5.0, 5.0], 9.0)]
    errs = tb.saddle_errors(Res(), [(0.0, 0.0, 1.0)])
    assert errs[0] == pytest.approx((0.1, 0.5))
    assert np.isnan(tb.saddle_errors(None, [(0.0, 0.0, 1.0)])[0][0])


def test_network_helpers():
    f, f_test = tb.network_objectives((4, 6, 1), n_train=30, n_test=20)
    assert f.n_samples == 30 and f_test.n_samples == 20 and f.n_params == 37
    theta = tb.lecun_init(f, 3)
    W1, b1 = f.unpack(theta)[0]
    assert W1.shape == (4, 6) and np.all(b1 == 0)
    np.testing.assert_array_equal(theta, tb.lecun_init(f, 3))
    run = tb.train_network(f, 0, budget=50)
    assert run["n_grad"] <= 50 and run["loss"] < f.loss(tb.lecun_init(f, 0))


def test_tiny_run_writes_the_markdown_and_the_figure(tmp_path):
    assert tb.main(["--quick", "--networks-only", "37", "--potentials", "double_well",
                    "--budget", "60", "--train-budget", "80", "--no-progress",
                    "--out", str(tmp_path)]) == 0
    md = (tmp_path / "transition.md").read_text()
    assert md.startswith("# Transition paths")
    assert "## 2-D potentials" in md and "| double_well |" in md
    assert "## Mode connectivity of trained networks" in md
    rows = [r for r in md.splitlines() if r.startswith("| 37 | 37 | 0-1 |")]
    assert len(rows) == 1 and len(rows[0].split("|")) == 13
    assert "## Summary" in md and "- 37 (37 parameters, 1 pair(s))" in md
    assert (tmp_path / "transition.png").stat().st_size > 0


def test_bad_arguments_are_usage_errors(tmp_path):
    for argv in (["--networks", "1"], ["--budget", "0"], ["--networks-only", "1e9"]):
        with pytest.raises(SystemExit) as exc:
            tb.main(argv + ["--out", str(tmp_path)])
        assert exc.value.code == 2
