"""The optimizer configurations raced against each other, in one place.

:data:`OPTIMIZERS` maps a label to the ``(method, options)`` of a :func:`lagopt.minimize` call;
the optimizer race benchmark (:mod:`lagopt.benchmarks.optimizer_race`) and ``lagopt train``
both take their entries from it, each a subset (:data:`RACE_LABELS`, :data:`TRAIN_LABELS`).

=================  =========================================  ==============================
label              method and options                         setting
=================  =========================================  ==============================
gd                 ``gd``, ``lr=0.1``                         the published experiment's SGD
momentum           ``momentum`` (``lr=0.01``, ``beta=0.9``)   heavy ball, documented defaults
adam               ``adam`` (``lr=1e-3``)                     Adam's published default
adam-0.01          ``adam``, ``lr=0.01``                      Adam's better rate at budgets
                                                              of 100 to 3,000 gradients
lbfgs              ``lbfgs`` (``maxcor=10``)                  scipy's L-BFGS-B, its defaults
lm                 ``lm`` (``solver="lm"``)                   Levenberg-Marquardt (scipy's
                                                              MINPACK); a Jacobian costs n
steepest           ``steepest``                               equal arc-length steps with a
                                                              parabolic landing
laml               ``laml``, ``preset="default"``             BFGS prediction, the
                                                              model's least-action path,
                                                              resting-action check, restarts
laml-direct        ``laml``, ``preset="direct"``              the default with the actual
                                                              loss's least-action path (direct
                                                              method, 3 nodes) every step
laml-reference     ``laml``, ``preset="reference"``           the published experiment's
                                                              stages
hybrid             ``hybrid`` (``step="gd"``, ``lr=0.1``)     gradient steps with an action
                                                              check every 10 steps
=================  =========================================  ==============================

Options not listed keep the method's documented defaults (in parentheses where they matter).
An entry is the optimizer object ``METHODS[method].from_options(options)`` of
:mod:`lagopt.optim.methods` (e.g. ``"adam-0.01"`` is ``Adam(lr=0.01)``); the pairs are kept
because the benchmarks record them.

Each entry runs as ``minimize(f, x0, method, max_grad_evals=budget, max_time=seconds,
**options)``: every race gives each run its gradient-evaluation budget and may give it a time
budget as well (``max_time``, seconds of wall time; whichever runs out first ends the run, the
clock with ``Status.MAX_TIME``). The wide race (:mod:`lagopt.benchmarks.wide_race`) takes it
per run (``run(..., max_time=...)``, ``--max-time``) and races at equal wall time
(``run_equal_time``, ``--equal-time``): every method gets L-BFGS's wall time in each cell and an
evaluation budget that does not bind.
"""
__all__ = ["OPTIMIZERS", "RACE_LABELS", "TRAIN_LABELS", "TRAIN_QUICK_LABELS", "select"]

#: label -> (minimize method, options); see the module docstring for what each entry is.
OPTIMIZERS = {
    "gd": ("gd", {"lr": 0.1}),
    "momentum": ("momentum", {}),
    "adam": ("adam", {}),
    "adam-0.01": ("adam", {"lr": 0.01}),
    "lbfgs": ("lbfgs", {}),
    "lm": ("lm", {}),
    "steepest": ("steepest", {}),
    "laml": ("laml", {"preset": "default"}),
    "laml-direct": ("laml", {"preset": "direct"}),
    "laml-reference": ("laml", {"preset": "reference"}),
    "hybrid": ("hybrid", {}),
}

#: The entries of the optimizer race benchmark (its LAML ablation runs the presets on top).
RACE_LABELS = ("gd", "momentum", "adam", "adam-0.01", "lbfgs", "lm", "steepest", "laml",
               "laml-reference", "hybrid")

#: The entries ``lagopt train`` offers (and runs by default).
TRAIN_LABELS = ("gd", "momentum", "adam", "lbfgs", "lm", "steepest", "laml", "laml-direct",
                "laml-reference", "hybrid")

#: What ``lagopt train --quick`` runs.
TRAIN_QUICK_LABELS = ("gd", "adam", "lbfgs", "laml", "laml-reference")


def select(labels):
    """The entries of :data:`OPTIMIZERS` named by `labels`, in that order (a new dict)."""
    unknown = [lab for lab in labels if lab not in OPTIMIZERS]
    if unknown:
        raise ValueError(f"Unknown optimizer label(s) {unknown}; choose from "
                         f"{', '.join(OPTIMIZERS)}.")
    return {lab: OPTIMIZERS[lab] for lab in labels}
