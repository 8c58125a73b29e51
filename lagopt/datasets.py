"""Regression data sets: the original LAML experiment's three, and a wider set of targets.

:func:`make_dataset` gives the three data sets (100 samples each) of the original experiment,
drawn from one legacy Mersenne-Twister stream exactly as the published experiment drew them, so
that its table can be reproduced to the last printed digit. :func:`make_regression` gives the
:data:`TARGETS` of the wide optimizer race (:mod:`lagopt.benchmarks.wide_race`): smooth and
non-smooth functions of four standardised inputs with a little noise, drawn from a
``numpy.random.Generator``. :func:`make_tabular` gives data sets that look like real tabular
data (:data:`TABULAR`: 4 or more correlated columns of mixed types and scales, heteroscedastic
or heavy-tailed noise, several outputs, binary and 3-class labels), the problems of the wide
race's realistic suite.
"""
from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from ._validation import positive_float, positive_int

__all__ = ["make_dataset", "DATASETS", "make_regression", "TARGETS", "make_tabular", "TABULAR"]

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
    rng = _generator(seed)

    X = _standardise(rng.standard_normal((n, n_features)))
    e = rng.standard_normal(n)
    f = _TARGET_FUNCTIONS[name](X[:, :4])
    y = _standardise(f + noise * f.std() * e)
    return np.ascontiguousarray(X), np.ascontiguousarray(y)


# ----------------------------------------------------------------------------- tabular data
#: Names accepted by :func:`make_tabular`: synthetic data sets that look like real tabular data
#: (see :data:`TABULAR_KINDS`).
TABULAR = ("tabular", "tabular-heavy", "tabular-multi", "tabular-binary", "tabular-3class")

#: What each of :data:`TABULAR` is: its targets ``y`` and their noise.
TABULAR_KINDS = {
    "tabular": "regression, 1 output, heteroscedastic Gaussian noise (its standard deviation "
               "varies with the inputs), standardised targets",
    "tabular-heavy": "regression, 1 output, heavy-tailed noise (Student t, 3 degrees of "
                     "freedom), standardised targets",
    "tabular-multi": "regression, 2-4 correlated outputs (default 3), heteroscedastic "
                     "Gaussian noise, each column standardised",
    "tabular-binary": "binary classification as regression: 0/1 labels (40 % ones) of a "
                      "noisy score, not standardised",
    "tabular-3class": "3-class classification as regression: one-hot labels (n, 3) of the "
                      "largest of three noisy scores, not standardised",
}

#: Default relative noise of :func:`make_tabular`: regression targets, classification scores.
TABULAR_NOISE = {"tabular": 0.3, "tabular-heavy": 0.3, "tabular-multi": 0.3,
                 "tabular-binary": 0.5, "tabular-3class": 0.5}

#: The kinds of input column of :func:`make_tabular` and their probabilities.
COLUMN_TYPES = ("normal", "lognormal", "count", "binary", "bounded")
_COLUMN_PROBS = (0.35, 0.2, 0.15, 0.15, 0.15)

#: Fraction of ones of ``"tabular-binary"``.
POSITIVE_FRACTION = 0.4
#: Strength of the heteroscedasticity: the noise's standard deviation is proportional to
#: ``exp(HETERO * h(x))`` for a standardised projection ``h`` of the inputs clipped to [-2, 2].
HETERO = 0.5
#: Number of tanh units of the noise-free target ("teacher") of :func:`make_tabular`.
_TEACHER_UNITS = 4


