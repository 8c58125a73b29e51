"""Transition paths: minimum-energy paths on 2-D potentials, and mode connectivity of networks.

Two questions.

1. **Are the saddles and barriers right?** `lagopt.transition.solve_mep` between two minima
   of three 2-D potentials with independently known saddles:

   * Müller–Brown, from minimum A ``(-0.558, 1.442)`` to B ``(0.623, 0.028)``: the path
     crosses S1 ``(-0.8220015587, 0.6243128028)``, ``V = -40.66484351``, the intermediate
     minimum C and S2 ``(0.2124865820, 0.2929883251)``, ``V = -72.24894011``; the
     quasi-potential (Freidlin–Wentzell action, ``2 sum`` of the uphill climbs) is
     229.107103.
   * A curved symmetric double well ``V = (x^2 - 1)^2 + 5 (y - x^2)^2``: minima
     ``(+-1, 1)`` at ``V = 0``, the saddle at the origin with ``V = 1``, quasi-potential 2.
     The MEP follows the parabola ``y = x^2``; the straight line ``y = 1`` crosses
     ``V = 6``.
   * A sum of Gaussians (two wells, a bump between them, a weak quadratic confinement; see
     `gaussians`), whose minima and saddle are computed independently here by
     `scipy.optimize.minimize` and `scipy.optimize.root` on the gradient (with the analytic
     Hessian as Jacobian), the saddle's index checked by ``numpy.linalg.eigvalsh``.

   Per potential: gradient evaluations, time, success, the error of each reference saddle's
   position (distance to the nearest refined saddle) and energy, the quasi-potential's
   relative error, and the line and Bézier barriers of `lagopt.transition.connect` at the
   same budget for comparison.

2. **How high are the barriers between trained networks?** Mode connectivity (see
   :mod:`lagopt.transition.connect`): tanh networks of 37 (4-6-1), 1,111 (4-30-30-1) and
   10,701 (4-100-100-1) parameters on ``make_regression("sincos")`` (200 training and 200
   held-out samples), each trained from ``--networks`` initialisations (LeCun-normal
   weights from ``default_rng(seed)``, zero biases) by L-BFGS to ``--train-budget``
   gradient evaluations; every pair of them is connected by the straight line, the
   Bézier curve trained for ``--budget`` gradients and the MEP at the same total budget
   (`BUDGET`: 1,000 each, so that the MEP costs at most half of training one network by
   its 2,000-gradient L-BFGS and the pair, Bézier included, about one; `QUICK_BUDGET` with
   ``--quick``). The MEP solver runs its L-BFGS string (11 images, energy-weighted
   redistribution, no climbing image), started on its own Bézier curve trained for half of
   its budget, ends taken as given (see `mep_options`). Per pair:
   the barriers on the training data and on the held-out data (the curves are found on the
   training data only), gradient evaluations and seconds of the Bézier and the MEP, and the
   cost of the pair (Bézier + MEP) relative to training one network, in gradients and in
   seconds.

Writes ``transition.md`` (also printed) and ``transition.png`` (loss profiles of the first
pair of every network and of the potentials) to ``--out``.

Usage::

    lagopt bench --only transition
    python benchmarks/transition.py --quick --out DIR      # 37 and 1,111 parameters, 1 pair
    python benchmarks/transition.py --out docs/results     # 3 networks (3 pairs) per size

Measured on 2 shared cores: ``--quick`` 8 s on a quiet machine, 22-33 s on a busy one; the
full run (3 pairs per size, budget 1,000) about 45 s, most of it the largest network.
"""
import argparse
import itertools
import os
import sys
import time

import numpy as np
import scipy.optimize

from lagopt.datasets import make_regression
from lagopt.objectives import CallableObjective, MLPObjective, MullerBrown
from lagopt.optim import minimize
from lagopt.transition.connect import connect

#: Networks of the full run (label -> layer sizes): 37, 1,111 and 10,701 parameters.
NETWORKS = {"37": (4, 6, 1), "1e3": (4, 30, 30, 1), "1e4": (4, 100, 100, 1)}
#: Networks of ``--quick``.
QUICK_NETWORKS = ("37", "1e3")
#: Training and held-out samples of the networks' data set, and its target.
N_TRAIN, N_TEST, TARGET = 200, 200, "sincos"
#: Hidden activation: smooth, so that the MEP's Hessian-vector products are exact.
ACTIVATION = "tanh"
#: Budgets (gradient evaluations): L-BFGS training of one network; Bézier and MEP, each,
#: with ``--quick``.
TRAIN_BUDGET, QUICK_BUDGET = 2000, 1000
#: Budget of the Bézier curve and the MEP, each, per network size in the full run: the issue's
#: cost target is a pair at most the cost of training one network (2,000 gradients).
BUDGET = {"37": 1000, "1e3": 1000, "1e4": 1000}
#: Budget of the 2-D potentials (Bézier and MEP each).
POTENTIAL_BUDGET = 5000
#: Networks trained per size (every pair of them is connected): full run, --quick.
N_NETWORKS, QUICK_N_NETWORKS = 3, 2

