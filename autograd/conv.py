"""Convolutional-network ops on Tensors: convolution, pooling, padding, joining, dropout, batch
norm.

The functions here check their arguments, then apply a registry entry of `autograd.ops.conv`
(where the numpy kernels and their VJPs live, with how convolution is computed); split, stack,
flatten and dropout are compositions of other ops. Arrays are NCHW, as in PyTorch.

>>> import numpy as np
>>> from autograd import Tensor
>>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
>>> w = Tensor(np.ones((1, 1, 2, 2)))
>>> y = conv2d(x, w, stride=2)          # the sum of each 2x2 block
>>> y.data[0, 0]
array([[10., 18.],
       [42., 50.]])
>>> y.sum().backward(); w.grad[0, 0]   # each kernel entry saw 4 pixels: their sum
array([[20., 24.],
       [36., 40.]])
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Sequence
from typing import cast

import numpy as np

from .ops.conv import (
    AVG_POOL2D,
    BATCH_NORM,
    CONCATENATE,
    CONV2D,
    CONV_TRANSPOSE2D,
    MAX_POOL2D,
    PAD,
    Pair,
    avg_pool2d_divisor,
    out_size,
)
from .tensor import Tensor, _apply, _axis, _leaf

__all__ = [
    "avg_pool2d",
    "batch_norm",
    "concatenate",
    "conv2d",
    "conv_transpose2d",
    "dropout",
    "flatten",
    "max_pool2d",
    "pad",
    "split",
    "stack",
]


# -------------------------------------------------------------------- public functions


def conv2d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation, as torch.nn.functional.conv2d) of x (N, C, H, W) with
    weight (O, C/groups, kh, kw) and an optional bias (O,): output (N, O, Ho, Wo) with
    Ho = (H + 2 padding - dilation (kh - 1) - 1) // stride + 1."""
    x, weight = _tensor(x, "conv2d", "x"), _tensor(weight, "conv2d", "weight")
    stride, padding, dilation = _conv_pairs("conv2d", stride, padding, dilation)
    groups = _positive("conv2d", "groups", groups)
    _check_conv("conv2d", x, weight, groups, in_axis=1)
    o = weight.shape[0]
    if o % groups:
        raise ValueError(f"conv2d: out channels {o} are not divisible by groups={groups}")
    size = out_size(x.shape[2:], weight.shape[2:], stride, padding, dilation)
    if min(size) < 1:
        raise ValueError(
            f"conv2d: kernel {weight.shape[2:]} (dilation {dilation}) is larger than the "
            f"padded input {tuple(n + 2 * p for n, p in zip(x.shape[2:], padding))}"
        )
    bias = _bias("conv2d", bias, o, x)
    return _apply(CONV2D, (x, weight, bias), stride, padding, dilation, groups)


def conv_transpose2d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    output_padding: int | Sequence[int] = 0,
    groups: int = 1,
    dilation: int | Sequence[int] = 1,
) -> Tensor:
    """The transposed convolution (torch.nn.functional.conv_transpose2d, same argument order):
    x (N, C_in, H, W), weight (C_in, C_out/groups, kh, kw); output spatial size
    (H - 1) stride - 2 padding + dilation (kh - 1) + output_padding + 1. It is the gradient of
    conv2d with respect to its input, so it upsamples by `stride`."""
    x, weight = _tensor(x, "conv_transpose2d", "x"), _tensor(weight, "conv_transpose2d", "weight")
    stride, padding, dilation = _conv_pairs("conv_transpose2d", stride, padding, dilation)
    extra = _pair("conv_transpose2d", "output_padding", output_padding, minimum=0)
    groups = _positive("conv_transpose2d", "groups", groups)
    _check_conv("conv_transpose2d", x, weight, groups, in_axis=0)
    for e, s, d in zip(extra, stride, dilation):
        if e >= s and e >= d:
            raise ValueError(
                f"conv_transpose2d: output_padding {extra} must be smaller than stride {stride} "
                f"or dilation {dilation} (as torch)"
            )
    size = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + e + 1
        for n, k, s, p, d, e in zip(x.shape[2:], weight.shape[2:], stride, padding, dilation, extra)
    )
    if min(size) < 1:
        raise ValueError(f"conv_transpose2d: the output size {size} is not positive")
    bias = _bias("conv_transpose2d", bias, weight.shape[1] * groups, x)
    return _apply(CONV_TRANSPOSE2D, (x, weight, bias), size, stride, padding, dilation, groups)


