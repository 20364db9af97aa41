"""The scalar node of the engine: `Value` and its primitive ops.

Each primitive is one entry: a `Primitive` holding its name and its local-derivative rule, declared
right above the method that computes its forward value. A rule `derivatives(out, *inputs)` returns
d out / d input for each input. It is written with plain arithmetic (and the generic `exp`, `log`,
... below), so the same rule runs on floats (the fast first-order backward) and on Values (the
differentiable backward of `create_graph=True`). Every other op is a one-line composition.
(`-` and unary `-` are primitives, not `a + b * -1`: the commonest op of losses then costs one
node rather than three, with bit-identical values and gradients.)

>>> a, b = Value(2.0, "a"), Value(-3.0, "b")
>>> c = a * b + a           # c = ab + a
>>> c.backward()
>>> a.grad, b.grad          # dc/da = b + 1, dc/db = a
(-2.0, 2.0)
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np

from . import mode
from .backward import backward as _backward

_REAL = (numbers.Real, np.bool_)  # numpy registers its scalar types as numbers.Real
_new = object.__new__


class DomainError(ValueError):
    """An op was given an input outside its mathematical domain, e.g. `log(-2.0)`."""


class Primitive(str):
    """An op: its name (what `Value.op` shows and compares equal to) plus its derivative rule.

    `derivatives` is a function `(out, *inputs) -> tuple` of local derivatives, one per input, or,
    when they are constants, the tuple itself (no call needed in the backward loop).
    """

    def __new__(cls, name: str, derivatives):
        self = super().__new__(cls, name)
        self.derivatives = derivatives
        return self


LEAF = Primitive("", ())
# The op of a constant leaf the engine made from a plain number (the 2 in `x * 2`): a leaf like
# any other (it compares equal to ""), told apart only so that pictures can tell it from a Value
# the user made.
CONSTANT = Primitive("", ())
CONSTANT.constant = True


class Value:
    """A scalar that remembers how it was computed, so `backward()` can fill every gradient.

    `data` is a Python float; `grad` the accumulated d(root)/d(self) (0.0 until a backward pass);
    `op` the name of the primitive that made it ("" for a leaf); `parents` its inputs in argument
    order (so `a + a` has two parents); `label` an optional name shown in graphs.
    """

    __slots__ = ("data", "grad", "label", "op", "parents")
    __array_ufunc__ = None  # numpy defers to our reflected ops: np.float64(2) * v is a Value

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
            return _node(_power(self.data, exponent.data), POW, (self, exponent))
        if not isinstance(exponent, _REAL):
            return NotImplemented
        c = float(exponent)
        return _node(_power(self.data, c), power_op(c), (self,))

    # exp: d e^x/dx = e^x, the output itself.
    def exp(self) -> Value:
        try:
            return _node(math.exp(self.data), EXP, (self,))
        except OverflowError:
            raise OverflowError(
                f"exp: overflow, exp({self.data!r}) is too large for a float"
            ) from None

    # log: d ln x/dx = 1/x.
    def log(self) -> Value:
        if self.data <= 0.0:
            raise DomainError(f"log: input must be > 0, got {self.data!r}")
        return _node(math.log(self.data), LOG, (self,))

    # tanh: d tanh x/dx = 1 - tanh^2 x. math.tanh saturates cleanly to +-1, never overflows.
    def tanh(self) -> Value:
        return _node(math.tanh(self.data), TANH, (self,))

    # sigmoid: d s/dx = s (1 - s). A primitive (not 1/(1+e^-x)) so it never overflows.
    def sigmoid(self) -> Value:
        return _node(_sigmoid(self.data), SIGMOID, (self,))

    # relu: d max(x, 0)/dx = 1 for x > 0, else 0 (0 at x = 0, as PyTorch). NaN passes through.
    def relu(self) -> Value:
        x = self.data
        return _node(0.0 if x <= 0.0 else x, RELU, (self,))

    # abs: d|x|/dx = sign x (0 at x = 0, as PyTorch).
    def abs(self) -> Value:
        return _node(abs(self.data), ABS, (self,))

    __abs__ = abs  # builtin abs(v)

    # softplus: d ln(1 + e^x)/dx = sigmoid x. Computed as max(x, 0) + ln(1 + e^-|x|): no overflow.
    def softplus(self) -> Value:
        x = self.data
        return _node(max(x, 0.0) + math.log1p(math.exp(-abs(x))), SOFTPLUS, (self,))

    # sin, cos: d sin x/dx = cos x, d cos x/dx = -sin x. Defined for finite x only: sin(+-inf)
    # is a DomainError naming the op (PyTorch gives nan; see the README's table of differences).
    def sin(self) -> Value:
        try:
            return _node(math.sin(self.data), SIN, (self,))
        except ValueError:
            raise DomainError(f"sin: input must be finite, got {self.data!r}") from None

    def cos(self) -> Value:
        try:
            return _node(math.cos(self.data), COS, (self,))
        except ValueError:
            raise DomainError(f"cos: input must be finite, got {self.data!r}") from None

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

    # ---------------------------------------------------------------- compositions

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

        `gradient` is a real number or a Value. Gradients accumulate across calls (call
        `zero_grad` between steps). With `create_graph=True` each `.grad` becomes a Value that
        can be differentiated again.
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


def _node(data: float, op: Primitive, parents: tuple) -> Value:
    """Make the output of an op; every primitive goes through here (and `affine`, inlined)."""
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


def _check_finite(out: Value, op: Primitive, parents: tuple) -> None:
    inputs = ", ".join(repr(p.data) for p in parents)
    if not math.isfinite(out.data):
        raise FloatingPointError(f"{op}: produced {out.data!r} from inputs ({inputs})")
    rule = op.derivatives
    derivs = rule if rule.__class__ is tuple else rule(out.data, *(p.data for p in parents))
    if not all(math.isfinite(d) for d in derivs):
        raise FloatingPointError(
            f"{op}: local derivatives {tuple(derivs)!r} at inputs ({inputs}) are not finite"
        )


def _power(a: float, b: float) -> float:
    """a ** b with the domain errors named, never a complex number or a silent inf."""
    if a == 0.0 and b < 0.0:
        raise ZeroDivisionError(f"**: 0.0 cannot be raised to a negative power ({b!r})")
    if a < 0.0 and not b.is_integer():
        raise DomainError(f"**: negative base {a!r} to the non-integer power {b!r} is not real")
    try:
        return a**b
    except OverflowError:
        raise OverflowError(f"**: overflow, {a!r} ** {b!r} is too large for a float") from None


def _sigmoid(x: float) -> float:
    # Two branches so exp only ever sees a non-positive argument: no overflow at any x.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


# -------------------------------------------------------------------- generic math for the rules
# Each works on a float or a Value, so one derivative rule serves both backward passes.


def exp(x):
    """e^x of a float or a Value."""
    return x.exp() if isinstance(x, Value) else math.exp(x)


def log(x):
    """ln x of a float or a Value."""
    return x.log() if isinstance(x, Value) else math.log(x)


def sigmoid(x):
    """1 / (1 + e^-x) of a float or a Value, stable for any finite x."""
    return x.sigmoid() if isinstance(x, Value) else _sigmoid(x)


def sin(x):
    """sin x of a float or a Value."""
    return x.sin() if isinstance(x, Value) else math.sin(x)


def cos(x):
    """cos x of a float or a Value."""
    return x.cos() if isinstance(x, Value) else math.cos(x)


def power(x, p):
    """x ** p of floats or Values, for derivative rules: never raises, as IEEE 754's pow.

    A local derivative may be infinite or undefined where its op is not: 0 ** -0.5 is inf (the
    slope of sqrt at 0), an overflow is +-inf, a negative base to a non-integer power nan. The
    forward `**` raises there; a rule gives the number, and `detect_anomaly()` reports it.
    """
    if isinstance(p, Value):
        base = x if isinstance(x, Value) else _leaf(float(x))
        return _node(_ieee_power(base.data, p.data), POW, (base, p))
    p = float(p)
    if isinstance(x, Value):
        return _node(_ieee_power(x.data, p), power_op(p), (x,))
    return _ieee_power(float(x), p)


def _ieee_power(a: float, p: float) -> float:
    try:
        result = a**p
    except ZeroDivisionError:  # 0.0 ** negative: an infinite slope (-inf for -0.0 ** odd)
        return -math.inf if math.copysign(1.0, a) < 0.0 and _is_odd(p) else math.inf
    except OverflowError:
        return -math.inf if a < 0.0 and _is_odd(p) else math.inf
    return result if result.__class__ is float else math.nan  # complex: no real value


def _is_odd(p: float) -> bool:
    return p.is_integer() and p % 2.0 == 1.0


def _reciprocal(x):
    # 1/x of a float (the rule of log), or of a Value through `power` (never raising).
    return 1.0 / x if x.__class__ is float else power(x, -1.0)


def _pow_derivatives(out, a, b):
    return _pow_base_derivative(a, b), _pow_exponent_derivative(out, a, b)


def _pow_base_derivative(a, b):
    # b a^(b-1). Where b = 0, a^b = 1 is constant in a: its slope is exactly 0 (the product is
    # 0 * inf at a = 0 or where a^-1 overflows, 0 * nan at nan). On Values the product is kept
    # where it is finite, for its dependence on b (d^2/da db = 1/a at b = 0).
    if _float(b) == 0.0:
        x = _float(a)
        if a.__class__ is not Value or not math.isfinite(_ieee_power(x, -1.0)):
            return 0.0
    return b * power(a, b - 1.0)


def _pow_exponent_derivative(out, a, b):
    # a^b ln a, real only for a > 0. At a = 0: 0 for b >= 0 (PyTorch's convention), and
    # a^b ln a = inf * -inf for b < 0. Below 0 (or at nan) nan, kept as a function of `out` so a
    # second derivative is nan too (the Hessian stays symmetric), never a constant 0.
    x = _float(a)
    if x > 0.0:
        return out * log(a)
    if x == 0.0 and _float(b) >= 0.0:
        return 0.0
    return out * (-math.inf if x == 0.0 else math.nan)


def _float(x) -> float:
    return x.data if x.__class__ is Value else x


def _sign(x) -> float:
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


# -------------------------------------------------------------------- the primitive table
ADD = Primitive("+", (1.0, 1.0))
SUB = Primitive("-", (1.0, -1.0))
NEG = Primitive("neg", (-1.0,))
MUL = Primitive("*", lambda out, a, b: (b, a))
DIV = Primitive("/", lambda out, a, b: (1.0 / b, -out / b))
POW = Primitive("**", _pow_derivatives)
EXP = Primitive("exp", lambda out, x: (out,))
LOG = Primitive("log", lambda out, x: (_reciprocal(x),))
TANH = Primitive("tanh", lambda out, x: (1.0 - out * out,))
SIGMOID = Primitive("sigmoid", lambda out, x: (out * (1.0 - out),))
RELU = Primitive("relu", lambda out, x: (1.0 if x > 0.0 else 0.0,))
ABS = Primitive("abs", lambda out, x: (_sign(x),))
SOFTPLUS = Primitive("softplus", lambda out, x: (sigmoid(x),))
SIN = Primitive("sin", lambda out, x: (cos(x),))
COS = Primitive("cos", lambda out, x: (-sin(x),))


@functools.lru_cache(maxsize=1024)
def power_op(c: float) -> Primitive:
    """The primitive x ** c for one constant exponent c (named like `**2`).

    d(x^c)/dx = c x^(c-1); for c = 0, x^0 = 1 is constant: its slope is exactly 0 everywhere (not
    0 * x^-1, which is 0 * inf at 0), so d^2(x^1)/dx^2 is 0 too.
    """
    rule = (0.0,) if c == 0.0 else (lambda out, x: (c * power(x, c - 1.0),))
    op = Primitive(f"**{c:g}", rule)
    op.exponent = c  # the exact constant, for code that replays the op (`autograd.compile`)
    return op


def zero_grad(values) -> None:
    """Reset `.grad` of every node in `values` before the next backward pass, as each starts: a
    Value's back to 0.0, a Tensor's to None (no gradient yet, which optimizers skip). The one
    rule `nn`'s `Module.zero_grad` and `Optimizer.zero_grad` use too."""
    for v in values:
        v.grad = 0.0 if isinstance(v, Value) else None


