"""The facet test: every op of the registry has every facet, and each facet is right.

For each entry: its formula and derivative formulas exist and `explain` renders and verifies them,
on Values and (every op with an array forward, its VJP in matrix form) on Tensors;
its scalar forward agrees with its array forward; its derivatives match finite differences at
orders 1 and 2 (`gradcheck`) on Values and on Tensors, and PyTorch float64 where torch has the
op (`compare_with_torch`); `trace` replays it. A newly registered op fails here until it is given
test points below: that is the point.

Where a facet does not apply, the entry says so and the test checks the refusal instead: a
tensor-only op (`scalar` None: softmax, conv2d, ...) has no scalar forward, no Value checks and no
replay (`trace` refuses it by name); a `first_order` op (numpy-kernel VJPs; no built-in one is)
is checked to order 1 and `create_graph` refuses it by name.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import (
    Tensor,
    Value,
    avg_pool2d,
    batch_norm,
    compare_with_torch,
    concatenate,
    conv2d,
    conv_transpose2d,
    explain,
    gradcheck,
    max_pool2d,
    pad,
    trace,
)
from autograd.compile import _rule
from autograd.ops import REGISTRY
from autograd.ops.core import Op, apply

# ------------------------------------------------------------------ where each op is tested

# Elementwise ops (scalar and array forwards): (parameters, points inside the domain and away
# from kinks, the op in torch or None).
ELEMENTWISE = {
    "+": ((), [(0.3, -1.2), (2.0, 0.5)], lambda t, a, b: a + b),
    "-": ((), [(0.3, -1.2), (2.0, 0.5)], lambda t, a, b: a - b),
    "neg": ((), [(0.3,), (-1.7,)], lambda t, a: -a),
    "*": ((), [(0.3, -1.2), (2.0, 0.5)], lambda t, a, b: a * b),
    "/": ((), [(0.3, -1.2), (2.0, 0.5)], lambda t, a, b: a / b),
    "**": ((), [(0.7, 1.3), (2.0, -0.5)], lambda t, a, b: a**b),
    "**c": ((2.5,), [(0.7,), (1.9,)], lambda t, a: a**2.5),
    "exp": ((), [(0.3,), (-1.7,)], lambda t, a: a.exp()),
    "log": ((), [(0.3,), (2.5,)], lambda t, a: a.log()),
    "tanh": ((), [(0.3,), (-1.7,)], lambda t, a: a.tanh()),
    "sigmoid": ((), [(0.3,), (-1.7,)], lambda t, a: a.sigmoid()),
    "relu": ((), [(0.3,), (-1.7,)], lambda t, a: a.relu()),
    "abs": ((), [(0.3,), (-1.7,)], lambda t, a: a.abs()),
    "softplus": ((), [(0.3,), (-1.7,)], lambda t, a: t.nn.functional.softplus(a)),
    "sin": ((), [(0.3,), (-1.7,)], lambda t, a: a.sin()),
    "cos": ((), [(0.3,), (-1.7,)], lambda t, a: a.cos()),
    "atan": ((), [(0.3,), (-1.7,)], lambda t, a: a.atan()),
    "log1p": ((), [(0.3,), (-0.6,)], lambda t, a: a.log1p()),
    "expm1": ((), [(0.3,), (-1.7,)], lambda t, a: a.expm1()),
    "maximum": ((), [(0.3, -1.2), (0.5, 2.0)], lambda t, a, b: t.maximum(a, b)),
    "minimum": ((), [(0.3, -1.2), (0.5, 2.0)], lambda t, a, b: t.minimum(a, b)),
    "where": ((True,), [(0.3, -1.2), (0.5, 2.0)], lambda t, a, b: t.where(t.tensor(True), a, b)),
    "add_n": ((3,), [(0.3, -1.2, 2.0)], None),
    "affine": (
        (2,),
        [(0.3, -1.2, 2.0, 0.5, -0.7), (-1.1, 0.4, 0.9, 1.6, 0.2)],
        lambda t, b, w0, x0, w1, x1: b + w0 * x0 + w1 * x1,
    ),
}

# Structural ops (arrays only): (our function of Tensors, torch's, input shapes).
STRUCTURAL = {
    "sum": (lambda x: (x.sum(axis=1) ** 2).sum(), lambda t, x: (x.sum(dim=1) ** 2).sum(), [(2, 3)]),
    "max": (
        lambda x: (x.max(axis=0) ** 2).sum(),
        lambda t, x: (t.amax(x, dim=0) ** 2).sum(),
        [(3, 2)],
    ),
    "expand": (
        lambda x: (_expand(x, (3, 2)) ** 2 * np.arange(6.0).reshape(3, 2)).sum(),
        lambda t, x: (x.expand(3, 2) ** 2 * t.arange(6.0).reshape(3, 2)).sum(),
        [(2,)],
    ),
    "astype": (
        lambda x: (x.astype(np.float64) ** 3 * np.arange(6.0).reshape(2, 3)).sum(),
        lambda t, x: (x.to(t.float64) ** 3 * t.arange(6.0).reshape(2, 3)).sum(),
        [(2, 3)],
    ),
    "reshape": (
        lambda x: (x.reshape(3, 2) ** 3 * np.arange(6.0).reshape(3, 2)).sum(),
        lambda t, x: (x.reshape(3, 2) ** 3 * t.arange(6.0).reshape(3, 2)).sum(),
        [(2, 3)],
    ),
    "transpose": (
        lambda x: (x.T**3 * np.arange(6.0).reshape(3, 2)).sum(),
        lambda t, x: (x.T**3 * t.arange(6.0).reshape(3, 2)).sum(),
        [(2, 3)],
    ),
    "getitem": (
        lambda x: (x[[0, 0, 2]] ** 3).sum() + (x[1:] ** 2).sum(),
        lambda t, x: (x[[0, 0, 2]] ** 3).sum() + (x[1:] ** 2).sum(),
        [(4,)],
    ),
    "scatter": (
        lambda x: (_scatter(x, (4,), np.array([1, 1, 3])) ** 2 * np.arange(4.0)).sum(),
        lambda t, x: (
            t.zeros(4, dtype=t.float64).index_add(0, t.tensor([1, 1, 3]), x) ** 2 * t.arange(4.0)
        ).sum(),
        [(3,)],
    ),
    "matmul": (
        lambda a, b: ((a @ b).tanh() ** 2).sum(),
        lambda t, a, b: ((a @ b).tanh() ** 2).sum(),
        [(2, 3), (3, 2)],
    ),
    "softmax": (
        lambda x: (x.softmax(axis=1) ** 2 * np.arange(6.0).reshape(2, 3)).sum(),
        lambda t, x: (x.softmax(dim=1) ** 2 * t.arange(6.0).reshape(2, 3)).sum(),
        [(2, 3)],
    ),
    "log_softmax": (
        lambda x: (x.log_softmax(axis=0) ** 2).sum(),
        lambda t, x: (x.log_softmax(dim=0) ** 2).sum(),
        [(2, 3)],
    ),
    "cross_entropy": (
        lambda x: x.cross_entropy([2, 0]),
        lambda t, x: t.nn.functional.cross_entropy(x, t.tensor([2, 0])),
        [(2, 3)],
    ),
    # Convolutional ops: numpy kernels on data, ops on nodes, so checked to order 2 as the rest.
    "conv2d": (
        lambda x, w, b: (conv2d(x, w, b, stride=2, padding=1, groups=2) ** 2).sum(),
        lambda t, x, w, b: (t.nn.functional.conv2d(x, w, b, 2, 1, 1, 2) ** 2).sum(),
        [(1, 2, 4, 4), (4, 1, 3, 3), (4,)],
    ),
    "conv_transpose2d": (
        lambda x, w, b: (conv_transpose2d(x, w, b, stride=2, padding=1) ** 2).sum(),
        lambda t, x, w, b: (t.nn.functional.conv_transpose2d(x, w, b, 2, 1) ** 2).sum(),
        [(1, 2, 2, 3), (2, 2, 3, 3), (2,)],
    ),
    "conv2d_weight": (  # the kernel gradient as an op of (x, output gradient)
        lambda x, g: (
            apply(REGISTRY["conv2d_weight"], (x, g), (3, 3), (2, 1), (1, 0), (1, 1), 1) ** 2
        ).sum(),
        lambda t, x, g: (
            t.nn.grad.conv2d_weight(x, (2, 2, 3, 3), g, (2, 1), (1, 0), (1, 1), 1) ** 2
        ).sum(),
        [(2, 2, 5, 4), (2, 2, 3, 2)],
    ),
    "window_scatter": (  # the pools' VJP on nodes; here avg_pool2d's (weights 1/9)
        lambda g: (
            apply(
                REGISTRY["window_scatter"],
                (g,),
                (1, 2, 6, 6),
                (2, 2),
                (3, 3),
                (2, 2),
                (1, 1),
                (1 / 9,) * 9,
            )
            ** 2
        ).sum(),
        lambda t, g: (_avg_pool2d_grad(t, g, (1, 2, 4, 4), 3, 2, 1) ** 2).sum(),
        [(1, 2, 2, 2)],
    ),
    "max_pool2d": (
        lambda x: (max_pool2d(x, 3, 2, 1) ** 2).sum(),
        lambda t, x: (t.nn.functional.max_pool2d(x, 3, 2, 1) ** 2).sum(),
        [(1, 2, 4, 4)],
    ),
    "avg_pool2d": (
        lambda x: (avg_pool2d(x, 3, 2, 1, count_include_pad=False) ** 2).sum(),
        lambda t, x: (t.nn.functional.avg_pool2d(x, 3, 2, 1, count_include_pad=False) ** 2).sum(),
        [(1, 2, 4, 4)],
    ),
    "pad": (
        lambda x: (pad(x, ((1, 0), (2, 1)), 0.5) ** 3 * np.arange(18.0).reshape(3, 6)).sum(),
        lambda t, x: (
            t.nn.functional.pad(x, (2, 1, 1, 0), value=0.5) ** 3 * t.arange(18.0).reshape(3, 6)
        ).sum(),
        [(2, 3)],
    ),
    "concatenate": (
        lambda a, b: (concatenate([a, b], axis=1) ** 3 * np.arange(8.0).reshape(2, 4)).sum(),
        lambda t, a, b: (t.cat([a, b], dim=1) ** 3 * t.arange(8.0).reshape(2, 4)).sum(),
        [(2, 3), (2, 1)],
    ),
    "batch_norm": (
        lambda x, w, b: (
            batch_norm(x, None, None, w, b, training=True) ** 2 * np.arange(12.0).reshape(4, 3)
        ).sum(),
        lambda t, x, w, b: (
            t.nn.functional.batch_norm(x, None, None, w, b, training=True) ** 2
            * t.arange(12.0).reshape(4, 3)
        ).sum(),
        [(4, 3), (3,), (3,)],
    ),
}


def _avg_pool2d_grad(t, g, shape, k, s, p):
    """PyTorch's gradient of avg_pool2d for the upstream g, itself differentiable."""
    z = t.zeros(shape, dtype=t.float64, requires_grad=True)
    return t.autograd.grad(t.nn.functional.avg_pool2d(z, k, s, p), z, g, create_graph=True)[0]


