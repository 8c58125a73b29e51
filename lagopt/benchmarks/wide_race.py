"""Does LAML hold up beyond the seed data? A wider optimizer race, tuned on some parts of its
grid and judged on another.

The seed race (:mod:`lagopt.benchmarks.optimizer_race`) chose LAML's default on the data it
reports, so its table cannot tell a good optimizer from a well-tuned one. This race widens the
grid -- twelve regression targets (:data:`lagopt.datasets.TARGETS`), three network shapes
(:data:`SHAPES`), ReLU and tanh, several initialisations, budgets of 300, 1,000 and 3,000
gradient evaluations -- and splits it, once and in this file, into parts (:data:`PARTS`):

* ``tune``: two targets and their own initialisation seeds. Settings (presets, step sizes,
  defaults) may be chosen by looking at this part.
* ``dev``: five other targets and seeds. It judged LAML's first default; once its results had
  been seen it could no longer judge, so it is now a second part that chooses.
* ``report``: five more targets and seeds, fixed (in the repository's history) before any
  setting was chosen on ``dev``. Results are judged here, and nothing may be chosen by
  looking at it.

The parts share no target and no initialisation seed. ``sincos`` is in the tuning part because
it is the seed experiment's ``nonlinear`` target, on which LAML's default was already chosen;
``step`` (a saturated step) is the second, non-smooth, tuning target.

The smooth targets of four inputs and 100 samples do not look like real data, on which LAML
did worse. ``--suite realistic`` (opt-in; the default is ``--suite smooth``, the grid above)
races a second grid, :data:`PROBLEMS`: data sets that look like real tabular data, from
:func:`lagopt.datasets.make_tabular` -- 8 to 20 correlated input columns of mixed types and
scales (standardised as a user would), 200 to 600 samples, regression targets with
heteroscedastic or heavy-tailed noise, 2-4 correlated outputs, binary and 3-class (one-hot)
labels fitted as regression with the same squared loss (:class:`lagopt.objectives.MLPObjective`
has no cross-entropy) -- each with its own two networks of about 130 to 1,110 parameters, ReLU
and tanh. Its parts (:data:`REALISTIC_PARTS`: ``real-tune``, ``real-dev`` choose,
``real-report`` judges) share no problem, data seed or initialisation seed with each other or
with :data:`PARTS`; ``--part tune|dev|report`` names the suite's part of that role, and
``--suite all`` runs both grids. The verdict gives the realistic parts' goals and the
candidate's wins against L-BFGS per budget, at equal evaluations and (``--equal-time``) at
equal wall time.

Every cell (part, target, shape, activation, budget) is the mean over initialisations of the
final loss ``res.fun`` of one :func:`lagopt.minimize` run per initialisation, each budget a
separate run. The candidate (``laml`` unless ``--candidate``) is scored cell by cell against
``gd``, ``lbfgs`` and the best of the baselines (:data:`BASELINES`, those that ran), and the
report part is held to :data:`GOALS`. The program writes into ``--out``

* ``wide_race.md``: what was run, which part chose and which judges, the per-cell tables by
  budget, the counts against the goals (PASS / FAIL) and median ratios, costs;
* ``wide_race.json``: every run's numbers; ``--from-json`` re-reports from it (the markdown is
  reproduced exactly);
* ``wide_race.png``: ``candidate / best other`` per cell on a log scale, a heat map
  per part.

The per-cell tables also give each method's wall time (median over the cell's runs) and the
candidate's wall time over L-BFGS's. Equal evaluations are not equal time: a LAML iteration
does far more arithmetic per gradient than L-BFGS. ``--equal-time`` therefore adds a second
race beside the first: every method gets, per cell, the wall time L-BFGS used at the same
evaluation budget there (the median of its runs in the cell; or a fixed ``--time`` per cell),
runs with ``max_time`` set to it and an evaluation budget that does not bind
(:data:`EQUAL_TIME_EVALS`), and the report adds the losses at equal time and the candidate's
wins against L-BFGS (:func:`run_equal_time`). ``--max-time`` caps every run of the
equal-evaluation race as well (a time budget per run, beside its evaluation budget).

Usage::

    python benchmarks/wide_race.py --quick --out results/        # seconds
    python benchmarks/wide_race.py --part tune --labels gd adam-0.01 lbfgs laml --jobs 2
    python benchmarks/wide_race.py --part dev --labels gd adam-0.01 lbfgs laml --jobs 2
    python benchmarks/wide_race.py --part report --out results/  # the judgement
    python benchmarks/wide_race.py --part report --equal-time --out results/  # and at equal time
    python benchmarks/wide_race.py --from-json results/wide_race.json --out results/
    python benchmarks/wide_race.py --suite realistic --quick --out results/   # tens of seconds
    python benchmarks/wide_race.py --suite realistic --part report --equal-time --jobs 2 \
        --out results/realistic/   # the realistic suite's judgement (about 20 min on 2 cores)

From Python: ``records = run(labels, part, budgets)``, then ``report(records, out)``; at equal
time also ``records += run_equal_time(labels, part, budgets, records=records)``.

The networks are far too small for a threaded BLAS to help, and on a busy machine OpenBLAS's
threads make some runs much slower in wall time (L-BFGS 30x on a loaded 2-core machine) without
changing any loss: start the program with ``OPENBLAS_NUM_THREADS=1`` (worker processes
inherit it). The report says which setting its wall times were measured with.
"""
import argparse
import json
import os
import platform
import sys
import time

import numpy as np

from lagopt._parallel import default_jobs, map_tasks
from lagopt.benchmarks._saved import read_saved
from lagopt.datasets import TABULAR_KINDS, TARGET_FORMULAS, TARGETS
from lagopt.optim.race import select

__all__ = ["run", "run_equal_time", "time_allowances", "run_task", "report", "score",
           "summarize", "load", "main", "PARTS", "SHAPES", "ACTIVATIONS", "BUDGETS",
           "DEFAULT_LABELS", "CANDIDATE", "BASELINES", "GOALS", "EQUAL_TIME_EVALS",
           "TIME_REFERENCE", "PROBLEMS", "REALISTIC_PARTS", "SUITES", "problem_data",
           "problem_shapes"]

#: Network shapes ``(inputs, hidden..., outputs)``: the seed's 4-6-1 (37 parameters), a wider
#: 4-16-1 (97) and a deeper 4-8-8-1 (121).
SHAPES = ((4, 6, 1), (4, 16, 1), (4, 8, 8, 1))
ACTIVATIONS = ("relu", "tanh")
#: Gradient-evaluation budgets; each is a separate run from the same start.
BUDGETS = (300, 1000, 3000)
#: Labels of :data:`lagopt.optim.race.OPTIMIZERS` raced by default.
DEFAULT_LABELS = ("gd", "adam-0.01", "lbfgs", "lm", "laml")
#: The label scored against the others by default.
CANDIDATE = "laml"
#: The baselines whose best (among those that ran) the candidate should be within 10 % of.
BASELINES = ("gd", "adam-0.01", "lbfgs", "lm")

