"""Data plumbing: scaling, splitting, minibatches, and the bridge from numpy to Values.

Everything here is plain numpy; the toy data sets live in `nn.datasets` and MNIST in `nn.mnist`.
Their names stay importable from here too (`from nn.data import make_moons, load_mnist`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from .checks import check_array, check_bool, check_count, check_real, make_rng
from .datasets import (
    ELLIPSE_Q,
    ELLIPSE_THRESHOLD,
    make_circles,
    make_curve,
    make_ellipse,
    make_moons,
    make_spirals,
)
from .mnist import MNIST_FILES, MNIST_MD5, MNIST_URL, download_mnist, load_mnist

if TYPE_CHECKING:
    from autograd.value import Value

__all__ = [
    "ELLIPSE_Q",
    "ELLIPSE_THRESHOLD",
    "MNIST_FILES",
    "MNIST_MD5",
    "MNIST_URL",
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
    train = check_array("standardize", "train", train, np.float64)
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
        other = check_array("standardize", f"others[{i}]", other, np.float64)
        if other.shape[1:] != train.shape[1:]:
            raise ValueError(
                f"standardize: others[{i}] has shape {other.shape}, "
                f"which does not match train's columns {train.shape}"
            )
        arrays.append(other)
    scaled = tuple((a - mean) / std for a in arrays)
    return scaled[0] if not others else scaled


def _check_pair(fn: str, X: np.ndarray, y: np.ndarray) -> Pair:
    X, y = check_array(fn, "X", X), check_array(fn, "y", y)
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
    val = check_real("split", "val", val)
    test = check_real("split", "test", test)
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
    order = make_rng("split", seed).permutation(n)
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
    batch_size = check_count("batches", "batch_size", batch_size)
    epoch = check_count("batches", "epoch", epoch, minimum=0)
    shuffle = check_bool("batches", "shuffle", shuffle)
    drop_last = check_bool("batches", "drop_last", drop_last)
    n = len(y)
    if shuffle:
        if seed is not None:
            check_count("batches", "seed", seed, minimum=0)
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
    from autograd.value import Value

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
