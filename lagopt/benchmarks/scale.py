"""How do least-action paths scale to networks of 10^3-10^5 parameters, in time and memory?

For each network size, in a fresh Python process (so that its peak memory is that size's
alone), the program builds the problem

* ``X`` (1,000 x 32 standard normals of ``default_rng(1)``), ``y = sin(X[:, 0]) + 0.1 noise``,
  a tanh network of :data:`SIZES` (953, 9,815 and 100,501 parameters; ``--huge`` adds
  934,801, run only when the machine has the memory), end points ``a = init_params(1)`` and
  ``b = a + 0.05 N(0, I)``, ``T = lam = 1``;

warms the kernels up (nothing compiled is timed), then times

* a *sweep*: ``grad_batch`` at the :data:`POINTS` = 33 points of the straight line from ``a``
  to ``b`` (best of 3), one ``loss_batch`` and one ``hessp_batch`` at the same points, and one
  plain numpy gradient (:func:`lagopt.benchmarks.kernels.np_grad_tanh`, best of 5): the
  *kernel ratio* is ``(sweep / 33) / numpy gradient``;
* ``solve_action_path(f, a, b)`` with default options: its wall time in sweeps (``wall /
  sweep``), in sweeps counted from the objective's counters, the solver's counts (``N``,
  Newton and Krylov iterations, ``omega``), the certificates (relative residual and energy
  drift, error estimate), the path's action against the straight line's measured with the same
  quadrature, and the peak resident memory (``ru_maxrss``) after building the problem and at
  the end.

The target is success in at most :data:`TARGET_SWEEPS` sweeps (measurement included) with a
peak memory below :data:`TARGET_PEAK_BYTES` at n ~ 1e5. Writes ``scale.md`` (table, verdicts,
machine), ``scale.json`` (every number; ``--from-json`` re-reports it, the markdown reproduced
exactly) and ``scale.png`` (solve and sweep time against n, log-log, with an O(n) line) into
``--out``.

Usage::

    python benchmarks/scale.py --out results/              # 1e3, 1e4, 1e5 (minutes)
    python benchmarks/scale.py --quick --out results/      # 1e3 and 1e4
    python benchmarks/scale.py --sizes 1e4 8-12-1 --samples 200 --out results/
    python benchmarks/scale.py --from-json results/scale.json --out results/
"""
import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from lagopt.benchmarks._saved import read_saved

__all__ = ["SIZES", "HUGE", "POINTS", "TARGET_SWEEPS", "TARGET_PEAK_BYTES", "measure_one",
           "run", "report", "load", "main"]

# The folder holding the `lagopt` package, so that the fresh processes import this same copy.
ROOT = Path(__file__).resolve().parents[2]

#: The sizes run by default (label -> layer sizes): 953, 9,815 and 100,501 parameters.
SIZES = {"1e3": (32, 28, 1), "1e4": (32, 150, 32, 1), "1e5": (32, 300, 300, 1)}
#: The sizes of ``--quick``.
QUICK = ("1e3",)
#: ``--huge`` adds this size (934,801 parameters) where the machine has the memory.
HUGE = {"1e6": (32, 1000, 900, 1)}
#: Samples of the data set (``--samples`` changes it).
SAMPLES = 1000
#: Points of a sweep (the straight line's nodes, ends included).
POINTS = 33
#: Timing repeats (best of): the gradient sweep, the loss and Hessian-vector sweeps, the numpy
#: gradient.
SWEEP_REPEATS, AUX_REPEATS, NUMPY_REPEATS = 3, 1, 5
#: The target: success in at most this many sweeps (wall time, measurement included) ...
TARGET_SWEEPS = 60
#: ... and a peak resident memory below this (3 GB) at n ~ 1e5, applied to every size up to
#: TARGET_PEAK_MAX_PARAMS parameters.
TARGET_PEAK_BYTES = 3e9
TARGET_PEAK_MAX_PARAMS = 200_000
#: Peak bytes per parameter assumed before running a size (the reference run's 100,501
#: parameters peaked at 5.9 GiB: the measurement's arrays hold a few hundred copies of the
#: path); a size whose estimate exceeds the physical memory is skipped with a note.
BYTES_PER_PARAM = 65_000

