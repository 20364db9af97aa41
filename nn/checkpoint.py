"""Checkpoint files: the format, its validation, the atomic writer, and rebuilding a model.

A checkpoint is JSON (`model.json`) or an `.npz` archive (`model.npz`: each parameter and buffer
a numpy array, the rest as JSON text in the entry `checkpoint`); never pickle. Besides the
values it records:

- `architecture`: the model's class and the configuration that rebuilds it (sizes, activations;
  for a `Sequential` its layers), so a file is never loaded into a different network, and
  `load_model(path)` can rebuild the model without knowing its constructor;
- `layout`: each entry's dtype and shape, so an array must be real floats of exactly those;
- `checksum` (JSON files; `.npz` members carry zip's CRC-32): a SHA-256 of the content, so a
  flipped byte is an error rather than a silently different model. To edit a JSON checkpoint by
  hand, delete its `checksum` entry: a file without one is still validated field by field.

Every bad file or state raises `CheckpointError` (a ValueError) naming the file and the field;
an I/O failure (a missing file, a folder) stays an OSError. Loading is all-or-nothing: the whole
file is read and checked against the model (and optimizer) before anything is changed.

`write_atomically` is the one atomic writer: checkpoints, history files and the MNIST download
use it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import numbers
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .checks import show

__all__ = [
    "FORMAT",
    "VERSION",
    "CheckpointError",
    "load_model",
    "read_checkpoint",
    "register_module",
    "write_atomically",
]

FORMAT = "backprop-lab checkpoint"
VERSION = 2  # 2 added architecture, layout, buffers and checksum; version 1 files still load
FLOAT_DTYPES = ("float16", "float32", "float64")
MAX_NDIM = 32  # numpy's own limit on dimensions
MAX_COUNT = 2**53  # larger "integers" (steps, sizes) are not exact as floats: refused


class CheckpointError(ValueError):
    """A checkpoint file or state dict that cannot be loaded. `path` is the file (None for a
    state dict given in memory), `field` the part at fault (e.g. `parameters.layer0.W`,
    `optimizer.state.3.exp_avg_sq`), `problem` what is wrong with it."""

    def __init__(self, problem: str, *, field: str = "", path: Path | None = None, where: str = ""):
        self.problem, self.field, self.path = problem, field, path
        self.where = where or ("load" if path is not None else "load_state_dict")
        head = f"{self.where}: {path}" if path is not None else self.where
        super().__init__(f"{head}: {field} {problem}" if field else f"{head}: {problem}")

    def in_file(self, path: Path, prefix: str = "") -> CheckpointError:
        """The same error, reported against the file `path` (and `prefix` before the field)."""
        field = ".".join(part for part in (prefix, self.field) if part)
        return CheckpointError(self.problem, field=field, path=path)


# ---------------------------------------------------------------------- values


def is_real(value: Any) -> bool:
    """A real number: int or float (Python's or numpy's), not a bool, not a string."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def real_number(value: Any, field: str, *, where: str = "") -> float:
    """`value` as a finite float; CheckpointError naming `field` otherwise (a 0-d float array,
    as an .npz file stores a scalar, counts as a number)."""
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "fiu":
        value = value.item()
    if not is_real(value):
        raise CheckpointError(
            f"must be a number, got {type(value).__name__} ({show(value)})",
            field=field,
            where=where,
        )
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise CheckpointError(f"is not finite ({show(value)})", field=field, where=where)
    return number


