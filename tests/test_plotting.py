"""The figures of :mod:`lagopt.plotting` read well: labelled axes, one style per method,
LAML on top in a race, colour bars that cover the data, lists as well as dicts.

Fast and deterministic: the Agg backend, interpolant paths and arrays (no path solves except
one direct solve on a 2-D function), short synthetic or Rosenbrock optimizer histories.
"""
import types

import numpy as np
import pytest

import lagopt
from lagopt import plotting

plotting.use_agg()
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
from matplotlib.colors import to_hex  # noqa: E402

METHODS = ("linear", "smoothstep", "auto", "collocation", "shooting", "multiple_shooting",
           "direct")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def rastrigin_paths():
    f = lagopt.Rastrigin(2)
    a, b = np.array([-2.0, -1.0]), np.array([1.0, 2.0])
    return f, [lagopt.solve_action_path(f, a, b, method=m) for m in ("linear", "smoothstep")]


def _run(losses, start=1.0):
    """A fake minimize result: a history with n_grad and loss."""
    losses = np.asarray(losses, dtype=float)
    return types.SimpleNamespace(history={"n_grad": start + np.arange(losses.size),
                                          "loss": losses})


def _race_results():
    k = np.arange(30)
    return {"gd": [_run(np.exp(-0.02 * k)), _run(np.exp(-0.03 * k))],
            "adam": _run(np.exp(-0.05 * k)),
            "laml": _run(np.exp(-0.1 * k)),
            "lbfgs": _run(np.exp(-0.08 * k))}


def _data_axes(fig):
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>" and ax.get_visible()]


def _assert_labelled(fig):
    for ax in _data_axes(fig):
        assert ax.get_xlabel().strip(), f"axes {ax.get_title()!r} has no x label"
        assert ax.get_ylabel().strip(), f"axes {ax.get_title()!r} has no y label"
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            assert ax.get_ylabel().strip() or ax.get_xlabel().strip(), "unlabelled colour bar"


