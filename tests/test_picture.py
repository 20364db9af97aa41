"""The plan of a picture (`plan_graph`): which boxes, clusters, edges and colours it has."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from autograd import Tensor, Value
from autograd.viz.picture import KIND_FILL, OpBox, SummaryBox, ValueBox, plan_graph
from nn import MLP, losses


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


# ------------------------------------------------------------------------------ described modules


def small_cnn():
    """conv-relu-pool-flatten-fc-dropout-fc on 2 images of 8x8, in training mode."""
    from nn import Conv2d, Dropout, Flatten, Linear, MaxPool2d, Sequential

    model = Sequential(
        Conv2d(1, 4, 3, padding=1, seed=0),
        "relu",
        MaxPool2d(2),
        Flatten(),
        Linear(64, 5, seed=1),
        Dropout(0.5, seed=0),
        Linear(5, 3, seed=2),
    )
    images = np.random.default_rng(0).standard_normal((2, 1, 8, 8))
    return model, Tensor(images, requires_grad=False, label="images")


def test_a_described_cnn_folds_into_one_box_per_layer_saying_what_it_is():
    model, x = small_cnn()
    picture = plan_graph(model(x), collapse=1, show_grad=False, describe=model.descriptions())
    assert [box.fields[0] for box in picture.values] == ["images"]
    assert len(picture.boxes) == len(model.layers) + 1, "a box per layer and the input's"
    assert not any(isinstance(box, OpBox) for box in picture.boxes)
    assert [(s.module, s.description, s.fields) for s in picture.summaries] == [
        ("layer0", "Conv2d(1→4, 3×3, pad 1)", ["(2, 4, 8, 8) float64", "40 params"]),
        ("layer1", "ReLU", ["(2, 4, 8, 8) float64"]),
        ("layer2", "MaxPool2d(2)", ["(2, 4, 4, 4) float64"]),
        ("layer3", "Flatten()", ["(2, 64) float64"]),
        ("layer4", "Linear(64→5)", ["(2, 5) float64", "325 params"]),
        ("layer5", "Dropout(0.5)", ["(2, 5) float64"]),
        ("layer6", "Linear(5→3)", ["(2, 3) float64", "18 params"]),
    ]
    ids = ["v0"] + [s.id for s in picture.summaries]
    assert [(e.source, e.target) for e in picture.edges] == list(pairwise(ids)), "a chain"
    assert {s.cluster for s in picture.summaries} == {None}


def test_a_layers_parameters_and_dropouts_mask_are_folded_into_their_layers_box():
    model, x = small_cnn()
    picture = plan_graph(model(x), collapse=1, describe=model.descriptions())
    box = {s.module: s.id for s in picture.summaries}
    conv = model.layers[0]
    assert picture.box_of[conv.W] == picture.box_of[conv.b] == box["layer0"]
    (mask,) = [n for n in picture.nodes if not n.parents and not n.label]
    assert mask.shape == (2, 5) and set(np.unique(mask.data)) == {0.0, 2.0}, "p=0.5: 0 or 2"
    assert picture.box_of[mask] == box["layer5"]
    (layer5,) = [s for s in picture.summaries if s.module == "layer5"]
    assert [str(n.op) or "leaf" for n in layer5.members] == ["leaf", "*"]


def test_in_eval_mode_dropout_is_the_identity_and_has_no_box():
    model, x = small_cnn()
    model.eval()
    picture = plan_graph(model(x), collapse=1, describe=model.descriptions())
    modules = [s.module for s in picture.summaries]
    assert modules == ["layer0", "layer1", "layer2", "layer3", "layer4", "layer6"]


def test_without_descriptions_only_modules_with_parameters_fold():
    model, x = small_cnn()
    picture = plan_graph(model(x), collapse=1, show_grad=False)
    assert [s.module for s in picture.summaries] == ["layer0", "layer4", "layer6"]
    assert [s.description for s in picture.summaries] == ["", "", ""]
    assert picture.summaries[0].fields == ["(2, 4, 8, 8) float64"], "no parameter count"
    labelled = [box.fields[0] for box in picture.values if box.node.label]
    assert labelled == ["images", "layer1", "layer2", "layer3", "layer5"]
    assert [box.kind for box in picture.values if not box.node.label] == ["constant"], "mask"


def test_a_described_loss_term_folds_its_internals_and_layers_sit_beside_their_parameters():
    model, x = small_cnn()
    out = model(x)
    loss = losses.cross_entropy(out, [0, 2])
    loss.label = "cross-entropy"
    reg = losses.l2(model.parameters(), 1e-4)
    reg.label = "L2"
    total = loss + reg
    total.label = "loss"
    total.backward()
    describe = {**model.descriptions(), "L2": "1e-4 × Σ p²"}
    picture = plan_graph(
        total, collapse=1, color_by_grad=True, fold_parameters=False, describe=describe
    )
    summary = {s.module: s for s in picture.summaries}
    assert list(summary) == ["L2"] + [f"layer{i}" for i in range(7)]
    l2 = summary["L2"]
    assert l2.cluster is None and l2.exits == [reg] and l2.parameters == 0
    ops = sorted(str(n.op) for n in l2.members if n.parents)
    assert ops == ["*"] * 7 + ["+"] * 5 + ["sum"] * 6, "p*p and sum per parameter, 5 +, 1 *1e-4"
    params = model.parameters()
    assert {e.source for e in picture.edges if e.target == l2.id} == {
        picture.box_of[p] for p in params
    }, "every parameter feeds the regulariser's box"
    parameter_boxes = [box for box in picture.values if box.kind == "parameter"]
    assert [box.fields[0] for box in parameter_boxes] == [p.label for p in params]
    for box, p in zip(parameter_boxes, params, strict=True):
        assert box.cluster == p.label.rpartition(".")[0]
        name, norm = box.fields[-1].split()
        assert name == "‖grad‖" and float(norm) == pytest.approx(np.linalg.norm(p.grad), 1e-3)
    layers_with_parameters = {"layer0", "layer4", "layer6"}
    for key, s in summary.items():
        assert s.cluster == (key if key in layers_with_parameters else None), key
    shown_ops = sorted(str(box.node.op) for box in picture.boxes if isinstance(box, OpBox))
    assert shown_ops == ["+", "cross_entropy"]


def test_a_described_mlp_names_each_neuron_and_counts_its_parameters():
    model = MLP(2, [3, 1], seed=0)
    out = model([Value(0.5, "x0"), Value(-1.0, "x1")])
    out.backward()
    picture = plan_graph(out, collapse="neuron", describe=model.descriptions())
    assert [s.description for s in picture.summaries] == ["Neuron(2 inputs, relu)"] * 3 + [
        "Neuron(3 inputs, linear)"
    ]
    assert picture.summaries[-1].fields == [f"data {out.data:.4g}", "grad 1", "4 params"]
    layers = plan_graph(out, collapse="layer", describe=model.descriptions()).summaries
    assert [(s.description, s.parameters) for s in layers] == [
        ("Layer(2→3, relu)", 9),
        ("Layer(3→1, linear)", 4),
    ]


@pytest.mark.parametrize(
    ("describe", "error", "match"),
    [
        (["layer0"], TypeError, "describe must be a mapping of module paths"),
        ({"": "ReLU"}, ValueError, "describe must map module paths"),
        ({"layer0": 3}, ValueError, r"got 'layer0': 3"),
    ],
)
def test_describe_must_map_module_paths_to_text(describe, error, match):
    with pytest.raises(error, match=match):
        plan_graph(Value(1.0, "x") * 2, describe=describe)
