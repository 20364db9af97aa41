"""nn.micrograd: code written for micrograd (its demo.ipynb, trace_graph.ipynb, the lecture's
snippets) runs with only its import lines changed. The code below is written in micrograd's style
on purpose: that is the spec."""

import math
import random
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import require_module

from autograd import Value as EngineValue
from nn import micrograd
from nn.data import make_moons
from nn.micrograd import MLP, Layer, Neuron, Value, draw_dot


def demo_training(Value, MLP, steps, n=40):
    """micrograd's demo.ipynb: svm loss, L2, learning-rate decay and accuracy, as written there."""
    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n, noise=0.1, seed=1337)
    y = y * 2 - 1
    model = MLP(2, [16, 16, 1])

    def loss(batch_size=None):
        if batch_size is None:
            Xb, yb = X, y
        else:
            ri = np.random.permutation(X.shape[0])[:batch_size]
            Xb, yb = X[ri], y[ri]
        inputs = [list(map(Value, xrow)) for xrow in Xb]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    history = []
    for k in range(steps):
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        history.append((total_loss.data, acc))
    return model, history


def test_demo_training_loop_runs_and_learns_the_moons():
    model, history = demo_training(Value, MLP, steps=100)
    assert len(model.parameters()) == 337
    assert history[0][1] == pytest.approx(0.5, abs=0.2)
    assert history[0][0] > 0.5
    assert history[-1][0] < 0.05
    assert history[-1][1] == 1.0


def test_demo_training_loop_matches_micrograd_itself():
    real = require_module("micrograd.engine")  # the `bench` extra
    real_nn = require_module("micrograd.nn")
    _, ours = demo_training(Value, MLP, steps=2, n=20)
    _, theirs = demo_training(real.Value, real_nn.MLP, steps=2, n=20)
    for (loss, acc), (their_loss, their_acc) in zip(ours, theirs):
        assert loss == pytest.approx(their_loss, rel=1e-12)
        assert acc == their_acc


def test_random_seed_makes_the_mlp_reproducible_with_micrograds_weights():
    random.seed(1337)
    a = MLP(2, [4, 1])
    random.seed(1337)
    b = MLP(2, [4, 1])
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    random.seed(1337)
    first_weights = [random.uniform(-1, 1) for _ in range(2)]  # micrograd's draw, in order
    assert [p.data for p in a.parameters()[:2]] == first_weights
    assert a.parameters()[2].data == 0.0  # the bias


def trace(root):
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def notebook_draw_dot(root, format="svg", rankdir="LR"):
    """trace_graph.ipynb's own draw_dot, unchanged: it walks `_prev` and reads `_op`."""
    from graphviz import Digraph

    assert rankdir in ["LR", "TB"]
    nodes, edges = trace(root)
    dot = Digraph(format=format, graph_attr={"rankdir": rankdir})
    for n in nodes:
        dot.node(
            name=str(id(n)),
            label="{ data %.4f | grad %.4f }" % (n.data, n.grad),  # noqa: UP031
            shape="record",
        )
        if n._op:
            dot.node(name=str(id(n)) + n._op, label=n._op)
            dot.edge(str(id(n)) + n._op, str(id(n)))
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


def test_trace_graph_notebook_walks_prev_and_op():
    x = Value(1.0)
    y = (x * 2 + 1).relu()
    y.backward()
    nodes, edges = trace(y)
    assert len(nodes) == 6  # x, the constants 2 and 1, x*2, +, relu
    assert sorted(n._op for n in nodes) == ["", "", "", "*", "+", "relu"]
    assert len(edges) == 5
    assert (y.data, x.grad) == (3.0, 2.0)
    source = notebook_draw_dot(y).source
    assert "data 3.0000 | grad 1.0000" in source
    assert "data 1.0000 | grad 2.0000" in source


def test_trace_graph_neuron_with_seed_1337():
    random.seed(1337)
    n = micrograd.Neuron(2)
    x = [Value(1.0), Value(-2.0)]
    y = n(x)
    y.backward()
    random.seed(1337)
    w0, w1 = random.uniform(-1, 1), random.uniform(-1, 1)
    assert y.data == max(0.0, w0 * 1.0 + w1 * -2.0)
    dot = notebook_draw_dot(y)
    assert dot.source.count("shape=record") == len(trace(y)[0])


def test_trace_graph_neuron_node_count():
    random.seed(1337)
    y = Neuron(2)([Value(1.0), Value(-2.0)])
    nodes, _ = trace(y)
    # x0, x1, w0, w1, b, b + w0*x0 + w1*x1 (one affine node), relu
    assert len(nodes) == 7


def test_draw_dot_renders_the_graph(tmp_path):
    x = Value(1.0)
    y = (x * 2 + 1).relu()
    y.backward()
    dot = draw_dot(y)
    assert dot.format == "svg"
    assert "data 3" in dot.source and "relu" in dot.source
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    written = dot.render(str(tmp_path / "gout"))
    assert written.endswith("gout.svg")
    assert "<svg" in (tmp_path / "gout.svg").read_text()
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(y, rankdir="XY")