def _tabular_inputs(rng, n, p):
    """Correlated raw columns of mixed types and scales, and their types."""
    k = max(2, p // 4)                                    # latent factors
    factors = rng.standard_normal((n, k))
    loadings = 0.8 * rng.standard_normal((k, p))
    own = rng.uniform(0.3, 1.0, size=p)
    G = _standardise(factors @ loadings + own * rng.standard_normal((n, p)))
    types = [COLUMN_TYPES[i] for i in rng.choice(len(COLUMN_TYPES), size=p, p=_COLUMN_PROBS)]
    thresholds = rng.uniform(-1.0, 1.0, size=p)
    scales = 10.0 ** rng.uniform(-2.0, 3.0, size=p)
    offsets = 10.0 ** rng.uniform(0.0, 3.0, size=p) * rng.choice((-1.0, 0.0, 1.0), size=p)
    raw = np.empty((n, p))
    for j, kind in enumerate(types):
        g = G[:, j]
        if kind == "normal":
            col = offsets[j] + scales[j] * g
        elif kind == "lognormal":                        # skewed, positive (a price, an income)
            col = scales[j] * np.exp(0.75 * g)
        elif kind == "count":                            # small integers
            col = np.floor(np.exp(0.5 * g + 1.0))
        elif kind == "binary":                           # a yes/no column
            col = (g > thresholds[j]).astype(np.float64)
        else:                                            # bounded (a percentage)
            col = 100.0 * ndtr(g)
        raw[:, j] = col
    return raw, types


def _teacher(rng, X, m):
    """`m` noise-free scores of the standardised inputs `X`: combinations of a linear part,
    tanh units, an interaction and a threshold on a random half of the columns."""
    n, p = X.shape
    informative = np.sort(rng.choice(p, size=max(3, p // 2), replace=False))
    Xi = X[:, informative]
    q = Xi.shape[1]
    lin = Xi @ rng.standard_normal(q)
    units = np.tanh(1.5 * Xi @ rng.standard_normal((q, _TEACHER_UNITS)) / np.sqrt(q)
                    + 0.5 * rng.standard_normal(_TEACHER_UNITS))
    a, b, c = rng.choice(informative, size=3, replace=False)
    inter = X[:, a] * X[:, b]
    thresh = (X[:, c] > rng.uniform(-0.5, 0.5)).astype(np.float64)
    basis = _standardise(np.column_stack([lin, units, inter, thresh]))
    weight = np.array([1.0] + [0.7] * _TEACHER_UNITS + [0.5, 0.5])
    A = weight[:, None] * rng.standard_normal((basis.shape[1], m))
    return basis @ A, informative


def _balancing_offsets(scores, steps=30):
    """Per-class offsets that bring the classes of ``argmax(scores + offsets)`` near equal
    sizes (a fixed number of multiplicative updates: deterministic)."""
    n, k = scores.shape
    b = np.zeros(k)
    for _ in range(steps):
        frac = np.bincount(np.argmax(scores + b, axis=1), minlength=k) / n
        b -= 0.5 * np.log(np.maximum(frac, 1.0 / n) * k)
    return b


def make_tabular(name, n=400, seed=0, *, n_features=12, n_outputs=None, noise=None,
                 standardize=True, return_info=False):
    r"""A synthetic data set that looks like real tabular data: correlated inputs of mixed
    types and scales, a noisy target or class labels.

    Parameters
    ----------
    name : str
        One of :data:`TABULAR` (:data:`TABULAR_KINDS`):

        - ``"tabular"``: one regression target with heteroscedastic Gaussian noise,
          ``y = f(x) + noise * std(f) * s(x) * z`` with ``z ~ N(0, 1)`` and
          ``s(x) = exp(HETERO * h(x)) / sqrt(mean(exp(2 HETERO h)))``, ``h`` a standardised
          random projection of the informative inputs clipped to ``[-2, 2]`` (so
          ``mean(s**2) = 1``: the noise's variance is ``noise**2`` of the target's on
          average, and its standard deviation varies by up to ``exp(2) = 7.4`` between
          samples); then standardised;
        - ``"tabular-heavy"``: one regression target with heavy-tailed noise,
          ``y = f(x) + noise * std(f) * t / sqrt(3)``, ``t`` Student's t with 3 degrees of
          freedom (unit variance after the division, infinite kurtosis); then standardised;
        - ``"tabular-multi"``: ``n_outputs`` (default 3) correlated targets
          ``Y[:, j] = F[:, j] + noise * std(F[:, j]) * s(x) * z_j`` (``s`` as for
          ``"tabular"``, independent ``z_j``), every column then standardised;
        - ``"tabular-binary"``: labels ``y = 1`` where the score
          ``f(x) + noise * std(f) * l`` (``l`` standard logistic divided by ``pi / sqrt(3)``,
          unit variance) is above its ``1 - POSITIVE_FRACTION`` quantile, else 0: 40 % ones,
          shape ``(n,)``;
        - ``"tabular-3class"``: one-hot labels, shape ``(n, 3)``, of the largest of three
          scores ``F[:, k] + noise * g_k + b_k`` (``F`` standardised columns, ``g_k`` Gumbel
          divided by ``pi / sqrt(6)``, unit variance), with offsets ``b_k`` chosen so that
          each class has roughly a third of the samples (between a quarter and 42 %).

        The noise-free ``f`` (``F``) is a fixed random "teacher" of the standardised inputs:
        a linear part, four tanh units, one pairwise interaction and one threshold, on a
        random half (at least 3) of the columns; the other columns do not enter it.
    n : int, optional
        Number of samples, at least 10. Default 400.
    seed : int or numpy.random.Generator, optional
        Seed of the ``numpy.random.Generator`` everything is drawn from (an integer >= 0), or
        the Generator itself, which is drawn from and advanced. Default 0.
    n_features : int, optional, keyword-only
        Number of input columns, at least 4. Default 12.
    n_outputs : int, optional, keyword-only
        Number of targets of ``"tabular-multi"``, at least 2 (default 3). The other kinds have
        a fixed number (1, or 3 for ``"tabular-3class"``); giving another raises ValueError.
    noise : float, optional, keyword-only
        Relative noise level, >= 0. Default :data:`TABULAR_NOISE` (0.3 for the regression
        kinds, 0.5 for the classification scores).
    standardize : bool, optional, keyword-only
        Return standardised inputs ``(X_raw - mean) / std`` per column, as a user would
        before training. Default True; False returns the raw columns.
    return_info : bool, optional, keyword-only
        Also return a dict with ``X_raw``, ``column_types`` (one of :data:`COLUMN_TYPES` per
        column), ``informative`` (the columns the teacher uses), ``f`` (the noise-free target
        or scores, before standardisation), ``noise`` (the noise added to it), ``scale``
        (``s(x)``, or ones where the noise is homoscedastic) and ``y_raw`` (``f + noise``, or
        the noisy scores of the classification kinds).

    Returns
    -------
    X : ndarray, shape (n, n_features)
        Inputs. Before standardisation the columns are correlated (they share
        ``max(2, n_features // 4)`` latent factors) and of mixed types and very different
        scales: ``"normal"`` (any offset and scale, 0.01 to 1,000), ``"lognormal"`` (positive,
        right-skewed), ``"count"`` (small non-negative integers), ``"binary"`` (0/1, 16-84 %
        ones) and ``"bounded"`` (0 to 100).
    y : ndarray, shape (n,) or (n, n_outputs)
        Targets: standardised for the regression kinds, 0/1 for the classification ones.
    info : dict
        Only with `return_info`.

    Raises
    ------
    ValueError
        If `name` is not one of :data:`TABULAR`, `n` < 10, `n_features` < 4, `noise` < 0,
        `seed` is a negative integer, or `n_outputs` does not fit `name`.
    TypeError
        If `name` is not a string, `n`, `n_features` or `n_outputs` are not integers, or
        `seed` is neither an integer nor a Generator.

    Notes
    -----
    All draws come from one ``Generator = numpy.random.default_rng(seed)`` in a fixed order
    (latent factors, loadings, column noise, column types and scales, the teacher, then the
    target noise), so the same arguments give the same arrays; nothing touches numpy's global
    random state. Different `n` or `n_features` give different data sets altogether.

    Examples
    --------
    >>> from lagopt.datasets import make_tabular
    >>> X, y = make_tabular("tabular-3class", n=300, seed=1, n_features=10)
    >>> X.shape, y.shape, bool((y.sum(axis=1) == 1).all())
    ((300, 10), (300, 3), True)
    >>> X, y = make_tabular("tabular-multi", n=200, n_outputs=2)
    >>> X.shape, y.shape
    ((200, 12), (200, 2))
    """
    _check_name(name, TABULAR, "tabular data set")
    n = positive_int(n, "n", minimum=10)
    n_features = positive_int(n_features, "n_features", minimum=4)
    fixed = {"tabular-multi": None, "tabular-3class": 3}.get(name, 1)
    if name == "tabular-multi":
        n_outputs = 3 if n_outputs is None else positive_int(n_outputs, "n_outputs", minimum=2)
    elif n_outputs is not None and positive_int(n_outputs, "n_outputs") != fixed:
        raise ValueError(f"{name!r} has {fixed} output(s); got `n_outputs`={n_outputs}.")
    else:
        n_outputs = fixed
    noise = TABULAR_NOISE[name] if noise is None else positive_float(noise, "noise",
                                                                     allow_zero=True)
    rng = _generator(seed)

    X_raw, types = _tabular_inputs(rng, n, n_features)
    X = _standardise(X_raw)
    F, informative = _teacher(rng, X, n_outputs)
    h = np.clip(_standardise(X[:, informative] @ rng.standard_normal(len(informative))),
                -2.0, 2.0)
    s = np.exp(HETERO * h)
    s /= np.sqrt(np.mean(s ** 2))
    if name in ("tabular", "tabular-multi"):
        scale = s
        e = noise * F.std(axis=0) * s[:, None] * rng.standard_normal((n, n_outputs))
    elif name == "tabular-heavy":
        scale = np.ones(n)
        e = noise * F.std(axis=0) * rng.standard_t(3, size=(n, 1)) / np.sqrt(3.0)
    elif name == "tabular-binary":
        scale = np.ones(n)
        e = noise * F.std(axis=0) * rng.logistic(size=(n, 1)) / (np.pi / np.sqrt(3.0))
    else:
        scale = np.ones(n)
        F = _standardise(F)
        e = noise * rng.gumbel(size=(n, n_outputs)) / (np.pi / np.sqrt(6.0))
    y_raw = F + e
    if name == "tabular-binary":
        y = (y_raw[:, 0] > np.quantile(y_raw[:, 0], 1.0 - POSITIVE_FRACTION)).astype(
            np.float64)
    elif name == "tabular-3class":
        y_raw = y_raw + _balancing_offsets(y_raw)
        y = np.eye(3)[np.argmax(y_raw, axis=1)]
    else:
        y = _standardise(y_raw)
        y = y[:, 0] if n_outputs == 1 else y
    out = (np.ascontiguousarray(X if standardize else X_raw), np.ascontiguousarray(y))
    if not return_info:
        return out
    squeeze = (lambda a: a[:, 0]) if n_outputs == 1 else (lambda a: a)
    info = {"X_raw": X_raw, "column_types": types, "informative": informative,
            "f": squeeze(F), "noise": squeeze(e), "scale": scale, "y_raw": squeeze(y_raw)}
    return out + (info,)


def _generator(seed):
    """``numpy.random.default_rng(seed)`` for an integer ``>= 0`` or a Generator (used as
    is); TypeError / ValueError otherwise."""
    if not isinstance(seed, np.random.Generator):
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise TypeError(f"`seed` must be an integer or a numpy Generator, got "
                            f"{type(seed).__name__}.")
        if seed < 0:
            raise ValueError(f"`seed` must be >= 0, got {seed}.")
    return np.random.default_rng(seed)
