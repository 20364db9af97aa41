"""Optimizers, simplest first: a shared `Optimizer` base, then `SGD` and `Adam`.

The base keeps the parameters, the learning rate `lr` (an attribute a schedule may change), the
per-parameter state, `zero_grad`, `step` and the JSON-ready `state_dict` / `load_state_dict`. A
subclass only states its hyper-parameters and its update rule for one parameter.

A parameter is anything with `.data` and `.grad`: a scalar `Value` (floats) or a numpy-backed
`Tensor` (arrays, whose grad may be None, meaning no gradient: the parameter is skipped, as in
PyTorch). Updates are plain arithmetic, so one rule serves floats and arrays alike. The formulas
are PyTorch's exactly, so results match `torch.optim` to rounding.

>>> from autograd import Value
>>> w = Value(2.0)
>>> opt = SGD([w], lr=0.1)
>>> (w * w).backward()          # d(w^2)/dw = 4
>>> opt.step(); w.data          # 2 - 0.1 * 4
1.6
"""

from __future__ import annotations

import abc
import math
import numbers
from collections.abc import Iterable

import numpy as np

from autograd import Value

__all__ = ["SGD", "Adam", "Optimizer"]

_COUNTERS = frozenset({"step"})  # per-parameter state that is an int, not shaped like the parameter


