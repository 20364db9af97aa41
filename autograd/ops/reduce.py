"""Reductions: the n-input scalar sum (a loss's adder) and affine map (a neuron's), and `sum` /
`max` over tensor axes.

Tensor parameters (`axes`: None for all, or a sorted tuple of non-negative axes; `keepdims`) sit
in the node's `.args`, named by the entry's `params`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import Op, Replay, apply, data_of, is_array, register

__all__ = ["ADD_N", "AFFINE", "EXPAND", "MAX", "SUM", "expand"]


# Sum of n values: d(x0 + x1 + ...)/dx_i = 1. One node where a chain of binary `+` would make n - 1,
# with the same floats (added left to right, as the chain does) and the same gradients: how a
# loss adds up its terms. Scalar only (a Tensor adds with `+` or reduces with `sum`).
def _add_n(*xs: float) -> float:
    total = xs[0]
    for x in xs[1:]:
        total += x
    return total


def _bind_add_n(bound: Op, n: int) -> None:
    terms = " + ".join(f"{{p{i}}}" for i in range(n))
    bound.arity = n
    bound.derivatives = (1.0,) * n
    bound.replay = Replay(terms, terms, ("1.0",) * n, namespace={})


ADD_N = register(
    Op(
        "sum",
        None,
        key="add_n",
        scalar=lambda *xs: _add_n(*xs[:-1]),  # the last argument is the parameter n
        derivatives=(1.0,),
        formula=lambda s, xs, p: " + ".join(xs),
        derivative_formulas=lambda s, xs, out, p: ["1"] * len(xs),
        params=("n",),
    ),
    binder=_bind_add_n,
)


# An affine map of n inputs, b + w0 x0 + w1 x1 + ... (the forward of a neuron) as one node, its
# inputs b, w0, x0, w1, x1, ... in that order: d/db = 1, d/dw_i = x_i, d/dx_i = w_i. The products
# are added to b left to right: the floats of b + w0 * x0 + w1 * x1 + ... written out. One node
# where a `*` per weight and a `sum` made n + 1 (a fifth of the nodes of MLP(2, [16, 16, 1]) to
# build, walk and free, and of the objects the cyclic collector traverses): micrograd's demo step
# written the micrograd way (Value inputs, sum(), collector on) went from 85 to 22 ms, 18.5x to
# 73.7x micrograd's (benchmarks.run's training-step row, one sitting). Scalar only (a Tensor
# layer is a matmul).
def _affine(b: float, *wx: float) -> float:
    total = b
    for i in range(1, len(wx), 2):  # wx ends with the parameter n
        total += wx[i - 1] * wx[i]
    return total


def _affine_derivatives(out: Any, b: Any, *wx: Any) -> tuple:
    slopes = [1.0]
    for i in range(1, len(wx), 2):
        slopes += (wx[i], wx[i - 1])
    return tuple(slopes)


def _affine_accumulate(g: float, parents: tuple) -> None:
    # The first-order float pass through one affine node: `derivatives` unrolled, the same
    # products g * x_i and g * w_i added in the same order (tests/test_speed_paths.py and
    # tests/test_engine.py check it bit for bit against the generic engine). The generic loop
    # (a list of data, a tuple of slopes, a zip) took 16.8 ms of that step's backward pass;
    # this takes 7.1.
    inputs = iter(parents)
    next(inputs).grad += g
    for w, x in zip(inputs, inputs):
        w.grad += g * x.data
        x.grad += g * w.data


def _bind_affine(bound: Op, n: int) -> None:
    bound.arity = 2 * n + 1
    bound.derivatives = _affine_derivatives
    bound.accumulate = _affine_accumulate
    forward = " + ".join(["{p0}", *(f"{{p{i}}} * {{p{i + 1}}}" for i in range(1, 2 * n, 2))])
    slopes = ["1.0"]
    for i in range(1, 2 * n, 2):
        slopes += (f"{{p{i + 1}}}", f"{{p{i}}}")
    bound.replay = Replay(forward, forward, tuple(slopes), namespace={})


def _affine_formula(s: Any, xs: list, p: tuple) -> str:
    return " + ".join([xs[0], *(s.times.join(xs[i : i + 2]) for i in range(1, len(xs), 2))])


def _affine_slope_formulas(s: Any, xs: list, out: str, p: tuple) -> list:
    slopes = ["1"]
    for i in range(1, len(xs), 2):
        slopes += (xs[i + 1], xs[i])
    return slopes


AFFINE = register(
    Op(
        "affine",
        None,
        scalar=_affine,
        derivatives=lambda out, b, *wx_and_n: _affine_derivatives(out, b, *wx_and_n[:-1]),
        formula=_affine_formula,
        derivative_formulas=_affine_slope_formulas,
        params=("n",),
    ),
    binder=_bind_affine,
)


def expand(g: Any, shape: tuple, axes: tuple | None, keepdims: bool) -> Any:
    """The gradient of a reduction, broadcast back to the input's shape (a read-only view)."""
    if is_array(g):
        if axes is not None and not keepdims:
            g = np.expand_dims(g, axes)
        return np.broadcast_to(g, shape)
    if axes is not None and not keepdims:
        g = g.reshape(np.expand_dims(g.data, axes).shape)
    return g if g.shape == shape else apply(EXPAND, (g,), shape)


