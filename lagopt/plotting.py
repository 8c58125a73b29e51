"""Figures people would rather look at than read: paths on 2-D landscapes, loss along a path,
optimizer races against gradient evaluations, and the LAML diagnostics of the original report.

Every function draws on a given matplotlib ``Axes`` (or makes a figure) and returns the figure;
nothing is shown or saved here. Callers that write files use the Agg backend
(:func:`use_agg`), so no display is needed.
"""
import numpy as np

__all__ = ["use_agg", "plot_paths_2d", "plot_path_comparison_2d", "plot_loss_along_paths",
           "plot_race", "plot_laml_diagnostics", "save"]

# One colour per path kind, the same in every figure.
PATH_STYLE = {
    "smoothstep": dict(color="tab:orange", ls="--"),
    "linear": dict(color="tab:gray", ls=":"),
}


def use_agg():
    """Select the non-interactive backend (for scripts and the CLI writing PNG files)."""
    import matplotlib
    matplotlib.use("Agg", force=True)


def _axes(ax, figsize=(6, 4.5)):
    import matplotlib.pyplot as plt
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
    return ax.figure, ax


def _points(path, k=200):
    """(n, k) samples of an ActionPath, a callable ``t -> (n, len(t))`` on ``[0, path.T]``
    (on [0, 1] without a ``T`` attribute), or an (n, k) array."""
    if hasattr(path, "path") and hasattr(path, "T"):
        return path.path(np.linspace(0.0, path.T, k))
    if callable(path):
        return np.asarray(path(np.linspace(0.0, getattr(path, "T", 1.0), k)), dtype=float)
    return np.asarray(path, dtype=float)


def _at(path, t):
    """Points of an ActionPath or of a callable path at the times `t`."""
    return path.path(t) if hasattr(path, "path") else path(t)


def plot_paths_2d(objective, paths, ax=None, domain=None, levels=40, log=None, title=None):
    """Contours of a 2-D objective with paths overlaid.

    Parameters
    ----------
    objective : Objective
        With ``n_params == 2``; its ``domain`` attribute is used when `domain` is None.
    paths : dict
        Label -> ActionPath or (2, k) array of points.
    domain : ((xmin, xmax), (ymin, ymax)), optional
        Plot window; default: the objective's ``domain`` widened to contain every path.
    log : bool, optional
        Contour ``log(L - min L + 1)``; default on when the loss spans several decades.
    """
    if objective.n_params != 2:
        raise ValueError("`objective` must have 2 parameters to be drawn as contours.")
    fig, ax = _axes(ax)
    pts = {label: _points(p) for label, p in paths.items()}
    if domain is None and not pts and getattr(objective, "domain", None) is not None:
        domain = tuple(tuple(float(v) for v in d) for d in objective.domain)
    if domain is None:
        if not pts:
            raise ValueError("no paths to draw and no `domain`: pass `domain`.")
        lo = np.min([p.min(axis=1) for p in pts.values()], axis=0)
        hi = np.max([p.max(axis=1) for p in pts.values()], axis=0)
        if getattr(objective, "domain", None) is not None:
            d = np.asarray(objective.domain, dtype=float)
            lo, hi = np.minimum(lo, d[:, 0]), np.maximum(hi, d[:, 1])
        pad = 0.05 * (hi - lo + 1e-12)
        domain = ((lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1]))
    xs = np.linspace(*domain[0], 160)
    ys = np.linspace(*domain[1], 160)
    gx, gy = np.meshgrid(xs, ys)
    Z = objective.loss_batch(np.vstack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    if log is None:
        spread = np.ptp(Z)
        log = spread > 100 * (np.median(Z) - Z.min() + 1e-12)
    shown = np.log1p(Z - Z.min()) if log else Z
    cs = ax.contourf(gx, gy, shown, levels=levels, cmap="viridis")
    fig.colorbar(cs, ax=ax, label="log(1 + L - min L)" if log else "L")
    for label, p in pts.items():
        style = PATH_STYLE.get(label, {})
        ax.plot(p[0], p[1], lw=2, label=label, **style)
    first = next(iter(pts.values()))
    ax.plot(first[0, 0], first[1, 0], "wo", ms=7, mec="k", label="start")
    ax.plot(first[0, -1], first[1, -1], "w*", ms=12, mec="k", label="end")
    ax.set_xlim(domain[0])
    ax.set_ylim(domain[1])
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")
    ax.legend(loc="best", fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def plot_path_comparison_2d(objective, cases, T, ax=None, title=None, n_marks=11):
    """Least-action paths against the straight line and smoothstep on a 2-D objective.

    For each case the least-action path (red), the uniform line (white, dashed) and the
    smoothstep interpolant are drawn, with markers at `n_marks` equal times: on the same line,
    the line's dots are evenly spaced and smoothstep's squares bunch at the ends, which is
    where its extra kinetic energy goes. The contour levels are quantiles of the loss on the
    window (up to the 95th percentile), so that steep walls do not flatten the picture.

    Parameters
    ----------
    objective : Objective
        With ``n_params == 2``; its ``domain`` (default ``((-2, 2), (-2, 2))``) is widened to
        contain the least-action paths' nodes.
    cases : list of dict
        Each with ``"true"``, ``"linear"`` and ``"smoothstep"``: ActionPaths, or callables
        ``t -> (2, len(t))`` on ``[0, T]``; ``"true"`` also needs ``theta`` (its mesh nodes).
    T : float
        The horizon shared by the cases.
    """
    fig, ax = _axes(ax, figsize=(6.5, 5.5))
    dom = getattr(objective, "domain", None)
    dom = np.array(((-2, 2), (-2, 2)) if dom is None else dom, dtype=float)
    pts = np.concatenate([c["true"].theta for c in cases], axis=1)
    lo = np.minimum(dom[:, 0], pts.min(axis=1) - 0.1)
    hi = np.maximum(dom[:, 1], pts.max(axis=1) + 0.1)
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 160), np.linspace(lo[1], hi[1], 160))
    Z = objective.loss_batch(np.vstack((gx.ravel(), gy.ravel()))).reshape(gx.shape)
    levels = np.quantile(Z, np.linspace(0.0, 0.95, 30))
    cs = ax.contourf(gx, gy, Z, levels=np.unique(levels), cmap="viridis", alpha=0.85)
    fig.colorbar(cs, ax=ax, label="loss")
    marks, dense = np.linspace(0, T, n_marks), np.linspace(0, T, 300)
    for i, c in enumerate(cases):
        tp, ln, ss = c["true"], c["linear"], c["smoothstep"]
        ax.plot(*_at(tp, dense), color="red", lw=2, label="least-action path" if i == 0 else None)
        ax.plot(*_at(ln, dense), color="white", lw=1.2, ls="--",
                label="line (dots: equal times)" if i == 0 else None)
        ax.plot(*_at(ln, marks), "o", color="white", ms=3)
        ax.plot(*_at(ss, marks), "s", color="orange", ms=3,
                label="smoothstep (squares: equal times)" if i == 0 else None)
        ax.plot(*_at(tp, marks), "o", color="red", ms=3)
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    return fig


