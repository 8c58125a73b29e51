"""The CLI's output folder: it never deletes what it did not write, SIGTERM cleans up like
Ctrl-C, and one run at a time writes to a folder."""
import os
import signal
import subprocess
import sys
import time

import pytest

import lagopt.cli as cli
from lagopt.cli import main


def _fake_paths(monkeypatch, body=None):
    """Make `lagopt paths` a fast fake that writes ``paths.md`` and a figure (after `body`)."""
    def fake(args):
        if body is not None:
            body(args)
        with open(os.path.join(args.out, "paths.md"), "w") as fh:
            fh.write("new table")
        with open(os.path.join(args.out, "new-figure.png"), "w") as fh:
            fh.write("new figure")
        return 0
    monkeypatch.setattr(cli, "cmd_paths", fake)


def _leftovers(parent):
    """Staging folders and lock files left in `parent`."""
    return [p.name for p in parent.iterdir()
            if p.name.startswith(".lagopt-partial-") or "lock" in p.name]


def _dead_pid():
    """The PID of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# ---------------------------------------------------------------- never delete what is not ours
def test_a_folder_where_a_result_goes_is_refused_and_kept(tmp_path, monkeypatch, capsys):
    _fake_paths(monkeypatch)
    out = tmp_path / "out"
    (out / "paths.md").mkdir(parents=True)
    (out / "paths.md" / "notes.txt").write_text("the user's")
    (out / "old.png").write_text("earlier run")
    assert main(["paths", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(out / "paths.md") in err and "Traceback" not in err
    # Everything is as it was: the folder, its contents, and nothing of the run was moved in.
    assert (out / "paths.md" / "notes.txt").read_text() == "the user's"
    assert sorted(os.listdir(out)) == ["old.png", "paths.md"]
    assert (out / "old.png").read_text() == "earlier run"
    assert _leftovers(tmp_path) == []


def test_a_symlink_where_a_result_goes_is_refused_and_kept(tmp_path, monkeypatch, capsys):
    _fake_paths(monkeypatch)
    out = tmp_path / "out"
    out.mkdir()
    mine = tmp_path / "mine.md"
    mine.write_text("the user's")
    (out / "paths.md").symlink_to(mine)
    assert main(["paths", "--out", str(out)]) == 2
    assert str(out / "paths.md") in capsys.readouterr().err
    assert (out / "paths.md").is_symlink() and mine.read_text() == "the user's"
    assert sorted(os.listdir(out)) == ["paths.md"]


def test_an_earlier_runs_files_are_replaced(tmp_path, monkeypatch):
    _fake_paths(monkeypatch)
    out = tmp_path / "out"
    out.mkdir()
    (out / "paths.md").write_text("old table")
    (out / "other.png").write_text("kept")
    assert main(["paths", "--out", str(out)]) == 0
    assert (out / "paths.md").read_text() == "new table"
    assert (out / "new-figure.png").read_text() == "new figure"
    assert (out / "other.png").read_text() == "kept"
    assert _leftovers(tmp_path) == []


# ---------------------------------------------------------------- SIGTERM
def test_sigterm_in_process_cleans_up_and_restores_the_handler(tmp_path, monkeypatch, capsys):
    def terminated(args):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)   # the handler interrupts this

    def mine(signum, frame):
        raise AssertionError("the CLI's handler should have run")
    _fake_paths(monkeypatch, terminated)
    out = tmp_path / "out"
    previous = signal.signal(signal.SIGTERM, mine)
    try:
        start = time.perf_counter()
        assert main(["paths", "--out", str(out)]) == 128 + signal.SIGTERM
        assert time.perf_counter() - start < 5
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert "nothing was written" in capsys.readouterr().err
    assert not out.exists() and _leftovers(tmp_path) == []


@pytest.mark.parametrize("how", ["converted", "swallowed"])
def test_sigterm_whose_exception_is_converted_or_swallowed_is_still_a_termination(
        tmp_path, monkeypatch, capsys, how):
    # A SIGTERM during an import that is compiling a module surfaces as a SyntaxError ("can't
    # load unicodedata module"), as CI saw; code may also swallow it. Either way: exit 143.
    def interrupted(args):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(10)
        except KeyboardInterrupt:
            if how == "converted":
                raise SyntaxError("(unicode error) can't load unicodedata module") from None
        return 0
    _fake_paths(monkeypatch, interrupted)
    out = tmp_path / "out"
    assert main(["paths", "--out", str(out)]) == 128 + signal.SIGTERM
    assert "terminated: nothing was written" in capsys.readouterr().err
    assert not out.exists() and _leftovers(tmp_path) == []


@pytest.mark.parametrize("wait_for", [".lagopt-partial-", ".out.lagopt-lock"])
def test_sigterm_to_a_running_command_leaves_no_partial_folder(tmp_path, wait_for):
    """Signalled as soon as the lock, or the staging folder, appears: nothing is left."""
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "lagopt.cli", "paths", "--problem", "xor",
                             "--out", str(out), "--no-progress"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not any(p.name.startswith(wait_for) for p in tmp_path.iterdir()):
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "no staging folder within 60 s"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        err = proc.communicate(timeout=30)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "nothing was written" in err
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- one writer at a time
def _lock_of(out):
    return out.parent / f".{out.name}.lagopt-lock"


def test_a_second_writer_is_refused(tmp_path, monkeypatch, capsys):
    _fake_paths(monkeypatch)
    out = tmp_path / "out"
    lock = _lock_of(out)
    lock.write_text(str(os.getpid()))   # held by a live process: this one
    assert main(["paths", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"another lagopt run is writing to {out} (pid {os.getpid()})" in err
    assert lock.read_text() == str(os.getpid())   # not taken over, not removed
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [lock.name]


def test_a_stale_lock_is_taken_over(tmp_path, monkeypatch, capsys):
    seen = {}

    def look(args):
        seen["lock"] = _lock_of(out).read_text()
    _fake_paths(monkeypatch, look)
    out = tmp_path / "out"
    dead = _dead_pid()
    _lock_of(out).write_text(str(dead))
    assert main(["paths", "--out", str(out)]) == 0
    assert seen["lock"].strip() == str(os.getpid())   # held by this run while it ran
    assert f"pid {dead}" in capsys.readouterr().err   # with a note
    assert (out / "paths.md").read_text() == "new table"
    assert _leftovers(tmp_path) == []                  # and released at the end


def test_a_lock_naming_no_process_is_refused(tmp_path, monkeypatch, capsys):
    _fake_paths(monkeypatch)
    out = tmp_path / "out"
    _lock_of(out).write_text("")
    assert main(["paths", "--out", str(out)]) == 2
    assert str(_lock_of(out)) in capsys.readouterr().err
    assert _lock_of(out).exists() and not out.exists()


@pytest.mark.parametrize("command", ["paths", "train"])
def test_commands_release_the_lock(tmp_path, monkeypatch, command):
    monkeypatch.setattr(cli, f"cmd_{command}", lambda args: 0)
    assert main([command, "--out", str(tmp_path / "out")]) == 0
    assert _leftovers(tmp_path) == []
