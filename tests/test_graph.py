"""Computation-graph drawing: what the picture shows, checked on the SVG that `dot` renders."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import numpy as np
import pytest

from autograd import Value
from autograd.viz.graph import GRAD_SCALE, GraphvizNotFoundError, draw_graph, save_graph

SVG = "{http://www.w3.org/2000/svg}"


# ------------------------------------------------------------------------------ helpers


@dataclass
class Node:
    classes: set[str]
    texts: list[str]
    fill: str | None


@dataclass
class Picture:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[tuple[str, str, set[str]]] = field(default_factory=list)
    clusters: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)

    def of_class(self, name: str) -> dict[str, Node]:
        return {key: node for key, node in self.nodes.items() if name in node.classes}

    def labelled(self, label: str) -> Node:
        (node,) = (n for n in self.of_class("value").values() if n.texts[0] == label)
        return node


def parse_svg(path) -> Picture:
    """Value, op and summary nodes (by SVG class), edges (source, target, classes), clusters."""
    picture = Picture()
    for group in ET.parse(path).getroot().iter(SVG + "g"):
        classes = set(group.get("class", "").split())
        title = group.findtext(SVG + "title")
        if "node" in classes:
            texts = [t.text for t in group.iter(SVG + "text")]
            shapes = [
                s for s in group.iter() if s.tag in (SVG + "path", SVG + "polygon", SVG + "ellipse")
            ]
            fill = shapes[0].get("fill").lower() if shapes else None
            picture.nodes[title] = Node(classes, texts, fill)
        elif "edge" in classes:
            source, target = title.split("->")
            picture.edges.append((source, target, classes))
        elif "cluster" in classes:
            shape = next(s for s in group if s.tag in (SVG + "path", SVG + "polygon"))
            numbers = [float(x) for x in _numbers(shape.get("d") or shape.get("points"))]
            xs, ys = numbers[0::2], numbers[1::2]
            picture.clusters[title] = (min(xs), min(ys), max(xs), max(ys))
    return picture


def _numbers(text: str) -> list[str]:
    return re.findall(r"-?\d+(?:\.\d+)?", text)


def render(root, tmp_path, name="graph.svg", **options) -> Picture:
    return parse_svg(save_graph(root, tmp_path / name, **options))


def expression():
    """e = a*b + c with a=2, b=-3, c=10 after backward: e=4, de/da=-3, de/db=2, de/dc=1."""
    a, b, c = Value(2.0, "a"), Value(-3.0, "b"), Value(10.0, "c")
    d = a * b
    d.label = "d"
    e = d + c
    e.label = "e"
    e.backward()
    return e, (a, b, c, d)


def neuron(path: str, inputs: list, activation: bool = True) -> Value:
    """A neuron named as `nn` names it: parameters `path.w0`.. `path.b`, output labelled `path`."""
    rng = np.random.default_rng(len(path) + 7 * len(inputs))
    out = Value(float(rng.uniform(-1, 1)), f"{path}.b")
    for i, x in enumerate(inputs):
        out = out + Value(float(rng.uniform(-1, 1)), f"{path}.w{i}") * x
    out = out.tanh() if activation else out
    out.label = path
    return out


def network() -> tuple[Value, list[Value]]:
    """2 inputs -> layer0 (2 tanh neurons, 8 nodes each) -> layer1 (1 linear neuron, 7 nodes)."""
    xs = [Value(0.5, "x0"), Value(-1.5, "x1")]
    hidden = [neuron(f"layer0.neuron{j}", xs) for j in range(2)]
    out = neuron("layer1.neuron0", hidden, activation=False)
    out.backward()
    return out, xs


def chain(n: int) -> Value:
    y = Value(0.5, "x")
    for _ in range(n):
        y = y.tanh()
    return y


# ------------------------------------------------------------------------------ nodes and edges


def test_each_value_is_a_box_and_each_op_an_ellipse_between(dot, tmp_path):
    e, _ = expression()
    picture = render(e, tmp_path)
    assert len(picture.of_class("value")) == 5, "a, b, c, d, e"
    assert sorted(n.texts[0] for n in picture.of_class("op").values()) == ["*", "+"]
    assert len(picture.edges) == 6, "a, b -> * -> d; d, c -> + -> e"
    ops = picture.of_class("op")
    for source, target, _ in picture.edges:
        assert (source in ops) != (target in ops), f"edge {source}->{target} skips the op node"


def test_a_value_used_twice_draws_two_edges(dot, tmp_path):
    a = Value(3.0, "a")
    b = a + a
    b.backward()
    picture = render(b, tmp_path)
    a_id = next(k for k, n in picture.of_class("value").items() if n.texts[0] == "a")
    from_a = [edge for edge in picture.edges if edge[0] == a_id]
    assert len(from_a) == 2
    assert picture.labelled("a").texts == ["a", "data 3", "grad 2"]


def test_labels_show_data_and_grad_after_backward(dot, tmp_path):
    e, _ = expression()
    picture = render(e, tmp_path)
    shown = {n.texts[0]: n.texts[1:] for n in picture.of_class("value").values()}
    assert shown == {
        "a": ["data 2", "grad -3"],
        "b": ["data -3", "grad 2"],
        "c": ["data 10", "grad 1"],
        "d": ["data -6", "grad 1"],
        "e": ["data 4", "grad 1"],
    }


def test_numbers_are_shown_to_four_significant_digits():
    x = Value(1.0, "x") / 3.0
    x.label = "third"
    x.backward()
    source = draw_graph(x).source
    assert 'label="{third | data 0.3333 | grad 1}"' in source
    assert 'tooltip="third: data=0.3333333333333333 grad=1.0"' in source, "full precision"


def test_show_data_and_show_grad_can_be_turned_off():
    e, _ = expression()
    source = draw_graph(e, show_data=False, show_grad=False).source
    assert "data " not in source and "grad " not in source.replace("|grad|", "")


def test_kinds_have_different_fills(dot, tmp_path):
    """parameter, input, constant, intermediate and output nodes are told apart by colour."""
    x0 = Value(2.0, "x0")
    out = neuron("neuron", [x0]) * 2.0  # 2.0 becomes an unlabelled constant leaf
    out.backward()
    picture = render(out, tmp_path)
    fills = {}
    for node in picture.of_class("value").values():
        (kind,) = node.classes & {"parameter", "input", "constant", "intermediate", "output"}
        fills.setdefault(kind, set()).add(node.fill)
    assert set(fills) == {"parameter", "input", "constant", "intermediate", "output"}
    assert all(len(colours) == 1 for colours in fills.values()), fills
    assert len({colours.pop() for colours in fills.values()}) == 5, "every kind its own fill"
    (op_fill,) = {n.fill for n in picture.of_class("op").values()}
    legend = picture.of_class("legend")
    assert legend, "a legend is drawn"
    assert {"parameter", "input", "constant", "op"} <= set(next(iter(legend.values())).texts)
    assert op_fill not in {n.fill for n in picture.of_class("value").values()}


def test_png_is_a_real_picture(dot, tmp_path):
    e, _ = expression()
    path = save_graph(e, tmp_path / "e.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = pytest.importorskip("matplotlib.image").imread(path)
    assert image.shape[0] > 100 and image.shape[1] > 300
    assert image[..., :3].std() > 0.05, "not a blank image"


def test_pdf_and_dot_formats_follow_the_extension(dot, tmp_path):
    e, _ = expression()
    assert save_graph(e, tmp_path / "e.pdf").read_bytes()[:5] == b"%PDF-"
    assert save_graph(e, tmp_path / "e.dot").read_text().startswith("digraph")


def test_tensor_nodes_show_shape_and_dtype():
    tensor = pytest.importorskip("autograd.tensor")
    w = tensor.Tensor(np.ones((3, 2)), label="layer0.W")
    x = tensor.Tensor(np.arange(2.0), label="x")
    y = (w @ x).sum()
    y.label = "y"
    y.backward()
    source = draw_graph(y).source
    assert "(3, 2) float64" in source and "(2,) float64" in source
    assert "data 3" in source, "a 0-d tensor shows its value"
    assert "‖grad‖" in source


# ------------------------------------------------------------------------------ modules


def test_module_clusters_nest_neurons_inside_layers(dot, tmp_path):
    out, _ = network()
    picture = render(out, tmp_path)
    clusters = picture.clusters
    assert set(clusters) == {
        "cluster_layer0",
        "cluster_layer0.neuron0",
        "cluster_layer0.neuron1",
        "cluster_layer1",
        "cluster_layer1.neuron0",
    }
    for inner, outer in [("layer0.neuron0", "layer0"), ("layer1.neuron0", "layer1")]:
        x0, y0, x1, y1 = clusters["cluster_" + inner]
        left, bottom, right, top = clusters["cluster_" + outer]
        assert left <= x0 and bottom <= y0 and x1 <= right and y1 <= top, f"{inner} not in {outer}"


@pytest.mark.parametrize(
    ("collapse", "expected"),
    [
        (
            "neuron",
            {"layer0.neuron0: 8 nodes", "layer0.neuron1: 8 nodes", "layer1.neuron0: 7 nodes"},
        ),
        ("layer", {"layer0: 16 nodes", "layer1: 7 nodes"}),
        (1, {"layer0: 16 nodes", "layer1: 7 nodes"}),
    ],
)
def test_collapse_folds_modules_into_summary_nodes(dot, tmp_path, collapse, expected):
    out, _ = network()
    picture = render(out, tmp_path, collapse=collapse)
    summaries = picture.of_class("summary").values()
    assert {n.texts[0] for n in summaries} == expected
    assert {n.texts[0] for n in picture.of_class("value").values()} == {"x0", "x1"}
    assert not picture.of_class("op"), "every op is inside a folded module"


def test_folded_modules_are_joined_once_per_neighbour(dot, tmp_path):
    out, _ = network()
    picture = render(out, tmp_path, collapse="neuron")
    names = {k: n.texts[0].split(":")[0] for k, n in picture.nodes.items() if n.texts}
    edges = sorted((names[s], names[t]) for s, t, _ in picture.edges)
    assert edges == [
        ("layer0.neuron0", "layer1.neuron0"),
        ("layer0.neuron1", "layer1.neuron0"),
        ("x0", "layer0.neuron0"),
        ("x0", "layer0.neuron1"),
        ("x1", "layer0.neuron0"),
        ("x1", "layer0.neuron1"),
    ]
    layer1 = next(n for n in picture.of_class("summary").values() if "layer1" in n.texts[0])
    assert layer1.texts[1:] == [f"data {out.data:.4g}", "grad 1"], "the module's output values"


def test_collapse_true_folds_only_past_the_budget():
    out, _ = network()
    assert "summary" not in draw_graph(out, collapse=True).source
    source = draw_graph(out, collapse=True, max_nodes=10).source
    assert source.count('class="summary"') == 3, "the finest level that fits: neurons"
    source = draw_graph(out, collapse=True, max_nodes=4).source
    assert source.count('class="summary"') == 2, "neurons do not fit in 4 boxes, layers do"


def test_over_budget_error_says_how_many_nodes_and_what_to_do():
    out, _ = network()
    with pytest.raises(ValueError) as error:
        draw_graph(out, max_nodes=10)
    message = str(error.value)
    assert "25 nodes" in message and "max_nodes=10" in message
    assert "collapse=True" in message and "'neuron'" in message


def test_collapse_that_cannot_fit_is_refused():
    out, _ = network()
    with pytest.raises(ValueError, match="max_nodes=3"):
        draw_graph(out, collapse=True, max_nodes=3)
    with pytest.raises(ValueError, match="still has 5 nodes"):
        draw_graph(out, collapse="neuron", max_nodes=4)


def test_unknown_collapse_level_names_the_levels_present():
    out, _ = network()
    with pytest.raises(ValueError, match="'layer', 'neuron'"):
        draw_graph(out, collapse="block")


def test_clusters_can_be_turned_off():
    out, _ = network()
    assert "cluster" not in draw_graph(out, clusters=False).source


# ------------------------------------------------------------------------------ highlight, colour


def test_highlight_marks_exactly_the_paths_from_root_to_the_value(dot, tmp_path):
    a, b, c = Value(2.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    d = a * b
    d.label = "d"
    e = d + c
    e.label = "e"
    f = d * e  # two paths from f down to d: f-d and f-e-d
    f.label = "f"
    f.backward()
    picture = render(f, tmp_path, highlight=d)
    hot = {n.texts[0] for n in picture.nodes.values() if "highlight" in n.classes}
    assert hot == {"d", "e", "f", "+", "*"}, "the values d, e, f and the ops of e and f"
    hot_ops = [k for k, n in picture.of_class("op").items() if "highlight" in n.classes]
    assert len(hot_ops) == 2, "d's own op is below d, not on a path to it"
    ids = {n.texts[0]: k for k, n in picture.of_class("value").items()}
    hot_edges = {(s, t) for s, t, classes in picture.edges if "highlight" in classes}
    assert hot_edges == {
        (ids["d"], ids["e"] + "op"),
        (ids["e"] + "op", ids["e"]),
        (ids["d"], ids["f"] + "op"),
        (ids["e"], ids["f"] + "op"),
        (ids["f"] + "op", ids["f"]),
    }


def test_highlight_must_be_in_the_graph():
    e, _ = expression()
    with pytest.raises(ValueError, match="highlight"):
        draw_graph(e, highlight=Value(1.0))


def test_color_by_grad_fills_by_gradient_magnitude(dot, tmp_path):
    a, b = Value(1e-3, "a"), Value(5.0, "b")
    z = Value(0.0, "z")
    y = a * b + (z * 0.0)
    y.label = "y"
    y.backward()
    picture = render(y, tmp_path, color_by_grad=True)
    fills = {n.texts[0]: n.fill for n in picture.of_class("value").values()}
    assert fills["a"] == GRAD_SCALE[-1].lower(), "|grad| 5, the largest"
    assert fills["b"] == GRAD_SCALE[0].lower(), "|grad| 0.001, the smallest"
    assert fills["z"] == "#ffffff", "a zero gradient stays white"
    legend = next(iter(picture.of_class("legend").values()))
    assert "fill: |grad|, log scale" in legend.texts


# ------------------------------------------------------------------------------ robustness


def test_dot_source_is_deterministic():
    first, _ = network()
    second, _ = network()
    assert draw_graph(first).source == draw_graph(first).source
    assert draw_graph(first).source == draw_graph(second).source, "ids follow the structure"
    options = {"collapse": "neuron", "highlight": first}
    assert draw_graph(first, **options).source == draw_graph(first, **options).source


def test_a_chain_100000_deep_is_refused_by_the_budget_or_drawn_without_recursion(tmp_path):
    y = chain(100_000)
    with pytest.raises(ValueError, match="100001 nodes"):
        draw_graph(y)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # no recursion anywhere: a low limit changes nothing
    try:
        path = save_graph(y, tmp_path / "chain.dot", max_nodes=200_000)
    finally:
        sys.setrecursionlimit(limit)
    source = path.read_text()
    assert source.count(" -> ") == 200_000, "into and out of each of the 100000 tanh ops"


def test_draw_graph_returns_a_digraph_that_jupyter_displays():
    graphviz = pytest.importorskip("graphviz")
    e, _ = expression()
    graph = draw_graph(e)
    assert isinstance(graph, graphviz.Digraph)
    assert hasattr(graph, "_repr_mimebundle_")


def test_importing_the_module_does_not_import_graphviz():
    code = "import sys, autograd.viz.graph; print('graphviz' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_save_graph_creates_folders_and_returns_the_path(dot, tmp_path):
    e, _ = expression()
    path = save_graph(e, tmp_path / "a" / "b" / "e.svg", rankdir="TB")
    assert path == tmp_path / "a" / "b" / "e.svg"
    assert len(parse_svg(path).of_class("value")) == 5


def test_unknown_extension_lists_the_supported_ones(tmp_path):
    e, _ = expression()
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf, \.dot"):
        save_graph(e, tmp_path / "e.jpeg")


def test_missing_dot_writes_the_source_and_names_the_program_and_package(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    e, _ = expression()
    with pytest.raises(GraphvizNotFoundError) as error:
        save_graph(e, tmp_path / "out" / "e.png")
    fallback = tmp_path / "out" / "e.dot"
    assert fallback.read_text().startswith("digraph")
    message = str(error.value)
    assert "`dot`" in message and "apt-get install graphviz" in message
    assert str(fallback) in message
    assert isinstance(error.value, RuntimeError)


def test_a_render_that_takes_too_long_is_stopped(dot, tmp_path):
    e, _ = expression()
    with pytest.raises(TimeoutError, match="did not finish"):
        save_graph(e, tmp_path / "e.png", timeout=1e-6)


@pytest.mark.parametrize("bad", ["abc", 3.0, None, [Value(1.0), "x"]])
def test_draw_graph_rejects_a_root_that_is_not_a_node_naming_it(bad):
    with pytest.raises(TypeError, match="draw_graph: root must be a Value or a Tensor"):
        draw_graph(bad)


def test_inline_display_without_dot_shows_the_message_and_the_source(tmp_path, monkeypatch):
    pytest.importorskip("graphviz")
    e, _ = expression()
    graph = draw_graph(e)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    bundle = graph._repr_mimebundle_()  # what Jupyter calls: no graphviz traceback
    assert "image/svg+xml" not in bundle
    assert "`dot` program was not found" in bundle["text/plain"]
    assert "apt-get install graphviz" in bundle["text/plain"]
    assert graph.source in bundle["text/plain"]
    assert "`dot` program was not found" in bundle["text/html"]
    assert "digraph computation_graph" in bundle["text/html"]


def test_inline_display_with_dot_is_the_svg(dot):
    e, _ = expression()
    bundle = draw_graph(e)._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")


# ------------------------------------------------------------------------------ layout


def layout(graph) -> dict:
    """dot's layout of a graph as JSON: node positions, cluster label boxes, edge splines."""
    done = subprocess.run(
        ["dot", "-Tjson"], input=graph.source, capture_output=True, text=True, check=True
    )
    import json

    return json.loads(done.stdout)


