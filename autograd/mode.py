"""Global recording modes: whether ops record the graph, and whether they check for NaN/inf.

The flags are plain module globals read on every op (a global read is the cheapest check CPython
has). They are process-wide, not per thread.
"""

from __future__ import annotations

from contextlib import ContextDecorator

grad_enabled = True
anomaly_enabled = False


def is_grad_enabled() -> bool:
    """True unless inside `no_grad()`."""
    return grad_enabled


def is_anomaly_enabled() -> bool:
    """True inside `detect_anomaly()`."""
    return anomaly_enabled


class no_grad(ContextDecorator):
    """Inside this block ops compute values but record no parents: nothing to backpropagate.

    >>> from autograd import Value, no_grad
    >>> with no_grad():
    ...     y = Value(2.0) * 3
    >>> y.parents
    ()
    """

    def __enter__(self):
        global grad_enabled
        self._previous = grad_enabled
        grad_enabled = False
        return self

    def __exit__(self, *exc):
        global grad_enabled
        grad_enabled = self._previous
        return False


class detect_anomaly(ContextDecorator):
    """Inside this block the first op whose value or local derivative is NaN or infinite raises
    FloatingPointError naming the op and its inputs. Slower: use it to hunt a NaN, then leave it.
    """

    def __enter__(self):
        global anomaly_enabled
        self._previous = anomaly_enabled
        anomaly_enabled = True
        return self

    def __exit__(self, *exc):
        global anomaly_enabled
        anomaly_enabled = self._previous
        return False
