"""The one graph walk: the node protocol, one topological order for one or many roots, on-path.

A node is anything with `.parents` (a tuple of nodes, in argument order; empty for a leaf), `.op`
(its op, "" for a leaf), `.data` and `.grad`: `Value` and `Tensor` alike. Everything that walks a
graph (the backward pass, `grad`, graph pictures, `explain`, `trace`) walks it through here.

>>> from autograd import Value
>>> a, b = Value(1.0, "a"), Value(2.0, "b")
>>> c = a * b
>>> d = c + a
>>> [str(n.op) for n in topological_order(d)]
['*', '+']
>>> [n.label or str(n.op) for n in topological_order(d, leaves=True)]
['a', 'b', '*', '+']
>>> on_path(topological_order(d), b) == {b, c, d}
True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

__all__ = ["Node", "on_path", "topological_order"]


class Node(Protocol):
    """What the walk, the backward pass and the pictures need of a graph node."""

    data: Any
    grad: Any
    op: Any
    parents: tuple


def topological_order(roots: Any, leaves: bool = False) -> list:
    """Every node the root(s) depend on, roots included, each after all of its parents.

    `roots` is one node or an iterable of nodes (their orders are merged; a node appears once).
    Without `leaves` only the op nodes are listed (what the chain rule walks; a leaf root gives
    `[]`); with `leaves=True` the leaves come too, each right before the first node using it.

    Iterative depth-first search in argument order, with an explicit stack (node, iterator over
    its parents still to visit), so a chain 1,000,000 nodes deep works at the default recursion
    limit and the order is deterministic. Without leaves, a node whose parents are all leaves
    (a product w * x: most nodes of a network) is emitted as soon as it is found, never stacked.
    """
    if hasattr(roots, "parents"):
        roots = (roots,)
    order: list = []
    seen: set = set()
    walk = _with_leaves if leaves else _interior
    for root in roots:
        if root not in seen and (leaves or root.parents):
            walk(root, order, seen)
    return order


def _interior(root: Any, order: list, seen: set) -> None:
    seen.add(root)
    stack = [(root, iter(root.parents))]
    push, pop, emit, mark = stack.append, stack.pop, order.append, seen.add
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            grandparents = parent.parents
            if grandparents and parent not in seen:
                mark(parent)
                for grandparent in grandparents:
                    if grandparent.parents:  # an interior parent: visit it first
                        push((parent, iter(grandparents)))
                        break
                else:
                    emit(parent)  # only leaves above it
                    continue
                break
        else:
            pop()
            emit(node)


def _with_leaves(root: Any, order: list, seen: set) -> None:
    seen.add(root)
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in seen:
                seen.add(parent)
                stack.append((parent, iter(parent.parents)))
                break
        else:
            stack.pop()
            order.append(node)


def on_path(order: Iterable, target: Any) -> set:
    """The nodes of `order` (parents first) that depend on `target`, and `target` itself: the
    nodes on some path from a root down to `target`."""
    found = {target}
    for node in order:
        if node.parents and any(p in found for p in node.parents):
            found.add(node)
    return found
