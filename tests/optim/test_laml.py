"""LAML: every stage on a case where its effect is known, the budget, determinism, presets."""
import numpy as np
import pytest

from lagopt.datasets import make_dataset
from lagopt.objectives import CallableObjective, MLPObjective, Quadratic
from lagopt.optim import METHODS, Status, minimize, reference_experiment
from lagopt.optim._budget import BudgetedObjective
from lagopt.optim.laml import (PRESETS, BudgetView, ClosedFormPredictor, FractionUpdate,
                               ModelPathSolver, StallRestart,
                               KrasnoselskiiMannExplorer, LAMLState, LeastLossUpdate,
                               LookaheadPredictor, MetaModelPredictor, MultiStartExplorer,
                               PathBacktrackExplorer, PathSolver, QuasiNewtonPredictor,
                               RandomExplorer, ReferencePredictor, RestingActionCriterion,
                               SteepestPathPredictor, ThresholdCriterion, TrustConfidence,
                               krasnoselskii_mann, laml)

from ._spy import Spy


@pytest.fixture(scope="module")
def net():
    X, y = make_dataset("nonlinear")
    f = MLPObjective(X, y, sizes=(4, 6, 1), activation="relu")
    return f, f.init_params(42)


def _state(objective, x, budget=1e6, lam=1.0, T=1.0, seed=0):
    bf = BudgetedObjective(objective, budget)
    view = BudgetView(bf)
    loss, g = view.loss_and_grad(np.asarray(x, dtype=float))
    return LAMLState(np.asarray(x, dtype=float), loss, g, view, np.random.default_rng(seed),
                     lam, T, 1.0), bf


# ----------------------------------------------------------------------------- registration
def test_registered_and_presets():
    assert "laml" in METHODS and "hybrid" in METHODS
    assert {"default", "reference"} <= set(PRESETS)
    with pytest.raises(ValueError, match="preset"):
        minimize(Quadratic(np.eye(2)), [1.0, 1.0], method="laml", preset="nope")
    with pytest.raises(TypeError, match="predictor"):
        minimize(Quadratic(np.eye(2)), [1.0, 1.0], method="laml", predictor="qn")


# ----------------------------------------------------------------------------- reference
def test_reference_preset_replays_the_corrected_protocol():
    # Fed the legacy stream of the published run, the reference stages reproduce
    # reference_experiment(protocol="corrected") bit for bit (the protocol as stated in words).
    ref = reference_experiment("linear", protocol="corrected")
    X, y = make_dataset("linear")
    f = MLPObjective(X, y, sizes=(4, 6, 1), activation="relu")
    rs = np.random.RandomState(42)
    theta0 = f.init_params(rs, scale=0.1)
    out = laml(BudgetedObjective(f, 1e9), theta0, rs, preset="reference", maxiter=100)
    assert np.array_equal(out["x"], ref["theta"])
    assert out["accept_rate"] == ref["accept_rate"] == 0.0


def test_reference_preset_runs_through_minimize(net):
    f, theta0 = net
    res = minimize(f, theta0, method="laml", preset="reference", max_grad_evals=300, seed=1)
    assert res.n_grad <= 300 and res.status == Status.BUDGET_EXHAUSTED
    assert res.accept_rate == 0.0                  # the published 0 % acceptance
    h = res.history
    for key in ("action", "confidence", "accepted", "path_method", "predicted_action"):
        assert len(h[key]) == len(h["loss"])
    assert set(h["path_method"][1:]) <= {"smoothstep", "best point met"}
    assert np.all(h["confidence"] <= 1.0) and np.all(h["confidence"] >= 0.1)


# ----------------------------------------------------------------------------- predictors
def test_closed_form_is_exact_for_a_linear_model():
    X, y = make_dataset("linear")
    f = MLPObjective(X, y, sizes=(4, 1))          # no hidden layer: a linear model
    state, bf = _state(f, np.zeros(5))
    pred = ClosedFormPredictor()
    pred.reset(state)
    x_star = pred.predict(state)
    A = np.hstack([X, np.ones((100, 1))])
    w = np.linalg.lstsq(A, y, rcond=None)[0]
    assert np.allclose(x_star, w, atol=1e-8)
    assert bf.spent == 1.5                        # start (1) + one forward pass (1/2)
    assert state.view.known_loss(x_star) == pytest.approx(f.loss(x_star), abs=1e-14)
    # In the loop: at the exact least-squares optimum after one iteration.
    res = minimize(f, np.zeros(5), method="laml", predictor=ClosedFormPredictor(),
                   max_grad_evals=10)
    assert res.fun == pytest.approx(np.mean((A @ w - y) ** 2), abs=1e-12)


