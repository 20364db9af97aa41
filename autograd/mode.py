"""Global recording modes: whether ops record the graph, and whether they check for NaN/inf.

The flags are plain module globals read on every op (a global read is the cheapest check CPython
has). They are process-wide, not per thread.
"""

from __future__ import annotations

import gc
from contextlib import ContextDecorator

__all__ = [
    "collector_paused",
    "detect_anomaly",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
]

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


class collector_paused:
    """Pause Python's cyclic garbage collector inside this block (as it was, after).

    Graphs of this library hold no reference cycles (no closures; a node points only at its
    parents), so reference counting frees them and the collector can find nothing in them; but
    with the collector on, building or walking a big graph triggers collections that traverse
    every live node. The backward pass and `MLP.__call__` run under this; so does `nn.fit`.

    >>> import gc
    >>> with collector_paused():
    ...     gc.isenabled()
    False
    """

    __slots__ = ("_was_on",)

    def __enter__(self) -> collector_paused:
        self._was_on = gc.isenabled()
        if self._was_on:
            gc.disable()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._was_on:
            gc.enable()
