"""The one walk and the one chain rule: the scalar fast loop equals the generic engine bit for
bit, Tensor graphs differentiate twice (against PyTorch float64), the walk's order, on-path set."""

from __future__ import annotations

import random

import numpy as np
import pytest

from autograd import Tensor, Value, affine, on_path, sum_values, topological_order
from autograd.backward import gradients
from tests.catalogue import BINARY, UNARY

# ------------------------------------------------------------------ the scalar fast loop


def _random_graph(seed: int):
    """A random graph over every catalogue op, n-input sums and affine maps, from 4 leaves:
    (leaves, root)."""
    rng = random.Random(seed)
    leaves = [Value(rng.uniform(0.5, 1.5), f"x{i}") for i in range(4)]
    pool = list(leaves)
    for _ in range(40):
        if rng.random() < 0.5:
            op = rng.choice(UNARY)
            x = rng.choice(pool)
            if not op.domain(x.data) or abs(x.data) > 5:
                continue
            pool.append(op.fn(x))
        elif rng.random() < 0.8:
            op = rng.choice(BINARY)
            a, b = rng.choice(pool), rng.choice(pool)
            if not op.domain(a.data, b.data) or abs(a.data) > 5 or abs(b.data) > 5:
                continue
            pool.append(op.fn(a, b))
        elif rng.random() < 0.5:
            pool.append(sum_values(rng.sample(pool, 3)))
        else:  # an affine node, a Value possibly among its weights, inputs and bias at once
            k = rng.randint(1, 4)
            pool.append(affine(rng.choices(pool, k=k), rng.choices(pool, k=k), rng.choice(pool)))
    return leaves, sum_values(pool[-6:])


@pytest.mark.parametrize("seed", range(8))
def test_scalar_fast_loop_equals_the_generic_engine_bit_for_bit(seed):
    _, root = _random_graph(seed)
    root.backward()
    fast = [v.grad for v in topological_order(root, leaves=True)]
    generic = gradients([root], [1.0])
    expected = [generic.get(v, 0.0) for v in topological_order(root, leaves=True)]
    assert [g.hex() for g in fast] == [float(g).hex() for g in expected]


@pytest.mark.parametrize("seed", range(4))
def test_differentiable_pass_gives_the_same_bits_as_the_float_pass(seed):
    _, root = _random_graph(seed)
    first = gradients([root], [1.0])
    nodes = gradients([root], [1.0], create_graph=True)
    assert {v: g.data for v, g in nodes.items()} == first


# ------------------------------------------------------------------ tensors, second order

# (name, ours, theirs, shapes): each f maps leaves to a scalar; `theirs` spells it in torch.
SECOND_ORDER = [
    (
        "mlp-layer",
        lambda x, w, b: ((x @ w + b).tanh() ** 2).mean() + x.sigmoid().sum() / 3,
        lambda t, x, w, b: ((x @ w + b).tanh() ** 2).mean() + x.sigmoid().sum() / 3,
        [(4, 3), (3, 2), (2,)],
    ),
    (
        "softmax-log-softmax",
        lambda a, b: (a * b).log_softmax(axis=0)[1].sum() + (a.softmax(axis=1) * b).sum(),
        lambda t, a, b: (a * b).log_softmax(dim=0)[1].sum() + (a.softmax(dim=1) * b).sum(),
        [(3, 4), (3, 4)],
    ),
    (
        "index-matmul-cross-entropy",
        lambda x: ((x[[0, 2, 2]] ** 2) @ x.T).exp().sum() / 50 + x.cross_entropy([1, 0, 3]),
        lambda t, x: (
            ((x[[0, 2, 2]] ** 2) @ x.T).exp().sum() / 50
            + t.nn.functional.cross_entropy(x, t.tensor([1, 0, 3]))
        ),
        [(3, 4)],
    ),
    (
        "reshape-transpose-pow-max-div",
        lambda x, y: (
            (x.reshape(2, 6).T * y).exp().sum(axis=(0, 1)) / 10
            + ((x + 1).log() ** y.mean()).sum()
            + (x / (y.sum() + 2)).max(axis=1).sum() * x[1, 2]
        ),
        lambda t, x, y: (
            (x.reshape(2, 6).T * y).exp().sum(dim=(0, 1)) / 10
            + ((x + 1).log() ** y.mean()).sum()
            + t.amax(x / (y.sum() + 2), dim=1).sum() * x[1, 2]
        ),
        [(3, 4), (2,)],
    ),
    (
        "broadcast-sqrt-relu-matvec",
        lambda x, v: (((x + v) ** 2 + 1).sqrt() @ v).relu().sum() + (v @ x.T @ x @ v) / 7,
        lambda t, x, v: (((x + v) ** 2 + 1).sqrt() @ v).relu().sum() + (v @ x.T @ x @ v) / 7,
        [(3, 4), (4,)],
    ),
]