#: The parts of the grid, fixed here, with their roles: a part that ``chooses`` may be looked at
#: to choose settings, the part that ``judges`` may not. No target and no initialisation seed
#: is in two parts. ``dev`` was the judging part of the first LAML default; its results were
#: seen (``docs/results/wide_race_v1/``), so it now chooses, and ``report`` -- five targets
#: and three seeds fixed before any setting was chosen on the others -- judges.
PARTS = {
    "tune": {"targets": ("sincos", "step"), "seeds": (0, 1, 2), "role": "chooses"},
    "dev": {"targets": ("product", "friedman", "bump", "kinks", "quadratic"),
            "seeds": (100, 101, 102), "role": "chooses"},
    "report": {"targets": ("ridge", "maxabs", "triple", "radial", "wave"),
               "seeds": (200, 201, 202), "role": "judges"},
}
#: The realistic suite's problems (``--suite realistic``): data sets that look like real
#: tabular data, from :func:`lagopt.datasets.make_tabular` (``kind``; ``n`` samples,
#: ``features`` inputs, ``outputs`` targets, drawn with the data seed ``seed``), and the hidden
#: layers of the two networks raced on each: a small one-hidden-layer network (about 130-330
#: parameters) and a wider or deeper one (about 390-1,110).
PROBLEMS = {
    # real-tune
    "hetero-a": dict(kind="tabular", n=300, features=10, outputs=1, seed=31,
                     hidden=((12,), (32,))),
    "binary-a": dict(kind="tabular-binary", n=400, features=14, outputs=1, seed=32,
                     hidden=((10,), (16, 16))),
    "multi-a": dict(kind="tabular-multi", n=250, features=8, outputs=2, seed=33,
                    hidden=((12,), (24, 16))),
    # real-dev
    "heavy-b": dict(kind="tabular-heavy", n=500, features=16, outputs=1, seed=41,
                    hidden=((8,), (48,))),
    "3class-b": dict(kind="tabular-3class", n=350, features=10, outputs=3, seed=42,
                     hidden=((12,), (20, 20))),
    "hetero-b": dict(kind="tabular", n=200, features=20, outputs=1, seed=43,
                     hidden=((6,), (16, 16))),
    "binary-b": dict(kind="tabular-binary", n=600, features=8, outputs=1, seed=44,
                     hidden=((16,), (48,))),
    # real-report
    "hetero-c": dict(kind="tabular", n=450, features=12, outputs=1, seed=51,
                     hidden=((10,), (40,))),
    "heavy-c": dict(kind="tabular-heavy", n=300, features=18, outputs=1, seed=52,
                    hidden=((8,), (24, 24))),
    "multi-c": dict(kind="tabular-multi", n=400, features=15, outputs=4, seed=53,
                    hidden=((16,), (32, 16))),
    "binary-c": dict(kind="tabular-binary", n=500, features=20, outputs=1, seed=54,
                     hidden=((12,), (40,))),
    "3class-c": dict(kind="tabular-3class", n=600, features=12, outputs=3, seed=55,
                     hidden=((16,), (24, 24))),
}
#: The realistic suite's parts, with the roles of :data:`PARTS`. They share no problem (every
#: kind of data is drawn anew for each part, with its own seed, size and networks) and no
#: initialisation seed with each other or with :data:`PARTS`. The judging part has one
#: problem of each kind, fixed before anything was run on the suite.
REALISTIC_PARTS = {
    "real-tune": {"targets": ("hetero-a", "binary-a", "multi-a"), "seeds": (300, 301, 302),
                  "role": "chooses"},
    "real-dev": {"targets": ("heavy-b", "3class-b", "hetero-b", "binary-b"),
                 "seeds": (400, 401, 402), "role": "chooses"},
    "real-report": {"targets": ("hetero-c", "heavy-c", "multi-c", "binary-c", "3class-c"),
                    "seeds": (500, 501, 502), "role": "judges"},
}
#: The suites (``--suite``) and their parts, in the order tune, dev, report.
SUITES = {"smooth": ("tune", "dev", "report"),
          "realistic": ("real-tune", "real-dev", "real-report")}
_ALL_PARTS = {**PARTS, **REALISTIC_PARTS}
#: Order in which parts are reported (the judging part first; the smooth suite first).
_PART_ORDER = ("report", "dev", "tune", "real-report", "real-dev", "real-tune")

#: Samples per data set, for every shape: one data set per target, so that shapes compare on
#: the same data. The 4-16-1 and 4-8-8-1 networks have about as many parameters as samples and
#: can fit part of the noise: their losses go below the noise level (about 0.01).
N_SAMPLES = 100
#: Relative noise of the targets (see :func:`lagopt.datasets.make_regression`).
NOISE = 0.1
#: Seed of the data: every target is drawn with it (same inputs, same noise draw).
DATA_SEED = 2026

#: Tie tolerance: ``a`` is no worse than ``b`` when ``a <= b (1 + RTOL) + ATOL``.
RTOL, ATOL = 1e-9, 1e-12
#: "Within 10 % of the best": ``a <= (1 + WITHIN) b (1 + RTOL) + ATOL``.
WITHIN = 0.10

#: The goals the report part is held to: (flag, statement, fraction of cells required).
GOALS = (
    ("le_gd", "candidate <= gd in every cell", 1.0),
    ("le_lbfgs", "candidate <= lbfgs in >= 3/4 of the cells", 0.75),
    ("within", "candidate within 10 % of the best baseline in >= 3/4 of the cells", 0.75),
)

#: Evaluation budget of a run at equal wall time: far more than any method spends in the time
#: of an L-BFGS run at 3,000 gradient evaluations, so only ``max_time`` ends it.
EQUAL_TIME_EVALS = 10**7
#: The label whose wall time (median per cell) every method gets in the equal-time race.
TIME_REFERENCE = "lbfgs"

_FORMAT = "lagopt.wide_race/1"
#: The figure's colours saturate at this factor between the candidate and the best other.
_CLIP = 3.0
_NUMERIC = ("fun", "n_grad", "wall_time")


# ----------------------------------------------------------------------------- one run
def _shape_name(sizes):
    return "-".join(str(s) for s in sizes)


def _objective(target, shape, activation):
    from lagopt.datasets import make_regression
    from lagopt.objectives import MLPObjective

    if target in PROBLEMS:
        X, y = problem_data(target)
    else:
        X, y = make_regression(target, n=N_SAMPLES, seed=DATA_SEED, noise=NOISE)
    sizes = tuple(int(s) for s in shape.split("-"))
    return MLPObjective(X, y, sizes=sizes, activation=activation)


def problem_data(name):
    """Inputs and targets of the realistic suite's problem `name` (:data:`PROBLEMS`):
    ``make_tabular(kind, n=n, seed=seed, n_features=features, n_outputs=outputs)``."""
    spec = PROBLEMS[name]
    from lagopt.datasets import make_tabular

    return make_tabular(spec["kind"], n=spec["n"], seed=spec["seed"],
                        n_features=spec["features"], n_outputs=spec["outputs"])


def problem_shapes(name):
    """The two network shapes ``(inputs, hidden..., outputs)`` raced on problem `name`."""
    spec = PROBLEMS[name]
    return tuple((spec["features"], *h, spec["outputs"]) for h in spec["hidden"])


def _n_params(sizes):
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def run_task(task):
    """Train one network with one optimizer at one budget (a module-level function, so that it
    pickles for the process pool). Returns the run's record; an exception inside
    :func:`lagopt.minimize` is recorded (``error``, NaN loss) rather than raised.

    Raises
    ------
    AssertionError
        If the run spent more gradient evaluations than its budget.
    """
    from lagopt.benchmarks.optimizer_race import _warm_up
    from lagopt.optim import minimize

    f = _objective(task["target"], task["shape"], task["activation"])
    # The package's reference initialisation (scale 0.1, zero biases), drawn from an explicit
    # Generator seeded by the initialisation seed.
    theta0 = f.init_params(np.random.default_rng(task["seed"]))
    _warm_up(f, theta0)
    out = {k: task[k] for k in ("part", "target", "shape", "activation", "seed", "label",
                                "method", "options", "budget")}
    max_evals = _max_evals(task)
    max_time = task.get("max_time")
    out.update(mode=_mode(task), max_time=max_time)
    try:
        res = minimize(f, theta0, method=task["method"], max_grad_evals=max_evals,
                       seed=task["seed"], max_time=max_time, **task["options"])
    except Exception as exc:  # noqa: BLE001 - one failing run must not lose the sweep
        out.update(fun=np.nan, n_grad=np.nan, nit=0, status=-1, wall_time=np.nan,
                   accept_rate=None, n_path_solves=None, error=f"{type(exc).__name__}: {exc}")
        return out
    if not res.n_grad <= max_evals:
        raise AssertionError(f"{task['label']} spent {res.n_grad} gradient evaluations on a "
                             f"budget of {max_evals}.")
    out.update(fun=float(res.fun), n_grad=float(res.n_grad), nit=int(res.nit),
               status=int(res.status), wall_time=float(res.wall_time),
               accept_rate=_optional(res.get("accept_rate")),
               n_path_solves=_optional(res.get("n_path_solves")))
    return out


def _optional(value):
    return None if value is None else float(value)


def _mode(record):
    """``"evals"`` (equal evaluations; also records saved before there were modes) or
    ``"time"`` (equal wall time)."""
    return record.get("mode") or "evals"


def _max_evals(record):
    """The evaluation budget a run was given: its cell's budget, or at equal time
    :data:`EQUAL_TIME_EVALS`."""
    return EQUAL_TIME_EVALS if _mode(record) == "time" else record["budget"]