def _order(key):
    """2, or 1 for an op the registry declares `first_order` (numpy-kernel VJPs)."""
    return 1 if REGISTRY[key].first_order else 2


def _expand(x, shape):
    return apply(REGISTRY["expand"], (x,), shape)


def _scatter(x, shape, index):
    return apply(REGISTRY["scatter"], (x,), shape, index)


BUILT_IN = sorted(key for key, op in REGISTRY.items() if not op.custom)
SCALAR_OPS = sorted(key for key in BUILT_IN if REGISTRY[key].scalar is not None)
ARRAY_ELEMENTWISE = sorted(
    key for key in BUILT_IN if REGISTRY[key].array is not None and REGISTRY[key].elementwise
)


def _points(key):
    params, points, _ = ELEMENTWISE[key]
    return params, points


def _on_values(key):
    params, _ = _points(key)
    return lambda *xs: apply(REGISTRY[key], xs, *params)


def _arrays(key):
    """The op's points as arrays, one per input (each input a column of the points)."""
    _, points = _points(key)
    return [np.array(column) for column in zip(*points)]


def _tensor_params(key, n):
    params, _ = _points(key)
    return tuple(np.full(n, p) if isinstance(p, bool) else p for p in params)


# ------------------------------------------------------------------ the facets


@pytest.mark.parametrize("key", BUILT_IN)
def test_every_op_has_every_facet(key):
    op = REGISTRY[key]
    assert op.formula is not None, f"{key}: no formula for explain"
    assert op.elementwise or op.vjps is not None, f"{key}: no derivative rule"
    if op.elementwise:
        assert op.derivative_formulas is not None, f"{key}: no derivative formulas"
    # Replay: templates (`op.replay`) or, without them, `trace` calls the op's own functions;
    # either way `test_trace_replays_the_op_on_floats_and_batches` runs it.
    assert key in ELEMENTWISE or key in STRUCTURAL, f"{key}: give the op test points here"
    assert (key in ELEMENTWISE) == op.elementwise
    if op.array is not None:  # explain on tensors: an elementwise rule entry by entry, or a VJP
        assert op.elementwise or op.vjp_formulas is not None, f"{key}: no vjp_formulas"


