"""Check analytic gradients against finite differences (and, optionally, against PyTorch).

`gradcheck(f, inputs)` runs the backward pass and central differences on the same function and
returns a report, one row per derivative: analytic, numeric, absolute and relative error, ok/FAIL.
With `order=2` it also checks the Hessian (the `create_graph=True` gradient differentiated again)
against finite differences of the analytic gradient.

Inputs, as in `torch.autograd.gradcheck`: `inputs` is the list of `f`'s arguments (a single number
or Value is one argument). An argument is a number, a Value, or a nested list/tuple/numpy array of
them; `f` receives fresh leaf Values in place of the numbers. Leaf Values you pass are used as
they are: their `.data` is nudged and restored, their `.grad` never touched. A function taking no
arguments is a closure over the Values passed (a model's loss, checked on `model.parameters()`).

>>> report = gradcheck(lambda x, y: x * y + x.exp(), [1.0, 2.0])
>>> bool(report), round(report["∂f/∂x"].actual, 6)    # y + e^x
(True, 4.718282)
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from ..backward import sum_to
from ..functional import grad
from ..structure import flatten, is_container, leaves, rebuild
from ..tensor import Tensor
from ..value import Value
from .report import Entry, Report, make_entry

__all__ = [
    "GradcheckError",
    "GradcheckReport",
    "check_local_derivatives",
    "compare_with_torch",
    "gradcheck",
    "numerical_grad",
]

EPS = 1e-6
ATOL = 1e-5
RTOL = 1e-3


class GradcheckError(AssertionError):
    """Derivatives disagree: the message lists the worst mismatches first, `.report` them all."""

    def __init__(self, report: Report):
        super().__init__(report.failure_message())
        self.report = report


class GradcheckReport(Report):
    """The result of `gradcheck`: `entries` (actual = analytic, expected = numeric), `value` (f at
    the inputs), `passed`; truthy when every derivative matches; `print()` shows the table."""

    def __init__(self, entries, *, value: float, eps: float, atol: float, rtol: float, order: int):
        super().__init__(
            "gradcheck",
            entries,
            atol=atol,
            rtol=rtol,
            columns=("analytic", "numeric"),
            label="derivative",
            noun="derivatives",
            settings=f"order={order}, eps={eps:g}, atol={atol:g}, rtol={rtol:g}",
            footer="analytic: the backward pass; numeric: central differences"
            + (" (of the analytic gradient, for ∂²)" if order == 2 else ""),
        )
        self.value = value
        self.eps = eps
        self.order = order


# ------------------------------------------------------------------------------ the checks


def numerical_grad(f, inputs, eps: float = EPS):
    """df/d(inputs) by central differences, (f(x + eps) - f(x - eps)) / 2 eps per number.

    `inputs` follows the conventions of this module; the result mirrors it (a float for a single
    number, a list with one entry per argument, each shaped like its argument).

    >>> [round(g, 6) for g in numerical_grad(lambda x, y: x * y, [3.0, 4.0])]
    [4.0, 3.0]
    """
    problem = _Problem(f, inputs, None, "numerical_grad")
    slopes = [_slopes(problem.value, slot, eps)[0] for slot in problem.slots]
    return problem.mirror(slopes)


def gradcheck(
    f,
    inputs,
    *,
    eps: float = EPS,
    atol: float = ATOL,
    rtol: float = RTOL,
    order: int = 1,
    raise_on_failure: bool = False,
    names=None,
) -> GradcheckReport:
    """Compare the backward pass of `f` at `inputs` with finite differences, one derivative a row.

    A derivative passes when |analytic - numeric| <= atol + rtol |numeric|. Returns a
    GradcheckReport (truthy when all pass, `print` it for the table); with `raise_on_failure=True`
    a failure raises GradcheckError (an AssertionError) listing the worst mismatches first.
    `order=2` checks the second derivatives too. `names` names the arguments (default: f's
    parameter names, or the labels of the Values passed).

    >>> print(gradcheck(lambda x: x**3, 2.0, order=2))   # doctest: +ELLIPSIS
    gradcheck: ok, all 2 derivatives match (order=2, eps=1e-06, atol=1e-05, rtol=0.001)
      derivative  analytic  numeric  abs err  rel err
      ∂f/∂x       12        12       ...  ok
      ∂²f/∂x²     12        12       ...  ok
    analytic: the backward pass; numeric: central differences (of the analytic gradient, for ∂²)
    """
    __tracebackhide__ = True  # under pytest a failure points at the caller's line
    if order not in (1, 2):
        raise ValueError(f"gradcheck: order must be 1 or 2, got {order!r}")
    if not eps > 0.0:
        raise ValueError(f"gradcheck: eps must be > 0, got {eps!r}")
    problem = _Problem(f, inputs, names, "gradcheck")
    out = problem.output()
    value = problem.scalar(out)
    entries = []
    analytic = problem.gradient(out)
    for name, slot, a in zip(problem.names, problem.slots, analytic):
        numeric, forward, backward = _slopes(problem.value, slot, eps, center=value)
        entries.append(_entry(f"∂f/∂{name}", a, numeric, atol, rtol, forward, backward))
    if order == 2:
        entries += _second_order(problem, out, eps, atol, rtol)
    report = GradcheckReport(entries, value=value, eps=eps, atol=atol, rtol=rtol, order=order)
    if raise_on_failure and not report.passed:
        raise GradcheckError(report)
    return report


def _second_order(problem: _Problem, out, eps: float, atol: float, rtol: float) -> list[Entry]:
    """H[i][j] from differentiating the create_graph gradient vs differences of that gradient."""
    hessian = [problem.gradient(g) for g in problem.components(problem.gradient_nodes(out))]
    columns = [
        _slopes(lambda: problem.gradient(problem.output()), slot, eps) for slot in problem.slots
    ]
    entries = []
    for i, a in enumerate(problem.names):
        for j, b in enumerate(problem.names):
            name = f"∂²f/∂{a}²" if i == j else f"∂²f/∂{a}∂{b}"
            numeric, forward, backward = (_component(c, i) for c in columns[j])
            entries.append(_entry(name, hessian[i][j], numeric, atol, rtol, forward, backward))
    return entries


def compare_with_torch(
    f,
    inputs,
    *,
    atol: float = 1e-12,
    rtol: float = 1e-9,
    order: int = 1,
    raise_on_failure: bool = False,
    names=None,
) -> Report:
    """Run `f` on Values and on torch float64 tensors; compare the value and the derivatives.

    `f` must take its inputs as arguments and use only what Value and torch.Tensor share: the
    operators `+ - * / **` and the methods exp, log, tanh, sigmoid, relu, sqrt, abs, sin, cos.
    `order=2` compares the Hessians too. Both engines compute in float64, so the default
    tolerances are tight. Needs PyTorch (imported here, only when called).
    """
    __tracebackhide__ = True
    torch = _import_torch()
    if order not in (1, 2):
        raise ValueError(f"compare_with_torch: order must be 1 or 2, got {order!r}")
    problem = _Problem(f, inputs, names, "compare_with_torch")
    if problem.closure:
        raise TypeError(
            "compare_with_torch: f must take the inputs as arguments (it runs on torch tensors too)"
        )
    out = problem.output()
    ours = [("f", problem.scalar(out))]
    ours += [(f"∂f/∂{n}", g) for n, g in zip(problem.names, problem.gradient(out))]

    tensors = [
        torch.tensor(np.asarray(x.data), dtype=torch.float64, requires_grad=True)
        for x in problem.leaves
    ]
    t_out = f(*problem.rebuild_args(tensors))
    theirs = [t_out.item() if torch.is_tensor(t_out) else float(t_out)]
    t_first = [None] * len(tensors)
    if torch.is_tensor(t_out) and t_out.requires_grad and tensors:
        t_first = torch.autograd.grad(t_out, tensors, allow_unused=True, create_graph=order == 2)
    t_components = [(g, k) for g, t in zip(t_first, tensors) for k in range(max(t.numel(), 1))]
    theirs += [0.0 if g is None else g.reshape(-1)[k].item() for g, k in t_components]

    if order == 2:
        rows = [problem.gradient(g) for g in problem.components(problem.gradient_nodes(out))]
        for i, a in enumerate(problem.names):
            g, k = t_components[i]
            t_row = [None] * len(tensors)
            if g is not None and g.requires_grad:
                t_row = torch.autograd.grad(
                    g.reshape(-1)[k], tensors, allow_unused=True, retain_graph=True
                )
            t_flat = [
                0.0 if r is None else r.reshape(-1)[m].item()
                for r, t in zip(t_row, tensors)
                for m in range(max(t.numel(), 1))
            ]
            for j, b in enumerate(problem.names):
                name = f"∂²f/∂{a}²" if i == j else f"∂²f/∂{a}∂{b}"
                ours.append((name, rows[i][j]))
                theirs.append(t_flat[j])

    entries = [make_entry(n, a, t, atol, rtol) for (n, a), t in zip(ours, theirs)]
    report = Report(
        "compare_with_torch",
        entries,
        atol=atol,
        rtol=rtol,
        columns=("ours", "torch"),
        label="quantity",
        noun="quantities",
        settings=f"order={order}, float64, atol={atol:g}, rtol={rtol:g}",
    )
    if raise_on_failure and not report.passed:
        raise GradcheckError(report)
    return report


def check_local_derivatives(node, *, eps: float = EPS, atol: float = ATOL, rtol: float = RTOL):
    """Check one op in a graph: its local derivatives vs finite differences of its forward.

    Returns `(status, entries)`: status "ok", "fail", "kink" (the op is not differentiable at this
    point, its one-sided slopes differ, e.g. relu at 0) or "unchecked" (a leaf, or an op whose
    forward is unknown: ops made by `define_op` carry theirs). Used by `draw_graph(check=True)`.
    """
    if not node.parents:
        return "unchecked", []
    if isinstance(node, Tensor):
        return _check_tensor_op(node, eps, atol, rtol)
    forward = forward_of(node.op, len(node.parents))
    if forward is None:
        return "unchecked", []
    xs = [p.data for p in node.parents]
    rule = node.op.derivatives
    analytic = rule if rule.__class__ is tuple else rule(node.data, *xs)
    if not isinstance(analytic, (list, tuple)):
        analytic = (analytic,)
    entries, status = [], "ok"
    for i, (parent, a) in enumerate(zip(node.parents, analytic)):

        def at(t: float, i: int = i) -> float:
            return forward(*xs[:i], t, *xs[i + 1 :])

        numeric, up, down = _slope_1d(at, xs[i], eps, center=node.data)
        entry = _entry(f"∂{node.op}/∂{parent.label or f'arg{i}'}", a, numeric, atol, rtol, up, down)
        entries.append(entry)
        if not entry.passed:
            kink = entry.note.startswith("kink") and status != "fail"
            status = "kink" if kink else "fail"
    return status, entries


MAX_CHECKED_ENTRIES = 64  # a Tensor op's inputs are checked entry by entry up to this size


def _check_tensor_op(node: Tensor, eps: float, atol: float, rtol: float):
    """A Tensor op's VJP for a fixed pseudo-random output gradient g against central differences
    of <g, forward(x)> in each entry of each input (inputs of up to 64 entries, float64)."""
    op = node.op
    xs = [np.array(p.data, dtype=float) for p in node.parents]
    if op.array is None or any(x.size > MAX_CHECKED_ENTRIES for x in xs):
        return "unchecked", []
    g = np.random.default_rng(0).uniform(0.5, 1.5, np.shape(node.data))

    params = node.args[:-1] if op.saves else node.args  # a saving op's last arg is what it saved

    def weighted(*arrays) -> float:
        out = op.array(*arrays, *op.args, *params)
        return float(np.sum(g * (out[0] if op.saves else out)))

    analytic = op.vjp(g, np.asarray(node.data, dtype=float), xs, node)
    entries, status = [], "ok"
    for i, (parent, a) in enumerate(zip(node.parents, analytic)):
        if a is None:
            continue
        a = np.broadcast_to(sum_to(np.asarray(a), xs[i].shape), xs[i].shape)
        name = parent.label or f"arg{i}"
        for index in np.ndindex(xs[i].shape):

            def at(t: float, i: int = i, index: tuple = index) -> float:
                shifted = [x.copy() for x in xs]
                shifted[i][index] = t
                return weighted(*shifted)

            numeric, up, down = _slope_1d(at, float(xs[i][index]), eps)
            where = f"[{', '.join(map(str, index))}]" if index else ""
            entry = _entry(
                f"<g, ∂{op}/∂{name}{where}>", float(a[index]), numeric, atol, rtol, up, down
            )
            entries.append(entry)
            if not entry.passed:
                kink = entry.note.startswith("kink") and status != "fail"
                status = "kink" if kink else "fail"
    return status, entries


# ------------------------------------------------------------------------------ forwards of ops


def forward_of(op, arity: int):
    """The forward of an op as a function of floats (None for an op without a scalar forward):
    the registry entry's own `scalar`, with its parameters bound (the exponent of `x ** c`)."""
    if getattr(op, "scalar", None) is None:
        return None
    return lambda *xs: float(op.forward(*xs))


