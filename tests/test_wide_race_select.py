"""The selection program of LAML's default (benchmarks/wide_race_select.py): its variants are
valid LAML configurations, the current default among them, and it never runs the judging
part."""
import importlib.util
import pathlib

import pytest

from lagopt.benchmarks import wide_race as wr
from lagopt.optim.laml import BFGSPredictor, make_stages

_PATH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "wide_race_select.py"


@pytest.fixture(scope="module")
def select():
    spec = importlib.util.spec_from_file_location("wide_race_select", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_variants_are_valid_and_contain_the_default(select):
    default, settings = make_stages("default")
    found = False
    for label, (what, options) in select.variants().items():
        opts = dict(options)
        stages, s = make_stages(opts.pop("preset"), **opts)
        same = (repr(stages) == repr(default)
                and repr(s["restart"]) == repr(settings["restart"]))
        found |= same
        assert ("the new default" in label) == same, label
    assert found and isinstance(default.predictor, BFGSPredictor)


def test_tasks_cover_only_the_choosing_parts(select):
    parts = tuple(p for p, v in wr.PARTS.items() if v["role"] == "chooses")
    assert "report" not in parts and set(parts) == {"tune", "dev"}
    tasks = select._tasks("laml", "laml", {}, parts, (300,))
    assert {t["part"] for t in tasks} == set(parts)
    assert {t["target"] for t in tasks} == {t for p in parts for t in wr.PARTS[p]["targets"]}
    assert {t["seed"] for t in tasks}.isdisjoint(wr.PARTS["report"]["seeds"])


def test_table_lists_every_variant_and_part(select):
    counts = {"cells": 2, "le_gd": [2, 2], "le_lbfgs": [1, 2], "within": [2, 2],
              "ratio_lbfgs": 0.9, "ratio_best": 0.95}
    rows = {label: {"tune": counts, "dev": counts} for label in select.variants()}
    text = select._table(rows, ("tune", "dev"), 12.0)
    for label in select.variants():
        assert f"| {label} |" in text
    assert text.count("| 2 | 2 | 1 | 2 | 0.900 | 0.950 |") == 2 * len(rows)
