"""The one table of activations, for every layer kind and for export.

Each entry names the activation, applies it to a Value or a Tensor (both have the same methods)
and says which `torch.nn` module is its PyTorch twin. `Neuron`, `Layer`, `MLP` (scalar Values),
`Activation` and `Sequential` (Tensors) and `to_torch` all read this table, so a new activation
is one row here.

>>> from autograd import Value
>>> activate(Value(-2.0), "relu").data
0.0
>>> ACTIVATIONS
('linear', 'relu', 'tanh', 'sigmoid')
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ACTIVATIONS", "TABLE", "ActivationSpec", "activate", "check_activation", "torch_layer"]


@dataclass(frozen=True)
class ActivationSpec:
    """One activation: `apply(x)` on a Value or a Tensor, and its `torch.nn` module's name
    (None for the identity, which needs no module)."""

    name: str
    apply: Callable
    torch_module: str | None


TABLE: dict[str, ActivationSpec] = {
    spec.name: spec
    for spec in (
        ActivationSpec("linear", lambda x: x, None),
        ActivationSpec("relu", operator.methodcaller("relu"), "ReLU"),
        ActivationSpec("tanh", operator.methodcaller("tanh"), "Tanh"),
        ActivationSpec("sigmoid", operator.methodcaller("sigmoid"), "Sigmoid"),
    )
}
ACTIVATIONS = tuple(TABLE)
"""The activation names, in table order."""

_APPLY = {name: spec.apply for name, spec in TABLE.items()}


def check_activation(activation: object, where: str = "", argument: str = "activation") -> str:
    """`activation` if it is a name in the table, else ValueError naming `where` and `argument`."""
    if isinstance(activation, str) and activation in TABLE:
        return activation
    prefix = f"{where}: " if where else ""
    raise ValueError(f"{prefix}{argument} must be one of {ACTIVATIONS}, got {activation!r}")


def activate(x, activation: str):
    """Apply the named activation to a Value or a Tensor."""
    return _APPLY[activation](x)


def torch_layer(torch, activation: str):
    """The `torch.nn` module of the named activation (an instance), or None for "linear"."""
    module = TABLE[activation].torch_module
    return None if module is None else getattr(torch.nn, module)()
