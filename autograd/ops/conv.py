"""Convolutional-network ops: convolution, pooling, padding, concatenation, batch norm.

Each is a tensor-only registry entry (no scalar form) whose numeric work is a plain numpy kernel
below, named for what it computes; `autograd.conv` checks the user's arguments, then applies the
entry. Arrays are NCHW, as in PyTorch.

Convolution is im2col: a strided view of the padded input holds every kernel-sized window
without copying (`sliding_window_view`); one reshape copies the windows into a matrix of
columns, and one matrix product with the flattened kernels gives every output pixel of every
sample. Its two VJPs are convolutions themselves: the input's gradient is a transposed
convolution of the output's gradient (`conv2d_input_grad`, a scatter of the columns back onto the
input, one strided add per kernel offset, never a loop over pixels or samples), which is exactly
`conv_transpose2d`'s forward; the kernel's gradient is the output's gradient times the columns.

The VJPs of convolution, pooling and batch norm are numpy kernels on data, so those entries are
`first_order`: `create_graph` refuses them by name. Padding and concatenation slice the gradient,
which runs on Tensors too: they differentiate to any order.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .core import Op, register

__all__ = [
    "AVG_POOL2D",
    "BATCH_NORM",
    "CONCATENATE",
    "CONV2D",
    "CONV_TRANSPOSE2D",
    "MAX_POOL2D",
    "PAD",
    "Pair",
    "avg_pool2d_divisor",
    "out_size",
]

Pair = tuple[int, int]


# -------------------------------------------------------------------- formulas for explain
# Each renders with a style `s` of `autograd.explain` (plain text or LaTeX); `p` holds the
# entry's parameters (empty when a bare formula is asked for), `shapes` the inputs' shapes.


def _pair_text(pair) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"({pair[0]},{pair[1]})"


def _window_kws(s, names, values, defaults) -> list:
    """The non-default window parameters as keywords: stride=2, padding=1."""
    return [
        s.kw(name, _pair_text(v) if isinstance(v, tuple) else str(v))
        for name, v, default in zip(names, values, defaults)
        if v != default
    ]


def _conv_kws(s, p) -> list:
    return _window_kws(
        s, ("stride", "padding", "dilation", "groups"), p, ((1, 1), (0, 0), (1, 1), 1)
    )


def _slide(s, p) -> str:
    """The input index an output pixel (h, w) meets at kernel offset (i, j): s h + d i."""
    (sh, sw), (dh, dw) = p[0], p[2]

    def term(stride, out, dilation, k):
        return f"{stride if stride != 1 else ''}{out}+{dilation if dilation != 1 else ''}{k}"

    return f"{term(sh, 'h', dh, 'i')},{term(sw, 'w', dw, 'j')}"


def _padded(s, x, padding) -> str:
    return s.call("pad", x) if any(padding) else x


def _conv2d_vjp_formulas(s, xs, out, g, p, shapes) -> list:
    x, w, _ = xs
    where = s.text(" (c in the group of o)") if p[3] != 1 else ""
    return [
        s.call("conv_transpose2d", g, w, *_conv_kws(s, p)),
        s.sigma(
            "n,h,w",
            s.times.join((s.sub(g, "n,o,h,w"), s.sub(_padded(s, x, p[1]), f"n,c,{_slide(s, p)}"))),
        )
        + where,
        s.call("sum", g, s.kw("axis", "(0,2,3)")),
    ]


def _conv_transpose2d_vjp_formulas(s, xs, out, g, p, shapes) -> list:
    x, w, _ = xs
    p = p[1:]  # after the output size: stride, padding, dilation, groups
    return [
        s.call("conv2d", g, w, *_conv_kws(s, p)),
        s.sigma(
            "n,h,w",
            s.times.join((s.sub(x, "n,c,h,w"), s.sub(_padded(s, g, p[1]), f"n,o,{_slide(s, p)}"))),
        ),
        s.call("sum", g, s.kw("axis", "(0,2,3)")),
    ]


def _pool_kws(s, p) -> list:
    return _window_kws(s, ("kernel", "stride", "padding"), p[:3], (None, None, (0, 0)))


def _max_pool2d_vjp_formulas(s, xs, out, g, p, shapes) -> list:
    return [
        f"{s.text('each')} {s.sub(g, 'n,c,h,w')} "
        f"{s.text('to the first maximum of its window in')} {xs[0]}"
    ]


def _avg_pool2d_vjp_formulas(s, xs, out, g, p, shapes) -> list:
    divisor = p[3]
    # count_include_pad=False: each window's own count of unpadded entries
    count = str(divisor) if np.ndim(divisor) == 0 else s.call("count", s.text("unpadded"))
    share = s.frac(s.sub(g, "n,c,h,w"), count)
    return [f"{s.text('each')} {share} {s.text('to every entry of its window')}"]


def _pad_kws(s, p) -> list:
    if not p:
        return []
    widths, value = p
    return [s.kw("widths", str(tuple(tuple(w) for w in widths))), s.kw("value", s.num(value))]


def _pad_vjp_formulas(s, xs, out, g, p, shapes) -> list:
    widths = p[0]
    return [s.at(g, tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, shapes[0])))]


def _concatenate_vjp_formulas(s, xs, out, g, p, shapes) -> list:
    _, sizes, axis = p
    parts = []
    for i in range(len(xs)):
        index = [slice(None)] * len(shapes[i])
        index[axis] = slice(sum(sizes[:i]), sum(sizes[: i + 1]))
        parts.append(s.at(g, tuple(index)))
    return parts


def _batch_norm_vjp_formulas(s, xs, out, g, p, shapes) -> list:
    x, w, _ = xs
    axes = s.kw("axis", s.axes(p[0]))
    gh, xh = s.hat("g"), s.hat(x)

    def mean(v):
        return s.call("mean", v, axes)

    sigma = s.call("sqrt", f"{s.call('var', x, axes)} + {s.num(p[1])}")
    return [
        s.frac(f"{gh} - {mean(gh)} - {xh}{s.odot}{mean(gh + s.odot + xh)}", sigma)
        + s.text(", where ")
        + f"{gh} = {g}{s.odot}{w}, {xh} = {s.frac(f'{x} - {mean(x)}', sigma)}",
        s.call("sum", g + s.odot + xh, axes),
        s.call("sum", g, axes),
    ]


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
    ho, wo = out_size(x.shape[2:], (kh, kw), stride, padding, dilation)
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


CONV2D = register(
    Op(
        "conv2d",
        3,
        array=conv2d_forward,
        vjps=(
            lambda g, y, x, w, b, s, p, d, groups, cols: conv2d_input_grad(
                g, w, x.shape[2:], s, p, d, groups
            ),
            lambda g, y, x, w, b, s, p, d, groups, cols: conv2d_weight_grad(
                cols, g, w.shape, groups
            ),
            lambda g, y, x, w, b, s, p, d, groups, cols: conv2d_bias_grad(g),
        ),
        formula=lambda s, xs, p: s.call("conv2d", *xs, *_conv_kws(s, p[:4]) if p else ()),
        vjp_formulas=_conv2d_vjp_formulas,
        params=("stride", "padding", "dilation", "groups"),
        saves=True,  # the columns (im2col of x): the kernel's gradient reuses them
        first_order=True,
    )
)


def conv_transpose2d_forward(x, w, b, size, stride, padding, dilation, groups):
    """The transposed convolution: the input-gradient of a conv2d whose output is x, with kernel
    w (C_in, C_out/g, kh, kw), onto an output of spatial `size` (plus the bias)."""
    out = conv2d_input_grad(x, w, size, stride, padding, dilation, groups)
    return out + b[:, None, None]


CONV_TRANSPOSE2D = register(
    Op(
        "conv_transpose2d",
        3,
        array=conv_transpose2d_forward,
        # Its adjoint is the convolution; its kernel gradient is conv2d's with the roles swapped.
        vjps=(
            lambda g, y, x, w, b, size, s, p, d, groups: conv2d_forward(
                g, w, np.zeros(w.shape[0], g.dtype), s, p, d, groups
            )[0],
            lambda g, y, x, w, b, size, s, p, d, groups: conv2d_weight_grad(
                im2col(g, w.shape[2:], s, p, d, groups), x, w.shape, groups
            ),
            lambda g, y, x, w, b, size, s, p, d, groups: conv2d_bias_grad(g),
        ),
        formula=lambda s, xs, p: s.call("conv_transpose2d", *xs, *_conv_kws(s, p[1:]) if p else ()),
        vjp_formulas=_conv_transpose2d_vjp_formulas,
        params=("size", "stride", "padding", "dilation", "groups"),
        first_order=True,
    )
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
    return out_size(x.shape[2:], kernel, stride, padding, (1, 1))


MAX_POOL2D = register(
    Op(
        "max_pool2d",
        1,
        array=max_pool2d_forward,
        vjps=(max_pool2d_grad,),
        formula=lambda s, xs, p: s.call("max_pool2d", *xs, *_pool_kws(s, p) if p else ()),
        vjp_formulas=_max_pool2d_vjp_formulas,
        params=("kernel", "stride", "padding"),
        first_order=True,
    )
)
AVG_POOL2D = register(
    Op(
        "avg_pool2d",
        1,
        array=avg_pool2d_forward,
        vjps=(lambda g, y, x, k, s, p, divisor: avg_pool2d_grad(g, x, k, s, p, divisor),),
        formula=lambda s, xs, p: s.call("avg_pool2d", *xs, *_pool_kws(s, p) if p else ()),
        vjp_formulas=_avg_pool2d_vjp_formulas,
        params=("kernel", "stride", "padding", "divisor"),
        first_order=True,
    )
)


# -------------------------------------------------------------------- shape kernels


def pad_forward(x, widths, value):
    """x with `widths[i] = (before, after)` entries of `value` around axis i."""
    return np.pad(x, widths, constant_values=value)


def pad_grad(g, widths):
    """The padded gradient with the padding cut away again."""
    return g[tuple(slice(lo, n - hi) for (lo, hi), n in zip(widths, g.shape))]


PAD = register(
    Op(
        "pad",
        1,
        array=pad_forward,
        vjps=(lambda g, y, x, widths, value: pad_grad(g, widths),),  # a slice: any order
        formula=lambda s, xs, p: s.call("pad", *xs, *_pad_kws(s, p)),
        vjp_formulas=_pad_vjp_formulas,  # the padding cut away
        params=("widths", "value"),
    )
)


def concatenate_grad(g, sizes, axis, i):
    """The part of the joined gradient that came from input i (sizes along `axis`)."""
    start = sum(sizes[:i])
    index = [slice(None)] * g.ndim
    index[axis] = slice(start, start + sizes[i])
    return g[tuple(index)]


def _bind_concatenate(bound: Op, n: int) -> None:
    # One VJP per input, each slicing its part out of the joined gradient (any order).
    bound.arity = n
    bound.vjps = tuple(
        (lambda g, y, *rest, i=i: concatenate_grad(g, rest[-2], rest[-1], i)) for i in range(n)
    )


# Variadic: `CONCATENATE.bind(n)` is the entry for n inputs (its parameter `n` a field); a node
# keeps the input sizes along `axis` and the axis in its args.
CONCATENATE = register(
    Op(
        "concatenate",
        None,
        array=lambda *rest: np.concatenate(rest[:-3], axis=rest[-1]),  # rest: n, sizes, axis
        vjps=(),
        formula=lambda s, xs, p: s.call("concatenate", *xs, *[s.kw("axis", str(a)) for a in p[2:]]),
        vjp_formulas=_concatenate_vjp_formulas,  # each input its slice of g
        params=("n",),
    ),
    binder=_bind_concatenate,
)


def batch_norm_forward(x, w, b, axes, eps):
    """(x - mean) / sqrt(var + eps) * w + b with the batch's mean and biased variance over `axes`
    (a function of x alone, as its VJP assumes); saves the normalised x and 1 / sqrt(var + eps)."""
    mean = x.mean(axis=axes, keepdims=True)
    inv_std = (1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)).astype(x.dtype)
    xhat = (x - mean) * inv_std
    return xhat * _channels(w, x.ndim) + _channels(b, x.ndim), (xhat, inv_std)


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


BATCH_NORM = register(
    Op(
        "batch_norm",
        3,
        array=batch_norm_forward,
        vjps=(
            lambda g, y, x, w, b, axes, eps, saved: batch_norm_input_grad(
                g, w, axes, saved[1], saved[0]
            ),
            lambda g, y, x, w, b, axes, eps, saved: (g * saved[0]).sum(axis=axes),
            lambda g, y, x, w, b, axes, eps, saved: g.sum(axis=axes),
        ),
        formula=lambda s, xs, p: s.call("batch_norm", *xs),
        vjp_formulas=_batch_norm_vjp_formulas,
        params=("axes", "eps"),
        saves=True,  # the normalised x and 1 / std, which the input's and weight's gradients reuse
        first_order=True,
    )
)


def out_size(size, kernel, stride, padding, dilation) -> Pair:
    return tuple(
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, s, p, d in zip(size, kernel, stride, padding, dilation)
    )
