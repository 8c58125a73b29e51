"""User losses given as plain Python callables, and the coercion every entry point uses."""
from __future__ import annotations

from typing import Any, Callable, Optional, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._status import NonFiniteError
from .._validation import positive_float, positive_int
from ._base import Objective

__all__ = ["CallableObjective", "as_objective"]

_EPS = np.finfo(np.float64).eps

#: A user's loss ``loss(theta) -> float``, gradient ``grad(theta) -> (n,)`` or Hessian
#: ``hess(theta) -> (n, n)``; ``theta`` is a float64 array of shape ``(n,)``. Vectorized
#: (``vectorized=True``): ``P`` of shape ``(n, m)`` gives ``(m,)``, ``(n, m)``, ``(n, n, m)``.
LossFunction = Callable[[NDArray[np.float64]], Any]
DerivativeFunction = Callable[[NDArray[np.float64]], ArrayLike]


def _as_real(which: str, value: Any, shape: tuple) -> Optional[NDArray[np.float64]]:
    """`value`, returned by the user's callable `which`, as a float64 array.

    ``np.asarray(value, dtype=float)`` alone would turn None into NaN (reported as a NaN loss)
    and parse strings, so non-numeric values are refused first: TypeError naming `which` and
    the type. A bare None where an array (not a scalar) is expected gives None, for the caller's
    shape error.
    """
    if value is None:
        if shape == ():
            raise TypeError(f"`{which}` returned None, not a real number (a missing "
                            "`return`?).")
        return None
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):      # e.g. a ragged sequence
        raw = None
    if raw is not None and raw.dtype.kind == "O" and any(v is None for v in raw.flat):
        raise TypeError(f"`{which}` must return real numbers, got a "
                        f"{type(value).__name__} containing None.")
    if raw is None or raw.dtype.kind not in "biufO":
        got = type(value).__name__ if raw is None or raw.ndim == 0 else \
            f"{type(value).__name__} of dtype {raw.dtype}"
        raise TypeError(f"`{which}` must return real numbers, got {got}.")
    try:
        return np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"`{which}` must return real numbers, got "
                        f"{type(value).__name__}.") from None


