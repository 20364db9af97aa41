"""`Module`: the one place where parameters and buffers are discovered, named and restored.

A module's state is found generically, by walking its attributes in the order they were set: a
Value attribute, or a Tensor that requires grad, is a parameter; a Tensor with
`requires_grad=False` is a buffer (state that is saved but not trained, such as running
statistics); a Module attribute is a child; and a list or tuple holds any of them. Names are
dotted paths; an element of a list attribute is named after the attribute in the singular plus
its index, so `self.layers[1].neurons[3].w[0]` is `layer1.neuron3.w0`.

`training` says whether a module is in training mode (layers such as dropout behave differently
in evaluation); `train()` and `eval()` set it on a module and every submodule.

Checkpoint files (format, validation, atomic writing, `load_model`) live in `nn.checkpoint`;
`save` and `load` here are their entry points.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from autograd import Tensor, Value, zero_grad

from .checkpoint import (
    Checkpoint,
    CheckpointError,
    architecture,
    checkpoint_bytes,
    checkpoint_content,
    describe,
    difference,
    read_checkpoint,
    real_array,
    real_number,
    recorded_before_configs,
    register_module,
    write_atomically,
)

__all__ = ["Module"]


class Module:
    """Base class of everything with parameters: neurons, layers, networks, your own models."""

    training: bool = True  # a class default: subclasses need not call Module.__init__
    _path: str = ""  # this module's dotted path, set by label_parameters

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__.split(".")[0] == __name__.split(".")[0]:
            register_module(cls)  # this library's own classes can be rebuilt by load_model

    # ------------------------------------------------------------------ discovery
    def named_children(self) -> Iterator[tuple[str, Module | Value | Tensor]]:
        """Direct parameters, buffers and submodules with their local names, in attribute order;
        lists and tuples (nested too: a matrix as a list of rows) are searched element by
        element."""
        for attr, item in vars(self).items():
            if attr.startswith("_"):
                continue
            if isinstance(item, (list, tuple)):
                stem = attr[:-1] if attr.endswith("s") and len(attr) > 1 else attr
                yield from _elements(stem, item)
            elif _is_child(item):
                yield attr, item

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (named `prefix`) and every submodule below it, depth first."""
        stack = [(prefix, self)]
        while stack:
            path, module = stack.pop()
            yield path, module
            children = [
                (_join(path, name), child)
                for name, child in module.named_children()
                if isinstance(child, Module)
            ]
            stack.extend(reversed(children))

    def _named_state(self) -> list[tuple[str, Value | Tensor]]:
        """Every parameter and buffer with its dotted name, in attribute order, depth first."""
        found = []
        stack: list[tuple[str, Module | Value | Tensor]] = [("", self)]
        while stack:
            path, item = stack.pop()
            if isinstance(item, Module):
                children = [(_join(path, name), child) for name, child in item.named_children()]
                stack.extend(reversed(children))
            else:
                found.append((path, item))
        return found

    def named_parameters(self) -> list[tuple[str, Value | Tensor]]:
        """(dotted name, parameter) pairs in attribute order, depth first: for an MLP, layer by
        layer, neuron by neuron, a neuron's weights in input order then its bias."""
        return [(name, p) for name, p in self._named_state() if not _is_buffer(p)]

    def parameters(self) -> list[Value | Tensor]:
        """Every parameter, in the order of `named_parameters()`."""
        return [p for _, p in self.named_parameters()]

    def named_buffers(self) -> list[tuple[str, Tensor]]:
        """(dotted name, buffer) pairs, in the same order as parameters: every Tensor attribute
        with `requires_grad=False` (running statistics and other saved, untrained state)."""
        return [
            (name, b) for name, b in self._named_state() if isinstance(b, Tensor) and _is_buffer(b)
        ]

    def buffers(self) -> list[Tensor]:
        """Every buffer, in the order of `named_buffers()`."""
        return [b for _, b in self.named_buffers()]

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> Module:
        """Put this module and every submodule in training mode (`mode=False`: evaluation
        mode); returns the module, so `model.train()` can be chained."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: mode must be True or False, got {mode!r}")
        for _, module in self.named_modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Put this module and every submodule in evaluation mode: `train(False)`."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Reset every parameter's gradient before each backward pass: a Value's to 0.0, a
        Tensor's to None (`autograd.zero_grad`, the rule the optimizers follow too)."""
        zero_grad(self.parameters())

    def label_parameters(self, prefix: str = "") -> None:
        """Give every parameter its dotted name as `label`, and every module its path, so graphs
        of this model are readable without hand labelling. Built-in models do this themselves;
        call it at the end of your own model's `__init__`. `prefix` names this module itself (a
        standalone Neuron calls itself "neuron", so its weights read `neuron.w0`)."""
        for path, module in self.named_modules(prefix):
            module._path = path
        for name, p in self._named_state():
            p.label = _join(prefix, name)

    # ------------------------------------------------------------------ descriptions
    def description(self) -> str:
        """What this module computes, in one line for a graph picture's box
        (`Conv2d(1→16, 5×5, pad 2)`); layers override it, the default is the class name."""
        return type(self).__name__

    def descriptions(self) -> dict[str, str]:
        """Every labelled module's path -> its `description()`, this module's own included when it
        has a path: what `draw_graph(..., describe=model.descriptions())` shows in each folded
        module's box, and how it knows the modules without parameters (pooling, activations).

        >>> from nn import MLP
        >>> MLP(2, [3, 1], seed=0).descriptions()["layer0"]
        'Layer(2→3, relu)'
        """
        return {m._path: m.description() for _, m in self.named_modules() if m._path}

    # ------------------------------------------------------------------ architecture
    def get_config(self) -> dict | None:
        """The JSON-ready constructor arguments that rebuild this module's architecture (not its
        weights), or None where unknown (a class of your own, unless it defines this; its
        submodules' architectures are then recorded instead). Checkpoints record it."""
        return None

    @classmethod
    def from_config(cls, config: dict) -> Module:
        """A new module of the architecture `get_config()` describes (random weights)."""
        return cls(**config)

    def check_state(self, state: dict[str, Any]) -> None:
        """Refuse new values this module cannot hold, beyond what is checked for every entry
        (finite real numbers of the right dtype and shape): raise CheckpointError with `field`
        the entry's local name. `state` holds the validated new values of this module's own
        parameters and buffers by local name; batch norm refuses a negative running variance.
        Called by `load_state_dict` and `load` before anything changes."""

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, float | list]:
        """Parameter and buffer values by name (parameters first, each in discovery order):
        floats for Values, nested lists for tensors."""
        named = self.named_parameters() + self.named_buffers()
        return {name: _export(p) for name, p in named}

    def load_state_dict(self, state: dict) -> None:
        """Set every parameter and buffer from `state`, validating everything first.

        All-or-nothing: the names must match exactly and every value must be a finite real
        number (or an array of them of the parameter's shape; booleans and strings are not
        numbers); otherwise a CheckpointError (a ValueError) names the entry and the model is
        left unchanged.
        """
        for p, value in self._staged(state):
            p.data = value

    def _staged(
        self, state: Any, layout: dict | None = None, buffer_names: set | None = None
    ) -> list[tuple[Value | Tensor, Any]]:
        """Every new value, validated against its parameter or buffer, before any is set."""
        if not isinstance(state, dict):
            raise CheckpointError(f"expected a dict, got {type(state).__name__}")
        named = self.named_parameters() + self.named_buffers()
        expected = [name for name, _ in named]
        missing = [n for n in expected if n not in state]
        unexpected = [n for n in state if n not in set(expected)]
        if missing or unexpected:
            raise CheckpointError(
                f"parameter names do not match ({len(expected)} expected, {len(state)} given): "
                f"missing {missing[:5]}, unexpected {unexpected[:5]}"
            )
        staged = []
        for name, p in named:
            scalar = isinstance(p, Value)
            if isinstance(p, Value):
                dtype, shape = np.dtype(np.float64), ()
            else:
                dtype, shape = p.data.dtype, p.data.shape
            if layout is not None and layout[name] != (dtype, shape):
                saved_dtype, saved_shape = layout[name]
                raise CheckpointError(
                    f"is {saved_dtype} of shape {saved_shape} in the file, the model's is "
                    f"{dtype} of shape {shape}",
                    field=name,
                )
            if buffer_names is not None and (name in buffer_names) != _is_buffer(p):
                saved, ours = (
                    ("buffer", "parameter") if name in buffer_names else ("parameter", "buffer")
                )
                raise CheckpointError(
                    f"is a {saved} in the file, a {ours} of the model", field=name
                )
            value = state[name]
            staged.append(
                (p, real_number(value, name) if scalar else real_array(value, shape, dtype, name))
            )
        self._check_states(dict(zip(expected, (value for _, value in staged))))
        return staged

    def _check_states(self, values: dict[str, Any]) -> None:
        """Each module's own `check_state` of its new values (only modules that define one)."""
        for path, module in self.named_modules():
            if type(module).check_state is Module.check_state:
                continue
            own = {
                name: values[_join(path, name)]
                for name, child in module.named_children()
                if not isinstance(child, Module)
            }
            try:
                module.check_state(own)
            except CheckpointError as exc:
                raise CheckpointError(exc.problem, field=_join(path, exc.field)) from None

    # ------------------------------------------------------------------ files
    def save(
        self, path: str | os.PathLike, *, optimizer: Any = None, extra: dict | None = None
    ) -> Path:
        """Write a checkpoint atomically: a crash mid-save leaves any previous file intact.

        JSON by default; a path ending in `.npz` stores the parameters and buffers as numpy
        arrays (compact for tensor models) with the rest as JSON text inside, readable without
        pickle. The file records the architecture, each entry's dtype and shape, and (given an
        optimizer) its state (momentum buffers, Adam moments, step count), so training resumes
        exactly. See `nn.checkpoint` for the format.
        """
        path = Path(path)
        content, arrays = checkpoint_content(self, optimizer, extra)
        return write_atomically(path, checkpoint_bytes(content, arrays, npz=path.suffix == ".npz"))

    def load(self, path: str | os.PathLike | Checkpoint, *, optimizer: Any = None) -> dict:
        """Load a checkpoint written by `save` into this model (and optimizer), all-or-nothing.

        The whole file is read and validated, and checked against this model's architecture,
        names, dtypes and shapes (and against the optimizer) before anything changes: any bad
        file raises CheckpointError (a ValueError naming the file and the field) and leaves
        model and optimizer exactly as they were. Returns the checkpoint's `extra` dict (empty
        if none).
        """
        checkpoint = path if isinstance(path, Checkpoint) else read_checkpoint(path)
        try:
            if optimizer is not None and checkpoint.optimizer is None:
                raise CheckpointError(
                    "is missing: the file has no optimizer state", field="optimizer"
                )
            self._check_architecture(checkpoint)
            v2 = checkpoint.version >= 2
            staged = self._staged(
                {**checkpoint.parameters, **checkpoint.buffers},
                layout=checkpoint.layout,
                buffer_names=set(checkpoint.buffers) if v2 else None,
            )
        except CheckpointError as exc:
            raise exc.in_file(checkpoint.path) from None
        before = [(p, p.data) for p, _ in staged]
        if optimizer is not None:
            optimizer_before = dict(vars(optimizer))  # load_state_dict replaces, never mutates
            try:
                optimizer.load_state_dict(checkpoint.optimizer)  # all-or-nothing itself
            except CheckpointError as exc:
                raise exc.in_file(checkpoint.path, "optimizer") from None
        try:
            for p, value in staged:
                p.data = value
        except BaseException:  # an interrupt midway: put everything back
            for p, value in before:
                p.data = value
            if optimizer is not None:
                vars(optimizer).update(optimizer_before)
            raise
        return dict(checkpoint.extra)

    def _check_architecture(self, checkpoint: Checkpoint) -> None:
        ours = type(self).__name__
        if checkpoint.model != ours:
            raise CheckpointError(f"holds a {checkpoint.model!r}, not a {ours!r}", field="model")
        if checkpoint.version < 2:  # version 1 files record no architecture
            return
        mine = architecture(self)
        saved = checkpoint.architecture
        upgraded = recorded_before_configs(mine, saved)
        if upgraded != mine:
            raise CheckpointError(
                f"differs: the file holds {describe(saved)}, the model is {describe(mine)} "
                f"(first difference: {difference(upgraded, mine)})",
                field="architecture",
            )


# ---------------------------------------------------------------------- helpers


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _is_child(item) -> bool:
    return isinstance(item, (Value, Tensor, Module))


def _is_buffer(item) -> bool:
    return isinstance(item, Tensor) and not item.requires_grad


def _elements(stem: str, items) -> Iterator[tuple[str, Module | Value]]:
    """`stem0, stem1, ...` for the children in a list; `stem0.1` for row 0, column 1 of a list of
    lists. A list without a single child (of strings, numbers) yields nothing."""
    for i, element in enumerate(items):
        if isinstance(element, (list, tuple)):
            yield from _elements(f"{stem}{i}.", element)
        elif _is_child(element):
            yield f"{stem}{i}", element


def _export(p):
    return p.data if isinstance(p, Value) else p.data.tolist()
