"""Which optimizer trains the original experiment's network best at an equal budget?

Every optimizer of ``lagopt.minimize`` -- gradient descent (lr 0.1, the LAML report's SGD),
momentum, Adam (its default lr 1e-3, and lr 1e-2), L-BFGS, the equal-step steepest descent
(``method="steepest"``), LAML with its default and its reference preset, and the hybrid
mode -- trains the original experiment's 4-6-1 network (ReLU and tanh) on the three data sets
(linear, nonlinear, xor) from
several initialisations, at budgets of 100, 1,000 and 3,000 gradient evaluations charged by
the one budget rule of ``lagopt.optim._budget`` (a path solver's evaluations included). The
script writes

* ``optimizer_race.md``: final losses (mean over initialisations, and per seed), LAML's
  acceptance rates, wall times, LAML default against gd / Adam / L-BFGS cell by cell, and the
  ablation of LAML's stages that chose the default preset;
* ``race_<dataset>_<activation>.png``: loss against gradient evaluations;
* ``laml_diagnostics_<dataset>.png``: LAML's loss, action, confidence and acceptance against
  gradient evaluations, as in the LAML report's figures;
* ``optimizer_race.json``: every number above.

Usage::

    python benchmarks/optimizer_race.py --quick          # one seed, small budgets, no ablation
    python benchmarks/optimizer_race.py --out results/ --jobs 2
    python benchmarks/optimizer_race.py --scheduler tcp://host:8786   # a Dask cluster
    python benchmarks/optimizer_race.py --from-json results/optimizer_race.json  # re-report
"""
import argparse
import json
import os
import platform
import sys
import time
import warnings

import numpy as np

from lagopt._parallel import default_jobs, map_tasks
from lagopt.optim.race import RACE_LABELS, select

DATASETS = ("linear", "nonlinear", "xor")
ACTIVATIONS = ("relu", "tanh")
BUDGETS = (100, 1000, 3000)
SEEDS = (42, 0, 1)
QUICK_SEEDS = (42,)
#: A quick run checks that the race runs end to end: the small budgets only.
QUICK_BUDGETS = (100, 300)

#: label -> (method, options): the race's entries of the one registry
#: (:data:`lagopt.optim.race.OPTIMIZERS`, where each is documented). Baselines run with their
#: documented defaults (gd with the LAML report's lr 0.1); Adam also with lr 1e-2, its better
#: setting at these budgets.
OPTIMIZERS = select(RACE_LABELS)

#: LAML presets compared in the ablation (each differs from "default" in one stage).
ABLATION = ("default", "lbfgs_model", "straight", "curve", "no_restart", "lookahead",
            "steepest", "closed_form", "direct", "smoothstep", "km", "multistart", "no_memory",
            "trust", "lam1", "lam100")

_HISTORY_KEYS = ("n_grad", "loss", "action", "predicted_action", "confidence", "accepted")


# ----------------------------------------------------------------------------- one run
def _objective(dataset, activation):
    from lagopt.datasets import make_dataset
    from lagopt.objectives import MLPObjective

    X, y = make_dataset(dataset, n=100, seed=42)
    return MLPObjective(X, y, sizes=(4, 6, 1), activation=activation)


def _warm_up(f, theta):
    """Load the numba kernels before the timed run (compilation is not the method's cost):
    the objective's, and LAML's own."""
    from lagopt.optim.laml import warm_up

    warm_up()
    P = np.ascontiguousarray(np.column_stack([theta, theta]))
    f.loss(theta)
    f.loss_and_grad(theta)
    f.loss_batch(P)
    f.grad_batch(P)


