"""The scalar node of the engine: `Value`. Its operators dispatch to the op registry.

Every op is one entry of `autograd.ops` (forward, local-derivative rule, formula, replay); a
Value method computes the forward and records the entry as its node's `op`. The arithmetic
primitives (`+ - *`, unary `-`) compute their float inline rather than through the entry's
`scalar`: the same expression (the facet test checks it), without a call on the hot path. Every
other op is a one-line composition.

>>> a, b = Value(2.0, "a"), Value(-3.0, "b")
>>> c = a * b + a           # c = ab + a
>>> c.backward()
>>> a.grad, b.grad          # dc/da = b + 1, dc/db = a
(-2.0, 2.0)
"""

from __future__ import annotations

import math
import numbers
from typing import Any, ClassVar

import numpy as np

from . import mode
from .backward import backward as _backward
from .ops.core import REGISTRY, DomainError, Op, cos, exp, log, power, sigmoid, sin
from .ops.elementwise import (
    ABS,
    ADD,
    COS,
    DIV,
    EXP,
    LOG,
    MUL,
    NEG,
    POW,
    POWC,
    RELU,
    SIGMOID,
    SIN,
    SOFTPLUS,
    SUB,
    TANH,
    checked_power,
)
from .ops.reduce import ADD_N, AFFINE

__all__ = [
    "DomainError",
    "Primitive",
    "Value",
    "affine",
    "cos",
    "exp",
    "log",
    "power",
    "power_op",
    "sigmoid",
    "sin",
    "sum_op",
    "sum_values",
    "zero_grad",
]

_REAL = (numbers.Real, np.bool_)  # numpy registers its scalar types as numbers.Real
_new = object.__new__

Primitive = Op  # the old name of a scalar op entry
_POWERS: dict[float, Op] = {}  # x ** c for each constant c met so far
LEAF = Op("", 0, derivatives=())
# The op of a constant leaf the engine made from a plain number (the 2 in `x * 2`): a leaf like
# any other (it compares equal to ""), told apart only so that pictures can tell it from a Value
# the user made.
CONSTANT = Op("", 0, derivatives=(), key="constant")
CONSTANT.constant = True


