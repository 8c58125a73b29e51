r"""Exploration stages: what to follow when the criterion rejects the predicted path.

* :class:`RandomExplorer` -- the least-action path among random perturbations of the
  prediction (the reference: 8 candidates ``theta* + 0.3 c xi``);
* :class:`PathBacktrackExplorer` -- the first shortened move along the path that the
  criterion accepts, else a plain gradient step (never less progress than gradient descent's
  step);
* :class:`KrasnoselskiiMannExplorer` -- a few Krasnosel'skii-Mann averaged steps
  ``x <- (1 - a_k) x + a_k T(x)``, ``T`` mixing population proposals and a gradient step,
  with ``sum a_k (1 - a_k) = inf``;
* :class:`MultiStartExplorer` -- multi-start hedging: the best of several diverse candidate
  ends.

All candidates are evaluated through the run's budget view (every loss charged).
"""
import numbers

import numpy as np

from ..._validation import positive_float, positive_int
from ._base import Explorer, Stage

__all__ = ["RandomExplorer", "PathBacktrackExplorer", "KrasnoselskiiMannExplorer",
           "MultiStartExplorer", "krasnoselskii_mann", "km_alpha"]


def _value(stages, state, path):
    """The criterion's notion of a path's action (the original experiment's 10-point rule for
    the reference)."""
    value = getattr(stages.criterion, "value", None)
    return float(value(state, path)) if value is not None else float(path.action)


class RandomExplorer(Explorer):
    r"""The reference exploration: random perturbations of the prediction, least action wins.

    Parameters
    ----------
    n_candidates : int, optional
        Default 8.
    scale : float, optional
        Candidates are ``theta* + scale * c * xi`` with ``c = state.confidence``. Default 0.3.
    keep_prediction : bool, optional
        When True (default, as the original experiment describes it) a candidate replaces
        the predicted path only if its action is strictly smaller; when False the least-action
        candidate is followed even if the prediction was better (what that experiment's code
        did).

    Notes
    -----
    Draws one ``(n_candidates, n)`` block of standard normals (candidate ``i`` is row ``i``:
    the same numbers as drawing the candidates in turn). Costs ``n_candidates`` path solves.
    """

    def __init__(self, n_candidates=8, scale=0.3, keep_prediction=True):
        self.n_candidates = positive_int(n_candidates, "n_candidates")
        self.scale = positive_float(scale, "scale", allow_zero=True)
        self.keep_prediction = bool(keep_prediction)

    def _params(self):
        return {"n_candidates": self.n_candidates, "scale": self.scale,
                "keep_prediction": self.keep_prediction}

    def explore(self, state, path, stages):
        xi = state.rng.standard_normal((self.n_candidates, state.n))
        centre = path.end.copy()
        best = path
        best_value = _value(stages, state, path) if self.keep_prediction else np.inf
        if not np.isfinite(best_value):
            best_value = np.inf
        for i in range(self.n_candidates):
            cand = stages.path.solve(state, centre + (self.scale * state.confidence) * xi[i])
            v = _value(stages, state, cand)
            if v < best_value:
                best, best_value = cand, v
        return best