# ------------------------------------------------------------------------------ finite differences


def _slopes(evaluate, leaf: Any, eps: float, center=None):
    """(central, forward, backward) differences of `evaluate()` (a number or a list of numbers)
    in `leaf.data`; the leaf is restored whatever happens."""
    x = leaf.data

    def at(t: float):
        leaf.data = t
        return evaluate()

    try:
        return _slope_1d(at, x, eps, center)
    finally:
        leaf.data = x


def _slope_1d(at, x: float, eps: float, center=None):
    """(central, forward, backward) differences of `at` around x; None for a side that failed.

    Where `at` raises on one side (a domain error: log just left of 0) the one-sided difference on
    the other side stands in for the central one; where both sides fail the slope is NaN.
    """
    up, down = _try(at, x + eps), _try(at, x - eps)
    if center is None:
        center = _try(at, x)
    forward = None if up is None or center is None else _scale(_sub(up, center), 1.0 / eps)
    backward = None if down is None or center is None else _scale(_sub(center, down), 1.0 / eps)
    if up is not None and down is not None:
        central = _scale(_sub(up, down), 0.5 / eps)
    else:
        central = forward if forward is not None else backward
    return (math.nan if central is None else central), forward, backward


def _try(at, t: float):
    try:
        y = at(t)
    except (ArithmeticError, ValueError):
        return None
    return [float(_data(v)) for v in y] if isinstance(y, list) else float(_data(y))


