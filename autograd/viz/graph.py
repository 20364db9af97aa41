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

What the picture shows (boxes, clusters, edges, colours, folding) is decided by
`picture.plan_graph`; this module writes DOT from that plan and renders it. graphviz (the Python
package) is imported only inside `draw_graph`; `save_graph` runs Graphviz's
`dot` program itself, with a timeout, so a picture never hangs the caller.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

from .picture import (
    CHECK_FAIL,
    CHECK_FAIL_FILL,
    DEFAULT_MAX_NODES,
    GRAD_SCALE,
    KIND_FILL,
    OP_FILL,
    SUMMARY_FILL,
    Edge,
    Legend,
    OpBox,
    Picture,
    SummaryBox,
    ValueBox,
    natural_key,
    plan_graph,
    value_fields,
)

__all__ = [
    "CHECK_FAIL",
    "DEFAULT_MAX_NODES",
    "GRAD_SCALE",
    "KIND_FILL",
    "GraphvizNotFoundError",
    "draw_graph",
    "save_graph",
]

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot"}

# DejaVu Sans is on Debian (fonts-dejavu-core, a dependency of graphviz); a viewer of the SVG
# without it falls back along the list, ending at any sans-serif face.
FONT = "DejaVu Sans,Verdana,Helvetica,Arial,sans-serif"
OP_STYLE = {
    "shape": "ellipse",
    "fillcolor": OP_FILL,
    "fontsize": "9",
    "width": "0.3",
    "height": "0.22",
    "margin": "0.05,0.02",
}
HIGHLIGHT = "#E03131"
BORDER = "#495057"
EDGE = "#868E96"
CLUSTER_FILL = ("#F8F9FA", "#F1F3F5", "#E9ECEF")  # by nesting depth: layer, neuron, deeper
_fields = value_fields  # the name the step-through tests know


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
    describe: Mapping[str, str] | None = None,
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
                     forward (`autograd.check.check_local_derivatives`): an op that disagrees
                     is drawn red and marked ✗, its tooltip giving analytic vs numeric; an op at a
                     kink (relu at 0) is drawn dashed. Made for custom ops (`define_op`).
      fold_parameters  False keeps parameters as their own boxes when modules fold (with
                     color_by_grad: each parameter's gradient norm, the flow into the model).
      parameters     leaves to draw as parameters whatever their labels (`model.parameters()`,
                     or the weights of a hand-written network); by default a leaf is a parameter
                     when its label is a dotted path such as `layer0.neuron3.w0`.
      describe       module path -> a one-line description (`model.descriptions()` in `nn`):
                     a folded module's box reads "layer0 · Conv2d(1→16, 5×5, pad 2)" over its
                     output and its parameter count, instead of "layer0: 3 nodes". A described
                     path whose output node carries it as label is a module even without
                     parameters (a pooling layer, an activation, a loss term such as "L2"), so
                     it folds too: one box per layer, as TensorBoard's main graph.

    Numbers that `precision` would round to something that looks exact get more digits
    (tanh(-6) is `-0.99999`, not `-1`), up to three more, then a `≈` (`≈1` for 1.0000001).

    The traversal is iterative (any depth works) and the output deterministic: node ids follow a
    depth-first walk in argument order, so the same graph always gives the same DOT source.
    """
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_graph: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    picture = plan_graph(
        root,
        show_data=show_data,
        show_grad=show_grad,
        clusters=clusters,
        max_nodes=max_nodes,
        collapse=collapse,
        color_by_grad=color_by_grad,
        highlight=highlight,
        precision=precision,
        check=check,
        fold_parameters=fold_parameters,
        parameters=parameters,
        describe=describe,
    )
    return _dot(picture, rankdir, legend)


def _dot(picture: Picture, rankdir: str, legend: bool):
    """The graphviz.Digraph of `picture`. Its statements are written directly rather than
    through Digraph.node(), whose generic quoting costs ~30 us a node: too slow for big graphs."""
    horizontal = rankdir in ("LR", "RL")
    bodies: dict[str | None, list[str]] = {None: []}  # DOT statements per cluster
    for box in picture.boxes:
        if isinstance(box, ValueBox):
            statement = _value_statement(box, horizontal)
        elif isinstance(box, OpBox):
            statement = _op_statement(box)
        else:
            statement = _summary_statement(box, horizontal)
        bodies.setdefault(box.cluster, []).append(statement)
    edges = [_edge(edge) for edge in picture.edges]
    graph = _digraph_class()(
        name="computation_graph",
        graph_attr={
            "rankdir": rankdir,
            "fontname": FONT,
            "fontsize": "10",
            "nodesep": "0.2",
            "ranksep": "0.8" if picture.summaries else "0.3",  # room for the edges between modules
            "pad": "0.2",
            "bgcolor": "white",
            "newrank": "true",
            "outputorder": "edgesfirst",
            # Inputs of an op top to bottom in argument order; in a network (module labels),
            # mincross barely runs: every order of a dense layer crosses as often as any other,
            # so the search only rotates the neurons, and their index order is kept instead.
            "ordering": "in",
            **({"mclimit": "0.01"} if picture.module_of else {}),
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
        body=_nest(bodies, _cluster_labels(picture)) + edges,
    )
    if legend:
        graph.node(
            "legend",
            label=_legend(picture.legend),
            shape="plaintext",
            style="",
            fontsize="9",
            **{"class": "legend"},
        )
    return graph


def _value_statement(box: ValueBox, horizontal: bool) -> str:
    attrs = {"label": _record(box.fields, horizontal), "class": f"value {box.kind}"}
    attrs["fillcolor"] = box.fill
    if box.dark:
        attrs["fontcolor"] = "white"
    if box.kind == "output":
        attrs["penwidth"] = "1.6"
    if box.highlighted:
        attrs.update(_highlighted(attrs["class"], width="2.2"))
    if box.tooltip:
        attrs["tooltip"] = _plain(box.tooltip)
    return _statement(box.id, attrs)


def _op_statement(box: OpBox) -> str:
    attrs = {"label": _plain(box.label), "class": "op", **OP_STYLE}
    if box.highlighted:
        attrs.update(_highlighted("op", width="1.6"))
    if box.check is not None:
        attrs.update(_checked_op(attrs, *box.check))
    return _statement(box.id, attrs)


def _summary_statement(box: SummaryBox, horizontal: bool) -> str:
    if box.description:
        title = f"{box.module} · {box.description}"
    else:
        title = f"{box.module}: {len(box.members)} nodes"
    attrs = {
        "label": _record(box.fields, horizontal, title=title),
        "class": "summary",
        "fillcolor": SUMMARY_FILL,
        "penwidth": "1.2",
    }
    if box.highlighted:
        attrs.update(_highlighted("summary", width="2.2"))
    if box.failed:
        attrs.update({"class": "summary check-fail", "color": CHECK_FAIL, "penwidth": "2.2"})
    return _statement(box.id, attrs)


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


# ------------------------------------------------------------------------------ DOT text


def _cluster_labels(picture: Picture) -> dict[str, str]:
    """module path -> its cluster's label: "layer0 · Conv2d(1→16, 5×5, pad 2)" for a described
    module drawn node by node, the bare path where its summary box already says what it is."""
    folded = {s.module for s in picture.summaries}
    return {
        path: path if path in folded else f"{path} · {text}"
        for path, text in picture.descriptions.items()
    }


def _nest(bodies: dict, labels: dict[str, str]) -> list[str]:
    """The statements of the top level with every cluster nested inside its parent module's
    (`labels`: a cluster's label where it is not the module path).

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
        paths.sort(key=natural_key)
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
            "label": _plain(labels.get(path, path)),
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


def _edge(edge: Edge) -> str:
    if edge.hot:
        return _statement(f"{edge.source} -> {edge.target}", _highlighted("edge", "2"))
    return f"\t{edge.source} -> {edge.target}\n"


def _quote(text: str) -> str:
    """A DOT quoted string. Backslashes were doubled by `_plain`/`_escape` where they are text."""
    return '"' + text.replace('"', '\\"') + '"'


def _plain(text: str) -> str:
    """Text shown as is in a label (DOT would read `\\n`, `\\l`... as escapes)."""
    return text.replace("\\", "\\\\")


# ------------------------------------------------------------------------------ labels and colours


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


def _legend(legend: Legend) -> str:
    """An HTML-like table: a swatch per kind drawn, or the |grad| colour scale."""
    rows = ['<TR><TD COLSPAN="2" ALIGN="LEFT"><B>legend</B></TD></TR>']

    def row(fill: str, text: str, border: str = BORDER) -> None:
        rows.append(
            f'<TR><TD BGCOLOR="{fill}" COLOR="{border}" BORDER="1" WIDTH="16" HEIGHT="10"></TD>'
            f'<TD ALIGN="LEFT">{text}</TD></TR>'
        )

    if legend.grad_range is None:
        for kind, fill in KIND_FILL.items():
            if kind in legend.kinds:
                row(fill, "leaf (no label)" if kind == "leaf" else kind)
    else:
        cells = "".join(f'<TD BGCOLOR="{c}" WIDTH="12" HEIGHT="10"></TD>' for c in GRAD_SCALE)
        low, high = (f"{10**x:.2g}" for x in legend.grad_range)
        rows.append(
            '<TR><TD COLSPAN="2" ALIGN="LEFT">fill: |grad|, log scale</TD></TR>'
            '<TR><TD COLSPAN="2"><TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0">'
            f'<TR>{cells}</TR><TR><TD COLSPAN="4" ALIGN="LEFT">{low}</TD><TD></TD>'
            f'<TD COLSPAN="3" ALIGN="RIGHT">{high}</TD></TR></TABLE></TD></TR>'
        )
        row("#FFFFFF", "grad 0")
    if legend.ops:
        row(OP_FILL, "op")
    if legend.folded:
        row(SUMMARY_FILL, "folded module")
    if legend.highlight:
        row("#FFFFFF", "path to the highlighted node", border=HIGHLIGHT)
    if "fail" in legend.statuses:
        row(CHECK_FAIL_FILL, "✗ local derivative ≠ finite differences", border=CHECK_FAIL)
    if "kink" in legend.statuses:
        row(OP_FILL, "not differentiable here (kink)", border=CHECK_FAIL)
    body = "".join(rows)
    return (
        '<<TABLE BORDER="1" COLOR="#ADB5BD" STYLE="rounded" CELLBORDER="0" CELLSPACING="2" '
        f'CELLPADDING="1">{body}</TABLE>>'
    )
