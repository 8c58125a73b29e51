"""Mean squared error of a fully connected network, as a function of its parameters."""
from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Optional, Union

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._status import NonFiniteError
from .._validation import as_matrix, as_vector, choice, positive_float, positive_int
from . import _mlp_blas as _blas
from . import _mlp_jacobian as _jac
from . import _mlp_kernels as _k
from ._base import Objective

__all__ = ["MLPObjective"]

# Placeholders for kernel arguments a given order does not use (fixed types: one compilation).
_EMPTY = np.empty(0)
_EMPTY2 = np.empty((0, 0))

#: Multiply-adds of one forward pass (``n_samples * n_params``) from which losses, gradients
#: and Hessian-vector products take the numpy/BLAS route: below it the numba kernels were as
#: fast or faster (0.5-1.0x the BLAS route's time at 1-3.4 million), above it the BLAS route
#: is as fast (0.8-1.1x at 10-17 million) and never nests BLAS threads inside numba's.
BLAS_MIN_WORK = 4_000_000


class MLPObjective(Objective):
    r"""Mean squared error of a fully connected network: ``L(theta) = mean((f_theta(X) - y)**2)``.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        Inputs; finite.
    y : array_like, shape (n_samples,) or (n_samples, n_outputs)
        Targets; finite. 1-D when the network has a single output.
    sizes : sequence of int, optional
        Layer widths ``(n_features, hidden_1, ..., n_outputs)``; at least two entries.
        ``(n_features, 1)`` is a linear model. Default ``(4, 6, 1)``, the network of the
        original LAML experiment.
    activation : {"relu", "tanh", "softplus", "sigmoid", "linear"}, optional
        Activation of the hidden layers; the output layer is linear. Default ``"relu"``.
    beta : float, optional
        Sharpness of the softplus, ``softplus_beta(z) = log(1 + exp(beta z)) / beta``, which
        tends to ReLU as ``beta -> inf``. Must be > 0; ignored by the other activations.
        Default 1.

    Attributes
    ----------
    X, y : ndarray
        Read-only copies of the data (``y`` as given, 1-D or 2-D).
    sizes : tuple of int
    activation : str
    beta : float
    n_samples, n_outputs, n_layers : int
    n_params : int
        ``sum(sizes[i] * sizes[i+1] + sizes[i+1])``; 37 for the default ``(4, 6, 1)``.
    smooth : bool
        ``False`` for ReLU (the gradient jumps across activation boundaries), else ``True``.
    hessp_cost : float
        2.0: a Hessian-vector product is a forward/backward pass plus its R-operator pass;
        measured at 1.4-1.8 gradient evaluations from 37 (the default network) to 16,705 parameters.
    max_hess_params : int
        ``hess`` and ``hess_batch`` refuse larger ``n_params`` (use ``hessp``). Default 4000.
    has_residuals : bool
        True: the loss is a sum of squares, exposed by :meth:`residuals` and :meth:`jacobian`.
    residual_scale : float
        ``1 / (n_samples * n_outputs)``, so that ``loss == residual_scale * sum(r**2)``.
    jac_cost : float
        ``n_params``: the price of one :meth:`jacobian` in gradient evaluations for the budget
        of :func:`lagopt.minimize`. The budget rule charges derivative matrices (the Hessian,
        the Jacobian) at their finite-difference price of ``n_params`` gradients, whatever an
        objective's own kernel costs. This kernel costs one forward pass and, per output,
        about the multiply-adds of one backward pass, plus writing the ``m x n`` matrix:
        measured at 1.1 gradient times for the 4-6-1 network on 100 samples and 1.2-1.7 for
        4-16-1 on 200 samples, far below the ``n_params`` (37, 97) charged.
    max_jac_entries : int
        :meth:`jacobian` refuses matrices with more than this many entries
        (``n_samples * n_outputs * n_params``). Default ``2**27`` (1 GiB).
    blas_min_work : int
        Networks with ``n_samples * n_params`` at least this evaluate losses, gradients and
        Hessian-vector products with numpy/BLAS matrix products; smaller ones in the numba
        kernels. Default ``BLAS_MIN_WORK`` (4 million); set it on an instance to force a route.

    Notes
    -----
    Parameter order: for each layer ``i``, ``W_i`` (``sizes[i] x sizes[i+1]``, row-major)
    then ``b_i``; a layer computes ``A @ W_i + b_i``. For the default ``(4, 6, 1)`` this is
    ``[W1 (4x6), b1 (6), W2 (6), b2 (1)]``. :meth:`unpack` and :meth:`pack` convert.

    The loss averages over all ``n_samples * n_outputs`` entries and has no factor 1/2, so the
    gradient carries ``2 / (n_samples * n_outputs)``: this is the loss of the LAML reference
    experiment. The gradient is backpropagation; Hessian-vector products are Pearlmutter's
    R-operator [1]_ (forward-over-reverse), exact for the smooth activations. For ReLU they are the
    almost-everywhere derivatives: ``relu'(z) = [z > 0]`` (so ``relu'(0) := 0``) and
    ``relu'' = 0``, i.e. the derivatives with the current activation pattern frozen.
    :meth:`hess` forms the Hessian by R-operator passes over blocks of unit vectors that share
    one forward and backward pass; it costs ``O(n_params * n_samples * n_weights)`` and
    ``8 n_params**2`` bytes.

    Small networks run in numba kernels (``lagopt.objectives._mlp_kernels``), whose batched
    forms are parallel over the points once there is enough work to pay for the threads. Wide
    ones (``n_samples * n_params >= blas_min_work``) evaluate losses, gradients and
    Hessian-vector products with one BLAS matrix product per layer and pass
    (``lagopt.objectives._mlp_blas``), the same numbers to rounding; Hessians always use the
    kernels. The first evaluation in a session loads the compiled kernels from numba's on-disk cache
    (about 0.3 s); on a cold cache it compiles them (20-30 s, once).

    The least-squares form: :meth:`residuals` are ``f_theta(X) - y`` flattened sample-major
    (``m = n_samples * n_outputs`` entries, in the order of ``(f_theta(X) - y).ravel()``), and
    :meth:`jacobian` is exact, from backpropagation seeded once per output and vectorised over
    the samples (``lagopt.objectives._mlp_jacobian``; always the numba kernel, also for wide
    networks), with the same almost-everywhere ReLU derivative as the gradient. Hence
    ``grad == 2 * residual_scale * J.T @ r`` to rounding.

    Where the parameters are so large that the network overflows, the loss is ``inf`` but the
    derivatives would be NaN: :meth:`grad`, :meth:`grad_batch`, :meth:`hess`,
    :meth:`hess_batch`, :meth:`hessp` and :meth:`hessp_batch` then raise
    :class:`lagopt.NonFiniteError` (an ``ArithmeticError``, which the path solvers and
    optimizers turn into ``Status.NON_FINITE``) instead of returning NaN.

    References
    ----------
    .. [1] B. A. Pearlmutter, "Fast exact multiplication by the Hessian", Neural Computation 6
       (1994), 147-160.

    Examples
    --------
    >>> import numpy as np
    >>> rs = np.random.RandomState(42)
    >>> X = rs.randn(100, 4); y = X @ [1.0, -0.5, 0.3, 0.8]
    >>> f = MLPObjective(X, y, sizes=(4, 6, 1), activation="relu")
    >>> theta = f.init_params(42)
    >>> f.n_params, f.grad(theta).shape, f.hess(theta).shape
    (37, (37,), (37, 37))

    The residuals and their Jacobian (the least-squares form):

    >>> r, J = f.residuals(theta), f.jacobian(theta)
    >>> r.shape, J.shape, f.residual_scale
    ((100,), (100, 37), 0.01)
    >>> bool(np.isclose(f.loss(theta), f.residual_scale * r @ r, rtol=1e-13))
    True
    >>> np.allclose(f.grad(theta), 2 * f.residual_scale * J.T @ r, rtol=1e-12, atol=1e-14)
    True
    """

    hessp_cost = 2.0
    max_hess_params = 4000
    max_jac_entries = 2 ** 27
    blas_min_work = BLAS_MIN_WORK
    has_residuals = True

    def __init__(self, X: ArrayLike, y: ArrayLike, sizes: Sequence[int] = (4, 6, 1),
                 activation: str = "relu", beta: float = 1.0) -> None:
        X = as_matrix(X, "X")
        if X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError(f"`X` must have at least one row and one column, got shape "
                             f"{X.shape}.")
        try:
            y_arr = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"`y` must be an array of real numbers ({exc}).") from None
        if y_arr.ndim not in (1, 2):
            raise ValueError(f"`y` must be 1-D (n_samples,) or 2-D (n_samples, n_outputs), "
                             f"got shape {y_arr.shape}.")
        if y_arr.shape[0] != X.shape[0]:
            raise ValueError(f"`y` must have one row per row of `X` ({X.shape[0]}), got "
                             f"{y_arr.shape[0]}.")
        if not np.all(np.isfinite(y_arr)):
            raise ValueError("`y` must contain only finite values.")
        n_outputs = 1 if y_arr.ndim == 1 else y_arr.shape[1]

        if isinstance(sizes, (str, bytes)) or not np.iterable(sizes):
            raise TypeError(f"`sizes` must be a sequence of layer widths, got {sizes!r}.")
        sizes = tuple(sizes)
        if len(sizes) < 2:
            raise ValueError(f"`sizes` must have at least 2 entries (inputs, outputs), got "
                             f"{sizes}.")
        sizes = tuple(positive_int(s, f"sizes[{i}]") for i, s in enumerate(sizes))
        if sizes[0] != X.shape[1]:
            raise ValueError(f"`sizes[0]` must equal the number of features X.shape[1] = "
                             f"{X.shape[1]}, got {sizes[0]}.")
        if sizes[-1] != n_outputs:
            raise ValueError(f"`sizes[-1]` must equal the number of outputs of `y` "
                             f"({n_outputs}), got {sizes[-1]}.")
        if not isinstance(activation, str):
            raise TypeError(f"`activation` must be a string, got {type(activation).__name__}.")
        choice(activation, "activation", tuple(_k.ACTIVATIONS))
        beta = positive_float(beta, "beta")

        n_params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
        super().__init__(n_params)
        self.sizes = sizes
        self.activation = activation
        self.beta = beta
        self.n_samples = X.shape[0]
        self.n_outputs = n_outputs
        self.n_layers = len(sizes) - 1
        self.residual_scale = 1.0 / (self.n_samples * n_outputs)
        # The budget rule's finite-difference price, not this kernel's cost (see the docstring).
        self.jac_cost = float(n_params)
        self.smooth = activation != "relu"
        self.name = f"mlp{sizes}-{activation}"
        self.X = X.copy()
        self.y = y_arr.copy()
        self.X.flags.writeable = False
        self.y.flags.writeable = False
        # Kernel operands: feature-major, writable, C-contiguous, fixed dtypes, so that every
        # kernel compiles (or loads from cache) once for all objectives.
        self._Xt = np.ascontiguousarray(X.T)
        self._Yt = np.ascontiguousarray(y_arr.reshape(X.shape[0], n_outputs).T)
        self._sizes = np.asarray(sizes, dtype=np.int64)
        self._act = int(_k.ACTIVATIONS[activation])
        self._args = (self._Xt, self._Yt, self._sizes, self._act, float(beta))
        # Operands of the BLAS route: sample-major.
        self._Xs = self.X
        self._Ys = self.y.reshape(X.shape[0], n_outputs)

    def __repr__(self) -> str:
        extra = f", beta={self.beta}" if self.activation == "softplus" else ""
        return (f"MLPObjective(sizes={self.sizes}, activation={self.activation!r}{extra}, "
                f"n_samples={self.n_samples}, n_params={self.n_params})")

    # ------------------------------------------------------------------ parameters
    def _shapes(self):
        return [((a, b), (b,)) for a, b in zip(self.sizes[:-1], self.sizes[1:])]

    def unpack(self, theta: ArrayLike) -> list[tuple[NDArray[np.float64], NDArray[np.float64]]]:
        """Split a parameter vector into per-layer ``(W, b)``.

        Parameters
        ----------
        theta : array_like, shape (n_params,)

        Returns
        -------
        list of (ndarray, ndarray)
            ``W`` of shape ``(fan_in, fan_out)`` and ``b`` of shape ``(fan_out,)`` per layer;
            views into ``theta`` when it is already a contiguous float64 array.
        """
        theta = as_vector(theta, "theta", self.n_params, finite=False)
        out = []
        p = 0
        for (a, b), _ in self._shapes():
            W = theta[p:p + a * b].reshape(a, b)
            p += a * b
            out.append((W, theta[p:p + b]))
            p += b
        return out

    def pack(self, layers: Sequence[tuple[ArrayLike, ArrayLike]]) -> NDArray[np.float64]:
        """Inverse of :meth:`unpack`: a sequence of ``(W, b)`` to a vector of length n_params."""
        shapes = self._shapes()
        if not np.iterable(layers) or len(layers) != len(shapes):
            raise ValueError(f"`layers` must be a sequence of {len(shapes)} (W, b) pairs.")
        parts = []
        for i, (layer, (w_shape, b_shape)) in enumerate(zip(layers, shapes)):
            try:
                W, b = layer
            except (TypeError, ValueError):
                raise ValueError(f"`layers[{i}]` must be a (W, b) pair.") from None
            W = np.asarray(W, dtype=np.float64)
            b = np.asarray(b, dtype=np.float64).reshape(-1)
            if W.shape != w_shape or b.shape != b_shape:
                raise ValueError(f"`layers[{i}]` must hold W of shape {w_shape} and b of "
                                 f"shape {b_shape}, got {W.shape} and {b.shape}.")
            parts += [W.ravel(), b]
        return np.concatenate(parts)

    def init_params(self, seed: Union[int, None, np.random.RandomState,
                                      np.random.Generator] = 42,
                    scale: float = 0.1) -> NDArray[np.float64]:
        """The reference initialisation: ``W = scale * randn(fan_in, fan_out)``, ``b = 0``.

        Parameters
        ----------
        seed : int, None, numpy.random.RandomState or numpy.random.Generator, optional
            An int or None seeds a fresh legacy ``RandomState`` (the original LAML experiment
            re-seeds 42). A ``RandomState`` is drawn from and *advanced*, so a caller can keep
            using the same stream afterwards, as the reference LAML loop does. A ``Generator``
            is drawn from with ``standard_normal``.
        scale : float, optional
            Standard deviation of the weights. Default 0.1.

        Returns
        -------
        ndarray, shape (n_params,)
            Weights drawn layer by layer in order, each in row-major order.
        """
        scale = positive_float(scale, "scale", allow_zero=True)
        if isinstance(seed, np.random.RandomState):
            draw = lambda shape: seed.randn(*shape)  # noqa: E731
        elif isinstance(seed, np.random.Generator):
            draw = seed.standard_normal
        else:
            if seed is not None and (isinstance(seed, bool)
                                     or not isinstance(seed, numbers.Integral)):
                raise TypeError("`seed` must be an int, None, a numpy RandomState or a "
                                f"Generator, got {type(seed).__name__}.")
            try:
                rs = np.random.RandomState(seed)
            except ValueError as exc:
                raise ValueError(f"`seed` is not a valid RandomState seed ({exc}).") from None
            draw = lambda shape: rs.randn(*shape)  # noqa: E731
        layers = [(scale * draw(w_shape), np.zeros(b_shape)) for w_shape, b_shape in
                  self._shapes()]
        return self.pack(layers)

    def predict(self, theta: ArrayLike, X: Optional[ArrayLike] = None) -> NDArray[np.float64]:
        """Network outputs for parameters ``theta`` on ``X`` (default: the training inputs).

        Returns shape ``(n, )`` for a single-output network, else ``(n, n_outputs)``.
        """
        W, b = self.unpack(as_vector(theta, "theta", self.n_params))[-1]
        A = self.hidden_features(theta, X) @ W + b
        return A[:, 0] if self.y.ndim == 1 else A

    def hidden_features(self, theta: ArrayLike,
                        X: Optional[ArrayLike] = None) -> NDArray[np.float64]:
        """Activations of the last hidden layer for parameters ``theta`` on ``X`` (default:
        the training inputs), shape ``(n, sizes[-2])``; the inputs themselves for a network
        without hidden layers. The output layer is linear in these features, which is what
        a closed-form (least-squares) output layer uses.
        """
        layers = self.unpack(as_vector(theta, "theta", self.n_params))
        A = self.X if X is None else as_matrix(X, "X", None)
        if A.shape[1] != self.sizes[0]:
            raise ValueError(f"`X` must have {self.sizes[0]} columns, got {A.shape[1]}.")
        act = _ACTIVATIONS_NP[self.activation]
        for W, b in layers[:-1]:
            A = act(A @ W + b, self.beta)
        return A

    # ------------------------------------------------------------------ Hessian size guard
    def _check_hess_size(self, m=1):
        n = self.n_params
        if n > self.max_hess_params:
            mb = 8.0 * n * n * m / 2**20
            raise ValueError(
                f"The Hessian of this network has {n} x {n} entries ({mb:,.0f} MB for "
                f"{m} point(s)), above `max_hess_params` = {self.max_hess_params}. Use "
                "`hessp(theta, v)` (Hessian-vector products, about 2 gradients each) instead, "
                "or raise `max_hess_params` on the objective if you really need it.")

    def hess(self, theta: ArrayLike) -> NDArray[np.float64]:
        """Hessian at one point, shape ``(n_params, n_params)`` (exact; a.e. for ReLU).

        Raises `lagopt.NonFiniteError` when it is not finite (the network overflows there).
        """
        self._check_hess_size()
        return _finite(super().hess(theta), "Hessian", theta)

    def hess_batch(self, P: ArrayLike) -> NDArray[np.float64]:
        """Hessians at the columns of ``P``; returns shape ``(n_params, n_params, m)``.

        Raises `lagopt.NonFiniteError` when one is not finite, naming its column.
        """
        self._check_hess_size(np.shape(P)[-1] if np.ndim(P) == 2 else 1)
        return _finite(super().hess_batch(P), "Hessian", P)

    def grad_batch(self, P: ArrayLike) -> NDArray[np.float64]:
        """Gradients at the columns of ``P``; returns shape ``(n_params, m)``.

        Raises `lagopt.NonFiniteError` when one is not finite, naming its column (as
        :meth:`grad` does at one point).
        """
        return _finite(super().grad_batch(P), "gradient", P)

    def hessp(self, theta: ArrayLike, v: ArrayLike) -> NDArray[np.float64]:
        """Hessian-vector product ``H(theta) @ v``, shape ``(n_params,)``.

        Raises `lagopt.NonFiniteError` when it is not finite.
        """
        return _finite(super().hessp(theta, v), "Hessian-vector product", theta)

    def hessp_batch(self, P: ArrayLike, V: ArrayLike) -> NDArray[np.float64]:
        """Hessian-vector products ``H(P[:, j]) @ V[:, j]``; shape ``(n_params, m)``.

        Raises `lagopt.NonFiniteError` when one is not finite, naming its column.
        """
        return _finite(super().hessp_batch(P, V), "Hessian-vector product", P)

    def jacobian(self, theta: ArrayLike) -> NDArray[np.float64]:
        """Jacobian of :meth:`residuals`, shape ``(n_samples * n_outputs, n_params)`` (exact;
        a.e. for ReLU). Returned in Fortran order (the transpose of the kernel's C-ordered
        ``n_params x m`` buffer, whose inner loops run over the samples)."""
        entries = self.n_samples * self.n_outputs * self.n_params
        if entries > self.max_jac_entries:
            raise ValueError(
                f"The Jacobian of the residuals has {self.n_samples * self.n_outputs} x "
                f"{self.n_params} entries ({8.0 * entries / 2**20:,.0f} MB), above "
                f"`max_jac_entries` = {self.max_jac_entries}. Use gradient methods, or raise "
                "`max_jac_entries` on the objective if you really need it.")
        return super().jacobian(theta)

    # ------------------------------------------------------------------ kernels
    def _uses_blas(self, order):
        """Whether ``order`` runs on the numpy/BLAS route (see ``blas_min_work``)."""
        return order != 2 and self.n_samples * self.n_params >= self.blas_min_work

    def _eval(self, P, order, out=_EMPTY, V=_EMPTY2):
        """Evaluate at the columns of ``P``: on the numpy/BLAS route for wide networks, else
        in the numba kernel, in parallel when the work pays for it. Returns the losses (orders
        0 and 1; see ``_mlp_kernels.mlp_eval``)."""
        n, m = P.shape
        f = np.empty(m)
        if self._uses_blas(order):
            _blas.evaluate(P, V, self._Xs, self._Ys, self._sizes, self._act, self.beta, order,
                           f, out.reshape(n, m) if order else out)
            return f
        work = m * n * self.n_samples * (1, 3, 9 * n, 6)[order]
        if m > 1 and work >= _k.PARALLEL_MIN_WORK and numba.get_num_threads() > 1:
            chunks = min(m, numba.get_num_threads())
            _k.mlp_eval_parallel(P, V, *self._args, order, f, out.reshape(-1), chunks)
        else:
            _k.mlp_eval(P, V, *self._args, order, f, out.reshape(-1), 0, m)
        return f

    def _loss(self, theta):
        return self._eval(theta.reshape(-1, 1), 0)[0]

    def _loss_and_grad(self, theta):
        g = np.empty(self.n_params)
        return float(self._eval(theta.reshape(-1, 1), 1, g)[0]), g

    def _grad(self, theta):
        return self._loss_and_grad(theta)[1]

    def _hess(self, theta):
        H = np.empty((self.n_params, self.n_params))
        self._eval(theta.reshape(-1, 1), 2, H)
        return H

    def _hessp(self, theta, v):
        out = np.empty(self.n_params)
        self._eval(theta.reshape(-1, 1), 3, out, v.reshape(-1, 1))
        return out

    def _residuals(self, theta):
        r = np.empty(self.n_samples * self.n_outputs)
        _jac.mlp_residuals_jacobian(theta, *self._args, r, _EMPTY2)
        return r

    def _jacobian(self, theta):
        m = self.n_samples * self.n_outputs
        JT = np.empty((self.n_params, m))
        _jac.mlp_residuals_jacobian(theta, *self._args, np.empty(m), JT)
        return JT.T

    def _loss_batch(self, P):
        return self._eval(P, 0)

    def _grad_batch(self, P):
        out = np.empty(P.shape)
        self._eval(P, 1, out)
        return out

    def _loss_and_grad_batch(self, P):
        out = np.empty(P.shape)
        f = self._eval(P, 1, out)
        return f, out

    def _hessp_batch(self, P, V):
        out = np.empty(P.shape)
        self._eval(P, 3, out, np.ascontiguousarray(V))
        return out

    def _hess_batch(self, P):
        n, m = P.shape
        out = np.empty((n, n, m))
        self._eval(P, 2, out)
        return out


def _finite(out, what, P):
    """`out` (the `what` at the point `P`, or at the columns of `P`, the points along the last
    axis of `out`) when finite; else raise `lagopt.NonFiniteError` naming the point."""
    if np.isfinite(out).all():
        return out
    P = np.asarray(P, dtype=np.float64)
    if P.ndim == 1:
        where = f"at theta (max |theta_i| = {np.max(np.abs(P)):.3g})"
    else:
        bad = ~np.isfinite(out.reshape(-1, P.shape[1])).all(axis=0)
        j = int(np.argmax(bad))
        where = f"at column {j} of P (max |theta_i| = {np.max(np.abs(P[:, j])):.3g})"
    raise NonFiniteError(f"the {what} is not finite {where}: the loss overflows there.")


def _softplus_np(z, beta):
    return np.logaddexp(0.0, beta * z) / beta


def _sigmoid_np(z, beta):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


_ACTIVATIONS_NP = {
    "relu": lambda z, beta: np.maximum(z, 0.0),
    "tanh": lambda z, beta: np.tanh(z),
    "softplus": _softplus_np,
    "sigmoid": _sigmoid_np,
    "linear": lambda z, beta: z,
}
