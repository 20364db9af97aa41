"""Optimizers, simplest first: a shared `Optimizer` base, then `SGD` and `Adam`.

The base keeps the parameters, the learning rate `lr` (an attribute a schedule may change), the
per-parameter state, `zero_grad`, `step` and the JSON-ready `state_dict` / `load_state_dict`. A
subclass only states its hyper-parameters and its update rule for one parameter.

A parameter is anything with `.data` and `.grad`: a scalar `Value` (floats) or a numpy-backed
`Tensor` (arrays, whose grad may be None, meaning no gradient: the parameter is skipped, as in
PyTorch). Updates are plain arithmetic, so one rule serves floats and arrays alike. The formulas
are PyTorch's exactly, so results match `torch.optim` to rounding.

>>> from autograd import Value, zero_grad
>>> w = Value(2.0)
>>> opt = SGD([w], lr=0.1)
>>> (w * w).backward()          # d(w^2)/dw = 4
>>> opt.step(); w.data          # 2 - 0.1 * 4
1.6
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from autograd import Value, zero_grad

from .checkpoint import CheckpointError, check_keys, count, is_real, real_array
from .checks import show

__all__ = ["SGD", "Adam", "Optimizer"]

_COUNTERS = frozenset({"step"})  # per-parameter state that is an int, not shaped like the parameter

Fail = Callable[[str, str], Exception]  # (argument, problem) -> the error to raise


class Optimizer(abc.ABC):
    """The shared machinery: parameters, `lr`, per-parameter state, `zero_grad`, `step`, state.

    Subclasses set `hyperparameter_names` and `buffer_names`, validate their hyper-parameters in
    `_checked`, and implement `_update(state, x, g) -> new x` for one parameter's data `x`.
    """

    hyperparameter_names: tuple[str, ...] = ("lr",)
    buffer_names: tuple[str, ...] = ()
    lr: float
    non_negative_buffers: tuple[str, ...] = ()

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

        def fail(argument: str, problem: str) -> Exception:
            return ValueError(f"{name}: {argument} {problem}")

        for key, value in self._checked(hyperparameters, fail).items():
            setattr(self, key, value)
        self.state: list[dict] = [{} for _ in self.params]

    def _checked(self, hp: dict, fail: Fail) -> dict:
        """The hyper-parameters, validated and normalised, the same in the constructor and in
        `load_state_dict`; `fail(name, problem)` makes the error for the first bad one."""
        return {"lr": _number(hp["lr"], "lr", fail, positive=True)}

    @abc.abstractmethod
    def _update(self, state: dict, x, g):
        """The step d of this rule for one parameter x with gradient g: x becomes x - d.

        Written with plain arithmetic, so one rule serves floats and numpy arrays (each
        optimizer below defines it)."""

    def zero_grad(self) -> None:
        """Reset every gradient before the next backward pass, by the parameter's type (as
        `Module.zero_grad`): 0.0 for a Value, None for a Tensor, which `step` then skips
        (no weight decay, no momentum) until a backward pass gives it a gradient."""
        zero_grad(self.params)

    def step(self) -> None:
        """Update every parameter that has a gradient by the optimizer's rule; a parameter
        whose grad is None got no gradient and is left alone, state and all (as in PyTorch)."""
        for p, state in zip(self.params, self.state):
            g = p.grad
            if g is None:
                continue
            if isinstance(g, Value):  # a gradient from backward(create_graph=True)
                g = g.data
            if isinstance(p.data, np.ndarray):
                # An array's own .shape: np.shape costs a dispatch per parameter per step.
                shape = g.shape if g.__class__ is np.ndarray else np.shape(g)
                if shape != p.data.shape:  # e.g. a scalar 0.0: the same for every entry
                    g = np.broadcast_to(np.asarray(g, p.data.dtype), p.data.shape)
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
        """Restore what `state_dict()` saved. All or nothing: everything is checked first (the
        hyper-parameters as the constructor checks them; every buffer finite, of its parameter's
        shape, an Adam second moment >= 0), and on any mismatch a CheckpointError (a
        ValueError) names the field and the optimizer is left unchanged."""
        name = type(self).__name__
        where = f"{name}.load_state_dict"

        def fail(argument: str, problem: str) -> Exception:
            return CheckpointError(problem, field=f"hyperparameters.{argument}", where=where)

        check_keys(state, "the state", ("optimizer", "hyperparameters", "state"), where=where)
        if state["optimizer"] != name:
            raise CheckpointError(
                f"is for {show(state['optimizer'])}, not {name!r}", field="the state", where=where
            )
        names = self.hyperparameter_names
        check_keys(state["hyperparameters"], "hyperparameters", names, where=where)
        hyper = self._checked(state["hyperparameters"], fail)
        saved = state["state"]
        if not isinstance(saved, list):
            raise CheckpointError(
                f"must be a list, got {type(saved).__name__}", field="state", where=where
            )
        if len(saved) != len(self.params):
            raise CheckpointError(
                f"has {len(saved)} parameters, this optimizer has {len(self.params)}",
                field="state",
                where=where,
            )
        buffers = [self._loaded(i, s, where) for i, s in enumerate(saved)]
        for key, value in hyper.items():
            setattr(self, key, value)
        self.state = buffers

    def _loaded(self, i: int, saved, where: str) -> dict:
        """One parameter's saved state, checked against the parameter and converted back."""
        field = f"state.{i}"
        check_keys(saved, field, (), self.buffer_names, where=where)
        if saved and set(saved) != set(self.buffer_names):
            missing = [k for k in self.buffer_names if k not in saved]
            raise CheckpointError(f"is missing {missing[0]!r}", field=field, where=where)
        data = self.params[i].data
        if isinstance(data, np.ndarray):
            dtype = data.dtype if data.dtype.kind == "f" else np.dtype(np.float64)
            shape = data.shape
        else:
            dtype, shape = np.dtype(np.float64), ()
        out: dict[str, Any] = {}
        for key, value in saved.items():
            label = f"{field}.{key}"
            if key in _COUNTERS:
                out[key] = count(value, label, minimum=1, where=where)
                continue
            array = real_array(value, shape, dtype, label, where=where)
            if key in self.non_negative_buffers and np.any(array < 0):
                raise CheckpointError(
                    "must be >= 0 (a running average of squares)", field=label, where=where
                )
            out[key] = array if isinstance(data, np.ndarray) else float(array)
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
    momentum: float
    nesterov: bool
    weight_decay: float

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

    def _checked(self, hp: dict, fail: Fail) -> dict:
        out = super()._checked(hp, fail)
        out["momentum"] = _number(hp["momentum"], "momentum", fail)
        out["weight_decay"] = _number(hp["weight_decay"], "weight_decay", fail)
        if not isinstance(hp["nesterov"], bool):
            raise fail("nesterov", f"must be True or False, got {show(hp['nesterov'])}")
        if hp["nesterov"] and out["momentum"] == 0.0:
            raise fail(
                "nesterov", "must be False without momentum (nesterov=True needs momentum > 0)"
            )
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
    non_negative_buffers = ("exp_avg_sq",)
    betas: tuple[float, float]
    eps: float
    weight_decay: float

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def _checked(self, hp: dict, fail: Fail) -> dict:
        out = super()._checked(hp, fail)
        betas = hp["betas"]
        if not (
            isinstance(betas, (tuple, list))
            and len(betas) == 2
            and all(is_real(b) and 0.0 <= b < 1.0 for b in betas)
        ):
            shown_betas = (
                f"({', '.join(map(show, betas))})"
                if isinstance(betas, (tuple, list))
                else show(betas)
            )
            raise fail("betas", f"must be two numbers in [0, 1), got {shown_betas}")
        out["betas"] = (float(betas[0]), float(betas[1]))
        out["eps"] = _number(hp["eps"], "eps", fail)
        out["weight_decay"] = _number(hp["weight_decay"], "weight_decay", fail)
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


def _number(x, name: str, fail: Fail, *, positive: bool = False) -> float:
    """`x` as a finite float >= 0 (> 0 when `positive`); huge ints (10**400) are refused, not
    overflowed."""
    bound = "> 0" if positive else ">= 0"
    try:
        number = float(x) if is_real(x) else math.nan
    except OverflowError:
        number = math.inf
    if not (math.isfinite(number) and (number > 0.0 if positive else number >= 0.0)):
        raise fail(name, f"must be a finite number {bound}, got {show(x)}")
    return number


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