class PathBacktrackExplorer(Explorer):
    r"""Shorten the move along the path until the criterion accepts it; else a gradient step.

    Candidates are the points at fractions ``shrink, shrink^2, ...`` of the way along the
    rejected path (on its nodes' polyline; for a straight path this is a backtracking line
    search on the prediction). Each is checked by the criterion; the first accepted one is
    followed. Backtracking stops once the move would be shorter than `floor` times a
    gradient-descent step ``fallback_lr |grad L|``; then the plain gradient step
    ``theta - fallback_lr grad L`` is followed if it lowers the loss, otherwise the candidate
    with the smallest rise among all those tried (marked ``info["forced"]`` either way), so
    that the loop always moves and a rejected prediction costs no more progress than gradient
    descent would make.

    Parameters
    ----------
    shrink : float, optional
        Factor in (0, 1). Default 0.5.
    fallback_lr : float, optional
        Learning rate of the fall-back gradient step. Default 0.1 (gradient descent's).
    floor : float, optional
        Stop backtracking when the candidate move is shorter than
        ``floor * fallback_lr * |grad L|``. Default 1e-3.
    max_tries : int, optional
        Backtracking candidates at most. Default 30.
    resolve : bool, optional
        Solve a new path to every candidate with the path stage (True), or check the straight
        two-node path to it, which costs one evaluation of the candidate (False, default:
        re-solving a curved path per candidate would multiply the cost of a rejection).
    memory : float, optional
        When given, backtracking starts no further than `memory` times the length of the last
        move this explorer had accepted (a trust radius): when the predictions overshoot
        persistently -- a quasi-Newton model in a flat region -- this saves the halvings that
        would bring every candidate back down to that scale. Default None (start from the
        full prediction, or from the criterion's :meth:`~Criterion.max_move`).
    refine : bool, optional
        When every candidate fails and the path stage can (:class:`ModelPathSolver`), solve
        the actual loss's Euler-Lagrange problem to the prediction, warm-started from the
        model path, and follow it if it is accepted or its best node lowers the loss.
        Default False.
    along_curve : bool, optional
        Backtrack along a closed-form curve when the path has one (see Notes); False
        backtracks on the straight segment to the prediction. Default True.

    Notes
    -----
    A path with a closed-form curve (``info["curve"]``, from :class:`ModelPathSolver`) is
    backtracked in *time*: candidates are the curve's points at ``shrink^k T``, where the
    stiff directions are settled and the soft ones shortened (a curved search, as along a
    Levenberg-Marquardt path), instead of points on the straight segment.
    """

    def __init__(self, shrink=0.5, fallback_lr=0.1, floor=1e-3, max_tries=30, resolve=False,
                 memory=None, refine=False, along_curve=True):
        self.shrink = positive_float(shrink, "shrink")
        if self.shrink >= 1:
            raise ValueError(f"`shrink` must be in (0, 1), got {shrink}.")
        self.fallback_lr = positive_float(fallback_lr, "fallback_lr")
        self.floor = positive_float(floor, "floor", allow_zero=True)
        self.max_tries = positive_int(max_tries, "max_tries", minimum=0)
        self.resolve = bool(resolve)
        self.memory = None if memory is None else positive_float(memory, "memory")
        self.refine = bool(refine)
        self.along_curve = bool(along_curve)

    def _params(self):
        return {"shrink": self.shrink, "fallback_lr": self.fallback_lr, "floor": self.floor,
                "max_tries": self.max_tries, "resolve": self.resolve, "memory": self.memory,
                "refine": self.refine, "along_curve": self.along_curve}

    def reset(self, state):
        self._last = np.inf

    @staticmethod
    def _along(path, fraction):
        """Point at `fraction` of the path's polyline length."""
        if path.k == 2:     # the straight segment (its length is not needed)
            return path.theta[:, 0] + fraction * (path.theta[:, -1] - path.theta[:, 0])
        seg = np.linalg.norm(np.diff(path.theta, axis=1), axis=0)
        total = float(seg.sum())
        if path.k == 2 or total == 0.0:
            return path.theta[:, 0] + fraction * (path.theta[:, -1] - path.theta[:, 0])
        target = fraction * total
        acc = np.concatenate([[0.0], np.cumsum(seg)])
        i = min(int(np.searchsorted(acc, target, side="right")) - 1, path.k - 2)
        w = (target - acc[i]) / seg[i] if seg[i] > 0 else 0.0
        return path.theta[:, i] + w * (path.theta[:, i + 1] - path.theta[:, i])

    def explore(self, state, path, stages):
        g = state.ensure_grad()
        min_len = self.floor * self.fallback_lr * float(np.linalg.norm(g))
        length = float(np.sum(np.linalg.norm(np.diff(path.theta, axis=1), axis=0)))
        radius = stages.criterion.max_move(state)
        if self.memory is not None:
            radius = min(radius, self.memory * self._last)
        tried = [path] if np.all(np.isfinite(path.losses)) else []
        curve = path.info.get("curve") if self.along_curve else None
        points = (self._on_curve(state, curve, radius, min_len) if curve is not None else
                  self._on_polyline(path, length, radius, min_len))
        for fraction, x, move in points:
            cand = stages.path.solve(state, x) if self.resolve else \
                stages.path.point(state, x, label="backtracking")
            if stages.criterion.accept(state, cand):
                cand.info["fraction"] = fraction
                self._last = move
                return cand
            tried.append(cand)
        refine = getattr(stages.path, "refine", None)
        if self.refine and refine is not None and "curve" in path.info:
            solved = refine(state, path)
            tried.append(solved)
            if stages.criterion.accept(state, solved) or _end_loss(solved) < state.loss:
                solved.info["refined"] = True
                return solved
        step = stages.path.point(state, state.x - self.fallback_lr * g, label="gradient step")
        if not step.losses[-1] < state.loss:
            # Even the gradient step rises (a kink, or a step too long for the local
            # curvature): take the smallest rise among everything tried.
            step = min(tried + [step], key=lambda p: _end_loss(p))
        step.info["forced"] = True
        return step

    def _on_polyline(self, path, length, radius, min_len):
        """Candidates at fractions ``shrink^k`` of the polyline's length (the first inside
        `radius`), while longer than `min_len`: ``(fraction, point, arc length)``."""
        fraction = 1.0
        if length > radius:
            fraction = radius / length / self.shrink  # the first candidate sits on the radius
        for _ in range(self.max_tries):
            fraction *= self.shrink
            if fraction * length < min_len or not np.isfinite(length):
                return
            yield fraction, self._along(path, fraction), fraction * length

    def _on_curve(self, state, curve, radius, min_len):
        """Candidates at times ``shrink^k T`` along a closed-form curve (no evaluation to
        locate them), skipping those beyond `radius`, while longer than `min_len`."""
        tau, tries = 1.0, 0
        while tries < self.max_tries and tau > _MIN_TAU:
            tau *= self.shrink
            x = curve(np.array([tau * state.T]))[:, 0]
            move = float(np.linalg.norm(x - state.x))
            if not np.isfinite(move) or move < min_len:
                return
            if move > radius:
                continue
            tries += 1
            yield tau, x, move


