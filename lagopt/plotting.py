"""Figures people would rather look at than read: paths on 2-D landscapes, loss along a path,
optimizer races against gradient evaluations, and the LAML diagnostics of the original report.

Every function draws on a given matplotlib ``Axes`` (or makes a figure) and returns the figure;
nothing is shown or saved here. Callers that write files use the Agg backend
(:func:`use_agg`), so no display is needed.

Paths and results are passed either as a dict (label -> item) or as a list: the labels are then
the items' ``method`` (an ActionPath's, a `lagopt.minimize` result's), made unique, or
"path 1", "path 2"... (results: "run 1"...). Every path method and every optimizer of the race
has one style (colour, line style, marker), the same in every figure: :data:`PATH_STYLE`,
:data:`RACE_STYLE`.
"""
from collections.abc import Mapping

import numpy as np

__all__ = ["use_agg", "plot_paths_2d", "plot_path_comparison_2d", "plot_loss_along_paths",
           "plot_race", "plot_laml_diagnostics", "save", "PATH_STYLE", "RACE_STYLE"]

#: One style per path method, the same in every figure (Okabe-Ito colours, distinct line
#: styles and markers, so that a curve hidden under another still shows its markers).
PATH_STYLE = {
    "linear": dict(color="#4D4D4D", ls=":", marker="o"),
    "smoothstep": dict(color="#E69F00", ls="--", marker="s"),
    "auto": dict(color="#D55E00", ls="-", marker="*"),
    "collocation": dict(color="#0072B2", ls="-", marker="o"),
    "shooting": dict(color="#CC79A7", ls="-.", marker="^"),
    "multiple_shooting": dict(color="#56B4E9", ls=(0, (5, 1.5, 1, 1.5)), marker="v"),
    "direct": dict(color="#009E73", ls=(0, (4, 2)), marker="D"),
}

#: Colour of the least-action path in :func:`plot_path_comparison_2d` (``auto``'s).
LEAST_ACTION_COLOR = PATH_STYLE["auto"]["color"]

#: One style per optimizer of the race: LAML red and thick, drawn on top; its other presets
#: in warm colours; the baselines in a qualitative palette with thinner lines.
RACE_STYLE = {
    "laml": dict(color="#D62728", ls="-", lw=3.0, zorder=10),
    "laml-reference": dict(color="#FF7F0E", ls="--", lw=2.2, zorder=9),
    "laml-direct": dict(color="#8C0A0A", ls="-.", lw=2.2, zorder=9),
    "gd": dict(color="#1F77B4", ls="-"),
    "momentum": dict(color="#17BECF", ls="--"),
    "adam": dict(color="#2CA02C", ls="-"),
    "adam-0.01": dict(color="#BCBD22", ls="--"),
    "lbfgs": dict(color="#9467BD", ls="-"),
    "lm": dict(color="#8C564B", ls="-."),
    "steepest": dict(color="#E377C2", ls=":"),
    "hybrid": dict(color="#7F7F7F", ls="--"),
}

# Styles of labels not in the tables, handed out in this order (Paul Tol's muted palette).
_EXTRA_COLORS = ("#332288", "#117733", "#44AA99", "#88CCEE", "#999933", "#882255", "#AA4499",
                 "#DDCC77")
_EXTRA_LS = ("-", "--", "-.", ":")
_EXTRA_MARKERS = ("o", "s", "^", "v", "D", "P", "X", "<")
_LAML_EXTRA = ("#B2182B", "#F4A582", "#D6604D", "#67001F")
_BASE_LW = 1.5
_GREEK = {"lam": "\N{GREEK SMALL LETTER LAMDA}"}


def use_agg():
    """Select the non-interactive backend (for scripts and the CLI writing PNG files).

    Examples
    --------
    >>> from lagopt import plotting
    >>> plotting.use_agg()
    >>> import matplotlib
    >>> matplotlib.get_backend().lower()
    'agg'
    """
    import matplotlib
    matplotlib.use("Agg", force=True)


def _axes(ax, figsize=(6, 4.5)):
    import matplotlib.pyplot as plt
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
    return ax.figure, ax


# ----------------------------------------------------------------------------- inputs
def _is_single_path(item):
    return (hasattr(item, "path") and hasattr(item, "T")) or callable(item) or (
        isinstance(item, np.ndarray) and item.ndim == 2)


def _method_of(item):
    """The ``method`` of a path or result (of the first run of a list), or None."""
    if isinstance(item, (list, tuple)) and item:
        item = item[0]
    method = item.get("method") if isinstance(item, Mapping) else getattr(item, "method", None)
    return method if isinstance(method, str) and method else None


def _labelled(items, noun="path"):
    """A dict label -> item from a dict (kept) or a list (labels: the items' ``method``, made
    unique, else ``"<noun> 1"``, ``"<noun> 2"``...)."""
    if isinstance(items, Mapping):
        return dict(items)
    if _is_single_path(items):          # one path given alone
        items = [items]
    out = {}
    for i, item in enumerate(items, start=1):
        base = _method_of(item) or f"{noun} {i}"
        label, k = base, 2
        while label in out:
            label, k = f"{base} ({k})", k + 1
        out[label] = item
    return out


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


def _setting(items):
    """``(lam, T)`` shared by all items (None where unknown or not shared)."""
    items = [p for p in items if not isinstance(p, np.ndarray)]     # an array's T is .T
    out = []
    for name in ("lam", "T"):
        values = {float(getattr(p, name)) for p in items
                  if np.ndim(getattr(p, name, None)) == 0 and getattr(p, name, None) is not None}
        out.append(values.pop() if len(values) == 1 else None)
    return tuple(out)


def _setting_text(lam=None, T=None):
    parts = ([f"{_GREEK['lam']} = {lam:g}"] if lam is not None else []) + (
        [f"T = {T:g}"] if T is not None else [])
    return ", ".join(parts)


def _title(ax, title, lam=None, T=None):
    """Set `title`, with ``λ = ..., T = ...`` on a second line when known and not said."""
    extra = _setting_text(lam, T)
    if title and extra and _GREEK["lam"] not in title and "lam" not in title:
        title = f"{title}\n{extra}"
    elif not title:
        title = extra
    if title:
        ax.set_title(title, fontsize=11)


