"""Convolutional ops on Tensors: value and every input's VJP against PyTorch (float64) over shapes,
strides, paddings, dilations and groups; central differences; pooling ties; dropout; batch norm
statistics; the shape ops; and errors naming the bad argument."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import (
    Tensor,
    avg_pool2d,
    batch_norm,
    concatenate,
    conv2d,
    conv_transpose2d,
    dropout,
    flatten,
    grad,
    max_pool2d,
    no_grad,
    pad,
    split,
    stack,
)
from autograd.ops import conv as conv_ops


def data(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def assert_matches_torch(torch, fn, torch_fn, arrays, name, rtol=1e-10, atol=1e-11):
    """fn on Tensors and torch_fn on float64 torch tensors agree in value and in every input's
    gradient for a random upstream gradient (so each VJP is exercised with a general g)."""
    xs = [Tensor(a) for a in arrays]
    out = fn(*xs)
    upstream = data(out.shape, seed=99)
    out.backward(upstream)
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    expected = torch_fn(*ts)
    expected.backward(torch.tensor(upstream))
    assert out.shape == tuple(expected.shape), f"{name}: shape {out.shape} != {expected.shape}"
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol, atol, err_msg=name)
    for i, (x, t) in enumerate(zip(xs, ts)):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol, atol, err_msg=f"{name}: input {i}")


def central_difference(f, arrays, eps=1e-6):
    """d f / d each entry of each array by (f(x + eps) - f(x - eps)) / 2 eps; f returns a scalar."""
    grads = []
    for i, a in enumerate(arrays):
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            sides = []
            for sign in (1, -1):
                xs = [b.copy() for b in arrays]
                xs[i][idx] += sign * eps
                with no_grad():
                    sides.append(f(*[Tensor(x) for x in xs]).item())
            g[idx] = (sides[0] - sides[1]) / (2 * eps)
        grads.append(g)
    return grads


def assert_gradcheck(f, arrays, rtol=1e-6, atol=1e-8):
    """Order-1 gradient check: backward of sum(f * r) against its central differences."""
    r = None

    def loss(*xs):
        nonlocal r
        out = f(*xs)
        if r is None:
            r = data(out.shape, seed=7)
        return (out * r).sum()

    xs = [Tensor(a) for a in arrays]
    loss(*xs).backward()
    for i, (x, expected) in enumerate(zip(xs, central_difference(loss, arrays))):
        np.testing.assert_allclose(x.grad, expected, rtol, atol, err_msg=f"input {i}")


# ------------------------------------------------------------------ convolution

CONVS = [
    # (N, C, H, W), out channels, kernel, stride, padding, dilation, groups
    ((2, 3, 7, 6), 4, (3, 3), 1, 0, 1, 1),
    ((2, 4, 9, 8), 6, (3, 3), 2, 1, 1, 2),
    ((1, 6, 10, 11), 6, (2, 3), (2, 1), (1, 2), (2, 1), 3),
    ((3, 2, 5, 5), 4, (1, 1), 1, 0, 1, 1),
    ((2, 2, 8, 8), 2, (4, 4), 3, 2, 2, 2),
    ((4, 1, 12, 12), 3, (5, 5), 1, 2, 1, 1),  # LeNet's first layer, small
    ((2, 4, 6, 7), 4, (3, 3), 1, 1, 1, 4),  # depthwise
]


@pytest.mark.parametrize("shape, o, k, s, p, d, g", CONVS)
def test_conv2d_matches_torch(torch, shape, o, k, s, p, d, g):
    F = torch.nn.functional
    arrays = [data(shape, 1), data((o, shape[1] // g, *k), 2), data(o, 3)]
    assert_matches_torch(
        torch,
        lambda x, w, b: conv2d(x, w, b, s, p, d, g),
        lambda x, w, b: F.conv2d(x, w, b, s, p, d, g),
        arrays,
        f"conv2d {shape} k{k} s{s} p{p} d{d} g{g}",
    )


@pytest.mark.parametrize("shape, o, k, s, p, d, g", CONVS)
def test_conv_transpose2d_matches_torch(torch, shape, o, k, s, p, d, g):
    F = torch.nn.functional
    s2 = (s, s) if isinstance(s, int) else s
    extra = tuple(min(1, st - 1) for st in s2)  # output_padding 1 where the stride allows it
    arrays = [data(shape, 1), data((shape[1], o // g, *k), 2), data(o, 3)]
    assert_matches_torch(
        torch,
        lambda x, w, b: conv_transpose2d(x, w, b, s, p, extra, g, d),
        lambda x, w, b: F.conv_transpose2d(x, w, b, s, p, extra, g, d),
        arrays,
        f"conv_transpose2d {shape} k{k} s{s} p{p} op{extra} d{d} g{g}",
    )


@pytest.mark.parametrize("shape, o, k, s, p, d, g", CONVS[:3] + CONVS[5:])
def test_convolutions_blocked_over_columns_match_torch(torch, monkeypatch, shape, o, k, s, p, d, g):
    # The products run over blocks of conv_ops.BLOCK output pixels; these shapes have fewer
    # pixels than one block, so here the blocks are made small enough to split every product.
    monkeypatch.setattr(conv_ops, "BLOCK", 7)
    test_conv2d_matches_torch(torch, shape, o, k, s, p, d, g)
    test_conv_transpose2d_matches_torch(torch, shape, o, k, s, p, d, g)


def test_blocked_products_equal_one_product():
    rng = np.random.default_rng(0)
    a, b, c = rng.standard_normal((3, 4, 5)), rng.standard_normal((3, 5, 23)), data((3, 6, 23))
    for block in (1, 7, 23, 100):
        np.testing.assert_allclose(conv_ops.blocked_matmul(a, b, block), a @ b, 1e-14, 1e-14)
        expected = c @ b.transpose(0, 2, 1)
        np.testing.assert_allclose(conv_ops.blocked_matmul_t(c, b, block), expected, 1e-13, 1e-13)
    x32 = rng.standard_normal((2, 9, 40)).astype(np.float32)
    assert conv_ops.blocked_matmul(x32[:, :4, :9], x32, 8).dtype == np.float32


@pytest.mark.parametrize("shape, o, k, s, p, d, g", CONVS)
def test_im2col_is_the_windows_and_the_input_gradient_its_adjoint(shape, o, k, s, p, d, g):
    from numpy.lib.stride_tricks import sliding_window_view

    x = data(shape)
    s2, p2, d2 = ((v, v) if isinstance(v, int) else v for v in (s, p, d))
    span = tuple(di * (ki - 1) + 1 for di, ki in zip(d2, k))
    padded = np.pad(x, ((0, 0), (0, 0), (p2[0], p2[0]), (p2[1], p2[1])))
    windows = sliding_window_view(padded, span, axis=(2, 3))[
        :, :, :: s2[0], :: s2[1], :: d2[0], :: d2[1]
    ]
    n, c, ho, wo = windows.shape[:4]
    expected = windows.transpose(1, 4, 5, 0, 2, 3).reshape(g, c // g * k[0] * k[1], n * ho * wo)
    cols = conv_ops.im2col(x, k, s2, p2, d2, g)
    np.testing.assert_array_equal(cols, expected)
    # both ways of taking the input gradient are the adjoint of the convolution through im2col:
    # for the kernels w, <w @ im2col(x), G> = <x, input_grad(G, w)>; they agree with each other
    # (the rows' way runs where it is cheaper, the columns' everywhere else)
    w = data((o, c // g, *k), 4)
    y = np.matmul(w.reshape(g, o // g, -1), cols).reshape(o, n, ho, wo).transpose(1, 0, 2, 3)
    gy = data(y.shape, 5)
    ways = (conv_ops._input_grad_by_columns, conv_ops._input_grad_by_rows)
    by_columns, by_rows = (way(gy, w, shape[2:], s2, p2, d2, g) for way in ways)
    for dx in (by_columns, by_rows):
        assert dx.shape == x.shape
        np.testing.assert_allclose((y * gy).sum(), (x * dx).sum(), 1e-12)
    np.testing.assert_allclose(by_rows, by_columns, 1e-12, 1e-12)
    assert by_rows.strides[0] <= by_rows.strides[1]  # channel-major, as conv2d's outputs


def test_input_gradient_takes_the_rows_way_only_where_it_costs_at_most_twice(monkeypatch):
    taken = []
    for way in ("_input_grad_by_columns", "_input_grad_by_rows"):
        real = getattr(conv_ops, way)
        monkeypatch.setattr(
            conv_ops, way, lambda *a, real=real, way=way: taken.append(way) or real(*a)
        )
    finite, nan = data((4, 3, 3, 3)), data((4, 3, 3, 3))
    nan[0, 0, 1, 1] = np.nan
    for gy, kernels, stride, size in [
        (data((2, 4, 6, 6)), finite, (1, 1), (8, 8)),  # stride 1: 8 padded rows for 6 output rows
        (data((2, 4, 3, 3)), finite, (2, 2), (7, 7)),  # stride 2
        (data((2, 4, 1, 1)), finite, (1, 1), (3, 3)),  # a kernel as large as the input: 3 for 1
        (data((2, 4, 6, 6)), nan, (1, 1), (8, 8)),  # a NaN weight
    ]:
        conv_ops.conv2d_input_grad(gy, kernels, size, stride, (0, 0), (1, 1), 1)
    assert taken == ["_input_grad_by_rows"] + ["_input_grad_by_columns"] * 3


def test_a_nan_weight_reaches_only_the_inputs_it_multiplies_as_in_torch(torch):
    w = np.ones((1, 1, 3, 3))
    w[0, 0, 1, 1] = np.nan
    for stride in (1, 2):
        x = Tensor(np.ones((1, 1, 5, 5)), requires_grad=True)
        y = conv2d(x, Tensor(w), stride=stride)
        y.backward(np.ones(y.shape))
        tx = torch.ones((1, 1, 5, 5), dtype=torch.float64, requires_grad=True)
        ty = torch.nn.functional.conv2d(tx, torch.tensor(w), stride=stride)
        ty.backward(torch.ones_like(ty))
        np.testing.assert_array_equal(x.grad, tx.grad.numpy())  # NaN where torch has NaN
        assert np.isfinite(x.grad[0, 0, 0]).all()  # the kernel's centre never meets row 0


def test_kernel_gradients_are_in_the_kernels_memory_order():
    # an optimizer's update p.data -= lr * p.grad runs 2-10x slower over mixed orders
    x, w = Tensor(data((2, 6, 14, 14))), Tensor(data((16, 6, 5, 5)), requires_grad=True)
    conv2d(x, w).backward(data((2, 16, 10, 10)))
    assert w.grad.flags.c_contiguous


def test_conv2d_without_bias_matches_torch(torch):
    arrays = [data((2, 3, 6, 6), 1), data((5, 3, 3, 3), 2)]
    assert_matches_torch(
        torch,
        lambda x, w: conv2d(x, w, padding=1),
        lambda x, w: torch.nn.functional.conv2d(x, w, padding=1),
        arrays,
        "conv2d no bias",
    )


@pytest.mark.parametrize(
    "f, shapes",
    [
        (lambda x, w, b: conv2d(x, w, b, stride=2, padding=1), [(2, 2, 5, 5), (3, 2, 3, 3), (3,)]),
        (lambda x, w, b: conv2d(x, w, b, 1, 1, 2, 2), [(1, 4, 6, 5), (2, 2, 2, 2), (2,)]),
        (lambda x, w, b: conv_transpose2d(x, w, b, 2, 1, 1), [(1, 2, 3, 3), (2, 3, 3, 3), (3,)]),
    ],
    ids=["conv2d", "conv2d-dilated-grouped", "conv_transpose2d"],
)
def test_convolution_gradients_match_central_differences(f, shapes):
    assert_gradcheck(f, [data(s, i) for i, s in enumerate(shapes)])


def test_conv2d_output_is_nchw_and_float32_stays_float32():
    x = Tensor(data((2, 3, 8, 8)), dtype=np.float32)
    w = Tensor(data((4, 3, 3, 3)), dtype=np.float32)
    y = conv2d(x, w, Tensor(np.zeros(4), dtype=np.float32))
    assert y.shape == (2, 4, 6, 6) and y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


# ------------------------------------------------------------------ pooling

POOLS = [((2, 2), None, 0), ((3, 3), 2, 1), ((3, 3), 1, 1), ((2, 3), (1, 2), (1, 1)), (4, 3, 2)]


@pytest.mark.parametrize("shape", [(2, 3, 9, 8), (2, 3, 8, 8)])  # windows that tile it or not
@pytest.mark.parametrize("k, s, p", [*POOLS, ((2, 2), 3, 0)])
def test_max_pool2d_matches_torch(torch, k, s, p, shape):
    F = torch.nn.functional
    assert_matches_torch(
        torch,
        lambda x: max_pool2d(x, k, s, p),
        lambda x: F.max_pool2d(x, k, s, p),
        [data(shape)],
        f"max_pool2d k{k} s{s} p{p} {shape}",
    )


@pytest.mark.parametrize("include", [True, False])
@pytest.mark.parametrize("k, s, p", POOLS)
def test_avg_pool2d_matches_torch(torch, k, s, p, include):
    F = torch.nn.functional
    assert_matches_torch(
        torch,
        lambda x: avg_pool2d(x, k, s, p, count_include_pad=include),
        lambda x: F.avg_pool2d(x, k, s, p, count_include_pad=include),
        [data((2, 3, 9, 8))],
        f"avg_pool2d k{k} s{s} p{p} include {include}",
    )


def test_max_pool2d_gives_a_tied_window_gradient_to_its_first_maximum():
    x = Tensor(np.ones((1, 1, 2, 2)))
    max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[1.0, 0.0], [0.0, 0.0]])


def test_max_pool2d_ties_match_torch_on_relu_zeros(torch):
    # After a relu many windows are all zeros: overlapping windows tie everywhere.
    x = np.maximum(np.round(data((2, 3, 7, 7), 5)), 0.0)
    assert_matches_torch(
        torch,
        lambda x: max_pool2d(x, 3, 1, 1),
        lambda x: torch.nn.functional.max_pool2d(x, 3, 1, 1),
        [x],
        "max_pool2d ties",
    )


@pytest.mark.parametrize("k, s, p", [((2, 2), None, 0), ((3, 3), 1, 1)])
def test_max_pool2d_gradient_is_the_same_whatever_the_upstream_gradients_memory_order(k, s, p):
    # The gradient is copied to the output's memory order first (a flatten's gradient is N-major
    # while a convolution's output, so the pool's, is channel-major); every bit is the same.
    x = np.maximum(np.round(data((4, 3, 8, 8), 2), 1), 0.0)  # ties among the zeros
    x = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)  # channel-major
    kernel, stride, padding = (k, k if s is None else (s, s), (p, p))
    y = conv_ops.max_pool2d_forward(x, kernel, stride, padding)
    g = data(y.shape, 3)  # N-major
    g_channel_major = np.ascontiguousarray(g.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    grads = [
        conv_ops.max_pool2d_grad(u, y, x, kernel, stride, padding) for u in (g, g_channel_major)
    ]
    np.testing.assert_array_equal(grads[0], grads[1])
    assert np.isclose(grads[0].sum(), g.sum(), 1e-12)


def test_max_pool2d_propagates_nan_and_gives_it_the_gradient_as_torch(torch):
    x = data((1, 2, 4, 4), 6)
    x[0, 0, 1, 1] = x[0, 1, 2, 3] = np.nan
    t = Tensor(x)
    y = max_pool2d(t, 2)
    y.backward(np.ones(y.shape))
    tt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(tt, 2).sum().backward()
    np.testing.assert_array_equal(np.isnan(y.data), [[[[1, 0], [0, 0]], [[0, 0], [0, 1]]]])
    np.testing.assert_array_equal(t.grad, tt.grad.numpy())


def test_max_pool2d_picks_as_torch_among_nans_infinities_and_padding(torch):
    # torch's pick: the first maximum in row-major order, but the last NaN of a window holding
    # several, and never a padded entry (a window of -inf ties with its -inf padding).
    x = np.array([[[[np.nan, np.nan], [1.0, np.nan]]]])
    t = Tensor(x)
    max_pool2d(t, 2).sum().backward()
    np.testing.assert_array_equal(t.grad[0, 0], [[0.0, 0.0], [0.0, 1.0]])
    t = Tensor(np.full((1, 1, 2, 2), -np.inf))
    max_pool2d(t, 3, 1, 1).sum().backward()
    np.testing.assert_array_equal(t.grad[0, 0], [[4.0, 0.0], [0.0, 0.0]])
    rng = np.random.default_rng(5)
    for k, s, p in [(2, 2, 0), (3, 1, 1), (3, 2, 1), (2, 1, 1), (3, 3, 0)]:
        x = np.round(rng.standard_normal((2, 3, 6, 5)))
        u = rng.random(x.shape)
        x[u < 0.2], x[(u > 0.2) & (u < 0.5)] = np.nan, -np.inf
        x[1, 2] = -np.inf
        upstream = data(max_pool2d(Tensor(x), k, s, p).shape, 7)
        t, tt = Tensor(x), torch.tensor(x, requires_grad=True)
        y, ty = max_pool2d(t, k, s, p), torch.nn.functional.max_pool2d(tt, k, s, p)
        y.backward(upstream)
        ty.backward(torch.tensor(upstream))
        np.testing.assert_array_equal(y.data, ty.detach().numpy())
        np.testing.assert_allclose(t.grad, tt.grad.numpy(), 1e-13, 1e-15)  # sums' order differs
        # the node path (create_graph) sends it to the same entries
        t2 = Tensor(x)
        loss = (max_pool2d(t2, k, s, p) * Tensor(upstream, requires_grad=False)).sum()
        (g2,) = grad(loss, [t2], create_graph=True)
        np.testing.assert_allclose(g2.data, tt.grad.numpy(), 1e-13, 1e-15)


def test_pooling_gradients_match_central_differences():
    assert_gradcheck(lambda x: max_pool2d(x, 3, 2, 1) + 0.0, [data((1, 2, 5, 6), 3)])
    assert_gradcheck(
        lambda x: avg_pool2d(x, 3, 2, 1, count_include_pad=False), [data((1, 2, 5, 6))]
    )


# ------------------------------------------------------------------ shape ops


def test_pad_matches_torch(torch):
    assert_matches_torch(
        torch,
        lambda x: pad(x, ((0, 0), (1, 2), (3, 0)), value=0.5),
        lambda x: torch.nn.functional.pad(x, (3, 0, 1, 2), value=0.5),
        [data((2, 3, 4))],
        "pad",
    )
    assert pad(Tensor(np.zeros((2, 3))), 1).shape == (4, 5)


def test_concatenate_stack_and_split_match_torch(torch):
    arrays = [data((2, 3), 1), data((2, 1), 2), data((2, 4), 3)]
    assert_matches_torch(
        torch,
        lambda a, b, c: concatenate([a, b, c], axis=1) * 2,
        lambda a, b, c: torch.cat([a, b, c], dim=1) * 2,
        arrays,
        "concatenate",
    )
    same = [data((2, 3), i) for i in range(3)]
    assert_matches_torch(
        torch,
        lambda a, b, c: stack([a, b, c], axis=-1),
        lambda a, b, c: torch.stack([a, b, c], dim=-1),
        same,
        "stack",
    )
    assert_matches_torch(
        torch,
        lambda x: concatenate([p * (i + 1) for i, p in enumerate(split(x, [1, 3], axis=1))], 1),
        lambda x: torch.cat([p * (i + 1) for i, p in enumerate(torch.split(x, [1, 2, 2], 1))], 1),
        [data((3, 5))],
        "split",
    )
    assert [p.shape for p in split(Tensor(np.zeros((6, 2))), 3)] == [(2, 2)] * 3


def test_flatten_keeps_the_batch_axis():
    x = Tensor(data((2, 3, 4, 5)))
    assert flatten(x).shape == (2, 60)
    assert flatten(x, 0).shape == (120,)
    assert flatten(x, 1, 2).shape == (2, 12, 5)
    flatten(x).sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 3, 4, 5)))


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_softmax_and_log_softmax_on_any_axis_match_torch(torch, axis):
    x = [data((3, 4, 5))]
    assert_matches_torch(
        torch, lambda t: t.softmax(axis), lambda t: t.softmax(axis), x, f"softmax {axis}"
    )
    assert_matches_torch(
        torch,
        lambda t: t.log_softmax(axis),
        lambda t: t.log_softmax(axis),
        x,
        f"log_softmax {axis}",
    )


# ------------------------------------------------------------------ dropout


def test_dropout_zeroes_a_fraction_p_and_scales_the_rest():
    x = Tensor(np.ones((200, 100)))
    y = dropout(x, 0.3, training=True, rng=0)
    kept = y.data != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y.data[kept], 1 / 0.7)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, kept / 0.7)  # the gradient passes through the same mask


def test_dropout_is_seeded_and_the_identity_in_eval():
    x = Tensor(data((4, 5)))
    a, b = dropout(x, 0.5, rng=3), dropout(x, 0.5, rng=3)
    np.testing.assert_array_equal(a.data, b.data)
    assert dropout(x, 0.5, training=False) is x
    np.testing.assert_array_equal(dropout(x, 1.0).data, 0.0)


# ------------------------------------------------------------------ batch norm


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5, 5)])
def test_batch_norm_training_matches_torch_and_updates_running_statistics(torch, shape):
    F = torch.nn.functional
    c = shape[1]
    arrays = [data(shape, 1) * 2 + 1, 1 + data(c, 2) / 3, data(c, 3)]
    ours_mean, ours_var = np.zeros(c), np.ones(c)
    their_mean, their_var = torch.zeros(c, dtype=torch.float64), torch.ones(c, dtype=torch.float64)
    assert_matches_torch(
        torch,
        lambda x, w, b: batch_norm(x, ours_mean, ours_var, w, b, training=True),
        lambda x, w, b: F.batch_norm(x, their_mean, their_var, w, b, training=True, momentum=0.1),
        arrays,
        f"batch_norm {shape}",
    )
    np.testing.assert_allclose(ours_mean, their_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours_var, their_var.numpy(), rtol=1e-12)
    # Unbiased variance in the running estimate: 0.9 * 1 + 0.1 * var * n / (n - 1).
    n = arrays[0].size // c
    axes = (0, *range(2, len(shape)))
    expected = 0.9 + 0.1 * arrays[0].var(axis=axes) * n / (n - 1)
    np.testing.assert_allclose(ours_var, expected, rtol=1e-12)


def test_batch_norm_eval_uses_the_running_statistics(torch):
    c = 3
    mean, var = data(c, 4), 0.5 + np.abs(data(c, 5))
    arrays = [data((4, c, 3, 3), 1), data(c, 2), data(c, 3)]
    F = torch.nn.functional
    assert_matches_torch(
        torch,
        lambda x, w, b: batch_norm(x, mean, var, w, b, training=False),
        lambda x, w, b: F.batch_norm(
            x, torch.tensor(mean), torch.tensor(var), w, b, training=False
        ),
        arrays,
        "batch_norm eval",
    )


def test_batch_norm_gradient_matches_central_differences():
    assert_gradcheck(
        lambda x, w, b: batch_norm(x, None, None, w, b, training=True),
        [data((3, 2, 2, 2), 1), data(2, 2), data(2, 3)],
    )


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda x, w: conv2d(x, w, stride=0), "conv2d: stride must be an int >= 1 .* got 0"),
        (lambda x, w: conv2d(x, w, padding=-1), "conv2d: padding must be an int >= 0"),
        (lambda x, w: conv2d(x, w, groups=2), "input channels 3 are not divisible by groups=2"),
        (lambda x, w: conv2d(x[0], w), r"conv2d: x must be 4-D .* got shape \(3, 5, 5\)"),
        (lambda x, w: conv2d(x, w[:, :2]), "expects 2 input channels per group, x .* has 3"),
        (lambda x, w: conv2d(x, w, dilation=3), "kernel .* is larger than the padded input"),
        (lambda x, w: conv2d(x, w, Tensor(np.zeros(3))), r"bias must have shape \(4,\)"),
        (lambda x, w: max_pool2d(x, 2, padding=2), "padding .* at most half the kernel size"),
        (lambda x, w: max_pool2d(x, 7), "kernel .* is larger than the padded input"),
        (lambda x, w: conv_transpose2d(x, w.transpose(1, 0, 2, 3), output_padding=1), "smaller"),
        (lambda x, w: pad(x, -1), "pad: widths must be non-negative ints, got -1"),
        (lambda x, w: dropout(x, 1.5), r"dropout: p must be a probability in \[0, 1\], got 1.5"),
        (lambda x, w: concatenate([x, w]), "concatenate: tensor 1 has shape"),
        (lambda x, w: stack([x, x[:1]]), "stack: tensor 1 has shape"),
        (lambda x, w: batch_norm(x, None, None), "eval mode needs running_mean and running_var"),
    ],
)
def test_bad_arguments_raise_naming_them(call, message):
    x, w = Tensor(data((2, 3, 5, 5))), Tensor(data((4, 3, 3, 3)))
    with pytest.raises(ValueError, match=message):
        call(x, w)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda x, w: conv2d(x, w, stride=2.0), ValueError, "conv2d: stride must be .* got 2.0"),
        (lambda x, w: conv2d(x, w, padding=None), ValueError, "padding must be .* got None"),
        (lambda x, w: conv2d(x, w, dilation=True), ValueError, "dilation must be .* got True"),
        (lambda x, w: max_pool2d(x, 2.5), ValueError, "kernel_size must be .* got 2.5"),
        (lambda x, w: max_pool2d(x, (2,)), ValueError, r"kernel_size must be .* got \(2,\)"),
        (lambda x, w: conv2d(x, w[:, :, :0]), ValueError, r"kernel of at least 1x1, .*\(4, 3, 0"),
        (lambda x, w: avg_pool2d(x, 2, count_include_pad="no"), TypeError, "got 'no'"),
        (lambda x, w: dropout(x, True), ValueError, "p must be a probability .* got True"),
        (lambda x, w: dropout(x, 0.5, training=None), TypeError, "training must be .* got None"),
        (lambda x, w: dropout(x, 0.5, rng="abc"), TypeError, "rng must be .* got 'abc'"),
        (lambda x, w: concatenate([x, x], True), TypeError, "axis must be an int, got True"),
        (lambda x, w: x.softmax(True), TypeError, "softmax: axis must be an int, got True"),
        (lambda x, w: split(x, True), TypeError, "split: sections .* got True"),
        (lambda x, w: split(x, [1.5]), TypeError, r"split: sections .* got \[1.5\]"),
        (lambda x, w: pad(x, 1, True), TypeError, "pad: value must be a number, got True"),
        (
            lambda x, w: batch_norm(x, None, None, training=True, momentum=True),
            ValueError,
            "momentum must be a number in .* got True",
        ),
        (
            lambda x, w: batch_norm(x, None, None, training=True, eps=np.nan),
            ValueError,
            "eps must be a finite number > 0, got nan",
        ),
        (lambda x, w: batch_norm(x, [0.0] * 3, None), TypeError, "running_mean must be .* list"),
    ],
)
def test_arguments_of_the_wrong_kind_raise_naming_them(call, error, message):
    x, w = Tensor(data((2, 3, 5, 5))), Tensor(data((4, 3, 3, 3)))
    with pytest.raises(error, match=message):
        call(x, w)


def test_avg_pool2d_takes_count_include_pad_by_keyword_only():
    # torch's fourth positional argument is ceil_mode: a ported call must fail, not mean another
    with pytest.raises(TypeError, match="positional"):
        avg_pool2d(Tensor(data((1, 1, 5, 5))), 2, 2, 0, True)  # type: ignore[misc]


def test_batch_norm_checks_every_argument_before_updating_running_statistics():
    mean = np.zeros(4)
    with pytest.raises(TypeError, match=r"running_var must be a float .* dtype int64"):
        batch_norm(Tensor(data((3, 4))), mean, np.ones(4, dtype=int), training=True)
    np.testing.assert_array_equal(mean, np.zeros(4))


def test_conv_transpose2d_output_padding_below_stride_or_dilation_as_torch(torch):
    x, w = data((2, 4, 6, 6)), data((4, 3, 3, 3), 1)
    assert_matches_torch(
        torch,
        lambda x, w: conv_transpose2d(x, w, output_padding=1, dilation=2),
        lambda x, w: torch.nn.functional.conv_transpose2d(x, w, output_padding=1, dilation=2),
        [x, w],
        "conv_transpose2d output_padding 1 dilation 2",
    )
    # second order: the gradient of a gradient penalty, through the cropped and extended VJPs
    for s, p, e, d in [(1, 1, 1, 2), (3, 1, 2, 1)]:
        xs = [Tensor(x), Tensor(w)]
        y = conv_transpose2d(*xs, stride=s, padding=p, output_padding=e, dilation=d)
        upstream = data(y.shape, 9)
        gs = grad((y * Tensor(upstream, requires_grad=False)).sum(), xs, create_graph=True)
        ours = grad(sum((g * g).sum() for g in gs), xs)
        ts = [torch.tensor(a, requires_grad=True) for a in (x, w)]
        ty = torch.nn.functional.conv_transpose2d(*ts, None, s, p, e, 1, d)
        tgs = torch.autograd.grad((ty * torch.tensor(upstream)).sum(), ts, create_graph=True)
        theirs = torch.autograd.grad(sum((g * g).sum() for g in tgs), ts)
        for a, t in zip(ours, theirs):
            np.testing.assert_allclose(a, t.numpy(), 1e-11, 1e-11)
    with pytest.raises(ValueError, match=r"smaller than stride \(1, 1\) or dilation \(1, 1\)"):
        conv_transpose2d(Tensor(x), Tensor(w), output_padding=1)


def test_an_empty_batch_goes_forward_and_backward_as_in_torch(torch):
    x, w = np.ones((0, 4, 6, 6)), data((4, 4, 3, 3))
    for ours, theirs in [
        (conv2d, torch.nn.functional.conv2d),
        (conv_transpose2d, torch.nn.functional.conv_transpose2d),
    ]:
        t, tw = Tensor(x), Tensor(w)
        y = ours(t, tw)
        ty = theirs(torch.tensor(x), torch.tensor(w))
        assert y.shape == tuple(ty.shape)
        y.sum().backward()
        assert t.grad.shape == x.shape
        np.testing.assert_array_equal(tw.grad, np.zeros(w.shape))
    assert flatten(Tensor(np.ones((0, 3, 2)))).shape == (0, 6)
    assert [p.shape for p in split(Tensor(np.ones((2, 0))), 2, 1)] == [(2, 0), (2, 0)]


def test_conv2d_promotes_dtypes_as_numpy_a_float64_bias_too():
    x = Tensor(data((1, 1, 4, 4)).astype(np.float32))
    w = Tensor(data((2, 1, 3, 3), 1).astype(np.float32))
    b = Tensor(data(2, 2))
    y = conv2d(x, w, b)
    assert y.data.dtype == np.float64
    expected = conv2d(Tensor(x.data.astype(np.float64)), Tensor(w.data.astype(np.float64)), b)
    np.testing.assert_allclose(y.data, expected.data, 1e-6)
    y.sum().backward()
    assert (x.grad.dtype, w.grad.dtype, b.grad.dtype) == (np.float32, np.float32, np.float64)


def test_conv2d_rejects_a_plain_array():
    with pytest.raises(TypeError, match="conv2d: x must be a Tensor, got ndarray"):
        conv2d(np.zeros((1, 1, 3, 3)), Tensor(np.zeros((1, 1, 2, 2))))


# ------------------------------------------------------------------ the README's teacher's check


def student_conv_backward(x, w, g):
    """A student's hand-written conv2d backward (stride 1, no padding), loops over the kernel
    offsets only: dx scatters g through each kernel entry, dw correlates x with g."""
    _, _, kh, kw = w.shape
    ho, wo = g.shape[2:]
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i : i + ho, j : j + wo]  # what kernel entry (i, j) saw
            dw[:, :, i, j] = np.einsum("nohw,nchw->oc", g, patch)
            dx[:, :, i : i + ho, j : j + wo] += np.einsum("nohw,oc->nchw", g, w[:, :, i, j])
    return dx, dw


def test_the_readme_teachers_check_of_a_students_conv_backward(numerical_grad, assert_grads_close):
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((2, 3, 7, 7)))
    w = Tensor(rng.standard_normal((4, 3, 3, 3)))
    g = rng.standard_normal((2, 4, 5, 5))  # an upstream gradient d loss / d output
    dx, dw = student_conv_backward(x.data, w.data, g)
    # the reference: central differences of loss = sum(conv2d(x, w) * g), on Tensors
    expected = numerical_grad(lambda x, w: (conv2d(x, w) * g).sum(), [x, w])
    # finite differences carry ~1e-9 of truncation and rounding error: compare with a tolerance
    assert_grads_close([dx, dw], expected, atol=1e-6, rtol=1e-5, names=["dx", "dw"])
    # the library's backward gives the same gradients
    conv2d(x, w).backward(g)
    assert_grads_close([dx, dw], [x.grad, w.grad], names=["dx", "dw"])
    # and a wrong backward (the kernel not flipped back, a classic slip) is caught, by name
    with pytest.raises(AssertionError, match="dx"):
        assert_grads_close([dx[:, :, ::-1, ::-1], dw], expected, atol=1e-6, names=["dx", "dw"])


def test_gradcheck_checks_conv2d_on_tensors(gradcheck):
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((1, 2, 5, 5)))
    w = Tensor(rng.standard_normal((3, 2, 3, 3)))
    g = rng.standard_normal((1, 3, 2, 2))
    report = gradcheck(lambda x, w: (conv2d(x, w, stride=2) * g).sum(), [x, w])
    assert report and len(report.entries) == x.size + w.size


def test_check_local_derivatives_checks_ops_that_save_an_intermediate():
    # conv2d, batch_norm and cross_entropy keep what they saved as the node's last arg: the
    # check reruns the forward without it.
    from autograd import check_local_derivatives

    rng = np.random.default_rng(3)
    x = Tensor(rng.uniform(-1, 1, (2, 2, 3, 3)))
    w = Tensor(rng.uniform(-1, 1, (2, 2, 2, 2)))
    y = conv2d(x, w, Tensor(rng.uniform(-1, 1, 2)))
    z = batch_norm(y, None, None, Tensor(np.ones(2)), Tensor(np.zeros(2)), training=True)
    loss = flatten(z).cross_entropy([1, 4])
    for node in (y, z, loss):
        status, entries = check_local_derivatives(node)
        assert status == "ok" and len(entries) >= 2, (str(node.op), entries)


def test_a_gradient_penalty_through_a_small_cnn_matches_torch(torch):
    # Second order through every convolutional op: the squared norm of the input gradient of a
    # conv -> batch norm -> relu -> max-pool -> conv -> avg-pool -> conv_transpose loss, then its
    # gradient with respect to every parameter (as a WGAN-GP penalty needs), against PyTorch.
    F = torch.nn.functional
    arrays = [
        data((2, 2, 6, 6), 1),  # x
        data((3, 2, 3, 3), 2),  # conv 1
        data(3, 3),
        data(3, 4) + 2.0,  # batch norm scale
        data(3, 5),
        data((4, 3, 2, 2), 6),  # conv 2
        data((4, 2, 2, 2), 7),  # transposed conv
    ]

    def loss(lib, x, w1, b1, gamma, beta, w2, w3):
        conv, bn, relu, mp, ap, ct = (
            (conv2d, batch_norm, lambda t: t.relu(), max_pool2d, avg_pool2d, conv_transpose2d)
            if lib is None
            else (F.conv2d, F.batch_norm, F.relu, F.max_pool2d, F.avg_pool2d, F.conv_transpose2d)
        )
        h = relu(bn(conv(x, w1, b1, padding=1), None, None, gamma, beta, training=True))
        h = ap(conv(mp(h, 2), w2, padding=1), 2, 1, 1)
        return (ct(h, w3, stride=2) ** 2).sum()

    xs = [Tensor(a) for a in arrays]
    out = loss(None, *xs)
    out.backward(create_graph=True)
    penalty = (xs[0].grad ** 2).sum()
    for t in xs:
        t.grad = None
    penalty.backward()
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    (gx,) = torch.autograd.grad(loss(torch, *ts), ts[0], create_graph=True)
    (gx**2).sum().backward()
    np.testing.assert_allclose(penalty.item(), (gx**2).sum().item(), 1e-10)
    for i, (x, t) in enumerate(zip(xs[1:], ts[1:]), 1):
        # the first bias's is zero (batch norm removes the mean): rounding, against the scale
        scale = np.abs(t.grad.numpy()).max() if i != 2 else penalty.item()
        np.testing.assert_allclose(
            x.grad, t.grad.numpy(), 1e-9, 1e-12 * scale, err_msg=f"input {i}"
        )
    assert np.abs(xs[2].grad).max() < 1e-12 * penalty.item()


def test_hessian_through_conv_and_max_pool_matches_torch(torch):
    from autograd.functional import hessian

    F = torch.nn.functional
    x, w = data((1, 2, 5, 4), 1), data((2, 2, 3, 3), 2)

    def f(w):
        return (max_pool2d(conv2d(Tensor(x), w, padding=1), 2) ** 2).sum()

    def f_torch(w):
        return (F.max_pool2d(F.conv2d(torch.tensor(x), w, padding=1), 2) ** 2).sum()

    expected = torch.autograd.functional.hessian(f_torch, torch.tensor(w)).numpy()
    H = hessian(f)(Tensor(w))
    assert H.shape == (2, 2, 3, 3) * 2
    np.testing.assert_allclose(H, expected, 1e-12, 1e-12)
    assert np.abs(expected).max() > 1.0  # a real second derivative, not zeros


def test_a_nan_upstream_gradient_through_max_pool_is_the_documented_difference(torch):
    # README's table: the masks multiply the upstream gradient (0 * nan = nan in the window's
    # other entries), where PyTorch sends it to the maximum only; finite entries agree.
    x = data((1, 1, 4, 4), 3)
    upstream = np.ones((1, 1, 2, 2))
    upstream[0, 0, 0, 0] = np.nan
    t = Tensor(x)
    max_pool2d(t, 2).backward(upstream)
    tt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(tt, 2).backward(torch.tensor(upstream))
    expected = tt.grad.numpy()
    assert np.isnan(t.grad[0, 0, :2, :2]).all() and np.isnan(expected[0, 0, :2, :2]).sum() == 1
    np.testing.assert_array_equal(t.grad[0, 0, 2:], expected[0, 0, 2:])
    np.testing.assert_array_equal(t.grad[0, 0, :2, 2:], expected[0, 0, :2, 2:])