class Optimizer(abc.ABC):
    """The shared machinery: parameters, `lr`, per-parameter state, `zero_grad`, `step`, state.

    Subclasses set `hyperparameter_names` and `buffer_names`, validate their hyper-parameters in
    `_checked`, and implement `_update(state, x, g) -> new x` for one parameter's data `x`.
    """

    hyperparameter_names: tuple[str, ...] = ("lr",)
    buffer_names: tuple[str, ...] = ()

    def __init__(self, params: Iterable, **hyperparameters):
        name = type(self).__name__
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{name}: the parameter list is empty (pass model.parameters())")
        seen = set()
        for i, p in enumerate(self.params):
            if not (hasattr(p, "data") and hasattr(p, "grad")):
                raise TypeError(
                    f"{name}: parameter {i} must have .data and .grad, got {type(p).__name__}"
                )
            if id(p) in seen:
                raise ValueError(f"{name}: parameter {i} appears more than once in the list")
            seen.add(id(p))
        lr = hyperparameters.get("lr")
        if not (_is_real(lr) and lr > 0.0):
            raise ValueError(f"{name}: lr must be a number > 0, got {lr!r}")
        for key, value in self._checked(hyperparameters, name).items():
            setattr(self, key, value)
        self.state: list[dict] = [{} for _ in self.params]

    def _checked(self, hp: dict, where: str) -> dict:
        """The hyper-parameters, validated and normalised; ValueError naming the first bad one."""
        lr = hp["lr"]
        if not (_is_real(lr) and math.isfinite(lr) and lr >= 0.0):
            raise ValueError(f"{where}: lr must be a finite number >= 0, got {lr!r}")
        return {"lr": float(lr)}

    @abc.abstractmethod
    def _update(self, state: dict, x, g):
        """The step d of this rule for one parameter x with gradient g: x becomes x - d.

        Written with plain arithmetic, so one rule serves floats and numpy arrays (each
        optimizer below defines it)."""

    def zero_grad(self) -> None:
        """Reset every gradient before the next backward pass: 0.0 for scalars, None for arrays."""
        for p in self.params:
            p.grad = None if isinstance(p.grad, np.ndarray) else 0.0

    def step(self) -> None:
        """Update every parameter that has a gradient by the optimizer's rule."""
        for p, state in zip(self.params, self.state):
            g = p.grad
            if g is None:
                continue
            if isinstance(g, Value):  # a gradient from backward(create_graph=True)
                g = g.data
            if isinstance(p.data, np.ndarray):
                p.data -= self._update(state, p.data, g)  # in place: no new array per step
            else:
                p.data = float(p.data - self._update(state, float(p.data), float(g)))

    # ---------------------------------------------------------------- saving and loading
    def state_dict(self) -> dict:
        """Hyper-parameters and per-parameter state (in parameter order) as JSON-ready data."""
        return {
            "optimizer": type(self).__name__,
            "hyperparameters": {k: _plain(getattr(self, k)) for k in self.hyperparameter_names},
            "state": [{k: _plain(v) for k, v in s.items()} for s in self.state],
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore what `state_dict()` saved. All or nothing: everything is checked first, and on
        any mismatch a ValueError names it and the optimizer is left unchanged."""
        name = type(self).__name__
        where = f"{name}.load_state_dict"
        _check_dict(state, "the state", ("optimizer", "hyperparameters", "state"), where)
        if state["optimizer"] != name:
            raise ValueError(f"{where}: the state is for {state['optimizer']!r}, not {name!r}")
        _check_dict(state["hyperparameters"], "hyperparameters", self.hyperparameter_names, where)
        hyper = self._checked(state["hyperparameters"], where)
        saved = state["state"]
        if not isinstance(saved, list):
            raise ValueError(f"{where}: 'state' must be a list, got {type(saved).__name__}")
        if len(saved) != len(self.params):
            raise ValueError(
                f"{where}: the state has {len(saved)} parameters, this optimizer has "
                f"{len(self.params)}"
            )
        buffers = [self._loaded(i, s, where) for i, s in enumerate(saved)]
        for key, value in hyper.items():
            setattr(self, key, value)
        self.state = buffers

    def _loaded(self, i: int, saved, where: str) -> dict:
        """One parameter's saved state, checked against the parameter and converted back."""
        if not isinstance(saved, dict):
            raise ValueError(
                f"{where}: the state of parameter {i} must be a dict, got {type(saved).__name__}"
            )
        if saved:
            _check_dict(saved, f"the state of parameter {i}", self.buffer_names, where)
        data = self.params[i].data
        out = {}
        for key, value in saved.items():
            label = f"{key!r} of parameter {i}"
            if key in _COUNTERS:
                if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
                    raise ValueError(f"{where}: {label} must be an int >= 1, got {value!r}")
                out[key] = value
            elif isinstance(data, np.ndarray):
                out[key] = _array_like(value, data, label, where)
            elif _is_real(value):
                out[key] = float(value)
            else:
                raise ValueError(
                    f"{where}: {label} must be a number (the parameter is a scalar), "
                    f"got {type(value).__name__}"
                )
        return out

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.hyperparameter_names)
        return f"{type(self).__name__}({len(self.params)} parameters, {hyper})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay.

    PyTorch's rule (no dampening): g = grad + weight_decay * p; with momentum, b = g on the first
    step and b = momentum * b + g after, then g = g + momentum * b (Nesterov) or g = b; finally
    p = p - lr * g.
    """

    hyperparameter_names = ("lr", "momentum", "nesterov", "weight_decay")
    buffer_names = ("momentum_buffer",)

    def __init__(
        self,
        params: Iterable,
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ):
        super().__init__(
            params, lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay
        )

    def _checked(self, hp: dict, where: str) -> dict:
        out = super()._checked(hp, where)
        out["momentum"] = _non_negative(hp["momentum"], "momentum", where)
        out["weight_decay"] = _non_negative(hp["weight_decay"], "weight_decay", where)
        if not isinstance(hp["nesterov"], bool):
            raise ValueError(f"{where}: nesterov must be True or False, got {hp['nesterov']!r}")
        if hp["nesterov"] and out["momentum"] == 0.0:
            raise ValueError(f"{where}: nesterov=True requires momentum > 0")
        out["nesterov"] = hp["nesterov"]
        return out

    def _update(self, state: dict, x, g):
        if self.weight_decay:
            g = g + self.weight_decay * x
        if self.momentum:
            buf = state.get("momentum_buffer")
            # The first buffer is a private copy of g: p.grad may later change in place.
            buf = _copy(g) if buf is None else self.momentum * buf + g
            state["momentum_buffer"] = buf
            g = g + self.momentum * buf if self.nesterov else buf
        return self.lr * g


class Adam(Optimizer):
    """Adam: steps scaled by running averages of the gradient (m) and its square (v).

    PyTorch's formulation: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, then with the bias
    corrections c1 = 1 - b1^t, c2 = 1 - b2^t: p = p - (lr / c1) * m / (sqrt(v) / sqrt(c2) + eps).
    weight_decay adds weight_decay * p to the gradient first (L2, not AdamW's decoupled decay).
    """

    hyperparameter_names = ("lr", "betas", "eps", "weight_decay")
    buffer_names = ("step", "exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def _checked(self, hp: dict, where: str) -> dict:
        out = super()._checked(hp, where)
        betas = hp["betas"]
        if not (
            isinstance(betas, (tuple, list))
            and len(betas) == 2
            and all(_is_real(b) and 0.0 <= b < 1.0 for b in betas)
        ):
            raise ValueError(f"{where}: betas must be two numbers in [0, 1), got {betas!r}")
        out["betas"] = (float(betas[0]), float(betas[1]))
        out["eps"] = _non_negative(hp["eps"], "eps", where)
        out["weight_decay"] = _non_negative(hp["weight_decay"], "weight_decay", where)
        return out

    def _update(self, state: dict, x, g):
        beta1, beta2 = self.betas
        if self.weight_decay:
            g = g + self.weight_decay * x
        t = state.get("step", 0) + 1
        m = beta1 * state.get("exp_avg", 0.0) + (1.0 - beta1) * g
        v = beta2 * state.get("exp_avg_sq", 0.0) + (1.0 - beta2) * (g * g)
        state.update(step=t, exp_avg=m, exp_avg_sq=v)
        correction1 = 1.0 - beta1**t
        correction2 = 1.0 - beta2**t
        denom = _sqrt(v) / math.sqrt(correction2) + self.eps
        return (self.lr / correction1) * (m / denom)


# -------------------------------------------------------------------- helpers


def _copy(x):
    return x.copy() if isinstance(x, np.ndarray) else x


def _is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _non_negative(x, name: str, where: str) -> float:
    if not (_is_real(x) and math.isfinite(x) and x >= 0.0):
        raise ValueError(f"{where}: {name} must be a finite number >= 0, got {x!r}")
    return float(x)


def _sqrt(x):
    return np.sqrt(x) if isinstance(x, np.ndarray) else math.sqrt(x)


def _plain(x):
    """A JSON-ready copy: arrays as nested lists, tuples as lists, numpy scalars as Python's."""
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, tuple):
        return [_plain(v) for v in x]
    if isinstance(x, (bool, int)):
        return x
    return float(x)


def _check_dict(d, what: str, names: tuple[str, ...], where: str) -> None:
    """`d` must be a dict with exactly the keys `names`."""
    if not isinstance(d, dict):
        raise ValueError(f"{where}: {what} must be a dict, got {type(d).__name__}")
    missing = [k for k in names if k not in d]
    if missing:
        raise ValueError(f"{where}: {what} is missing {missing[0]!r} (expected keys {list(names)})")
    extra = [k for k in d if k not in names]
    if extra:
        raise ValueError(f"{where}: {what} has an unexpected key {extra[0]!r}")


def _array_like(value, data: np.ndarray, label: str, where: str) -> np.ndarray:
    """A saved buffer (nested lists) back as an array of the parameter's shape and dtype."""
    dtype = data.dtype if np.issubdtype(data.dtype, np.floating) else np.float64
    try:
        array = np.array(value, dtype=dtype)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {label} is not a rectangular array of numbers") from None
    if array.shape != data.shape:
        raise ValueError(f"{where}: {label} has shape {array.shape}, the parameter {data.shape}")
    return array
