"""Toy data sets: two moons, circles, spirals, a quadratic-form ellipse and 1-D curves.

Everything here is plain numpy. Every generator takes ``seed`` (an int, None for fresh OS
entropy, or a numpy Generator) and draws from its own ``np.random.default_rng(seed)``, so the same
seed always gives the same arrays and nothing touches numpy's global random state. Code written for
scikit-learn runs too: ``n_samples`` and ``random_state`` are accepted as the names of ``n`` and
``seed``, ``noise=None`` means no noise, and moons, circles and spirals take ``shuffle``.

Shapes follow one convention: ``X`` is float64 ``(n, features)`` and ``y`` is ``(n,)`` (int64
class labels for classification, float64 targets for regression).
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable

import numpy as np

from .checks import check_bool, check_count, check_real, make_rng

__all__ = [
    "ELLIPSE_Q",
    "ELLIPSE_THRESHOLD",
    "make_circles",
    "make_curve",
    "make_ellipse",
    "make_moons",
    "make_spirals",
]

Pair = tuple[np.ndarray, np.ndarray]
"""An ``(X, y)`` pair."""

SKLEARN_NAMES = {"n_samples": "n", "random_state": "seed"}
"""scikit-learn's argument names and the names they stand for here."""


def sklearn_names(generate: Callable) -> Callable:
    """Let `generate` also take scikit-learn's names for its arguments (`SKLEARN_NAMES`).

    `make_moons(n_samples=200, noise=0.1, random_state=0)` is `make_moons(n=200, noise=0.1,
    seed=0)`; giving both spellings of one argument is an error, not a silent choice.
    """
    signature = inspect.signature(generate)
    fn = generate.__name__

    @functools.wraps(generate)
    def wrapper(*args, **kwargs):
        for alias, name in SKLEARN_NAMES.items():
            if alias not in kwargs:
                continue
            position = list(signature.parameters).index(name)
            if name in kwargs or len(args) > position:
                raise TypeError(f"{fn}: got both {name} and {alias} (scikit-learn's name for it)")
            kwargs[name] = kwargs.pop(alias)
        return generate(*args, **kwargs)

    return wrapper


def _noise(fn: str, noise: object) -> float:
    """Noise as a standard deviation; None (scikit-learn's default) means none."""
    return 0.0 if noise is None else check_real(fn, "noise", noise)


def _two_sizes(fn: str, n: object) -> tuple[int, int]:
    """The two class sizes: ``n // 2`` and the rest, or a pair given as scikit-learn allows."""
    if isinstance(n, (tuple, list)):
        if len(n) != 2:
            raise ValueError(f"{fn}: n as a pair gives the two class sizes, got {n!r}")
        first = check_count(fn, "n[0]", n[0], minimum=0)
        second = check_count(fn, "n[1]", n[1], minimum=0)
        if first + second < 1:
            raise ValueError(f"{fn}: n must give at least one point, got {n!r}")
        return first, second
    n = check_count(fn, "n", n)
    return n // 2, n - n // 2


def _shuffled(fn: str, rng: np.random.Generator, X: np.ndarray, y: np.ndarray, shuffle) -> Pair:
    if not check_bool(fn, "shuffle", shuffle):
        return X, y
    order = rng.permutation(len(y))
    return X[order], y[order]


def _class_sizes(n: int, classes: int) -> list[int]:
    """Split n into `classes` sizes differing by at most one (the first ones get the extra)."""
    return [n // classes + (k < n % classes) for k in range(classes)]


# ---------------------------------------------------------------------------------------------
# toy classification and regression sets
# ---------------------------------------------------------------------------------------------


@sklearn_names
def make_moons(
    n: int | tuple[int, int] = 100,
    noise: float | None = 0.1,
    seed: int | np.random.Generator | None = 0,
    *,
    shuffle: bool = True,
) -> Pair:
    """Two interleaving half circles: the classic set a linear model cannot separate.

    Class 0 is the upper half of the unit circle, class 1 the lower half shifted to
    ``(1, 0.5)`` so it hooks into the first; points are evenly spaced along each arc, get
    Gaussian noise of standard deviation ``noise``, and come back shuffled. Class 0 has ``n // 2``
    points, class 1 the other ``n - n // 2`` (or give the two sizes as a pair). With
    ``shuffle=False`` the points come class by class, along each arc.

    Returns ``X`` float64 ``(n, 2)`` and ``y`` int64 ``(n,)`` in {0, 1}.

    >>> X, y = make_moons(200, noise=0.1, seed=0)
    >>> X.shape, y.shape, int(y.sum())
    ((200, 2), (200,), 100)
    >>> X, y = make_moons(n_samples=200, noise=0.1, random_state=0)  # scikit-learn's names
    """
    n_upper, n_lower = _two_sizes("make_moons", n)
    n = n_upper + n_lower
    noise = _noise("make_moons", noise)
    rng = make_rng("make_moons", seed)
    t_upper = np.linspace(0.0, math.pi, n_upper)
    t_lower = np.linspace(0.0, math.pi, n_lower)
    upper = np.column_stack([np.cos(t_upper), np.sin(t_upper)])
    lower = np.column_stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)])
    X = np.concatenate([upper, lower]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(n_upper, np.int64), np.ones(n_lower, np.int64)])
    return _shuffled("make_moons", rng, X, y, shuffle)