def test_lecture_expression_with_labels_and_manual_gradients():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    assert L.data == -8.0
    assert L._op == "*" and L._prev == {d, f}
    L.grad = 1.0
    for node in (L, d, e):  # backpropagation by hand, one node at a time as in the lecture
        node._backward()
    assert (f.grad, d.grad, c.grad, e.grad, a.grad, b.grad) == (4.0, -2.0, -2.0, -2.0, 6.0, -4.0)


def test_lecture_neuron_backward_by_topological_order():
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    n = x1w1 + x2w2 + b
    o = n.tanh()
    o.label = "o"
    topo = []
    visited = set()

    def build_topo(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(o)
    o.grad = 1.0
    for node in reversed(topo):
        node._backward()
    assert o.data == pytest.approx(math.sqrt(0.5))
    assert x1.grad == pytest.approx(-1.5)
    assert w1.grad == pytest.approx(1.0)
    assert x2.grad == pytest.approx(0.5)
    assert w2.grad == 0.0
    # the engine's own backward gives the same numbers
    for v in topo:
        v.grad = 0.0
    o.backward()
    assert (x1.grad, w1.grad, x2.grad) == pytest.approx((-1.5, 1.0, 0.5))


def test_lecture_tanh_by_exp_and_division():
    n = Value(0.8813735870195432)
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    o.backward()
    assert o.data == pytest.approx(math.sqrt(0.5))
    assert n.grad == pytest.approx(0.5)
    assert all(isinstance(v, Value) for v in trace(o)[0])


def test_lecture_mlp_regression_loop():
    random.seed(1337)
    n = MLP(3, [4, 4, 1])
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    losses = []
    for _ in range(30):
        ypred = [n(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
        for p in n.parameters():
            p.grad = 0.0
        loss.backward()
        for p in n.parameters():
            p.data += -0.02 * p.grad
        losses.append(loss.data)
    assert len(n.parameters()) == 41
    assert losses[-1] < losses[0] / 4


def test_value_constructs_from_children_and_op_and_backpropagates():
    a, b = Value(2.0), Value(-3.0)
    out = Value(a.data * b.data, (a, b), "*")
    out.backward()
    assert (out.data, a.grad, b.grad) == (-6.0, -3.0, 2.0)
    squared = Value(9.0, (b,), "**2")
    assert squared._op == "**2"
    relu = Value(0.0, (b,), "ReLU")  # micrograd's spelling of relu
    assert relu._op == "relu"
    with pytest.raises(ValueError, match="'frobnicate'"):
        Value(1.0, (a,), "frobnicate")
    with pytest.raises(ValueError, match="takes 2 children, got 1"):
        Value(1.0, (a,), "+")
    with pytest.raises(TypeError, match="_children must be Values"):
        Value(1.0, (a, 2.0), "+")


def test_every_result_is_a_micrograd_value():
    x = Value(3.0)
    results = [x + 1, 1 + x, x - 1, 1 - x, x * 2, 2 * x, x / 2, 2 / x, x**2, 2**x, -x, (-x).abs()]
    results += [x.exp(), x.log(), x.tanh(), x.sigmoid(), x.relu(), x.sqrt(), x + EngineValue(1.0)]
    results.append(EngineValue(1.0) * x)
    assert all(type(r) is Value for r in results)
    assert [r.data for r in results[:6]] == [4.0, 4.0, 2.0, -2.0, 6.0, 6.0]
    assert results[-1]._prev and results[-2]._prev


def test_neuron_nonlin_and_layer_of_one_returns_a_bare_value():
    random.seed(0)
    linear = Neuron(3, nonlin=False)
    assert linear.nonlin is False and repr(linear) == "LinearNeuron(3)"
    assert Neuron(3).nonlin is True
    out = Layer(2, 1)([1.0, -2.0])
    assert isinstance(out, Value)
    outs = Layer(2, 3)([1.0, -2.0])
    assert isinstance(outs, list) and len(outs) == 3
    model = MLP(2, [3, 1])
    assert repr(model) == (
        "MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)], "
        "Layer of [LinearNeuron(3)]]"
    )
    assert [layer.neurons[0].nonlin for layer in model.layers] == [True, False]
    assert model.parameters()[0].label == "layer0.neuron0.w0"


def test_autograd_never_imports_nn():
    code = (
        "import sys, autograd; autograd.Value(1.0); "
        "print(any(m == 'nn' or m.startswith('nn.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_micrograd_models_keep_their_own_checkpoint_names_and_rebuild(tmp_path):
    # nn.micrograd.Neuron shares its Python name with nn.Neuron; checkpoints tell them apart.
    import nn as core

    random.seed(1337)
    model = MLP(2, [4, 1])
    model.save(tmp_path / "m.json")
    rebuilt = core.load_model(tmp_path / "m.json")
    assert type(rebuilt) is MLP
    assert [p.data for p in rebuilt.parameters()] == [p.data for p in model.parameters()]
    assert type(core.load_model(_saved(core.MLP(2, [3]), tmp_path / "c.json"))) is core.MLP


def _saved(model, path):
    model.save(path)
    return path