def test_closed_form_hidden_layer_never_raises_the_loss(net):
    f, theta0 = net
    state, _ = _state(f, theta0)
    pred = ClosedFormPredictor()
    pred.reset(state)
    x_star = pred.predict(state)
    assert f.loss(x_star) <= f.loss(theta0)
    assert np.array_equal(x_star[:30], theta0[:30])   # hidden weights untouched
    with pytest.raises(TypeError, match="MLPObjective"):
        pred.reset(_state(Quadratic(np.eye(2)), [1.0, 1.0])[0])


def _linear_task(rng, n=200, d=4, noise=0.1):
    X = rng.standard_normal((n, d))
    X = (X - X.mean(0)) / X.std(0)
    w = rng.standard_normal(d)
    return MLPObjective(X, X @ w + noise * rng.standard_normal(n), sizes=(d, 1))


def test_meta_model_is_near_exact_on_a_linear_family():
    rng = np.random.default_rng(0)
    train = [_linear_task(rng) for _ in range(60)]

    def lstsq(t):
        A = np.hstack([t.X, np.ones((t.n_samples, 1))])
        return np.linalg.lstsq(A, t.y, rcond=None)[0]

    meta = MetaModelPredictor().fit(train, weights=[lstsq(t) for t in train])
    for t in (_linear_task(rng) for _ in range(10)):
        best, w = t.loss(lstsq(t)), meta.predict_weights(t)
        # Unseen tasks: within 5 % of the least-squares weights (measured: <= 3.3 %), and more
        # than 99 % of the loss reduction that is possible from w = 0 (measured: >= 99.88 %).
        assert np.linalg.norm(w - lstsq(t)) < 0.05 * np.linalg.norm(lstsq(t))
        assert t.loss(w) - best < 0.01 * (t.loss(np.zeros(5)) - best)
    with pytest.raises(RuntimeError, match="fit"):
        MetaModelPredictor().predict_weights(train[0])


def test_steepest_path_predictor_lands_on_the_seed_example():
    # Seed 001: E = (x - 2)^2 from x = -3 with equal steps h = 0.7: the run stops at 1.9 (the
    # step from there turns back at its midpoint 2.25 and rises); from 1.9 the parabola
    # through E(0), the slope and the midpoint loss is exact: the minimum.
    f = Quadratic(np.array([[2.0]]), c=np.array([2.0]))
    state, bf = _state(f, [-3.0])
    pred = SteepestPathPredictor(step=0.7)
    pred.reset(state)
    first = pred.predict(state)
    assert first[0] == pytest.approx(1.9, abs=1e-12)
    # Start 1, then 8 steps of 1.5 (7 down, the 8th rises), except that the rising point
    # (1.2, where the step turned back to) was evaluated before: its loss is free.
    assert bf.spent == 1 + 8 * 1.5 - 0.5
    state.move(first, *state.view.loss_and_grad(first))
    assert pred.predict(state)[0] == pytest.approx(2.0, abs=1e-12)


def test_quasi_newton_predicts_the_minimiser_of_a_quadratic():
    A = np.diag([1.0, 3.0, 10.0])
    f = Quadratic(A, c=np.array([1.0, -2.0, 0.5]))
    state, _ = _state(f, np.zeros(3))
    pred = QuasiNewtonPredictor(memory=10, first_step=0.05)
    pred.reset(state)
    errors = []
    for _ in range(12):   # followed blindly (unit steps), the predictions converge fast
        x = pred.predict(state)
        errors.append(np.linalg.norm(x - f.c))
        loss, g = state.view.loss_and_grad(x)
        state.move(x, loss, g)
    assert errors[-1] < 1e-8 * errors[0]
    assert len(pred.pairs) == 10                    # memory respected


def test_lookahead_bb_step_is_exact_in_one_dimension():
    f = Quadratic(np.array([[4.0]]))
    state, _ = _state(f, [1.0])
    pred = LookaheadPredictor(step=0.1, min_step=0.0)
    pred.reset(state)
    x = pred.predict(state)                      # 1 - 0.1 * 4 = 0.6
    state.move(x, *state.view.loss_and_grad(x))
    assert pred.predict(state)[0] == pytest.approx(0.0, abs=1e-14)   # BB: 1/a


