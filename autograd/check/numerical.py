"""Central differences of a function at its inputs: `numerical_grad`, and what gradcheck and
compare_with_torch share (the function with its inputs as leaves, the one- and two-sided slopes).

Inputs, as in `torch.autograd.gradcheck`: `inputs` is the list of `f`'s arguments (a single number,
Value or Tensor is one argument). An argument is a number, a Value, a float64 leaf Tensor, or a
nested list/tuple/numpy array of them; `f` receives fresh leaf Values in place of the numbers.
Leaf Values and Tensors you pass are used as they are: their `.data` is nudged and restored, their
`.grad` never touched. A function taking no arguments is a closure over the Values passed (a
model's loss, checked on `model.parameters()`).
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from ..functional import grad
from ..ops.core import data_of
from ..structure import flatten, is_container, leaves, rebuild
from ..tensor import Tensor
from ..value import Value

__all__ = ["EPS", "Problem", "component", "numerical_grad", "slope_1d", "slopes"]

EPS = 1e-6


def numerical_grad(f, inputs, eps: float = EPS):
    """df/d(inputs) by central differences, (f(x + eps) - f(x - eps)) / 2 eps per number.

    `inputs` follows this module's conventions; the result mirrors it (a float for a single
    number, a list with one entry per argument, each shaped like its argument).

    >>> [round(g, 6) for g in numerical_grad(lambda x, y: x * y, [3.0, 4.0])]
    [4.0, 3.0]
    """
    problem = Problem(f, inputs, None, "numerical_grad")
    central = [slopes(problem.value, slot, eps)[0] for slot in problem.slots]
    return problem.mirror(central)


# ------------------------------------------------------------------------------ finite differences


def slopes(evaluate, leaf: Any, eps: float, center=None):
    """(central, forward, backward) differences of `evaluate()` (a number or a list of numbers)
    in `leaf.data`; the leaf is restored whatever happens."""
    x = leaf.data

    def at(t: float):
        leaf.data = t
        return evaluate()

    try:
        return slope_1d(at, x, eps, center)
    finally:
        leaf.data = x


def slope_1d(at, x: float, eps: float, center=None):
    """(central, forward, backward) differences of `at` around x; None for a side that failed.

    Where `at` raises on one side (a domain error: log just left of 0) the one-sided difference on
    the other side stands in for the central one; where both sides fail the slope is NaN.
    """
    up, down = _try(at, x + eps), _try(at, x - eps)
    if center is None:
        center = _try(at, x)
    forward = None if up is None or center is None else _scale(_sub(up, center), 1.0 / eps)
    backward = None if down is None or center is None else _scale(_sub(center, down), 1.0 / eps)
    if up is not None and down is not None:
        central = _scale(_sub(up, down), 0.5 / eps)
    else:
        central = forward if forward is not None else backward
    return (math.nan if central is None else central), forward, backward


def _try(at, t: float):
    try:
        y = at(t)
    except (ArithmeticError, ValueError):
        return None
    return [float(data_of(v)) for v in y] if isinstance(y, list) else float(data_of(y))


def component(slope, i: int):
    """Entry i of a slope of a list-valued function (None and NaN stand for every entry)."""
    return slope[i] if isinstance(slope, list) else slope


def _sub(a, b):
    return [p - q for p, q in zip(a, b)] if isinstance(a, list) else a - b


def _scale(a, k: float):
    return [p * k for p in a] if isinstance(a, list) else a * k


# ------------------------------------------------------------------------------ the function


class Problem:
    """`f` with its inputs as leaf Values: call it, nudge a leaf, name each leaf."""

    def __init__(self, f, inputs, names, who: str):
        self.who = who
        self.single = not isinstance(inputs, (list, tuple))
        self.args = [inputs] if self.single else list(inputs)
        self.lifted = [
            rebuild(a, (self._leaf(path, x) for path, x in flatten(a)), object) for a in self.args
        ]
        self.leaves = [leaf for a in self.lifted for leaf in leaves(a)]
        # One slot per number: a Value, or one entry of a Tensor.
        self.slots = [
            s
            for leaf in self.leaves
            for s in ([leaf] if isinstance(leaf, Value) else _entries(leaf))
        ]
        self.call, self.closure, params = _caller(f, self.lifted, who)
        self.names = self._names(names, params)

    def _leaf(self, path: str, x) -> Value | Tensor:
        if isinstance(x, Tensor):
            if x.parents:
                raise ValueError(
                    f"{self.who}: input {x.label or path or 'x'} is not a leaf Tensor (made by "
                    f"{str(x.op)!r})"
                )
            if x.data.dtype != np.float64:
                raise TypeError(
                    f"{self.who}: Tensor input {x.label or path or 'x'} is {x.data.dtype}; "
                    "finite differences need float64"
                )
            return x
        if isinstance(x, Value):
            if x.parents:
                raise ValueError(
                    f"{self.who}: input {x.label or path or 'x'} is not a leaf (made by "
                    f"{str(x.op)!r}); pass the leaf Values f reads, e.g. model.parameters()"
                )
            return x
        try:
            return Value(float(x))
        except (TypeError, ValueError):
            raise TypeError(
                f"{self.who}: inputs must be numbers, Values or nested lists/tuples/arrays of "
                f"them, got {type(x).__name__} at {path or 'the top'}"
            ) from None

    def _names(self, names, params: list[str]) -> list[str]:
        if names is not None:
            names = [names] if isinstance(names, str) else list(names)
            if len(names) != len(self.args):
                raise ValueError(
                    f"{self.who}: {len(self.args)} inputs but {len(names)} names {names}"
                )
        found = []
        for i, arg in enumerate(self.lifted):
            if names is not None:
                base = names[i]
            elif i < len(params) and not self.closure:
                base = params[i]
            else:
                base = "x" if self.single else f"x{i}"
            for path, leaf in flatten(arg, base):  # leaves: Values and Tensors
                label = getattr(leaf, "label", "")
                path = label if label and names is None else path
                if isinstance(leaf, Tensor):
                    found += [f"{path}[{', '.join(map(str, i))}]" for i in np.ndindex(leaf.shape)]
                else:
                    found.append(path)
        return found

    def output(self):
        out = self.call()
        if isinstance(out, Tensor) and out.data.size == 1:
            return out
        if is_container(out) or not isinstance(out, (Value, int, float)):
            kind = type(out).__name__
            if isinstance(out, Tensor):
                kind = f"a Tensor of shape {out.shape}"
            raise TypeError(
                f"{self.who}: f must return a scalar (a Value, a one-element Tensor or a number), "
                f"got {kind}; check each output separately, or a weighted sum of them"
            )
        return out

    @staticmethod
    def scalar(out) -> float:
        return float(out.data) if isinstance(out, (Value, Tensor)) else float(out)

    def value(self) -> float:
        return self.scalar(self.output())

    def gradient_nodes(self, out) -> list:
        """d out / d leaf for every leaf, as nodes that can be differentiated again."""
        if not isinstance(out, (Value, Tensor)) or not self.leaves:
            return [None] * len(self.slots)
        return grad(out, self.leaves, create_graph=True)

    def components(self, grads: list) -> list:
        """The gradients per leaf split into one scalar node (or None) per slot."""
        found = []
        for leaf, g in zip(self.leaves, grads):
            if isinstance(leaf, Value):
                found.append(g)
            elif isinstance(g, Tensor):
                flat = g.reshape(-1)
                found += [flat[k] for k in range(leaf.data.size)]
            else:
                found += [None] * leaf.data.size
        return found

    def gradient(self, out) -> list[float]:
        """d out / d slot for every slot, as floats (0.0 where out is not a node)."""
        if not isinstance(out, (Value, Tensor)) or not self.leaves:
            return [0.0] * len(self.slots)
        found = []
        for leaf, g in zip(self.leaves, grad(out, self.leaves)):
            if isinstance(leaf, Value):
                found.append(float(data_of(g)))
            else:
                found += np.asarray(data_of(g), dtype=float).reshape(-1).tolist()
        return found

    def mirror(self, numbers: list):
        it = iter(numbers)
        found = []
        for arg, lifted in zip(self.args, self.lifted):
            if isinstance(lifted, Tensor):
                found.append(
                    np.array([next(it) for _ in range(lifted.data.size)]).reshape(lifted.shape)
                )
            else:
                found.append(rebuild(arg, it, float))
        return found[0] if self.single else found

    def rebuild_args(self, new_leaves: list) -> list:
        it = iter(new_leaves)
        return [rebuild(a, it, object) for a in self.lifted]


def _caller(f, lifted: list, who: str):
    """(call, is_closure, parameter names): f(*inputs), or f() for a closure over the inputs."""
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):  # some builtins have no signature: just call
        return (lambda: f(*lifted)), False, []
    params = [
        p.name
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    try:
        signature.bind(*lifted)
        return (lambda: f(*lifted)), False, params
    except TypeError:
        pass
    try:
        signature.bind()
    except TypeError:
        raise TypeError(
            f"{who}: f{signature} cannot be called with the {len(lifted)} inputs given; inputs "
            "is the list of f's arguments (wrap a single list argument: [[1.0, 2.0]])"
        ) from None
    if all(isinstance(a, Value) for arg in lifted for a in leaves(arg)):
        return f, True, []
    raise TypeError(f"{who}: f takes no arguments, so the inputs must be the Values it reads")


class _Entry:
    """One number of a Tensor, read and nudged through `.data` like a Value's."""

    __slots__ = ("k", "tensor")

    def __init__(self, tensor: Tensor, k: int):
        self.tensor, self.k = tensor, k

    @property
    def data(self) -> float:
        return float(self.tensor.data.flat[self.k])

    @data.setter
    def data(self, x: float) -> None:
        self.tensor.data.flat[self.k] = x


def _entries(tensor: Tensor) -> list[_Entry]:
    return [_Entry(tensor, k) for k in range(tensor.data.size)]
