"""Layers on numpy-backed Tensors: the same networks as `layers.py`, written with matrices.

A `Layer` of n scalar neurons computes act(sum_i w[j][i] x_i + b_j) for each j; a `Linear` does
all of them at once for a whole batch, act(X @ W + b), with W of shape (nin, nout). The chain rule
is the same, applied to arrays (vector-Jacobian products) instead of single numbers.

>>> import numpy as np
>>> from autograd import Tensor
>>> model = Sequential(Linear(784, 300, seed=0), "relu", Linear(300, 10, seed=1))
>>> logits = model(Tensor(np.zeros((64, 784)), requires_grad=False))
>>> logits.shape, [name for name, _ in model.named_parameters()]
((64, 10), ['layer0.W', 'layer0.b', 'layer2.W', 'layer2.b'])
"""

from __future__ import annotations

import numpy as np

from autograd import Tensor

from .activations import activate, check_activation, torch_layer
from .checks import check_count, make_rng, show
from .layers import _check_init, _error_name, init_bound
from .module import Module

__all__ = ["Activation", "Linear", "Sequential"]


class Linear(Module):
    """x @ W + b for a batch x of shape (n, nin): W is (nin, nout), initialised by `init`; b = 0."""

    def __init__(
        self,
        nin: int,
        nout: int,
        *,
        init: str = "he",
        bias: bool = True,
        seed: int | np.random.Generator | None = None,
        dtype=np.float64,
    ):
        nin, nout = check_count("Linear", "nin", nin), check_count("Linear", "nout", nout)
        bound = init_bound(_check_init("Linear", init), nin, nout)
        if not isinstance(bias, (bool, np.bool_)):
            raise ValueError(f"Linear: bias must be True or False, got {show(bias)}")
        try:
            kind = np.dtype(dtype).kind
        except TypeError:
            kind = None
        if kind != "f":
            raise ValueError(f"Linear: dtype must be a float dtype (np.float64), got {show(dtype)}")
        self.W = Tensor(
            make_rng("Linear", seed).uniform(-bound, bound, size=(nin, nout)), dtype=dtype
        )
        self.b = Tensor(np.zeros(nout), dtype=dtype) if bias else None
        self.label_parameters("linear")  # a Sequential holding it renames it "layer0"

    def __call__(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            name, nin = _error_name(self, "linear"), self.W.shape[0]
            raise TypeError(
                f"{name}: x must be a Tensor of shape (n, {nin}), got {show(x)}; wrap a batch "
                "as Tensor(X), or use predict(model, X)"
            )
        if x.ndim == 0 or x.shape[-1] != self.W.shape[0]:
            raise ValueError(
                f"{_error_name(self, 'linear')}: expected inputs with {self.W.shape[0]} features, "
                f"got shape {x.shape}"
            )
        out = x @ self.W
        if self.b is not None:
            out = out + self.b
        out.label = self._path  # marks the module boundary for graph clusters
        return out

    def to_torch_layer(self, torch, dtype=None):
        """The equivalent torch.nn.Linear (torch stores the weight transposed: (nout, nin))."""
        from .export import _linear

        dtype = dtype or getattr(torch, str(self.W.dtype))
        bias = None if self.b is None else self.b.data
        return _linear(torch, self.W.data.T, bias, dtype)

    def __repr__(self) -> str:
        return f"Linear({self.W.shape[0]}, {self.W.shape[1]}, dtype={self.W.dtype})"


class Activation(Module):
    """An activation as a layer ("linear" "relu" "tanh" "sigmoid"), on Tensors and Values alike."""

    def __init__(self, name: str):
        self.name = check_activation(name, "Activation", "name")

    def __call__(self, x):
        return activate(x, self.name)

    def to_torch_layer(self, torch, dtype=None):
        return torch_layer(torch, self.name)

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


class Sequential(Module):
    """Modules applied one after the other; a string stands for an `Activation`.

    `Sequential(Linear(784, 300), "relu", Linear(300, 10))` is the classic MNIST network.
    """

    def __init__(self, *layers):
        if not layers:
            raise ValueError("Sequential: give at least one layer")
        self.layers = [Activation(m) if isinstance(m, str) else m for m in layers]
        for i, m in enumerate(self.layers):
            if not callable(m):
                raise TypeError(f"Sequential: layer {i} is a {type(m).__name__}, not callable")
        self.label_parameters()

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def __repr__(self) -> str:
        return "Sequential(" + ", ".join(repr(m) for m in self.layers) + ")"
