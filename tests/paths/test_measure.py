"""The measurement routine: quadrature exactness, the smoothstep identity, the original
experiment's 10-point ``rule="seed"``, `action` on every kind of path, residual and energy
certificates, non-finite handling."""
import numpy as np
import pytest
from scipy.interpolate import CubicSpline

from lagopt import Status
from lagopt.paths import action, quadratic_solution, solve_action_path
from lagopt.paths._measure import el_residual, gauss_panels, measure
from lagopt.paths._problem import BVPProblem, RawSolution
from lagopt.paths._result import ActionPath, finalize

from ._solve_helpers import Kink, NaNBeyond, Quadratic, spread_matrix


def _setup(seed=0, n=4, lo=-3, hi=2):
    rng = np.random.default_rng(seed)
    A = spread_matrix(n, lo, hi, seed)
    c = rng.standard_normal(n)
    return A, c, rng.standard_normal(n), rng.standard_normal(n)


@pytest.mark.parametrize("T, lam", [(1.0, 1.0), (2.0, 0.3), (0.5, 10.0), (3.0, 0.0)])
def test_quadrature_exact_on_closed_form_path(T, lam):
    A, c, x0, xT = _setup()
    f = Quadratic(A, c)
    exact = quadratic_solution(A, x0, xT, T, lam, c)
    S, K, V = action(f, exact, lam=lam, T=T, return_parts=True)
    scale = abs(exact.action) + abs(exact.kinetic)
    assert abs(S - exact.action) < 1e-10 * scale
    assert abs(K - exact.kinetic) < 1e-10 * scale
    assert abs(V - exact.potential) < 1e-10 * scale


def test_energy_and_residual_certify_the_exact_path():
    A, c, x0, xT = _setup(1)
    lam, T = 2.0, 1.5
    f = Quadratic(A, c)
    exact = quadratic_solution(A, x0, xT, T, lam, c)
    t = np.linspace(0.0, T, 401)
    m = measure(f, lam, T, t, exact(t), exact.velocity(t),
                dense=lambda tq: (exact(tq), exact.velocity(tq)))
    assert m["finite"]
    assert abs(m["action"] - exact.action) < 1e-10 * abs(exact.action)
    assert m["energy_drift"] < 1e-10 * (abs(exact.energy) + 1.0)
    assert abs(m["energy_mean"] - exact.energy) < 1e-10 * (abs(exact.energy) + 1.0)
    # Hermite residual of exact samples is O(h^3): small, and it shrinks with the mesh.
    coarse = measure(f, lam, T, t[::8], exact(t[::8]), exact.velocity(t[::8]))
    assert m["residual"] < 1e-3
    assert coarse["residual"] > 50 * m["residual"]


def test_straight_line_residual_shows_it_is_not_a_solution():
    A, c, x0, xT = _setup(2)
    f = Quadratic(A, c)
    line = solve_action_path(f, x0, xT, method="linear")
    g = np.abs(f.grad_batch(line.theta)).max()
    assert line.info["residual_abs"] > 0.1 * g
    # The certified residual is the relative one: of order g / (1 + g), far above the gate.
    assert line.residual == line.info["residual_rel"] > 0.1 * g / (1 + g) > 1e-3
    assert line.energy_drift > 0


@pytest.mark.parametrize("objective", [Kink(3), Quadratic(np.diag([1.0, 50.0, 0.0]))])
@pytest.mark.parametrize("T", [0.7, 2.0])
def test_smoothstep_kinetic_is_1_2_times_line_for_any_loss(objective, T):
    x0, xT = np.array([-1.0, 0.5, 2.0]), np.array([1.0, -0.2, 0.3])
    line = solve_action_path(objective, x0, xT, T=T, method="linear")
    smooth = solve_action_path(objective, x0, xT, T=T, method="smoothstep")
    D = xT - x0
    assert line.kinetic == pytest.approx(D @ D / (2 * T), rel=1e-14)
    assert smooth.kinetic == pytest.approx(1.2 * D @ D / (2 * T), rel=1e-14)
    assert smooth.kinetic / line.kinetic == pytest.approx(1.2, rel=1e-14)


