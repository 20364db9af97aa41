"""A scalar autograd engine you can build, see and check.

>>> from autograd import Value
>>> x = Value(3.0, "x")
>>> y = x * x + 2 * x       # y = x^2 + 2x
>>> y.backward()
>>> x.grad                  # dy/dx = 2x + 2
8.0
"""

from .backward import topological_order
from .graph import GraphvizNotFoundError, draw_graph, save_graph
from .mode import detect_anomaly, is_grad_enabled, no_grad
from .value import DomainError, Primitive, Value, zero_grad

__all__ = [
    "DomainError",
    "GraphvizNotFoundError",
    "Primitive",
    "Value",
    "detect_anomaly",
    "draw_graph",
    "is_grad_enabled",
    "no_grad",
    "save_graph",
    "topological_order",
    "zero_grad",
]
