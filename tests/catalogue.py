"""The catalogue of ops the tests sweep: each entry applies one op to Values and to torch tensors.

Every entry says where it is defined (`domain`) and where it has a kink (finite differences are
meaningless exactly there, so those points are compared with PyTorch only).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from autograd import Value


@dataclass(frozen=True)
class Op:
    name: str
    fn: Callable  # on Values (or torch tensors: both support the same operators and methods)
    torch_fn: Callable | None = None  # where the torch spelling differs
    domain: Callable = lambda *xs: True
    kinks: tuple = field(default_factory=tuple)

    def on_torch(self, *xs):
        return (self.torch_fn or self.fn)(*xs)


UNARY = [
    Op("neg", lambda x: -x),
    Op("exp", lambda x: x.exp()),
    Op("log", lambda x: x.log(), domain=lambda x: x > 0),
    Op("tanh", lambda x: x.tanh()),
    Op("sigmoid", lambda x: x.sigmoid()),
    Op("relu", lambda x: x.relu(), kinks=(0.0,)),
    Op("abs", lambda x: x.abs(), kinks=(0.0,)),
    Op("softplus", lambda x: x.softplus(), lambda x: __import__("torch").nn.functional.softplus(x)),
    Op("sin", lambda x: x.sin()),
    Op("cos", lambda x: x.cos()),
    Op("sqrt", lambda x: x.sqrt(), domain=lambda x: x > 0),
    Op("square", lambda x: x**2),
    Op("cube", lambda x: x**3),
    Op("reciprocal", lambda x: x**-1, domain=lambda x: x != 0),
    Op("pow-2", lambda x: x**-2, domain=lambda x: x != 0),
    Op("pow1.5", lambda x: x**1.5, domain=lambda x: x > 0),
    Op("radd", lambda x: 3 + x),
    Op("rsub", lambda x: 3 - x),
    Op("rmul", lambda x: 3 * x),
    Op("rtruediv", lambda x: 3 / x, domain=lambda x: x != 0),
    Op("rpow", lambda x: 2**x),
    Op("sub-const", lambda x: x - 0.5),
    Op("div-const", lambda x: x / 4),
]

BINARY = [
    Op("add", lambda a, b: a + b),
    Op("sub", lambda a, b: a - b),
    Op("mul", lambda a, b: a * b),
    Op("div", lambda a, b: a / b, domain=lambda a, b: b != 0),
    Op("pow", lambda a, b: a**b, domain=lambda a, b: a > 0),
]

GRID = [-2.5, -1.0, -0.3, 0.0, 0.4, 1.0, 2.2]
PAIRS = [(a, b) for a in (-1.7, -0.4, 0.6, 1.3) for b in (-1.1, 0.5, 2.0)]


def points(op: Op, grid=GRID):
    return [x for x in grid if op.domain(x)]


def pairs(op: Op):
    return [p for p in PAIRS if op.domain(*p)]


def central_difference(f: Callable[[float], float], x: float, eps: float = 1e-6) -> float:
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def value_fn(op: Op, index: int, args: tuple) -> Callable[[float], float]:
    """The op's output as a plain function of its `index`-th argument, the others held fixed."""

    def f(x: float) -> float:
        vals = [Value(a) for a in args]
        vals[index] = Value(x)
        return op.fn(*vals).data

    return f


def isclose(actual: float, expected: float, rel: float = 1e-9, abs_: float = 1e-12) -> bool:
    return math.isclose(actual, expected, rel_tol=rel, abs_tol=abs_)
