"""The plan of a picture (`plan_graph`): which boxes, clusters, edges and colours it has."""

from __future__ import annotations

import pytest

from autograd import Value
from autograd.viz.picture import KIND_FILL, OpBox, SummaryBox, ValueBox, plan_graph
from nn import MLP


def test_an_expression_has_a_box_per_value_and_per_op_and_an_edge_per_argument():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = a * b + a
    c.backward()
    picture = plan_graph(c)
    kinds = [(type(box).__name__, box.id) for box in picture.boxes]
    assert kinds == [
        ("ValueBox", "v0"), ("ValueBox", "v1"), ("ValueBox", "v2"), ("OpBox", "v2op"),
        ("ValueBox", "v3"), ("OpBox", "v3op"),
    ]  # fmt: skip
    assert picture.values[0].fields == ["a", "data 2", "grad -2"]
    assert picture.values[-1].fill == KIND_FILL["output"]
    assert [(e.source, e.target) for e in picture.edges] == [
        ("v0", "v2op"), ("v1", "v2op"), ("v2op", "v2"),
        ("v2", "v3op"), ("v0", "v3op"), ("v3op", "v3"),
    ]  # fmt: skip
    assert picture.box_of == {node: f"v{i}" for i, node in enumerate(picture.nodes)}
    assert picture.legend.kinds == {"input", "intermediate", "output"}


def test_folding_a_network_gives_one_summary_per_module_and_the_box_of_every_node():
    model = MLP(2, [3, 1], seed=0)
    out = model([Value(0.5, "x0"), Value(-1.0, "x1")])
    out.backward()
    picture = plan_graph(out, collapse="neuron")
    modules = [s.module for s in picture.summaries]
    assert modules == ["layer0.neuron0", "layer0.neuron1", "layer0.neuron2", "layer1.neuron0"]
    assert [s.id for s in picture.summaries] == ["m0", "m1", "m2", "m3"]
    for s in picture.summaries:
        assert all(picture.box_of[m] == s.id for m in s.members)
        assert s.cluster == s.module.rpartition(".")[0]
        assert len(s.exits) == 1 and s.exits[0].label == s.module  # the neuron's activation
    inputs = [box for box in picture.boxes if isinstance(box, ValueBox)]
    assert [box.fields[0] for box in inputs] == ["x0", "x1"]
    assert not any(isinstance(box, OpBox) for box in picture.boxes)
    assert isinstance(picture.boxes[-1], SummaryBox) and picture.legend.folded


def test_without_clusters_every_box_is_at_the_top_level():
    model = MLP(2, [2], seed=0)
    out = model([Value(0.5, "x0"), Value(-1.0, "x1")])[0]
    assert {box.cluster for box in plan_graph(out).boxes} > {None}
    assert {box.cluster for box in plan_graph(out, clusters=False).boxes} == {None}


def test_a_highlight_outside_the_graph_is_refused():
    with pytest.raises(ValueError, match="highlight must be a node of the graph"):
        plan_graph(Value(1.0) * 2, highlight=Value(3.0))
