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
from autograd.conv import (
    avg_pool2d,
    batch_norm,
    conv2d,
    conv_transpose2d,
    dropout,
    flatten,
    max_pool2d,
)

from .activations import TABLE, activate, check_activation, torch_layer
from .checkpoint import CheckpointError, architecture, build
from .checks import (
    check_bool,
    check_choice,
    check_count,
    check_dtype,
    check_int,
    check_pair,
    check_range,
    make_rng,
    show,
)
from .layers import _error_name, init_bound
from .module import Module

__all__ = ["Activation", "Linear", "Sequential"]


class Linear(Module):
    """x @ W + b for a batch x of shape (n, nin): W is (nin, nout), initialised by `init` (see
    `init_weight`); b = 0, or PyTorch's default with init="torch"."""

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
        check_choice("Linear", "init", init, INITS)
        check_bool("Linear", "bias", bias)
        dtype = check_dtype("Linear", dtype)
        rng = make_rng("Linear", seed)
        self.W = Tensor(init_weight(init, (nin, nout), nin, nout, rng), dtype=dtype)
        self.b = Tensor(init_bias(init, nout, nin, rng), dtype=dtype) if bias else None
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

    def get_config(self) -> dict:
        nin, nout = self.W.shape
        return {"nin": nin, "nout": nout, "bias": self.b is not None, "dtype": str(self.W.dtype)}

    def description(self) -> str:
        nin, nout = self.W.shape
        return f"Linear({nin}→{nout}{'' if self.b is not None else ', no bias'})"

    def __repr__(self) -> str:
        bias = "" if self.b is not None else ", bias=False"
        return f"Linear({self.W.shape[0]}, {self.W.shape[1]}{bias}, dtype={self.W.dtype})"


class Activation(Module):
    """An activation as a layer ("linear" "relu" "tanh" "sigmoid"), on Tensors and Values alike."""

    def __init__(self, name: str):
        self.name = check_activation(name, "Activation", "name")

    def __call__(self, x):
        out = activate(x, self.name)
        return x if out is x else _labelled(out, self)  # "linear" is x itself: keep its label

    def description(self) -> str:
        return TABLE[self.name].torch_module or "Identity"

    def to_torch_layer(self, torch, dtype=None):
        return torch_layer(torch, self.name)

    def get_config(self) -> dict:
        return {"name": self.name}

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

    def get_config(self) -> dict:
        return {"layers": [architecture(m) for m in self.layers]}

    @classmethod
    def from_config(cls, config: dict) -> Sequential:
        layers = config["layers"]
        if not isinstance(layers, list):
            raise ValueError(f"Sequential: layers must be a list, got {type(layers).__name__}")
        return cls(*[build(s, f"architecture.config.layers.{i}") for i, s in enumerate(layers)])

    def to_torch_layer(self, torch, dtype=None):
        """A torch.nn.Sequential of the layers' equivalents (a nested Sequential stays nested,
        so torch's parameter names follow ours: `0.1.weight` for `layer0.layer1.W`)."""
        from .export import torch_layers

        return torch.nn.Sequential(*torch_layers(torch, self.layers, dtype))

    def description(self) -> str:
        return f"Sequential({len(self.layers)} layers)"

    def __repr__(self) -> str:
        return "Sequential(" + ", ".join(repr(m) for m in self.layers) + ")"


# ---------------------------------------------------------------------- convolutional layers

INITS = ("torch", "xavier", "glorot", "he", "kaiming", "lecun", "uniform", "zeros")


def init_weight(
    init: str, shape: tuple, fan_in: int, fan_out: int, rng: np.random.Generator
) -> np.ndarray:
    """Weights of `shape` drawn by a named initialisation.

    "torch": PyTorch's default for Linear and Conv layers, kaiming_uniform with a = sqrt(5),
    i.e. U(-b, b) with b = gain sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)): b = 1 / sqrt(fan_in).
    "xavier" / "glorot": U(-b, b), b = sqrt(6 / (fan_in + fan_out)). "he" / "kaiming":
    b = sqrt(6 / fan_in) (kaiming_uniform for relu). "lecun", "uniform": see `init_bound`.
    "zeros": all zero.
    """
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    if init == "zeros":
        return np.zeros(shape)
    name = {"torch": "torch", "glorot": "xavier", "kaiming": "he"}.get(init, init)
    bound = 1.0 / np.sqrt(fan_in) if name == "torch" else init_bound(name, fan_in, fan_out)
    return rng.uniform(-bound, bound, size=shape)


