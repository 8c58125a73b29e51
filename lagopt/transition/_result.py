"""`CriticalPoint` and `MEPResult`, the results of `lagopt.transition`.

Modelled on scipy's ``OptimizeResult`` and on `lagopt.paths.ActionPath`: attribute access, a
``keys()``/``[]`` mapping view, ``success``/``status``/``message`` obeying the package rule
``success == (status == Status.SUCCESS)``, and a readable, aligned ``repr``.
"""
from __future__ import annotations

from typing import Any, Optional, Union

import numpy as np
from numpy.typing import NDArray

from .._status import Status, checked_status

__all__ = ["CriticalPoint", "MEPResult"]


def _fmt(value: Any) -> str:
    """One field of a result as a short string (arrays summarised, floats to 6 digits)."""
    if isinstance(value, np.ndarray):
        if value.ndim == 1 and value.size <= 6:
            return np.array2string(value, precision=6)
        if value.ndim == 1:
            return f"[{value[0]:.4g} {value[1]:.4g} ... {value[-1]:.4g}] ({value.size} values)"
        return f"array of shape {value.shape}"
    if isinstance(value, (float, np.floating)):
        text = f"{float(value):.10g}"
        return text + ".0" if text.lstrip("-").isdigit() else text
    if isinstance(value, list):
        if not value:
            return "[]"
        return "\n" + "\n".join("    " + v.summary() if hasattr(v, "summary") else repr(v)
                                for v in value)
    return repr(value) if isinstance(value, str) and "\n" not in value else str(value)


class _Display:
    """Mapping view and aligned repr shared by the result classes."""

    _FIELDS: tuple = ()

    def keys(self) -> list[str]:
        return list(self._FIELDS)

    def __getitem__(self, key: str) -> Any:
        if key not in self.keys():
            raise KeyError(key)
        return getattr(self, key)

    def __repr__(self) -> str:
        width = max(len(k) for k in self._FIELDS)
        return "\n".join(f"{k.rjust(width)}: {_fmt(getattr(self, k))}" for k in self._FIELDS)

    __str__ = __repr__


class CriticalPoint(_Display):
    r"""A stationary point of ``V`` (``grad V = 0``) with its Hessian-index certificate.

    Attributes
    ----------
    x : ndarray, shape (n,)
        Location.
    energy : float
        ``V(x)``.
    grad_norm : float
        ``max_i |dV/dx_i|`` at `x`: the max-abs (infinity) norm of the gradient.
    eigenvalues : ndarray
        The lowest Hessian eigenvalues found at `x`, ascending: all ``n`` of them on the dense
        route (``n <= dense_max``), the ``k`` smallest (Lanczos, `scipy.sparse.linalg.eigsh`
        on Hessian-vector products) on the matrix-free route.
    index : int
        Number of negative eigenvalues found (eigenvalues below ``-eig_tol``). On the
        matrix-free route, when all ``k`` eigenvalues found are negative, the true index may be
        larger; `index` is then a lower bound (and the point is not certified).
    kind : str
        ``"minimum"`` or ``"saddle"`` (what was looked for).
    certified : bool
        ``grad_norm <= tol`` and `index` exactly 0 for a minimum, exactly 1 for a saddle, with
        no eigenvalue in the degenerate band ``|lambda| <= eig_tol`` (``eig_tol`` = 1e-6 times
        the largest eigenvalue magnitude seen).
    degenerate : bool
        An eigenvalue is within ``eig_tol`` of zero: the index is not decidable and the point
        is not certified.
    n_grad : float
        Gradient evaluations spent on this point (refinement and certificate; a
        Hessian-vector product counts the objective's ``hessp_cost``, a dense Hessian ``n``).
    n_iter : int
        Newton / P-RFO iterations of the refinement (0 for a point only certified).
    message : str
        What the certificate found, or why the point is not certified.
    """

    _FIELDS = ("kind", "certified", "x", "energy", "grad_norm", "index", "eigenvalues",
               "degenerate", "n_grad", "n_iter", "message")

    def __init__(self, *, x: NDArray[np.float64], energy: float, grad_norm: float,
                 eigenvalues: NDArray[np.float64], index: int, kind: str, certified: bool,
                 n_grad: int = 0, n_iter: int = 0, degenerate: bool = False,
                 message: str = "") -> None:
        if kind not in ("minimum", "saddle"):
            raise ValueError(f"`kind` must be 'minimum' or 'saddle', got {kind!r}.")
        self.x = np.asarray(x, dtype=float)
        self.energy = float(energy)
        self.grad_norm = float(grad_norm)
        self.eigenvalues = np.asarray(eigenvalues, dtype=float)
        self.index = int(index)
        self.kind = kind
        self.certified = bool(certified)
        self.degenerate = bool(degenerate)
        self.n_grad = int(n_grad)
        self.n_iter = int(n_iter)
        self.message = message

    def summary(self) -> str:
        """One line: kind, certificate, location (first coordinates), energy, gradient norm,
        index."""
        x = np.array2string(self.x[:4], precision=6, separator=", ")
        more = " ..." if self.x.size > 4 else ""
        return (f"{self.kind:7s} {'certified' if self.certified else 'NOT certified':13s} "
                f"x={x}{more} V={self.energy:.10g} |g|={self.grad_norm:.1e} "
                f"index={self.index}")