# ----------------------------------------------------------------------------- styles
def _path_style(label, item, i, styles=None):
    """Keyword arguments of ``Axes.plot`` for the `i`-th path: the user's `styles`, else the
    style of its label or method in :data:`PATH_STYLE`, else the next extra style."""
    if styles is not None and label in styles:
        base = styles[label]
        table = PATH_STYLE.get(label) or PATH_STYLE.get(_method_of(item) or "", {})
        return {**table, **base}
    style = PATH_STYLE.get(label) or PATH_STYLE.get(_method_of(item) or "")
    if style is None:
        style = dict(color=_EXTRA_COLORS[i % len(_EXTRA_COLORS)],
                     ls=_EXTRA_LS[i % len(_EXTRA_LS)],
                     marker=_EXTRA_MARKERS[i % len(_EXTRA_MARKERS)])
    return dict(style)


def _distinct_colors(styles):
    """Give styles that share a colour (user labels mapped to one method) the extra colours."""
    seen, k = set(), 0
    for s in styles:
        while s["color"] in seen:
            s["color"], k = _EXTRA_COLORS[k % len(_EXTRA_COLORS)], k + 1
        seen.add(s["color"])
    return styles


def _is_laml(label, item=None):
    return str(label).lower().startswith("laml") or _method_of(item) == "laml"


def _race_style(label, item, counters):
    """Style of one race entry: :data:`RACE_STYLE`, else LAML's family or the extras."""
    if label in RACE_STYLE:
        style = dict(RACE_STYLE[label])
    elif _is_laml(label, item):
        j = counters["laml"] = counters.get("laml", -1) + 1
        style = dict(color=_LAML_EXTRA[j % len(_LAML_EXTRA)], ls=_EXTRA_LS[1:][j % 3],
                     lw=2.2, zorder=9)
    else:
        j = counters["other"] = counters.get("other", -1) + 1
        style = dict(color=_EXTRA_COLORS[j % len(_EXTRA_COLORS)],
                     ls=_EXTRA_LS[j % len(_EXTRA_LS)])
    style.setdefault("lw", _BASE_LW)
    style.setdefault("zorder", 3)
    return style


def _coincides(a, b, scale):
    """True when two sampled curves (same shape) agree to 0.2 % of `scale`."""
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= 2e-3 * scale + 1e-12))


def _same_trace(a, b, scale):
    """True when every sample of `b` lies on the polyline sampled by `a` (the same curve,
    possibly run at another speed): cheap, on the samples (at most 200 x 200 distances)."""
    step = np.max(np.linalg.norm(np.diff(a, axis=1), axis=0)) if a.shape[1] > 1 else 0.0
    d = np.linalg.norm(a[:, :, None] - b[:, None, :], axis=0).min(axis=0)
    return bool(np.all(d <= max(5e-3 * scale, 0.6 * step) + 1e-12))


def _overlap_notes(curves, traces=None):
    """Label suffixes saying which curve coincides with an earlier one (``{label: text}``)."""
    labels = list(curves)
    allv = np.concatenate([np.ravel(c) for c in curves.values()]) if curves else np.zeros(1)
    allv = allv[np.isfinite(allv)]
    scale = float(np.ptp(allv)) if allv.size else 1.0
    notes = {}
    for j, lab in enumerate(labels):
        for prev in labels[:j]:
            if _coincides(curves[prev], curves[lab], scale):
                notes[lab] = f" (coincides with {prev})"
                break
            if traces is not None and _same_trace(traces[prev], traces[lab], scale):
                notes[lab] = f" (same curve as {prev})"
                break
    return notes


def _legend(ax, where="right", **kw):
    """A legend outside the data area: to the right, or below the axes."""
    if where == "right":
        return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                         frameon=False, fontsize=8.5, **kw)
    if where == "below":
        kw.setdefault("ncol", 3)
        return ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False,
                         fontsize=8.5, **kw)
    return ax.legend(loc=where, fontsize=8.5, **kw) if where else None


