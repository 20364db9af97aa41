"""Elementwise ops: arithmetic and the elementary functions, on floats and arrays alike.

Each entry is the op's whole story: forward on floats (with its domain errors) and on arrays, the
local derivative (one rule, in the generic math of `core`, for Values and Tensors, first order
and differentiable), its formula for `explain`, and its replay source for `trace`. Inputs of an
array op broadcast; rules are written at the output's shape and the engine sums them back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .core import (
    DomainError,
    Op,
    Replay,
    data_of,
    ieee_power,
    is_array,
    log,
    mask_of,
    power,
    reciprocal,
    register,
    sigmoid,
    sigmoid_array,
    sigmoid_float,
    sign,
    step,
    weights_of_max,
)
from .core import cos as _cos
from .core import sin as _sin

__all__ = [
    "ABS",
    "ADD",
    "ATAN",
    "COS",
    "DIV",
    "EXP",
    "EXPM1",
    "LOG",
    "LOG1P",
    "MAXIMUM",
    "MINIMUM",
    "MUL",
    "NEG",
    "POW",
    "POWC",
    "RELU",
    "SIGMOID",
    "SIN",
    "SOFTPLUS",
    "SUB",
    "TANH",
    "WHERE",
    "checked_power",
]


# -------------------------------------------------------------------- forwards on floats


def checked_power(a: float, b: float) -> float:
    """a ** b with the domain errors named, never a complex number or a silent inf."""
    if a == 0.0 and b < 0.0:
        raise ZeroDivisionError(f"**: 0.0 cannot be raised to a negative power ({b!r})")
    if a < 0.0 and not b.is_integer():
        raise DomainError(f"**: negative base {a!r} to the non-integer power {b!r} is not real")
    try:
        return a**b
    except OverflowError:
        raise OverflowError(f"**: overflow, {a!r} ** {b!r} is too large for a float") from None


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp: overflow, exp({x!r}) is too large for a float") from None


def _log(x: float) -> float:
    if x <= 0.0:
        raise DomainError(f"log: input must be > 0, got {x!r}")
    return math.log(x)


def _divide(a: float, b: float) -> float:
    if b == 0.0:
        raise ZeroDivisionError(f"/: division by zero ({a!r} / {b!r})")
    return a / b


def _finite_only(name: str, fn: Callable[[float], float]) -> Callable[[float], float]:
    """fn for finite x only: fn(+-inf) is a DomainError naming the op (PyTorch gives nan)."""

    def scalar(x: float) -> float:
        try:
            return fn(x)
        except ValueError:
            raise DomainError(f"{name}: input must be finite, got {x!r}") from None

    return scalar


_sin_float = _finite_only("sin", math.sin)
_cos_float = _finite_only("cos", math.cos)


def _relu(x: float) -> float:
    return 0.0 if x <= 0.0 else x  # NaN passes through


def _softplus(x: float) -> float:
    # max(x, 0) + ln(1 + e^-|x|): exp never sees a positive argument, so nothing overflows.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _relu_array(a: Any) -> Any:
    # Against the scalar 0, not an array of zeros: numpy's loop for two arrays is faster on a
    # small array (5 against 8 us at (64, 300) float32, hot in cache), but the second array costs
    # a LeNet step 4-15% (paired in-process rounds), its conv activations being 1.2 MB each.
    return np.maximum(a, 0)


def _softplus_array(a: Any) -> Any:
    return np.maximum(a, 0) + np.log1p(np.exp(-np.abs(a)))


# -------------------------------------------------------------------- derivatives needing a helper


def _pow_base(a: Any, b: Any) -> Any:
    # d a^b/da = b a^(b-1). Where b = 0, a^b = 1 is constant in a: its slope is exactly 0 (the
    # product is 0 * inf at a = 0 or where a^-1 overflows, 0 * nan at nan). On Values the product
    # is kept where it is finite, for its dependence on b (d^2/da db = 1/a at b = 0).
    x, y = data_of(a), data_of(b)
    if x.__class__ is float and y.__class__ is float:
        if y == 0.0 and (not hasattr(a, "parents") or not math.isfinite(ieee_power(x, -1.0))):
            return 0.0
        return b * power(a, b - 1.0)
    if is_array(a) or is_array(b):
        with np.errstate(all="ignore"):
            return np.where(b == 0, 0.0, b * np.power(a, b - 1.0))
    return b * power(a, b - 1.0)


def _pow_exponent(out: Any, a: Any, b: Any) -> Any:
    # d a^b/db = a^b ln a, real only for a > 0. At a = 0: 0 for b >= 0 (PyTorch's convention),
    # and a^b ln a = inf * -inf for b < 0. Below 0 (or at nan) nan, kept as a function of `out`
    # so a second derivative is nan too (the Hessian stays symmetric), never a constant 0.
    x, y = data_of(a), data_of(b)
    if x.__class__ is float and y.__class__ is float:
        if x > 0.0:
            return out * log(a)
        if x == 0.0 and y >= 0.0:
            return 0.0
        return out * (-math.inf if x == 0.0 else math.nan)
    if is_array(a) or is_array(out):
        with np.errstate(all="ignore"):
            d = out * np.log(np.where(a < 0, np.nan, a))
        return np.where((a == 0) & (b >= 0), 0.0, d)
    return out * log(a + (x == 0))  # Tensor nodes: a with its zeros replaced by ones


def _powc_slope(x: Any, c: float) -> Any:
    # d(x^c)/dx = c x^(c-1); for c = 0, x^0 = 1 is constant: its slope is exactly 0 everywhere
    # (not 0 * x^-1, which is 0 * inf at 0), so d^2(x^1)/dx^2 is 0 too.
    return 0.0 if c == 0.0 else c * power(x, c - 1.0)


_NS = {
    "_np": np,
    "_inf": math.inf,
    "_nan": math.nan,
    "_exp": math.exp,
    "_log": math.log,
    "_tanh": math.tanh,
    "_sin": math.sin,
    "_cos": math.cos,
    "_log1p": math.log1p,
    "_sigmoid": sigmoid_float,
    "_np_sigmoid": sigmoid_array,
    "_sign": sign,
    "_power": checked_power,  # the checked a ** b of the engine: domain errors are named
    "_pow_base": _pow_base,  # the very rules: they run on floats and on arrays
    "_pow_exponent": _pow_exponent,
    "_powc_slope": _powc_slope,
}


# -------------------------------------------------------------------- the entries

# Addition: d(a + b)/da = 1, d(a + b)/db = 1.
ADD = register(
    Op(
        "+",
        2,
        scalar=lambda a, b: a + b,
        array=np.add,
        derivatives=(1.0, 1.0),
        formula=lambda s, xs, p: f"{xs[0]} + {xs[1]}",
        derivative_formulas=lambda s, xs, out, p: ["1", "1"],
        replay=Replay("{a} + {b}", "{a} + {b}", ("1.0", "1.0"), namespace=_NS),
    )
)

# Subtraction: d(a - b)/da = 1, d(a - b)/db = -1. A primitive rather than a + b * -1: the
# commonest op of losses (residuals, margins, shifts) then costs one node, not three.
SUB = register(
    Op(
        "-",
        2,
        scalar=lambda a, b: a - b,
        array=np.subtract,
        derivatives=(1.0, -1.0),
        formula=lambda s, xs, p: f"{xs[0]} - {xs[1]}",
        derivative_formulas=lambda s, xs, out, p: ["1", "-1"],
        replay=Replay("{a} - {b}", "{a} - {b}", ("1.0", "-1.0"), namespace=_NS),
    )
)

# Negation: d(-a)/da = -1. A primitive for the same reason: one node rather than a * -1.
NEG = register(
    Op(
        "neg",
        1,
        scalar=lambda a: -a,
        array=np.negative,
        derivatives=(-1.0,),
        formula=lambda s, xs, p: f"-{xs[0]}",
        derivative_formulas=lambda s, xs, out, p: ["-1"],
        replay=Replay("-{a}", "-{a}", ("-1.0",), namespace=_NS),
    )
)

# Multiplication: d(ab)/da = b, d(ab)/db = a.
MUL = register(
    Op(
        "*",
        2,
        scalar=lambda a, b: a * b,
        array=np.multiply,
        derivatives=lambda out, a, b: (b, a),
        formula=lambda s, xs, p: s.times.join(xs),
        derivative_formulas=lambda s, xs, out, p: [xs[1], xs[0]],
        replay=Replay("{a} * {b}", "{a} * {b}", ("{b}", "{a}"), namespace=_NS),
    )
)

# Division: d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -(a/b)/b. (A Value's `/` is the composition
# a * b^-1; the Tensor's is this primitive, one node.)
DIV = register(
    Op(
        "/",
        2,
        scalar=_divide,
        array=np.divide,
        derivatives=lambda out, a, b: (1.0 / b, -out / b),
        formula=lambda s, xs, p: f"{xs[0]} / {xs[1]}",
        derivative_formulas=lambda s, xs, out, p: [
            s.frac("1", xs[1]),
            "-" + s.frac(xs[0], s.power(xs[1], "2")),
        ],
        replay=Replay(
            "_divide({a}, {b})",
            "{a} / {b}",
            ("1.0 / {b}", "-{out} / {b}"),
            namespace={**_NS, "_divide": _divide},
        ),
    )
)

# Power, a node exponent: d(a^b)/da = b a^(b-1), d(a^b)/db = a^b ln a.
POW = register(
    Op(
        "**",
        2,
        scalar=checked_power,
        array=lambda a, b: np.power(a, b),
        derivatives=lambda out, a, b: (_pow_base(a, b), _pow_exponent(out, a, b)),
        formula=lambda s, xs, p: s.power(xs[0], xs[1]),
        derivative_formulas=lambda s, xs, out, p: [
            s.times.join((xs[1], s.power(xs[0], f"{xs[1]} - 1"))),
            s.times.join((out, s.call("ln", xs[0]))),
        ],
        replay=Replay(
            "_power({a}, {b})",
            "_np.power({a}, {b})",
            ("_pow_base({a}, {b})", "_pow_exponent({out}, {a}, {b})"),
            namespace=_NS,
        ),
        paren_operands=True,
    )
)


def _powc_formulas(s: Any, xs: list, out: str, p: tuple) -> list:
    (c,) = p
    if c - 1.0 == 0.0:
        return [s.num(c)]
    if c - 1.0 == 1.0:
        return [s.times.join((s.num(c), xs[0]))]
    return [s.times.join((s.num(c, paren=True), s.power(xs[0], s.num(c - 1.0))))]


# Power, a constant exponent c (a parameter): d(x^c)/dx = c x^(c-1).
POWC = register(
    Op(
        "**c",
        1,
        scalar=checked_power,
        array=lambda a, c: np.power(a, c),
        derivatives=lambda out, x, c: (_powc_slope(x, c),),
        formula=lambda s, xs, p: s.power(xs[0], s.num(p[0])),
        derivative_formulas=_powc_formulas,
        replay=Replay(
            "_power({a}, {c})",
            "_np.power({a}, {c})",
            ("_powc_slope({a}, {c})",),  # {c}: the exponent
            namespace=_NS,
        ),
        params=("exponent",),
        paren_operands=True,
    ),
    namer=lambda c: f"**{c:g}",
)

# exp: d e^x/dx = e^x, the output itself.
EXP = register(
    Op(
        "exp",
        1,
        scalar=_exp,
        array=np.exp,
        derivatives=lambda out, x: (out,),
        formula=lambda s, xs, p: s.call("exp", xs[0]),
        derivative_formulas=lambda s, xs, out, p: [s.call("exp", xs[0])],
        replay=Replay("_exp({a})", "_np.exp({a})", ("{out}",), namespace=_NS),
    )
)

# log: d ln x/dx = 1/x.
LOG = register(
    Op(
        "log",
        1,
        scalar=_log,
        array=np.log,
        derivatives=lambda out, x: (reciprocal(x),),
        formula=lambda s, xs, p: s.call("log", xs[0]),
        derivative_formulas=lambda s, xs, out, p: [s.frac("1", xs[0])],
        replay=Replay("_log({a})", "_np.log({a})", ("1.0 / {a}",), namespace=_NS),
    )
)

# tanh: d tanh x/dx = 1 - tanh^2 x. math.tanh saturates cleanly to +-1, never overflows.
TANH = register(
    Op(
        "tanh",
        1,
        scalar=math.tanh,
        array=np.tanh,
        derivatives=lambda out, x: (1.0 - out * out,),
        formula=lambda s, xs, p: s.call("tanh", xs[0]),
        derivative_formulas=lambda s, xs, out, p: [f"1 - {s.power(out, '2')}"],
        replay=Replay("_tanh({a})", "_np.tanh({a})", ("1.0 - {out} * {out}",), namespace=_NS),
    )
)

# sigmoid: d s/dx = s (1 - s). A primitive (not 1/(1+e^-x)) so it never overflows.
SIGMOID = register(
    Op(
        "sigmoid",
        1,
        scalar=sigmoid_float,
        array=sigmoid_array,
        derivatives=lambda out, x: (out * (1.0 - out),),
        formula=lambda s, xs, p: s.call("sigmoid", xs[0]),
        derivative_formulas=lambda s, xs, out, p: [s.times.join((out, f"(1 - {out})"))],
        replay=Replay(
            "_sigmoid({a})", "_np_sigmoid({a})", ("{out} * (1.0 - {out})",), namespace=_NS
        ),
    )
)

# relu: d max(x, 0)/dx = 1 for x > 0, else 0 (0 at x = 0, as PyTorch). NaN passes through.
RELU = register(
    Op(
        "relu",
        1,
        scalar=_relu,
        array=_relu_array,
        derivatives=lambda out, x: (step(x),),
        formula=lambda s, xs, p: s.call("relu", xs[0]),
        derivative_formulas=lambda s, xs, out, p: [s.indicator(f"{xs[0]} > 0")],
        # The kink: a conditional expression on floats, a comparison mask on arrays.
        replay=Replay(
            "(0.0 if {a} <= 0.0 else {a})",
            "_np.where({a} <= 0.0, 0.0, {a})",
            ("(1.0 if {a} > 0.0 else 0.0)",),
            ("({a} > 0.0)",),
            namespace=_NS,
        ),
    )
)

# abs: d|x|/dx = sign x (0 at x = 0, as PyTorch).
ABS = register(
    Op(
        "abs",
        1,
        scalar=abs,
        array=np.abs,
        derivatives=lambda out, x: (sign(x),),
        formula=lambda s, xs, p: s.abs(xs[0]),
        derivative_formulas=lambda s, xs, out, p: [s.call("sign", xs[0])],
        replay=Replay("abs({a})", "_np.abs({a})", ("_sign({a})",), namespace=_NS),
    )
)

# softplus: d ln(1 + e^x)/dx = sigmoid x.
SOFTPLUS = register(
    Op(
        "softplus",
        1,
        scalar=_softplus,
        array=_softplus_array,
        derivatives=lambda out, x: (sigmoid(x),),
        formula=lambda s, xs, p: s.call("softplus", xs[0]),
        derivative_formulas=lambda s, xs, out, p: [s.call("sigmoid", xs[0])],
        replay=Replay(
            "max({a}, 0.0) + _log1p(_exp(-abs({a})))",
            "_np.maximum({a}, 0.0) + _np.log1p(_np.exp(-_np.abs({a})))",
            ("_sigmoid({a})",),
            ("_np_sigmoid({a})",),
            namespace=_NS,
        ),
    )
)

# sin, cos: d sin x/dx = cos x, d cos x/dx = -sin x.
SIN = register(
    Op(
        "sin",
        1,
        scalar=_sin_float,
        array=np.sin,
        derivatives=lambda out, x: (_cos(x),),
        formula=lambda s, xs, p: s.call("sin", xs[0]),
        derivative_formulas=lambda s, xs, out, p: [s.call("cos", xs[0])],
        replay=Replay("_sin({a})", "_np.sin({a})", ("_cos({a})",), ("_np.cos({a})",), _NS),
    )
)
COS = register(
    Op(
        "cos",
        1,
        scalar=_cos_float,
        array=np.cos,
        derivatives=lambda out, x: (-_sin(x),),
        formula=lambda s, xs, p: s.call("cos", xs[0]),
        derivative_formulas=lambda s, xs, out, p: ["-" + s.call("sin", xs[0])],
        replay=Replay("_cos({a})", "_np.cos({a})", ("-_sin({a})",), ("-_np.sin({a})",), _NS),
    )
)


# atan: d atan x/dx = 1 / (1 + x^2).
ATAN = register(
    Op(
        "atan",
        1,
        scalar=math.atan,
        array=np.arctan,
        derivatives=lambda out, x: (1.0 / (1.0 + x * x),),
        formula=lambda s, xs, p: s.call("atan", xs[0]),
        derivative_formulas=lambda s, xs, out, p: [s.frac("1", f"1 + {s.power(xs[0], '2')}")],
        method="atan",
    )
)


def _log1p(x: float) -> float:
    if x <= -1.0:
        raise DomainError(f"log1p: input must be > -1, got {x!r}")
    return math.log1p(x)


def _expm1(x: float) -> float:
    try:
        return math.expm1(x)
    except OverflowError:
        raise OverflowError(f"expm1: overflow, expm1({x!r}) is too large for a float") from None


# log1p: d ln(1 + x)/dx = 1 / (1 + x); accurate where x is tiny (no 1 + x rounding).
LOG1P = register(
    Op(
        "log1p",
        1,
        scalar=_log1p,
        array=np.log1p,
        derivatives=lambda out, x: (1.0 / (1.0 + x),),
        formula=lambda s, xs, p: s.call("log1p", xs[0]),
        derivative_formulas=lambda s, xs, out, p: [s.frac("1", f"1 + {xs[0]}")],
        method="log1p",
    )
)

# expm1: d (e^x - 1)/dx = e^x = out + 1; accurate where x is tiny.
EXPM1 = register(
    Op(
        "expm1",
        1,
        scalar=_expm1,
        array=np.expm1,
        derivatives=lambda out, x: (out + 1.0,),
        formula=lambda s, xs, p: s.call("expm1", xs[0]),
        derivative_formulas=lambda s, xs, out, p: [f"{out} + 1"],
        method="expm1",
    )
)


def _pick(a: float, b: float, first: bool) -> float:
    # NaN wins, as numpy's maximum and minimum: a comparison with NaN is always False.
    if a != a or b != b:
        return math.nan
    return a if first else b


# maximum, minimum: the gradient goes to the larger (smaller) input, shared equally at a tie.
MAXIMUM = register(
    Op(
        "maximum",
        2,
        scalar=lambda a, b: _pick(a, b, a >= b),
        array=np.maximum,
        derivatives=lambda out, a, b: weights_of_max(a, b),
        formula=lambda s, xs, p: s.call("max", *xs),
        derivative_formulas=lambda s, xs, out, p: [
            s.indicator(f"{xs[0]} > {xs[1]}"),
            s.indicator(f"{xs[1]} > {xs[0]}"),
        ],
        method="maximum",
    )
)
MINIMUM = register(
    Op(
        "minimum",
        2,
        scalar=lambda a, b: _pick(a, b, a <= b),
        array=np.minimum,
        derivatives=lambda out, a, b: weights_of_max(b, a),  # the smaller one gets it
        formula=lambda s, xs, p: s.call("min", *xs),
        derivative_formulas=lambda s, xs, out, p: [
            s.indicator(f"{xs[0]} < {xs[1]}"),
            s.indicator(f"{xs[1]} < {xs[0]}"),
        ],
        method="minimum",
    )
)


def _condition(s: Any, p: tuple) -> list:
    """A Tensor's condition (an array) by name in where's formula; a Value's is a fixed bool."""
    return [s.text("condition")] if p and np.ndim(p[0]) else []


def _where_formulas(s: Any, xs: list, out: str, p: tuple) -> list:
    if p and np.ndim(p[0]):  # entry by entry: 1 where the condition holds, else 0
        held = s.indicator(s.text("condition"))
        return [held, f"1 - {held}"]
    return ["1", "0"] if p and p[0] else ["0", "1"]


# where(c, a, b) = a where the condition c holds, else b: d/da = c, d/db = 1 - c. The condition
# is a parameter (a bool for a Value, a boolean array for a Tensor), not an input.
WHERE = register(
    Op(
        "where",
        2,
        scalar=lambda a, b, condition: a if condition else b,
        array=lambda a, b, condition: np.where(condition, a, b),
        derivatives=lambda out, a, b, condition: mask_of(condition),
        formula=lambda s, xs, p: s.call("where", *_condition(s, p), *xs),
        derivative_formulas=_where_formulas,
        params=("condition",),
        method="where",
    )
)