def real_array(
    value: Any, shape: tuple, dtype: np.dtype, field: str, *, where: str = ""
) -> np.ndarray:
    """`value` (nested lists of numbers, or a numeric array) as a finite array of `shape` and
    `dtype`. Booleans, strings (even numeric ones), None, complex, dates and objects are
    refused, as are values that overflow `dtype`; CheckpointError names `field`."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "fiu":
            raise CheckpointError(
                f"must be an array of real numbers, got a {value.dtype} array",
                field=field,
                where=where,
            )
        if value.shape != shape:
            raise CheckpointError(
                f"has shape {value.shape}, the model expects {shape}", field=field, where=where
            )
        array = value
    else:
        _check_nested(value, shape, field, where)
        try:
            array = np.array(value, dtype=np.float64)
        except OverflowError:
            raise CheckpointError(
                "has a number too large for a float", field=field, where=where
            ) from None
    with np.errstate(over="ignore", invalid="ignore"):
        array = np.array(array, dtype=dtype)  # a copy: the model owns its data
    if not np.all(np.isfinite(array)):
        problem = "is not finite" if shape == () else "has non-finite entries"
        raise CheckpointError(
            f"{problem} (or too large for {np.dtype(dtype)})",
            field=field,
            where=where,
        )
    return array


def _check_nested(value: Any, shape: tuple, field: str, where: str) -> None:
    """Nested lists exactly `shape` deep and wide, with real numbers at the leaves (checked
    level by level, without recursion, so no nesting can overflow the stack)."""
    level = [value]
    for depth, size in enumerate(shape):
        below: list = []
        for item in level:
            if not isinstance(item, (list, tuple)):
                raise CheckpointError(
                    f"is not an array of shape {shape}: found {show(item)} at depth {depth}",
                    field=field,
                    where=where,
                )
            if len(item) != size:
                found = _found_shape(value, len(shape))
                problem = (
                    f"is not a rectangular array of shape {shape}: a row at depth {depth} has "
                    f"{len(item)} entries"
                    if found == shape
                    else f"has shape {found}, the model expects {shape}"
                )
                raise CheckpointError(problem, field=field, where=where)
            below.extend(item)
        level = below
    bad = next((x for x in level if not is_real(x)), _MISSING)
    if isinstance(bad, (list, tuple)):
        found = _found_shape(value, MAX_NDIM)
        raise CheckpointError(
            f"has shape {found}, the model expects {shape}", field=field, where=where
        )
    if bad is not _MISSING and shape == ():
        raise CheckpointError(
            f"must be a number, got {type(bad).__name__} ({show(bad)})", field=field, where=where
        )
    if bad is not _MISSING:
        what = "a string" if isinstance(bad, str) else show(bad)
        raise CheckpointError(
            f"must hold real numbers, found {what} ({type(bad).__name__})", field=field, where=where
        )


_MISSING = object()


def _found_shape(value: Any, max_depth: int) -> tuple:
    shape: list[int] = []
    while isinstance(value, (list, tuple)) and len(shape) < max_depth:
        shape.append(len(value))
        value = value[0] if value else None
    return tuple(shape)


def count(value: Any, field: str, *, minimum: int = 0, where: str = "") -> int:
    """`value` as an int in [minimum, 2**53]; CheckpointError naming `field` otherwise."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
    if not (ok and minimum <= value <= MAX_COUNT):
        raise CheckpointError(
            f"must be an int in [{minimum}, 2**53], got {show(value)}", field=field, where=where
        )
    return int(value)


def check_keys(
    d: Any, field: str, required: tuple, optional: tuple = (), *, where: str = ""
) -> dict:
    """`d` must be a dict with every key of `required`, others only from `optional`."""
    if not isinstance(d, dict):
        raise CheckpointError(
            f"must be a dict, got {type(d).__name__} ({show(d)})", field=field, where=where
        )
    missing = [k for k in required if k not in d]
    if missing:
        raise CheckpointError(
            f"is missing {missing[0]!r} (expected keys {list(required)})", field=field, where=where
        )
    extra = [k for k in d if k not in required and k not in optional]
    if extra:
        raise CheckpointError(f"has an unexpected key {show(extra[0])}", field=field, where=where)
    return d


# ---------------------------------------------------------------------- architecture

_REGISTRY: dict[str, type] = {}