class MEPResult(_Display):
    r"""A minimum energy path with its certified critical points (the result of `solve_mep`).

    Attributes
    ----------
    path : ndarray, shape (n, m)
        The images, as columns, from the first end to the second, in order; the refined
        saddles and intermediate minima are among them.
    s : ndarray, shape (m,)
        Normalised arc length of the images (cumulative chord length), from 0 to 1.
    energy : ndarray, shape (m,)
        ``V`` at the images.
    saddles : list of CriticalPoint
        The index-1 saddles crossed, in path order.
    minima : list of CriticalPoint
        The two ends and any intermediate minima, in path order.
    barrier_forward, barrier_backward : float
        ``max V`` on the path minus ``V`` of the first (resp. last) minimum.
    quasi_potential : float
        The Freidlin-Wentzell action from the first minimum to the last along the path:
        ``2 sum (V_saddle - V_preceding_minimum)`` over the uphill segments.
    tangent_residual : float
        ``max_i |g_i - (g_i . tau_i) tau_i| / max_j |g_j|`` over the interior images of the
        final path (2-norms; ``g = grad V``, ``tau_i`` the unit central-difference tangent
        ``(theta_{i+1} - theta_{i-1}) / |theta_{i+1} - theta_{i-1}|``, ``j`` over all
        images): zero on an exact MEP, whose tangent is parallel to the gradient.
    success : bool
        The string converged (``tangent_residual <= path_tol``) and every saddle and minimum
        is certified.
    status : lagopt.Status
        ``SUCCESS``, ``MAX_ITER`` (string not converged), ``NOT_CONVERGED`` (a critical point
        not certified), ``NON_FINITE``, ``BUDGET_EXHAUSTED``.
    message : str
        What happened and, on failure, what to try.
    n_grad : float
        Gradient evaluations of the whole call (a Hessian-vector product counts the
        objective's ``hessp_cost``, a dense Hessian ``n``).
    n_iter : int
        String iterations.
    time : float
        Wall time of the call, seconds.
    info : dict
        Extras: ``n_grad`` per stage, the string's own residual history, ``n_images``.
    """

    _FIELDS = ("message", "success", "status", "barrier_forward", "barrier_backward",
               "quasi_potential", "tangent_residual", "saddles", "minima", "n_grad", "n_iter",
               "time", "path", "s", "energy")

    def __init__(self, *, path: NDArray[np.float64], s: NDArray[np.float64],
                 energy: NDArray[np.float64], saddles: list, minima: list,
                 barrier_forward: float, barrier_backward: float, quasi_potential: float,
                 tangent_residual: float, success: bool, status: Union[Status, int],
                 message: str, n_grad: int, n_iter: int, time: float,
                 info: Optional[dict] = None) -> None:
        self.path = path
        self.s = s
        self.energy = energy
        self.saddles = saddles
        self.minima = minima
        self.barrier_forward = float(barrier_forward)
        self.barrier_backward = float(barrier_backward)
        self.quasi_potential = float(quasi_potential)
        self.tangent_residual = float(tangent_residual)
        self.success, self.status = checked_status(success, status, "MEPResult")
        self.message = message
        self.n_grad = int(n_grad)
        self.n_iter = int(n_iter)
        self.time = float(time)
        self.info = {} if info is None else info

    def keys(self) -> list[str]:
        return list(self._FIELDS) + ["info"]