#: Müller–Brown references (the brief's digits).
MB_SADDLES = ((-0.8220015587, 0.6243128028, -40.66484351),
              (0.2124865820, 0.2929883251, -72.24894011))
MB_QUASI_POTENTIAL = 229.107103
#: Curved double well ``(x^2 - 1)^2 + K (y - x^2)^2``.
DW_K = 5.0
#: Sum of Gaussians: (amplitude, centre x, centre y, width) and the confinement weight.
GAUSSIANS = ((-3.0, -1.0, 0.0, 0.6), (-2.5, 1.0, 0.5, 0.6), (1.5, 0.0, 0.35, 0.35))
CONFINE = 0.05


# ----------------------------------------------------------------------------- potentials
def double_well():
    """The curved double well as a vectorized `CallableObjective`, its minima, its saddle
    ``[(x, y, V)]`` and quasi-potential."""
    def loss(P):
        x, y = P
        return (x * x - 1) ** 2 + DW_K * (y - x * x) ** 2

    def grad(P):
        x, y = P
        return np.array([4 * x * (x * x - 1) - 4 * DW_K * x * (y - x * x),
                         2 * DW_K * (y - x * x)])

    def hess(P):
        x, y = P
        hxx = 12 * x * x - 4 - 4 * DW_K * (y - x * x) + 8 * DW_K * x * x
        return np.array([[hxx, -4 * DW_K * x], [-4 * DW_K * x, np.full_like(x, 2 * DW_K)]])

    f = CallableObjective(loss, 2, grad=grad, hess=hess, vectorized=True, name="double_well")
    return f, np.array([-1.0, 1.0]), np.array([1.0, 1.0]), [(0.0, 0.0, 1.0)], 2.0


def _gauss_terms(P):
    out = []
    for amp, cx, cy, w in GAUSSIANS:
        dx, dy = P[0] - cx, P[1] - cy
        out.append((amp * np.exp(-(dx * dx + dy * dy) / (2 * w * w)), dx, dy, w))
    return out


def _gauss_loss(P):
    return sum(e for e, *_ in _gauss_terms(P)) + CONFINE * (P[0] ** 2 + P[1] ** 2)


def _gauss_grad(P):
    g = 2 * CONFINE * np.asarray(P, dtype=float)
    for e, dx, dy, w in _gauss_terms(P):
        g = g - e * np.array([dx, dy]) / (w * w)
    return g


def _gauss_hess(P):
    P = np.asarray(P, dtype=float)
    H = np.zeros((2, 2) + P.shape[1:])
    H[0, 0] += 2 * CONFINE
    H[1, 1] += 2 * CONFINE
    for e, dx, dy, w in _gauss_terms(P):
        d = [dx, dy]
        for i in range(2):
            for j in range(2):
                H[i, j] += e * (d[i] * d[j] / w ** 4 - (i == j) / (w * w))
    return H


def gaussians():
    """Two Gaussian wells and a bump between them (`GAUSSIANS`) plus ``CONFINE |x|^2``. Its
    minima and saddle computed here, independently of lagopt: the minima by
    `scipy.optimize.minimize` from the wells' centres, the saddle by `scipy.optimize.root` on
    the gradient (analytic Hessian as Jacobian) from the highest point of the straight line
    shifted below the bump, its index checked to be 1 by ``numpy.linalg.eigvalsh``."""
    col = lambda x: np.asarray(x, dtype=float).reshape(2, 1)  # noqa: E731
    mins = []
    for _, cx, cy, _ in GAUSSIANS[:2]:
        r = scipy.optimize.minimize(lambda x: float(_gauss_loss(col(x))[0]), [cx, cy],
                                    jac=lambda x: _gauss_grad(col(x))[:, 0], method="BFGS",
                                    options={"gtol": 1e-12})
        mins.append(r.x)
    root = scipy.optimize.root(lambda x: _gauss_grad(col(x))[:, 0], [0.0, -0.2],
                               jac=lambda x: _gauss_hess(col(x))[:, :, 0], tol=1e-14)
    eig = np.linalg.eigvalsh(_gauss_hess(col(root.x))[:, :, 0])
    if not (root.success and eig[0] < 0 < eig[1]):
        raise RuntimeError(f"the Gaussians' saddle was not found ({root.message}, "
                           f"eigenvalues {eig})")
    v_s = float(_gauss_loss(col(root.x))[0])
    v_a = float(_gauss_loss(col(mins[0]))[0])
    f = CallableObjective(_gauss_loss, 2, grad=_gauss_grad, hess=_gauss_hess, vectorized=True,
                          name="gaussians")
    return f, mins[0], mins[1], [(root.x[0], root.x[1], v_s)], 2 * (v_s - v_a)


