r"""The squared gradient of a potential, ``U = 1/2 |grad V|^2``: least action at large ``T``
finds minimum energy paths.

With ``L = U`` and ``lam = 1`` the action of a path is
``S = int (1/2 |theta'|^2 + 1/2 |grad V|^2) dt``, and two identities tie it to the potential:

* Freidlin-Wentzell: ``1/2 int |theta' + grad V|^2 dt = S + V(theta(T)) - V(theta(0))`` for
  every path (expand the square: ``theta' . grad V = dV/dt``). The left side is the action of
  the gradient-flow noise; over the uphill path from a minimum ``A`` to a saddle ``S`` it tends
  to the quasi-potential ``2 (V_S - V_A)`` as ``T -> infinity``.
* Jacobi-Maupertuis: at energy ``E = 0`` the least action over all ``T`` equals the geodesic
  length ``int |grad V| |d theta|``, minimised by the minimum energy path (tangent parallel to
  ``grad V``), where it equals ``sum |Delta V|`` over its monotone pieces.

So ``solve_action_path(GradientSquared(V), A, S, T=T)`` at growing ``T`` approaches the action
``V_S - V_A`` from above, and :func:`lagopt.solve_mep` is its time-free limit.
"""
from __future__ import annotations

import numpy as np

from ._base import Objective

__all__ = ["GradientSquared"]


class GradientSquared(Objective):
    r"""``U(theta) = 1/2 |grad V(theta)|^2`` for a potential `V` (any :class:`Objective`).

    Parameters
    ----------
    potential : Objective
        ``V``; it needs ``grad`` and Hessian-vector products (``hessp``), batched forms used
        when it has them.

    Notes
    -----
    ``grad U = grad^2 V grad V``: one gradient and one Hessian-vector product of `V` per point
    (batched over the columns of ``P`` by ``grad_batch`` and ``hessp_batch``), so `U` costs
    ``1 + potential.hessp_cost`` gradient evaluations of `V`. The Hessian of `U`,
    ``(grad^2 V)^2 + sum_k (grad V)_k grad^2 (d_k V)``, needs third derivatives of `V`: it is
    formed by central differences of the exact ``grad U`` (the base class's rule, relative
    error about ``1e-10``), which the path solvers use for their Newton matrices only. ``U``
    is zero exactly at the critical points of ``V`` (minima, saddles, maxima alike), so a path
    of ``U`` between two minima passes through the saddles where ``U = 0``: at large ``T`` it
    dwells there, and its energy ``1/2 |theta'|^2 - U`` tends to 0.

    Examples
    --------
    >>> import numpy as np
    >>> from lagopt.objectives import CallableObjective, GradientSquared
    >>> V = CallableObjective(lambda th: (th[0]**2 - 1)**2 + th[1]**2, 2)
    >>> U = GradientSquared(V)
    >>> round(U.loss(np.array([0.5, 0.1])), 6)  # 1/2 |(-1.5, 0.2)|^2 (V's gradient by differences)
    1.145
    """

    def __init__(self, potential: Objective) -> None:
        if not isinstance(potential, Objective):
            raise TypeError("`potential` must be a lagopt Objective (wrap a callable with "
                            "lagopt.objectives.as_objective or CallableObjective), got "
                            f"{type(potential).__name__}.")
        super().__init__(potential.n_params)
        self.potential = potential
        self.smooth = bool(getattr(potential, "smooth", True))
        self.hessp_cost = 2.0 * (1.0 + float(getattr(potential, "hessp_cost", 2.0)))
        self.name = f"1/2 |grad {getattr(potential, 'name', 'V')}|^2"

    def _loss(self, theta):
        g = self.potential.grad(theta)
        return 0.5 * float(g @ g)

    def _grad(self, theta):
        return self.potential.hessp(theta, self.potential.grad(theta))

    def _loss_and_grad(self, theta):
        g = self.potential.grad(theta)
        return 0.5 * float(g @ g), self.potential.hessp(theta, g)

    def _loss_batch(self, P):
        G = self.potential.grad_batch(P)
        return 0.5 * np.einsum("ij,ij->j", G, G)

    def _grad_batch(self, P):
        return self.potential.hessp_batch(P, self.potential.grad_batch(P))

    def _loss_and_grad_batch(self, P):
        G = self.potential.grad_batch(P)
        return 0.5 * np.einsum("ij,ij->j", G, G), self.potential.hessp_batch(P, G)

    def _hessp(self, theta, v):
        # A central difference of the exact gradient along v (third derivatives of V unknown).
        eps = _step(theta, v)
        if eps == 0.0:
            return np.zeros_like(theta)
        return (self._grad(theta + eps * v) - self._grad(theta - eps * v)) / (2.0 * eps)

    def _hessp_batch(self, P, V):
        eps = np.array([_step(P[:, j], V[:, j]) for j in range(P.shape[1])])
        safe = np.where(eps > 0.0, eps, 1.0)
        D = (self._grad_batch(np.ascontiguousarray(P + eps * V))
             - self._grad_batch(np.ascontiguousarray(P - eps * V))) / (2.0 * safe)
        return np.where(eps > 0.0, D, 0.0)

    def __repr__(self) -> str:
        return f"GradientSquared({self.potential!r})"


def _step(theta, v):
    """Central-difference step along `v`: ``1e-5`` relative to ``|theta|`` (at least 1) over
    ``|v|`` (0 for ``v = 0``)."""
    nv = float(np.max(np.abs(v))) if v.size else 0.0
    if nv == 0.0:
        return 0.0
    return 1e-5 * max(1.0, float(np.max(np.abs(theta)))) / nv
