"""The chain rule written out: `explain(root, wrt)` derives d root / d wrt step by step.

The derivation a student writes by hand, generated from the graph and checked against the backward
pass and against central finite differences of the graph's forward (a wrong custom derivative
agrees with the backward pass, which uses it, but not with finite differences): the definition
of every node between `wrt` and `root` (with its numbers), the local derivative on every edge
(its formula and its value), then the chain rule, summing over all paths from `root` down to
`wrt` (or, when there are too many paths, the reverse accumulation node by node that
backpropagation performs). Nodes are called by their label, or n1, n2, ... in the order they
were computed. As plain text (`str`), Markdown with maths (`.markdown`) and LaTeX (`.latex`).

On a small Tensor graph (a one-element root: a loss) the same derivation is written with
matrices: each definition names its op with its shapes (`matmul (2,2)@(2,3) -> (2,3)`), each edge
its vector-Jacobian product (an elementwise rule entry by entry, `g_n2 += g_n3 ⊙ [n2 > 0]`; a
structural op's from its entry's `vjp_formulas`, `g_W += X^T @ g_n1`; a broadcast input's summed
back), and the chain rule is the reverse accumulation; arrays print whole up to `max_entries`
entries, summarised beyond (and the text says so).

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
from typing import Any

import numpy as np

from ..backward import sum_to
from ..functional import grad
from ..ops.shape import index_text
from ..tensor import Tensor
from ..value import Value
from ..walk import on_path, topological_order

__all__ = ["Derivation", "explain"]

MAX_PATHS = 16  # past this many paths the sum is unreadable: show the reverse accumulation
DEFAULT_MAX_NODES = 5000  # steps in one derivation; past this it is a log file, not a derivation
DEFAULT_MAX_ENTRIES = 24  # tensor graphs: arrays with more entries are summarised (min, max, norm)
DEFAULT_MAX_SIZE = 100_000  # tensor graphs: an array with more entries is refused
LINE_WIDTH = 100  # a longer chain-rule line of a tensor graph puts its numbers on the next line
NUMERIC_SAMPLES = 64  # finite differences at most at this many entries of wrt (evenly spaced)


@dataclass(frozen=True)
class Derivation:
    """A derivation of d root / d wrt. `value` is its result, `expected` the backward pass's
    gradient, `numeric` the central finite difference (None where an op's forward is unknown);
    `backward_agrees` and `numeric_agrees` (None: not checked) say which check passed, and
    `verified` that every check made passed. `text`, `markdown` and `latex` are renderings."""

    value: Any  # a float; for a Tensor graph an array shaped like wrt
    expected: Any
    verified: bool
    method: str  # "paths" or "adjoints"
    paths: int  # how many paths lead from root to wrt
    text: str
    markdown: str
    latex: str
    numeric: Any = None  # a Tensor graph's: an array, nan at the entries not checked
    backward_agrees: bool = True
    numeric_agrees: bool | None = None

    def __str__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str:  # Jupyter renders the maths
        return self.markdown


def explain(
    root: Value | Tensor,
    wrt: Value | Tensor,
    *,
    method: str = "auto",
    precision: int = 6,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    max_size: int = DEFAULT_MAX_SIZE,
) -> Derivation:
    """Derive d root / d wrt by the chain rule, step by step, with the numbers filled in.

    `method`: "paths" (sum over every path of the product of local derivatives), "adjoints"
    (reverse accumulation: d root / d node for each node, parents after children) or "auto"
    (paths when there are at most 16). Numbers are shown to `precision` significant digits;
    `value` keeps them all. A derivation defining more than `max_nodes` nodes raises ValueError
    before any is written (the time is linear in the nodes, the text is not readable).

    On Tensors (`root` a one-element Tensor, a loss): each definition shows its op with its
    shapes, each edge its vector-Jacobian product in matrix form, and the chain rule is the
    reverse accumulation (`value` is an array shaped like `wrt`). Arrays of more than
    `max_entries` entries are summarised (min, max, norm) and the text says so; an array of the
    derivation with more than `max_size` entries raises ValueError naming it, before any work.

    >>> from autograd import Tensor
    >>> x, w = Tensor([1.0, 2.0], label="x"), Tensor([[0.5, -1.0], [0.25, -1.0]], label="W")
    >>> loss = (x @ w).relu().sum()
    >>> explain(loss, w).value              # x ⊗ [x @ W > 0]: x @ W = [1, -3]
    array([[1., 0.],
           [2., 0.]])
    """
    if method not in ("auto", "paths", "adjoints"):
        raise ValueError(f"explain: method must be 'auto', 'paths' or 'adjoints', got {method!r}")
    _positive_int(max_nodes, "max_nodes")
    _positive_int(max_entries, "max_entries")
    _positive_int(max_size, "max_size")
    if isinstance(root, Tensor) or isinstance(wrt, Tensor):
        return _explain_tensor(root, wrt, method, precision, max_nodes, max_entries, max_size)
    if not isinstance(root, Value) or not isinstance(wrt, Value):
        raise TypeError(
            f"explain: root and wrt must be Values, got {type(root).__name__} and "
            f"{type(wrt).__name__}"
        )
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

    def __init__(self, root: Any, wrt: Any):  # Values or Tensors: the walk takes either
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
    """Plain text. Besides scalar maths, the vocabulary of the tensor formulas (`vjp_formulas`):
    entrywise product, outer product, matrix product, transpose, shapes, keywords, sums."""

    kind = "text"
    times = " · "
    odot = " ⊙ "

    def __init__(self, precision: int, max_entries: int = 0):
        self.precision = precision
        self.max_entries = max_entries  # arrays with more entries are summarised

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
        """a/b, each side in parentheses when it is more than one term: 1/(1 + x^2)."""
        return f"{_group(a)}/{_group(b)}"

    def abs(self, x: str) -> str:
        return f"|{x}|"

    def indicator(self, condition: str) -> str:
        return f"[{condition}]"

    def outer(self, a: str, b: str) -> str:
        return f"{a} ⊗ {b}"

    def matmul(self, a: str, b: str) -> str:
        return f"{a} @ {b}"

    def transposed(self, x: str) -> str:
        return f"{x}^T"

    def adjoint(self, name: str) -> str:
        """g_v: d root / d v, an array shaped like v."""
        return f"g_{name}"

    def shape(self, shape: tuple) -> str:
        return "(" + ",".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"

    def axes(self, axes: Any) -> str:
        """An axis or axes as written in a call: 1, or (0,2)."""
        if isinstance(axes, (tuple, list)):
            return str(axes[0]) if len(axes) == 1 else self.shape(tuple(axes))
        return str(axes)

    def kw(self, name: str, value: str) -> str:
        return f"{name}={value}"

    def text(self, words: str) -> str:
        return words

    def sigma(self, over: str, body: str) -> str:
        return f"Σ_{over} {body}"

    def sub(self, x: str, indices: str) -> str:
        """An entry by its index letters: g[n,o,h,w]."""
        return f"{x}[{indices}]"

    def at(self, x: str, index: Any) -> str:
        """x[index] as Python writes it: x[0], x[1:], x[[0, 0, 2]]."""
        return f"{x}[{index_text(index)}]"

    def hat(self, x: str) -> str:
        """x̂ (the accent on the letter of a name like x0)."""
        match = re.fullmatch(r"([A-Za-z])(\d*)", x)
        return f"{match.group(1)}\u0302{match.group(2)}" if match else f"hat({x})"

    def array(self, a: Any) -> str:
        """A small array as nested lists, a large one summarised (and saying so)."""
        a = np.asarray(a)
        if a.ndim == 0:
            return self.num(float(a))
        if self.max_entries and a.size > self.max_entries:
            return self.summary(a)
        return self.nested(a)

    def nested(self, a: Any) -> str:
        if a.ndim == 1:
            return "[" + ", ".join(self.num(float(x)) for x in a) + "]"
        return "[" + ", ".join(self.nested(row) for row in a) + "]"

    def summary(self, a: Any) -> str:
        low, high, norm = _summary(a, self)
        return f"<{a.size} entries, summarised: min {low}, max {high}, norm {norm}>"


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

    odot = r" \odot "

    def outer(self, a: str, b: str) -> str:
        return rf"{a} \otimes {b}"

    def matmul(self, a: str, b: str) -> str:
        return rf"{a} \, {b}"

    def transposed(self, x: str) -> str:
        return rf"{x}^{{\top}}"

    def adjoint(self, name: str) -> str:
        return rf"g_{{{_tex_name(name)}}}"

    def kw(self, name: str, value: str) -> str:
        return rf"\text{{{_tex_escape(name)}}}={value}"

    def text(self, words: str) -> str:
        return rf"\text{{{_tex_escape(words)}}}"

    def sigma(self, over: str, body: str) -> str:
        return rf"\sum_{{{over}}} {body}"

    def sub(self, x: str, indices: str) -> str:
        return f"{x}_{{{indices}}}"

    def at(self, x: str, index: Any) -> str:
        return rf"{x}[\texttt{{{_tex_escape(index_text(index))}}}]"

    def hat(self, x: str) -> str:
        return rf"\hat{{{x}}}"

    def nested(self, a: Any) -> str:
        if a.ndim == 1:
            return r"\begin{bmatrix}" + " & ".join(self.num(float(x)) for x in a) + r"\end{bmatrix}"
        if a.ndim == 2:
            rows = (" & ".join(self.num(float(x)) for x in row) for row in a)
            return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"
        return r"\left[" + ", ".join(self.nested(part) for part in a) + r"\right]"

    def summary(self, a: Any) -> str:
        low, high, norm = _summary(a, self)
        return (
            rf"\langle \text{{{a.size} entries, summarised: min }} {low}"
            rf"\text{{, max }} {high}\text{{, norm }} {norm} \rangle"
        )


def _summary(a: Any, s: _Text) -> tuple[str, str, str]:
    a = np.asarray(a, dtype=np.float64)
    return s.num(float(a.min())), s.num(float(a.max())), s.num(float(np.linalg.norm(a)))


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


# ------------------------------------------------------------------------------ tensor graphs
# The same derivation on arrays: the definitions carry each op's shapes, the local derivative of
# every edge is its vector-Jacobian product in matrix form (`g_W += x ⊗ g_n1`; an elementwise
# rule applied entry by entry, `g_n2 += g_n3 ⊙ [n2 > 0]`; a broadcast input's gradient summed
# back to its shape), and the chain rule is the reverse accumulation backpropagation performs:
# a sum over paths is a product of Jacobians, which no student writes out for arrays.


@dataclass(frozen=True)
class _TensorChecks:
    expected: np.ndarray
    backward_agrees: bool
    numeric: np.ndarray | None  # nan at the entries not sampled
    numeric_agrees: bool | None
    sampled: int  # how many entries finite differences checked
    kinks: int  # how many of them sit at a kink (the one-sided slopes differ)


def _positive_int(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"explain: {name} must be a positive int, got {value!r}")


def _explain_tensor(
    root: Any,
    wrt: Any,
    method: str,
    precision: int,
    max_nodes: int,
    max_entries: int,
    max_size: int,
) -> Derivation:
    if not isinstance(root, Tensor) or not isinstance(wrt, Tensor):
        raise TypeError(
            "explain: root and wrt must both be Values or both Tensors, got "
            f"{type(root).__name__} and {type(wrt).__name__}"
        )
    if root.data.size != 1:
        raise ValueError(
            f"explain: root must be a one-element Tensor (a loss), got shape {root.data.shape}; "
            "explain root.sum() or one entry of it"
        )
    if method == "paths":
        raise ValueError(
            "explain: method='paths' is for Value graphs; a Tensor graph is derived by reverse "
            "accumulation (method='adjoints' or 'auto')"
        )
    if not wrt.requires_grad:
        raise ValueError(
            f"explain: wrt has requires_grad=False (shape {wrt.data.shape}), so no gradient "
            "flows to it; make it with requires_grad=True"
        )
    graph = _Graph(root, wrt)
    # Every computed array is defined, not only one level off the path (W.T in X @ W.T): a
    # number stands for a scalar constant, but an array needs its name and its definition.
    order = topological_order(root)
    graph.defined = order
    graph.names = graph._names(order)
    if len(graph.defined) > max_nodes:
        raise ValueError(
            f"explain: the derivation would define {len(graph.defined)} nodes, more than "
            f"max_nodes={max_nodes}; explain a smaller part of the graph (a wrt nearer the root) "
            "or pass a larger max_nodes"
        )
    _name_leaves(graph)
    _refuse_large(graph, max_size)
    expected = np.asarray(grad(root, wrt))
    adjoint, local, broadcast = _accumulate(graph)
    value = np.asarray(adjoint[wrt])
    float32 = value.dtype == np.float32
    backward_agrees = bool(
        np.allclose(
            value,
            expected,
            rtol=1e-5 if float32 else 1e-9,
            atol=1e-6 if float32 else 1e-12,
            equal_nan=True,
        )
    )
    checks = _tensor_checks(graph, value, expected, backward_agrees)
    renderings = {}
    for s in (_Text(precision, max_entries), _Latex(precision, max_entries)):
        renderings[s.kind] = _tensor_sections(graph, s, adjoint, local, broadcast)
    text = _tensor_text(renderings["text"], graph, value, checks, precision, max_entries)
    markdown = _tensor_markdown(renderings["latex"], graph, value, checks, precision, max_entries)
    verified = backward_agrees and checks.numeric_agrees is not False
    return Derivation(
        value,
        expected,
        verified,
        "adjoints",
        graph.path_count,
        text,
        markdown,
        _tensor_latex(renderings["latex"]),
        checks.numeric,
        backward_agrees,
        checks.numeric_agrees,
    )


def _name_leaves(graph: _Graph) -> None:
    """Unlabelled leaf arrays get names, too big to write inline: c1, c2, ... for constants
    (requires_grad=False), p1, p2, ... for the others. One-element constants (the 2 of x * 2)
    stay numbers."""
    taken = set(graph.names.values())
    counters = {"c": 0, "p": 0}
    for node in graph.defined:
        for leaf in node.parents:
            if leaf in graph.names or leaf.parents:
                continue
            if leaf.data.size == 1 and not leaf.requires_grad:
                continue
            prefix = "p" if leaf.requires_grad else "c"
            counters[prefix] += 1
            while f"{prefix}{counters[prefix]}" in taken:
                counters[prefix] += 1
            graph.names[leaf] = f"{prefix}{counters[prefix]}"


def _refuse_large(graph: _Graph, max_size: int) -> None:
    """A ValueError naming the first array of the derivation with more than max_size entries."""
    for node in [graph.wrt, *graph.defined, *_tensor_inputs(graph)]:
        size = node.data.size
        if size > max_size:
            what = "wrt" if node is graph.wrt else f"{graph.names[node]}"
            if node.parents and node is not graph.wrt:
                what += f" ({node.op} output)"
            raise ValueError(
                f"explain: {what} has {size} entries (shape {node.data.shape}), more than "
                f"max_size={max_size}; explain a smaller graph or pass a larger max_size"
            )


def _params(node: Any) -> tuple:
    """A Tensor node's op parameters: its bound ones, then the node's (without saved data)."""
    args = node.args[:-1] if node.op.saves else node.args
    return tuple(node.op.args) + tuple(args)


def _accumulate(graph: _Graph) -> tuple[dict, dict, dict]:
    """Reverse accumulation with the ops' own VJPs (the engine's `vjp` and `sum_to`): d root/d
    node for each node on the path, each edge's contribution (summed over the parent's positions
    and back to its shape), and, for an edge summed back from a broadcast, the shape it had."""
    adjoint: dict = {graph.root: np.ones_like(graph.root.data)}
    local: dict = {}
    broadcast: dict = {}
    for node in reversed(graph.nodes):
        g = adjoint[node]
        terms = node.op.vjp(g, node.data, [p.data for p in node.parents], node)
        for parent, positions in graph.edges[node]:
            total = None
            for i in positions:
                d = np.asarray(terms[i])
                if d.shape != parent.data.shape:
                    broadcast[node, parent] = d.shape
                    d = np.asarray(sum_to(d, parent.data.shape))
                total = d if total is None else total + d
            local[node, parent] = total
            adjoint[parent] = adjoint[parent] + total if parent in adjoint else total
    if graph.wrt not in adjoint:  # root does not depend on wrt
        adjoint[graph.wrt] = np.zeros_like(graph.wrt.data)
    return adjoint, local, broadcast


def _tensor_operand(s: _Text, graph: _Graph, node: Any) -> str:
    if node in graph.names:
        return s.name(graph.names[node])
    return s.num(float(node.data.reshape(-1)[0]), paren=True)


def _signature(s: _Text, node: Any) -> str:
    """The op with its shapes: `matmul (2,)@(2,3) -> (3,)`."""
    join = "@" if node.op.key == "matmul" else ", "
    shapes = join.join(s.shape(p.data.shape) for p in node.parents)
    return f"{node.op} {shapes} -> {s.shape(node.data.shape)}"


def _tensor_equation(s: _Text, graph: _Graph, node: Any) -> str:
    op = node.op
    xs = [_tensor_operand(s, graph, p) for p in node.parents]
    formula = getattr(op, "formula", None)
    return formula(s, xs, _params(node)) if formula is not None else s.call(str(op), *xs)


def _top_level(x: str) -> list[int]:
    """The positions of the spaces of `x` outside all brackets: where it splits into terms."""
    depth, found = 0, []
    for i, ch in enumerate(x):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == " " and depth == 0:
            found.append(i)
    return found


def _group(x: str) -> str:
    """x in parentheses when it is a sum or a difference: the numerator or denominator of a/b."""
    split = any(x[i + 1 : i + 3] in ("+ ", "- ") for i in _top_level(x))
    return f"({x})" if split else x


def _paren(x: str) -> str:
    """x in parentheses when it is more than one term or factor (`2 · n3`, `1 - n5^2`), as the
    right operand of ⊙; a call, a bracket or a fraction stays as is."""
    return f"({x})" if _top_level(x) else x


def _vjp_rule(s: _Text, graph: _Graph, node: Any, parent: Any, positions: list) -> tuple:
    """(rule, local derivative formula or None, note or None) of one edge: the VJP taking
    g_node to parent's share of g_parent, in style `s`."""
    op, name = node.op, graph.names
    g = s.adjoint(name[node])
    xs = [_tensor_operand(s, graph, p) for p in node.parents]
    out = s.name(name[node])
    note = None
    if op.elementwise:
        formulas = getattr(op, "derivative_formulas", None)
        if formulas is not None:
            parts = formulas(s, xs, out, op.args + tuple(node.args))
            d = (
                " + ".join(parts[i] for i in positions)
                if len(positions) > 1
                else parts[positions[0]]
            )
        else:
            d = s.partial(name[node], name[parent])
        if d == "1":
            rule = g
        elif d == "-1":
            rule = f"-{g}"
        else:
            rule = g + s.odot + _paren(d)
        derivative = d
    else:
        derivative = None
        formulas = getattr(op, "vjp_formulas", None)
        if formulas is not None:
            shapes = tuple(p.data.shape for p in node.parents)
            parts = formulas(s, xs, out, g, _params(node), shapes)
            rule = " + ".join(parts[i] for i in positions)
        else:
            rule = s.call(f"vjp_{op.key}", g)
            note = f"no formula for the op '{op.key}': the numbers come from its VJP rule"
    return rule, derivative, note


