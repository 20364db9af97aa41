"""Derivatives as return values: `grad`, `value_and_grad`, `jacobian`, `hessian`, `hvp`.

`Value.backward()` accumulates into `.grad` of every node. These functions leave every `.grad`
untouched and return the derivatives instead, so they compose: differentiate a gradient to get a
Hessian, call them inside a training step without disturbing it.

`grad` works on a graph you built. The others transform a plain function of numbers:

- Each argument of `f` is a number, a (nested) list or tuple of numbers, or a numpy array; `f`
  receives the same structure with a fresh leaf Value in place of each number (an array arrives as
  an object array of Values). Values passed in count as their `.data`.
- Derivatives come back in the argument's structure: a float for a number, lists for lists, a
  float array for an array. `jacobian` and `hessian` return numpy arrays shaped
  (output shape + input shape), as `jax.jacobian` does.

>>> def f(x, y):                          # f = x^2 y
...     return x * x * y
>>> value_and_grad(f, argnums=(0, 1))(3.0, 2.0)   # (f, (df/dx = 2xy, df/dy = x^2))
(18.0, (12.0, 9.0))
>>> hessian(lambda v: v[0] * v[0] * v[1])([3.0, 2.0])
array([[4., 6.],
       [6., 0.]])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .backward import gradients
from .structure import is_container, leaves, rebuild
from .tensor import Tensor
from .value import Value

__all__ = ["grad", "hessian", "hvp", "jacobian", "value_and_grad"]


# ------------------------------------------------------------------------------ on a graph


def grad(outputs, inputs, grad_outputs=None, create_graph: bool = False):
    """d(outputs)/d(inputs), returned rather than written into `.grad` (no `.grad` changes).

    `outputs` is a Value or a list of Values (their gradients add up, each weighted by its entry of
    `grad_outputs`, default 1.0: a vector-Jacobian product). `inputs` is a Value (one gradient
    comes back) or a list of Values (a list comes back). An input the outputs do not depend on gets
    0.0. With `create_graph=True` the gradients are Values whose graphs can be differentiated again.

    >>> x = Value(3.0)
    >>> y = x * x * x                       # y = x^3
    >>> grad(y, x)                          # 3x^2
    27.0
    >>> (dy,) = grad(y, [x], create_graph=True)
    >>> grad(dy, x)                         # 6x
    18.0
    >>> x.grad                              # untouched
    0.0
    """
    roots = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    if grad_outputs is None:
        seeds = [None if isinstance(r, Tensor) else 1.0 for r in roots]
    else:
        seeds = list(grad_outputs) if isinstance(grad_outputs, (list, tuple)) else [grad_outputs]
        if len(seeds) != len(roots):
            raise ValueError(
                f"grad: {len(roots)} outputs but {len(seeds)} grad_outputs; give one per output"
            )
    for i, x in enumerate(roots):
        if not isinstance(x, (Value, Tensor, int, float)):
            raise TypeError(
                f"grad: outputs[{i}] must be a Value, a Tensor or a number, got {_name(x)}"
            )
        if isinstance(x, Tensor):
            seeds[i] = _tensor_seed(x, seeds[i], i)
    single = not isinstance(inputs, (list, tuple))
    targets = [inputs] if single else list(inputs)
    for i, x in enumerate(targets):
        if not isinstance(x, (Value, Tensor)):
            raise TypeError(f"grad: inputs[{i}] must be a Value or a Tensor, got {_name(x)}")
    grads = gradients(roots, seeds, create_graph)
    found = [grads[x] if x in grads else _zero(x, create_graph) for x in targets]
    if not create_graph:  # a Tensor's gradient is an array of its dtype (as `.grad` would be)
        found = [
            np.array(g, dtype=x.data.dtype) if isinstance(x, Tensor) else g
            for x, g in zip(targets, found)
        ]
    return found[0] if single else found


def _tensor_seed(root: Tensor, seed, i: int):
    """The seed of a Tensor output: 1 for one element, else an array of its shape."""
    if seed is None or (isinstance(seed, (int, float)) and root.data.size == 1):
        if root.data.size != 1:
            raise ValueError(
                f"grad: outputs[{i}] has shape {root.shape}; give grad_outputs of that shape"
            )
        return np.ones_like(root.data) * (1.0 if seed is None else seed)
    seed = np.asarray(seed.data if isinstance(seed, Tensor) else seed, dtype=root.data.dtype)
    if seed.shape != root.shape:
        raise ValueError(
            f"grad: grad_outputs[{i}] has shape {seed.shape}, outputs[{i}] has {root.shape}"
        )
    return seed


def _zero(x, create_graph: bool):
    """The gradient of an input the outputs do not depend on."""
    if isinstance(x, Tensor):
        zeros = np.zeros_like(x.data)
        return Tensor(zeros, requires_grad=False) if create_graph else zeros
    return Value(0.0) if create_graph else 0.0


# ------------------------------------------------------------------------------ on functions


def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """A function returning `(f(*args), df/d args[argnums])` for a scalar-valued `f`.

    The value is a float; the gradient has the structure of the argument (a tuple of them when
    `argnums` is a tuple).

    >>> value_and_grad(lambda w: w[0] * w[1] + w[0])([2.0, -3.0])   # d/dw = [w1 + 1, w0]
    (-4.0, [-2.0, 2.0])
    """

    def wrapped(*args):
        lifted, wanted = _lift_args(args, argnums, "value_and_grad")
        out = f(*lifted)
        _check_scalar(out, "value_and_grad")
        xs = [leaf for i in wanted for leaf in leaves(lifted[i])]
        flat = iter(grad(out, xs) if xs else [])
        result = tuple(_mirror(args[i], flat) for i in wanted)
        return _float(out), result if isinstance(argnums, (list, tuple)) else result[0]

    return _named(wrapped, f, "value_and_grad")


def jacobian(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """A function returning the Jacobian of `f` at its arguments, as a numpy array.

    Its shape is the shape of `f`'s output followed by the shape of the argument (a number has
    shape ()), so `J[i, j] = d out_i / d x_j`; a float when both are numbers. One reverse pass per
    output entry over a single recorded graph.

    >>> jacobian(lambda v: [v[0] * v[1], v[0] + v[1]])([2.0, 5.0])
    array([[5., 2.],
           [1., 1.]])
    """

    def wrapped(*args):
        lifted, wanted = _lift_args(args, argnums, "jacobian")
        out = f(*lifted)
        if isinstance(out, Tensor):
            outputs, out_shape = _entries(out), out.shape
        else:
            outputs = leaves(out)
            out_shape = np.shape(rebuild(out, iter([0.0] * len(outputs))))
        jacobians = []
        for i in wanted:
            xs = leaves(lifted[i])
            size = sum(_size(x) for x in xs)
            rows = [
                _flat(grad(y, xs)) if xs and isinstance(y, (Value, Tensor)) else [0.0] * size
                for y in outputs
            ]
            jacobians.append(_array(rows, out_shape + _shape_of(args[i], xs)))
        return tuple(jacobians) if isinstance(argnums, (list, tuple)) else jacobians[0]

    return _named(wrapped, f, "jacobian")


def hessian(f: Callable, argnum: int = 0) -> Callable:
    """A function returning the Hessian of a scalar-valued `f` with respect to one argument.

    `H[i, j] = d2 f / dx_i dx_j`, shaped (argument shape + argument shape); a float for a number.
    Built by differentiating the `create_graph=True` gradient once per entry.

    >>> rosenbrock = lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2
    >>> hessian(rosenbrock)(1.0, 1.0)       # d2f/dx2 = 2 - 400 y + 1200 x^2
    802.0
    """

    def wrapped(*args):
        lifted, (i,) = _lift_args(args, argnum, "hessian")
        out = f(*lifted)
        _check_scalar(out, "hessian")
        xs = leaves(lifted[i])
        first = grad(out, xs, create_graph=True) if xs else []
        rows = [_flat(grad(g, xs)) for g in _components(first)]
        shape = _shape_of(args[i], xs)
        return _array(rows, shape + shape)

    return _named(wrapped, f, "hessian")


def hvp(f: Callable, x, v):
    """The Hessian of scalar-valued `f` at `x` times the vector `v`, without forming the Hessian.

    `x` and `v` have the same structure (a number, a list, an array); so has the result. It is the
    gradient of (grad f . v), two reverse passes whatever the size of `x`.

    >>> hvp(lambda w: w[0] ** 3 * w[1], [1.0, 2.0], [1.0, 0.0])   # H = [[6 x y, 3 x^2], [3 x^2, 0]]
    [12.0, 3.0]
    """
    lifted, _ = _lift_args((x,), 0, "hvp")
    xs = leaves(lifted[0])
    if isinstance(x, Tensor):
        direction = np.asarray(_data(v), dtype=float)
        if direction.shape != x.shape:
            raise ValueError(f"hvp: x has shape {x.shape} but v has shape {direction.shape}")
        out = f(lifted[0])
        _check_scalar(out, "hvp")
        (g,) = grad(out, xs, create_graph=True)
        return grad((g * direction).sum(), xs)[0]
    directions = [float(_data(d)) for d in leaves(v)]
    if len(directions) != len(xs):
        raise ValueError(f"hvp: x has {len(xs)} entries but v has {len(directions)}")
    out = f(lifted[0])
    _check_scalar(out, "hvp")
    first = grad(out, xs, create_graph=True) if xs else []
    dot = sum((g * d for g, d in zip(first, directions)), Value(0.0))
    return _mirror(x, iter(grad(dot, xs) if xs else []))


# ------------------------------------------------------------------------------ helpers


def _lift_args(args: tuple, argnums, who: str) -> tuple[list, tuple[int, ...]]:
    """The arguments with a fresh leaf Value for every number, and the argument indices wanted."""
    wanted = tuple(argnums) if isinstance(argnums, (list, tuple)) else (argnums,)
    for i in wanted:
        if not isinstance(i, int) or not -len(args) <= i < len(args):
            raise ValueError(f"{who}: argnums {argnums!r} out of range for {len(args)} arguments")
    wanted = tuple(i % len(args) for i in wanted)
    lifted = [
        Tensor(a.data, dtype=a.data.dtype)  # a fresh leaf Tensor: f's graph starts here
        if isinstance(a, Tensor)
        else rebuild(a, (Value(float(_data(x))) for x in leaves(a)), object)
        for a in args
    ]
    return lifted, wanted


def _mirror(arg, values):
    """`values` (floats; an array for a Tensor) put into the structure of the argument `arg`."""
    if isinstance(arg, Tensor):
        return np.asarray(_data(next(values)), dtype=arg.data.dtype)
    return rebuild(arg, (float(_data(v)) for v in values), float)


def _entries(t: Tensor) -> list:
    """The entries of a Tensor as one-element Tensors (each can be differentiated)."""
    flat = t.reshape(-1)
    return [flat[k] for k in range(t.data.size)]


def _components(grads: list) -> list:
    """Gradients split into scalar nodes: Values as they are, Tensors entry by entry."""
    return [c for g in grads for c in (_entries(g) if isinstance(g, Tensor) else [g])]


def _flat(grads: list) -> list[float]:
    """Gradients as one flat list of floats (a Tensor's gradient array contributes each entry)."""
    return [float(x) for g in grads for x in np.ravel(_data(g))]


def _size(x) -> int:
    return x.data.size if isinstance(x, Tensor) else 1


def _shape_of(arg, xs: list) -> tuple:
    if isinstance(arg, Tensor):
        return arg.shape
    return np.shape(_mirror(arg, iter([0.0] * len(xs))))


def _array(rows: list, shape: tuple):
    array = np.array(rows, dtype=float).reshape(shape)
    return float(array) if array.shape == () else array


def _data(x):
    return x.data if isinstance(x, (Value, Tensor)) else x


def _float(x) -> float:
    return float(_data(x))


def _check_scalar(out, who: str) -> None:
    if isinstance(out, Tensor) and out.data.size == 1:
        return
    if is_container(out) or not isinstance(out, (Value, int, float, np.floating)):
        raise TypeError(
            f"{who}: f must return a scalar (a Value or a number), got {_name(out)}; "
            "use jacobian for several outputs"
        )


def _name(x) -> str:
    return f"{type(x).__name__} of {len(x)}" if isinstance(x, (list, tuple)) else type(x).__name__


def _named(wrapped: Callable, f: Callable, what: str) -> Callable:
    wrapped.__name__ = f"{what}({getattr(f, '__name__', 'f')})"
    wrapped.__doc__ = f"{what} of {getattr(f, '__name__', 'f')}."
    return wrapped
