"""Where compiled kernels go: never inside the installed package (a leftover ``__pycache__``
of numba files there shadowed a later editable install), and nothing compiles at import."""
import json
import os
import subprocess
import sys

import lagopt

PACKAGE_DIR = os.path.dirname(os.path.abspath(lagopt.__file__))

PROBE = """
import json, os
import lagopt
from lagopt.objectives import _mlp_kernels
from lagopt.paths.direct import _blocktri
kernels = [v for m in (_mlp_kernels, _blocktri) for v in vars(m).values()
           if hasattr(v, "_cache") and hasattr(v, "py_func")]
print(json.dumps({"paths": sorted({k._cache._cache_path for k in kernels}),
                  "locators": sorted({type(k._cache._impl.locator).__name__ for k in kernels})}))
"""


def _probe(tmp_path, **env_changes):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(env_changes)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=tmp_path, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_kernels_are_cached_in_the_user_cache_folder(tmp_path):
    cache_home = tmp_path / "cache-home"
    got = _probe(tmp_path, XDG_CACHE_HOME=str(cache_home))
    assert got["locators"] == ["LagoptCacheLocator"]
    root = os.path.join(str(cache_home), "lagopt", "numba")
    assert got["paths"] and all(p.startswith(root) for p in got["paths"])
    assert not any(p.startswith(PACKAGE_DIR) for p in got["paths"])


def test_numba_cache_dir_overrides(tmp_path):
    target = tmp_path / "numba-cache"
    got = _probe(tmp_path, NUMBA_CACHE_DIR=str(target))
    assert got["locators"] == ["UserProvidedCacheLocator"]
    assert all(p.startswith(str(target)) for p in got["paths"])


def test_importing_lagopt_compiles_nothing(tmp_path):
    target = tmp_path / "empty-cache"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(target))
    subprocess.run([sys.executable, "-c", "import lagopt, lagopt.cli, lagopt.plotting"],
                   env=env, cwd=tmp_path, check=True)
    written = [f for _, _, files in os.walk(target) for f in files] if target.exists() else []
    assert written == []


def test_other_code_keeps_numbas_rules(tmp_path):
    # A user's own cached kernel is not redirected into lagopt's folder.
    module = tmp_path / "userkernel.py"
    module.write_text("from numba import njit\n@njit(cache=True)\ndef f(x):\n    return x + 1\n")
    probe = ("import json, lagopt, userkernel; "
             "print(json.dumps(type(userkernel.f._cache._impl.locator).__name__))")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path, check=True,
                         capture_output=True, text=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) != "LagoptCacheLocator"