# ----------------------------------------------------------------------------- contours
def _nice_levels(lo, hi, n):
    """Round, evenly spaced levels with ``levels[0] <= lo`` and ``levels[-1] >= hi``."""
    from matplotlib.ticker import MaxNLocator
    if not hi > lo:
        hi = lo + max(abs(lo), 1.0) * 1e-3
    levels = MaxNLocator(nbins=n, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
    step = levels[1] - levels[0]
    while levels[0] > lo:
        levels = np.r_[levels[0] - step, levels]
    while levels[-1] < hi:
        levels = np.r_[levels, levels[-1] + step]
    return levels


def _log_levels(hi, floor):
    """Levels 1, 2, 5 x 10^k from a decade at or below `floor` to one at or above `hi`."""
    k0, k1 = int(np.floor(np.log10(floor))), int(np.ceil(np.log10(hi)))
    levels = np.array([m * 10.0 ** k for k in range(k0, k1 + 1) for m in (1, 2, 5)])
    levels = levels[levels <= 10.0 ** k1]
    top = np.searchsorted(levels, hi)          # the first level >= hi closes the range
    return levels[:top + 1]


def _wants_log(Z):
    """Log colours when the low tail spans decades (a narrow valley: Rosenbrock), not when
    the loss is merely heavy-tailed upwards (steep walls: Mueller-Brown, clipped instead)."""
    lo = Z.min()
    q05, q50 = np.quantile(Z, [0.05, 0.5])
    return bool(q50 - lo > 10 * (q05 - lo) and np.ptp(Z) > 0)


def _color_scale(Z, n_levels=None, log=None, levels=None):
    """What :func:`_contours` draws: ``(shown, levels, extend, norm, label)``.

    Linear: round, evenly spaced levels from the minimum up to the maximum, or, when a few steep
    walls would take most of the colours, up to a round level above the 90th percentile with
    the colour bar extended upwards (nothing is left white). Log: ``L - min L`` (or ``L`` when
    its minimum is about 0) on 1-2-5 levels per decade, the bar extended below the lowest.
    """
    from matplotlib.colors import LogNorm
    lo, hi = float(Z.min()), float(Z.max())
    log = _wants_log(Z) if log is None else bool(log)
    if levels is not None:
        levels = np.asarray(levels, dtype=float)
        extend = {(False, False): "neither", (True, False): "min", (False, True): "max",
                  (True, True): "both"}[(bool(lo < levels[0]), bool(hi > levels[-1]))]
        return Z, levels, extend, None, "loss L(\u03b8)"
    if log:
        offset = lo if abs(lo) > 1e-3 * (hi - lo) else 0.0
        D = Z - offset
        pos = D[D > 0]
        floor = max(np.quantile(pos, 0.01) if pos.size else 1.0, (hi - offset) * 1e-5)
        levels = _log_levels(hi - offset, floor)
        # below the lowest level: clipped just under it (no value is masked by the log, so no
        # hole) and shown by the bar's lower extension
        shown = np.clip(D, 0.5 * levels[0], None)
        extend = "min" if D.min() < levels[0] else "neither"
        label = ("loss L(\u03b8), log scale" if offset == 0 else
                 f"L(\u03b8) \u2212 min L  (min L = {offset:.4g}), log scale")
        return shown, levels, extend, LogNorm(levels[0], levels[-1]), label
    q90 = float(np.quantile(Z, 0.9))
    top = min(hi, lo + 1.5 * (q90 - lo)) if q90 > lo else hi
    levels = _nice_levels(lo, top, n_levels or 16)
    extend = "max" if hi > levels[-1] else "neither"
    return Z, levels, extend, None, "loss L(\u03b8)"


def _contours(fig, ax, gx, gy, Z, n_levels=None, log=None, levels=None, cmap="bone_r"):
    """Filled contours on a light map (paths in colour stay visible), thin contour lines, and
    a colour bar with round, evenly spaced ticks and a label; returns the colour bar."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.ticker import LogLocator, MaxNLocator
    shown, levels, extend, norm, label = _color_scale(Z, n_levels, log, levels)
    base = plt.get_cmap(cmap)
    light = ListedColormap(base(np.linspace(0.02, 0.62, 256)), name=f"{cmap}_light")
    light = light.with_extremes(over=base(0.7), under=base(0.0))
    cs = ax.contourf(gx, gy, shown, levels=levels, cmap=light, norm=norm, extend=extend)
    ax.contour(gx, gy, shown, levels=levels, colors="k", linewidths=0.3, alpha=0.35, norm=norm)
    bar = fig.colorbar(cs, ax=ax, label=label, pad=0.02)
    locator = (MaxNLocator(nbins=7, steps=[1, 2, 2.5, 5, 10]) if norm is None
               else LogLocator(base=10))
    ticks = locator.tick_values(levels[0], levels[-1])
    span = levels[-1] - levels[0]
    # only ticks inside the levels: one outside would stretch the bar past the colours
    bar.set_ticks(ticks[(ticks >= levels[0] - 1e-9 * span) & (ticks <= levels[-1] + 1e-9 * span)])
    return bar


def _grid(objective, domain, k=160):
    xs = np.linspace(*domain[0], k)
    ys = np.linspace(*domain[1], k)
    gx, gy = np.meshgrid(xs, ys)
    Z = objective.loss_batch(np.vstack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    return gx, gy, np.asarray(Z, dtype=float)


def _window(objective, pts, domain):
    """The plot window: `domain`, else the objective's widened to contain every path."""
    if domain is not None:
        return domain
    obj_dom = getattr(objective, "domain", None)
    if not pts:
        if obj_dom is None:
            raise ValueError("no paths to draw and no `domain`: pass `domain`.")
        return tuple(tuple(float(v) for v in d) for d in obj_dom)
    lo = np.min([p.min(axis=1) for p in pts], axis=0)
    hi = np.max([p.max(axis=1) for p in pts], axis=0)
    if obj_dom is not None:
        d = np.asarray(obj_dom, dtype=float)
        lo, hi = np.minimum(lo, d[:, 0]), np.maximum(hi, d[:, 1])
    pad = 0.05 * (hi - lo + 1e-12)
    return ((lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1]))


def _parameter_axes(ax, domain):
    ax.set_xlim(domain[0])
    ax.set_ylim(domain[1])
    ax.set_xlabel(r"$\theta_1$  (first parameter)")
    ax.set_ylabel(r"$\theta_2$  (second parameter)")


