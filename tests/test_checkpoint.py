"""Checkpoint files: one error type, all-or-nothing loads, recorded architecture, load_model,
the atomic writer and its stale temporaries. (Corruption at every byte and field is in
test_checkpoint_corruption.py.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import Tensor, Value
from nn import MLP, SGD, Adam, Linear, Module, Neuron, Sequential, load_model, losses
from nn.checkpoint import CheckpointError, read_checkpoint, write_atomically

ROOT = Path(__file__).resolve().parents[1]


def unsigned(path: Path) -> dict:
    """The file's content without its checksum, ready for a hand edit."""
    content = json.loads(path.read_text())
    del content["checksum"]
    return content


def stepped_mlp(seed=0):
    model = MLP(2, [3, 1], seed=seed)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    model([0.5, -1.0]).backward()
    opt.step()
    return model, opt


def values(model, opt):
    return model.state_dict(), opt.state_dict()


# ------------------------------------------------------------------ one error type


def test_checkpoint_error_is_a_value_error_naming_file_and_field(tmp_path):
    model, opt = stepped_mlp()
    path = model.save(tmp_path / "m.json", optimizer=opt)
    content = unsigned(path)
    content["optimizer"]["hyperparameters"]["momentum"] = -1.0
    path.write_text(json.dumps(content))
    with pytest.raises(CheckpointError) as info:
        MLP(2, [3, 1], seed=1).load(path, optimizer=SGD(MLP(2, [3, 1]).parameters(), lr=0.1))
    error = info.value
    assert isinstance(error, ValueError)
    assert error.path == path and error.field == "optimizer.hyperparameters.momentum"
    assert str(error) == (
        f"load: {path}: optimizer.hyperparameters.momentum must be a finite number >= 0, got -1.0"
    )


def test_lr_written_as_a_401_digit_integer_leaves_model_and_optimizer_unchanged(tmp_path):
    # Issue 11: `"lr": 1000...0` raised OverflowError after the new weights were in.
    model, opt = stepped_mlp()
    path = model.save(tmp_path / "m.json", optimizer=opt)
    text = json.dumps(unsigned(path)).replace('"lr": 0.1', '"lr": 1' + "0" * 400)
    path.write_text(text)
    target, target_opt = stepped_mlp(seed=5)
    before = values(target, target_opt)
    with pytest.raises(CheckpointError, match=r"optimizer\.hyperparameters\.lr must be a finite"):
        target.load(path, optimizer=target_opt)
    assert values(target, target_opt) == before


@pytest.mark.parametrize("digits", [400, 5000])
def test_huge_integer_parameters_are_refused_as_not_finite(tmp_path, digits):
    model = MLP(2, [1], seed=0)
    path = model.save(tmp_path / "m.json")
    text = json.dumps(unsigned(path))
    text = text.replace('"layer0.neuron0.b": 0.0', '"layer0.neuron0.b": ' + "9" * digits)
    path.write_text(text)
    with pytest.raises(CheckpointError, match=r"layer0\.neuron0\.b is not finite"):
        MLP(2, [1], seed=1).load(path)


def test_json_nested_100000_deep_is_a_checkpoint_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(CheckpointError, match="nested too deeply"):
        MLP(2, [1]).load(path)


def test_an_empty_npz_is_a_checkpoint_error(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match=rf"{path}: is not a valid \.npz checkpoint"):
        MLP(2, [1]).load(path)


@pytest.mark.parametrize("entry", [[], None, 3.0], ids=["[]", "null", "number"])
def test_an_npz_whose_checkpoint_entry_is_not_json_text_is_a_checkpoint_error(tmp_path, entry):
    path = tmp_path / "bad.npz"
    np.savez(path, checkpoint=np.array(entry, dtype=float if entry is not None else object))
    with pytest.raises(CheckpointError):
        MLP(2, [1]).load(path)


def test_a_missing_file_stays_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        MLP(2, [1]).load(tmp_path / "nowhere.json")


# ------------------------------------------------------------------ optimizer state


