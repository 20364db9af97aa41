"""Check analytic gradients against finite differences: `gradcheck`, `check_local_derivatives`.

`gradcheck(f, inputs)` runs the backward pass and central differences on the same function and
returns a report, one row per derivative: analytic, numeric, absolute and relative error, ok/FAIL.
With `order=2` it also checks the Hessian (the `create_graph=True` gradient differentiated again)
against finite differences of the analytic gradient.

`inputs` is the list of `f`'s arguments (numbers, Values, Tensors, nested lists of them), as
`autograd.check.numerical` describes. `check_local_derivatives` checks one op of a graph against
differences of its forward, for `draw_graph(check=True)`.

>>> report = gradcheck(lambda x, y: x * y + x.exp(), [1.0, 2.0])
>>> bool(report), round(report["∂f/∂x"].actual, 6)    # y + e^x
(True, 4.718282)
"""

from __future__ import annotations

import numpy as np

from ..backward import sum_to
from ..ops.core import data_of
from ..tensor import Tensor
from .numerical import EPS, Problem, component, slope_1d, slopes
from .report import Entry, Report, make_entry

__all__ = ["GradcheckError", "GradcheckReport", "check_local_derivatives", "gradcheck"]

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
    problem = Problem(f, inputs, names, "gradcheck")
    out = problem.output()
    value = problem.scalar(out)
    entries = []
    analytic = problem.gradient(out)
    for name, slot, a in zip(problem.names, problem.slots, analytic):
        numeric, forward, backward = slopes(problem.value, slot, eps, center=value)
        entries.append(_entry(f"∂f/∂{name}", a, numeric, atol, rtol, forward, backward))
    if order == 2:
        entries += _second_order(problem, out, eps, atol, rtol)
    report = GradcheckReport(entries, value=value, eps=eps, atol=atol, rtol=rtol, order=order)
    if raise_on_failure and not report.passed:
        raise GradcheckError(report)
    return report


def _second_order(problem: Problem, out, eps: float, atol: float, rtol: float) -> list[Entry]:
    """H[i][j] from differentiating the create_graph gradient vs differences of that gradient."""
    hessian = [problem.gradient(g) for g in problem.components(problem.gradient_nodes(out))]
    columns = [
        slopes(lambda: problem.gradient(problem.output()), slot, eps) for slot in problem.slots
    ]
    entries = []
    for i, a in enumerate(problem.names):
        for j, b in enumerate(problem.names):
            name = f"∂²f/∂{a}²" if i == j else f"∂²f/∂{a}∂{b}"
            numeric, forward, backward = (component(c, i) for c in columns[j])
            entries.append(_entry(name, hessian[i][j], numeric, atol, rtol, forward, backward))
    return entries


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

        numeric, up, down = slope_1d(at, xs[i], eps, center=node.data)
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

            numeric, up, down = slope_1d(at, float(xs[i][index]), eps)
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


def _entry(name, analytic, numeric, atol, rtol, forward, backward) -> Entry:
    entry = make_entry(name, data_of(analytic), numeric, atol, rtol)
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
        entry = make_entry(name, data_of(analytic), numeric, atol, rtol, note=note)
    return entry
