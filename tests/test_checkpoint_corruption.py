"""Systematic corruption of saved checkpoints, .json and .npz, with an optimizer in the file.

Every corrupted file must either raise CheckpointError and leave the model and the optimizer
exactly as they were (every parameter, every optimizer state value), or, where the corruption
hit something that carries no meaning (zip metadata a reader ignores), load exactly what was
saved. Nothing else: no RecursionError, OverflowError, EOFError, TypeError, no half-loaded model.
"""

from __future__ import annotations

import copy
import io
import json
import zipfile

import numpy as np
import pytest

from autograd import Tensor
from nn import Adam, Linear, Sequential, losses
from nn.checkpoint import CheckpointError

DEEP = 100_000


def trained():
    """A small tensor network and its Adam after one step, so every state kind is present."""
    net = Sequential(Linear(3, 4, seed=0), "tanh", Linear(4, 2, seed=1))
    opt = Adam(net.parameters(), lr=0.01)
    X = Tensor(np.random.default_rng(0).normal(size=(5, 3)), requires_grad=False)
    losses.cross_entropy(net(X), [0, 1, 0, 1, 1]).backward()
    opt.step()
    return net, opt


def target():
    """A different model and optimizer of the same architecture: what a bad load must not touch."""
    net = Sequential(Linear(3, 4, seed=7), "tanh", Linear(4, 2, seed=8))
    opt = Adam(net.parameters(), lr=0.02, betas=(0.8, 0.99))
    X = Tensor(np.random.default_rng(1).normal(size=(5, 3)), requires_grad=False)
    for _ in range(2):
        opt.zero_grad()
        losses.cross_entropy(net(X), [1, 1, 0, 0, 1]).backward()
        opt.step()
    return net, opt


