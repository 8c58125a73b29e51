"""Each CLI command, run with --quick into a temporary folder, writes its table and figures."""
import os

import pytest

from lagopt.cli import main


def _pngs(folder):
    return [f for f in os.listdir(folder) if f.endswith(".png")]


def test_paths_quick_on_a_network(tmp_path, capsys):
    out = tmp_path / "paths"
    assert main(["paths", "--quick", "--out", str(out), "--no-progress"]) == 0
    table = (out / "paths.md").read_text()
    assert "smoothstep" in table and "linear" in table
    assert "| yes |" in table  # at least one path solved
    assert _pngs(out)
    assert "Least-action paths" in capsys.readouterr().out


def test_paths_quick_on_a_2d_function_draws_contours(tmp_path):
    out = tmp_path / "mb"
    assert main(["paths", "--problem", "muller-brown", "--quick", "--out", str(out),
                 "--no-progress"]) == 0
    assert (out / "paths.md").exists()
    assert any(f.startswith("paths_") for f in _pngs(out))


def test_train_quick(tmp_path):
    out = tmp_path / "train"
    assert main(["train", "--quick", "--out", str(out), "--jobs", "1", "--no-progress"]) == 0
    table = (out / "train.md").read_text()
    for label in ("gd", "adam", "lbfgs", "laml", "laml-reference"):
        assert f"| {label} |" in table
    assert "train_race.png" in _pngs(out)


@pytest.mark.slow
def test_bench_quick(tmp_path):
    out = tmp_path / "bench"
    assert main(["bench", "--quick", "--out", str(out), "--no-progress"]) == 0
    results = (out / "results.md").read_text()
    for name in ("reproduce_seed_table", "kernels", "solver_speed", "compare_paths",
                 "optimizer_race"):
        assert f"`{name}`" in results
    assert "0.8554" in results  # the published table is in the collected results
    assert _pngs(out)


@pytest.mark.parametrize("argv", [["paths", "--lam", "-1"], ["paths", "--T", "0"],
                                  ["train", "--data", "mnist"]])
def test_bad_arguments_exit_with_usage_error(argv, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(argv + ["--out", str(tmp_path)])
    assert exc.value.code == 2


def test_help_everywhere(capsys):
    for argv in (["--help"], ["paths", "--help"], ["train", "--help"], ["bench", "--help"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0
    assert "--quick" in capsys.readouterr().out


@pytest.mark.parametrize("argv, name", [
    (["train", "--budget", "-5"], "--budget"),
    (["train", "--budget", "0"], "--budget"),
    (["train", "--seeds", "-1"], "--seeds"),
    (["paths", "--pairs", "0"], "--pairs"),
    (["paths", "--pairs", "-2"], "--pairs"),
    (["paths", "--T", "0"], "--T"),
])
def test_bad_arguments_are_one_line_errors(argv, name, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert name in err and "Traceback" not in err


def test_out_naming_a_file_is_an_error(tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("not a folder")
    with pytest.raises(SystemExit) as exc:
        main(["paths", "--quick", "--out", str(target)])
    assert exc.value.code == 2 and "--out" in capsys.readouterr().err
    assert target.read_text() == "not a folder"


def test_a_run_is_staged_and_published_whole(tmp_path, monkeypatch):
    out = tmp_path / "paths"
    out.mkdir()
    (out / "old-figure.png").write_bytes(b"earlier run")

    def interrupted(args):
        open(os.path.join(args.out, "half-written.png"), "w").close()
        raise KeyboardInterrupt

    import lagopt.cli as cli
    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    parser._subparsers._group_actions[0].choices["paths"].set_defaults(func=interrupted)
    assert main(["paths", "--quick", "--out", str(out)]) == 130
    # Nothing of the interrupted run reached the folder, and no staging folder is left.
    assert sorted(os.listdir(out)) == ["old-figure.png"]
    assert [p.name for p in tmp_path.iterdir()] == ["paths"]


def test_paths_reports_a_failed_solve_honestly(tmp_path):
    # lam = 1e6 over T = 100: no grid within the node cap resolves the path.
    out = tmp_path / "stiff"
    assert main(["paths", "--problem", "muller-brown", "--lam", "1e6", "--T", "100",
                 "--methods", "direct", "--pairs", "1", "--out", str(out),
                 "--no-progress"]) == 0
    row = [r for r in (out / "paths.md").read_text().splitlines() if "| direct |" in r][0]
    cells = [c.strip() for c in row.split("|")]
    assert cells[3] == "no" and cells[4] == "n/a" and cells[10] == "-"
