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
import numbers
from collections.abc import Sequence

import numpy as np

from autograd import Value, affine, collector_paused

from .activations import ACTIVATIONS, activate, check_activation
from .checks import check_count, make_rng, show
from .module import Module

__all__ = ["ACTIVATIONS", "INITS", "MLP", "Layer", "Neuron", "activate", "init_bound"]

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


def _check_init(where: str, init: object) -> str:
    if not (isinstance(init, str) and init in INITS):
        raise ValueError(f"{where}: init must be one of {INITS}, got {init!r}")
    return init


def _error_name(module: Module, standalone: str) -> str:
    """How errors name a module: its path in a model ("layer0.neuron3"), else its class."""
    path = getattr(module, "_path", "")
    return path if path and path != standalone else type(module).__name__


def _bad_sample(where: str, x: object, nin: int) -> TypeError:
    """The error for a call with something other than one sample of `nin` inputs: a batch (rows
    of numbers) points to `predict`, a bare number to a list."""
    wanted = f"one sample, a list of {nin} numbers or Values"
    if isinstance(x, (numbers.Real, Value)):
        return TypeError(f"{where}: expected {wanted}, got a single {show(x)}; wrap it: [{x!r}]")
    if isinstance(x, (list, tuple, np.ndarray)):
        sequences = (list, tuple, np.ndarray)
        if len(x) > 0 and all(isinstance(row, sequences) for row in x):
            return TypeError(
                f"{where}: expected {wanted}, got a batch of {len(x)} rows {show(x)}; call a "
                "model on one sample at a time, or use predict(model, X) for a batch"
            )
        for item in x:
            if not isinstance(item, (numbers.Real, Value)):
                return TypeError(f"{where}: inputs must be numbers or Values, got {show(item)}")
    return TypeError(f"{where}: expected {wanted}, got {show(x)}")


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
        nin = check_count("Neuron", "nin", nin)
        self.activation = check_activation(activation, "Neuron")
        bound = init_bound(_check_init("Neuron", init), nin, fan_out)
        self.w = [
            Value(float(v)) for v in make_rng("Neuron", seed).uniform(-bound, bound, size=nin)
        ]
        self.b = Value(0.0)
        self.label_parameters("neuron")  # a layer holding this neuron renames it "neuron3"

    def __call__(self, x: Sequence) -> Value:
        try:
            n = len(x)
        except TypeError:
            raise _bad_sample(_error_name(self, "neuron"), x, len(self.w)) from None
        if n != len(self.w):
            raise ValueError(
                f"{_error_name(self, 'neuron')}: expected {len(self.w)} inputs, got {n}"
            )
        try:
            out = activate(affine(self.w, x, self.b), self.activation)  # b + w0 x0 + w1 x1 + ...
        except TypeError:
            raise _bad_sample(_error_name(self, "neuron"), x, len(self.w)) from None
        out.label = self._path  # marks the module boundary for graph clusters
        return out

    def get_config(self) -> dict:
        return {"nin": len(self.w), "activation": self.activation}

    def description(self) -> str:
        return f"Neuron({len(self.w)} inputs, {self.activation})"

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
        check_count("Layer", "nin", nin)
        check_count("Layer", "nout", nout)
        check_activation(activation, "Layer")
        rng = make_rng("Layer", seed)
        self.neurons = [
            Neuron(nin, activation, init=init, seed=rng, fan_out=nout) for _ in range(nout)
        ]
        self.label_parameters()

    def __call__(self, x: Sequence) -> list[Value]:
        # Plain numbers become constant leaves once, shared by every neuron (not once a neuron).
        try:
            x = [v if v.__class__ is Value else Value(v) for v in x]
        except TypeError:
            raise _bad_sample(_error_name(self, "layer"), x, len(self.neurons[0].w)) from None
        return [neuron(x) for neuron in self.neurons]

    def get_config(self) -> dict:
        n = self.neurons[0]
        return {"nin": len(n.w), "nout": len(self.neurons), "activation": n.activation}

    def description(self) -> str:
        n = self.neurons[0]
        return f"Layer({len(n.w)}→{len(self.neurons)}, {n.activation})"

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
        check_count("MLP", "nin", nin)
        if isinstance(nouts, numbers.Integral) and not isinstance(nouts, bool):
            raise TypeError(
                f"MLP: nouts must be a list of layer sizes, got the int {nouts!r}; for one "
                f"layer of {nouts} write MLP({nin!r}, [{nouts!r}])"
            )
        if not isinstance(nouts, (list, tuple, np.ndarray)):
            raise TypeError(f"MLP: nouts must be a list of layer sizes, got {show(nouts)}")
        if len(nouts) == 0:
            raise ValueError("MLP: nouts must list at least one layer size")
        nouts = [check_count("MLP", f"nouts[{i}]", n) for i, n in enumerate(nouts)]
        if isinstance(activation, str):
            check_activation(activation, "MLP")
            check_activation(output_activation, "MLP", "output_activation")
            activations = [activation] * (len(nouts) - 1) + [output_activation]
        else:
            if not isinstance(activation, (list, tuple)):
                raise TypeError(
                    f"MLP: activation must be a name or a list of names, got {show(activation)}"
                )
            activations = list(activation)
            if len(activations) != len(nouts):
                raise ValueError(
                    f"MLP: {len(nouts)} layers but {len(activations)} activations {activations}"
                )
            for i, name in enumerate(activations):
                check_activation(name, "MLP", f"activation[{i}]")
        _check_init("MLP", init)
        rng = make_rng("MLP", seed)
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
        first, *rest = self.layers
        with collector_paused():
            try:
                out = first(x)
            except TypeError:
                raise _bad_sample("MLP", x, len(first.neurons[0].w)) from None
            for layer in rest:
                out = layer(out)
        return out[0] if len(out) == 1 else out

    def get_config(self) -> dict:
        c = self.config
        return {"nin": c["nin"], "nouts": c["nouts"], "activation": c["activations"]}

    def description(self) -> str:
        sizes = [len(self.layers[0].neurons[0].w)] + [len(layer.neurons) for layer in self.layers]
        return f"MLP({'→'.join(map(str, sizes))})"

    def __repr__(self) -> str:
        c = self.config
        return f"MLP({c['nin']}, {c['nouts']}, activations={c['activations']}, init={c['init']!r})"
