"""What a picture of a computation graph shows, decided before any DOT is written.

`plan_graph` turns a graph into a plain `Picture`: the boxes (a value, an op, or a folded
module's summary), the cluster each sits in, the edges, the colours, and which box draws each
node. `graph.draw_graph` writes DOT from it; the step-through page reads the same `Picture`, so
its boxes are exactly the ones drawn.

Node kinds follow the naming convention of `nn`: a leaf with a dotted label (`layer0.neuron3.w0`)
is a parameter, any other labelled leaf an input (`x0`), an unlabelled leaf a constant. A non-leaf
labelled with a module path (`layer0.neuron3`) is that module's output, and the unlabelled nodes
computed on the way to it belong to the module. A module without parameters (a pooling layer, an
activation, a loss term) is known from `describe`, a mapping of module paths to one-line
descriptions (`nn.Module.descriptions()` gives a model's): a folded module's box then says what
the module is (`layer0 · Conv2d(1→16, 5×5, pad 2)`) and how many parameters it holds.

>>> from autograd import Value
>>> a, b = Value(2.0, "a"), Value(-3.0, "b")
>>> picture = plan_graph(a * b)
>>> [box.id for box in picture.boxes], picture.values[0].fields
(['v0', 'v1', 'v2', 'v2op'], ['a', 'data 2', 'grad 0'])
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import walk

__all__ = [
    "CHECK_FAIL",
    "CHECK_FAIL_FILL",
    "DEFAULT_MAX_NODES",
    "GRAD_SCALE",
    "KIND_FILL",
    "OP_FILL",
    "SUMMARY_FILL",
    "Edge",
    "Legend",
    "OpBox",
    "Picture",
    "SummaryBox",
    "ValueBox",
    "natural_key",
    "plan_graph",
    "value_fields",
]

DEFAULT_MAX_NODES = 250  # Values in one picture; past this a graph is a hairball, not a diagram.
KIND_FILL = {
    "parameter": "#FFD8A8",
    "input": "#A5D8FF",
    "constant": "#E9ECEF",
    "leaf": "#FCC2D7",  # a Value the user made without a label
    "intermediate": "#FFFFFF",
    "output": "#B2F2BB",
}
OP_FILL = "#FFF3BF"
SUMMARY_FILL = "#D0BFFF"
CHECK_FAIL = "#C92A2A"  # an op whose local derivative disagrees with finite differences
CHECK_FAIL_FILL = "#FFC9C9"
# |grad| colour scale, light (small) to dark (large), white kept for a zero gradient; the last
# three shades take white text.
GRAD_SCALE = (
    "#DEEBF7",
    "#C6DBEF",
    "#9ECAE1",
    "#6BAED6",
    "#4292C6",
    "#2171B5",
    "#08519C",
    "#08306B",
)
_DARK = frozenset(GRAD_SCALE[5:])


@dataclass
class ValueBox:
    """The box of one node: its name, data and grad."""

    id: str  # v0, v1, ... in walk order
    node: Any
    kind: str  # a key of KIND_FILL
    cluster: str | None  # the module whose cluster holds it (None: the top level)
    fields: list[str]
    fill: str
    dark: bool  # the fill is dark enough to need white text
    highlighted: bool
    tooltip: str  # plain text ("" for none)


@dataclass
class OpBox:
    """The small ellipse of the op that made a node, in the same cluster as the node's box."""

    id: str  # the node's id + "op"
    node: Any
    cluster: str | None
    label: str
    highlighted: bool
    check: tuple[str, list] | None  # (status, entries) of check_local_derivatives, if checked


