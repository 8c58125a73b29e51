"""How much action does the seed's smoothstep interpolation waste against true least-action paths?

For the three seed data sets (4-6-1 networks, tanh and ReLU) and for 2-D test functions
(Mueller-Brown, Rosenbrock, Rastrigin), over many end-point pairs and several (lam, T), this
script measures with one quadrature (`lagopt.action`) the action of

* the smoothstep interpolant of the original LAML experiment,
* the uniform straight line,
* the true least-action path (`solve_action_path(method="auto")` with hedging), and each
  solver method that applies on its own (collocation/shooting/multiple shooting for smooth
  losses, the direct method always),

and writes ``compare_paths.md`` (savings of the true path relative to smoothstep and line,
residuals, success rates), ``paths_<fn>.png`` (contours with the three paths) and
``loss_along_path_<dataset>.png`` (loss along each path for the networks).

Network end points: the published experiment's prediction from the seed initialisation,
``theta* = theta - 2 (1 + std y) grad L(theta) + 0.3 xi`` (the first ``xi`` is exactly the
seed's first prediction: the same RandomState(42) stream continued after the initialisation),
and random pairs around the initialisation.

Usage::

    python benchmarks/compare_paths.py --quick            # well under a minute
    python benchmarks/compare_paths.py --out results/
"""
import argparse
import os
import sys
import time
import warnings

import numpy as np

from lagopt._parallel import map_tasks
from lagopt.datasets import make_dataset
from lagopt.objectives import MLPObjective, MullerBrown, Rastrigin, Rosenbrock
from lagopt.paths import METHODS, Auto, Collocation, Direct, action_saving, solve_action_path
from lagopt.paths.methods import METHOD_CLASSES

SOLVER_METHODS = ("collocation", "shooting", "multiple_shooting", "direct")


# ----------------------------------------------------------------------------- cases
def _network_cases(quick):
    """(group, objective, theta0, thetaT, label) for the networks."""
    cases = []
    n_ref, n_rand = (1, 0) if quick else (3, 3)
    for i, name in enumerate(("linear", "nonlinear", "xor")):
        X, y = make_dataset(name)
        for j, act in enumerate(("tanh", "relu")):
            f = MLPObjective(X, y, sizes=(4, 6, 1), activation=act)
            theta = f.init_params(42)
            rs = np.random.RandomState(42)  # the seed's stream: init draws, then the loop's
            rs.randn(4, 6)
            rs.randn(6, 1)
            g = f.grad(theta)
            step = 2.0 * (1.0 + np.std(y))
            for k in range(n_ref):
                xi = rs.randn(f.n_params)
                cases.append((f"{name}/{act}", f, theta, theta - step * g + 0.3 * xi,
                              f"reference {k}"))
            rng = np.random.default_rng([1000, i, j])
            for k in range(n_rand):
                a = theta + 0.3 * rng.standard_normal(f.n_params)
                b = theta + 0.3 * rng.standard_normal(f.n_params)
                cases.append((f"{name}/{act}", f, a, b, f"random {k}"))
    return cases


def _function_cases(quick):
    cases = []
    n_rand = 1 if quick else 4
    rng = np.random.default_rng(7)
    fns = [("muller_brown", MullerBrown()), ("rosenbrock", Rosenbrock()),
           ("rastrigin", Rastrigin(2))]
    for name, f in fns:
        dom = np.array(getattr(f, "domain", ((-2.0, 2.0), (-2.0, 2.0))), dtype=float)
        minima = np.atleast_2d(getattr(f, "minima", np.zeros((0, 2))))
        pairs = []
        if name == "muller_brown":
            pairs += [(minima[0], minima[1], "minimum 0 -> 1"), (minima[0], minima[2],
                                                                 "minimum 0 -> 2")]
        elif name == "rosenbrock":
            pairs += [(np.array([-1.0, 1.0]), np.array([1.0, 1.0]), "across the valley")]
        else:
            pairs += [(np.array([-2.0, -1.0]), np.array([1.0, 2.0]), "across the basins")]
        for k in range(n_rand):
            a = dom[:, 0] + (dom[:, 1] - dom[:, 0]) * rng.uniform(0.15, 0.85, 2)
            b = dom[:, 0] + (dom[:, 1] - dom[:, 0]) * rng.uniform(0.15, 0.85, 2)
            pairs.append((a, b, f"random {k}"))
        if quick:
            pairs = pairs[:1]
        for a, b, lab in pairs:
            cases.append((name, f, a, b, lab))
    return cases


