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
autograd.testing.GradientMismatch: gradients differ: 1 of 2 entries (atol=1e-12, rtol=1e-06)
  entry  actual  expected  abs err  rel err
  w[0]   4       4.1       0.1      0.024    FAIL
"""

from __future__ import annotations

import numpy as np

from .report import Report, make_entry
from .structure import children, join_key
from .value import Value

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
    """(path, actual, expected) for every leaf; AssertionError where the structures differ."""
    root = names if isinstance(names, str) else ""
    top_names = None if names is None or isinstance(names, str) else list(names)
    found = []
    stack = [(root, actual, expected, top_names)]
    while stack:
        path, a, e, labels = stack.pop()
        a, e = _unwrap(a), _unwrap(e)
        a_leaf, e_leaf = _is_leaf(a), _is_leaf(e)
        if a_leaf and e_leaf:
            found.append((path, _number(a, path, "actual"), _number(e, path, "expected")))
            continue
        if a_leaf != e_leaf:
            raise GradientMismatch(
                f"structures differ at {path or 'the top'}: actual is {_describe(a)}, "
                f"expected is {_describe(e)}"
            )
        level = _zip(path, a, e, labels)
        stack.extend(reversed(level))
    return found


def _zip(path: str, a, e, labels) -> list:
    """The matched children of two containers, as stack items."""
    if isinstance(a, dict) or isinstance(e, dict):
        if not (isinstance(a, dict) and isinstance(e, dict)):
            raise GradientMismatch(
                f"structures differ at {path or 'the top'}: actual is {_describe(a)}, "
                f"expected is {_describe(e)}"
            )
        missing = [k for k in e if k not in a]
        extra = [k for k in a if k not in e]
        if missing or extra:
            raise GradientMismatch(
                f"keys differ at {path or 'the top'}: missing {missing}, unexpected {extra}"
            )
        return [(join_key(path, k), a[k], e[k], None) for k in e]
    if len(a) != len(e):
        raise GradientMismatch(
            f"lengths differ at {path or 'the top'}: actual has {len(a)} entries, expected {len(e)}"
        )
    if labels is not None and len(labels) != len(a):
        raise ValueError(f"assert_grads_close: {len(a)} entries but {len(labels)} names")
    items = []
    for i, ((sub, a_child), (_, e_child)) in enumerate(
        zip(children(list(a), path), children(list(e), path))
    ):
        items.append((labels[i] if labels is not None else sub, a_child, e_child, None))
    return items


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


def _is_leaf(x) -> bool:
    return not isinstance(x, (list, tuple, dict))


def _number(x, path: str, side: str) -> float:
    if isinstance(x, (bool, int, float)):
        return float(x)
    raise TypeError(
        f"assert_grads_close: {side} at {path or 'the top'} is {type(x).__name__}, not a number"
    )


def _describe(x) -> str:
    if isinstance(x, dict):
        return f"a dict with keys {list(x)}"
    if isinstance(x, (list, tuple)):
        return f"a {type(x).__name__} of {len(x)}"
    return f"a number ({x!r})"