def register_module(cls: type) -> type:
    """Make `cls` (a Module with `get_config()` and `from_config()`) rebuildable by `load_model`.
    Every Module class defined in `nn` is registered automatically; register your own with this
    (usable as a class decorator). Names are unique: a different class of the same name is
    refused."""
    name = class_name(cls)
    if _REGISTRY.get(name, cls) is not cls:
        raise ValueError(f"register_module: a different class named {name!r} is registered")
    _REGISTRY[name] = cls
    return cls


def class_name(cls: type) -> str:
    """The name a checkpoint records for `cls`: its `checkpoint_name` if it sets one (so classes
    that share a Python name, like `nn.micrograd.Neuron` and `nn.Neuron`, stay apart), else
    its `__name__`."""
    return cls.__dict__.get("checkpoint_name", cls.__name__)


def describe(spec: Any) -> str:
    """An architecture spec as a constructor call: `MLP(nin=2, nouts=[16, 1], ...)`."""
    if not isinstance(spec, dict):
        return show(spec)
    config = spec.get("config")
    if isinstance(config, dict):
        if spec.get("class") == "Sequential" and isinstance(config.get("layers"), list):
            return f"Sequential({', '.join(describe(s) for s in config['layers'])})"
        args = ", ".join(f"{k}={v!r}" for k, v in config.items())
    else:
        modules = spec.get("modules") or {}
        args = ", ".join(f"{k}={describe(v)}" for k, v in modules.items())
    return f"{spec.get('class')}({args})"


def difference(saved: Any, ours: Any, where: str = "") -> str:
    """Where two architecture specs first differ, in words: `layer0 (Conv2d): stride is 1 in
    the file, 2 in the model`. Paths name layers as parameters do (`layer0.layer2`)."""
    here = where or "the model"
    if not (isinstance(saved, dict) and isinstance(ours, dict)):
        return f"{here} is {show(saved)} in the file, {show(ours)} in the model"
    if saved.get("class") != ours.get("class"):
        return f"{here} is a {saved.get('class')} in the file, a {ours.get('class')} in the model"
    name = f"{where} ({ours.get('class')})" if where else str(ours.get("class"))
    a, b = saved.get("config"), ours.get("config")
    if isinstance(a, dict) and isinstance(b, dict):
        layers_a, layers_b = a.get("layers"), b.get("layers")
        if ours.get("class") == "Sequential" and isinstance(layers_a, list):
            if isinstance(layers_b, list) and len(layers_a) != len(layers_b):
                return f"{name} has {len(layers_a)} layers in the file, {len(layers_b)} here"
            for i, (x, y) in enumerate(zip(layers_a, layers_b or [])):
                if x != y:
                    return difference(x, y, f"{where}.layer{i}" if where else f"layer{i}")
        for key in [*a, *(k for k in b if k not in a)]:
            if a.get(key, _MISSING) != b.get(key, _MISSING):
                shown = [repr(c[key]) if key in c else "not recorded" for c in (a, b)]
                return f"{name}: {key} is {shown[0]} in the file, {shown[1]} in the model"
    elif a != b:
        return f"{name}: its configuration is {describe(saved)} in the file, {describe(ours)} here"
    modules_a, modules_b = saved.get("modules") or {}, ours.get("modules") or {}
    for key in [*modules_a, *(k for k in modules_b if k not in modules_a)]:
        if modules_a.get(key) != modules_b.get(key):
            return difference(
                modules_a.get(key), modules_b.get(key), f"{where}.{key}" if where else key
            )
    return f"{here} differs"


# The layers whose files recorded no configuration before they had get_config().
_CONFIGURED_LATER = (
    "Conv2d",
    "ConvTranspose2d",
    "MaxPool2d",
    "AvgPool2d",
    "Flatten",
    "Dropout",
    "BatchNorm1d",
    "BatchNorm2d",
    "Softmax",
)