def test_reference_predictor_formula():
    f = Quadratic(np.eye(3))
    state, _ = _state(f, [1.0, 2.0, 3.0], seed=5)
    pred = ReferencePredictor(gain=2.0, noise=0.3, y_std=0.5)
    pred.reset(state)
    xi = np.random.default_rng(5).standard_normal(3)
    assert np.allclose(pred.predict(state), state.x - 3.0 * state.x + 0.3 * xi)


# ----------------------------------------------------------------------------- path, criteria
def test_resting_action_accepts_a_cheap_descent_and_rejects_a_far_worse_point():
    f = Quadratic(np.eye(2))
    state, _ = _state(f, [1.0, 0.0], lam=1.0, T=1.0)    # L = 1/2, resting action 1/2
    crit = RestingActionCriterion()
    crit.reset(state)
    path = PathSolver("linear")
    near = path.solve(state, np.array([0.8, 0.0]))      # lower loss, short move
    far = path.solve(state, np.array([-3.0, 2.0]))      # higher loss, long move
    assert near.action == pytest.approx(0.02 + 0.5 * (0.5 + 0.32))
    assert crit.accept(state, near)
    assert not crit.accept(state, far)
    # Lower loss but too far to be worth it: |Delta|^2 / (lam T^2) > L - L*.
    assert not crit.accept(state, path.solve(state, np.array([-0.9, 0.0])))
    assert crit.max_move(state) == np.inf              # Quadratic: no sign assumption
    # A fixed threshold decides by a number, not by whether the move pays: 0.43 > 0.4.
    assert ThresholdCriterion(0.4, rule="trapezoid").accept(state, near) is False


def test_path_solver_charges_every_evaluation_and_the_path_dips():
    f = Quadratic(np.eye(2))
    spy = Spy(f)
    state, bf = _state(spy, [-1.0, 1.0], lam=50.0)
    spent0 = bf.spent
    line = PathSolver("linear", n_nodes=3).solve(state, np.array([1.0, 1.0]))
    assert bf.spent - spent0 == 1.0                    # two new nodes, loss only
    direct = PathSolver("direct", n_nodes=5, maxiter=50, newton_tol=1e-8).solve(
        state, np.array([1.0, 1.0]))
    assert bf.spent == pytest.approx(spy.charged)      # the solver's evaluations included
    # The least-action path dips into low loss: its interior nodes beat the straight line.
    assert direct.losses[2] < line.losses[1]
    assert direct.action < PathSolver("linear", n_nodes=5).solve(
        state, np.array([1.0, 1.0])).action
    assert LeastLossUpdate().step(state, direct)[1] == direct.losses[1:].min()


def test_fraction_update_and_non_finite_prediction():
    f = Quadratic(np.eye(2))
    state, _ = _state(f, [1.0, 1.0])
    path = PathSolver("linear", n_nodes=3).solve(state, np.array([-1.0, -1.0]))
    x, loss, _ = FractionUpdate(0.5).step(state, path)
    assert np.allclose(x, 0.0) and loss == 0.0
    bad = PathSolver("linear").solve(state, np.array([np.nan, 0.0]))
    assert not bad.success and not RestingActionCriterion().accept(state, bad)


# ----------------------------------------------------------------------------- explorers
def test_km_iteration_converges_on_a_contraction_and_validates_alpha():
    rng = np.random.default_rng(3)
    M = rng.standard_normal((4, 4))
    A = 0.9 * M / np.linalg.norm(M, 2)                 # contraction, |A| = 0.9
    b = rng.standard_normal(4)
    fixed = np.linalg.solve(np.eye(4) - A, b)
    for alpha, decay in ((0.5, 0.0), (0.9, 0.0), (0.9, 0.5)):
        x, nit, res = krasnoselskii_mann(lambda x: A @ x + b, np.zeros(4), alpha=alpha,
                                         decay=decay, maxiter=20000, tol=1e-12)
        assert np.allclose(x, fixed, atol=1e-9), (alpha, decay)
    # The slowest admissible schedule, a_k = a / (k + 1) (sum a_k (1 - a_k) diverges only
    # logarithmically): still converging, the error shrinks like k^(-a (1 - |A|)).
    x, _, _ = krasnoselskii_mann(lambda x: A @ x + b, np.zeros(4), alpha=0.5, decay=1.0,
                                 maxiter=20000, tol=0.0)
    assert np.linalg.norm(x - fixed) < 0.7 * np.linalg.norm(fixed)
    for alpha, decay in ((1.0, 0.0), (0.0, 0.0), (0.5, 1.5)):
        with pytest.raises(ValueError):
            krasnoselskii_mann(np.cos, [1.0], alpha=alpha, decay=decay)
    with pytest.raises(ValueError, match="decay"):
        KrasnoselskiiMannExplorer(decay=2.0)