def _check_max_time(max_time):
    if max_time is None:
        return None
    max_time = float(max_time)
    if not (np.isfinite(max_time) and max_time > 0):
        raise ValueError(f"`max_time` must be a number of seconds > 0, got {max_time}.")
    return max_time


# ----------------------------------------------------------------------------- the grid
def _part_names(part, suite="smooth"):
    """The parts `part` names in `suite`: ``"tune"``, ``"dev"`` and ``"report"`` are the
    suite's parts of that role (both suites' with ``suite="all"``), ``"all"`` all its parts;
    a realistic part may also be named (``"real-report"``)."""
    if suite not in (*SUITES, "all"):
        raise ValueError(f"Unknown `suite`={suite!r}; choose one of "
                         f"{', '.join(map(repr, SUITES))} or 'all'.")
    suites = tuple(SUITES) if suite == "all" else (suite,)
    if part == "all":
        return tuple(p for s in suites for p in SUITES[s])
    if part in REALISTIC_PARTS:
        return (part,)
    if part not in PARTS:
        raise ValueError(f"Unknown `part`={part!r}; choose one of "
                         f"{', '.join(map(repr, _ALL_PARTS))} or 'all'.")
    return tuple(SUITES[s][SUITES["smooth"].index(part)] for s in suites)


def _role(part):
    return _ALL_PARTS[part]["role"] if part in _ALL_PARTS else "chooses"


def _part_seeds(names, seeds, quick):
    """Initialisation seeds per part, keeping the parts' seeds disjoint."""
    if seeds is None:
        return {p: _ALL_PARTS[p]["seeds"][:1] if quick else _ALL_PARTS[p]["seeds"]
                for p in names}
    seeds = tuple(int(s) for s in seeds)
    if not seeds or min(seeds) < 0:
        raise ValueError(f"`seeds` must be one or more integers >= 0, got {seeds}.")
    if len(names) > 1:
        raise ValueError("`seeds` can only be given for one part: both parts with the same "
                         "seeds would no longer be disjoint.")
    other = {s for p in _ALL_PARTS if p != names[0] for s in _ALL_PARTS[p]["seeds"]}
    shared = sorted(set(seeds) & other)
    if shared:
        raise ValueError(f"Seeds {shared} belong to another part; the {names[0]} part must "
                         "not share initialisations with it.")
    return {names[0]: seeds}


def _tasks(labels, names, budgets, seeds, quick, max_time=None):
    return grid_tasks(select(labels), names, budgets, seeds, quick, max_time=max_time)


def grid_tasks(optimizers, names, budgets, seeds, quick=False, *, max_time=None):
    """One task per run of the grid: parts `names`, `budgets`, ``seeds[part]``, and each
    ``label -> (method, options)`` of `optimizers` (also configurations that are not in
    :data:`lagopt.optim.race.OPTIMIZERS`, as the selection of LAML's default runs); every
    run capped at `max_time` seconds of wall time if given. Realistic parts
    (:data:`REALISTIC_PARTS`) race each problem's own two networks (:func:`problem_shapes`)."""
    tasks = []
    for p in names:
        targets = _ALL_PARTS[p]["targets"][:1] if quick else _ALL_PARTS[p]["targets"]
        for target in targets:
            shapes = problem_shapes(target) if target in PROBLEMS else SHAPES
            for shape in (shapes[:1] if quick else shapes):
                for act in ACTIVATIONS:
                    for b in budgets:
                        for label, (method, options) in optimizers.items():
                            tasks += [dict(part=p, target=target, shape=_shape_name(shape),
                                           activation=act, seed=s, label=label, method=method,
                                           options=dict(options), budget=int(b),
                                           mode="evals", max_time=max_time)
                                      for s in seeds[p]]
    return tasks


def run(labels, part, budgets, seeds=None, jobs=1, progress=True, *, quick=False,
        scheduler=None, max_time=None, suite="smooth"):
    """Run the race on one part of the grid (or both) and return one record per run.

    Parameters
    ----------
    labels : sequence of str
        Labels of :data:`lagopt.optim.race.OPTIMIZERS`, e.g. :data:`DEFAULT_LABELS`.
    part : {"tune", "dev", "report", "all"} or a part of :data:`REALISTIC_PARTS`
        Which part of the `suite` to run (:data:`SUITES`), or one realistic part by name.
    budgets : sequence of int
        Gradient-evaluation budgets, each >= 1; each is a separate run.
    seeds : sequence of int, optional
        Initialisation seeds replacing the part's own; only with one part, and none of them
        may be a seed of another part. Default: the part's seeds (:data:`PARTS`).
    jobs : int, optional
        Worker processes (:func:`lagopt._parallel.map_tasks`); 1 runs in this process.
    progress : bool, optional
        Show a progress bar.
    quick : bool, optional, keyword-only
        Run a tiny subset: the first target of each part, the first shape, the first seed
        (unless `seeds` is given).
    scheduler : str, optional, keyword-only
        Address of a Dask scheduler (overrides `jobs`).
    max_time : float, optional, keyword-only
        A time budget per run: seconds of wall time (``minimize(..., max_time=...)``) besides
        the evaluation budget; whichever runs out first ends the run (``status`` 2,
        ``MAX_TIME``, for the clock). Default None: no cap.
    suite : {"smooth", "realistic", "all"}, optional, keyword-only
        ``"smooth"`` (the default): the regression targets of :data:`PARTS`; ``"realistic"``:
        the tabular problems of :data:`REALISTIC_PARTS` (:data:`PROBLEMS`), whose parts are
        named ``real-tune``, ``real-dev``, ``real-report``; ``"all"``: both.

    Returns
    -------
    list of dict
        One record per run, in the grid's order: ``part``, ``target``, ``shape`` (e.g.
        ``"4-6-1"``), ``activation``, ``seed``, ``label``, ``method``, ``options``,
        ``budget``, ``mode`` (``"evals"``), ``max_time``, ``fun`` (the final loss),
        ``n_grad``, ``nit``, ``status``, ``wall_time``, ``accept_rate`` and
        ``n_path_solves`` (None when the method does not report them), and ``error`` for a
        run that raised.

    Raises
    ------
    ValueError
        For an unknown label, part or suite, a budget < 1, seeds that break the parts'
        split, or a `max_time` that is not a positive number.
    """
    names = _part_names(part, suite)
    labels = tuple(labels)
    if not labels:
        raise ValueError("`labels` must name at least one optimizer.")
    budgets = tuple(int(b) for b in budgets)
    if not budgets or min(budgets) < 1:
        raise ValueError(f"`budgets` must be one or more integers >= 1, got {budgets}.")
    max_time = _check_max_time(max_time)
    tasks = _tasks(labels, names, budgets, _part_seeds(names, seeds, quick), quick, max_time)
    return run_tasks(tasks, jobs, progress, scheduler=scheduler)


def _cell_of(record):
    return (record["part"], record["target"], record["shape"], record["activation"],
            record["budget"])


def time_allowances(records, reference=TIME_REFERENCE):
    """Seconds of wall time per cell for the equal-time race: the median wall time of the
    `reference` label's equal-evaluation runs in the cell (cells where it has no finite
    wall time are left out).

    Returns
    -------
    dict
        ``(part, target, shape, activation, budget) -> seconds``.
    """
    walls = {}
    for r in records:
        if r["label"] == reference and _mode(r) == "evals" and np.isfinite(r["wall_time"]):
            walls.setdefault(_cell_of(r), []).append(float(r["wall_time"]))
    return {key: float(np.median(v)) for key, v in walls.items() if float(np.median(v)) > 0}


