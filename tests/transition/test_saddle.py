"""Refinement of minima and saddles and their Hessian-index certificates."""
import numpy as np
import pytest

from lagopt import Status
from lagopt.objectives import CallableObjective, MullerBrown
from lagopt.transition import CriticalPoint, hessian_index, refine_minimum, refine_saddle

S1 = np.array([-0.8220015587, 0.6243128028])
S2 = np.array([0.2124865820, 0.2929883251])
A = np.array([-0.5582236, 1.4417258])
C = np.array([-0.0500108, 0.4666941])


@pytest.fixture(scope="module")
def mb():
    return MullerBrown()


def test_package_mueller_brown_is_the_standard_one(mb):
    assert mb.loss(S1) == pytest.approx(-40.66484351, abs=1e-8)
    assert mb.loss(S2) == pytest.approx(-72.24894011, abs=1e-8)
    np.testing.assert_allclose(mb.saddles, [S1, S2], atol=1e-9)


@pytest.mark.parametrize("dense_max", [200, 0])
@pytest.mark.parametrize("x0, ref", [([-0.75, 0.7], S1), ([0.15, 0.35], S2)])
def test_refine_saddle_converges_and_certifies(mb, x0, ref, dense_max):
    sp = refine_saddle(mb, x0, dense_max=dense_max)
    assert isinstance(sp, CriticalPoint)
    assert sp.certified and sp.kind == "saddle" and sp.index == 1
    np.testing.assert_allclose(sp.x, ref, atol=1e-8)
    assert sp.grad_norm <= 1e-8
    assert sp.eigenvalues[0] < 0 < sp.eigenvalues[1]
    assert sp.n_grad < 80


def test_saddle_search_from_a_minimum_basin_follows_the_given_direction(mb):
    # Start in C's basin, push along the valley toward S2: the followed mode leads uphill.
    sp = refine_saddle(mb, C + 0.05 * (S2 - C), direction=S2 - C)
    assert sp.certified
    np.testing.assert_allclose(sp.x, S2, atol=1e-8)


@pytest.mark.parametrize("dense_max", [200, 0])
def test_refine_minimum(mb, dense_max):
    m = refine_minimum(mb, [-0.1, 0.55], dense_max=dense_max)
    assert m.certified and m.index == 0 and m.kind == "minimum"
    np.testing.assert_allclose(m.x, C, atol=1e-6)
    assert np.all(m.eigenvalues > 0)


def test_hessian_index_dense_and_lanczos_agree(mb):
    for x, want in [(S1, 1), (S2, 1), (A, 0), (C, 0)]:
        dense, lanczos = hessian_index(mb, x), hessian_index(mb, x, dense_max=0, seed=1)
        assert dense == want and lanczos == want
        assert dense.method == "dense" and lanczos.method == "lanczos"
        np.testing.assert_allclose(lanczos.eigenvalues, dense.eigenvalues, rtol=1e-6)
        assert not dense.degenerate and dense.complete


def test_degenerate_eigenvalue_is_not_certified():
    f = CallableObjective(lambda x: x[0] ** 4 + x[1] ** 2, 2,
                          grad=lambda x: np.array([4 * x[0] ** 3, 2 * x[1]]),
                          hess=lambda x: np.diag([12 * x[0] ** 2, 2.0]))
    idx = hessian_index(f, [0.0, 0.0])
    assert idx.degenerate
    m = refine_minimum(f, [0.0, 0.0])
    assert not m.certified and m.degenerate and "degenerate" in m.message


def test_a_minimum_is_not_a_certified_saddle(mb):
    sp = refine_saddle(mb, A, max_iter=0)
    assert not sp.certified and sp.index == 0 and "not 1" in sp.message


def test_non_finite_potential_gives_an_uncertified_point_not_an_exception():
    f = CallableObjective(lambda x: np.nan if x[0] > 0.05 else float(x @ x), 2,
                          grad=lambda x: np.full(2, np.nan) if x[0] > 0.05 else 2 * x)
    sp = refine_saddle(f, [0.1, 0.0])
    assert not sp.certified and "NON_FINITE" in sp.message


def test_budget_is_respected(mb):
    sp = refine_saddle(mb, [-0.6, 0.9], max_grad_evals=5)
    assert not sp.certified and sp.n_grad <= 5 and "BUDGET" in sp.message
    assert Status.BUDGET_EXHAUSTED.name in sp.message