def init_bias(init: str, n: int, fan_in: int, rng: np.random.Generator) -> np.ndarray:
    """PyTorch's default bias, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), with init="torch"; zeros
    with any named initialisation (the usual convention with Xavier and He)."""
    if init == "torch":
        bound = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, size=n)
    return np.zeros(n)


def _labelled(out, module: Module):
    out.label = getattr(module, "_path", "")  # marks the module boundary for graph clusters
    return out


def _pair(value) -> tuple:
    return (value, value) if isinstance(value, int) else tuple(value)


def _size_text(value) -> str:
    """A kernel size, stride or padding as a description shows it: `2`, or `2×3` when unequal."""
    a, b = _pair(value)
    return str(a) if a == b else f"{a}×{b}"


def _options(*named: tuple[str, object, object]) -> str:
    """`, stride 2, pad 1`: each (name, value, default) whose value is not the default."""
    return "".join(
        f", {name} {_size_text(value)}"
        for name, value, default in named
        if _pair(value) != _pair(default)
    )


def _arguments(*named: tuple[str, object, object]) -> str:
    """`, padding=1, bias=False` for a repr: each (name, value, default) whose value is not the
    default, as torch's reprs show them (sizes are in their canonical form: 3 for (3, 3))."""
    return "".join(f", {name}={value!r}" for name, value, default in named if value != default)


def _dtype_argument(dtype: np.dtype) -> tuple[str, object, object]:
    return ("dtype", _DtypeName(dtype), _DtypeName(np.dtype(np.float64)))


class _DtypeName(str):
    """A dtype as a repr names it: `dtype=float32`, not `dtype='float32'`."""

    def __new__(cls, dtype: np.dtype):
        return super().__new__(cls, str(dtype))

    def __repr__(self) -> str:
        return str(self)


def _conv_arguments(
    layer: str, in_channels, out_channels, kernel_size, groups, bias, init
) -> int | tuple[int, int]:
    """Check a convolution layer's channel counts, kernel, groups, bias and init, naming the
    layer; its kernel size in canonical form."""
    check_count(layer, "in_channels", in_channels)
    check_count(layer, "out_channels", out_channels)
    kernel = check_pair(layer, "kernel_size", kernel_size)
    check_count(layer, "groups", groups)
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"{layer}: in_channels {in_channels} and out_channels {out_channels} must both be "
            f"divisible by groups={groups}"
        )
    check_bool(layer, "bias", bias)
    check_choice(layer, "init", init, INITS)
    return kernel


def _conv_padding(layer: str, padding) -> int | tuple[int, int]:
    if isinstance(padding, str):
        raise ValueError(
            f"{layer}: padding must be an int >= 0 or a pair of them, got {show(padding)} "
            "(torch's padding='same' and 'valid' are not offered: 'valid' is 0, and 'same' at "
            "stride 1 is (k - 1) // 2 for an odd kernel size k)"
        )
    return check_pair(layer, "padding", padding, minimum=0)


