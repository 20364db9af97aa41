"""The numpy-backed `Tensor`: the engine's idea on arrays. Its operators dispatch to the registry.

Every op is one entry of `autograd.ops`, shared with `Value` where it makes sense: its forward on
arrays, its derivative rule (an elementwise op's local derivative, or a structural op's VJP),
formula and replay. A node's op parameters that vary per call (an axis, a shape, an index) sit in
its `.args`, named by the entry's `params`. Elementwise ops broadcast like numpy; the engine
(`backward.py`) sums each gradient back to its input's shape, so no rule knows about broadcasting.

A node holds its data, grad, op, parents and args (`__slots__`, no closures): dropping the last
reference to a graph frees it by reference counting alone.

>>> x = Tensor([1.0, 2.0, 3.0])
>>> y = (x * x).sum()       # y = sum x_i^2
>>> y.backward()
>>> x.grad                  # dy/dx = 2x
array([2., 4., 6.])
"""

from __future__ import annotations

import math
import numbers
from typing import Any, ClassVar

import numpy as np

from . import mode
from .backward import backward as _backward
from .ops.core import REGISTRY, Op
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
)
from .ops.linalg import MATMUL
from .ops.nn import CROSS_ENTROPY, LOG_SOFTMAX, SOFTMAX
from .ops.reduce import MAX, SUM
from .ops.shape import ASTYPE, GETITEM, RESHAPE, TRANSPOSE

__all__ = ["Tensor", "TensorOp", "cross_entropy", "mse"]

_new = object.__new__
_ndarray = np.ndarray
_REAL = (numbers.Real, np.bool_, np.ndarray)  # what `t + x` accepts besides a Tensor

TensorOp = Op  # the old name of a tensor op entry
LEAF = ""  # the op of a leaf, as for Value


# -------------------------------------------------------------------- the Tensor


