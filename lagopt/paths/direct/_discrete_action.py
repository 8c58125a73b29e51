"""The discretised action ``S_h`` on a uniform grid, and coordinates that precondition it.

On nodes ``theta_i = theta(i h)``, ``h = T / N``, with ``theta_0`` and ``theta_N`` fixed,
``S_h = sum_i |theta_{i+1} - theta_i|^2 / (2h) + lam h sum_i w_i L(p_i)``: the points ``p_i``
are the nodes with trapezoid weights (``w_0 = w_N = 1/2``) or the interval midpoints with
weight 1. The unknowns are the ``N - 1`` interior nodes. Its stationary points solve the discrete
Euler-Lagrange equations of ``S_h``: a variational integrator [1]_.

The ``"numerov"`` rule replaces ``S_h`` by a function whose stationary points are the nodes of
Numerov's fourth-order scheme [2]_ [3]_ for ``theta'' = lam grad L(theta)``,

    ``(theta_{i+1} - 2 theta_i + theta_{i-1}) / h^2
    = lam (g_{i-1} + 10 g_i + g_{i+1}) / 12``,  ``g_i = grad L(theta_i)``.

Writing ``theta = line + Y`` (``line`` the straight line, ``Y_0 = Y_N = 0``), the scheme reads
``K Y + lam h (B g + c) = 0`` with ``K = tridiag(-1, 2, -1) / h``, ``B = tridiag(1, 10, 1) / 12``
on the interior nodes and ``c`` the end gradients' share (``g_0 / 12`` at the first interior
node, ``g_N / 12`` at the last). ``K`` and ``B`` are both diagonalised by the discrete sine
transform, so they commute and ``B^-1 K`` is symmetric positive definite: multiplied by
``B^-1`` the scheme is the gradient of

    ``Phi(Y) = |theta_N - theta_0|^2 / (2T) + 1/2 tr(Y B^-1 K Y^T)
    + lam h (sum_interior L(theta_i) + (L_0 + L_N) / 2 + <Y, B^-1 c>)``,

a kinetic term changed at order ``h^2`` plus the trapezoid potential. Its Hessian is
``B^-1 K + lam h diag(grad^2 L(theta_i))``: symmetric, so Newton-Krylov uses conjugate
gradients, and the sine transform inverts its kinetic part exactly.

References
----------
.. [1] J. E. Marsden and M. West, "Discrete mechanics and variational integrators", Acta
   Numerica 10 (2001), 357-514.
.. [2] B. V. Numerov, "A method of extrapolation of perturbations", Monthly Notices of the
   Royal Astronomical Society 84 (1924), 592-601.
.. [3] E. Hairer, S. P. Nørsett and G. Wanner, "Solving Ordinary Differential Equations I:
   Nonstiff Problems", 2nd ed., Springer (1993), sec. III.10.
"""
import numpy as np
import scipy.fft

from .._measure import velocities_from_accelerations_high_order

__all__ = ["DiscreteAction", "SinePreconditioner", "RULES"]

#: Rules of the discrete action: the potential at the nodes or at the midpoints (second
#: order), or Numerov's fourth-order scheme (smooth objectives; Krylov and L-BFGS solvers).
RULES = ("trapezoid", "midpoint", "numerov")


def _dst(A):
    """The orthonormal DST-I along the time axis (its own inverse)."""
    return scipy.fft.dst(A, type=1, norm="ortho", axis=1)


def kinetic_eigenvalues(N, h, rule):
    """Eigenvalues of the kinetic matrix on the interior nodes in the sine basis: ``mu_k =
    (2 - 2 cos(k pi / N)) / h`` of ``K``, divided for Numerov by ``b_k = (10 + 2 cos(k pi /
    N)) / 12``, the eigenvalues of ``B``."""
    k = np.arange(1, N)
    mu = (2.0 - 2.0 * np.cos(np.pi * k / N)) / h
    if rule == "numerov":
        mu = mu / _numerov_b(N)
    return mu