# Curve times below this fraction of T are not tried (a move that small is the gradient
# step's business).
_MIN_TAU = 1e-12


def _end_loss(path):
    j = path.best_node(first=1)
    L = path.losses[j]
    return L if np.isfinite(L) else np.inf


def km_alpha(alpha, decay, k):
    """The Krasnosel'skii-Mann relaxation ``alpha_k = alpha (k + 1)^(-decay)``."""
    return alpha * (k + 1.0) ** (-decay)


def _check_km(alpha, decay):
    alpha = positive_float(alpha, "alpha")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"`alpha` must be in (0, 1), got {alpha}.")
    decay = positive_float(decay, "decay", allow_zero=True)
    if decay > 1.0:
        raise ValueError(
            f"`decay` must be in [0, 1], got {decay}: with alpha_k = alpha (k+1)^-decay the "
            "Krasnosel'skii-Mann condition sum alpha_k (1 - alpha_k) = inf holds exactly when "
            "decay <= 1.")
    return alpha, decay


def krasnoselskii_mann(operator, x0, alpha=0.5, decay=0.0, maxiter=1000, tol=1e-10):
    r"""Krasnosel'skii-Mann iteration ``x_{k+1} = (1 - a_k) x_k + a_k T(x_k)``.

    Parameters
    ----------
    operator : callable
        ``T(x) -> array`` of the shape of `x0`.
    x0 : array_like
    alpha : float, optional
        ``a_0`` in (0, 1). Default 0.5.
    decay : float, optional
        ``a_k = alpha (k + 1)^(-decay)`` with ``decay`` in ``[0, 1]``; 0 (default) keeps
        ``a_k = alpha``.
    maxiter : int, optional
    tol : float, optional
        Stop when ``|T(x) - x| <= tol (1 + |x|)`` (the fixed-point residual).

    Returns
    -------
    x : ndarray
    nit : int
    residual : float
        ``|T(x) - x|`` at the last evaluated ``x``.

    Raises
    ------
    ValueError
        If the relaxation violates the Krasnosel'skii-Mann condition (see Notes).

    Notes
    -----
    For a nonexpansive ``T`` with a fixed point the iterates converge to a fixed point
    whenever ``a_k`` is in ``(0, 1)`` and ``sum_k a_k (1 - a_k) = inf`` (Krasnosel'skii [1]_,
    Mann [2]_; Reich [3]_); for a contraction the convergence is linear. With
    ``a_k = alpha (k+1)^(-decay)`` that condition holds exactly when ``0 < alpha < 1`` and
    ``0 <= decay <= 1``, which is validated here.

    References
    ----------
    .. [1] M. A. Krasnosel'skii, "Two remarks on the method of successive approximations",
       Uspekhi Mat. Nauk 10 (1955), 123-127.
    .. [2] W. R. Mann, "Mean value methods in iteration", Proc. Amer. Math. Soc. 4 (1953),
       506-510.
    .. [3] S. Reich, "Weak convergence theorems for nonexpansive mappings in Banach spaces",
       J. Math. Anal. Appl. 67 (1979), 274-276.

    Examples
    --------
    >>> import numpy as np
    >>> from lagopt.optim.laml import krasnoselskii_mann
    >>> x, nit, res = krasnoselskii_mann(np.cos, [1.0], alpha=0.5)   # fixed point of cos
    >>> round(float(x[0]), 6)
    0.739085
    """
    alpha, decay = _check_km(alpha, decay)
    maxiter = positive_int(maxiter, "maxiter", minimum=0)
    tol = positive_float(tol, "tol", allow_zero=True)
    x = np.array(x0, dtype=np.float64, copy=True)
    res = np.inf
    for k in range(maxiter):
        Tx = np.asarray(operator(x), dtype=np.float64)
        res = float(np.linalg.norm(Tx - x))
        if res <= tol * (1.0 + float(np.linalg.norm(x))):
            return x, k, res
        a = km_alpha(alpha, decay, k)
        x = (1.0 - a) * x + a * Tx
    return x, maxiter, res


