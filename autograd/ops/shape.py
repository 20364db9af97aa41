"""Shape and indexing: reshape, transpose, indexing and its adjoint; the gradient goes back to
where each entry came from. Parameters sit in a Tensor node's `.args`."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .core import Op, apply, is_array, register

__all__ = [
    "ASTYPE",
    "GETITEM",
    "RESHAPE",
    "SCATTER",
    "TRANSPOSE",
    "index_text",
    "inverse_axes",
    "is_basic_index",
]


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


def _transposed(s: Any, x: str, p: tuple) -> str:
    """x^T for the reversal of every axis, else transpose(x, axes) (formula for explain)."""
    if not p:
        return s.call("transpose", x)
    return s.transposed(x) if p[0] is None else s.call("transpose", x, s.axes(p[0]))


def index_text(index: Any) -> str:
    """An index as Python writes it inside brackets: 0, 1:, ::2, [0, 0, 2], ..., None."""
    parts = index if isinstance(index, tuple) else (index,)
    return ", ".join(_index_part(part) for part in parts)


def _index_part(part: Any) -> str:
    if part is Ellipsis:
        return "..."
    if isinstance(part, slice):
        text = ":".join("" if v is None else str(v) for v in (part.start, part.stop))
        return text + (f":{part.step}" if part.step is not None else "")
    if isinstance(part, np.ndarray):
        return str(part.tolist())
    return str(part)


RESHAPE = register(
    Op(
        "reshape",
        1,
        array=lambda a, shape: a.reshape(shape),
        vjps=(lambda g, y, a, shape: g.reshape(a.shape),),
        formula=lambda s, xs, p: s.call("reshape", xs[0], *(s.shape(v) for v in p)),
        vjp_formulas=lambda s, xs, out, g, p, shapes: [s.call("reshape", g, s.shape(shapes[0]))],
        params=("shape",),
    )
)
TRANSPOSE = register(
    Op(
        "transpose",
        1,
        array=lambda a, axes: a.transpose(axes),
        vjps=(lambda g, y, a, axes: _transpose(g, inverse_axes(axes)),),
        formula=lambda s, xs, p: _transposed(s, xs[0], p),
        # the inverse permutation puts every entry back
        vjp_formulas=lambda s, xs, out, g, p, shapes: [
            _transposed(s, g, (inverse_axes(p[0]),) if p else p)
        ],
        params=("axes",),
    )
)
GETITEM = register(
    Op(
        "getitem",
        1,
        array=lambda a, index: a[index],
        vjps=(_getitem_vjp,),
        formula=lambda s, xs, p: s.at(xs[0], p[0]) if p else s.call("getitem", xs[0]),
        # zeros with g added where each entry came from (a repeated entry adds up)
        vjp_formulas=lambda s, xs, out, g, p, shapes: [
            s.call("scatter", g, s.shape(shapes[0]), s.text(f"at [{index_text(p[0])}]"))
        ],
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
        formula=lambda s, xs, p: (
            s.call("scatter", xs[0], s.shape(p[0]), s.text(f"at [{index_text(p[1])}]"))
            if p
            else s.call("scatter", xs[0])
        ),
        vjp_formulas=lambda s, xs, out, g, p, shapes: [s.at(g, p[1])],
        params=("shape", "index"),
    )
)


def _astype(x: Any, dtype: np.dtype) -> Any:
    """x in `dtype`, on data or nodes (x itself when it has it)."""
    if is_array(x):
        return x.astype(dtype, copy=False)
    return x if x.data.dtype == dtype else apply(ASTYPE, (x,), dtype)


# A change of float dtype; its gradient goes back in the input's dtype, so each gradient has the
# dtype of what it is the gradient of (as PyTorch casts at every edge).
ASTYPE = register(
    Op(
        "astype",
        1,
        array=lambda a, dtype: a.astype(dtype),
        vjps=(lambda g, y, a, dtype: _astype(g, a.dtype),),
        formula=lambda s, xs, p: s.call("astype", xs[0], *(s.text(str(d)) for d in p)),
        vjp_formulas=lambda s, xs, out, g, p, shapes: [
            s.call("astype", g, s.text(f"the dtype of {xs[0]}"))
        ],
        params=("dtype",),
    )
)
