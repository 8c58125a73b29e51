"""`lagopt connect`: two networks trained, the line, the Bézier curve and the MEP between them
tabulated in connect.md and drawn in connect.png; bad arguments are usage errors."""
import os

import pytest

from lagopt.cli import main

#: A tiny run: the 4-6-1 network, few gradients (the MEP may run out of budget: the table
#: must then say so, not fail).
TINY = ["--quick", "--problem", "linear", "--budget", "60", "--train-budget", "100",
        "--samples", "40", "--no-progress"]
CURVES = ("line", "bezier", "mep")


def _rows(table):
    return [[c.strip() for c in line.split("|")[1:-1]] for line in table.splitlines()
            if line.startswith("| ") and not line.startswith("| curve")]


def test_connect_writes_the_table_and_the_figure(tmp_path, capsys):
    out = tmp_path / "connect"
    assert main(["connect", "--out", str(out)] + TINY) == 0
    assert sorted(os.listdir(out)) == ["connect.md", "connect.png"]
    assert (out / "connect.png").stat().st_size > 0
    text = (out / "connect.md").read_text()
    assert text.startswith("# Mode connectivity on linear, 60 gradient evaluations per curve")
    header = ("| curve | success | barrier (train) | barrier (held-out) | gradient evals | "
              "loss evals | seconds | note |")
    assert header in text
    rows = _rows(text)
    assert [r[0] for r in rows] == list(CURVES)
    assert all(len(r) == 8 for r in rows)
    line, bezier, mep = rows
    assert line[1] == "yes" and line[4] == "0" and line[5] == "65"
    assert float(line[2]) >= 0 and float(line[3]) == pytest.approx(float(line[3]))
    assert bezier[4] == "60" and float(bezier[2]) <= float(line[2])
    assert mep[1] in ("yes", "no") and float(mep[4]) <= 60
    if mep[1] == "no":
        assert mep[7]                                   # the solver's message is shown
    assert "Network 1: seed 0" in text and "Network 2: seed 1" in text
    assert "held-out" in text
    printed = capsys.readouterr().out
    assert "| line |" in printed and "connect.png" in printed


def test_connect_on_muller_brown(tmp_path):
    out = tmp_path / "mb"
    assert main(["connect", "--problem", "muller-brown", "--budget", "200", "--out", str(out),
                 "--no-progress"]) == 0
    rows = _rows((out / "connect.md").read_text())
    assert [r[0] for r in rows] == list(CURVES)
    assert rows[0][3] == "n/a"                          # no held-out data for a potential
    assert float(rows[0][2]) > 100                      # the line crosses a high ridge


@pytest.mark.parametrize("argv, name", [
    (["connect", "--budget", "0"], "--budget"),
    (["connect", "--train-budget", "-1"], "--train-budget"),
    (["connect", "--problem", "mnist"], "--problem"),
    (["connect", "--seed", "-3"], "--seed"),
    (["connect", "--samples", "1"], "--samples"),
])
def test_bad_arguments_are_one_line_errors(argv, name, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert name in err and "Traceback" not in err


def test_sizes_must_fit_the_data(tmp_path, capsys):
    out = tmp_path / "bad"
    assert main(["connect", "--sizes", "3", "6", "1", "--out", str(out), "--no-progress"]) == 2
    assert "--sizes" in capsys.readouterr().err
    assert not out.exists()


def test_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["connect", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for option in ("--problem", "--sizes", "--budget", "--seed", "--out", "--no-progress"):
        assert option in text