def _tensor_sections(graph: _Graph, s: _Text, adjoint: dict, local: dict, broadcast: dict) -> list:
    """Sections of (kind, title, rows): each row (lhs, [rhs, ...], aside or None), in style `s`,
    from the numbers of `_accumulate`."""
    if not graph.depends:
        return []
    name = graph.names
    total = s.total(name[graph.root], name[graph.wrt])
    value = adjoint[graph.wrt]
    if graph.root is graph.wrt:
        return [("chain", "Chain rule", [(total, [s.array(value)], None)])]
    sections: list[tuple[str, str, list]] = []
    inputs = [
        (s.name(name[x]), [s.array(x.data)], s.text(s.shape(x.data.shape)))
        for x in _tensor_inputs(graph)
    ]
    sections.append(("inputs", "Inputs", inputs))
    definitions = [
        (
            s.name(name[node]),
            [_tensor_equation(s, graph, node), s.array(node.data)],
            s.text(_signature(_Text(0), node)),
        )
        for node in graph.defined
    ]
    sections.append(("definitions", "Definitions, each op with its shapes", definitions))

    rules: dict = {}
    locals_ = []
    for node in reversed(graph.nodes):
        for parent, positions in graph.edges[node]:
            rule, derivative, note = _vjp_rule(s, graph, node, parent, positions)
            if (node, parent) in broadcast:
                big, small = broadcast[node, parent], parent.data.shape
                summed = (
                    f"{name[parent]} was broadcast from {s.shape(small)} to {s.shape(big)}: "
                    f"its gradient is summed over axis {s.axes(_broadcast_axes(big, small))}"
                )
                note = f"{note}; {summed}" if note else summed
                rule = s.call("sum_to", rule, s.shape(small))
            rules[node, parent] = rule
            rhs = [f"{s.adjoint(name[parent])} += {rule}"]
            aside = s.text(note) if note else None
            if derivative is not None:
                d = _local_derivative(node, parent, positions)
                entry = f"{s.partial(name[node], name[parent])} = {derivative}"
                constant = d.size and bool((d == d.reshape(-1)[0]).all())
                if not (constant and s.num(float(d.reshape(-1)[0])) == derivative):
                    entry += f" = {s.array(d)}"  # the rule's numbers, unless a constant
                aside = s.text("entry by entry, ") + entry + (f"; {aside}" if aside else "")
            locals_.append((s.partial(name[node], name[parent]), rhs, aside))
    g = s.adjoint(name[graph.root])
    title = "Local derivatives, one per edge, as vector-Jacobian products"
    title += f" (g_v = d{name[graph.root]}/dv, shaped like v)"
    sections.append(("locals", title, locals_))

    children: dict = {}
    for node in graph.nodes:
        for parent, _ in graph.edges[node]:
            children.setdefault(parent, []).append(node)
    lines = [(g, [s.array(adjoint[graph.root])], None)]
    for node in reversed([graph.wrt, *graph.nodes[:-1]]):  # the root is the last node
        terms = children.get(node, [])
        parts = [local[c, node] for c in terms]
        rhs = [" + ".join(rules[c, node] for c in terms)]
        if len(parts) > 1:
            rhs.append(" + ".join(s.array(part) for part in parts))
        rhs.append(s.array(adjoint[node]))
        lines.append((s.adjoint(name[node]), rhs, None))
    lines.append((total, [s.adjoint(name[graph.wrt]), s.array(value)], None))
    title = f"Chain rule by reverse accumulation, from {name[graph.root]} down to {name[graph.wrt]}"
    sections.append(("chain", title, lines))
    return sections


