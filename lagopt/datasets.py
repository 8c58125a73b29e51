"""Regression data sets: the original LAML experiment's three, and a wider set of targets.

:func:`make_dataset` gives the three data sets (100 samples each) of the original experiment,
drawn from one legacy Mersenne-Twister stream exactly as the published experiment drew them, so
that its table can be reproduced to the last printed digit. :func:`make_regression` gives the
:data:`TARGETS` of the wide optimizer race (:mod:`lagopt.benchmarks.wide_race`): smooth and
non-smooth functions of four standardised inputs with a little noise, drawn from a
``numpy.random.Generator``.
"""
from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from ._validation import positive_float, positive_int

__all__ = ["make_dataset", "DATASETS", "make_regression", "TARGETS"]

#: Names accepted by :func:`make_dataset`, in the order of the published table.
DATASETS = ("linear", "nonlinear", "xor")

#: Weights of the ``"linear"`` target.
LINEAR_WEIGHTS = (1.0, -0.5, 0.3, 0.8)

# Added to every standard deviation before dividing, as in the original experiment: it keeps a
# constant column finite and changes the published numbers only beyond their 4th decimal.
_STD_EPS = 1e-8


def _check_name(name, choices, what):
    """`name` must be one of `choices` (a `what`): TypeError or ValueError naming them."""
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a string, one of {', '.join(map(repr, choices))}; "
                        f"got {type(name).__name__}.")
    if name not in choices:
        raise ValueError(f"Unknown {what} `name`={name!r}; choose one of "
                         f"{', '.join(map(repr, choices))}.")