class Value:
    """A scalar that remembers how it was computed, so `backward()` can fill every gradient.

    `data` is a Python float; `grad` the accumulated d(root)/d(self) (0.0 until a backward pass);
    `op` the name of the primitive that made it ("" for a leaf); `parents` its inputs in argument
    order (so `a + a` has two parents); `label` an optional name shown in graphs.
    """

    __slots__ = ("data", "grad", "label", "op", "parents")
    __array_ufunc__ = None  # numpy defers to our reflected ops: np.float64(2) * v is a Value
    data: float
    grad: Any  # a float, or a Value after backward(create_graph=True)
    label: str
    op: Op
    parents: tuple
    _from_op: ClassVar[Any]  # set below: applies any registry op to Values

    def __init__(self, data, label: str = ""):
        if data.__class__ is not float:
            if isinstance(data, Value) or not isinstance(data, _REAL):
                raise TypeError(
                    "Value: data must be a real number (int, float, bool or numpy scalar), "
                    f"got {type(data).__name__}"
                    + (" (use .detach() to copy a Value)" if isinstance(data, Value) else "")
                )
            data = float(data)
        if label.__class__ is not str:
            raise TypeError(f"Value: label must be a str, got {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self.op = LEAF
        self.parents = ()

    def __repr__(self) -> str:
        extra = f", label={self.label!r}" if self.label else ""
        extra += f", op={str(self.op)!r}" if self.parents else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{extra})"

    def __float__(self) -> float:
        return self.data

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    # ---------------------------------------------------------------- primitives
    # Addition: d(a + b)/da = 1, d(a + b)/db = 1.
    def __add__(self, other):
        other = other if other.__class__ is Value else _lift(other, "+")
        return _node(self.data + other.data, ADD, (self, other))

    # Subtraction: d(a - b)/da = 1, d(a - b)/db = -1. A primitive rather than a + b * -1: the
    # commonest op of losses (residuals, margins, shifts) then costs one node, not three.
    def __sub__(self, other):
        other = other if other.__class__ is Value else _lift(other, "-")
        return _node(self.data - other.data, SUB, (self, other))

    # Negation: d(-a)/da = -1. A primitive for the same reason: one node rather than a * -1.
    def __neg__(self) -> Value:
        return _node(-self.data, NEG, (self,))

    # Multiplication: d(ab)/da = b, d(ab)/db = a.
    def __mul__(self, other):
        other = other if other.__class__ is Value else _lift(other, "*")
        return _node(self.data * other.data, MUL, (self, other))

    # Power, a number exponent c: d(x^c)/dx = c x^(c-1). One Primitive per exponent (cached).
    # Power, a Value exponent: d(a^b)/da = b a^(b-1), d(a^b)/db = a^b ln a.
    def __pow__(self, exponent):
        if isinstance(exponent, Value):
            return _node(checked_power(self.data, exponent.data), POW, (self, exponent))
        if not isinstance(exponent, _REAL):
            return NotImplemented
        c = float(exponent)
        op = _POWERS.get(c)  # POWC.bind(c), cached here: a dict lookup on the hot path
        if op is None:
            op = _POWERS[c] = POWC.bind(c)
        return _node(checked_power(self.data, c), op, (self,))

    # exp: d e^x/dx = e^x, the output itself.
    def exp(self) -> Value:
        return _node(EXP.scalar(self.data), EXP, (self,))

    # log: d ln x/dx = 1/x.
    def log(self) -> Value:
        return _node(LOG.scalar(self.data), LOG, (self,))

    # tanh: d tanh x/dx = 1 - tanh^2 x. math.tanh saturates cleanly to +-1, never overflows.
    def tanh(self) -> Value:
        return _node(math.tanh(self.data), TANH, (self,))

    # sigmoid: d s/dx = s (1 - s). A primitive (not 1/(1+e^-x)) so it never overflows.
    def sigmoid(self) -> Value:
        return _node(SIGMOID.scalar(self.data), SIGMOID, (self,))

    # relu: d max(x, 0)/dx = 1 for x > 0, else 0 (0 at x = 0, as PyTorch). NaN passes through.
    def relu(self) -> Value:
        x = self.data  # RELU.scalar inline (the facet test checks they agree): no call
        return _node(0.0 if x <= 0.0 else x, RELU, (self,))

    # abs: d|x|/dx = sign x (0 at x = 0, as PyTorch).
    def abs(self) -> Value:
        return _node(abs(self.data), ABS, (self,))

    __abs__ = abs  # builtin abs(v)

    # softplus: d ln(1 + e^x)/dx = sigmoid x. Computed as max(x, 0) + ln(1 + e^-|x|): no overflow.
    def softplus(self) -> Value:
        return _node(SOFTPLUS.scalar(self.data), SOFTPLUS, (self,))

    # sin, cos: d sin x/dx = cos x, d cos x/dx = -sin x.
    def sin(self) -> Value:
        return _node(SIN.scalar(self.data), SIN, (self,))

    def cos(self) -> Value:
        return _node(COS.scalar(self.data), COS, (self,))

    # ---------------------------------------------------------------- compositions
    # Division by a Value: d(a/b)/da = 1/b, d(a/b)/db = -(a/b)/b. A primitive, not a * b^-1: the
    # quotient is then correctly rounded, and -(a/b)/b stays finite where b^-2 alone overflows
    # (x/x at 1e-300 has slope 1e300 - 1e300 = 0, not 1e300 - inf). A number divisor is a
    # constant factor 1/b.
    def __truediv__(self, other) -> Value:
        by_value = isinstance(other, Value)
        b = other.data if by_value else _number(other, "/")
        if b == 0.0:
            raise ZeroDivisionError(f"/: division by zero ({self.data!r} / {b!r})")
        if by_value:
            return _node(self.data / b, DIV, (self, other))
        return self * (1.0 / b)

    def sqrt(self) -> Value:  # sqrt x = x^0.5
        if self.data < 0.0:
            raise DomainError(f"sqrt: input must be >= 0, got {self.data!r}")
        return self**0.5

    def __radd__(self, other) -> Value:
        return _lift(other, "+") + self

    def __rmul__(self, other) -> Value:
        return _lift(other, "*") * self

    def __rsub__(self, other) -> Value:
        return _lift(other, "-") - self

    def __rtruediv__(self, other) -> Value:
        return _lift(other, "/") / self

    def __rpow__(self, base) -> Value:
        return _lift(base, "**") ** self

    # ---------------------------------------------------------------- comparisons (on .data)
    # == and hash stay identity-based so Values can key dicts and sets.
    def __lt__(self, other) -> bool:
        return self.data < _data(other, "<")

    def __le__(self, other) -> bool:
        return self.data <= _data(other, "<=")

    def __gt__(self, other) -> bool:
        return self.data > _data(other, ">")

    def __ge__(self, other) -> bool:
        return self.data >= _data(other, ">=")

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    # ---------------------------------------------------------------- autograd
    def backward(self, gradient=1.0, create_graph: bool = False) -> None:
        """Add d(self)/d(node) * gradient to `.grad` of every node this Value depends on.

        Gradients accumulate across calls (call `zero_grad` between steps). With
        `create_graph=True` each `.grad` becomes a Value that can be differentiated again.
        `gradient` is a real number or a Value.
        """
        if gradient.__class__ is not float and not isinstance(gradient, (Value, *_REAL)):
            raise TypeError(
                "backward: gradient must be a real number or a Value, got "
                f"{type(gradient).__name__} ({gradient!r:.60})"
            )
        _backward(self, gradient, create_graph)

    def detach(self) -> Value:
        """A new leaf with the same data (and label): the graph behind `self` is cut off."""
        return Value(self.data, self.label)


