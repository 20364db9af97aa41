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


class _Switch(ContextDecorator):
    """Set one of the flags above for the duration of a block, then restore what it was (so
    blocks nest); usable as a decorator too."""

    flag: str
    value: bool

    def __enter__(self):
        self._previous = globals()[self.flag]
        globals()[self.flag] = self.value
        return self

    def __exit__(self, *exc):
        globals()[self.flag] = self._previous
        return False


class no_grad(_Switch):
    """Inside this block ops compute values but record no parents: nothing to backpropagate.

    >>> from autograd import Value, no_grad
    >>> with no_grad():
    ...     y = Value(2.0) * 3
    >>> y.parents
    ()
    """

    flag, value = "grad_enabled", False


class detect_anomaly(_Switch):
    """Inside this block the first op whose value or local derivative is NaN or infinite raises
    FloatingPointError naming the op and its inputs. Slower: use it to hunt a NaN, then leave it.
    """

    flag, value = "anomaly_enabled", True
