"""Learning-rate schedules: each sets `optimizer.lr` from a base rate and a step count k.

A schedule reads the optimizer's lr once, as `base_lr`, and from then on sets `optimizer.lr =
lr_at(k)`: at construction k = 0, and each `step()` adds one. Call `step()` once per epoch (as
`nn.fit` does) or once per optimizer step, after `optimizer.step()`; `total_steps` and `step_size`
count whichever you chose. The rate depends only on k (closed form, nothing accumulated), so
saving and loading a schedule is just its count.

micrograd's demo, lr = 1.0 - 0.9 k / 100:

>>> from autograd import Value
>>> from nn.optim import SGD
>>> opt = SGD([Value(0.0)], lr=1.0)
>>> schedule = LinearDecay(opt, start_factor=1.0, end_factor=0.1, total_steps=100)
>>> for k in range(50):
...     schedule.step()
>>> opt.lr == 1.0 - 0.9 * 50 / 100
True
"""

from __future__ import annotations

import abc

from .checkpoint import CheckpointError, check_keys, count
from .checks import show
from .optim import Fail, _number

__all__ = ["LinearDecay", "Schedule", "StepDecay"]


class Schedule(abc.ABC):
    """The shared machinery: `base_lr`, the step count `steps`, `step()`, `lr`, state.

    Subclasses set `hyperparameter_names`, validate them in `_checked` and give `lr_at(k)`.
    """

    hyperparameter_names: tuple[str, ...] = ()

    def __init__(self, optimizer, **hyperparameters):
        name = type(self).__name__
        if not hasattr(optimizer, "lr"):
            raise TypeError(
                f"{name}: expected an optimizer with an lr, got {type(optimizer).__name__}"
            )

        def fail(argument: str, problem: str) -> Exception:
            return ValueError(f"{name}: {argument} {problem}")

        for key, value in self._checked(hyperparameters, fail).items():
            setattr(self, key, value)
        self.optimizer = optimizer
        self.base_lr = float(optimizer.lr)
        self.steps = 0
        optimizer.lr = self.lr_at(0)

    def _checked(self, hp: dict, fail: Fail) -> dict:
        """The hyper-parameters, validated the same in the constructor and `load_state_dict`.
        Every schedule keeps the rate > 0, the rule the optimizers apply to `lr`."""
        return {}

    @abc.abstractmethod
    def lr_at(self, k: int) -> float:
        """The learning rate after k calls of `step()`."""

    @property
    def lr(self) -> float:
        """The learning rate now in force."""
        return self.lr_at(self.steps)

    def step(self) -> None:
        """Advance one step (epoch or batch, as you chose) and set the optimizer's new lr."""
        self.steps += 1
        self.optimizer.lr = self.lr_at(self.steps)

    def state_dict(self) -> dict:
        """`base_lr`, the step count and the hyper-parameters as JSON-ready data."""
        return {
            "schedule": type(self).__name__,
            "base_lr": self.base_lr,
            "steps": self.steps,
            "hyperparameters": {k: getattr(self, k) for k in self.hyperparameter_names},
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore what `state_dict()` saved and set the optimizer's lr to match. All or nothing:
        on any mismatch a ValueError names it and nothing changes."""
        name = type(self).__name__
        where = f"{name}.load_state_dict"

        def fail(argument: str, problem: str) -> Exception:
            return CheckpointError(problem, field=f"hyperparameters.{argument}", where=where)

        keys = ("schedule", "base_lr", "steps", "hyperparameters")
        check_keys(state, "the state", keys, where=where)
        if state["schedule"] != name:
            raise CheckpointError(
                f"is for {show(state['schedule'])}, not {name!r}", field="the state", where=where
            )

        def fail_top(argument: str, problem: str) -> Exception:
            return CheckpointError(problem, field=argument, where=where)

        base_lr = _number(state["base_lr"], "base_lr", fail_top, positive=True)
        steps = count(state["steps"], "steps", where=where)
        names = self.hyperparameter_names
        check_keys(state["hyperparameters"], "hyperparameters", names, where=where)
        hyper = self._checked(state["hyperparameters"], fail)
        for key, value in hyper.items():
            setattr(self, key, value)
        self.base_lr, self.steps = base_lr, steps
        self.optimizer.lr = self.lr_at(steps)

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.hyperparameter_names)
        return f"{type(self).__name__}({hyper}, base_lr={self.base_lr!r}, steps={self.steps})"


class StepDecay(Schedule):
    """Multiply the rate by `gamma` every `step_size` steps: lr_k = base_lr * gamma^(k // size).

    The same rates as torch.optim.lr_scheduler.StepLR.
    """

    hyperparameter_names = ("step_size", "gamma")
    step_size: int
    gamma: float

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1):
        super().__init__(optimizer, step_size=step_size, gamma=gamma)

    def _checked(self, hp: dict, fail: Fail) -> dict:
        return {
            "step_size": _count(hp["step_size"], "step_size", fail),
            "gamma": _number(hp["gamma"], "gamma", fail, positive=True),
        }

    def lr_at(self, k: int) -> float:
        return self.base_lr * self.gamma ** (k // self.step_size)


class LinearDecay(Schedule):
    """Move the rate linearly from base_lr * start_factor to base_lr * end_factor over
    `total_steps` steps, then hold it: lr_k = base_lr * (s + (e - s) * min(k, total) / total).

    `total_steps` is keyword-only (required). micrograd's demo, 1.0 - 0.9 k / 100, is
    `LinearDecay(SGD(params, lr=1.0), start_factor=1.0, end_factor=0.1, total_steps=100)`.
    """

    hyperparameter_names = ("start_factor", "end_factor", "total_steps")
    start_factor: float
    end_factor: float
    total_steps: int

    def __init__(
        self,
        optimizer,
        start_factor: float = 1.0,
        end_factor: float = 0.1,
        *,
        total_steps: int,
    ):
        super().__init__(
            optimizer, start_factor=start_factor, end_factor=end_factor, total_steps=total_steps
        )

    def _checked(self, hp: dict, fail: Fail) -> dict:
        return {
            "start_factor": _number(hp["start_factor"], "start_factor", fail, positive=True),
            "end_factor": _number(hp["end_factor"], "end_factor", fail, positive=True),
            "total_steps": _count(hp["total_steps"], "total_steps", fail),
        }

    def lr_at(self, k: int) -> float:
        s, e, total = self.start_factor, self.end_factor, self.total_steps
        return self.base_lr * (s + (e - s) * min(k, total) / total)


def _count(x, name: str, fail: Fail) -> int:
    """An int in [1, 2**53]."""
    try:
        return count(x, name, minimum=1)
    except CheckpointError as exc:
        raise fail(name, exc.problem) from None
