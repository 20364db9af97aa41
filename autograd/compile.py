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
from typing import Any, NamedTuple

import numpy as np

from .ops.core import Replay
from .structure import StructureMismatch, describe, is_container, leaves, match, rebuild
from .value import Value
from .walk import topological_order

__all__ = ["Compiled", "TraceError", "trace"]


class TraceError(ValueError):
    """A traced function built a different graph for new inputs: it cannot be replayed."""


# ------------------------------------------------------------------ replay rules, from the registry
# Each op's entry carries its replay (`op.replay`): its forward and local derivatives as Python
# source on floats (the same float operations as the engine's rule, so results are the same bits)
# and on numpy arrays. An op without one (a custom op) is replayed by calling its own forward and
# derivative rule (element by element on a batch). `{a}`, `{b}`, `{p0}`... are the inputs, `{out}`
# the output and each parameter is a field by its name (`{exponent}` of `x ** c`).


def _rule(op, k: int, n: int) -> tuple[Replay, dict, dict]:
    """The replay of the op of node k: its templates, its parameter fields, its namespace."""
    replay = op.replay
    if replay is not None:
        fields = {name: _literal(v) for name, v in zip(op.params, op.args)}
        if "exponent" in fields:
            fields["c"], fields["c1"] = fields["exponent"], _literal(op.exponent - 1.0)
        return replay, fields, replay.namespace or {}
    return _calling(op, k, n)


def _calling(op, k: int, n: int) -> tuple[Replay, dict, dict]:
    """A replay that calls the op's own forward and derivative rule: an op without templates.

    On a batch, the array forward and the same rule (generic: it runs on arrays) when the op has
    them; a custom op's float functions applied entry by entry otherwise.
    """
    if op.scalar is None or op.derivatives is None:
        raise TypeError(f"trace: the op {str(op)!r} has no scalar forward to replay")
    xs = ", ".join(f"{{p{i}}}" for i in range(n))
    f, d = f"_op{k}", f"_op{k}_d"
    rule = op.derivatives
    if op.array is not None:
        batch_forward = lambda *arrays: op.array(*arrays, *op.args)
        batch_rule = rule
    else:
        batch_forward = _elementwise(op.forward, n)
        batch_rule = None if rule.__class__ is tuple else _elementwise(rule, n + 1, outputs=n)
    if rule.__class__ is tuple:
        derivatives = tuple(_literal(float(c)) for c in rule)
        batch_derivatives = None
    else:
        derivatives = tuple(f"{d}({{out}}, {xs})[{i}]" for i in range(n))
        batch_derivatives = tuple(f"{d}_batch({{out}}, {xs})[{i}]" for i in range(n))
    namespace = {f: op.forward, f"{f}_batch": batch_forward, d: rule, f"{d}_batch": batch_rule}
    replay = Replay(f"{f}({xs})", f"{f}_batch({xs})", derivatives, batch_derivatives)
    return replay, {}, namespace


def _elementwise(fn: Callable, n_in: int, outputs: int = 1) -> Callable:
    """`fn` of floats applied entry by entry to arrays (numbers broadcast)."""
    ufunc = np.frompyfunc(lambda *xs: fn(*xs), n_in, outputs)

    def apply(*xs):
        result = ufunc(*xs)
        if outputs == 1:
            return np.asarray(result, dtype=float)
        return tuple(np.asarray(r, dtype=float) for r in result)

    return apply


def _dot(g, d):
    """Sum over the batch of g * d, where a per-sample node meets a shared parent."""
    return float(np.dot(g, d)) if d.__class__ is np.ndarray else float(g.sum()) * d


_BASE = {"_np": np, "_dot": _dot, "_inf": math.inf, "_nan": math.nan}


def _literal(x: float) -> str:
    """x as Python source that evaluates to exactly the same float, safe as an operand."""
    if math.isnan(x):
        return "_nan"
    if math.isinf(x):
        return "_inf" if x > 0 else "(-_inf)"
    return repr(x) if x >= 0.0 and math.copysign(1.0, x) > 0 else f"({x!r})"


