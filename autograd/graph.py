"""Draw the computation graph behind a Value: every node a box (name, data, grad), every op a
small ellipse between its inputs and its output.

Node kinds follow the naming convention of `nn`: a leaf with a dotted label (`layer0.neuron3.w0`)
is a parameter, any other labelled leaf an input (`x0`), an unlabelled leaf a constant. A non-leaf
labelled with a module path (`layer0.neuron3`) is that module's output, and the unlabelled nodes
computed on the way to it belong to the module: they are drawn inside a nested cluster
(layer > neuron) or, when the graph is too big to read, folded into one summary node per module.

>>> from autograd import Value
>>> a, b, c = Value(2.0, "a"), Value(-3.0, "b"), Value(10.0, "c")
>>> e = a * b + c
>>> e.backward()
>>> dot = draw_graph(e)              # a graphviz.Digraph: Jupyter shows it inline
>>> save_graph(e, "/tmp/e.svg")      # doctest: +SKIP

graphviz (the Python package) is imported only inside `draw_graph`; `save_graph` runs Graphviz's
`dot` program itself, with a timeout, so a picture never hangs the caller.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from . import walk

__all__ = ["DEFAULT_MAX_NODES", "GraphvizNotFoundError", "draw_graph", "save_graph"]

DEFAULT_MAX_NODES = 250  # Values in one picture; past this a graph is a hairball, not a diagram.
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot"}

# DejaVu Sans is on Debian (fonts-dejavu-core, a dependency of graphviz); a viewer of the SVG
# without it falls back along the list, ending at any sans-serif face.
FONT = "DejaVu Sans,Verdana,Helvetica,Arial,sans-serif"
KIND_FILL = {
    "parameter": "#FFD8A8",
    "input": "#A5D8FF",
    "constant": "#E9ECEF",
    "leaf": "#FCC2D7",  # a Value the user made without a label
    "intermediate": "#FFFFFF",
    "output": "#B2F2BB",
}
OP_FILL = "#FFF3BF"
OP_STYLE = {
    "shape": "ellipse",
    "fillcolor": OP_FILL,
    "fontsize": "9",
    "width": "0.3",
    "height": "0.22",
    "margin": "0.05,0.02",
}
SUMMARY_FILL = "#D0BFFF"
CHECK_FAIL = "#C92A2A"  # an op whose local derivative disagrees with finite differences
CHECK_FAIL_FILL = "#FFC9C9"
HIGHLIGHT = "#E03131"
BORDER = "#495057"
EDGE = "#868E96"
CLUSTER_FILL = ("#F8F9FA", "#F1F3F5", "#E9ECEF")  # by nesting depth: layer, neuron, deeper
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


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's `dot` program, needed to turn a graph into SVG/PNG/PDF, is not on PATH."""


