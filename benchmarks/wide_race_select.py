"""Choose LAML's default on the choosing parts of the wide race (``tune`` and ``dev``).

Runs the baselines once (cached in ``--cache``) and each LAML variant of :data:`VARIANTS` on
the parts of :data:`lagopt.benchmarks.wide_race.PARTS` whose role is ``chooses``, scores every
variant as the wide race scores its candidate, and writes ``wide_race_select.md``: one row per
variant and part with the counts against the goals. The judging part (``report``) is never
run here.

Usage::

    OPENBLAS_NUM_THREADS=1 python benchmarks/wide_race_select.py --out docs/results --jobs 2
"""
import argparse
import json
import os
import time

import numpy as np

from lagopt.benchmarks import wide_race as wr

BASELINES = ("gd", "adam-0.01", "lbfgs", "lm")


def variants():
    """label -> (description, minimize options of method "laml")."""
    from lagopt.optim.laml import BFGSPredictor, QuasiNewtonPredictor, StallRestart

    return {
        "lbfgs-model (v1 default)": (
            "L-BFGS (10 pairs) model path, straight backtracking, restart (5, 1e-4)",
            {"preset": "default", "predictor": QuasiNewtonPredictor(),
             "restart": StallRestart(patience=5, rtol=1e-4)}),
        "bfgs-model": (
            "dense BFGS model path, straight backtracking, restart (5, 1e-4)",
            {"preset": "default", "predictor": BFGSPredictor(),
             "restart": StallRestart(patience=5, rtol=1e-4)}),
        "bfgs-model, no restart": (
            "dense BFGS model path, straight backtracking, no restart",
            {"preset": "no_restart", "predictor": BFGSPredictor()}),
        "bfgs-model, restart (10, 1e-4): the new default": (
            "dense BFGS model path, straight backtracking, restart (10, 1e-4)",
            {"preset": "default", "predictor": BFGSPredictor(),
             "restart": StallRestart(patience=10, rtol=1e-4)}),
    }


def _tasks(label, method, options, parts, budgets):
    tasks = []
    for p in parts:
        for target in wr.PARTS[p]["targets"]:
            for shape in wr.SHAPES:
                for act in wr.ACTIVATIONS:
                    for b in budgets:
                        tasks += [dict(part=p, target=target, shape=wr._shape_name(shape),
                                       activation=act, seed=s, label=label, method=method,
                                       options=dict(options), budget=int(b))
                                  for s in wr.PARTS[p]["seeds"]]
    return tasks


def _run(tasks, jobs):
    from lagopt._parallel import map_tasks

    order = sorted(range(len(tasks)), key=lambda i: -tasks[i]["budget"])
    done = map_tasks(wr.run_task, [tasks[i] for i in order], n_jobs=jobs, desc="select",
                     progress=False)
    out = [None] * len(tasks)
    for i, rec in zip(order, done):
        out[i] = rec
    return out


def baselines(parts, budgets, jobs, cache):
    """Baseline records of `parts`, from `cache` when it has them."""
    records = []
    if cache and os.path.exists(cache):
        with open(cache) as fh:
            records = json.load(fh)
    have = {(r["part"], r["label"]) for r in records}
    from lagopt.optim.race import OPTIMIZERS

    for p in parts:
        for lab in BASELINES:
            if (p, lab) not in have:
                method, options = OPTIMIZERS[lab]
                records += _run(_tasks(lab, method, options, (p,), budgets), jobs)
    if cache:
        with open(cache, "w") as fh:
            json.dump([wr._jsonable(r) for r in records], fh, default=repr)
    return [dict(r, fun=np.nan if r["fun"] is None else r["fun"]) for r in records
            if r["part"] in parts]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="results")
    parser.add_argument("--cache", default="results/wide_race_select_baselines.json")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=None, help="variant labels to run")
    args = parser.parse_args(argv)
    parts = tuple(p for p, v in wr.PARTS.items() if v["role"] == "chooses")
    budgets = wr.BUDGETS
    t0 = time.perf_counter()
    os.makedirs(os.path.dirname(args.cache) or ".", exist_ok=True)
    base = baselines(parts, budgets, args.jobs, args.cache)
    rows = []
    for label, (what, options) in variants().items():
        if args.only and label not in args.only:
            continue
        recs = _run(_tasks("laml", "laml", options, parts, budgets), args.jobs)
        summary = wr.summarize(wr.score(base + recs, "laml"))
        for p in parts:
            c = summary[p]["all"]
            rows.append((label, what, p, c))
            print(f"{label:34s} {p:6s} <=gd {c['le_gd'][0]}/{c['le_gd'][1]} <=lbfgs "
                  f"{c['le_lbfgs'][0]}/{c['le_lbfgs'][1]} within {c['within'][0]}/"
                  f"{c['within'][1]} median/lbfgs {c['ratio_lbfgs']:.3f} median/best "
                  f"{c['ratio_best']:.3f}", flush=True)
    lines = ["# Choosing LAML's default on the choosing parts of the wide race", "",
             f"Generated by `python benchmarks/wide_race_select.py` in "
             f"{time.perf_counter() - t0:.0f} s. Parts {', '.join(parts)} (role `chooses` in "
             "`lagopt.benchmarks.wide_race.PARTS`); the judging part `report` is not run "
             "here. Each variant is a `lagopt.minimize(..., method=\"laml\", ...)`, scored "
             "cell by cell (mean final loss over the part's initialisations) against gd "
             "(lr 0.1), Adam (1e-2), L-BFGS and Levenberg-Marquardt, as in the wide race.", "",
             "| variant | stages | part | cells | <= gd | <= L-BFGS | within 10 % of best | "
             "median LAML / L-BFGS | median LAML / best |", "|" + "---|" * 9]
    for label, what, p, c in rows:
        lines.append(f"| {label} | {what} | {p} | {c['cells']} | {c['le_gd'][0]} | "
                     f"{c['le_lbfgs'][0]} | {c['within'][0]} | {c['ratio_lbfgs']:.3f} | "
                     f"{c['ratio_best']:.3f} |")
    os.makedirs(args.out, exist_ok=True)
    name = "wide_race_select.md" if not args.only else "wide_race_select_partial.md"
    with open(os.path.join(args.out, name), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
