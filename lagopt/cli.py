"""The ``lagopt`` command: ``lagopt paths``, ``lagopt train``, ``lagopt connect`` and
``lagopt bench``.

Each sub-command writes a markdown table and PNG figures into ``--out`` and prints the table;
``--quick`` runs a small version (well under a minute for ``paths`` and ``train``; for
``bench``, see `BENCH_QUICK_TIME`).
"""
import argparse
import contextlib
import os
import shutil
import signal
import stat
import sys
import tempfile
import threading
import time

import numpy as np

from lagopt.benchmarks import SUITE as BENCH_SUITE
from lagopt.optim.race import TRAIN_LABELS, TRAIN_QUICK_LABELS, select

__all__ = ["main"]

DATASETS = ("linear", "nonlinear", "xor")
FUNCTIONS = ("muller-brown", "rosenbrock", "rastrigin", "ackley")
TRUE_METHODS = ("collocation", "shooting", "multiple_shooting", "direct")
ACTIVATIONS = ("tanh", "relu", "softplus")
#: One default network for `lagopt paths` and `lagopt train`.
DEFAULT_ACTIVATION = "tanh"
#: What `lagopt bench --quick` takes, measured (cold numba cache excluded: it compiles once).
BENCH_QUICK_TIME = ("about a minute on 2 idle cores, plus about a minute the first time "
                    "(compiling)")


