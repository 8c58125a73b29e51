"""The closed-form quadratic solution is the ground truth of every solver test, so it is checked
here against the mathematics it claims: boundary values, the ODE, the action integral, energy."""
import numpy as np
import pytest
from scipy.integrate import quad

from lagopt import Quadratic
from lagopt.paths import action
from lagopt.paths.exact import quadratic_solution


def _problem(seed, n=4, zero_mode=True):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    w, Q = np.linalg.eigh(M @ M.T)
    if zero_mode:
        w[0] = 0.0  # a flat direction: the straight-line branch of the formula
    A = Q @ np.diag(w) @ Q.T
    return A, rng.standard_normal(n), rng.standard_normal(n), rng.standard_normal(n)


@pytest.mark.parametrize("T, lam", [(1.0, 1.0), (2.0, 3.0), (5.0, 10.0), (0.1, 0.0)])
def test_boundary_values_ode_and_action(T, lam):
    A, c, a, b = _problem(0)
    sol = quadratic_solution(A, a, b, T=T, lam=lam, c=c)
    np.testing.assert_allclose(sol(0.0)[:, 0], a, atol=1e-12)
    np.testing.assert_allclose(sol(T)[:, 0], b, atol=1e-12)

    # theta'' = lam A (theta - c), by central differences of the returned path.
    h = 1e-4 * T
    for t in (0.2 * T, 0.5 * T, 0.9 * T):
        acc = (sol(t + h) - 2 * sol(t) + sol(t - h))[:, 0] / h**2
        rhs = lam * A @ (sol(t)[:, 0] - c)
        np.testing.assert_allclose(acc, rhs, atol=1e-5 * (1 + np.abs(rhs).max()))
        vel = (sol(t + h) - sol(t - h))[:, 0] / (2 * h)
        np.testing.assert_allclose(sol.velocity(t)[:, 0], vel, rtol=1e-5, atol=1e-7)

    kin = quad(lambda t: 0.5 * np.sum(sol.velocity(t) ** 2), 0, T, epsabs=1e-13, limit=200)[0]
    pot = quad(lambda t: lam * 0.5 * np.sum((sol(t)[:, 0] - c) * (A @ (sol(t)[:, 0] - c))),
               0, T, epsabs=1e-13, limit=200)[0]
    assert sol.kinetic == pytest.approx(kin, rel=1e-9, abs=1e-12)
    assert sol.potential == pytest.approx(pot, rel=1e-9, abs=1e-12)
    assert sol.action == pytest.approx(kin + pot, rel=1e-9)


def test_energy_is_constant():
    A, c, a, b = _problem(1)
    sol = quadratic_solution(A, a, b, T=3.0, lam=2.0, c=c)
    t = np.linspace(0, 3.0, 50)
    th, v = sol(t), sol.velocity(t)
    H = 0.5 * np.sum(v**2, axis=0) - 2.0 * 0.5 * np.einsum("it,ij,jt->t", th - c[:, None], A,
                                                           th - c[:, None])
    np.testing.assert_allclose(H, sol.energy, rtol=1e-10, atol=1e-10)


def test_stiff_modes_stay_finite_and_exact():
    # omega T = 1000: sinh overflows float64; the exponential forms must not.
    A = np.diag([1e6, 1.0])
    sol = quadratic_solution(A, [1.0, 1.0], [2.0, -1.0], T=1.0, lam=1.0)
    th = sol(np.linspace(0, 1, 101))
    assert np.all(np.isfinite(th)) and np.isfinite(sol.action)
    # Far from both ends the stiff mode has decayed to the minimum.
    assert abs(th[0, 50]) < 1e-100
    # Stiff mode action -> omega (u0^2 + uT^2) / 2 as omega T -> infinity.
    w = 1e3
    stiff = 0.5 * w * (1.0 + 4.0)
    soft = quadratic_solution(np.array([[1.0]]), [1.0], [-1.0], T=1.0).action
    assert sol.action == pytest.approx(stiff + soft, rel=1e-12)


def test_bad_arguments_are_named():
    A = np.eye(2)
    with pytest.raises(ValueError, match="`A`"):
        quadratic_solution(np.array([[1.0, 2.0], [0.0, 1.0]]), [0, 0], [1, 1])
    with pytest.raises(ValueError, match="conjugate point"):
        quadratic_solution(-np.eye(2), [0, 0], [1, 1], T=np.pi)
    with pytest.raises(ValueError, match="`thetaT`"):
        quadratic_solution(A, [0, 0], [1, 1, 1])
    with pytest.raises(ValueError, match="`T`"):
        quadratic_solution(A, [0, 0], [1, 1], T=0.0)
    with pytest.raises(ValueError, match="`lam`"):
        quadratic_solution(A, [0, 0], [1, 1], lam=-1.0)


@pytest.mark.parametrize("T", [0.7, 2.0, 3.0, 4.5, 8.0])
def test_indefinite_closed_form_solves_the_equation(T):
    # One negative and one positive mode, rotated: u'' = lam a u in the eigenbasis.
    Q = np.array([[np.cos(0.3), -np.sin(0.3)], [np.sin(0.3), np.cos(0.3)]])
    A = Q @ np.diag([-1.0, 2.0]) @ Q.T
    lam = 1.0
    sol = quadratic_solution(A, [1.0, -0.5], [0.2, 0.8], T=T, lam=lam)
    np.testing.assert_allclose(sol(0.0)[:, 0], [1.0, -0.5], atol=1e-12)
    np.testing.assert_allclose(sol(T)[:, 0], [0.2, 0.8], atol=1e-12)
    t, h = np.linspace(0.1 * T, 0.9 * T, 7), 1e-4 * T
    acc = (sol(t + h) - 2 * sol(t) + sol(t - h)) / h**2
    np.testing.assert_allclose(acc, lam * A @ sol(t), atol=1e-5 * max(1, np.abs(sol(t)).max()))
    vel = (sol(t + h) - sol(t - h)) / (2 * h)
    np.testing.assert_allclose(sol.velocity(t), vel, rtol=1e-6, atol=1e-8)
    # Action by an independent quadrature of the closed-form path; energy is conserved.
    f = Quadratic(A)
    assert action(f, sol, lam=lam, T=T) == pytest.approx(sol.action, rel=1e-9, abs=1e-9)
    v, x = sol.velocity(t), sol(t)
    H = 0.5 * np.sum(v * v, axis=0) - lam * 0.5 * np.einsum("it,ij,jt->t", x, A, x)
    np.testing.assert_allclose(H, sol.energy, rtol=1e-8, atol=1e-8)
    # No conjugate point before pi / sqrt(lam |a|) = pi.
    assert sol.is_minimum == (T < np.pi)