def draw_graph(
    root,
    *,
    rankdir: str = "LR",
    show_data: bool = True,
    show_grad: bool = True,
    clusters: bool = True,
    max_nodes: int = DEFAULT_MAX_NODES,
    collapse: bool | str | int = False,
    color_by_grad: bool = False,
    highlight=None,
    legend: bool = True,
    precision: int = 4,
    check: bool = False,
    fold_parameters: bool = True,
    parameters: Iterable | None = None,
):
    """The computation graph of `root` (a Value, or a list of output Values) as a graphviz.Digraph.

    Options:
      rankdir        "LR" (inputs left, output right), "TB", "RL" or "BT".
      show_data/show_grad  print `data` / `grad` in each box (numbers to `precision` significant
                     digits; a tensor node shows its shape and dtype and the norm of its grad).
      clusters       group module nodes in nested boxes (layer > neuron), from the labels.
      max_nodes      the most Values drawn. A bigger graph raises ValueError unless `collapse`.
      collapse       False: never fold modules. True: fold them only when over `max_nodes`, at the
                     finest module level that fits. A level name ("neuron", "layer": the label
                     component without its number) or a depth (1 = outermost modules): always
                     fold at that level. Folded modules become "layer1.neuron3: 35 nodes" boxes.
      color_by_grad  fill each box by |grad| on a log scale (the legend shows the scale).
      highlight      a Value in the graph: mark every path from `root` down to it.
      legend         add a legend node for the kinds (or the |grad| scale) present.
      check          check every op's local derivatives against finite differences of its
                     forward (`autograd.gradcheck.check_local_derivatives`): an op that disagrees
                     is drawn red and marked ✗, its tooltip giving analytic vs numeric; an op at a
                     kink (relu at 0) is drawn dashed. Made for custom ops (`define_op`).
      fold_parameters  False keeps parameters as their own boxes when modules fold (with
                     color_by_grad: each parameter's gradient norm, the flow into the model).
      parameters     leaves to draw as parameters whatever their labels (`model.parameters()`,
                     or the weights of a hand-written network); by default a leaf is a parameter
                     when its label is a dotted path such as `layer0.neuron3.w0`.

    Numbers that `precision` would round to something that looks exact get more digits
    (tanh(-6) is `-0.99999`, not `-1`), up to three more, then a `≈` (`≈1` for 1.0000001).

    The traversal is iterative (any depth works) and the output deterministic: node ids follow a
    depth-first walk in argument order, so the same graph always gives the same DOT source.
    """
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_graph: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be a positive int, got {max_nodes!r}")
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
    owner = _owners(nodes)
    fold = _fold_level(nodes, owner, max_nodes, collapse)
    on_path = walk.on_path(nodes, highlight) if highlight is not None else set()
    checks = _check_ops(nodes) if check else {}
    if highlight is not None and highlight not in ids:
        raise ValueError("draw_graph: highlight must be a node of the graph of root")

    # Which unit draws each node: itself, or the summary of the module it is folded into.
    summary_of = {}
    if fold is not None:
        for node in nodes:
            if node in owner and (fold_parameters or kinds[node] != "parameter"):
                key = _cut(owner[node], fold)
                if key is not None:
                    summary_of[node] = key
    summaries: dict[str, list] = {}
    for node in nodes:
        if node in summary_of:
            summaries.setdefault(summary_of[node], []).append(node)
    summary_ids = {key: f"m{i}" for i, key in enumerate(sorted(summaries, key=_natural))}
    unit = {
        node: summary_ids[summary_of[node]] if node in summary_of else ids[node] for node in nodes
    }

    grad_scale = _GradScale([n for n in nodes if n not in summary_of]) if color_by_grad else None
    horizontal = rankdir in ("LR", "RL")
    # DOT statements per cluster (None: the top level). Written directly rather than through
    # Digraph.node(), whose generic quoting costs ~30 us a node: too slow for big graphs.
    bodies: dict[str | None, list[str]] = {None: []}

    def body(path: str | None) -> list[str]:
        if not clusters or path is None:
            return bodies[None]
        if path not in bodies:
            bodies[path] = []
        return bodies[path]

    # Values and their op nodes, each op in the cluster of the value it makes.
    for node in nodes:
        if node in summary_of:
            continue
        kind = kinds[node]
        attrs = {"label": _record(_fields(node, show_data, show_grad, precision), horizontal)}
        attrs["class"] = f"value {kind}"
        attrs["fillcolor"] = KIND_FILL[kind]
        if grad_scale is not None:
            attrs["fillcolor"] = fill = grad_scale.color(node.grad)
            if fill in _DARK:
                attrs["fontcolor"] = "white"
        if kind == "output":
            attrs["penwidth"] = "1.6"
        if node in on_path:
            attrs.update(_highlighted(attrs["class"], width="2.2"))
        tooltip = _tooltip(node)
        if tooltip:
            attrs["tooltip"] = tooltip
        lines = body(owner.get(node))
        lines.append(_statement(ids[node], attrs))
        if node.parents:
            attrs = {"label": _plain(str(node.op) or "?"), "class": "op", **OP_STYLE}
            if node in on_path and node is not highlight:
                attrs.update(_highlighted("op", width="1.6"))
            if node in checks:
                attrs.update(_checked_op(attrs, *checks[node]))
            lines.append(_statement(ids[node] + "op", attrs))

    # Summary nodes of folded modules, each in the cluster of its parent module. A module whose
    # value leaves it through one node (a neuron's activation) shows that node's data and grad.
    exits: dict[str, list] = {}
    for node in nodes:
        for parent in node.parents:
            key = summary_of.get(parent)
            if key is not None and summary_of.get(node) != key and parent not in exits.get(key, ()):
                exits.setdefault(key, []).append(parent)
    for node in roots:
        if node in summary_of and node not in exits.get(summary_of[node], ()):
            exits.setdefault(summary_of[node], []).append(node)
    for key in sorted(summaries, key=_natural):
        members = summaries[key]
        outputs = exits.get(key, [])
        fields = []
        if len(outputs) == 1:
            fields = _fields(outputs[0], show_data, show_grad, precision)[bool(outputs[0].label) :]
        elif outputs:
            fields = [f"{len(outputs)} outputs"]
        attrs = {
            "label": _record(fields, horizontal, title=f"{key}: {len(members)} nodes"),
            "class": "summary",
            "fillcolor": SUMMARY_FILL,
            "penwidth": "1.2",
        }
        if any(m in on_path for m in members):
            attrs.update(_highlighted("summary", width="2.2"))
        if any(checks.get(m, ("",))[0] == "fail" for m in members):
            attrs.update({"class": "summary check-fail", "color": CHECK_FAIL, "penwidth": "2.2"})
        body(key.rpartition(".")[0] or None).append(_statement(summary_ids[key], attrs))

    # Edges: one per argument (a + a draws two); a folded module is joined once per neighbour.
    edges = []
    folded_edges: dict[tuple[str, str], bool] = {}
    for node in nodes:
        if not node.parents:
            continue
        if node in summary_of:
            target = unit[node]
            for parent in node.parents:
                source = unit[parent]
                if source != target:
                    hot = parent in on_path and node in on_path
                    folded_edges[source, target] = folded_edges.get((source, target), False) or hot
            continue
        op = ids[node] + "op"
        for parent in node.parents:
            edges.append(_edge(unit[parent], op, hot=parent in on_path and node in on_path))
        edges.append(_edge(op, ids[node], hot=node in on_path and node is not highlight))
    edges.extend(_edge(source, target, hot) for (source, target), hot in folded_edges.items())

    graph = _digraph_class()(
        name="computation_graph",
        graph_attr={
            "rankdir": rankdir,
            "fontname": FONT,
            "fontsize": "10",
            "nodesep": "0.2",
            "ranksep": "0.8" if summaries else "0.3",  # room for the edges between modules
            "pad": "0.2",
            "bgcolor": "white",
            "newrank": "true",
            "outputorder": "edgesfirst",
            # Inputs of an op top to bottom in argument order; in a network (module labels),
            # mincross barely runs: every order of a dense layer crosses as often as any other,
            # so the search only rotates the neurons, and their index order is kept instead.
            "ordering": "in",
            **({"mclimit": "0.01"} if owner else {}),
        },
        node_attr={
            "fontname": FONT,
            "fontsize": "10",
            "shape": "Mrecord",
            "style": "filled",
            "color": BORDER,
            "penwidth": "0.8",
            "height": "0.3",
        },
        edge_attr={"color": EDGE, "arrowsize": "0.55", "penwidth": "0.9"},
        body=_nest(bodies) + edges,
    )
    if legend:
        shown = [n for n in nodes if n not in summary_of]
        label = _legend({kinds[n] for n in shown}, summaries, highlight, grad_scale, shown, checks)
        graph.node(
            "legend", label=label, shape="plaintext", style="", fontsize="9", **{"class": "legend"}
        )
    return graph