def max_pool2d(
    x: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
) -> Tensor:
    """The maximum of each kernel window of x (N, C, H, W); stride defaults to the kernel size.
    The gradient goes to the first maximum of each window (row-major), as in PyTorch."""
    x, kernel, stride, padding = _pool_args("max_pool2d", x, kernel_size, stride, padding)
    return _apply(MAX_POOL2D, (x,), kernel, stride, padding)


def avg_pool2d(
    x: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    *,
    count_include_pad: bool = True,
) -> Tensor:
    """The mean of each kernel window of x (N, C, H, W); padded zeros count unless
    `count_include_pad=False` (both as torch). It is keyword-only: torch's fourth positional
    argument is `ceil_mode`, which is not offered here."""
    x, kernel, stride, padding = _pool_args("avg_pool2d", x, kernel_size, stride, padding)
    _flag("avg_pool2d", "count_include_pad", count_include_pad)
    divisor = avg_pool2d_divisor(x.shape, kernel, stride, padding, count_include_pad)
    return _apply(AVG_POOL2D, (x,), kernel, stride, padding, divisor)


def pad(x: Tensor, widths, value: float = 0.0) -> Tensor:
    """x padded with the constant `value`, numpy's way: `widths` is an int (every side of every
    axis), one (before, after) pair for all axes, or one pair per axis.

    >>> pad(Tensor([1.0, 2.0]), (1, 2)).data
    array([0., 1., 2., 0., 0.])
    """
    x = _tensor(x, "pad", "x")
    try:
        pairs = np.broadcast_to(np.asarray(widths), (x.ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: widths must be an int, a (before, after) pair or one pair per axis of a "
            f"{x.ndim}-d tensor, got {widths!r}"
        ) from None
    if pairs.dtype.kind not in "iu" or (pairs < 0).any():
        raise ValueError(f"pad: widths must be non-negative ints, got {widths!r}")
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"pad: value must be a number, got {value!r}")
    widths = tuple((int(a), int(b)) for a, b in pairs)
    return _apply(PAD, (x,), widths, float(value))


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """The tensors joined along an existing `axis` (numpy's concatenate, torch.cat)."""
    tensors = _tensors("concatenate", tensors)
    first = tensors[0].shape
    axis = _axis(axis, first, "concatenate")
    for i, t in enumerate(tensors):
        if t.ndim != len(first) or t.shape[:axis] + t.shape[axis + 1 :] != (
            first[:axis] + first[axis + 1 :]
        ):
            raise ValueError(
                f"concatenate: tensor {i} has shape {t.shape}, which does not match tensor 0's "
                f"{first} outside axis {axis}"
            )
    sizes = tuple(t.shape[axis] for t in tensors)
    return _apply(CONCATENATE.bind(len(tensors)), tuple(tensors), sizes, axis)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """The tensors (all of one shape) joined along a new `axis`: each gets a unit axis there,
    then they are concatenated."""
    tensors = _tensors("stack", tensors)
    shape = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != shape:
            raise ValueError(f"stack: tensor {i} has shape {t.shape}, tensor 0 has {shape}")
    axis = _axis(axis, (*shape, 1), "stack")
    grown = (*shape[:axis], 1, *shape[axis:])
    return concatenate([t.reshape(grown) for t in tensors], axis)


