"""The one generic backward pass: topological order, then the chain rule in reverse.

Nothing here knows which op it is walking. A node is anything with `.parents` (a tuple of nodes) and
`.op` (a primitive whose `.derivatives` gives the local derivative of the node with respect to each
parent). Leaves (nodes without parents) never enter the order: they only receive gradient.
"""

from __future__ import annotations

from collections.abc import Iterable


def topological_order(root) -> list:
    """The non-leaf nodes that `root` depends on (root included), each after all of its parents.

    Iterative depth-first search with an explicit stack, so a chain 1,000,000 nodes deep works at
    the default recursion limit. Each stack entry is a node plus the iterator over its parents
    still to visit. A node whose parents are all leaves (a product w * x, say: most nodes of a
    network) has nothing to wait for, so it is emitted as soon as it is found, never stacked.
    """
    if not root.parents:
        return []
    order = []
    seen = {root}
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
    return order


def backward(root, gradient=1.0, create_graph: bool = False) -> None:
    """Add d(root)/d(node) * gradient to `.grad` of every node `root` depends on.

    Gradients accumulate across calls, as in PyTorch. With `create_graph=True` the local
    derivatives are computed from Values rather than floats, so every `.grad` becomes a Value
    whose own graph can be differentiated again (higher-order derivatives).
    """
    if create_graph:
        # `if node.grad` is "is not the float 0.0": a NaN and a Value gradient both count as set.
        for node, grad in gradients([root], [gradient], create_graph=True).items():
            node.grad = grad + node.grad if node.grad else grad
        return
    order = topological_order(root)
    # `.grad` of interior nodes is the working accumulator of this pass; what earlier passes
    # left there is set aside and added back at the end, so every node accumulates exactly.
    earlier = [(node, node.grad) for node in order if node.grad]
    for node, _ in earlier:
        node.grad = 0.0
    gradient = float(gradient)
    if not order:
        root.grad += gradient
        return
    root.grad = gradient
    _propagate(order)
    for node, grad in earlier:
        node.grad = grad + node.grad


def _propagate(order: list) -> None:
    """The first-order pass on floats: the hot loop of every training step."""
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
            derivs = rule if rule.__class__ is tuple else rule(node.data, *_data(parents))
            for p, d in zip(parents, derivs, strict=True):
                p.grad += g * d


def gradients(roots: list, seeds: list, create_graph: bool = False) -> dict:
    """d(sum of seed * root)/d(node) for every node the roots depend on, as a dict.

    The same chain rule as `backward`, accumulated in a dict instead of in `.grad`: interior nodes
    and leaves alike get their entry, and the graph is left exactly as it was.
    """
    order = _joint_order([r for r in roots if _is_node(r)])
    grads: dict = {}
    for root, seed in zip(roots, seeds):
        if not _is_node(root):
            continue  # a plain number depends on nothing
        if create_graph and not _is_node(seed):
            seed = type(root)(seed)
        elif not create_graph:
            seed = float(seed)
        grads[root] = grads[root] + seed if root in grads else seed
    for node in reversed(order):
        g = grads.get(node)
        if g is None:
            continue
        rule = node.op.derivatives
        if rule.__class__ is tuple:
            derivs = rule
        elif create_graph:
            derivs = rule(node, *node.parents)
        else:
            derivs = rule(node.data, *(p.data for p in node.parents))
        for parent, d in zip(node.parents, derivs, strict=True):
            # A constant 1.0 (the + rule) passes g on unchanged: no product node to record.
            term = g if d.__class__ is float and d == 1.0 else g * d
            grads[parent] = grads[parent] + term if parent in grads else term
    return grads


def _joint_order(roots: list) -> list:
    """One topological order for several roots: each root's order, nodes already seen dropped.

    A node already placed came from an earlier root's order together with all its ancestors, so
    every node still follows its parents.
    """
    order, seen = [], set()
    for root in roots:
        for node in topological_order(root):
            if node not in seen:
                seen.add(node)
                order.append(node)
    return order


def _is_node(x) -> bool:
    return hasattr(x, "parents")


def _data(nodes: Iterable) -> list:
    return [n.data for n in nodes]