class CallableObjective(Objective):
    r"""An :class:`Objective` around user callables; missing derivatives by finite differences.

    Parameters
    ----------
    loss : callable
        ``loss(theta) -> float`` for ``theta`` of shape ``(n_params,)``.
    n_params : int
        Dimension of ``theta``.
    grad : callable, optional
        ``grad(theta) -> ndarray (n_params,)``. Default: central differences of ``loss``.
    hess : callable, optional
        ``hess(theta) -> ndarray (n_params, n_params)``, symmetric. Default: central
        differences of ``grad`` (or, without ``grad``, second differences of ``loss``).
    fd_step : float, optional
        Relative finite-difference step ``h``: coordinate ``i`` moves by
        ``h * max(1, |theta_i|)``. Default ``eps**(1/3)`` (about 6e-6) for first differences
        and ``eps**(1/4)`` (about 1.2e-4) for second differences of ``loss``, the steps that
        balance truncation against rounding.
    smooth : bool, optional, keyword-only
        Declare ``False`` for a piecewise-smooth loss (e.g. your own ReLU model) so that
        ``solve_action_path(method="auto")`` avoids residual-controlled collocation.
    name : str, optional, keyword-only
        Label for reports. Default ``loss.__name__``.
    vectorized : bool, optional, keyword-only
        ``True`` when the callables take many points at once, like ``fun`` of
        ``scipy.integrate.solve_bvp``: they receive ``P`` of shape ``(n_params, m)`` (the
        points are the columns, ``m >= 1``, a float64 copy) and return ``loss(P)`` of shape
        ``(m,)``, ``grad(P)`` of shape ``(n_params, m)`` and ``hess(P)`` of shape
        ``(n_params, n_params, m)``. Single points are passed as one column. Default
        ``False``: the callables take one point of shape ``(n_params,)``.

    Attributes
    ----------
    n_calls : dict
        Invocations of the user's ``loss``, ``grad`` and ``hess`` (``counts`` counts the points
        at which the objective was asked; with finite differences one gradient is ``2 n``
        calls of ``loss``). ``reset_counts()`` zeroes both. With ``vectorized=True`` a batch
        of points is one call.
    vectorized : bool
        Whether the callables are vectorized.

    Notes
    -----
    Finite differences are slow and only accurate to about 1e-10 (gradients) or 1e-7
    (Hessians) relative to the scale of ``loss``: a gradient costs ``2 n`` loss evaluations, a
    Hessian ``2 n`` gradients, or ``2 n**2 + 1`` loss evaluations without ``grad``. Supply
    ``grad`` (and ``hess``) whenever you can. Whatever the user callables return is checked:
    a wrong shape, a non-numeric value or a NaN raises an error naming the callable instead of
    propagating silently. The callables receive a copy of ``theta``, so they may modify it.

    Vectorized callables (``vectorized=True``) make every batched evaluation (``loss_batch``,
    ``grad_batch``, ``hess_batch``, ``hessp_batch``, ``loss_and_grad_batch``) one call of the
    user's function instead of a Python loop over the points; the path solvers evaluate whole
    meshes at once, so this is what makes them fast on small problems such as classic
    boundary value problems. Finite differences are then vectorized too: ``2 n`` calls of
    ``loss`` give the gradients at all points, and the checks run once per batch.

    Examples
    --------
    >>> import numpy as np
    >>> f = CallableObjective(lambda x: np.sum(x ** 4), 3, grad=lambda x: 4 * x ** 3)
    >>> f.grad(np.ones(3))
    array([4., 4., 4.])
    >>> np.round(f.hess(np.ones(3)), 4)          # central differences of `grad`
    array([[12.,  0.,  0.],
           [ 0., 12.,  0.],
           [ 0.,  0., 12.]])

    Vectorized: the points are the columns of ``P``, and a batch is one call.

    >>> fv = CallableObjective(lambda P: np.sum(P ** 4, axis=0), 3, grad=lambda P: 4 * P ** 3,
    ...                        vectorized=True)
    >>> fv.grad(np.ones(3))
    array([4., 4., 4.])
    >>> fv.loss_batch(np.array([[1.0, 2.0], [1.0, 0.0], [1.0, 0.0]]))
    array([ 3., 16.])
    >>> fv.n_calls["loss"]
    1
    """

    def __init__(self, loss: LossFunction, n_params: int,
                 grad: Optional[DerivativeFunction] = None,
                 hess: Optional[DerivativeFunction] = None, fd_step: Optional[float] = None, *,
                 smooth: bool = True, name: Optional[str] = None,
                 vectorized: bool = False) -> None:
        for arg, value in (("loss", loss), ("grad", grad), ("hess", hess)):
            if value is not None and not callable(value):
                raise TypeError(f"`{arg}` must be callable, got {type(value).__name__}.")
        if loss is None:
            raise TypeError("`loss` must be callable, got None.")
        super().__init__(positive_int(n_params, "n_params"))
        self._loss_fn = loss
        self._grad_fn = grad
        self._hess_fn = hess
        if fd_step is None:
            self._h1: float = _EPS ** (1 / 3)
            self._h2: float = _EPS ** (1 / 4)
        else:
            self._h1 = self._h2 = positive_float(fd_step, "fd_step")
        self.smooth = bool(smooth)
        self.vectorized = bool(vectorized)
        self.name = name if name is not None else getattr(loss, "__name__", "callable")
        self.n_calls = {"loss": 0, "grad": 0, "hess": 0}

    def __repr__(self) -> str:
        have = [k for k, fn in (("grad", self._grad_fn), ("hess", self._hess_fn)) if fn]
        vec = ", vectorized=True" if self.vectorized else ""
        return (f"CallableObjective({self.name!r}, n_params={self.n_params}, "
                f"exact={have or 'none'}{vec})")

    def reset_counts(self) -> None:
        super().reset_counts()
        for key in self.n_calls:
            self.n_calls[key] = 0

    # ------------------------------------------------------------------ checked calls
    def _call(self, which, fn, theta, shape):
        self.n_calls[which] += 1
        arr = _as_real(which, fn(theta.copy()), shape)
        if arr is None or arr.shape != shape:
            expected = "a scalar" if shape == () else f"shape {shape}"
            got = "None" if arr is None else f"shape {arr.shape}"
            raise ValueError(f"`{which}` must return {expected}, got {got}.")
        return arr

    def _f(self, theta):
        val = self._call("loss", self._loss_fn, theta, ())
        if np.isnan(val):
            raise NonFiniteError(f"`loss` returned NaN at theta = {theta!r}.")
        return float(val)

    def _g(self, theta):
        n = self.n_params
        g = self._call("grad", self._grad_fn, theta, (n,))
        if not np.isfinite(g).all():
            raise NonFiniteError("`grad` returned non-finite values.")
        return np.array(g)

    def _h(self, theta):
        n = self.n_params
        H = self._call("hess", self._hess_fn, theta, (n, n))
        if not np.isfinite(H).all():
            raise NonFiniteError("`hess` returned non-finite values.")
        asym = np.max(np.abs(H - H.T))
        if asym > 1e-8 * max(1.0, np.max(np.abs(H))):
            raise ValueError(f"`hess` returned a non-symmetric matrix (max |H - H.T| = "
                             f"{asym:.3g}).")
        return np.array(H)

    # ------------------------------------------------------------------ vectorized calls
    def _vcall(self, which, fn, P, shape):
        m = P.shape[1]
        if m == 0:                      # nothing to evaluate; the callables need m >= 1
            return np.empty(shape)
        self.n_calls[which] += 1
        arr = _as_real(which, fn(np.array(P, dtype=np.float64)), shape)
        if arr is None or arr.shape != shape:
            points = "point" if m == 1 else "points"
            got = "None" if arr is None else f"shape {arr.shape}"
            raise ValueError(f"`{which}` must return shape {shape} for {m} {points} "
                             f"(vectorized=True: points are columns), got {got}.")
        return arr

    def _fv(self, P):
        f = self._vcall("loss", self._loss_fn, P, (P.shape[1],))
        nan = np.isnan(f)
        if np.any(nan):
            j = int(np.argmax(nan))
            raise NonFiniteError(f"`loss` returned NaN at theta = {P[:, j]!r} (column {j} of "
                                 "the points).")
        return np.array(f)

    def _gv(self, P):
        G = self._vcall("grad", self._grad_fn, P, P.shape)
        if not np.isfinite(G).all():
            raise NonFiniteError("`grad` returned non-finite values.")
        return np.array(G)

    def _hv(self, P):
        n, m = P.shape
        H = self._vcall("hess", self._hess_fn, P, (n, n, m))
        if not np.isfinite(H).all():
            raise NonFiniteError("`hess` returned non-finite values.")
        if m:
            asym = np.max(np.abs(H - H.transpose(1, 0, 2)), axis=(0, 1))
            bad = asym > 1e-8 * np.maximum(1.0, np.max(np.abs(H), axis=(0, 1)))
            if np.any(bad):
                j = int(np.argmax(bad))
                raise ValueError(f"`hess` returned a non-symmetric matrix at column {j} of the "
                                 f"points (max |H - H.T| = {asym[j]:.3g}).")
        return np.array(H)

    def _grad_v(self, P):
        if self._grad_fn is not None:
            return self._gv(P)
        # Central differences, all points at once: 2n calls of `loss`.
        h = self._h1 * np.maximum(1.0, np.abs(P))
        G = np.empty_like(P)
        X = np.array(P)
        for i in range(self.n_params):
            X[i] = P[i] + h[i]
            fp = self._fv(X)
            X[i] = P[i] - h[i]
            fm = self._fv(X)
            X[i] = P[i]
            G[i] = (fp - fm) / (2.0 * h[i])
        if not np.isfinite(G).all():
            raise NonFiniteError("The finite-difference gradient of `loss` is not finite.")
        return G

    def _hess_v(self, P):
        if self._hess_fn is not None:
            return self._hv(P)
        n, m = P.shape
        H = np.empty((n, n, m))
        X = np.array(P)
        if self._grad_fn is not None:
            h = self._h1 * np.maximum(1.0, np.abs(P))
            for i in range(n):
                X[i] = P[i] + h[i]
                gp = self._gv(X)
                X[i] = P[i] - h[i]
                gm = self._gv(X)
                X[i] = P[i]
                H[:, i] = (gp - gm) / (2.0 * h[i])
            return 0.5 * (H + H.transpose(1, 0, 2))
        # Second differences of the loss alone: 2 n^2 + 1 calls, each on all points.
        h = self._h2 * np.maximum(1.0, np.abs(P))
        f0 = self._fv(P)
        for i in range(n):
            X[i] = P[i] + h[i]
            fp = self._fv(X)
            X[i] = P[i] - h[i]
            fm = self._fv(X)
            X[i] = P[i]
            H[i, i] = (fp - 2.0 * f0 + fm) / (h[i] * h[i])
        for i in range(n):
            for j in range(i + 1, n):
                s = np.zeros(m)
                for si, sj in ((1, 1), (-1, -1), (1, -1), (-1, 1)):
                    X[i] = P[i] + si * h[i]
                    X[j] = P[j] + sj * h[j]
                    s += si * sj * self._fv(X)
                X[i] = P[i]
                X[j] = P[j]
                H[i, j] = H[j, i] = s / (4.0 * h[i] * h[j])
        if not np.isfinite(H).all():
            raise NonFiniteError("The finite-difference Hessian of `loss` is not finite.")
        return H

    # ------------------------------------------------------------------ Objective
    def _loss(self, theta):
        if self.vectorized:
            return float(self._fv(theta[:, None])[0])
        return self._f(theta)

    def _grad(self, theta):
        if self.vectorized:
            return self._grad_v(theta[:, None])[:, 0]
        if self._grad_fn is not None:
            return self._g(theta)
        # Central differences: O(h^2) truncation, 2n calls of `loss`.
        h = self._h1 * np.maximum(1.0, np.abs(theta))
        g = np.empty(self.n_params)
        x = theta.copy()
        for i in range(self.n_params):
            x[i] = theta[i] + h[i]
            fp = self._f(x)
            x[i] = theta[i] - h[i]
            fm = self._f(x)
            x[i] = theta[i]
            g[i] = (fp - fm) / (2.0 * h[i])
        if not np.isfinite(g).all():
            raise NonFiniteError("The finite-difference gradient of `loss` is not finite.")
        return g

    def _loss_and_grad(self, theta):
        return self._loss(theta), self._grad(theta)

    def _hess(self, theta):
        if self.vectorized:
            return self._hess_v(theta[:, None])[:, :, 0]
        if self._hess_fn is not None:
            return self._h(theta)
        n = self.n_params
        H = np.empty((n, n))
        x = theta.copy()
        if self._grad_fn is not None:
            h = self._h1 * np.maximum(1.0, np.abs(theta))
            for i in range(n):
                x[i] = theta[i] + h[i]
                gp = self._g(x)
                x[i] = theta[i] - h[i]
                gm = self._g(x)
                x[i] = theta[i]
                H[:, i] = (gp - gm) / (2.0 * h[i])
            return 0.5 * (H + H.T)
        # Second differences of the loss alone: 2 n^2 + 1 calls.
        h = self._h2 * np.maximum(1.0, np.abs(theta))
        f0 = self._f(theta)
        fp = np.empty(n)
        fm = np.empty(n)
        for i in range(n):
            x[i] = theta[i] + h[i]
            fp[i] = self._f(x)
            x[i] = theta[i] - h[i]
            fm[i] = self._f(x)
            x[i] = theta[i]
            H[i, i] = (fp[i] - 2.0 * f0 + fm[i]) / (h[i] * h[i])
        for i in range(n):
            for j in range(i + 1, n):
                s = 0.0
                for si, sj in ((1, 1), (-1, -1), (1, -1), (-1, 1)):
                    x[i] = theta[i] + si * h[i]
                    x[j] = theta[j] + sj * h[j]
                    s += si * sj * self._f(x)
                x[i] = theta[i]
                x[j] = theta[j]
                H[i, j] = H[j, i] = s / (4.0 * h[i] * h[j])
        if not np.isfinite(H).all():
            raise NonFiniteError("The finite-difference Hessian of `loss` is not finite.")
        return H

    def _hessp(self, theta, v):
        if self.vectorized:
            return self._hessp_batch(theta[:, None], v[:, None])[:, 0]
        if self._hess_fn is not None:
            return self._h(theta) @ v
        vnorm = np.linalg.norm(v)
        if vnorm == 0.0:
            return np.zeros(self.n_params)
        # Central difference of the gradient along v; a finite-difference gradient is only
        # accurate to ~eps^(2/3), so it needs the larger second-difference step.
        h = self._h1 if self._grad_fn is not None else self._h2
        t = h * max(1.0, np.linalg.norm(theta)) / vnorm
        return (self._grad(theta + t * v) - self._grad(theta - t * v)) / (2.0 * t)

    # Batched forms: one call of the user's function per batch when vectorized, otherwise the
    # per-point loops of the base class.
    def _loss_batch(self, P):
        if self.vectorized:
            return self._fv(P)
        return super()._loss_batch(P)

    def _grad_batch(self, P):
        if self.vectorized:
            return self._grad_v(P)
        return super()._grad_batch(P)

    def _loss_and_grad_batch(self, P):
        if self.vectorized:
            return self._fv(P), self._grad_v(P)
        return super()._loss_and_grad_batch(P)

    def _hess_batch(self, P):
        if self.vectorized:
            return self._hess_v(P)
        return super()._hess_batch(P)

    def _hessp_batch(self, P, V):
        if not self.vectorized:
            return super()._hessp_batch(P, V)
        if self._hess_fn is not None:
            return np.einsum("ijk,jk->ik", self._hv(P), V)
        # Central differences of the gradient along each column of V (as in `_hessp`), all
        # columns at once: two batched gradients.
        out = np.zeros_like(P)
        vnorm = np.linalg.norm(V, axis=0)
        nz = vnorm > 0.0
        if np.any(nz):
            Pn, Vn = P[:, nz], V[:, nz]
            h = self._h1 if self._grad_fn is not None else self._h2
            t = h * np.maximum(1.0, np.linalg.norm(Pn, axis=0)) / vnorm[nz]
            out[:, nz] = (self._grad_v(Pn + t * Vn) - self._grad_v(Pn - t * Vn)) / (2.0 * t)
        return out


