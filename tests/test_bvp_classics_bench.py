"""The classic-BVP benchmark: its references, its one-definition problems (derivatives against
finite differences), its scipy alternative, and a one-problem run writing the markdown."""
import numpy as np
import pytest

from lagopt.benchmarks import SUITE
from lagopt.benchmarks import bvp_classics as bc


def test_in_the_suite_after_solver_speed():
    assert SUITE.index("bvp_classics") == SUITE.index("solver_speed") + 1


def test_bratu_closed_form_reproduces_the_quoted_digits():
    assert abs(bc.bratu_reference(1.0, "lower") - 0.549352728775) < 5e-13
    assert abs(bc.bratu_reference(1.0, "upper") - 10.846899019389) < 5e-12
    fold = bc.check_quoted_references()   # asserts the quoted digits itself
    lit, closed = fold[(3.5138, "lower")]
    assert abs(lit - closed) < 1e-8       # the literature's 8 decimals near the fold
    # Past the fold there is no solution.
    with pytest.raises(ValueError, match="fold"):
        bc.bratu_s(3.52, "lower")


@pytest.mark.parametrize("k,branch", [(1.0, "lower"), (1.0, "upper"), (3.5138, "upper")])
def test_bratu_closed_form_solves_the_problem(k, branch):
    path = bc.bratu_closed_form(k, branch)
    y, v = path(np.array([0.0, 1.0]))
    np.testing.assert_allclose(y, 0.0, atol=1e-13)
    assert v[0, 0] == pytest.approx(bc.bratu_reference(k, branch), rel=1e-14)
    t, h = np.linspace(0.1, 0.9, 9), 1e-4
    ypp = (path(t + h)[0] - 2 * path(t)[0] + path(t - h)[0]) / h ** 2
    np.testing.assert_allclose(ypp, -k * np.exp(path(t)[0]), rtol=1e-6)
    np.testing.assert_allclose((path(t + h)[0] - path(t - h)[0]) / (2 * h), path(t)[1],
                               rtol=1e-6)


@pytest.mark.parametrize("name", list(bc.PROBLEMS))
def test_vectorized_definitions_match_finite_differences(name):
    prob = bc.make_problem(name)
    n = prob.n
    rs = np.random.RandomState(1)
    s = np.array([0.25, 0.5, 0.75])
    P = prob.theta0[:, None] + np.outer(prob.thetaT - prob.theta0, s)
    P = P + 0.05 * rs.randn(*P.shape)
    f, G, H = prob.loss(P), prob.grad(P), prob.hess(P)
    assert f.shape == (3,) and G.shape == (n, 3) and H.shape == (n, n, 3)
    np.testing.assert_allclose(H, H.transpose(1, 0, 2), rtol=1e-12, atol=1e-12)
    h = 1e-6
    fd_g = np.empty_like(G)
    fd_h = np.empty_like(H)
    for i in range(n):
        E = np.zeros_like(P)
        E[i] = h
        fd_g[i] = (prob.loss(P + E) - prob.loss(P - E)) / (2 * h)
        fd_h[:, i] = (prob.grad(P + E) - prob.grad(P - E)) / (2 * h)
    np.testing.assert_allclose(fd_g, G, rtol=1e-6, atol=1e-7 * np.max(np.abs(G)))
    np.testing.assert_allclose(fd_h, H, rtol=1e-5, atol=1e-6 * np.max(np.abs(H)))
    # lagopt's objective is built from the same functions, one point or many.
    obj = prob.objective
    np.testing.assert_allclose(obj.grad_batch(P), G)
    np.testing.assert_allclose(obj.grad(P[:, 1]), G[:, 1])
    np.testing.assert_allclose(obj.hess_batch(P), H)


def test_scipy_alternative_solves_bratu_to_the_reference():
    prob = bc.make_problem("bratu_k1_lower")
    sol = bc.solve_scipy(prob)
    assert sol.status == 0
    assert abs(sol.y[1, 0] - 0.549352728775) < 1e-6
    np.testing.assert_allclose(sol.y[0, [0, -1]], 0.0, atol=1e-10)
    # The analytic fun_jac is the finite-difference Jacobian of fun.
    fun, _, fun_jac, _ = bc.scipy_problem(bc.make_problem("double_well"))
    y = np.array([[0.3, -0.2], [0.1, 0.4], [0.5, 0.0], [-1.0, 2.0]])
    J, h = fun_jac(None, y), 1e-6
    for i in range(4):
        e = np.zeros_like(y)
        e[i] = h
        np.testing.assert_allclose((fun(None, y + e) - fun(None, y - e)) / (2 * h), J[:, i],
                                   atol=1e-7)


def test_one_problem_run_writes_the_markdown(tmp_path):
    assert bc.main(["--quick", "--only", "bratu_k1_lower", "--out", str(tmp_path)]) == 0
    md = (tmp_path / "bvp_classics.md").read_text()
    assert "| bratu_k1_lower | tune | auto (default) | collocation | True |" in md
    assert "| bratu_k1_lower | tune | solve_bvp | scipy | True |" in md
    assert "not judged by a --quick run" in md and "judge" in md
    assert (tmp_path / "bvp_classics.png").stat().st_size > 0


def test_unknown_problem_is_a_usage_error(tmp_path):
    with pytest.raises(SystemExit) as exc:
        bc.main(["--only", "bratu_k9", "--out", str(tmp_path)])
    assert exc.value.code == 2


@pytest.mark.slow
def test_quick_run(tmp_path):
    assert bc.main(["--quick", "--out", str(tmp_path)]) == 0
    md = (tmp_path / "bvp_classics.md").read_text()
    for name in bc.QUICK:
        assert f"| {name} |" in md
    assert md.count("| solve_bvp |") == len(bc.QUICK)
    assert "## Summary" in md and "## References" in md
