"""The scale benchmark: one tiny size run end to end in its own process, the files it writes,
and a report from the saved JSON that reproduces the markdown exactly."""
import argparse
import json

import pytest

from lagopt.benchmarks import SUITE
from lagopt.benchmarks import scale

TINY = "8-24-1"          # 241 parameters: the direct method's Newton-Krylov route
FIELDS = ("n_params", "network", "sweep_s", "kernel_ratio", "solve_s", "sweeps_time",
          "sweeps_counts", "counts", "success", "status", "method", "rule", "solver", "N",
          "newton_iterations", "krylov_iterations", "omega_ritz", "residual_rel",
          "energy_drift_rel", "error_estimate", "action", "line_action", "baseline_mib",
          "peak_mib", "delta_mib", "loss_sweep_s", "hessp_sweep_s", "numpy_grad_s")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("scale")
    code = scale.main(["--sizes", TINY, "--samples", "50", "--out", str(out),
                       "--no-progress"])
    return out, code


def test_tiny_run_writes_the_three_files_with_every_field(tiny_run):
    out, code = tiny_run
    assert code == 0
    for name in ("scale.md", "scale.json", "scale.png"):
        assert (out / name).stat().st_size > 0
    saved = json.loads((out / "scale.json").read_text())
    (rec,) = saved["records"]
    assert set(FIELDS) <= set(rec)
    assert rec["sizes"] == [8, 24, 1] and rec["n_params"] == 241 and rec["samples"] == 50
    assert rec["success"] is True and rec["status"] == "SUCCESS"
    assert rec["sweeps_time"] > 0 and rec["sweeps_counts"] > 0 and rec["sweep_s"] > 0
    assert rec["peak_mib"] >= rec["baseline_mib"] > 0
    assert rec["method"] == "direct" and rec["N"] >= 2
    # A least-action path between nearby points: its action is at most the straight line's.
    assert rec["action"] <= rec["line_action"] * (1 + 1e-9)
    for key in ("platform", "cpu_count", "numpy", "scipy", "load_start", "load_end"):
        assert key in saved["meta"]
    md = (out / "scale.md").read_text()
    assert "| 241 | 8-24-1 |" in md and ("PASS" in md or "FAIL" in md)
    assert "sweeps ratio" in md and "kernel ratio" in md


def test_from_json_reproduces_the_markdown(tiny_run, tmp_path):
    out, _ = tiny_run
    assert scale.main(["--from-json", str(out / "scale.json"), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "scale.md").read_text() == (out / "scale.md").read_text()
    assert (tmp_path / "scale.json").read_text() == (out / "scale.json").read_text()


def test_sizes_parse_labels_and_layers():
    assert scale._parse_sizes("1e4") == ("1e4", (32, 150, 32, 1))
    assert scale._parse_sizes("32-28-1") == ("1e3", (32, 28, 1))
    assert scale._parse_sizes("8,12,1") == ("8-12-1", (8, 12, 1))
    assert scale.n_params(scale.SIZES["1e5"]) == 100_501
    assert scale.n_params(scale.SIZES["1e4"]) == 9_815
    for bad in ("big", "8", "8-0-1"):
        with pytest.raises(argparse.ArgumentTypeError):
            scale._parse_sizes(bad)


def test_quick_sizes_and_huge_option():
    parser = scale._parser()
    assert [k for k, _ in scale._specs(parser.parse_args(["--quick"]))] == ["1e3"]
    assert [k for k, _ in scale._specs(parser.parse_args([]))] == ["1e3", "1e4", "1e5"]
    assert [k for k, _ in scale._specs(parser.parse_args(["--quick", "--huge"]))][-1] == "1e6"


def test_a_size_too_large_for_the_memory_is_skipped_with_a_note(monkeypatch, tmp_path):
    monkeypatch.setattr(scale, "physical_memory", lambda: 2.0 ** 30)
    records = scale.run([("1e6", scale.HUGE["1e6"])], progress=False)
    assert "skipped" in records[0] and "GiB" in records[0]["skipped"]
    text = scale.report(records, {}, tmp_path)
    assert "not run" in text and (tmp_path / "scale.png").exists()


def test_the_bench_suite_runs_it():
    assert "scale" in SUITE