class Conv2d(Module):
    """2-D convolution over (N, C, H, W) batches (torch.nn.Conv2d's arguments and layout): W is
    (out_channels, in_channels / groups, kh, kw), b is (out_channels,). `init` names the weight
    initialisation (default PyTorch's; see `init_weight`). Every argument is checked here,
    before any weight is drawn."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        *,
        init: str = "torch",
        seed: int | np.random.Generator | None = None,
        dtype=np.float64,
    ):
        name = "Conv2d"
        kernel = _conv_arguments(name, in_channels, out_channels, kernel_size, groups, bias, init)
        self.kernel_size = kernel
        self.stride = check_pair(name, "stride", stride)
        self.padding = _conv_padding(name, padding)
        self.dilation = check_pair(name, "dilation", dilation)
        self.groups = int(groups)
        dtype = check_dtype(name, dtype)
        rng = make_rng(name, seed)
        kh, kw = _pair(kernel)
        fan_in = in_channels // groups * kh * kw
        shape = (out_channels, in_channels // groups, kh, kw)
        self.W = Tensor(init_weight(init, shape, fan_in, out_channels * kh * kw, rng), dtype=dtype)
        self.b = Tensor(init_bias(init, out_channels, fan_in, rng), dtype=dtype) if bias else None
        self.label_parameters("conv")

    def __call__(self, x: Tensor) -> Tensor:
        out = conv2d(x, self.W, self.b, self.stride, self.padding, self.dilation, self.groups)
        return _labelled(out, self)

    def to_torch_layer(self, torch, dtype=None):
        o, c, kh, kw = self.W.shape
        layer = torch.nn.Conv2d(
            c * self.groups,
            o,
            (kh, kw),
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
            bias=self.b is not None,
            dtype=dtype or getattr(torch, str(self.W.dtype)),
        )
        return _copy_into(torch, layer, self.W, self.b)

    def get_config(self) -> dict:
        o, c = self.W.shape[:2]
        return {
            "in_channels": c * self.groups,
            "out_channels": o,
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": self.padding,
            "dilation": self.dilation,
            "groups": self.groups,
            "bias": self.b is not None,
            "dtype": str(self.W.dtype),
        }

    def description(self) -> str:
        o, c, kh, kw = self.W.shape
        options = _options(
            ("stride", self.stride, 1),
            ("pad", self.padding, 0),
            ("dilation", self.dilation, 1),
            ("groups", self.groups, 1),
        )
        bias = "" if self.b is not None else ", no bias"
        return f"Conv2d({c * self.groups}→{o}, {kh}×{kw}{options}{bias})"

    def __repr__(self) -> str:
        o, c = self.W.shape[:2]
        options = _arguments(
            ("padding", self.padding, 0),
            ("dilation", self.dilation, 1),
            ("groups", self.groups, 1),
            ("bias", self.b is not None, True),
            _dtype_argument(self.W.dtype),
        )
        return (
            f"Conv2d({c * self.groups}, {o}, kernel_size={self.kernel_size!r}, "
            f"stride={self.stride!r}{options})"
        )


class ConvTranspose2d(Module):
    """The transposed convolution (torch.nn.ConvTranspose2d's arguments and layout): W is
    (in_channels, out_channels / groups, kh, kw); it upsamples by `stride`."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        output_padding: int | tuple[int, int] = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: int | tuple[int, int] = 1,
        *,
        init: str = "torch",
        seed: int | np.random.Generator | None = None,
        dtype=np.float64,
    ):
        name = "ConvTranspose2d"
        kernel = _conv_arguments(name, in_channels, out_channels, kernel_size, groups, bias, init)
        self.kernel_size = kernel
        self.stride = check_pair(name, "stride", stride)
        self.padding = _conv_padding(name, padding)
        self.output_padding = check_pair(name, "output_padding", output_padding, minimum=0)
        self.groups = int(groups)
        self.dilation = check_pair(name, "dilation", dilation)
        pairs = zip(_pair(self.output_padding), _pair(self.stride), _pair(self.dilation))
        if any(e >= s and e >= d for e, s, d in pairs):
            raise ValueError(
                f"{name}: output_padding must be smaller than stride {self.stride!r} or dilation "
                f"{self.dilation!r} (as torch: it picks one of the possible output sizes), got "
                f"{show(output_padding)}"
            )
        dtype = check_dtype(name, dtype)
        rng = make_rng(name, seed)
        kh, kw = _pair(kernel)
        fan_in = out_channels // groups * kh * kw  # torch's fan_in of this weight: its axis 1
        shape = (in_channels, out_channels // groups, kh, kw)
        self.W = Tensor(init_weight(init, shape, fan_in, in_channels * kh * kw, rng), dtype=dtype)
        self.b = Tensor(init_bias(init, out_channels, fan_in, rng), dtype=dtype) if bias else None
        self.label_parameters("deconv")

    def __call__(self, x: Tensor) -> Tensor:
        out = conv_transpose2d(
            x,
            self.W,
            self.b,
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            self.dilation,
        )
        return _labelled(out, self)

    def to_torch_layer(self, torch, dtype=None):
        c, o, kh, kw = self.W.shape
        layer = torch.nn.ConvTranspose2d(
            c,
            o * self.groups,
            (kh, kw),
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            bias=self.b is not None,
            dilation=self.dilation,
            dtype=dtype or getattr(torch, str(self.W.dtype)),
        )
        return _copy_into(torch, layer, self.W, self.b)

    def get_config(self) -> dict:
        c, o = self.W.shape[:2]
        return {
            "in_channels": c,
            "out_channels": o * self.groups,
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "groups": self.groups,
            "bias": self.b is not None,
            "dilation": self.dilation,
            "dtype": str(self.W.dtype),
        }

    def description(self) -> str:
        c, o, kh, kw = self.W.shape
        options = _options(
            ("stride", self.stride, 1),
            ("pad", self.padding, 0),
            ("output pad", self.output_padding, 0),
            ("dilation", self.dilation, 1),
            ("groups", self.groups, 1),
        )
        bias = "" if self.b is not None else ", no bias"
        return f"ConvTranspose2d({c}→{o * self.groups}, {kh}×{kw}{options}{bias})"

    def __repr__(self) -> str:
        c, o = self.W.shape[:2]
        options = _arguments(
            ("padding", self.padding, 0),
            ("output_padding", self.output_padding, 0),
            ("groups", self.groups, 1),
            ("bias", self.b is not None, True),
            ("dilation", self.dilation, 1),
            _dtype_argument(self.W.dtype),
        )
        return (
            f"ConvTranspose2d({c}, {o * self.groups}, kernel_size={self.kernel_size!r}, "
            f"stride={self.stride!r}{options})"
        )


def _copy_into(torch, layer, W: Tensor, b: Tensor | None):
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(W.data))
        if b is not None:
            layer.bias.copy_(torch.as_tensor(b.data))
    return layer