class KrasnoselskiiMannExplorer(Explorer):
    r"""Krasnosel'skii-Mann averaged steps mixing population proposals and a gradient step.

    From the current iterate, `n_steps` averaged steps [1]_ [2]_

    .. math::

        x_{k+1} = (1 - a_k)\,x_k + a_k\,\mathcal T(x_k), \qquad
        \mathcal T(x) = w\,P(x) + (1 - w)\,G(x),

    where ``G(x) = x - lr grad L(x)`` is a local gradient step and ``P(x)`` the best of a
    population of global proposals (the prediction ``theta*`` and ``population - 1``
    perturbations of it of relative size `scale`). The mixing weight ``w`` is adapted online:
    after each step it moves by `adapt` towards the component whose proposal had the lower
    loss, within ``[0.05, 0.95]``, and is kept from one exploration to the next. The path to the
    best point met is returned.

    Parameters
    ----------
    n_steps : int, optional
        Default 2.
    alpha : float, optional
        ``a_0`` in (0, 1). Default 0.5.
    decay : float, optional
        ``a_k = alpha (k + 1)^(-decay)``, ``decay`` in ``[0, 1]`` so that
        ``sum a_k (1 - a_k) = inf`` (validated; see :func:`krasnoselskii_mann`). Default 0.
    population : int, optional
        Proposals per step (``>= 1``). Default 4.
    scale : float, optional
        Perturbations ``theta* + scale |theta* - x| xi / sqrt(n)``. Default 0.5.
    lr : float, optional
        Step of ``G``. Default 0.1.
    weight : float, optional
        Initial ``w``. Default 0.5.
    adapt : float, optional
        Change of ``w`` per step. Default 0.1.

    Notes
    -----
    Per step: a gradient at ``x_k`` (1, free when known), the population's losses
    (``population / 2``), the loss of ``G(x_k)`` (1/2, to credit the components) and of
    ``x_{k+1}`` (1/2).

    References
    ----------
    .. [1] M. A. Krasnosel'skii, "Two remarks on the method of successive approximations",
       Uspekhi Mat. Nauk 10 (1955), 123-127.
    .. [2] W. R. Mann, "Mean value methods in iteration", Proc. Amer. Math. Soc. 4 (1953),
       506-510.
    """

    def __init__(self, n_steps=2, alpha=0.5, decay=0.0, population=4, scale=0.5, lr=0.1,
                 weight=0.5, adapt=0.1):
        self.n_steps = positive_int(n_steps, "n_steps")
        self.alpha, self.decay = _check_km(alpha, decay)
        self.population = positive_int(population, "population")
        self.scale = positive_float(scale, "scale", allow_zero=True)
        self.lr = positive_float(lr, "lr")
        self.weight = positive_float(weight, "weight", allow_zero=True)
        if self.weight > 1:
            raise ValueError(f"`weight` must be in [0, 1], got {weight}.")
        self.adapt = positive_float(adapt, "adapt", allow_zero=True)

    def _params(self):
        return {"n_steps": self.n_steps, "alpha": self.alpha, "decay": self.decay,
                "population": self.population, "scale": self.scale, "lr": self.lr,
                "weight": self.weight, "adapt": self.adapt}

    def reset(self, state):
        self.w = self.weight
        self.k = 0  # the relaxation index runs over the whole run (sum a_k(1-a_k) = inf)

    def explore(self, state, path, stages):
        view = state.view
        centre = path.end
        x, Lx = state.x, state.loss
        best = (Lx, x)
        for _ in range(self.n_steps):
            _, g = view.loss_and_grad(x)
            G = x - self.lr * g
            spread = self.scale * float(np.linalg.norm(centre - x)) / np.sqrt(state.n)
            props = [centre] + [centre + spread * state.rng.standard_normal(state.n)
                                for _ in range(self.population - 1)]
            P_all = np.ascontiguousarray(np.column_stack(props + [G]))
            losses = view.loss_batch(P_all)
            i = int(np.argmin(losses[:-1]))
            P, LP, LG = P_all[:, i], float(losses[i]), float(losses[-1])
            a = km_alpha(self.alpha, self.decay, self.k)
            self.k += 1
            x = (1.0 - a) * x + a * (self.w * P + (1.0 - self.w) * G)
            Lx = float(view.loss(x))
            step = self.adapt if LP < LG else -self.adapt
            self.w = min(0.95, max(0.05, self.w + step))
            for value, point in ((LP, P), (LG, G), (Lx, x)):
                if value < best[0]:
                    best = (value, point)
        return stages.path.point(state, best[1], loss=best[0], label="Krasnosel'skii-Mann")


