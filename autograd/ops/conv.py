"""Convolutional-network ops: convolution, pooling, padding, concatenation, batch norm.

Each is a tensor-only registry entry (no scalar form) whose numeric work is a plain numpy kernel
below, named for what it computes; `autograd.conv` checks the user's arguments, then applies the
entry. Arrays are NCHW in shape, as in PyTorch (a convolution's output is channel-major in
memory under that shape: see `conv2d_forward`).

Convolution is im2col: strided views of the padded input hold every kernel-sized window
without copying (`as_strided`); two copies make them a matrix of columns
(`im2col` says why two), and one matrix product with the flattened kernels (blocked over
columns) gives every output pixel of every sample. Its two VJPs are convolutions themselves: the
input's gradient is a transposed convolution of the output's gradient (`conv2d_input_grad`: the
columns' gradient added back onto the input, a strided add per kernel row and column, or where
that is cheaper one product summing over output channels and kernel rows and a shifted add per
kernel column; never a loop over pixels or samples), which is exactly `conv_transpose2d`'s
forward; the kernel's gradient is the output's gradient times the columns.

The VJPs run numpy kernels on data (the first-order pass) and build ops on nodes (`create_graph`):
the convolutions' VJPs are convolutions, the pools' a `window_scatter` whose own VJP reads the
windows back, batch norm's the normalisation rebuilt from x. Padding and concatenation slice the
gradient, which runs on Tensors too. So every entry differentiates to any order.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .core import Op, apply, is_array, register

__all__ = [
    "AVG_POOL2D",
    "BATCH_NORM",
    "BLOCK",
    "CONCATENATE",
    "CONV2D",
    "CONV2D_WEIGHT",
    "CONV_TRANSPOSE2D",
    "MAX_POOL2D",
    "PAD",
    "WINDOW_SCATTER",
    "Pair",
    "avg_pool2d_divisor",
    "blocked_matmul",
    "blocked_matmul_t",
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
    n, c, h, w = x.shape
    out = _full((n, c, h + 2 * ph, w + 2 * pw), value, x.dtype, like=x)
    out[:, :, ph : ph + h, pw : pw + w] = x
    return out


def _full(shape, value, dtype, like) -> np.ndarray:
    """An NCHW array of `shape` filled with `value`, channel-major in memory when `like` is:
    elementwise work over arrays in differing memory orders runs 2-3x slower."""
    if like.strides[0] < like.strides[1]:  # channel-major, as a convolution's output
        return np.full((shape[1], shape[0], *shape[2:]), value, dtype).transpose(1, 0, 2, 3)
    return np.full(shape, value, dtype)


def crop_spatial(x: np.ndarray, padding: Pair) -> np.ndarray:
    """The inverse of `pad_spatial`: drop `padding` rows and columns on each side."""
    ph, pw = padding
    return x[:, :, ph : x.shape[2] - ph, pw : x.shape[3] - pw]


def im2col(
    x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> np.ndarray:
    """The columns of a convolution: (groups, C/groups * kh * kw, N * Ho * Wo), one column per
    output pixel holding its receptive field, rows in the kernel's own (c, i, j) order, so the
    flattened kernels multiply it as they are.

    The one copy of im2col, in two passes. First the kw horizontal shifts of the padded input's
    rows, (C, kw, N, H, Wo): a strided view of them, copied. Then their
    kh vertical shifts, (C, kh, kw, N, Ho, Wo): a strided view of the first copy, copied into the
    columns. At stride 1 the second copy reads whole Ho x Wo blocks where copying the windows at
    once reads runs of Wo: 0.27 against 0.43 ms (LeNet's first layer) and 0.30 against 0.64 ms
    (its second) at batch 64 (tests/test_conv.py checks it against the windows, copied at once).
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    xp = pad_spatial(x, padding)
    n, c, h = xp.shape[:3]
    ho, wo = out_size(x.shape[2:], kernel, stride, padding, dilation)
    # rows[c, j, n, h, w] = xp[n, c, h, sw w + dw j] (as_strided: 5 us a call against
    # sliding_window_view's 16, which checks and builds more)
    s0, s1, s2, s3 = xp.strides
    shifts = as_strided(xp, (c, kw, n, h, wo), (s1, s3 * dw, s0, s2, s3 * sw), writeable=False)
    rows = shifts.copy()  # (C, kw, N, H, Wo)
    sc, sj, sn, sh_, sw_ = rows.strides
    windows = as_strided(
        rows, (c, kh, kw, n, ho, wo), (sc, sh_ * dh, sj, sn, sh_ * sh, sw_), writeable=False
    )
    return windows.reshape(groups, c // groups * kh * kw, n * ho * wo)


def scatter_windows(
    dcols: np.ndarray, shape: tuple, kernel: Pair, stride: Pair, dilation: Pair
) -> np.ndarray:
    """The adjoint of im2col: add the columns `dcols` (C, kh, kw, N, Ho, Wo) back onto an array of
    padded NCHW `shape` (laid out channel-major, (C, N, H, W), in memory), overlapping windows
    summing. im2col's two passes backwards: kh strided adds of (C, kw, N, Ho, Wo) blocks onto the
    rows' shifts, then kw onto the input (0.54 against 0.80 ms for adding each kernel offset's
    block onto the input, LeNet's second layer at batch 64; tests/test_conv.py checks that it is
    im2col's adjoint)."""
    n, c, h, w = shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    ho, wo = dcols.shape[4:]
    rows = np.zeros((c, kw, n, h, wo), dcols.dtype)
    for i in range(kh):
        rows[:, :, :, dh * i : dh * i + sh * (ho - 1) + 1 : sh] += dcols[:, i]
    out = np.zeros((c, n, h, w), dcols.dtype)
    for j in range(kw):
        out[:, :, :, dw * j : dw * j + sw * (wo - 1) + 1 : sw] += rows[:, j]
    return out.transpose(1, 0, 2, 3)


def _rows(g: np.ndarray, groups: int) -> np.ndarray:
    """An output gradient (N, O, Ho, Wo) as (g, O/g, N * Ho * Wo): one row per output channel
    (free when g is channel-major in memory, as conv2d's outputs and their gradients are)."""
    o = g.shape[1]
    return g.transpose(1, 0, 2, 3).reshape(groups, o // groups, -1)


def _channel_major(out: np.ndarray, n: int, size: Pair) -> np.ndarray:
    """A matrix (O, N * Ho * Wo) as the NCHW array (N, O, Ho, Wo) it holds, without a copy."""
    return out.reshape(out.shape[0], n, *size).transpose(1, 0, 2, 3)


# -------------------------------------------------------------------- convolution kernels
# The products run over blocks of BLOCK columns (output pixels): a block of the columns stays in
# cache while it is used, and OpenBLAS keeps its threads for products that are worth them. One
# product over all N * Ho * Wo columns of a LeNet layer is 2-3x slower with one thread, and with
# two it can be 10x slower (benchmarks/lenet.py; the equality tests are in tests/test_conv.py).

BLOCK = 4096


def _column_blocks(m: int, block: int | None = None):
    """Slices covering range(m) in equal runs of at most `block` (default BLOCK) columns: 6,400
    as 3,200 twice, not 4,096 and 2,304 (2-7% faster products, LeNet's shapes)."""
    block = block or BLOCK
    step = -(-m // -(-m // block)) if m else block  # m over the number of blocks, rounded up
    return (slice(start, start + step) for start in range(0, m, step))


def blocked_matmul(a: np.ndarray, b: np.ndarray, block: int | None = None) -> np.ndarray:
    """a @ b for a (..., p, k) and b (..., k, m), one block of b's columns at a time."""
    out = np.empty((*a.shape[:-1], b.shape[-1]), np.result_type(a, b))
    for cols in _column_blocks(b.shape[-1], block):
        np.matmul(a, b[..., cols], out=out[..., cols])
    return out


def blocked_matmul_t(a: np.ndarray, b: np.ndarray, block: int | None = None) -> np.ndarray:
    """a @ b^T for a (..., p, m) and b (..., q, m) with m long: the sum over blocks of columns of
    the blocks' products, each made as b a^T and the sum transposed. OpenBLAS runs that order
    faster for the kernels' gradients: 0.30-0.33 against 0.57-0.77 ms for LeNet's second layer
    (16 x 6400 times 6400 x 150), the same for its first (interleaved, one process). The result
    is copied to C order, the kernels' own: an update mixing memory orders (p.data -= lr *
    p.grad) runs 2-10x slower."""
    if not a.shape[-1]:  # no columns (no samples): zeros
        return np.matmul(a, b.swapaxes(-1, -2))
    first, *rest = _column_blocks(a.shape[-1], block)
    out = np.matmul(b[..., first], a[..., first].swapaxes(-1, -2))
    for cols in rest:
        out += np.matmul(b[..., cols], a[..., cols].swapaxes(-1, -2))
    return np.ascontiguousarray(out.swapaxes(-1, -2))


def conv2d_forward(x, w, b, stride, padding, dilation, groups):
    """y[n, o] = b[o] + sum_{c, i, j} w[o, c, i, j] x_pad[n, c, s*h + d*i, s*w + d*j] (c in o's
    group), as im2col then one matrix product (batched over groups, blocked over columns), the
    flattened kernels on the left: the product is (O, N * Ho * Wo), so the output is NCHW in
    shape and channel-major in memory, which the next layer's im2col and the gradients read in
    long runs. Saves the columns."""
    o = w.shape[0]
    cols = im2col(x, w.shape[2:], stride, padding, dilation, groups)
    out = blocked_matmul(w.reshape(groups, o // groups, -1), cols).reshape(o, -1)
    if b.dtype == out.dtype:
        out += b[:, None]
    else:  # numpy's promotion, as everywhere: a float64 bias makes a float64 output
        out = out + b[:, None]
    size = out_size(x.shape[2:], w.shape[2:], stride, padding, dilation)
    return _channel_major(out, x.shape[0], size), cols


def conv2d_input_grad(g, w, size, stride, padding, dilation, groups):
    """d<g, conv2d(x, w)>/dx for an input of spatial `size`: conv_transpose2d(g, w). The
    columns' gradient added back onto the input (`_input_grad_by_columns`, any convolution), or
    each input row's sum taken in the product (`_input_grad_by_rows`, the same numbers but for
    rounding) where that product costs at most twice the columns' (vertical stride 1, the padded
    input at most twice the output's rows) and the kernels are finite: 0.95 against 1.28 ms a
    training step for LeNet's second layer, the two alternating step by step."""
    if stride[0] == 1 and size[0] + 2 * padding[0] <= 2 * g.shape[2] and np.isfinite(w).all():
        return _input_grad_by_rows(g, w, size, stride, padding, dilation, groups)
    return _input_grad_by_columns(g, w, size, stride, padding, dilation, groups)


def _input_grad_by_columns(g, w, size, stride, padding, dilation, groups):
    """The kernels transposed times the output gradient's rows (one batched matrix product) give
    the gradient of every column, which are added back onto the padded input (im2col's adjoint)
    and cropped."""
    o, cg, kh, kw = w.shape
    kernels = w.reshape(groups, o // groups, cg * kh * kw).transpose(0, 2, 1).copy()
    padded = (g.shape[0], cg * groups, size[0] + 2 * padding[0], size[1] + 2 * padding[1])
    dcols = blocked_matmul(kernels, _rows(g, groups))  # (g, C/g kh kw, N Ho Wo)
    dcols = dcols.reshape(groups * cg, kh, kw, *padded[:1], *g.shape[2:])
    return crop_spatial(scatter_windows(dcols, padded, (kh, kw), stride, dilation), padding)


def _input_grad_by_rows(g, w, size, stride, padding, dilation, groups):
    """The input gradient in two steps over whole blocks of memory, without the columns.

    First one matrix product (batched over groups) adds up, for every input row, what the kernel
    rows give it: x's row h gets g's row ho through kernel row i where h = s ho + d i, so g's rows,
    spread to their input rows and shifted down by d i for each i ("tall", a copy of g per kernel
    row), times the kernels give the sum over output channels and kernel rows at once, one row
    of the result per (input channel, kernel column). Then each kernel column's rows are added
    onto the input shifted right by s wo + d j, in (C, W, H, N) memory, where that shift moves
    whole H x N planes. The product spans all H input rows where the columns' spans Ho output
    rows, so it costs H / Ho times as much (1.4 for LeNet's second layer, whose columns' gradient
    is 3.6 times the product's result, and whose strided adds ran in runs of 10 floats); and the
    kernels meet the zeros of the spread rows, so a NaN or infinite weight would reach rows it
    never touches. Against the columns: 0.71-0.96 against 1.07-1.39 ms alone for that layer at
    batch 64 (tests/test_conv.py checks the two against each other)."""
    o, cg, kh, kw = w.shape
    n, _, ho, wo = g.shape
    (sh, sw), (dh, dw) = stride, dilation
    h, wd = size[0] + 2 * padding[0], size[1] + 2 * padding[1]  # the padded input's
    og, c, span = o // groups, cg * groups, dh * (kh - 1)
    dtype = np.result_type(g, w)
    spread = np.zeros((o, wo, span + h, n), dtype)  # g's row ho at span + s ho
    spread[:, :, span : span + sh * (ho - 1) + 1 : sh] = g.transpose(1, 3, 2, 0)
    tall = np.empty((o, kh, wo, h, n), dtype)  # [o, i, wo, h, n] = g[n, o, (h - d i)/s, wo]
    for i in range(kh):
        tall[:, i] = spread[:, :, span - dh * i : span - dh * i + h]
    kernels = w.reshape(groups, og, cg, kh, kw).transpose(0, 2, 4, 1, 3)
    kernels = kernels.reshape(groups, cg * kw, og * kh)  # rows (c, j), columns (o, i)
    rows = blocked_matmul(kernels, tall.reshape(groups, og * kh, -1)).reshape(c, kw, wo, h, n)
    out = np.zeros((c, wd, h, n), dtype)
    for j in range(kw):
        out[:, dw * j : dw * j + sw * (wo - 1) + 1 : sw] += rows[:, j]
    out = out[:, padding[1] : wd - padding[1], padding[0] : h - padding[0]]
    dx = np.empty((c, n, size[0], size[1]), dtype)  # channel-major, as conv2d's outputs
    dx[...] = out.transpose(0, 3, 2, 1)
    return dx.transpose(1, 0, 2, 3)


def conv2d_weight_grad(cols, g, w_shape, groups):
    """d<g, conv2d(x, w)>/dw from x's columns: output gradient rows @ columns^T, per group."""
    return blocked_matmul_t(_rows(g, groups), cols).reshape(w_shape)  # (g, O/g, C/g kh kw)


def conv2d_bias_grad(g):
    """d<g, conv2d(x, w) + b>/db: the output gradient summed over samples and pixels."""
    return g.sum(axis=(0, 2, 3))


# The VJPs of the convolutions are convolutions: conv2d, conv_transpose2d and conv2d_weight (the
# kernel gradient as an op of the input and the output gradient) are each other's adjoints. On
# data each VJP is a numpy kernel; on nodes (`create_graph`) it is one of these three ops, so the
# gradients differentiate again, to any order.


def _zero_bias(like, channels: int):
    """A bias of zeros: an array beside data, a constant node beside nodes."""
    zeros = np.zeros(channels, _dtype(like))
    return zeros if is_array(like) else type(like)(zeros, requires_grad=False)


def _dtype(x):
    return x.dtype if is_array(x) else x.data.dtype


def _convolve(x, w, stride, padding, dilation, groups):
    """conv2d(x, w) without a bias, on data or on nodes."""
    b = _zero_bias(x, w.shape[0])
    if is_array(x):
        return conv2d_forward(x, w, b, stride, padding, dilation, groups)[0]
    return apply(CONV2D, (x, w, b), stride, padding, dilation, groups)


def _transposed(g, w, size, stride, padding, dilation, groups):
    """conv_transpose2d(g, w) onto spatial `size` without a bias: d<g, conv2d(x, w)>/dx."""
    if is_array(g):
        return conv2d_input_grad(g, w, size, stride, padding, dilation, groups)
    b = _zero_bias(g, w.shape[1] * groups)
    return apply(CONV_TRANSPOSE2D, (g, w, b), size, stride, padding, dilation, groups)


def _kernel_grad(x, g, kernel, stride, padding, dilation, groups, cols=None):
    """d<g, conv2d(x, w)>/dw for kernels of spatial size `kernel`, from x's columns when saved."""
    if is_array(g):
        if cols is None:
            cols = im2col(x, kernel, stride, padding, dilation, groups)
        return conv2d_weight_grad(cols, g, (g.shape[1], x.shape[1] // groups, *kernel), groups)
    return apply(CONV2D_WEIGHT, (x, g), kernel, stride, padding, dilation, groups)


CONV2D = register(
    Op(
        "conv2d",
        3,
        array=conv2d_forward,
        vjps=(
            lambda g, y, x, w, b, s, p, d, groups, cols: _transposed(
                g, w, x.shape[2:], s, p, d, groups
            ),
            lambda g, y, x, w, b, s, p, d, groups, cols: _kernel_grad(
                x, g, w.shape[2:], s, p, d, groups, cols
            ),
            lambda g, y, x, w, b, s, p, d, groups, cols: conv2d_bias_grad(g),
        ),
        formula=lambda s, xs, p: s.call("conv2d", *xs, *_conv_kws(s, p[:4]) if p else ()),
        vjp_formulas=_conv2d_vjp_formulas,
        params=("stride", "padding", "dilation", "groups"),
        saves=True,  # the columns (im2col of x): the kernel's gradient reuses them
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
            lambda g, y, x, w, b, size, s, p, d, groups: _cropped(
                _convolve(g, w, s, p, d, groups), x.shape[2:]
            ),
            lambda g, y, x, w, b, size, s, p, d, groups: _kernel_grad(
                g, _extended(x, out_size(size, w.shape[2:], s, p, d)), w.shape[2:], s, p, d, groups
            ),
            lambda g, y, x, w, b, size, s, p, d, groups: conv2d_bias_grad(g),
        ),
        formula=lambda s, xs, p: s.call("conv_transpose2d", *xs, *_conv_kws(s, p[1:]) if p else ()),
        vjp_formulas=_conv_transpose2d_vjp_formulas,
        params=("size", "stride", "padding", "dilation", "groups"),
    )
)


# An output_padding of at least the stride (allowed below the dilation) adds rows and columns
# that no input entry reaches: the convolution of the gradient then covers more than x, and is
# cropped to it; for the kernel's gradient x is extended by zeros, which add nothing.


def _cropped(a, size: Pair):
    """a (N, C, H, W) cut to its first `size` rows and columns (itself when it has that size)."""
    return a if a.shape[2:] == tuple(size) else a[:, :, : size[0], : size[1]]


def _extended(a, size: Pair):
    """a (N, C, H, W) with zero rows and columns after its own up to `size`, on data or nodes."""
    widths = ((0, 0), (0, 0), (0, size[0] - a.shape[2]), (0, size[1] - a.shape[3]))
    if not any(widths[2] + widths[3]):
        return a
    return np.pad(a, widths) if is_array(a) else apply(PAD, (a,), widths, 0.0)


def _conv2d_weight_vjp_formulas(s, xs, out, g, p, shapes) -> list:
    x, gy = xs
    kws = _conv_kws(s, p[1:])
    return [s.call("conv_transpose2d", gy, g, *kws), s.call("conv2d", x, g, *kws)]


# d<G, dw(x, gy)>/dx and /dgy, where dw(x, gy) = d<gy, conv2d(x, w)>/dw is bilinear:
# <G, dw(x, gy)> = <gy, conv2d(x, G)>, so x's is the transposed convolution of gy by G and gy's
# the convolution of x by G.
CONV2D_WEIGHT = register(
    Op(
        "conv2d_weight",
        2,
        array=lambda x, gy, kernel, s, p, d, groups: _kernel_grad(x, gy, kernel, s, p, d, groups),
        vjps=(
            lambda g, y, x, gy, kernel, s, p, d, groups: _transposed(
                gy, g, x.shape[2:], s, p, d, groups
            ),
            lambda g, y, x, gy, kernel, s, p, d, groups: _convolve(x, g, s, p, d, groups),
        ),
        formula=lambda s, xs, p: s.call("conv2d_weight", *xs, *_conv_kws(s, p[1:]) if p else ()),
        vjp_formulas=_conv2d_weight_vjp_formulas,
        params=("kernel", "stride", "padding", "dilation", "groups"),
    )
)


# -------------------------------------------------------------------- pooling kernels
# Pooling reduces over the kernel offsets: one strided slice of the padded input per offset,
# combined elementwise (kh * kw whole-array operations, no window copies).


def max_pool2d_forward(x, kernel, stride, padding):
    """The max of each window; padding is -inf, so never the max. NaN wins, as in torch."""
    xp = pad_spatial(x, padding, -np.inf)
    size = _pool_size(x, kernel, stride, padding)
    parts = [xp[:, :, rows, cols] for _, _, rows, cols in offsets(kernel, stride, (1, 1), size)]
    if len(parts) == 1:
        return parts[0].copy(order="K")
    out = np.maximum(parts[0], parts[1])
    for part in parts[2:]:
        np.maximum(out, part, out=out)
    return out


def max_pool2d_grad(g, y, x, kernel, stride, padding):
    """Each output gradient to its window's first maximum in row-major order (torch's choice
    among ties). Recomputing the masks from x and y costs less than saving an argmax in the
    forward pass. Windows that tile the input write every entry of the gradient once, with no
    zeros first. g is first copied to y's memory order if it is in another: operations over
    slices of arrays in differing orders run twice as slow (LeNet's second pool, whose gradient
    comes from a flatten, N-major, while its input and output are channel-major: 0.49 against
    0.24 ms at batch 64, the copy included)."""
    if g.strides != y.strides:
        g = _copy_like(g, y)
    xp = pad_spatial(x, padding, -np.inf)
    tiled = (
        not any(padding)
        and stride == kernel
        and xp.shape[2:] == tuple(np.multiply(kernel, y.shape[2:]))
    )
    grad = (np.empty_like if tiled else np.zeros_like)(xp, dtype=g.dtype)  # x's memory layout
    overlapping = stride[0] < kernel[0] or stride[1] < kernel[1]
    for rows, cols, hit in _window_maxima(xp, y, kernel, stride, padding):
        if overlapping:
            grad[:, :, rows, cols] += g * hit
        else:  # each input entry is in one window at most
            np.multiply(g, hit, out=grad[:, :, rows, cols])
    return crop_spatial(grad, padding)


def _copy_like(a, like):
    """A copy of a in the memory order of `like`, an array of a's shape."""
    out = np.empty_like(like, dtype=a.dtype)
    np.copyto(out, a)
    return out


def _window_maxima(xp, y, kernel, stride, padding):
    """For each kernel offset in row-major order, its slices of the padded input and where it
    holds its window's maximum as torch picks it: the first in row-major order, or where the max
    is NaN the last NaN (torch's scan takes every NaN it meets); never a padded entry (a window
    whose real entries are all -inf ties with its -inf padding)."""
    windows = list(offsets(kernel, stride, (1, 1), y.shape[2:]))
    parts = [xp[:, :, rows, cols] for _, _, rows, cols in windows]
    hits = [np.equal(part, y) for part in parts]
    if any(padding) and np.isneginf(y).any():
        real = pad_spatial(np.ones((1, 1, *_unpadded(xp, padding)), bool), padding, False)
        for hit, (_, _, rows, cols) in zip(hits, windows):
            hit &= real[:, :, rows, cols]
    _keep_first(hits)
    nan = np.isnan(y)
    if nan.any():
        last_nans = _keep_first([np.isnan(part) for part in reversed(parts)])[::-1]
        hits = [np.where(nan, last, hit) for hit, last in zip(hits, last_nans)]
    return [(rows, cols, hit) for (_, _, rows, cols), hit in zip(windows, hits)]


def _keep_first(masks: list) -> list:
    """The masks, in place, each keeping only the entries that no earlier one holds."""
    taken = masks[0].copy(order="K")  # in their memory order: mixed orders run slower
    for k, hit in enumerate(masks[1:], 1):
        np.greater(hit, taken, out=hit)  # hit and not yet taken
        if k < len(masks) - 1:
            taken |= hit
    return masks


def _unpadded(xp, padding) -> Pair:
    return xp.shape[2] - 2 * padding[0], xp.shape[3] - 2 * padding[1]


def _max_pool2d_vjp(g, y, x, kernel, stride, padding):
    if is_array(g):
        return max_pool2d_grad(g, y, x, kernel, stride, padding)
    xp = pad_spatial(x.data, padding, -np.inf)
    masks = tuple(hit for _, _, hit in _window_maxima(xp, y.data, kernel, stride, padding))
    return apply(WINDOW_SCATTER, (g,), xp.shape, g.shape[2:], kernel, stride, padding, masks)


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
        out = part.copy(order="K") if out is None else np.add(out, part, out=out)
    out /= np.asarray(divisor, dtype=x.dtype)
    return out


def _avg_pool2d_vjp(g, y, x, kernel, stride, padding, divisor):
    """Each output gradient, divided by the divisor, to every entry of its window."""
    share = g / np.asarray(divisor, dtype=_dtype(g))
    shape = (*x.shape[:2], x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1])
    if is_array(g):
        return window_scatter(share, shape, g.shape[2:], kernel, stride, padding)
    return apply(WINDOW_SCATTER, (share,), shape, g.shape[2:], kernel, stride, padding, None)


def _pool_size(x, kernel, stride, padding) -> Pair:
    return out_size(x.shape[2:], kernel, stride, padding, (1, 1))


# The pools' VJPs on nodes (`create_graph`): both send each output gradient to its window, max
# times a weight per kernel offset (the first-maximum masks, constants), avg divided first.
# That is linear in the gradient, and its adjoint reads the windows back: an op whose VJP is
# built of padding, slicing and products, so the pools differentiate to any order.


def window_scatter(g, shape, size, kernel, stride, padding, weights=None):
    """Each entry of g (N, C, Ho, Wo), times its kernel offset's weight (without weights, as it
    is), added to the entries of its window in zeros of the padded `shape`, cropped."""
    grad = _full(shape, 0, g.dtype if weights is None else np.result_type(g, *weights), like=g)
    for k, (_, _, rows, cols) in enumerate(offsets(kernel, stride, (1, 1), size)):
        grad[:, :, rows, cols] += g if weights is None else g * weights[k]
    return crop_spatial(grad, padding)


def window_gather(g, size, kernel, stride, padding, weights=None):
    """The adjoint of `window_scatter`, on data or nodes: each window's entries of the padded g,
    times their offset's weight, summed."""
    ph, pw = padding
    if is_array(g):
        gp = pad_spatial(g, padding)
    else:
        gp = apply(PAD, (g,), ((0, 0), (0, 0), (ph, ph), (pw, pw)), 0.0) if ph or pw else g
    total = None
    for k, (_, _, rows, cols) in enumerate(offsets(kernel, stride, (1, 1), size)):
        term = gp[:, :, rows, cols] if weights is None else gp[:, :, rows, cols] * weights[k]
        total = term if total is None else total + term
    return total


WINDOW_SCATTER = register(
    Op(
        "window_scatter",
        1,
        array=window_scatter,
        vjps=(
            lambda g, y, x, shape, size, k, s, p, weights: window_gather(g, size, k, s, p, weights),
        ),
        formula=lambda s, xs, p: s.call("window_scatter", *xs),
        vjp_formulas=lambda s, xs, out, g, p, shapes: [
            f"{s.text('each window of')} {g}{s.text(', times its offset weights, summed')}"
        ],
        params=("shape", "size", "kernel", "stride", "padding", "weights"),
    )
)


MAX_POOL2D = register(
    Op(
        "max_pool2d",
        1,
        array=max_pool2d_forward,
        vjps=(_max_pool2d_vjp,),
        formula=lambda s, xs, p: s.call("max_pool2d", *xs, *_pool_kws(s, p) if p else ()),
        vjp_formulas=_max_pool2d_vjp_formulas,
        params=("kernel", "stride", "padding"),
    )
)
AVG_POOL2D = register(
    Op(
        "avg_pool2d",
        1,
        array=avg_pool2d_forward,
        vjps=(_avg_pool2d_vjp,),
        formula=lambda s, xs, p: s.call("avg_pool2d", *xs, *_pool_kws(s, p) if p else ()),
        vjp_formulas=_avg_pool2d_vjp_formulas,
        params=("kernel", "stride", "padding", "divisor"),
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


def _normalised(x, axes, eps, saved):
    """The normalised x and 1 / sqrt(var + eps), as the forward saved them (data); on nodes
    (`create_graph`) built again from x as nodes, since both depend on x, so that the gradients
    differentiate again."""
    if is_array(x):
        return saved
    centred = x - x.mean(axis=axes, keepdims=True)
    inv_std = ((centred * centred).mean(axis=axes, keepdims=True) + eps) ** -0.5
    return centred * inv_std, inv_std


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
                g, w, axes, *_normalised(x, axes, eps, saved)[::-1]
            ),
            lambda g, y, x, w, b, axes, eps, saved: (g * _normalised(x, axes, eps, saved)[0]).sum(
                axis=axes
            ),
            lambda g, y, x, w, b, axes, eps, saved: g.sum(axis=axes),
        ),
        formula=lambda s, xs, p: s.call("batch_norm", *xs),
        vjp_formulas=_batch_norm_vjp_formulas,
        params=("axes", "eps"),
        saves=True,  # the normalised x and 1 / std, which the input's and weight's gradients reuse
    )
)


def out_size(size, kernel, stride, padding, dilation) -> Pair:
    return tuple(
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, s, p, d in zip(size, kernel, stride, padding, dilation)
    )