def _settings(group, quick):
    """(lam, T) pairs per group: the 2-D functions differ in scale (Mueller-Brown ~ 100)."""
    if group == "muller_brown":
        grid = [(0.01, 1.0), (0.03, 2.0), (0.1, 1.0)]
    elif group in ("rosenbrock", "rastrigin"):
        grid = [(0.1, 1.0), (1.0, 1.0), (0.3, 2.0)]
    else:
        grid = [(1.0, 1.0), (0.1, 1.0), (1.0, 3.0)]
    return grid[:1] if quick else grid


# ----------------------------------------------------------------------------- one case
def _run_case(f, a, b, lam, T, quick, methods):
    out = {}
    for m in ("smoothstep", "linear"):
        p = solve_action_path(f, a, b, T=T, lam=lam, method=m)
        out[m] = p
    smooth = bool(getattr(f, "smooth", True))
    max_time = 5.0 if quick else 20.0
    for m in methods:
        if m != "direct" and not smooth:
            continue  # collocation/shooting refine without end or diverge at ReLU kinks
        out[m] = solve_action_path(f, a, b, T=T, lam=lam,
                                   method=METHOD_CLASSES[m](max_time=max_time))
    auto = Auto(chain=(Collocation(max_time=max_time), Direct(max_time=max_time)))
    out["true"] = solve_action_path(f, a, b, T=T, lam=lam, method=auto,
                                    n_starts=2 if quick else 4, seed=0)
    return out


class _SampledPath:
    """What the tables and figures need of an ActionPath (its numbers, mesh values and dense
    samples), light enough to send back from a worker process. Callable on ``[0, T]``, as
    :mod:`lagopt.plotting` expects of a path."""

    _KEEP = ("T", "action", "kinetic", "method", "success", "residual", "energy_drift",
             "wall_time", "theta")

    def __init__(self, path, k=301):
        for name in self._KEEP:
            setattr(self, name, getattr(path, name))
        self._t = np.linspace(0.0, path.T, k)
        self._samples = path.path(self._t)

    def __call__(self, t):
        t = np.atleast_1d(np.asarray(t, dtype=float))
        return np.vstack([np.interp(t, self._t, row) for row in self._samples])


def _case_task(job):
    """One (case, setting): solve every path, summarise; module level so that it pickles."""
    (group, f, a, b, label), (lam, T), quick, methods = job
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        paths = _run_case(f, a, b, lam, T, quick, methods)
        rec = _record(group, label, lam, T, paths)
    sampled = {key: _SampledPath(p) for key, p in paths.items()}
    rec["methods"] = {key: sampled[key] for key in rec["methods"]}
    rec["_paths"] = sampled
    return rec


def _record(group, label, lam, T, paths):
    ss, ln, tr = paths["smoothstep"], paths["linear"], paths["true"]
    # the best successful solution among all solver runs is the "true" path of this case
    solved = [p for k, p in paths.items() if k not in ("smoothstep", "linear") and p.success]
    if solved:  # least action; near-ties (solver noise) go to the smallest residual
        amin = min(p.action for p in solved)
        scale = max(abs(amin), max(abs(p.kinetic) for p in solved))
        best = min((p for p in solved if p.action <= amin + 1e-8 * scale),
                   key=lambda p: p.residual)
    else:
        best = tr
    rec = {
        "group": group, "label": label, "lam": lam, "T": T,
        "S_smooth": ss.action, "S_line": ln.action, "S_true": best.action,
        "ok": bool(solved), "true_method": best.method,
        "res_smooth": ss.residual, "res_line": ln.residual, "res_true": best.residual,
        "drift_true": best.energy_drift,
        "methods": {k: p for k, p in paths.items() if k not in ("smoothstep", "linear")},
    }
    rec["save_smooth"], rec["rel_smooth"] = action_saving(ss.action, best.action)
    rec["save_line"], rec["rel_line"] = action_saving(ln.action, best.action)
    return rec


