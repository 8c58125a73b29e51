"""How fast are the MLP objective's numba kernels, and is their compile time kept off the hot path?

Measures, on the 37-parameter seed network (4 -> 6 -> 1, ReLU, X = 100 x 4 standard normals
from ``RandomState(42)``) and a mesh of 64 parameter vectors:

* ``grad_batch``, ``loss_batch`` and ``hess_batch`` against a plain-numpy loop over the 64
  points, each point a backpropagation vectorised over the samples (the fair numpy baseline;
  the Hessian baseline is the closed form for one hidden ReLU layer, Gauss-Newton plus the
  W2-W1 cross terms); medians of repeated ``time.perf_counter`` timings;
* the first call in this process (compile, or load from numba's on-disk cache), and the first
  call in a *fresh* Python process, which shows the cache at work; without ``--quick`` also a
  true cold compile, in a subprocess pointed at an empty ``NUMBA_CACHE_DIR``.

* on a wide network (32 -> 150 -> 32 -> 1, tanh, 9,815 parameters, 1,000 samples), which
  takes the numpy/BLAS route of the objective, ``grad_batch`` over 33 points per point against
  one plain numpy gradient of the same network (best of repeated timings: wall-clock on a
  shared machine is noisy, the best is the least disturbed).

Run ``python benchmarks/kernels.py [--quick] [--out DIR]``; writes ``DIR/kernels.md``.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# The folder holding the `lagopt` package, so that the fresh process imports this same copy.
ROOT = Path(__file__).resolve().parents[2]

M_POINTS = 64
#: Inputs and hidden units of the seed network (4 -> 6 -> 1).
N_IN, N_HIDDEN = 4, 6
#: Timing repeats (the median is reported), with and without ``--quick``.
REPEATS, REPEATS_QUICK = 31, 7
#: Calls per timing of each numba kernel; the numpy loop makes BASELINE_CALL_DIVISOR times
#: fewer (at least one), since it is that much slower.
KERNEL_CALLS = {"grad_batch": 20, "loss_batch": 20, "hess_batch": 2}
BASELINE_CALL_DIVISOR = 4
#: The speed-up of grad_batch over the numpy loop that the kernels are meant to reach.
GRAD_SPEEDUP_TARGET = 20.0
#: The wide network, its samples and points, and the bound on (grad_batch time per point) /
#: (one plain numpy gradient) that the BLAS route is meant to stay within.
WIDE_SIZES, WIDE_SAMPLES, WIDE_POINTS = (32, 150, 32, 1), 1000, 33
WIDE_RATIO_TARGET = 1.5
#: Timing repeats on the wide network (the best is reported), with and without ``--quick``.
WIDE_REPEATS, WIDE_REPEATS_QUICK = 9, 3

# Timed in a fresh interpreter: import, build the objective, first grad_batch call.
_FIRST_CALL = r"""
import json, time
t0 = time.perf_counter()
import numpy as np
from lagopt.objectives import MLPObjective
from lagopt.objectives import kernels as mlp_kernels
t1 = time.perf_counter()
X = np.random.RandomState(42).randn(100, 4)
f = MLPObjective(X, X @ [1.0, -0.5, 0.3, 0.8], sizes=(4, 6, 1), activation="relu")
P = np.tile(f.init_params(42)[:, None], (1, 64))
t2 = time.perf_counter()
f.grad_batch(P)
t3 = time.perf_counter()
kernels = (mlp_kernels.mlp_eval, mlp_kernels.mlp_eval_parallel)
print(json.dumps({"import": t1 - t0, "first_call": t3 - t2,
                  "cache_hits": sum(sum(k.stats.cache_hits.values()) for k in kernels),
                  "cache_misses": sum(sum(k.stats.cache_misses.values()) for k in kernels)}))