_FORMAT = "lagopt-scale-1"
_MIB = 2.0 ** 20


# ----------------------------------------------------------------------------- one size
def n_params(sizes):
    """Parameters of a network with these layer sizes (weights and biases)."""
    return int(sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:])))


def network_name(sizes):
    return "-".join(str(s) for s in sizes)


def _maxrss_bytes():
    """Peak resident memory of this process so far (``ru_maxrss``: KiB on Linux)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return float(rss) * (1.0 if sys.platform == "darwin" else 1024.0)


def build_problem(sizes, samples=SAMPLES):
    """``(f, X, y, a, b)``: the tanh network on the benchmark's data and the two end points."""
    from lagopt.objectives import MLPObjective

    rng = np.random.default_rng(1)
    X = rng.standard_normal((samples, sizes[0]))
    y = np.sin(X[:, 0]) + 0.1 * rng.standard_normal(samples)
    f = MLPObjective(X, y, sizes=tuple(sizes), activation="tanh")
    a = f.init_params(1)
    b = a + 0.05 * rng.standard_normal(f.n_params)
    return f, X, y, a, b


def _warm_up(f, a, b):
    """Compile (or load) every kernel the timings and the solve use, outside the clocks."""
    from lagopt.paths.solve import warm_up

    P = np.ascontiguousarray(np.column_stack([a, b]))
    f.grad_batch(P)
    f.hessp_batch(P, np.ascontiguousarray(P[:, ::-1] - P))
    warm_up(f, a)


def time_sweeps(f, X, y, a, b, sizes):
    """Seconds of the sweeps at the straight line's POINTS points and of one numpy gradient
    (checked against the objective's first)."""
    from lagopt.benchmarks.kernels import best_time, np_grad_tanh

    g_np = np_grad_tanh(a, X, y, tuple(sizes))
    g = f.grad_batch(np.ascontiguousarray(a[:, None]))[:, 0]
    np.testing.assert_allclose(g, g_np, rtol=1e-8, atol=1e-12 * np.abs(g).max())
    P = np.ascontiguousarray(a[:, None] + np.outer(b - a, np.linspace(0.0, 1.0, POINTS)))
    V = np.ascontiguousarray(np.repeat((b - a)[:, None], POINTS, axis=1))
    out = {
        "sweep_s": best_time(lambda: f.grad_batch(P), SWEEP_REPEATS),
        "loss_sweep_s": best_time(lambda: f.loss_batch(P), AUX_REPEATS),
        "hessp_sweep_s": best_time(lambda: f.hessp_batch(P, V), AUX_REPEATS),
        "numpy_grad_s": best_time(lambda: np_grad_tanh(a, X, y, tuple(sizes)), NUMPY_REPEATS),
        "route": "numpy/BLAS" if f._uses_blas(1) else "numba",
    }
    out["kernel_ratio"] = out["sweep_s"] / POINTS / out["numpy_grad_s"]
    return out


def line_action(f, path, a, b):
    """The straight line's action measured like the path's: composite Gauss quadrature with
    ``measurement_plan(n, path.t)[0]`` panels over the path's mesh, on the (exact) linear
    dense output. Returns ``(action, panels, seconds)``."""
    from lagopt.paths.core import linear_dense, measurement_plan, quadrature

    t0 = time.perf_counter()
    t = np.asarray(path.t, dtype=float)
    theta = a[:, None] + np.outer(b - a, t / path.T)
    panels = measurement_plan(a.size, t)[0]
    q = quadrature(f, path.lam, linear_dense(t, theta), t, path.T, panels)
    return q["action"], int(panels), time.perf_counter() - t0


