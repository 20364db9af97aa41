"""Assertions for tests that compare gradients: `assert_grads_close`.

It compares any nested structure of numbers (floats, ints, lists, tuples, dicts, numpy arrays,
Values, torch tensors) entry by entry and fails with one table of the differing entries, worst
first, each with its path (`w1[0][2]`, `layer0.b`), so a failing test says where and by how much.

A Value counts as its `.data`: to compare gradients pass the gradients (`[p.grad for p in
params]`, or a `create_graph` gradient, itself a Value). This keeps one rule for every leaf and
lets the same helper compare forward values too.

>>> from autograd import Value
>>> a = Value(2.0)
>>> (a * a).backward()
>>> assert_grads_close([a.grad], [4.0])
>>> assert_grads_close({"w": [a.grad, 1.0]}, {"w": [4.1, 1.0]})
Traceback (most recent call last):
  ...
autograd.check.testing.GradientMismatch: gradients differ: 1 of 2 entries (atol=1e-12, rtol=1e-06)
  entry  actual  expected  abs err  rel err
  w[0]   4       4.1       0.1      0.024    FAIL
"""

from __future__ import annotations

import numpy as np

from ..structure import StructureMismatch, match
from ..value import Value
from .report import Report, make_entry

__all__ = ["GradientMismatch", "assert_grads_close"]

ATOL = 1e-12
RTOL = 1e-6  # pytest.approx's defaults: exact up to float round-off


class GradientMismatch(AssertionError):
    """Raised by `assert_grads_close`; `.report` holds every compared entry."""

    def __init__(self, message: str, report: Report | None = None):
        super().__init__(message)
        self.report = report


def assert_grads_close(
    actual, expected, *, atol: float = ATOL, rtol: float = RTOL, names=None
) -> None:
    """Assert that two nested structures of numbers match entry by entry, within tolerance.

    An entry passes when |actual - expected| <= atol + rtol |expected| (numpy's rule; NaN matches
    NaN). The structures must agree: same lengths, same dict keys, same array shapes (a list and an
    array of the same shape compare fine). `names` names the top-level entries (a sequence as long
    as `actual`, e.g. from `model.named_parameters()`) or the whole (a str).
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not this one
    pairs = _pairs(actual, expected, names)
    report = Report(
        "gradients differ",
        (make_entry(path or "value", a, e, atol, rtol) for path, a, e in pairs),
        atol=atol,
        rtol=rtol,
    )
    if not report.passed:
        n, bad = len(report.entries), len(report.failures)
        headline = f"gradients differ: {bad} of {n} entries (atol={atol:g}, rtol={rtol:g})"
        raise GradientMismatch(headline + "\n" + report.table(report.failures, limit=40), report)


def _pairs(actual, expected, names) -> list[tuple[str, float, float]]:
    """(path, actual, expected) for every leaf; GradientMismatch where the structures differ."""
    if names is None or isinstance(names, str):
        tops = [(names or "", actual, expected)]
    else:  # one name per top-level entry of a list or tuple
        labels = list(names)
        a, e = _unwrap(actual), _unwrap(expected)
        tops = [("", a, e)]
        if isinstance(a, (list, tuple)) and isinstance(e, (list, tuple)) and len(a) == len(e):
            if len(labels) != len(a):
                raise ValueError(f"assert_grads_close: {len(a)} entries but {len(labels)} names")
            tops = list(zip(labels, a, e))
    found = []
    for prefix, a, e in tops:
        try:
            leaves = match(e, a, prefix, prepare=_unwrap)
        except StructureMismatch as mismatch:
            raise GradientMismatch(str(mismatch)) from None
        for path, e_leaf, a_leaf in leaves:
            found.append((path, _number(a_leaf, path, "actual"), _number(e_leaf, path, "expected")))
    return found


def _unwrap(x):
    """A Value as its data; an array, tensor or Tensor as nested lists; anything else as is."""
    if isinstance(x, Value):
        x = x.data
        return x.data if isinstance(x, Value) else x  # a create_graph gradient's own data
    if isinstance(getattr(x, "data", None), np.ndarray):  # autograd's Tensor
        x = x.data
    if hasattr(x, "detach") and hasattr(x, "tolist"):  # a torch tensor
        x = x.detach()
    return x.tolist() if hasattr(x, "tolist") else x  # numpy arrays and scalars too


def _number(x, path: str, side: str) -> float:
    if isinstance(x, (bool, int, float)):
        return float(x)
    raise TypeError(
        f"assert_grads_close: {side} at {path or 'the top'} is {type(x).__name__}, not a number"
    )