@pytest.mark.parametrize("key", sorted(set(SCALAR_OPS) & set(ARRAY_ELEMENTWISE)))
def test_scalar_forward_agrees_with_array_forward(key):
    op = REGISTRY[key]
    params, points = _points(key)
    bound = op.bind(*params) if params else op
    arrays = _arrays(key)
    on_arrays = op.array(*arrays, *_tensor_params(key, len(points)))
    for i, point in enumerate(points):
        assert math.isclose(bound.forward(*point), on_arrays[i], rel_tol=1e-15), (key, point)


@pytest.mark.parametrize("key", SCALAR_OPS)
def test_value_derivatives_match_finite_differences_to_order_2(key):
    for point in _points(key)[1]:
        gradcheck(_on_values(key), list(point), order=2, raise_on_failure=True)


@pytest.mark.parametrize("key", ARRAY_ELEMENTWISE)
def test_tensor_derivatives_match_finite_differences_to_order_2(key):
    op = REGISTRY[key]
    arrays = _arrays(key)
    params = _tensor_params(key, len(arrays[0]))

    def f(*xs):
        return (apply(op, xs, *params) ** 2).sum()

    gradcheck(f, [Tensor(a) for a in arrays], order=2, raise_on_failure=True)


@pytest.mark.parametrize("key", sorted(STRUCTURAL))
def test_structural_derivatives_match_finite_differences_to_their_order(key):
    f, _, shapes = STRUCTURAL[key]
    rng = np.random.default_rng(7)
    inputs = [Tensor(rng.uniform(-1.0, 1.0, s)) for s in shapes]
    gradcheck(f, inputs, order=_order(key), raise_on_failure=True)


