"""Every example in the package's docstrings runs, and prints what it says it prints.

One test per module of :mod:`lagopt` (found with :func:`pkgutil.walk_packages`, so a new module
is covered without editing this file). A module whose examples fail to import, raise, or print
something else fails its test with doctest's report. Modules with slow examples carry the
``slow`` marker but still run in the default suite.
"""
import doctest
import importlib
import pkgutil

import pytest

import lagopt

OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

#: Modules whose examples take more than about ten seconds. ``objectives.mlp``: its examples
#: are the first to call the network's numba kernels when this file runs alone, and compiling
#: them (cold cache) takes about 50 s on a 2-core machine; with a warm cache they take 0.5 s.
SLOW = frozenset({"lagopt.objectives.mlp"})


def _module_names():
    names = {"lagopt"}
    # onerror: a subpackage that fails to import is still listed, and its test reports the error.
    for info in pkgutil.walk_packages(lagopt.__path__, prefix="lagopt.", onerror=lambda name: None):
        names.add(info.name)
    return sorted(names)


MODULES = [pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name
           for name in _module_names()]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    tests = doctest.DocTestFinder(exclude_empty=True).find(module, name)
    tests = [t for t in tests if t.examples]
    if not tests:
        return
    runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS)
    lines = []
    for test in sorted(tests, key=lambda t: t.name):
        runner.run(test, out=lines.append)
    assert runner.failures == 0, (f"{runner.failures} of {runner.tries} examples of {name} "
                                  "failed:\n" + "".join(lines))
