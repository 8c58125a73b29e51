"""The default preset's inlined iteration (``core._DenseModelStep``) against the general loop:
bit for bit the same iterates, history and result fields, on networks of 37 to 295
parameters and on a 20-dimensional Rosenbrock function (budget ends, restarts, explorations
and exact-kinetic decisions included)."""
import numpy as np
import pytest

from lagopt.datasets import make_regression
from lagopt.objectives import MLPObjective, Rosenbrock
from lagopt.optim import minimize
from lagopt.optim.laml import LAML, core


def _net(n_features, sizes, m):
    X, y = make_regression("sincos", n=m, seed=0, n_features=n_features, noise=0.1)
    f = MLPObjective(X, y, sizes=sizes, activation="tanh")
    return f, f.init_params(0)


def _rosen():
    f = Rosenbrock(dim=20)
    return f, np.full(20, -1.2)


PROBLEMS = {
    "37": (lambda: _net(4, (4, 6, 1), 200), 600),
    "145": (lambda: _net(4, (4, 24, 1), 200), 400),
    "193": (lambda: _net(10, (10, 16, 1), 442), 1000),
    "295": (lambda: _net(4, (4, 49, 1), 200), 300),
    "rosenbrock20": (_rosen, 800),
}


def _run(monkeypatch, fast, f, x0, budget, **options):
    monkeypatch.setattr(core, "_FAST_PATH", fast)
    calls = []
    original = core._DenseModelStep.__call__

    def counted(self, *args):
        calls.append(1)
        return original(self, *args)

    monkeypatch.setattr(core._DenseModelStep, "__call__", counted)
    res = minimize(f, x0, method=LAML(**options), max_grad_evals=budget, seed=0)
    return res, len(calls)


def _assert_same(a, b):
    assert np.array_equal(a.x, b.x)
    assert a.fun == b.fun and a.n_grad == b.n_grad and a.nit == b.nit
    assert a.status == b.status and a.message == b.message
    assert a.history.keys() == b.history.keys()
    for key in a.history:
        va, vb = a.history[key], b.history[key]
        if key == "time":
            assert len(va) == len(vb)
        elif va.dtype == object:
            assert list(va) == list(vb), key
        else:
            assert np.array_equal(va, vb, equal_nan=True), key
    for key in ("accept_rate", "n_accepted", "n_path_solves", "path_solves", "n_restarts",
                "stages"):
        assert a.get(key) == b.get(key), key


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_fast_iteration_matches_the_general_loop_bit_for_bit(monkeypatch, name):
    make, budget = PROBLEMS[name]
    f, x0 = make()
    general, n_general = _run(monkeypatch, False, f, x0, budget)
    fast, n_fast = _run(monkeypatch, True, f, x0, budget)
    iterations = sum(m not in ("", "restart", "hedge start", "best point met")
                     for m in fast.history["path_method"])
    assert n_general == 0 and n_fast >= iterations > 0   # the fast path ran every iteration
    assert fast.history["explored"].any() and fast.history["accepted"].any()
    _assert_same(fast, general)


@pytest.mark.parametrize("case", ["385 default", "145 max_dense=100"])
def test_fast_iteration_matches_with_the_lbfgs_memory_above_max_dense(monkeypatch, case):
    # Above max_dense the default predictor keeps ten L-BFGS pairs: the fast iteration uses
    # the compiled two-loop recursion and the bounds, the general loop the stages.
    from lagopt.optim.laml import BFGSPredictor

    if case == "385 default":
        (f, x0), options = _net(10, (10, 32, 1), 300), {}
    else:
        (f, x0), options = _net(4, (4, 24, 1), 200), dict(predictor=BFGSPredictor(max_dense=100))
    assert f.n_params > 300 or options
    general, n_general = _run(monkeypatch, False, f, x0, 400, **options)
    fast, n_fast = _run(monkeypatch, True, f, x0, 400, **options)
    assert n_general == 0 and n_fast > 0
    assert fast.history["explored"].any() and fast.history["accepted"].any()
    _assert_same(fast, general)