def snapshot(net, opt):
    """Every parameter and buffer, every optimizer hyper-parameter and state value (fresh
    copies: both state_dicts build new lists)."""
    return net.state_dict(), opt.state_dict()


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Both files of one trained model, with what loading them must give."""
    folder = tmp_path_factory.mktemp("saved")
    net, opt = trained()
    files = {
        suffix: net.save(folder / f"net{suffix}", optimizer=opt, extra={"epochs": 3}).read_bytes()
        for suffix in (".json", ".npz")
    }
    return files, snapshot(net, opt)


def load_outcome(path, expected_if_loaded, into=None):
    """Load `path` into `into` (a model and optimizer; a fresh target by default); return
    "refused" or "loaded", checking the contract. A refused load leaves `into` as it was, so
    one target serves a whole loop of corruptions."""
    net, opt = into or target()
    before = snapshot(net, opt)
    try:
        net.load(path, optimizer=opt)
    except CheckpointError as exc:
        assert str(path) in str(exc)
        after = snapshot(net, opt)
        assert after[0] == before[0], f"{path.name}: the model changed on a refused load"
        assert after[1] == before[1], f"{path.name}: the optimizer changed on a refused load"
        return "refused"
    assert snapshot(net, opt) == expected_if_loaded, f"{path.name} loaded something else"
    return "loaded"


# ------------------------------------------------------------------ bytes


@pytest.mark.parametrize("suffix", [".json", ".npz"])
@pytest.mark.parametrize("mask", [0x01, 0x80, 0xFF])
def test_flipped_bytes_are_refused_or_meaningless(saved, tmp_path, suffix, mask):
    files, expected = saved
    data = files[suffix]
    path = tmp_path / f"bad{suffix}"
    offsets = sorted(set(np.random.default_rng(mask).choice(len(data), 300, replace=False)))
    outcomes, into = [], target()
    for offset in offsets:
        corrupted = bytearray(data)
        corrupted[offset] ^= mask
        path.write_bytes(bytes(corrupted))
        outcomes.append(load_outcome(path, expected, into))
    # What loads is exactly what was saved (load_outcome checks): e.g. the 17th digit of a
    # float, which does not change the float64, or zip metadata no reader looks at.
    assert outcomes.count("refused") > 0.9 * len(outcomes)


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_truncation_at_any_offset_is_refused(saved, tmp_path, suffix):
    files, expected = saved
    data = files[suffix]
    path = tmp_path / f"short{suffix}"
    into = target()
    for length in [
        0,
        1,
        2,
        3,
        4,
        10,
        *range(30, len(data), max(1, len(data) // 300)),
        len(data) - 1,
    ]:
        path.write_bytes(data[:length])
        assert load_outcome(path, expected, into) == "refused", f"truncated to {length} bytes"


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_trailing_garbage_is_refused(saved, tmp_path, suffix):
    files, expected = saved
    path = tmp_path / f"long{suffix}"
    path.write_bytes(files[suffix] + b'{"x": 1}')
    outcome = load_outcome(path, expected)
    assert outcome == "refused" or suffix == ".npz"  # zip readers find their directory anyway


# ------------------------------------------------------------------ fields

NASTY = {
    "nan": float("nan"),
    "infinity": float("inf"),
    "numeric string": "1.5",
    "string": "x",
    "huge int": "HUGE",  # 10**400, written as digits into the text
    "5000 digits": "DIGITS",  # past Python's 4,300-digit limit for int()
    "huge float": 1e308 * 10,  # inf once parsed
    "null": None,
    "true": True,
    "empty list": [],
    "list": [1.0, 2.0, 3.0, 4.0, 5.0],  # no row of the model has 5 entries
    "empty dict": {},
    "deep nesting": "DEEP",
}
TOKENS = {"HUGE": "1" + "0" * 400, "DIGITS": "7" * 5000, "DEEP": "[" * DEEP + "]" * DEEP}


def leaves(content, path=()):
    """Every (path, value) in the JSON tree, containers included, outside the free-form extra."""
    if path[:1] == ("extra",) and len(path) > 1:
        return
    yield path, content
    if isinstance(content, dict):
        for key, value in content.items():
            yield from leaves(value, (*path, key))
    elif isinstance(content, list):
        # Of the numbers of one array, its first and last stand for all (the checks are per
        # array); every other list is walked entry by entry.
        numbers = content and all(isinstance(v, (int, float)) for v in content)
        indices = sorted({0, len(content) - 1}) if numbers else range(len(content))
        for i in indices:
            yield from leaves(content[i], (*path, i))


def edited(content, path, change):
    """A deep copy of `content` with `change(parent, key)` applied at `path`."""
    content = copy.deepcopy(content)
    parent = content
    for key in path[:-1]:
        parent = parent[key]
    change(parent, path[-1])
    return content


def write_json(path, content):
    text = json.dumps(content, allow_nan=True)
    for token, replacement in TOKENS.items():
        text = text.replace(json.dumps(token), replacement)
    path.write_text(text)


def json_content(files):
    content = json.loads(files[".json"])
    del content["checksum"]  # hand edits drop it: the fields themselves must be refused
    return content


def edits(content):
    """(name, edited content) for every field: each nasty value, removal, renaming, an extra
    entry, in every dict and list of the file."""
    for path, value in leaves(content):
        if not path:
            continue
        where = ".".join(map(str, path))
        # {} is valid in two places: a parameter Adam has not stepped yet, and the extra dict.
        fresh = (path[:2] == ("optimizer", "state") and len(path) == 3) or path == ("extra",)
        for label, nasty in NASTY.items():
            same = type(nasty) is type(value) and nasty == value
            if not same and not (fresh and nasty == {}):
                yield f"{where} = {label}", edited(content, path, _setter(nasty))
        if isinstance(path[-1], str) and path[-1] not in ("extra",):
            yield f"{where} removed", edited(content, path, lambda d, k: d.pop(k))
            yield (
                f"{where} renamed",
                edited(content, path, lambda d, k: d.update({k + "x": d.pop(k)})),
            )
        if isinstance(value, dict) and path != ("extra",):
            yield f"{where} + extra entry", edited(content, path, lambda d, k: d[k].update(zz=1.0))
        if isinstance(value, list):
            yield f"{where} + extra element", edited(content, path, lambda d, k: d[k].append(1.0))
            if value:
                yield f"{where} - last element", edited(content, path, lambda d, k: d[k].pop())
    yield "top + extra entry", {**content, "zz": 1}


def _setter(value):
    def change(parent, key):
        parent[key] = copy.deepcopy(value)

    return change


def test_every_edited_field_of_a_json_checkpoint_is_refused(saved, tmp_path):
    files, expected = saved
    content = json_content(files)
    path = tmp_path / "edited.json"
    cases = list(edits(content))
    assert len(cases) > 400
    into = target()
    for name, bad in cases:
        write_json(path, bad)
        assert load_outcome(path, expected, into) == "refused", name


def test_an_edited_file_with_its_checksum_is_refused_by_the_checksum(saved, tmp_path):
    files, _ = saved
    content = json.loads(files[".json"])
    content["parameters"]["layer0.b"][0] = 0.5
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(content))
    with pytest.raises(CheckpointError, match="checksum does not match the content"):
        target()[0].load(path)


def test_a_file_without_its_checksum_loads_when_valid(saved, tmp_path):
    files, expected = saved
    path = tmp_path / "unsigned.json"
    path.write_text(json.dumps(json_content(files)))
    assert load_outcome(path, expected) == "loaded"


def test_editing_only_the_free_form_extra_is_allowed(saved, tmp_path):
    files, _ = saved
    content = json_content(files)
    content["extra"] = {"epochs": [1, {"note": None}]}
    path = tmp_path / "extra.json"
    path.write_text(json.dumps(content))
    net, opt = target()
    assert net.load(path, optimizer=opt) == {"epochs": [1, {"note": None}]}


@pytest.mark.parametrize("wrapper", ["[{}]", '{{"a": {}}}'])
def test_a_whole_file_nested_100000_deep_is_refused(tmp_path, wrapper):
    path = tmp_path / "deep.json"
    path.write_text(wrapper.format("[" * DEEP + "]" * DEEP))
    net, opt = target()
    before = snapshot(net, opt)
    with pytest.raises(CheckpointError, match="nested too deeply"):
        net.load(path, optimizer=opt)
    assert snapshot(net, opt) == before


# ------------------------------------------------------------------ .npz entries


def npz_entries(data: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def write_npz(path, entries: dict, *, pickle: bool = False) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, array in entries.items():
            with archive.open(f"{name}.npy", "w") as f:
                np.lib.format.write_array(f, np.asanyarray(array), allow_pickle=pickle)
    path.write_bytes(buffer.getvalue())


W0 = "param/layer0.W"
ARRAY_EDITS = {
    "nan": lambda a: np.where(np.arange(a.size).reshape(a.shape) == 1, np.nan, a),
    "infinity": lambda a: np.full_like(a, np.inf),
    "numeric strings": lambda a: a.astype(str),
    "bytes": lambda a: a.astype(bytes),
    "booleans": lambda a: a > 0,
    "datetime64": lambda a: np.zeros(a.shape, "datetime64[s]"),
    "complex": lambda a: a + 1j,
    "ints": lambda a: np.round(a).astype(np.int64),
    "float32": lambda a: a.astype(np.float32),
    "wrong shape": lambda a: a.reshape(-1),
    "transposed": lambda a: a.T.copy(),
    "0-d": lambda a: np.array(1.0),
    "structured": lambda a: np.zeros(a.shape, [("x", "f8")]),
}


@pytest.mark.parametrize("edit", list(ARRAY_EDITS), ids=list(ARRAY_EDITS))
def test_an_npz_array_of_the_wrong_kind_is_refused(saved, tmp_path, edit):
    files, expected = saved
    entries = npz_entries(files[".npz"])
    entries[W0] = ARRAY_EDITS[edit](entries[W0])
    path = tmp_path / "bad.npz"
    write_npz(path, entries)
    assert load_outcome(path, expected) == "refused"


def test_an_npz_object_array_is_never_unpickled(saved, tmp_path):
    files, _ = saved
    entries = npz_entries(files[".npz"])
    entries[W0] = np.array([object()] * 12, dtype=object).reshape(3, 4)
    path = tmp_path / "pickle.npz"
    write_npz(path, entries, pickle=True)
    net = target()[0]
    with pytest.raises(CheckpointError, match="pickle"):
        net.load(path)


@pytest.mark.parametrize(
    "change",
    [
        lambda e: e.pop(W0),
        lambda e: e.update({"param/extra": np.zeros(2)}),
        lambda e: e.update({"buffer/layer0.W": e.pop(W0)}),
        lambda e: e.update({"param/layer0.Wx": e.pop(W0)}),
        lambda e: e.update({"other": np.zeros(2)}),
        lambda e: e.pop("checkpoint"),
    ],
    ids=["missing", "extra", "parameter as buffer", "renamed", "unknown entry", "no checkpoint"],
)
def test_npz_entries_missing_extra_or_renamed_are_refused(saved, tmp_path, change):
    files, expected = saved
    entries = npz_entries(files[".npz"])
    change(entries)
    path = tmp_path / "bad.npz"
    write_npz(path, entries)
    assert load_outcome(path, expected) == "refused"


@pytest.mark.parametrize(
    "entry",
    [[], None, 3.0, 7, np.array(["{}", "{}"]), np.array(b"{}"), "[]", "null", "3", '"text"'],
    ids=[
        "[]",
        "null",
        "float",
        "int",
        "two strings",
        "bytes",
        "json []",
        "json null",
        "json 3",
        "json str",
    ],
)
def test_an_npz_checkpoint_entry_that_is_not_a_json_object_is_refused(saved, tmp_path, entry):
    files, expected = saved
    entries = npz_entries(files[".npz"])
    entries["checkpoint"] = np.array(entry) if not isinstance(entry, np.ndarray) else entry
    path = tmp_path / "bad.npz"
    write_npz(path, entries, pickle=entry is None)
    assert load_outcome(path, expected) == "refused"


def test_every_edited_field_of_an_npz_checkpoint_is_refused(saved, tmp_path):
    files, expected = saved
    entries = npz_entries(files[".npz"])
    meta = json.loads(str(entries["checkpoint"]))
    path = tmp_path / "edited.npz"
    cases = list(edits(meta))
    assert len(cases) > 200
    deep = [i for i, (name, _) in enumerate(cases) if name.endswith("= deep nesting")]
    cases = [c for i, c in enumerate(cases) if i not in set(deep[5:])]  # the JSON test does all
    into = target()
    for name, bad in cases:
        text = json.dumps(bad, allow_nan=True)
        for token, replacement in TOKENS.items():
            text = text.replace(json.dumps(token), replacement)
        write_npz(path, {**entries, "checkpoint": np.array(text)})
        assert load_outcome(path, expected, into) == "refused", name


def test_an_empty_npz_is_refused(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"not a valid \.npz checkpoint"):
        target()[0].load(path)


def test_an_npz_header_asking_for_terabytes_is_refused_before_allocating(saved, tmp_path):
    files, expected = saved
    entries = npz_entries(files[".npz"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, array in entries.items():
            with archive.open(f"{name}.npy", "w") as f:
                if name != W0:
                    np.lib.format.write_array(f, array, allow_pickle=False)
                    continue
                header = {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)}
                np.lib.format.write_array_header_1_0(f, header)
                f.write(array.tobytes())  # 96 bytes, not 8 TB
    path = tmp_path / "huge.npz"
    path.write_bytes(buffer.getvalue())
    assert load_outcome(path, expected) == "refused"
