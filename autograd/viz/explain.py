"""The chain rule written out: `explain(root, wrt)` derives d root / d wrt step by step.

The derivation a student writes by hand, generated from the graph and checked against the backward
pass and against central finite differences of the graph's forward (a wrong custom derivative
agrees with the backward pass, which uses it, but not with finite differences): the definition
of every node between `wrt` and `root` (with its numbers), the local derivative on every edge
(its formula and its value), then the chain rule, summing over all paths from `root` down to
`wrt` (or, when there are too many paths, the reverse accumulation node by node that
backpropagation performs). Nodes are called by their label, or n1, n2, ... in the order they
were computed. As plain text (`str`), Markdown with maths (`.markdown`) and LaTeX (`.latex`).

>>> from autograd import Value
>>> a, b = Value(2.0, "a"), Value(-3.0, "b")
>>> c = a * b + a
>>> c.label = "c"
>>> print(explain(c, a))
dc/da at a = 2, b = -3
<BLANKLINE>
Definitions
  n1 = a · b = 2 · (-3) = -6
  c = n1 + a = -6 + 2 = -4
<BLANKLINE>
Local derivatives, one per edge
  ∂c/∂n1 = 1
  ∂c/∂a = 1
  ∂n1/∂a = b = -3
<BLANKLINE>
Chain rule, summing over the 2 paths from c to a
  dc/da = ∂c/∂n1 · ∂n1/∂a + ∂c/∂a
        = 1 · (-3) + 1
        = -2
<BLANKLINE>
Check: the backward pass gives dc/da = -2 ✓
Check: finite differences give dc/da = -2 ✓
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..functional import grad
from ..value import Value
from ..walk import on_path, topological_order

__all__ = ["Derivation", "explain"]

MAX_PATHS = 16  # past this many paths the sum is unreadable: show the reverse accumulation
DEFAULT_MAX_NODES = 5000  # steps in one derivation; past this it is a log file, not a derivation


@dataclass(frozen=True)
class Derivation:
    """A derivation of d root / d wrt. `value` is its result, `expected` the backward pass's
    gradient, `numeric` the central finite difference (None where an op's forward is unknown);
    `backward_agrees` and `numeric_agrees` (None: not checked) say which check passed, and
    `verified` that every check made passed. `text`, `markdown` and `latex` are renderings."""

    value: float
    expected: float
    verified: bool
    method: str  # "paths" or "adjoints"
    paths: int  # how many paths lead from root to wrt
    text: str
    markdown: str
    latex: str
    numeric: float | None = None
    backward_agrees: bool = True
    numeric_agrees: bool | None = None

    def __str__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str:  # Jupyter renders the maths
        return self.markdown


def explain(
    root: Value,
    wrt: Value,
    *,
    method: str = "auto",
    precision: int = 6,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> Derivation:
    """Derive d root / d wrt by the chain rule, step by step, with the numbers filled in.

    `method`: "paths" (sum over every path of the product of local derivatives), "adjoints"
    (reverse accumulation: d root / d node for each node, parents after children) or "auto"
    (paths when there are at most 16). Numbers are shown to `precision` significant digits;
    `value` keeps them all. A derivation defining more than `max_nodes` nodes raises ValueError
    before any is written (the time is linear in the nodes, the text is not readable).
    """
    if not isinstance(root, Value) or not isinstance(wrt, Value):
        raise TypeError(
            f"explain: root and wrt must be Values, got {type(root).__name__} and "
            f"{type(wrt).__name__}"
        )
    if method not in ("auto", "paths", "adjoints"):
        raise ValueError(f"explain: method must be 'auto', 'paths' or 'adjoints', got {method!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"explain: max_nodes must be a positive int, got {max_nodes!r}")
    graph = _Graph(root, wrt)
    if len(graph.defined) > max_nodes:
        raise ValueError(
            f"explain: the derivation would define {len(graph.defined)} nodes, more than "
            f"max_nodes={max_nodes}; explain a smaller part of the graph (a wrt nearer the root) "
            "or pass a larger max_nodes"
        )
    expected = grad(root, wrt)
    if method == "auto":
        method = "paths" if graph.path_count <= MAX_PATHS else "adjoints"
    renderings = {}
    value = 0.0
    for style in (_Text(precision), _Latex(precision)):
        value, lines = _derive(graph, style, method)
        renderings[style.kind] = lines
    backward_agrees = math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12) or (
        math.isnan(value) and math.isnan(expected)
    )
    slopes = _finite_differences(root, wrt) if graph.depends else None
    numeric = numeric_agrees = kink = None
    if slopes is not None:
        numeric, left, right = slopes
        if not _close(left, right):  # a kink (relu at 0): any slope between the sides will do
            kink = (left, right)
            numeric_agrees = (
                _close(value, left)
                or _close(value, right)
                or (min(left, right) <= value <= max(left, right))
            )
        else:
            numeric_agrees = _close(value, numeric)
    checks = _Checks(expected, backward_agrees, numeric, numeric_agrees, kink)
    text = _text(renderings["text"], graph, value, checks, precision)
    markdown = _markdown(renderings["latex"], graph, value, checks, precision)
    latex = _latex(renderings["latex"])
    verified = backward_agrees and numeric_agrees is not False
    return Derivation(
        value,
        expected,
        verified,
        method,
        graph.path_count,
        text,
        markdown,
        latex,
        numeric,
        backward_agrees,
        numeric_agrees,
    )


# ------------------------------------------------------------------------------ finite differences

NUMERIC_ATOL, NUMERIC_RTOL = 1e-5, 1e-4  # central differences at h ~ 1e-6 are good to ~1e-8


@dataclass(frozen=True)
class _Checks:
    expected: float
    backward_agrees: bool
    numeric: float | None
    numeric_agrees: bool | None
    kink: tuple[float, float] | None = None  # (left, right) slopes where they differ


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= NUMERIC_ATOL + NUMERIC_RTOL * max(abs(a), abs(b))


def _finite_differences(root: Value, wrt: Value) -> tuple[float, float, float] | None:
    """(central, left, right) differences of root in wrt.data, by re-running the forward of
    every node of the graph on floats; None when some op's forward is unknown or fails."""
    from ..check.gradcheck import forward_of

    order = topological_order(root)
    forwards = [forward_of(node.op, len(node.parents)) for node in order]
    if any(f is None for f in forwards):
        return None

    def evaluate(x: float) -> float:
        values = {wrt: x}
        for node, forward in zip(order, forwards):
            if node is not wrt:
                values[node] = forward(*(values.get(p, p.data) for p in node.parents))
        return values.get(root, root.data)

    x, h = wrt.data, 1e-6 * max(1.0, abs(wrt.data))
    try:
        down, at, up = evaluate(x - h), evaluate(x), evaluate(x + h)
    except (ArithmeticError, ValueError):  # the nudge left an op's domain
        return None
    return (up - down) / (2.0 * h), (at - down) / h, (up - at) / h


# ------------------------------------------------------------------------------ the graph


class _Graph:
    """The part of the graph between wrt and root: nodes, names, edges, local derivatives."""

    def __init__(self, root: Value, wrt: Value):
        self.root, self.wrt = root, wrt
        order = topological_order(root)
        self.on_path = on_path(order, wrt)
        self.depends = root in self.on_path
        # the nodes strictly between wrt and root (root included), parents first
        self.nodes = [n for n in order if n in self.on_path and n is not wrt]
        # Operands of those nodes that do not depend on wrt but are computed: defined one level.
        defined = set(self.nodes)
        for node in self.nodes:
            for p in node.parents:
                if p.parents and p not in self.on_path:
                    defined.add(p)
        self.defined = [n for n in order if n in defined]
        self.names = self._names(order)
        # edges[node] = [(parent, [positions])], each distinct parent on a path once
        self.edges = {}
        for node in self.nodes:
            seen: dict = {}
            for i, p in enumerate(node.parents):
                if p in self.on_path:
                    seen.setdefault(p, []).append(i)
            self.edges[node] = list(seen.items())
        self.path_count = self._count_paths()

    def _names(self, order: list) -> dict:
        taken = {n.label for n in order for n in (n, *n.parents) if n.label}
        taken |= {self.wrt.label, self.root.label} - {""}
        names = {}
        counter = 0
        for node in [self.wrt, *self.defined]:
            if node in names:
                continue
            if node.label:
                names[node] = node.label
            elif not node.parents:
                names[node] = "x" if "x" not in taken else "x_"
            else:
                counter += 1
                while f"n{counter}" in taken:
                    counter += 1
                names[node] = f"n{counter}"
        for node in self.defined:
            for p in node.parents:
                if p not in names and p.label:
                    names[p] = p.label
        return names

    def _count_paths(self) -> int:
        if not self.depends:
            return 0
        count = {self.wrt: 1}
        for node in self.nodes:
            count[node] = sum(count.get(p, 0) for p, _ in self.edges[node])
        return count[self.root]

    def local(self, node, positions: list[int]) -> float:
        """d node / d parent: the rule's values at the parent's positions, added."""
        rule = node.op.derivatives
        values = (
            rule if rule.__class__ is tuple else rule(node.data, *(p.data for p in node.parents))
        )
        return math.fsum(float(values[i]) for i in positions)

    def inputs(self) -> list[Value]:
        """The named leaves: what the derivation is evaluated at."""
        found = {self.wrt: None}  # a dict: ordered, with O(1) membership
        for node in self.defined:
            for leaf in node.parents:
                if not leaf.parents and leaf in self.names:
                    found.setdefault(leaf)
        return list(found)


# ------------------------------------------------------------------------------ the derivation


def _derive(graph: _Graph, s, method: str) -> tuple[float, list]:
    """Sections of (title, lines, multiline) in style `s`, and the resulting number."""
    if not graph.depends:
        return 0.0, []
    name = graph.names
    if graph.root is graph.wrt:
        return 1.0, [("Chain rule", [(s.total(name[graph.root], name[graph.wrt]), ["1"])], False)]
    sections = []

    definitions = []
    for node in graph.defined:
        symbolic = _equation(s, node, [_operand(s, graph, p) for p in node.parents])
        power = getattr(node.op, "paren_operands", False)  # (-2)^3; else later ones: 2 · (-3)
        numbers = [s.num(p.data, paren=i > 0 or power) for i, p in enumerate(node.parents)]
        numeric = _equation(s, node, numbers)
        rhs = [symbolic] + ([numeric] if numeric != symbolic else []) + [s.num(node.data)]
        definitions.append((s.name(name[node]), rhs))
    sections.append(("Definitions", definitions, False))

    locals_ = []
    local = {}
    for node in reversed(graph.nodes):
        for parent, positions in graph.edges[node]:
            d = local[node, parent] = graph.local(node, positions)
            formulas = _derivative_formulas(s, graph, node)
            formula = None
            if formulas is not None:
                parts = [formulas[i] for i in positions]
                formula = " + ".join(parts)
            rhs = [formula] if formula is not None and formula != s.num(d) else []
            locals_.append((s.partial(name[node], name[parent]), [*rhs, s.num(d)]))
    sections.append(("Local derivatives, one per edge", locals_, False))

    total = s.total(name[graph.root], name[graph.wrt])
    if method == "paths":
        paths = _paths(graph)
        symbolic = " + ".join(
            s.times.join(s.partial(name[a], name[b]) for a, b in path) for path in paths
        )
        numeric = " + ".join(
            s.times.join(s.num(local[a, b], paren=len(path) > 1 or k > 0) for a, b in path)
            for k, path in enumerate(paths)
        )
        value = math.fsum(math.prod(local[a, b] for a, b in path) for path in paths)
        title = f"Chain rule, summing over the {len(paths)} path{'s' * (len(paths) != 1)} from "
        title += f"{name[graph.root]} to {name[graph.wrt]}"
        rhs = [symbolic] + ([numeric] if numeric != s.num(value) else []) + [s.num(value)]
        if len(rhs) > 1 and rhs[-1] == rhs[-2]:
            rhs.pop()
        sections.append((title, [(total, rhs)], True))
    else:
        adjoint = {graph.root: 1.0}
        lines = [(s.total(name[graph.root], name[graph.root]), ["1"])]
        children: dict = {}
        for node in graph.nodes:
            for parent, _ in graph.edges[node]:
                children.setdefault(parent, []).append(node)
        for node in reversed([graph.wrt, *graph.nodes[:-1]]):
            terms = children.get(node, [])
            adjoint[node] = math.fsum(adjoint[c] * local[c, node] for c in terms)
            symbolic = " + ".join(
                s.times.join((s.total(name[graph.root], name[c]), s.partial(name[c], name[node])))
                for c in terms
            )
            numeric = " + ".join(
                s.times.join((s.num(adjoint[c], paren=True), s.num(local[c, node], paren=True)))
                for c in terms
            )
            lines.append(
                (s.total(name[graph.root], name[node]), [symbolic, numeric, s.num(adjoint[node])])
            )
        value = adjoint[graph.wrt]
        title = (
            f"Chain rule by reverse accumulation ({graph.path_count} paths), from "
            f"{name[graph.root]} down to {name[graph.wrt]}"
        )
        sections.append((title, lines, False))
    return value, sections


def _paths(graph: _Graph) -> list[list[tuple]]:
    """Every path from root to wrt as a list of (node, parent) edges, root first."""
    found = []
    stack: list[tuple] = [(graph.root, [])]
    while stack:
        node, path = stack.pop()
        if node is graph.wrt:
            found.append(path)
            continue
        for parent, _ in reversed(graph.edges[node]):
            stack.append((parent, [*path, (node, parent)]))
    return found


def _operand(s, graph: _Graph, node: Value) -> str:
    """A node's name when it has one, else (a constant) its number."""
    if node in graph.names:
        return s.name(graph.names[node])
    return s.num(node.data, paren=True)


# ------------------------------------------------------------------------------ op formulas
# Presentation only: the numbers always come from the primitives' own rules.


def _equation(s, node: Value, xs: list[str]) -> str:
    op = node.op
    formula = getattr(op, "formula", None)
    return formula(s, xs, op.args) if formula is not None else s.call(str(op), *xs)


def _derivative_formulas(s, graph: _Graph, node: Value) -> list[str] | None:
    """The local derivative formulas, one per argument position (None for an op without)."""
    op = node.op
    formulas = getattr(op, "derivative_formulas", None)
    if formulas is None:
        return None
    xs = [_operand(s, graph, p) for p in node.parents]
    return formulas(s, xs, s.name(graph.names[node]), op.args)


# ------------------------------------------------------------------------------ styles


class _Text:
    kind = "text"
    times = " · "

    def __init__(self, precision: int):
        self.precision = precision

    def name(self, name: str) -> str:
        return name

    def num(self, x: float, paren: bool = False) -> str:
        text = _format(x, self.precision)
        return f"({text})" if paren and text.startswith("-") else text

    def partial(self, y: str, x: str) -> str:
        return f"∂{y}/∂{x}"

    def total(self, y: str, x: str) -> str:
        return f"d{y}/d{x}"

    def power(self, a: str, b: str) -> str:
        return f"{a}^{b}" if re.fullmatch(r"[\w.]+", b) else f"{a}^({b})"

    def call(self, f: str, *xs: str) -> str:
        return f"{f}({', '.join(xs)})"

    def frac(self, a: str, b: str) -> str:
        return f"{a}/{b}"

    def abs(self, x: str) -> str:
        return f"|{x}|"

    def indicator(self, condition: str) -> str:
        return f"[{condition}]"


class _Latex(_Text):
    kind = "latex"
    times = r" \cdot "
    FUNCTIONS = frozenset({"exp", "ln", "log", "tanh", "sin", "cos"})

    def name(self, name: str) -> str:
        return _tex_name(name)

    def partial(self, y: str, x: str) -> str:
        return rf"\frac{{\partial {_tex_name(y)}}}{{\partial {_tex_name(x)}}}"

    def total(self, y: str, x: str) -> str:
        return rf"\frac{{d {_tex_name(y)}}}{{d {_tex_name(x)}}}"

    def power(self, a: str, b: str) -> str:
        return f"{a}^{{{b}}}"

    def call(self, f: str, *xs: str) -> str:
        name = f"\\{f}" if f in self.FUNCTIONS else rf"\operatorname{{{_tex_escape(f)}}}"
        return rf"{name}\left({', '.join(xs)}\right)"

    def frac(self, a: str, b: str) -> str:
        return rf"\frac{{{a}}}{{{b}}}"

    def abs(self, x: str) -> str:
        return rf"\left|{x}\right|"

    def indicator(self, condition: str) -> str:
        return rf"[{condition}]"


def _format(x: float, precision: int) -> str:
    if x == 0.0:
        return "0"  # also -0.0
    return f"{x:.{precision}g}"


def _tex_name(name: str) -> str:
    """n1 -> n_{1}, x -> x, layer0.w1 -> \\mathrm{layer0.w1}."""
    match = re.fullmatch(r"([A-Za-z])_?(\d+)", name)
    if match:
        return f"{match.group(1)}_{{{match.group(2)}}}"
    if re.fullmatch(r"[A-Za-z]", name):
        return name
    return rf"\mathrm{{{_tex_escape(name)}}}"


def _tex_escape(text: str) -> str:
    return re.sub(r"([_#%&$])", r"\\\1", text)


# ------------------------------------------------------------------------------ documents


def _heading(graph: _Graph, s, math: str = "") -> str:
    """`dc/da at a = 2, b = -3`; in Markdown each formula inside `math` ($) delimiters."""
    total = s.total(graph.names[graph.root], graph.names[graph.wrt])
    at = ", ".join(
        f"{math}{s.name(graph.names[x])} = {s.num(x.data)}{math}" for x in graph.inputs()
    )
    return f"{math}{total}{math}" + (f" at {at}" if at else "")


def _check_line(graph: _Graph, s, value, checks: _Checks, math: str = "") -> str:
    """The two checks: this derivation against the backward pass, then against finite
    differences; each says ✓ or which one disagrees."""
    total = s.total(graph.names[graph.root], graph.names[graph.wrt])
    line = f"Check: the backward pass gives {math}{total} = {s.num(checks.expected)}{math}"
    if checks.backward_agrees:
        line += " ✓"
    else:
        line += f", but this derivation gives {math}{s.num(value)}{math} ✗ MISMATCH"
    if checks.numeric is None:
        return line + "\nCheck: finite differences not computed (an op's forward is unknown)"
    if checks.kink is not None:
        left, right = (s.num(slope) for slope in checks.kink)
        line += (
            f"\nCheck: finite differences find a kink here, slopes {left} (left), {right} (right)"
        )
        if checks.numeric_agrees:
            return line + ": the derivation takes one of them ✓"
        return line + f", but this derivation gives {math}{s.num(value)}{math} ✗ MISMATCH"
    line += f"\nCheck: finite differences give {math}{total} = {s.num(checks.numeric)}{math}"
    if checks.numeric_agrees:
        return line + " ✓"
    return line + (
        f", but this derivation gives {math}{s.num(value)}{math} ✗ MISMATCH: a local derivative "
        "is wrong (a custom op's?); the backward pass uses the same ones"
    )


def _text(sections, graph, value, checks: _Checks, precision) -> str:
    s = _Text(precision)
    if not graph.depends:
        return _independent(graph, s)
    lines = [_heading(graph, s)]
    for title, rows, multiline in sections:
        lines += ["", title]
        for lhs, rhs in rows:
            if multiline:
                pad = " " * (len(lhs) + 3)
                lines.append(f"  {lhs} = {rhs[0]}")
                lines += [f"  {pad[:-2]}= {r}" for r in rhs[1:]]
            else:
                lines.append(f"  {lhs} = " + " = ".join(rhs))
    lines += ["", _check_line(graph, s, value, checks)]
    return "\n".join(lines)


def _markdown(sections, graph, value, checks: _Checks, precision) -> str:
    s = _Latex(precision)
    if not graph.depends:
        return _independent(graph, _Text(precision))
    parts = [f"**{_heading(graph, s, math='$')}**"]
    for title, rows, multiline in sections:
        parts += ["", f"*{title}*", ""]
        if multiline:
            parts.append("$$")
            parts.append(_aligned(rows, multiline))
            parts.append("$$")
        else:
            parts += [f"- ${lhs} = {' = '.join(rhs)}$" for lhs, rhs in rows]
    check = _check_line(graph, s, value, checks, math="$").replace("\n", "\n\n")
    parts += ["", check]
    return "\n".join(parts)


def _latex(sections) -> str:
    if not sections:
        return ""
    blocks = [f"% {title}\n{_aligned(rows, multiline)}" for title, rows, multiline in sections]
    return "\n".join(blocks)


def _aligned(rows, multiline: bool) -> str:
    lines = []
    for lhs, rhs in rows:
        if multiline:
            lines.append(f"{lhs} &= {rhs[0]}")
            lines += [f"&= {r}" for r in rhs[1:]]
        else:
            lines.append(f"{lhs} &= " + " = ".join(rhs))
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def _independent(graph: _Graph, s) -> str:
    root, wrt = graph.root.label or "y", graph.names[graph.wrt]
    return f"{root} does not depend on {wrt}: {s.total(root, wrt)} = 0"