def _legend_labels(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def _lines(ax):
    return [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]


def _contour_set(fig):
    from matplotlib.contour import ContourSet
    sets = [c for ax in fig.axes for c in ax.collections
            if isinstance(c, ContourSet) and c.filled]
    assert sets, "no filled contours"
    return sets[0]


def _bar(fig):
    return next(ax for ax in fig.axes if ax.get_label() == "<colorbar>")


# ----------------------------------------------------------------------------- inputs
@pytest.mark.parametrize("as_list", [True, False])
def test_paths_2d_takes_a_list_or_a_dict(rastrigin_paths, as_list):
    f, paths = rastrigin_paths
    given = paths if as_list else {"line": paths[0], "smooth": paths[1]}
    fig = plotting.plot_paths_2d(f, given)
    labels = _legend_labels(fig.axes[0])
    if as_list:
        assert labels[0] == "linear" and labels[1].startswith("smoothstep")
    else:
        assert labels[0] == "line" and labels[1].startswith("smooth")
    _assert_labelled(fig)


def test_list_labels_are_made_unique_and_fall_back_to_numbers(rastrigin_paths):
    f, (line, smooth) = rastrigin_paths
    pts = np.vstack([np.linspace(-1, 1, 50), np.linspace(0, 1, 50)])
    fig = plotting.plot_loss_along_paths(f, [line, line, pts], show_action=False)
    labels = _legend_labels(fig.axes[0])
    assert labels[0] == "linear"
    assert labels[1].startswith("linear (2)") and labels[2] == "path 3"


@pytest.mark.parametrize("as_list", [True, False])
def test_loss_along_paths_takes_a_list_or_a_dict(rastrigin_paths, as_list):
    f, paths = rastrigin_paths
    given = paths if as_list else dict(zip(("a", "b"), paths))
    fig = plotting.plot_loss_along_paths(f, given)
    assert len(_lines(fig.axes[0])) == 2
    _assert_labelled(fig)


@pytest.mark.parametrize("as_list", [True, False])
def test_race_takes_a_list_or_a_dict(as_list):
    f = lagopt.Rosenbrock()
    gd = lagopt.minimize(f, [-1.0, 1.5], method="gd", lr=1e-3, max_grad_evals=30)
    adam = lagopt.minimize(f, [-1.0, 1.5], method="adam", lr=0.05, max_grad_evals=30)
    given = [gd, adam] if as_list else {"descent": [gd, gd], "adam": adam}
    fig = plotting.plot_race(given)
    assert _legend_labels(fig.axes[0]) == (["gd", "adam"] if as_list else ["descent", "adam"])
    _assert_labelled(fig)


def test_race_takes_results_as_dicts_with_a_history():
    runs = {"gd": {"history": _run(np.linspace(1, 0.5, 10)).history}}
    fig = plotting.plot_race(runs)
    assert _legend_labels(fig.axes[0]) == ["gd"]


def _comparison_case(f, a, b, T=1.0, lam=0.1):
    case = {m: lagopt.solve_action_path(f, a, b, T=T, lam=lam, method=m)
            for m in ("linear", "smoothstep")}
    case["true"] = lagopt.solve_action_path(f, a, b, T=T, lam=lam, method="direct")
    return case


@pytest.fixture(scope="module")
def muller_brown_case():
    f = lagopt.MullerBrown()
    m = np.asarray(f.minima, dtype=float)
    return f, _comparison_case(f, m[0], m[1], lam=0.01)


@pytest.mark.parametrize("as_list", [True, False])
def test_path_comparison_takes_a_list_or_a_dict(muller_brown_case, as_list):
    f, case = muller_brown_case
    fig = plotting.plot_path_comparison_2d(f, [case] if as_list else {"0 -> 1": case}, T=1.0)
    _assert_labelled(fig)
    assert "T = 1" in fig.axes[0].get_title()


def test_laml_diagnostics_takes_a_history_or_a_result():
    res = lagopt.minimize(lagopt.Rosenbrock(), [-1.0, 1.5], method="laml", max_grad_evals=40,
                          seed=0)
    for given in (res, res.history, dict(res.history)):
        fig = plotting.plot_laml_diagnostics(given)
        assert len(_data_axes(fig)) == 4
        _assert_labelled(fig)


# ----------------------------------------------------------------------------- styles
def test_every_path_method_has_its_own_colour_and_line():
    f = lagopt.Rastrigin(2)
    s = np.linspace(0, 1, 60)
    paths = {m: np.vstack([s - i * 0.1, s]) for i, m in enumerate(METHODS)}
    fig = plotting.plot_loss_along_paths(f, paths, show_action=False)
    lines = _lines(fig.axes[0])
    colours = [to_hex(ln.get_color()) for ln in lines]
    assert len(set(colours)) == len(METHODS), colours
    kinds = {(str(ln.get_linestyle()), ln.get_marker()) for ln in lines}
    assert len(kinds) == len(METHODS)
    by_label = dict(zip((ln.get_label() for ln in lines), colours))
    assert by_label["direct"] != by_label["smoothstep"]


def test_styles_are_fixed_per_method_whatever_the_order(rastrigin_paths):
    f, (line, smooth) = rastrigin_paths
    a = plotting.plot_loss_along_paths(f, [line, smooth])
    b = plotting.plot_loss_along_paths(f, [smooth, line])
    col = {ax_i: {ln.get_label().split(":")[0]: to_hex(ln.get_color())
                  for ln in _lines(fig.axes[0])} for ax_i, fig in enumerate((a, b))}
    assert col[0]["linear"] == col[1]["linear"]
    assert col[0]["smoothstep"] == col[1]["smoothstep"]


def test_coinciding_curves_stay_visible_and_are_named(rastrigin_paths):
    f, (line, smooth) = rastrigin_paths
    fig = plotting.plot_loss_along_paths(f, {"collocation": line, "direct": line,
                                             "smoothstep": smooth})
    lines = {ln.get_label().split(":")[0]: ln for ln in _lines(fig.axes[0])}
    first, second = lines["collocation"], lines["direct"]
    labels = _legend_labels(fig.axes[0])
    assert any("coincides with collocation" in t for t in labels if t.startswith("direct"))
    # the later one is drawn on top, thinner, with its markers at other times
    assert second.get_zorder() > first.get_zorder()
    assert second.get_linewidth() < first.get_linewidth()
    assert second.get_markevery() != first.get_markevery()
    assert not any("coincides" in t for t in labels if t.startswith("smoothstep"))


def test_same_curve_at_another_speed_is_named_on_the_2d_plot(rastrigin_paths):
    f, paths = rastrigin_paths
    labels = _legend_labels(plotting.plot_paths_2d(f, paths).axes[0])
    assert labels[1] == "smoothstep (same curve as linear)"


def test_laml_stands_out_in_the_race():
    fig = plotting.plot_race(_race_results())
    ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in _lines(ax)}
    laml = lines.pop("laml")
    assert all(laml.get_linewidth() > ln.get_linewidth() for ln in lines.values())
    assert all(laml.get_zorder() > ln.get_zorder() for ln in lines.values())
    colours = [to_hex(ln.get_color()) for ln in lines.values()] + [to_hex(laml.get_color())]
    assert len(set(colours)) == len(colours)
    assert to_hex(laml.get_color()) != "#7f7f7f"          # not grey
    assert _legend_labels(ax)[0] == "laml"                # first in the legend


