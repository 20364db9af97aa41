"""The op registry: every op of the engine, each declared once (see `core` for what an entry holds).

>>> from autograd.ops import REGISTRY
>>> REGISTRY["*"].arity, REGISTRY["*"].derivatives(6.0, 2.0, 3.0)   # d(ab)/da = b, d(ab)/db = a
(2, (3.0, 2.0))
"""

from . import conv, elementwise, linalg, nn, reduce, shape
from .core import REGISTRY, DomainError, Op, Replay, register

__all__ = [
    "REGISTRY",
    "DomainError",
    "Op",
    "Replay",
    "conv",
    "elementwise",
    "linalg",
    "nn",
    "reduce",
    "register",
    "shape",
]