def make_dataset(name: str, n: int = 100, seed: int = 42, *,
                 standardize: bool = True) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Inputs and targets of one of the original LAML experiment's data sets.

    Parameters
    ----------
    name : {"linear", "nonlinear", "xor"}
        Which target to build from the inputs ``x = (x0, x1, x2, x3)``:

        - ``"linear"``: ``y = x0 - 0.5 x1 + 0.3 x2 + 0.8 x3``;
        - ``"nonlinear"``: ``y = sin(x0) + cos(x1) x2``;
        - ``"xor"``: ``y = 1`` if exactly one of ``x0 > 0`` and ``x1 > 0`` holds, else ``0``.
    n : int, optional
        Number of samples, at least 2 (the targets are standardised). Default 100.
    seed : int, optional
        Seed of the legacy ``numpy.random.RandomState`` the inputs are drawn from, in
        ``[0, 2**32 - 1]``. Default 42, the published experiment's seed.
    standardize : bool, optional, keyword-only
        Centre every column of ``X`` and ``y`` and divide it by its (population) standard
        deviation plus ``1e-8``, as the experiment did. Default True.

    Returns
    -------
    X : ndarray, shape (n, 4)
        Inputs; before standardisation ``X = RandomState(seed).randn(n, 4)``.
    y : ndarray, shape (n,)
        Targets, computed from the raw inputs and then standardised on their own.

    Raises
    ------
    ValueError
        If `name` is not one of :data:`DATASETS`, `n` < 2 or `seed` is out of range.
    TypeError
        If `name` is not a string or `n`, `seed` are not integers.

    Notes
    -----
    The original experiment's protocol: one ``RandomState(seed)``, ``X = randn(n, 4)``
    (standard normals, row-major, so ``X[0]`` are the stream's first four draws), targets from
    the raw ``X``, then ``X = (X - X.mean(0)) / (X.std(0) + 1e-8)`` and likewise for ``y``. The
    standardisation *centres* both; the experiment's description only says "divide by std +
    1e-8", but its published SGD column (0.0134 / 0.1558 / 0.8042) is reproduced only with
    centring. The
    network initialisation of the experiment re-seeds its own stream; see
    :func:`lagopt.reference_experiment`.

    Examples
    --------
    >>> from lagopt.datasets import make_dataset
    >>> X, y = make_dataset("xor")
    >>> X.shape, y.shape
    ((100, 4), (100,))
    >>> bool(abs(y.mean()) < 1e-12 and abs(y.std() - 1) < 1e-6)
    True
    """
    _check_name(name, DATASETS, "data set")
    n = positive_int(n, "n", minimum=2)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"`seed` must be an integer, got {type(seed).__name__}.")
    if not 0 <= seed < 2**32:
        raise ValueError(f"`seed` must be in [0, 2**32 - 1], got {seed}.")

    X = np.random.RandomState(int(seed)).randn(n, 4)
    x0, x1, x2 = X[:, 0], X[:, 1], X[:, 2]
    if name == "linear":
        y = X @ np.asarray(LINEAR_WEIGHTS)
    elif name == "nonlinear":
        y = np.sin(x0) + np.cos(x1) * x2
    else:
        y = np.logical_xor(x0 > 0, x1 > 0).astype(np.float64)

    if standardize:
        X = (X - X.mean(axis=0)) / (X.std(axis=0) + _STD_EPS)
        y = (y - y.mean()) / (y.std() + _STD_EPS)
    return np.ascontiguousarray(X), np.ascontiguousarray(y)


# ----------------------------------------------------------------------------- wider targets
#: Names accepted by :func:`make_regression`; see :data:`TARGET_FORMULAS`.
TARGETS = ("sincos", "product", "friedman", "bump", "kinks", "step", "quadratic", "ridge",
           "maxabs", "triple", "radial", "wave")

#: Symmetric, indefinite matrix of the ``"quadratic"`` target ``x^T A x``.
QUADRATIC_FORM = ((1.0, 0.5, 0.0, 0.0),
                  (0.5, -1.0, 0.3, 0.0),
                  (0.0, 0.3, 0.5, -0.4),
                  (0.0, 0.0, -0.4, -0.5))

#: Each target of :func:`make_regression` as a formula in the standardised inputs
#: ``x0 .. x3``; ``u_i = Phi(x_i)`` is the standard normal distribution function.
TARGET_FORMULAS = {
    "sincos": "sin(x0) + cos(x1) x2",
    "product": "x0 x1",
    "friedman": "10 sin(pi u0 u1) + 20 (u2 - 0.5)^2 + 10 u3",
    "bump": "exp(-|x|^2 / 4)",
    "kinks": "|x0| - |x1|",
    "step": "tanh(3 x0 x3)",
    "quadratic": "x^T A x (A = QUADRATIC_FORM)",
    "ridge": "tanh(x0 + x1 - x2)",
    "maxabs": "max(|x0|, |x2|)",
    "triple": "x0 x1 x2",
    "radial": "|x|",
    "wave": "sin(2 x0) + x3 / 2",
}


def _friedman(x):
    u = ndtr(x)
    return 10.0 * np.sin(np.pi * u[:, 0] * u[:, 1]) + 20.0 * (u[:, 2] - 0.5) ** 2 + 10.0 * u[:, 3]


_TARGET_FUNCTIONS = {
    "sincos": lambda x: np.sin(x[:, 0]) + np.cos(x[:, 1]) * x[:, 2],
    "product": lambda x: x[:, 0] * x[:, 1],
    "friedman": _friedman,
    "bump": lambda x: np.exp(-0.25 * np.einsum("ij,ij->i", x, x)),
    "kinks": lambda x: np.abs(x[:, 0]) - np.abs(x[:, 1]),
    "step": lambda x: np.tanh(3.0 * x[:, 0] * x[:, 3]),
    "quadratic": lambda x: np.einsum("ij,jk,ik->i", x, np.asarray(QUADRATIC_FORM), x),
    "ridge": lambda x: np.tanh(x[:, 0] + x[:, 1] - x[:, 2]),
    "maxabs": lambda x: np.maximum(np.abs(x[:, 0]), np.abs(x[:, 2])),
    "triple": lambda x: x[:, 0] * x[:, 1] * x[:, 2],
    "radial": lambda x: np.sqrt(np.einsum("ij,ij->i", x, x)),
    "wave": lambda x: np.sin(2.0 * x[:, 0]) + 0.5 * x[:, 3],
}


def _standardise(v):
    """Centre the columns of `v` and divide each by its (population) standard deviation; a
    constant column is only centred."""
    v = v - v.mean(axis=0)
    s = v.std(axis=0)
    return v / np.where(s > 0, s, 1.0)


def make_regression(name, n=100, seed=0, *, n_features=4, noise=0.1):
    r"""Inputs and targets of one of the wide optimizer race's regression problems.

    Parameters
    ----------
    name : str
        One of :data:`TARGETS`, a function of the first four standardised inputs
        ``x0 .. x3`` (:data:`TARGET_FORMULAS`; ``u_i = Phi(x_i)``, the normal distribution
        function, is uniform on (0, 1)):

        - ``"sincos"``: ``sin(x0) + cos(x1) x2`` (the seed experiment's ``"nonlinear"``);
        - ``"product"``: ``x0 x1``;
        - ``"friedman"``: ``10 sin(pi u0 u1) + 20 (u2 - 0.5)^2 + 10 u3``, Friedman's first
          function on four inputs;
        - ``"bump"``: ``exp(-|x|^2 / 4)``, a Gaussian bump;
        - ``"kinks"``: ``|x0| - |x1|`` (kinks along two hyperplanes);
        - ``"step"``: ``tanh(3 x0 x3)``, a saturated step across the axes' cross;
        - ``"quadratic"``: ``x^T A x`` with the indefinite :data:`QUADRATIC_FORM`;
        - ``"ridge"``: ``tanh(x0 + x1 - x2)``, a single-index (ridge) function;
        - ``"maxabs"``: ``max(|x0|, |x2|)``, kinks along four half-planes;
        - ``"triple"``: ``x0 x1 x2``, a three-way interaction;
        - ``"radial"``: ``|x|``, the distance from the origin (a cone);
        - ``"wave"``: ``sin(2 x0) + x3 / 2``, a faster oscillation plus a linear part.
    n : int, optional
        Number of samples, at least 2. Default 100.
    seed : int or numpy.random.Generator, optional
        Seed of the ``numpy.random.Generator`` the inputs and the noise are drawn from (an
        integer >= 0), or the Generator itself, which is drawn from and advanced. Default 0.
    n_features : int, optional, keyword-only
        Number of input columns, at least 4; columns beyond the fourth do not enter the
        target (distractors). Default 4.
    noise : float, optional, keyword-only
        Standard deviation of the additive Gaussian noise relative to that of the noise-free
        target, >= 0. Default 0.1: the noise is 1 % of the target's variance, so no function
        of the inputs fits the standardised targets better than a mean squared error of about
        ``noise**2 / (1 + noise**2)`` (0.0099) in expectation over fresh data.

    Returns
    -------
    X : ndarray, shape (n, n_features)
        Standardised inputs (every column has mean 0 and population standard deviation 1).
    y : ndarray, shape (n,)
        Standardised targets: ``f(X) + noise * std(f(X)) * e``, then centred and divided by
        their standard deviation.

    Raises
    ------
    ValueError
        If `name` is not one of :data:`TARGETS`, `n` < 2, `n_features` < 4, `noise` < 0 or
        `seed` is a negative integer.
    TypeError
        If `name` is not a string, `n` or `n_features` are not integers, or `seed` is neither
        an integer nor a Generator.

    Notes
    -----
    The draws, in order, from ``Generator = numpy.random.default_rng(seed)``:
    ``Z = standard_normal((n, n_features))``, then ``e = standard_normal(n)``. The inputs are
    ``X = (Z - Z.mean(0)) / Z.std(0)`` and the target is computed from ``X``, so that every
    target is a function of standardised inputs. With the same `seed` and `n`, all targets
    share the same inputs and the same noise draw. Nothing touches numpy's global random
    state.

    Examples
    --------
    >>> from lagopt.datasets import make_regression
    >>> X, y = make_regression("kinks", n=100, seed=0)
    >>> X.shape, y.shape
    ((100, 4), (100,))
    >>> bool(abs(y.mean()) < 1e-12 and abs(y.std() - 1) < 1e-12)
    True
    """
    _check_name(name, TARGETS, "target")
    n = positive_int(n, "n", minimum=2)
    n_features = positive_int(n_features, "n_features", minimum=4)
    noise = positive_float(noise, "noise", allow_zero=True)
    if not isinstance(seed, np.random.Generator):
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise TypeError(f"`seed` must be an integer or a numpy Generator, got "
                            f"{type(seed).__name__}.")
        if seed < 0:
            raise ValueError(f"`seed` must be >= 0, got {seed}.")
    rng = np.random.default_rng(seed)

    X = _standardise(rng.standard_normal((n, n_features)))
    e = rng.standard_normal(n)
    f = _TARGET_FUNCTIONS[name](X[:, :4])
    y = _standardise(f + noise * f.std() * e)
    return np.ascontiguousarray(X), np.ascontiguousarray(y)