# ----------------------------------------------------------------------------- paths
def plot_paths_2d(objective, paths, ax=None, domain=None, levels=None, log=None, title=None,
                  n_marks=11):
    """Contours of a 2-D objective with paths overlaid.

    Each path has its method's style (:data:`PATH_STYLE`) and markers at `n_marks` equal times
    (their spacing shows the speed: the line's are even, smoothstep's bunch at the ends).
    Paths drawn later are thinner, so that one lying on another stays visible; the legend says
    when a path coincides with an earlier one, or runs along the same curve at another speed.
    The colour bar has round, evenly spaced ticks and covers the whole range of the loss on the
    window (extended upwards when steep walls are clipped), so no region is left white.

    Parameters
    ----------
    objective : Objective
        With ``n_params == 2``; its ``domain`` attribute is used when `domain` is None.
    paths : dict or list
        Label -> ActionPath, callable path ``t -> (2, len(t))`` or (2, k) array of points; or
        a list of them (labels: each path's ``method``, made unique, else "path 1", ...).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    domain : ((xmin, xmax), (ymin, ymax)), optional
        Plot window; default: the objective's ``domain`` widened to contain every path.
    levels : int or array_like, optional
        About how many contour levels (default 16), or the levels themselves.
    log : bool, optional
        Colours on a log scale of ``L - min L``; default on when the low values of the loss
        span decades (a narrow valley), so that its floor is resolved.
    title : str, optional
        Title; ``λ`` and ``T`` shared by the paths are added on a second line.
    n_marks : int, optional
        Markers at this many equal times along each path (0 for none).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import lagopt
    >>> from lagopt import plotting
    >>> plotting.use_agg()
    >>> f = lagopt.Rastrigin(2)
    >>> line = lagopt.solve_action_path(f, [-2, -1], [1, 2], method="linear")
    >>> smooth = lagopt.solve_action_path(f, [-2, -1], [1, 2], method="smoothstep")
    >>> fig = plotting.plot_paths_2d(f, [line, smooth])        # a list: labels from .method
    >>> fig.axes[0].get_legend_handles_labels()[1][:2]
    ['linear', 'smoothstep (same curve as linear)']
    >>> fig = plotting.plot_paths_2d(f, {"straight line": line})   # or a dict label -> path
    >>> fig.axes[0].get_xlabel()
    '$\\\\theta_1$  (first parameter)'
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    if objective.n_params != 2:
        raise ValueError("`objective` must have 2 parameters to be drawn as contours.")
    fig, ax = _axes(ax, figsize=(7.0, 5.6))
    paths = _labelled(paths)
    pts = {label: _points(p) for label, p in paths.items()}
    domain = _window(objective, list(pts.values()), domain)
    gx, gy, Z = _grid(objective, domain)
    n_levels = levels if isinstance(levels, (int, np.integer)) else None
    _contours(fig, ax, gx, gy, Z, n_levels=n_levels, log=log,
              levels=None if n_levels is not None else levels)
    _draw_paths_2d(ax, paths, pts, n_marks)
    _parameter_axes(ax, domain)
    _legend(ax, "below", ncol=3, title="markers at equal times", title_fontsize=8.5)
    lam, T = _setting(paths.values())
    _title(ax, title, lam, T)
    return fig


def _draw_paths_2d(ax, paths, pts, n_marks):
    styles = _distinct_colors([_path_style(lab, p, i) for i, (lab, p) in
                               enumerate(paths.items())])
    notes = _overlap_notes(pts, traces=pts)
    for i, ((label, p), style) in enumerate(zip(pts.items(), styles)):
        k = p.shape[1]
        marks = np.unique(np.linspace(0, k - 1, max(n_marks, 0)).round().astype(int))[1:-1]
        lw = max(1.3, 3.4 - 0.5 * i)
        ax.plot(p[0], p[1], lw=lw, label=label + notes.get(label, ""), zorder=4 + i,
                markevery=list(marks) if n_marks else None,
                ms=max(3.5, 7.5 - 0.8 * i), mec="white", mew=0.6, **style)
    if pts:
        first = next(iter(pts.values()))
        ax.plot(first[0, 0], first[1, 0], "o", color="white", ms=9, mec="k", mew=1.2,
                zorder=30, label=r"start $\theta(0)$")
        ax.plot(first[0, -1], first[1, -1], "*", color="white", ms=15, mec="k", mew=1.2,
                zorder=30, label=r"end $\theta(T)$")


def plot_path_comparison_2d(objective, cases, T, ax=None, title=None, n_marks=11):
    """Least-action paths against the straight line and smoothstep on a 2-D objective.

    For each case the least-action path (vermilion), the uniform line (grey, dotted) and the
    smoothstep interpolant are drawn, with markers at `n_marks` equal times: on the same line,
    the line's dots are evenly spaced and smoothstep's squares bunch at the ends, which is
    where its extra kinetic energy goes. The colours cover the loss's whole range on the window,
    with round, evenly spaced levels up to a level above its 90th percentile and the colour bar
    extended beyond, so that steep walls do not flatten the picture and nothing is left white.

    Parameters
    ----------
    objective : Objective
        With ``n_params == 2``; its ``domain`` (default ``((-2, 2), (-2, 2))``) is widened to
        contain the least-action paths' nodes.
    cases : list of dict, or dict
        Each case a dict with ``"true"``, ``"linear"`` and ``"smoothstep"``: ActionPaths, or
        callables ``t -> (2, len(t))`` on ``[0, T]``; ``"true"`` also needs ``theta`` (its
        mesh nodes). A dict label -> case also writes each label beside its path's start.
    T : float
        The horizon shared by the cases.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    title : str, optional
        Title; ``T`` (and ``λ`` when the paths have it) is added when the title lacks it.
    n_marks : int, optional
        Markers at this many equal times along each path.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import lagopt
    >>> from lagopt import plotting
    >>> plotting.use_agg()
    >>> f = lagopt.Rosenbrock()
    >>> case = {m: lagopt.solve_action_path(f, [-1, 1], [1, 1], T=1.0, lam=0.1, method=m)
    ...         for m in ("linear", "smoothstep")}
    >>> case["true"] = lagopt.solve_action_path(f, [-1, 1], [1, 1], T=1.0, lam=0.1,
    ...                                         method="direct")
    >>> fig = plotting.plot_path_comparison_2d(f, [case], T=1.0)              # a list
    >>> fig = plotting.plot_path_comparison_2d(f, {"valley": case}, T=1.0)    # or a dict
    >>> fig.axes[0].get_title()
    'λ = 0.1, T = 1'
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    fig, ax = _axes(ax, figsize=(7.0, 5.8))
    named = isinstance(cases, Mapping)
    cases = _labelled(cases, noun="case")
    dom = getattr(objective, "domain", None)
    dom = np.array(((-2, 2), (-2, 2)) if dom is None else dom, dtype=float)
    pts = np.concatenate([np.asarray(c["true"].theta) for c in cases.values()], axis=1)
    lo = np.minimum(dom[:, 0], pts.min(axis=1) - 0.1)
    hi = np.maximum(dom[:, 1], pts.max(axis=1) + 0.1)
    domain = ((lo[0], hi[0]), (lo[1], hi[1]))
    gx, gy, Z = _grid(objective, domain)
    _contours(fig, ax, gx, gy, Z, n_levels=20)
    marks, dense = np.linspace(0, T, n_marks), np.linspace(0, T, 300)
    ln_style, ss_style = PATH_STYLE["linear"], PATH_STYLE["smoothstep"]
    for i, (name, c) in enumerate(cases.items()):
        first = i == 0
        tp, ln, ss = c["true"], c["linear"], c["smoothstep"]
        ax.plot(*_at(ln, dense), color=ln_style["color"], lw=1.3, ls="--", zorder=4,
                label="straight line (dots: equal times)" if first else None)
        ax.plot(*_at(ln, marks), "o", color=ln_style["color"], ms=3.5, zorder=5)
        ax.plot(*_at(ss, marks), "s", color=ss_style["color"], ms=4, mec="k", mew=0.4,
                zorder=6, label="smoothstep (squares: equal times)" if first else None)
        ax.plot(*_at(tp, dense), color=LEAST_ACTION_COLOR, lw=2.4, zorder=7,
                label="least-action path (dots: equal times)" if first else None)
        ax.plot(*_at(tp, marks), "o", mfc="white", mec=LEAST_ACTION_COLOR, ms=4, mew=1.2,
                zorder=8)
        a, b = _at(tp, np.array([0.0])), _at(tp, np.array([T]))
        ax.plot(a[0], a[1], "o", color="white", mec="k", ms=7, zorder=9,
                label=r"start $\theta(0)$" if first else None)
        ax.plot(b[0], b[1], "*", color="white", mec="k", ms=11, zorder=9,
                label=r"end $\theta(T)$" if first else None)
        if named:
            ax.annotate(name, (a[0, 0], a[1, 0]), textcoords="offset points", xytext=(6, 6),
                        fontsize=8, zorder=10,
                        bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.8))
    _parameter_axes(ax, domain)
    _legend(ax, "below", ncol=3)
    lam, _ = _setting([c["true"] for c in cases.values()])
    _title(ax, title, lam, T)
    return fig


