"""The wide race's realistic suite (``--suite realistic``): problems that look like real
tabular data, split into parts of their own, opt-in (the default run is the smooth suite),
and reported with the verdict lines. Tiny runs (seconds) check the table structure."""
import json

import numpy as np
import pytest

from lagopt.benchmarks import wide_race as wr
from lagopt.datasets import TABULAR, make_tabular

LABELS = ("gd", "lbfgs", "laml")


# ----------------------------------------------------------------------------- the grid
def test_realistic_parts_are_disjoint_and_held_out():
    real = wr.REALISTIC_PARTS
    assert set(real) == set(wr.SUITES["realistic"]) and wr.SUITES["smooth"] == tuple(wr.PARTS)
    assert [p for p, v in real.items() if v["role"] == "judges"] == ["real-report"]
    problems = [t for v in real.values() for t in v["targets"]]
    assert len(set(problems)) == len(problems) and set(problems) == set(wr.PROBLEMS)
    seeds = [s for v in {**wr.PARTS, **real}.values() for s in v["seeds"]]
    assert len(set(seeds)) == len(seeds) and all(len(v["seeds"]) >= 3 for v in real.values())
    # the judging part has one problem of every kind; no data seed is used twice
    assert {wr.PROBLEMS[t]["kind"] for t in real["real-report"]["targets"]} == set(TABULAR)
    data_seeds = [spec["seed"] for spec in wr.PROBLEMS.values()]
    assert len(set(data_seeds)) == len(data_seeds)
    assert set(wr.PROBLEMS).isdisjoint(t for v in wr.PARTS.values() for t in v["targets"])


@pytest.mark.parametrize("name", list(wr.PROBLEMS))
def test_problems_look_like_the_users_data(name):
    spec = wr.PROBLEMS[name]
    assert 200 <= spec["n"] <= 600 and 8 <= spec["features"] <= 20
    assert spec["outputs"] == {"tabular-multi": spec["outputs"], "tabular-3class": 3}.get(
        spec["kind"], 1)
    if spec["kind"] == "tabular-multi":
        assert 2 <= spec["outputs"] <= 4
    X, y = wr.problem_data(name)
    np.testing.assert_array_equal(X, make_tabular(spec["kind"], n=spec["n"], seed=spec["seed"],
                                                  n_features=spec["features"],
                                                  n_outputs=spec["outputs"])[0])
    shapes = wr.problem_shapes(name)
    assert len(shapes) == 2
    for sizes in shapes:
        assert 100 <= wr._n_params(sizes) <= 1200
        f = wr._objective(name, wr._shape_name(sizes), "tanh")
        assert f.n_params == wr._n_params(sizes) and f.n_samples == spec["n"]
        np.testing.assert_array_equal(f.y, y)


def test_suites_select_parts_and_the_default_is_unchanged():
    assert wr._part_names("all") == ("tune", "dev", "report")
    assert wr._part_names("report") == ("report",)
    assert wr._part_names("report", "realistic") == ("real-report",)
    assert wr._part_names("all", "realistic") == ("real-tune", "real-dev", "real-report")
    assert wr._part_names("dev", "all") == ("dev", "real-dev")
    assert wr._part_names("real-dev") == ("real-dev",)
    with pytest.raises(ValueError, match="suite"):
        wr._part_names("all", "tabular")
    tasks = wr.grid_tasks({"gd": ("gd", {})}, ("real-tune",), (300,),
                          {"real-tune": (300,)})
    assert {t["target"] for t in tasks} == set(wr.REALISTIC_PARTS["real-tune"]["targets"])
    assert {(t["target"], t["shape"]) for t in tasks} == {
        (p, wr._shape_name(z)) for p in wr.REALISTIC_PARTS["real-tune"]["targets"]
        for z in wr.problem_shapes(p)}
    with pytest.raises(ValueError, match="another part"):
        wr.run(("gd",), "real-report", (10,), seeds=(200,), progress=False)
    with pytest.raises(ValueError, match="one part"):
        wr.run(("gd",), "report", (10,), seeds=(5,), progress=False, suite="all")


# ----------------------------------------------------------------------------- tiny runs
def _tiny():
    return wr.run(LABELS, "all", (20,), progress=False, quick=True, suite="realistic")


