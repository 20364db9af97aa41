"""Nested structures of numbers (lists, tuples, dicts, numpy arrays) flattened to named leaves.

The checking and functional tools accept a number, a Value, or any nesting of lists, tuples, dicts
and numpy arrays of them. `flatten` lists the leaves with a readable path (`w[0][2]`, `layer0.b`,
`x[1, 0]`) and `rebuild` puts new leaves back into the same shape. `match` walks a second
structure in step with a first, the template, and names the path where they differ: it pairs
expected with actual gradients (`assert_grads_close`) and a traced function's arguments with its
example arguments (`trace`, where a 1-D array at a leaf is a batch, not a container).

>>> flatten({"w": [1.0, 2.0], "b": 3.0})
[('w[0]', 1.0), ('w[1]', 2.0), ('b', 3.0)]
>>> rebuild([1.0, (2.0, 3.0)], iter([10, 20, 30]))
[10, (20, 30)]
>>> match({"w": [1.0, 2.0]}, {"w": [1.5, 2.5]})
[('w[0]', 1.0, 1.5), ('w[1]', 2.0, 2.5)]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

__all__ = [
    "StructureMismatch",
    "children",
    "describe",
    "flatten",
    "is_container",
    "join_key",
    "leaves",
    "match",
    "rebuild",
]


def is_container(x, *, arrays: bool = True) -> bool:
    """True for the containers we walk into: list, tuple, dict and (unless `arrays` is False)
    numpy arrays of rank >= 1."""
    if isinstance(x, (list, tuple, dict)):
        return True
    return arrays and isinstance(x, np.ndarray) and x.ndim > 0


def flatten(tree, prefix: str = "", *, arrays: bool = True) -> list[tuple[str, object]]:
    """The leaves of `tree` with their paths, depth first, in container order (an array is one
    leaf when `arrays` is False)."""
    found = []
    stack = [(prefix, tree)]
    while stack:
        path, node = stack.pop()
        if not is_container(node, arrays=arrays):
            found.append((path, node))
            continue
        stack.extend(reversed(list(children(node, path))))
    return found


def leaves(tree, *, arrays: bool = True) -> list:
    """The leaves of `tree`, in the order of `flatten`."""
    return [leaf for _, leaf in flatten(tree, arrays=arrays)]


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


class StructureMismatch(ValueError):
    """`match` found the two structures different at `path` (`expected` is the template's part
    there, `actual` the other's); the message says how."""

    def __init__(self, message: str, path: str, expected, actual):
        super().__init__(message)
        self.path, self.expected, self.actual = path, expected, actual


def match(
    template, tree, prefix: str = "", *, prepare: Callable | None = None
) -> list[tuple[str, object, object]]:
    """(path, template leaf, tree leaf) for every leaf of `template`, in `flatten` order, with
    `tree` walked in step; StructureMismatch at the first place they differ.

    Where `template` has a container, `tree` must have one of the same kind: a dict with the same
    keys, or a sequence (list, tuple or array) of the same length. Where `template` has a leaf,
    `tree` may have anything but a list, tuple or dict: an array there is one leaf (a batch, for
    `trace`). `prepare`, if given, is applied to every part of both before it is looked at
    (`assert_grads_close` turns arrays and tensors into lists with it).
    """
    found = []
    stack = [(prefix, template, tree)]
    while stack:
        path, e, a = stack.pop()
        if prepare is not None:
            e, a = prepare(e), prepare(a)
        where = path or "the top"
        if not is_container(e):
            if isinstance(a, (list, tuple, dict)):
                raise _differ(where, path, e, a)
            found.append((path, e, a))
            continue
        sequence = isinstance(a, (list, tuple)) or (isinstance(a, np.ndarray) and a.ndim > 0)
        if not (isinstance(a, dict) if isinstance(e, dict) else sequence):
            raise _differ(where, path, e, a)
        if isinstance(e, dict):
            missing = [k for k in e if k not in a]
            extra = [k for k in a if k not in e]
            if missing or extra:
                raise StructureMismatch(
                    f"keys differ at {where}: missing {missing}, unexpected {extra}", path, e, a
                )
            level = [(join_key(path, k), e[k], a[k]) for k in e]
        else:
            e_items, a_items = list(e), list(a)
            if len(e_items) != len(a_items):
                raise StructureMismatch(
                    f"lengths differ at {where}: actual has {len(a_items)} entries, expected "
                    f"{len(e_items)}",
                    path,
                    e,
                    a,
                )
            level = [(f"{path}[{i}]", x, y) for i, (x, y) in enumerate(zip(e_items, a_items))]
        stack.extend(reversed(level))
    return found


def _differ(where: str, path: str, e, a) -> StructureMismatch:
    message = f"structures differ at {where}: actual is {describe(a)}, expected is {describe(e)}"
    return StructureMismatch(message, path, e, a)


def describe(x) -> str:
    """A few words for a part of a structure: `a dict with keys ['w']`, `a list of 3`."""
    if isinstance(x, dict):
        return f"a dict with keys {list(x)}"
    if isinstance(x, (list, tuple)):
        return f"a {type(x).__name__} of {len(x)}"
    if isinstance(x, np.ndarray) and x.ndim > 0:
        return f"an array of shape {x.shape}"
    return f"a number ({x!r})"