def run_equal_time(labels, part, budgets, seeds=None, jobs=1, progress=True, *, quick=False,
                   scheduler=None, records=None, seconds=None, reference=TIME_REFERENCE,
                   suite="smooth"):
    """The race at equal wall time: every method gets the same seconds per cell.

    The grid is that of :func:`run` (same arguments). In each cell (part, target, shape,
    activation, budget) every run gets ``max_time`` = the median wall time of the
    `reference` label's runs at that evaluation budget in that cell (from `records`, or
    from its runs made here when `records` is None), or the fixed `seconds`, and an
    evaluation budget that does not bind (:data:`EQUAL_TIME_EVALS`). The time is charged by
    :func:`lagopt.minimize` itself (the clock is read before every evaluation), so every
    method ends within one evaluation and one iteration of it.

    Parameters
    ----------
    labels, part, budgets, seeds, jobs, progress, quick, scheduler, suite
        As for :func:`run`; `budgets` are the evaluation budgets whose reference times are
        used (they name the cells).
    records : list of dict, optional, keyword-only
        Equal-evaluation records (of :func:`run`) holding the `reference` label's runs of
        these cells.
    seconds : float, optional, keyword-only
        A fixed time per run in every cell instead of the reference's.
    reference : str, optional, keyword-only
        The label whose wall time is given to all. Default ``"lbfgs"``.

    Returns
    -------
    list of dict
        One record per run, as those of :func:`run`, with ``mode = "time"``, ``max_time``
        (the cell's seconds) and ``budget`` (the evaluation budget that names the cell; the
        run's own was :data:`EQUAL_TIME_EVALS`).

    Raises
    ------
    ValueError
        As :func:`run`, and for a non-positive `seconds`.
    """
    names = _part_names(part, suite)
    labels = tuple(labels)
    if not labels:
        raise ValueError("`labels` must name at least one optimizer.")
    budgets = tuple(int(b) for b in budgets)
    if not budgets or min(budgets) < 1:
        raise ValueError(f"`budgets` must be one or more integers >= 1, got {budgets}.")
    seeds_by_part = _part_seeds(names, seeds, quick)
    tasks = _tasks(labels, names, budgets, seeds_by_part, quick)
    if seconds is not None:
        seconds = _check_max_time(seconds)
        allowed = {_cell_of(t): seconds for t in tasks}
    else:
        if records is None:
            records = run_tasks(_tasks((reference,), names, budgets, seeds_by_part, quick),
                                jobs, progress, scheduler=scheduler,
                                desc=f"wide race: {reference} times")
        allowed = time_allowances(records, reference)
    tasks = [dict(t, mode="time", max_time=allowed[_cell_of(t)]) for t in tasks
             if _cell_of(t) in allowed]
    return run_tasks(tasks, jobs, progress, scheduler=scheduler,
                     desc="wide race at equal time")


def run_tasks(tasks, jobs=1, progress=True, *, scheduler=None, desc="wide race"):
    """:func:`run_task` over `tasks` (largest budgets, or at equal time longest times,
    first, for load balance); the records come back in the order of `tasks`."""
    order = sorted(range(len(tasks)),
                   key=lambda i: -(tasks[i]["max_time"] if _mode(tasks[i]) == "time"
                                   else tasks[i]["budget"]))
    done = map_tasks(run_task, [tasks[i] for i in order], n_jobs=jobs, scheduler=scheduler,
                     desc=desc, progress=progress)
    records = [None] * len(tasks)
    for i, rec in zip(order, done):
        records[i] = rec
    return records


# ----------------------------------------------------------------------------- scoring
def _no_worse(a, b, factor=1.0):
    """``a <= factor * b`` up to the tie tolerance; False when either is NaN."""
    return bool(a <= factor * b * (1 + RTOL) + ATOL)


def _ratio(a, b):
    if not (np.isfinite(a) and np.isfinite(b)):
        return np.nan
    if b == 0:
        return 1.0 if a == 0 else np.inf
    return a / b


def _check_budgets(records):
    over = [r for r in records if np.isfinite(r["n_grad"]) and r["n_grad"] > _max_evals(r)]
    if over:
        r = over[0]
        raise AssertionError(f"{len(over)} run(s) spent more than their budget, e.g. "
                             f"{r['label']} on {r['target']}/{r['shape']}/{r['activation']}: "
                             f"{r['n_grad']} > {_max_evals(r)}.")


def _ordered(values):
    return tuple(dict.fromkeys(values))


def _rank(values, value):
    """Position of `value` in `values`, after all of them when absent."""
    return values.index(value) if value in values else len(values)


def _cell_key(key):
    part, target, shape, act, budget = key
    sizes = tuple(int(s) for s in shape.split("-"))
    return (_rank(_PART_ORDER, part), _rank(TARGETS + tuple(PROBLEMS), target), target,
            _rank(SHAPES, sizes),
            sizes, _rank(ACTIVATIONS, act), act, budget)


def _cell(key, by_label, candidate):
    means = {lab: float(np.mean([r["fun"] for r in rs])) for lab, rs in by_label.items()}
    c = means.get(candidate, np.nan)
    others = {lab: v for lab, v in means.items() if lab != candidate}
    baselines = {lab: v for lab, v in others.items() if lab in BASELINES}
    best_other = min(others, key=lambda lab: (np.nan_to_num(others[lab], nan=np.inf)),
                     default=None)
    best_base = min(baselines, key=lambda lab: (np.nan_to_num(baselines[lab], nan=np.inf)),
                    default=None)
    mine = by_label.get(candidate, [])
    solves = [r["n_path_solves"] for r in mine if r.get("n_path_solves") is not None]
    part, target, shape, act, budget = key
    walls = {lab: _nanmedian([r["wall_time"] for r in rs]) for lab, rs in by_label.items()}
    evals = {lab: _nanmean([r["n_grad"] for r in rs]) for lab, rs in by_label.items()}
    allowed = [r["max_time"] for rs in by_label.values() for r in rs
               if r.get("max_time") is not None]
    return dict(
        part=part, target=target, shape=shape, activation=act, budget=budget, means=means,
        runs=len(mine),
        ratio_gd=_ratio(c, others["gd"]) if "gd" in others else np.nan,
        ratio_lbfgs=_ratio(c, others["lbfgs"]) if "lbfgs" in others else np.nan,
        best_other=best_other,
        ratio_best=_ratio(c, others[best_other]) if best_other else np.nan,
        best_baseline=best_base,
        le_gd=_no_worse(c, others["gd"]) if "gd" in others else None,
        le_lbfgs=_no_worse(c, others["lbfgs"]) if "lbfgs" in others else None,
        within=_no_worse(c, baselines[best_base], 1 + WITHIN) if best_base else None,
        path_solves_sum=float(np.sum(solves)) if solves else None,
        path_solves_mean=float(np.mean(solves)) if solves else None,
        wall_time=float(np.mean([r["wall_time"] for r in mine])) if mine else np.nan,
        walls=walls, n_grads=evals,
        time_ratio_lbfgs=(_ratio(walls.get(candidate, np.nan), walls["lbfgs"])
                          if "lbfgs" in others else np.nan),
        max_time=float(np.median(allowed)) if allowed else None)


def _nanmedian(values):
    v = np.asarray(values, dtype=float)
    return float(np.median(v[np.isfinite(v)])) if np.isfinite(v).any() else np.nan


def _nanmean(values):
    v = np.asarray(values, dtype=float)
    return float(np.mean(v[np.isfinite(v)])) if np.isfinite(v).any() else np.nan


def score(records, candidate=CANDIDATE, mode="evals"):
    """Score `candidate` cell by cell.

    A cell is (part, target, shape, activation, budget); its value for a label is the mean
    over initialisations of the final loss (NaN if a run failed, which counts against the
    candidate). Only the records of `mode` are scored: ``"evals"`` (the race at equal
    evaluations, the default) or ``"time"`` (at equal wall time, :func:`run_equal_time`,
    where ``budget`` names the cell whose reference time every run got).

    Returns
    -------
    list of dict
        One per cell, in report order, with ``means`` (label -> mean final loss), the ratios
        ``ratio_gd``, ``ratio_lbfgs`` and ``ratio_best`` (candidate over gd, lbfgs and the
        best other label ``best_other``; NaN when absent), the flags ``le_gd``, ``le_lbfgs``
        (no worse up to ``RTOL``/``ATOL``) and ``within`` (within ``WITHIN`` of the best of
        the :data:`BASELINES` that ran, ``best_baseline``), each None when the comparison does
        not exist (the label did not run, or is the candidate); ``path_solves_sum`` and
        ``path_solves_mean`` (the candidate's ``n_path_solves`` per cell and per run, None
        when not reported), ``wall_time`` (the candidate's mean per run), ``walls`` (label
        -> median wall time per run), ``n_grads`` (label -> mean gradient evaluations per
        run), ``time_ratio_lbfgs`` (the candidate's median wall time over L-BFGS's) and
        ``max_time`` (the cell's time per run at equal time, else None).

    Raises
    ------
    ValueError
        If `candidate` did not run.
    AssertionError
        If a run spent more than its budget.
    """
    records = [r for r in records if _mode(r) == mode]
    if not any(r["label"] == candidate for r in records):
        raise ValueError(f"The candidate {candidate!r} did not run; labels present: "
                         f"{', '.join(_ordered(r['label'] for r in records))}.")
    _check_budgets(records)
    groups = {}
    for r in records:
        key = (r["part"], r["target"], r["shape"], r["activation"], r["budget"])
        groups.setdefault(key, {}).setdefault(r["label"], []).append(r)
    return [_cell(key, groups[key], candidate) for key in sorted(groups, key=_cell_key)]