def _solve_record(f, a, b, sweeps):
    """Solve with default options and collect what the report needs."""
    from lagopt._status import Status
    from lagopt.paths import solve_action_path

    f.reset_counts()
    t0 = time.perf_counter()
    path = solve_action_path(f, a, b)
    wall = time.perf_counter() - t0
    counts = {k: int(v) for k, v in f.counts.items()}
    loss_w = sweeps["loss_sweep_s"] / sweeps["sweep_s"]
    hess_w = sweeps["hessp_sweep_s"] / sweeps["sweep_s"]
    info = path.info
    s_line, panels, line_s = line_action(f, path, a, b)
    return {
        "solve_s": wall, "method_s": info.get("solve_time"),
        "sweeps_time": wall / sweeps["sweep_s"],
        "sweeps_counts": (counts.get("grad", 0) + loss_w * counts.get("loss", 0)
                          + hess_w * counts.get("hess", 0)) / POINTS,
        "counts": counts, "success": bool(path.success), "status": Status(path.status).name,
        "method": path.method, "rule": info.get("rule"), "solver": info.get("solver"),
        "N": info.get("N"), "newton_iterations": info.get("newton_iterations"),
        "krylov_iterations": info.get("krylov_iterations"),
        "omega_ritz": info.get("omega_ritz"), "omega": info.get("omega"),
        "residual_rel": info.get("residual_rel"),
        "energy_drift_rel": info.get("energy_drift_rel"),
        "error_estimate": info.get("error_estimate"), "is_minimum": path.is_minimum,
        "n_quad_points": info.get("n_quad_points"),
        "n_residual_intervals": info.get("n_residual_intervals"),
        "action": float(path.action), "line_action": float(s_line), "line_panels": panels,
        "line_s": line_s, "message": path.message,
    }