def _component(slope, i: int):
    """Entry i of a slope of a list-valued function (None and NaN stand for every entry)."""
    return slope[i] if isinstance(slope, list) else slope


def _sub(a, b):
    return [p - q for p, q in zip(a, b)] if isinstance(a, list) else a - b


def _scale(a, k: float):
    return [p * k for p in a] if isinstance(a, list) else a * k


def _entry(name, analytic, numeric, atol, rtol, forward, backward) -> Entry:
    entry = make_entry(name, _data(analytic), numeric, atol, rtol)
    note = ""
    if forward is None or backward is None:
        if forward is not None or backward is not None:
            side = "forward" if forward is not None else "backward"
            note = (
                f"one-sided ({side}) difference, f undefined on the other side: try a smaller eps"
            )
    elif not entry.passed:
        gap = abs(forward - backward)
        if gap > atol + rtol * max(abs(forward), abs(backward)) and gap > 0.1 * entry.abs_err:
            note = f"kink: one-sided slopes {backward:.6g} (left) and {forward:.6g} (right)"
    if note:
        entry = make_entry(name, _data(analytic), numeric, atol, rtol, note=note)
    return entry


# ------------------------------------------------------------------------------ the function


class _Problem:
    """`f` with its inputs as leaf Values: call it, nudge a leaf, name each leaf."""

    def __init__(self, f, inputs, names, who: str):
        self.who = who
        self.single = not isinstance(inputs, (list, tuple))
        self.args = [inputs] if self.single else list(inputs)
        self.lifted = [
            rebuild(a, (self._leaf(path, x) for path, x in flatten(a)), object) for a in self.args
        ]
        self.leaves = [leaf for a in self.lifted for leaf in leaves(a)]
        # One slot per number: a Value, or one entry of a Tensor.
        self.slots = [
            s
            for leaf in self.leaves
            for s in ([leaf] if isinstance(leaf, Value) else _entries(leaf))
        ]
        self.call, self.closure, params = _caller(f, self.lifted, who)
        self.names = self._names(names, params)

    def _leaf(self, path: str, x) -> Value | Tensor:
        if isinstance(x, Tensor):
            if x.parents:
                raise ValueError(
                    f"{self.who}: input {x.label or path or 'x'} is not a leaf Tensor (made by "
                    f"{str(x.op)!r})"
                )
            if x.data.dtype != np.float64:
                raise TypeError(
                    f"{self.who}: Tensor input {x.label or path or 'x'} is {x.data.dtype}; "
                    "finite differences need float64"
                )
            return x
        if isinstance(x, Value):
            if x.parents:
                raise ValueError(
                    f"{self.who}: input {x.label or path or 'x'} is not a leaf (made by "
                    f"{str(x.op)!r}); pass the leaf Values f reads, e.g. model.parameters()"
                )
            return x
        try:
            return Value(float(x))
        except (TypeError, ValueError):
            raise TypeError(
                f"{self.who}: inputs must be numbers, Values or nested lists/tuples/arrays of "
                f"them, got {type(x).__name__} at {path or 'the top'}"
            ) from None

    def _names(self, names, params: list[str]) -> list[str]:
        if names is not None:
            names = [names] if isinstance(names, str) else list(names)
            if len(names) != len(self.args):
                raise ValueError(
                    f"{self.who}: {len(self.args)} inputs but {len(names)} names {names}"
                )
        found = []
        for i, arg in enumerate(self.lifted):
            if names is not None:
                base = names[i]
            elif i < len(params) and not self.closure:
                base = params[i]
            else:
                base = "x" if self.single else f"x{i}"
            for path, leaf in flatten(arg, base):  # leaves: Values and Tensors
                label = getattr(leaf, "label", "")
                path = label if label and names is None else path
                if isinstance(leaf, Tensor):
                    found += [f"{path}[{', '.join(map(str, i))}]" for i in np.ndindex(leaf.shape)]
                else:
                    found.append(path)
        return found

    def output(self):
        out = self.call()
        if isinstance(out, Tensor) and out.data.size == 1:
            return out
        if is_container(out) or not isinstance(out, (Value, int, float)):
            kind = type(out).__name__
            if isinstance(out, Tensor):
                kind = f"a Tensor of shape {out.shape}"
            raise TypeError(
                f"{self.who}: f must return a scalar (a Value, a one-element Tensor or a number), "
                f"got {kind}; check each output separately, or a weighted sum of them"
            )
        return out

    @staticmethod
    def scalar(out) -> float:
        return float(out.data) if isinstance(out, (Value, Tensor)) else float(out)

    def value(self) -> float:
        return self.scalar(self.output())

    def gradient_nodes(self, out) -> list:
        """d out / d leaf for every leaf, as nodes that can be differentiated again."""
        if not isinstance(out, (Value, Tensor)) or not self.leaves:
            return [None] * len(self.slots)
        return grad(out, self.leaves, create_graph=True)

    def components(self, grads: list) -> list:
        """The gradients per leaf split into one scalar node (or None) per slot."""
        found = []
        for leaf, g in zip(self.leaves, grads):
            if isinstance(leaf, Value):
                found.append(g)
            elif isinstance(g, Tensor):
                flat = g.reshape(-1)
                found += [flat[k] for k in range(leaf.data.size)]
            else:
                found += [None] * leaf.data.size
        return found

    def gradient(self, out) -> list[float]:
        """d out / d slot for every slot, as floats (0.0 where out is not a node)."""
        if not isinstance(out, (Value, Tensor)) or not self.leaves:
            return [0.0] * len(self.slots)
        found = []
        for leaf, g in zip(self.leaves, grad(out, self.leaves)):
            if isinstance(leaf, Value):
                found.append(float(_data(g)))
            else:
                found += np.asarray(_data(g), dtype=float).reshape(-1).tolist()
        return found

    def mirror(self, numbers: list):
        it = iter(numbers)
        found = []
        for arg, lifted in zip(self.args, self.lifted):
            if isinstance(lifted, Tensor):
                found.append(
                    np.array([next(it) for _ in range(lifted.data.size)]).reshape(lifted.shape)
                )
            else:
                found.append(rebuild(arg, it, float))
        return found[0] if self.single else found

    def rebuild_args(self, new_leaves: list) -> list:
        it = iter(new_leaves)
        return [rebuild(a, it, object) for a in self.lifted]


