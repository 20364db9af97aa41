"""Watch backprop happen: the steps of `autograd.viz.steps` as a page, a notebook widget, a GIF.

`save_steps(root, "backprop.html")` writes one self-contained HTML file (no network, works opened
from disk): the graph drawn by Graphviz, a step slider, previous / play / next buttons and the
arrow keys; the current node and its edges highlighted, values and gradients appearing as they
are computed, and a side panel with the step's chain-rule line and its numbers. The same file name
ending in .gif or .mp4 writes an animation, one frame per step. `show_steps(root)` returns a
`StepsPage`, which Jupyter displays inline (an iframe, no server and no extension).

With `collapse=` ("neuron", "layer", True, a depth: as in `draw_graph`) a network steps by
neuron or by layer: each folded module is one step forward and one step backward.

>>> from autograd import Value
>>> x, w, b = Value(2.0, "x"), Value(-0.5, "w"), Value(0.5, "b")
>>> y = (x * w + b).tanh()
>>> page = show_steps(y)                    # doctest: +SKIP
>>> save_steps(y, "/tmp/neuron.html")       # doctest: +SKIP
"""

from __future__ import annotations

import html
import json
import re
import tempfile
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

from ..value import Value
from .graph import DEFAULT_MAX_NODES, GraphvizNotFoundError, save_graph
from .picture import plan_graph, value_fields
from .steps import Steps, backprop_steps, number, numbers_text, op_rules, op_text

__all__ = ["StepsPage", "save_steps", "show_steps"]

FORMATS = (".html", ".gif", ".mp4")
SVG_NS = "http://www.w3.org/2000/svg"
# Colours of the page and the animation: calm, and readable on a projector.
FORWARD = "#1971C2"  # the forward pass: blue
BACKWARD = "#E8590C"  # the backward pass: orange
RECEIVE = "#F59F00"  # a parent receiving gradient


class _Shadow:
    """A stand-in node with the final gradient, so the graph is laid out with the widest text."""

    __slots__ = ("data", "grad", "label", "op", "parents")

    def __init__(self, data: float, label: str, grad: float, op: object = "") -> None:
        self.data, self.label, self.grad, self.op = data, label, grad, op
        self.parents: tuple[_Shadow, ...] = ()


