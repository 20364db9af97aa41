"""Compiled replay of static graphs: trace a function once, then rerun it as straight-line Python.

`trace(fn, *example_args)` runs `fn` once on Values and records its graph. The result, a
`Compiled`, generates Python source for that graph, one local variable per node with constants
inlined, and `exec`s it: calling it on new inputs of the same structure creates no Values, so a
forward plus backward costs a few tens of nanoseconds per node instead of the engine's few hundred.

>>> from autograd.compile import trace
>>> f = trace(lambda x, y: (x * y - 1.0).relu() + x.exp(), 1.0, 2.0)
>>> f(1.0, 3.0) == (1.0 * 3.0 - 1.0) + math.exp(1.0)
True
>>> value, (dx, dy) = f.value_and_grad(1.0, 3.0)   # d/dx = y + e^x, d/dy = x
>>> dy
1.0

**Batches.** Give an input as a 1-D numpy array and one pass evaluates the whole batch with numpy:
array inputs are per-sample, number inputs are shared by every sample (parameters). The output
is an array; a shared input's gradient is summed over the batch (or kept per sample with
`per_sample=True`), a per-sample input's gradient is an array. Nodes that depend only on shared
inputs are computed once, in plain floats.

**Branches.** Primitives with a kink (`relu`, `abs`) replay their branch for every input
(a conditional expression on floats, `numpy.where` on batches). Python control flow that depends
on values (`if x.data > 0:`, or a constant taken from `.data`) cannot be replayed: the trace holds
only the branch taken for the example. `check=True` reruns `fn` on Values for every call (every
sample of a batch) and raises `TraceError` when the graph or the result differs.

The replay does not repeat the forward pass's domain checks on batches: `log` of a negative entry
gives NaN there. On floats the checked helpers of `value.py` run (`log(-2.0)` raises).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from . import value as _value
from .backward import topological_order
from .value import Value


class TraceError(ValueError):
    """A traced function built a different graph for new inputs: it cannot be replayed."""


# ------------------------------------------------------------------ replay rules of the primitives
# For each primitive of `value.py`: its forward value and its local derivatives as Python source,
# on floats ("scalar": the same float operations as the engine's rule, so results are the same
# bits) and on numpy arrays ("batch"). `{a}`, `{b}` are the inputs, `{out}` the output; `{c}` and
# `{c1}` are the constant exponent c and c - 1 of `x ** c`.


class Rule(NamedTuple):
    scalar: str
    batch: str
    derivatives: tuple[str, ...]
    batch_derivatives: tuple[str, ...] | None = None  # None: the same as `derivatives`


RULES: dict[str, Rule] = {
    "+": Rule("{a} + {b}", "{a} + {b}", ("1.0", "1.0")),
    "-": Rule("{a} - {b}", "{a} - {b}", ("1.0", "-1.0")),
    "neg": Rule("-{a}", "-{a}", ("-1.0",)),
    "*": Rule("{a} * {b}", "{a} * {b}", ("{b}", "{a}")),
    "/": Rule("{a} / {b}", "{a} / {b}", ("1.0 / {b}", "-{out} / {b}")),
    "**": Rule(
        "_power({a}, {b})",
        "_np.power({a}, {b})",
        ("_pow_derivatives({out}, {a}, {b})[0]", "_pow_derivatives({out}, {a}, {b})[1]"),
        ("_np_pow_base_derivative({a}, {b})", "_np_pow_exponent_derivative({out}, {a}, {b})"),
    ),
    "**c": Rule(
        "_power({a}, {c})",
        "_np.power({a}, {c})",
        ("{c} * _slope({a}, {c1})",),
        ("{c} * _np.power({a}, {c1})",),
    ),
    "**0": Rule("_power({a}, 0.0)", "_np.power({a}, 0.0)", ("0.0",)),  # a constant: slope 0
    "exp": Rule("_exp({a})", "_np.exp({a})", ("{out}",)),
    "log": Rule("_log({a})", "_np.log({a})", ("1.0 / {a}",)),
    "tanh": Rule("_tanh({a})", "_np.tanh({a})", ("1.0 - {out} * {out}",)),
    "sigmoid": Rule("_sigmoid({a})", "_np_sigmoid({a})", ("{out} * (1.0 - {out})",)),
    # The kinks: a conditional expression on floats, a comparison mask on arrays.
    "relu": Rule(
        "(0.0 if {a} <= 0.0 else {a})",
        "_np.where({a} <= 0.0, 0.0, {a})",
        ("(1.0 if {a} > 0.0 else 0.0)",),
        ("({a} > 0.0)",),
    ),
    "abs": Rule("abs({a})", "_np.abs({a})", ("_sign({a})",), ("_np_sign({a})",)),
    "softplus": Rule(
        "max({a}, 0.0) + _log1p(_exp(-abs({a})))",
        "_np.maximum({a}, 0.0) + _np.log1p(_np.exp(-_np.abs({a})))",
        ("_sigmoid({a})",),
        ("_np_sigmoid({a})",),
    ),
    "sin": Rule("_sin({a})", "_np.sin({a})", ("_cos({a})",), ("_np.cos({a})",)),
    "cos": Rule("_cos({a})", "_np.cos({a})", ("-_sin({a})",), ("-_np.sin({a})",)),
}


def _np_sigmoid(x):
    # Like value._sigmoid: exp only ever sees a non-positive argument.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _np_sign(x):
    # value._sign on arrays: 0 at 0 and at nan
    return np.where(np.isnan(x), 0.0, np.sign(x))


def _np_pow_base_derivative(a, b):
    # value._pow_base_derivative on arrays: b a^(b-1), exactly 0 where b = 0.
    d = b * np.power(a, b - 1.0)  # (the replay runs under np.errstate(all="ignore"))
    return np.where(b == 0.0, 0.0, d)


def _np_pow_exponent_derivative(out, a, b):
    # value._pow_exponent_derivative on arrays: a^b ln a for a > 0; at a = 0, 0 for b >= 0 and
    # out * -inf for b < 0; nan below 0.
    d = out * np.log(np.where(a < 0.0, np.nan, a))
    return np.where((a == 0.0) & (b >= 0.0), 0.0, d)


def _dot(g, d):
    """Sum over the batch of g * d, where a per-sample node meets a shared parent."""
    return float(np.dot(g, d)) if d.__class__ is np.ndarray else float(g.sum()) * d


_NAMESPACE = {
    "_np": np,
    "_exp": math.exp,
    "_log": math.log,
    "_tanh": math.tanh,
    "_sin": math.sin,
    "_cos": math.cos,
    "_log1p": math.log1p,
    "_sigmoid": _value._sigmoid,
    "_sign": _value._sign,
    "_power": _value._power,  # the checked a ** b of the engine: domain errors are named
    "_slope": _value.power,  # x ** p with 0 ** negative = inf, as the engine's derivative rule
    "_pow_derivatives": _value._pow_derivatives,
    "_np_sigmoid": _np_sigmoid,
    "_np_pow_base_derivative": _np_pow_base_derivative,
    "_np_sign": _np_sign,
    "_np_pow_exponent_derivative": _np_pow_exponent_derivative,
    "_dot": _dot,
    "_inf": math.inf,
    "_nan": math.nan,
}


def _rule(op) -> tuple[Rule, dict]:
    """The replay rule of a primitive and its extra fields (the exponent of `x ** c`)."""
    exponent = getattr(op, "exponent", None)
    if str(op) == "sum":  # n inputs {p0} ... {p(n-1)}, added left to right as the engine does
        terms = " + ".join(f"{{p{i}}}" for i in range(len(op.derivatives)))
        return Rule(terms, terms, ("1.0",) * len(op.derivatives)), {}
    if exponent == 0.0:
        return RULES["**0"], {}
    if exponent is not None:
        return RULES["**c"], {"c": _literal(exponent), "c1": _literal(exponent - 1.0)}
    try:
        return RULES[str(op)], {}
    except KeyError:
        raise TypeError(f"trace: the primitive {str(op)!r} has no replay rule in RULES") from None


def _literal(x: float) -> str:
    """x as Python source that evaluates to exactly the same float, safe as an operand."""
    if math.isnan(x):
        return "_nan"
    if math.isinf(x):
        return "_inf" if x > 0 else "(-_inf)"
    return repr(x) if x >= 0.0 and math.copysign(1.0, x) > 0 else f"({x!r})"


# -------------------------------------------------------------------- the recorded program


class _Step(NamedTuple):
    op: object  # the Primitive
    args: tuple[str, ...]  # "x3" (input 3), "v5" (node 5) or a float literal (a constant)


def _record(root: Value, inputs: Sequence[Value]) -> tuple[list[_Step], str]:
    """The graph behind `root` as steps in topological order, and the name of the result."""
    names = {}
    for i, leaf in enumerate(inputs):
        if leaf.parents:
            raise ValueError(
                f"trace: input {i} must be a leaf Value, got the output of {leaf.op!r}"
            )
        names.setdefault(id(leaf), f"x{i}")

    def name(v: Value) -> str:
        known = names.get(id(v))
        return known if known is not None else _literal(v.data)

    if not isinstance(root, Value):
        raise TypeError(f"trace: the function must return a Value, got {type(root).__name__}")
    steps = []
    for k, node in enumerate(topological_order(root)):
        steps.append(_Step(node.op, tuple(name(p) for p in node.parents)))
        names[id(node)] = f"v{k}"
    return steps, name(root)


def _signature(steps: list[_Step], result: str) -> tuple:
    """What must match for a replay to be valid: ops (with exponents), wiring and constants."""
    return (tuple((str(s.op), getattr(s.op, "exponent", None), s.args) for s in steps), result)


# -------------------------------------------------------------------- code generation


def _per_sample_names(steps: list[_Step], batched_inputs: frozenset) -> set:
    """The names of every per-sample value: the batched inputs and each node that uses one."""
    batched = set(batched_inputs)
    for k, step in enumerate(steps):
        if any(a in batched for a in step.args):
            batched.add(f"v{k}")
    return batched


def _generate(steps, result, n_inputs, batched: frozenset, reduce: bool, grad: bool) -> str:
    """Source of `run(x0, ..., seed)`: the forward pass and, with `grad`, the backward pass.

    `batched` holds the names ("x2", "v7") of per-sample values (numpy arrays); everything else is
    a float. With `reduce`, a gradient flowing from a per-sample node into a shared value is
    summed over the batch right there.
    """
    params = [f"x{i}" for i in range(n_inputs)]
    lines = [f"def run({', '.join([*params, 'seed'])}):"]
    batched = _per_sample_names(steps, batched)
    rules = []
    for k, step in enumerate(steps):
        rule, extra = _rule(step.op)
        fields = dict(zip("ab", step.args), out=f"v{k}", **extra)
        fields.update((f"p{i}", arg) for i, arg in enumerate(step.args))
        is_batched = f"v{k}" in batched
        lines.append(f"    v{k} = {(rule.batch if is_batched else rule.scalar).format(**fields)}")
        rules.append((rule, fields, is_batched))
    if not grad:
        lines.append(f"    return {result}")
        return "\n".join(lines) + "\n"

    assigned = set()

    def accumulate(target: str, contribution: str) -> None:
        if target in assigned:
            lines.append(f"    {target} = {target} + {contribution}")
        else:
            assigned.add(target)
            lines.append(f"    {target} = {contribution}")

    if result.startswith(("x", "v")):
        accumulate("g" + result, "seed")
    for k in reversed(range(len(steps))):
        rule, fields, is_batched = rules[k]
        g = f"gv{k}"
        if g not in assigned:
            continue
        derivatives = rule.batch_derivatives if is_batched and rule.batch_derivatives else None
        for arg, d in zip(steps[k].args, derivatives or rule.derivatives):
            if not arg.startswith(("x", "v")):
                continue  # a constant: no gradient
            d = d.format(**fields)
            if reduce and is_batched and arg not in batched:
                contribution = {"1.0": f"float({g}.sum())", "-1.0": f"-float({g}.sum())"}.get(
                    d, f"_dot({g}, {d})"
                )
            else:
                contribution = {"1.0": g, "-1.0": f"-{g}"}.get(d, f"{g} * ({d})")
            accumulate("g" + arg, contribution)
    grads = [f"g{p}" if f"g{p}" in assigned else "0.0" for p in params]
    lines.append(f"    return {result}, ({', '.join(grads)}{',' if len(grads) == 1 else ''})")
    return "\n".join(lines) + "\n"


def _exec(source: str, filename: str) -> Callable:
    namespace = dict(_NAMESPACE)
    exec(compile(source, filename, "exec"), namespace)  # our own generated source
    return namespace["run"]


# -------------------------------------------------------------------- the public object


class Compiled:
    """A traced function, replayed by generated straight-line Python (see the module docstring).

    Call it with arguments of the traced structure (numbers or 1-D arrays at the leaves, lists
    where the example had lists): `f(*args)` is the output, `f.value_and_grad(*args)` the output
    and the gradient for every input, in the same structure. `f.source` shows the generated code.
    """

    def __init__(self, fn: Callable, example_args: tuple, check: bool = False):
        self.fn = fn
        self.check = check
        self._spec = [_spec_of(a) for a in example_args]
        self._leaves = [v for a, s in zip(example_args, self._spec) for v in _leaves_of(a, s)]
        self._owned = [isinstance(v, Value) for v in self._leaves]  # the caller's own Values
        values = [v if isinstance(v, Value) else Value(v) for v in self._leaves]
        self._inputs = values
        self._steps, self._result = _record(self._run_fn(values), values)
        self._signature = _signature(self._steps, self._result)
        self._cache: dict = {}

    @property
    def n_inputs(self) -> int:
        return len(self._inputs)

    @property
    def n_nodes(self) -> int:
        """The number of op nodes replayed."""
        return len(self._steps)

    @property
    def source(self) -> str:
        """The generated Python of the scalar forward and backward pass."""
        return self._program(frozenset(), True, True)[1]

    def __repr__(self) -> str:
        name = getattr(self.fn, "__name__", "fn")
        return f"Compiled({name}: {self.n_inputs} inputs, {self.n_nodes} nodes)"

    def __call__(self, *args):
        flat, batched, n = self._flatten(args)
        if self.check:
            self._check(flat, n)
        run = self._program(batched, False, False)[0]
        with np.errstate(all="ignore"):
            out = run(*flat, None)
        return out if n is None else _per_sample(out, n)

    def value_and_grad(self, *args, gradient=1.0, per_sample: bool = False):
        """(output, gradients): the gradients of gradient * output, one per input, in the
        structure of the arguments.

        On a batch the output is an array, `gradient` a number or one weight per sample (1/n
        gives the gradient of the mean), and a shared input's gradient is summed over the batch,
        or an array of per-sample gradients with `per_sample=True`.
        """
        flat, batched, n = self._flatten(args)
        if self.check:
            self._check(flat, n)
        if n is None:
            value, grads = self._program(batched, True, True)[0](*flat, float(gradient))
            return value, self._unflatten([float(g) for g in grads])
        seed = np.broadcast_to(np.asarray(gradient, dtype=float), (n,))
        if self._result not in _per_sample_names(self._steps, batched):  # a shared output
            seed = seed if per_sample else float(seed.sum())
        run = self._program(frozenset(batched), not per_sample, True)[0]
        with np.errstate(all="ignore"):
            value, grads = run(*flat, seed)
        if per_sample:
            grads = [_per_sample(g, n) for g in grads]
        else:
            grads = [
                _per_sample(g, n) if f"x{i}" in batched else float(g) for i, g in enumerate(grads)
            ]
        return _per_sample(value, n), self._unflatten(grads)

    # ---------------------------------------------------------------- internals
    def _program(self, batched: frozenset, reduce: bool, grad: bool):
        key = (batched, reduce, grad)
        if key not in self._cache:  # which nodes are per-sample depends only on which inputs are
            source = _generate(self._steps, self._result, self.n_inputs, batched, reduce, grad)
            name = getattr(self.fn, "__name__", "fn")
            self._cache[key] = (_exec(source, f"<compiled {name}>"), source)
        return self._cache[key]

    def _run_fn(self, values: list[Value]) -> Value:
        args, i = [], 0
        for spec in self._spec:
            arg, i = _rebuild(values, spec, i)
            args.append(arg)
        return self.fn(*args)

    def _flatten(self, args: tuple):
        if len(args) != len(self._spec):
            raise TypeError(
                f"{self!r}: expected {len(self._spec)} arguments as traced, got {len(args)}"
            )
        flat = []
        for k, (a, s) in enumerate(zip(args, self._spec)):
            _flatten_into(a, s, flat, f"argument {k}")
        batched, n = set(), None
        for i, x in enumerate(flat):
            if isinstance(x, np.ndarray) and x.ndim > 0:
                if x.ndim != 1 or (n is not None and len(x) != n):
                    raise ValueError(
                        f"{self!r}: batch inputs must be 1-D arrays of one length, input {i} "
                        f"has shape {x.shape}" + (f" (expected ({n},))" if n is not None else "")
                    )
                n = len(x)
                flat[i] = x.astype(float, copy=False)
                batched.add(f"x{i}")
            else:
                flat[i] = float(x)
        return flat, frozenset(batched), n

    def _unflatten(self, flat: list):
        out, i = [], 0
        for spec in self._spec:
            arg, i = _rebuild(flat, spec, i)
            out.append(arg)
        return tuple(out)

    def _check(self, flat: list, n: int | None) -> None:
        """Rerun `fn` on Values for each sample: same graph and same value, or TraceError."""
        for j in range(1 if n is None else n):
            sample = [x if np.ndim(x) == 0 else x[j] for x in flat]
            values = []
            saved = [v.data for v in self._inputs]
            try:
                for v, owned, x in zip(self._inputs, self._owned, sample):
                    if owned:  # the caller's own Value (a model's parameter): reuse it
                        v.data = float(x)
                        values.append(v)
                    else:
                        values.append(Value(float(x)))
                root = self._run_fn(values)
                steps, result = _record(root, values)
            finally:
                for v, data in zip(self._inputs, saved):
                    v.data = data
            where = "" if n is None else f" (sample {j})"
            if _signature(steps, result) != self._signature:
                raise TraceError(
                    f"trace: {getattr(self.fn, '__name__', 'fn')} built a different graph for "
                    f"these inputs{where}: {_difference(self._steps, steps)}. Its Python control "
                    "flow (or a constant taken from .data) depends on its inputs, so it cannot "
                    "be replayed: call it on Values instead"
                )
            replayed = self._program(frozenset(), False, False)[0](*sample, None)
            if not math.isclose(replayed, root.data, rel_tol=1e-9, abs_tol=1e-12):
                raise TraceError(
                    f"trace: the replay gives {replayed!r} but the function gives {root.data!r}"
                    f"{where}: it depends on its inputs in a way the trace cannot see"
                )


def trace(fn: Callable, *example_args, check: bool = False) -> Compiled:
    """Trace `fn` on `example_args` once and return its compiled replay.

    Each example argument is a number (becomes a fresh input Value), a Value (used itself as an
    input: pass `model.parameters()` so a model's own weights become inputs) or a list of those.
    Every other leaf the graph reaches is a constant, inlined in the generated code. With
    `check=True` every call also reruns `fn` on Values and raises `TraceError` if its graph
    differs (control flow that depends on the inputs).

    >>> import numpy as np
    >>> f = trace(lambda w, x: (w * x).relu(), 1.0, 1.0)
    >>> value, (dw, dx) = f.value_and_grad(2.0, np.array([1.0, -1.0, 3.0]))
    >>> value.tolist(), dw, dx.tolist()          # relu(2x) per sample; dw summed over the batch
    ([2.0, 0.0, 6.0], 4.0, [2.0, 0.0, 2.0])
    """
    return Compiled(fn, example_args, check=check)


# -------------------------------------------------------------------- argument structure
# A spec is None for a leaf (one number) or a list of specs for a list argument.


def _spec_of(arg):
    if isinstance(arg, (list, tuple)):
        return [_spec_of(a) for a in arg]
    if isinstance(arg, Value) or (isinstance(arg, (int, float, np.number)) and np.ndim(arg) == 0):
        return None
    raise TypeError(f"trace: example arguments must be numbers, Values or lists, got {arg!r:.60}")


def _leaves_of(arg, spec) -> list:
    return [arg] if spec is None else [v for a, s in zip(arg, spec) for v in _leaves_of(a, s)]


def _flatten_into(arg, spec, flat: list, where: str) -> None:
    if spec is None:
        if isinstance(arg, (list, tuple)):
            raise TypeError(
                f"{where}: expected a number or a 1-D array, got a {type(arg).__name__}"
            )
        flat.append(arg)
        return
    if not isinstance(arg, (list, tuple, np.ndarray)) or len(arg) != len(spec):
        got = len(arg) if hasattr(arg, "__len__") else type(arg).__name__
        raise TypeError(f"{where}: expected a list of {len(spec)} as traced, got {got}")
    for k, (a, s) in enumerate(zip(arg, spec)):
        _flatten_into(a, s, flat, f"{where}[{k}]")


def _rebuild(flat: list, spec, i: int):
    if spec is None:
        return flat[i], i + 1
    out = []
    for s in spec:
        item, i = _rebuild(flat, s, i)
        out.append(item)
    return out, i


def _per_sample(x, n: int) -> np.ndarray:
    return np.array(np.broadcast_to(x, (n,)), dtype=float)


def _difference(old: list[_Step], new: list[_Step]) -> str:
    for k, (a, b) in enumerate(zip(old, new)):
        if (str(a.op), a.args) != (str(b.op), b.args):
            return f"node {k} was {str(a.op)!r}{a.args} when traced, now {str(b.op)!r}{b.args}"
    return f"{len(old)} nodes when traced, now {len(new)}"
