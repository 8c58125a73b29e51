"""The Objective interface every loss in lagopt implements.

An objective is a scalar loss ``L(theta)`` on ``R^n`` with its gradient and Hessian, at one
point and batched over many points at once (the integrators evaluate whole meshes, so the
batched forms are the hot path). Points are stored as *columns* of ``P`` with shape ``(n, m)``,
the layout of ``scipy.integrate.solve_bvp``.

Subclasses implement the trusted private methods ``_loss``, ``_grad`` and, where they can,
``_hess`` and the batched ``_loss_batch``, ``_grad_batch``, ``_hess_batch``; they receive
C-contiguous float64 arrays of the right shape. The public methods validate once, count
evaluations and dispatch. The defaults here (per-point loops, a finite-difference Hessian) are
correct but slow; the numba-backed objectives override all of them.

Least-squares objectives may also expose their residuals: a loss of the form
``L(theta) = residual_scale * sum(r(theta)**2)`` with ``r : R^n -> R^m`` declares
``has_residuals = True`` and implements ``_residuals`` and ``_jacobian`` (the ``m x n`` matrix
``dr/dtheta``); ``Objective.residuals`` and ``Objective.jacobian`` are then their public,
counted forms. Gauss-Newton methods such as Levenberg-Marquardt
(``lagopt.minimize(..., method="lm")``) need them. An optional ``jac_cost`` attribute states
the price of one Jacobian in gradient evaluations for the budget of ``lagopt.minimize``
(``n_params`` when absent, see :mod:`lagopt.optim._budget`).
"""
from __future__ import annotations

from typing import Optional

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._status import NonFiniteError
from .._validation import as_points, as_vector

__all__ = ["Objective"]