# -------------------------------------------------------------------- the recorded program


class _Step(NamedTuple):
    op: Any  # the Primitive
    args: tuple[str, ...]  # "x3" (input 3), "v5" (node 5) or a float literal (a constant)


def _record(root: Value, inputs: Sequence[Value]) -> tuple[list[_Step], str]:
    """The graph behind `root` as steps in topological order, and the name of the result."""
    names: dict[int, str] = {}
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
    return (tuple((str(s.op), s.op.args, s.args) for s in steps), result)


# -------------------------------------------------------------------- code generation


def _per_sample_names(steps: list[_Step], batched_inputs: frozenset) -> set:
    """The names of every per-sample value: the batched inputs and each node that uses one."""
    batched = set(batched_inputs)
    for k, step in enumerate(steps):
        if any(a in batched for a in step.args):
            batched.add(f"v{k}")
    return batched


def _generate(steps, result, n_inputs, batched: frozenset, reduce: bool, grad: bool):
    """Source of `run(x0, ..., seed)`: the forward pass and, with `grad`, the backward pass.

    `batched` holds the names ("x2", "v7") of per-sample values (numpy arrays); everything else is
    a float. With `reduce`, a gradient flowing from a per-sample node into a shared value is
    summed over the batch right there. Returns the source and the namespace it runs in.
    """
    namespace = dict(_BASE)
    params = [f"x{i}" for i in range(n_inputs)]
    lines = [f"def run({', '.join([*params, 'seed'])}):"]
    per_sample = _per_sample_names(steps, batched)
    rules = []
    for k, step in enumerate(steps):
        rule, extra, names = _rule(step.op, k, len(step.args))
        namespace.update(names)
        fields = dict(zip("ab", step.args), out=f"v{k}", **extra)
        fields.update((f"p{i}", arg) for i, arg in enumerate(step.args))
        is_batched = f"v{k}" in per_sample
        lines.append(f"    v{k} = {(rule.batch if is_batched else rule.scalar).format(**fields)}")
        rules.append((rule, fields, is_batched))
    if not grad:
        lines.append(f"    return {result}")
        return "\n".join(lines) + "\n", namespace

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
            if reduce and is_batched and arg not in per_sample:
                contribution = {"1.0": f"float({g}.sum())", "-1.0": f"-float({g}.sum())"}.get(
                    d, f"_dot({g}, {d})"
                )
            else:
                contribution = {"1.0": g, "-1.0": f"-{g}"}.get(d, f"{g} * ({d})")
            accumulate("g" + arg, contribution)
    grads = [f"g{p}" if f"g{p}" in assigned else "0.0" for p in params]
    lines.append(f"    return {result}, ({', '.join(grads)}{',' if len(grads) == 1 else ''})")
    return "\n".join(lines) + "\n", namespace


def _exec(source: str, filename: str, namespace: dict) -> Callable:
    exec(compile(source, filename, "exec"), namespace)  # our own generated source
    return namespace["run"]


# -------------------------------------------------------------------- the public object


