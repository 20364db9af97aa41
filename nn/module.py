"""`Module`: the one place where parameters and buffers are discovered, named, saved and loaded.

A module's state is found generically, by walking its attributes in the order they were set: a
Value attribute, or a Tensor that requires grad, is a parameter; a Tensor with
`requires_grad=False` is a buffer (state that is saved but not trained, such as running
statistics); a Module attribute is a child; and a list or tuple holds any of them. Names are
dotted paths; an element of a list attribute is named after the attribute in the singular plus
its index, so `self.layers[1].neurons[3].w[0]` is `layer1.neuron3.w0`.

`training` says whether a module is in training mode (layers such as dropout behave differently
in evaluation); `train()` and `eval()` set it on a module and every submodule.

Checkpoints are JSON (never pickle), written atomically, and loaded all-or-nothing.
"""

from __future__ import annotations

import io
import json
import math
import numbers
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from autograd import Tensor, Value

FORMAT = "backprop-lab checkpoint"
VERSION = 1


class Module:
    """Base class of everything with parameters: neurons, layers, networks, your own models."""

    training: bool = True  # a class default: subclasses need not call Module.__init__

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
        return [(name, b) for name, b in self._named_state() if _is_buffer(b)]

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
        """Reset every parameter's gradient (call before each backward pass)."""
        for p in self.parameters():
            p.grad = 0.0 if isinstance(p, Value) else None

    def label_parameters(self, prefix: str = "") -> None:
        """Give every parameter its dotted name as `label`, and every module its path, so graphs
        of this model are readable without hand labelling. Built-in models do this themselves;
        call it at the end of your own model's `__init__`. `prefix` names this module itself (a
        standalone Neuron calls itself "neuron", so its weights read `neuron.w0`)."""
        for path, module in self.named_modules(prefix):
            module._path = path
        for name, p in self._named_state():
            p.label = _join(prefix, name)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, float | list]:
        """Parameter and buffer values by name (parameters first, each in discovery order):
        floats for Values, nested lists for tensors."""
        named = self.named_parameters() + self.named_buffers()
        return {name: _export(p) for name, p in named}

    def load_state_dict(self, state: dict) -> None:
        """Set every parameter and buffer from `state`, validating everything first.

        All-or-nothing: the names must match exactly and every value must be a finite number
        (or an array of the parameter's shape); on the first mismatch a ValueError names it and
        the model is left unchanged.
        """
        if not isinstance(state, dict):
            raise ValueError(f"load_state_dict: expected a dict, got {type(state).__name__}")
        params = self.named_parameters() + self.named_buffers()
        expected = [name for name, _ in params]
        missing = [n for n in expected if n not in state]
        unexpected = [n for n in state if n not in set(expected)]
        if missing or unexpected:
            raise ValueError(
                f"load_state_dict: parameter names do not match ({len(expected)} expected, "
                f"{len(state)} given): missing {missing[:5]}, unexpected {unexpected[:5]}"
            )
        staged = [(p, _import(name, p, state[name])) for name, p in params]
        for p, value in staged:
            p.data = value

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike, *, optimizer=None, extra: dict | None = None) -> Path:
        """Write a checkpoint atomically: a crash mid-save leaves any previous file intact.

        JSON by default; a path ending in `.npz` stores the parameters as numpy arrays (compact
        for tensor models) with the rest as JSON text inside, readable without pickle. The
        optimizer's state (momentum buffers, Adam moments, step count) goes in too when given,
        so training resumes exactly.
        """
        path = Path(path)
        checkpoint = {
            "format": FORMAT,
            "version": VERSION,
            "model": type(self).__name__,
            "parameters": {name: _export(p) for name, p in self.named_parameters()},
        }
        if self.named_buffers():
            checkpoint["buffers"] = {name: _export(b) for name, b in self.named_buffers()}
        if optimizer is not None:
            checkpoint["optimizer"] = optimizer.state_dict()
        if extra is not None:
            checkpoint["extra"] = extra
        state = {**checkpoint["parameters"], **checkpoint.get("buffers", {})}
        bad = [n for n, v in state.items() if not _all_finite(v)]
        if bad:
            raise ValueError(f"save: parameters are not finite, e.g. {bad[:3]}")
        if path.suffix == ".npz":
            return _write_atomically(path, _npz_bytes(checkpoint, self))
        return _write_atomically(path, json.dumps(checkpoint, allow_nan=False, indent=1))

    def load(self, path: str | os.PathLike, *, optimizer=None) -> dict:
        """Load a checkpoint written by `save` into this model (and optimizer), all-or-nothing.

        The file is read and every part validated before anything changes; a corrupted,
        truncated or mismatched checkpoint raises ValueError and leaves model and optimizer as
        they were. Returns the checkpoint's `extra` dict (empty if none).
        """
        path = Path(path)
        checkpoint = _read_npz(path) if path.suffix == ".npz" else _read_json(path)
        if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
            raise ValueError(f"load: {path} is not a backprop-lab checkpoint")
        if checkpoint.get("version") != VERSION:
            raise ValueError(
                f"load: {path} has version {checkpoint.get('version')!r}, "
                f"this library reads version {VERSION}"
            )
        if checkpoint.get("model") != type(self).__name__:
            raise ValueError(
                f"load: {path} holds a {checkpoint.get('model')!r}, not a {type(self).__name__!r}"
            )
        parameters = checkpoint.get("parameters")
        if isinstance(parameters, dict) and isinstance(checkpoint.get("buffers", {}), dict):
            parameters = {**parameters, **checkpoint.get("buffers", {})}
        if optimizer is not None and "optimizer" not in checkpoint:
            raise ValueError(f"load: {path} has no optimizer state")
        before = self.state_dict()
        self.load_state_dict(parameters)  # validates first, changes nothing on error
        if optimizer is not None:
            try:
                optimizer.load_state_dict(checkpoint["optimizer"])
            except ValueError:
                self.load_state_dict(before)
                raise
        return checkpoint.get("extra", {})


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


