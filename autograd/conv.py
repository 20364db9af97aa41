"""Convolutional-network ops on Tensors: convolution, pooling, padding, joining, dropout, batch
norm.

Every primitive is a `TensorOp` (name, forward, one VJP per input) whose numeric work is a plain
numpy function below, named for what it computes; the public functions at the end check their
arguments, then build the node. Arrays are NCHW, as in PyTorch.

Convolution is im2col: a strided view of the padded input holds every kernel-sized window
without copying (`sliding_window_view`); one reshape copies the windows into a matrix of
columns, and one matrix product with the flattened kernels gives every output pixel of every
sample. Its two VJPs are convolutions themselves: the input's gradient is a transposed
convolution of the output's gradient (`conv2d_input_grad`, a scatter of the columns back onto the
input, one strided add per kernel offset, never a loop over pixels or samples), which is exactly
`conv_transpose2d`'s forward; the kernel's gradient is the output's gradient times the columns.

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

import functools
import itertools
import numbers
from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .tensor import Tensor, TensorOp, _apply, _axis, _leaf

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

Pair = tuple[int, int]


# -------------------------------------------------------------------- windows (im2col)


def offsets(kernel: Pair, stride: Pair, dilation: Pair, out_size: Pair):
    """For each kernel offset (i, j), row-major, the strided slices of the padded input that it
    meets across all output pixels: output (h, w) sees input (s h + d i, s w + d j)."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_size
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
        for j in range(kw):
            yield i, j, rows, slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)


def pad_spatial(x: np.ndarray, padding: Pair, value: float = 0.0) -> np.ndarray:
    """x with `padding` rows and columns of `value` on each side of its two spatial axes."""
    ph, pw = padding
    if not ph and not pw:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def crop_spatial(x: np.ndarray, padding: Pair) -> np.ndarray:
    """The inverse of `pad_spatial`: drop `padding` rows and columns on each side."""
    ph, pw = padding
    return x[:, :, ph : x.shape[2] - ph, pw : x.shape[3] - pw]