def run_task(task):
    """Train one network with one optimizer at one budget; a module-level function (pickles)."""
    from lagopt.optim import minimize

    f = _objective(task["dataset"], task["activation"])
    theta0 = f.init_params(task["seed"])
    _warm_up(f, theta0)
    method, options = task["method"], dict(task["options"])
    out = {k: task[k] for k in ("dataset", "activation", "seed", "label", "budget")}
    try:
        res = minimize(f, theta0, method=method, max_grad_evals=task["budget"],
                       seed=task["seed"], **options)
    except Exception as exc:  # noqa: BLE001 - one failing run must not lose the sweep
        out.update(fun=np.nan, n_grad=np.nan, nit=0, status=-1, wall_time=np.nan,
                   accept_rate=np.nan, error=f"{type(exc).__name__}: {exc}")
        return out
    out.update(fun=float(res.fun), n_grad=float(res.n_grad), nit=int(res.nit),
               status=int(res.status), wall_time=float(res.wall_time),
               accept_rate=float(res.get("accept_rate", np.nan)))
    if task.get("curve"):
        out["history"] = {k: np.asarray(res.history[k], dtype=float).tolist()
                          for k in _HISTORY_KEYS if k in res.history}
    return out


def _tasks(seeds, budgets, labels, ablation):
    tasks = []
    for ds in DATASETS:
        for act in ACTIVATIONS:
            for seed in seeds:
                for label in labels:
                    method, options = OPTIMIZERS[label]
                    for b in budgets:
                        tasks.append(dict(dataset=ds, activation=act, seed=seed, label=label,
                                          method=method, options=options, budget=b,
                                          curve=b == max(budgets)))
                for preset in ablation:
                    if preset == "default":
                        continue  # the "laml" runs above
                    for b in budgets:
                        tasks.append(dict(dataset=ds, activation=act, seed=seed,
                                          label=f"laml:{preset}", method="laml",
                                          options={"preset": preset}, budget=b, curve=False))
    # Longest first, for load balance across workers.
    tasks.sort(key=lambda t: -t["budget"])
    return tasks


# ----------------------------------------------------------------------------- tables
def _index(results):
    idx = {}
    for r in results:
        idx.setdefault((r["dataset"], r["activation"], r["label"], r["budget"]), []).append(r)
    return idx


def _mean(idx, key, field="fun"):
    rs = idx.get(key, [])
    return float(np.mean([r[field] for r in rs])) if rs else np.nan


def _fmt(v):
    if not np.isfinite(v):
        return "--"
    if v == 0:
        return "0"
    if abs(v) < 1e-3:
        return f"{v:.1e}"
    return f"{v:.4f}"