class MultiStartExplorer(Explorer):
    r"""Multi-start hedging: try diverse candidate ends and keep the best.

    Candidates: the prediction scaled by each factor in `fractions`
    (``theta + f (theta* - theta)``), `n_random` random perturbations of the prediction of
    relative size `scale`, and the gradient step ``theta - lr grad L``. Each gets a path from
    the path stage; the least-action candidate among those the criterion accepts is followed,
    or, if none is accepted, the candidate with the lowest end loss.

    Parameters
    ----------
    fractions : sequence of float, optional
        Default ``(0.25, 0.5, 2.0)``.
    n_random : int, optional
        Default 2.
    scale : float, optional
        Default 0.5.
    lr : float, optional
        Default 0.1.
    """

    def __init__(self, fractions=(0.25, 0.5, 2.0), n_random=2, scale=0.5, lr=0.1):
        fr = tuple(fractions)
        if not fr or not all(isinstance(f, numbers.Real) and f > 0 for f in fr):
            raise ValueError("`fractions` must be a non-empty sequence of positive numbers.")
        self.fractions = tuple(float(f) for f in fr)
        self.n_random = positive_int(n_random, "n_random", minimum=0)
        self.scale = positive_float(scale, "scale", allow_zero=True)
        self.lr = positive_float(lr, "lr")

    def _params(self):
        return {"fractions": self.fractions, "n_random": self.n_random, "scale": self.scale,
                "lr": self.lr}

    def explore(self, state, path, stages):
        g = state.ensure_grad()
        d = path.end - state.x
        spread = self.scale * float(np.linalg.norm(d)) / np.sqrt(state.n)
        ends = [state.x + f * d for f in self.fractions]
        ends += [path.end + spread * state.rng.standard_normal(state.n)
                 for _ in range(self.n_random)]
        ends.append(state.x - self.lr * g)
        cands = [stages.path.solve(state, e) for e in ends]
        ok = [c for c in cands if stages.criterion.accept(state, c)]
        if ok:
            return min(ok, key=lambda c: _value(stages, state, c))
        return min(cands, key=lambda c: c.losses[-1] if np.isfinite(c.losses[-1]) else np.inf)