def _numerov_b(N):
    """Eigenvalues ``b_k = (10 + 2 cos(k pi / N)) / 12`` of ``B = tridiag(1, 10, 1) / 12``."""
    return (10.0 + 2.0 * np.cos(np.pi * np.arange(1, N) / N)) / 12.0


class DiscreteAction:
    """``S_h`` on a uniform mesh, its gradient and its block-tridiagonal Hessian.

    The unknowns are the interior nodes, stored as the columns of ``X`` (shape ``(n, N-1)``).
    ``n_eval`` counts the evaluations of ``S_h`` and its gradient; after each, ``abs_sum`` holds
    the sum of the absolute values of the terms of ``S_h``, which bounds its rounding error.
    """

    def __init__(self, problem, N, rule):
        self.obj = problem.objective
        self.lam = problem.lam
        self.N, self.h, self.rule = N, problem.T / N, rule
        self.theta0, self.thetaT = problem.theta0, problem.thetaT
        self.T = problem.T
        # The trapezoid rule's end terms do not depend on the unknowns: evaluate them once.
        self.end_loss = 0.0
        if rule == "trapezoid" and self.lam != 0.0:
            ends = np.column_stack([self.theta0, self.thetaT])
            self.end_loss = 0.5 * float(np.sum(self.obj.loss_batch(ends)))
        self.n_eval = 0
        self.abs_sum = np.nan
        self.kin_eigs = kinetic_eigenvalues(N, self.h, rule)
        if rule == "numerov":
            self._numerov_ends()

    def _numerov_ends(self):
        """The constant parts of Numerov's ``Phi``: the end losses (weight 1/2, as in the
        trapezoid rule) and ``B^-1 c``, the end gradients' share of the scheme."""
        self.line = (self.theta0[:, None]
                     + np.outer(self.thetaT - self.theta0, np.arange(1, self.N) / self.N))
        self.Bc = np.zeros((self.theta0.size, self.N - 1))
        self.end_grad = np.zeros((self.theta0.size, 2))
        self.end_losses = np.zeros(2)
        if self.lam == 0.0 or self.N < 2:
            return
        ends = np.ascontiguousarray(np.column_stack([self.theta0, self.thetaT]))
        L_end, g_end = self.obj.loss_and_grad_batch(ends)
        self.end_losses = L_end
        self.end_loss, self.end_grad = 0.5 * float(np.sum(L_end)), g_end
        C = np.zeros_like(self.Bc)
        C[:, 0] += g_end[:, 0] / 12.0
        C[:, -1] += g_end[:, 1] / 12.0
        self.Bc = _dst(_dst(C) / _numerov_b(self.N))

    def nodes(self, X):
        """All ``N + 1`` nodes: the end points around the interior nodes ``X``."""
        return np.column_stack([self.theta0, X, self.thetaT])

    def _points(self, Theta):
        """Columns at which L is evaluated: interior nodes (trapezoid) or midpoints."""
        if self.rule == "trapezoid":
            return Theta[:, 1:-1]
        return 0.5 * (Theta[:, 1:] + Theta[:, :-1])

    def value_grad(self, X):
        """``(S_h, dS_h/dX, scale)``; ``scale`` is the size of the terms the residual balances.
        For Numerov ``Phi`` and its gradient (see the module docstring)."""
        self.n_eval += 1
        if self.rule == "numerov":
            return self._numerov_value_grad(X)
        h, lam = self.h, self.lam
        Theta = self.nodes(X)
        D = np.diff(Theta, axis=1)
        kinetic = 0.5 * float(np.sum(D * D)) / h
        G = (D[:, :-1] - D[:, 1:]) / h  # d kinetic / d X
        S = kinetic
        gmax = 0.0
        if lam != 0.0:
            P = np.ascontiguousarray(self._points(Theta))
            Lv = self.obj.loss_batch(P)
            gL = self.obj.grad_batch(P)
            if self.rule == "trapezoid":
                S += lam * h * (float(np.sum(Lv)) + self.end_loss)
                G += lam * h * gL
            else:
                S += lam * h * float(np.sum(Lv))
                G += 0.5 * lam * h * (gL[:, :-1] + gL[:, 1:])
            gmax = lam * float(np.max(np.abs(gL))) if gL.size else 0.0
            self.abs_sum = kinetic + lam * h * (float(np.sum(np.abs(Lv))) + abs(self.end_loss))
        else:
            self.abs_sum = kinetic
        # Stationarity is (theta_{i+1} - 2 theta_i + theta_{i-1}) / h^2 = lam grad L: the
        # residual G / h is an acceleration, measured against the accelerations it balances.
        accel = float(np.max(np.abs(D[:, 1:] - D[:, :-1]))) / h**2 if X.shape[1] else 0.0
        scale = max(float(np.max(np.abs(self.thetaT - self.theta0))) / self.T**2, accel, gmax)
        return S, G, scale

    def _numerov_value_grad(self, X):
        h, lam = self.h, self.lam
        Y = X - self.line
        Yh = _dst(Y)
        D = self.thetaT - self.theta0
        kinetic = 0.5 * float(D @ D) / self.T + 0.5 * float(np.sum(self.kin_eigs * Yh * Yh))
        G = _dst(Yh * self.kin_eigs)
        S, gmax = kinetic, 0.0
        self.abs_sum = kinetic
        if lam != 0.0 and X.shape[1]:
            Lv, gL = self.obj.loss_and_grad_batch(np.ascontiguousarray(X))
            self._last = (X, gL, Lv)
            lin = lam * h * float(np.sum(Y * self.Bc))
            S += lam * h * (float(np.sum(Lv)) + self.end_loss) + lin
            G += lam * h * (gL + self.Bc)
            gmax = lam * float(np.max(np.abs(gL)))
            self.abs_sum += lam * h * (float(np.sum(np.abs(Lv))) + abs(self.end_loss)) + abs(lin)
        Theta = self.nodes(X)
        accel = (float(np.max(np.abs(np.diff(Theta, 2, axis=1)))) / h**2 if X.shape[1]
                 else 0.0)
        scale = max(float(np.max(np.abs(D))) / self.T**2, accel, gmax)
        return S, G, scale

    def hessp(self, X, V):
        """The potential part of the Hessian of ``S_h`` (Numerov's ``Phi``) applied to ``V``:
        ``lam h grad^2 L(theta_i) V_i`` at every interior node (the kinetic part is diagonal in
        the sine basis). Trapezoid and Numerov rules."""
        if self.lam == 0.0 or not X.shape[1]:
            return np.zeros_like(V)
        W = self.obj.hessp_batch(np.ascontiguousarray(X), np.ascontiguousarray(V))
        return self.lam * self.h * W

    def _at_last(self, X):
        """``(losses, gradients)`` at the interior nodes ``X``: those of the last Numerov
        `value_grad` when it was evaluated at the same nodes, else evaluated now."""
        last = getattr(self, "_last", None)
        if last is not None and (last[0] is X or np.array_equal(last[0], X)):
            return last[2], last[1]
        return self.obj.loss_and_grad_batch(np.ascontiguousarray(X))

    def node_gradients(self, X):
        """``grad L`` at the interior nodes ``X`` (see `_at_last`)."""
        return self._at_last(X)[1]

    def node_losses(self, X):
        """``L`` at the interior nodes ``X`` (see `_at_last`)."""
        return self._at_last(X)[0]

    def node_action(self, X):
        """``(action, magnitude)`` of the Numerov path with interior nodes ``X``, from node
        values only, to fourth order.

        With velocities ``v_i`` as accurate as the nodes (`velocities`) and ``l_i = |v_i|^2 / 2
        + lam L(theta_i)``, the Euler-Maclaurin rule ``h sum w_i l_i - h^2 / 12 (l'(T) -
        l'(0))`` (trapezoid weights) errs by ``O(h^4)``; on a solution ``l' = 2 v . lam grad
        L``. The magnitude is the same sum with ``|L|`` (the scale of a relative action error).
        Costs nothing after a `value_grad` at ``X``: the node losses and gradients are reused.
        """
        h, lam = self.h, self.lam
        Theta = self.nodes(X)
        A = self.accelerations(Theta)
        V = velocities_from_accelerations_high_order(h, Theta, A)
        kin = 0.5 * np.einsum("ij,ij->j", V, V)
        L = np.zeros(Theta.shape[1])
        if lam != 0.0:
            L[1:-1] = self.node_losses(X)
            L[0], L[-1] = self.end_losses
        w = np.ones(Theta.shape[1])
        w[0] = w[-1] = 0.5
        dl = 2.0 * np.einsum("i,i->", V[:, -1], A[:, -1]) - 2.0 * np.einsum("i,i->", V[:, 0],
                                                                            A[:, 0])
        action = h * float(w @ (kin + lam * L)) - h * h / 12.0 * float(dl)
        magnitude = h * float(w @ (kin + lam * np.abs(L)))
        return action, magnitude

    def hessian_blocks(self, X):
        """Blocks of the (block tridiagonal) Hessian of ``S_h``: ``(D, B)``.

        ``D`` (shape ``(N-1, n, n)``) holds the diagonal blocks, ``B`` (``(N-2, n, n)``) the
        blocks ``(i, i+1)`` above them. Trapezoid: ``D_i = 2I/h + lam h H(theta_i)``,
        ``B_i = -I/h``. Midpoint: the midpoint Hessians enter both, ``D_i = 2I/h + lam h/4
        (H(m_{i-1}) + H(m_i))``, ``B_i = -I/h + lam h/4 H(m_i)``.
        """
        if self.rule == "numerov":
            raise ValueError("The Numerov rule has no block-tridiagonal Hessian (B^-1 K is "
                             "dense); use the 'krylov' or 'lbfgs' solver.")
        n, M, h, lam = X.shape[0], X.shape[1], self.h, self.lam
        Theta = self.nodes(X)
        n_pts = M if self.rule == "trapezoid" else M + 1
        if lam != 0.0:
            Hb = np.moveaxis(self.obj.hess_batch(np.ascontiguousarray(self._points(Theta))), 2, 0)
        else:
            Hb = np.zeros((n_pts, n, n))
        if self.rule == "trapezoid":
            D = lam * h * Hb
            B = np.zeros((max(M - 1, 0), n, n))
        else:
            D = 0.25 * lam * h * (Hb[:-1] + Hb[1:])
            B = 0.25 * lam * h * Hb[1:-1]
        idx = np.arange(n)
        D[:, idx, idx] += 2.0 / h
        B[:, idx, idx] -= 1.0 / h
        return D, B

    def velocities(self, Theta):
        """Second-order velocities at the nodes.

        Central differences inside; at the ends the discrete Legendre transform of the rule's
        discrete Lagrangian, ``p_0 = -D_1 L_d(theta_0, theta_1)``, ``p_N = D_2 L_d(...)``.
        """
        h, lam = self.h, self.lam
        if self.rule == "numerov":
            return self._numerov_velocities(Theta)
        V = np.empty_like(Theta)
        V[:, 1:-1] = (Theta[:, 2:] - Theta[:, :-2]) / (2 * h)
        d0 = (Theta[:, 1] - Theta[:, 0]) / h
        dN = (Theta[:, -1] - Theta[:, -2]) / h
        if lam != 0.0:
            if self.rule == "trapezoid":
                ends = np.column_stack([Theta[:, 0], Theta[:, -1]])
            else:
                ends = np.column_stack([0.5 * (Theta[:, 0] + Theta[:, 1]),
                                        0.5 * (Theta[:, -2] + Theta[:, -1])])
            g = self.obj.grad_batch(np.ascontiguousarray(ends))
            d0 = d0 - 0.5 * h * lam * g[:, 0]
            dN = dN + 0.5 * h * lam * g[:, 1]
        V[:, 0], V[:, -1] = d0, dN
        return V

    def accelerations(self, Theta):
        """``lam grad L(theta_i)`` at all nodes ``Theta`` (the end gradients are cached for
        Numerov): the accelerations the continuous equation gives the nodes."""
        if self.lam == 0.0:
            return np.zeros_like(Theta)
        A = np.empty_like(Theta)
        if self.rule == "numerov" and Theta.shape[1] > 2:
            A[:, 1:-1] = self.node_gradients(Theta[:, 1:-1])
            A[:, 0], A[:, -1] = self.end_grad[:, 0], self.end_grad[:, 1]
        else:
            A[:] = self.obj.grad_batch(np.ascontiguousarray(Theta))
        return self.lam * A

    def _numerov_velocities(self, Theta):
        """Velocities from the nodes and their accelerations ``lam grad L``, as accurate as the
        nodes (`velocities_from_accelerations_high_order`)."""
        return velocities_from_accelerations_high_order(self.h, Theta,
                                                        self.accelerations(Theta))

    def magnitude(self, Theta):
        """``K_h + lam h sum_i w_i |L(p_i)|`` for the nodes ``Theta``: the size of the terms whose
        sum is ``S_h`` (the scale of a relative action error; ``S_h`` itself can be near zero or
        negative)."""
        h, lam = self.h, self.lam
        D = np.diff(Theta, axis=1)
        mag = 0.5 * float(np.sum(D * D)) / h
        if lam != 0.0:
            if self.rule in ("trapezoid", "numerov"):
                Lv = np.abs(self.obj.loss_batch(np.ascontiguousarray(Theta)))
                mag += lam * h * (float(np.sum(Lv[1:-1])) + 0.5 * float(Lv[0] + Lv[-1]))
            else:
                P = np.ascontiguousarray(0.5 * (Theta[:, 1:] + Theta[:, :-1]))
                mag += lam * h * float(np.sum(np.abs(self.obj.loss_batch(P))))
        return mag