def _broadcast_axes(big: tuple, small: tuple) -> tuple:
    """The axes of `big` that broadcasting `small` to it added or stretched (as `sum_to`)."""
    lead = len(big) - len(small)
    stretched = (lead + i for i, n in enumerate(small) if n == 1 and big[lead + i] != 1)
    return (*range(lead), *stretched)


def _tensor_inputs(graph: _Graph) -> list:
    """The named leaves in the order the graph first uses them (wrt, if a leaf, among them)."""
    found: dict = {}
    for node in graph.defined:
        for p in node.parents:
            if not p.parents and p in graph.names:
                found.setdefault(p)
    if not graph.wrt.parents:
        found.setdefault(graph.wrt)
    return list(found)


def _local_derivative(node: Any, parent: Any, positions: list) -> np.ndarray:
    """An elementwise op's d node/d parent, entry by entry at the node's shape."""
    rule = node.op.derivatives
    inputs = [p.data for p in node.parents]
    values = rule if rule.__class__ is tuple else rule(node.data, *inputs, *node.args)
    total = sum(np.broadcast_to(values[i], node.data.shape) for i in positions)
    return np.asarray(total, dtype=node.data.dtype)


def _tensor_checks(
    graph: _Graph, value: np.ndarray, expected: np.ndarray, backward_agrees: bool
) -> _TensorChecks:
    if not graph.depends:
        return _TensorChecks(expected, backward_agrees, None, None, 0, 0)
    found = _tensor_finite_differences(graph)
    if found is None:
        return _TensorChecks(expected, backward_agrees, None, None, 0, 0)
    picked, central, left, right = found
    numeric = np.full(value.shape, np.nan)
    numeric.reshape(-1)[picked] = central
    agrees, kinks = True, 0
    for k, c, lo, hi in zip(picked, central, left, right):
        v = float(value.reshape(-1)[k])
        if not _close(lo, hi):
            kinks += 1
            agrees &= _close(v, lo) or _close(v, hi) or min(lo, hi) <= v <= max(lo, hi)
        else:
            agrees &= _close(v, c)
    return _TensorChecks(expected, backward_agrees, numeric, agrees, len(picked), kinks)