def recorded_before_configs(ours: Any, saved: Any) -> Any:
    """`saved` with each layer of `_CONFIGURED_LATER` that an older file recorded by its class
    alone (no configuration, no submodules) taken from `ours` when the classes agree: such files
    still load into the model they were saved from, checked by class as they were then."""
    if not (isinstance(saved, dict) and isinstance(ours, dict)):
        return saved
    if saved.get("class") != ours.get("class"):
        return saved
    if saved.get("config") is None and not saved.get("modules"):
        legacy = saved.get("class") in _CONFIGURED_LATER and ours.get("config") is not None
        return ours if legacy else saved
    config, our_config = saved.get("config"), ours.get("config")
    if isinstance(config, dict) and isinstance(our_config, dict):
        layers, our_layers = config.get("layers"), our_config.get("layers")
        if (
            isinstance(layers, list)
            and isinstance(our_layers, list)
            and len(layers) == len(our_layers)
        ):
            upgraded = [recorded_before_configs(o, x) for o, x in zip(our_layers, layers)]
            return {**saved, "config": {**config, "layers": upgraded}}
        return saved
    modules, our_modules = saved.get("modules"), ours.get("modules") or {}
    if isinstance(modules, dict):
        upgraded_modules = {
            k: recorded_before_configs(our_modules.get(k), v) for k, v in modules.items()
        }
        return {**saved, "modules": upgraded_modules}
    return saved


def architecture(module: Any) -> dict:
    """What rebuilds `module`: its class and `config()`; a module without a configuration
    (your own class) records its submodules' architectures instead, by attribute name."""
    get_config = getattr(module, "get_config", None)
    config = get_config() if callable(get_config) else None
    if config is not None:
        return {"class": class_name(type(module)), "config": plain(config)}
    children = module.named_children() if hasattr(module, "named_children") else ()
    modules = {name: architecture(c) for name, c in children if hasattr(c, "named_children")}
    return {"class": class_name(type(module)), "config": None, "modules": modules}


def plain(data: Any) -> Any:
    """JSON data as `json.loads` gives it back (tuples as lists), for comparisons with a file."""
    return json.loads(json.dumps(data))


def build(spec: dict, field: str = "architecture") -> Any:
    """The module an architecture spec describes (classes from the registry only)."""
    name = spec["class"]
    cls: Any = _REGISTRY.get(name)
    if cls is None:
        known = ", ".join(sorted(_REGISTRY))
        raise CheckpointError(
            f"names the class {name!r}, which load_model does not know (known: {known}; "
            "register your own with nn.register_module)",
            field=field,
        )
    if spec["config"] is None:
        raise CheckpointError(
            f"records no configuration for {name} (it has no get_config()): build the model "
            "yourself and call model.load(path)",
            field=field,
        )
    try:
        return cls.from_config(spec["config"])
    except CheckpointError:
        raise
    except (ValueError, TypeError, KeyError, MemoryError) as exc:
        raise CheckpointError(f"does not build a {name}: {exc}", field=f"{field}.config") from None