def plot_loss_along_paths(objective, paths, ax=None, title=None, styles=None,
                          show_action=True, legend="right"):
    """Loss ``L(theta(t))`` against ``t / T`` for each path.

    Every method has its style of :data:`PATH_STYLE` (distinct colour, line style and
    markers). Paths drawn later are thinner and their markers sit at other times, so that
    curves that coincide all stay visible; the legend says when one coincides with an earlier
    one, and gives each path's action when it has one.

    Parameters
    ----------
    objective : Objective
        Anything with ``loss_batch`` on an ``(n, k)`` array of points.
    paths : dict or list
        Label -> ActionPath, callable path (see :func:`plot_paths_2d`) or ``(n, k)`` array of
        points; or a list of them (labels: each path's ``method``, made unique, else
        "path 1", ...).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    title : str, optional
        Title; ``λ`` and ``T`` shared by the paths are added on a second line.
    styles : dict, optional
        Label -> keyword arguments of ``Axes.plot``, over the method's style.
    show_action : bool, optional
        Add ``S = ...`` to the label of each path that has a finite ``action``. Default True.
    legend : {"right", "below"} or str or None, optional
        Outside the data area, to the right (default) or below; another string is a
        matplotlib ``loc`` inside; None for no legend.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import lagopt
    >>> from lagopt import plotting
    >>> plotting.use_agg()
    >>> f = lagopt.Rastrigin(2)
    >>> paths = [lagopt.solve_action_path(f, [-2, -1], [1, 2], method=m)
    ...          for m in ("linear", "smoothstep", "linear")]
    >>> fig = plotting.plot_loss_along_paths(f, paths, show_action=False)   # a list
    >>> fig.axes[0].get_legend_handles_labels()[1]
    ['linear', 'smoothstep', 'linear (2) (coincides with linear)']
    >>> fig = plotting.plot_loss_along_paths(f, {"line": paths[0]})       # or a dict
    >>> fig.axes[0].get_xlabel()
    't / T  (T = 1)'
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    fig, ax = _axes(ax, figsize=(7.5, 4.5))
    paths = _labelled(paths)
    curves, loss = {}, {}
    for label, p in paths.items():
        pts = _points(p)
        curves[label] = pts
        loss[label] = np.asarray(objective.loss_batch(pts), dtype=float)
    notes = _overlap_notes(loss)
    kinds = _distinct_colors([_path_style(lab, p, i, styles) for i, (lab, p) in
                              enumerate(paths.items())])
    n = max(len(paths), 1)
    for i, ((label, p), style) in enumerate(zip(paths.items(), kinds)):
        y = loss[label]
        s = np.linspace(0.0, 1.0, y.size)
        gap = max(y.size // 8, 1)
        every = (int(i * gap / n), gap)          # markers at other times for each path
        text = label
        action = getattr(p, "action", None)
        if show_action and action is not None and np.isfinite(action):
            text += f": S = {action:.4g}"
        text += notes.get(label, "")
        style = {"lw": max(1.3, 3.2 - 0.45 * i), "ms": 8 if style.get("marker") == "*" else 5,
                 "mec": "white", "mew": 0.5, "zorder": 3 + i, "markevery": every, **style}
        ax.plot(s, y, label=text, **style)
    lam, T = _setting(paths.values())
    ax.set_xlabel("t / T" + (f"  (T = {T:g})" if T is not None else ""))
    ax.set_ylabel(r"loss along the path, $L(\theta(t))$")
    ax.set_xlim(0.0, 1.0)
    ax.grid(alpha=0.3)
    _legend(ax, legend, **({"ncol": 2} if legend == "below" else {}))
    _title(ax, title, lam, T)
    return fig


# ----------------------------------------------------------------------------- race
def _runs(res):
    runs = list(res) if isinstance(res, (list, tuple)) else [res]
    return runs


def _history(run):
    return run["history"] if isinstance(run, Mapping) else run.history


def _race_curves(runs):
    """The union grid of gradient evaluations and each run's loss on it (step interpolation:
    the loss known after a given spend is the last one recorded)."""
    grid = np.unique(np.concatenate([np.asarray(_history(r)["n_grad"], dtype=float)
                                     for r in runs]))
    curves = []
    for r in runs:
        h = _history(r)
        ng, loss = np.asarray(h["n_grad"], dtype=float), np.asarray(h["loss"], dtype=float)
        idx = np.searchsorted(ng, grid, side="right") - 1
        curves.append(np.where(idx >= 0, loss[np.clip(idx, 0, None)], np.nan))
    return grid, np.array(curves)


def _clip_spikes(ax, peaks, logy):
    """Keep the y range on the bulk of the curves: when short spikes (a restart's first loss)
    reach far above every curve's 97th percentile, cap the axis and say which entries go above
    and how far. ``peaks``: label -> (97th percentile, max, min) of its curve."""
    if not peaks:
        return
    bulk = max(p[0] for p in peaks.values())
    low = min(p[2] for p in peaks.values())
    factor = 10.0 if logy else 1.0        # log: only spikes of more than a decade
    top = bulk * 1.6 if logy and bulk > 0 else bulk + 0.3 * (bulk - low)
    over = {lab: p[1] for lab, p in peaks.items() if p[1] > (bulk * factor if logy and bulk > 0
                                                             else top)}
    if not over or (logy and not low > 0):
        return
    ax.set_ylim(low / 1.3 if logy else low - 0.05 * (top - low), top)
    text = "off scale: " + ", ".join(f"{lab} up to {v:.3g}" for lab, v in over.items())
    ax.text(0.99, 0.98, text, transform=ax.transAxes, ha="right", va="top", fontsize=7.5,
            color="#555555", bbox=dict(fc="white", ec="none", alpha=0.8, pad=1.5), zorder=20)


def _mark_early_stops(ax, handles):
    """A dot where an entry's curve ends before the others (every run of it stopped before
    the budget); returns a legend handle saying what the dots mean (None without dots)."""
    ends = [ln.get_xdata()[-1] for _, _, ln in handles if len(ln.get_xdata())]
    if not ends:
        return None
    last, stopped = max(ends), 0
    for _, _, ln in handles:
        x, y = ln.get_xdata(), ln.get_ydata()
        if len(x) and x[-1] < 0.97 * last and np.isfinite(y[-1]):
            ax.plot(x[-1], y[-1], "o", color=ln.get_color(), ms=5, mec="white", mew=0.6,
                    zorder=ln.get_zorder() + 0.5)
            stopped += 1
    if stopped:   # a legend entry, not drawn on the data
        from matplotlib.lines import Line2D
        return Line2D([], [], ls="none", marker="o", color="#555555", ms=5,
                      label="stopped before the budget")
    return None


def plot_race(results, ax=None, title=None, logy=True, center="median", legend="right",
              ylabel=None, band=None, clip=True, best_so_far=False):
    """Loss against gradient evaluations for several optimizers.

    LAML (labels starting with "laml", or results of ``method="laml"``) is drawn in red with
    the thickest line, on top; the baselines have the fixed qualitative palette of
    :data:`RACE_STYLE` (the same colour for an optimizer in every figure). Several runs of one
    entry are drawn as their median (or mean), with a min-max band when there are few entries.
    The curves are the loss at each iterate as the history recorded it (step-wise: the loss
    known after a given spend is the last one recorded).

    Parameters
    ----------
    results : dict or list
        Label -> `lagopt.minimize` result (anything with a ``history`` holding ``n_grad`` and
        ``loss``, as an attribute or a key) or a list of them (several seeds); or a list of
        entries (labels: each result's ``method``, made unique, else "run 1", ...).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    title : str, optional
    logy : bool, optional
        Log scale for the loss. Default True.
    center : {"median", "mean"}, optional
        How several runs of an entry are summarised. Default "median".
    legend : {"right", "below"} or str or None, optional
        Outside the data area, to the right (default) or below; another string is a
        matplotlib ``loc`` inside; None for no legend.
    ylabel : str, optional
        Default "training loss" (and how several runs are summarised).
    band : bool, optional
        Shade the min-max range of each entry's runs; default when at most four entries.
    clip : bool, optional
        Cap the loss axis above the bulk of the curves when short spikes reach far higher,
        and say so in a note (default True).
    best_so_far : bool, optional
        Draw each run's lowest loss so far instead of the loss at each iterate (the same for
        every entry; LAML with restarts returns its best point, so its curve ends where its
        result is). Default False.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import lagopt
    >>> from lagopt import plotting
    >>> plotting.use_agg()
    >>> f = lagopt.Rosenbrock()
    >>> gd = lagopt.minimize(f, [-1.0, 1.5], method="gd", lr=1e-3, max_grad_evals=60)
    >>> adam = lagopt.minimize(f, [-1.0, 1.5], method="adam", lr=0.05, max_grad_evals=60)
    >>> fig = plotting.plot_race([gd, adam])                    # a list: labels from .method
    >>> fig.axes[0].get_legend_handles_labels()[1]
    ['gd', 'adam']
    >>> fig = plotting.plot_race({"gradient descent": [gd, gd], "adam": adam})   # or a dict
    >>> fig.axes[0].get_xlabel()
    'gradient evaluations'
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    import warnings
    fig, ax = _axes(ax, figsize=(8.4, 4.6))
    if isinstance(results, Mapping) and "history" in results:
        results = [results]                       # one result (a dict itself)
    results = _labelled(results, noun="run")
    band = len(results) <= 4 if band is None else band
    counters, handles, n_runs, peaks = {}, [], set(), {}
    for label, res in results.items():
        runs = _runs(res)
        n_runs.add(len(runs))
        grid, curves = _race_curves(runs)
        if best_so_far:
            curves = np.fmin.accumulate(curves, axis=1)
        with warnings.catch_warnings():           # no loss known yet left of a run's start
            warnings.simplefilter("ignore", RuntimeWarning)
            mid = (np.nanmean if center == "mean" else np.nanmedian)(curves, axis=0)
        style = _race_style(label, runs[0], counters)
        line, = ax.plot(grid, mid, label=label, drawstyle="steps-post", **style)
        if band and len(runs) > 1:
            ax.fill_between(grid, np.nanmin(curves, axis=0), np.nanmax(curves, axis=0),
                            color=line.get_color(), alpha=0.12, lw=0, step="post",
                            zorder=style["zorder"] - 1)
        fin = mid[np.isfinite(mid) & ((mid > 0) if logy else True)]
        if fin.size:
            peaks[label] = (float(np.quantile(fin, 0.97)), float(fin.max()), float(fin.min()))
        handles.append((not _is_laml(label, runs[0]), len(handles), line))
    stop_note = _mark_early_stops(ax, handles)
    if logy:
        ax.set_yscale("log")
    if clip:
        _clip_spikes(ax, peaks, logy)
    ax.set_xlabel("gradient evaluations")
    many = max(n_runs, default=1) > 1
    summary = f"{center} over runs" + ("; band: min to max" if band else "")
    what = "lowest training loss so far" if best_so_far else "training loss"
    ax.set_ylabel(ylabel or (what + (f"\n({summary})" if many else "")))
    ax.grid(alpha=0.3, which="major")
    ax.grid(alpha=0.12, which="minor")
    if legend and handles:
        ordered = [h for _, _, h in sorted(handles, key=lambda t: t[:2])]   # LAML first
        ordered += [stop_note] if stop_note is not None else []
        _legend(ax, legend, handles=ordered, labels=[h.get_label() for h in ordered])
    if title:
        ax.set_title(title, fontsize=11)
    return fig