def test_seed_rule_matches_hand_computation():
    A, c, x0, xT = _setup(3)
    f = Quadratic(A, c)
    lam = 0.7
    P = np.random.default_rng(3).standard_normal((4, 10))
    hand = sum(0.5 * np.sum((P[:, i + 1] - P[:, i]) ** 2) + lam * f.loss(P[:, i])
               for i in range(9)) / 10
    assert action(f, P, lam=lam, rule="seed") == pytest.approx(hand, rel=1e-14)
    S, K, V = action(f, P, lam=lam, rule="seed", return_parts=True)
    assert S == pytest.approx(K + V, rel=1e-15)


def test_seed_rule_on_smoothstep_path_samples_ten_points():
    A, c, x0, xT = _setup(4)
    f = Quadratic(A, c)
    path = solve_action_path(f, x0, xT, T=2.0, method="smoothstep")
    s = np.arange(10) / 9
    pts = x0[:, None] + np.outer(xT - x0, 3 * s**2 - 2 * s**3)
    hand = sum(0.5 * np.sum((pts[:, i + 1] - pts[:, i]) ** 2) + f.loss(pts[:, i])
               for i in range(9)) / 10
    assert action(f, path, rule="seed") == pytest.approx(hand, rel=1e-13)
    # a callable gives the same
    assert action(f, path.path, T=2.0, rule="seed") == pytest.approx(hand, rel=1e-13)


def test_action_of_points_is_piecewise_linear_and_exact_for_quadratics():
    A, c, x0, xT = _setup(5)
    f = Quadratic(A, c)
    lam, T = 1.3, 2.0
    P = np.random.default_rng(5).standard_normal((4, 7))
    h = T / 6
    K = sum(0.5 * np.sum((P[:, i + 1] - P[:, i]) ** 2) / h for i in range(6))
    # L is quadratic along each straight segment: int_0^1 L(a + s(b-a)) ds in closed form.
    V = 0.0
    for i in range(6):
        a, b = P[:, i] - c, P[:, i + 1] - c
        V += lam * h * (a @ A @ a + a @ A @ b + b @ A @ b) / 6
    S, K2, V2 = action(f, P, lam=lam, T=T, return_parts=True)
    assert K2 == pytest.approx(K, rel=1e-13)
    assert V2 == pytest.approx(V, rel=1e-12)
    assert S == pytest.approx(K + V, rel=1e-12)


def test_action_of_callables_velocity_derivative_and_finite_differences_agree():
    A, c, x0, xT = _setup(6)
    f = Quadratic(A, c)
    lam, T = 1.0, 1.5
    exact = quadratic_solution(A, x0, xT, T, lam, c)
    ref = exact.action
    plain = lambda t: exact(t)  # noqa: E731 - no .velocity: finite differences
    assert action(f, plain, lam=lam, T=T) == pytest.approx(ref, rel=1e-9)

    def scalar_only(t):  # not vectorised: called once per time
        return exact(np.array([t]))[:, 0]

    assert action(f, scalar_only, lam=lam, T=T, min_panels=20) == pytest.approx(ref, rel=1e-8)
    t = np.linspace(0, T, 201)
    spline = CubicSpline(t, exact(t), axis=1)  # has .derivative()
    assert action(f, spline, lam=lam, T=T) == pytest.approx(ref, rel=1e-8)


def test_action_of_action_path_uses_its_own_lambda_and_T():
    A, c, x0, xT = _setup(7)
    f = Quadratic(A, c)
    path = solve_action_path(f, x0, xT, T=2.0, lam=0.5, method="smoothstep")
    assert action(f, path) == pytest.approx(path.action, rel=1e-14)
    assert action(f, path, lam=0.0) == pytest.approx(path.kinetic, rel=1e-14)
    with pytest.raises(ValueError, match="`T`"):
        action(f, path, T=1.0)


