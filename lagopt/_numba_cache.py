"""Where lagopt's compiled numba kernels are cached: a user cache folder, never the install.

numba's ``cache=True`` writes ``.nbi``/``.nbc`` files into a ``__pycache__`` folder next to
the source file whenever that folder is writable. For an installed package that folder is
inside ``site-packages``: ``pip uninstall`` does not know these files, leaves the folder
behind, and the leftover ``lagopt/`` folder then shadows a later editable install (``import
lagopt`` finds an empty namespace package). So lagopt's kernels are cached under the user's
cache folder instead (``~/.cache/lagopt/numba`` on Linux, the platform's equivalent
elsewhere), one sub-folder per source folder, as numba's own user-wide locator does.

Precedence, first match wins:

1. ``NUMBA_CACHE_DIR``, numba's standard variable (numba's own locator, unchanged);
2. the user cache folder above, for source files inside this package;
3. numba's other locators (only if the user cache folder is not writable).

This module must be imported before any kernel module is (``lagopt/__init__.py`` does it
first): numba picks a function's locator when the ``@njit(cache=True)`` decorator runs.
"""
import os

from numba.core import caching
from numba.misc.appdirs import AppDirs

__all__ = ["cache_root", "LagoptCacheLocator"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def cache_root():
    """The folder under which lagopt's kernels are cached when ``NUMBA_CACHE_DIR`` is unset."""
    return os.path.join(AppDirs(appname="lagopt", appauthor=False).user_cache_dir, "numba")


class LagoptCacheLocator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
    """A numba cache locator for lagopt's own source files: the user cache folder."""

    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = os.path.join(cache_root(), self.get_suitable_cache_subpath(py_file))

    def get_cache_path(self):
        return self._cache_path

    @classmethod
    def from_function(cls, py_func, py_file):
        path = os.path.abspath(py_file)
        if os.path.commonpath([path, _PACKAGE_DIR]) != _PACKAGE_DIR:
            return None   # not one of ours: numba's usual rules apply
        return super().from_function(py_func, py_file)


def install():
    """Put `LagoptCacheLocator` right after numba's ``NUMBA_CACHE_DIR`` locator (idempotent)."""
    # numba renamed its cache classes (``_CacheImpl`` -> ``CacheImpl``) in 0.6x; both spellings.
    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl")
    classes = impl._locator_classes
    if LagoptCacheLocator not in classes:
        classes.insert(1, LagoptCacheLocator)


install()