def test_fast_iteration_matches_with_a_restart_and_a_confidence_stage(monkeypatch):
    from lagopt.optim.laml import StallRestart, TrustConfidence

    f, x0 = _net(4, (4, 6, 1), 200)
    options = dict(restart=StallRestart(patience=3, rtol=1e-2), confidence=TrustConfidence(),
                   maxiter=150)
    general, _ = _run(monkeypatch, False, f, x0, 2000, **options)
    fast, n_fast = _run(monkeypatch, True, f, x0, 2000, **options)
    assert n_fast > 0 and fast.n_restarts > 0
    _assert_same(fast, general)


def test_fast_iteration_matches_across_a_hedge_start(monkeypatch):
    # The hedge start switches the dense matrix for an L-BFGS memory mid-run: the fast
    # iteration is planned again and goes on with the compiled two-loop recursion.
    from lagopt.optim.laml import StallRestart

    f, x0 = _net(4, (4, 6, 1), 200)
    options = dict(restart=StallRestart(patience=3, rtol=1e-2, hedge_memory=4), maxiter=200)
    general, _ = _run(monkeypatch, False, f, x0, 2000, **options)
    fast, n_fast = _run(monkeypatch, True, f, x0, 2000, **options)
    rows = np.flatnonzero(fast.history["path_method"] == "hedge start")
    assert n_fast > 0 and rows.size == 1 and rows[0] < fast.nit - 10
    _assert_same(fast, general)


@pytest.mark.parametrize("options", [dict(preset="lbfgs_model"), dict(preset="reference"),
                                     dict(path="linear"), dict(preset="curve")])
def test_other_stages_run_the_general_loop_except_the_explorer(monkeypatch, options):
    f, x0 = _net(4, (4, 6, 1), 200)
    general, _ = _run(monkeypatch, False, f, x0, 150, **options)
    fast, n_fast = _run(monkeypatch, True, f, x0, 150, **options)
    # only the explorer differs in "curve": the fast iteration applies, the same results
    assert (n_fast > 0) == (options.get("preset") == "curve")
    _assert_same(fast, general)


def test_small_problems_use_the_general_loop_until_a_hedge_start(monkeypatch):
    # Dense and small: the general loop (exact kinetic energies). After the hedge start the
    # predictor keeps an L-BFGS memory, which the fast iteration serves at any size.
    from lagopt.optim.laml import StallRestart

    f = Rosenbrock()
    res, n_fast = _run(monkeypatch, True, f, np.array([-1.2, 1.0]), 200,
                       restart=StallRestart(patience=10, rtol=1e-4))
    assert n_fast == 0 and res.nit > 0
    res, n_fast = _run(monkeypatch, True, f, np.array([-1.2, 1.0]), 200)
    methods = list(res.history["path_method"])
    first = methods.index("hedge start")
    after = sum(m not in ("", "restart", "hedge start", "best point met")
                for m in methods[first:])
    assert 0 < n_fast == after


def test_fast_iteration_matches_when_decisions_need_the_exact_kinetic_energy(monkeypatch):
    # Bounds that never decide send every decision to the Lanczos estimate, and a
    # pessimistic error estimate puts many acceptance thresholds within it: the decision then
    # needs the exact kinetic energy (the eigendecomposition), in both loops.
    from lagopt.optim.laml import model_path, path_stage

    def uninformative(*args):
        return 0.0, np.inf

    monkeypatch.setattr(path_stage, "kinetic_bounds", uninformative)
    monkeypatch.setattr(core, "kinetic_bounds", uninformative)
    real = model_path.krylov_kinetic_of

    def pessimistic(*args):
        G, error = real(*args)
        return G, error + 1e9 * (G + 1.0)

    monkeypatch.setattr(model_path, "krylov_kinetic_of", pessimistic)
    monkeypatch.setattr(core, "krylov_kinetic_of", pessimistic)
    builds = []
    missing = path_stage._LazyModelInfo.__missing__
    monkeypatch.setattr(path_stage._LazyModelInfo, "__missing__",
                        lambda self, key: builds.append(key) or missing(self, key))
    f, x0 = _net(4, (4, 6, 1), 200)
    general, _ = _run(monkeypatch, False, f, x0, 100)
    n_general_builds = len(builds)
    fast, n_fast = _run(monkeypatch, True, f, x0, 100)
    assert n_general_builds > 0 and len(builds) == 2 * n_general_builds and n_fast > 0
    _assert_same(fast, general)
