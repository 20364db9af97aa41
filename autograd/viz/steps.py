"""Backpropagation one step at a time: the forward pass filling values in, then the backward pass
visiting nodes in reverse topological order, each edge multiplying the upstream gradient by its
local derivative and adding the product into the parent.

`backprop_steps(root)` records that sequence without touching the graph (no `.grad` changes). Its
numbers come from the engine's own rules, in the engine's own order, so the last step's gradients
are exactly what `root.backward()` leaves in `.grad`. The page, the notebook widget and the
animation that show it are in `autograd.viz.steps_page`.

>>> from autograd import Value
>>> a, b = Value(2.0, "a"), Value(-3.0, "b")
>>> c = a * b
>>> c.label = "c"
>>> s = backprop_steps(c)
>>> print(s.forward[0].formula)
c = a · b = 2.0 · (-3.0) = -6.0
>>> print(s.backward[0].contributions[0].line)
dc/da += dc/dc · ∂c/∂a = 1.0 · (-3.0) = -3.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

from ..value import Value
from ..walk import topological_order
from .explain import _derivative_formulas, _equation, _Text

if TYPE_CHECKING:
    from .explain import _Graph

__all__ = [
    "BackwardStep",
    "Contribution",
    "ForwardStep",
    "Steps",
    "backprop_steps",
    "number",
    "numbers_text",
    "op_rules",
    "op_text",
]


@dataclass(frozen=True)
class ForwardStep:
    """One node computed: `node = op(inputs) = value`, with its equation written out."""

    node: Value
    op: str
    inputs: tuple[Value, ...]
    value: float
    formula: str  # "n1 = x · w = 2.0 · (-0.5) = -1.0"


@dataclass(frozen=True)
class Contribution:
    """One edge of a backward step: the parent at argument `position` receives
    upstream · local, its running gradient going from `before` to `after`."""

    parent: Value
    position: int
    formula: str  # the local derivative ∂node/∂parent written out: "w"
    local: float
    contribution: float
    before: float
    after: float
    derivative: str  # "∂n1/∂x = w = -0.5"
    line: str  # "dL/dx += dL/dn1 · ∂n1/∂x = 1.0 · (-0.5) = -0.5"


@dataclass(frozen=True)
class BackwardStep:
    """One node visited by the backward pass: its gradient, complete by now, sent to each parent."""

    node: Value
    upstream: float
    contributions: tuple[Contribution, ...]


@dataclass
class Steps:
    """The forward and backward steps of one root, and the names used to write them."""

    root: Value
    seed: float
    nodes: list  # every node, leaves included, each after its parents
    names: dict
    forward: list[ForwardStep] = field(default_factory=list)
    backward: list[BackwardStep] = field(default_factory=list)
    grads: dict = field(default_factory=dict)  # after the last step: what backward() gives

    def name(self, node: Value) -> str:
        return self.names[node]

    def __len__(self) -> int:
        return len(self.forward) + len(self.backward)

    def __repr__(self) -> str:
        return (
            f"Steps({self.names[self.root]}: {len(self.nodes)} nodes, {len(self.forward)} "
            f"forward and {len(self.backward)} backward steps)"
        )


def number(x: float, precision: int = 4) -> str:
    """How the steps write a number: 2.0, -0.5, 0.7864, 1e-05 (`precision` significant digits)."""
    if x == 0.0:
        return "0.0"  # -0.0 too
    if math.isfinite(x) and x == round(x) and abs(x) < 1e6:
        return f"{x:.1f}"
    text = f"{x:.{precision}g}"
    return text if ("e" in text or "." in text or not math.isfinite(x)) else text + ".0"


def backprop_steps(root: Value, gradient: float = 1.0, *, precision: int = 4) -> Steps:
    """The forward and backward steps of `root`'s graph, with every formula and number.

    The backward pass is the engine's: the same topological order, the same local derivative
    rules, the same accumulation order, into a dict (the graph's `.grad` is left as it was).
    A node used twice (`a + a`, or feeding two consumers) receives one contribution per edge,
    and the steps show its running gradient adding up.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backprop_steps: root must be a Value, got {type(root).__name__}")
    order = topological_order(root)
    nodes = _all_nodes(root, order)
    names = _names(root, nodes)
    style = _Style(precision)
    steps = Steps(root, float(gradient), nodes, names)
    for node in order:
        _, _, equation = _rule(node, names, style)
        steps.forward.append(
            ForwardStep(node, str(node.op), tuple(node.parents), node.data, equation)
        )
    grads: dict = {root: float(gradient)}
    for node in reversed(order):
        g = grads[node]
        derivatives, formulas, _ = _rule(node, names, style)
        contributions = []
        for i, (parent, d) in enumerate(zip(node.parents, derivatives, strict=True)):
            before = grads.get(parent, 0.0)
            term = g * d
            after = grads[parent] = before + term  # as backward(): parent.grad += g * d
            known = formulas is not None  # an op without a formula (a custom one): its number
            formula = formulas[i] if formulas is not None else style.num(d)
            partial = style.partial(names[node], names[parent])
            derivative = f"{partial} = {formula}"
            if known and not _same_number(formula, d):
                derivative += f" = {style.num(d)}"
            line = (
                f"{style.total(names[root], names[parent])} += "
                f"{style.total(names[root], names[node])} · {partial} = "
                f"{style.num(g)} · {style.num(d, paren=True)} = {style.num(term)}"
            )
            contributions.append(
                Contribution(parent, i, formula, d, term, before, after, derivative, line)
            )
        steps.backward.append(BackwardStep(node, g, tuple(contributions)))
    if not order:
        grads[root] = float(gradient)
    steps.grads = grads
    return steps


# ------------------------------------------------------------------------------ the op adapter


def _rule(node: Value, names: dict, style) -> tuple[tuple, list[str] | None, str]:
    """(local derivatives, their formulas, the node's equation with names and numbers)."""
    derivatives, formulas, symbolic = op_rules(node, names, precision=style.precision)
    equation = f"{names[node]} = {symbolic}"
    numeric = numbers_text(node, style.precision)
    if numeric != symbolic:
        equation += f" = {numeric}"
    return derivatives, formulas, equation + f" = {style.num(node.data)}"


def op_rules(
    node: Value, names: dict | None = None, operands: list[str] | None = None, precision: int = 4
) -> tuple[tuple[float, ...], list[str] | None, str]:
    """THE adapter between the steps and the ops: everything the steps take from an op.

    Returns (the local derivatives d node / d input from the op's own rule, one float per input;
    their formulas written with `names`, or None when `names` is None or the op has none; the op
    applied to `operands`, by default the inputs' names: `x · w`, `tanh(n2)`). The only code of
    the steps that knows where rules and formulas live: the node's op, an entry of the registry
    (`autograd.ops`), which `explain` renders too.
    """
    values = node.op.local_derivatives(node.data, [p.data for p in node.parents])
    derivatives = tuple(float(d) for d in values)
    style = _Style(precision)
    formulas = None
    if names is not None:
        # explain's graph is read for its names only: the steps' names stand in for it.
        graph = cast("_Graph", SimpleNamespace(names=names))
        formulas = _derivative_formulas(style, graph, node)
    if operands is None:
        operands = [names[p] if names is not None else "?" for p in node.parents]
    return derivatives, formulas, _equation(style, node, operands)


def op_text(node: Value, operands: list[str]) -> str:
    """The op of `node` applied to written operands: `x · w`, `tanh(n2)`, `a^2`."""
    return op_rules(node, operands=operands)[2]


def numbers_text(node: Value, precision: int = 4) -> str:
    """The op of `node` applied to its inputs' numbers: `2.0 · (-0.5)`."""
    style = _Style(precision)
    power = str(node.op).startswith("**")  # (-2)^3; elsewhere only a later operand: 2 · (-3)
    operands = [style.num(p.data, paren=i > 0 or power) for i, p in enumerate(node.parents)]
    return op_rules(node, operands=operands, precision=precision)[2]


def _same_number(text: str, x: float) -> bool:
    """Whether a formula is just the number itself ("1" for 1.0): then it is not repeated."""
    try:
        return float(text) == x
    except ValueError:
        return False


class _Style:
    """Plain-text notation shared with `explain`, numbers written by `number`."""

    times = " · "

    def __init__(self, precision: int):
        self._text = _Text(precision)
        self.precision = precision

    def __getattr__(self, name):
        return getattr(self._text, name)

    def name(self, name: str) -> str:
        return name

    def power(self, a: str, b: str) -> str:
        return self._text.power(a, b[:-2] if b.endswith(".0") else b)  # x^2, not x^2.0

    def num(self, x: float, paren: bool = False) -> str:
        text = number(x, self.precision)
        return f"({text})" if paren and text.startswith("-") else text


# ------------------------------------------------------------------------------ nodes and names


def _all_nodes(root: Value, order: list) -> list:
    """Every node (leaves too), each after its parents: leaves just before their first consumer."""
    if not order:
        return [root]
    nodes, seen = [], set()
    for node in order:
        for parent in node.parents:
            if not parent.parents and parent not in seen:
                seen.add(parent)
                nodes.append(parent)
        seen.add(node)
        nodes.append(node)
    return nodes


def _names(root: Value, nodes: list) -> dict:
    """A node's label; else n1, n2, ... for computed nodes, c1, c2, ... for constants, in the order
    they were computed; an unlabelled root is L."""
    taken = {n.label for n in nodes if n.label}
    names = {}
    counters = {"n": 0, "c": 0}

    def fresh(prefix: str) -> str:
        while True:
            counters[prefix] += 1
            name = f"{prefix}{counters[prefix]}"
            if name not in taken:
                return name

    for node in nodes:
        if node.label:
            names[node] = node.label
        elif node is root and "L" not in taken:
            names[node] = "L"
        else:
            names[node] = fresh("n" if node.parents else "c")
    return names
