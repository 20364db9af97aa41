"""The backward pass: order, reuse, accumulation, depth, memory, grad modes."""

from __future__ import annotations

import sys

from conftest import cyclic_project_garbage

from autograd import Value, no_grad, topological_order, zero_grad


def test_reused_node_gradient_is_exact():
    a = Value(3.0)
    b = a + a
    c = b * b  # c = 4a^2
    c.backward()
    assert a.grad == 8 * a.data
    assert b.grad == 2 * b.data


def test_gradients_accumulate_across_calls_like_torch():
    a = Value(3.0)
    b = a * a
    c = b * 2.0
    c.backward()
    c.backward()
    assert a.grad == 2 * (4 * a.data)
    assert b.grad == 2 * 2.0  # intermediates accumulate too, without leaking into the leaves
    assert c.grad == 2.0


def test_second_backward_on_a_shared_subgraph_counts_each_pass_once():
    x = Value(2.0)
    h = x * x
    y = h * 3.0
    z = h + 1.0
    y.backward()
    z.backward()
    assert x.grad == (3.0 + 1.0) * 2 * x.data


def test_backward_with_a_seed_gradient_scales_everything():
    a, b = Value(2.0), Value(5.0)
    (a * b).backward(gradient=0.5)
    assert (a.grad, b.grad) == (2.5, 1.0)


def test_backward_of_a_leaf_sets_its_own_gradient():
    a = Value(2.0)
    a.backward()
    assert a.grad == 1.0


def test_zero_grad_resets_every_value():
    a, b = Value(2.0), Value(5.0)
    (a * b).backward()
    zero_grad([a, b])
    assert (a.grad, b.grad) == (0.0, 0.0)


def test_topological_order_puts_parents_first_and_skips_leaves():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert order == [c, d, e]
    assert topological_order(a) == []


def test_million_deep_chain_backward_at_default_recursion_limit():
    limit = sys.getrecursionlimit()
    x = Value(1.0)
    one = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * one
    y.backward()
    assert x.grad == 1.0
    assert one.grad == 1_000_000.0
    assert sys.getrecursionlimit() == limit
    del y  # freeing a million-deep graph must not overflow the C stack either


def test_dropped_graph_leaves_nothing_for_the_cyclic_collector():
    def chain():
        x = Value(0.5, "x")
        y = x
        for _ in range(1000):
            y = (y * 1.01 + x).tanh()
        y.backward()

    assert cyclic_project_garbage(chain) == []


def test_no_grad_records_no_parents():
    a = Value(2.0)
    with no_grad():
        b = a * 3 + 1
        c = b.exp()
    assert b.parents == () and b.op == "" and c.parents == ()
    assert b.data == 7.0
    d = a * 3  # recording resumes after the block
    assert d.parents[0] is a


def test_no_grad_nests_and_restores():
    from autograd import is_grad_enabled

    with no_grad():
        with no_grad():
            assert not is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_no_grad_works_as_a_decorator():
    @no_grad()
    def f(v):
        return v * v

    assert f(Value(3.0)).parents == ()


def test_detach_cuts_the_graph():
    a = Value(2.0, "a")
    b = a * a
    c = b.detach() * a  # only the direct use of a counts
    c.backward()
    assert a.grad == b.data
    assert b.detach().parents == () and b.detach().data == 4.0


def test_create_graph_gives_differentiable_gradients():
    x = Value(3.0)
    y = x**3  # dy/dx = 3x^2, d2y/dx2 = 6x
    y.backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Value) and g.data == 27.0
    x.grad = 0.0
    g.backward()
    assert x.grad == 18.0


def test_create_graph_and_float_pass_give_identical_numbers():
    xs = [Value(0.1 * i - 0.3) for i in range(6)]
    ys = [Value(0.2 * i + 0.1) for i in range(6)]

    def f():
        return sum((x * y).tanh() + (x - y).sigmoid() * x for x, y in zip(xs, ys))

    f().backward()
    floats = [v.grad for v in xs + ys]
    zero_grad(xs + ys)
    f().backward(create_graph=True)
    assert [v.grad.data for v in xs + ys] == floats
