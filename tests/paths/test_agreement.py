"""Independent methods must agree on the same problem: collocation (solve_bvp), the direct
discretised action and multiple shooting, on the original LAML experiment's 4-6-1
network (37 parameters) with tanh instead of ReLU, so that the paths are smooth."""
import numpy as np
import pytest

from lagopt import MLPObjective, make_dataset, solve_action_path


@pytest.fixture(scope="module")
def seed_tanh_paths():
    X, y = make_dataset("nonlinear")
    f = MLPObjective(X, y, sizes=(4, 6, 1), activation="tanh")
    theta0 = f.init_params(42)
    # The original experiment's predicted end, theta - 2 (1 + std y) grad L + 0.3 xi.
    thetaT = theta0 - 2 * (1 + y.std()) * f.grad(theta0) \
        + 0.3 * np.random.default_rng(7).standard_normal(f.n_params)
    return {m: solve_action_path(f, theta0, thetaT, T=1.0, lam=1.0, method=m)
            for m in ("collocation", "direct", "multiple_shooting")}


def test_every_method_converges(seed_tanh_paths):
    for method, path in seed_tanh_paths.items():
        assert path.success, (method, path.message)
        assert path.method == method


@pytest.mark.parametrize("other", ["direct", "multiple_shooting"])
def test_actions_and_paths_agree_with_collocation(seed_tanh_paths, other):
    ref, path = seed_tanh_paths["collocation"], seed_tanh_paths[other]
    assert path.action == pytest.approx(ref.action, rel=1e-5)
    t = np.linspace(0.0, 1.0, 21)
    scale = np.abs(ref.path(1.0) - ref.path(0.0)).max()
    assert np.abs(path.path(t) - ref.path(t)).max() < 1e-4 * scale
    assert np.abs(path.velocity(t) - ref.velocity(t)).max() < 1e-3 * scale


def test_true_path_beats_both_interpolants(seed_tanh_paths):
    ref = seed_tanh_paths["collocation"]
    # The interpolants are measured by the same quadrature as the solved path.
    X, y = make_dataset("nonlinear")
    obj = MLPObjective(X, y, sizes=(4, 6, 1), activation="tanh")
    a, b = ref.path(0.0), ref.path(1.0)
    line = solve_action_path(obj, a, b, method="linear")
    smooth = solve_action_path(obj, a, b, method="smoothstep")
    assert ref.action < line.action < smooth.action
    # Smoothstep's speed profile 6 s (1 - s) costs exactly 20 % more kinetic energy.
    assert smooth.kinetic == pytest.approx(1.2 * line.kinetic, rel=1e-10)