_DIGRAPH = None


def _digraph_class():
    """graphviz.Digraph whose inline display in Jupyter, where Graphviz's `dot` program is
    missing, is the library's one-line message and the DOT source rather than a traceback."""
    global _DIGRAPH
    if _DIGRAPH is None:
        import graphviz

        class Digraph(graphviz.Digraph):
            def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
                if shutil.which("dot") is not None:
                    try:
                        return super()._repr_mimebundle_(include, exclude, **kwargs)
                    except graphviz.ExecutableNotFound:
                        pass
                return _missing_dot_bundle(self.source)

        _DIGRAPH = Digraph
    return _DIGRAPH


MISSING_DOT = (
    "Graphviz's `dot` program was not found on PATH, so the graph cannot be drawn here. "
    "Install the Debian package `graphviz` (apt-get install graphviz; macOS: brew install "
    "graphviz), or paste the DOT source below into any Graphviz viewer."
)


def _missing_dot_bundle(source: str) -> dict:
    """What Jupyter shows for a graph when `dot` is missing: the message, then the source."""
    escaped = source.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {
        "text/plain": f"{MISSING_DOT}\n\n{source}",
        "text/html": (
            f'<p style="color:#c92a2a"><b>draw_graph:</b> {MISSING_DOT}</p>'
            f"<details><summary>DOT source</summary><pre>{escaped}</pre></details>"
        ),
    }