def _pool_arguments(layer: str, kernel_size, stride, padding) -> tuple:
    """A pooling layer's kernel, stride (the kernel's by default) and padding in canonical
    form; padding is at most half the kernel, as torch requires."""
    kernel = check_pair(layer, "kernel_size", kernel_size)
    stride = kernel if stride is None else check_pair(layer, "stride", stride)
    padding = check_pair(layer, "padding", padding, minimum=0)
    if any(2 * p > k for p, k in zip(_pair(padding), _pair(kernel))):
        raise ValueError(
            f"{layer}: padding must be at most half of kernel_size {kernel!r} (as torch), got "
            f"{show(padding)}"
        )
    return kernel, stride, padding


class MaxPool2d(Module):
    """The maximum of each window (stride defaults to the kernel size). torch's dilation,
    ceil_mode and return_indices are not offered."""

    def __init__(self, kernel_size, stride=None, padding=0):
        self.kernel_size, self.stride, self.padding = _pool_arguments(
            "MaxPool2d", kernel_size, stride, padding
        )
        self.label_parameters("pool")

    def __call__(self, x: Tensor) -> Tensor:
        return _labelled(max_pool2d(x, self.kernel_size, self.stride, self.padding), self)

    def to_torch_layer(self, torch, dtype=None):
        return torch.nn.MaxPool2d(self.kernel_size, self.stride, self.padding)

    def get_config(self) -> dict:
        return {"kernel_size": self.kernel_size, "stride": self.stride, "padding": self.padding}

    def description(self) -> str:
        return _pool_description(self)

    def __repr__(self) -> str:
        return _pool_repr(self)


class AvgPool2d(Module):
    """The mean of each window (padded zeros count unless count_include_pad=False). Unlike
    torch.nn.AvgPool2d(kernel_size, stride, padding, ceil_mode, count_include_pad), whose fourth
    argument is ceil_mode (not offered here), count_include_pad is keyword-only: torch's
    positional form fails rather than computing something else."""

    def __init__(self, kernel_size, stride=None, padding=0, *, count_include_pad: bool = True):
        self.kernel_size, self.stride, self.padding = _pool_arguments(
            "AvgPool2d", kernel_size, stride, padding
        )
        self.count_include_pad = check_bool("AvgPool2d", "count_include_pad", count_include_pad)
        self.label_parameters("pool")

    def __call__(self, x: Tensor) -> Tensor:
        out = avg_pool2d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            count_include_pad=self.count_include_pad,
        )
        return _labelled(out, self)

    def to_torch_layer(self, torch, dtype=None):
        return torch.nn.AvgPool2d(
            self.kernel_size, self.stride, self.padding, count_include_pad=self.count_include_pad
        )

    def get_config(self) -> dict:
        return {
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": self.padding,
            "count_include_pad": self.count_include_pad,
        }

    def description(self) -> str:
        extra = "" if self.count_include_pad else ", padding not counted"
        return _pool_description(self, extra)

    def __repr__(self) -> str:
        return _pool_repr(self, _arguments(("count_include_pad", self.count_include_pad, True)))