def measure_one(sizes, samples=SAMPLES):
    """Everything the report says about one size, measured in this process (run it in a
    fresh one: the peak memory is the process's)."""
    import numba

    t0 = time.perf_counter()
    f, X, y, a, b = build_problem(sizes, samples)
    baseline = _maxrss_bytes()
    _warm_up(f, a, b)
    rec = {"sizes": list(sizes), "network": network_name(sizes), "n_params": int(f.n_params),
           "samples": int(samples), "threads": numba.get_num_threads()}
    rec.update(time_sweeps(f, X, y, a, b, sizes))
    rec.update(_solve_record(f, a, b, rec))
    peak = _maxrss_bytes()
    rec.update({"baseline_mib": baseline / _MIB, "peak_mib": peak / _MIB,
                "delta_mib": (peak - baseline) / _MIB, "process_s": time.perf_counter() - t0,
                "load_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None})
    return rec


# ----------------------------------------------------------------------------- all sizes
def physical_memory():
    """Physical memory of the machine in bytes (None where ``os.sysconf`` cannot say)."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE")) * float(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def _run_child(label, sizes, samples):
    """`measure_one` in a fresh interpreter; a record with ``error`` if it failed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    cmd = [sys.executable, "-m", "lagopt.benchmarks.scale", "--one", network_name(sizes),
           "--samples", str(samples)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    lines = proc.stdout.strip().splitlines()
    try:
        rec = json.loads(lines[-1]) if proc.returncode == 0 and lines else None
    except json.JSONDecodeError:
        rec = None
    if rec is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        rec = {"sizes": list(sizes), "network": network_name(sizes),
               "n_params": n_params(sizes), "samples": samples,
               "error": f"exit code {proc.returncode}: " + " / ".join(tail)}
    rec["label"] = label
    rec["wall_s"] = time.perf_counter() - t0
    return rec


def _skip_reason(sizes, memory):
    need = BYTES_PER_PARAM * n_params(sizes)
    if memory is not None and need > memory:
        return (f"skipped: needs about {need / 2**30:.0f} GiB ({BYTES_PER_PARAM:,} bytes per "
                f"parameter), the machine has {memory / 2**30:.1f} GiB")
    return None


def run(specs, samples=SAMPLES, progress=True):
    """Measure every ``(label, sizes)`` of `specs`, each in a fresh process; sizes that would
    not fit in the machine's memory are skipped (a record with ``skipped``)."""
    from tqdm.auto import tqdm

    memory = physical_memory()
    records = []
    for label, sizes in tqdm(specs, desc="scale", leave=False, disable=not progress):
        reason = _skip_reason(sizes, memory)
        if reason is not None:
            records.append({"label": label, "sizes": list(sizes),
                            "network": network_name(sizes), "n_params": n_params(sizes),
                            "samples": samples, "skipped": reason})
        else:
            records.append(_run_child(label, sizes, samples))
        r = records[-1]
        note = r.get("skipped") or r.get("error") or (
            f"solve {r['solve_s']:.1f} s = {r['sweeps_time']:.1f} sweeps, success "
            f"{r['success']}, peak {r['peak_mib']:.0f} MiB")
        print(f"n = {r['n_params']:,} ({r['network']}): {note}", flush=True)
    return records


# ----------------------------------------------------------------------------- report
def _g(v, spec):
    return "—" if v is None else format(v, spec)


def _verdict(r):
    """``(passed, reasons)`` of one measured record against the target."""
    reasons = []
    if not r["success"]:
        reasons.append(f"no success ({r['status']})")
    if not r["sweeps_time"] <= TARGET_SWEEPS:
        reasons.append(f"{r['sweeps_time']:.0f} sweeps > {TARGET_SWEEPS}")
    if r["n_params"] <= TARGET_PEAK_MAX_PARAMS and not r["peak_mib"] * _MIB < TARGET_PEAK_BYTES:
        reasons.append(f"peak {r['peak_mib'] * _MIB / 1e9:.2f} GB >= "
                       f"{TARGET_PEAK_BYTES / 1e9:g} GB")
    return not reasons, reasons


def _row(r):
    """One line of the main table."""
    head = f"| {r['n_params']:,} | {r['network']} |"
    if "skipped" in r or "error" in r:
        return head + " — |" * 13 + f" {r.get('skipped') or 'error: ' + r['error']} |"
    s, sl = r["action"], r["line_action"]
    rel = (s - sl) / abs(sl) if sl else float("nan")
    return (head + f" {r['sweep_s'] * 1e3:.1f} | {r['kernel_ratio']:.2f} | {r['solve_s']:.1f} |"
            f" {r['sweeps_time']:.1f} | {r['sweeps_counts']:.1f} | {_g(r['N'], 'd')} |"
            f" {_g(r['newton_iterations'], 'd')} | {_g(r['krylov_iterations'], 'd')} |"
            f" {_g(r['omega_ritz'], '.3g')} | {_g(r['residual_rel'], '.1e')} |"
            f" {_g(r['energy_drift_rel'], '.1e')} | {s:.6g} vs {sl:.6g} ({100 * rel:+.3f} %) |"
            f" {r['peak_mib']:.0f} ({r['baseline_mib']:.0f} + {r['delta_mib']:.0f}) |"
            f" {'yes' if r['success'] else 'no'} ({r['status']}) |")


_HEADER = ["| n | network | sweep ms | kernel ratio vs numpy | solve s | sweeps (time) | "
           "sweeps (counts) | N | Newton its | Krylov its | omega | residual | energy drift | "
           "action vs line | peak MiB (baseline + solve) | success |",
           "|" + "---|" * 16]


def table(records):
    """The main table's lines."""
    return _HEADER + [_row(r) for r in records]


def _detail_table(records):
    measured = [r for r in records if "solve_s" in r]
    lines = ["| n | route | loss sweep ms | hessp sweep ms | numpy gradient ms | method s | "
             "measurement, certificates, set-up s | line action s | points: grad / loss / Hv "
             "| rule, solver | error estimate |", "|" + "---|" * 11]
    for r in measured:
        c = r["counts"]
        method_s = r["method_s"]
        rest = None if method_s is None else r["solve_s"] - method_s
        lines.append(
            f"| {r['n_params']:,} | {r['route']} | {r['loss_sweep_s'] * 1e3:.1f} | "
            f"{r['hessp_sweep_s'] * 1e3:.1f} | {r['numpy_grad_s'] * 1e3:.2f} | "
            f"{_g(method_s, '.1f')} | {_g(rest, '.1f')} | {r['line_s']:.2f} | "
            f"{c.get('grad', 0):,} / {c.get('loss', 0):,} / {c.get('hess', 0):,} | "
            f"{r['rule']}, {r['solver']} | {_g(r['error_estimate'], '.1e')} |")
    return lines


def _verdict_lines(records):
    lines = [f"Target: success in at most {TARGET_SWEEPS} sweeps, measurement included "
             f"(sweeps (time)), and peak memory below {TARGET_PEAK_BYTES / 1e9:g} GB at "
             f"n ~ 1e5 (the memory bound is applied to every size up to "
             f"{TARGET_PEAK_MAX_PARAMS:,} parameters).", ""]
    for r in records:
        head = f"- n = {r['n_params']:,} ({r['network']}): "
        if "skipped" in r or "error" in r:
            lines.append(head + "**not run** (" + (r.get("skipped") or r["error"]) + ")")
            continue
        ok, reasons = _verdict(r)
        lines.append(head + ("**PASS**" if ok else "**FAIL**") + (
            f" ({r['sweeps_time']:.1f} sweeps, peak {r['peak_mib']:.0f} MiB)" if ok
            else " (" + "; ".join(reasons) + ")"))
    return lines


def _machine_lines(meta):
    load = meta.get("load_start"), meta.get("load_end")
    fmt_load = ["—" if v is None else " / ".join(f"{x:.2f}" for x in v) for v in load]
    memory = meta.get("memory_bytes")
    return [f"Machine: {meta.get('platform')}, {meta.get('cpu_count')} CPUs, "
            f"{'—' if memory is None else f'{memory / 2**30:.1f} GiB'} memory; Python "
            f"{meta.get('python')}, numpy {meta.get('numpy')}, scipy {meta.get('scipy')}, "
            f"numba {meta.get('numba')}; OPENBLAS_NUM_THREADS="
            f"{meta.get('openblas_threads')}. Load average (1, 5, 15 min) at the start "
            f"{fmt_load[0]}, at the end {fmt_load[1]} (the benchmark's own threads count in "
            f"it): wall-clock times on a machine loaded by others are longer, and sweeps "
            f"(time) mix the two. Run took "
            f"{_g(meta.get('seconds'), '.0f')} s (`{meta.get('command')}`)."]


_EXPLAIN = (
    "A **sweep** is one `grad_batch` call at the {points} points of the straight line from "
    "`a` to `b` (best of {repeats} timings): the cost of one gradient per node of a "
    "{points}-node path. **sweeps (time)** is the wall time of `solve_action_path(f, a, b)` "
    "with default options -- validation, warm-up, the solve, the measurement of the path and "
    "its certificates, all included -- divided by the sweep time. **sweeps (counts)** is "
    "`(gradients + losses x loss-sweep/grad-sweep + Hessian-vector products x "
    "hessp-sweep/grad-sweep) / {points}` from the objective's counters (points evaluated by the "
    "solve and the measurement; a `loss_and_grad_batch` point counts as a loss and a gradient, "
    "so this slightly overstates); time spent outside the objective (linear algebra, "
    "interpolation, allocation) is the difference between the two. The **kernel ratio** is "
    "`(sweep / {points}) / one plain numpy gradient` (`np_grad_tanh`, best of {np_repeats}): "
    "1 means the batched kernel costs what a per-point BLAS backpropagation does. The straight "
    "line's action is measured like the path's: `lagopt.paths._measure.quadrature` with "
    "`measurement_plan(n, path.t)[0]` Gauss panels over the path's mesh on the linear dense "
    "output (`linear_dense`, exact for a straight line), at every size. Peak memory is "
    "`ru_maxrss` of the size's own process, after building the problem (baseline) and at the "
    "end; the difference is what the timings and the solve added. Each size ran in a fresh "
    "process, kernels warmed up before any clock started.")


def markdown(records, meta):
    """The text of ``scale.md`` (from the records and the run's `meta` only)."""
    lines = ["# Least-action paths at scale: 10^3-10^5 parameters", "",
             f"Tanh networks on {_samples(records)} samples x {_inputs(records)} inputs "
             "(`y = sin(x_0) + 0.1 noise`), end points `a = init_params(1)`, `b = a + 0.05 "
             "N(0, I)`, `T = lam = 1`, `solve_action_path(f, a, b)` with default options.", ""]
    lines += table(records) + [""]
    lines += _verdict_lines(records) + [""]
    lines += [_EXPLAIN.format(points=POINTS, repeats=SWEEP_REPEATS, np_repeats=NUMPY_REPEATS),
              "", "Where the time goes (loss and Hessian-vector sweeps timed once):", ""]
    lines += _detail_table(records) + [""]
    lines += _ratio_lines(records) + [""]
    lines += _machine_lines(meta) + ["", "![solve and sweep time against n](scale.png)", ""]
    return "\n".join(lines)


def _samples(records):
    values = sorted({r.get("samples", SAMPLES) for r in records})
    return " or ".join(f"{v:,}" for v in values) if values else f"{SAMPLES:,}"


def _inputs(records):
    values = sorted({r["sizes"][0] for r in records})
    return " or ".join(str(v) for v in values) if values else "32"


def _ratio_lines(records):
    measured = [r for r in records if "solve_s" in r]
    sweeps = ", ".join(f"n={r['n_params']:,}: {r['sweeps_time']:.1f}" for r in measured)
    kernel = ", ".join(f"n={r['n_params']:,}: {r['kernel_ratio']:.2f}" for r in measured)
    return [f"sweeps ratio (solve wall / grad sweep): {sweeps or '—'}  ",
            f"kernel ratio ((grad sweep / {POINTS}) / numpy gradient): {kernel or '—'}"]


def figure(records, path):
    """``scale.png``: solve and sweep time against n, log-log, with an O(n) reference."""
    from lagopt import plotting

    plotting.use_agg()
    import matplotlib.pyplot as plt

    measured = sorted((r for r in records if "solve_s" in r), key=lambda r: r["n_params"])
    fig, ax = plt.subplots(figsize=(6, 4.5))
    if measured:
        n = np.array([r["n_params"] for r in measured], dtype=float)
        solve = np.array([r["solve_s"] for r in measured])
        sweep = np.array([r["sweep_s"] for r in measured])
        ax.plot(n, solve, "o-", lw=2.2, color="#D55E00",
                label="solve_action_path (default options)")
        ax.plot(n, sweep, "s--", lw=1.6, color="#0072B2",
                label=f"sweep: grad_batch at {POINTS} points")
        ax.plot(n, sweep[0] * n / n[0], color="#7F7F7F", ls=":", label="O(n) reference")
        for r, x, y in zip(measured, n, solve):
            ax.annotate(f"{r['sweeps_time']:.0f} sweeps", (x, y), textcoords="offset points",
                        xytext=(4, 6), fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.margins(x=0.3, y=0.2)    # room for the labels of the last point
    ax.set_xlabel("parameters n (network size)")
    ax.set_ylabel("wall time (s)")
    ax.grid(alpha=0.3, which="both")
    if measured:
        ax.legend(fontsize=8)
    ax.set_title(f"least-action paths at scale (tanh MLP, {_samples(records)} samples)")
    return plotting.save(fig, path)


def _clean(value):
    """JSON-safe: non-finite floats become None, numpy scalars plain Python."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if np.isfinite(value) else None
    return value


def report(records, meta, out=None):
    """The markdown of the records; with `out`, also write ``scale.md``, ``scale.json`` and
    ``scale.png`` there. The text depends only on what the JSON file keeps, so a report from
    the saved JSON is the same, character for character."""
    records, meta = _clean(list(records)), _clean(dict(meta))
    text = markdown(records, meta)
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        figure(records, out / "scale.png")
        (out / "scale.md").write_text(text)
        with open(out / "scale.json", "w") as fh:
            json.dump({"format": _FORMAT, "meta": meta, "records": records}, fh, indent=1,
                      allow_nan=False)
    return text


def load(path):
    """Read a ``scale.json``: ``(records, meta)``."""
    saved = read_saved(path, _FORMAT, "a scale benchmark file")
    return saved["records"], saved.get("meta", {})


# ----------------------------------------------------------------------------- command line
def _parse_sizes(token):
    """A label of SIZES / HUGE, or layer sizes like ``32-28-1`` -> ``(label, sizes)``."""
    known = {**SIZES, **HUGE}
    if token in known:
        return token, tuple(known[token])
    try:
        sizes = tuple(int(s) for s in token.replace(",", "-").split("-"))
    except ValueError:
        sizes = ()
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"{token!r} is neither one of {', '.join(known)} nor layer sizes like 32-28-1")
    labels = [k for k, v in known.items() if tuple(v) == sizes]
    return (labels[0] if labels else network_name(sizes)), sizes


def _parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"only {' and '.join(QUICK)} (about 15 s on 2 cores)")
    parser.add_argument("--sizes", nargs="+", type=_parse_sizes, default=None,
                        metavar="SIZE", help=f"labels ({', '.join({**SIZES, **HUGE})}) or "
                                             "layer sizes like 32-28-1 (default: 1e3 1e4 1e5)")
    parser.add_argument("--huge", action="store_true",
                        help="add 1e6 (32-1000-900-1) where the machine has the memory")
    parser.add_argument("--samples", type=int, default=SAMPLES,
                        help=f"samples of the data set (default: {SAMPLES})")
    parser.add_argument("--out", default="results", help="output folder (default: results/)")
    parser.add_argument("--from-json", default=None, metavar="PATH",
                        help="re-report a saved scale.json instead of running")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--one", default=None, metavar="SIZES", help=argparse.SUPPRESS)
    return parser


def _specs(args):
    if args.sizes:
        specs = list(args.sizes)
    else:
        specs = [(k, SIZES[k]) for k in (QUICK if args.quick else SIZES)]
    if args.huge:
        specs += [item for item in HUGE.items() if item not in specs]
    return specs


def _meta(args, specs, seconds, load_start):
    import numba
    import scipy

    command = ["python benchmarks/scale.py"] + (["--quick"] if args.quick else [])
    command += ["--sizes", *(network_name(s) for _, s in specs)] if args.sizes else []
    command += ["--huge"] if args.huge else []
    command += ["--samples", str(args.samples)] if args.samples != SAMPLES else []
    return {"command": " ".join(command), "seconds": seconds, "platform": platform.platform(),
            "cpu_count": os.cpu_count(), "memory_bytes": physical_memory(),
            "python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "numba": numba.__version__,
            "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
            "load_start": load_start,
            "load_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}


def main(argv=None):
    """The command line (see the module docstring); returns 1 if a size's process failed."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.samples < 1:
        parser.error("--samples must be >= 1")
    if args.one is not None:   # inside the fresh process of one size
        print(json.dumps(_clean(measure_one(_parse_sizes(args.one)[1], args.samples))))
        return 0
    t0 = time.perf_counter()
    if args.from_json:
        records, meta = load(args.from_json)
    else:
        load_start = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
        specs = _specs(args)
        records = run(specs, args.samples, progress=not args.no_progress)
        meta = _meta(args, specs, time.perf_counter() - t0, load_start)
    report(records, meta, args.out)
    print("\n".join(table(_clean(records))))
    print("\n".join(_ratio_lines(_clean(records))))
    print(f"wrote {Path(args.out) / 'scale.md'}, scale.json and scale.png "
          f"({time.perf_counter() - t0:.1f} s)")
    return 1 if any("error" in r for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