def test_action_validation_names_the_argument():
    f = Quadratic(np.eye(2))
    with pytest.raises(ValueError, match="`rule`"):
        action(f, np.zeros((2, 3)), rule="simpson")
    with pytest.raises(ValueError, match="`T`"):
        action(f, lambda t: np.zeros((2, np.size(t))))
    with pytest.raises(ValueError, match="`path`"):
        action(f, np.zeros((3, 4)))
    with pytest.raises(ValueError, match="`lam`"):
        action(f, np.zeros((2, 4)), lam=-1.0)


def test_gauss_panels_refine_the_mesh():
    t = np.array([0.0, 0.1, 0.15, 1.0])
    tq, wq = gauss_panels(t, 1.0, min_panels=200)
    assert wq.sum() == pytest.approx(1.0, rel=1e-14)
    assert tq.size >= 5 * 200 and np.all(np.diff(tq) > 0)
    # every panel lies inside one mesh interval: integrates a piecewise cubic exactly
    pp = CubicSpline(t, [0.0, 1.0, -1.0, 2.0])
    assert wq @ pp(tq) ** 2 == pytest.approx(_exact_square_integral(pp, t), rel=1e-13)


def _exact_square_integral(pp, t):
    total = 0.0
    for i, h in enumerate(np.diff(t)):  # pp is cubic on each interval: square it exactly
        q = np.poly1d(pp.c[:, i]) ** 2
        total += q.integ()(h)
    return total


def test_non_finite_measurement_is_a_failure_with_status_3():
    f = NaNBeyond(2)
    x0, xT = np.array([0.0, 0.0]), np.array([1.0, 1.0])
    path = solve_action_path(f, x0, xT, method="smoothstep")
    assert not path.success and path.status == Status.NON_FINITE
    problem = BVPProblem(Quadratic(np.eye(2)), x0, xT, 1.0, 1.0)
    t = np.linspace(0, 1, 5)
    theta = problem.straight_line(t)
    theta[0, 2] = np.nan
    raw = RawSolution(t=t, theta=theta, theta_dot=np.ones_like(theta), success=True, status=0,
                      message="claims success")
    out = finalize(problem, raw, "test")
    assert not out.success and out.status == Status.NON_FINITE and np.isnan(out.action)


def test_el_residual_matches_solve_bvp_spline_definition():
    # For the straight line in a quadratic bowl every quantity is a low-degree polynomial, so
    # the midpoint residual can be written down: r_v = -(g0 + g1)/4 - lam g(mid) per interval.
    A = np.diag([1.0, 3.0])
    f = Quadratic(A)
    lam = 2.0
    t = np.array([0.0, 1.0])
    theta = np.array([[1.0, 0.0], [0.0, 1.0]])
    v = np.repeat((theta[:, 1] - theta[:, 0])[:, None], 2, axis=1)
    res, rel, per = el_residual(f, lam, t, theta, v)
    g0, g1 = A @ theta[:, 0], A @ theta[:, 1]
    s = np.array([0.5 - 0.5 * np.sqrt(3 / 7), 0.5, 0.5 + 0.5 * np.sqrt(3 / 7)])
    expected = 0.0
    for si in s:
        # v-part of the Hermite spline with slopes lam g: v + lam(g0 h10 + g1 h11), derivative
        dv = lam * (g0 * (3 * si**2 - 4 * si + 1) + g1 * (3 * si**2 - 2 * si))
        vS = v[:, 0] + lam * (g0 * (si**3 - 2 * si**2 + si) + g1 * (si**3 - si**2))
        th = theta[:, 0] + si * (theta[:, 1] - theta[:, 0])
        expected = max(expected, np.abs(dv - lam * A @ th).max(), np.abs(v[:, 0] - vS).max())
    assert res == pytest.approx(expected, rel=1e-12)
    assert per.shape == (1,)


