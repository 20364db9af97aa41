"""Data sets and data plumbing: toy problems, MNIST, scaling, splitting, minibatches.

Everything here is plain numpy. Every generator takes ``seed`` (an int, or None for fresh OS
entropy) and draws from its own ``np.random.default_rng(seed)``, so the same seed always gives the
same arrays and nothing touches numpy's global random state.

Shapes follow one convention: ``X`` is float64 ``(n, features)`` and ``y`` is ``(n,)`` (int64
class labels for classification, float64 targets for regression).
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from autograd import Value

__all__ = [
    "batches",
    "download_mnist",
    "load_mnist",
    "make_circles",
    "make_curve",
    "make_ellipse",
    "make_moons",
    "make_spirals",
    "split",
    "standardize",
    "to_values",
]


Pair = tuple[np.ndarray, np.ndarray]
"""An ``(X, y)`` pair."""

# ---------------------------------------------------------------------------------------------
# argument checks
# ---------------------------------------------------------------------------------------------


def _check_count(fn: str, name: str, value: object, minimum: int = 1) -> int:
    """An int >= minimum (bools are refused: ``n=True`` is a bug, not 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        kind = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"{fn}: {name} must be {kind}, got {value!r}")
    return int(value)


def _check_real(fn: str, name: str, value: object, *, low: float = 0.0) -> float:
    """A finite real number >= low."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not math.isfinite(value)
        or value < low
    ):
        raise ValueError(f"{fn}: {name} must be a finite number >= {low:g}, got {value!r}")
    return float(value)


def _rng(fn: str, seed: int | None) -> np.random.Generator:
    if seed is not None:
        _check_count(fn, "seed", seed, minimum=0)
    return np.random.default_rng(seed)


def _shuffled(rng: np.random.Generator, X: np.ndarray, y: np.ndarray) -> Pair:
    order = rng.permutation(len(y))
    return X[order], y[order]


def _class_sizes(n: int, classes: int) -> list[int]:
    """Split n into `classes` sizes differing by at most one (the first ones get the extra)."""
    return [n // classes + (k < n % classes) for k in range(classes)]


# ---------------------------------------------------------------------------------------------
# toy classification and regression sets
# ---------------------------------------------------------------------------------------------


def make_moons(n: int = 100, noise: float = 0.1, seed: int | None = 0) -> Pair:
    """Two interleaving half circles: the classic set a linear model cannot separate.

    Class 0 is the upper half of the unit circle, class 1 the lower half shifted to
    ``(1, 0.5)`` so it hooks into the first; points are evenly spaced along each arc, get
    Gaussian noise of standard deviation ``noise``, and come back shuffled. Class 0 has ``n // 2``
    points, class 1 the other ``n - n // 2``.

    Returns ``X`` float64 ``(n, 2)`` and ``y`` int64 ``(n,)`` in {0, 1}.

    >>> X, y = make_moons(200, noise=0.1, seed=0)
    >>> X.shape, y.shape, int(y.sum())
    ((200, 2), (200,), 100)
    """
    n = _check_count("make_moons", "n", n)
    noise = _check_real("make_moons", "noise", noise)
    rng = _rng("make_moons", seed)
    n_upper, n_lower = n // 2, n - n // 2
    t_upper = np.linspace(0.0, math.pi, n_upper)
    t_lower = np.linspace(0.0, math.pi, n_lower)
    upper = np.column_stack([np.cos(t_upper), np.sin(t_upper)])
    lower = np.column_stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)])
    X = np.concatenate([upper, lower]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(n_upper, np.int64), np.ones(n_lower, np.int64)])
    return _shuffled(rng, X, y)


def make_circles(
    n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int | None = 0
) -> Pair:
    """A small circle inside a big one: separable only by a non-linear (radial) boundary.

    Class 0 lies on the unit circle (``n // 2`` points), class 1 on a circle of radius ``factor``
    (the rest), evenly spaced in angle, plus Gaussian noise of standard deviation ``noise``,
    shuffled. Returns ``X`` float64 ``(n, 2)`` and ``y`` int64 ``(n,)`` in {0, 1}.

    >>> X, y = make_circles(100, noise=0.0, factor=0.5)
    >>> sorted({round(float(r), 6) for r in np.hypot(X[:, 0], X[:, 1])})
    [0.5, 1.0]
    """
    n = _check_count("make_circles", "n", n)
    noise = _check_real("make_circles", "noise", noise)
    factor = _check_real("make_circles", "factor", factor)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"make_circles: factor must be in (0, 1), got {factor!r}")
    rng = _rng("make_circles", seed)
    n_outer, n_inner = n // 2, n - n // 2
    t_outer = np.linspace(0.0, 2.0 * math.pi, n_outer, endpoint=False)
    t_inner = np.linspace(0.0, 2.0 * math.pi, n_inner, endpoint=False)
    outer = np.column_stack([np.cos(t_outer), np.sin(t_outer)])
    inner = factor * np.column_stack([np.cos(t_inner), np.sin(t_inner)])
    X = np.concatenate([outer, inner]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    return _shuffled(rng, X, y)


def make_spirals(
    n: int = 100,
    classes: int = 2,
    noise: float = 0.1,
    turns: float = 1.0,
    seed: int | None = 0,
) -> Pair:
    """`classes` interleaved spiral arms from the origin: a hard set for small networks.

    Arm ``k`` runs from radius 0 to 1 while its angle turns ``turns`` full circles, starting at
    ``2 pi k / classes``; Gaussian noise of standard deviation ``noise`` is added to the points.
    Class sizes differ by at most one. Returns ``X`` float64 ``(n, 2)`` and ``y`` int64 ``(n,)``
    in ``0..classes-1``, shuffled.

    >>> X, y = make_spirals(300, classes=3, seed=0)
    >>> np.bincount(y).tolist()
    [100, 100, 100]
    """
    n = _check_count("make_spirals", "n", n)
    classes = _check_count("make_spirals", "classes", classes)
    noise = _check_real("make_spirals", "noise", noise)
    turns = _check_real("make_spirals", "turns", turns)
    if n < classes:
        raise ValueError(f"make_spirals: n must be >= classes ({classes}), got {n}")
    rng = _rng("make_spirals", seed)
    arms, labels = [], []
    for k, size in enumerate(_class_sizes(n, classes)):
        radius = np.linspace(0.0, 1.0, size)
        angle = 2.0 * math.pi * (turns * radius + k / classes)
        arms.append(radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)]))
        labels.append(np.full(size, k, np.int64))
    X = np.concatenate(arms) + noise * rng.standard_normal((n, 2))
    return _shuffled(rng, X, np.concatenate(labels))


ELLIPSE_Q = np.array([[1.0, -0.05], [1.0, 0.4]])
"""The (non-symmetric) matrix of `make_ellipse`'s quadratic form."""
ELLIPSE_Q.flags.writeable = False
ELLIPSE_THRESHOLD = 0.6


def make_ellipse(n: int = 1000, seed: int | None = 0) -> Pair:
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
    n = _check_count("make_ellipse", "n", n)
    rng = _rng("make_ellipse", seed)
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


def make_curve(
    n: int = 100,
    fn: str | Callable[[np.ndarray], np.ndarray] = "sin",
    noise: float = 0.0,
    low: float = -math.pi,
    high: float = math.pi,
    seed: int | None = 0,
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
    n = _check_count("make_curve", "n", n)
    noise = _check_real("make_curve", "noise", noise)
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
    rng = _rng("make_curve", seed)
    x = np.sort(rng.uniform(low, high, n))
    try:
        y = np.asarray(f(x), dtype=np.float64)
    except TypeError:  # a scalar-only callable such as math.sin
        y = np.array([f(float(v)) for v in x], dtype=np.float64)
    if y.shape != x.shape:
        raise ValueError(f"make_curve: fn must map {x.shape} to {x.shape}, returned {y.shape}")
    y = y + noise * rng.standard_normal(n)
    return x[:, None], y


# ---------------------------------------------------------------------------------------------
# preprocessing, splitting, batching
# ---------------------------------------------------------------------------------------------


def standardize(train: np.ndarray, *others: np.ndarray) -> np.ndarray | tuple[np.ndarray, ...]:
    """Scale each column to mean 0 and std 1 using statistics of ``train`` only.

    Using the training statistics for validation and test data too keeps information from
    those sets out of training. A column that is constant in ``train`` is only centred (it
    becomes 0 rather than 0/0). Returns float64 arrays: one array if only ``train`` is given,
    else a tuple ``(train, *others)`` in the same order.

    >>> X_train, X_test = standardize(np.array([[1.0], [3.0]]), np.array([[5.0]]))
    >>> X_train.ravel().tolist(), X_test.ravel().tolist()
    ([-1.0, 1.0], [3.0])
    """
    train = np.asarray(train, dtype=np.float64)
    if train.ndim == 0 or len(train) == 0:
        raise ValueError(f"standardize: train must have at least one row, got shape {train.shape}")
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    # Exactly constant columns: centre on their value (the computed mean may be off by an ulp,
    # which divided by a ~1e-17 std would give garbage) and leave the scale alone.
    constant = np.ptp(train, axis=0) == 0
    mean = np.where(constant, train[0], mean)
    std = np.where(constant, 1.0, std)
    arrays = [train]
    for i, other in enumerate(others):
        other = np.asarray(other, dtype=np.float64)
        if other.shape[1:] != train.shape[1:]:
            raise ValueError(
                f"standardize: others[{i}] has shape {other.shape}, "
                f"which does not match train's columns {train.shape}"
            )
        arrays.append(other)
    scaled = tuple((a - mean) / std for a in arrays)
    return scaled[0] if not others else scaled


def _check_pair(fn: str, X: np.ndarray, y: np.ndarray) -> Pair:
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(f"{fn}: X and y must be arrays, got shapes {X.shape} and {y.shape}")
    if len(X) != len(y):
        raise ValueError(f"{fn}: X and y must have the same length, got {len(X)} and {len(y)}")
    return X, y


def split(
    X: np.ndarray, y: np.ndarray, val: float = 0.1, test: float = 0.1, seed: int | None = 0
) -> tuple[Pair, Pair, Pair]:
    """Shuffle and split into train, validation and test parts.

    The validation and test parts get ``round(val * n)`` and ``round(test * n)`` samples (a
    fraction of 0 gives an empty part with the right shape), the training part gets the rest,
    which must not be empty. Every sample lands in exactly one part.

    Returns ``(X_train, y_train), (X_val, y_val), (X_test, y_test)``.

    >>> X, y = make_moons(100)
    >>> (X_tr, y_tr), (X_va, y_va), (X_te, y_te) = split(X, y, val=0.2, test=0.1)
    >>> len(y_tr), len(y_va), len(y_te)
    (70, 20, 10)
    """
    X, y = _check_pair("split", X, y)
    val = _check_real("split", "val", val)
    test = _check_real("split", "test", test)
    if val + test >= 1.0:
        raise ValueError(
            f"split: val + test must be < 1 to leave training data, got val={val!r}, test={test!r}"
        )
    n = len(y)
    n_val, n_test = int(val * n + 0.5), int(test * n + 0.5)
    n_train = n - n_val - n_test
    if n_train < 1:
        raise ValueError(
            f"split: {n} samples with val={val!r}, test={test!r} leave {n_train} for training"
        )
    order = _rng("split", seed).permutation(n)
    parts = np.split(order, [n_train, n_train + n_val])
    train, valid, testing = ((X[idx], y[idx]) for idx in parts)
    return train, valid, testing


def batches(
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    shuffle: bool = True,
    seed: int | None = 0,
    *,
    epoch: int = 0,
    drop_last: bool = False,
) -> Iterator[Pair]:
    """Iterate over minibatches ``(Xb, yb)`` of ``X`` and ``y``, one pass (epoch) per call.

    With ``shuffle=True`` the order is a random permutation drawn from ``seed`` and ``epoch``
    together. Pass the epoch number so that each epoch sees a fresh order (LeCun et al.,
    "Efficient BackProp": shuffle the examples every epoch) while a run stays reproducible, and
    resuming at epoch ``e`` replays exactly the order an uninterrupted run would have used.
    With ``shuffle=False`` the batches follow the data order. The last, smaller batch is kept
    unless ``drop_last=True``. Arguments are checked at the call, not at the first ``next()``.

    >>> X, y = make_moons(10)
    >>> for epoch in range(3):
    ...     for Xb, yb in batches(X, y, 4, seed=0, epoch=epoch):
    ...         pass  # forward, loss, backward, step
    >>> [len(yb) for Xb, yb in batches(X, y, 4)]
    [4, 4, 2]
    """
    X, y = _check_pair("batches", X, y)
    batch_size = _check_count("batches", "batch_size", batch_size)
    epoch = _check_count("batches", "epoch", epoch, minimum=0)
    n = len(y)
    if shuffle:
        if seed is not None:
            _check_count("batches", "seed", seed, minimum=0)
        # SeedSequence mixes both numbers, so (seed, epoch) pairs give independent streams.
        rng = np.random.default_rng(None if seed is None else [int(seed), epoch])
        order = rng.permutation(n)
    else:
        order = np.arange(n)
    stop = n - n % batch_size if drop_last else n

    def generate() -> Iterator[Pair]:
        for start in range(0, stop, batch_size):
            idx = order[start : start + batch_size]
            yield X[idx], y[idx]

    return generate()


def to_values(X: np.ndarray | list) -> list[list[Value]] | list[Value]:
    """Wrap numbers as autograd leaves: the bridge from numpy data to the scalar engine.

    A 2-D array (or a list of rows) becomes a list of rows of ``Value``; a 1-D array is one
    sample and becomes one flat row. Each Value is labelled by its column, ``"x0"``, ``"x1"``...,
    which reads well in ``draw_graph``.

    >>> row = to_values(np.array([0.5, -1.0]))
    >>> [(v.data, v.label) for v in row]
    [(0.5, 'x0'), (-1.0, 'x1')]
    """
    from autograd import Value

    try:
        array = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"to_values: X must be a rectangular array of numbers ({exc})") from exc
    if array.ndim == 1:
        return [Value(float(v), label=f"x{j}") for j, v in enumerate(array.tolist())]
    if array.ndim != 2:
        raise ValueError(f"to_values: X must be 1-D or 2-D, got shape {array.shape}")
    labels = [f"x{j}" for j in range(array.shape[1])]
    return [
        [Value(v, label=label) for v, label in zip(row, labels, strict=True)]
        for row in array.tolist()
    ]


# ---------------------------------------------------------------------------------------------
# MNIST
# ---------------------------------------------------------------------------------------------

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
"""Split name -> (images file, labels file), as published."""

MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
"""Published MD5 checksums of the gzip files, checked after a download."""

MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
"""A public mirror of the original files (the one torchvision uses)."""

_IDX_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
_IDX_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension


def _find(folder: Path, gz_name: str) -> Path | None:
    """The file in `folder` under its gzip name or without `.gz` (gzip preferred)."""
    for name in (gz_name, gz_name.removesuffix(".gz")):
        if (folder / name).is_file():
            return folder / name
    return None


def _read_idx(path: Path, magic: int, ndim: int) -> tuple[tuple[int, ...], np.ndarray]:
    """Read an IDX file of unsigned bytes: its declared dimensions and its data, flat."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise ValueError(f"load_mnist: {path}: cannot decompress: {exc}") from exc
    header = 4 * (1 + ndim)
    if len(raw) < header:
        raise ValueError(
            f"load_mnist: {path}: truncated: {len(raw)} bytes, shorter than the "
            f"{header}-byte IDX header"
        )
    fields = np.frombuffer(raw, dtype=">u4", count=1 + ndim)
    found, dims = int(fields[0]), tuple(int(d) for d in fields[1:])
    if found != magic:
        kind = "images" if magic == _IDX_IMAGES_MAGIC else "labels"
        raise ValueError(
            f"load_mnist: {path}: bad magic number {found}, expected {magic} (IDX {kind})"
        )
    expected = header + math.prod(dims)
    if len(raw) != expected:
        problem = "truncated" if len(raw) < expected else "has trailing bytes"
        raise ValueError(
            f"load_mnist: {path}: {problem}: header declares dimensions {dims}, "
            f"which need {expected} bytes, but the file has {len(raw)}"
        )
    return dims, np.frombuffer(raw, dtype=np.uint8, offset=header)


def _load_pair(images_path: Path, labels_path: Path, normalize: bool, flatten: bool) -> Pair:
    (n_images, rows, cols), pixels = _read_idx(images_path, _IDX_IMAGES_MAGIC, 3)
    (n_labels,), labels = _read_idx(labels_path, _IDX_LABELS_MAGIC, 1)
    if n_images != n_labels:
        raise ValueError(
            f"load_mnist: {images_path} has {n_images} images but {labels_path} has "
            f"{n_labels} labels"
        )
    if labels.size and labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise ValueError(
            f"load_mnist: {labels_path}: labels must be in 0..9, label {bad} is {labels[bad]}"
        )
    X = pixels.reshape(n_images, rows * cols) if flatten else pixels.reshape(n_images, rows, cols)
    # np.float32(1 / 255) * 255 rounds to exactly 1.0, and the division keeps 0..255 in [0, 1].
    X = X.astype(np.float32) / np.float32(255) if normalize else X.copy()
    return X, labels.astype(np.int64)


def load_mnist(
    path: str | os.PathLike[str], *, normalize: bool = True, flatten: bool = True
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Load the MNIST IDX files found in the folder ``path``.

    Looks for ``train-images-idx3-ubyte.gz`` + ``train-labels-idx1-ubyte.gz`` (key ``"train"``)
    and ``t10k-images-idx3-ubyte.gz`` + ``t10k-labels-idx1-ubyte.gz`` (key ``"test"``), each also
    accepted without ``.gz``, and returns the pairs that are there:
    ``{"train": (X, y), "test": (X, y)}``. ``X`` is float32 in [0, 1] of shape ``(n, 784)``;
    with ``normalize=False`` it keeps the raw uint8 pixels, with ``flatten=False`` the shape is
    ``(n, 28, 28)``. ``y`` is int64 in 0..9.

    The files are checked, and every error names the file: magic number, declared size against
    the actual byte count, image count against label count, label range, and an images file
    without its labels (or the reverse). A folder with no pair at all raises FileNotFoundError.

    >>> data = load_mnist("data/mnist")  # doctest: +SKIP
    >>> X_test, y_test = data["test"]  # doctest: +SKIP
    >>> X_test.shape, X_test.dtype, y_test[:3].tolist()  # doctest: +SKIP
    ((10000, 784), dtype('float32'), [7, 2, 1])
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"load_mnist: {folder} is not a folder")
    data = {}
    for key, (images_name, labels_name) in MNIST_FILES.items():
        images, labels = _find(folder, images_name), _find(folder, labels_name)
        if images is None and labels is None:
            continue
        if labels is None:
            raise FileNotFoundError(
                f"load_mnist: {images} has no labels file: expected {labels_name} "
                f"(or without .gz) in {folder}"
            )
        if images is None:
            raise FileNotFoundError(
                f"load_mnist: {labels} has no images file: expected {images_name} "
                f"(or without .gz) in {folder}"
            )
        data[key] = _load_pair(images, labels, normalize, flatten)
    if not data:
        expected = ", ".join(name for pair in MNIST_FILES.values() for name in pair)
        raise FileNotFoundError(
            f"load_mnist: no MNIST files in {folder}; expected {expected} (or without .gz), "
            f"e.g. from download_mnist({str(folder)!r})"
        )
    return data


def download_mnist(
    path: str | os.PathLike[str], base_url: str = MNIST_URL, *, timeout: float = 30.0
) -> Path:
    """Fetch the four MNIST gzip files into the folder ``path``; returns that folder.

    Files already present (with or without ``.gz``) are skipped. Each download is checked
    against its published MD5 and written atomically (a temporary file in the same folder,
    then ``os.replace``), so an interrupted download never leaves a half file behind. Without a
    network, the RuntimeError names the URL and the folder to place the files in by hand.

    >>> data = load_mnist(download_mnist("data/mnist"))  # doctest: +SKIP
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    base = base_url.rstrip("/") + "/"
    for name in (name for pair in MNIST_FILES.values() for name in pair):
        if _find(folder, name) is not None:
            continue
        url = base + name
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                payload = response.read()
        except ValueError as exc:  # urllib's "unknown url type"
            raise ValueError(f"download_mnist: bad base_url {base_url!r}: {exc}") from exc
        except OSError as exc:  # URLError, HTTPError, timeouts and refusals are all OSErrors
            reason = getattr(exc, "reason", exc)
            raise RuntimeError(
                f"download_mnist: could not fetch {url} ({reason}). Without network access, "
                f"download the four files by hand and place them in {folder}: "
                + ", ".join(MNIST_MD5)
            ) from exc
        digest = hashlib.md5(payload).hexdigest()
        if digest != MNIST_MD5[name]:
            raise RuntimeError(
                f"download_mnist: {url} gave a file with MD5 {digest}, expected "
                f"{MNIST_MD5[name]}; not saved"
            )
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(payload)
            os.replace(temporary, folder / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return folder