def test_a_first_order_op_refuses_create_graph_by_name():
    # Every built-in op differentiates again; an op whose VJPs are numpy kernels on data says so
    # with first_order=True, and a second-order pass refuses it by name.
    assert not [key for key in BUILT_IN if REGISTRY[key].first_order]
    op = Op(
        "kernel_square", 1, array=np.square, vjps=(lambda g, y, x: 2 * x * g,), first_order=True
    )
    y = apply(op, (Tensor([1.0, 2.0]),)).sum()
    with pytest.raises(NotImplementedError, match=r"^kernel_square: .*create_graph"):
        y.backward(create_graph=True)


@pytest.mark.parametrize("key", sorted(set(BUILT_IN) - set(SCALAR_OPS)))
def test_a_tensor_only_ops_formula_renders_every_input_in_text_and_latex(key):
    from autograd.viz.explain import _Latex, _Text

    op = REGISTRY[key]
    xs = [f"x{i}" for i in range(op.arity or 2)]
    for style in (_Text(4), _Latex(4)):
        rendered = op.formula(style, xs, ())
        assert all(x in rendered for x in xs), (key, rendered)
    assert op.formula(_Text(4), xs, ()) in (
        f"{key}({', '.join(xs)})",
        "broadcast(x0)",  # expand: what it does
        "x0 @ x1",
    ), key