def _tensor_finite_differences(graph: _Graph) -> tuple | None:
    """(entries, central, left, right) differences of root in some entries of wrt (all, or
    NUMERIC_SAMPLES evenly spaced), replaying the ops on the path in float64; None when a nudge
    leaves an op's domain (or its forward is unknown)."""
    nodes, wrt = graph.nodes, graph.wrt
    if any(node.op.array is None for node in nodes):
        return None
    base = wrt.data.astype(np.float64)
    size = base.size
    picked = np.unique(np.linspace(0, size - 1, min(size, NUMERIC_SAMPLES)).round().astype(int))

    def evaluate(x: np.ndarray) -> float:
        values = {wrt: x}
        for node in nodes:
            out = node.op.array(*(values.get(p, p.data) for p in node.parents), *_params(node))
            values[node] = out[0] if node.op.saves else out
        return float(np.asarray(values[graph.root]).reshape(-1)[0])

    central, left, right = [], [], []
    with np.errstate(all="ignore"):
        try:
            at = evaluate(base)
            for k in picked:
                h = 1e-6 * max(1.0, abs(float(base.reshape(-1)[k])))
                nudged = base.copy()
                nudged.reshape(-1)[k] += h
                up = evaluate(nudged)
                nudged.reshape(-1)[k] -= 2 * h
                down = evaluate(nudged)
                central.append((up - down) / (2 * h))
                left.append((at - down) / h)
                right.append((up - at) / h)
        except (ArithmeticError, ValueError):
            return None
    if not all(math.isfinite(v) for v in central + left + right):
        return None
    return picked, central, left, right


