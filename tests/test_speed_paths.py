"""The engine's fast paths compute the very same floats as the plain algorithm they replace.

A textbook reference (recursive post-order, derivatives from each op's own rule, gradients in a
dict) and the spelled-out compositions that the primitives `-` and unary `-` replaced are compared
bit for bit (`==` on floats) with the engine, on random graphs.
"""

from __future__ import annotations

import math
from operator import mul

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, no_grad
from autograd.backward import gradients
from autograd.ops.core import apply
from autograd.ops.reduce import AFFINE
from autograd.value import affine, sum_values
from nn import MLP, SGD, losses
from nn.train import train_step

UNARY = {
    "neg": lambda x: -x,
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
    "abs": lambda x: x.abs(),
    "sin": lambda x: x.sin(),
    "exp_tanh": lambda x: x.tanh().exp(),
    "square": lambda x: x**2,
    "scale": lambda x: x * 0.75,
    "shift": lambda x: 1.5 - x,
    "half": lambda x: x / 2,
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0),
}
# The same programs spelled as the engine used to build them: a - b = a + b * -1, -a = a * -1.
SPELLED_OUT = {
    **UNARY,
    "neg": lambda x: x * Value(-1.0),
    "shift": lambda x: Value(1.5) + x * Value(-1.0),
    "sub": lambda a, b: a + b * Value(-1.0),
}

step = st.one_of(
    st.tuples(st.sampled_from(sorted(UNARY)), st.integers(0, 10**6)),
    st.tuples(st.sampled_from(sorted(BINARY)), st.integers(0, 10**6), st.integers(0, 10**6)),
)
programs = st.lists(step, min_size=1, max_size=25)
inputs = st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3)


def run(program, xs, ops):
    nodes = list(xs)
    for name, *args in program:
        nodes.append(ops[name](*(nodes[i % len(nodes)] for i in args)))
    return nodes[-1]


def reference_backward(root: Value) -> dict:
    """d root / d node for every node, by the textbook algorithm (recursive, small graphs only)."""
    order, seen = [], set()

    def visit(node):
        if node in seen or not node.parents:
            return
        seen.add(node)
        for parent in node.parents:
            visit(parent)
        order.append(node)

    visit(root)
    grads = {root: 1.0}
    for node in reversed(order):
        rule = node.op.derivatives
        local = (
            rule if isinstance(rule, tuple) else rule(node.data, *(p.data for p in node.parents))
        )
        for parent, d in zip(node.parents, local):
            grads[parent] = grads.get(parent, 0.0) + grads[node] * d
    return grads


