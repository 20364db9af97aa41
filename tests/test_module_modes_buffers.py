"""Module.training, train() / eval(), and buffers: discovery, state_dict, checkpoints."""

from __future__ import annotations

import json

import numpy as np
import pytest

from autograd import Tensor, Value
from nn import (
    MLP,
    SGD,
    BatchNorm1d,
    BatchNorm2d,
    CheckpointError,
    Conv2d,
    Linear,
    Module,
    Sequential,
)


class Norm(Module):
    """A toy layer with one parameter and two buffers, as a batch norm has."""

    def __init__(self, n: int):
        self.scale = Tensor(np.ones(n))
        self.running_mean = Tensor(np.zeros(n), requires_grad=False)
        self.stats = [Tensor(np.ones(n), requires_grad=False), (Value(2.0),)]
        self.label_parameters()


class Net(Module):
    def __init__(self):
        self.body = Sequential(Linear(2, 3, seed=0), "relu")
        self.norm = Norm(3)
        self.norms = [Norm(3)]


# ------------------------------------------------------------------ training mode


def test_modules_start_in_training_mode():
    assert Module().training is True
    assert all(m.training for _, m in Net().named_modules())


def test_eval_and_train_set_every_submodule_and_return_the_module():
    net = Net()
    assert net.eval() is net
    modes = {name: m.training for name, m in net.named_modules()}
    assert set(modes) == {"", "body", "body.layer0", "body.layer1", "norm", "norm0"}
    assert not any(modes.values())
    assert net.train() is net
    assert all(m.training for _, m in net.named_modules())
    net.train(False)
    assert not net.norms[0].training


def test_train_of_a_submodule_leaves_its_parent_alone():
    net = Net().eval()
    net.body.train()
    assert net.body.layers[0].training and not net.training and not net.norm.training


@pytest.mark.parametrize("mode", [1, "yes", None])
def test_train_mode_must_be_a_bool(mode):
    with pytest.raises(ValueError, match=f"mode must be True or False, got {mode!r}"):
        Net().train(mode)


def test_the_training_flag_is_neither_a_parameter_nor_a_buffer():
    net = Net().eval()
    names = [n for n, _ in net.named_parameters()] + [n for n, _ in net.named_buffers()]
    assert not any("training" in n for n in names)
    assert "training" not in net.state_dict()


# ------------------------------------------------------------------ buffers


def test_tensors_without_grad_are_buffers_found_in_attribute_order():
    net = Net()
    assert [n for n, _ in net.named_buffers()] == [
        "norm.running_mean",
        "norm.stat0",
        "norm0.running_mean",
        "norm0.stat0",
    ]
    assert net.buffers()[0] is net.norm.running_mean
    assert net.buffers()[3] is net.norms[0].stats[0]


def test_buffers_are_not_parameters():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "body.layer0.W",
        "body.layer0.b",
        "norm.scale",
        "norm.stat1.0",
        "norm0.scale",
        "norm0.stat1.0",
    ]
    buffer_ids = {id(b) for b in net.buffers()}
    assert not any(id(p) in buffer_ids for p in net.parameters())


def test_buffers_are_labelled_by_name():
    assert Norm(2).running_mean.label == "running_mean"


def test_a_model_without_buffers_has_none():
    assert MLP(2, [3, 1], seed=0).named_buffers() == []
    assert Sequential(Linear(2, 2, seed=0)).buffers() == []


def test_zero_grad_leaves_buffers_alone():
    net = Net()
    net.norm.running_mean.grad = np.ones(3)  # nothing sets it, but zero_grad must not touch it
    net.zero_grad()
    np.testing.assert_array_equal(net.norm.running_mean.grad, np.ones(3))


def test_state_dict_holds_buffers_after_parameters():
    net = Net()
    net.norm.running_mean.data[:] = [1.0, 2.0, 3.0]
    state = net.state_dict()
    assert list(state)[-4:] == [
        "norm.running_mean",
        "norm.stat0",
        "norm0.running_mean",
        "norm0.stat0",
    ]
    assert state["norm.running_mean"] == [1.0, 2.0, 3.0]


