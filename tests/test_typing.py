"""The public API carries type hints, and the installed package says so (PEP 561).

Every name in ``lagopt.__all__`` is checked: a function directly; a class through its
``__init__``, ``__call__`` and every public method and property that lagopt defines on it or
on one of its lagopt base classes (what the class inherits from ``int``, ``Exception`` or
``Enum`` is not lagopt's to annotate). Each must annotate every parameter (``self`` and
``cls`` aside) and its return. The annotations must also resolve to real objects
(``typing.get_type_hints``), so that a misspelt or unimported name fails here; whether they
are *right* is for a type checker (``mypy --ignore-missing-imports lagopt/__init__.py``),
which the test suite does not run.
"""
import functools
import importlib.resources
import inspect
import typing

import pytest

import lagopt

#: Annotations written under ``if TYPE_CHECKING:`` resolve against the package's namespace.
_LOCALNS = {name: getattr(lagopt, name) for name in lagopt.__all__}


def _function_of(member):
    """The function behind a class member (method, property, cached property), or None."""
    if isinstance(member, (staticmethod, classmethod)):
        return member.__func__
    if isinstance(member, property):
        return member.fget
    if isinstance(member, functools.cached_property):
        return member.func
    if inspect.isfunction(member):
        return member
    return None


def _is_public(attr):
    return not attr.startswith("_") or attr in ("__init__", "__call__")


def _class_members(name, cls):
    """``(qualified name, function)`` of the members of `cls` that lagopt defines, nearest
    definition first (an override hides the base class's version)."""
    seen = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("lagopt"):
            continue
        for attr, member in vars(klass).items():
            if attr in seen or not _is_public(attr):
                continue
            seen.add(attr)
            func = _function_of(member)
            if func is not None:
                yield f"{name}.{attr}", func


def _public_callables():
    out = []
    for name in lagopt.__all__:
        obj = getattr(lagopt, name)
        if inspect.isclass(obj):
            out.extend(_class_members(name, obj))
        elif callable(obj):
            out.append((name, obj))
    return out


PUBLIC = _public_callables()


def _unannotated(func):
    """Names of the parameters of `func` without annotation, and "return" if it has none."""
    sig = inspect.signature(func)
    missing = [p.name for i, p in enumerate(sig.parameters.values())
               if p.annotation is inspect.Parameter.empty
               and not (i == 0 and p.name in ("self", "cls"))]
    if sig.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


def test_the_public_api_is_found():
    names = {name for name, _ in PUBLIC}
    expected = {"solve_action_path", "action", "quadratic_solution", "minimize",
                "reference_experiment", "trajectory_efficiency", "make_dataset", "as_objective",
                "Objective.__init__", "Objective.loss", "Objective.grad", "Objective.hessp_batch",
                "Objective.__call__", "MLPObjective.__init__", "MLPObjective.init_params",
                "MLPObjective.loss", "Quadratic.eigh", "Quadratic.minima", "Rosenbrock.minima",
                "Rastrigin.__init__", "Ackley.__init__", "MullerBrown.__init__",
                "CallableObjective.__init__", "CallableObjective.reset_counts",
                "ActionPath.__init__", "ActionPath.path", "ActionPath.__call__",
                "ActionPath.n_nodes", "Status.message"}
    assert expected <= names, sorted(expected - names)


@pytest.mark.parametrize("name, func", PUBLIC, ids=[name for name, _ in PUBLIC])
def test_public_callable_is_annotated(name, func):
    assert not _unannotated(func), f"{name}: no annotation for {_unannotated(func)}"


@pytest.mark.parametrize("name, func", PUBLIC, ids=[name for name, _ in PUBLIC])
def test_annotations_resolve(name, func):
    hints = typing.get_type_hints(func, localns=_LOCALNS)
    assert "return" in hints


def test_unannotated_function_is_caught():
    def f(theta, lam: float = 1.0):
        return theta

    def g(self, x: int) -> int:
        return x

    assert _unannotated(f) == ["theta", "return"]
    assert _unannotated(g) == []


def test_package_is_marked_typed():
    marker = importlib.resources.files("lagopt").joinpath("py.typed")
    assert marker.is_file()
    assert marker.read_text() == ""