def test_action_path_dense_output_shapes_and_repr():
    f = Quadratic(np.eye(3))
    path = solve_action_path(f, np.zeros(3), np.ones(3), T=2.0, method="smoothstep")
    assert isinstance(path, ActionPath)
    assert path(0.5).shape == (3,)
    assert path.path(np.array([0.0, 1.0, 2.0])).shape == (3, 3)
    np.testing.assert_allclose(path(2.0), np.ones(3), atol=1e-15)
    np.testing.assert_allclose(path.velocity(1.0), 6 * 0.25 / 2.0 * np.ones(3), rtol=1e-14)
    text = repr(path)
    for word in ("success", "status", "action", "residual", "energy_drift", "method"):
        assert word in text
    assert path["action"] == path.action


def test_action_accepts_a_plain_callable_loss():
    P = np.array([[0.0, 1.0, 2.0], [0.0, 0.0, 0.0]])
    S = action(lambda x: 0.5 * x @ x, P, lam=1.0, T=2.0)
    # kinetic: 2 segments of length 1 over h = 1; potential: int_0^2 t^2/2 dt = 4/3
    assert S == pytest.approx(1.0 + 4.0 / 3.0, rel=1e-12)


def test_high_order_velocities_converge_at_sixth_order():
    from lagopt.paths._measure import (velocities_from_accelerations,
                                       velocities_from_accelerations_high_order)

    errs, errs4 = [], []
    for N in (8, 16, 32):
        t = np.linspace(0.0, 1.0, N + 1)
        h = t[1]
        theta = np.vstack([np.sinh(6 * t), np.cos(3 * t)])
        acc = np.vstack([36 * np.sinh(6 * t), -9 * np.cos(3 * t)])
        exact = np.vstack([6 * np.cosh(6 * t), -3 * np.sin(3 * t)])
        errs.append(np.abs(velocities_from_accelerations_high_order(h, theta, acc) - exact).max())
        errs4.append(np.abs(velocities_from_accelerations(h, theta, acc) - exact).max())
    orders = np.log2(np.array(errs[:-1]) / errs[1:])
    assert np.all(orders > 5.5), orders
    assert errs[1] < 0.05 * errs4[1]


def test_chunked_residual_equals_the_unchunked_one(monkeypatch):
    from lagopt.objectives import Quadratic
    from lagopt.paths import _measure

    rs = np.random.RandomState(0)
    A = np.diag([1.0, 4.0, 9.0])
    t = np.linspace(0.0, 1.0, 41)
    theta = rs.randn(3, 41)
    v = rs.randn(3, 41)
    whole = _measure.el_residual(Quadratic(A), 1.0, t, theta, v)
    monkeypatch.setattr(_measure, "_RESIDUAL_CHUNK_FLOATS", 6 * 3 * 7)  # 7 intervals a chunk
    parts = _measure.el_residual(Quadratic(A), 1.0, t, theta, v)
    assert parts[0] == whole[0] and parts[1] == whole[1]
    np.testing.assert_array_equal(parts[2], whole[2])


def test_quintic_dense_is_scipys_piecewise_quintic_hermite():
    # The vectorised quintic Hermite against scipy's BPoly.from_derivatives on a random mesh,
    # inside and (extended end pieces) just outside.
    from scipy.interpolate import BPoly
    from lagopt.paths._measure import quintic_dense
    rng = np.random.default_rng(0)
    t = np.sort(np.concatenate(([0.0, 2.0], rng.uniform(0.0, 2.0, 9))))
    theta, v, a = (rng.standard_normal((3, t.size)) for _ in range(3))
    poly = BPoly.from_derivatives(t, np.stack([theta.T, v.T, a.T], axis=1))
    tq = np.linspace(-0.05, 2.05, 301)
    x, dx = quintic_dense(t, theta, v, a)(tq)
    np.testing.assert_allclose(x, poly(tq).T, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dx, poly.derivative()(tq).T, rtol=1e-9, atol=1e-9)