class SinePreconditioner:
    """Coordinates ``Z`` in which the kinetic part of ``S_h`` is ``1/2 |Z|^2``.

    With ``X = X_line + Y`` (``X_line`` the straight line, a stationary point of the kinetic
    term) the kinetic term is ``1/2 tr(Y K Y^T) + const``, ``K = tridiag(-1, 2, -1) / h``. The
    orthonormal DST-I ``U`` diagonalises ``K = U diag(mu) U``, ``mu_k = (2 - 2 cos(k pi / N)) / h``,
    so ``Y = (U diag(mu^-1/2) Z^T)^T`` makes it ``1/2 |Z|^2``. The condition number of ``S_h``
    drops from ``~ 4 N^2 / pi^2`` to ``~ 1 + lam h_max T^2 / pi^2``, independent of ``N``.
    For the Numerov rule the kinetic matrix is ``B^-1 K``, diagonal in the same basis with
    eigenvalues ``mu_k / b_k`` (`kinetic_eigenvalues`), and the same holds.

    Vectors ``z`` are the flattened ``Z`` (shape ``(n, N-1)``, row-major).
    """

    def __init__(self, da):
        N = da.N
        s = np.arange(1, N) / N
        self.X_line = da.theta0[:, None] + np.outer(da.thetaT - da.theta0, s)
        # The kinetic matrix's eigenvalues: K's, or for Numerov B^-1 K's.
        self.r = 1.0 / np.sqrt(da.kin_eigs)
        self.shape = (da.theta0.size, N - 1)

    def to_X(self, z):
        """Interior nodes ``X`` of the coordinates ``z``."""
        return self.X_line + self.dX(z)

    def dX(self, z):
        """The node displacement of a step ``z`` (the linear part of `to_X`)."""
        return _dst(z.reshape(self.shape) * self.r)

    def to_z(self, X):
        """Coordinates ``z`` of the interior nodes ``X`` (the inverse of `to_X`)."""
        return (_dst(X - self.X_line) / self.r).ravel()

    def grad_z(self, G):
        """The gradient with respect to ``z`` of a function whose gradient in ``X`` is ``G``."""
        return (_dst(G) * self.r).ravel()