def _arrays(shapes):
    rng = np.random.default_rng(len(shapes))
    return [rng.uniform(0.3, 1.2, s) for s in shapes]


@pytest.mark.parametrize("name, f, f_torch, shapes", SECOND_ORDER, ids=[c[0] for c in SECOND_ORDER])
def test_tensor_second_derivatives_match_torch(torch, name, f, f_torch, shapes):
    """grad with create_graph, then the gradient of <grad, v>: a Hessian-vector product."""
    arrays = _arrays(shapes)
    directions = [np.cos(np.arange(a.size)).reshape(a.shape) for a in arrays]
    xs = [Tensor(a) for a in arrays]
    f(*xs).backward(create_graph=True)
    first = [x.grad for x in xs]
    for x in xs:
        x.zero_grad()
    total = (first[0] * directions[0]).sum()
    for g, d in zip(first[1:], directions[1:]):
        total = total + (g * d).sum()
    total.backward()

    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    t_first = torch.autograd.grad(f_torch(torch, *ts), ts, create_graph=True)
    t_dot = sum((g * torch.tensor(d)).sum() for g, d in zip(t_first, directions))
    t_second = torch.autograd.grad(t_dot, ts)
    for i in range(len(xs)):
        np.testing.assert_allclose(
            first[i].data,
            t_first[i].detach().numpy(),
            rtol=1e-10,
            atol=1e-12,
            err_msg=f"{name}: first derivative, input {i}",
        )
        np.testing.assert_allclose(
            xs[i].grad,
            t_second[i].numpy(),
            rtol=1e-10,
            atol=1e-12,
            err_msg=f"{name}: second derivative, input {i}",
        )


def test_tensor_create_graph_adds_to_existing_grads():
    x = Tensor([1.0, 2.0])
    (x * x).sum().backward()  # 2x
    (x * x * x).sum().backward(create_graph=True)  # + 3x^2, as a Tensor
    assert isinstance(x.grad, Tensor)
    np.testing.assert_array_equal(x.grad.data, [5.0, 16.0])


def test_tensor_first_order_is_unchanged_by_the_generic_engine():
    """Leaf gradients are separate writable arrays even where a rule passes one array on."""
    a, b = Tensor([1.0, 2.0]), Tensor([3.0, 4.0])
    (a + b).sum().backward()
    assert a.grad is not b.grad and a.grad.flags.writeable
    a.grad += 1
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


# ------------------------------------------------------------------ the walk


def test_order_of_several_roots_lists_each_node_once_after_its_parents():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    c = a * b
    d, e = c + a, c - b
    order = topological_order([d, e])
    assert order == [c, d, e]
    assert topological_order([d, e], leaves=True) == [a, b, c, d, e]


def test_order_with_leaves_lists_a_leaf_root():
    a = Value(1.0)
    assert topological_order(a) == []
    assert topological_order(a, leaves=True) == [a]


def test_on_path_is_the_nodes_that_depend_on_the_target():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a.exp()
    assert on_path(topological_order(d), b) == {b, c, d}
    assert on_path(topological_order(d), a) == {a, c, d, d.parents[1]}


def test_walk_serves_tensor_graphs_too():
    x = Tensor([1.0, 2.0])
    y = (x * 2).exp().sum()
    assert [str(n.op) for n in topological_order(y)] == ["*", "exp", "sum"]


# ------------------------------------------------------------------ the collector


def test_backward_pauses_the_collector_and_restores_it():
    import gc

    x = Value(2.0)
    seen = []
    probe = autograd_define_probe(seen)
    y = probe(x * x)
    assert gc.isenabled()
    y.backward()
    assert seen == [False] and gc.isenabled() and x.grad == 4.0
    gc.disable()
    try:
        probe(x).backward()
        assert not gc.isenabled()
    finally:
        gc.enable()


def autograd_define_probe(seen):
    """An identity op whose derivative rule records whether the collector is on."""
    import gc

    from autograd import define_op

    def rule(out, x):
        seen.append(gc.isenabled())
        return (1.0,)

    return define_op("probe", lambda x: x, rule)