def test_explorers_on_a_rejected_prediction(net):
    f, theta0 = net
    for explorer in (RandomExplorer(), PathBacktrackExplorer(), KrasnoselskiiMannExplorer(),
                     MultiStartExplorer()):
        state, bf = _state(f, theta0, lam=1e4)
        stages = type("S", (), {"path": PathSolver("linear"),
                                "criterion": RestingActionCriterion()})()
        stages.criterion.reset(state)
        explorer.reset(state)
        far = stages.path.solve(state, theta0 - 50.0 * state.grad)   # overshoots
        assert not stages.criterion.accept(state, far)
        out = explorer.explore(state, far, stages)
        j = out.best_node(first=1)
        if isinstance(explorer, RandomExplorer):
            continue           # the reference keeps the least-action candidate, whatever it is
        assert out.losses[j] < state.loss, type(explorer).__name__


# ----------------------------------------------------------------------------- the loop
@pytest.mark.parametrize("preset", ["default", "reference", "direct", "km", "multistart",
                                    "steepest", "closed_form", "lookahead", "smoothstep"])
def test_budget_is_never_exceeded(net, preset):
    f, theta0 = net
    # The closed form computes its forward pass in numpy (charged as a loss evaluation), so
    # it needs the MLPObjective itself, which the spy cannot see.
    spy = f if preset == "closed_form" else Spy(f)
    for budget in (7.5, 60):
        if spy is not f:
            spy.charged = 0.0
        res = minimize(spy, theta0, method="laml", preset=preset, max_grad_evals=budget,
                       seed=0)
        assert res.n_grad <= budget
        if spy is not f:
            # Nothing evaluated off the books (the final `fun`, 1/2, is outside the budget).
            assert spy.charged == pytest.approx(res.n_grad + 0.5)
        assert np.all(np.diff(res.history["n_grad"]) >= 0)
        assert len(res.history["accepted"]) == len(res.history["loss"])


def test_same_seed_same_result(net):
    f, theta0 = net
    for preset in ("default", "km", "reference"):
        a = minimize(f, theta0, method="laml", preset=preset, max_grad_evals=150, seed=7)
        b = minimize(f, theta0, method="laml", preset=preset, max_grad_evals=150, seed=7)
        assert np.array_equal(a.x, b.x) and np.array_equal(a.history["loss"],
                                                           b.history["loss"])


def test_stage_objects_are_reusable(net):
    f, theta0 = net
    pred = QuasiNewtonPredictor()
    a = minimize(f, theta0, method="laml", predictor=pred, max_grad_evals=80, seed=0)
    b = minimize(f, theta0, method="laml", predictor=pred, max_grad_evals=80, seed=0)
    assert np.array_equal(a.x, b.x)


def test_default_beats_gradient_descent_and_converges_on_a_quadratic(net):
    f, theta0 = net
    for budget in (100, 400):
        laml_res = minimize(f, theta0, method="laml", max_grad_evals=budget, seed=0)
        gd_res = minimize(f, theta0, method="gd", lr=0.1, max_grad_evals=budget)
        assert laml_res.fun < gd_res.fun
        assert 0 < laml_res.accept_rate <= 1
    q = Quadratic(np.diag([1.0, 10.0, 100.0]), c=np.array([1.0, 2.0, 3.0]))
    # Seeded: the restarts draw their starts from the run's generator (with seed=None the
    # outcome varied between runs; 2 of 40 seeds missed the budget of 200 with the first
    # default, 1 of 40 with the current one).
    res = minimize(q, np.zeros(3), method="laml", max_grad_evals=300, seed=0)
    assert res.status == Status.SUCCESS and np.allclose(res.x, q.c, atol=1e-6)