def as_objective(obj: Union[Objective, LossFunction], n_params: Optional[int] = None,
                 grad: Optional[DerivativeFunction] = None,
                 hess: Optional[DerivativeFunction] = None, *,
                 name: str = "objective", vectorized: bool = False) -> Objective:
    """Return ``obj`` as an :class:`Objective`.

    Parameters
    ----------
    obj : Objective or callable
        An objective is returned unchanged; a callable ``loss(theta) -> float`` is wrapped in
        a :class:`CallableObjective`.
    n_params : int, optional
        Required for a callable (entry points pass ``len(theta0)``); for an objective it is
        checked against ``obj.n_params`` when given.
    grad, hess : callable, optional
        Exact derivatives of a callable loss; not allowed with an :class:`Objective`, which
        has its own.
    name : str, optional, keyword-only
        Name of the argument in the caller, for error messages. Default ``"objective"``.
    vectorized : bool, optional, keyword-only
        The callables take the points as the columns of an ``(n_params, m)`` array (see
        :class:`CallableObjective`); not allowed with an :class:`Objective`. Default ``False``.

    Returns
    -------
    Objective

    Raises
    ------
    TypeError
        If ``obj`` is neither an :class:`Objective` nor callable.
    ValueError
        If ``grad``/``hess`` or ``vectorized=True`` accompany an :class:`Objective`,
        ``n_params`` disagrees with it, or ``n_params`` is missing for a callable.
    """
    if isinstance(obj, Objective):
        if grad is not None or hess is not None:
            raise ValueError(f"`grad` and `hess` apply only when `{name}` is a plain callable; "
                             f"{type(obj).__name__} provides its own derivatives.")
        if vectorized:
            raise ValueError(f"`vectorized=True` applies only when `{name}` is a plain "
                             f"callable; {type(obj).__name__} evaluates batches itself.")
        if n_params is not None and positive_int(n_params, "n_params") != obj.n_params:
            raise ValueError(f"`{name}` has {obj.n_params} parameters but `n_params` is "
                             f"{n_params}.")
        return obj
    if isinstance(obj, type) and issubclass(obj, Objective):
        raise TypeError(f"`{name}` must be an Objective instance, got the class "
                        f"{obj.__name__}; call it, e.g. {obj.__name__}(...).")
    if callable(obj):
        if n_params is None:
            raise ValueError(f"`n_params` is required when `{name}` is a plain callable.")
        return CallableObjective(obj, n_params, grad=grad, hess=hess, vectorized=vectorized)
    raise TypeError(f"`{name}` must be an Objective or a callable loss(theta) -> float, got "
                    f"{type(obj).__name__}.")