def _counts(cells):
    out = {"cells": len(cells)}
    for flag, _, _ in GOALS:
        known = [c[flag] for c in cells if c[flag] is not None]
        out[flag] = (sum(known), len(known)) if known else None
    for name in ("ratio_gd", "ratio_lbfgs", "ratio_best", "time_ratio_lbfgs"):
        vals = [c[name] for c in cells if not np.isnan(c[name])]
        out[name] = float(np.median(vals)) if vals else np.nan
    return out


def summarize(cells):
    """Counts and median ratios per part, over all its cells (key ``"all"``) and per budget.

    Returns
    -------
    dict
        part -> {"all" or budget -> counts}, where counts holds ``cells``, for each flag of
        :data:`GOALS` a pair ``(cells where it holds, cells where it is defined)`` or None,
        and the medians of ``ratio_gd``, ``ratio_lbfgs``, ``ratio_best`` and
        ``time_ratio_lbfgs`` (NaN when none).
    """
    out = {}
    for part in _ordered(c["part"] for c in cells):
        mine = [c for c in cells if c["part"] == part]
        out[part] = {b: _counts([c for c in mine if c["budget"] == b])
                     for b in sorted(_ordered(c["budget"] for c in mine))}
        out[part]["all"] = _counts(mine)
    return out


def _verdict(count, fraction):
    if count is None or count[1] == 0:
        return "n/a"
    return "PASS" if count[0] >= fraction * count[1] - 1e-12 else "FAIL"


# ----------------------------------------------------------------------------- markdown
def _fmt(v):
    if v is None or not np.isfinite(v):
        return "--"
    if v == 0:
        return "0"
    if abs(v) < 1e-3:
        return f"{v:.2e}"
    return f"{v:.4f}"


def _fmt_ratio(v):
    return "--" if np.isnan(v) else ("inf" if np.isinf(v) else f"{v:.3g}")


def _flag(v):
    return "n/a" if v is None else ("yes" if v else "no")


def _header(meta, labels, candidate, records):
    lines = ["# Wide optimizer race: tuned on some parts, judged on another", ""]
    if meta.get("command"):
        lines += [f"Generated by `{meta['command']}` in {meta.get('seconds', 0):.0f} s "
                  f"({meta.get('jobs', 1)} job(s); Python {meta.get('python', '?')}, numpy "
                  f"{meta.get('numpy', '?')}, scipy {meta.get('scipy', '?')}, "
                  f"{meta.get('machine', '?')}; OPENBLAS_NUM_THREADS "
                  f"{meta.get('openblas_threads') or 'not set'}). Wall times are per run, on a "
                  "shared machine: compare them within this report only.", ""]
    opts = {}
    for r in records:
        opts.setdefault(r["label"], (r["method"], r["options"]))
    real = [r for r in records if r["target"] in PROBLEMS]
    smooth = [r for r in records if r["target"] not in PROBLEMS]
    described = "; ".join(
        f"`{lab}` = `{opts[lab][0]}`" + ("".join(f", {k}={v!r}" for k, v in
                                                 sorted(opts[lab][1].items())))
        for lab in labels)
    targets = "; ".join(f"`{t}`: {TARGET_FORMULAS.get(t, '?')}" for t in
                        _ordered(r["target"] for r in smooth))
    if real and not smooth:
        return lines + _realistic_setup(real) + [
            f"Optimizers: {described}. Candidate: `{candidate}`.", ""]
    lines += [
        f"**Setup.** Networks {', '.join(_ordered(r['shape'] for r in smooth))} (linear "
        f"output, mean squared error), activations "
        f"{', '.join(_ordered(r['activation'] for r in smooth))}, trained on "
        f"`make_regression(target, n={N_SAMPLES}, seed={DATA_SEED}, noise={NOISE})` "
        f"(standardised inputs and targets; the noise alone costs about 0.01) from "
        "`init_params(numpy.random.default_rng(seed))` (weights 0.1 N(0, 1), zero biases). "
        "Each budget is a separate run, charged by the one rule of `lagopt.optim._budget`. "
        "A cell is (target, shape, activation, budget); its value is the mean over "
        "initialisations of the final loss.",
        "", f"Targets: {targets}.", ""]
    lines += _realistic_setup(real) if real else []
    return lines + [f"Optimizers: {described}. Candidate: `{candidate}`.", ""]


def _realistic_setup(records):
    """The realistic suite's setup: the data sets and networks of the problems that ran."""
    lines = [
        "**Realistic suite.** Problems that look like real tabular data, from "
        "`lagopt.datasets.make_tabular(kind, n, seed, n_features=..., n_outputs=...)` "
        "(`lagopt.benchmarks.wide_race.PROBLEMS`): correlated input columns of mixed types "
        "and scales (normal, skewed, counts, yes/no, bounded), standardised as a user would; "
        "regression targets with heteroscedastic or heavy-tailed noise (relative level 0.3: "
        "the noise alone costs about 0.08 of the standardised targets' variance), standardised; "
        "and 0/1 or one-hot class labels, fitted as regression with the same mean squared "
        "error (`MLPObjective` has no cross-entropy loss). Networks with a linear output, "
        "activations "
        f"{', '.join(_ordered(r['activation'] for r in records))}, from "
        "`init_params(numpy.random.default_rng(seed))`; cells, budgets and scoring as for "
        "the smooth targets, a cell's target being the problem.", "",
        "| problem | part | kind | samples | features | outputs | data seed | networks "
        "(parameters) |", "|---|---|---|---|---|---|---|---|"]
    for name in _ordered(r["target"] for r in records):
        spec = PROBLEMS[name]
        part = next(p for p, v in REALISTIC_PARTS.items() if name in v["targets"])
        nets = ", ".join(f"{_shape_name(z)} ({_n_params(z):,})" for z in problem_shapes(name))
        lines.append(f"| {name} | {part} | {spec['kind']}: {TABULAR_KINDS[spec['kind']]} | "
                     f"{spec['n']} | {spec['features']} | {spec['outputs']} | {spec['seed']} "
                     f"| {nets} |")
    return lines + [""]


def _parts_section(records):
    lines = ["## The parts", "",
             "Fixed in `lagopt.benchmarks.wide_race.PARTS`, disjoint in targets and "
             "initialisation seeds. The **tune** and **dev** parts choose: settings may be "
             "picked by looking at them (dev judged LAML's first default, in "
             "`wide_race_v1/`; once seen, it became a choosing part). The **report** part "
             "judges: its numbers are the result, and nothing is chosen by looking at them.",
             "",
             "| part | role | targets | seeds | in this run |", "|---|---|---|---|---|"]
    real = any(r["part"] in REALISTIC_PARTS for r in records)
    for part in (_PART_ORDER if real else SUITES["smooth"][::-1]):
        mine = [r for r in records if r["part"] == part]
        ran = (f"{', '.join(_ordered(r['target'] for r in mine))}; seeds "
               f"{', '.join(str(s) for s in _ordered(r['seed'] for r in mine))}; budgets "
               f"{', '.join(f'{b:,}' for b in sorted(_ordered(r['budget'] for r in mine)))}"
               if mine else "not run")
        role = _role(part)
        lines.append(f"| {part} | {role} | {', '.join(_ALL_PARTS[part]['targets'])} | "
                     f"{', '.join(map(str, _ALL_PARTS[part]['seeds']))} | {ran} |")
    if real:
        lines += ["", "The realistic suite's parts (`REALISTIC_PARTS`, `--suite realistic`) are "
                  "split the same way: **real-tune** and **real-dev** choose, **real-report** "
                  "judges; no problem (data seed, size, networks) and no initialisation seed "
                  "is in two parts of either suite."]
    return lines + [""]


