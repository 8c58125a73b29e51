"""The LAML wall-time benchmark: its verdict against the targets (on fixed rows), and a tiny
run writing the markdown and the JSON (slow tier)."""
import json

import pytest

from lagopt.benchmarks import SUITE
from lagopt.benchmarks import laml_speed as ls


def _row(n, run_ratio, eval_ratio):
    side = {"wall_time": 1.0, "n_grad": 1000.0, "fun": 0.5, "per_eval": 1e-3}
    return {"n_params": n, "activation": "tanh", "budget": 1000, "laml": dict(side),
            "lbfgs": dict(side), "run_ratio": run_ratio, "eval_ratio": eval_ratio,
            "target": ls._target(n)}


def test_targets_and_verdict_count_each_side_of_300_parameters():
    assert ls._target(37) == ls._target(300) == 1.5 and ls._target(301) == 1.2
    md = ls.report([_row(37, 2.0, 1.1), _row(295, 1.4, 1.6), _row(385, 1.1, 1.3)], 1.0)
    assert "n <= 300 (target <= 1.5x): per evaluation 1/2 within" in md
    assert "per run 1/2" in md
    assert "n > 300 (target <= 1.2x): per evaluation 0/1 within" in md
    assert "laml_speed" in SUITE


@pytest.mark.slow
def test_quick_run_writes_the_report(tmp_path):
    assert ls.main(["--quick", "--out", str(tmp_path), "--no-progress"]) == 0
    md = (tmp_path / "laml_speed.md").read_text()
    rows = json.loads((tmp_path / "laml_speed.json").read_text())["rows"]
    assert len(rows) == 2 * len(ls.QUICK_NETWORKS) and "## Verdict" in md
    for r in rows:
        assert r["laml"]["n_grad"] <= ls.QUICK_BUDGET and r["lbfgs"]["n_grad"] <= ls.QUICK_BUDGET
        assert r["run_ratio"] > 0 and r["eval_ratio"] > 0