class StepsPage:
    """The step-through of one root: its steps, the graph's SVG and the HTML page around them.

    Jupyter shows it inline (`_repr_html_`); `save(path)` writes .html, .gif or .mp4.
    """

    def __init__(
        self,
        root: Value,
        *,
        collapse: bool | str | int = False,
        max_nodes: int = DEFAULT_MAX_NODES,
        rankdir: str = "LR",
        precision: int = 4,
        gradient: float = 1.0,
        title: str | None = None,
        timeout: float = 60.0,
    ):
        if (
            isinstance(precision, bool)
            or not isinstance(precision, int)
            or not 1 <= precision <= 17
        ):
            raise ValueError(
                f"show_steps: precision must be an int from 1 to 17, got {precision!r}"
            )
        self.steps: Steps = backprop_steps(root, gradient, precision=precision)
        self.precision = precision
        self.collapse = collapse
        self.title = (
            title if title is not None else f"Backpropagation through {self.steps.name(root)}"
        )
        layout = _Layout(self.steps, collapse, max_nodes)
        self.unit = layout.unit  # node -> the id of the box that draws it (v3, or m1 if folded)
        self.shown = layout.shown  # box id -> the node whose data and grad it shows
        self.svg = _render_svg(self.steps, layout, rankdir, max_nodes, collapse, precision, timeout)
        self.frames = _frames(self.steps, layout, precision)

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        return f"StepsPage({self.title!r}, {len(self.frames)} frames)"

    @property
    def html(self) -> str:
        """The whole page: one file, with the SVG, the steps and the script inline."""
        template = (resources.files("autograd.viz") / "steps_template.html").read_text("utf-8")
        data = json.dumps(
            {"title": self.title, "frames": self.frames}, ensure_ascii=False, separators=(",", ":")
        )
        data = data.replace("</", "<\\/")  # never closes the script element early
        return (
            template.replace("__TITLE__", html.escape(self.title))
            .replace("<!--SVG-->", self.svg)
            .replace("/*STEPS_DATA*/", data)
        )

    def _repr_html_(self) -> str:
        # An iframe keeps the page's script and styles to itself: several widgets in one notebook
        # never collide, and it works the same in JupyterLab and the classic Notebook.
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}"'
            f' title="{html.escape(self.title)}"'
            ' style="box-sizing:border-box;width:100%;height:600px;'
            'border:1px solid #DEE2E6;border-radius:6px"'
            ' sandbox="allow-scripts"></iframe>'
        )

    def save(self, path, *, seconds_per_step: float = 1.2) -> Path:
        """Write the page (.html) or an animation, one frame per step (.gif; .mp4 with the
        imageio-ffmpeg package)."""
        path = Path(path)
        suffix = _check_format(path)
        if not seconds_per_step > 0:
            raise ValueError(f"save_steps: seconds_per_step must be > 0, got {seconds_per_step!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".html":
            path.write_text(self.html, encoding="utf-8")
            return path
        from .steps_animation import write_animation

        write_animation(self, path, seconds_per_step)
        return path


def show_steps(root: Value, **options) -> StepsPage:
    """The step-through of `root` as a `StepsPage` (Jupyter displays it inline). Options as for
    `StepsPage`: collapse, max_nodes, rankdir, precision, gradient, title."""
    return StepsPage(root, **options)


def save_steps(root: Value, path, *, seconds_per_step: float = 1.2, **options) -> Path:
    """Write the step-through of `root` to `path`: .html (the interactive page), .gif or .mp4.

    Options as for `StepsPage` (collapse="neuron" steps a network neuron by neuron).
    """
    _check_format(path)
    return StepsPage(root, **options).save(path, seconds_per_step=seconds_per_step)


def _check_format(path) -> str:
    """The extension of `path` (lower case), or ValueError if it is not .html, .gif or .mp4."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"save_steps: unsupported extension {path.suffix or '(none)'!r} in {str(path)!r}; "
            f"use one of {', '.join(FORMATS)}"
        )
    return suffix


# ------------------------------------------------------------------------------ boxes of the graph


class _Layout:
    """Which box of the picture draws each node: `draw_graph`'s own plan (`plan_graph`), so the
    page's ids are the drawn ones; a test checks each id is in the rendered SVG."""

    def __init__(self, steps: Steps, collapse, max_nodes: int):
        picture = plan_graph(steps.root, max_nodes=max_nodes, collapse=collapse)
        self.unit = picture.box_of
        self.module_of = picture.module_of  # node -> its module path, for nodes in modules
        self.folded = {s.id: s.module for s in picture.summaries}  # summary id -> module path
        self.members: dict[str, list] = {}
        for node in picture.nodes:
            self.members.setdefault(self.unit[node], []).append(node)
        # The node whose data and grad a box shows: itself, or a folded module's only exit.
        self.exits = {s.id: s.exits for s in picture.summaries if s.exits}
        self.shown = {}
        for u, members in self.members.items():
            if u not in self.folded:
                self.shown[u] = members[0]
            elif len(self.exits.get(u, ())) == 1:
                self.shown[u] = self.exits[u][0]

    def name(self, steps: Steps, unit: str) -> str:
        return self.folded.get(unit) or steps.name(self.members[unit][0])


def _render_svg(steps: Steps, layout: _Layout, rankdir, max_nodes, collapse, precision, timeout):
    """The graph drawn by Graphviz, laid out with the final data and gradients (the widest text
    each box shows), as an inline <svg> element."""
    owned = layout.module_of
    shadows: dict[Value, _Shadow] = {}
    for node in steps.nodes:
        label = node.label
        if node.parents and not node.label and node not in owned:
            label = steps.name(node)  # n1, n2, ...: the names the panel uses, on the boxes too
        s = shadows[node] = _Shadow(node.data, label, steps.grads.get(node, 0.0), node.op)
        s.parents = tuple(shadows[p] for p in node.parents)
    with tempfile.TemporaryDirectory(prefix="backprop-steps-") as folder:
        try:
            path = save_graph(
                shadows[steps.root],
                Path(folder) / "graph.svg",
                timeout=timeout,
                rankdir=rankdir,
                max_nodes=max_nodes,
                collapse=collapse,
                legend=False,
                precision=precision,
            )
        except GraphvizNotFoundError:
            raise GraphvizNotFoundError(
                "save_steps: the step-through draws its graph with Graphviz's `dot` program, "
                "which was not found on PATH. Install the Debian package `graphviz` (apt-get "
                "install graphviz; macOS: brew install graphviz)"
            ) from None
        svg = path.read_text(encoding="utf-8")
    svg = svg[svg.index("<svg") :]
    return re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)


# ------------------------------------------------------------------------------ the frames