def _goal_lines(counts, quick=False):
    lines = []
    for flag, statement, fraction in GOALS:
        c = counts[flag]
        got = "not measured" if c is None else f"{c[0]}/{c[1]}"
        verdict = "not judged (--quick)" if quick else _verdict(c, fraction)
        lines.append(f"- {statement}: {got} -- **{verdict}**")
    lines.append(f"- median ratios: candidate/gd {_fmt_ratio(counts['ratio_gd'])}, "
                 f"candidate/lbfgs {_fmt_ratio(counts['ratio_lbfgs'])}, candidate/best other "
                 f"{_fmt_ratio(counts['ratio_best'])}")
    return lines


def _verdict_section(summary, candidate, quick=False, time_summary=None):
    lines = ["## Verdict", ""]
    if quick:
        lines += ["A quick run (one target, shape, seed and budget per part) checks that the "
                  "race runs; its counts are measured but too few to judge the goals, which "
                  "only the full run does.", ""]
    if "report" in summary:
        lines += [f"On the **report** part (`{candidate}` is the candidate; the best baseline "
                  f"is the best of {', '.join(BASELINES)} among those that ran):", ""]
        lines += _goal_lines(summary["report"]["all"], quick) + [""]
        if time_summary and "report" in time_summary:
            lines += [_time_line(time_summary["report"]["all"], candidate,
                                 "At equal wall time on the report part (for information; not "
                                 "a goal)"), ""]
    elif "real-report" not in summary:
        lines += ["The report part was not run: no verdict.", ""]
    if "real-report" in summary:
        lines += [f"On the **real-report** part (the realistic suite's judging part; "
                  f"`{candidate}` is the candidate):", ""]
        lines += _goal_lines(summary["real-report"]["all"], quick)
        lines += _budget_lines("real-report", summary, time_summary, candidate) + [""]
    for part in _PART_ORDER:
        if part in summary and _role(part) != "judges":
            lines += [f"On the **{part}** part (for information only; it does not judge):",
                      ""]
            lines += _goal_lines(summary[part]["all"], quick)
            if part in REALISTIC_PARTS:
                lines += _budget_lines(part, summary, time_summary, candidate)
            lines += [""]
    return lines


def _le_lbfgs_by_budget(counts):
    """``300: 3/10, 1,000: 4/10, ...; all: 7/20`` -- the cells where the candidate <= lbfgs."""
    def one(c):
        return "not measured" if c["le_lbfgs"] is None else \
            f"{c['le_lbfgs'][0]}/{c['le_lbfgs'][1]}"
    by_budget = ", ".join(f"{b:,}: {one(c)}" for b, c in counts.items() if b != "all")
    return f"{by_budget}; all: {one(counts['all'])}"


def _budget_lines(part, summary, time_summary, candidate):
    """The candidate's wins against L-BFGS by budget, at equal evaluations and at equal
    time (when it ran)."""
    lines = [f"- `{candidate}` <= lbfgs by budget, at equal evaluations: "
             f"{_le_lbfgs_by_budget(summary[part])}"]
    if time_summary and part in time_summary:
        lines.append(f"- `{candidate}` <= lbfgs by budget, at equal wall time (L-BFGS's at "
                     f"that budget; for information): "
                     f"{_le_lbfgs_by_budget(time_summary[part])}; median loss ratio "
                     f"candidate/lbfgs {_fmt_ratio(time_summary[part]['all']['ratio_lbfgs'])}")
    return lines


def _time_line(counts, candidate, lead):
    """One line: the candidate's wins against L-BFGS at equal time, and the median ratios."""
    c = counts["le_lbfgs"]
    got = "not measured" if c is None else f"{c[0]}/{c[1]} cells"
    return (f"- {lead}: `{candidate}` <= lbfgs in {got}; median loss ratio candidate/lbfgs "
            f"{_fmt_ratio(counts['ratio_lbfgs'])}, candidate/gd "
            f"{_fmt_ratio(counts['ratio_gd'])}.")


def _cell_table(cells, labels, solves):
    head = (["target", "shape", "act."] + list(labels)
            + ["cand/gd", "cand/lbfgs", "cand/best other", "best other", "<= gd", "<= lbfgs",
               "within 10 %", "time cand/lbfgs"] + (["path solves / run"] if solves else []))
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for c in cells:
        vals = [c["means"].get(lab, np.nan) for lab in labels]
        finite = [v for v in vals if np.isfinite(v)]
        best = min(finite) if finite else np.nan
        shown = [f"**{_fmt(v)}**" if np.isfinite(v) and _no_worse(v, best) else _fmt(v)
                 for v in vals]
        row = ([c["target"], c["shape"], c["activation"]] + shown
               + [_fmt_ratio(c["ratio_gd"]), _fmt_ratio(c["ratio_lbfgs"]),
                  _fmt_ratio(c["ratio_best"]), c["best_other"] or "--", _flag(c["le_gd"]),
                  _flag(c["le_lbfgs"]), _flag(c["within"]),
                  _fmt_ratio(c["time_ratio_lbfgs"])])
        if solves:
            row.append(_fmt_count(c["path_solves_mean"]) if c["path_solves_mean"] is not None
                       else "--")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _cells_section(cells, summary, labels, candidate):
    solves = any(c["path_solves_mean"] is not None for c in cells)
    lines = []
    for part in summary:
        mine = [c for c in cells if c["part"] == part]
        lines += [f"## Per cell: {part} part", "",
                  f"Mean final loss over initialisations (bold: the best in the row, ties "
                  f"included); ratios are `{candidate}` over the label; `within 10 %` compares "
                  "with the best baseline; `time cand/lbfgs` is the candidate's median wall "
                  "time per run over L-BFGS's (each method's in the wall-time tables below).",
                  ""]
        for b in sorted(_ordered(c["budget"] for c in mine)):
            lines += [f"### {part}, budget {b:,}", ""]
            lines += _cell_table([c for c in mine if c["budget"] == b], labels, solves) + [""]
        lines += [f"### {part}: counts by budget", "",
                  "| budget | cells | <= gd | <= lbfgs | within 10 % | median cand/gd | "
                  "median cand/lbfgs | median cand/best other | median time cand/lbfgs |",
                  "|" + "---|" * 9]
        for key, cnt in summary[part].items():
            counts = [("--" if cnt[f] is None else f"{cnt[f][0]}/{cnt[f][1]}")
                      for f, _, _ in GOALS]
            lines.append(f"| {'all' if key == 'all' else f'{key:,}'} | {cnt['cells']} | "
                         + " | ".join(counts) + f" | {_fmt_ratio(cnt['ratio_gd'])} | "
                         f"{_fmt_ratio(cnt['ratio_lbfgs'])} | {_fmt_ratio(cnt['ratio_best'])} | "
                         f"{_fmt_ratio(cnt['time_ratio_lbfgs'])} |")
        lines.append("")
    return lines


def _fmt_seconds(v):
    if v is None or not np.isfinite(v):
        return "--"
    return f"{v:.3f}" if v >= 0.01 else f"{v:.2e}"