@dataclass
class SummaryBox:
    """A folded module: one box for all its nodes, in the cluster of its parent module."""

    id: str  # m0, m1, ... in natural order of the module paths
    module: str  # layer1.neuron3
    cluster: str | None
    members: list  # the nodes it stands for, in walk order
    exits: list  # members whose value leaves the module (or the root, if it is a member)
    fields: list[str]  # data and grad of its only exit; "k outputs"; or nothing; "n params"
    highlighted: bool
    failed: bool  # some member's op failed the local-derivative check
    description: str  # what the module is (from `describe`), "" when not described
    parameters: int  # entries of the parameters in the graph that the module holds


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    hot: bool  # on a highlighted path


@dataclass
class Legend:
    """What the legend lists: only what the picture contains."""

    kinds: set[str]
    grad_range: tuple[float, float] | None  # log10 |grad| range of the colour scale, if used
    ops: bool
    folded: bool
    highlight: bool
    statuses: set[str]  # check statuses present ("fail", "kink")


@dataclass
class Picture:
    """Everything `draw_graph` draws, in drawing order."""

    nodes: list  # every node, topological order (its index is its id's number)
    boxes: list[ValueBox | OpBox | SummaryBox]  # each node's value and op box, then summaries
    values: list[ValueBox]  # the value boxes of `boxes`
    summaries: list[SummaryBox]  # the summary boxes of `boxes`, in natural order of the modules
    edges: list[Edge]
    box_of: dict  # node -> the id of the box that draws it (v3, or m1 when folded)
    module_of: dict  # node -> its module path (nodes outside modules are absent)
    fold: str | int | None  # the level modules are folded at (None: none folded)
    legend: Legend
    descriptions: dict[str, str]  # module path -> what it is (`describe`), for cluster labels


