"""The wide race at equal wall time (``--equal-time``) and the wall-time columns of the race at
equal evaluations: tiny runs (seconds) and synthetic records, checked for structure."""
import json

import numpy as np
import pytest

from lagopt.benchmarks import wide_race as wr
from lagopt.optim import Status


def _rec(label, fun, wall, target="ridge", act="relu", seed=200, budget=300, mode="evals",
         max_time=None, n_grad=None):
    return dict(part="report", target=target, shape="4-6-1", activation=act, seed=seed,
                label=label, method=label, options={}, budget=budget, mode=mode,
                max_time=max_time, fun=fun,
                n_grad=float(budget if n_grad is None else n_grad), nit=1, status=7,
                wall_time=wall, accept_rate=None, n_path_solves=None)


def _records():
    """Two cells (relu, tanh), two seeds each, at equal evaluations and at equal time."""
    recs = []
    for act, walls in (("relu", {"gd": 0.01, "lbfgs": 0.02, "laml": 0.3}),
                       ("tanh", {"gd": 0.02, "lbfgs": 0.04, "laml": 0.2})):
        for seed, extra in ((200, 0.0), (201, 0.01)):
            recs += [_rec("gd", 0.1, walls["gd"] + extra, act=act, seed=seed),
                     _rec("lbfgs", 0.01, walls["lbfgs"] + extra, act=act, seed=seed),
                     _rec("laml", 0.005, walls["laml"] + extra, act=act, seed=seed)]
    allowed = wr.time_allowances(recs)
    assert allowed == {("report", "ridge", "4-6-1", "relu", 300): pytest.approx(0.025),
                       ("report", "ridge", "4-6-1", "tanh", 300): pytest.approx(0.045)}
    for (part, target, shape, act, budget), t in allowed.items():
        for seed in (200, 201):
            # at equal time laml loses the relu cell and wins the tanh one
            recs += [_rec("gd", 0.09, t, act=act, seed=seed, mode="time", max_time=t,
                          n_grad=800),
                     _rec("lbfgs", 0.01, t, act=act, seed=seed, mode="time", max_time=t,
                          n_grad=600),
                     _rec("laml", 0.02 if act == "relu" else 0.005, t, act=act, seed=seed,
                          mode="time", max_time=t, n_grad=40)]
    return recs


def _section(md, title):
    return md.split(f"## {title}")[1].split("\n## ")[0]


def _rows(text):
    """The rows of the markdown tables in `text` as lists of cells (headers included)."""
    return [[c.strip() for c in line.strip("|").split("|")] for line in text.splitlines()
            if line.startswith("| ")]


def test_scores_split_by_mode_and_report_wall_times():
    recs = _records()
    cells = wr.score(recs)
    assert len(cells) == 2 and all(c["max_time"] is None for c in cells)
    relu = cells[0]
    assert relu["walls"] == {"gd": pytest.approx(0.015), "lbfgs": pytest.approx(0.025),
                             "laml": pytest.approx(0.305)}
    assert relu["time_ratio_lbfgs"] == pytest.approx(0.305 / 0.025)
    timed = wr.score(recs, mode="time")
    assert [c["max_time"] for c in timed] == [pytest.approx(0.025), pytest.approx(0.045)]
    assert [c["le_lbfgs"] for c in timed] == [False, True]
    assert timed[0]["n_grads"] == {"gd": 800.0, "lbfgs": 600.0, "laml": 40.0}
    # n_grad above the cell's budget is fine at equal time (its budget did not bind) ...
    wr._check_budgets([r for r in recs if r["mode"] == "time"])
    # ... but not at equal evaluations.
    with pytest.raises(AssertionError, match="budget"):
        wr._check_budgets([_rec("gd", 0.1, 0.01, n_grad=301)])

    md = wr.report(recs)
    # equal evaluations: the ratio column and the wall-time tables
    cells_md = _section(md, "Per cell: report part")
    head, *rows = _rows(cells_md)
    assert "time cand/lbfgs" in head and len(rows) == 2 + 3    # 2 cells; the counts table
    assert rows[0][head.index("time cand/lbfgs")] == f"{0.305 / 0.025:.3g}"
    assert rows[-1][-1] == wr._fmt_ratio(float(np.median([0.305 / 0.025, 0.205 / 0.045])))
    wall = _rows(_section(md, "Wall time per cell"))
    assert wall[0] == ["target", "shape", "act.", "gd", "lbfgs", "laml", "time cand/lbfgs"]
    assert wall[1][3:6] == ["0.015", "0.025", "0.305"]
    # equal time: per-cell losses, evaluations, wins against L-BFGS
    eq = _section(md, "At equal wall time")
    table = _rows(eq)
    assert table[0] == ["target", "shape", "act.", "time (s)", "gd", "lbfgs", "laml",
                        "cand evals", "lbfgs evals", "cand/lbfgs", "<= lbfgs"]
    assert table[1] == ["ridge", "4-6-1", "relu", "0.025", "0.0900", "**0.0100**", "0.0200",
                        "40.0", "600.0", "2", "no"]
    assert table[2][-1] == "yes"
    assert "| all | 2 | 1/2 |" in eq
    assert "`laml` <= lbfgs in 1/2 cells" in _section(md, "Verdict")
    # without time records, no equal-time section
    assert "At equal wall time" not in wr.report([r for r in recs if r["mode"] == "evals"])