def muller_brown():
    """Müller–Brown from A (the deepest minimum) to B, with the brief's references."""
    f = MullerBrown()
    return f, np.array(f.minima[0]), np.array(f.minima[1]), list(MB_SADDLES), \
        MB_QUASI_POTENTIAL


POTENTIALS = {"muller_brown": muller_brown, "double_well": double_well,
              "gaussians": gaussians}


def saddle_errors(res, refs):
    """Per reference saddle ``(x, y, V)``: the distance to the nearest saddle of the MEP
    result `res` and the energy error there (NaN when none was found)."""
    found = [] if res is None else list(res.saddles)
    out = []
    for x, y, v in refs:
        if not found:
            out.append((np.nan, np.nan))
            continue
        d = [float(np.linalg.norm(np.asarray(cp.x) - [x, y])) for cp in found]
        k = int(np.argmin(d))
        out.append((d[k], abs(found[k].energy - v)))
    return out


def run_potential(name, budget, seed=0):
    """One potential: `connect` (line, Bézier, MEP) and the MEP's errors."""
    f, a, b, refs, qp = POTENTIALS[name]()
    res = connect(f, a, b, max_grad_evals=budget, seed=seed)
    mep = res.mep_result
    errs = saddle_errors(mep, refs)
    qp_found = np.nan if mep is None else float(mep.quasi_potential)
    return {"potential": name, "connect": res, "saddle_errors": errs,
            "n_saddles": 0 if mep is None else len(mep.saddles),
            "certified": None if mep is None else all(cp.certified for cp in mep.saddles),
            "quasi_potential": qp_found, "qp_ref": qp, "qp_err": abs(qp_found - qp) / abs(qp)}


# ----------------------------------------------------------------------------- networks
def split_objectives(X, y, sizes, n_train, activation=ACTIVATION):
    """The training objective on the first `n_train` samples and the held-out one on the
    rest (same network)."""
    return (MLPObjective(X[:n_train], y[:n_train], sizes=sizes, activation=activation),
            MLPObjective(X[n_train:], y[n_train:], sizes=sizes, activation=activation))


def network_objectives(sizes, n_train=N_TRAIN, n_test=N_TEST, data_seed=0):
    """Training and held-out objectives of the benchmark's networks (`TARGET` data)."""
    X, y = make_regression(TARGET, n=n_train + n_test, seed=data_seed)
    return split_objectives(X, y, sizes, n_train)


def lecun_init(f, seed):
    """Weights ``N(0, 1 / fan_in)`` from ``default_rng(seed)``, zero biases."""
    rng = np.random.default_rng(seed)
    return f.pack([(rng.standard_normal(w.shape) / np.sqrt(w.shape[0]), np.zeros(b.shape))
                   for w, b in f.unpack(np.zeros(f.n_params))])


def train_network(f, seed, budget=TRAIN_BUDGET):
    """One network trained by L-BFGS from `lecun_init`; returns a dict ``theta, loss,
    n_grad, time, seed``."""
    start = time.perf_counter()
    r = minimize(f, lecun_init(f, seed), method="lbfgs", max_grad_evals=budget, seed=seed)
    return {"theta": r.x, "loss": float(r.fun), "n_grad": float(r.n_grad),
            "time": time.perf_counter() - start, "seed": seed}