def test_options_and_plain_callables():
    f = CallableObjective(lambda th: float(np.sum((th - 1.0) ** 2)),
                          grad=lambda th: 2 * (th - 1.0), n_params=2)
    res = minimize(f, [3.0, -1.0], method="laml", path="smoothstep", lam=10.0,
                   confidence=TrustConfidence(), max_grad_evals=200, seed=0)
    assert res.fun < 1e-10
    with pytest.raises(TypeError, match="lam"):
        PathSolver("direct", lam=2.0)
    with pytest.raises(ValueError, match="shrink"):
        PathBacktrackExplorer(shrink=1.5)


# ----------------------------------------------------------------------------- true paths
def test_every_default_run_solves_euler_lagrange_paths(net):
    f, theta0 = net
    for budget in (50, 300):
        res = minimize(f, theta0, method="laml", max_grad_evals=budget, seed=1)
        assert res.n_path_solves > 0 and res.path_solves["model"] > 0
        assert res.n_path_solves == res.path_solves["model"] + res.path_solves["direct"]
        assert res.n_grad <= budget


def test_model_path_stage_returns_the_model_curve_with_its_exact_kinetic_energy():
    A = np.diag([1.0, 20.0, 300.0])
    f = Quadratic(A, c=np.array([1.0, -1.0, 0.5]))
    x = np.zeros(3)
    state, _ = _state(f, x, lam=2.0, T=1.5)
    stage = ModelPathSolver()
    # Without a model from the predictor: B = I / fallback_step.
    path = stage.solve(state, x - 0.1 * state.grad)
    assert path.method == "model" and state.path_solves["model"] == 1
    curve = path.info["curve"]
    np.testing.assert_allclose(curve(np.array([0.0, 1.5])), path.theta, atol=1e-12)
    t = np.linspace(0, 1.5, 20001)
    v = np.gradient(curve(t), t, axis=1)
    kin = 0.5 * np.trapezoid(np.sum(v * v, axis=0), t)
    assert path.kinetic == pytest.approx(kin, rel=1e-5)
    assert path.losses[-1] == pytest.approx(f.loss(path.end))


def test_refine_solves_the_actual_euler_lagrange_problem_and_counts_it(net):
    f, theta0 = net
    state, _ = _state(f, theta0, lam=1.0, T=1.0)
    stage = ModelPathSolver()
    path = stage.solve(state, theta0 - 0.5 * state.grad)
    spent = state.view.budget.spent
    solved = stage.refine(state, path)
    assert solved.method == "direct" and solved.k == stage.refine_nodes
    assert state.path_solves["direct"] == 1
    assert state.path_solves["direct_cost"] == pytest.approx(state.view.budget.spent - spent)
    assert state.path_solves["direct_cost"] > 0
    assert np.all(np.isfinite(solved.losses))


def test_stall_restart_leaves_a_poor_basin_and_returns_the_best_point():
    # A tilted double well: from x0 = 1 a local method settles in the poorer well at +1.
    def loss(x):
        return float((x[0] ** 2 - 1.0) ** 2 + 0.3 * x[0] + 0.5 * x[1] ** 2)

    def grad(x):
        return np.array([4.0 * x[0] * (x[0] ** 2 - 1.0) + 0.3, x[1]])

    f = CallableObjective(loss, 2, grad=grad)
    x0 = np.array([1.0, 0.5])
    plain = minimize(f, x0, method="laml", preset="no_restart", max_grad_evals=400, seed=3)
    hop = minimize(f, x0, method="laml", max_grad_evals=400, seed=3,
                   restart=StallRestart(scale=1.5))
    assert plain.x[0] > 0 and hop.x[0] < 0 and hop.fun < plain.fun
    assert hop.n_restarts >= 1 and hop.n_grad <= 400
    assert hop.fun == pytest.approx(min(hop.history["loss"]))


def test_stall_restart_stops_on_a_convex_loss():
    q = Quadratic(np.diag([1.0, 10.0]), c=np.array([1.0, 2.0]))
    res = minimize(q, np.zeros(2), method="laml", max_grad_evals=2000, seed=0)
    assert res.status == Status.SUCCESS and "restart" in res.message
    assert res.n_grad < 2000 and np.allclose(res.x, q.c, atol=1e-6)


