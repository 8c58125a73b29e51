"""The README's Python examples run as printed (in order, in one namespace, in a scratch
folder), so the README stays true to what the code does."""
import os
import re

import pytest

README = os.path.join(os.path.dirname(__file__), os.pardir, "README.md")


def _python_blocks():
    with open(README, encoding="utf-8") as fh:
        return re.findall(r"```python\n(.*?)\n```", fh.read(), flags=re.S)


def test_the_readme_has_python_examples():
    assert len(_python_blocks()) >= 2


def test_readme_python_examples_run(tmp_path, monkeypatch, capsys):
    import matplotlib
    matplotlib.use("Agg", force=True)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for i, block in enumerate(_python_blocks()):
        try:
            exec(compile(block, f"README.md python block {i}", "exec"), namespace)
        except Exception as exc:  # noqa: BLE001 - report which block broke
            pytest.fail(f"README python block {i} failed: {type(exc).__name__}: {exc}")
    assert "True" in capsys.readouterr().out      # the first example's path is a success
    assert (tmp_path / "mb.png").stat().st_size > 0