def _pool_description(pool: MaxPool2d | AvgPool2d, extra: str = "") -> str:
    """`MaxPool2d(2)`; a stride other than the kernel size and any padding are named."""
    options = _options(("stride", pool.stride, pool.kernel_size), ("pad", pool.padding, 0))
    return f"{type(pool).__name__}({_size_text(pool.kernel_size)}{options}{extra})"


def _pool_repr(pool: MaxPool2d | AvgPool2d, extra: str = "") -> str:
    """`MaxPool2d(kernel_size=2, stride=2)`, then any padding, as torch."""
    padding = _arguments(("padding", pool.padding, 0))
    return (
        f"{type(pool).__name__}(kernel_size={pool.kernel_size!r}, stride={pool.stride!r}"
        f"{padding}{extra})"
    )


class Flatten(Module):
    """Merge axes start_axis..end_axis (default: all but the batch axis), as torch.nn.Flatten."""

    def __init__(self, start_axis: int = 1, end_axis: int = -1):
        self.start_axis = check_int("Flatten", "start_axis", start_axis)
        self.end_axis = check_int("Flatten", "end_axis", end_axis)
        if (self.start_axis >= 0) == (self.end_axis >= 0) and self.end_axis < self.start_axis:
            raise ValueError(
                f"Flatten: end_axis {self.end_axis} comes before start_axis {self.start_axis}"
            )
        self.label_parameters("flatten")

    def __call__(self, x: Tensor) -> Tensor:
        return _labelled(flatten(x, self.start_axis, self.end_axis), self)

    def to_torch_layer(self, torch, dtype=None):
        return torch.nn.Flatten(self.start_axis, self.end_axis)

    def get_config(self) -> dict:
        return {"start_axis": self.start_axis, "end_axis": self.end_axis}

    def description(self) -> str:
        axes = (self.start_axis, self.end_axis)
        return "Flatten()" if axes == (1, -1) else f"Flatten(axes {axes[0]}..{axes[1]})"

    def __repr__(self) -> str:
        options = _arguments(("start_axis", self.start_axis, 1), ("end_axis", self.end_axis, -1))
        return f"Flatten({options.removeprefix(', ')})"


