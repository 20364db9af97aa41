"""Layers: bad sizes and bad inputs get a clear error naming the argument and the value; one
activation table serves the scalar layers, the tensor layers and the export to torch."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor, Value
from nn import MLP, Activation, Layer, Linear, Neuron, Sequential, activations


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: MLP(2, 3),
            TypeError,
            r"MLP: nouts must be a list of layer sizes, got the int 3; "
            r"for one layer of 3 write MLP\(2, \[3\]\)",
        ),
        (lambda: MLP(True, [3]), ValueError, "MLP: nin must be a positive int, got True"),
        (lambda: MLP(2.0, [3]), ValueError, "MLP: nin must be a positive int, got 2.0"),
        (lambda: MLP(2, []), ValueError, "MLP: nouts must list at least one layer size"),
        (lambda: MLP(2, "16,1"), TypeError, "MLP: nouts must be a list of layer sizes, got '16,1'"),
        (lambda: MLP(2, [16, 0, 1]), ValueError, r"MLP: nouts\[1\] must be a positive int, got 0"),
        (lambda: MLP(2, [16, True]), ValueError, r"MLP: nouts\[1\] must be a positive int, got T"),
        (lambda: MLP(2, [3], activation="gelu"), ValueError, "MLP: activation must be one of"),
        (
            lambda: MLP(2, [3], output_activation="softmax"),
            ValueError,
            "MLP: output_activation must be one of .* got 'softmax'",
        ),
        (
            lambda: MLP(2, [3, 1], activation=["relu", "x"]),
            ValueError,
            r"MLP: activation\[1\] must be one of .* got 'x'",
        ),
        (lambda: MLP(2, [3], init="glorot"), ValueError, "MLP: init must be one of .* 'glorot'"),
        (lambda: MLP(2, [3], seed=-1), ValueError, "MLP: seed must be an int >= 0, got -1"),
        (lambda: MLP(2, [3], seed="a"), ValueError, r"MLP: seed must be an int >= 0, got 'a'"),
        (lambda: Layer(0, 3), ValueError, "Layer: nin must be a positive int, got 0"),
        (lambda: Layer(2, 3, "x"), ValueError, "Layer: activation must be one of"),
        (lambda: Neuron(False), ValueError, "Neuron: nin must be a positive int, got False"),
        (lambda: Linear(3, 0), ValueError, "Linear: nout must be a positive int, got 0"),
        (lambda: Linear(True, 2), ValueError, "Linear: nin must be a positive int, got True"),
        (lambda: Linear(3, 2, init="x"), ValueError, "Linear: init must be one of"),
        (lambda: Linear(3, 2, bias="no"), ValueError, "Linear: bias must be True or False"),
        (lambda: Linear(3, 2, dtype=np.int64), ValueError, "Linear: dtype must be a float dtype"),
        (lambda: Linear(3, 2, dtype="x"), ValueError, "Linear: dtype must be a float dtype"),
        (lambda: Activation("gelu"), ValueError, "Activation: name must be one of"),
        (lambda: Sequential(Linear(2, 2), "gelu"), ValueError, "Activation: name must be one of"),
    ],
)
def test_bad_layer_arguments_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


MODEL = MLP(2, [4, 1], seed=0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: MODEL(3.0),
            r"MLP: expected one sample, a list of 2 numbers or Values, got a "
            r"single 3.0; wrap it: \[3.0\]",
        ),
        (
            lambda: MODEL([[1.0, 2.0]]),
            r"MLP: expected one sample, .* got a batch of 1 rows "
            r"\[\[1.0, 2.0\]\].*use predict\(model, X\) for a batch",
        ),
        (lambda: MODEL(np.zeros((3, 2))), r"got a batch of 3 rows.*predict\(model, X\)"),
        (lambda: MODEL(["a", "b"]), r"MLP: inputs must be numbers or Values, got 'a' \(str\)"),
        (lambda: MODEL(None), r"MLP: expected one sample, .* got None"),
        (lambda: Layer(2, 3)(Value(1.0)), r"Layer: expected one sample, a list of 2"),
        (lambda: Neuron(2)(3.0), r"Neuron: expected one sample, a list of 2 numbers"),
        (lambda: Neuron(2)([[1.0, 2.0], [3.0, 4.0]]), r"Neuron: .* a batch of 2 rows"),
        (
            lambda: Linear(3, 2)([1.0, 2.0, 3.0]),
            r"Linear: x must be a Tensor of shape \(n, 3\), "
            r"got \[1.0, 2.0, 3.0\] \(list\); wrap a batch as Tensor\(X\)",
        ),
        (
            lambda: Linear(3, 2)(np.zeros((4, 3))),
            r"Linear: x must be a Tensor .* got an array of shape \(4, 3\) \(float64\)",
        ),
        (
            lambda: Sequential(Linear(3, 2), "relu")([[1.0, 2.0, 3.0]]),
            r"layer0: x must be a Tensor of shape \(n, 3\)",
        ),
    ],
)
def test_calling_a_layer_with_something_other_than_one_sample_says_what_to_do(call, message):
    with pytest.raises(TypeError, match=message):
        call()


def test_wrong_number_of_inputs_is_still_named():
    with pytest.raises(ValueError, match=r"layer0\.neuron0: expected 2 inputs, got 3"):
        MODEL([1.0, 2.0, 3.0])
    with pytest.raises(
        ValueError, match=r"Linear: expected inputs with 3 features, got shape \(\)"
    ):
        Linear(3, 2)(Tensor(1.0))


def test_good_inputs_still_work_in_every_spelling():
    expected = MODEL([0.5, -1.0]).data
    assert MODEL((0.5, -1.0)).data == expected
    assert MODEL(np.array([0.5, -1.0])).data == expected
    assert MODEL([Value(0.5), Value(-1.0)]).data == expected
    assert MLP(np.int64(2), np.array([4, 1]), seed=0)([0.5, -1.0]).data == expected


# -------------------------------------------------------------------- one activation table


@pytest.mark.parametrize("name", activations.ACTIVATIONS)
def test_every_activation_is_the_same_on_values_tensors_and_torch(torch, name):
    xs = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    scalar = [activations.activate(Value(float(x)), name).data for x in xs]
    tensor = activations.activate(Tensor(xs), name).data
    module = activations.torch_layer(torch, name)
    theirs = xs if module is None else module(torch.tensor(xs)).numpy()
    np.testing.assert_allclose(scalar, theirs, rtol=1e-15)
    np.testing.assert_allclose(tensor, theirs, rtol=1e-15)


def test_layers_and_export_read_the_one_table():
    from nn import export, layers, tensor_layers

    assert layers.ACTIVATIONS is activations.ACTIVATIONS
    assert layers.activate is activations.activate is tensor_layers.activate
    assert export.torch_layer is activations.torch_layer is tensor_layers.torch_layer


def test_scalar_modules_describe_themselves_for_graph_pictures():
    model = MLP(3, [4, 2], activation="tanh")
    assert model.description() == "MLP(3→4→2)"
    described = model.descriptions()
    assert described["layer0"] == "Layer(3→4, tanh)"
    assert described["layer1.neuron1"] == "Neuron(4 inputs, linear)"
    assert len(described) == 2 + 4 + 2, "every layer and neuron, not the unlabelled model"
    assert Neuron(2).descriptions() == {"neuron": "Neuron(2 inputs, relu)"}


def test_a_linear_activation_layer_keeps_its_inputs_label():
    model = Sequential(Linear(2, 2, seed=0), "linear", "relu")
    out = model(Tensor(np.ones((1, 2)), requires_grad=False))
    assert out.label == "layer2" and out.parents[0].label == "layer0", "linear is x itself"