"""


def seed_problem():
    """The seed network, its data, and a 64-point mesh around the reference initialisation."""
    from lagopt.objectives import MLPObjective

    X = np.random.RandomState(42).randn(100, 4)
    y = X @ np.array([1.0, -0.5, 0.3, 0.8])
    f = MLPObjective(X, y, sizes=(4, 6, 1), activation="relu")
    theta = f.init_params(42)
    P = theta[:, None] + 0.3 * np.random.default_rng(0).standard_normal((f.n_params, M_POINTS))
    return f, X, y, P


# --------------------------------------------------------------------------- numpy baseline
def _unpack(theta):
    return theta[:24].reshape(4, 6), theta[24:30], theta[30:36], theta[36]


def np_loss(theta, X, y):
    W1, b1, w2, b2 = _unpack(theta)
    r = np.maximum(X @ W1 + b1, 0.0) @ w2 + b2 - y
    return r @ r / y.size


def np_grad(theta, X, y):
    W1, b1, w2, b2 = _unpack(theta)
    Z = X @ W1 + b1
    A = np.maximum(Z, 0.0)
    g2 = (2.0 / y.size) * (A @ w2 + b2 - y)            # dL/dF, (N,)
    G1 = np.outer(g2, w2) * (Z > 0)                     # dL/dZ1, (N, 6)
    return np.concatenate([(X.T @ G1).ravel(), G1.sum(0), A.T @ g2, [g2.sum()]])


def np_hess(theta, X, y):
    """Exact a.e. Hessian of the one-hidden-layer ReLU MSE: (2/N) (J^T J + sum_i r_i H_i)."""
    W1, b1, w2, b2 = _unpack(theta)
    N = y.size
    Z = X @ W1 + b1
    mask = (Z > 0).astype(float)
    A = Z * mask
    r = A @ w2 + b2 - y
    Mw = mask * w2                                      # dF/db1, (N, 6)
    J = np.hstack([(X[:, :, None] * Mw[:, None, :]).reshape(N, 24), Mw, A, np.ones((N, 1))])
    H = (2.0 / N) * (J.T @ J)
    # Second derivatives of F: only d2F/(dW2_c dW1_ac) = x_a mask_c and d2F/(dW2_c db1_c) = mask_c.
    Rm = (2.0 / N) * (r[:, None] * mask)                # (N, 6)
    cross_w = X.T @ Rm                                  # (4, 6): [a, c]
    cross_b = Rm.sum(0)
    for c in range(N_HIDDEN):
        for a in range(N_IN):
            H[a * 6 + c, 30 + c] += cross_w[a, c]
            H[30 + c, a * 6 + c] += cross_w[a, c]
        H[24 + c, 30 + c] += cross_b[c]
        H[30 + c, 24 + c] += cross_b[c]
    return H


def np_grad_tanh(theta, X, y, sizes):
    """Plain numpy backpropagation of a tanh network (sample-major, one product per layer)."""
    layers, p = [], 0
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers.append((theta[p:p + a * b].reshape(a, b), theta[p + a * b:p + a * b + b]))
        p += a * b + b
    As = [X]
    for i, (W, b) in enumerate(layers):
        Z = As[-1] @ W + b
        As.append(np.tanh(Z) if i < len(layers) - 1 else Z)
    G = (2.0 / y.size) * (As[-1] - y.reshape(As[-1].shape))
    grads = []
    for i in range(len(layers) - 1, -1, -1):
        grads.append(np.concatenate([(As[i].T @ G).ravel(), G.sum(axis=0)]))
        if i > 0:
            G = (G @ layers[i][0].T) * (1.0 - As[i] ** 2)
    return np.concatenate(grads[::-1])


def np_loop(fun, P, X, y):
    out = [fun(np.ascontiguousarray(P[:, j]), X, y) for j in range(P.shape[1])]
    return np.stack(out, axis=-1)


# --------------------------------------------------------------------------- timing
def _times(fun, repeats, number):
    """``repeats`` measurements of the mean time of ``number`` calls (time.perf_counter)."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(number):
            fun()
        times.append((time.perf_counter() - t) / number)
    return times


def median_time(fun, repeats, number=1):
    """Median over ``repeats`` of the mean time of ``number`` calls."""
    return float(np.median(_times(fun, repeats, number)))


def best_time(fun, repeats, number=1):
    """Best over ``repeats`` of the mean time of ``number`` calls (the least disturbed by
    other load on the machine)."""
    return min(_times(fun, repeats, number))


def time_wide_network(repeats):
    """The wide network on the BLAS route: (seconds per point of grad_batch, seconds of one
    numpy gradient, ratio). Checks the numbers first."""
    from lagopt.objectives import MLPObjective

    rng = np.random.default_rng(1)
    X = rng.standard_normal((WIDE_SAMPLES, WIDE_SIZES[0]))
    y = np.sin(X[:, 0]) + 0.1 * rng.standard_normal(WIDE_SAMPLES)
    f = MLPObjective(X, y, sizes=WIDE_SIZES, activation="tanh")
    P = f.init_params(1)[:, None] + 0.05 * rng.standard_normal((f.n_params, WIDE_POINTS))
    theta = np.ascontiguousarray(P[:, 0])
    G = f.grad_batch(P)
    np.testing.assert_allclose(G[:, 0], np_grad_tanh(theta, X, y, WIDE_SIZES), rtol=1e-9,
                               atol=1e-12 * np.abs(G).max())
    t_batch, t_np = [], []
    for _ in range(repeats):  # interleaved, so that both see the same machine load
        t_batch.append(best_time(lambda: f.grad_batch(P), 1) / WIDE_POINTS)
        t_np.append(best_time(lambda: np_grad_tanh(theta, X, y, WIDE_SIZES), 1, 5))
    route = "numpy/BLAS" if f._uses_blas(1) else "numba"
    return min(t_batch), min(t_np), min(t_batch) / min(t_np), f.n_params, route


