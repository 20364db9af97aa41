"""Your own primitives: a forward on floats and its local derivatives, declared in one place.

`define_op(name, forward, derivatives)` (or the `@primitive(derivatives=...)` decorator) turns a
float function into an op on Values, exactly like the built-in ones: the result is a graph node
whose local derivatives come from your rule, and the one generic backward walks it.

The rule `derivatives(out, *inputs)` returns d out / d input for each input (a bare number is fine
for one input). Write it with arithmetic and Value's methods, or the float-or-Value helpers of
`autograd.value` (`exp`, `log`, `sigmoid`, `sin`, `cos`, `power`), never `math.*`: the same rule
then runs on floats in `backward()` and on Values in `backward(create_graph=True)`, so second
derivatives work. (A `math.exp` in a rule silently freezes the derivative to a constant: gradcheck
with `order=2` catches that.)

>>> import math
>>> @primitive(derivatives=lambda out, x: 1 - out * out)      # d tanh x/dx = 1 - tanh^2 x
... def my_tanh(x):
...     return math.tanh(x)
>>> x = Value(0.5)
>>> y = my_tanh(x)
>>> y.op, round(y.data, 6)
('my_tanh', 0.462117)
>>> y.backward()
>>> round(x.grad, 6)
0.786448
>>> my_tanh(0.5) == math.tanh(0.5)                             # plain floats stay floats
True
"""

from __future__ import annotations

import functools
import inspect
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from .ops.core import REGISTRY, Op
from .tensor import Tensor
from .value import Value, _node

_REAL = (numbers.Real, np.bool_)

__all__ = ["define_op", "primitive"]


def define_op(
    name: str, forward: Callable, derivatives: Any, array: Callable | None = None
) -> Callable:
    """A new primitive op, as a function of Values (and plain numbers), and of Tensors if
    `array` (its forward on numpy arrays) is given.

    `forward(*floats) -> float` computes the value (raise ValueError or ArithmeticError, naming
    the op and the value, outside its domain); `derivatives(out, *inputs)` gives the local
    derivatives (see the module docstring), or is a tuple of constants. The returned function
    takes numbers or Values; with no Value among its arguments it just returns `forward`'s float.
    Its `.op` is the registry entry (`autograd.ops.REGISTRY["custom:" + name]`): its `scalar` is
    `forward`, which `draw_graph(check=True)` and `trace` use. With `array`, the same rule serves
    Tensors: write it with operators and `autograd.ops.core`'s generic `exp`, `log`, ... so it
    runs on arrays too (it is evaluated at the output's shape; broadcasting is undone for you).

    >>> from autograd import Value
    >>> hypot = define_op(
    ...     "hypot",
    ...     lambda a, b: (a * a + b * b) ** 0.5,
    ...     lambda out, a, b: (a / out, b / out),   # d sqrt(a^2 + b^2)/da = a / out
    ... )
    >>> a, b = Value(3.0), Value(4.0)
    >>> c = hypot(a, b)
    >>> c.backward()
    >>> c.data, a.grad, b.grad
    (5.0, 0.6, 0.8)
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"define_op: name must be a non-empty str, got {name!r}")
    if not callable(forward):
        raise TypeError(f"define_op({name!r}): forward must be callable, got {forward!r}")
    rule: Any
    if isinstance(derivatives, (list, tuple)):
        rule = tuple(float(d) for d in derivatives)
    elif callable(derivatives):
        rule = _checked(name, derivatives)
    else:
        raise TypeError(
            f"define_op({name!r}): derivatives must be a function (out, *inputs) -> tuple or a "
            f"tuple of constants, got {derivatives!r}"
        )
    arity = len(rule) if rule.__class__ is tuple else _arity(forward)
    if array is not None and not callable(array):
        raise TypeError(f"define_op({name!r}): array must be callable, got {array!r}")
    op = Op(
        name,
        arity,
        scalar=forward,
        array=array,
        derivatives=rule,
        key=f"custom:{name}",
        custom=True,
    )
    REGISTRY[op.key] = op  # a later define_op of the same name replaces it

    def apply(*args):
        if array is not None and any(isinstance(a, Tensor) for a in args):
            like = next(a for a in args if isinstance(a, Tensor))
            return Tensor._from_op(op, tuple(_tensor(a, like) for a in args))
        if not any(isinstance(a, Value) for a in args):
            return forward(*args)
        inputs = tuple(a if isinstance(a, Value) else Value(_number(name, a)) for a in args)
        if rule.__class__ is tuple and len(rule) != len(inputs):
            raise TypeError(f"{name}: {len(rule)} constant derivatives for {len(inputs)} inputs")
        out = forward(*(v.data for v in inputs))
        return _node(_number(name, out, "forward returned"), op, inputs)

    apply.op = op  # type: ignore[attr-defined]
    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = getattr(forward, "__doc__", None)
    return apply


def primitive(derivatives, name: str | None = None) -> Callable:
    """Decorator form of `define_op`: `@primitive(derivatives=rule)` on the float forward.

    The op is named after the function unless `name` is given.
    """

    def decorate(forward: Callable) -> Callable:
        op = define_op(name or forward.__name__, forward, derivatives)
        functools.update_wrapper(op, forward, assigned=("__module__", "__doc__", "__qualname__"))
        return op

    return decorate


def _checked(name: str, rule: Callable) -> Callable:
    """The user's rule, with its result checked: one derivative per input, a tuple."""

    def derivatives(out, *inputs):
        result = rule(out, *inputs)
        if not isinstance(result, (list, tuple)):
            result = (result,)
        if len(result) != len(inputs):
            raise TypeError(
                f"{name}: derivatives returned {len(result)} value(s) for {len(inputs)} input(s)"
            )
        return tuple(result)

    derivatives.__name__ = f"{name}_derivatives"
    return derivatives


def _tensor(x: Any, like: Tensor) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return Tensor(x, dtype=like.data.dtype, requires_grad=False)


def _arity(forward: Callable) -> int | None:
    """How many inputs `forward` takes (None when it takes any number)."""
    try:
        parameters = inspect.signature(forward).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: math.sin
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return None
    return sum(p.default is p.empty and p.kind is not p.KEYWORD_ONLY for p in parameters)


def _number(name: str, x, what: str = "got") -> float:
    if isinstance(x, _REAL) and not isinstance(x, Value):
        return float(x)
    raise TypeError(f"{name}: expected a real number, {what} {type(x).__name__} ({x!r:.60})")
