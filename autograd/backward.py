"""The one chain-rule engine, for Value and Tensor, first order or differentiable.

Nothing here knows which op it is walking: each node's op turns the gradient of its output into
one gradient per parent (`op.vjp(g, out, inputs, node)`, None for a parent that needs none). The
engine walks the nodes in reverse topological order (`walk.py`), sums each gradient back to its
parent's shape where broadcasting stretched it (the one place that happens), and accumulates.

- `gradients(roots, seeds)` returns the gradients as a dict and leaves every `.grad` untouched.
- `backward(root, gradient)` adds them into `.grad`, as PyTorch does.
- With `create_graph=True` the rules run on the nodes themselves rather than their data, so every
  gradient is a node whose own graph can be differentiated again.

Scalars have one specialisation: the first-order `Value.backward()` is the float loop
`_propagate`, because it is a training step's hot loop (see its comment for the figure), and an
op may hand it its own unrolled step (`op.accumulate`: the neuron's affine node);
`tests/test_engine.py` and `tests/test_speed_paths.py` prove both bit-for-bit equal to the
generic engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import mode
from .walk import topological_order

__all__ = ["backward", "broadcast_axes", "gradients", "sum_to"]

_add_reduce = np.add.reduce


def backward(root: Any, gradient: Any = 1.0, create_graph: bool = False) -> None:
    """Add d(root)/d(node) * gradient to `.grad` of every node `root` depends on.

    Gradients accumulate across calls, as in PyTorch. `gradient` is already a float (Value) or an
    array of the root's shape (Tensor), checked by the caller.

    The cyclic garbage collector is paused for the pass: the walk allocates a stack entry per
    node, and with the collector on those allocations trigger collections that traverse the
    whole live graph, which can have no cycles to find (nodes hold no closures). On micrograd's
    demo step written the micrograd way (collector on), the collector's time inside backward
    fell from about 30 ms a step to 0.
    """
    with mode.collector_paused():
        _backward(root, gradient, create_graph)


def _backward(root: Any, gradient: Any, create_graph: bool) -> None:
    if create_graph or root.grad.__class__ is not float:
        _into_grad(gradients([root], [gradient], create_graph))
        return
    gradient = float(gradient)
    order = topological_order(root)
    if not order:
        root.grad += gradient
        return
    # `.grad` of interior nodes is the working accumulator of this pass; what earlier passes
    # left there is set aside and added back at the end, so every node accumulates exactly.
    earlier = [(node, node.grad) for node in order if node.grad]
    for node, _ in earlier:
        node.grad = 0.0
    root.grad = gradient
    _propagate(order)
    for node, grad in earlier:
        node.grad = grad + node.grad


def _propagate(order: list) -> None:
    """The first-order pass on floats, through `.grad`: the hot loop of every training step.

    The generic engine on floats costs about 5x this per node (470 against 2480 ns per node on a
    100,000-product tanh tree, this machine, loaded): a dict entry per node and a list of terms
    per op, against `+=` on slots.
    """
    for node in reversed(order):
        g = node.grad
        parents = node.parents
        rule = node.op.derivatives
        if len(parents) == 2:
            a, b = parents
            da, db = rule if rule.__class__ is tuple else rule(node.data, a.data, b.data)
            a.grad += g * da
            b.grad += g * db
        elif len(parents) == 1:
            a = parents[0]
            (da,) = rule if rule.__class__ is tuple else rule(node.data, a.data)
            a.grad += g * da
        else:
            accumulate = node.op.accumulate  # an op's own unrolled loop (the affine map)
            if accumulate is not None:
                accumulate(g, parents)
                continue
            derivs = (
                rule if rule.__class__ is tuple else rule(node.data, *[p.data for p in parents])
            )
            for p, d in zip(parents, derivs, strict=True):
                p.grad += g * d


def gradients(roots: list, seeds: list, create_graph: bool = False) -> dict:
    """d(sum of seed * root)/d(node) for every node the roots depend on, as a dict.

    Interior nodes and leaves alike get their entry; the graph is left exactly as it was. A root
    that is a plain number (depends on nothing) is skipped. With `create_graph` the seeds become
    constant nodes and every gradient is a node.
    """
    grads: dict = {}
    nodes = []
    for root, seed in zip(roots, seeds, strict=True):
        if not hasattr(root, "parents"):
            continue
        nodes.append(root)
        if create_graph and not hasattr(seed, "parents"):
            seed = _constant_like(root, seed)
        grads[root] = grads[root] + seed if root in grads else seed
    anomaly = mode.anomaly_enabled and not create_graph
    get = grads.get
    for node in reversed(topological_order(nodes)):
        g = get(node)
        if g is None:
            continue
        parents = node.parents
        if create_graph:
            if node.op.first_order:
                raise NotImplementedError(
                    f"{node.op}: its gradient is a numpy kernel, not differentiable: "
                    "create_graph=True (second order) does not support this op"
                )
            terms = node.op.vjp(g, node, parents, node)
        else:
            terms = node.op.vjp(g, node.data, [p.data for p in parents], node)
        for i, (parent, d) in enumerate(zip(parents, terms, strict=True)):
            if d is None:
                continue
            shape = getattr(parent.data, "shape", None)
            if shape is not None:
                if d.shape != shape:
                    d = sum_to(d, shape)
                if create_graph and d.dtype != parent.data.dtype:
                    d = d.astype(parent.data.dtype)  # as the first-order pass gives the leaves
                if anomaly and not np.isfinite(d).all():
                    raise FloatingPointError(
                        f"{node.op}: gradient for input {i} (shape {shape}) has NaN/inf values"
                    )
            earlier = get(parent)
            grads[parent] = d if earlier is None else earlier + d
    return grads


def _into_grad(grads: dict) -> None:
    """Add each gradient of `grads` into its node's `.grad`.

    A Value's `.grad` starts at 0.0 and a Tensor's at None. Leaf arrays are what users read and
    update in place, so each leaf gets its own writable array of its dtype: a rule may pass one
    array on to several parents (the `+` rule) or return a view.
    """
    handed: set = set()  # ids of the arrays given to any node so far
    leaves: set = set()  # ... and of those given to a leaf, which no other node may share
    for node, g in grads.items():
        old = node.grad
        if old is None:
            if g.__class__ is np.ndarray:
                if not node.parents:
                    if id(g) in handed or g.base is not None or g.dtype != node.data.dtype:
                        g = np.array(g, dtype=node.data.dtype)
                    leaves.add(id(g))
                elif id(g) in leaves:  # one array a rule gave a leaf and an interior node
                    g = g.copy()
                handed.add(id(g))
            node.grad = g
        elif old.__class__ is float and old == 0.0 and g.__class__ is not float:
            node.grad = g  # a first differentiable gradient: no `0.0 + g` node
        else:
            node.grad = old + g  # never in place: `old` may be shared with another node
        grad = node.grad
        if grad.__class__ is np.ndarray and grad.dtype != node.data.dtype:
            node.grad = grad.astype(node.data.dtype)  # a float32 node met float64 operands


def sum_to(grad: Any, shape: tuple) -> Any:
    """Sum `grad` (an array or a Tensor) over the axes broadcasting added or stretched, so it has
    `shape` again: the one place broadcasting is undone."""
    axes = broadcast_axes(grad.shape, shape)
    if grad.__class__ is np.ndarray:
        if axes:
            grad = _add_reduce(grad, axis=axes)
    elif axes:
        grad = grad.sum(axis=axes)
    return grad.reshape(shape) if grad.shape != shape else grad


def broadcast_axes(big: tuple, small: tuple) -> tuple:
    """The axes of shape `big` that broadcasting shape `small` to it added or stretched."""
    lead = len(big) - len(small)
    if 1 not in small:
        # No axis of `small` can have been stretched (a bias): only the leading ones were added.
        # 0.30 against 0.73 us for a (64, 300) batch's (300,) bias (this machine, loaded);
        # tests/test_tensor_speed_paths.py checks it against the general rule below.
        return tuple(range(lead))
    return tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(small) if n == 1 and big[lead + i] != 1
    )


def _constant_like(root: Any, seed: Any) -> Any:
    """The seed of a differentiable pass as a constant node of the root's kind."""
    if root.data.__class__ is float:
        return type(root)(float(seed))
    return type(root)(seed, dtype=root.data.dtype, requires_grad=False)