def _explained(key, derivation, on):
    """What explain wrote for the op `key` (its shapes, its VJP in matrix form, no fallback)."""
    text = derivation.text
    assert f"{REGISTRY[key]} (" in text, text  # the op with its shapes: `matmul (2,3)@(3,2)`
    assert "no formula for the op" not in text, text
    assert f"g_{on} += " in text, text  # the edge into the input: its VJP rule
    assert derivation.latex.count(r"\begin{aligned}") == 4
    for latex in (derivation.latex, derivation.markdown):  # well formed: every group closed
        assert latex.count("{") == latex.count("}"), latex
        assert latex.count(r"\left") == latex.count(r"\right"), latex
        assert latex.count(r"\begin{") == latex.count(r"\end{"), latex


@pytest.mark.parametrize("key", sorted(STRUCTURAL))
def test_explain_writes_and_verifies_every_structural_op_on_tensors(key):
    f, _, shapes = STRUCTURAL[key]
    rng = np.random.default_rng(7)
    inputs = [Tensor(rng.uniform(-1.0, 1.0, s), label=f"x{i}") for i, s in enumerate(shapes)]
    y = f(*inputs)
    y.backward()
    for i, x in enumerate(inputs):
        derivation = explain(y, x)
        assert derivation.verified, derivation.text
        assert derivation.backward_agrees and derivation.numeric_agrees
        np.testing.assert_allclose(derivation.value, x.grad, rtol=1e-12, atol=1e-15)
        _explained(key, derivation, f"x{i}")


