"""Moving a trained model to PyTorch, for when a project outgrows this library.

`to_torch(model)` builds a `torch.nn.Sequential` that computes the same function with the same
weights: an `MLP` of scalar Values becomes Linear + activation layers (neuron j's weights are row
j of the Linear weight), and a tensor `Sequential` maps layer for layer (our `Linear` stores W as
(nin, nout) and computes x @ W + b; torch stores the transpose). torch is imported only here.
"""

from __future__ import annotations

import numpy as np

from .activations import torch_layer

__all__ = ["to_torch"]


def to_torch(model, dtype=None):
    """A `torch.nn.Sequential` equal to `model` (an MLP or a tensor Sequential), in eval mode.

    `dtype` defaults to float64 for scalar models (their Values are Python floats) and to the
    parameters' own dtype for tensor models.
    """
    try:
        import torch
    except ImportError:
        raise ImportError("to_torch needs PyTorch: pip install torch") from None
    from .layers import MLP

    layers = []
    if isinstance(model, MLP):
        dtype = dtype or torch.float64
        for layer in model.layers:
            weight = np.array([[w.data for w in n.w] for n in layer.neurons])
            bias = np.array([n.b.data for n in layer.neurons])
            layers.append(_linear(torch, weight, bias, dtype))
            layers.append(torch_layer(torch, layer.neurons[0].activation))
    elif hasattr(model, "layers") and isinstance(model.layers, list):
        layers = torch_layers(torch, model.layers, dtype)
    else:
        raise TypeError(
            f"to_torch: takes an MLP or a Sequential, got a {type(model).__name__} (a single "
            "layer converts inside a Sequential)"
        )
    return torch.nn.Sequential(*[m for m in layers if m is not None]).eval()


def torch_layers(torch, modules: list, dtype=None) -> list:
    """Each module's torch equivalent, in order (a nested Sequential becomes a nested
    torch.nn.Sequential; "linear" activations, the identity, are left out)."""
    for i, module in enumerate(modules):
        if not hasattr(module, "to_torch_layer"):
            raise TypeError(
                f"to_torch: layer {i} is a {type(module).__name__}, which has no torch "
                "equivalent (give it a to_torch_layer(torch, dtype) method)"
            )
    converted = (module.to_torch_layer(torch, dtype) for module in modules)
    return [m for m in converted if m is not None]


def _linear(torch, weight: np.ndarray, bias: np.ndarray | None, dtype):
    """torch.nn.Linear with weight (nout, nin) and bias (nout,) copied in."""
    nout, nin = weight.shape
    linear = torch.nn.Linear(nin, nout, bias=bias is not None, dtype=dtype)
    with torch.no_grad():
        linear.weight.copy_(torch.as_tensor(weight, dtype=dtype))
        if bias is not None:
            linear.bias.copy_(torch.as_tensor(bias, dtype=dtype))
    return linear