def _texts(node, data: bool, grad: float | None, precision: int) -> tuple[str, str]:
    """The data and grad text of a box, as `draw_graph` writes them ('?': not computed yet)."""
    stand_in = _Shadow(node.data, "", grad if grad is not None else 0.0)
    data_text, grad_text = value_fields(stand_in, True, True, precision)
    return (data_text if data else "data ?"), (grad_text if grad is not None else "grad ?")


def _frames(steps: Steps, layout: _Layout, precision: int) -> list[dict]:
    """Every frame of the page: what to highlight, which texts change, the panel's lines.

    Frame 0 sets every box's starting text; each later frame lists only what changes, so the page
    finds any step's state by applying frames 0..k in order.
    """
    name = steps.name
    root = steps.root
    num = lambda x: number(x, precision)
    total = lambda node: f"d{name(root)}/d{name(node)}"
    order = [f.node for f in steps.forward]
    index = {node: i for i, node in enumerate(order)}

    # frame 0: the leaves are known, nothing is computed
    sets = []
    known = []
    for u, shown in layout.shown.items():
        computed = not shown.parents
        d, g = _texts(shown, computed, None, precision)
        sets += [[u, "d", d], [u, "g", g]]
        if computed and u not in layout.folded:
            known.append(f"{name(shown)} = {num(shown.data)}")
    leaves = [n for n in steps.nodes if not n.parents]
    lines = [["note", f"{len(leaves)} leaves are known, {len(order)} nodes to compute."]]
    if known:
        lines.append(["eq", ",  ".join(known[:12]) + (",  …" if len(known) > 12 else "")])
    lines.append(["note", "Next: the forward pass computes each node from its inputs."])
    frames = [_frame("start", "Start: the inputs are known", lines, [], [], [], sets)]

    # forward: one frame a box (a folded module is computed as one step, when its last node is)
    groups = _groups(order, layout, index)
    for n, (u, members) in enumerate(groups, 1):
        if u in layout.folded:
            shown = layout.shown.get(u)
            edges = _module_edges(layout, u, members)
            lines = [["note", f"{layout.folded[u]} computes {len(members)} nodes: {_ops(members)}"]]
            exits = layout.exits.get(u, [])
            lines += [
                ["eq", _module_equation(steps, layout, u, e, precision)]
                for e in exits[:8]
                if e.parents
            ]
            if len(exits) > 8:
                lines.append(["note", f"… and {len(exits) - 8} more outputs"])
            sets = [[u, "d", _texts(shown, True, None, precision)[0]]] if shown is not None else []
            frames.append(
                _frame(
                    "forward",
                    f"Forward {n}/{len(groups)}: {layout.folded[u]}",
                    lines,
                    [u],
                    [],
                    edges,
                    sets,
                )
            )
            continue
        node = members[0]
        forward_step = steps.forward[index[node]]
        edges = [f"{layout.unit[p]}->{u}op" for p in node.parents] + [f"{u}op->{u}"]
        lines = [["eq", forward_step.formula]]
        sets = [[u, "d", _texts(node, True, None, precision)[0]]]
        frames.append(
            _frame(
                "forward",
                f"Forward {n}/{len(groups)}: computing {name(node)}",
                lines,
                [u],
                [],
                edges,
                sets,
                ops=[f"{u}op"],
            )
        )

    # the seed: every gradient starts at 0, the root's at the seed
    sets = []
    for u, shown in layout.shown.items():
        grad = steps.seed if shown is root else 0.0
        sets.append([u, "g", _texts(shown, True, grad, precision)[1]])
    lines = [
        ["eq", f"{total(root)} = {num(steps.seed)}"],
        [
            "note",
            "Every gradient starts at 0. The backward pass visits the nodes in reverse "
            "order; each one sends its gradient times the local derivative to its inputs.",
        ],
    ]
    root_unit = layout.unit[root]
    frames.append(_frame("seed", "Backward pass: the seed", lines, [root_unit], [], [], sets))

    # backward: one frame a box, in reverse
    running: dict = {}
    backward = {step.node: step for step in steps.backward}
    for n, (u, members) in enumerate(reversed(groups), 1):
        visited = [backward[m] for m in reversed(members)]
        touched = []
        for step in visited:
            for c in step.contributions:
                running[c.parent] = c.after
                if c.parent not in touched:
                    touched.append(c.parent)
        sets = []
        hit = []
        for p in touched:
            pu = layout.unit[p]
            if layout.shown.get(pu) is p:
                sets.append([pu, "g", _texts(p, True, running[p], precision)[1]])
            if pu != u and pu not in hit:
                hit.append(pu)
        if u in layout.folded:
            lines, edges = _module_backward(steps, layout, u, members, visited, num, total)
            title = f"Backward {n}/{len(groups)}: {layout.folded[u]}"
            frames.append(_frame("backward", title, lines, [u], hit, edges, sets))
            continue
        step = visited[0]
        node = step.node
        lines = [
            [
                "eq",
                f"{total(node)} = {num(step.upstream)}  (complete: every use of "
                f"{name(node)} has sent its share)",
            ]
        ]
        for c in step.contributions:
            twice = node.parents.count(c.parent) > 1  # a + a: say which use this is
            lines.append(
                ["sub", c.derivative + (f"  (argument {c.position + 1})" if twice else "")]
            )
            lines.append(["chain", c.line])
            lines.append(["run", f"{total(c.parent)}: {num(c.before)} → {num(c.after)}"])
        edges = [f"{u}op->{u}"] + [f"{layout.unit[p]}->{u}op" for p in node.parents]
        title = f"Backward {n}/{len(groups)}: {name(node)}"
        frames.append(_frame("backward", title, lines, [u], hit, edges, sets, ops=[f"{u}op"]))

    # the end: what backward() leaves in .grad
    named = [n for n in steps.nodes if not n.parents and n.label]
    named.sort(key=lambda n: "." in n.label)  # inputs, then parameters
    lines = [["eq", f"{total(n)} = {num(steps.grads.get(n, 0.0))}"] for n in named[:10]]
    if len(named) > 10:
        lines.append(["note", f"… and {len(named) - 10} more"])
    lines.append(["note", "These are exactly the gradients root.backward() writes into .grad."])
    frames.append(_frame("done", "Done: every gradient is filled in", lines, [], [], [], []))
    return frames


