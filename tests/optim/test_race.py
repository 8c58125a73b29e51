"""The one registry of raced optimizer configurations, shared by the CLI and the benchmark."""
import pytest

from lagopt import cli
from lagopt.benchmarks import optimizer_race
from lagopt.optim import METHODS
from lagopt.optim.race import (OPTIMIZERS, RACE_LABELS, TRAIN_LABELS, TRAIN_QUICK_LABELS,
                               select)


def test_every_entry_is_a_valid_minimize_call():
    for label, (method, options) in OPTIMIZERS.items():
        assert method in METHODS, label
        METHODS[method].from_options(options)   # raises on an unknown or invalid option


def test_the_cli_and_the_race_select_from_the_registry():
    assert set(RACE_LABELS) | set(TRAIN_LABELS) == set(OPTIMIZERS)
    assert set(TRAIN_QUICK_LABELS) <= set(TRAIN_LABELS)
    assert optimizer_race.OPTIMIZERS == select(RACE_LABELS)
    assert list(optimizer_race.OPTIMIZERS) == list(RACE_LABELS)
    assert cli.OPTIMIZERS == select(TRAIN_LABELS)
    with pytest.raises(ValueError, match="nope"):
        select(["gd", "nope"])