def _wall_section(cells, summary, labels, candidate):
    """Each label's median wall time per run, cell by cell (equal evaluations)."""
    lines = ["## Wall time per cell", "",
             "Median wall time of a run (seconds, over the cell's initialisations) at the "
             f"cell's evaluation budget; `time cand/lbfgs` is `{candidate}`'s over L-BFGS's. "
             "Measured on a shared machine, several runs at once: compare within this report.",
             ""]
    for part in summary:
        mine = [c for c in cells if c["part"] == part]
        for b in sorted(_ordered(c["budget"] for c in mine)):
            head = ["target", "shape", "act."] + list(labels) + ["time cand/lbfgs"]
            lines += [f"### {part}, budget {b:,}: wall time (s)", "",
                      "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            for c in mine:
                if c["budget"] == b:
                    row = ([c["target"], c["shape"], c["activation"]]
                           + [_fmt_seconds(c["walls"].get(lab, np.nan)) for lab in labels]
                           + [_fmt_ratio(c["time_ratio_lbfgs"])])
                    lines.append("| " + " | ".join(row) + " |")
            lines.append("")
    return lines


def _equal_time_section(cells, summary, labels, candidate, meta):
    """The race at equal wall time: losses, evaluations used, wins against L-BFGS."""
    fixed = meta.get("time_per_cell")
    source = (f"a fixed {fixed:g} s per run" if fixed else
              f"the median wall time of `{meta.get('time_reference', TIME_REFERENCE)}`'s runs "
              "at the cell's evaluation budget in the equal-evaluation race")
    lines = ["## At equal wall time", "",
             f"Every run of a cell got the same wall time, {source}, as "
             f"`minimize(..., max_time=...)`, and an evaluation budget that does not bind "
             f"({EQUAL_TIME_EVALS:,}); the clock is read before every evaluation, so each run "
             "ends within one evaluation and one iteration of its time. Mean final loss over "
             "initialisations (bold: the best in the row); `evals` are the mean gradient "
             "evaluations the candidate and L-BFGS spent in that time. Wall times depend on "
             "the machine and its load: these tables are for this run only.", ""]
    time_labels = [lab for lab in labels if any(lab in c["means"] for c in cells)]
    for part in summary:
        mine = [c for c in cells if c["part"] == part]
        for b in sorted(_ordered(c["budget"] for c in mine)):
            head = (["target", "shape", "act.", "time (s)"] + time_labels
                    + ["cand evals", "lbfgs evals", "cand/lbfgs", "<= lbfgs"])
            lines += [f"### {part}, at the time of budget {b:,}", "",
                      "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            for c in mine:
                if c["budget"] != b:
                    continue
                vals = [c["means"].get(lab, np.nan) for lab in time_labels]
                finite = [v for v in vals if np.isfinite(v)]
                best = min(finite) if finite else np.nan
                shown = [f"**{_fmt(v)}**" if np.isfinite(v) and _no_worse(v, best) else _fmt(v)
                         for v in vals]
                row = ([c["target"], c["shape"], c["activation"], _fmt_seconds(c["max_time"])]
                       + shown
                       + [_fmt_count(c["n_grads"].get(candidate, np.nan)),
                          _fmt_count(c["n_grads"].get("lbfgs", np.nan)),
                          _fmt_ratio(c["ratio_lbfgs"]), _flag(c["le_lbfgs"])])
                lines.append("| " + " | ".join(row) + " |")
            lines.append("")
        lines += [f"### {part} at equal time: wins against L-BFGS", "",
                  "| budget | cells | cand <= lbfgs | median cand/lbfgs | cand <= gd | "
                  "median cand/gd |", "|" + "---|" * 6]
        for key, cnt in summary[part].items():
            wins = [("--" if cnt[f] is None else f"{cnt[f][0]}/{cnt[f][1]}")
                    for f in ("le_lbfgs", "le_gd")]
            lines.append(f"| {'all' if key == 'all' else f'{key:,}'} | {cnt['cells']} | "
                         f"{wins[0]} | {_fmt_ratio(cnt['ratio_lbfgs'])} | {wins[1]} | "
                         f"{_fmt_ratio(cnt['ratio_gd'])} |")
        lines.append("")
    return lines


def _cost_section(records, labels):
    lines = ["## Cost per run", "",
             "Gradient evaluations charged (never above the budget: checked for every run), "
             "wall time, and LAML's `n_path_solves` where the method reports it.", "",
             "| label | budget | runs | mean n_grad | max n_grad / budget | mean wall time (s) "
             "| median wall time (s) | mean path solves |", "|" + "---|" * 8]
    for lab in labels:
        for b in sorted(_ordered(r["budget"] for r in records)):
            rs = [r for r in records if r["label"] == lab and r["budget"] == b]
            if not rs:
                continue
            ng = np.array([r["n_grad"] for r in rs], dtype=float)
            wt = np.array([r["wall_time"] for r in rs], dtype=float)
            ps = [r["n_path_solves"] for r in rs if r.get("n_path_solves") is not None]
            fin = ng[np.isfinite(ng)]
            lines.append(
                f"| {lab} | {b:,} | {len(rs)} | {_fmt_count(fin.mean() if fin.size else np.nan)}"
                f" | {(fin.max() / b) if fin.size else np.nan:.3f} | "
                f"{np.nanmean(wt) if np.isfinite(wt).any() else np.nan:.3f} | "
                f"{_nanmedian(wt):.3f} | {_fmt_count(np.mean(ps)) if ps else '--'} |")
    return lines + [""]


def _fmt_count(v):
    return "--" if not np.isfinite(v) else f"{v:,.1f}"


def _markdown(records, cells, summary, labels, candidate, meta, figure, time_cells=None):
    evals = [r for r in records if _mode(r) == "evals"]
    time_summary = summarize(time_cells) if time_cells else None
    lines = _header(meta, labels, candidate, evals) + _parts_section(evals)
    lines += _verdict_section(summary, candidate, bool(meta.get("quick")), time_summary)
    lines += _cells_section(cells, summary, labels, candidate)
    lines += _wall_section(cells, summary, labels, candidate)
    lines += _cost_section(evals, labels)
    if time_cells:
        lines += _equal_time_section(time_cells, time_summary, labels, candidate, meta)
    errors = [r for r in records if r.get("error")]
    if errors:
        lines += ["## Failed runs", ""] + [
            f"- {r['label']} on {r['part']}/{r['target']}/{r['shape']}/{r['activation']}, seed "
            f"{r['seed']}, budget {r['budget']:,}"
            f"{' (equal time)' if _mode(r) == 'time' else ''}: {r['error']}"
            for r in errors] + [""]
    if figure:
        lines += ["## Figure", "", f"`{candidate} / best other` per cell, on a log scale: "
                  f"blue, the candidate is better; red, worse (colours clipped at a factor of "
                  f"{_CLIP:g}).", "",
                  f"![wide race]({figure})", ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- figure
def _figure(cells, path, candidate):
    from lagopt import plotting

    plotting.use_agg()
    import matplotlib.pyplot as plt

    parts = _ordered(c["part"] for c in cells)
    budgets = sorted(_ordered(c["budget"] for c in cells))
    rows = {p: _ordered((c["target"], c["shape"], c["activation"]) for c in cells
                        if c["part"] == p) for p in parts}
    n_rows = [len(rows[p]) for p in parts]
    fig, axes = plt.subplots(len(parts), 1, figsize=(6.5, 1.4 + 0.22 * sum(n_rows)
                                                     + 0.7 * len(parts)),
                             squeeze=False, layout="constrained",
                             gridspec_kw={"height_ratios": n_rows})
    image, top = None, np.log10(_CLIP)
    for ax, p in zip(axes[:, 0], parts):
        Z = np.full((len(rows[p]), len(budgets)), np.nan)
        for c in cells:
            if c["part"] == p:
                i = rows[p].index((c["target"], c["shape"], c["activation"]))
                Z[i, budgets.index(c["budget"])] = c["ratio_best"]
        with np.errstate(divide="ignore", invalid="ignore"):
            L = np.clip(np.log10(Z), -top, top)
        image = ax.imshow(np.ma.masked_invalid(L), cmap="RdBu_r", vmin=-top, vmax=top,
                          aspect="auto", interpolation="nearest")
        for (i, j), v in np.ndenumerate(Z):
            dark = np.isfinite(L[i, j]) and abs(L[i, j]) > 0.6 * top
            ax.text(j, i, _fmt_ratio(v), ha="center", va="center", fontsize=6.5,
                    color="white" if dark else "black")
        ax.set_xticks(range(len(budgets)), [f"{b:,}" for b in budgets])
        ax.set_yticks(range(len(rows[p])), [" ".join(r) for r in rows[p]], fontsize=7)
        ax.set_ylabel("target, network, activation", fontsize=8)
        ax.set_xlabel("budget (gradient evaluations)", fontsize=8)
        ax.set_title(f"{p} part ({_role(p)})", fontsize=10)
    bar = fig.colorbar(image, ax=axes[:, 0].tolist(), shrink=0.8, extend="both",
                       label=f"final loss, {candidate} / best other\n(log scale; below 1: "
                             f"{candidate} better; clipped at {_CLIP:g}x)")
    ticks = (1 / 3, 1 / 2, 2 / 3, 1, 1.5, 2, 3)
    bar.set_ticks(np.log10(ticks), labels=["1/3", "1/2", "2/3", "1", "1.5", "2", "3"])
    fig.suptitle(f"{candidate} against the best other optimizer, per cell", fontsize=11)
    return plotting.save(fig, path)


# ----------------------------------------------------------------------------- files
def _jsonable(record):
    return {k: (None if k in _NUMERIC and not np.isfinite(v) else v) for k, v in record.items()}


def load(path):
    """Read a ``wide_race.json``: returns ``(records, meta)``, NaN restored for failed runs."""
    saved = read_saved(path, _FORMAT, "a wide race file")
    records = [{k: (np.nan if k in _NUMERIC and v is None else v) for k, v in r.items()}
               for r in saved["records"]]
    return records, saved.get("meta", {})


def report(records, out=None, *, candidate=CANDIDATE, meta=None):
    """The markdown report of a race's records; with `out`, also write the files.

    Parameters
    ----------
    records : list of dict
        As returned by :func:`run` or :func:`load`; records of the equal-time race
        (:func:`run_equal_time`, ``mode = "time"``) among them add its section.
    out : str, optional
        Folder to write ``wide_race.md``, ``wide_race.json`` and ``wide_race.png`` into.
    candidate : str, optional, keyword-only
        The label scored against the others. Default ``"laml"``.
    meta : dict, optional, keyword-only
        What the header reports about the run (``command``, ``seconds``, ``jobs``, versions),
        saved in the JSON file with the records.

    Returns
    -------
    str
        The markdown text. It depends only on `records`, `candidate`, `meta` and whether
        `out` is given, so a report from the saved JSON is the same, character for character.
    """
    records = list(records)
    meta = json.loads(json.dumps(meta or {}))      # as it will read back from the file
    meta["candidate"] = candidate
    labels = _ordered(r["label"] for r in records if _mode(r) == "evals")
    cells = score(records, candidate)
    summary = summarize(cells)
    timed = any(_mode(r) == "time" for r in records)
    time_cells = score(records, candidate, "time") if timed else None
    text = _markdown(records, cells, summary, labels, candidate, meta,
                     "wide_race.png" if out is not None else None, time_cells)
    if out is not None:
        os.makedirs(out, exist_ok=True)
        _figure(cells, os.path.join(out, "wide_race.png"), candidate)
        with open(os.path.join(out, "wide_race.md"), "w") as fh:
            fh.write(text)
        with open(os.path.join(out, "wide_race.json"), "w") as fh:
            json.dump({"format": _FORMAT, "meta": meta,
                       "records": [_jsonable(r) for r in records]}, fh, indent=1,
                      allow_nan=False, default=repr)  # stage objects in options: their repr
    return text


# ----------------------------------------------------------------------------- command line
def _parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labels", nargs="+", default=None, metavar="LABEL",
                        help="optimizers of lagopt.optim.race.OPTIMIZERS (default: "
                             f"{' '.join(DEFAULT_LABELS)})")
    parser.add_argument("--candidate", default=None,
                        help=f"the label scored against the others (default: {CANDIDATE})")
    parser.add_argument("--part", choices=(*PARTS, *REALISTIC_PARTS, "all"), default="all",
                        help="which part of the suite's grid to run (default: all)")
    parser.add_argument("--suite", choices=(*SUITES, "all"), default="smooth",
                        help="smooth: the regression targets of PARTS (default); realistic: "
                             "the tabular problems of REALISTIC_PARTS (parts real-tune, "
                             "real-dev, real-report); all: both")
    parser.add_argument("--budgets", type=int, nargs="+", default=None,
                        help="gradient-evaluation budgets (default: 300 1000 3000; quick: 300)")
    parser.add_argument("--seeds", type=int, nargs="+", default=None,
                        help="initialisation seeds replacing the part's own (one part only; "
                             "not another part's seeds)")
    parser.add_argument("--quick", action="store_true",
                        help="one target per part, one shape, one seed, budget 300")
    parser.add_argument("--jobs", type=int, default=None,
                        help="worker processes (default: all cores)")
    parser.add_argument("--scheduler", default=None,
                        help="address of a Dask scheduler (overrides --jobs)")
    parser.add_argument("--out", default="results", help="output folder (default: results/)")
    parser.add_argument("--from-json", default=None, metavar="PATH",
                        help="re-report a saved wide_race.json instead of running")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--max-time", type=float, default=None, metavar="SECONDS",
                        help="a wall-time cap per run of the equal-evaluation race (default: "
                             "none)")
    parser.add_argument("--equal-time", action="store_true",
                        help="also race at equal wall time: every method gets, per cell, "
                             f"{TIME_REFERENCE}'s median wall time at that budget (or --time)")
    parser.add_argument("--time", type=float, default=None, metavar="SECONDS",
                        help="with --equal-time: a fixed wall time per run instead of "
                             f"{TIME_REFERENCE}'s")
    return parser


def _command(args, labels, budgets):
    parts = ["python benchmarks/wide_race.py"] + (["--quick"] if args.quick else [])
    parts += ["--suite", args.suite] if args.suite != "smooth" else []
    parts += ["--part", args.part, "--labels", *labels, "--budgets", *map(str, budgets)]
    parts += ["--seeds", *map(str, args.seeds)] if args.seeds else []
    parts += ["--candidate", args.candidate] if args.candidate != CANDIDATE else []
    parts += ["--max-time", f"{args.max_time:g}"] if args.max_time is not None else []
    parts += ["--equal-time"] if args.equal_time else []
    parts += ["--time", f"{args.time:g}"] if args.time is not None else []
    return " ".join(parts + ["--jobs", str(args.jobs)])


def _run_from_args(parser, args):
    labels = tuple(args.labels) if args.labels else DEFAULT_LABELS
    args.candidate = args.candidate or CANDIDATE
    if args.candidate not in labels:
        parser.error(f"--candidate {args.candidate} is not among the labels "
                     f"({' '.join(labels)}); pass --candidate LABEL")
    if args.time is not None and not args.equal_time:
        parser.error("--time is the time per run of --equal-time; pass --equal-time too")
    if args.equal_time and args.time is None and TIME_REFERENCE not in labels:
        parser.error(f"--equal-time gives every method {TIME_REFERENCE}'s wall time: add "
                     f"{TIME_REFERENCE} to --labels, or pass --time SECONDS")
    budgets = tuple(args.budgets) if args.budgets else (
        (BUDGETS[0],) if args.quick else BUDGETS)
    t0 = time.perf_counter()
    try:
        records = run(labels, args.part, budgets, seeds=args.seeds, jobs=args.jobs,
                      progress=not args.no_progress, quick=args.quick,
                      scheduler=args.scheduler, max_time=args.max_time, suite=args.suite)
        if args.equal_time:
            records += run_equal_time(labels, args.part, budgets, seeds=args.seeds,
                                      jobs=args.jobs, progress=not args.no_progress,
                                      quick=args.quick, scheduler=args.scheduler,
                                      records=records, seconds=args.time,
                                      suite=args.suite)
    except ValueError as exc:
        parser.error(str(exc))
    import scipy

    meta = {"command": _command(args, labels, budgets), "seconds": time.perf_counter() - t0,
            "jobs": args.jobs, "python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "machine": platform.machine(),
            "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"), "part": args.part,
            "labels": labels, "budgets": budgets, "quick": args.quick,
            "max_time": args.max_time, "equal_time": args.equal_time,
            "time_per_cell": args.time, "time_reference": TIME_REFERENCE}
    if args.suite != "smooth":
        meta["suite"] = args.suite
    return records, meta


def main(argv=None):
    """The command line (see the module docstring); returns 0."""
    parser = _parser()
    args = parser.parse_args(argv)
    args.jobs = default_jobs() if args.jobs is None else max(1, args.jobs)
    t0 = time.perf_counter()
    if args.from_json:
        records, meta = load(args.from_json)
        args.candidate = args.candidate or meta.get("candidate", CANDIDATE)
    else:
        records, meta = _run_from_args(parser, args)
    try:
        report(records, args.out, candidate=args.candidate, meta=meta)
    except ValueError as exc:
        parser.error(str(exc))
    md = os.path.join(args.out, "wide_race.md")
    print(f"wrote {md}, wide_race.json and wide_race.png in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
