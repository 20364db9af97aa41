"""Module, Neuron, Layer, MLP: discovery, names, initialisation, state, checkpoints."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

from autograd import Value
from nn import MLP, Layer, Module, Neuron
from nn.layers import init_bound

# ------------------------------------------------------------------ discovery and names


def test_parameter_order_is_layer_neuron_weights_then_bias():
    model = MLP(2, [3, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names[:4] == [
        "layer0.neuron0.w0",
        "layer0.neuron0.w1",
        "layer0.neuron0.b",
        "layer0.neuron1.w0",
    ]
    assert names[-4:] == [
        "layer1.neuron0.w0",
        "layer1.neuron0.w1",
        "layer1.neuron0.w2",
        "layer1.neuron0.b",
    ]
    assert model.parameters() == [p for _, p in model.named_parameters()]
    assert model.parameters()[0] is model.layers[0].neurons[0].w[0]


def test_micrograd_sized_mlp_has_337_parameters_labelled_by_name():
    model = MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == 16 * 3 + 16 * 17 + 17
    assert all(p.label == name for name, p in model.named_parameters())
    assert model.layers[1].neurons[3]._path == "layer1.neuron3"


def test_custom_module_discovers_parameters_generically():
    class TwoHeads(Module):
        def __init__(self):
            self.trunk = MLP(2, [4], seed=1)
            self.heads = [Neuron(4, "linear", seed=2), Neuron(4, "linear", seed=3)]
            self.scale = Value(1.0)
            self._hidden = Value(5.0)  # private attributes are not parameters
            self.label_parameters()

    names = [n for n, _ in TwoHeads().named_parameters()]
    assert names[0] == "trunk.layer0.neuron0.w0"
    assert "head1.b" in names and names[-1] == "scale"
    assert len(names) == 4 * 3 + 2 * 5 + 1


def test_parameters_in_nested_lists_are_found_row_by_row():
    class Matrix(Module):
        def __init__(self):
            self.A = [[Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]]
            self.names = ["not", "parameters"]

    names = [n for n, _ in Matrix().named_parameters()]
    assert names == ["A0.0", "A0.1", "A1.0", "A1.1"]
    assert [p.data for p in Matrix().parameters()] == [1.0, 2.0, 3.0, 4.0]


def test_zero_grad_resets_all_parameters():
    model = MLP(2, [3, 1], seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


# ------------------------------------------------------------------ layers and forward


def test_layer_always_returns_a_list():
    out = Layer(2, 1, seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 1


def test_mlp_returns_a_value_for_one_output_and_a_list_otherwise():
    assert isinstance(MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    assert len(MLP(2, [3, 4], seed=0)([1.0, 2.0])) == 4


def test_neuron_computes_activation_of_weighted_sum():
    n = Neuron(2, "tanh", seed=0)
    n.w[0].data, n.w[1].data, n.b.data = 0.5, -1.0, 0.25
    out = n([2.0, 3.0])
    assert out.data == pytest.approx(math.tanh(0.5 * 2 - 3 + 0.25), abs=1e-15)


@pytest.mark.parametrize("activation", ["linear", "relu", "tanh", "sigmoid"])
def test_activations_apply_per_layer(activation):
    model = MLP(1, [1, 1], activation=[activation, "linear"], seed=0)
    h = model.layers[0].neurons[0]
    h.w[0].data, h.b.data = 1.0, 0.0
    o = model.layers[1].neurons[0]
    o.w[0].data, o.b.data = 1.0, 0.0
    expected = {
        "linear": -0.5,
        "relu": 0.0,
        "tanh": math.tanh(-0.5),
        "sigmoid": 1 / (1 + math.exp(0.5)),
    }
    assert model([-0.5]).data == pytest.approx(expected[activation], abs=1e-15)


def test_wrong_input_length_names_expected_and_got():
    with pytest.raises(ValueError, match=r"layer0\.neuron0: expected 2 inputs, got 3"):
        MLP(2, [3, 1], seed=0)([1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: MLP(2, [3], activation="softmax"), "activation must be one of"),
        (lambda: MLP(2, [3], init="normal"), "init must be one of"),
        (lambda: MLP(2, []), "at least one layer"),
        (lambda: MLP(2, [3, 1], activation=["relu"]), r"2 layers but 1 activations \['relu'\]"),
        (lambda: Neuron(0), "nin must be a positive int, got 0"),
        (lambda: Layer(2, 0), "nout must be a positive int, got 0"),
    ],
)
def test_bad_configuration_is_a_clear_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# ------------------------------------------------------------------ initialisation


def test_same_seed_same_weights_different_seed_different():
    a, b, c = (MLP(3, [5, 2], seed=s) for s in (7, 7, 8))
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in a.parameters()] != [p.data for p in c.parameters()]


@pytest.mark.parametrize(
    "init, variance",
    [("uniform", 1 / 3), ("lecun", 1 / 400), ("xavier", 2 / (400 + 300)), ("he", 2 / 400)],
)
def test_initialisations_have_their_documented_variance(init, variance):
    layer = Layer(400, 300, init=init, seed=0)
    weights = np.array([w.data for n in layer.neurons for w in n.w])
    bound = init_bound(init, 400, 300)
    assert np.all(np.abs(weights) <= bound)
    assert weights.var() == pytest.approx(variance, rel=0.02)
    assert all(n.b.data == 0.0 for n in layer.neurons)


# ------------------------------------------------------------------ state and checkpoints


def test_state_dict_round_trip():
    a, b = MLP(2, [4, 1], seed=0), MLP(2, [4, 1], seed=1)
    b.load_state_dict(a.state_dict())
    assert b.state_dict() == a.state_dict()
    assert b([0.3, -0.2]).data == a([0.3, -0.2]).data


def test_save_and_load_round_trip_exactly(tmp_path):
    a, b = MLP(2, [4, 1], seed=0), MLP(2, [4, 1], seed=1)
    path = a.save(tmp_path / "model.json", extra={"epochs": 3})
    assert json.loads(path.read_text())["parameters"]["layer0.neuron0.w0"] == a.parameters()[0].data
    assert b.load(path) == {"epochs": 3}
    assert [p.data for p in b.parameters()] == [p.data for p in a.parameters()]


def test_a_save_that_fails_midway_leaves_the_old_file(tmp_path, monkeypatch):
    model = MLP(2, [4, 1], seed=0)
    path = model.save(tmp_path / "model.json")
    before = path.read_bytes()
    model.parameters()[0].data = 123.0

    def crash(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.json"]  # no temporary file left behind


def _checkpoint(tmp_path, mutate):
    model = MLP(2, [4, 1], seed=0)
    path = model.save(tmp_path / "model.json")
    data = json.loads(path.read_text())
    del data["checksum"]  # a hand-edited file drops its checksum (else that is the error)
    mutate(data)
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    "mutate, message",
    [
        (
            lambda d: d["parameters"].pop("layer0.neuron2.b"),
            r"layout does not match the values: no value for \['layer0.neuron2.b'\]",
        ),
        (
            lambda d: d["parameters"].update(extra=1.0),
            r"layout does not match the values: no entry for the values \['extra'\]",
        ),
        (lambda d: d["parameters"].update({"layer1.neuron0.b": "x"}), "must be a number, got str"),
        (lambda d: d["parameters"].update({"layer1.neuron0.b": None}), "must be a number"),
        (lambda d: d.update(model="Layer"), "holds a 'Layer', not a 'MLP'"),
        (lambda d: d.update(format="other"), "not a backprop-lab checkpoint"),
        (lambda d: d.update(version=99), "version 99"),
    ],
)
def test_mismatched_checkpoint_raises_and_leaves_model_unchanged(tmp_path, mutate, message):
    path = _checkpoint(tmp_path, mutate)
    target = MLP(2, [4, 1], seed=5)
    before = target.state_dict()
    with pytest.raises(ValueError, match=message):
        target.load(path)
    assert target.state_dict() == before


def test_corrupted_checkpoint_raises_and_leaves_model_unchanged(tmp_path):
    path = MLP(2, [4, 1], seed=0).save(tmp_path / "model.json")
    path.write_text(path.read_text()[:200])  # truncated
    target = MLP(2, [4, 1], seed=5)
    before = target.state_dict()
    with pytest.raises(ValueError, match="bad JSON"):
        target.load(path)
    assert target.state_dict() == before


def test_loading_into_a_differently_shaped_model_raises(tmp_path):
    path = MLP(2, [4, 1], seed=0).save(tmp_path / "model.json")
    target = MLP(2, [5, 1], seed=0)
    before = target.state_dict()
    message = (
        r"architecture differs: the file holds MLP\(nin=2, nouts=\[4, 1\], "
        r"activation=\['relu', 'linear'\]\), the model is MLP\(nin=2, nouts=\[5, 1\]"
    )
    with pytest.raises(ValueError, match=message):
        target.load(path)
    assert target.state_dict() == before


def test_saving_non_finite_parameters_is_refused(tmp_path):
    model = MLP(2, [2, 1], seed=0)
    model.parameters()[1].data = math.nan
    with pytest.raises(ValueError, match="not finite"):
        model.save(tmp_path / "model.json")
    assert not (tmp_path / "model.json").exists()


def test_checkpoint_gets_ordinary_file_permissions(tmp_path):
    path = MLP(2, [2, 1], seed=0).save(tmp_path / "model.json")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_standalone_neuron_names_itself_so_its_graph_shows_parameters():
    n = Neuron(2, "tanh", seed=0)
    assert [p.label for p in n.parameters()] == ["neuron.w0", "neuron.w1", "neuron.b"]
    assert n([1.0, 2.0]).label == "neuron"
    layer = Layer(2, 2, seed=0)  # inside a container it takes its place's name
    assert layer.neurons[1].w[0].label == "neuron1.w0"
    assert layer([1.0, 2.0])[1].label == "neuron1"
