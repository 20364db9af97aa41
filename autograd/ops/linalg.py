"""Matrix multiplication. Batch axes broadcast like elementwise ones (summed back by the engine);
1-D operands are matrices with their extra axis squeezed away, as numpy."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import Op, register
from .shape import TRANSPOSE

__all__ = ["MATMUL"]


def _swap(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return x.swapaxes(-1, -2)
    axes = list(range(x.ndim))
    axes[-2:] = axes[-1], axes[-2]
    return x.__class__._from_op(TRANSPOSE, (x,), tuple(axes))


def _vjp_a(g: Any, out: Any, a: Any, b: Any) -> Any:
    # out = a @ b: d/da = g @ b^T.
    if b.ndim == 1:
        return g[..., None] * b if a.ndim > 1 else g * b
    if a.ndim == 1:
        return (b @ g[..., None])[..., 0]
    return g @ _swap(b)


def _vjp_b(g: Any, out: Any, a: Any, b: Any) -> Any:
    # out = a @ b: d/db = a^T @ g.
    if a.ndim == 1:
        return a[:, None] * g[..., None, :] if b.ndim > 1 else g * a
    if b.ndim == 1:
        return (_swap(a) @ g[..., None])[..., 0]
    return _swap(a) @ g


def _vjp_formulas(s: Any, xs: list, out: str, g: str, p: tuple, shapes: tuple) -> list:
    # As the rules above: a 1-D operand is a row (on the left) or a column (on the right), so
    # g @ b^T and a^T @ g become outer products or plain products where the shapes say so.
    (a, b), (na, nb) = xs, (len(shapes[0]), len(shapes[1]))
    if na == 1 and nb == 1:  # a dot product: out = sum a_i b_i
        return [s.times.join((g, b)), s.times.join((g, a))]
    if nb == 1:
        return [s.outer(g, b), s.matmul(s.transposed(a), g)]
    if na == 1:
        return [s.matmul(g, s.transposed(b)), s.outer(a, g)]
    return [s.matmul(g, s.transposed(b)), s.matmul(s.transposed(a), g)]


MATMUL = register(
    Op(
        "matmul",
        2,
        array=np.matmul,
        vjps=(_vjp_a, _vjp_b),  # g @ b^T, a^T @ g
        formula=lambda s, xs, p: s.matmul(*xs),
        vjp_formulas=_vjp_formulas,
    )
)
MATMUL.broadcasts = True