def first_call_in_fresh_process(cache_dir=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = str(cache_dir)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _FIRST_CALL], env=env, capture_output=True,
                          text=True, check=False)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"subprocess failed:\n{proc.stderr}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_wall"] = wall
    return out


def fmt(seconds):
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} us"


def _first_calls(f, P):
    """First grad_batch and hess_batch in this process: (G, H, seconds, seconds, how)."""
    from lagopt.objectives import kernels as mlp_kernels

    t = time.perf_counter()
    G = f.grad_batch(P)
    first_grad = time.perf_counter() - t
    t = time.perf_counter()
    H = f.hess_batch(P)
    first_hess = time.perf_counter() - t
    hits = sum(sum(k.stats.cache_hits.values())
               for k in (mlp_kernels.mlp_eval, mlp_kernels.mlp_eval_parallel))
    loaded = "loaded from the on-disk cache" if hits else "compiled (cache was cold)"
    return G, H, first_grad, first_hess, loaded


def _check_against_numpy(f, G, H, P, X, y):
    """Same numbers as the numpy baseline, or the timings mean nothing."""
    np.testing.assert_allclose(G, np_loop(np_grad, P, X, y), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(f.loss_batch(P), np_loop(np_loss, P, X, y), rtol=1e-12)
    np.testing.assert_allclose(H, np_loop(np_hess, P, X, y), rtol=1e-9, atol=1e-12)


def _time_kernels(f, G, P, X, y, repeats):
    """Rows (operation, numba seconds, numpy seconds, speed-up), printed as they come."""
    import numba

    from lagopt.objectives import kernels as mlp_kernels

    rows = []
    for name, kernel, baseline in [
        ("grad_batch", lambda: f.grad_batch(P), lambda: np_loop(np_grad, P, X, y)),
        ("loss_batch", lambda: f.loss_batch(P), lambda: np_loop(np_loss, P, X, y)),
        ("hess_batch", lambda: f.hess_batch(P), lambda: np_loop(np_hess, P, X, y)),
    ]:
        number = KERNEL_CALLS[name]
        t_nb = median_time(kernel, repeats, number)
        t_np = median_time(baseline, repeats, max(1, number // BASELINE_CALL_DIVISOR))
        rows.append((name, t_nb, t_np, t_np / t_nb))
        print(f"{name:10s}  numba {fmt(t_nb):>10s}   numpy loop {fmt(t_np):>10s}   "
              f"speed-up {t_np / t_nb:6.1f}x")
    # The same gradient batch forced onto the parallel kernel, one chunk per thread (the
    # objective runs batches this small serially, see mlp_kernels.PARALLEL_MIN_WORK).
    threads = numba.get_num_threads()
    if threads > 1:
        out, fv = np.empty(P.shape), np.empty(P.shape[1])

        def parallel_grad():
            mlp_kernels.mlp_eval_parallel(P, np.empty((0, 0)), *f._args, 1, fv,
                                          out.reshape(-1), threads)

        parallel_grad()
        np.testing.assert_array_equal(out, G)
        t_par = median_time(parallel_grad, repeats, KERNEL_CALLS["grad_batch"])
        rows.append((f"grad_batch, parallel kernel ({threads} threads)", t_par, rows[0][2],
                     rows[0][2] / t_par))
        print(f"grad_batch on the parallel kernel: {fmt(t_par)}, speed-up "
              f"{rows[0][2] / t_par:.1f}x")
    return rows


def _wide_markdown(wide):
    t_batch, t_np, ratio, n, route = wide
    verdict = "met" if ratio <= WIDE_RATIO_TARGET else "not met"
    return [
        "",
        f"Wide network {'-'.join(map(str, WIDE_SIZES))} tanh ({n} parameters), "
        f"{WIDE_SAMPLES} samples, {WIDE_POINTS} points, {route} route; best of repeats:",
        "",
        "| operation | time per point |",
        "|---|---|",
        f"| `grad_batch` / {WIDE_POINTS} | {fmt(t_batch)} |",
        f"| one plain numpy gradient | {fmt(t_np)} |",
        "",
        f"Ratio {ratio:.2f} (target <= {WIDE_RATIO_TARGET:g}): **{verdict}**.",
    ]


def _markdown(rows, repeats, first, fresh, cold, wide):
    """The lines of kernels.md; ``first = (grad seconds, hess seconds, how loaded)``."""
    import numba

    first_grad, first_hess, loaded = first
    ratio = rows[0][3]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "# MLP kernels: numba vs numpy",
        "",
        f"Seed network 4-6-1 ReLU (37 parameters), 100 samples, mesh of {M_POINTS} points. "
        f"Medians of {repeats} runs (time.perf_counter). numba {numba.__version__}, "
        f"{numba.get_num_threads()} threads ({numba.threading_layer()} layer), numpy "
        f"{np.__version__}; load average at the end {load:.2f}.",
        "",
        "| operation | numba kernel | numpy loop over points | speed-up |",
        "|---|---|---|---|",
    ]
    lines += [f"| {n} | {fmt(a)} | {fmt(b)} | {r:.1f}x |" for n, a, b, r in rows]
    lines += [
        "",
        f"`grad_batch` speed-up target >= {GRAD_SPEEDUP_TARGET:g}x: "
        f"**{'met' if ratio >= GRAD_SPEEDUP_TARGET else 'not met'}** ({ratio:.1f}x).",
        "",
        "| first call | time |",
        "|---|---|",
        f"| this process, `grad_batch` ({loaded}) | {fmt(first_grad)} |",
        f"| this process, `hess_batch` (parallel kernel) | {fmt(first_hess)} |",
        f"| fresh process, `grad_batch` (cache hits {fresh['cache_hits']}, misses "
        f"{fresh['cache_misses']}) | {fmt(fresh['first_call'])} |",
        f"| fresh process, `import lagopt.objectives` | {fmt(fresh['import'])} |",
    ]
    if cold is not None:
        lines.append(f"| fresh process, empty cache (true compile) | {fmt(cold['first_call'])} |")
    lines += _wide_markdown(wide)
    lines += [
        "",
        "The numpy baseline is vectorised over the samples and loops over the points; the "
        "Hessian baseline is the closed form of this one-hidden-layer ReLU network, while the "
        "kernel is the general R-operator (any depth and activation). `grad_batch` and "
        "`loss_batch` of this size run serially (below ~0.25 ms of work; a parallel region "
        "stalls for milliseconds when the cores are shared with other busy processes); the "
        "parallel row shows the same batch forced onto the threads. `hess_batch` is "
        "parallel. Timings are wall-clock: check the load average.",
        "",
    ]
    return lines


def _judge(ok, quick):
    """A target's verdict; a quick run's few repeats measure, the full run judges."""
    if quick:
        return "not judged by a --quick run"
    return "met" if ok else "NOT met"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer repeats, no cold-compile subprocess (a few seconds)")
    parser.add_argument("--out", default="results", help="directory for kernels.md")
    args = parser.parse_args(argv)
    repeats = REPEATS_QUICK if args.quick else REPEATS

    f, X, y, P = seed_problem()
    G, H, first_grad, first_hess, loaded = _first_calls(f, P)
    _check_against_numpy(f, G, H, P, X, y)
    rows = _time_kernels(f, G, P, X, y, repeats)
    ratio = rows[0][3]
    verdict = _judge(ratio >= GRAD_SPEEDUP_TARGET, args.quick)
    print(f"grad_batch speed-up {ratio:.1f}x (target >= {GRAD_SPEEDUP_TARGET:g}x: {verdict})")
    print(f"first calls in this process ({loaded}): grad_batch {fmt(first_grad)}, "
          f"hess_batch (parallel kernel) {fmt(first_hess)}")

    fresh = first_call_in_fresh_process()
    print(f"fresh process: import {fmt(fresh['import'])}, first grad_batch "
          f"{fmt(fresh['first_call'])} (cache hits {fresh['cache_hits']}, misses "
          f"{fresh['cache_misses']})")
    cold = None
    if not args.quick:
        with tempfile.TemporaryDirectory() as tmp:
            cold = first_call_in_fresh_process(cache_dir=tmp)
        print(f"cold cache (empty NUMBA_CACHE_DIR): first grad_batch {fmt(cold['first_call'])}")

    wide = time_wide_network(WIDE_REPEATS_QUICK if args.quick else WIDE_REPEATS)
    verdict = _judge(wide[2] <= WIDE_RATIO_TARGET, args.quick)
    print(f"wide network ({wide[3]} parameters, {wide[4]} route): grad_batch "
          f"{fmt(wide[0])} per point, numpy gradient {fmt(wide[1])}, ratio {wide[2]:.2f} "
          f"(target <= {WIDE_RATIO_TARGET:g}: {verdict})")
    lines = _markdown(rows, repeats, (first_grad, first_hess, loaded), fresh, cold, wide)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "kernels.md").write_text("\n".join(lines))
    print(f"wrote {out_dir / 'kernels.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