def _max_vjp(g: Any, out: Any, a: Any, axes: tuple | None, keepdims: bool) -> Any:
    # The gradient goes to the entries equal to the max; ties share it equally (as torch.amax).
    a, out = data_of(a), data_of(out)
    mask = a == expand(out, a.shape, axes, keepdims)
    count = mask.sum(axis=axes, keepdims=True, dtype=a.dtype)
    return mask * (expand(g, a.shape, axes, keepdims) / count)


def _reduction_params(s: Any, p: tuple) -> list:
    """The call's extra arguments: `axis=1`, `keepdims=True` (none for a sum of everything)."""
    if not p:
        return []
    axes, keepdims = p
    extra = [] if axes is None else [s.kw("axis", s.axes(axes))]
    return extra + ([s.kw("keepdims", "True")] if keepdims else [])


def _spread(s: Any, g: str, p: tuple, shape: tuple) -> str:
    """The output's gradient copied to every entry it summarises: g broadcast to `shape`."""
    axes, keepdims = p
    if axes is not None and not keepdims:
        g = s.call("expand_dims", g, s.axes(axes))
    return s.call("broadcast", g, s.shape(shape))


SUM = register(
    Op(
        "sum",
        1,
        key="sum",
        array=lambda a, axes, keepdims: a.sum(axis=axes, keepdims=keepdims),
        vjps=(lambda g, y, a, axes, keepdims: expand(g, a.shape, axes, keepdims),),  # copy g
        formula=lambda s, xs, p: s.call("sum", xs[0], *_reduction_params(s, p)),
        # d sum/dx_i = 1: every entry gets the output's gradient
        vjp_formulas=lambda s, xs, out, g, p, shapes: [_spread(s, g, p, shapes[0])],
        params=("axes", "keepdims"),
    )
)
MAX = register(
    Op(
        "max",
        1,
        array=lambda a, axes, keepdims: a.max(axis=axes, keepdims=keepdims),
        vjps=(_max_vjp,),  # g to the argmax entries
        formula=lambda s, xs, p: s.call("max", xs[0], *_reduction_params(s, p)),
        # the maxima share the gradient equally (usually one per output entry)
        vjp_formulas=lambda s, xs, out, g, p, shapes: [
            s.frac(
                _spread(s, g, p, shapes[0]) + s.odot + s.indicator(f"{xs[0]} = {out}"),
                s.call("count", s.indicator(f"{xs[0]} = {out}")),
            )
        ],
        params=("axes", "keepdims"),
    )
)

# Broadcasting to `shape`: what the differentiable backward of a reduction records. d/da sums g
# back to a's shape, which the engine does for every rule.
EXPAND = register(
    Op(
        "expand",
        1,
        array=lambda a, shape: np.broadcast_to(a, shape),
        vjps=(lambda g, y, a, shape: g,),
        formula=lambda s, xs, p: s.call("broadcast", xs[0], *(s.shape(v) for v in p)),
        # g as is: the engine sums the copies' gradients back, as for any broadcast input
        vjp_formulas=lambda s, xs, out, g, p, shapes: [g],
        params=("shape",),
    )
)