class Objective:
    """Base class: a twice-differentiable (or piecewise smooth) scalar loss on ``R^n``.

    Attributes
    ----------
    n_params : int
        Dimension ``n`` of the parameter vector.
    smooth : bool
        ``True`` when the gradient is continuous and ``hess`` is the exact Hessian everywhere.
        ``False`` for piecewise-smooth losses (ReLU networks): ``hess`` is then the
        almost-everywhere Hessian and collocation with residual control may refine without end,
        so ``solve_action_path(method="auto")`` takes the direct method.
    counts : dict
        Number of *points* at which ``loss``, ``grad`` and ``hess`` were evaluated (batched
        calls count every column; Hessian-vector products count as ``hess``). The keys
        ``"residuals"`` and ``"jac"`` appear once :meth:`residuals` or :meth:`jacobian` has
        been called. ``reset_counts()`` zeroes them all.
    has_residuals : bool
        ``True`` when the loss is a sum of squares that the objective exposes through
        :meth:`residuals` and :meth:`jacobian`. ``False`` by default.
    residual_scale : float or None
        For objectives with residuals, the constant ``c > 0`` with
        ``loss(theta) == c * sum(residuals(theta)**2)`` (to rounding); ``None`` otherwise.

    Notes
    -----
    A subclass that exposes residuals sets ``has_residuals = True`` and ``residual_scale``,
    and implements ``_residuals(theta) -> (m,)`` and ``_jacobian(theta) -> (m, n)``; it may
    set ``jac_cost`` (gradient evaluations per Jacobian, for the budget of
    :func:`lagopt.minimize`). Its gradient then satisfies
    ``grad(theta) == 2 * residual_scale * jacobian(theta).T @ residuals(theta)``.
    """

    # None on the class; every instance sets it in __init__.
    n_params: int = None  # type: ignore[assignment]
    smooth: bool = True
    name: str = "objective"
    counts: dict[str, int]
    #: cost of one Hessian-vector product in gradient evaluations (budget accounting).
    hessp_cost: float = 2.0
    #: whether :meth:`residuals` and :meth:`jacobian` are available (least-squares losses).
    has_residuals: bool = False
    #: ``c`` in ``loss == c * sum(residuals**2)``; None for objectives without residuals.
    residual_scale: Optional[float] = None

    def __init__(self, n_params: int) -> None:
        self.n_params = int(n_params)
        self.counts = {"loss": 0, "grad": 0, "hess": 0}

    # ------------------------------------------------------------------ public API
    def loss(self, theta: ArrayLike) -> float:
        """Loss at one point; ``theta`` has shape ``(n_params,)``. Returns a float."""
        theta = as_vector(theta, "theta", self.n_params)
        self.counts["loss"] += 1
        return float(self._loss(theta))

    def grad(self, theta: ArrayLike) -> NDArray[np.float64]:
        """Gradient at one point, shape ``(n_params,)``.

        Raises `lagopt.NonFiniteError` when the gradient is not finite (the loss overflows
        there): a NaN gradient would otherwise pass silently into an optimizer's step.
        """
        theta = as_vector(theta, "theta", self.n_params)
        self.counts["grad"] += 1
        g = self._grad(theta)
        if not np.isfinite(g).all():
            raise NonFiniteError(f"the gradient is not finite at theta (max |theta_i| = "
                                 f"{np.max(np.abs(theta)):.3g}): the loss overflows there.")
        return g

    def hess(self, theta: ArrayLike) -> NDArray[np.float64]:
        """Hessian at one point, shape ``(n_params, n_params)``."""
        theta = as_vector(theta, "theta", self.n_params)
        self.counts["hess"] += 1
        return self._hess(theta)

    def hessp(self, theta: ArrayLike, v: ArrayLike) -> NDArray[np.float64]:
        """Hessian-vector product ``H(theta) @ v``, shape ``(n_params,)``.

        Costs about ``hessp_cost`` gradient evaluations where the objective implements it
        directly; the default forms the Hessian.
        """
        theta = as_vector(theta, "theta", self.n_params)
        v = as_vector(v, "v", self.n_params)
        self.counts["hess"] += 1
        return self._hessp(theta, v)

    def loss_and_grad(self, theta: ArrayLike) -> tuple[float, NDArray[np.float64]]:
        """``(loss, grad)`` at one point (one forward and one backward pass where supported)."""
        theta = as_vector(theta, "theta", self.n_params)
        self.counts["loss"] += 1
        self.counts["grad"] += 1
        return self._loss_and_grad(theta)

    def loss_batch(self, P: ArrayLike) -> NDArray[np.float64]:
        """Loss at the columns of ``P`` (shape ``(n_params, m)``); returns shape ``(m,)``."""
        P = as_points(P, "P", self.n_params)
        self.counts["loss"] += P.shape[1]
        return self._loss_batch(P)

    def grad_batch(self, P: ArrayLike) -> NDArray[np.float64]:
        """Gradients at the columns of ``P``; returns shape ``(n_params, m)``."""
        P = as_points(P, "P", self.n_params)
        self.counts["grad"] += P.shape[1]
        return self._grad_batch(P)

    def loss_and_grad_batch(self, P: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(losses, gradients)`` at the columns of ``P`` (shapes ``(m,)``, ``(n_params, m)``);
        one forward and backward pass per point where the objective supports it."""
        P = as_points(P, "P", self.n_params)
        self.counts["loss"] += P.shape[1]
        self.counts["grad"] += P.shape[1]
        return self._loss_and_grad_batch(P)

    def hessp_batch(self, P: ArrayLike, V: ArrayLike) -> NDArray[np.float64]:
        """Hessian-vector products ``H(P[:, j]) @ V[:, j]`` for every column; shape
        ``(n_params, m)``. Counted as ``m`` in ``counts["hess"]``, like :meth:`hessp`."""
        P = as_points(P, "P", self.n_params)
        V = as_points(V, "V", self.n_params)
        if V.shape != P.shape:
            raise ValueError(f"`V` must have the shape of `P` {P.shape}, got {V.shape}.")
        self.counts["hess"] += P.shape[1]
        return self._hessp_batch(P, V)

    def hess_batch(self, P: ArrayLike) -> NDArray[np.float64]:
        """Hessians at the columns of ``P``; returns shape ``(n_params, n_params, m)``."""
        P = as_points(P, "P", self.n_params)
        self.counts["hess"] += P.shape[1]
        return self._hess_batch(P)

    def residuals(self, theta: ArrayLike) -> NDArray[np.float64]:
        """Residuals ``r(theta)`` of a least-squares loss, shape ``(m,)``.

        ``loss(theta) == residual_scale * sum(r**2)`` to rounding. Counted in
        ``counts["residuals"]``; about the cost of a loss evaluation.

        Raises
        ------
        NotImplementedError
            If the objective has no residuals (``has_residuals`` is False).
        """
        self._require_residuals("residuals")
        theta = as_vector(theta, "theta", self.n_params)
        self.counts["residuals"] = self.counts.get("residuals", 0) + 1
        return self._residuals(theta)

    def jacobian(self, theta: ArrayLike) -> NDArray[np.float64]:
        """Jacobian ``dr/dtheta`` of the :meth:`residuals`, shape ``(m, n_params)``.

        Counted in ``counts["jac"]``.

        Raises
        ------
        NotImplementedError
            If the objective has no residuals (``has_residuals`` is False).
        lagopt.NonFiniteError
            When the Jacobian is not finite (the residuals overflow there).
        """
        self._require_residuals("jacobian")
        theta = as_vector(theta, "theta", self.n_params)
        self.counts["jac"] = self.counts.get("jac", 0) + 1
        J = self._jacobian(theta)
        if not np.isfinite(J).all():
            raise NonFiniteError(f"the Jacobian of the residuals is not finite at theta "
                                 f"(max |theta_i| = {np.max(np.abs(theta)):.3g}): the "
                                 "residuals overflow there.")
        return J

    def _require_residuals(self, what):
        if not self.has_residuals:
            raise NotImplementedError(
                f"{type(self).__name__} exposes no residuals, so `{what}` is not available "
                "(has_residuals is False); least-squares objectives such as MLPObjective "
                "and Rosenbrock do.")

    def reset_counts(self) -> None:
        for key in self.counts:
            self.counts[key] = 0

    def __call__(self, theta: ArrayLike) -> float:
        return self.loss(theta)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_params={self.n_params})"

    # ------------------------------------------------------------------ defaults
    def _loss(self, theta):
        raise NotImplementedError

    def _grad(self, theta):
        raise NotImplementedError

    def _loss_and_grad(self, theta):
        return float(self._loss(theta)), self._grad(theta)

    def _residuals(self, theta):
        raise NotImplementedError(f"{type(self).__name__} does not implement _residuals.")

    def _jacobian(self, theta):
        raise NotImplementedError(f"{type(self).__name__} does not implement _jacobian.")

    def _hess(self, theta):
        # Central differences of the gradient: O(h^2) accurate, 2n gradient evaluations.
        n = self.n_params
        H = np.empty((n, n))
        h = 1e-5 * np.maximum(1.0, np.abs(theta))
        for i in range(n):
            e = np.zeros(n)
            e[i] = h[i]
            H[:, i] = (self._grad(theta + e) - self._grad(theta - e)) / (2 * h[i])
        return 0.5 * (H + H.T)

    def _hessp(self, theta, v):
        return self._hess(theta) @ v

    def _loss_and_grad_batch(self, P):
        return self._loss_batch(P), self._grad_batch(P)

    def _hessp_batch(self, P, V):
        return np.column_stack([self._hessp(np.ascontiguousarray(P[:, j]),
                                            np.ascontiguousarray(V[:, j]))
                                for j in range(P.shape[1])]).reshape(P.shape)

    def _loss_batch(self, P):
        return np.array([self._loss(np.ascontiguousarray(P[:, j])) for j in range(P.shape[1])])

    def _grad_batch(self, P):
        out = np.empty_like(P)
        for j in range(P.shape[1]):
            out[:, j] = self._grad(np.ascontiguousarray(P[:, j]))
        return out

    def _hess_batch(self, P):
        n, m = P.shape
        out = np.empty((n, n, m))
        for j in range(m):
            out[:, :, j] = self._hess(np.ascontiguousarray(P[:, j]))
        return out
