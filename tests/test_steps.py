"""The steps model: forward and backward steps from the engine's own rules, ending exactly where
`backward()` ends."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from test_properties import inputs, programs, run

from autograd import Value
from autograd.viz.steps import backprop_steps, number
from nn import MLP


def neuron():
    x, w, b = Value(2.0, "x"), Value(-0.5, "w"), Value(0.5, "b")
    return (x * w + b).tanh(), (x, w, b)


def graphs():
    """(name, root) pairs covering every primitive, constants, reuse and a network."""
    a, b = Value(1.5, "a"), Value(-0.75, "b")
    yield "neuron", neuron()[0]
    yield "reuse", (a + a) * a - a / b
    yield "constants", (a * 3.0 + 1.0) ** 2 - (-b).exp()
    yield "unary", a.log() + b.sigmoid() + b.relu() + a.softplus() + b.sin() * a.cos() + b.abs()
    yield "power", a**b + a.sqrt()
    model = MLP(2, [4, 3, 1], activation="tanh", seed=3)
    yield "mlp", model([Value(0.3, "x0"), Value(-1.2, "x1")])


@pytest.mark.parametrize("name", [name for name, _ in graphs()])
def test_last_step_gradients_equal_backward_exactly(name):
    root = dict(graphs())[name]
    steps = backprop_steps(root)
    root.backward()
    for node in steps.nodes:
        assert steps.grads.get(node, 0.0) == node.grad, (steps.name(node), steps.grads, node.grad)


def test_the_graph_is_left_as_it_was():
    root, leaves = neuron()
    backprop_steps(root)
    assert [v.grad for v in leaves] == [0.0, 0.0, 0.0] and root.grad == 0.0


def test_forward_steps_follow_the_computation_with_formulas():
    root, (x, w, _) = neuron()
    steps = backprop_steps(root)
    assert [s.op for s in steps.forward] == ["*", "+", "tanh"]
    assert steps.forward[0].inputs == (x, w) and steps.forward[0].value == -1.0
    assert [s.formula for s in steps.forward] == [
        "n1 = x · w = 2.0 · (-0.5) = -1.0",
        "n2 = n1 + b = -1.0 + 0.5 = -0.5",
        "L = tanh(n2) = tanh(-0.5) = -0.4621",
    ]
    assert steps.forward[-1].value == math.tanh(-0.5)


def test_backward_steps_carry_upstream_local_and_running_gradients():
    root, (x, w, _) = neuron()
    steps = backprop_steps(root)
    assert [s.node for s in steps.backward] == [s.node for s in reversed(steps.forward)]
    top = steps.backward[0]
    (c,) = top.contributions
    assert top.upstream == 1.0
    assert c.local == 1.0 - math.tanh(-0.5) ** 2 and c.contribution == c.local
    assert c.derivative == "∂L/∂n2 = 1 - L^2 = 0.7864"
    last = steps.backward[-1]
    cx, cw = last.contributions
    assert (cx.parent, cx.local, cw.parent, cw.local) == (x, -0.5, w, 2.0)
    assert cx.line == "dL/dx += dL/dn1 · ∂n1/∂x = 0.7864 · (-0.5) = -0.3932"
    assert (cw.before, cw.after) == (0.0, 2.0 * c.local)


def test_a_node_used_twice_by_one_op_gets_two_contributions_that_add_up():
    a = Value(3.0, "a")
    b = a + a
    b.label = "b"
    steps = backprop_steps(b)
    first, second = steps.backward[0].contributions
    assert (first.parent, second.parent) == (a, a)
    assert (first.before, first.after, second.before, second.after) == (0.0, 1.0, 1.0, 2.0)
    assert steps.grads[a] == 2.0


def test_a_node_feeding_two_consumers_adds_their_contributions_in_turn():
    a, b = Value(2.0, "a"), Value(5.0, "b")
    c = a * b
    d = a + b
    e = c * d  # a reaches e through c and through d
    steps = backprop_steps(e)
    into_a = [c for s in steps.backward for c in s.contributions if c.parent is a]
    assert len(into_a) == 2
    assert into_a[0].before == 0.0 and into_a[1].before == into_a[0].after
    assert into_a[1].after == into_a[0].contribution + into_a[1].contribution
    e.backward()
    assert into_a[1].after == a.grad == b.data * d.data + c.data


def test_a_seed_other_than_one_scales_every_gradient():
    root, (_, w, _) = neuron()
    steps = backprop_steps(root, gradient=2.0)
    root.backward(2.0)
    assert steps.grads[w] == w.grad and steps.seed == 2.0


def test_a_leaf_root_has_no_steps():
    a = Value(1.0, "a")
    steps = backprop_steps(a)
    assert (len(steps), steps.grads[a]) == (0, 1.0)


def test_constants_and_unlabelled_nodes_get_names():
    a = Value(2.0)
    steps = backprop_steps(a * 3.0 + a)
    assert sorted(steps.names.values()) == ["L", "c1", "c2", "n1"]


def test_a_root_that_is_not_a_value_is_rejected():
    with pytest.raises(TypeError, match="backprop_steps: root must be a Value, got float"):
        backprop_steps(1.0)


@pytest.mark.parametrize(
    "x, text", [(2.0, "2.0"), (-0.5, "-0.5"), (0.78644773, "0.7864"), (1e-5, "1e-05"), (0.0, "0.0")]
)
def test_numbers_are_written_short(x, text):
    assert number(x) == text


def test_a_custom_op_steps_with_its_own_rule_and_its_number():
    from autograd import primitive

    @primitive(derivatives=lambda out, x: 1 - out * out)
    def my_tanh(x):
        return math.tanh(x)

    x = Value(0.5, "x")
    y = my_tanh(x * 2.0)
    steps = backprop_steps(y)
    assert steps.forward[-1].formula == "L = my_tanh(n1) = my_tanh(1.0) = 0.7616"
    assert steps.backward[0].contributions[0].derivative == "∂L/∂n1 = 0.42"
    y.backward()
    assert steps.grads[x] == x.grad


@settings(max_examples=100, deadline=None)
@given(programs, inputs)
def test_on_random_graphs_the_steps_end_exactly_where_backward_does(program, xs):
    leaves = [Value(x, f"x{i}") for i, x in enumerate(xs)]
    root = run(program, leaves)
    if not isinstance(root, Value) or not root.parents:
        return  # the program returned an input: nothing to step through
    steps = backprop_steps(root)
    root.backward()
    for node in steps.nodes:
        assert steps.grads.get(node, 0.0) == node.grad or (
            math.isnan(node.grad) and math.isnan(steps.grads[node])
        )
    running = {}  # every contribution starts from the parent's previous running value
    for step in steps.backward:
        for c in step.contributions:
            assert c.before == running.get(c.parent, 0.0)
            running[c.parent] = c.after