def _all_finite(value) -> bool:
    return bool(np.all(np.isfinite(np.asarray(value, dtype=float))))


def _import(name: str, p, value):
    """Validate one saved value against its parameter and convert it; raise naming the problem."""
    if isinstance(p, Value):
        if getattr(value, "shape", None) == ():  # a 0-d array from an .npz checkpoint
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(
                f"load_state_dict: {name} must be a number, got {type(value).__name__}"
            )
        if not math.isfinite(value):
            raise ValueError(f"load_state_dict: {name} is not finite ({value!r})")
        return float(value)
    try:
        array = np.asarray(value, dtype=p.data.dtype)
    except (TypeError, ValueError):
        raise ValueError(f"load_state_dict: {name} is not an array of numbers") from None
    if array.shape != p.data.shape:
        raise ValueError(
            f"load_state_dict: {name} has shape {array.shape}, the model expects {p.data.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"load_state_dict: {name} has non-finite entries")
    return array


def _new_file_mode(path: Path) -> int:
    """The mode an ordinary new file gets (0666 less the umask), or the existing file's mode."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"load: {path} is not a valid checkpoint (bad JSON: {exc})") from None


def _npz_bytes(checkpoint: dict, model: Module) -> bytes:
    """Parameters as arrays `param/<name>`, buffers as `buffer/<name>`, everything else as JSON
    text in `checkpoint`."""
    meta = {key: value for key, value in checkpoint.items() if key not in ("parameters", "buffers")}
    arrays = {f"param/{name}": np.asarray(p.data) for name, p in model.named_parameters()}
    arrays.update({f"buffer/{name}": np.asarray(b.data) for name, b in model.named_buffers()})
    buffer = io.BytesIO()
    np.savez(buffer, checkpoint=np.array(json.dumps(meta, allow_nan=False)), **arrays)
    return buffer.getvalue()


def _read_npz(path: Path) -> dict:
    try:
        with np.load(path, allow_pickle=False) as archive:
            checkpoint = json.loads(str(archive["checkpoint"]))
            checkpoint["parameters"] = {
                name[len("param/") :]: archive[name]
                for name in archive.files
                if name.startswith("param/")
            }
            buffers = {
                name[len("buffer/") :]: archive[name]
                for name in archive.files
                if name.startswith("buffer/")
            }
            if buffers:
                checkpoint["buffers"] = buffers
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise ValueError(f"load: {path} is not a valid .npz checkpoint ({exc})") from None
    return checkpoint


def _write_atomically(path: Path, content: str | bytes) -> Path:
    """Write to a temporary file in the same folder, flush it to disk, then rename over `path`
    (a rename within one file system is atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, _new_file_mode(path))  # mkstemp's files are private (0600); be ordinary
        with os.fdopen(fd, "wb" if isinstance(content, bytes) else "w") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