# ----------------------------------------------------------------------------- LAML
def _preset_test(preset, threshold):
    """What a LAML preset's criterion compares: ``dict(threshold, lam, T, margin, rule)``
    (threshold None for the resting test; lam, T None without a preset)."""
    test = dict(threshold=threshold, lam=None, T=None, margin=0.0, rule=None)
    if preset is None:
        return test
    from lagopt.optim.laml import ThresholdCriterion, make_stages
    stages, settings = make_stages(preset)
    crit = stages.criterion
    if threshold is None and isinstance(crit, ThresholdCriterion):
        test.update(threshold=crit.threshold, rule=crit.rule)
    test.update(lam=settings["lam"], T=settings["T"], margin=getattr(crit, "margin", 0.0))
    return test


def _positive_log(ax, *series):
    """Log scale when every finite value of the series is positive and they span more than a
    factor of 10 (below that, log ticks only clutter)."""
    vals = np.concatenate([np.asarray(s, dtype=float).ravel() for s in series])
    vals = vals[np.isfinite(vals)]
    if vals.size and np.all(vals > 0) and vals.max() > 10 * vals.min():
        ax.set_yscale("log")


def _varies(x):
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return x.size > 1 and np.ptp(x) > 1e-12 * (1.0 + np.max(np.abs(x)))