class Tensor:
    """An n-dimensional array that remembers how it was computed, so `backward()` can fill grads.

    `data` is a numpy array (float64 unless `dtype` says otherwise: float32 stays float32 through
    every op); `grad` the accumulated d(root)/d(self), an array of the same shape, or None before
    any backward pass; `op` the primitive that made it ("" for a leaf); `parents` its inputs in
    argument order; `args` the op's non-tensor arguments; `label` an optional name.

    Leaves require grad by default; pass `requires_grad=False` for data (inputs, targets): then the
    leaf receives no gradient, and ops whose inputs all need none record no graph.

    >>> w = Tensor([[1.0, -2.0], [3.0, 4.0]], dtype=np.float32)
    >>> x = Tensor([[1.0, 0.5]], dtype=np.float32, requires_grad=False)
    >>> loss = (x @ w).relu().sum()      # relu([2.5, 0.0]).sum()
    >>> loss.backward()
    >>> w.grad                           # x^T, masked where relu was flat
    array([[1. , 0. ],
           [0.5, 0. ]], dtype=float32)
    >>> x.grad is None
    True
    """

    __slots__ = ("args", "data", "grad", "label", "op", "parents", "requires_grad")
    __array_ufunc__ = None  # numpy defers to our reflected ops: ndarray + Tensor is a Tensor
    data: np.ndarray
    grad: Any  # None before a backward pass, then an array (a Tensor with create_graph)
    label: str
    op: Any  # an Op, or "" for a leaf
    parents: tuple
    args: tuple
    requires_grad: bool
    _from_op: ClassVar[Any]  # set below: applies any registry op to Tensors

    def __init__(self, data, dtype=None, requires_grad: bool = True, label: str = ""):
        if isinstance(data, Tensor):
            data = data.data
        try:
            array = np.asarray(data)
        except ValueError as exc:
            raise ValueError(f"Tensor: {exc}") from None
        if array.dtype.kind not in "biuf":
            raise TypeError(
                f"Tensor: data must be real numbers, got {type(data).__name__}"
                f" ({array.dtype} array)"
            )
        if dtype is None:
            dtype = array.dtype if array.dtype.kind == "f" else np.float64
        elif np.dtype(dtype).kind != "f":
            raise TypeError(f"Tensor: dtype must be a float type, got {np.dtype(dtype)}")
        if label.__class__ is not str:
            raise TypeError(f"Tensor: label must be a str, got {type(label).__name__}")
        self.data = array.astype(dtype)  # a copy: the Tensor owns its data
        self.grad = None
        self.op = LEAF
        self.parents = ()
        self.args = ()
        self.label = label
        self.requires_grad = bool(requires_grad)

    # ---------------------------------------------------------------- constructors
    @classmethod
    def zeros(cls, *shape, dtype=np.float64, requires_grad: bool = True) -> Tensor:
        """A leaf of zeros: `Tensor.zeros(2, 3)` or `Tensor.zeros((2, 3))`."""
        return _leaf(np.zeros(_shape(shape), dtype), requires_grad)

    @classmethod
    def ones(cls, *shape, dtype=np.float64, requires_grad: bool = True) -> Tensor:
        """A leaf of ones."""
        return _leaf(np.ones(_shape(shape), dtype), requires_grad)

    @classmethod
    def from_numpy(cls, array: np.ndarray, dtype=None, requires_grad: bool = False) -> Tensor:
        """A leaf sharing `array`'s memory (no copy when it already has the dtype), as
        torch.from_numpy: for data batches that are fresh arrays anyway. Integer arrays become
        float64 (or `dtype`).

        >>> a = np.zeros(3, dtype=np.float32)
        >>> Tensor.from_numpy(a).data is a
        True
        """
        array = np.asarray(array)
        if dtype is None:
            dtype = array.dtype if array.dtype.kind == "f" else np.float64
        return _leaf(array.astype(dtype, copy=False), requires_grad)

    @classmethod
    def randn(cls, *shape, rng=None, dtype=np.float64, requires_grad: bool = True) -> Tensor:
        """A leaf of standard normal samples; `rng` is a seed or a `np.random.Generator`.

        >>> Tensor.randn(2, 3, rng=0).shape
        (2, 3)
        """
        array = np.random.default_rng(rng).standard_normal(_shape(shape))
        return _leaf(array.astype(dtype, copy=False), requires_grad)

    # ---------------------------------------------------------------- array-like protocol
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def __len__(self) -> int:
        if not self.data.ndim:
            raise TypeError("len() of a 0-d Tensor")
        return len(self.data)

    def item(self) -> float:
        """The single number in a one-element tensor, as a Python float."""
        if self.data.size != 1:
            raise ValueError(
                f"item: tensor of shape {self.data.shape} has {self.data.size} elements, expected 1"
            )
        return self.data.item()

    def __float__(self) -> float:
        return self.item()

    def __bool__(self) -> bool:  # as numpy: only a one-element tensor has a truth value
        return bool(self.data)

    def numpy(self) -> np.ndarray:
        """The data array itself (shared, not copied)."""
        return self.data

    def __repr__(self) -> str:
        body = np.array2string(
            self.data, separator=", ", precision=4, threshold=20, edgeitems=2, prefix="Tensor("
        )
        extra = f", dtype={self.data.dtype}" if self.data.dtype != np.float64 else ""
        if self.parents:
            extra += f", op={str(self.op)!r}"
        elif not self.requires_grad:
            extra += ", requires_grad=False"
        if self.label:
            extra += f", label={self.label!r}"
        return f"Tensor({body}{extra})"

    # ---------------------------------------------------------------- elementwise arithmetic
    def __add__(self, other) -> Tensor:
        return _apply(ADD, (self, _lift(other, self, "+")))

    def __radd__(self, other) -> Tensor:
        return _apply(ADD, (_lift(other, self, "+"), self))

    def __sub__(self, other) -> Tensor:
        return _apply(SUB, (self, _lift(other, self, "-")))

    def __rsub__(self, other) -> Tensor:
        return _apply(SUB, (_lift(other, self, "-"), self))

    def __mul__(self, other) -> Tensor:
        return _apply(MUL, (self, _lift(other, self, "*")))

    def __rmul__(self, other) -> Tensor:
        return _apply(MUL, (_lift(other, self, "*"), self))

    def __truediv__(self, other) -> Tensor:
        return _apply(DIV, (self, _lift(other, self, "/")))

    def __rtruediv__(self, other) -> Tensor:
        return _apply(DIV, (_lift(other, self, "/"), self))

    def __pow__(self, exponent) -> Tensor:
        if isinstance(exponent, (float, int)) and not isinstance(exponent, bool):
            return _apply(POWC.bind(float(exponent)), (self,))  # x ** c: c is a parameter
        return _apply(POW, (self, _lift(exponent, self, "**")))

    def __rpow__(self, base) -> Tensor:
        return _apply(POW, (_lift(base, self, "**"), self))

    def __neg__(self) -> Tensor:
        return _apply(NEG, (self,))

    # ---------------------------------------------------------------- elementwise functions
    def exp(self) -> Tensor:
        return _apply(EXP, (self,))

    def log(self) -> Tensor:
        return _apply(LOG, (self,))

    def tanh(self) -> Tensor:
        return _apply(TANH, (self,))

    def sigmoid(self) -> Tensor:
        """1 / (1 + e^-x), stable for any finite x."""
        return _apply(SIGMOID, (self,))

    def relu(self) -> Tensor:
        return _apply(RELU, (self,))

    def abs(self) -> Tensor:
        return _apply(ABS, (self,))

    __abs__ = abs

    def softplus(self) -> Tensor:
        """ln(1 + e^x), stable for any finite x."""
        return _apply(SOFTPLUS, (self,))

    def sin(self) -> Tensor:
        return _apply(SIN, (self,))

    def cos(self) -> Tensor:
        return _apply(COS, (self,))

    def sqrt(self) -> Tensor:  # sqrt x = x^0.5
        return self**0.5

    # ---------------------------------------------------------------- reductions
    def sum(self, axis=None, keepdims: bool = False) -> Tensor:
        """Sum over `axis` (an int, a tuple of ints, or None for all)."""
        return _apply(SUM, (self,), _axes(axis, self.data.shape, "sum"), bool(keepdims))

    def mean(self, axis=None, keepdims: bool = False) -> Tensor:  # mean = sum / count
        axes = _axes(axis, self.data.shape, "mean")
        count = self.data.size if axes is None else math.prod(self.data.shape[i] for i in axes)
        return _apply(SUM, (self,), axes, bool(keepdims)) / count

    def max(self, axis=None, keepdims: bool = False) -> Tensor:
        """Maximum over `axis`; tied maxima share the gradient equally."""
        return _apply(MAX, (self,), _axes(axis, self.data.shape, "max"), bool(keepdims))

    # ---------------------------------------------------------------- shape and indexing
    def astype(self, dtype) -> Tensor:
        """This tensor in another float dtype (torch's `.to(dtype)`), differentiably: its gradient
        comes back in this tensor's dtype."""
        try:
            to = np.dtype(dtype)
        except TypeError:
            to = None
        if to is None or to.kind != "f":
            raise TypeError(f"astype: dtype must be a float dtype, got {dtype!r}")
        return _apply(ASTYPE, (self,), to)

    def reshape(self, *shape) -> Tensor:
        """`t.reshape(2, 3)` or `t.reshape((2, -1))`."""
        return _apply(RESHAPE, (self,), _shape(shape))

    def transpose(self, *axes) -> Tensor:
        """Permute the axes (reverse them when none are given)."""
        return _apply(
            TRANSPOSE, (self,), _permutation(_shape(axes), self.data.shape) if axes else None
        )

    @property
    def T(self) -> Tensor:  # numpy's spelling
        return _apply(TRANSPOSE, (self,), None)

    def __getitem__(self, index) -> Tensor:
        """Basic (ints, slices, None, ...) and integer-array indexing, as numpy."""
        return _apply(GETITEM, (self,), index)

    # ---------------------------------------------------------------- linear algebra
    def __matmul__(self, other) -> Tensor:
        return _matmul(self, _lift(other, self, "matmul"))

    def __rmatmul__(self, other) -> Tensor:
        return _matmul(_lift(other, self, "matmul"), self)

    matmul = __matmul__

    # ---------------------------------------------------------------- softmax family and losses
    def softmax(self, axis: int = -1) -> Tensor:
        """e^x / sum e^x along `axis`, computed without overflow."""
        return _apply(SOFTMAX, (self,), _axis(axis, self.data.shape, "softmax"))

    def log_softmax(self, axis: int = -1) -> Tensor:
        """x - logsumexp(x) along `axis`, computed without overflow."""
        return _apply(LOG_SOFTMAX, (self,), _axis(axis, self.data.shape, "log_softmax"))

    def cross_entropy(self, targets) -> Tensor:
        """Mean cross-entropy of logits `self` (batch, classes) against integer class `targets`.

        >>> Tensor([[1000.0, -1000.0]]).cross_entropy([1]).item()
        2000.0
        """
        return _apply(CROSS_ENTROPY, (self,), _targets(self.data.shape, targets))

    def mse(self, target) -> Tensor:  # mean of (self - target)^2
        d = self - target
        return (d * d).mean()

    # ---------------------------------------------------------------- autograd
    def backward(self, gradient=None, create_graph: bool = False) -> None:
        """Add d(self)/d(node) * gradient to `.grad` of every node this tensor depends on.

        `gradient` defaults to 1 for a one-element tensor (a loss). Gradients accumulate across
        calls, as in PyTorch: call `zero_grad()` between steps. With `create_graph=True` each
        `.grad` becomes a Tensor that can be differentiated again (second derivatives).

        >>> x = Tensor([1.0, 2.0])
        >>> (x * x * x).sum().backward(create_graph=True)     # grad = 3x^2
        >>> x.grad.sum().backward()                            # adds d(sum 3x^2)/dx = 6x
        >>> x.grad.data
        array([ 9., 24.])
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad (all its leaves have "
                "requires_grad=False, or it was computed under no_grad)"
            )
        if gradient is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward: a tensor of shape {self.data.shape} needs an explicit gradient "
                    "of that shape (only one-element tensors default to 1)"
                )
            seed = np.ones_like(self.data)
        else:
            given = np.asarray(gradient.data if isinstance(gradient, Tensor) else gradient)
            if given.dtype.kind not in "biuf":
                raise TypeError(
                    "backward: gradient must be a Tensor, an array or a number of real values, "
                    f"got {type(gradient).__name__} ({gradient!r:.60})"
                )
            seed = given.astype(self.data.dtype)
            if seed.shape != self.data.shape:
                raise ValueError(
                    f"backward: gradient shape {seed.shape} does not match tensor shape "
                    f"{self.data.shape}"
                )
        _backward(self, seed, create_graph)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (`grad` back to None)."""
        self.grad = None

    def detach(self) -> Tensor:
        """A new leaf sharing this data, cut off from the graph and requiring no grad."""
        return _leaf(self.data, False, self.label)