@sklearn_names
def make_circles(
    n: int | tuple[int, int] = 100,
    noise: float | None = 0.05,
    factor: float = 0.5,
    seed: int | np.random.Generator | None = 0,
    *,
    shuffle: bool = True,
) -> Pair:
    """A small circle inside a big one: separable only by a non-linear (radial) boundary.

    Class 0 lies on the unit circle (``n // 2`` points), class 1 on a circle of radius ``factor``
    (the rest), evenly spaced in angle, plus Gaussian noise of standard deviation ``noise``,
    shuffled unless ``shuffle=False``; ``n`` may also be the pair of class sizes. Returns ``X``
    float64 ``(n, 2)`` and ``y`` int64 ``(n,)`` in {0, 1}.

    >>> X, y = make_circles(100, noise=0.0, factor=0.5)
    >>> sorted({round(float(r), 6) for r in np.hypot(X[:, 0], X[:, 1])})
    [0.5, 1.0]
    """
    n_outer, n_inner = _two_sizes("make_circles", n)
    n = n_outer + n_inner
    noise = _noise("make_circles", noise)
    factor = check_real("make_circles", "factor", factor)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"make_circles: factor must be in (0, 1), got {factor!r}")
    rng = make_rng("make_circles", seed)
    t_outer = np.linspace(0.0, 2.0 * math.pi, n_outer, endpoint=False)
    t_inner = np.linspace(0.0, 2.0 * math.pi, n_inner, endpoint=False)
    outer = np.column_stack([np.cos(t_outer), np.sin(t_outer)])
    inner = factor * np.column_stack([np.cos(t_inner), np.sin(t_inner)])
    X = np.concatenate([outer, inner]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    return _shuffled("make_circles", rng, X, y, shuffle)


@sklearn_names
def make_spirals(
    n: int = 100,
    classes: int = 2,
    noise: float | None = 0.1,
    turns: float = 1.0,
    seed: int | np.random.Generator | None = 0,
    *,
    shuffle: bool = True,
) -> Pair:
    """`classes` interleaved spiral arms from the origin: a hard set for small networks.

    Arm ``k`` runs from radius 0 to 1 while its angle turns ``turns`` full circles, starting at
    ``2 pi k / classes``; Gaussian noise of standard deviation ``noise`` is added to the points.
    Class sizes differ by at most one. Returns ``X`` float64 ``(n, 2)`` and ``y`` int64 ``(n,)``
    in ``0..classes-1``, shuffled unless ``shuffle=False``.

    >>> X, y = make_spirals(300, classes=3, seed=0)
    >>> np.bincount(y).tolist()
    [100, 100, 100]
    """
    n = check_count("make_spirals", "n", n)
    classes = check_count("make_spirals", "classes", classes)
    noise = _noise("make_spirals", noise)
    turns = check_real("make_spirals", "turns", turns)
    if n < classes:
        raise ValueError(f"make_spirals: n must be >= classes ({classes}), got {n}")
    rng = make_rng("make_spirals", seed)
    arms, labels = [], []
    for k, size in enumerate(_class_sizes(n, classes)):
        radius = np.linspace(0.0, 1.0, size)
        angle = 2.0 * math.pi * (turns * radius + k / classes)
        arms.append(radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)]))
        labels.append(np.full(size, k, np.int64))
    X = np.concatenate(arms) + noise * rng.standard_normal((n, 2))
    y = np.concatenate(labels)
    return _shuffled("make_spirals", rng, X, y, shuffle)


