"""Neurons, layers and multilayer perceptrons on scalar Values.

>>> from nn import MLP
>>> model = MLP(2, [16, 16, 1], seed=0)     # relu hidden layers, linear output, like micrograd
>>> len(model.parameters())
337
>>> model.parameters()[0].label
'layer0.neuron0.w0'
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from autograd import Value, affine, collector_paused

from .module import Module

ACTIVATIONS = ("linear", "relu", "tanh", "sigmoid")
INITS = ("uniform", "lecun", "xavier", "he")


def init_bound(init: str, fan_in: int, fan_out: int) -> float:
    """Half-width a of the uniform distribution U(-a, a) each initialisation draws weights from.

    uniform: a = 1 (micrograd's). lecun: variance 1/fan_in, a = sqrt(3/fan_in) (LeCun et al.,
    Efficient BackProp). xavier: variance 2/(fan_in + fan_out), a = sqrt(6/(fan_in + fan_out))
    (Glorot & Bengio). he: variance 2/fan_in, a = sqrt(6/fan_in) (He et al., for relu).
    """
    if init == "uniform":
        return 1.0
    if init == "lecun":
        return math.sqrt(3.0 / fan_in)
    if init == "xavier":
        return math.sqrt(6.0 / (fan_in + fan_out))
    if init == "he":
        return math.sqrt(6.0 / fan_in)
    raise ValueError(f"init must be one of {INITS}, got {init!r}")


def activate(x: Value, activation: str) -> Value:
    """Apply a named activation to one Value."""
    if activation == "relu":
        return x.relu()
    if activation == "tanh":
        return x.tanh()
    if activation == "sigmoid":
        return x.sigmoid()
    return x


def _check_activation(activation: str) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    return activation


def _rng(seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


class Neuron(Module):
    """activation(w . x + b): `nin` weights drawn by `init`, a bias starting at 0."""

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        *,
        init: str = "uniform",
        seed: int | np.random.Generator | None = None,
        fan_out: int = 1,
    ):
        if not isinstance(nin, int) or nin < 1:
            raise ValueError(f"Neuron: nin must be a positive int, got {nin!r}")
        self.activation = _check_activation(activation)
        bound = init_bound(init, nin, fan_out)
        self.w = [Value(float(v)) for v in _rng(seed).uniform(-bound, bound, size=nin)]
        self.b = Value(0.0)
        self.label_parameters("neuron")  # a layer holding this neuron renames it "neuron3"

    def __call__(self, x: Sequence) -> Value:
        if len(x) != len(self.w):
            raise ValueError(
                f"{self._path or 'Neuron'}: expected {len(self.w)} inputs, got {len(x)}"
            )
        out = activate(affine(self.w, x, self.b), self.activation)  # b + w0 x0 + w1 x1 + ...
        out.label = self._path  # marks the module boundary for graph clusters
        return out

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """`nout` neurons reading the same `nin` inputs. Always returns a list, even of one."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        *,
        init: str = "uniform",
        seed: int | np.random.Generator | None = None,
    ):
        if not isinstance(nout, int) or nout < 1:
            raise ValueError(f"Layer: nout must be a positive int, got {nout!r}")
        rng = _rng(seed)
        self.neurons = [
            Neuron(nin, activation, init=init, seed=rng, fan_out=nout) for _ in range(nout)
        ]
        self.label_parameters()

    def __call__(self, x: Sequence) -> list[Value]:
        # Plain numbers become constant leaves once, shared by every neuron (not once a neuron).
        x = [v if v.__class__ is Value else Value(v) for v in x]
        return [neuron(x) for neuron in self.neurons]

    def __repr__(self) -> str:
        n = self.neurons[0]
        return f"Layer({len(n.w)}, {len(self.neurons)}, activation={n.activation!r})"


class MLP(Module):
    """A multilayer perceptron: `MLP(2, [16, 16, 1])` has two relu hidden layers of 16 and a
    linear output, exactly micrograd's network. Returns a Value when the last layer has one
    neuron, else a list.

    `activation` is the hidden layers' activation, or a list with one entry per layer (output
    layer included, which then overrides `output_activation`).
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | Sequence[str] = "relu",
        output_activation: str = "linear",
        *,
        init: str = "uniform",
        seed: int | np.random.Generator | None = None,
    ):
        if not nouts:
            raise ValueError("MLP: nouts must list at least one layer size")
        if isinstance(activation, str):
            _check_activation(activation)
            activations = [activation] * (len(nouts) - 1) + [output_activation]
        else:
            activations = list(activation)
            if len(activations) != len(nouts):
                raise ValueError(
                    f"MLP: {len(nouts)} layers but {len(activations)} activations {activations}"
                )
        rng = _rng(seed)
        sizes = [nin, *nouts]
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activations[i], init=init, seed=rng)
            for i in range(len(nouts))
        ]
        self.config = {
            "nin": nin,
            "nouts": list(nouts),
            "activations": activations,
            "init": init,
        }
        self.label_parameters()

    def __call__(self, x: Sequence) -> Value | list[Value]:
        # The collector paused: it could find no cycles in the graph being built, only cost time
        # (the micrograd-style loop, collector on, spent most of its forward in it).
        with collector_paused():
            for layer in self.layers:
                x = layer(x)
        return x[0] if len(x) == 1 else x

    def __repr__(self) -> str:
        c = self.config
        return f"MLP({c['nin']}, {c['nouts']}, activations={c['activations']}, init={c['init']!r})"