def _loss_table(idx, labels, budgets):
    head = "| data | act. | budget | " + " | ".join(labels) + " |"
    lines = [head, "|" + "---|" * (3 + len(labels))]
    for ds in DATASETS:
        for act in ACTIVATIONS:
            for b in budgets:
                vals = [_mean(idx, (ds, act, lab, b)) for lab in labels]
                best = np.nanmin(vals)
                cells = [f"**{_fmt(v)}**" if v <= best * (1 + 1e-9) + 1e-15 else _fmt(v)
                         for v in vals]
                lines.append(f"| {ds} | {act} | {b:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _goal_table(idx, budgets, seeds):
    lines = ["| data | act. | budget | laml | gd | laml/gd | seeds laml <= gd | adam | "
             "adam-0.01 | lbfgs | laml/lbfgs |", "|" + "---|" * 11]
    verdict = {"gd": [], "adam": [], "adam-0.01": [], "lbfgs": []}
    for ds in DATASETS:
        for act in ACTIVATIONS:
            for b in budgets:
                L = _mean(idx, (ds, act, "laml", b))
                G = _mean(idx, (ds, act, "gd", b))
                A = _mean(idx, (ds, act, "adam", b))
                A2 = _mean(idx, (ds, act, "adam-0.01", b))
                B = _mean(idx, (ds, act, "lbfgs", b))
                per = {r["seed"]: r["fun"] for r in idx.get((ds, act, "laml", b), [])}
                per_gd = {r["seed"]: r["fun"] for r in idx.get((ds, act, "gd", b), [])}
                wins = sum(per[s] <= per_gd[s] * (1 + 1e-9) + 1e-15 for s in per if s in per_gd)
                for name, v in (("gd", G), ("adam", A), ("adam-0.01", A2), ("lbfgs", B)):
                    verdict[name].append((ds, act, b, L, v))
                lines.append(f"| {ds} | {act} | {b:,} | {_fmt(L)} | {_fmt(G)} | "
                             f"{_ratio(L, G)} | {wins}/{len(per)} | {_fmt(A)} | {_fmt(A2)} | "
                             f"{_fmt(B)} | {_ratio(L, B)} |")
    return "\n".join(lines), verdict


def _ratio(a, b):
    if not (np.isfinite(a) and np.isfinite(b)):
        return "--"
    if b == 0:
        return "1" if a == 0 else "inf"
    return f"{a / b:.3g}"


def _seed_counts(idx, budgets):
    """How many (cell, seed) runs LAML default is no worse than each baseline."""
    out = []
    for name in ("gd", "momentum", "adam", "adam-0.01", "lbfgs", "steepest", "hybrid"):
        wins = total = 0
        for ds in DATASETS:
            for act in ACTIVATIONS:
                for b in budgets:
                    mine = {r["seed"]: r["fun"] for r in idx.get((ds, act, "laml", b), [])}
                    other = {r["seed"]: r["fun"] for r in idx.get((ds, act, name, b), [])}
                    for s in set(mine) & set(other):
                        total += 1
                        wins += mine[s] <= other[s] * (1 + 1e-9) + 1e-15
        if total:
            out.append(f"{name} {wins}/{total}")
    return ("- **Seed by seed** (data set x activation x budget x initialisation), LAML default "
            "is no worse than: " + ", ".join(out) + ".")


def _summary(verdict):
    """Plain sentences: where LAML default wins and loses, and by how much."""
    out = []
    tol = 1e-12
    for name in ("gd", "adam", "adam-0.01", "lbfgs"):
        rows = verdict[name]
        worse = [(ds, act, b, L, v) for ds, act, b, L, v in rows if L > v * (1 + 1e-9) + tol]
        better = len(rows) - len(worse)
        text = (f"- **vs {name}**: LAML default is no worse in {better} of {len(rows)} "
                f"cells (mean over seeds).")
        if worse:
            detail = "; ".join(f"{ds}/{act}/{b:,}: {_fmt(L)} vs {_fmt(v)} "
                               f"({_ratio(L, v)}x)" for ds, act, b, L, v in worse)
            text += f" Worse in: {detail}."
        out.append(text)
    return "\n".join(out)


def _accept_table(idx, budgets):
    lines = ["| data | act. | " + " | ".join(f"default @{b:,}" for b in budgets) + " | "
             + " | ".join(f"reference @{b:,}" for b in budgets) + " |",
             "|" + "---|" * (2 + 2 * len(budgets))]
    for ds in DATASETS:
        for act in ACTIVATIONS:
            cells = [f"{100 * _mean(idx, (ds, act, lab, b), 'accept_rate'):.0f} %"
                     for lab in ("laml", "laml-reference") for b in budgets]
            lines.append(f"| {ds} | {act} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _time_table(idx, labels, budget):
    lines = ["| optimizer | mean wall time per run (s) | mean iterations |", "|---|---|---|"]
    for lab in labels:
        rs = [r for k, v in idx.items() if k[2] == lab and k[3] == budget for r in v]
        if rs:
            lines.append(f"| {lab} | {np.mean([r['wall_time'] for r in rs]):.3f} | "
                         f"{np.mean([r['nit'] for r in rs]):.0f} |")
    return "\n".join(lines)


def _ablation_table(idx, budgets, presets):
    labels = ["laml" if p == "default" else f"laml:{p}" for p in presets]
    head = "| data | act. | budget | " + " | ".join(presets) + " |"
    lines = [head, "|" + "---|" * (3 + len(presets))]
    ranks = {p: [] for p in presets}
    for ds in DATASETS:
        for act in ACTIVATIONS:
            for b in budgets:
                vals = np.array([_mean(idx, (ds, act, lab, b)) for lab in labels])
                order = np.argsort(np.argsort(vals, kind="stable"), kind="stable") + 1
                for p, r in zip(presets, order):
                    ranks[p].append(r)
                best = np.nanmin(vals)
                cells = [f"**{_fmt(v)}**" if v <= best * (1 + 1e-9) + 1e-15 else _fmt(v)
                         for v in vals]
                lines.append(f"| {ds} | {act} | {b:,} | " + " | ".join(cells) + " |")
    lines.append("| **mean rank** | | | " + " | ".join(f"**{np.mean(ranks[p]):.2f}**"
                                                       for p in presets) + " |")
    return "\n".join(lines), {p: float(np.mean(r)) for p, r in ranks.items()}


def _thin(result, max_rows=400):
    """The result with its history cut to at most `max_rows` rows (for the JSON file)."""
    if "history" not in result:
        return result
    h = result["history"]
    n = len(h["n_grad"])
    keep = np.unique(np.linspace(0, n - 1, min(n, max_rows)).round().astype(int))
    out = dict(result)
    out["history"] = {k: [v[i] for i in keep] for k, v in h.items()}
    return out


# ----------------------------------------------------------------------------- figures
def _figures(results, out, labels, budget):
    """``race_<dataset>_<activation>.png`` (:func:`lagopt.plotting.plot_race`: each run's
    lowest loss so far, the mean over the seeds; LAML red and on top) and
    ``laml_diagnostics_<dataset>.png`` (the loss at each iterate, restarts included)."""
    from lagopt import plotting

    plotting.use_agg()
    curves = [r for r in results if "history" in r and r["budget"] == budget]
    paths = []
    for ds in DATASETS:
        for act in ACTIVATIONS:
            runs = {lab: [r for r in curves if (r["dataset"], r["activation"], r["label"]) ==
                          (ds, act, lab)] for lab in labels}
            runs = {lab: rs for lab, rs in runs.items() if rs}
            if not runs:
                continue
            n_seeds = max(len(rs) for rs in runs.values())
            fig = plotting.plot_race(
                runs, center="mean", best_so_far=True,
                ylabel="lowest training loss so far" + (f"\n(mean of {n_seeds} seeds)"
                                                        if n_seeds > 1 else ""),
                title=f"4-6-1 network on {ds} ({act}): loss at equal gradient evaluations")
            fig.axes[0].set_xlim(0, budget * 1.01)
            paths.append(plotting.save(fig, os.path.join(out, f"race_{ds}_{act}.png")))
    for ds in DATASETS:
        p = _diagnostics_figure(curves, ds, os.path.join(out, f"laml_diagnostics_{ds}.png"))
        if p:
            paths.append(p)
    return paths


def _diagnostics_figure(curves, ds, path):
    """LAML default against the reference preset on one data set (seed 42, both activations):
    loss, action over lam (the presets' lam differ), confidence, acceptance. Colours are the
    presets' race colours; line styles the activations."""
    import matplotlib.pyplot as plt

    from lagopt import plotting
    from lagopt.optim.laml import make_stages

    lams = {lab: make_stages(OPTIMIZERS[lab][1]["preset"])[1]["lam"]
            for lab in ("laml", "laml-reference")}
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    flat, drawn = [], False
    for lab, lam in lams.items():
        for act, ls in (("relu", "-"), ("tanh", "--")):
            rs = [r for r in curves if (r["dataset"], r["activation"], r["label"]) ==
                  (ds, act, lab)]
            if not rs:
                continue
            drawn = True
            r = min(rs, key=lambda r: r["seed"] != 42)
            h = {k: np.asarray(v, dtype=float) for k, v in r["history"].items()}
            n, name = h["n_grad"], f"{lab} ({act})"
            kw = dict(ls=ls, color=plotting.RACE_STYLE[lab]["color"], lw=1.6, label=name)
            axes[0, 0].plot(n, h["loss"], **kw)
            if "action" not in h:
                continue
            axes[0, 1].plot(n[1:], h["action"][1:] / lam, **kw)
            conf = h["confidence"][np.isfinite(h["confidence"])]
            if conf.size and np.ptp(conf) == 0:
                flat.append((lab, conf[0]))
            else:
                axes[1, 0].plot(n, h["confidence"], **kw)
            acc = h["accepted"][1:]
            w = min(20, max(1, acc.size))
            with warnings.catch_warnings():   # an empty run has no mean
                warnings.simplefilter("ignore", RuntimeWarning)
                run = np.convolve(acc, np.ones(w) / w, mode="same") if acc.size else acc
            axes[1, 1].plot(n[1:], 100 * run, **kw)
    if not drawn:
        plt.close(fig)
        return None
    axes[0, 0].set(yscale="log", ylabel=r"training loss $L(\theta_k)$", title="loss")
    axes[0, 1].set(yscale="log", ylabel=r"action of the followed path / $\lambda$",
                   title=r"action / $\lambda$ (" + ", ".join(
                       f"{lab}: $\\lambda$ = {lam:g}" for lab, lam in lams.items()) + ")")
    constant = sorted({f"{lab}: constant at {c:g}, not drawn" for lab, c in flat})
    axes[1, 0].set(ylabel="confidence (after the iteration)",
                   title="confidence" + (f" ({'; '.join(constant)})" if constant else ""))
    axes[1, 1].set(ylabel="predictions accepted (%)\n(running mean of 20 iterations)",
                   title="acceptance", ylim=(-5, 105))
    for ax in axes.ravel():
        ax.grid(alpha=0.3)
    for ax in axes.ravel():
        ax.set_xlabel("gradient evaluations")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, frameon=False, fontsize=9,
               bbox_to_anchor=(0.5, -0.01))
    fig.suptitle(f"LAML diagnostics on {ds} (seed 42): default against the reference preset")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return plotting.save(fig, path)


# ----------------------------------------------------------------------------- report
def _report(results, args, seeds, budgets, labels, ablation, seconds, figures):
    idx = _index(results)
    goal, verdict = _goal_table(idx, budgets, seeds)
    parts = [
        "# Optimizer race: equal gradient-evaluation budgets",
        "",
        "Generated by `benchmarks/optimizer_race.py"
        + (" --quick" if args.quick else "") + f"` in {seconds:.0f} s "
        f"({args.jobs} job(s); Python {platform.python_version()}, {platform.machine()}). "
        "Wall times are per run, on a shared machine: compare them within this table only.",
        "",
        "**Setup.** The seed network 4-6-1 (37 parameters, linear output, MSE), ReLU and tanh, "
        "on the three seed data sets (`make_dataset(name, n=100, seed=42)`), from the "
        f"initialisations `init_params(seed)` for seeds {', '.join(map(str, seeds))} "
        "(seed 42 is the published one). Every optimizer runs separately at each budget "
        f"({', '.join(f'{b:,}' for b in budgets)} gradient evaluations), charged by the one "
        "rule of `lagopt.optim._budget` (gradient or loss+gradient 1, loss 1/2, batched calls "
        "per point; every evaluation LAML's path solver makes included). Reported: the loss "
        "at the returned point (mean over seeds unless stated).",
        "",
        "Optimizers: " + "; ".join(f"`{lab}` = `{m}` {o or ''}".replace("{}", "")
                                   for lab, (m, o) in OPTIMIZERS.items() if lab in labels)
        + ". Baselines keep their documented defaults (Adam also at lr 1e-2, which is "
        "better than its default at these budgets).",
        "",
        "## Final loss",
        "",
        _loss_table(idx, labels, budgets),
        "",
        "## LAML default against gradient descent, Adam and L-BFGS",
        "",
        "The goal: LAML default no worse than `gd` (lr 0.1) at equal gradient evaluations on "
        "every data set and activation. `seeds laml <= gd` counts initialisations where it "
        "holds seed by seed.",
        "",
        goal,
        "",
        _summary(verdict),
        _seed_counts(idx, budgets),
        "",
        "## Acceptance rate of LAML (fraction of predicted paths the criterion accepted)",
        "",
        _accept_table(idx, budgets),
        "",
        f"## Wall time (budget {max(budgets):,})",
        "",
        _time_table(idx, labels, max(budgets)),
        "",
    ]
    rank = None
    if ablation:
        table, rank = _ablation_table(idx, budgets, ablation)
        parts += [
            "## Ablation: which LAML stages (the evidence for the default preset)",
            "",
            "Each column changes one stage of the default (`lagopt.optim.laml.PRESETS`): "
            "`lbfgs_model` the first default (ten L-BFGS pairs instead of the dense BFGS "
            "model, restarts after 5 stalled iterations), `straight` a straight path and no "
            "restart, `curve` "
            "backtracking in time along the model's least-action path, `no_restart` without "
            "the stall restarts, "
            "`lookahead` Barzilai-Borwein gradient look-ahead, `steepest` seed-001 steepest "
            "path, `closed_form` quasi-Newton completed by the least-squares output layer, "
            "`direct` true least-action path (direct method, 3 nodes), `smoothstep` smoothstep "
            "path with 3 nodes, `km` Krasnosel'skii-Mann explorer, `multistart` multi-start "
            "explorer, `no_memory` backtracking from the full prediction every time (the "
            "default starts from 4x the last accepted move), `trust` trust-region confidence, "
            "`lam1`/`lam100` the criterion's `lam` (default 1e8). Mean loss over seeds; rank "
            "1 = best in the row.",
            "",
            table,
            "",
        ]
    errors = [r for r in results if "error" in r]
    if errors:
        parts += ["## Failed runs", ""] + [
            f"- {r['label']} on {r['dataset']}/{r['activation']}, seed {r['seed']}, budget "
            f"{r['budget']}: {r['error']}" for r in errors] + [""]
    parts += ["## Figures", ""] + [f"![{os.path.basename(p)}]({os.path.basename(p)})"
                                   for p in figures]
    return "\n".join(parts) + "\n", rank


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="one seed, budgets 100 and 300, no ablation (about 10 s on 2 "
                             "cores)")
    parser.add_argument("--out", default="results", help="output directory (default results/)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="worker processes (default: all cores)")
    parser.add_argument("--scheduler", default=None,
                        help="address of a Dask scheduler (overrides --jobs)")
    parser.add_argument("--seeds", type=int, nargs="*", default=None,
                        help="network initialisation seeds (default 42 0 1; quick: 42)")
    parser.add_argument("--no-ablation", action="store_true", help="skip the ablation")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--from-json", default=None, metavar="PATH",
                        help="rebuild the report and figures from a saved optimizer_race.json "
                             "instead of running")
    args = parser.parse_args(argv)
    args.jobs = default_jobs() if args.jobs is None else max(1, args.jobs)
    seeds = tuple(args.seeds) if args.seeds else (QUICK_SEEDS if args.quick else SEEDS)
    budgets = QUICK_BUDGETS if args.quick else BUDGETS
    labels = tuple(OPTIMIZERS)
    ablation = () if (args.quick or args.no_ablation) else ABLATION
    os.makedirs(args.out, exist_ok=True)

    t0 = time.perf_counter()
    if args.from_json:
        with open(args.from_json) as fh:
            saved = json.load(fh)
        results, seconds = saved["results"], saved["seconds"]
        seeds, budgets = tuple(saved["seeds"]), tuple(saved["budgets"])
        present = {r["label"] for r in results}
        ablation = tuple(p for p in ABLATION
                         if ("laml" if p == "default" else f"laml:{p}") in present)
        ablation = ablation if len(ablation) > 1 else ()
    else:
        tasks = _tasks(seeds, budgets, labels, ablation)
        results = map_tasks(run_task, tasks, n_jobs=args.jobs, scheduler=args.scheduler,
                            desc="optimizer race", progress=not args.no_progress)
        seconds = time.perf_counter() - t0
    figures = _figures(results, args.out, labels, max(budgets))
    text, rank = _report(results, args, seeds, budgets, labels, ablation, seconds, figures)
    md = os.path.join(args.out, "optimizer_race.md")
    with open(md, "w") as fh:
        fh.write(text)
    with open(os.path.join(args.out, "optimizer_race.json"), "w") as fh:
        json.dump({"seeds": seeds, "budgets": budgets, "seconds": seconds,
                   "ablation_mean_rank": rank, "results": [_thin(r) for r in results]}, fh)
    print(f"wrote {md} and {len(figures)} figures in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