def im2col(
    x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> np.ndarray:
    """The columns of a convolution: (groups, N * Ho * Wo, kh * kw * C/groups), one row per output
    pixel holding its receptive field (offset-major, channels innermost, so that a channels-last
    input is read in runs). The one copy of im2col: a strided view of every window
    (`sliding_window_view`, no copy), then one reshape copies it into rows."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)  # the window's extent with dilation
    view = sliding_window_view(pad_spatial(x, padding), span, axis=(2, 3))
    view = view[:, :, ::sh, ::sw, ::dh, ::dw]  # (N, C, Ho, Wo, kh, kw)
    n, c, ho, wo = view.shape[:4]
    rows = view.transpose(0, 2, 3, 4, 5, 1)  # (N, Ho, Wo, kh, kw, C)
    if groups == 1:
        return rows.reshape(1, n * ho * wo, kh * kw * c)
    rows = rows.reshape(n * ho * wo, kh * kw, groups, c // groups).transpose(2, 0, 1, 3)
    return rows.reshape(groups, n * ho * wo, -1)


def scatter_windows(
    dcols: np.ndarray, shape: tuple, kernel: Pair, stride: Pair, dilation: Pair
) -> np.ndarray:
    """The adjoint of im2col: add each kernel offset's entries, `dcols[k]` of shape
    (N, Ho, Wo, C) for offset k = i * kw + j, back onto an array of padded NCHW `shape` (laid
    out channels-last in memory), overlapping windows summing: one strided add of a whole block
    per kernel offset. Offset-major blocks keep both sides of each add in long contiguous runs
    (the (Wo, C) rows), several times faster than slicing an (N, Ho, Wo, kh, kw, C) array."""
    n, c, h, w = shape
    out = np.zeros((n, h, w, c), dtype=dcols.dtype)
    kw = kernel[1]
    for i, j, rows, cols in offsets(kernel, stride, dilation, dcols.shape[2:4]):
        out[:, rows, cols] += dcols[i * kw + j]
    return out.transpose(0, 3, 1, 2)


def _kernel_matrix(w: np.ndarray, groups: int) -> np.ndarray:
    """Kernels (O, C/g, kh, kw) as (g, O/g, kh * kw * C/g) matrices, in im2col's column order."""
    o, cg, kh, kw = w.shape
    return (
        w.reshape(groups, o // groups, cg, kh, kw)
        .transpose(0, 1, 3, 4, 2)
        .reshape(groups, o // groups, -1)
    )


def _rows(g: np.ndarray, groups: int) -> np.ndarray:
    """An output gradient (N, O, Ho, Wo) as (g, N * Ho * Wo, O/g): one row per output pixel
    (free when g is channels-last in memory, as conv2d's outputs are)."""
    o = g.shape[1]
    return g.transpose(0, 2, 3, 1).reshape(-1, groups, o // groups).transpose(1, 0, 2)


# -------------------------------------------------------------------- convolution kernels


def conv2d_forward(x, w, b, stride, padding, dilation, groups):
    """y[n, o] = b[o] + sum_{c, i, j} w[o, c, i, j] x_pad[n, c, s*h + d*i, s*w + d*j] (c in o's
    group), as im2col then one matrix product (batched over groups). Saves the columns."""
    n = x.shape[0]
    o, _, kh, kw = w.shape
    cols = im2col(x, (kh, kw), stride, padding, dilation, groups)
    out = np.matmul(cols, _kernel_matrix(w, groups).transpose(0, 2, 1))  # (g, N Ho Wo, O/g)
    out = out[0] if groups == 1 else out.transpose(1, 0, 2).reshape(-1, o)
    out += b
    ho, wo = _out_size(x.shape[2:], (kh, kw), stride, padding, dilation)
    # NCHW shape, channels-last memory: no copy, and the next im2col reads channels in runs.
    return out.reshape(n, ho, wo, o).transpose(0, 3, 1, 2), cols


def conv2d_input_grad(g, w, size, stride, padding, dilation, groups):
    """d<g, conv2d(x, w)>/dx for an input of spatial `size`: for each kernel offset, the output
    gradient times that offset's kernel slice (one batched matrix product), scattered back onto
    the padded input and cropped. This is conv_transpose2d(g, w)."""
    n, _, ho, wo = g.shape
    o, cg, kh, kw = w.shape
    per_offset = w.reshape(groups, o // groups, cg, kh * kw).transpose(3, 0, 1, 2)
    dcols = np.matmul(_rows(g, groups)[None], per_offset)  # (kh kw, g, N Ho Wo, C/g)
    dcols = dcols.transpose(0, 2, 1, 3).reshape(kh * kw, n, ho, wo, groups * cg)
    padded = (n, cg * groups, size[0] + 2 * padding[0], size[1] + 2 * padding[1])
    return crop_spatial(scatter_windows(dcols, padded, (kh, kw), stride, dilation), padding)


def conv2d_weight_grad(cols, g, w_shape, groups):
    """d<g, conv2d(x, w)>/dw from x's columns: (output gradient rows)^T @ columns, per group."""
    o, cg, kh, kw = w_shape
    dw = np.matmul(_rows(g, groups).transpose(0, 2, 1), cols)  # (g, O/g, kh kw C/g)
    return dw.reshape(o, kh, kw, cg).transpose(0, 3, 1, 2)


def conv2d_bias_grad(g):
    """d<g, conv2d(x, w) + b>/db: the output gradient summed over samples and pixels."""
    return g.sum(axis=(0, 2, 3))


CONV2D = TensorOp(
    "conv2d",
    conv2d_forward,
    lambda g, y, x, w, b, s, p, d, groups, cols: conv2d_input_grad(
        g, w, x.shape[2:], s, p, d, groups
    ),
    lambda g, y, x, w, b, s, p, d, groups, cols: conv2d_weight_grad(cols, g, w.shape, groups),
    lambda g, y, x, w, b, s, p, d, groups, cols: conv2d_bias_grad(g),
    saves=True,
)


def conv_transpose2d_forward(x, w, b, size, stride, padding, dilation, groups):
    """The transposed convolution: the input-gradient of a conv2d whose output is x, with kernel
    w (C_in, C_out/g, kh, kw), onto an output of spatial `size` (plus the bias)."""
    out = conv2d_input_grad(x, w, size, stride, padding, dilation, groups)
    return out + b[:, None, None]


CONV_TRANSPOSE2D = TensorOp(
    "conv_transpose2d",
    conv_transpose2d_forward,
    # Its adjoint is the convolution; its kernel gradient is conv2d's with the roles swapped.
    lambda g, y, x, w, b, size, s, p, d, groups: conv2d_forward(
        g, w, np.zeros(w.shape[0], g.dtype), s, p, d, groups
    )[0],
    lambda g, y, x, w, b, size, s, p, d, groups: conv2d_weight_grad(
        im2col(g, w.shape[2:], s, p, d, groups), x, w.shape, groups
    ),
    lambda g, y, x, w, b, size, s, p, d, groups: conv2d_bias_grad(g),
)


# -------------------------------------------------------------------- pooling kernels
# Pooling reduces over the kernel offsets: one strided slice of the padded input per offset,
# combined elementwise (kh * kw whole-array operations, no window copies).


def max_pool2d_forward(x, kernel, stride, padding):
    """The max of each window; padding is -inf, so never the max. NaN wins, as in torch."""
    xp = pad_spatial(x, padding, -np.inf)
    out = None
    for _, _, rows, cols in offsets(kernel, stride, (1, 1), _pool_size(x, kernel, stride, padding)):
        part = xp[:, :, rows, cols]
        out = part.copy() if out is None else np.maximum(out, part, out=out)
    return out


def max_pool2d_grad(g, y, x, kernel, stride, padding):
    """Each output gradient to its window's first maximum in row-major order (torch's choice
    among ties): offsets are visited in that order and a window, once taken, takes no more.
    Recomputing the masks from x and y costs less than saving an argmax in the forward pass."""
    xp = pad_spatial(x, padding, -np.inf)
    grad = np.zeros_like(xp, dtype=g.dtype)  # x's memory layout, as the next VJPs read it
    nan = bool(np.isnan(y).any())  # where the max is NaN, the first NaN takes the gradient
    overlapping = stride[0] < kernel[0] or stride[1] < kernel[1]
    taken = None
    for _, _, rows, cols in offsets(kernel, stride, (1, 1), y.shape[2:]):
        part = xp[:, :, rows, cols]
        hit = np.equal(part, y)
        if nan:
            hit |= np.isnan(part)
        if taken is None:
            taken = hit
        else:
            np.greater(hit, taken, out=hit)  # hit and not yet taken
            taken |= hit
        if overlapping:
            grad[:, :, rows, cols] += g * hit
        else:  # each input entry is in one window only
            np.multiply(g, hit, out=grad[:, :, rows, cols])
    return crop_spatial(grad, padding)


def avg_pool2d_divisor(shape, kernel, stride, padding, count_include_pad):
    """How many entries each window averages: kh * kw, or only the unpadded ones."""
    if count_include_pad or not any(padding):
        return kernel[0] * kernel[1]
    ones = np.ones((1, 1, *shape[2:]))
    return avg_pool2d_forward(ones, kernel, stride, padding, 1)[0, 0]


def avg_pool2d_forward(x, kernel, stride, padding, divisor):
    """The mean of each window (padding counts as zeros; `divisor` entries per window)."""
    xp = pad_spatial(x, padding)
    out = None
    for _, _, rows, cols in offsets(kernel, stride, (1, 1), _pool_size(x, kernel, stride, padding)):
        part = xp[:, :, rows, cols]
        out = part.copy() if out is None else np.add(out, part, out=out)
    out /= np.asarray(divisor, dtype=x.dtype)
    return out


def avg_pool2d_grad(g, x, kernel, stride, padding, divisor):
    """Each output gradient, divided by the divisor, to every entry of its window."""
    share = g / np.asarray(divisor, dtype=g.dtype)
    grad = np.zeros(pad_spatial(x, padding).shape, g.dtype)
    for _, _, rows, cols in offsets(kernel, stride, (1, 1), g.shape[2:]):
        grad[:, :, rows, cols] += share
    return crop_spatial(grad, padding)


def _pool_size(x, kernel, stride, padding) -> Pair:
    return _out_size(x.shape[2:], kernel, stride, padding, (1, 1))


MAX_POOL2D = TensorOp(
    "max_pool2d",
    max_pool2d_forward,
    lambda g, y, x, k, s, p: max_pool2d_grad(g, y, x, k, s, p),
)
AVG_POOL2D = TensorOp(
    "avg_pool2d",
    avg_pool2d_forward,
    lambda g, y, x, k, s, p, divisor: avg_pool2d_grad(g, x, k, s, p, divisor),
)


# -------------------------------------------------------------------- shape kernels


def pad_forward(x, widths, value):
    """x with `widths[i] = (before, after)` entries of `value` around axis i."""
    return np.pad(x, widths, constant_values=value)


def pad_grad(g, widths):
    """The padded gradient with the padding cut away again."""
    return g[tuple(slice(lo, n - hi) for (lo, hi), n in zip(widths, g.shape))]


PAD = TensorOp("pad", pad_forward, lambda g, y, x, widths, value: pad_grad(g, widths))


def concatenate_grad(g, sizes, axis, i):
    """The part of the joined gradient that came from input i (sizes along `axis`)."""
    start = sum(sizes[:i])
    index = [slice(None)] * g.ndim
    index[axis] = slice(start, start + sizes[i])
    return g[tuple(index)]


@functools.cache
def _concatenate_op(arity: int) -> TensorOp:
    """The concatenation of `arity` inputs: one VJP per input, each slicing its part out."""

    def vjp(i):
        return lambda g, y, *rest: concatenate_grad(g, rest[-2], rest[-1], i)

    forward = lambda *rest: np.concatenate(rest[:-2], axis=rest[-1])
    return TensorOp("concatenate", forward, *[vjp(i) for i in range(arity)])


def batch_norm_forward(x, w, b, axes, mean, inv_std):
    """(x - mean) * inv_std * w + b with the batch's statistics; saves the normalised x."""
    xhat = (x - mean) * inv_std
    return xhat * _channels(w, x.ndim) + _channels(b, x.ndim), xhat


def batch_norm_input_grad(g, w, axes, inv_std, xhat):
    """d/dx through the normalisation, the statistics included: with gh = g * w,
    dx = inv_std * (gh - mean(gh) - xhat * mean(gh * xhat)), means over the batch axes."""
    gh = g * _channels(w, g.ndim)
    return inv_std * (
        gh - gh.mean(axis=axes, keepdims=True) - xhat * (gh * xhat).mean(axis=axes, keepdims=True)
    )


def _channels(v, ndim):
    """A per-channel vector (C,) shaped to broadcast against (N, C, ...)."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


BATCH_NORM = TensorOp(
    "batch_norm",
    batch_norm_forward,
    lambda g, y, x, w, b, axes, m, s, xhat: batch_norm_input_grad(g, w, axes, s, xhat),
    lambda g, y, x, w, b, axes, m, s, xhat: (g * xhat).sum(axis=axes),
    lambda g, y, x, w, b, axes, m, s, xhat: g.sum(axis=axes),
    saves=True,
)


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
    size = _out_size(x.shape[2:], weight.shape[2:], stride, padding, dilation)
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
    for e, s in zip(extra, stride):
        if e >= s:
            raise ValueError(
                f"conv_transpose2d: output_padding {extra} must be smaller than stride {stride}"
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
    count_include_pad: bool = True,
) -> Tensor:
    """The mean of each kernel window of x (N, C, H, W); padded zeros count unless
    `count_include_pad=False` (both as torch)."""
    x, kernel, stride, padding = _pool_args("avg_pool2d", x, kernel_size, stride, padding)
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
    if not isinstance(value, numbers.Real):
        raise TypeError(f"pad: value must be a number, got {type(value).__name__}")
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
    return _apply(_concatenate_op(len(tensors)), tuple(tensors), sizes, axis)


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
    if isinstance(sections, numbers.Integral):
        if sections < 1 or n % sections:
            raise ValueError(f"split: axis {axis} of length {n} does not split into {sections}")
        cuts = list(range(0, n + 1, n // sections))
    else:
        cuts = [0, *(int(i) for i in sections), n]
        if any(a > b for a, b in itertools.pairwise(cuts)):
            raise ValueError(f"split: indices {list(sections)} must be sorted within [0, {n}]")
    lead = (slice(None),) * axis
    return [x[(*lead, slice(a, b))] for a, b in itertools.pairwise(cuts)]


def flatten(x: Tensor, start_axis: int = 1, end_axis: int = -1) -> Tensor:
    """x with axes start_axis..end_axis merged into one (a reshape); by default every axis but
    the batch axis, as torch.flatten(x, 1) before a fully connected layer."""
    x = _tensor(x, "flatten", "x")
    start = _axis(start_axis, x.shape, "flatten")
    end = _axis(end_axis, x.shape, "flatten")
    if end < start:
        raise ValueError(f"flatten: end_axis {end_axis} comes before start_axis {start_axis}")
    return x.reshape((*x.shape[:start], -1, *x.shape[end + 1 :]))


def dropout(
    x: Tensor, p: float = 0.5, training: bool = True, rng: int | np.random.Generator | None = None
) -> Tensor:
    """Inverted dropout: in training each entry is zeroed with probability p and the survivors
    are scaled by 1 / (1 - p), so the expectation is unchanged; in eval, x itself. `rng` is a
    seed or a Generator (pass one Generator to draw a fresh mask each call)."""
    x = _tensor(x, "dropout", "x")
    if not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be a probability in [0, 1], got {p!r}")
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
    for name, v in (("running_mean", running_mean), ("running_var", running_var)):
        if v is not None and _shape_of(v) != (c,):
            raise ValueError(f"batch_norm: {name} must have shape ({c},), got {_shape_of(v)}")
    if not isinstance(momentum, numbers.Real) or not 0.0 <= momentum <= 1.0:
        raise ValueError(f"batch_norm: momentum must be in [0, 1], got {momentum!r}")
    if not isinstance(eps, numbers.Real) or eps <= 0:
        raise ValueError(f"batch_norm: eps must be a number > 0, got {eps!r}")
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
    mean = x.data.mean(axis=axes, keepdims=True)
    var = x.data.var(axis=axes, keepdims=True)
    if running_mean is not None:
        stats = _array(running_mean)
        stats *= 1.0 - momentum
        stats += momentum * mean.reshape(c)
    if running_var is not None:
        stats = _array(running_var)
        stats *= 1.0 - momentum
        stats += momentum * var.reshape(c) * (count / (count - 1))
    inv_std = 1.0 / np.sqrt(var + eps)
    return _apply(BATCH_NORM, (x, weight, bias), axes, mean, inv_std.astype(x.dtype))


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


def _positive(op: str, name: str, n) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"{op}: {name} must be a positive int, got {n!r}")
    return int(n)


def _pair(op: str, name: str, value, minimum: int = 1) -> Pair:
    """An int or a pair of ints (height, width), each >= minimum."""
    pair = (value, value) if isinstance(value, numbers.Integral) else tuple(value)
    if len(pair) != 2 or not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= minimum for v in pair
    ):
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


def _out_size(size, kernel, stride, padding, dilation) -> Pair:
    return tuple(
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, s, p, d in zip(size, kernel, stride, padding, dilation)
    )


def _check_conv(op: str, x: Tensor, w: Tensor, groups: int, in_axis: int) -> None:
    """x is (N, C, H, W), w 4-D, and C matches w's input-channel axis given `groups`."""
    if x.ndim != 4:
        raise ValueError(f"{op}: x must be 4-D (N, C, H, W), got shape {x.shape}")
    if w.ndim != 4:
        raise ValueError(f"{op}: weight must be 4-D, got shape {w.shape}")
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
    size = _out_size(x.shape[2:], kernel, stride, padding, (1, 1))
    if min(size) < 1:
        raise ValueError(f"{op}: kernel {kernel} is larger than the padded input of {x.shape}")
    return x, kernel, stride, padding


def _shape_of(v) -> tuple:
    return tuple(np.shape(v.data if isinstance(v, Tensor) else v))


def _array(v) -> np.ndarray:
    return v.data if isinstance(v, Tensor) else v


def _lift_param(v, default: np.ndarray) -> Tensor:
    return _leaf(default, False) if v is None else _tensor(v, "batch_norm", "weight/bias")