# ------------------------------------------------------------------------------ tensor documents


def _tensor_heading(graph: _Graph, s: _Text, math: str = "") -> str:
    """`dloss/dW, W of shape (2,3)`."""
    total = s.total(graph.names[graph.root], graph.names[graph.wrt])
    wrt = graph.names[graph.wrt]
    return (
        f"{math}{total}{math}, {math}{s.name(wrt)}{math} of shape {s.shape(graph.wrt.data.shape)}"
    )


def _tensor_check_lines(graph: _Graph, s: _Text, value, checks: _TensorChecks, m: str = "") -> list:
    total = s.total(graph.names[graph.root], graph.names[graph.wrt])
    line = f"Check: the backward pass gives {m}{total} = {s.array(checks.expected)}{m}"
    if checks.backward_agrees:
        line += " ✓"
    else:
        worst = s.num(float(np.nanmax(np.abs(value - checks.expected))))
        line += f", but this derivation differs by up to {worst} ✗ MISMATCH"
    lines = [line]
    if checks.numeric is None:
        lines.append("Check: finite differences not computed (a nudge left an op's domain)")
        return lines
    size = graph.wrt.data.size
    where = "every entry" if checks.sampled == size else f"{checks.sampled} of {size} entries"
    where = f"{where} of {graph.names[graph.wrt]}"
    if checks.kinks:
        where += f" ({checks.kinks} at a kink, where any slope between the one-sided ones will do)"
    picked = ~np.isnan(checks.numeric)
    if checks.numeric_agrees:
        if checks.sampled == size:
            lines.append(
                f"Check: finite differences give {m}{total} = {s.array(checks.numeric)}{m} ✓ "
                f"({where})"
            )
        else:
            lines.append(f"Check: finite differences agree at {where} ✓")
        return lines
    worst = s.num(float(np.max(np.abs(value[picked] - checks.numeric[picked]))))
    lines.append(
        f"Check: finite differences at {where} differ from this derivation by up to {worst} "
        "✗ MISMATCH: a local derivative is wrong (a custom op's?); the backward pass uses the "
        "same ones"
    )
    return lines


