"""The `Op` type, the registry, and the generic math every derivative rule is written in.

An op is ONE entry holding everything any part of the library needs:

- `name` (what `node.op` shows and compares equal to: `c.op == "*"`) and `arity` (None: any);
- `scalar(*floats, *params)`: the forward on floats, raising a named error outside the domain;
- `array(*arrays, *params)`: the forward on numpy arrays (None: a scalar-only op);
- `derivatives(out, *inputs, *params)`: for an elementwise op, the local derivative of the
  output with respect to each input (or a tuple of constants), written in the generic math below
  so it runs on floats, arrays, Values and Tensors: the same rule gives the fast first-order pass
  and the differentiable `create_graph` pass, on both node types. Broadcasting is undone by the
  engine, never by a rule;
- or `vjps`: for a structural op (a reduction, reshape, matmul, ...), one vector-Jacobian rule
  `(g, out, *inputs, *params) -> gradient` per input, also written to run on arrays and Tensors;
- `formula(s, xs, params)` and `derivative_formulas(s, xs, out, params)`: the maths for
  `explain`, built from a style `s` (plain text or LaTeX; Markdown uses LaTeX); an elementwise
  op's derivative formulas serve tensors too (applied entry by entry: `g ⊙ d`);
- `vjp_formulas(s, xs, out, g, params, shapes)`: for a structural op, the VJP of each input in
  matrix form (`g @ b^T`, `x ⊗ g`, ...), `g` the output's gradient and `shapes` the inputs';
- `replay`: straight-line source templates for `trace` (None: `trace` calls `scalar` and
  `derivatives` themselves, so every scalar op replays);
- `method`: the name of the node method that applies the op (`x.atan()`, `a.maximum(b)`,
  `a.where(condition, b)`: parameters first, then the other operands), installed on `Value` (if
  the op has `scalar`) and `Tensor` (if it has `array`); the classic operators are written by hand;
- `first_order`: True for an op whose VJPs are numpy kernels on data only (no built-in op: the
  convolutional ones build their VJPs of ops on nodes): no second order, so `create_graph`
  refuses it by name (as `trace` refuses an op without `scalar`);
- `accumulate(g, parents)`: optional (None), a hot-path shortcut of the first-order float pass
  for a variadic op: adds g times each local derivative into each parent's `.grad`, the same
  floats in the same order as `derivatives` (tested bit for bit against the generic engine);
- `params`: the names of its parameters. `op.bind(*values)` gives the op with them fixed (the
  exponent of `x ** c`): fields on the bound op, never parsed from its name. A Tensor node keeps
  its op's parameters in `node.args` instead (an index or an axis per call; no bound op needed).

`register(op)` adds an entry; `REGISTRY` maps each key (the name, unless two ops share one: the
variadic scalar `sum` and the tensor reduction `sum`) to its op.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "REGISTRY",
    "DomainError",
    "Op",
    "Replay",
    "abs_",
    "apply",
    "cos",
    "data_of",
    "exp",
    "ieee_power",
    "is_array",
    "log",
    "mask_of",
    "power",
    "reciprocal",
    "register",
    "sigmoid",
    "sign",
    "sin",
    "step",
    "weights_of_max",
]


class DomainError(ValueError):
    """An op was given an input outside its mathematical domain, e.g. `log(-2.0)`."""


class Replay(NamedTuple):
    """How `trace` writes an op as source: `{a}`, `{b}` (inputs), `{p0}`... (all inputs),
    `{out}`, and `{c}`-style parameter fields; names resolve in `namespace`."""

    scalar: str
    batch: str
    derivatives: tuple[str, ...]
    batch_derivatives: tuple[str, ...] | None = None  # None: the same as `derivatives`
    namespace: dict | None = None


class Op(str):
    """One op of the registry: see the module docstring for the fields."""

    # The rule fields are typed Any: each is a function (or None where the op lacks that form,
    # or a tuple of constants for `derivatives`), and the tools check which before calling.
    arity: int | None
    scalar: Any
    array: Any
    derivatives: Any
    vjps: tuple | None
    formula: Any
    derivative_formulas: Any
    vjp_formulas: Any
    replay: Replay | None
    params: tuple[str, ...]
    args: tuple
    base: Op | None
    key: str
    broadcasts: bool
    saves: bool
    first_order: bool
    custom: bool
    paren_operands: bool
    constant: bool
    method: str | None
    namer: Any
    accumulate: Any
    binder: Any
    _bindings: dict

    def __new__(
        cls,
        name: str,
        arity: int | None,
        *,
        scalar: Callable | None = None,
        array: Callable | None = None,
        derivatives: Any = None,
        vjps: Sequence[Callable] | None = None,
        formula: Callable | None = None,
        derivative_formulas: Callable | None = None,
        vjp_formulas: Callable | None = None,
        replay: Replay | None = None,
        params: Sequence[str] = (),
        key: str | None = None,
        saves: bool = False,
        first_order: bool = False,
        custom: bool = False,
        paren_operands: bool = False,
        method: str | None = None,
    ) -> Op:
        self = super().__new__(cls, name)
        self.arity = arity
        self.scalar = scalar
        self.array = array
        self.derivatives = derivatives
        self.vjps = tuple(vjps) if vjps is not None else None
        self.formula = formula
        self.derivative_formulas = derivative_formulas
        self.vjp_formulas = vjp_formulas
        self.replay = replay
        self.params = tuple(params)
        self.args = ()
        self.base = None
        self.key = key or name
        self.broadcasts = derivatives is not None and arity is not None and arity > 1
        self.saves = saves
        self.first_order = first_order
        self.custom = custom
        self.paren_operands = paren_operands  # explain: (-2)^3 at every operand, not only later
        self.constant = False  # True only for the leaf op of constants the engine made
        self._bindings = {}
        self.method = method  # the node method to install, when no hand-written one exists
        self.namer = None
        self.accumulate = None
        self.binder = None
        return self

    @property
    def elementwise(self) -> bool:
        """Whether the op has a local-derivative rule (elementwise) rather than VJPs."""
        return self.derivatives is not None

    def bind(self, *values: Any) -> Op:
        """The op with its parameters fixed, e.g. `POWC.bind(2.0)` is `x ** 2`."""
        try:
            return self._bindings[values]
        except (KeyError, TypeError):
            pass
        if len(values) != len(self.params):
            raise TypeError(f"{self.key}: takes {len(self.params)} parameter(s), got {values!r}")
        bound = _bind(self, values)
        with contextlib.suppress(TypeError):  # unhashable parameters: not cached
            self._bindings[values] = bound
        return bound

    def vjp(self, g: Any, out: Any, inputs: Sequence, node: Any) -> list:
        """The gradient for each input given the output's gradient `g`, None for an input that
        requires none. `out` and `inputs` are data (first order) or nodes (`create_graph`)."""
        # A bound op's derivative rule already holds its parameters; a Tensor node adds its own.
        node_args = getattr(node, "args", ())
        parents = node.parents
        rule = self.derivatives
        if rule is None:
            args = self.args + node_args
            return [
                vjp(g, out, *inputs, *args) if getattr(p, "requires_grad", True) else None
                for vjp, p in zip(self.vjps or (), parents, strict=True)
            ]
        derivs = rule if rule.__class__ is tuple else rule(out, *inputs, *node_args)
        return [
            None
            if not getattr(p, "requires_grad", True)
            else (g if d.__class__ is float and d == 1.0 else g * d)
            for p, d in zip(parents, derivs, strict=True)
        ]

    def local_derivatives(self, out: Any, inputs: Sequence) -> tuple:
        """d out / d input for each input, at data `out` and `inputs` (an elementwise op)."""
        rule = self.derivatives
        return rule if rule.__class__ is tuple else tuple(rule(out, *inputs))

    def forward(self, *xs: Any) -> Any:
        """The forward on floats with the bound parameters: what checks of the rule perturb."""
        if self.scalar is None:
            raise TypeError(f"{self.key}: has no forward on floats (an array-only op)")
        return self.scalar(*xs, *self.args)


def _bind(op: Op, values: tuple) -> Op:
    bound = Op.__new__(Op, _bound_name(op, values), op.arity)
    bound.__dict__.update(op.__dict__)
    bound.args = values
    bound.base = op
    bound._bindings = {}
    for field, value in zip(op.params, values):
        setattr(bound, field, value)
    binder = op.binder
    if binder is not None:
        binder(bound, *values)
        return bound
    rule = op.derivatives
    if rule is not None and rule.__class__ is not tuple:
        # The scalar hot loop calls `derivatives(out, *inputs)`: close over the parameters.
        if op.arity == 1 and len(values) == 1:
            (c,) = values
            bound.derivatives = lambda out, x: rule(out, x, c)
        else:
            bound.derivatives = lambda out, *xs: rule(out, *xs, *values)
    return bound


def _bound_name(op: Op, values: tuple) -> str:
    namer = op.namer
    return namer(*values) if namer is not None else str(op)


REGISTRY: dict[str, Op] = {}


def register(op: Op, namer: Callable | None = None, binder: Callable | None = None) -> Op:
    """Add `op` to the registry under its key (an existing key is an error) and return it.

    `namer(*params)` names a bound op (`x ** 2` is named "**2"); `binder(bound, *params)`, when
    given, sets up a bound op's rules itself (the n-input sum: n constant derivatives).
    """
    if op.key in REGISTRY:
        raise ValueError(f"register: an op with key {op.key!r} is already registered")
    if op.derivatives is None and op.vjps is None:
        raise TypeError(f"register({op.key!r}): needs derivatives or vjps")
    if namer is not None:
        op.namer = namer
    if binder is not None:
        op.binder = binder
    REGISTRY[op.key] = op
    return op


# -------------------------------------------------------------------- generic math for the rules
# Each runs on a float (math), a numpy array (numpy) or a node (its method), so one rule serves
# every pass. An infinite slope is inf, never an exception: a backward pass never raises where
# its forward succeeded.


def _is_array(x: Any) -> bool:
    return isinstance(x, (np.ndarray, np.generic))


def exp(x: Any) -> Any:
    """e^x; a float overflow is inf."""
    if x.__class__ is float:
        try:
            return math.exp(x)
        except OverflowError:
            return math.inf
    return np.exp(x) if _is_array(x) else x.exp()


def log(x: Any) -> Any:
    """ln x (of a positive x: rules only call it there)."""
    if x.__class__ is float:
        return math.log(x)
    return np.log(x) if _is_array(x) else x.log()


def sigmoid(x: Any) -> Any:
    """1 / (1 + e^-x), stable for any x."""
    if x.__class__ is float:
        return sigmoid_float(x)
    return sigmoid_array(x) if _is_array(x) else x.sigmoid()


def sin(x: Any) -> Any:
    if x.__class__ is float:
        return math.sin(x)
    return np.sin(x) if _is_array(x) else x.sin()


def cos(x: Any) -> Any:
    if x.__class__ is float:
        return math.cos(x)
    return np.cos(x) if _is_array(x) else x.cos()


def power(x: Any, p: Any) -> Any:
    """x ** p for derivative rules: never raises, as IEEE 754's pow.

    A local derivative may be infinite or undefined where its op is not: 0 ** -0.5 is inf (the
    slope of sqrt at 0), an overflow is +-inf, a negative base to a non-integer power nan. The
    forward `**` raises there; a rule gives the number, and `detect_anomaly()` reports it. On a
    Value the result is a node (of the registry's power ops) holding that number.
    """
    if x.__class__ is float and p.__class__ is float:
        return ieee_power(x, p)
    if _is_array(x) or _is_array(p):
        with np.errstate(all="ignore"):
            return np.power(x, p)
    node = x if hasattr(x, "parents") else p
    if node.data.__class__ is not float:  # Tensor nodes: numpy's pow never raises
        return x**p
    from .elementwise import POW, POWC  # the entries of this very function's results

    if hasattr(p, "parents"):
        base = x if hasattr(x, "parents") else p.__class__(float(x))
        return apply(POW, (base, p), data=ieee_power(base.data, p.data))
    return apply(POWC, (x,), float(p), data=ieee_power(x.data, float(p)))


def ieee_power(a: float, p: float) -> float:
    """a ** p of floats as IEEE 754's pow: +-inf for 0 ** negative and overflow, nan where the
    result is not real."""
    try:
        result = a**p
    except ZeroDivisionError:  # 0.0 ** negative: an infinite slope (-inf for -0.0 ** odd)
        return -math.inf if math.copysign(1.0, a) < 0.0 and _is_odd(p) else math.inf
    except OverflowError:
        return -math.inf if a < 0.0 and _is_odd(p) else math.inf
    return result if result.__class__ is float else math.nan  # complex: no real value


def _is_odd(p: float) -> bool:
    return p.is_integer() and p % 2.0 == 1.0


def reciprocal(x: Any) -> Any:
    """1 / x for rules (the slope of log): never raises, a node through `power`."""
    if x.__class__ is float:
        return 1.0 / x if x != 0.0 else math.copysign(math.inf, x)
    return 1.0 / x if _is_array(x) else power(x, -1.0)


def sign(x: Any) -> Any:
    """The sign of the data (0 at 0): a constant even for a node, as d sign/dx = 0."""
    x = data_of(x)
    if x.__class__ is float:
        return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)  # 0 at nan, as PyTorch
    return np.where(np.isnan(x), 0.0, np.sign(x))


def step(x: Any) -> Any:
    """1 where the data is > 0, else 0: a constant (the slope of relu)."""
    x = data_of(x)
    if x.__class__ is float:
        return 1.0 if x > 0.0 else 0.0
    return x > 0


def abs_(x: Any) -> Any:
    if x.__class__ is float:
        return abs(x)
    return np.abs(x) if _is_array(x) else x.abs()


def sigmoid_float(x: float) -> float:
    # Two branches so exp only ever sees a non-positive argument: no overflow at any x.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def sigmoid_array(a: Any) -> Any:
    # exp only ever sees -|a| <= 0, so nothing overflows: 1/(1+e^-a) for a >= 0, e^a/(1+e^a) below.
    # The numerator, 1 for a >= 0 and e below, is max(e, a >= 0) because 0 <= e <= 1 (NaN passes
    # through): the very floats of np.where(a >= 0, 1, e), which numpy runs element by element.
    # On a (64, 300) float32 batch, 53 us against 206 us with where (this machine, loaded);
    # tests/test_tensor_speed_paths.py checks the bits against the where form.
    e = np.exp(-np.abs(a))
    return np.maximum(e, a >= 0) / (1 + e)


def is_array(x: Any) -> bool:
    """Whether `x` is data (a numpy array or scalar) rather than a node."""
    return isinstance(x, (np.ndarray, np.generic))


def apply(op: Op, inputs: tuple, *args: Any, data: Any = None) -> Any:
    """Run `op` on nodes (the node class of the first input builds the result): how a rule that
    runs on nodes records its own ops (broadcast, scatter, transpose, powers). `data`, for a
    Value, is the output already computed (an IEEE power of a rule, which must not raise)."""
    if data is not None:
        return inputs[0].__class__._from_op(op, inputs, *args, data=data)
    return inputs[0].__class__._from_op(op, inputs, *args)


def data_of(x: Any) -> Any:
    """The data of a node, data as is: for masks and counts, which are constants."""
    return x.data if hasattr(x, "parents") else x


def weights_of_max(a: Any, b: Any) -> tuple:
    """d max(a, b)/da and /db: 1 to the larger, 0 to the other, 1/2 each at a tie (as PyTorch).
    Constants (computed on the data), like every slope of a piecewise-linear op."""
    a, b = data_of(a), data_of(b)
    if a.__class__ is float and b.__class__ is float:
        if a > b:
            return 1.0, 0.0
        return (0.5, 0.5) if a == b else (0.0, 1.0)
    wa = (a > b) + 0.5 * (a == b)
    return wa, 1.0 - wa


def mask_of(condition: Any) -> tuple:
    """d where(c, a, b)/da and /db: the condition and its complement, as constants."""
    if isinstance(condition, (bool, np.bool_)):
        return (1.0, 0.0) if condition else (0.0, 1.0)
    c = np.asarray(condition, dtype=bool)
    return c, ~c
