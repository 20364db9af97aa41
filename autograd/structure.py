"""Nested structures of numbers (lists, tuples, dicts, numpy arrays) flattened to named leaves.

The checking and functional tools accept a number, a Value, or any nesting of lists, tuples, dicts
and numpy arrays of them. `flatten` lists the leaves with a readable path (`w[0][2]`, `layer0.b`,
`x[1, 0]`) and `rebuild` puts new leaves back into the same shape.

>>> flatten({"w": [1.0, 2.0], "b": 3.0})
[('w[0]', 1.0), ('w[1]', 2.0), ('b', 3.0)]
>>> rebuild([1.0, (2.0, 3.0)], iter([10, 20, 30]))
[10, (20, 30)]
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = ["children", "flatten", "is_container", "join_key", "leaves", "rebuild"]


def is_container(x) -> bool:
    """True for the containers we walk into: list, tuple, dict and numpy arrays of rank >= 1."""
    return isinstance(x, (list, tuple, dict)) or (isinstance(x, np.ndarray) and x.ndim > 0)


def flatten(tree, prefix: str = "") -> list[tuple[str, object]]:
    """The leaves of `tree` with their paths, depth first, in container order."""
    found = []
    stack = [(prefix, tree)]
    while stack:
        path, node = stack.pop()
        if not is_container(node):
            found.append((path, node))
            continue
        stack.extend(reversed(list(children(node, path))))
    return found


def leaves(tree) -> list:
    """The leaves of `tree`, in the order of `flatten`."""
    return [leaf for _, leaf in flatten(tree)]


def children(node, path: str) -> Iterator[tuple[str, object]]:
    """The (path, child) pairs one level down from a container."""
    if isinstance(node, dict):
        for key, child in node.items():
            yield join_key(path, key), child
    elif isinstance(node, np.ndarray):
        for index in np.ndindex(node.shape):
            yield f"{path}[{', '.join(map(str, index))}]", node[index]
    else:
        for i, child in enumerate(node):
            yield f"{path}[{i}]", child


def join_key(path: str, key) -> str:
    """`layer0.b` for a str key (dotted like parameter names), `d[3]` for any other key."""
    if isinstance(key, str):
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"


def rebuild(tree, values: Iterator, array_dtype=float):
    """`tree` with its leaves replaced, in `flatten` order, by the items of `values`.

    Lists stay lists, tuples tuples, dicts dicts (same keys); a numpy array becomes an array of the
    same shape with `array_dtype` (use `object` for an array of Values).
    """
    if not is_container(tree):
        return next(values)
    if isinstance(tree, dict):
        return {key: rebuild(child, values, array_dtype) for key, child in tree.items()}
    if isinstance(tree, np.ndarray):
        flat = [rebuild(tree[index], values, array_dtype) for index in np.ndindex(tree.shape)]
        out = np.empty(len(flat), dtype=array_dtype)
        out[:] = flat  # slice assignment: numpy never tries to unpack or convert the Values
        return out.reshape(tree.shape)
    items = [rebuild(child, values, array_dtype) for child in tree]
    return items if isinstance(tree, list) else tuple(items)