def test_run_equal_time_gives_every_method_the_same_seconds():
    records = wr.run_equal_time(("gd", "lbfgs", "laml"), "report", (300,), progress=False,
                                quick=True, seconds=0.05)
    assert len(records) == 2 * 3
    for r in records:
        assert r["mode"] == "time" and r["max_time"] == 0.05 and r["budget"] == 300
        assert "error" not in r and np.isfinite(r["fun"])
        assert r["n_grad"] <= wr.EQUAL_TIME_EVALS
        assert r["status"] in (Status.MAX_TIME, Status.SUCCESS)
        assert r["wall_time"] < 0.05 + 2.0            # generous: a shared machine
    with pytest.raises(ValueError, match="max_time"):
        wr.run_equal_time(("gd",), "report", (300,), progress=False, quick=True, seconds=0)


def test_a_time_budget_per_run_at_equal_evaluations():
    records = wr.run(("gd", "lbfgs"), "report", (300,), progress=False, quick=True,
                     max_time=1e-3)
    assert {r["max_time"] for r in records} == {1e-3}
    assert {r["status"] for r in records} == {int(Status.MAX_TIME)}
    assert all(r["n_grad"] < 300 and np.isfinite(r["fun"]) for r in records)
    with pytest.raises(ValueError, match="max_time"):
        wr.run(("gd",), "report", (300,), progress=False, quick=True, max_time=-1.0)


def test_equal_time_cli_writes_both_races_and_rereports_exactly(tmp_path):
    out = tmp_path / "run"
    assert wr.main(["--quick", "--part", "report", "--labels", "gd", "lbfgs", "laml",
                    "--equal-time", "--out", str(out), "--jobs", "1", "--no-progress"]) == 0
    md = (out / "wide_race.md").read_text()
    records, meta = wr.load(out / "wide_race.json")
    assert meta["equal_time"] is True and "--equal-time" in meta["command"]
    evals = [r for r in records if r["mode"] == "evals"]
    timed = [r for r in records if r["mode"] == "time"]
    assert len(evals) == len(timed) == 2 * 3
    allowed = wr.time_allowances(evals)
    for r in timed:         # every method got L-BFGS's time in its cell
        assert r["max_time"] == pytest.approx(allowed[wr._cell_of(r)])
    eq = _section(md, "At equal wall time")
    rows = _rows(eq)
    assert len([r for r in rows if r[0] == "ridge"]) == 2
    summary = wr.summarize(wr.score(records, mode="time"))["report"]["all"]
    assert f"| all | 2 | {summary['le_lbfgs'][0]}/2 |" in eq
    again = tmp_path / "again"
    assert wr.main(["--from-json", str(out / "wide_race.json"), "--out", str(again)]) == 0
    assert (again / "wide_race.md").read_text() == md
    assert json.loads((again / "wide_race.json").read_text()) == \
        json.loads((out / "wide_race.json").read_text())


@pytest.mark.parametrize("argv", [
    ["--equal-time", "--labels", "gd", "laml"],         # no lbfgs to take the time from
    ["--time", "0.1", "--labels", "gd", "lbfgs", "laml"],  # --time without --equal-time
])
def test_equal_time_cli_refuses_incomplete_options(tmp_path, argv):
    with pytest.raises(SystemExit) as exc:
        wr.main(["--quick", "--out", str(tmp_path), "--no-progress"] + argv)
    assert exc.value.code == 2