def adam_state_file(tmp_path, edit):
    net = Sequential(Linear(2, 3, seed=0))
    opt = Adam(net.parameters(), lr=0.01)
    losses.mse(net(Tensor(np.ones((4, 2)), requires_grad=False)), np.zeros((4, 3))).backward()
    opt.step()
    path = net.save(tmp_path / "net.json", optimizer=opt)
    content = unsigned(path)
    edit(content["optimizer"]["state"][0])
    path.write_text(json.dumps(content, allow_nan=True))
    return path


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda s: s["exp_avg"][0].__setitem__(0, float("nan")), "has non-finite entries"),
        (lambda s: s["exp_avg"][1].__setitem__(2, float("inf")), "has non-finite entries"),
        (lambda s: s.update(exp_avg=None), "is not an array of shape"),
        (lambda s: s["exp_avg_sq"][0].__setitem__(0, -1e-3), "must be >= 0"),
        (
            lambda s: s.update(exp_avg=[[0.0] * 3]),
            r"has shape \(1, 3\), the model expects \(2, 3\)",
        ),
        (lambda s: s.update(step=2.0), r"step must be an int"),
        (lambda s: s.pop("exp_avg_sq"), "is missing 'exp_avg_sq'"),
    ],
    ids=["NaN", "Infinity", "null", "negative second moment", "wrong shape", "float step", "gap"],
)
def test_invalid_optimizer_state_is_refused_and_nothing_changes(tmp_path, edit, message):
    path = adam_state_file(tmp_path, edit)
    net = Sequential(Linear(2, 3, seed=1))
    opt = Adam(net.parameters(), lr=0.01)
    before = values(net, opt)
    with pytest.raises(CheckpointError, match=message):
        net.load(path, optimizer=opt)
    assert values(net, opt) == before


def test_null_momentum_buffers_are_refused(tmp_path):
    model, opt = stepped_mlp()
    path = model.save(tmp_path / "m.json", optimizer=opt)
    content = unsigned(path)
    content["optimizer"]["state"][0]["momentum_buffer"] = None
    path.write_text(json.dumps(content))
    target, target_opt = stepped_mlp(seed=3)
    with pytest.raises(CheckpointError, match=r"state\.0\.momentum_buffer must be a number"):
        target.load(path, optimizer=target_opt)


# ------------------------------------------------------------------ tensor values


@pytest.mark.parametrize(
    "array",
    [
        np.array([["1.5", "2", "3"]] * 2),
        np.ones((2, 3), dtype=bool),
        np.zeros((2, 3), dtype="datetime64[D]"),
        np.ones((2, 3)) + 1j,
        np.ones((2, 3), dtype=np.float32),
    ],
    ids=["numeric strings", "booleans", "datetime64", "complex", "other float dtype"],
)
def test_npz_tensor_values_must_be_real_floats_of_the_recorded_dtype(tmp_path, array):
    net = Sequential(Linear(2, 3, seed=0))
    path = net.save(tmp_path / "net.npz")
    with zipfile.ZipFile(path) as archive:
        meta = archive.read("checkpoint.npy")
        b = archive.read("param/layer0.b.npy")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("checkpoint.npy", meta)
        archive.writestr("param/layer0.b.npy", b)
        with archive.open("param/layer0.W.npy", "w") as f:
            np.lib.format.write_array(f, array)
    target = Sequential(Linear(2, 3, seed=1))
    before = target.state_dict()
    with pytest.raises(CheckpointError, match=r"parameters\.layer0\.W"):
        target.load(path)
    assert target.state_dict() == before


@pytest.mark.parametrize("bad", ["1.5", True, None, [1.0]], ids=["string", "bool", "null", "list"])
def test_json_tensor_entries_must_be_real_numbers(tmp_path, bad):
    net = Sequential(Linear(2, 3, seed=0))
    path = net.save(tmp_path / "net.json")
    content = unsigned(path)
    content["parameters"]["layer0.W"][1][2] = bad
    path.write_text(json.dumps(content))
    with pytest.raises(CheckpointError, match=r"parameters\.layer0\.W"):
        Sequential(Linear(2, 3, seed=1)).load(path)


def test_load_state_dict_refuses_strings_and_booleans_it_used_to_convert():
    net = Sequential(Linear(2, 1, seed=0))
    state = net.state_dict()
    state["layer0.b"] = ["0.5"]
    with pytest.raises(CheckpointError, match=r"layer0\.b must hold real numbers, found a string"):
        net.load_state_dict(state)
    state["layer0.b"] = np.array([True])
    with pytest.raises(CheckpointError, match="must be an array of real numbers, got a bool"):
        net.load_state_dict(state)


def test_float64_values_too_large_for_a_float32_model_are_refused():
    net = Sequential(Linear(2, 1, seed=0, dtype=np.float32))
    state = net.state_dict()
    state["layer0.b"] = [1e300]
    with pytest.raises(CheckpointError, match="too large for float32"):
        net.load_state_dict(state)