def _summarised_note(graph: _Graph, max_entries: int) -> list:
    nodes = [*_tensor_inputs(graph), *graph.defined]
    if any(node.data.size > max_entries for node in nodes):
        return [
            f"Arrays of more than max_entries={max_entries} entries are summarised (min, max, "
            "norm); pass a larger max_entries to see them whole."
        ]
    return []


def _tensor_independent(graph: _Graph, s: _Text) -> str:
    root, wrt = graph.root.label or "y", graph.names[graph.wrt]
    shape = s.shape(graph.wrt.data.shape)
    return f"{root} does not depend on {wrt}: {s.total(root, wrt)} = 0 (zeros of shape {shape})"


def _tensor_text(sections, graph, value, checks, precision, max_entries) -> str:
    s = _Text(precision, max_entries)
    if not graph.depends:
        return _tensor_independent(graph, s)
    lines = [_tensor_heading(graph, s)]
    for kind, title, rows in sections:
        lines += ["", title]
        if kind == "definitions":  # the equation, then its op and shapes in a column
            width = max(len(f"{lhs} = {rhs[0]}") for lhs, rhs, _ in rows)
            for lhs, rhs, aside in rows:
                lines.append(f"  {f'{lhs} = {rhs[0]}'.ljust(width)}   {aside}")
                lines.append(f"  {' ' * len(lhs)} = {rhs[1]}")
        elif kind == "inputs":
            lines += [f"  {lhs} {aside} = {rhs[0]}" for lhs, rhs, aside in rows]
        elif kind == "locals":
            width = max(len(lhs) for lhs, _, _ in rows)
            for lhs, rhs, aside in rows:
                lines.append(f"  {(lhs + ':').ljust(width + 1)}  {rhs[0]}")
                if aside:
                    lines.append(f"  {' ' * (width + 3)}({aside})")
        else:
            for lhs, rhs, _ in rows:
                one_line = f"  {lhs} = " + " = ".join(rhs)
                if len(one_line) <= LINE_WIDTH:
                    lines.append(one_line)
                else:
                    lines.append(f"  {lhs} = {rhs[0]}")
                    lines += [f"  {' ' * len(lhs)} = {r}" for r in rhs[1:]]
    lines += ["", *_tensor_check_lines(graph, s, value, checks)]
    lines += _summarised_note(graph, max_entries)
    return "\n".join(lines)