def demo_like_loss(widths=(16, 16)):
    """The demo's picture: one sample's hinge loss through MLP(2, [16, 16, 1]), folded."""
    from nn import MLP, losses

    model = MLP(2, [*widths, 1], seed=0)
    x = [Value(1.112, "x0"), Value(0.2859, "x1")]
    loss = losses.hinge(model(x), -1.0)
    loss.label = "loss"
    loss.backward()
    return loss


@pytest.mark.parametrize("collapse", [True, "neuron"])
def test_neurons_are_drawn_in_index_order(dot, collapse):
    graph = draw_graph(demo_like_loss(), collapse=collapse)
    names = {}
    for obj in layout(graph)["objects"]:
        match = re.match(r"(layer\d)\.neuron(\d+): \d+ nodes", obj.get("label", ""))
        if match:
            _, y = map(float, obj["pos"].split(","))
            names.setdefault(match[1], []).append((-y, int(match[2])))
    assert set(names) == {"layer0", "layer1", "layer2"}
    for layer, found in names.items():
        top_to_bottom = [index for _, index in sorted(found)]
        assert top_to_bottom == sorted(top_to_bottom), f"{layer}: {top_to_bottom}"


def _bezier_points(pos: str, steps: int = 12) -> list[tuple[float, float]]:
    points = [
        tuple(map(float, p.split(","))) for p in pos.split() if not p.startswith(("e,", "s,"))
    ]
    sampled = []
    for i in range(0, len(points) - 3, 3):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points[i : i + 4]
        for k in range(steps + 1):
            t = k / steps
            a, b, c, d = (1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t**3
            sampled.append((a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3))
    return sampled


def test_edges_do_not_cross_the_cluster_labels(dot):
    data = layout(draw_graph(demo_like_loss(), collapse=True))
    labels = []
    for obj in data["objects"]:
        if obj.get("name", "").startswith("cluster_") and "lp" in obj:
            x, y = map(float, obj["lp"].split(","))
            half_width = 0.35 * float(obj.get("fontsize", 10)) * len(obj["label"])
            labels.append((obj["label"], x - half_width, y - 6, x + half_width, y + 6))
    assert {name for name, *_ in labels} == {"layer0", "layer1", "layer2"}
    for edge in data["edges"]:
        for px, py in _bezier_points(edge["pos"]):
            for name, left, bottom, right, top in labels:
                assert not (left <= px <= right and bottom <= py <= top), (
                    f"an edge crosses the label {name!r} at ({px:.0f}, {py:.0f})"
                )


# ------------------------------------------------------------------------------ what boxes say


def test_a_users_unlabelled_value_is_not_coloured_as_an_engine_constant(dot, tmp_path):
    x = Value(1.0)  # micrograd's trace_graph example: x = Value(1.0); (x * 2 + 1).relu()
    y = (x * 2 + 1).relu()
    y.backward()
    picture = render(y, tmp_path)
    kinds = {}
    for node in picture.of_class("value").values():
        (kind,) = node.classes & {"leaf", "constant", "intermediate", "output"}
        kinds.setdefault(kind, []).append((node.texts, node.fill))
    assert [texts for texts, _ in kinds["leaf"]] == [["data 1", "grad 2"]]
    assert sorted(texts[0] for texts, _ in kinds["constant"]) == ["data 1", "data 2"]
    assert kinds["leaf"][0][1] != kinds["constant"][0][1], "told apart by colour"
    (legend,) = picture.of_class("legend").values()
    assert "leaf (no label)" in legend.texts and "constant" in legend.texts


@pytest.mark.parametrize(
    ("x", "shown"),
    [
        (math.tanh(-6.0), "-0.99999"),  # not "-1" next to grad 2.458e-05
        (1.00001, "1.00001"),
        (1.0000001, "≈1"),  # off in the 7th digit: marked, not 8 digits
        (0.1 + 0.2, "0.3"),  # float rounding only: as exact as floats get
        (-1.4999999999999996, "-1.5"),
        (1.0 / 3.0, "0.3333"),  # rounded, and it shows: four digits
        (2.0, "2"),
        (0.5, "0.5"),
        (2.458e-05, "2.458e-05"),
    ],
)
def test_a_rounded_number_never_looks_exact(x, shown):
    v = Value(x, "v")
    assert f"data {shown} " in draw_graph(v).source.replace("|", " ").replace("}", " ")


def test_tanh_of_minus_six_is_not_drawn_as_minus_one():
    y = Value(-6.0, "x").tanh()
    y.label = "y"
    y.backward()
    source = draw_graph(y).source
    assert "{y | data -0.99999 | grad 1}" in source
    assert "data -1 " not in source and "data -1}" not in source


def test_svg_names_a_font_fallback_list(dot, tmp_path):
    e, _ = expression()
    text = save_graph(e, tmp_path / "e.svg").read_text()
    families = set(re.findall(r'font-family="([^"]*)"', text))
    assert families, "text carries a font family"
    for family in families:
        names = [name.strip() for name in family.split(",")]
        assert names[0] == "DejaVu Sans" and names[-1] == "sans-serif" and len(names) >= 3


def test_parameters_option_draws_any_leaves_as_parameters():
    w, x = Value(0.5, "W00"), Value(2.0, "x0")
    y = w * x
    assert 'class="value input"' in draw_graph(y).source.split("W00")[1].split("\n")[0]
    source = draw_graph(y, parameters=[w]).source
    (line,) = [line for line in source.splitlines() if "{W00 |" in line]
    assert 'class="value parameter"' in line
    (line,) = [line for line in source.splitlines() if "{x0 |" in line]
    assert 'class="value input"' in line


def test_a_described_module_box_says_what_the_module_is(dot, tmp_path):
    from autograd import Tensor
    from nn import Conv2d, Flatten, Linear, MaxPool2d, Sequential

    model = Sequential(Conv2d(1, 2, 3, seed=0), "relu", MaxPool2d(2), Flatten(), Linear(8, 3))
    x = Tensor(np.zeros((5, 1, 6, 6)), requires_grad=False, label="images")
    picture = render(model(x), tmp_path, collapse=1, show_grad=False, describe=model.descriptions())
    summaries = sorted(n.texts for n in picture.of_class("summary").values())
    assert summaries == [
        ["layer0 · Conv2d(1→2, 3×3)", "(5, 2, 4, 4) float64", "20 params"],
        ["layer1 · ReLU", "(5, 2, 4, 4) float64"],
        ["layer2 · MaxPool2d(2)", "(5, 2, 2, 2) float64"],
        ["layer3 · Flatten()", "(5, 8) float64"],
        ["layer4 · Linear(8→3)", "(5, 3) float64", "27 params"],
    ]
    assert [n.texts for n in picture.of_class("value").values()] == [
        ["images", "(5, 1, 6, 6) float64"]
    ]
    assert len(picture.edges) == 5 and not picture.of_class("op")


def test_a_described_module_drawn_node_by_node_names_its_cluster():
    from autograd import Tensor
    from nn import Conv2d, MaxPool2d, Sequential

    model = Sequential(Conv2d(1, 2, 3, seed=0), "relu", MaxPool2d(2))
    out = model(Tensor(np.zeros((1, 1, 6, 6)), requires_grad=False, label="images"))
    out.sum().backward()
    unfolded = draw_graph(out, describe=model.descriptions()).source
    for label in ("layer0 · Conv2d(1→2, 3×3)", "layer1 · ReLU", "layer2 · MaxPool2d(2)"):
        assert f'label="{label}"' in unfolded, label
    folded = draw_graph(
        out, collapse=1, fold_parameters=False, describe=model.descriptions()
    ).source
    assert re.search(r'subgraph "cluster_layer0" \{\s*graph \[label="layer0" ', folded), (
        "the box inside already says what layer0 is"
    )
    assert "cluster_layer1" not in folded, "a folded module without parameters has no cluster"