def _module_equation(steps: Steps, layout: _Layout, u: str, exit_node, precision: int) -> str:
    """A module's output written through the module: `layer0.neuron0 = relu(b + w0 · x0 + w1 ·
    x1) = relu(0.5974) = 0.5974`, its own parameters without their module prefix."""
    inside = set(layout.members[u])
    prefix = layout.folded[u] + "."

    def local(node) -> str:
        name = steps.name(node)
        return name[len(prefix) :] if name.startswith(prefix) else name

    def write(node, depth: int) -> str:
        if node not in inside or not node.parents or depth > 3:
            return local(node)
        xs = [write(p, depth + 1) for p in node.parents]
        if str(node.op) in ("*", "neg") or str(node.op).startswith("**"):
            xs = [f"({x})" if p in inside and str(p.op) in ("+", "-", "sum", "affine") else x
                  for x, p in zip(xs, node.parents)]  # fmt: skip
        if str(node.op) == "affine" and len(xs) > 7:  # whole terms: b + w0 · x0 + … + wn · xn
            return f"{op_text(node, xs[:3])} + … + {xs[-2]} · {xs[-1]}"
        if len(xs) > 5:
            xs = [*xs[:3], "…", xs[-1]]
        return op_text(node, xs)

    symbolic = write(exit_node, 0)
    numeric = numbers_text(exit_node, precision)
    return f"{steps.name(exit_node)} = {symbolic} = {numeric} = {number(exit_node.data, precision)}"


def _frame(phase, title, lines, cur, hit, edges, sets, ops=()) -> dict:
    return {
        "ph": phase, "t": title, "ln": lines, "cur": list(cur), "ops": list(ops),
        "hit": list(hit), "e": list(dict.fromkeys(edges)), "s": sets,
    }  # fmt: skip


def _groups(order: list, layout: _Layout, index: dict) -> list[tuple[str, list]]:
    """The computed nodes grouped by box, each group placed where its last node is computed
    (a valid order: a module's output comes after everything it reads)."""
    groups: dict[str, list] = {}
    for node in order:
        groups.setdefault(layout.unit[node], []).append(node)
    return sorted(groups.items(), key=lambda item: index[item[1][-1]])


def _ops(members: list) -> str:
    counts: dict[str, int] = {}
    for m in members:
        counts[str(m.op)] = counts.get(str(m.op), 0) + 1
    return ", ".join(f"{k} {op}" if k > 1 else op for op, k in counts.items())


def _module_edges(layout: _Layout, u: str, members: list) -> list[str]:
    return [f"{layout.unit[p]}->{u}" for m in members for p in m.parents if layout.unit[p] != u]