def cross_entropy(logits: Tensor, targets) -> Tensor:
    """Mean cross-entropy of `logits` (batch, classes) against integer class `targets`."""
    return logits.cross_entropy(targets)


def mse(prediction: Tensor, target) -> Tensor:
    """Mean squared error."""
    return prediction.mse(target)


# -------------------------------------------------------------------- building nodes


def _leaf(array: np.ndarray, requires_grad: bool, label: str = "") -> Tensor:
    t = _new(Tensor)
    t.data = array
    t.grad = None
    t.op = LEAF
    t.parents = ()
    t.args = ()
    t.label = label
    t.requires_grad = requires_grad
    return t


def _apply(op: Op, inputs: tuple, *args) -> Tensor:
    """Run a primitive forward and make its output node; every op goes through here.

    The graph is recorded only when grad mode is on and some input requires grad.
    """
    try:
        out = op.array(*[t.data for t in inputs], *op.args, *args)
    except (ValueError, IndexError) as exc:
        raise _shape_error(op, inputs, exc) from None
    if op.saves:
        out, saved = out
        args = (*args, saved)
    if out.__class__ is not _ndarray:
        out = np.asarray(out)  # ufuncs and reductions return numpy scalars for 0-d results
    if mode.anomaly_enabled and not np.isfinite(out).all():
        raise FloatingPointError(
            f"{op}: produced {np.size(out) - np.isfinite(out).sum()} NaN/inf value(s) from "
            f"inputs of shape {', '.join(str(t.data.shape) for t in inputs)}"
        )
    node = _new(Tensor)
    node.data = out
    node.grad = None
    node.label = ""
    if mode.grad_enabled:
        for t in inputs:
            if t.requires_grad:
                node.op = op
                node.parents = inputs
                node.args = args
                node.requires_grad = True
                return node
    node.op = LEAF
    node.parents = ()
    node.args = ()
    node.requires_grad = False
    return node


