"""`ActionPath`, the result of `solve_action_path`, and the finaliser that builds it.

Modelled on scipy's ``OptimizeResult`` (a bunch with ``success``/``status``/``message`` and
evaluation counts) and ``OdeSolution`` (a dense-output callable).
"""
from __future__ import annotations

import time
from typing import Any, Callable, Optional, Tuple, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._status import NonFiniteError, Status, checked_status
from ._measure import hermite_dense, measure, measurement_plan, refine_mesh
from ._second_variation import second_variation

__all__ = ["ActionPath", "finalize", "RESIDUAL_GATE", "ENERGY_GATE", "ENERGY_GATE_NONSMOOTH"]

#: The success gate, the same for every method: a path is reported solved only when its
#: measured Euler-Lagrange residual and its relative energy drift are within these bounds,
#: whatever the method's own test said.
#:
#: * residual: ``info["residual_rel"]``, ``max |r| / (s + |f|)`` over sample points of the
#:   dense output, normwise at each point (``r = y' - f(y)`` for ``y = (theta, theta')``,
#:   ``s`` the path's own scale, ``D / T`` for the position and ``D / T^2`` for the momentum
#:   equation, ``D`` its extent: solve_bvp's scaling made independent of basis and units, see
#:   `lagopt.paths._measure.el_residual`); for non-smooth objectives (ReLU)
#:   ``info["weak_residual_rel"]``, the integrated momentum balance, since no smooth
#:   interpolant satisfies the equation pointwise across a kink;
#: * energy: ``info["energy_drift_rel"]``, ``max H - min H`` over ``max (K + lam |L|)`` along the
#:   path, ``H = |theta'|^2 / 2 - lam L`` being constant on an exact solution.
#:
#: Every method's correct answers at default settings pass with room on smooth losses
#: (measured on quadratics, Mueller-Brown and the 37-parameter tanh networks: residuals 1e-8 to
#: 5e-5, energy drifts below 5e-7); an interpolant, or a path the discretisation cannot
#: resolve, fails by orders of magnitude. A loose user `tol` can give a path that fails the
#: gate: the message says so.
RESIDUAL_GATE = 1e-3
ENERGY_GATE = 1e-5
#: The energy gate for non-smooth objectives (``objective.smooth`` False): across a kink the
#: dense output's energy error converges only at first order, like the direct method's error
#: estimate there (whose default `tol` is 1e-4 for such losses). Set after probing linear/ReLU
#: pairs of the path comparison; there solved paths drift by up to 9.6e-4, on the nonlinear and
#: xor ReLU groups (not used to set it) by 4e-6 to 4.4e-4.
ENERGY_GATE_NONSMOOTH = 1e-3

#: A dense output: times, shape ``(k,)``, to ``(theta, theta_dot)``, each of shape ``(n, k)``.
DenseOutput = Callable[[NDArray[np.float64]], Tuple[NDArray[np.float64], NDArray[np.float64]]]