def _int_at_least(minimum):
    """An argparse type: an integer >= `minimum` (argparse then reports a bad value in one
    line with the usage, exit status 2)."""
    def convert(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value
    return convert


def _parallel_options(parser, what):
    parser.add_argument("--jobs", type=_int_at_least(1), default=None,
                        help=f"worker processes for {what} (default: the available cores)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help=f"run {what} on a Dask cluster at this scheduler address instead")


def _common(parser, default_out, quick_help="a small version (well under a minute)"):
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--out", default=default_out, metavar="DIR",
                        help=f"folder for the table and figures (default: {default_out})")
    parser.add_argument("--no-progress", dest="progress", action="store_false",
                        help="hide the progress bar")


# ---------------------------------------------------------------------------------- paths
def _problem(name, activation, n_pairs, rng):
    """The objective and a list of (label, theta0, thetaT) end-point pairs."""
    import lagopt
    if name in DATASETS:
        X, y = lagopt.make_dataset(name)
        f = lagopt.MLPObjective(X, y, sizes=(4, 6, 1), activation=activation)
        theta0 = f.init_params(42)
        # The published experiment's predicted end point (a gradient step of gain
        # 2 (1 + std y) plus noise of scale 0.3), then random pairs.
        pairs = [("reference-prediction", theta0,
                  theta0 - 2 * (1 + np.std(y)) * f.grad(theta0)
                  + 0.3 * rng.standard_normal(f.n_params))]
        for k in range(n_pairs - 1):
            pairs.append((f"random-{k + 1}", theta0,
                          theta0 + 0.5 * rng.standard_normal(f.n_params)))
        return f, pairs
    f = {"muller-brown": lambda: lagopt.MullerBrown(),
         "rosenbrock": lambda: lagopt.Rosenbrock(),
         "rastrigin": lambda: lagopt.Rastrigin(2),
         "ackley": lambda: lagopt.Ackley(2)}[name]()
    minima = np.asarray(f.minima, dtype=float)
    pairs = []
    if len(minima) >= 2:
        pairs.append(("minimum-0 to minimum-1", minima[0], minima[1]))
    (x0, x1), (y0, y1) = f.domain
    while len(pairs) < n_pairs:
        a = np.array([rng.uniform(x0, x1), rng.uniform(y0, y1)])
        b = np.array([rng.uniform(x0, x1), rng.uniform(y0, y1)])
        pairs.append((f"random-{len(pairs)}", a, b))
    return f, pairs[:n_pairs]


def _fmt(x, digits=4):
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return str(x)
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{x:.{digits}g}"


def _minimum(path):
    if path.method in ("linear", "smoothstep"):
        return "-"
    return _fmt(path.is_minimum) if path.is_minimum is not None else "n/a"


def _saved(path, ref):
    """Action saved against the smoothstep path (`lagopt.paths.action_saving`), for a solved
    path or an interpolant: the difference, and the percentage when both actions are > 0."""
    from lagopt.paths import action_saving
    if ref is None:
        return "-"
    if not (path.success or path.method in ("linear", "smoothstep")):
        return "n/a"
    delta, relative = action_saving(ref, path.action)
    if not np.isfinite(delta):
        return "n/a"
    return f"{delta:+.4g}" + (f" ({100 * relative:+.2f} %)" if np.isfinite(relative) else "")


def _report(out, name, text, figures):
    """Write the markdown report, print it and the figures written; exit code 0."""
    with open(os.path.join(out, name), "w") as fh:
        fh.write(text)
    print(text)
    print("figures: " + ", ".join(os.path.basename(f) for f in figures))
    return 0


def markdown_table(header, rows):
    """A GitHub markdown table (list of header strings, list of row lists)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _capped(method, max_time):
    """The method named `method`; collocation with the wall-time cap `max_time` (seconds)."""
    from lagopt.paths import Collocation
    return Collocation(max_time=max_time) if method == "collocation" else method


def _warm_up_methods(f, a, b, methods, args):
    """Compile every kernel the table's solves use before any of them is timed: each method on
    a short hop from `a` towards `b` (a cheap problem that runs the same code, the batched
    kernels, measurement and certificates included)."""
    import lagopt
    a = np.asarray(a, dtype=float)
    near = a + 1e-3 * (np.asarray(b, dtype=float) - a)
    for m in methods:
        lagopt.solve_action_path(f, a, near, T=args.T, lam=args.lam,
                                 method=_capped(m, max_time=5.0))


def cmd_paths(args):
    import lagopt
    from lagopt import plotting
    plotting.use_agg()
    rng = np.random.default_rng(args.seed)
    n_pairs = args.pairs if args.pairs is not None else (1 if args.quick else 3)
    f, pairs = _problem(args.problem, args.activation, n_pairs, rng)
    methods = list(args.methods) if args.methods else (
        ["linear", "smoothstep", "auto"] if args.quick
        else ["linear", "smoothstep", "collocation", "direct", "multiple_shooting"])
    # numba compiles here, not inside the table's timings
    _warm_up_methods(f, pairs[0][1], pairs[0][2], methods, args)
    from tqdm.auto import tqdm
    rows, figures = [], []
    jobs = [(label, a, b, m) for label, a, b in pairs for m in methods]
    solved = {}
    for label, a, b, m in tqdm(jobs, desc="paths", leave=False, disable=not args.progress):
        p = lagopt.solve_action_path(f, a, b, T=args.T, lam=args.lam,
                                     method=_capped(m, max_time=20.0))
        solved[(label, m)] = p
    for label, a, b in pairs:
        ref = solved[(label, "smoothstep")].action if (label, "smoothstep") in solved else None
        for m in methods:
            p = solved[(label, m)]
            rows.append([label, p.method, _fmt(p.success), _minimum(p), _fmt(p.action, 6),
                         _fmt(p.kinetic), _fmt(p.potential), _fmt(p.residual, 2),
                         _fmt(p.energy_drift, 2), _saved(p, ref), f"{p.wall_time:.3f}"])
        shown = {m: solved[(label, m)] for m in methods if solved[(label, m)].success
                 or m in ("linear", "smoothstep")}
        if not shown:   # every path failed: there is nothing worth drawing for this pair
            continue
        tag = label.replace(" ", "_")
        if f.n_params == 2:
            fig = plotting.plot_paths_2d(f, shown, title=f"{args.problem}: {label}")
            figures.append(plotting.save(fig, os.path.join(args.out, f"paths_{tag}.png")))
        fig = plotting.plot_loss_along_paths(f, shown, title=f"{args.problem}: loss along {label}")
        figures.append(plotting.save(fig, os.path.join(args.out, f"loss_along_{tag}.png")))
    header = ["end points", "method", "success", "least action", "action", "kinetic",
              "potential", "residual", "energy drift", "saved vs smoothstep", "seconds"]
    table = markdown_table(header, rows)
    text = (f"# Least-action paths on {args.problem}"
            f"{' (' + args.activation + ')' if args.problem in DATASETS else ''}, "
            f"lambda = {args.lam}, T = {args.T}\n\n{table}\n\n"
            "Every action is measured by the same Gauss-Legendre quadrature on the dense path. "
            "The interpolants (linear, smoothstep) are not solutions of the Euler-Lagrange "
            "equation: their residual shows it. *least action*: the second variation of a "
            "solved path is positive definite (yes: a local minimum of the action), has "
            "negative eigenvalues (no: a saddle), or cannot be decided (n/a). *residual*: the "
            "relative Euler-Lagrange residual that certifies a solved path (at most 1e-3; "
            "`ActionPath.residual`). *saved vs smoothstep*: the smoothstep path's action minus "
            "this one (positive: this path's action is lower), with the percentage of the "
            "smoothstep action when both actions are positive (a percentage of a negative "
            "action would read backwards). A failed path saves nothing: its action is not that "
            "of a solution. *seconds*: the whole call, certificates included, numba's "
            "compilation excluded (done before the table).\n")
    return _report(args.out, "paths.md", text, figures)


# ---------------------------------------------------------------------------------- train
#: Optimizers of `lagopt train`: label -> (minimize method, options), the train entries of the
#: one registry (:data:`lagopt.optim.race.OPTIMIZERS`, where each is documented).
OPTIMIZERS = select(TRAIN_LABELS)


#: (data, activation, label) already warmed up in this process (each worker keeps its own).
_WARMED = set()


def _train_task(task):
    """One optimizer run (module level so that process pools and Dask can pickle it)."""
    import lagopt
    data, activation, label, seed, budget = task
    X, y = lagopt.make_dataset(data)
    f = lagopt.MLPObjective(X, y, sizes=(4, 6, 1), activation=activation)
    method, options = OPTIMIZERS[label]
    theta0 = f.init_params(seed)
    # Compile (or load) the kernels and warm the optimizer's code before the first timed run of
    # each optimizer in this process: the table's seconds are the optimizer's, not numba's.
    if (data, activation, label) not in _WARMED:
        lagopt.minimize(f, theta0, method=method, max_grad_evals=min(budget, 20), seed=seed,
                        **options)
        _WARMED.add((data, activation, label))
    res = lagopt.minimize(f, theta0, method=method, max_grad_evals=budget, seed=seed, **options)
    history = {k: np.asarray(v) for k, v in res.history.items() if k != "path_method"}
    return {"label": label, "seed": seed, "fun": float(res.fun), "n_grad": float(res.n_grad),
            "wall_time": float(res.wall_time), "accept_rate": res.get("accept_rate"),
            "history": history}


def cmd_train(args):
    from lagopt import plotting
    from lagopt._parallel import default_jobs, map_tasks
    plotting.use_agg()
    budget = args.budget if args.budget is not None else (300 if args.quick else 1000)
    seeds = args.seeds if args.seeds is not None else ([42] if args.quick else [42, 0, 1])
    labels = args.methods if args.methods else (
        list(TRAIN_QUICK_LABELS) if args.quick else list(OPTIMIZERS))
    tasks = [(args.data, args.activation, label, seed, budget) for label in labels
             for seed in seeds]
    jobs = args.jobs if args.jobs else default_jobs()
    runs = map_tasks(_train_task, tasks, n_jobs=jobs, scheduler=args.scheduler,
                     desc="train", progress=args.progress)
    by_label = {label: [r for r in runs if r["label"] == label] for label in labels}
    rows = []
    for label, rs in by_label.items():
        losses = np.array([r["fun"] for r in rs])
        acc = [r["accept_rate"] for r in rs if r["accept_rate"] is not None]
        rows.append([label, _fmt(float(np.mean(losses)), 4), _fmt(float(losses.min()), 4),
                     _fmt(float(losses.max()), 4), f"{np.mean(acc):.0%}" if acc else "-",
                     f"{np.median([r['n_grad'] for r in rs]):.0f}",
                     f"{np.median([r['wall_time'] for r in rs]):.2f}"])
    header = ["optimizer", "final loss (mean over seeds)", "min", "max", "LAML acceptance",
              "gradient evals (median)", "seconds (median)"]
    table = markdown_table(header, rows)

    class _Run:  # what plot_race reads
        def __init__(self, r):
            self.history = r["history"]
    fig = plotting.plot_race({k: [_Run(r) for r in v] for k, v in by_label.items()},
                             center="mean",
                             title=f"4-6-1 network on {args.data} ({args.activation}): loss "
                                   "against gradient evaluations, " + (
                                       f"mean of {len(seeds)} seeds" if len(seeds) > 1
                                       else f"seed {seeds[0]}"))
    figures = [plotting.save(fig, os.path.join(args.out, "train_race.png"))]
    for label in labels:
        h = by_label[label][0]["history"]
        if "action" in h and "confidence" in h and len(h["action"]):
            fig = plotting.plot_laml_diagnostics(
                h, title=f"{label} on {args.data} ({args.activation}), seed {seeds[0]}",
                preset=OPTIMIZERS[label][1].get("preset"))
            figures.append(plotting.save(fig, os.path.join(args.out, f"train_{label}.png")))
    text = (f"# Training the 4-6-1 network on {args.data} ({args.activation}), "
            f"{budget} gradient evaluations\n\n{table}\n\n"
            f"Seeds (network initialisations): {seeds}. Every optimizer is charged by the same "
            "rule (a gradient 1, a loss 1/2, a Hessian-vector product its documented cost) "
            "and none exceeds the budget.\n")
    return _report(args.out, "train.md", text, figures)


# ---------------------------------------------------------------------------------- connect
#: The 2-D function `lagopt connect` accepts besides the data sets (its minima A -> B).
CONNECT_FUNCTIONS = ("muller-brown",)


def _connect_problem(args):
    """Training and held-out objectives (None for a 2-D function), the two minima, and a
    description of how they were found (a list of lines)."""
    import lagopt
    from lagopt.benchmarks.transition import split_objectives, train_network
    if args.problem in CONNECT_FUNCTIONS:
        f = lagopt.MullerBrown()
        return f, None, np.array(f.minima[0]), np.array(f.minima[1]), [
            "Müller-Brown minima A (-0.558, 1.442) and B (0.623, 0.028); no held-out data."]
    sizes = tuple(args.sizes) if args.sizes else ((4, 6, 1) if args.quick else (4, 16, 1))
    if sizes[0] != 4 or sizes[-1] != 1 or len(sizes) < 2:
        raise _Refused(f"--sizes must start with 4 (the inputs of {args.problem}) and end "
                       f"with 1 (one output), got {' '.join(map(str, sizes))}")
    X, y = lagopt.make_dataset(args.problem, n=2 * args.samples, seed=42)
    f, f_test = split_objectives(X, y, sizes, args.samples, activation=args.activation)
    train_budget = args.train_budget or (500 if args.quick else 2000)
    nets = [train_network(f, seed, train_budget) for seed in (args.seed, args.seed + 1)]
    notes = [f"Network {'-'.join(map(str, sizes))} ({args.activation}, {f.n_params} "
             f"parameters) on {args.problem}: {args.samples} training and {args.samples} "
             "held-out samples (`make_dataset(..., seed=42)` split in two)."]
    notes += [f"Network {k + 1}: seed {n['seed']}, L-BFGS, training loss {n['loss']:.4g} "
              f"after {n['n_grad']:.0f} gradient evaluations, {n['time']:.2f} s."
              for k, n in enumerate(nets)]
    return f, f_test, nets[0]["theta"], nets[1]["theta"], notes


def cmd_connect(args):
    from lagopt import plotting
    from lagopt.benchmarks.transition import mep_options
    from lagopt.transition.connect import connect
    plotting.use_agg()
    f, f_test, a, b, notes = _connect_problem(args)
    budget = args.budget if args.budget is not None else (300 if args.quick else 1000)
    res = connect(f, a, b, held_out=f_test, max_grad_evals=budget, seed=args.seed,
                  progress=args.progress, mep_options=None if f_test is None else mep_options(f))
    rows = [[r["curve"], _fmt(r["success"]), _fmt(r["barrier"]),
             _fmt(r["barrier_held_out"]), f"{r['n_grad']:.0f}", str(r["n_loss"]),
             f"{r['time']:.2f}", r["message"].replace("|", "/")[:240]] for r in res.rows()]
    header = ["curve", "success", "barrier (train)", "barrier (held-out)", "gradient evals",
              "loss evals", "seconds", "note"]
    table = markdown_table(header, rows)
    title = (f"the {args.problem} network" if f_test is not None else args.problem)
    fig = res.plot(title=f"Loss between two minima of {title}")
    figures = [plotting.save(fig, os.path.join(args.out, "connect.png"))]
    text = (f"# Mode connectivity on {args.problem}, {budget} gradient evaluations per curve"
            f"\n\n{table}\n\n" + "\n".join(f"- {n}" for n in notes) + "\n\n"
            "*barrier*: the highest loss along the curve minus the mean loss of its two ends "
            f"(line and Bézier curve at {res.n_eval} points equally spaced in t; the minimum-"
            "energy path at its images and refined saddles). The curves are found on the "
            "training data; *held-out*: the same curves judged on the held-out samples. The "
            "Bézier curve's control point is trained by Garipov et al.'s procedure (t ~ U(0, 1) "
            "per step, Adam), the MEP by `lagopt.transition.solve_mep`, each on the same "
            "budget. *gradient evals*: spent finding the curve (a Hessian-vector product "
            "counts 1); *loss evals*: spent measuring it.\n")
    return _report(args.out, "connect.md", text, figures)


# ---------------------------------------------------------------------------------- bench
def cmd_bench(args):
    import importlib

    from lagopt.benchmarks import SUITE
    names = args.only if args.only else list(SUITE)
    sections, failed = [], []
    from tqdm.auto import tqdm
    for name in tqdm(names, desc="bench", leave=False, disable=not args.progress):
        module = importlib.import_module(f"lagopt.benchmarks.{name}")
        argv = ["--out", args.out] + (["--quick"] if args.quick else [])
        if name in ("optimizer_race", "compare_paths", "wide_race"):  # the sweeps
            argv += (["--jobs", str(args.jobs)] if args.jobs else []) + (
                ["--scheduler", args.scheduler] if args.scheduler else []) + (
                [] if args.progress else ["--no-progress"])
        argv += ["--no-progress"] if name in ("scale", "transition", "laml_speed") \
            and not args.progress else []
        start = time.perf_counter()
        code = module.main(argv)
        # Benchmark mains return an exit code, or their rows (success) when called in-process.
        failed_here = isinstance(code, int) and not isinstance(code, bool) and code != 0
        if failed_here:
            failed.append(name)
        sections.append((name, time.perf_counter() - start, failed_here))
    md = [f for f in sorted(os.listdir(args.out)) if f.endswith(".md") and f != "results.md"]
    parts = [f"# lagopt benchmark results{' (--quick)' if args.quick else ''}\n",
             f"Regenerate with `lagopt bench{' --quick' if args.quick else ''} --out "
             f"{args.final_out}`.\n"]
    for name, seconds, failed_here in sections:
        parts.append(f"- `{name}`: {seconds:.1f} s, {'FAILED' if failed_here else 'ok'}")
    parts.append("")
    for f in md:
        with open(os.path.join(args.out, f)) as fh:
            # One heading level down: each benchmark's title becomes a section of results.md.
            parts.append("".join("#" + line if line.startswith("#") else line for line in fh))
    with open(os.path.join(args.out, "results.md"), "w") as fh:
        fh.write("\n".join(parts))
    print("\n".join(parts[:len(sections) + 3]))
    print(f"wrote {os.path.join(args.final_out, 'results.md')}")
    return 1 if failed else 0


# ---------------------------------------------------------------------------------- main
def build_parser():
    parser = argparse.ArgumentParser(
        prog="lagopt",
        description="Least-action paths through loss landscapes, and the LAML optimizer.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="{paths,train,connect,bench}")

    p = sub.add_parser("paths", help="smoothstep vs straight vs true least-action paths",
                       description="Solve least-action paths between end points on a data set's "
                                   "network or a 2-D test function; tabulate actions and "
                                   "residuals of every method and plot the paths.")
    p.add_argument("--problem", default="xor", choices=DATASETS + FUNCTIONS,
                   help="a data set (4-6-1 network) or a 2-D test function (default: xor)")
    p.add_argument("--activation", default=DEFAULT_ACTIVATION, choices=ACTIVATIONS,
                   help=f"hidden activation of the network (default: {DEFAULT_ACTIVATION}, "
                        "smooth, so that every path method applies; relu is the original "
                        "experiment's)")
    p.add_argument("--lam", type=float, default=1.0, help="weight of the loss (default: 1)")
    p.add_argument("--T", type=float, default=1.0, help="horizon (default: 1)")
    p.add_argument("--pairs", type=_int_at_least(1), default=None,
                   help="number of end-point pairs (default: 3; 1 with --quick)")
    p.add_argument("--methods", nargs="+", default=None,
                   choices=("linear", "smoothstep", "auto") + TRUE_METHODS,
                   help="path methods to compare")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the random end points (default: 0)")
    _common(p, "lagopt-paths")
    p.set_defaults(func=cmd_paths)

    t = sub.add_parser("train", help="LAML presets against baselines on a data set",
                       description="Train the 4-6-1 network of the original experiment with "
                                   "LAML presets and the baselines at an equal gradient-"
                                   "evaluation budget; tabulate final losses and plot loss "
                                   "against gradient evaluations and LAML's diagnostics.")
    t.add_argument("--data", default="xor", choices=DATASETS, help="data set (default: xor)")
    t.add_argument("--activation", default=DEFAULT_ACTIVATION, choices=ACTIVATIONS,
                   help=f"hidden activation (default: {DEFAULT_ACTIVATION}, as for `lagopt "
                        "paths`; relu is the original experiment's)")
    t.add_argument("--budget", type=_int_at_least(1), default=None,
                   help="gradient evaluations per run (default: 1000; 300 with --quick)")
    t.add_argument("--seeds", type=_int_at_least(0), nargs="+", default=None,
                   help="network initialisation seeds (default: 42 0 1; 42 with --quick)")
    t.add_argument("--methods", nargs="+", default=None, choices=tuple(OPTIMIZERS),
                   help="optimizers to run (default: all)")
    _parallel_options(t, "the runs")
    _common(t, "lagopt-train")
    t.set_defaults(func=cmd_train)

    c = sub.add_parser("connect", help="mode connectivity: line, Bézier curve and MEP "
                                       "between two trained networks",
                       description="Train two networks from different seeds, then measure the "
                                   "loss barrier between them along the straight line, a "
                                   "trained quadratic Bézier curve and the minimum-energy "
                                   "path, on the training and on held-out data.")
    c.add_argument("--problem", default="nonlinear", choices=DATASETS + CONNECT_FUNCTIONS,
                   help="a data set (the network below) or muller-brown (its minima A and B; "
                        "default: nonlinear)")
    c.add_argument("--sizes", type=_int_at_least(1), nargs="+", default=None,
                   help="layer sizes of the network, inputs 4 to output 1 (default: 4 16 1; "
                        "4 6 1 with --quick)")
    c.add_argument("--activation", default=DEFAULT_ACTIVATION, choices=ACTIVATIONS,
                   help=f"hidden activation (default: {DEFAULT_ACTIVATION}: smooth, as the "
                        "MEP's Hessian-vector products want)")
    c.add_argument("--samples", type=_int_at_least(2), default=100,
                   help="training samples, and as many held-out ones (default: 100)")
    c.add_argument("--budget", type=_int_at_least(1), default=None,
                   help="gradient evaluations for the Bézier curve and for the MEP, each "
                        "(default: 1000; 300 with --quick)")
    c.add_argument("--train-budget", type=_int_at_least(1), default=None,
                   help="L-BFGS gradient evaluations per network (default: 2000; 500 with "
                        "--quick)")
    c.add_argument("--seed", type=_int_at_least(0), default=0,
                   help="seed of the first network (the second: seed + 1) and of the curves "
                        "(default: 0)")
    _common(c, "lagopt-connect")
    c.set_defaults(func=cmd_connect)

    b = sub.add_parser("bench", help="run the benchmark suite and write results.md",
                       description="Run the benchmark programs of lagopt.benchmarks (seed "
                                   "table, kernels, solver speed, classic BVPs against "
                                   "solve_bvp, path comparison, optimizer race, wide race, "
                                   "scaling) and collect their tables into results.md.")
    b.add_argument("--only", nargs="+", default=None, choices=BENCH_SUITE,
                   help="run only these benchmarks")
    _parallel_options(b, "the sweeps (optimizer races, path comparison)")
    _common(b, "lagopt-bench", quick_help=f"each benchmark's small version ({BENCH_QUICK_TIME})")
    b.set_defaults(func=cmd_bench)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from lagopt import __version__
        print(__version__)
        return 0
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    for name in ("lam", "T"):
        value = getattr(args, name, None)
        if value is not None and not (np.isfinite(value) and value >= 0):
            parser.error(f"--{name} must be a finite number >= 0")
    if getattr(args, "T", 1.0) == 0:
        parser.error("--T must be > 0")
    args.final_out = os.path.abspath(args.out)
    args.out = None
    held = []   # the lock, once taken (`_lock` records it with SIGTERM blocked)
    _SIGNALLED.clear()
    previous = _trap_sigterm()
    try:
        _lock(args.final_out, held)
        args.out = _staging(parser, args.final_out)
        start = time.perf_counter()
        code = args.func(args)
        if _SIGNALLED:   # terminated, but the exception was swallowed on the way
            raise _Terminated()
        _publish(args.out, args.final_out)
        print(f"done in {time.perf_counter() - start:.1f} s; output in {args.final_out}/",
              file=sys.stderr)
        return code
    except _Refused as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:   # Ctrl-C, or SIGTERM (`_Terminated`): exit 128 + signal
        what = "terminated" if isinstance(exc, _Terminated) else "interrupted"
        print(f"{what}: nothing was written to {args.final_out}/", file=sys.stderr)
        return 128 + getattr(exc, "signum", signal.SIGINT)
    except Exception:
        if not _SIGNALLED:
            raise
        # SIGTERM landed where its exception was turned into another one (an import that was
        # compiling a module reports it as a SyntaxError): still a termination, not a crash.
        print(f"terminated: nothing was written to {args.final_out}/", file=sys.stderr)
        return 128 + signal.SIGTERM
    finally:
        if previous is not _NOT_TRAPPED:   # a second SIGTERM does not stop the clean-up
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if args.out is not None:
            shutil.rmtree(args.out, ignore_errors=True)
        for lock in held:
            _unlock(lock)
        if previous is not _NOT_TRAPPED:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


class _Refused(Exception):
    """The output folder cannot be written as asked: `main` prints why and exits with 2."""


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that a run cleans up as after Ctrl-C."""
    signum = signal.SIGTERM


_NOT_TRAPPED = object()


#: Signals received by the running `main` (a termination even where the code the signal
#: interrupted turned `_Terminated` into another exception, or swallowed it).
_SIGNALLED = []


def _on_sigterm(signum, frame):
    _SIGNALLED.append(signum)
    raise _Terminated()


def _trap_sigterm():
    """Make SIGTERM raise `_Terminated` (only the main thread can); return the previous
    handler, or `_NOT_TRAPPED`."""
    if threading.current_thread() is not threading.main_thread():
        return _NOT_TRAPPED
    return signal.signal(signal.SIGTERM, _on_sigterm)


def _lock_path(out):
    return os.path.join(os.path.dirname(out), f".{os.path.basename(out)}.lagopt-lock")


def _alive(pid):
    """Whether process `pid` is running (on Windows, where this cannot be asked without
    harm, assume it is)."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:   # PermissionError: another user's process
        return True
    return True


def _read_pid(path):
    try:
        with open(path) as fh:
            text = fh.read().strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() and int(text) > 0 else 0


def _lock(out, held):
    """Take the lock of `out` (a file beside it, holding this process's PID), so that a
    second run into `out` refuses instead of mixing its files in. A lock whose process has
    ended is taken over, with a note. The lock's path is appended to `held` in the same
    step as it is taken (SIGTERM blocked), so that a signal cannot leave it behind unowned;
    `_Refused` if it is held by another run."""
    path = _lock_path(out)
    # The PID is written to a private file first and linked into place (atomic, fails if the
    # lock exists), so a lock never exists without its PID, even if a signal lands between.
    mine = f"{path}.{os.getpid()}.new"
    try:
        try:
            with open(mine, "w") as fh:
                fh.write(f"{os.getpid()}\n")
        except OSError as exc:
            raise _Refused(f"cannot lock {out}: {exc.strerror or exc}") from None
        for _ in range(10):
            try:
                with _sigterm_blocked():
                    os.link(mine, path)
                    held.append(path)
                return path
            except FileExistsError:
                pass
            except OSError as exc:
                raise _Refused(f"cannot lock {out}: {exc.strerror or exc}") from None
            pid = _read_pid(path)
            if pid is None:   # released meanwhile
                continue
            if pid == 0:
                raise _Refused(f"the lock {path} names no process: if no lagopt run is "
                               f"writing to {out}, remove it")
            if _alive(pid):
                raise _Refused(f"another lagopt run is writing to {out} (pid {pid}); wait "
                               f"for it to finish")
            # Stale: move it aside (only one taker succeeds), then check that what was moved
            # is still the dead process's lock and not a new run's (put that one back).
            aside = f"{path}.{os.getpid()}"
            try:
                os.rename(path, aside)
            except FileNotFoundError:
                continue
            if _read_pid(aside) == pid:
                os.remove(aside)
                print(f"note: took over the lock {path} of pid {pid} (no longer running)",
                      file=sys.stderr)
            else:
                try:
                    os.link(aside, path)
                except FileExistsError:
                    pass
                os.remove(aside)
        raise _Refused(f"cannot take the lock {path} of {out}")
    finally:
        try:
            os.remove(mine)
        except OSError:
            pass


@contextlib.contextmanager
def _sigterm_blocked():
    """Hold SIGTERM back (it is delivered on exit) where it has a pthread mask."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def _unlock(path):
    """Remove the lock at `path` if it is still this process's."""
    try:
        if _read_pid(path) == os.getpid():
            os.remove(path)
    except OSError:
        pass


def _staging(parser, out):
    """Check `out` and make a staging folder beside it. A run writes there and its files are
    moved into `out` only when it completes, so an interrupted run never leaves new files
    mixed with an earlier run's."""
    if os.path.exists(out) and not os.path.isdir(out):
        parser.error(f"--out {out} is a file, not a folder")
    if os.path.isdir(out) and not os.access(out, os.W_OK | os.X_OK):
        parser.error(f"--out {out} is not writable")
    try:
        parent = os.path.dirname(out)
        os.makedirs(parent, exist_ok=True)
        return tempfile.mkdtemp(prefix=".lagopt-partial-", dir=parent)
    except OSError as exc:
        parser.error(f"--out {out} cannot be written ({exc.strerror or exc})")


def _publish(stage, out):
    """Move the completed run's files from the staging folder into `out`, replacing regular
    files of the same name (an earlier run's). Anything else in the way (a folder, a link, ...)
    is not the CLI's to delete: then `_Refused`, with nothing moved."""
    names = sorted(os.listdir(stage))
    for name in names:
        target = os.path.join(out, name)
        try:
            mode = os.lstat(target).st_mode
        except FileNotFoundError:
            continue
        if not (stat.S_ISREG(mode) and stat.S_ISREG(os.lstat(os.path.join(stage, name)).st_mode)):
            kind = "a folder" if stat.S_ISDIR(mode) else (
                "a link" if stat.S_ISLNK(mode) else "not a regular file")
            raise _Refused(f"{target} is {kind}, not a file of an earlier lagopt run: move it "
                           f"away and run again (nothing was written to {out}/)")
    os.makedirs(out, exist_ok=True)
    for name in names:
        os.replace(os.path.join(stage, name), os.path.join(out, name))


if __name__ == "__main__":
    sys.exit(main())