def plan_graph(
    root,
    *,
    show_data: bool = True,
    show_grad: bool = True,
    clusters: bool = True,
    max_nodes: int = DEFAULT_MAX_NODES,
    collapse: bool | str | int = False,
    color_by_grad: bool = False,
    highlight=None,
    precision: int = 4,
    check: bool = False,
    fold_parameters: bool = True,
    parameters: Iterable | None = None,
    describe: Mapping[str, str] | None = None,
) -> Picture:
    """What the picture of `root` (a node or a list of them) shows; the options are
    `draw_graph`'s, which says what each does."""
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be a positive int, got {max_nodes!r}")
    descriptions = _descriptions(describe)
    roots = list(root) if isinstance(root, (list, tuple)) else [root]
    for r in roots:
        if not (hasattr(r, "parents") and hasattr(r, "data")):
            raise TypeError(
                "draw_graph: root must be a Value or a Tensor (or a list of them), got "
                f"{type(r).__name__} ({r!r:.60})"
            )
    nodes = walk.topological_order(roots, leaves=True)
    ids = {node: f"v{i}" for i, node in enumerate(nodes)}
    kinds = _kinds(nodes, roots, frozenset(parameters or ()))
    owner = _owners(nodes, descriptions)
    fold = _fold_level(nodes, owner, max_nodes, collapse)
    on_path = walk.on_path(nodes, highlight) if highlight is not None else set()
    checks = _check_ops(nodes) if check else {}
    if highlight is not None and highlight not in ids:
        raise ValueError("draw_graph: highlight must be a node of the graph of root")

    # Which box draws each node: its own, or the summary of the module it is folded into
    # (with fold_parameters=False a parameter keeps its own box).
    foldable = {n: m for n, m in owner.items() if fold_parameters or kinds[n] != "parameter"}
    summary_of = _summary_of(nodes, foldable, fold)
    members: dict[str, list] = {}
    for node in nodes:
        if node in summary_of:
            members.setdefault(summary_of[node], []).append(node)
    keys = sorted(members, key=natural_key)
    summary_ids = {key: f"m{i}" for i, key in enumerate(keys)}
    box_of = {
        node: summary_ids[summary_of[node]] if node in summary_of else ids[node] for node in nodes
    }
    shown = [n for n in nodes if n not in summary_of]
    drawn_in = {owner[n] for n in shown if n in owner}  # modules with nodes of their own drawn
    sizes = _parameter_sizes(nodes, kinds, owner)
    grad_scale = _GradScale(shown) if color_by_grad else None

    boxes: list[ValueBox | OpBox | SummaryBox] = []
    values = []
    for node in shown:
        kind = kinds[node]
        fill = KIND_FILL[kind] if grad_scale is None else grad_scale.color(node.grad)
        cluster = owner.get(node) if clusters else None
        box = ValueBox(
            id=ids[node],
            node=node,
            kind=kind,
            cluster=cluster,
            fields=value_fields(node, show_data, show_grad, precision),
            fill=fill,
            dark=fill in _DARK,
            highlighted=node in on_path,
            tooltip=_tooltip(node),
        )
        boxes.append(box)
        values.append(box)
        if node.parents:
            op_box = OpBox(
                id=ids[node] + "op",
                node=node,
                cluster=cluster,
                label=str(node.op) or "?",
                highlighted=node in on_path and node is not highlight,
                check=checks.get(node),
            )
            boxes.append(op_box)

    # A module whose value leaves it through one node (a neuron's activation) shows that node's
    # data and grad on its summary; a described one, its parameter count too. A summary sits in
    # its parent module's cluster, or in its own when some of its nodes keep their own boxes
    # (fold_parameters=False: a layer's box beside its weights).
    exits = _exits(nodes, roots, summary_of)
    summaries = []
    for key in keys:
        outputs = exits.get(key, [])
        fields: list[str] = []
        if len(outputs) == 1:
            only = outputs[0]
            fields = value_fields(only, show_data, show_grad, precision)[bool(only.label) :]
        elif outputs:
            fields = [f"{len(outputs)} outputs"]
        held = sum(n for path, n in sizes.items() if _within(path, key))
        description = descriptions.get(key, "")
        if description and held:
            fields.append(f"{held:,} params")
        own = any(_within(path, key) for path in drawn_in)
        summary = SummaryBox(
            id=summary_ids[key],
            module=key,
            cluster=(key if own else key.rpartition(".")[0] or None) if clusters else None,
            members=members[key],
            exits=outputs,
            fields=fields,
            highlighted=any(m in on_path for m in members[key]),
            failed=any(checks.get(m, ("",))[0] == "fail" for m in members[key]),
            description=description,
            parameters=held,
        )
        boxes.append(summary)
        summaries.append(summary)

    edges = _edges(nodes, box_of, summary_of, on_path, highlight)

    legend = Legend(
        kinds={kinds[n] for n in shown},
        grad_range=None if grad_scale is None else (grad_scale.low, grad_scale.high),
        ops=any(n.parents for n in shown),
        folded=bool(summaries),
        highlight=highlight is not None,
        statuses={status for status, _ in checks.values()},
    )
    return Picture(
        nodes=nodes,
        boxes=boxes,
        values=values,
        summaries=summaries,
        edges=edges,
        box_of=box_of,
        module_of=owner,
        fold=fold,
        legend=legend,
        descriptions=descriptions,
    )


def _summary_of(nodes: list, owner: dict, fold: str | int | None) -> dict:
    """node -> the folded module that draws it, for the nodes inside one."""
    summary_of = {}
    if fold is not None:
        for node in nodes:
            if node in owner:
                key = _cut(owner[node], fold)
                if key is not None:
                    summary_of[node] = key
    return summary_of


def _exits(nodes: list, roots: list, summary_of: dict) -> dict[str, list]:
    """module -> its members used outside it (or the root, when a member), in walk order."""
    exits: dict[str, list] = {}
    for node in nodes:
        for parent in node.parents:
            key = summary_of.get(parent)
            if key is not None and summary_of.get(node) != key and parent not in exits.get(key, ()):
                exits.setdefault(key, []).append(parent)
    for node in roots:
        if node in summary_of and node not in exits.get(summary_of[node], ()):
            exits.setdefault(summary_of[node], []).append(node)
    return exits