#: Options of ``solve_mep`` on the networks (see `mep_options`), tuned on the training
#: barriers of 37- and 1,111-parameter pairs of networks from seeds 10-12 (not the
#: benchmark's) at budget 1,000. The previous first-order string (21 images, lr_rel 0.001,
#: climbing) was above the Bézier curve on all three 1,111-parameter benchmark pairs at
#: budget 1,000; this one is below on all three.
NETWORK_MEP_OPTIONS = {"init": "bezier", "bezier_share": 0.5, "n_images": 11,
                       "method": "lbfgs", "climb": False, "energy_weight": 3.0,
                       "certify_ends": False}


def mep_options(f):
    """Options of ``solve_mep`` on the network `f` (`NETWORK_MEP_OPTIONS`): the L-BFGS
    string (no Hessian; the Newton string oscillates on networks), 11 images redistributed
    with energy weight 3, no climbing image, started on the MEP's own Bézier curve trained
    for half its budget, the ends
    taken as given (L-BFGS end points are not exact minima: certifying them would cost two
    dense Hessians and fail anyway). The MEP's total cost equals the Bézier curve's."""
    return dict(NETWORK_MEP_OPTIONS)


def run_network(label, n_networks, budget, train_budget, progress=False, log=print):
    """Train `n_networks` networks of size `label` and connect every pair."""
    f, f_test = network_objectives(NETWORKS[label])
    train_network(f, 10_000, budget=20)           # numba loads (or compiles) here, untimed
    nets = [train_network(f, seed, train_budget) for seed in range(n_networks)]
    for n in nets:
        log(f"[{label}] trained seed {n['seed']}: loss {n['loss']:.3g}, "
            f"{n['n_grad']:.0f} gradients, {n['time']:.1f} s")
    rows = []
    for i, j in itertools.combinations(range(n_networks), 2):
        res = connect(f, nets[i]["theta"], nets[j]["theta"], held_out=f_test,
                      max_grad_evals=budget, seed=100 * i + j, progress=progress,
                      mep_options=mep_options(f))
        train_g = np.mean([nets[i]["n_grad"], nets[j]["n_grad"]])
        train_t = np.mean([nets[i]["time"], nets[j]["time"]])
        used_g = res.bezier.n_grad + res.mep.n_grad
        used_t = res.bezier.time + res.mep.time
        rows.append({"network": label, "n_params": f.n_params, "pair": f"{i}-{j}",
                     "connect": res, "train_grad": train_g, "train_time": train_t,
                     "cost_grad": used_g / train_g, "cost_time": used_t / train_t})
        log(f"[{label}] pair {i}-{j}: " + str(res).replace("\n", "\n    "))
    return rows


# ----------------------------------------------------------------------------- report
def _g(x, spec=".3g"):
    return "-" if x is None or not np.isfinite(x) else format(x, spec)


def _pair(x, y, spec=".3g"):
    return f"{_g(x, spec)} / {_g(y, spec)}"


def _short(text, n=90):
    text = " ".join(str(text).split()).replace("|", "/")
    return text if len(text) <= n else text[:n - 3] + "..."


def potential_table(prows):
    """The markdown rows of the 2-D potentials."""
    lines = ["| potential | MEP success | gradients | seconds | saddles (certified) | "
             "saddle position error | saddle energy error | quasi-potential (ref.) | "
             "rel. error | barrier line / Bézier / MEP |",
             "|---|---|---:|---:|---|---|---|---|---:|---|"]
    for r in prows:
        c = r["connect"]
        pos = ", ".join(_g(d, ".1e") for d, _ in r["saddle_errors"])
        en = ", ".join(_g(e, ".1e") for _, e in r["saddle_errors"])
        cert = "-" if r["certified"] is None else ("yes" if r["certified"] else "no")
        lines.append(
            f"| {r['potential']} | {c.mep.success} | {c.mep.n_grad:.0f} | {c.mep.time:.2f} | "
            f"{r['n_saddles']} ({cert}) | {pos} | {en} | {_g(r['quasi_potential'], '.9g')} "
            f"({_g(r['qp_ref'], '.9g')}) | {_g(r['qp_err'], '.1e')} | "
            f"{_g(c.line.barrier)} / {_g(c.bezier.barrier)} / {_g(c.mep.barrier)} |")
    return lines