def same_bits(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@settings(max_examples=200, deadline=None)
@given(programs, inputs)
def test_engine_backward_matches_the_reference_bit_for_bit(program, xs):
    vs = [Value(x) for x in xs]
    out = run(program, vs, {**UNARY, **BINARY})
    expected = reference_backward(out)
    out.backward()
    for v in vs:
        assert same_bits(v.grad, expected.get(v, 0.0)), (v.grad, expected.get(v, 0.0))


@settings(max_examples=200, deadline=None)
@given(programs, inputs)
def test_subtraction_and_negation_primitives_match_their_old_compositions(program, xs):
    fast, slow = [Value(x) for x in xs], [Value(x) for x in xs]
    out_fast = run(program, fast, {**UNARY, **BINARY})
    out_slow = run(program, slow, {**SPELLED_OUT, **BINARY, "sub": SPELLED_OUT["sub"]})
    assert same_bits(out_fast.data, out_slow.data)
    out_fast.backward()
    out_slow.backward()
    for a, b in zip(fast, slow):
        assert same_bits(a.grad, b.grad), (a.grad, b.grad)


@settings(max_examples=100, deadline=None)
@given(programs, inputs)
def test_create_graph_gradients_carry_the_same_floats_as_the_float_pass(program, xs):
    floats, values = [Value(x) for x in xs], [Value(x) for x in xs]
    run(program, floats, {**UNARY, **BINARY}).backward()
    run(program, values, {**UNARY, **BINARY}).backward(create_graph=True)
    for a, b in zip(floats, values):
        b_grad = b.grad.data if isinstance(b.grad, Value) else b.grad
        assert same_bits(a.grad, b_grad), (a.grad, b_grad)


def test_plain_number_constants_give_the_same_graph_as_value_constants():
    x = Value(1.25)
    for fast, slow in [
        (x * 2.0, x * Value(2.0)),
        (2.0 * x, Value(2.0) * x),
        (x + 3, x + Value(3.0)),
        (x - np.float64(0.5), x - Value(0.5)),
        (1.0 - x, Value(1.0) - x),
        (x / 4, x * Value(0.25)),
    ]:
        assert fast.data == slow.data and fast.op == slow.op
        assert [p.data for p in fast.parents] == [p.data for p in slow.parents]
        assert all(p.op == "" and p.parents == () for p in fast.parents if p is not x)


def test_subtraction_is_one_node_with_both_parents():
    a, b = Value(3.0), Value(5.0)
    c = a - b
    assert c.op == "-" and c.parents == (a, b) and c.data == -2.0
    c.backward()
    assert (a.grad, b.grad) == (1.0, -1.0)
    d = -a
    assert d.op == "neg" and d.parents == (a,)


def test_a_training_step_matches_the_reference_gradients_bit_for_bit():
    model = MLP(2, [4, 4, 1], seed=1)
    X = np.random.default_rng(0).normal(size=(8, 2))
    y = np.where(X[:, 0] > 0, 1.0, -1.0)
    params = model.parameters()
    out = [model(row) for row in X.tolist()]
    loss = losses.hinge(out, y.tolist()) + losses.l2(params, 1e-4)
    expected = reference_backward(loss)
    expected_step = [p.data - 0.1 * expected.get(p, 0.0) for p in params]
    train_step(model, X, y, losses.hinge, SGD(params, lr=0.1), l2=1e-4)
    assert [p.data for p in params] == expected_step


def structure(v: Value) -> tuple:
    """The whole graph behind `v` as nested tuples of (op, data, parents) (small graphs only)."""
    return (str(v.op), v.data, tuple(structure(p) for p in v.parents))


def test_affine_is_one_node_with_the_floats_of_its_products_summed():
    ws = [Value(0.3), Value(-1.7), Value(2.2)]
    xs = [Value(1.1), 0.25, np.float64(-3.0)]
    b = Value(0.5)
    fast = affine(ws, xs, b)
    assert fast.op == "affine" and fast.op.args == (3,)
    assert fast.parents[:3] == (b, ws[0], xs[0]) and fast.parents[3::2] == tuple(ws[1:])
    assert [p.data for p in fast.parents[4::2]] == [0.25, -3.0]
    spelled_out = b + ws[0] * xs[0] + ws[1] * xs[1] + ws[2] * xs[2]
    assert fast.data == spelled_out.data
    generic = apply(AFFINE, fast.parents, 3)  # the entry's own forward (`scalar`)
    assert structure(generic) == structure(fast)
    with no_grad():
        assert affine(ws, xs, b).parents == ()


def test_affine_names_itself_in_its_errors():
    w, b = Value(0.5), Value(1.0)
    with pytest.raises(ValueError, match=r"^affine: 1 weight\(s\) but 2 input\(s\)$"):
        affine([w], [Value(1.0), Value(2.0)], b)
    with pytest.raises(TypeError, match=r"^affine: expected a Value or a real number, got str"):
        affine([w], ["1.0"], b)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6), st.lists(st.floats(-3.0, 3.0), min_size=14, max_size=14), st.data())
def test_affine_float_pass_matches_the_reference_bit_for_bit(n, numbers, data):
    """The unrolled backward of an affine node (`AFFINE.accumulate`) against each op's own rule
    (`reference_backward`) and the generic engine, with Values shared between weights, inputs
    and bias (so the order of accumulation shows)."""
    pool = [Value(x) for x in numbers]
    pick = st.integers(0, len(pool) - 1)
    ws = [pool[data.draw(pick)] for _ in range(n)]
    xs = [pool[data.draw(pick)] for _ in range(n)]
    out = affine(ws, xs, pool[data.draw(pick)]).tanh() * affine(xs, ws, pool[0])
    expected = reference_backward(out)
    generic = gradients([out], [1.0])
    out.backward()
    for v in pool:
        assert same_bits(v.grad, expected.get(v, 0.0)), (v.grad, expected.get(v, 0.0))
        assert same_bits(v.grad, generic.get(v, 0.0)), (v.grad, generic.get(v, 0.0))


def test_affine_gives_the_bits_of_its_products_summed_in_the_forward_and_backward():
    rng = np.random.default_rng(5)
    data = rng.normal(size=(3, 9)).tolist()

    def grads(build):
        ws, xs, b = [Value(v) for v in data[0]], [Value(v) for v in data[1]], Value(data[2][0])
        out = build(ws, xs, b).tanh()
        out.backward()
        return out.data, [v.grad for v in [*ws, *xs, b]]

    assert grads(affine) == grads(lambda ws, xs, b: sum_values([b, *map(mul, ws, xs)]))


def test_one_sum_node_gives_the_bits_of_a_chain_of_additions():
    rng = np.random.default_rng(3)
    data = rng.normal(size=(2, 17)).tolist()

    def grads(build):
        ws, xs = [Value(v) for v in data[0]], [Value(v) for v in data[1]]
        out = build(ws, xs).tanh()
        out.backward()
        return out.data, [v.grad for v in ws + xs]

    def chain(ws, xs):
        out = ws[0] * xs[0]
        for w, x in zip(ws[1:], xs[1:]):
            out = out + w * x
        return out

    assert grads(lambda ws, xs: affine(ws[1:], xs[1:], ws[0] * xs[0])) == grads(chain)