def test_tiny_realistic_run_is_deterministic_and_scored():
    records, again = _tiny(), _tiny()
    # one problem and network per part, both activations, every label, one seed
    assert len(records) == 3 * 2 * len(LABELS)
    assert {r["part"] for r in records} == set(wr.SUITES["realistic"])
    for r, s in zip(records, again):
        assert "error" not in r and np.isfinite(r["fun"])
        assert r["fun"] == s["fun"] and 0 < r["n_grad"] <= r["budget"] == 20
        assert r["seed"] == wr.REALISTIC_PARTS[r["part"]]["seeds"][0]
        assert r["shape"] == wr._shape_name(wr.problem_shapes(r["target"])[0])
    cells = wr.score(records)
    assert [c["part"] for c in cells] == ["real-report"] * 2 + ["real-dev"] * 2 + \
        ["real-tune"] * 2


def _section(md, title):
    return md.split(f"## {title}")[1].split("\n## ")[0]


def test_tiny_realistic_cli_reports_tables_and_verdict_lines(tmp_path):
    out = tmp_path / "run"
    assert wr.main(["--quick", "--suite", "realistic", "--budgets", "20", "40", "--labels",
                    *LABELS, "--equal-time", "--out", str(out), "--jobs", "1",
                    "--no-progress"]) == 0
    md = (out / "wide_race.md").read_text()
    records, meta = wr.load(out / "wide_race.json")
    assert "--suite realistic" in meta["command"] and meta["suite"] == "realistic"
    assert {r["mode"] for r in records} == {"evals", "time"}
    # the setup names every problem that ran, with its networks and parameter counts
    setup = md.split("## The parts")[0]
    for name in ("hetero-a", "heavy-b", "hetero-c"):
        spec = wr.PROBLEMS[name]
        sizes = wr.problem_shapes(name)[0]
        assert f"| {name} | " in setup and f"{wr._shape_name(sizes)} ({wr._n_params(sizes)})" \
            in setup and f"| {spec['n']} | {spec['features']} |" in setup
    assert "make_regression" not in setup          # no smooth target ran
    parts = _section(md, "The parts")
    assert "| real-report | judges | hetero-c, heavy-c, multi-c, binary-c, 3class-c |" in parts
    # the verdict: goals and LAML <= L-BFGS counts by budget, at equal evaluations and time
    verdict = _section(md, "Verdict")
    assert "The report part was not run" not in verdict
    summary = wr.summarize(wr.score(records))
    timed = wr.summarize(wr.score(records, mode="time"))
    for part in wr.SUITES["realistic"]:
        text = verdict.split(f"On the **{part}** part")[1].split("On the **")[0]
        cnt = {b: summary[part][b]["le_lbfgs"] for b in (20, 40, "all")}
        tcnt = {b: timed[part][b]["le_lbfgs"] for b in (20, 40, "all")}
        assert (f"`laml` <= lbfgs by budget, at equal evaluations: 20: {cnt[20][0]}/2, "
                f"40: {cnt[40][0]}/2; all: {cnt['all'][0]}/4") in text
        assert (f"at equal wall time (L-BFGS's at that budget; for information): "
                f"20: {tcnt[20][0]}/2, 40: {tcnt[40][0]}/2; all: {tcnt['all'][0]}/4") in text
        assert "not judged (--quick)" in text
        # per-cell tables and counts of every part, at equal evaluations and at equal time
        cells = _section(md, f"Per cell: {part} part")
        assert cells.count(f"| {wr.REALISTIC_PARTS[part]['targets'][0]} |") == 4
        assert "| all | 4 | " in cells
        assert f"### {part} at equal time: wins against L-BFGS" in md
    # re-reporting from the JSON gives the same markdown
    again = tmp_path / "again"
    assert wr.main(["--from-json", str(out / "wide_race.json"), "--out", str(again)]) == 0
    assert (again / "wide_race.md").read_text() == md
    assert json.loads((again / "wide_race.json").read_text()) == \
        json.loads((out / "wide_race.json").read_text())


def test_both_suites_report_together():
    records = wr.run(("gd", "laml"), "report", (15,), progress=False, quick=True, suite="all")
    assert {r["part"] for r in records} == {"report", "real-report"}
    md = wr.report(records)
    verdict = _section(md, "Verdict")
    assert "On the **report** part" in verdict and "On the **real-report** part" in verdict
    assert "make_regression" in md and "**Realistic suite.**" in md
    assert md.index("## Per cell: report part") < md.index("## Per cell: real-report part")