def _caller(f, lifted: list, who: str):
    """(call, is_closure, parameter names): f(*inputs), or f() for a closure over the inputs."""
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):  # some builtins have no signature: just call
        return (lambda: f(*lifted)), False, []
    params = [
        p.name
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    try:
        signature.bind(*lifted)
        return (lambda: f(*lifted)), False, params
    except TypeError:
        pass
    try:
        signature.bind()
    except TypeError:
        raise TypeError(
            f"{who}: f{signature} cannot be called with the {len(lifted)} inputs given; inputs "
            "is the list of f's arguments (wrap a single list argument: [[1.0, 2.0]])"
        ) from None
    if all(isinstance(a, Value) for arg in lifted for a in leaves(arg)):
        return f, True, []
    raise TypeError(f"{who}: f takes no arguments, so the inputs must be the Values it reads")


def _data(x):
    return x.data if isinstance(x, (Value, Tensor)) else x


class _Entry:
    """One number of a Tensor, read and nudged through `.data` like a Value's."""

    __slots__ = ("k", "tensor")

    def __init__(self, tensor: Tensor, k: int):
        self.tensor, self.k = tensor, k

    @property
    def data(self) -> float:
        return float(self.tensor.data.flat[self.k])

    @data.setter
    def data(self, x: float) -> None:
        self.tensor.data.flat[self.k] = x


def _entries(tensor: Tensor) -> list[_Entry]:
    return [_Entry(tensor, k) for k in range(tensor.data.size)]


def _import_torch():
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            "compare_with_torch needs PyTorch, which is not installed: pip install torch "
            "(the CPU build is enough), or install backprop-lab[test]"
        ) from exc
    return torch