@pytest.mark.parametrize("key", sorted(STRUCTURAL))
def test_explain_on_tensors_agrees_with_torch(torch, key):
    ours, theirs, shapes = STRUCTURAL[key]
    rng = np.random.default_rng(8)
    arrays = [rng.uniform(-1.0, 1.0, s) for s in shapes]
    inputs = [Tensor(a, label=f"x{i}") for i, a in enumerate(arrays)]
    y = ours(*inputs)
    leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    theirs(torch, *leaves).backward()
    for x, leaf in zip(inputs, leaves):
        np.testing.assert_allclose(explain(y, x).value, leaf.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("key", ARRAY_ELEMENTWISE)
def test_explain_writes_and_verifies_every_elementwise_op_on_tensors(key):
    op = REGISTRY[key]
    arrays = _arrays(key)
    params = _tensor_params(key, len(arrays[0]))
    inputs = [Tensor(a, label=f"x{i}") for i, a in enumerate(arrays)]
    y = (apply(op, tuple(inputs), *params) ** 2).sum()
    y.backward()
    for i, x in enumerate(inputs):
        derivation = explain(y, x)
        assert derivation.verified, derivation.text
        np.testing.assert_allclose(derivation.value, x.grad, rtol=1e-12, atol=1e-15)
        _explained(key, derivation, f"x{i}")
        assert "entry by entry" in derivation.text


@pytest.mark.parametrize("key", sorted(set(BUILT_IN) - set(SCALAR_OPS)))
def test_trace_refuses_a_tensor_only_op_by_name(key):
    with pytest.raises(TypeError, match=f"trace: the op '{key}' has no scalar forward"):
        _rule(REGISTRY[key], 0, 1)


@pytest.mark.parametrize("key", sorted(k for k, v in ELEMENTWISE.items() if v[2] is not None))
def test_value_derivatives_match_torch_to_order_2(torch, key):
    on_values, on_torch = _on_values(key), ELEMENTWISE[key][2]

    def f(*xs):
        return on_torch(torch, *xs) if torch.is_tensor(xs[0]) else on_values(*xs)

    for point in _points(key)[1]:
        compare_with_torch(f, list(point), order=2, raise_on_failure=True)


@pytest.mark.parametrize("key", sorted(STRUCTURAL))
def test_structural_derivatives_match_torch_to_their_order(torch, key):
    ours, theirs, shapes = STRUCTURAL[key]

    def f(*xs):
        return theirs(torch, *xs) if torch.is_tensor(xs[0]) else ours(*xs)

    rng = np.random.default_rng(8)
    inputs = [Tensor(rng.uniform(-1.0, 1.0, s)) for s in shapes]
    compare_with_torch(f, inputs, order=_order(key), raise_on_failure=True)


@pytest.mark.parametrize("key", SCALAR_OPS)
def test_explain_renders_and_verifies_the_formula(key):
    point = _points(key)[1][0]
    xs = [Value(x, f"x{i}") for i, x in enumerate(point)]
    y = _on_values(key)(*xs)
    derivation = explain(y, xs[0])
    assert derivation.verified, derivation.text
    assert "Local derivatives" in derivation.text and "\\frac" in derivation.latex


@pytest.mark.parametrize("key", SCALAR_OPS)
def test_trace_replays_the_op_on_floats_and_batches(key):
    points = _points(key)[1]
    f = trace(_on_values(key), *points[0])
    for point in points:
        xs = [Value(x) for x in point]
        y = _on_values(key)(*xs)
        y.backward()
        value, grads = f.value_and_grad(*point)
        assert value == y.data and list(grads) == [x.grad for x in xs], (key, point)
    arrays = _arrays(key)
    values, grads = f.value_and_grad(*arrays)
    for i, point in enumerate(points):
        expected, expected_grads = f.value_and_grad(*point)
        assert math.isclose(values[i], expected, rel_tol=1e-14), (key, point)
        for g, e in zip(grads, expected_grads):
            assert math.isclose(g[i], e, rel_tol=1e-14, abs_tol=1e-300), (key, point)


# ------------------------------------------------------------------ custom ops: the same registry


def _softsign():
    from autograd import define_op

    # softsign x = x / (1 + |x|): d/dx = 1 / (1 + |x|)^2, written with operators and abs_ so the
    # rule runs on floats, arrays, Values and Tensors.
    from autograd.ops.core import abs_

    return define_op(
        "softsign",
        lambda x: x / (1.0 + abs(x)),
        lambda out, x: (1.0 / (1.0 + abs_(x)) ** 2,),
        array=lambda a: a / (1.0 + np.abs(a)),
    )


def test_a_custom_op_is_registered_and_works_on_values_and_tensors():
    softsign = _softsign()
    assert REGISTRY["custom:softsign"] is softsign.op and softsign.op.custom
    for point in (0.7, -1.3):
        gradcheck(lambda x: softsign(x), [point], order=2, raise_on_failure=True)
    x = Tensor(np.array([0.7, -1.3, 0.2]))
    gradcheck(lambda x: (softsign(x) ** 2).sum(), [x], order=2, raise_on_failure=True)


def test_trace_replays_a_custom_op_on_floats_and_batches():
    softsign = _softsign()
    f = trace(lambda x, y: softsign(x * y) + y, 0.5, 2.0)
    value, (dx, dy) = f.value_and_grad(0.5, 2.0)
    x, y = Value(0.5), Value(2.0)
    out = softsign(x * y) + y
    out.backward()
    assert (value, dx, dy) == (out.data, x.grad, y.grad)
    values, (dxs, dys) = f.value_and_grad(np.array([0.5, -1.0]), np.array([2.0, 3.0]))
    assert values[0] == out.data and dxs[0] == x.grad and dys[0] == y.grad


@pytest.mark.parametrize(
    "method, key, args",
    [
        (lambda a, b: a + b, "+", (0.3, -1.2)),
        (lambda a, b: a - b, "-", (0.3, -1.2)),
        (lambda a, b: a * b, "*", (0.3, -1.2)),
        (lambda a, b: a / b, "/", (0.3, -1.2)),
        (lambda a: -a, "neg", (0.3,)),
        (lambda a: a.relu(), "relu", (0.3,)),
        (lambda a: a.relu(), "relu", (-0.3,)),
        (lambda a: a.relu(), "relu", (math.nan,)),
        (lambda a: a.tanh(), "tanh", (0.3,)),
        (lambda a: a.abs(), "abs", (-0.3,)),
    ],
)
def test_hand_written_value_methods_compute_their_entrys_forward(method, key, args):
    """The arithmetic and relu compute their float inline (no call on the hot path): the same
    float as the registry entry's scalar forward, and the entry as the node's op."""
    out = method(*[Value(x) for x in args])
    expected = REGISTRY[key].forward(*args)
    assert out.op is REGISTRY[key]
    assert out.data == expected or (math.isnan(out.data) and math.isnan(expected))
