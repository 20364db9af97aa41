"""Build a graph from a formula typed by a person: `parse_expression("tanh(x*w + b)", values)`.

The text is parsed with Python's `ast` and only a whitelist is turned into the engine's ops:
numbers, variable names, `+ - * / **`, unary `-` and `+`, and calls of the functions below with
one argument. Nothing is ever evaluated as Python: an attribute, a subscript, a keyword, a lambda,
any other name or call is a `ValueError` naming it.

>>> y = parse_expression("tanh(x*w + b)", {"x": 2.0, "w": -0.5, "b": 0.5})
>>> round(y.data, 4), y.op
(-0.4621, 'tanh')
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping

from .value import Value

__all__ = ["FUNCTIONS", "parse_expression", "variables"]

FUNCTIONS = ("exp", "log", "tanh", "sigmoid", "relu", "sqrt", "abs", "softplus", "sin", "cos")
MAX_LENGTH = 500  # characters: a formula, not a program (and a shallow tree to walk)
_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _parse(text: str) -> ast.expr:
    if not isinstance(text, str):
        raise TypeError(f"expression must be a str, got {type(text).__name__}")
    if not text.strip():
        raise ValueError("expression is empty")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"expression is {len(text)} characters long, at most {MAX_LENGTH}")
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"expression {text!r} is not valid: {exc.msg}") from None


def variables(text: str) -> list[str]:
    """The variable names of an expression, in order of first appearance (functions excluded)."""
    names: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Call):
            for arg in node.args:
                visit(arg)
            return
        if isinstance(node, ast.Name) and node.id not in names:
            names.append(node.id)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(_parse(text))
    return names


def parse_expression(text: str, values: Mapping[str, float]) -> Value:
    """The graph of `text`, with each variable a labelled leaf `Value(values[name], name)`.

    A variable used twice is one node used twice (`x*x` has two edges from `x`), as in code.
    """
    tree = _parse(text)
    for name, value in values.items():
        if not isinstance(name, str) or not _NAME.match(name) or name in FUNCTIONS:
            raise ValueError(f"variable name {name!r} is not usable (or is a function name)")
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise ValueError(f"variable {name} must be a finite number, got {value!r}")
    leaves = {name: Value(float(value), name) for name, value in values.items()}
    used = set()

    def build(node: ast.AST):
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise ValueError(f"expression: only numbers are allowed, got {node.value!r}")
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise ValueError(f"expression: {node.id} is a function, call it as {node.id}(...)")
            if node.id not in leaves:
                raise ValueError(f"expression: no value given for variable {node.id!r}")
            used.add(node.id)
            return leaves[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            a, b = build(node.left), build(node.right)
            if not isinstance(a, Value) and not isinstance(b, Value):
                return _BINARY[type(node.op)](Value(a), b)  # keep constants in the graph
            return _BINARY[type(node.op)](a, b)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = build(node.operand)
            if isinstance(node.op, ast.UAdd):
                return operand
            return -operand
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name not in FUNCTIONS:
                shown = ast.unparse(node.func)
                raise ValueError(
                    f"expression: unknown function {shown!r}; use one of {', '.join(FUNCTIONS)}"
                )
            if node.keywords or len(node.args) != 1:
                raise ValueError(f"expression: {name} takes exactly one argument")
            arg = build(node.args[0])
            arg = arg if isinstance(arg, Value) else Value(arg)
            return getattr(arg, name)()
        kind = type(node).__name__
        part = ast.unparse(node) if isinstance(node, ast.expr) else kind
        raise ValueError(f"expression: {kind} is not allowed ({part!r})")

    try:
        result = build(tree)
    except RecursionError:
        raise ValueError("expression: nested too deeply") from None
    if not isinstance(result, Value):
        result = Value(result)
    unused = [name for name in values if name not in used]
    if unused:
        raise ValueError(f"expression: variable {unused[0]!r} has a value but is not used")
    return result