def _edges(nodes: list, box_of: dict, summary_of: dict, on_path: set, highlight) -> list[Edge]:
    """One edge per argument into each op (a + a draws two) and one from each op to its value;
    a folded module is joined once per neighbouring box."""
    edges = []
    folded_edges: dict[tuple[str, str], bool] = {}
    for node in nodes:
        if not node.parents:
            continue
        if node in summary_of:
            target = box_of[node]
            for parent in node.parents:
                source = box_of[parent]
                if source != target:
                    hot = parent in on_path and node in on_path
                    folded_edges[source, target] = folded_edges.get((source, target), False) or hot
            continue
        op = box_of[node] + "op"
        for parent in node.parents:
            edges.append(Edge(box_of[parent], op, hot=parent in on_path and node in on_path))
        edges.append(Edge(op, box_of[node], hot=node in on_path and node is not highlight))
    edges.extend(Edge(source, target, hot) for (source, target), hot in folded_edges.items())
    return edges


# ------------------------------------------------------------------------------ graph structure


def _kinds(nodes: list, roots: list, parameters: frozenset = frozenset()) -> dict:
    """parameter / input / leaf / constant for leaves, output / intermediate otherwise.

    A leaf is a parameter when listed in `parameters` or labelled with a dotted path, an input
    when otherwise labelled; unlabelled, it is a constant when the engine made it from a plain
    number (the 2 in `x * 2`; a tensor that does not require grad), else the user's own leaf.
    """
    outputs = set(roots)
    kinds = {}
    for node in nodes:
        if node.parents:
            kinds[node] = "output" if node in outputs else "intermediate"
        elif node in parameters or "." in node.label:
            kinds[node] = "parameter"
        elif node.label:
            kinds[node] = "input"
        else:
            kinds[node] = "constant" if _engine_constant(node) else "leaf"
    return kinds


def _engine_constant(node) -> bool:
    if getattr(node.op, "constant", False):
        return True
    return _is_array(node.data) and getattr(node, "requires_grad", True) is False


def _owners(nodes: list, described: Iterable[str] = ()) -> dict:
    """The module path each node belongs to, from the labels (nodes outside modules are absent).

    A parameter `layer0.neuron3.w0` belongs to `layer0.neuron3`; so does a non-leaf labelled
    `layer0.neuron3`, with the unlabelled nodes (constants too) computed on the way to it. The walk
    back from a module output stops at labelled nodes: inputs and other modules' outputs. The
    modules are the paths above the parameters and the `described` ones (a pooling layer, a loss
    term: modules without parameters).
    """
    owner = {}
    modules = set()

    def add(path: str) -> None:
        while path:
            modules.add(path)
            path = path.rpartition(".")[0]

    for path in described:
        add(path)
    for node in nodes:
        if not node.parents and "." in node.label:
            path = node.label.rpartition(".")[0]
            owner[node] = path
            add(path)
    for node in nodes:  # parents first, so inner modules claim their nodes before outer ones
        if not node.parents or node.label not in modules:
            continue
        path = owner[node] = node.label
        stack = list(node.parents)
        while stack:
            member = stack.pop()
            if member.label or member in owner:
                continue
            owner[member] = path
            stack.extend(member.parents)
    return owner


def _descriptions(describe) -> dict[str, str]:
    """`describe` checked: module path -> its description, both non-empty strings."""
    if describe is None:
        return {}
    if not isinstance(describe, Mapping):
        raise TypeError(
            "draw_graph: describe must be a mapping of module paths to descriptions "
            f"(model.descriptions()), got {type(describe).__name__} ({describe!r:.60})"
        )
    for path, text in describe.items():
        if not (isinstance(path, str) and path and isinstance(text, str)):
            raise ValueError(
                "draw_graph: describe must map module paths (non-empty str) to descriptions "
                f"(str), got {path!r}: {text!r}"
            )
    return dict(describe)


