"""``GradientSquared``: U = 1/2 |grad V|^2, its derivatives against finite differences, and
the two identities that tie its least-action paths to the potential (Freidlin-Wentzell for
every path; Jacobi-Maupertuis in the limit T -> infinity, the time-free solver's answer)."""
import numpy as np
import pytest

import lagopt
from lagopt.objectives import CallableObjective, GradientSquared, MullerBrown


def _double_well():
    """V = (x^2 - 1)^2 + y^2 (+ a coupling): minima (+-1, 0) at V = 0, saddle (0, 0), V = 1."""
    def loss(th):
        return (th[0] ** 2 - 1.0) ** 2 + th[1] ** 2 + 0.3 * th[0] * th[1] ** 2

    def grad(th):
        return np.array([4.0 * th[0] * (th[0] ** 2 - 1.0) + 0.3 * th[1] ** 2,
                         2.0 * th[1] + 0.6 * th[0] * th[1]])

    def hess(th):
        return np.array([[12.0 * th[0] ** 2 - 4.0, 0.6 * th[1]],
                         [0.6 * th[1], 2.0 + 0.6 * th[0]]])
    return CallableObjective(loss, 2, grad=grad, hess=hess)


@pytest.mark.parametrize("V", [_double_well(), MullerBrown()], ids=["double_well", "mb"])
def test_gradient_and_batches_match_finite_differences(V):
    U = GradientSquared(V)
    rng = np.random.default_rng(0)
    P = np.array([[-0.5, 0.1], [0.3, 0.6], [0.2, -0.4]]).T + 0.05 * rng.standard_normal((2, 3))
    for j in range(P.shape[1]):
        x = P[:, j]
        g = V.grad(x)
        assert U.loss(x) == pytest.approx(0.5 * g @ g, rel=1e-14)
        fd = np.array([(U.loss(x + e) - U.loss(x - e)) / 2e-6 for e in 1e-6 * np.eye(2)])
        np.testing.assert_allclose(U.grad(x), fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())
        v = rng.standard_normal(2)
        fd_h = (U.grad(x + 1e-6 * v) - U.grad(x - 1e-6 * v)) / 2e-6
        np.testing.assert_allclose(U.hessp(x, v), fd_h, rtol=1e-5, atol=1e-5 * np.abs(fd_h).max())
        np.testing.assert_allclose(U.hess(x) @ v, fd_h, rtol=1e-5, atol=1e-5 * np.abs(fd_h).max())
    np.testing.assert_allclose(U.loss_batch(P), [U.loss(P[:, j]) for j in range(3)], rtol=1e-14)
    np.testing.assert_allclose(U.grad_batch(P), np.column_stack([U.grad(P[:, j])
                                                                 for j in range(3)]), rtol=1e-13)
    V2 = np.ones_like(P)
    np.testing.assert_allclose(U.hessp_batch(P, V2), np.column_stack(
        [U.hessp(P[:, j], V2[:, j]) for j in range(3)]), rtol=1e-6)


def test_zero_exactly_at_the_critical_points_of_v():
    U = GradientSquared(_double_well())
    for x in ([1.0, 0.0], [-1.0, 0.0], [0.0, 0.0]):
        assert U.loss(x) == 0.0 and np.all(U.grad(x) == 0.0)


def test_rejects_a_plain_callable():
    with pytest.raises(TypeError, match="Objective"):
        GradientSquared(lambda th: th @ th)


def _freidlin_wentzell(path, V, m=4001):
    """1/2 int |theta' + grad V|^2 dt by the trapezoid rule on the path's dense output."""
    t = np.linspace(0.0, path.T, m)
    theta, v = path.dense(t)
    G = V.grad_batch(np.ascontiguousarray(theta))
    f = 0.5 * np.sum((v + G) ** 2, axis=0)
    return float(np.sum(0.5 * (f[1:] + f[:-1]) * np.diff(t)))


def test_least_action_of_u_tends_to_the_barrier_and_matches_the_time_free_solver():
    # From the minimum A = (-1, 0) up to the saddle S = (0, 0): as T grows the action of U
    # falls towards V_S - V_A = 1 (Jacobi-Maupertuis at E = 0) and the Freidlin-Wentzell action
    # (which equals action + V(S) - V(A) on every path) towards the quasi-potential 2 (V_S - V_A),
    # which solve_mep computes without time.
    V = _double_well()
    U = GradientSquared(V)
    A, S = np.array([-1.0, 0.0]), np.array([0.0, 0.0])
    gaps = []
    for T in (0.5, 1.0, 2.0):
        path = lagopt.solve_action_path(U, A, S, T=T)
        assert path.success, path.message
        assert path.is_minimum
        gap = path.action - 1.0
        assert gap > 0.0                              # above its T -> infinity limit
        fw = _freidlin_wentzell(path, V)
        assert fw == pytest.approx(path.action + V.loss(S) - V.loss(A), rel=1e-5)
        gaps.append(gap)
    # The gap closes like exp(-omega T) (omega = 4 at the saddle): beyond T = 2 the path hugs
    # both critical points within rounding, the transition-path problem that solve_mep solves.
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-3
    mep = lagopt.solve_mep(V, A, np.array([1.0, 0.0]))
    assert mep.success, mep.message
    assert mep.quasi_potential == pytest.approx(2.0, rel=1e-8)
    assert len(mep.saddles) == 1 and np.allclose(mep.saddles[0].x, S, atol=1e-8)