def plot_loss_along_paths(objective, paths, ax=None, title=None, styles=None):
    """Loss ``L(theta(t))`` against ``t / T`` for each path.

    ``paths`` maps a label to an ActionPath, a callable path (see :func:`_points`) or an array
    of points; ``styles`` maps labels to keyword arguments of ``Axes.plot`` (default: the
    package's colours for "smoothstep" and "linear", line width 2).
    """
    fig, ax = _axes(ax)
    styles = PATH_STYLE if styles is None else styles
    for label, p in paths.items():
        pts = _points(p)
        s = np.linspace(0.0, 1.0, pts.shape[1])
        style = {"lw": 2, **styles.get(label, {})}
        ax.plot(s, objective.loss_batch(pts), label=label, **style)
    ax.set_xlabel("t / T")
    ax.set_ylabel(r"$L(\theta(t))$")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    return fig


def plot_race(results, ax=None, title=None, logy=True):
    """Loss against gradient evaluations for several optimizers.

    ``results`` maps a label to a `lagopt.minimize` result (its ``history`` with ``n_grad``
    and ``loss``) or to a list of them (several seeds: median with a min-max band).
    """
    fig, ax = _axes(ax)
    for label, res in results.items():
        runs = res if isinstance(res, (list, tuple)) else [res]
        grid = np.unique(np.concatenate([np.asarray(r.history["n_grad"]) for r in runs]))
        curves = []
        for r in runs:
            ng, loss = np.asarray(r.history["n_grad"]), np.asarray(r.history["loss"])
            # Step interpolation: the loss known after a given spend is the last one recorded.
            idx = np.searchsorted(ng, grid, side="right") - 1
            curves.append(np.where(idx >= 0, loss[np.clip(idx, 0, None)], np.nan))
        curves = np.array(curves)
        med = np.nanmedian(curves, axis=0)
        line, = ax.plot(grid, med, lw=1.8, label=label)
        if len(runs) > 1:
            ax.fill_between(grid, np.nanmin(curves, axis=0), np.nanmax(curves, axis=0),
                            color=line.get_color(), alpha=0.15)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("gradient evaluations")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def plot_laml_diagnostics(history, title=None, threshold=None):
    """The original report's panels for one LAML run: loss, action (with the acceptance
    threshold if any), confidence and cumulative acceptance rate.

    ``history`` is a dict of per-iteration arrays with keys ``loss``, ``action``,
    ``confidence`` and ``accepted`` (``reference_experiment(...)["history"]`` or a LAML
    result's history). When it also has ``n_grad`` (a `lagopt.minimize` history) the panels
    are drawn against gradient evaluations, so runs compare at equal cost; otherwise against
    the iteration number.
    """
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    by_cost = "n_grad" in history
    it = (np.asarray(history["n_grad"], dtype=float) if by_cost
          else np.arange(1, len(history["loss"]) + 1))
    axes[0, 0].plot(it, history["loss"], color="tab:blue")
    axes[0, 0].set_yscale("log")
    axes[0, 0].set_title("loss")
    axes[0, 1].plot(it, history["action"], color="tab:purple")
    if threshold is not None:
        axes[0, 1].axhline(threshold, color="k", ls="--", lw=1, label=f"threshold {threshold}")
        axes[0, 1].legend(fontsize=8)
    axes[0, 1].set_title("action of the followed path")
    axes[1, 0].plot(it, history["confidence"], color="tab:green")
    axes[1, 0].set_title("confidence")
    acc = np.asarray(history["accepted"], dtype=float)
    axes[1, 1].plot(it, np.cumsum(acc) / np.arange(1, len(acc) + 1), color="tab:red")
    axes[1, 1].set_ylim(-0.05, 1.05)
    axes[1, 1].set_title("acceptance rate (cumulative)")
    for ax in axes.flat:
        ax.set_xlabel("gradient evaluations" if by_cost else "iteration")
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def save(fig, path, dpi=110):
    """Write ``fig`` to ``path`` (PNG) and close it; returns the path."""
    import matplotlib.pyplot as plt
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path