def _module_backward(steps, layout, u, members, visited, num, total):
    """The panel of a folded module's backward step: its upstream gradient, then what it sends
    to each input outside the module, by the chain rule through the module."""
    name = steps.name
    exits = layout.exits.get(u, [])
    lines = [["note", f"{layout.folded[u]}: {len(members)} nodes send their gradients back"]]
    for e in exits[:8]:
        lines.append(["eq", f"{total(e)} = {num(steps.grads.get(e, 0.0))}"])
    local = _local_through(members, exits[0]) if len(exits) == 1 else {}
    sent: dict = {}
    first: dict = {}
    last: dict = {}
    for step in visited:
        for c in step.contributions:
            if layout.unit[c.parent] != u:
                sent[c.parent] = sent.get(c.parent, 0.0) + c.contribution
                first.setdefault(c.parent, c.before)
                last[c.parent] = c.after
    shown = list(sent)[:10]
    for p in shown:
        if p in local:
            e = exits[0]
            lines.append(
                [
                    "chain",
                    f"{total(p)} += {total(e)} · ∂{name(e)}/∂{name(p)} = "
                    f"{num(steps.grads.get(e, 0.0))} · {_paren(num(local[p]))} = "
                    f"{num(sent[p])}",
                ]
            )
        else:
            lines.append(["chain", f"{total(p)} += {num(sent[p])}"])
        lines.append(["run", f"{total(p)}: {num(first[p])} → {num(last[p])}"])
    if len(sent) > len(shown):
        lines.append(["note", f"… and {len(sent) - len(shown)} more inputs"])
    params = [m for m in layout.members[u] if not m.parents and m.label]
    if params:
        text = ",  ".join(f"{name(p)} {num(steps.grads.get(p, 0.0))}" for p in params[:6])
        more = f",  … ({len(params)} parameters)" if len(params) > 6 else ""
        lines.append(["sub", f"parameter gradients: {text}{more}"])
    edges = [f"{layout.unit[p]}->{u}" for p in sent]
    return lines, edges


def _local_through(members: list, exit_node) -> dict:
    """d exit / d input for each input of a module, by the chain rule inside it (seed 1)."""
    inside = set(members)
    local = {exit_node: 1.0}
    for node in reversed(members):
        g = local.get(node)
        if g is None or not node.parents:
            continue
        for p, d in zip(node.parents, op_rules(node)[0]):
            local[p] = local.get(p, 0.0) + g * d
    return {p: v for p, v in local.items() if p not in inside}


def _paren(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


# ------------------------------------------------------------------------------ SVG state


def svg_frame(page: StepsPage, k: int) -> str:
    """The SVG as the page shows it at frame `k` (for the animation): texts, highlights, dimming."""
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    tree = ET.fromstring(page.svg)
    texts: dict[tuple[str, str], str] = {}
    for frame in page.frames[: k + 1]:
        for u, which, text in frame["s"]:
            texts[u, which] = text
    frame = page.frames[k]
    phase = frame["ph"]
    accent = FORWARD if phase == "forward" else BACKWARD
    cur, hit, ops, edges = set(frame["cur"]), set(frame["hit"]), set(frame["ops"]), set(frame["e"])
    q = f"{{{SVG_NS}}}"
    for g in tree.iter(f"{q}g"):
        kind = g.get("class", "")
        title = g.find(f"{q}title")
        if title is None or title.text is None:
            continue
        ident = title.text.replace("&#45;", "-").replace("&gt;", ">")
        shapes = [c for c in g.iter() if c.tag in (f"{q}path", f"{q}polygon", f"{q}ellipse")]
        if kind.startswith("node"):
            for t in g.iter(f"{q}text"):
                content = t.text or ""
                for which, prefix in (("d", "data"), ("g", "grad")):
                    if content.startswith(prefix) and (ident, which) in texts:
                        t.text = texts[ident, which]
                        if texts[ident, which].endswith("?"):
                            t.set("fill", "#ADB5BD")
            unit = ident[:-2] if ident.endswith("op") else ident
            pending = texts.get((unit, "d"), "").endswith("?") and phase in ("start", "forward")
            if pending and ident not in cur and ident not in ops:
                g.set("opacity", "0.35")
            if ident in cur or ident in ops:
                for s in shapes:
                    s.set("stroke", accent)
                    s.set("stroke-width", "4" if ident in cur else "3")
            elif ident in hit:
                for s in shapes:
                    s.set("stroke", RECEIVE)
                    s.set("stroke-width", "3")
                    s.set("stroke-dasharray", "6,3")
        elif kind.startswith("edge") and ident in edges:
            for s in g.iter():
                if s.tag in (f"{q}path", f"{q}polygon"):
                    s.set("stroke", accent)
                    s.set("stroke-width", "3")
                    if s.tag == f"{q}polygon":
                        s.set("fill", accent)
    return ET.tostring(tree, encoding="unicode")
