"""The package's shape: imports that point one way, and functions short enough to read.

Read from the source (``ast``), not by importing, so that a lazy import inside a function
counts as much as one at the top of a module.
"""
import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "lagopt"

#: Longest function allowed, in lines of code (docstring, comments and blank lines excluded).
MAX_FUNCTION_LINES = 100

# Layers of lagopt.paths, bottom first: a module may import from its own layer or below.
PATHS_LAYERS = [
    {"_formulas", "_measure", "_second_variation", "exact", "_lobatto"},
    {"_problem", "_result"},
    {"_variational", "collocation", "shooting", "multiple_shooting", "direct", "interpolants"},
    {"methods", "_dispatch"},
    {"solve", "_measured_action", "core", "__init__"},
]


def _module_name(path):
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules():
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module, is_package, node):
    """Absolute names a ``from ... import`` / ``import`` node refers to inside lagopt."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "lagopt"], None
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level:
        base = base[:len(base) - node.level + 1]
    else:
        base = []
    target = ".".join(base + ([node.module] if node.module else []))
    if not target.startswith("lagopt"):
        return [], None
    # "from . import x" names submodules; "from .m import f" names module m.
    return [target + "." + a.name for a in node.names], target


def _graph():
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names, target = _resolve(name, is_package, node)
                submodules = [d for d in names if d in modules]
                deps.update(submodules)
                if not submodules and target in modules:
                    deps.add(target)
        deps.discard(name)
        graph[name] = deps
    return graph


def _cycle(graph):
    """One import cycle as a list of modules, or None. Package __init__ re-exports of their
    own submodules are not edges back (importing a submodule runs its package first)."""
    state = {}

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if node.startswith(dep + "."):      # a module importing its own package
                continue
            if state.get(dep) == 1:
                return stack[stack.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep, stack)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [])
            if found:
                return found
    return None


def test_no_import_cycle_inside_the_package():
    assert _cycle(_graph()) is None


def test_cycle_detector_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def _paths_layer(module):
    parts = module.split(".")
    if parts[:2] != ["lagopt", "paths"]:
        return None
    name = parts[2] if len(parts) > 2 else "__init__"
    for level, members in enumerate(PATHS_LAYERS):
        if name in members:
            return level
    raise AssertionError(f"{module} is in no layer of PATHS_LAYERS: place it")


def test_paths_layers_point_one_way():
    wrong = []
    for module, deps in _graph().items():
        mine = _paths_layer(module)
        if mine is None:
            continue
        for dep in deps:
            theirs = _paths_layer(dep)
            if theirs is not None and theirs > mine:
                wrong.append(f"{module} imports {dep}")
    assert not wrong


def _subpackage(module):
    """``lagopt.X`` for every module of subpackage (or root module) X."""
    return ".".join(module.split(".")[:2])


def _private_across(module, target, names=()):
    """Why `module` importing `names` from `target` reaches into another subpackage's private
    parts, or None. Private modules at the root of the package (``lagopt._status``, ...) are
    the package's shared internals and allowed everywhere."""
    if not target.startswith("lagopt.") or _subpackage(target) == _subpackage(module):
        return None
    inner = target.split(".")[2:]
    if any(part.startswith("_") and part != "__init__" for part in inner):
        return f"{module} imports the private module {target}"
    private = [n for n in names if n.startswith("_")]
    if private and len(target.split(".")) > 2:
        return f"{module} imports the private name(s) {private} from {target}"
    return None


def _private_imports():
    wrong = []
    for name, path in _modules().items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                wrong += [_private_across(name, a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names, target = _resolve(name, is_package, node)
                if target is None:
                    continue
                modules = [n for n in names if n in _modules()]   # "from . import _x"
                wrong += [_private_across(name, m) for m in modules]
                wrong.append(_private_across(name, target, [a.name for a in node.names]))
    return sorted(w for w in wrong if w)


def test_no_subpackage_imports_another_subpackages_private_parts():
    assert _private_imports() == []


def test_the_private_import_check_catches_both_kinds():
    assert _private_across("lagopt.optim.hybrid", "lagopt.paths._formulas")
    assert _private_across("lagopt.optim.laml.predictors", "lagopt.objectives.mlp",
                           ["_ACTIVATIONS_NP"])
    assert _private_across("lagopt.paths.solve", "lagopt.paths._formulas") is None
    assert _private_across("lagopt.cli", "lagopt._status") is None


def _code_lines(lines, node):
    skip = set()
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        skip = set(range(body[0].lineno, body[0].end_lineno + 1))
    return sum(1 for i in range(node.lineno, node.end_lineno + 1)
               if i not in skip and lines[i - 1].strip()
               and not lines[i - 1].strip().startswith("#"))


@pytest.mark.parametrize("module", sorted(_modules()))
def test_functions_are_short(module):
    path = _modules()[module]
    source = path.read_text()
    lines = source.splitlines()
    long = [f"{node.name} ({_code_lines(lines, node)} lines)"
            for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and _code_lines(lines, node) > MAX_FUNCTION_LINES]
    assert not long