def _lift(x, like: Tensor, op: str) -> Tensor:
    """A Tensor as is; a number or array as a constant leaf of `like`'s dtype; else TypeError."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, _REAL):
        return _leaf(np.asarray(x, dtype=like.data.dtype), False)
    raise TypeError(
        f"{op}: expected a Tensor, a real number or a numpy array, got {type(x).__name__}"
    )


def _matmul(a: Tensor, b: Tensor) -> Tensor:
    sa, sb = a.data.shape, b.data.shape
    if not sa or not sb:
        raise ValueError(f"matmul: operands need at least one dimension, got shapes {sa} and {sb}")
    inner = sb[0] if len(sb) == 1 else sb[-2]
    if sa[-1] != inner:
        raise ValueError(f"matmul: shapes {sa} and {sb} do not align ({sa[-1]} != {inner})")
    return _apply(MATMUL, (a, b))


def _shape_error(op: Op, inputs: tuple, exc: Exception) -> Exception:
    shapes = " and ".join(str(t.data.shape) for t in inputs)
    if op.broadcasts and isinstance(exc, ValueError):
        return ValueError(f"{op}: shapes {shapes} cannot be broadcast together")
    kind = ValueError if isinstance(exc, ValueError) else IndexError
    return kind(f"{op}: {exc} (input shape {shapes})")


def _shape(shape: tuple) -> tuple:
    """`(2, 3)` from either `f(2, 3)` or `f((2, 3))`."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if not isinstance(n, numbers.Integral):
            raise TypeError(f"shape entries must be ints, got {type(n).__name__} in {shape}")
    return tuple(int(n) for n in shape)