def _parameter_sizes(nodes: list, kinds: dict, owner: dict) -> dict[str, int]:
    """module path -> how many numbers its own parameters in the graph hold (a Value: one)."""
    sizes: dict[str, int] = {}
    for node in nodes:
        if kinds[node] == "parameter" and node in owner:
            path = owner[node]
            sizes[path] = sizes.get(path, 0) + int(getattr(node.data, "size", 1))
    return sizes


def _within(path: str, module: str) -> bool:
    """Whether `path` is `module` or a module inside it."""
    return path == module or path.startswith(module + ".")


# ------------------------------------------------------------------------------ folding modules


def _stem(component: str) -> str:
    """The level name of a label component: `neuron12` -> `neuron`."""
    return component.rstrip("0123456789") or component


def natural_key(text: str) -> list:
    """Sort key that puts layer2 before layer10."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def _cut(path: str, level: str | int) -> str | None:
    """The module at `level` that contains `path` (or None if `path` is not that deep)."""
    parts = path.split(".")
    if isinstance(level, int):
        return ".".join(parts[:level]) if len(parts) >= level else None
    for i, part in enumerate(parts):
        if _stem(part) == level:
            return ".".join(parts[: i + 1])
    return None


def _units(nodes: list, owner: dict, level) -> int:
    """How many boxes the picture has when modules are folded at `level`."""
    folded = {_cut(owner[n], level) for n in nodes if n in owner}
    folded.discard(None)
    return len(folded) + sum(1 for n in nodes if n not in owner or _cut(owner[n], level) is None)


def _fold_level(nodes: list, owner: dict, max_nodes: int, collapse) -> str | int | None:
    """The level to fold modules at (None: draw every node), or ValueError if none fits."""
    paths = {owner[n] for n in nodes if n in owner}
    depth = max((p.count(".") + 1 for p in paths), default=0)
    levels = sorted({_stem(part) for p in paths for part in p.split(".")})
    suggest = " or ".join(repr(s) for s in levels[-2:]) if levels else ""
    if collapse is False or collapse is None:
        if len(nodes) <= max_nodes:
            return None
        hint = (
            f"collapse=True (or a level such as {suggest}) to fold modules, or " if levels else ""
        )
        raise ValueError(
            f"draw_graph: the graph has {len(nodes)} nodes, more than max_nodes={max_nodes}; "
            f"pass {hint}a larger max_nodes=... to draw it anyway"
        )
    if collapse is True:
        if len(nodes) <= max_nodes:
            return None
        for level in range(depth, 0, -1):
            units = _units(nodes, owner, level)
            if units <= max_nodes:
                return level
        smallest = _units(nodes, owner, 1) if depth else len(nodes)
        raise ValueError(
            f"draw_graph: the graph has {len(nodes)} nodes and still {smallest} after folding "
            f"every module, more than max_nodes={max_nodes}; pass a larger max_nodes=..."
            + ("" if levels else " (no module labels such as 'layer0.neuron1.w0' to fold)")
        )
    depth_ok = isinstance(collapse, int) and collapse >= 1
    if depth_ok or (isinstance(collapse, str) and collapse in levels):
        level = collapse
    else:
        raise ValueError(
            f"draw_graph: collapse must be True, False, a depth >= 1 or a module level present "
            f"in the graph ({', '.join(map(repr, levels)) or 'none'}), got {collapse!r}"
        )
    units = _units(nodes, owner, level)
    if units > max_nodes:
        raise ValueError(
            f"draw_graph: folded at collapse={collapse!r} the graph still has {units} nodes, "
            f"more than max_nodes={max_nodes}; fold at a coarser level or pass a larger max_nodes"
        )
    return level


# ------------------------------------------------------------------------------ labels and colours


def _number(x, precision: int) -> str:
    """`x` to `precision` significant digits, unless the rounding would hide that it is rounded.

    `%g` drops trailing zeros, so -0.9999877 at 4 digits prints as `-1`, which reads as exact.
    Such a number gets up to three more digits (`-0.99999`); if it still looks exact, it is
    marked (`≈1` for 1.0000001). Numbers exact at `precision`, or off only by float rounding
    (0.1 + 0.2, -1.4999999999999996), print as is.
    """
    text = f"{x:.{precision}g}"
    if not math.isfinite(x) or _significant(text) >= precision:
        return text
    if abs(float(text) - x) <= 1e-12 * abs(x):  # exact but for float rounding (0.1 + 0.2)
        return text
    for digits in range(precision + 1, precision + 4):
        more = f"{x:.{digits}g}"
        if _significant(more) >= digits:
            return more
    return "≈" + text


def _significant(text: str) -> int:
    """How many significant digits a `%g` string shows (`-0.0120` -> 3, `1e+05` -> 1)."""
    mantissa = text.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    return len(mantissa)


def _is_array(x) -> bool:
    shape = getattr(x, "shape", None)
    return shape is not None and tuple(shape) != ()


def _scalar(x) -> float:
    """A float from a float, a 0-d array, or a Value (a create_graph gradient)."""
    while hasattr(x, "data") and not hasattr(x, "shape"):
        x = x.data
    return float(x)


def _grad_size(grad) -> float | None:
    """|grad| for a scalar, the Euclidean norm for an array, None when there is none."""
    if grad is None:
        return None
    if hasattr(grad, "data") and not hasattr(grad, "shape"):
        grad = grad.data
    if _is_array(grad):
        return math.sqrt(float((grad * grad).sum()))
    return abs(float(grad))


def value_fields(node, show_data: bool, show_grad: bool, precision: int) -> list[str]:
    """The text of a value box: name, data, grad (the name is omitted when there is none)."""
    fields = [node.label] if node.label else []
    data = node.data
    if show_data:
        if _is_array(data):
            fields.append(f"{tuple(data.shape)} {getattr(data, 'dtype', '')}".strip())
        else:
            fields.append(f"data {_number(_scalar(data), precision)}")
    if show_grad:
        grad = node.grad
        if grad is None:
            fields.append("grad –")
        elif _is_array(grad):
            fields.append(f"‖grad‖ {_number(_grad_size(grad), precision)}")
        else:
            fields.append(f"grad {_number(_scalar(grad), precision)}")
    return fields


def _tooltip(node) -> str:
    """Exact data and grad of a scalar node, for the hover text ("" for a tensor node)."""
    if _is_array(node.data):
        return ""
    text = f"{node.label or str(node.op) or 'constant'}: data={_scalar(node.data)!r}"
    if node.grad is not None and not _is_array(node.grad):
        text += f" grad={_scalar(node.grad)!r}"
    return text


def _check_ops(nodes: list) -> dict:
    """(status, entries) of every op node whose forward is known (see check_local_derivatives)."""
    from ..check.gradcheck import check_local_derivatives

    checks = {}
    for node in nodes:
        if node.parents:
            status, entries = check_local_derivatives(node)
            if status != "unchecked":
                checks[node] = (status, entries)
    return checks


class _GradScale:
    """Maps |grad| to GRAD_SCALE on a log scale spanning the graph's nonzero gradients."""

    def __init__(self, nodes: list):
        sizes = [_grad_size(n.grad) for n in nodes]
        logs = [math.log10(s) for s in sizes if s is not None and 0.0 < s < math.inf]
        self.low = min(logs, default=0.0)
        self.high = max(logs, default=0.0)

    def color(self, grad) -> str:
        size = _grad_size(grad)
        if size is None or size == 0.0 or math.isnan(size):
            return "#FFFFFF"
        if math.isinf(size) or self.high - self.low < 1e-12:
            return GRAD_SCALE[-1 if math.isinf(size) else len(GRAD_SCALE) // 2]
        t = (math.log10(size) - self.low) / (self.high - self.low)
        return GRAD_SCALE[round(t * (len(GRAD_SCALE) - 1))]