# ------------------------------------------------------------------ architecture


def test_a_relu_model_does_not_load_into_a_tanh_model_and_both_are_named(tmp_path):
    path = MLP(2, [16, 16, 1], seed=0).save(tmp_path / "model.json")
    target = MLP(2, [16, 16, 1], activation="tanh", seed=0)
    before = target.state_dict()
    with pytest.raises(CheckpointError) as info:
        target.load(path)
    assert info.value.field == "architecture"
    assert (
        "the file holds MLP(nin=2, nouts=[16, 16, 1], activation=['relu', 'relu', 'linear'])"
        in (str(info.value))
    )
    assert "the model is MLP(nin=2, nouts=[16, 16, 1], activation=['tanh', 'tanh', 'linear'])" in (
        str(info.value)
    )
    assert target.state_dict() == before


def test_the_architecture_of_a_sequential_lists_its_layers(tmp_path):
    net = Sequential(Linear(2, 4, seed=0, dtype=np.float32), "relu", Linear(4, 1, bias=False))
    saved = json.loads(net.save(tmp_path / "net.json").read_text())
    assert saved["architecture"] == {
        "class": "Sequential",
        "config": {
            "layers": [
                {
                    "class": "Linear",
                    "config": {"nin": 2, "nout": 4, "bias": True, "dtype": "float32"},
                },
                {"class": "Activation", "config": {"name": "relu"}},
                {
                    "class": "Linear",
                    "config": {"nin": 4, "nout": 1, "bias": False, "dtype": "float64"},
                },
            ]
        },
    }
    assert saved["layout"]["layer0.W"] == {"dtype": "float32", "shape": [2, 4]}


def test_a_module_of_your_own_records_its_submodules(tmp_path):
    class Heads(Module):
        def __init__(self, activation):
            self.trunk = MLP(2, [3], activation=activation, output_activation=activation, seed=0)
            self.head = Neuron(3, "linear", seed=1)

    path = Heads("relu").save(tmp_path / "heads.json")
    saved = json.loads(path.read_text())["architecture"]
    assert saved["class"] == "Heads" and saved["config"] is None
    assert saved["modules"]["head"] == {
        "class": "Neuron",
        "config": {"nin": 3, "activation": "linear"},
    }
    Heads("relu").load(path)
    with pytest.raises(CheckpointError, match=r"the file holds Heads.*relu.*the model is Heads"):
        Heads("tanh").load(path)


def test_a_version_1_checkpoint_still_loads(tmp_path):
    model = MLP(2, [2, 1], seed=0)
    path = tmp_path / "old.json"
    old = {"format": "backprop-lab checkpoint", "version": 1, "model": "MLP"}
    path.write_text(json.dumps({**old, "parameters": model.state_dict(), "extra": {"e": 1}}))
    target = MLP(2, [2, 1], seed=4)
    assert target.load(path) == {"e": 1}
    assert target.state_dict() == model.state_dict()


# ------------------------------------------------------------------ load_model


@pytest.mark.parametrize("suffix", [".json", ".npz"])
@pytest.mark.parametrize(
    "make",
    [
        lambda: MLP(2, [16, 16, 1], activation="tanh", seed=0),
        lambda: MLP(3, [4, 2], activation=["sigmoid", "relu"], seed=1),
        lambda: Sequential(Linear(3, 5, seed=0, dtype=np.float32), "tanh", Linear(5, 2, seed=1)),
        lambda: Neuron(4, "sigmoid", seed=2),
        lambda: nn.Layer(2, 3, "tanh", seed=3),
    ],
    ids=["MLP tanh", "MLP per layer", "Sequential float32", "Neuron", "Layer"],
)
def test_load_model_rebuilds_the_model_without_its_constructor(tmp_path, suffix, make):
    model = make()
    path = model.save(tmp_path / f"model{suffix}")
    rebuilt = load_model(path)
    assert type(rebuilt) is type(model) and repr(rebuilt) == repr(model)
    assert rebuilt.state_dict() == model.state_dict()
    x = np.random.default_rng(0).normal(size=(2, len(model.parameters()) and 3))
    if isinstance(model, Sequential):
        batch = Tensor(x.astype(np.float32), requires_grad=False)
        np.testing.assert_array_equal(rebuilt(batch).data, model(batch).data)
    else:
        inputs = [0.3, -0.7, 0.2, 0.9][: model.get_config()["nin"]]
        out, expected = rebuilt(inputs), model(inputs)
        flat = out if isinstance(out, list) else [out]
        want = expected if isinstance(expected, list) else [expected]
        assert [v.data for v in flat] == [v.data for v in want]