def _tensor_markdown(sections, graph, value, checks, precision, max_entries) -> str:
    s = _Latex(precision, max_entries)
    if not graph.depends:
        return _tensor_independent(graph, _Text(precision))
    parts = [f"**{_tensor_heading(graph, s, math='$')}**"]
    for kind, title, rows in sections:
        parts += ["", f"*{title}*", ""]
        for lhs, rhs, aside in rows:
            body = f"{lhs}: \\quad {rhs[0]}" if kind == "locals" else f"{lhs} = " + " = ".join(rhs)
            parts.append(f"- ${body}" + (rf" \qquad {aside}$" if aside else "$"))
    check = "\n\n".join(_tensor_check_lines(graph, s, value, checks, m="$"))
    parts += ["", check, *_summarised_note(graph, max_entries)]
    return "\n".join(parts)


def _tensor_latex(sections) -> str:
    """One aligned block per section; asides (an op's shapes, a note) as text at the right."""
    blocks = []
    for kind, title, rows in sections:
        lines = []
        for lhs, rhs, aside in rows:
            line = f"{lhs} &: {rhs[0]}" if kind == "locals" else f"{lhs} &= " + " = ".join(rhs)
            lines.append(line + (rf" && {aside}" if aside else ""))
        blocks.append(
            f"% {title}\n\\begin{{aligned}}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"
        )
    return "\n".join(blocks)