def _loss_panel(ax, it, h):
    loss = np.asarray(h["loss"], dtype=float)
    ax.plot(it, loss, color="#1F77B4", lw=1.4, label="loss at the iterate")
    ax.plot(it, np.fmin.accumulate(loss), color="k", lw=1.0, ls="--", label="lowest so far")
    hedges = []
    if "path_method" in h:
        restarts = [x for x, m in zip(it, h["path_method"]) if m == "restart"]
        hedges = [x for x, m in zip(it, h["path_method"]) if m == "hedge start"]
    else:   # a restart row: explored, no path followed
        gone = np.isnan(np.asarray(h.get("action", np.zeros(loss.size)), dtype=float))
        moved = np.asarray(h.get("explored", np.zeros(loss.size)), dtype=bool)
        restarts = list(it[1:][(gone & moved)[1:]])
    for j, x in enumerate(restarts):
        ax.axvline(x, color="#7F7F7F", lw=0.8, ls=":", label="restart" if j == 0 else None)
    for j, x in enumerate(hedges):   # back to the start with a short L-BFGS memory
        ax.axvline(x, color="#D62728", lw=0.8, ls="-.",
                   label="hedge start (from the start)" if j == 0 else None)
    _positive_log(ax, loss)
    ax.set_ylabel(r"training loss $L(\theta_k)$")
    ax.set_title("loss")
    ax.legend(fontsize=7.5, loc="upper right")


def _off_scale(ax, it, series, level=None):
    """Keep the y range on the bulk of the values: when a few are far above (a prediction
    beyond the acceptable move has an enormous action), cap the axis above the 95th percentile
    and mark those points at the top edge. Returns the cap (None when nothing is cut)."""
    vals = np.concatenate([np.asarray(s, dtype=float) for s in series])
    vals = vals[np.isfinite(vals)]
    if vals.size < 5:
        return None
    lo, q = float(vals.min()), float(np.quantile(vals, 0.95))
    lo = min(lo, level) if level is not None else lo
    q = max(q, level) if level is not None else q
    if not vals.max() > q + 2.0 * (q - lo):
        return None
    top = q + 0.25 * (q - lo)
    ax.set_ylim(lo - 0.05 * (top - lo), top)
    above = np.zeros(it.size, dtype=bool)
    for s in series:
        above |= np.nan_to_num(np.asarray(s, dtype=float), nan=-np.inf) > top
    ax.plot(it[above], np.full(above.sum(), top), "^", ms=5, color="#555555", clip_on=False,
            zorder=6, label=f"off scale ({above.sum()}), max {vals.max():.3g}")
    return top


def _action_panel(ax, it, h, test):
    """The followed and the predicted path's action against the acceptance test: divided by
    the resting action when the test is "move when cheaper than resting", else as is (with
    the threshold when there is one)."""
    S = np.asarray(h["action"], dtype=float)
    P = np.asarray(h.get("predicted_action", np.full(S.size, np.nan)), dtype=float)
    acc = np.asarray(h.get("accepted", np.zeros(S.size)), dtype=bool)
    threshold, lam, T = test["threshold"], test["lam"], test["T"]
    level = threshold
    if threshold is None and lam is not None:
        loss = np.asarray(h["loss"], dtype=float)
        rest = np.r_[np.nan, lam * T * loss[:-1]]      # before the step: lam L(theta_k-1) T
        S, P, level = S / rest, P / rest, 1.0 - test["margin"]
        ax.set_ylabel("path action / resting action\n"
                      r"$S\,/\,(\lambda L(\theta_{k-1})\,T)$")
        ax.set_title(f"action against resting ({_setting_text(lam, T)})")
        level_label = ("resting" if not test["margin"] else
                       f"(1 \u2212 {test['margin']:g}) \u00d7 resting") + " (accept below)"
    else:
        ax.set_ylabel(r"action $S = \int_0^T (\frac{1}{2}|\theta'|^2 + \lambda L)\,dt$")
        ax.set_title("action of the paths")
        level_label = None if threshold is None else f"threshold {threshold:g}" + (
            " (on the seed rule's action)" if test["rule"] == "seed" else " (accept below)")
    ax.plot(it, S, color="#6A3D9A", lw=1.2, label="followed path")
    for keep, mark, color, what in ((acc, "o", "#2CA02C", "accepted"),
                                    (~acc, "x", "#D62728", "rejected")):
        keep = keep & np.isfinite(P)
        if keep.any():
            ax.plot(it[keep], P[keep], mark, ms=3.5, color=color,
                    label=f"predicted path, {what}")
    if level is not None:
        ax.axhline(level, color="k", ls="--", lw=1, label=level_label)
    if _off_scale(ax, it, [S, P], level) is None:
        _positive_log(ax, S, P, [] if level is None else [level])
    ax.legend(fontsize=7.5, loc="best")