# ----------------------------------------------------------------------------- report
def _stats(x):
    x = np.asarray([v for v in x if np.isfinite(v)], dtype=float)
    if x.size == 0:
        return "n/a"
    return f"{np.median(x):.3g} [{x.min():.3g}, {x.max():.3g}]"


def _pct(x):
    x = np.asarray([v for v in x if np.isfinite(v)], dtype=float)
    if x.size == 0:
        return "n/a"
    return f"{100 * np.median(x):.1f} % [{100 * x.min():.1f}, {100 * x.max():.1f}]"


def _markdown(records, elapsed, quick):
    lines = ["# Action of smoothstep, straight line and true least-action paths", "",
             f"{'Quick run' if quick else 'Full run'}: {len(records)} cases in {elapsed:.1f} s. "
             "Every path measured by the same quadrature (`lagopt.action`: composite 5-point "
             "Gauss-Legendre, >= 200 panels). *Saved* = action(interpolant) - action(true "
             "path), median [min, max]; relative = saved / action(interpolant), over the cases "
             "where both actions are positive (`lagopt.paths.action_saving`: a percentage of a "
             "negative action reads backwards). *Residual*: `ActionPath.residual`, the relative "
             "Euler-Lagrange residual the success certificate checks. The true path "
             "is the least action over the successful solver runs of the case (auto with "
             "hedging and each applicable method).", "",
             "| group | cases | solved | saved vs smoothstep | rel. vs smoothstep "
             "| saved vs line | rel. vs line | residual true | residual smoothstep "
             "| residual line | energy drift true |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    groups = sorted({r["group"] for r in records})
    for g in groups:
        rs = [r for r in records if r["group"] == g]
        ok = [r for r in rs if r["ok"]]
        lines.append(
            f"| {g} | {len(rs)} | {len(ok)}/{len(rs)} | {_stats([r['save_smooth'] for r in ok])} "
            f"| {_pct([r['rel_smooth'] for r in ok])} | {_stats([r['save_line'] for r in ok])} "
            f"| {_pct([r['rel_line'] for r in ok])} | {_stats([r['res_true'] for r in ok])} "
            f"| {_stats([r['res_smooth'] for r in rs])} | {_stats([r['res_line'] for r in rs])} "
            f"| {_stats([r['drift_true'] for r in ok])} |")
    lines += ["", "## Methods", "",
              "Per method: success rate, median [min, max] of the measured residual and energy "
              "drift of successful runs, median wall time, and the median action gap to the "
              "case's best path (0 = found the least action).", "",
              "| group | method | success | residual | energy drift | time (s) | gap to best |",
              "|---|---|---|---|---|---|---|"]
    for g in groups:
        rs = [r for r in records if r["group"] == g]
        names = sorted({m for r in rs for m in r["methods"]},
                       key=lambda m: ("true", *SOLVER_METHODS).index(m)
                       if m in ("true", *SOLVER_METHODS) else 99)
        for m in names:
            runs = [(r, r["methods"][m]) for r in rs if m in r["methods"]]
            good = [(r, p) for r, p in runs if p.success]
            label = "auto + hedging" if m == "true" else m
            lines.append(
                f"| {g} | {label} | {len(good)}/{len(runs)} "
                f"| {_stats([p.residual for _, p in good])} "
                f"| {_stats([p.energy_drift for _, p in good])} "
                f"| {np.median([p.wall_time for _, p in runs]):.3g} "
                f"| {_stats([p.action - r['S_true'] for r, p in good])} |")
    lines += ["", "Notes: smoothstep and the line are the same curve; only the speed profile "
              "differs, so smoothstep's kinetic part is exactly 1.2x the line's. Interpolant "
              "residuals are of order lam |grad L|: they are not solutions. For ReLU networks "
              "the residual of any path stays of the order of the gradient jump in the mesh "
              "intervals where an activation switches, so there it certifies less than for "
              "smooth losses.", ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- figures
_NAMES = {"muller_brown": "M\u00fcller-Brown"}


def _figures(records, out_dir):
    """Contours with the three paths per 2-D function, loss along the paths per data set."""
    from lagopt import plotting

    plotting.use_agg()
    import matplotlib.pyplot as plt

    written = []
    # 2-D contour plots: first setting of every function, all its pairs
    for g in sorted({r["group"] for r in records if "/" not in r["group"]}):
        rs = [r for r in records if r["group"] == g]
        lam0, T0 = rs[0]["lam"], rs[0]["T"]
        rs = [r for r in rs if r["lam"] == lam0 and r["T"] == T0]
        fig = plotting.plot_path_comparison_2d(
            rs[0]["_objective"], [r["_paths"] for r in rs], T0,
            title=f"{_NAMES.get(g, g.capitalize())}: {len(rs)} end-point "
                  f"pair{'s' if len(rs) > 1 else ''}\n"
                  f"\N{GREEK SMALL LETTER LAMDA} = {lam0:g}, T = {T0:g}")
        written.append(plotting.save(fig, os.path.join(out_dir, f"paths_{g}.png")))
    # networks: loss along the first reference pair, both activations
    datasets = sorted({r["group"].split("/")[0] for r in records if "/" in r["group"]})
    for ds in datasets:
        fig, axes = plt.subplots(1, 2, figsize=(13, 5.2), layout="constrained")
        for ax, act in zip(axes, ("tanh", "relu")):
            rs = [r for r in records if r["group"] == f"{ds}/{act}"]
            if not rs:
                ax.set_visible(False)
                continue
            r = rs[0]
            P = r["_paths"]
            least = f"least action ({P['true'].method})"
            shown = {"smoothstep": P["smoothstep"], "straight line": P["linear"],
                     least: P["true"]}
            styles = {"straight line": plotting.PATH_STYLE["linear"],
                      least: {**plotting.PATH_STYLE["auto"], "lw": 2.6}}
            plotting.plot_loss_along_paths(
                r["_objective"], shown, ax=ax, styles=styles, legend="below",
                title=f"{ds}, {act}: {r['label']}\n"
                      f"\N{GREEK SMALL LETTER LAMDA} = {r['lam']:g}, T = {r['T']:g}")
        written.append(plotting.save(fig, os.path.join(out_dir, f"loss_along_path_{ds}.png")))
    return written


# ----------------------------------------------------------------------------- main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="one pair and one (lam, T) per group (about 15 s on 2 cores)")
    parser.add_argument("--out", default="results", help="output directory (default results/)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--jobs", type=int, default=None,
                        help="worker processes for the sweep (default: 1, in this process)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run the sweep on a Dask cluster at this scheduler address")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    methods = [m for m in SOLVER_METHODS if m in METHODS]
    missing = sorted(set(SOLVER_METHODS) - set(methods))
    if missing:
        print(f"[skip] methods not available: {missing}")
    cases = _function_cases(args.quick) + _network_cases(args.quick)
    jobs = [(c, s) for c in cases for s in _settings(c[0], args.quick)]
    start = time.perf_counter()
    records = map_tasks(_case_task, [(c, st, args.quick, methods) for c, st in jobs],
                        n_jobs=args.jobs if args.jobs else 1, scheduler=args.scheduler,
                        desc="compare_paths", progress=not args.no_progress)
    for rec, (case, _) in zip(records, jobs):
        rec["_objective"] = case[1]
    elapsed = time.perf_counter() - start
    md = _markdown(records, elapsed, args.quick)
    md_path = os.path.join(args.out, "compare_paths.md")
    with open(md_path, "w") as fh:
        fh.write(md)
    figs = _figures(records, args.out)
    print(md)
    print(f"wrote {md_path} and {len(figs)} figures to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