def split(x: Tensor, sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """x cut along `axis` into `sections` equal parts, or at the given indices (numpy's
    array_split semantics for indices, equal parts required for an int). Each part is a slice."""
    x = _tensor(x, "split", "x")
    axis = _axis(axis, x.shape, "split")
    n = x.shape[axis]
    if _is_int(sections):
        count = int(cast(int, sections))
        if count < 1 or n % count:
            raise ValueError(f"split: axis {axis} of length {n} does not split into {count}")
        cuts = [i * (n // count) for i in range(count + 1)]
    else:
        indices = cast(Sequence[int], sections)
        if not isinstance(indices, (Sequence, np.ndarray)) or not all(map(_is_int, indices)):
            raise TypeError(
                f"split: sections must be an int or a list of int indices, got {sections!r}"
            )
        cuts = [0, *(int(i) for i in indices), n]
        if any(a > b for a, b in itertools.pairwise(cuts)):
            raise ValueError(f"split: indices {list(indices)} must be sorted within [0, {n}]")
    parts = []
    for a, b in itertools.pairwise(cuts):
        index = (*(slice(None),) * axis, slice(a, b))  # slice(a, b) along `axis`
        parts.append(x[index])
    return parts


def flatten(x: Tensor, start_axis: int = 1, end_axis: int = -1) -> Tensor:
    """x with axes start_axis..end_axis merged into one (a reshape); by default every axis but
    the batch axis, as torch.flatten(x, 1) before a fully connected layer."""
    x = _tensor(x, "flatten", "x")
    start = _axis(start_axis, x.shape, "flatten")
    end = _axis(end_axis, x.shape, "flatten")
    if end < start:
        raise ValueError(f"flatten: end_axis {end_axis} comes before start_axis {start_axis}")
    merged = math.prod(x.shape[start : end + 1])  # not -1: that is ambiguous for 0 samples
    return x.reshape((*x.shape[:start], merged, *x.shape[end + 1 :]))


def dropout(
    x: Tensor, p: float = 0.5, training: bool = True, rng: int | np.random.Generator | None = None
) -> Tensor:
    """Inverted dropout: in training each entry is zeroed with probability p and the survivors
    are scaled by 1 / (1 - p), so the expectation is unchanged; in eval, x itself. `rng` is a
    seed or a Generator (pass one Generator to draw a fresh mask each call)."""
    x = _tensor(x, "dropout", "x")
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be a probability in [0, 1], got {p!r}")
    _flag("dropout", "training", training)
    if not (rng is None or isinstance(rng, np.random.Generator) or _is_int(rng)):
        raise TypeError(f"dropout: rng must be None, an int seed or a numpy Generator, got {rng!r}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    keep = rng.random(x.shape) >= p
    # One multiplication by a constant mask: its gradient is the same mask.
    return x * _leaf((keep / (1.0 - p)).astype(x.dtype), False)


def batch_norm(
    x: Tensor,
    running_mean: Tensor | np.ndarray | None,
    running_var: Tensor | np.ndarray | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation over axis 1 of x (N, C) or (N, C, H, W), as torch's batch_norm.

    Training: normalise with the batch's mean and biased variance, and update the running
    statistics in place (when given) as running = (1 - momentum) running + momentum batch, with
    the unbiased variance. Eval: normalise with the running statistics (an affine map).
    Then scale by `weight` and shift by `bias` (per channel).
    """
    x = _tensor(x, "batch_norm", "x")
    if x.ndim < 2:
        raise ValueError(f"batch_norm: x must be (N, C, ...), got shape {x.shape}")
    c = x.shape[1]
    for name, v in (("weight", weight), ("bias", bias)):
        if v is not None and _shape_of(v) != (c,):
            raise ValueError(f"batch_norm: {name} must have shape ({c},), got {_shape_of(v)}")
    for name, stats in (("running_mean", running_mean), ("running_var", running_var)):
        if stats is None:
            continue
        if not isinstance(stats, (Tensor, np.ndarray)) or _array(stats).dtype.kind != "f":
            raise TypeError(
                f"batch_norm: {name} must be a float numpy array or Tensor (updated in place), "
                f"got {_described(stats)}"
            )
        if _shape_of(stats) != (c,):
            raise ValueError(f"batch_norm: {name} must have shape ({c},), got {_shape_of(stats)}")
    _flag("batch_norm", "training", training)
    if isinstance(momentum, bool) or not (
        isinstance(momentum, numbers.Real) and 0 <= momentum <= 1
    ):
        raise ValueError(f"batch_norm: momentum must be a number in [0, 1], got {momentum!r}")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not 0 < eps < math.inf:
        raise ValueError(f"batch_norm: eps must be a finite number > 0, got {eps!r}")
    axes = (0, *range(2, x.ndim))
    weight = _lift_param(weight, np.ones(c, x.dtype))
    bias = _lift_param(bias, np.zeros(c, x.dtype))
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: eval mode needs running_mean and running_var")
        # y = (x - m) / sqrt(v + eps) * w + b = x * scale + (b - m * scale)
        scale = weight * (1.0 / np.sqrt(_array(running_var) + eps)).astype(x.dtype)
        shift = bias - scale * _array(running_mean).astype(x.dtype)
        shape = (1, c) + (1,) * (x.ndim - 2)
        return x * scale.reshape(shape) + shift.reshape(shape)
    count = x.size // c
    if count < 2:
        raise ValueError(
            f"batch_norm: training needs more than one value per channel, got shape {x.shape}"
        )
    if running_mean is not None:
        stats = _array(running_mean)
        stats *= 1.0 - momentum
        stats += momentum * x.data.mean(axis=axes)
    if running_var is not None:
        stats = _array(running_var)
        stats *= 1.0 - momentum
        stats += momentum * x.data.var(axis=axes) * (count / (count - 1))
    return _apply(BATCH_NORM, (x, weight, bias), axes, float(eps))


# -------------------------------------------------------------------- argument checks


def _tensor(x, op: str, name: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")
    return x


def _tensors(op: str, tensors) -> list[Tensor]:
    tensors = list(tensors) if isinstance(tensors, (list, tuple)) else None
    if not tensors:
        raise ValueError(f"{op}: give a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        _tensor(t, op, f"tensor {i}")
    return tensors


def _is_int(n) -> bool:
    return isinstance(n, numbers.Integral) and not isinstance(n, bool)


def _flag(op: str, name: str, value) -> None:
    """A bool (numpy's included): a string or None is not taken for one."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be True or False, got {value!r}")


def _described(v) -> str:
    if isinstance(v, (Tensor, np.ndarray)):
        return f"an array of dtype {_array(v).dtype}"
    return type(v).__name__


def _positive(op: str, name: str, n) -> int:
    if not _is_int(n) or n < 1:
        raise ValueError(f"{op}: {name} must be a positive int, got {n!r}")
    return int(n)


def _pair(op: str, name: str, value, minimum: int = 1) -> Pair:
    """An int or a pair of ints (height, width), each >= minimum."""
    if isinstance(value, numbers.Integral):
        pair: tuple = (value, value)
    else:
        pair = tuple(value) if isinstance(value, (Sequence, np.ndarray)) else ()
    if len(pair) != 2 or not all(_is_int(v) and v >= minimum for v in pair):
        raise ValueError(
            f"{op}: {name} must be an int >= {minimum} or a pair of them, got {value!r}"
        )
    return int(pair[0]), int(pair[1])


def _conv_pairs(op: str, stride, padding, dilation) -> tuple[Pair, Pair, Pair]:
    return (
        _pair(op, "stride", stride),
        _pair(op, "padding", padding, minimum=0),
        _pair(op, "dilation", dilation),
    )


def _check_conv(op: str, x: Tensor, w: Tensor, groups: int, in_axis: int) -> None:
    """x is (N, C, H, W), w 4-D, and C matches w's input-channel axis given `groups`."""
    if x.ndim != 4:
        raise ValueError(f"{op}: x must be 4-D (N, C, H, W), got shape {x.shape}")
    if w.ndim != 4 or min(w.shape[2:]) < 1:
        raise ValueError(
            f"{op}: weight must be 4-D with a kernel of at least 1x1, got shape {w.shape}"
        )
    c = x.shape[1]
    if c % groups:
        raise ValueError(f"{op}: input channels {c} are not divisible by groups={groups}")
    expected = c // groups if in_axis == 1 else c
    if w.shape[in_axis] != expected:
        raise ValueError(
            f"{op}: weight {w.shape} expects {w.shape[in_axis]} input channels"
            f"{' per group' if in_axis == 1 else ''}, x {x.shape} has {c} (groups={groups})"
        )


def _bias(op: str, bias, channels: int, x: Tensor) -> Tensor:
    if bias is None:
        return _leaf(np.zeros(channels, x.dtype), False)
    bias = _tensor(bias, op, "bias")
    if bias.shape != (channels,):
        raise ValueError(f"{op}: bias must have shape ({channels},), got {bias.shape}")
    return bias


def _pool_args(op: str, x, kernel_size, stride, padding):
    x = _tensor(x, op, "x")
    if x.ndim != 4:
        raise ValueError(f"{op}: x must be 4-D (N, C, H, W), got shape {x.shape}")
    kernel = _pair(op, "kernel_size", kernel_size)
    stride = kernel if stride is None else _pair(op, "stride", stride)
    padding = _pair(op, "padding", padding, minimum=0)
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(
            f"{op}: padding {padding} must be at most half the kernel size {kernel} (as torch)"
        )
    size = out_size(x.shape[2:], kernel, stride, padding, (1, 1))
    if min(size) < 1:
        raise ValueError(f"{op}: kernel {kernel} is larger than the padded input of {x.shape}")
    return x, kernel, stride, padding


def _shape_of(v) -> tuple:
    return tuple(np.shape(v.data if isinstance(v, Tensor) else v))


def _array(v) -> np.ndarray:
    return v.data if isinstance(v, Tensor) else v


def _lift_param(v, default: np.ndarray) -> Tensor:
    return _leaf(default, False) if v is None else _tensor(v, "batch_norm", "weight/bias")
