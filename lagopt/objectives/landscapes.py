"""Analytic test losses with exact derivatives: quadratic, Rosenbrock, Rastrigin, Ackley and
the Müller–Brown potential. The 2-D ones carry a plotting ``domain`` and their known
``minima``."""
from __future__ import annotations

import functools
import numbers
from typing import Any, Optional

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_matrix, as_vector, positive_float, positive_int
from . import _landscape_kernels as _k
from ._base import Objective

__all__ = ["Quadratic", "Rosenbrock", "Rastrigin", "Ackley", "MullerBrown"]

# Placeholders for outputs a kernel does not fill (it writes only up to `order`). Writable so
# that every call site has the same argument types and the kernels compile once.
_NONE1 = np.empty(0)
_NONE2 = np.empty((0, 0))
_NONE3 = np.empty((0, 0, 0))


def _readonly(a):
    a = np.array(a, dtype=np.float64)
    a.flags.writeable = False
    return a


def _real(x, name):
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not np.isfinite(x):
        raise ValueError(f"`{name}` must be a finite real number, got {x!r}.")
    return float(x)


class Quadratic(Objective):
    r"""``L(theta) = 1/2 (theta - c)^T A (theta - c)``.

    Parameters
    ----------
    A : array_like, shape (n, n)
        Symmetric matrix (checked to a relative tolerance of 1e-10 and then symmetrised
        exactly). Need not be definite; :func:`lagopt.quadratic_solution` gives the least-action
        paths in closed form, one eigen-direction of ``A`` at a time.
    c : array_like, shape (n,), optional
        Centre; zeros by default.

    Attributes
    ----------
    A, c : ndarray
        Read-only.
    eigh : tuple of ndarray
        ``(eigenvalues, eigenvectors)`` of ``A`` from ``numpy.linalg.eigh``, computed on first
        access and cached: the basis in which the Euler–Lagrange equation decouples.
    minima : ndarray, shape (1, n) or (0, n)
        ``c`` when ``A`` is positive semidefinite (for singular ``A`` one minimiser of an
        affine set), empty otherwise.
    domain : tuple or None
        ``c +- 2`` per coordinate when ``n == 2``.

    Notes
    -----
    Everything is a numpy matrix product (already vectorised over the points); a gradient or
    a Hessian-vector product costs one product with ``A``, hence ``hessp_cost = 1``.
    """

    hessp_cost = 1.0
    A: NDArray[np.float64]
    c: NDArray[np.float64]
    domain: Optional[tuple[tuple[float, float], ...]]

    def __init__(self, A: ArrayLike, c: Optional[ArrayLike] = None) -> None:
        A = as_matrix(A, "A")
        n = A.shape[0]
        if A.shape != (n, n) or n == 0:
            raise ValueError(f"`A` must be a non-empty square matrix, got shape {A.shape}.")
        asym = np.max(np.abs(A - A.T))
        if asym > 1e-10 * max(1.0, np.max(np.abs(A))):
            raise ValueError(f"`A` must be symmetric; max |A - A.T| = {asym:.3g}.")
        c = np.zeros(n) if c is None else as_vector(c, "c", n)
        super().__init__(n)
        self.name = "quadratic"
        self.A = _readonly(0.5 * (A + A.T))
        self.c = _readonly(c)
        self.domain = (tuple((float(ci) - 2.0, float(ci) + 2.0) for ci in c) if n == 2
                       else None)

    @functools.cached_property
    def eigh(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        w, V = np.linalg.eigh(self.A)
        w.flags.writeable = False
        V.flags.writeable = False
        return w, V

    @functools.cached_property
    def minima(self) -> NDArray[np.float64]:
        w = self.eigh[0]
        psd = w[0] >= -1e-12 * max(1.0, abs(w[-1]))
        return _readonly(self.c[None, :] if psd else np.empty((0, self.n_params)))

    def __repr__(self) -> str:
        return f"Quadratic(n_params={self.n_params})"

    def _loss(self, theta):
        d = theta - self.c
        return 0.5 * d @ (self.A @ d)

    def _grad(self, theta):
        return self.A @ (theta - self.c)

    def _loss_and_grad(self, theta):
        g = self.A @ (theta - self.c)
        return 0.5 * float((theta - self.c) @ g), g

    def _hess(self, theta):
        return np.array(self.A)

    def _hessp(self, theta, v):
        return self.A @ v

    def _loss_batch(self, P):
        D = P - self.c[:, None]
        return 0.5 * np.einsum("im,im->m", D, self.A @ D)

    def _grad_batch(self, P):
        return self.A @ (P - self.c[:, None])

    def _hess_batch(self, P):
        return np.repeat(self.A[:, :, None], P.shape[1], axis=2)

    def _hessp_batch(self, P, V):
        return self.A @ V


class _KernelFunction(Objective):
    """Shared plumbing: every method is one call to ``evaluate`` or ``evaluate_batch``."""

    _fn: Optional[int] = None

    def __init__(self, n_params: int, prm: Any) -> None:
        super().__init__(n_params)
        self._prm = np.ascontiguousarray(prm, dtype=np.float64)

    def _loss(self, theta):
        return _k.evaluate(self._fn, theta, self._prm, 0, _NONE1, _NONE2)

    def _loss_and_grad(self, theta):
        g = np.empty(self.n_params)
        f = _k.evaluate(self._fn, theta, self._prm, 1, g, _NONE2)
        return float(f), g

    def _grad(self, theta):
        return self._loss_and_grad(theta)[1]

    def _hess(self, theta):
        n = self.n_params
        g = np.empty(n)
        H = np.empty((n, n))
        _k.evaluate(self._fn, theta, self._prm, 2, g, H)
        return H

    def _hessp(self, theta, v):
        return self._hess(theta) @ v

    def _batch(self, P, order):
        n, m = P.shape
        f = np.empty(m)
        G = np.empty((n, m)) if order >= 1 else _NONE2
        H = np.empty((n, n, m)) if order >= 2 else _NONE3
        work = 20 * m * n * (n if order == 2 else 1)
        threads = numba.get_num_threads()
        if m > 1 and threads > 1 and work >= _k.PARALLEL_MIN_WORK:
            _k.evaluate_parallel(self._fn, P, self._prm, order, f, G, H, min(m, threads))
        else:
            _k.evaluate_range(self._fn, P, self._prm, order, f, G, H, 0, m)
        return f, G, H

    def _loss_batch(self, P):
        return self._batch(P, 0)[0]

    def _grad_batch(self, P):
        return self._batch(P, 1)[1]

    def _hess_batch(self, P):
        return self._batch(P, 2)[2]


class Rosenbrock(_KernelFunction):
    r"""Chained Rosenbrock function ``sum_{i<n-1} b (x_{i+1} - x_i^2)^2 + (a - x_i)^2``.

    Parameters
    ----------
    dim : int, optional
        Dimension, >= 2. Default 2.
    a : float, optional
        Default 1.
    b : float, optional
        Curvature across the valley, > 0. Default 100.

    Attributes
    ----------
    domain : tuple or None
        ``((-2, 2), (-1, 3))`` for ``dim == 2``.
    has_residuals : bool
        True: see Notes.
    residual_scale : float
        1.0.
    minima : ndarray, shape (1, dim)
        The global minimiser: ``(a, a^2)`` in 2-D, all ones for ``a = 1``. For ``a != 1`` and
        ``dim > 2`` there is no closed form; a minimiser found by Newton's method
        (``scipy.optimize.minimize``, trust-exact) from ``(a, ..., a)`` is given instead. For
        ``dim >= 4`` there is also a local minimiser near ``(-1, 1, ..., 1)``, not listed.

    Notes
    -----
    Rosenbrock's function [1]_, chained over consecutive coordinates for ``dim > 2``.
    Smooth, with a narrow curved valley: the Hessian's condition number at the minimum is
    about 2,500 in 2-D, a stiff Euler–Lagrange problem for moderate ``lam``.

    It is a sum of ``m = 2 (dim - 1)`` squares: :meth:`residuals` are, for each ``i``,
    ``sqrt(b) (x_{i+1} - x_i^2)`` and ``a - x_i`` (in that order), with ``residual_scale = 1``,
    and :meth:`jacobian` is their exact ``m x dim`` Jacobian (numpy, dense).

    References
    ----------
    .. [1] H. H. Rosenbrock, "An automatic method for finding the greatest or least value of a
       function", Comput. J. 3 (1960), 175-184.

    Examples
    --------
    >>> f = Rosenbrock()
    >>> f.residuals([0.5, 1.0]), f.jacobian([0.5, 1.0])
    (array([7.5, 0.5]), array([[-10.,  10.],
           [ -1.,   0.]]))
    >>> float(f.loss([0.5, 1.0]))
    56.5
    """

    _fn = _k.ROSENBROCK
    has_residuals = True
    residual_scale = 1.0

    def __init__(self, dim: int = 2, a: float = 1.0, b: float = 100.0) -> None:
        dim = positive_int(dim, "dim", minimum=2)
        a = _real(a, "a")
        b = positive_float(b, "b")
        super().__init__(dim, [a, b])
        self.a, self.b = a, b
        self.name = "rosenbrock"
        self.domain = ((-2.0, 2.0), (-1.0, 3.0)) if dim == 2 else None

    @functools.cached_property
    def minima(self) -> NDArray[np.float64]:
        n = self.n_params
        if n == 2:
            return _readonly([[self.a, self.a ** 2]])
        if self.a == 1.0:
            return _readonly(np.ones((1, n)))
        from scipy.optimize import minimize

        res = minimize(self.loss, np.full(n, self.a), jac=self.grad, hess=self.hess,
                       method="trust-exact", options={"gtol": 1e-12})
        return _readonly(res.x[None, :])

    def __repr__(self) -> str:
        return f"Rosenbrock(dim={self.n_params}, a={self.a}, b={self.b})"

    def _residuals(self, theta):
        r = np.empty(2 * (self.n_params - 1))
        r[0::2] = np.sqrt(self.b) * (theta[1:] - theta[:-1] ** 2)
        r[1::2] = self.a - theta[:-1]
        return r

    def _jacobian(self, theta):
        n = self.n_params
        i = np.arange(n - 1)
        sb = np.sqrt(self.b)
        J = np.zeros((2 * (n - 1), n))
        J[2 * i, i] = -2.0 * sb * theta[:-1]
        J[2 * i, i + 1] = sb
        J[2 * i + 1, i] = -1.0
        return J


class Rastrigin(_KernelFunction):
    r"""Rastrigin function ``A n + sum_i x_i^2 - A cos(2 pi x_i)``.

    Parameters
    ----------
    dim : int, optional
        Dimension. Default 2.
    A : float, optional
        Amplitude of the cosine ripples, > 0. Default 10.

    Attributes
    ----------
    domain : tuple or None
        ``((-5.12, 5.12), (-5.12, 5.12))`` for ``dim == 2``.
    minima : ndarray, shape (1, dim)
        The origin, where the value is 0. Local minima sit near every integer lattice point.
    """

    _fn = _k.RASTRIGIN

    def __init__(self, dim: int = 2, A: float = 10.0) -> None:
        dim = positive_int(dim, "dim")
        A = positive_float(A, "A")
        super().__init__(dim, [A])
        self.A = A
        self.name = "rastrigin"
        self.domain = ((-5.12, 5.12), (-5.12, 5.12)) if dim == 2 else None
        self.minima = _readonly(np.zeros((1, dim)))

    def __repr__(self) -> str:
        return f"Rastrigin(dim={self.n_params}, A={self.A})"


class Ackley(_KernelFunction):
    r"""Ackley function ``-a exp(-b sqrt(mean x^2)) - exp(mean cos(c x)) + a + e``.

    Parameters
    ----------
    dim : int, optional
        Dimension. Default 2.
    a, b, c : float, optional
        The standard constants 20, 0.2 and 2 pi.

    Attributes
    ----------
    smooth : bool
        ``False``: the first term is a cone, ``r = sqrt(mean x^2)`` is not differentiable at
        the origin, which is also the global minimiser.
    domain : tuple or None
        ``((-5, 5), (-5, 5))`` for ``dim == 2`` (the classic ``+-32.768`` box hides the ripples).
    minima : ndarray, shape (1, dim)
        The origin, where the value is 0.

    Notes
    -----
    Ackley's function [1]_ in the common ``dim``-dimensional form. Exactly at the origin the
    gradient returned is 0 (a subgradient), and the Hessian omits the cone term, whose curvature
    grows like ``1/r`` as ``r -> 0``; everywhere else both are exact.

    References
    ----------
    .. [1] D. H. Ackley, "A Connectionist Machine for Genetic Hillclimbing", Kluwer (1987).
    """

    _fn = _k.ACKLEY

    def __init__(self, dim: int = 2, a: float = 20.0, b: float = 0.2,
                 c: float = 2.0 * np.pi) -> None:
        dim = positive_int(dim, "dim")
        a = positive_float(a, "a", allow_zero=True)
        b = positive_float(b, "b")
        c = _real(c, "c")
        super().__init__(dim, [a, b, c])
        self.a, self.b, self.c = a, b, c
        self.smooth = False
        self.name = "ackley"
        self.domain = ((-5.0, 5.0), (-5.0, 5.0)) if dim == 2 else None
        self.minima = _readonly(np.zeros((1, dim)))

    def __repr__(self) -> str:
        return f"Ackley(dim={self.n_params})"


class MullerBrown(_KernelFunction):
    r"""The Müller–Brown potential, the classic 2-D landscape for minimum-energy paths.

    ``V(x, y) = scale * sum_{k=1}^{4} A_k exp(a_k (x - x0_k)^2 + b_k (x - x0_k)(y - y0_k)
    + c_k (y - y0_k)^2)`` with ``A = (-200, -100, -170, 15)``, ``a = (-1, -1, -6.5, 0.7)``,
    ``b = (0, 0, 11, 0.6)``, ``c = (-10, -10, -6.5, 0.7)``, ``x0 = (1, 0, -0.5, -1)``,
    ``y0 = (0, 0.5, 1.5, 1)`` [1]_.

    Parameters
    ----------
    scale : float, optional
        Multiplies the potential (values are O(100) and Hessian eigenvalues O(1000); e.g.
        ``scale=0.01`` brings ``lam`` back to order one). Default 1.

    Attributes
    ----------
    domain : tuple
        ``((-1.5, 1.2), (-0.2, 2.0))``.
    minima : ndarray, shape (3, 2)
        The three minima, deepest first: ``(-0.558224, 1.441726)`` (V = -146.70),
        ``(0.623499, 0.028038)`` (-108.17), ``(-0.050011, 0.466694)`` (-80.77), unscaled.
    saddles : ndarray, shape (2, 2)
        The two first-order saddles ``(-0.822002, 0.624313)`` (-40.66) and
        ``(0.212487, 0.292988)`` (-72.25).

    References
    ----------
    .. [1] K. Müller and L. D. Brown, "Location of saddle points and minimum energy paths by a
       constrained simplex optimization procedure", Theor. Chim. Acta 53 (1979), 75-93.
    """

    _fn = _k.MULLER_BROWN
    _A = (-200.0, -100.0, -170.0, 15.0)
    _a = (-1.0, -1.0, -6.5, 0.7)
    _b = (0.0, 0.0, 11.0, 0.6)
    _c = (-10.0, -10.0, -6.5, 0.7)
    _x0 = (1.0, 0.0, -0.5, -1.0)
    _y0 = (0.0, 0.5, 1.5, 1.0)

    def __init__(self, scale: float = 1.0) -> None:
        scale = positive_float(scale, "scale")
        prm = [*self._A, *self._a, *self._b, *self._c, *self._x0, *self._y0, scale]
        super().__init__(2, prm)
        self.scale = scale
        self.name = "muller_brown"
        self.domain = ((-1.5, 1.2), (-0.2, 2.0))
        # Newton-refined stationary points (|grad V| < 1e-12).
        self.minima = _readonly([[-0.558223634633, 1.441725841805],
                                 [0.623499404931, 0.028037758529],
                                 [-0.050010822998, 0.466694104872]])
        self.saddles = _readonly([[-0.822001558733, 0.624312802815],
                                  [0.212486582001, 0.292988325107]])

    def __repr__(self) -> str:
        return f"MullerBrown(scale={self.scale})"