def _third_panel(ax, it, h):
    """Confidence when it changes; else the step length (and a note that the confidence was
    constant); else whatever is left, annotated."""
    conf = h.get("confidence")
    if conf is not None and _varies(conf):
        ax.plot(it, conf, color="#2CA02C", lw=1.3)
        ax.set_ylabel("confidence (after the iteration)")
        ax.set_title("confidence")
        return
    note = ("" if conf is None else
            f"confidence constant at {np.nanmax(np.asarray(conf, dtype=float)):g}: not shown")
    if "step" in h:
        step = np.asarray(h["step"], dtype=float)
        ax.plot(it, np.where(step > 0, step, np.nan), ".", ms=3, color="#2CA02C")
        _positive_log(ax, step[step > 0])
        ax.set_ylabel(r"step length $|\theta_{k} - \theta_{k-1}|$")
        ax.set_title("step length")
    else:
        ax.set_ylabel("confidence")
        ax.set_title("confidence")
        if conf is not None:
            ax.plot(it, conf, color="#2CA02C", lw=1.3)
    if note:
        ax.text(0.02, 0.97, note, transform=ax.transAxes, va="top", fontsize=8,
                color="#555555")


def _acceptance_panel(ax, it, h):
    acc = np.asarray(h["accepted"], dtype=float)[1:]           # row 0 is the start
    x = it[1:]
    if acc.size:
        ax.plot(x, 100 * np.cumsum(acc) / np.arange(1, acc.size + 1), color="#D62728",
                lw=1.5, label="cumulative")
        if acc.size >= 40:
            w = 20
            run = np.convolve(acc, np.ones(w) / w, mode="valid")
            ax.plot(x[w - 1:], 100 * run, color="#FF7F0E", lw=1.0, alpha=0.8,
                    label=f"last {w} iterations")
        ax.legend(fontsize=7.5, loc="best")
    ax.set_ylim(-5, 105)
    ax.set_ylabel("predictions accepted (%)")
    ax.set_title("acceptance rate")


def plot_laml_diagnostics(history, title=None, threshold=None, preset=None):
    """The original report's panels for one LAML run: loss, action (against the acceptance
    test), confidence and acceptance rate.

    The action panel draws the action of the followed path and that of each predicted path,
    marked accepted or rejected, against what the criterion compared it with: the
    `threshold`, or the action of resting ``λ L(θ) T`` (with `preset`). When the confidence
    does not change during the run (the default preset keeps it at 1) its panel shows the
    length of each step instead, and says so.

    Parameters
    ----------
    history : dict or result
        Per-iteration arrays with keys ``loss``, ``action`` and ``accepted``, and optionally
        ``predicted_action``, ``confidence``, ``step``, ``path_method`` and ``n_grad``
        (``reference_experiment(...)["history"]``, a LAML result's history, or the result
        itself). With ``n_grad`` (a `lagopt.minimize` history) the panels are drawn against
        gradient evaluations, so runs compare at equal cost; otherwise against the iteration.
    title : str, optional
    threshold : float, optional
        The acceptance threshold on the action (the reference preset's 0.5).
    preset : str, optional
        The LAML preset of the run: its criterion gives the threshold or the resting action
        (its ``λ`` and ``T``).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import lagopt
    >>> from lagopt import plotting
    >>> plotting.use_agg()
    >>> res = lagopt.minimize(lagopt.Rosenbrock(), [-1.0, 1.5], method="laml",
    ...                       max_grad_evals=40, seed=0)
    >>> fig = plotting.plot_laml_diagnostics(res, preset="default")
    >>> [ax.get_title() for ax in fig.axes]
    ['loss', 'action against resting (λ = 1e+08, T = 1)', 'step length', 'acceptance rate']
    >>> all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)
    True
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    import matplotlib.pyplot as plt
    h = history if isinstance(history, Mapping) and "loss" in history else _history(history)
    test = _preset_test(preset, threshold)
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.2))
    by_cost = "n_grad" in h
    it = (np.asarray(h["n_grad"], dtype=float) if by_cost
          else np.arange(1, len(h["loss"]) + 1, dtype=float))
    _loss_panel(axes[0, 0], it, h)
    _action_panel(axes[0, 1], it, h, test)
    _third_panel(axes[1, 0], it, h)
    _acceptance_panel(axes[1, 1], it, h)
    for ax in axes.flat:
        ax.set_xlabel("gradient evaluations" if by_cost else "iteration")
        ax.set_xlim(it[0] - 0.02 * np.ptp(it), it[-1] + 0.02 * np.ptp(it) + 1e-9)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def save(fig, path, dpi=130):
    """Write ``fig`` to ``path`` (PNG) and close it; returns the path.

    Examples
    --------
    >>> import os, tempfile
    >>> from lagopt import plotting
    >>> plotting.use_agg()
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> out = plotting.save(fig, os.path.join(tempfile.mkdtemp(), "empty.png"))
    >>> os.path.exists(out)
    True
    """
    import matplotlib.pyplot as plt
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path