def _method(op: Op):
    """The Value method of a registry entry: `x.atan()`, `a.maximum(b)`, `a.where(c, b)`."""
    n_params, n_others = len(op.params), (op.arity or 1) - 1

    def method(self, *args):
        if len(args) != n_params + n_others:
            raise TypeError(
                f"{op.method}: takes {n_params + n_others} argument(s), got {len(args)}"
            )
        bound = op.bind(*args[:n_params]) if n_params else op
        inputs = (self, *(_lift(x, str(op)) for x in args[n_params:]))
        return _node(bound.scalar(*[v.data for v in inputs], *bound.args), bound, inputs)

    method.__name__ = str(op.method)
    method.__doc__ = f"The op {str(op)!r} of the registry (`autograd.ops`)."
    return method


def _from_op(op: Op, inputs: tuple, *params, data: float | None = None) -> Value:
    """Apply any scalar op of the registry to Values (or numbers), parameters bound; `data`, when
    given, is the output already computed (a rule's IEEE power, which must not raise)."""
    bound = op.bind(*params) if params else op
    inputs = tuple(_lift(x, str(op)) for x in inputs)
    if data is None:
        data = bound.scalar(*[v.data for v in inputs], *bound.args)
    return _node(data, bound, inputs)


def _install_methods() -> None:
    """Give Value a method for every registry entry that names one and runs on floats."""
    for op in list(REGISTRY.values()):
        if op.method and op.scalar is not None and not hasattr(Value, op.method):
            setattr(Value, op.method, _method(op))


def _node(data: float, op: Op, parents: tuple) -> Value:
    """Make the output of an op; every primitive goes through here."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if mode.grad_enabled:
        out.op = op
        out.parents = parents
    else:
        out.op = LEAF
        out.parents = ()
    if mode.anomaly_enabled:
        _check_finite(out, op, parents)
    return out


def _leaf(data: float) -> Value:
    """A constant leaf holding a float: what a plain number in `x * 2.0` becomes."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.op = CONSTANT
    out.parents = ()
    return out


def _lift(x, op: str) -> Value:
    """A Value as is; a plain number as a constant leaf; anything else is a TypeError."""
    if x.__class__ is float:  # the common case first: no isinstance against the number ABCs
        return _leaf(x)
    if isinstance(x, Value):
        return x
    return _leaf(_number(x, op))


def _number(x, op: str) -> float:
    """A plain real number as a float; anything else is a TypeError naming the op."""
    if isinstance(x, (float, int)):  # builtins (and numpy's float64): no ABC check needed
        return float(x)
    if isinstance(x, _REAL) and not isinstance(x, Value):
        return float(x)
    raise TypeError(f"{op}: expected a Value or a real number, got {type(x).__name__} ({x!r:.60})")