def save_graph(root, path, *, timeout: float = 60.0, dpi: int = 144, **options) -> Path:
    """Draw `root` (see `draw_graph` for the options) and write it to `path`.

    The format comes from the extension: .svg .png .pdf (rendered by Graphviz's `dot`, killed after
    `timeout` seconds) or .dot (the source, no Graphviz needed). Where `dot` is missing the source
    is written next to `path` (same name, .dot) before GraphvizNotFoundError is raised.
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"save_graph: unsupported extension {path.suffix or '(none)'!r} in {str(path)!r}; "
            f"use one of {', '.join(FORMATS)}"
        )
    source = draw_graph(root, **options).source
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "dot":
        path.write_text(source, encoding="utf-8")
        return path
    program = shutil.which("dot")
    if program is None:
        fallback = path.with_suffix(".dot")
        fallback.write_text(source, encoding="utf-8")
        raise GraphvizNotFoundError(
            f"save_graph: Graphviz's `dot` program was not found on PATH, so {path.name} could "
            "not be rendered. Install the Debian package `graphviz` (apt-get install graphviz; "
            f"macOS: brew install graphviz). The DOT source was written to {fallback}"
        )
    command = [program, f"-T{fmt}", "-o", str(path)]
    if fmt == "png":
        command.insert(1, f"-Gdpi={dpi}")
    try:
        done = subprocess.run(
            command, input=source.encode("utf-8"), capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise TimeoutError(
            f"save_graph: `dot` did not finish within {timeout} s; draw fewer nodes "
            "(collapse=True, a smaller max_nodes) or pass a larger timeout"
        ) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"save_graph: `dot -T{fmt}` failed (exit {done.returncode}): {message}")
    return path


# ------------------------------------------------------------------------------ graph structure


def _kinds(nodes: list, roots: list, parameters=frozenset()) -> dict:
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


def _owners(nodes: list) -> dict:
    """The module path each node belongs to, from the labels (nodes outside modules are absent).

    A parameter `layer0.neuron3.w0` belongs to `layer0.neuron3`; so does a non-leaf labelled
    `layer0.neuron3`, with the unlabelled nodes (constants too) computed on the way to it. The walk
    back from a module output stops at labelled nodes: inputs and other modules' outputs.
    """
    owner = {}
    modules = set()
    for node in nodes:
        if not node.parents and "." in node.label:
            path = node.label.rpartition(".")[0]
            owner[node] = path
            while path:
                modules.add(path)
                path = path.rpartition(".")[0]
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


# ------------------------------------------------------------------------------ folding modules


def _stem(component: str) -> str:
    """The level name of a label component: `neuron12` -> `neuron`."""
    return component.rstrip("0123456789") or component


def _natural(text: str) -> list:
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


# ------------------------------------------------------------------------------ DOT text


def _nest(bodies: dict) -> list[str]:
    """The statements of the top level with every cluster nested inside its parent module's.

    Module paths are shallow (layer.neuron), but the walk uses an explicit stack all the same.
    """
    children: dict[str | None, list[str]] = {}
    for path in list(
        bodies
    ):  # every enclosing module gets a cluster, even without nodes of its own
        while path is not None:
            parent = path.rpartition(".")[0] or None
            if path not in children.setdefault(parent, []):
                children[parent].append(path)
            path = parent
    for paths in children.values():
        paths.sort(key=_natural)
    lines = list(bodies[None])
    stack = [iter(children.get(None, []))]
    while stack:
        path = next(stack[-1], None)
        if path is None:
            stack.pop()
            if stack:
                lines.append("\t" * len(stack) + "}\n")
            continue
        indent = "\t" * len(stack)
        depth = path.count(".")
        style = {
            "label": _plain(path),
            "style": "rounded,filled",
            "fillcolor": CLUSTER_FILL[min(depth, len(CLUSTER_FILL) - 1)],
            "color": "#ADB5BD",
            "fontcolor": BORDER,
            # bottom right: edges come in from the left (upstream) and leave towards the right
            # from the boxes' middles, so none passes this corner (top left, they crossed it)
            "labeljust": "r",
            "labelloc": "b",
            "penwidth": "0.8",
            "margin": "6",
        }
        lines.append(f"{indent}subgraph {_quote('cluster_' + path)} {{\n")
        lines.append(indent + _statement("graph", style))
        lines.extend(indent + line for line in bodies.get(path, ()))
        stack.append(iter(children.get(path, [])))
    return lines


def _statement(name: str, attrs: dict) -> str:
    """One DOT statement: `name [key="value" ...]`."""
    return f"\t{name} [" + " ".join(f"{k}={_quote(v)}" for k, v in attrs.items()) + "]\n"


def _edge(source: str, target: str, hot: bool) -> str:
    if hot:
        return _statement(f"{source} -> {target}", _highlighted("edge", "2"))
    return f"\t{source} -> {target}\n"


def _quote(text: str) -> str:
    """A DOT quoted string. Backslashes were doubled by `_plain`/`_escape` where they are text."""
    return '"' + text.replace('"', '\\"') + '"'


def _plain(text: str) -> str:
    """Text shown as is in a label (DOT would read `\\n`, `\\l`... as escapes)."""
    return text.replace("\\", "\\\\")


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


def _fields(node, show_data: bool, show_grad: bool, precision: int) -> list[str]:
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


def _record(fields: list[str], horizontal: bool, title: str = "") -> str:
    """A record label whose fields sit side by side in either rank direction, under `title`.

    Record fields alternate direction at each pair of braces and start across the ranks (so in
    "LR" a bare list stacks vertically): brace the row when ranks run left to right.
    """
    text = " | ".join(_escape(f) for f in fields) or " "
    if title:  # the title stacked over the row: one direction change more than the row
        text = _escape(title) + (" | {" + text + "}" if fields else "")
        horizontal = not horizontal
    return "{" + text + "}" if horizontal else text


def _escape(field: str) -> str:
    """A record field shown as is: backslash and the record syntax characters escaped."""
    return re.sub(r"([\\{}|<>])", r"\\\1", field)


def _tooltip(node) -> str:
    if _is_array(node.data):
        return ""
    text = f"{node.label or str(node.op) or 'constant'}: data={_scalar(node.data)!r}"
    if node.grad is not None and not _is_array(node.grad):
        text += f" grad={_scalar(node.grad)!r}"
    return _plain(text)


def _check_ops(nodes: list) -> dict:
    """(status, entries) of every op node whose forward is known (see check_local_derivatives)."""
    from .gradcheck import check_local_derivatives

    checks = {}
    for node in nodes:
        if node.parents:
            status, entries = check_local_derivatives(node)
            if status != "unchecked":
                checks[node] = (status, entries)
    return checks


def _checked_op(attrs: dict, status: str, entries: list) -> dict:
    """The attributes marking a checked op: red with ✗ on failure, dashed at a kink."""
    lines = [
        f"{e.name}: analytic {e.actual:.6g}, numeric {e.expected:.6g}"
        + ("" if e.passed else " (kink)" if e.note.startswith("kink") else " ✗")
        for e in entries
    ]
    marked = {"tooltip": _plain("; ".join(lines)), "class": f"{attrs['class']} check-{status}"}
    if status == "fail":
        marked.update(
            label=attrs["label"] + " ✗",
            fillcolor=CHECK_FAIL_FILL,
            color=CHECK_FAIL,
            penwidth="1.8",
        )
    elif status == "kink":
        marked.update(style="filled,dashed", color=CHECK_FAIL)
    return marked


def _highlighted(css: str, width: str) -> dict:
    return {"class": f"{css} highlight", "color": HIGHLIGHT, "penwidth": width}


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


def _legend(
    kinds: set, summaries: dict, highlight, grad_scale, shown: list, checks: dict | None = None
) -> str:
    """An HTML-like table: a swatch per kind drawn, or the |grad| colour scale."""
    rows = ['<TR><TD COLSPAN="2" ALIGN="LEFT"><B>legend</B></TD></TR>']

    def row(fill: str, text: str, border: str = BORDER) -> None:
        rows.append(
            f'<TR><TD BGCOLOR="{fill}" COLOR="{border}" BORDER="1" WIDTH="16" HEIGHT="10"></TD>'
            f'<TD ALIGN="LEFT">{text}</TD></TR>'
        )

    if grad_scale is None:
        for kind, fill in KIND_FILL.items():
            if kind in kinds:
                row(fill, "leaf (no label)" if kind == "leaf" else kind)
    else:
        cells = "".join(f'<TD BGCOLOR="{c}" WIDTH="12" HEIGHT="10"></TD>' for c in GRAD_SCALE)
        low, high = (f"{10**x:.2g}" for x in (grad_scale.low, grad_scale.high))
        rows.append(
            '<TR><TD COLSPAN="2" ALIGN="LEFT">fill: |grad|, log scale</TD></TR>'
            '<TR><TD COLSPAN="2"><TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0">'
            f'<TR>{cells}</TR><TR><TD COLSPAN="4" ALIGN="LEFT">{low}</TD><TD></TD>'
            f'<TD COLSPAN="3" ALIGN="RIGHT">{high}</TD></TR></TABLE></TD></TR>'
        )
        row("#FFFFFF", "grad 0")
    if any(n.parents for n in shown):
        row(OP_FILL, "op")
    if summaries:
        row(SUMMARY_FILL, "folded module")
    if highlight is not None:
        row("#FFFFFF", "path to the highlighted node", border=HIGHLIGHT)
    statuses = {status for status, _ in (checks or {}).values()}
    if "fail" in statuses:
        row(CHECK_FAIL_FILL, "✗ local derivative ≠ finite differences", border=CHECK_FAIL)
    if "kink" in statuses:
        row(OP_FILL, "not differentiable here (kink)", border=CHECK_FAIL)
    body = "".join(rows)
    return (
        '<<TABLE BORDER="1" COLOR="#ADB5BD" STYLE="rounded" CELLBORDER="0" CELLSPACING="2" '
        f'CELLPADDING="1">{body}</TABLE>>'
    )