def _axis(axis, shape: tuple, op: str) -> int:
    """One axis, checked against `shape` and made non-negative."""
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}")
    axis = int(axis)
    if not -len(shape) <= axis < len(shape):
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor of shape {shape}")
    return axis % len(shape)


def _permutation(axes: tuple, shape: tuple) -> tuple:
    """The axes of `transpose`, each made non-negative (so its VJP can invert them), checked to
    be a permutation of the tensor's axes."""
    if len(axes) != len(shape):
        raise ValueError(
            f"transpose: axes {axes} do not match a tensor of shape {shape} "
            f"({len(axes)} axes for {len(shape)} dimensions)"
        )
    normal = tuple(_axis(a, shape, "transpose") for a in axes)
    if len(set(normal)) != len(normal):
        raise ValueError(f"transpose: repeated axis in {axes}")
    return normal


def _axes(axis, shape: tuple, op: str) -> tuple | None:
    """None (every axis) or a sorted tuple of distinct non-negative axes."""
    if axis is None:
        return None
    if isinstance(axis, numbers.Integral):
        return (_axis(axis, shape, op),)
    if not isinstance(axis, (tuple, list)):
        raise TypeError(
            f"{op}: axis must be an int, a tuple of ints or None, got {type(axis).__name__}"
        )
    axes = tuple(sorted(_axis(a, shape, op) for a in axis))
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: repeated axis in {tuple(axis)}")
    return axes


def _targets(shape: tuple, targets) -> np.ndarray:
    """The positions in `logits.flat` of the target classes, with the targets checked against
    logits of `shape` (batch, classes)."""
    if len(shape) != 2:
        raise ValueError(f"cross_entropy: logits must be 2-D (batch, classes), got shape {shape}")
    t = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    if t.dtype.kind == "f" and np.array_equal(t, np.round(t)):
        t = t.astype(np.intp)
    if t.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: targets must be integer class indices, got {t.dtype}")
    if t.shape != shape[:1]:
        raise ValueError(
            f"cross_entropy: targets shape {t.shape} does not match logits shape {shape} "
            f"(expected ({shape[0]},))"
        )
    if t.size and (t.min() < 0 or t.max() >= shape[1]):
        bad = t[(t < 0) | (t >= shape[1])][0]
        raise ValueError(f"cross_entropy: target {bad} is out of range for {shape[1]} classes")
    return np.arange(0, t.size * shape[1], shape[1]) + t  # positions in logits.flat


Tensor._from_op = staticmethod(_apply)  # how the registry's rules build Tensor nodes


def _param(x: Any) -> Any:
    """A Tensor method's parameter: a Tensor condition becomes its boolean data."""
    return x.data.astype(bool) if isinstance(x, Tensor) else x


def _method(op: Op):
    """The Tensor method of a registry entry: `x.atan()`, `a.maximum(b)`, `a.where(c, b)`."""
    n_params, n_others = len(op.params), (op.arity or 1) - 1

    def method(self, *args):
        if len(args) != n_params + n_others:
            raise TypeError(
                f"{op.method}: takes {n_params + n_others} argument(s), got {len(args)}"
            )
        inputs = (self, *(_lift(x, self, str(op)) for x in args[n_params:]))
        return _apply(op, inputs, *(_param(p) for p in args[:n_params]))

    method.__name__ = str(op.method)
    method.__doc__ = f"The op {str(op)!r} of the registry (`autograd.ops`)."
    return method


def _install_methods() -> None:
    """Give Tensor a method for every registry entry that names one and runs on arrays."""
    for op in list(REGISTRY.values()):
        if op.method and op.array is not None and not hasattr(Tensor, op.method):
            setattr(Tensor, op.method, _method(op))


_install_methods()