@functools.cache
def sum_op(n: int) -> Primitive:
    """The primitive x0 + x1 + ... + x(n-1) for n inputs: every local derivative is 1."""
    return Primitive("sum", (1.0,) * n)


# Sum of n values: d(x0 + x1 + ...)/dx_i = 1. One node where a chain of binary `+` would make n - 1,
# with the same floats (added left to right, as the chain does) and the same gradients: how a
# neuron adds up its weighted inputs.
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
    return _node(total, sum_op(len(values)), tuple(values))


def affine(weights, inputs, bias: Value) -> Value:
    """bias + w0 x0 + w1 x1 + ..., the forward pass of a neuron: one `*` node per weight and one
    `sum` node, i.e. `sum_values([bias, w0 * x0, w1 * x1, ...])`.

    The products are made in place rather than through operator dispatch and `_node` (the same
    nodes and floats, a third of the cost); inside `no_grad` or `detect_anomaly` it takes the
    ordinary path, so those modes behave as for any op.

    >>> w, x = [Value(2.0), Value(3.0)], [Value(1.0), 0.5]
    >>> out = affine(w, x, Value(1.0))     # 1 + 2 * 1 + 3 * 0.5
    >>> out.data, out.op, [p.op for p in out.parents]
    (4.5, 'sum', ['', '*', '*'])
    """
    if not mode.grad_enabled or mode.anomaly_enabled:
        return sum_values([bias, *(w * x for w, x in zip(weights, inputs))])
    parents = [bias]
    total = bias.data
    for w, x in zip(weights, inputs):
        if x.__class__ is not Value:
            x = _lift(x, "*")
        product = _new(Value)  # = w * x, as _node would make it
        product.data = data = w.data * x.data
        product.grad = 0.0
        product.label = ""
        product.op = MUL
        product.parents = (w, x)
        parents.append(product)
        total += data
    return _node(total, sum_op(len(parents)), tuple(parents))