def test_race_colours_are_the_same_in_every_figure():
    a = plotting.plot_race(_race_results())
    b = plotting.plot_race({"lbfgs": _race_results()["lbfgs"]})
    colour = {fig: {ln.get_label(): to_hex(ln.get_color()) for ln in _lines(fig.axes[0])}
              for fig in (a, b)}
    assert colour[a]["lbfgs"] == colour[b]["lbfgs"]


def test_race_legend_is_outside_the_data_area():
    fig = plotting.plot_race(_race_results())
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1
    below = plotting.plot_race(_race_results(), legend="below")
    below.canvas.draw()
    ax = below.axes[0]
    assert ax.get_legend().get_window_extent().y1 <= ax.get_window_extent().y0


# ----------------------------------------------------------------------------- contours
def _assert_no_holes(fig):
    cs = _contour_set(fig)
    levels = np.asarray(cs.levels)
    assert levels[-1] >= cs.zmax or cs.extend in ("max", "both"), (levels[-1], cs.zmax)
    assert levels[0] <= cs.zmin or cs.extend in ("min", "both"), (levels[0], cs.zmin)


def _assert_round_even_ticks(fig):
    bar = _bar(fig)                                  # the colour bar's axes (vertical)
    ticks = np.asarray(bar.get_yticks(), dtype=float)
    lo, hi = bar.get_ylim()
    ticks = ticks[(ticks >= min(lo, hi) - 1e-9) & (ticks <= max(lo, hi) + 1e-9)]
    assert ticks.size >= 3
    if bar.get_yscale() == "log":
        steps = np.diff(np.log10(ticks))
    else:
        steps = np.diff(ticks)
        mantissa = steps[0] / 10 ** np.floor(np.log10(steps[0]))
        assert any(np.isclose(mantissa, m) for m in (1, 2, 2.5, 5)), steps[0]
    assert np.allclose(steps, steps[0]), ticks


@pytest.mark.parametrize("name", ["muller-brown", "rastrigin", "rosenbrock"])
def test_paths_2d_colour_bar_covers_the_loss_and_reads_well(name):
    f = {"muller-brown": lagopt.MullerBrown, "rastrigin": lambda: lagopt.Rastrigin(2),
         "rosenbrock": lagopt.Rosenbrock}[name]()
    (x0, x1), (y0, y1) = f.domain
    line = lagopt.solve_action_path(f, [x0 + 0.2 * (x1 - x0), y0 + 0.3 * (y1 - y0)],
                                    [x0 + 0.7 * (x1 - x0), y0 + 0.6 * (y1 - y0)],
                                    method="linear")
    fig = plotting.plot_paths_2d(f, [line])
    _assert_no_holes(fig)
    _assert_round_even_ticks(fig)
    assert "loss" in _bar(fig).get_ylabel()
    assert "parameter" in fig.axes[0].get_xlabel()
    assert "parameter" in fig.axes[0].get_ylabel()


def test_path_comparison_colour_bar_covers_the_loss(muller_brown_case):
    f, case = muller_brown_case
    fig = plotting.plot_path_comparison_2d(f, [case], T=1.0)
    _assert_no_holes(fig)
    _assert_round_even_ticks(fig)
    assert "loss" in _bar(fig).get_ylabel()


def test_explicit_levels_extend_the_colour_bar(rastrigin_paths):
    f, paths = rastrigin_paths
    fig = plotting.plot_paths_2d(f, paths, levels=[10, 20, 30, 40])
    _assert_no_holes(fig)


