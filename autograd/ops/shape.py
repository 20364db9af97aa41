"""Shape and indexing: reshape, transpose, indexing and its adjoint; the gradient goes back to
where each entry came from. Parameters sit in a Tensor node's `.args`."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .core import Op, apply, is_array, register

__all__ = ["GETITEM", "RESHAPE", "SCATTER", "TRANSPOSE", "inverse_axes", "is_basic_index"]


def inverse_axes(axes: tuple | None) -> tuple | None:
    """The permutation undoing `axes` (None, reversing, is its own inverse)."""
    return None if axes is None else tuple(int(i) for i in np.argsort(axes))


def is_basic_index(index: Any) -> bool:
    """Ints, slices, None and Ellipsis only: every entry is selected at most once."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        p is None or p is Ellipsis or isinstance(p, (slice, numbers.Integral)) for p in parts
    )


def _transpose(x: Any, axes: tuple | None) -> Any:
    return x.transpose(axes) if is_array(x) else apply(TRANSPOSE, (x,), axes)


def _scatter(g: Any, shape: tuple, index: Any) -> Any:
    """Zeros of `shape` with `g` added at `index`: the adjoint of `a[index]`."""
    grad = np.zeros(shape, g.dtype)
    if is_basic_index(index):
        grad[index] = g  # ints and slices select each entry at most once
    else:
        np.add.at(grad, index, g)  # an index array may repeat an entry: gradients add up
    return grad


def _getitem_vjp(g: Any, out: Any, a: Any, index: Any) -> Any:
    return _scatter(g, a.shape, index) if is_array(g) else apply(SCATTER, (g,), a.shape, index)


RESHAPE = register(
    Op(
        "reshape",
        1,
        array=lambda a, shape: a.reshape(shape),
        vjps=(lambda g, y, a, shape: g.reshape(a.shape),),
        formula=lambda s, xs, p: s.call("reshape", xs[0]),
        params=("shape",),
    )
)
TRANSPOSE = register(
    Op(
        "transpose",
        1,
        array=lambda a, axes: a.transpose(axes),
        vjps=(lambda g, y, a, axes: _transpose(g, inverse_axes(axes)),),
        formula=lambda s, xs, p: s.call("transpose", xs[0]),
        params=("axes",),
    )
)
GETITEM = register(
    Op(
        "getitem",
        1,
        array=lambda a, index: a[index],
        vjps=(_getitem_vjp,),
        formula=lambda s, xs, p: s.call("getitem", xs[0]),
        params=("index",),
    )
)
# The adjoint of indexing, which the differentiable backward of `a[index]` records.
SCATTER = register(
    Op(
        "scatter",
        1,
        array=_scatter,
        vjps=(lambda g, y, a, shape, index: g[index],),
        formula=lambda s, xs, p: s.call("scatter", xs[0]),
        params=("shape", "index"),
    )
)