class ActionPath:
    r"""A path ``theta(t)`` on ``[0, T]`` with its measured action and certificates.

    Calling the object (or its `path` method) evaluates the dense output.

    Attributes
    ----------
    t : ndarray, shape (k,)
        Mesh of the method (collocation nodes, direct-method nodes, shooting segment ends...).
    theta, theta_dot : ndarray, shape (n, k)
        Path and velocity on the mesh.
    action, kinetic, potential : float
        ``S = K + V`` with ``K = int 1/2 |theta'|^2 dt`` and ``V = lam int L(theta) dt``,
        measured by the same composite Gauss-Legendre quadrature for every method
        (`lagopt.paths.action`).
    residual : float
        The Euler-Lagrange residual that the success certificate checks (``success`` needs
        ``residual <= RESIDUAL_GATE`` = 1e-3), measured by the package on the dense output the
        user receives, the same way for every method. For a smooth loss it is the relative
        residual ``max |y_h'(t) - f(y_h(t))| / (s + |f(y_h(t))|)`` (normwise at each point;
        ``s = D / T`` for the position equation, ``D / T^2`` for the momentum equation, ``D``
        the path's extent ``max_t |theta(t) - theta(0)|``: scipy's ``solve_bvp`` scaling,
        ``1 + |f_i|``, made independent of the basis and of the units of time and length),
        where ``y_h`` is the cubic Hermite interpolant of
        ``y = (theta, theta')`` on the mesh with slopes ``f(y) = (theta', lam grad L(theta))``,
        sampled at the midpoint and the two interior Lobatto nodes of each interval
        (``info["residual_rel"]``); for a non-smooth loss (ReLU), where no smooth curve
        satisfies the equation pointwise across a kink, the integrated momentum balance
        (``info["weak_residual_rel"]``). Near zero for a solution; of order one for a path that
        is not one. It is not a method's own stopping measure, which `tol` bounds (collocation's
        ``tol``, for instance, bounds the RMS of the relative residual over each mesh interval,
        which is smaller than this maximum). ``info["residual_abs"]`` is the unscaled maximum
        ``max |y_h' - f(y_h)|``.
    energy_drift : float
        ``max H - min H`` over the quadrature points, ``H = 1/2 |theta'|^2 - lam L(theta)``,
        which is constant along an exact solution.
    success : bool
        ``status == Status.SUCCESS``: the method solved the Euler-Lagrange problem. Never True
        for the interpolants ``"linear"``/``"smoothstep"`` (status ``NOT_SOLVED``) nor with a
        non-finite measurement.
    status : lagopt.Status
        ``SUCCESS`` (0), ``MAX_ITER`` (1, node or iteration cap), ``MAX_TIME`` (2),
        ``NON_FINITE`` (3), ``DECLINED`` (4, ill-conditioned), ``NOT_CONVERGED`` (5),
        ``NOT_SOLVED`` (6, an interpolant).
    message : str
        What happened and, on failure, what to try.
    method : str
        The method that produced this path (what ``"auto"`` chose).
    nfev, ngev, nhev : int
        Objective points at which loss, gradient and Hessian were evaluated by the solve
        (all starts; the measurement is excluded).
    nit : int
        Iterations of the method that produced the path (Newton or optimiser iterations;
        for collocation rescued by continuation, summed over its attempts).
    wall_time : float
        Seconds for the whole `solve_action_path` call, measurement included.
    T, lam : float
        Horizon and loss weight.
    is_minimum : bool or None
        Whether the path is a local minimum of the action, not only stationary: True when the
        second variation is positive definite (no conjugate point in ``(0, T]``), False when
        it has negative eigenvalues (a saddle), None when it cannot be decided or the path is
        not a certified solution; ``info["second_variation"]`` says why.
    starts : list of dict
        One entry per initial guess tried: ``label, method, success, status, action,
        residual``.
    info : dict
        Method-specific extras and measurement details (``residual_rel``,
        ``residual_per_interval``, ``energy_mean``, ``energy_drift_rel``, ``n_quad_points``,
        ``start``, ``solve_time``, ``certificate_time``, ``requested_method``,
        ``fallback_from``, ``saddle_from`` ...).

    Examples
    --------
    >>> import numpy as np
    >>> from lagopt.objectives import Quadratic
    >>> from lagopt.paths import solve_action_path
    >>> path = solve_action_path(Quadratic(np.eye(2)), [1.0, 0.0], [0.0, 1.0], T=2.0)
    >>> path(1.0).shape, path(np.linspace(0, 2, 5)).shape
    ((2,), (2, 5))
    >>> bool(path.energy_drift < 1e-8), path.starts[0]["label"]
    (True, 'line')
    """

    t: NDArray[np.float64]
    theta: NDArray[np.float64]
    theta_dot: NDArray[np.float64]
    action: float
    kinetic: float
    potential: float
    residual: float
    energy_drift: float
    success: bool
    status: Status
    message: str
    method: str
    nfev: int
    ngev: int
    nhev: int
    nit: int
    wall_time: float
    T: float
    lam: float
    is_minimum: Optional[bool]
    starts: list[dict[str, Any]]
    info: dict[str, Any]

    _FIELDS = ("message", "success", "status", "method", "action", "kinetic", "potential",
               "residual", "energy_drift", "is_minimum", "T", "lam", "nfev", "ngev", "nhev", "nit",
               "wall_time", "t", "theta", "theta_dot", "starts")

    def __init__(self, *, t: NDArray[np.float64], theta: NDArray[np.float64],
                 theta_dot: NDArray[np.float64], dense: DenseOutput, action: float,
                 kinetic: float, potential: float, residual: float, energy_drift: float,
                 success: bool, status: Union[Status, int],
                 message: str, method: str, T: float, lam: float, nfev: int = 0, ngev: int = 0,
                 nhev: int = 0, nit: int = 0, wall_time: float = 0.0,
                 starts: Optional[list[dict[str, Any]]] = None,
                 info: Optional[dict[str, Any]] = None,
                 is_minimum: Optional[bool] = None) -> None:
        self.t = t
        self.theta = theta
        self.theta_dot = theta_dot
        self._dense = dense
        self.action = action
        self.kinetic = kinetic
        self.potential = potential
        self.residual = residual
        self.energy_drift = energy_drift
        self.is_minimum = is_minimum
        self.success, self.status = checked_status(success, status, "ActionPath")
        self.message = message
        self.method = method
        self.T = T
        self.lam = lam
        self.nfev = int(nfev)
        self.ngev = int(ngev)
        self.nhev = int(nhev)
        self.nit = int(nit)
        self.wall_time = float(wall_time)
        self.starts = [] if starts is None else starts
        self.info = {} if info is None else info

    # ------------------------------------------------------------------ dense output
    def _eval(self, t, which):
        t_arr = np.asarray(t, dtype=float)
        scalar = t_arr.ndim == 0
        vals = self._dense(np.atleast_1d(t_arr).ravel())[which]
        vals = np.asarray(vals, dtype=float)
        return vals[:, 0] if scalar else vals

    def path(self, t: ArrayLike) -> NDArray[np.float64]:
        """``theta(t)``: shape ``(n,)`` for scalar ``t``, ``(n, len(t))`` for 1-D ``t``.

        Outside ``[0, T]`` the dense output extrapolates (as scipy's ``OdeSolution`` does) and
        means nothing.
        """
        return self._eval(t, 0)

    def velocity(self, t: ArrayLike) -> NDArray[np.float64]:
        """``theta'(t)``, shapes as for `path`."""
        return self._eval(t, 1)

    __call__ = path

    def dense(self, t: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(theta(t), theta'(t))`` for a 1-D array of times, each of shape ``(n, len(t))``:
        the dense output in the form `lagopt.paths.second_variation` and the measurement
        take."""
        return self._dense(np.atleast_1d(np.asarray(t, dtype=float)))

    @property
    def n_nodes(self) -> int:
        """Number of mesh nodes ``k``."""
        return self.t.size

    # ------------------------------------------------------------------ display
    def keys(self) -> list[str]:
        return list(self._FIELDS) + ["info"]

    def __getitem__(self, key: str) -> Any:
        if key not in self.keys():
            raise KeyError(key)
        return getattr(self, key)

    @staticmethod
    def _fmt(value):
        if isinstance(value, np.ndarray):
            if value.ndim == 1 and value.size <= 6:
                return np.array2string(value, precision=4)
            if value.ndim == 1:
                return (f"[{value[0]:.4g} {value[1]:.4g} ... {value[-1]:.4g}] "
                        f"({value.size} nodes)")
            return f"array of shape {value.shape}"
        if isinstance(value, float):
            text = f"{value:.6g}"
            return text + ".0" if text.lstrip("-").isdigit() else text
        if isinstance(value, list):
            return f"{len(value)} start(s)" if value else "[]"
        return repr(value) if isinstance(value, str) and "\n" not in value else str(value)

    def __repr__(self) -> str:
        fields = self._FIELDS
        width = max(len(k) for k in fields)
        lines = [f"{k.rjust(width)}: {self._fmt(getattr(self, k))}" for k in fields]
        if len(self.starts) > 1:
            lines.append(f"{' ' * width}  start            method        ok  status  action")
            for s in self.starts:
                lines.append(f"{' ' * width}  {str(s['label'])[:16]:16s} "
                             f"{str(s.get('method', ''))[:13]:13s} "
                             f"{'yes' if s['success'] else 'no ':3s} {s['status']:6d}  "
                             f"{s['action']:.6g}")
        return "\n".join(lines)

    __str__ = __repr__


def finalize(problem, raw, method, solve_counts=None, deadline=None):
    """Measure a `RawSolution` and wrap it as an `ActionPath`.

    A non-finite measurement turns the path into a failure (``Status.NON_FINITE``), and a
    success that fails the gate (`RESIDUAL_GATE`, `ENERGY_GATE`) or whose horizon is a
    conjugate point into ``Status.NOT_CONVERGED``, whatever the method reported. A certified
    path gets `is_minimum` from the second variation. Past `deadline` (a
    ``time.perf_counter()`` value: the method's ``max_time`` bounds the whole call) the second
    variation is not started and a success becomes ``Status.MAX_TIME``: without it ``T`` is
    not known not to be a conjugate point.
    """
    obj = problem.objective
    t = np.asarray(raw.t, dtype=float)
    theta = np.asarray(raw.theta, dtype=float)
    theta_dot = np.asarray(raw.theta_dot, dtype=float)
    finite_mesh = bool(np.isfinite(theta).all() and np.isfinite(theta_dot).all()
                       and np.isfinite(t).all())
    dense = raw.dense
    if dense is None and finite_mesh:
        dense = hermite_dense(t, theta, theta_dot)
    if dense is None:  # non-finite mesh values: keep a dense output that says so
        def dense(tq, _n=theta.shape[0]):
            tq = np.atleast_1d(np.asarray(tq, dtype=float))
            return np.full((_n, tq.size), np.nan), np.full((_n, tq.size), np.nan)
    panels, res_intervals = measurement_plan(problem.n, t)
    known = None
    if raw.measured_on_mesh and raw.dense is not None:
        panels, res_intervals = 1, 1   # one Gauss panel and residual set per mesh interval
        known = raw.mesh_residual      # the solver's own evaluation of the same residual
    try:
        m = measure(obj, problem.lam, problem.T, t, theta, theta_dot, dense, min_panels=panels,
                    residual_intervals=res_intervals, mesh_residual=known)
    except NonFiniteError as exc:
        # The loss or its gradient is not finite somewhere along the path: a status, never
        # an exception (the other starts of a hedged solve are kept).
        nan = np.full_like(theta, np.nan)
        m = measure(obj, problem.lam, problem.T, t, nan, nan, dense, min_panels=panels,
                    residual_intervals=res_intervals)
        m["error"] = str(exc)
    smooth = bool(getattr(obj, "smooth", True))
    status, message = _gate(Status(raw.status), raw.message, m, smooth)
    if "error" in m:
        message += f" (Measuring the path: {m['error']})"
    info = dict(raw.info)
    is_minimum = None
    if status == Status.SUCCESS and deadline is not None and time.perf_counter() > deadline:
        status = Status.MAX_TIME
        message += (" | The time cap (the method's max_time, which bounds the whole call) was "
                    "reached before the conjugate-point certificate: the path is measured but "
                    "not certified. Increase `max_time`.")
        sv = {"is_minimum": None, "reason": "not evaluated: the time cap was reached"}
    elif status == Status.SUCCESS:
        sv = second_variation(obj, problem.lam, problem.T, dense, n=problem.n)
        is_minimum = sv["is_minimum"]
        if sv.get("singular"):
            status = Status.NOT_CONVERGED
            message += (f" | Not a solution to trust: {sv['reason']}. Change `T` or `lam`.")
        else:
            message = (message + " | " if message else "") + _certified(m, smooth)
    else:
        sv = {"is_minimum": None, "reason": "not decided: the path is not a certified solution"}
    info["second_variation"] = sv
    counts = solve_counts or {}
    info.update({
        "residual_abs": m["residual"],
        "residual_rel": m["residual_rel"],
        "weak_residual_rel": m.get("weak_residual_rel"),
        "residual_per_interval": m["residual_per_interval"],
        "energy_mean": m["energy_mean"],
        "energy_drift_rel": m["energy_drift_rel"],
        "n_quad_points": m["n_quad_points"],
        "n_residual_intervals": refine_mesh(t, res_intervals).size - 1,
    })
    return ActionPath(
        t=t, theta=theta, theta_dot=theta_dot, dense=dense,
        action=m["action"], kinetic=m["kinetic"], potential=m["potential"],
        residual=certified_residual(m, smooth), energy_drift=m["energy_drift"],
        success=status == Status.SUCCESS, status=status, message=message, method=method,
        T=problem.T, lam=problem.lam,
        nfev=counts.get("loss", 0), ngev=counts.get("grad", 0), nhev=counts.get("hess", 0),
        nit=raw.nit, info=info, is_minimum=is_minimum)


def certified_residual(m, smooth):
    """The residual the success gate checks (`ActionPath.residual`): the relative pointwise
    one for a smooth loss, the integrated (weak) one for a non-smooth loss, where a pointwise
    residual is large at every kink."""
    if not smooth and m.get("weak_residual_rel") is not None:
        return m["weak_residual_rel"]
    return m["residual_rel"]


def _certified(m, smooth):
    """The sentence a certified path's message ends with: its numbers against the gates."""
    gate = ENERGY_GATE if smooth else ENERGY_GATE_NONSMOOTH
    return (f"Certified: residual {certified_residual(m, smooth):.1e} <= {RESIDUAL_GATE:g}, "
            f"energy drift {m['energy_drift_rel']:.1e} <= {gate:g} (relative), T not a "
            "conjugate point.")


def _gate(status, message, m, smooth):
    """The status after the measurement's checks, and the message saying which one failed."""
    if not m["finite"]:
        return Status.NON_FINITE, (message + " | " if message else "") + (
            "The returned path or its action is not finite: try a smaller `T` or `lam` (the "
            "Euler-Lagrange system grows like exp(omega T)), a different initial guess "
            "(`n_starts` > 1), or method='direct'.")
    if status != Status.SUCCESS:
        return status, message
    failed = []
    residual = certified_residual(m, smooth)
    if not residual <= RESIDUAL_GATE:
        failed.append(f"its Euler-Lagrange residual is {residual:.1e} relative "
                      f"(gate {RESIDUAL_GATE:g})")
    energy_gate = ENERGY_GATE if smooth else ENERGY_GATE_NONSMOOTH
    if not m["energy_drift_rel"] <= energy_gate:
        failed.append(f"its energy drifts by {m['energy_drift_rel']:.1e} relative "
                      f"(gate {energy_gate:g})")
    if not failed:
        return status, message
    return Status.NOT_CONVERGED, (
        message + " | But the measured path is not a solution: " + " and ".join(failed) +
        ". The discretisation does not resolve the problem: try a finer mesh (`n_nodes`, "
        "`max_nodes`), another method, or a different `T` or `lam`.")