def _data(x, op: str) -> float:
    return x.data if isinstance(x, Value) else _number(x, op)


def _check_finite(out: Value, op: Op, parents: tuple) -> None:
    inputs = ", ".join(repr(p.data) for p in parents)
    if not math.isfinite(out.data):
        raise FloatingPointError(f"{op}: produced {out.data!r} from inputs ({inputs})")
    rule = op.derivatives
    derivs = rule if rule.__class__ is tuple else rule(out.data, *(p.data for p in parents))
    if not all(math.isfinite(d) for d in derivs):
        raise FloatingPointError(
            f"{op}: local derivatives {tuple(derivs)!r} at inputs ({inputs}) are not finite"
        )


def power_op(c: float) -> Op:
    """The op x ** c for one constant exponent c (named like `**2`, with `.exponent` = c)."""
    return POWC.bind(float(c))


def sum_op(n: int) -> Op:
    """The op x0 + x1 + ... + x(n-1) for n inputs: every local derivative is 1."""
    return ADD_N.bind(n)


def zero_grad(values) -> None:
    """Reset `.grad` of every node in `values` before the next backward pass, as each starts: a
    Value's back to 0.0, a Tensor's to None (no gradient yet, which optimizers skip). The one
    rule `nn`'s `Module.zero_grad` and `Optimizer.zero_grad` use too."""
    for v in values:
        v.grad = 0.0 if isinstance(v, Value) else None


# Sum of n values: d(x0 + x1 + ...)/dx_i = 1. One node where a chain of binary `+` would make n - 1,
# with the same floats (added left to right, as the chain does) and the same gradients: how a
# loss adds up its terms.
def sum_values(values) -> Value:
    """x0 + x1 + ... as one node (numbers count as constants).

    >>> a, b, c = Value(1.0), Value(2.0), Value(3.0)
    >>> s = sum_values([a, b, c])
    >>> s.data, s.op, len(s.parents)
    (6.0, 'sum', 3)
    """
    values = [v if v.__class__ is Value else _lift(v, "sum") for v in values]
    if not values:
        raise ValueError("sum_values: needs at least one value")
    if len(values) == 1:
        return values[0]
    total = values[0].data
    for v in values[1:]:
        total += v.data
    return _node(total, ADD_N.bind(len(values)), tuple(values))


def affine(weights, inputs, bias: Value) -> Value:
    """bias + w0 x0 + w1 x1 + ..., the forward pass of a neuron, as one `affine` node with inputs
    (bias, w0, x0, w1, x1, ...): the floats of `bias + w0 * x0 + w1 * x1 + ...` written out, and
    the same gradients. `weights` and `bias` are Values, `inputs` Values or numbers (constants).

    One node rather than a `*` node per weight and a `sum`: a fifth of the nodes to build, walk
    and free in a network (see `autograd.ops.reduce` for the figure).

    >>> w, x = [Value(2.0), Value(3.0)], [Value(1.0), 0.5]
    >>> out = affine(w, x, Value(1.0))     # 1 + 2 * 1 + 3 * 0.5
    >>> out.data, out.op, len(out.parents)
    (4.5, 'affine', 5)
    """
    n = len(weights)
    if len(inputs) != n:
        raise ValueError(f"affine: {n} weight(s) but {len(inputs)} input(s)")
    parents = [bias] * (2 * n + 1)  # (bias, w0, x0, w1, x1, ...), filled by slices
    parents[1::2] = weights
    parents[2::2] = inputs
    total = bias.data
    for w, x in zip(weights, inputs):
        if x.__class__ is not Value and not isinstance(x, Value):  # a number: a constant
            return affine(weights, [_lift(x, "affine") for x in inputs], bias)
        total += w.data * x.data
    op = _AFFINES.get(n)  # AFFINE.bind(n), cached here: a dict lookup on the hot path
    if op is None:
        op = _AFFINES[n] = AFFINE.bind(n)
    return _node(total, op, tuple(parents))


_AFFINES: dict[int, Op] = {}


_install_methods()
Value._from_op = staticmethod(_from_op)  # how the registry's rules build Value nodes