def test_load_state_dict_restores_buffers():
    a, b = Net(), Net()
    a.norm.running_mean.data[:] = [1.0, 2.0, 3.0]
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(b.norm.running_mean.data, [1.0, 2.0, 3.0])
    assert b.norm.running_mean.requires_grad is False


@pytest.mark.parametrize(
    "value, message",
    [
        ([1.0, 2.0], r"norm.running_mean has shape \(2,\), the model expects \(3,\)"),
        ([1.0, float("nan"), 3.0], "norm.running_mean has non-finite entries"),
    ],
)
def test_a_bad_buffer_is_refused_and_nothing_changes(value, message):
    net = Net()
    state = Net().state_dict()
    state["body.layer0.b"] = [5.0, 5.0, 5.0]
    state["norm.running_mean"] = value
    before = net.state_dict()
    with pytest.raises(ValueError, match=message):
        net.load_state_dict(state)
    assert net.state_dict() == before


def test_a_missing_buffer_is_refused():
    state = Net().state_dict()
    del state["norm0.stat0"]
    with pytest.raises(ValueError, match=r"missing \['norm0.stat0'\]"):
        Net().load_state_dict(state)


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_checkpoints_save_and_restore_buffers(tmp_path, suffix):
    a, b = Net(), Net()
    a.norm.running_mean.data[:] = [1.0, 2.0, 3.0]
    a.norms[0].stats[0].data[:] = [0.5, 0.25, 0.125]
    b.load(a.save(tmp_path / f"net{suffix}"))
    np.testing.assert_array_equal(b.norm.running_mean.data, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(b.norms[0].stats[0].data, [0.5, 0.25, 0.125])
    assert b.state_dict() == a.state_dict()


def test_a_json_checkpoint_lists_buffers_apart_from_parameters(tmp_path):
    saved = json.loads(Net().save(tmp_path / "net.json").read_text())
    assert "norm.running_mean" in saved["buffers"]
    assert "norm.running_mean" not in saved["parameters"]


def test_a_checkpoint_with_a_non_finite_buffer_is_not_loaded(tmp_path):
    path = Net().save(tmp_path / "net.json")
    saved = json.loads(path.read_text())
    del saved["checksum"]
    saved["buffers"]["norm.running_mean"] = [1.0, "NaN", 3.0]
    path.write_text(json.dumps(saved))
    net = Net()
    before = net.state_dict()
    with pytest.raises(ValueError, match=r"norm\.running_mean"):
        net.load(path)
    assert net.state_dict() == before


def test_a_negative_running_variance_is_refused_by_load_state_dict_and_nothing_changes():
    model = Sequential(Linear(3, 2, seed=0), BatchNorm1d(2))
    state = model.state_dict()
    state["layer0.W"] = [[5.0, 5.0]] * 3
    state["layer1.running_var"] = [1.0, -0.5]
    before = model.state_dict()
    with pytest.raises(
        CheckpointError,
        match=r"layer1.running_var must be >= 0 \(a variance\), got -0.5 at index 1",
    ):
        model.load_state_dict(state)
    assert model.state_dict() == before


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_a_checkpoint_with_a_negative_running_variance_is_not_loaded(tmp_path, suffix):
    saved = Sequential(Conv2d(1, 2, 3, seed=0), BatchNorm2d(2))
    saved.layers[1].running_var.data[:] = [-1.0, 2.0]  # as a hand-edited file would hold
    path = saved.save(tmp_path / f"model{suffix}", optimizer=SGD(saved.parameters(), lr=0.5))
    model = Sequential(Conv2d(1, 2, 3, seed=1), BatchNorm2d(2))
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    before = (model.state_dict(), opt.state_dict())
    with pytest.raises(CheckpointError, match=r"layer1.running_var must be >= 0 .*-1.0 at index 0"):
        model.load(path, optimizer=opt)
    assert (model.state_dict(), opt.state_dict()) == before