class Compiled:
    """A traced function, replayed by generated straight-line Python (see the module docstring).

    Call it with arguments of the traced structure (numbers or 1-D arrays at the leaves, lists,
    tuples or dicts where the example had them; an array may stand for a list): `f(*args)` is the
    output, `f.value_and_grad(*args)` the output and the gradient for every input, in the same
    structure. `f.source` shows the generated code.
    """

    def __init__(self, fn: Callable, example_args: tuple, check: bool = False):
        self.fn = fn
        self.check = check
        self._leaves = [_example_leaf(v) for v in leaves(list(example_args), arrays=False)]
        # the structure of the examples, copied: a list the caller changes later changes nothing
        self._examples = rebuild(list(example_args), iter(self._leaves))
        self._owned = [isinstance(v, Value) for v in self._leaves]  # the caller's own Values
        values = [v if isinstance(v, Value) else Value(v) for v in self._leaves]
        self._inputs = values
        self._steps, self._result = _record(self._run_fn(values), values)
        self._signature = _signature(self._steps, self._result)
        for k, step in enumerate(self._steps):
            _rule(step.op, k, len(step.args))  # an op that cannot be replayed is refused now
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
        seed: Any = np.broadcast_to(np.asarray(gradient, dtype=float), (n,))
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
            source, namespace = _generate(
                self._steps, self._result, self.n_inputs, batched, reduce, grad
            )
            name = getattr(self.fn, "__name__", "fn")
            self._cache[key] = (_exec(source, f"<compiled {name}>", namespace), source)
        return self._cache[key]

    def _run_fn(self, values: list[Value]) -> Value:
        return self.fn(*self._unflatten(values))

    def _flatten(self, args: tuple):
        if len(args) != len(self._examples):
            raise TypeError(
                f"{self!r}: expected {len(self._examples)} arguments as traced, got {len(args)}"
            )
        flat: list = []
        for k, (a, example) in enumerate(zip(args, self._examples)):
            try:
                flat.extend(leaf for _, _, leaf in match(example, a, f"argument {k}"))
            except StructureMismatch as mismatch:
                raise TypeError(_mismatch_message(mismatch)) from None
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

    def _unflatten(self, flat: list) -> tuple:
        """`flat` (one item per input) in the structure of the example arguments."""
        items = iter(flat)
        return tuple(rebuild(example, items) for example in self._examples)

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
    input: pass `model.parameters()` so a model's own weights become inputs) or nested lists,
    tuples and dicts of those (see `autograd.structure`). Every other leaf the graph reaches is a
    constant, inlined in the generated code. With `check=True` every call also reruns `fn` on
    Values and raises `TraceError` if its graph differs (control flow that depends on the inputs).

    >>> import numpy as np
    >>> f = trace(lambda w, x: (w * x).relu(), 1.0, 1.0)
    >>> value, (dw, dx) = f.value_and_grad(2.0, np.array([1.0, -1.0, 3.0]))
    >>> value.tolist(), dw, dx.tolist()          # relu(2x) per sample; dw summed over the batch
    ([2.0, 0.0, 6.0], 4.0, [2.0, 0.0, 2.0])
    """
    return Compiled(fn, example_args, check=check)


# -------------------------------------------------------------------- argument structure
# The arguments are nested lists, tuples and dicts (see autograd.structure) of leaves; at call
# time a leaf may be a 1-D array, a batch.


def _example_leaf(leaf):
    """A leaf of the example arguments: a Value or a number (TypeError otherwise)."""
    if isinstance(leaf, Value) or (
        isinstance(leaf, (int, float, np.number)) and np.ndim(leaf) == 0
    ):
        return leaf
    raise TypeError(
        "trace: example arguments must be numbers, Values or lists (tuples, dicts) of them, "
        f"got {leaf!r:.60}"
    )


def _mismatch_message(mismatch: StructureMismatch) -> str:
    """Where a call's argument differs from the traced structure, and how."""
    expected, actual = mismatch.expected, mismatch.actual
    if isinstance(expected, dict):
        want = f"a dict with keys {list(expected)}"
    elif is_container(expected):
        want = f"a list of {len(expected)}"
    else:
        return f"{mismatch.path}: expected a number or a 1-D array, got {describe(actual)}"
    got = describe(actual)
    if isinstance(expected, dict) and isinstance(actual, dict):
        got = f"keys {list(actual)}"
    elif not isinstance(expected, dict) and isinstance(actual, (list, tuple, np.ndarray)):
        got = str(len(actual))
    return f"{mismatch.path}: expected {want} as traced, got {got}"


def _per_sample(x, n: int) -> np.ndarray:
    return np.array(np.broadcast_to(x, (n,)), dtype=float)


def _difference(old: list[_Step], new: list[_Step]) -> str:
    for k, (a, b) in enumerate(zip(old, new)):
        if (str(a.op), a.args) != (str(b.op), b.args):
            return f"node {k} was {str(a.op)!r}{a.args} when traced, now {str(b.op)!r}{b.args}"
    return f"{len(old)} nodes when traced, now {len(new)}"