def test_a_hedge_start_returns_to_the_initial_point_for_free():
    q = Quadratic(np.diag([1.0, 10.0]), c=np.array([1.0, 2.0]))
    x0 = np.array([3.0, -1.0])
    state, bf = _state(q, x0)
    r = StallRestart(hedge_memory=3)
    r.reset(state)
    state.move(np.array([1.5, 1.5]), q.loss(np.array([1.5, 1.5])))
    r.observe(state)
    spent = bf.spent
    x, loss, g = r.restart(state, hedge=True)
    assert np.array_equal(x, x0) and x is not state.x and bf.spent == spent   # paid at start
    assert loss == q.loss(x0) and np.array_equal(g, q.grad(x0)) and r.hedged
    x2, _, _ = r.restart(state)          # a later restart perturbs the best point, paid for
    assert bf.spent > spent and not np.array_equal(x2, x0) and r.n_restarts == 2
    with pytest.raises(ValueError, match="hedge_memory"):
        StallRestart(hedge_memory=0)
    with pytest.raises(ValueError, match="hedge_first_step"):
        StallRestart(hedge_memory=3, hedge_first_step=-1.0)


def test_after_a_hedge_start_the_bfgs_predictor_keeps_a_short_lbfgs_memory():
    from lagopt.optim.laml import BFGSPredictor

    q = Quadratic(np.diag(np.arange(1.0, 7.0)))
    state, _ = _state(q, np.ones(6))
    p = BFGSPredictor(memory=10)
    p.reset(state)
    assert not p.limited(state)
    state.lbfgs_memory, state.first_step = 2, 0.01
    p.reset(state)
    assert p.limited(state)
    x0, g0 = state.x, state.grad
    x_star = p.predict(state)                # no pair yet: the hedge's first gradient step
    assert np.allclose(x_star, x0 - 0.01 * g0)
    for _ in range(5):
        state.move(x_star, q.loss(x_star), q.grad(x_star))
        x_star = p.predict(state)
    assert p.H is None and len(p.pairs) == 2 and p._ring.arrays()[4] == 2


def test_the_default_hedge_start_runs_a_second_trajectory_from_the_start(net):
    f, theta0 = net
    res = minimize(f, theta0, method="laml", max_grad_evals=1500, seed=0,
                   restart=StallRestart(patience=3, rtol=1e-2, hedge_memory=5))
    hedge = np.flatnonzero(res.history["path_method"] == "hedge start")
    rows = np.flatnonzero(res.history["path_method"] == "restart")
    assert hedge.size == 1 and rows.size >= 1 and hedge[0] < rows[0] and res.n_grad <= 1500
    # the hedge start is the initial point again: its loss is the start's; a later restart
    # perturbs the best point
    assert res.history["loss"][hedge[0]] == res.history["loss"][0]
    assert res.history["loss"][rows[0]] != res.history["loss"][0]
    assert res.fun == pytest.approx(min(res.history["loss"]))


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_runs_within_its_budget(net, preset):
    f, theta0 = net
    res = minimize(f, theta0, method="laml", preset=preset, max_grad_evals=60, seed=0)
    assert res.n_grad <= 60 and np.isfinite(res.fun)
    assert res.fun <= f.loss(theta0) + 1e-12 or preset == "reference"
    assert res.n_path_solves >= 0 and len(res.history["action"]) == len(res.history["loss"])


def test_a_stop_after_fruitless_restarts_is_success_only_at_a_small_gradient():
    from lagopt.objectives import Rosenbrock

    # A restart that stalls on every slow stretch (rtol 0.9) stops long before a minimum.
    res = minimize(Rosenbrock(), [-1.5, 2.0], method="laml", max_grad_evals=3000, seed=0,
                   restart=StallRestart(patience=1, rtol=0.9, max_repeats=0))
    assert res.status == Status.NOT_CONVERGED and "gtol" in res.message
    assert res.n_restarts >= 1


def test_restart_false_switches_the_presets_restart_off(net):
    f, theta0 = net
    off = minimize(f, theta0, method="laml", restart=False, max_grad_evals=200, seed=0)
    ref = minimize(f, theta0, method="laml", preset="no_restart", max_grad_evals=200, seed=0)
    kept = minimize(f, theta0, method="laml", restart=None, max_grad_evals=200, seed=0)
    assert "n_restarts" not in off and "n_restarts" in kept
    assert np.array_equal(off.history["loss"], ref.history["loss"])
    with pytest.raises(TypeError, match="restart"):
        minimize(f, theta0, method="laml", restart=5, max_grad_evals=20)
