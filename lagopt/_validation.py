"""Argument checks shared by the public entry points.

Validation happens once, at the boundary, with messages that name the argument; the numba
kernels behind it trust their inputs (a wrong shape there would surface as a typing traceback).
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, Optional, TypeVar, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

_T = TypeVar("_T")


def as_vector(x: ArrayLike, name: str, n: Optional[int] = None,
              finite: bool = True) -> NDArray[np.float64]:
    """Return `x` as a contiguous 1-D float64 array, or raise naming `name`."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`{name}` must be an array of real numbers ({exc}).") from None
    if arr.ndim != 1:
        raise ValueError(f"`{name}` must be 1-dimensional, got shape {arr.shape}.")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"`{name}` must have length {n}, got {arr.shape[0]}.")
    if finite and not np.isfinite(arr).all():
        raise ValueError(f"`{name}` must contain only finite values.")
    return np.ascontiguousarray(arr)


def as_points(P: ArrayLike, name: str, n: Optional[int],
              finite: bool = True) -> NDArray[np.float64]:
    """Return `P` as a C-contiguous float64 array of shape (n, m), or raise naming `name`."""
    try:
        arr = np.asarray(P, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`{name}` must be an array of real numbers ({exc}).") from None
    if arr.ndim != 2 or arr.shape[0] != n:
        raise ValueError(f"`{name}` must have shape ({n}, m), got {arr.shape}.")
    if finite and not np.isfinite(arr).all():
        raise ValueError(f"`{name}` must contain only finite values.")
    return np.ascontiguousarray(arr)


def as_matrix(A: ArrayLike, name: str, shape: Optional[Sequence[int]] = None,
              finite: bool = True) -> NDArray[np.float64]:
    try:
        arr = np.asarray(A, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`{name}` must be an array of real numbers ({exc}).") from None
    if arr.ndim != 2:
        raise ValueError(f"`{name}` must be 2-dimensional, got shape {arr.shape}.")
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"`{name}` must have shape {tuple(shape)}, got {arr.shape}.")
    if finite and not np.isfinite(arr).all():
        raise ValueError(f"`{name}` must contain only finite values.")
    return np.ascontiguousarray(arr)


def positive_float(x: Any, name: str, allow_zero: bool = False) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"`{name}` must be a real number, got {type(x).__name__}.")
    x = float(x)
    if not np.isfinite(x) or x < 0 or (x == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"`{name}` must be finite and {bound}, got {x}.")
    return x


def positive_int(x: Any, name: str, minimum: int = 1) -> int:
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer, got {type(x).__name__}.")
    x = int(x)
    if x < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {x}.")
    return x


def as_rng(seed: Union[None, int, np.random.SeedSequence, np.random.BitGenerator,
                       np.random.Generator], name: str = "seed") -> np.random.Generator:
    """A ``numpy.random.Generator`` from `seed` (None, an integer or a Generator); a bad value
    raises TypeError naming the argument instead of numpy's SeedSequence message."""
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`{name}` must be None, an integer or a numpy Generator ({exc}).") \
            from None


def choice(x: _T, name: str, options: Sequence[Any]) -> _T:
    if x not in options:
        opts = ", ".join(repr(o) for o in options)
        raise ValueError(f"`{name}` must be one of {opts}; got {x!r}.")
    return x


def as_bool(x: Any, name: str) -> bool:
    """`x` if it is a bool (numpy's included), as a bool; else a TypeError naming `name`."""
    if not isinstance(x, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be True or False, got {x!r}.")
    return bool(x)