ELLIPSE_Q = np.array([[1.0, -0.05], [1.0, 0.4]])
"""The (non-symmetric) matrix of `make_ellipse`'s quadratic form."""
ELLIPSE_Q.flags.writeable = False
ELLIPSE_THRESHOLD = 0.6


@sklearn_names
def make_ellipse(n: int = 1000, seed: int | np.random.Generator | None = 0) -> Pair:
    """Standard-normal points labelled by a quadratic form: 1 outside a tilted ellipse, else 0.

    ``y = 1`` where ``x^T Q x > 0.6`` with ``Q = [[1, -0.05], [1, 0.4]]``, the quadratic-form
    data set of a well-known course. ``Q`` is not symmetric; the form equals
    ``x0**2 + 0.95 * x0 * x1 + 0.4 * x1**2`` (only the symmetric part of ``Q`` counts), which is
    positive definite, so the boundary is an ellipse. About 56% of the points are positive.
    Returns ``X`` float64 ``(n, 2)`` and ``y`` int64 ``(n,)``.

    >>> X, y = make_ellipse(1000, seed=0)
    >>> X.shape, bool(0.5 < y.mean() < 0.62)
    ((1000, 2), True)
    """
    n = check_count("make_ellipse", "n", n)
    rng = make_rng("make_ellipse", seed)
    X = rng.standard_normal((n, 2))
    form = np.einsum("ni,ij,nj->n", X, ELLIPSE_Q, X)
    y = (form > ELLIPSE_THRESHOLD).astype(np.int64)
    return X, y


_CURVES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sin": np.sin,
    "cos": np.cos,
    "square": np.square,
    "cubic": lambda x: x**3,
    "abs": np.abs,
    "step": lambda x: (x > 0).astype(np.float64),  # Heaviside, 0 at x = 0
    "relu": lambda x: np.maximum(x, 0.0),
    "tanh": np.tanh,
    "exp": np.exp,
    "gauss": lambda x: np.exp(-np.square(x)),
}


@sklearn_names
def make_curve(
    n: int = 100,
    fn: str | Callable[[np.ndarray], np.ndarray] = "sin",
    noise: float | None = 0.0,
    low: float = -math.pi,
    high: float = math.pi,
    seed: int | np.random.Generator | None = 0,
) -> Pair:
    """1-D regression data ``y = fn(x) + noise``, for fitting a curve with a small MLP.

    ``x`` is drawn uniformly from ``[low, high)`` and returned **sorted ascending**, so
    ``plt.plot(X[:, 0], y)`` draws a line. ``fn`` is one of ``"sin" "cos" "square" "cubic" "abs"
    "step" "relu" "tanh" "exp" "gauss"`` or any callable; a callable is first called on the
    whole float64 array, and called once per point if it only takes scalars (``math.sin``).
    Returns ``X`` float64 ``(n, 1)`` and ``y`` float64 ``(n,)``.

    >>> X, y = make_curve(50, "square", low=0.0, high=2.0)
    >>> X.shape, y.shape, bool(np.allclose(y, X[:, 0] ** 2))
    ((50, 1), (50,), True)
    """
    n = check_count("make_curve", "n", n)
    noise = _noise("make_curve", noise)
    for name, bound in (("low", low), ("high", high)):
        if isinstance(bound, bool) or not isinstance(bound, (int, float, np.integer, np.floating)):
            raise ValueError(f"make_curve: {name} must be a number, got {bound!r}")
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"make_curve: low must be < high, got low={low!r}, high={high!r}")
    if isinstance(fn, str):
        if fn not in _CURVES:
            raise ValueError(f"make_curve: unknown fn {fn!r}; choose one of {sorted(_CURVES)}")
        f = _CURVES[fn]
    elif callable(fn):
        f = fn
    else:
        raise TypeError(f"make_curve: fn must be a name or a callable, got {fn!r}")
    rng = make_rng("make_curve", seed)
    x = np.sort(rng.uniform(low, high, n))
    try:
        y = np.asarray(f(x), dtype=np.float64)
    except TypeError:  # a scalar-only callable such as math.sin
        y = np.array([f(float(v)) for v in x], dtype=np.float64)
    if y.shape != x.shape:
        raise ValueError(f"make_curve: fn must map {x.shape} to {x.shape}, returned {y.shape}")
    y = y + noise * rng.standard_normal(n)
    return x[:, None], y