class StallRestart(Stage):
    r"""Multi-start hedging when progress stalls: restart near the best point, keep the best.

    A local method that has converged -- gradient below `gtol`, or the loss lowered by less
    than a relative `rtol` over the last `patience` iterations -- only spends its remaining
    budget on rounding. This stage then draws a new start ``theta_best + scale * rms(theta_best)
    * N(0, I)`` (from the run's random stream), pays for its loss and gradient, and lets the
    loop go on from there with fresh predictor and explorer memories. The run returns the best
    point found over all starts, so a restart can only help the final loss (at the price of
    the budget it uses). After `max_repeats` stalls in a row whose start found nothing lower
    than the best before it, the run stops (converged: on a convex loss every restart
    returns to the same minimum).

    With `hedge_memory`, the first restart is a *hedge start* instead: the run goes back to
    its initial point (its loss and gradient were paid for at the start, so this start is
    free) and a quasi-Newton predictor follows a second trajectory from there with an L-BFGS
    memory of `hedge_memory` pairs in place of its dense matrix (or its own memory) and,
    with `hedge_first_step`, that gradient step before its first pair. A dense BFGS model
    converges fast into the basin its first steps point to; on small networks fitted to
    class labels that basin is often a worse one than a limited-memory trajectory from the
    same start reaches, and the two trajectories hedge each other (the run keeps the best
    point of both). Later restarts perturb the best point as above, and the predictor keeps
    the hedge's memory and first step.

    Parameters
    ----------
    patience : int, optional
        Iterations over which progress is measured. Default 5 (LAML's default preset uses
        10; ``docs/results/choices.md`` says how each was chosen).
    rtol : float, optional
        Relative decrease below which the loop has stalled. Default 1e-4.
    scale : float, optional
        Size of the restart perturbation relative to the root-mean-square of the best point's
        coordinates. Default 0.3.
    gtol : float, optional
        A gradient with ``max |g_i| <= gtol`` is a stall too. Default 1e-6.
    max_repeats : int, optional
        Stop after this many consecutive restarts that found nothing lower. Default 2.
    hedge_memory : int or None, optional
        Make the first restart a hedge start from the initial point with an L-BFGS memory of
        this many pairs (only with a quasi-Newton predictor; with others the first restart
        perturbs as the later ones). Default None (no hedge start; LAML's default preset
        uses 50).
    hedge_first_step : float or None, optional
        The hedge trajectory's gradient step before its first pair (None: the predictor's
        `first_step`). Default None (LAML's default preset uses 0.1, against its first
        trajectory's 2).
    """

    def __init__(self, patience=5, rtol=1e-4, scale=0.3, gtol=1e-6, max_repeats=2,
                 hedge_memory=None, hedge_first_step=None):
        self.patience = positive_int(patience, "patience")
        self.rtol = positive_float(rtol, "rtol", allow_zero=True)
        self.scale = positive_float(scale, "scale")
        self.gtol = positive_float(gtol, "gtol", allow_zero=True)
        self.max_repeats = positive_int(max_repeats, "max_repeats", minimum=0)
        self.hedge_memory = (None if hedge_memory is None
                             else positive_int(hedge_memory, "hedge_memory"))
        self.hedge_first_step = (None if hedge_first_step is None
                                 else positive_float(hedge_first_step, "hedge_first_step"))

    def _params(self):
        return {"patience": self.patience, "rtol": self.rtol, "scale": self.scale,
                "gtol": self.gtol, "max_repeats": self.max_repeats,
                "hedge_memory": self.hedge_memory, "hedge_first_step": self.hedge_first_step}

    def reset(self, state):
        # (loss, point, gradient or None) of the best point over all starts.
        self.best = (state.loss, state.x.copy(), state.grad)
        self._start = self.best      # the initial point, for a hedge start
        self.hedged = False
        self.recent = [state.loss]
        self.n_restarts = 0
        self.repeats = 0
        self._best_before = np.inf  # the best loss before the current start

    def converged(self, state):
        """At a stall: True when the last `max_repeats` starts found nothing lower than the
        best before them (then the run should stop rather than restart)."""
        # The first start is never a repeat (and inf - rtol * inf would be NaN).
        if (not np.isfinite(self._best_before)
                or state.loss < self._best_before - self.rtol * abs(self._best_before)):
            self.repeats = 0
        else:
            self.repeats += 1
        return self.repeats > self.max_repeats

    def observe(self, state):
        """Record the new iterate; True when the loop has stalled."""
        if state.loss < self.best[0]:
            self.best = (state.loss, state.x.copy(), state.grad)
        self.recent.append(state.loss)
        g = state.grad
        # max |g_i| from the extremes: no temporary array (the test runs every iteration)
        if g is not None and g.size and max(float(g.max()), -float(g.min())) <= self.gtol:
            return True
        if len(self.recent) <= self.patience:
            return False
        old = self.recent[-1 - self.patience]
        return not (old - state.loss > self.rtol * abs(state.loss))

    def restart(self, state, hedge=False):
        """A new start near the best point: ``(x, loss, grad)``, paid for; with `hedge`, the
        initial point (a hedge start: see the class notes; marks the hedge as taken)."""
        self._best_before = self.best[0]
        if hedge:
            self.hedged = True
            loss, x, g = self._start
            x = x.copy()
            if g is None:
                loss, g = state.view.loss_and_grad(x)
        else:
            x_best = self.best[1]
            rms = float(np.sqrt(np.mean(x_best * x_best))) or 1.0
            x = x_best + self.scale * rms * state.rng.standard_normal(state.n)
            loss, g = state.view.loss_and_grad(x)
        self.recent = [loss]
        self.n_restarts += 1
        return x, loss, g