def test_load_model_refuses_a_class_it_does_not_know_and_imports_nothing(tmp_path):
    path = MLP(2, [1], seed=0).save(tmp_path / "m.json")
    content = unsigned(path)
    content["model"] = content["architecture"]["class"] = "os.system"
    path.write_text(json.dumps(content))
    with pytest.raises(CheckpointError, match=r"names the class 'os\.system', which load_model"):
        load_model(path)


def test_load_model_refuses_sizes_the_file_cannot_hold(tmp_path):
    path = Sequential(Linear(2, 1, seed=0)).save(tmp_path / "m.json")
    content = unsigned(path)
    content["architecture"]["config"]["layers"][0]["config"]["nin"] = 10**9
    path.write_text(json.dumps(content))
    with pytest.raises(CheckpointError, match="more than the file's 1024 numbers allow"):
        load_model(path)


def test_load_model_of_your_own_module_needs_it_registered(tmp_path):
    class Scaled(Module):
        def __init__(self, n: int):
            self.w = [Value(1.0) for _ in range(n)]

        def get_config(self):
            return {"n": len(self.w)}

    model = Scaled(3)
    model.w[1].data = 5.0
    path = model.save(tmp_path / "s.json")
    with pytest.raises(CheckpointError, match=r"register your own with nn\.register_module"):
        load_model(path)
    nn.register_module(Scaled)
    try:
        assert [p.data for p in load_model(path).parameters()] == [1.0, 5.0, 1.0]
    finally:
        nn.checkpoint._REGISTRY.pop("Scaled")


def test_read_checkpoint_validates_a_file_without_a_model(tmp_path):
    model, opt = stepped_mlp()
    checkpoint = read_checkpoint(model.save(tmp_path / "m.npz", optimizer=opt, extra={"k": 1}))
    assert checkpoint.model == "MLP" and checkpoint.extra == {"k": 1}
    assert checkpoint.optimizer == opt.state_dict()
    assert checkpoint.layout["layer0.neuron0.w0"] == (np.dtype("float64"), ())


# ------------------------------------------------------------------ atomic writer


def test_a_killed_save_leaves_a_temporary_the_next_save_clears(tmp_path):
    path = tmp_path / "model.json"
    script = textwrap.dedent(
        f"""
        import os, signal
        from nn import MLP
        os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)  # die mid-save
        MLP(2, [4, 1], seed=0).save({str(path)!r})
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", script], env=env, check=False)
    assert result.returncode == -signal.SIGKILL
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".model.json.") and left[0].endswith(".tmp")
    MLP(2, [4, 1], seed=1).save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_stale_temporaries_of_other_files_and_live_writers_are_kept(tmp_path):
    path = tmp_path / "model.json"
    ours_dead = tmp_path / ".model.json.abc123.tmp"  # an old-style temporary: no live owner
    live = tmp_path / f".model.json.{os.getpid()}-zz9.tmp"  # a concurrent write in this process
    other = tmp_path / ".model.json.x.1-abc.tmp"  # belongs to "model.json.x"
    for p in (ours_dead, live, other):
        p.write_text("partial")
    write_atomically(path, "{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [live.name, other.name, "model.json"]
    )


def test_a_registered_module_may_take_a_dict_argument(tmp_path):
    class Table(Module):
        def __init__(self, sizes: dict):
            self.rows = [Tensor(np.zeros(n)) for n in sizes.values()]
            self.sizes = dict(sizes)

        def get_config(self):
            return {"sizes": self.sizes}

    nn.register_module(Table)
    try:
        model = Table({"a": 2, "b": 3})
        model.rows[1].data[:] = [1.0, 2.0, 3.0]
        rebuilt = load_model(model.save(tmp_path / "t.npz"))
        assert rebuilt.sizes == {"a": 2, "b": 3}
        assert rebuilt.rows[1].data.tolist() == [1.0, 2.0, 3.0]
    finally:
        nn.checkpoint._REGISTRY.pop("Table")


def test_error_messages_show_huge_ints_by_size_and_checks_do_not_overflow():
    from nn.checks import check_real, show

    assert show(10**5000) == "an integer of about 5001 digits"  # str() would refuse it
    with pytest.raises(ValueError, match="fit: lr must be a finite number >= 0, got an integer"):
        check_real("fit", "lr", 10**400)
