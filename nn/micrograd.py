"""micrograd's names on this library's engine: code written for micrograd runs with only its
import lines changed.

    from micrograd.engine import Value              ->  from nn.micrograd import Value
    from micrograd.nn import Neuron, Layer, MLP     ->  from nn.micrograd import Neuron, Layer, MLP
    from micrograd import nn                        ->  from nn import micrograd as nn

What micrograd offers and the core API spells differently is here: `Value(data, _children, _op)`,
`._prev` (a set, as in micrograd) and `._op`, `._backward()` (one node's step of the chain rule,
for backpropagating by hand as in the lecture), `Neuron(nin, nonlin=True)` and `.nonlin`,
`Layer(nin, nout)` returning a bare Value for one output, weights drawn with
`random.uniform(-1, 1)` (so `random.seed(1337)` makes a model reproducible) and `draw_dot`.
Everything else is the ordinary engine: the same nodes, the same backward pass, `nn.Module`'s
`parameters()`, `zero_grad()`, `save()`; every result of an op on these Values is one of them.

>>> import random
>>> random.seed(1337)
>>> x = Value(1.0)
>>> y = (x * 2 + 1).relu()
>>> y.backward()
>>> y.data, x.grad, y._op, sorted(p.data for p in y._prev)
(3.0, 2.0, 'relu', [3.0])
>>> n = Neuron(2, nonlin=False)
>>> n.nonlin, n
(False, LinearNeuron(2))
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

from autograd import Value as _Value
from autograd import draw_graph

from .layers import Neuron as _Neuron
from .module import Module

__all__ = ["MLP", "Layer", "Module", "Neuron", "Value", "draw_dot"]


class Value(_Value):
    """The engine's Value with micrograd's constructor and internals (`_prev`, `_op`, `_backward`).

    `Value(data, _children=(), _op="", label="")`: given children, `_op` names the op that made
    `data` from them ("+", "*", "tanh", "**2", "ReLU", ...: one of the engine's primitives, so the
    node backpropagates like any other).
    """

    __slots__ = ()

    def __init__(self, data, _children: Iterable = (), _op: str = "", label: str = ""):
        super().__init__(data, label)
        children = tuple(_children)
        if children or _op:
            op = _primitive(_op, len(children))
            for child in children:
                if not isinstance(child, _Value):
                    raise TypeError(
                        f"Value: _children must be Values, got {type(child).__name__} ({child!r})"
                    )
            self.op = op
            self.parents = tuple(_adopt(child) for child in children)

    @property
    def _prev(self) -> set:
        """The Values this one was computed from, as a set (micrograd's `_prev`)."""
        return set(self.parents)

    @property
    def _op(self) -> str:
        """The op that made this Value ("" for a leaf)."""
        return str(self.op)

    def _backward(self) -> None:
        """Add this node's share of the chain rule to its parents' `.grad`:
        parent.grad += d self / d parent * self.grad. Called on every node in reverse topological
        order it is `backward()`; the lecture calls it node by node to show each step."""
        rule = self.op.derivatives
        local = (
            rule if rule.__class__ is tuple else rule(self.data, *(p.data for p in self.parents))
        )
        for parent, derivative in zip(self.parents, local):
            parent.grad += derivative * self.grad


def _with_result_adopted(name: str):
    method = getattr(_Value, name)
    forward = getattr(_Value, name.replace("__r", "__", 1)) if name.startswith("__r") else None

    def wrapper(self, *args):
        if forward is not None and isinstance(args[0], _Value):
            # engine Value OP micrograd Value: Python asks the subclass first; the engine's
            # reflected method would hand it straight back, so run the forward op here.
            out = forward(args[0], self)
        else:
            out = method(self, *args)
        return out if out is NotImplemented else _adopt(out)

    wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__doc__ = method.__doc__
    return wrapper


# Every op of the engine, so that results (and the constants they lift) are micrograd Values.
_OPS = "__add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ __truediv__ __rtruediv__ __pow__ "
_OPS += "__rpow__ __neg__ __abs__ exp log tanh sigmoid relu abs softplus sin cos sqrt detach"
for _name in _OPS.split():
    if hasattr(_Value, _name):
        setattr(Value, _name, _with_result_adopted(_name))


def _adopt(node: _Value) -> Value:
    """Make `node` and every engine Value it was computed from (up to the first micrograd Value
    on each path) micrograd Values, in place: the same object, the same slots, one more class."""
    stack = [node]
    while stack:
        v = stack.pop()
        if v.__class__ is _Value:
            v.__class__ = Value
            stack.extend(v.parents)
    return node


def _primitive(name: str, arity: int):
    """The engine's primitive called `name` taking `arity` inputs, found by running it."""
    a, b = _Value(0.5), _Value(0.25)
    makers = {
        "+": lambda: a + b,
        "-": lambda: a - b,
        "*": lambda: a * b,
        "neg": lambda: -a,
        "exp": a.exp,
        "log": a.log,
        "tanh": a.tanh,
        "sigmoid": a.sigmoid,
        "relu": a.relu,
        "ReLU": a.relu,  # micrograd's spelling
        "abs": a.abs,
        "softplus": a.softplus,
        "sin": a.sin,
        "cos": a.cos,
    }
    maker = makers.get(name)
    if maker is None and name.startswith("**"):
        try:
            exponent = float(name[2:])
        except ValueError:
            exponent = None
        if exponent is not None:
            maker = lambda: a**exponent
    if maker is None:
        raise ValueError(
            f"Value: _op must name one of the engine's ops ({', '.join(makers)}, **<number>), "
            f"got {name!r}; to add an op of your own use autograd.define_op"
        )
    out = maker()
    if len(out.parents) != arity:
        raise ValueError(
            f"Value: the op {name!r} takes {len(out.parents)} children, got {arity} in _children"
        )
    return out.op


class Neuron(_Neuron):
    """micrograd's neuron: relu(w . x + b), or w . x + b with `nonlin=False`; weights drawn by
    `random.uniform(-1, 1)`, one per input in order, the bias 0."""

    def __init__(self, nin: int, nonlin: bool = True):
        if not isinstance(nin, int) or isinstance(nin, bool) or nin < 1:
            raise ValueError(f"Neuron: nin must be a positive int, got {nin!r}")
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.activation = "relu" if nonlin else "linear"
        self.label_parameters("neuron")

    @property
    def nonlin(self) -> bool:
        """True: the neuron applies relu; False: it is linear."""
        return self.activation == "relu"

    @nonlin.setter
    def nonlin(self, value: bool) -> None:
        self.activation = "relu" if value else "linear"

    def __call__(self, x: Sequence) -> Value:
        return _adopt(super().__call__(_values(x)))

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """`nout` micrograd neurons on the same inputs; one output is returned as a bare Value."""

    def __init__(self, nin: int, nout: int, **kwargs):
        if not isinstance(nout, int) or isinstance(nout, bool) or nout < 1:
            raise ValueError(f"Layer: nout must be a positive int, got {nout!r}")
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]
        self.label_parameters()

    def __call__(self, x: Sequence) -> Value | list[Value]:
        x = _values(x)  # numbers become constants once, shared by every neuron
        out = [neuron(x) for neuron in self.neurons]
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """micrograd's multilayer perceptron: relu hidden layers, a linear last layer."""

    def __init__(self, nin: int, nouts: Sequence[int]):
        if not nouts:
            raise ValueError("MLP: nouts must list at least one layer size")
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1], nonlin=i != last) for i in range(len(nouts))]
        self.label_parameters()

    def __call__(self, x: Sequence) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


def draw_dot(root: _Value, format: str = "svg", rankdir: str = "LR"):
    """micrograd's `draw_dot`: the graph of `root` (`autograd.draw_graph`), shown inline by
    Jupyter; `.render("gout")` writes gout.svg (or the `format` given)."""
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"draw_dot: rankdir must be 'LR' or 'TB', got {rankdir!r}")
    dot = draw_graph(root, rankdir=rankdir)
    dot.format = format
    return dot


def _values(x: Sequence) -> list:
    """The inputs as Values: a Value (ours or the engine's) as is, a number as a constant."""
    if isinstance(x, _Value):
        x = [x]
    return [_adopt(v) if isinstance(v, _Value) else Value(v) for v in x]