# ----------------------------------------------------------------------------- lam and T
def test_lam_and_T_are_in_the_title_and_axis(rastrigin_paths):
    f, _ = rastrigin_paths
    paths = [lagopt.solve_action_path(f, [-2, -1], [1, 2], T=2.0, lam=0.5, method=m)
             for m in ("linear", "smoothstep")]
    fig = plotting.plot_loss_along_paths(f, paths, title="along")
    ax = fig.axes[0]
    assert "\N{GREEK SMALL LETTER LAMDA} = 0.5" in ax.get_title() and "T = 2" in ax.get_title()
    assert ax.get_xlabel() == "t / T  (T = 2)"
    title = plotting.plot_paths_2d(f, paths).axes[0].get_title()
    assert "\N{GREEK SMALL LETTER LAMDA} = 0.5, T = 2" in title


# ----------------------------------------------------------------------------- LAML panels
def _laml_history(confidence):
    n = 30
    return {"n_grad": np.arange(1.0, n + 1), "loss": np.exp(-0.1 * np.arange(n)),
            "action": np.r_[np.nan, np.linspace(2, 1, n - 1)],
            "predicted_action": np.r_[np.nan, np.linspace(2.1, 1, n - 1)],
            "accepted": np.r_[False, np.arange(n - 1) % 3 != 0],
            "step": np.r_[0.0, np.geomspace(1, 1e-3, n - 1)], "confidence": confidence}


def test_the_loss_panel_marks_the_hedge_start_apart_from_the_restarts():
    h = _laml_history(np.ones(30))
    h["path_method"] = np.array([""] + ["model"] * 29, dtype=object)
    h["path_method"][10], h["path_method"][20] = "hedge start", "restart"
    fig = plotting.plot_laml_diagnostics(h)
    marks = {ln.get_label(): ln.get_xdata()[0] for ln in fig.axes[0].get_lines()
             if ln.get_label() in ("restart", "hedge start (from the start)")}
    assert set(marks) == {"restart", "hedge start (from the start)"}
    assert marks["hedge start (from the start)"] < marks["restart"]


def test_a_constant_confidence_gives_its_panel_to_the_step_length():
    fig = plotting.plot_laml_diagnostics(_laml_history(np.ones(30)))
    _assert_labelled(fig)
    titles = [ax.get_title() for ax in _data_axes(fig)]
    assert "confidence" not in titles and "step length" in titles
    for ax in _data_axes(fig):                     # no panel is a flat line
        for ln in _lines(ax) or ax.get_lines():
            y = np.asarray(ln.get_ydata(), dtype=float)
            y = y[np.isfinite(y)]
            if y.size > 2 and ln.get_linestyle() not in ("--", ":"):
                assert np.ptp(y) > 0, ax.get_title()
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("confidence constant" in t for t in texts)


def test_a_varying_confidence_keeps_its_panel():
    conf = np.r_[1.0, np.tile([0.95, 1.0], 15)][:30]
    titles = [ax.get_title() for ax in plotting.plot_laml_diagnostics(
        _laml_history(conf)).axes]
    assert "confidence" in titles


def test_preset_draws_the_test_the_criterion_made():
    h = _laml_history(np.ones(30))
    ref = plotting.plot_laml_diagnostics(h, preset="reference")
    assert any("threshold 0.5" in t for t in _legend_labels(ref.axes[1]))
    default = plotting.plot_laml_diagnostics(h, preset="default")
    assert any("resting" in t for t in _legend_labels(default.axes[1]))
    assert "\N{GREEK SMALL LETTER LAMDA} = 1e+08" in default.axes[1].get_title()


# ----------------------------------------------------------------------------- CLI
def _record_saved(monkeypatch):
    saved = []
    real = plotting.save

    def save(fig, path, dpi=130):
        _assert_labelled(fig)
        saved.append(path)
        return real(fig, path, dpi=dpi)
    monkeypatch.setattr(plotting, "save", save)
    return saved


def test_cli_paths_figures_have_labelled_axes(tmp_path, monkeypatch):
    from lagopt.cli import main
    saved = _record_saved(monkeypatch)
    out = tmp_path / "out"
    assert main(["paths", "--problem", "rastrigin", "--quick", "--methods", "linear",
                 "smoothstep", "--out", str(out), "--no-progress"]) == 0
    assert len(saved) == 2


def test_cli_train_figures_have_labelled_axes(tmp_path, monkeypatch):
    from lagopt.cli import main
    saved = _record_saved(monkeypatch)
    out = tmp_path / "out"
    assert main(["train", "--data", "linear", "--budget", "40", "--seeds", "0", "--methods",
                 "gd", "laml", "--jobs", "1", "--out", str(out), "--no-progress"]) == 0
    assert len(saved) == 2          # the race and LAML's diagnostics