def _checked_spec(spec: Any, limit: int) -> dict:
    """An architecture spec is classes (str) and configurations of JSON scalars and lists, with
    sizes no larger than the file's own count of numbers (so no file can ask for a model of
    10**12 weights)."""
    if not (isinstance(spec, dict) and "class" in spec):
        raise CheckpointError(
            f"must be a dict with a class and its config, got {show(spec)}", field="architecture"
        )
    stack = [(spec, "architecture", 0)]
    while stack:
        item, field, depth = stack.pop()
        if depth > 64:
            raise CheckpointError("is nested too deeply (more than 64 levels)", field=field)
        if isinstance(item, dict) and "class" in item:
            check_keys(item, field, ("class", "config"), ("modules",))
            if not isinstance(item["class"], str):
                raise CheckpointError(
                    f"class must be a str, got {show(item['class'])}", field=field
                )
            config, modules = item["config"], item.get("modules", {})
            if config is not None:
                if not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
                    raise CheckpointError(
                        "must be a dict of named arguments, or null", field=f"{field}.config"
                    )
                stack.extend((v, f"{field}.config.{k}", depth + 1) for k, v in config.items())
            if not isinstance(modules, dict):
                raise CheckpointError("must be a dict", field=f"{field}.modules")
            stack.extend((v, f"{field}.modules.{k}", depth + 1) for k, v in modules.items())
        elif isinstance(item, list):
            stack.extend((v, f"{field}.{i}", depth + 1) for i, v in enumerate(item))
        elif isinstance(item, dict):  # a plain dict argument of some get_config()
            stack.extend((v, f"{field}.{k}", depth + 1) for k, v in item.items())
        elif isinstance(item, bool) or item is None or isinstance(item, str):
            continue
        elif isinstance(item, int):
            if abs(item) > limit:
                raise CheckpointError(
                    f"is {show(item)}, more than the file's {limit} numbers allow", field=field
                )
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise CheckpointError(f"is not finite ({item!r})", field=field)
        else:
            raise CheckpointError(f"must be JSON data, got {show(item)}", field=field)
    return spec


# ---------------------------------------------------------------------- reading


class Checkpoint:
    """A checkpoint file, read and validated on its own (not yet against any model)."""

    def __init__(self, path: Path, content: dict, values: dict[str, np.ndarray]):
        self.path = path
        self.version: int = content["version"]
        self.model: str = content["model"]
        self.architecture: dict | None = content.get("architecture")
        self.layout: dict[str, tuple[np.dtype, tuple]] | None = content.get("layout")
        self.parameters: dict[str, Any] = {
            n: values.get(n, v) for n, v in content["parameters"].items()
        }
        self.buffers: dict[str, Any] = {n: values.get(n, v) for n, v in content["buffers"].items()}
        self.optimizer: dict | None = content.get("optimizer")
        self.extra: dict = content.get("extra", {})


def read_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read and validate the checkpoint at `path` (JSON, or `.npz` by its suffix) without a model:
    its structure, layout, values (real, finite, of the recorded dtype and shape), architecture
    and checksum. CheckpointError names the file and the field."""
    path = Path(path)
    data = path.read_bytes()  # an unreadable file stays an OSError
    try:
        if path.suffix == ".npz":
            content, arrays = _read_npz(data)
        else:
            content, arrays = _read_json(data), {}
        _check_content(content, arrays)
    except CheckpointError as exc:
        raise exc.in_file(path) from None
    return Checkpoint(path, content, arrays)


def parse_json(text: str | bytes, field: str = "") -> Any:
    """JSON with every failure a CheckpointError: bad syntax or encoding, nesting too deep for
    the parser, integers past Python's 4,300-digit limit (read as floats, so a huge one is
    simply too large)."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"is not valid JSON (bad JSON: {exc})", field=field) from None
    except UnicodeDecodeError as exc:
        raise CheckpointError(f"is not UTF-8 text ({exc})", field=field) from None
    except RecursionError:
        raise CheckpointError("is nested too deeply to be a checkpoint", field=field) from None


def _parse_int(text: str) -> int | float:
    # An integer of more than 18 digits is no count or size this format holds; as a float it
    # is either a plain (large) value or inf, which validation refuses as not finite.
    return int(text) if len(text) <= 18 else float(text)


def _read_json(data: bytes) -> dict:
    content = parse_json(data)
    if not isinstance(content, dict):
        raise CheckpointError(f"is not a {FORMAT} (a JSON {type(content).__name__})")
    claimed = content.pop("checksum", None)
    if claimed is not None and claimed != _checksum(content):
        raise CheckpointError(
            "does not match the content: the file was changed after it was written (to edit a "
            "checkpoint by hand, delete its checksum entry)",
            field="checksum",
        )
    return content