class Dropout(Module):
    """Inverted dropout in training mode (zero with probability p, scale the rest by 1/(1-p)),
    the identity in eval mode. `seed` seeds the layer's own generator: a fresh mask each call,
    the same sequence of masks for the same seed. (Checkpoints do not save the generator's
    state: a loaded model draws on from its own generator.)"""

    def __init__(self, p: float = 0.5, *, seed: int | np.random.Generator | None = None):
        self.p = check_range("Dropout", "p", p, 0.0, 1.0)
        self._rng = make_rng("Dropout", seed)
        self.label_parameters("dropout")

    def __call__(self, x: Tensor) -> Tensor:
        out = dropout(x, self.p, self.training, self._rng)
        return x if out is x else _labelled(out, self)

    def to_torch_layer(self, torch, dtype=None):
        return torch.nn.Dropout(self.p)

    def get_config(self) -> dict:
        return {"p": self.p}

    def description(self) -> str:
        return f"Dropout({self.p:g})"

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class _BatchNorm(Module):
    """Batch normalisation per channel (axis 1): learnable scale W (ones) and shift b (zeros),
    running statistics as buffers (Tensors that require no grad, saved with the parameters).
    Training normalises with the batch's statistics and updates the running ones (momentum 0.1,
    unbiased variance, as torch); eval normalises with the running ones. eps > 0 and momentum
    in [0, 1] (torch's momentum=None, a cumulative average, is not offered)."""

    dims: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = True,
        *,
        dtype=np.float64,
    ):
        name = type(self).__name__
        check_count(name, "num_features", num_features)
        self.eps = check_range(name, "eps", eps, 0.0, open_low=True)
        if momentum is None:
            raise ValueError(
                f"{name}: momentum must be a finite number in [0, 1], got None (torch's "
                "cumulative average is not offered)"
            )
        self.momentum = check_range(name, "momentum", momentum, 0.0, 1.0)
        check_bool(name, "affine", affine)
        dtype = check_dtype(name, dtype)
        self.W = Tensor(np.ones(num_features), dtype=dtype) if affine else None
        self.b = Tensor(np.zeros(num_features), dtype=dtype) if affine else None
        self.running_mean = Tensor(np.zeros(num_features), dtype=dtype, requires_grad=False)
        self.running_var = Tensor(np.ones(num_features), dtype=dtype, requires_grad=False)
        self.label_parameters("norm")

    def __call__(self, x: Tensor) -> Tensor:
        if x.ndim not in self.dims or x.shape[1] != self.running_mean.shape[0]:
            raise ValueError(
                f"{self._path or type(self).__name__}: expected a "
                f"{' or '.join(map(str, self.dims))}-d input with "
                f"{self.running_mean.shape[0]} channels, got shape {x.shape}"
            )
        out = batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.W,
            self.b,
            self.training,
            self.momentum,
            self.eps,
        )
        return _labelled(out, self)

    def check_state(self, state: dict) -> None:
        """A variance is never negative: eval would take the square root of one (NaN)."""
        variance = np.asarray(state["running_var"])
        if np.any(variance < 0):
            i = int(np.argmin(variance))
            raise CheckpointError(
                f"must be >= 0 (a variance), got {float(variance[i])!r} at index {i}",
                field="running_var",
            )

    def to_torch_layer(self, torch, dtype=None):
        kind = torch.nn.BatchNorm1d if self.dims == (2, 3) else torch.nn.BatchNorm2d
        n = self.running_mean.shape[0]
        dtype = dtype or getattr(torch, str(self.running_mean.dtype))
        layer = kind(n, self.eps, self.momentum, affine=self.W is not None, dtype=dtype)
        with torch.no_grad():
            layer.running_mean.copy_(torch.as_tensor(self.running_mean.data))
            layer.running_var.copy_(torch.as_tensor(self.running_var.data))
            if self.W is not None and self.b is not None:  # affine: both or neither
                layer.weight.copy_(torch.as_tensor(self.W.data))
                layer.bias.copy_(torch.as_tensor(self.b.data))
        return layer

    def get_config(self) -> dict:
        return {
            "num_features": self.running_mean.shape[0],
            "eps": self.eps,
            "momentum": self.momentum,
            "affine": self.W is not None,
            "dtype": str(self.running_mean.dtype),
        }

    def description(self) -> str:
        affine = "" if self.W is not None else ", no affine"
        return f"{type(self).__name__}({self.running_mean.shape[0]}{affine})"

    def __repr__(self) -> str:
        options = _arguments(
            ("eps", self.eps, 1e-5),
            ("momentum", self.momentum, 0.1),
            ("affine", self.W is not None, True),
            _dtype_argument(self.running_mean.dtype),
        )
        return f"{type(self).__name__}({self.running_mean.shape[0]}{options})"


class BatchNorm1d(_BatchNorm):
    """Batch norm of (N, C) or (N, C, L) inputs over the batch (and length) axes."""

    dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm of (N, C, H, W) inputs over the batch and spatial axes."""

    dims = (4,)


class Softmax(Module):
    """softmax along `axis` as a layer (axis 1: over the channels of (N, C, ...) feature maps or
    the features of (N, F) rows), as torch.nn.Softmax(dim=axis)."""

    def __init__(self, axis: int = 1):
        self.axis = check_int("Softmax", "axis", axis)
        self.label_parameters("softmax")

    def __call__(self, x: Tensor) -> Tensor:
        return _labelled(x.softmax(self.axis), self)

    def to_torch_layer(self, torch, dtype=None):
        return torch.nn.Softmax(dim=self.axis)

    def get_config(self) -> dict:
        return {"axis": self.axis}

    def description(self) -> str:
        return f"Softmax(axis {self.axis})"

    def __repr__(self) -> str:
        return f"Softmax(axis={self.axis})"