def network_table(nrows):
    """The markdown rows of the network pairs."""
    lines = ["| network | params | pair | end losses | line barrier (train / held-out) | "
             "Bézier barrier | MEP barrier | MEP success | Bézier grads, s | MEP grads, s | "
             "cost vs training one network (grads, time) |",
             "|---|---:|---|---|---|---|---|---|---|---|---|"]
    for r in nrows:
        c = r["connect"]
        lines.append(
            f"| {r['network']} | {r['n_params']} | {r['pair']} | "
            f"{_pair(*c.end_loss)} | {_pair(c.line.barrier, c.line.barrier_held_out)} | "
            f"{_pair(c.bezier.barrier, c.bezier.barrier_held_out)} | "
            f"{_pair(c.mep.barrier, c.mep.barrier_held_out)} | {c.mep.success} | "
            f"{c.bezier.n_grad:.0f}, {c.bezier.time:.1f} | {c.mep.n_grad:.0f}, "
            f"{c.mep.time:.1f} | x{r['cost_grad']:.2f}, x{r['cost_time']:.2f} |")
    return lines


def summary(nrows):
    """Median barriers per network size, and the MEP's success count."""
    lines = []
    for label in dict.fromkeys(r["network"] for r in nrows):
        rs = [r["connect"] for r in nrows if r["network"] == label]
        med = {k: np.nanmedian([getattr(getattr(c, k), "barrier") for c in rs])
               if any(np.isfinite(getattr(c, k).barrier) for c in rs) else np.nan
               for k in ("line", "bezier", "mep")}
        ok = sum(c.mep.success for c in rs)
        lines.append(f"- {label} ({rs[0].n_params} parameters, {len(rs)} pair(s)): median "
                     f"training barrier line {_g(med['line'])}, Bézier {_g(med['bezier'])}, "
                     f"MEP {_g(med['mep'])}; MEP successful on {ok} of {len(rs)}.")
    return lines


def mep_messages(prows, nrows):
    """The MEP solver's message for every case where it did not succeed."""
    cases = [(r["potential"], r["connect"]) for r in prows]
    cases += [(f"{r['network']} pair {r['pair']}", r["connect"]) for r in nrows]
    return [f"- {name}: {_short(c.mep.message, 300)}" for name, c in cases
            if not c.mep.success]


POTENTIAL_NOTE = (
    "Saddle errors: per reference saddle, the distance to the nearest refined saddle and the "
    "error of its energy. Quasi-potential: `MEPResult.quasi_potential`, "
    "`2 sum (V_saddle - V_preceding_minimum)` along the path. References: Müller–Brown S1 "
    "(-0.8220015587, 0.6243128028) V = -40.66484351, S2 (0.2124865820, 0.2929883251) "
    "V = -72.24894011, quasi-potential 229.107103; double well saddle (0, 0), V = 1; "
    "Gaussians: saddle by `scipy.optimize.root` on the gradient.")
NETWORK_NOTE = (
    f"tanh networks on `make_regression('{TARGET}')`: {N_TRAIN} training samples (the curves "
    f"are found on them) and {N_TEST} held-out samples (the same curves judged there). "
    "Barriers: training / held-out. End losses: training. Cost: (Bézier + MEP) gradients and "
    "seconds over those of training one network by L-BFGS (mean of the pair). The MEP solver "
    "(`mep_options`) runs the L-BFGS string (11 images, energy-weighted, no climbing image) "
    "from its own Bézier "
    "curve trained for half of its budget (the MEP's gradients include it), ends taken as "
    "given (`certify_ends=False`: its `success` is then False by design). Its barrier is "
    "measured on 65 points along the polyline through its images plus the images; a "
    "string that did not reach `path_tol` gives the barrier of the string it returned.")


def report(prows, nrows, meta):
    """The markdown of the run."""
    lines = [
        "# Transition paths: MEPs on 2-D potentials, mode connectivity of networks", "",
        f"Mode: {'quick' if meta['quick'] else 'full'}; total run time "
        f"{meta['elapsed']:.1f} s. Budgets (gradient evaluations): {meta['potential_budget']} "
        f"for the potentials' Bézier curve and MEP each; {meta['budget']} for the networks' "
        f"Bézier curve and MEP each; L-BFGS training {meta['train_budget']} per network. "
        "A Hessian-vector product counts the objective's `hessp_cost` gradients (2 here; "
        "`MEPResult.n_grad`).", "",
        "**Barrier** of a curve: the highest loss along it minus the mean loss of its two "
        "ends, `max L(phi) - (L(a) + L(b)) / 2`; the line and the Bézier curve are evaluated "
        f"at {meta['n_eval']} points equally spaced in t, the MEP at its images and refined "
        "saddles. The Bézier curve `(1-t)^2 a + 2t(1-t) c + t^2 b` has its control point "
        "trained by Garipov et al.'s procedure (t ~ U(0, 1) per step, Adam on "
        "`grad_c L(phi(t))`). See `lagopt.transition.connect`.", ""]
    if prows:
        lines += ["## 2-D potentials", "", POTENTIAL_NOTE, ""] + potential_table(prows) + [""]
    if nrows:
        lines += ["## Mode connectivity of trained networks", "", NETWORK_NOTE, ""]
        lines += network_table(nrows) + ["", "## Summary", ""] + summary(nrows)
    messages = mep_messages(prows, nrows)
    if messages:
        lines += ["", "## MEP runs that did not succeed", ""] + messages
    return "\n".join(lines) + "\n"