def _checksum(content: dict) -> str:
    try:
        canonical = json.dumps(content, separators=(",", ":"), allow_nan=True)
    except (RecursionError, ValueError, TypeError):
        return ""
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


_NPZ_ENTRY = re.compile(r"(param|buffer)/(.+)\.npy")


def _read_npz(data: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """An .npz archive: the JSON `checkpoint` entry and the arrays `param/<name>`,
    `buffer/<name>`. Each array's header is checked against the bytes present before anything
    is allocated, so a forged shape cannot ask for terabytes."""
    if not data.startswith(b"PK\x03\x04"):
        raise CheckpointError("is not a valid .npz checkpoint (not a zip archive)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if len(set(names)) != len(names):
                raise CheckpointError("is not a valid .npz checkpoint (duplicate entries)")
            if "checkpoint.npy" not in names:
                raise CheckpointError("is not a valid .npz checkpoint (no 'checkpoint' entry)")
            meta = _npy(archive, "checkpoint.npy")
            if meta.dtype.kind != "U" or meta.shape != ():
                raise CheckpointError(
                    f"must be a JSON string, got a {meta.dtype} array of shape {meta.shape}",
                    field="checkpoint",
                )
            content = parse_json(str(meta[()]), field="checkpoint")
            if not isinstance(content, dict):
                raise CheckpointError(
                    f"must be a JSON object, got {type(content).__name__}", field="checkpoint"
                )
            arrays: dict[str, np.ndarray] = {}
            sections: dict[str, dict[str, None]] = {"param": {}, "buffer": {}}
            for name in names:
                if name == "checkpoint.npy":
                    continue
                match = _NPZ_ENTRY.fullmatch(name)
                if match is None:
                    raise CheckpointError(f"has an unexpected entry {name!r}", field="archive")
                kind, key = match.groups()
                arrays[key] = _npy(archive, name)
                sections[kind][key] = None
    except CheckpointError:
        raise
    except Exception as exc:
        # Untrusted bytes through zipfile and numpy's header parser fail in many ways, all of
        # them a bad file: BadZipFile, zlib.error, EOFError, NotImplementedError (an unknown
        # compression method), RuntimeError (the "encrypted" flag), SyntaxError and TokenError
        # (a header that is not a Python literal), ... (found by flipping every byte).
        raise CheckpointError(f"is not a valid .npz checkpoint ({exc})") from None
    for key in ("parameters", "buffers"):
        if key in content:
            raise CheckpointError("belongs in the archive's arrays, not its JSON", field=key)
    content["parameters"], content["buffers"] = sections["param"], sections["buffer"]
    return content, arrays


def _npy(archive: zipfile.ZipFile, name: str) -> np.ndarray:
    info = archive.getinfo(name)
    field = name.removesuffix(".npy")
    with archive.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise CheckpointError(f"has an unknown .npy version {version}", field=field)
        if dtype.hasobject:
            raise CheckpointError(
                "holds Python objects (pickle), which are never loaded", field=field
            )
        expected = math.prod(shape) * dtype.itemsize
        if expected != info.file_size - f.tell():
            raise CheckpointError(
                f"has {info.file_size - f.tell()} bytes of data, its header ({dtype}, shape "
                f"{shape}) needs {expected}",
                field=field,
            )
    with archive.open(info) as f:
        return np.lib.format.read_array(f, allow_pickle=False)


def _check_content(content: dict, arrays: dict[str, np.ndarray]) -> None:
    """Everything a checkpoint must be on its own; converts layout and values in place."""
    if content.get("format") != FORMAT:
        raise CheckpointError(f"is not a {FORMAT} (format {show(content.get('format'))})")
    version = content.get("version")
    if not (isinstance(version, int) and not isinstance(version, bool) and 1 <= version <= VERSION):
        raise CheckpointError(
            f"has version {show(version)}, this library reads versions 1 to {VERSION}",
            field="version",
        )
    if version == 1:  # before architecture, layout and buffers were recorded
        check_keys(
            content,
            "the checkpoint",
            ("format", "version", "model", "parameters"),
            ("optimizer", "extra"),
        )
        content["buffers"] = {}
    else:
        required = ("format", "version", "model", "architecture", "layout", "parameters", "buffers")
        check_keys(content, "the checkpoint", required, ("optimizer", "extra"))
    if not isinstance(content["model"], str):
        raise CheckpointError(f"must be a class name, got {show(content['model'])}", field="model")
    for key in ("parameters", "buffers"):
        section = content[key]
        if not isinstance(section, dict):
            raise CheckpointError(f"must be a dict, got {type(section).__name__}", field=key)
    names = [*content["parameters"], *content["buffers"]]
    if len(set(names)) != len(names):
        raise CheckpointError("name the same entry twice", field="parameters and buffers")
    if "extra" in content and not isinstance(content["extra"], dict):
        raise CheckpointError(
            f"must be a dict, got {type(content['extra']).__name__}", field="extra"
        )
    if "optimizer" in content and not isinstance(content["optimizer"], dict):
        raise CheckpointError(
            f"must be a dict, got {type(content['optimizer']).__name__}", field="optimizer"
        )
    if version == 1:
        return
    layout = _checked_layout(content["layout"], names)
    content["layout"] = layout
    total = 0
    for key in ("parameters", "buffers"):
        section = content[key]
        for name in section:
            dtype, shape = layout[name]
            field = f"{key}.{name}"
            value = arrays.get(name, section[name])
            if isinstance(value, np.ndarray) and value.dtype != dtype:
                raise CheckpointError(
                    f"is a {value.dtype} array, the layout records {dtype}", field=field
                )
            arrays[name] = real_array(value, shape, dtype, field)
            total += arrays[name].size
    content["architecture"] = _checked_spec(content["architecture"], max(total, 1024))


def _checked_layout(layout: Any, names: list[str]) -> dict[str, tuple[np.dtype, tuple]]:
    if not isinstance(layout, dict):
        raise CheckpointError(f"must be a dict, got {type(layout).__name__}", field="layout")
    no_layout = [n for n in names if n not in layout]
    no_value = [n for n in layout if n not in set(names)]
    if no_layout or no_value:
        parts = [f"no value for {no_value[:5]}"] if no_value else []
        parts += [f"no entry for the values {no_layout[:5]}"] if no_layout else []
        raise CheckpointError(f"does not match the values: {', '.join(parts)}", field="layout")
    out = {}
    for name, entry in layout.items():
        field = f"layout.{name}"
        check_keys(entry, field, ("dtype", "shape"))
        if entry["dtype"] not in FLOAT_DTYPES:
            raise CheckpointError(
                f"dtype must be one of {FLOAT_DTYPES}, got {show(entry['dtype'])}", field=field
            )
        shape = entry["shape"]
        if not (isinstance(shape, list) and len(shape) <= MAX_NDIM):
            raise CheckpointError(f"shape must be a list of sizes, got {show(shape)}", field=field)
        dims = tuple(count(d, f"{field}.shape") for d in shape)
        out[name] = (np.dtype(entry["dtype"]), dims)
    return out


# ---------------------------------------------------------------------- writing


def checkpoint_content(
    model: Any, optimizer: Any = None, extra: dict | None = None
) -> tuple[dict, dict[str, np.ndarray]]:
    """The JSON-ready content of `model`'s checkpoint and its values as arrays by name."""
    params, buffers = model.named_parameters(), model.named_buffers()
    arrays = {name: np.asarray(p.data) for name, p in params + buffers}
    bad = [n for n, a in arrays.items() if not np.all(np.isfinite(a))]
    if bad:
        raise ValueError(f"save: parameters are not finite, e.g. {bad[:3]}")
    content: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "model": type(model).__name__,
        "architecture": architecture(model),
        "layout": {
            name: {"dtype": str(a.dtype), "shape": list(a.shape)} for name, a in arrays.items()
        },
        "parameters": {name: arrays[name].tolist() for name, _ in params},
        "buffers": {name: arrays[name].tolist() for name, _ in buffers},
    }
    if optimizer is not None:
        content["optimizer"] = optimizer.state_dict()
    if extra is not None:
        if not isinstance(extra, dict):
            raise TypeError(f"save: extra must be a dict, got {type(extra).__name__}")
        content["extra"] = extra
    return content, arrays


def checkpoint_bytes(content: dict, arrays: dict[str, np.ndarray], npz: bool) -> bytes:
    """The file: JSON with its checksum, or an .npz archive with the values as arrays."""
    try:
        if not npz:
            signed = {**content, "checksum": _checksum(content)}
            return json.dumps(signed, allow_nan=False, indent=1).encode()
        meta = {k: v for k, v in content.items() if k not in ("parameters", "buffers")}
        entries = {f"param/{name}": arrays[name] for name in content["parameters"]}
        entries.update({f"buffer/{name}": arrays[name] for name in content["buffers"]})
        buffer = io.BytesIO()
        entries["checkpoint"] = np.array(json.dumps(meta, allow_nan=False))
        np.savez(buffer, **entries)  # type: ignore[arg-type]  # numpy's stub: allow_pickle
        return buffer.getvalue()
    except ValueError as exc:  # allow_nan=False: the optimizer state or extra is not finite
        raise ValueError(f"save: the checkpoint holds a non-finite number ({exc})") from None
    except TypeError as exc:
        raise TypeError(f"save: extra must be JSON data ({exc})") from None


def write_atomically(path: str | os.PathLike, content: str | bytes) -> Path:
    """Write `content` to `path` so that a crash at any moment leaves either the old file or the
    new one, never a mix: write a temporary `.<name>.<pid>-<random>.tmp` in the same folder,
    flush it to disk, rename it over `path` (atomic within a file system), flush the folder.
    Temporaries of earlier writes of the same file whose process has died are removed first."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp", dir=path.parent
    )
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
    _fsync_folder(path.parent)
    return path


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Delete the temporaries `.<name>.<pid>-<random>.tmp` that writes of `path` left behind
    when killed (their process no longer runs); returns them. A temporary of a live process
    (a concurrent write) is kept."""
    removed = []
    prefix = f".{path.name}."
    with contextlib.suppress(OSError):
        for entry in os.scandir(path.parent):
            middle = entry.name[len(prefix) : -len(".tmp")]
            if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")) or "." in middle:
                continue
            pid = middle.split("-", 1)[0]
            if pid.isdigit() and len(pid) < 10 and _alive(int(pid)):
                continue
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    except (OSError, OverflowError):
        return False
    return True


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where folders cannot be opened."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _new_file_mode(path: Path) -> int:
    """The mode an ordinary new file gets (0666 less the umask), or the existing file's mode."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


# ---------------------------------------------------------------------- rebuilding


def load_model(path: str | os.PathLike) -> Any:
    """Rebuild the model a checkpoint holds, without knowing its constructor arguments: the
    recorded architecture names a registered class and its configuration (never arbitrary
    code: no pickle, no imports), then the weights and buffers load into it.

    >>> model = load_model("out/demo/model.json")  # doctest: +SKIP
    """
    checkpoint = read_checkpoint(path)
    if checkpoint.architecture is None:
        raise CheckpointError(
            f"is a version {checkpoint.version} file, which records no architecture: build the "
            "model yourself and call model.load(path)",
            field="architecture",
            path=checkpoint.path,
        )
    try:
        model = build(checkpoint.architecture)
    except CheckpointError as exc:
        raise exc.in_file(checkpoint.path) from None
    model.load(checkpoint)
    return model