def figure(prows, nrows, path):
    """Loss profiles: every potential and the first pair of every network."""
    from lagopt import plotting
    plotting.use_agg()
    import matplotlib.pyplot as plt
    cases = [(r["potential"], r["connect"]) for r in prows]
    seen = set()
    for r in nrows:
        if r["network"] not in seen:
            seen.add(r["network"])
            cases.append((f"network {r['network']} ({r['n_params']} parameters), pair "
                          f"{r['pair']}", r["connect"]))
    cols = 3
    rows = max(1, -(-len(cases) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(6.0 * cols, 4.2 * rows), squeeze=False)
    for ax, (title, res) in zip(axes.flat, cases):
        res.plot(ax=ax, title=title)
    for ax in list(axes.flat)[len(cases):]:
        ax.axis("off")
    fig.tight_layout()
    return plotting.save(fig, path)


# ----------------------------------------------------------------------------- main
def _parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"networks {', '.join(QUICK_NETWORKS)}, {QUICK_N_NETWORKS} "
                             f"networks each (one pair), budget {QUICK_BUDGET}")
    parser.add_argument("--out", default="results/", help="output directory")
    parser.add_argument("--networks-only", nargs="+", default=None, choices=tuple(NETWORKS),
                        dest="sizes", help="network sizes to run (default: all; "
                                           f"{' '.join(QUICK_NETWORKS)} with --quick)")
    parser.add_argument("--potentials", nargs="*", default=None, choices=tuple(POTENTIALS),
                        help="2-D potentials to run (default: all; none: give the flag alone)")
    parser.add_argument("--networks", type=int, default=None,
                        help=f"networks trained per size (default {N_NETWORKS}, every pair "
                             f"connected; {QUICK_N_NETWORKS} with --quick)")
    parser.add_argument("--budget", type=int, default=None,
                        help="Bézier and MEP budget on networks (default: "
                             + ", ".join(f"{v} for {k}" for k, v in BUDGET.items())
                             + f"; {QUICK_BUDGET} with --quick)")
    parser.add_argument("--train-budget", type=int, default=TRAIN_BUDGET,
                        help=f"L-BFGS budget per network (default {TRAIN_BUDGET})")
    parser.add_argument("--no-progress", dest="progress", action="store_false",
                        help="hide the progress bars")
    return parser


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    if args.networks is not None and args.networks < 2:
        parser.error("--networks must be >= 2 (a pair)")
    for name in ("budget", "train_budget"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    sizes = args.sizes or (QUICK_NETWORKS if args.quick else tuple(NETWORKS))
    potentials = tuple(POTENTIALS) if args.potentials is None else tuple(args.potentials)
    n_networks = args.networks or (QUICK_N_NETWORKS if args.quick else N_NETWORKS)
    budget = {label: args.budget or (QUICK_BUDGET if args.quick else BUDGET[label])
              for label in sizes}
    start = time.perf_counter()
    prows = []
    for name in potentials:
        r = run_potential(name, POTENTIAL_BUDGET)
        print(f"[{name}] " + str(r["connect"]).replace("\n", "\n    "))
        prows.append(r)
    nrows = []
    for label in sizes:
        nrows += run_network(label, n_networks, budget[label], args.train_budget,
                             progress=args.progress)
    meta = {"quick": args.quick, "elapsed": time.perf_counter() - start,
            "potential_budget": POTENTIAL_BUDGET,
            "budget": ", ".join(f"{budget[k]} ({k})" for k in sizes) or "-",
            "train_budget": args.train_budget, "n_eval": 65}
    text = report(prows, nrows, meta)
    os.makedirs(args.out, exist_ok=True)
    md = os.path.join(args.out, "transition.md")
    with open(md, "w") as fh:
        fh.write(text)
    png = figure(prows, nrows, os.path.join(args.out, "transition.png"))
    print(text)
    print(f"wrote {md} and {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
