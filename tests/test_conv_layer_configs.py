"""The convolutional path's layers as architectures: every constructor argument checked (naming
the layer, the argument and the value), recorded by get_config, shown by repr, compared by a
checkpoint's architecture check and rebuilt by load_model; nested Sequentials in to_torch."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest

from autograd import Tensor
from nn import (
    Adam,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    CheckpointError,
    Conv2d,
    ConvTranspose2d,
    Dropout,
    Flatten,
    Linear,
    MaxPool2d,
    Sequential,
    Softmax,
    fit,
    load_model,
)
from nn.checkpoint import architecture
from nn.export import to_torch


def cnn(seed=0, *, stride=1, p=0.5, eps=1e-5) -> Sequential:
    """A small CNN using every layer kind with non-default arguments."""
    return Sequential(
        Conv2d(1, 4, 3, stride=stride, padding=1, seed=seed),
        BatchNorm2d(4, eps=eps, momentum=0.2),
        "relu",
        ConvTranspose2d(4, 4, 2, stride=2, output_padding=1, bias=False, seed=seed + 1),
        MaxPool2d(3, stride=2, padding=1),
        AvgPool2d((2, 1), stride=1, padding=(1, 0), count_include_pad=False),
        Conv2d(4, 2, (3, 2), dilation=(1, 2), groups=2, seed=seed + 2, init="xavier"),
        Softmax(1),
        Flatten(),
        Dropout(p, seed=seed),
        BatchNorm1d(2 * 8 * 7, affine=False),
        Linear(2 * 8 * 7, 3, bias=False, seed=seed + 3),
    )


def images(n=5, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, 1, 8, 8))


def trained(seed=0) -> tuple[Sequential, Adam]:
    model = cnn(seed)
    opt = Adam(model.parameters(), lr=1e-2)
    y = np.random.default_rng(seed).integers(0, 3, 12)
    fit(model, images(12), y, loss="cross_entropy", optimizer=opt, epochs=2, batch_size=4,
        progress=False, seed=seed)  # fmt: skip
    return model, opt


# ---------------------------------------------------------------------- configurations

CONFIGS = [
    (
        Conv2d(2, 4, (3, 5), stride=2, padding=(1, 2), dilation=3, groups=2, bias=False),
        {
            "in_channels": 2,
            "out_channels": 4,
            "kernel_size": [3, 5],
            "stride": 2,
            "padding": [1, 2],
            "dilation": 3,
            "groups": 2,
            "bias": False,
            "dtype": "float64",
        },
    ),
    (
        ConvTranspose2d(4, 6, 3, 2, 1, 1, 2, True, 1, dtype=np.float32),
        {
            "in_channels": 4,
            "out_channels": 6,
            "kernel_size": 3,
            "stride": 2,
            "padding": 1,
            "output_padding": 1,
            "groups": 2,
            "bias": True,
            "dilation": 1,
            "dtype": "float32",
        },
    ),
    (MaxPool2d(3, padding=1), {"kernel_size": 3, "stride": 3, "padding": 1}),
    (
        AvgPool2d(2, 1, count_include_pad=False),
        {"kernel_size": 2, "stride": 1, "padding": 0, "count_include_pad": False},
    ),
    (Flatten(2, 3), {"start_axis": 2, "end_axis": 3}),
    (Dropout(0.25), {"p": 0.25}),
    (
        BatchNorm2d(3, eps=1e-3, momentum=0.3, affine=False),
        {"num_features": 3, "eps": 1e-3, "momentum": 0.3, "affine": False, "dtype": "float64"},
    ),
    (
        BatchNorm1d(5, dtype=np.float32),
        {"num_features": 5, "eps": 1e-5, "momentum": 0.1, "affine": True, "dtype": "float32"},
    ),
    (Softmax(2), {"axis": 2}),
    (Linear(3, 4, bias=False), {"nin": 3, "nout": 4, "bias": False, "dtype": "float64"}),
]


@pytest.mark.parametrize("layer, config", CONFIGS, ids=lambda v: type(v).__name__)
def test_every_layer_records_its_whole_configuration(layer, config):
    assert architecture(layer)["config"] == config


@pytest.mark.parametrize("layer, config", CONFIGS, ids=lambda v: type(v).__name__)
def test_every_layer_is_rebuilt_from_its_recorded_configuration(layer, config):
    rebuilt = type(layer).from_config(json.loads(json.dumps(config)))
    assert architecture(rebuilt) == architecture(layer)
    assert repr(rebuilt) == repr(layer)


def test_equal_sizes_are_recorded_alike_so_equal_architectures_compare_equal():
    square = architecture(Conv2d(1, 2, 3, stride=(2, 2)))
    assert square == architecture(Conv2d(1, 2, (3, 3), stride=2))
    assert square == architecture(Conv2d(1, 2, np.int64(3), stride=[2, 2]))
    assert architecture(MaxPool2d(2)) == architecture(MaxPool2d(2, stride=2))


@pytest.mark.parametrize("suffix", [".json", ".npz"])
@pytest.mark.parametrize("training", [True, False])
def test_load_model_rebuilds_a_cnn_with_identical_outputs(tmp_path, suffix, training):
    model, opt = trained()
    path = model.save(tmp_path / f"cnn{suffix}", optimizer=opt)
    rebuilt = load_model(path)
    assert repr(rebuilt) == repr(model)
    assert rebuilt.state_dict() == model.state_dict()
    model.train(training)
    rebuilt.train(training)
    if training:  # the same dropout masks: both layers draw from equal generators
        rebuilt.layers[9]._rng = copy.deepcopy(model.layers[9]._rng)
    x = images(4, seed=1)
    ours = model(Tensor(x, requires_grad=False)).data
    theirs = rebuilt(Tensor(x, requires_grad=False)).data
    np.testing.assert_array_equal(theirs, ours)
    assert not training or np.abs(ours).max() > 0
    np.testing.assert_array_equal(
        rebuilt.layers[10].running_var.data, model.layers[10].running_var.data
    )


def test_load_model_rebuilds_a_nested_sequential(tmp_path):
    block = Sequential(Conv2d(1, 2, 3, padding=1, seed=0), BatchNorm2d(2), "relu")
    model = Sequential(block, MaxPool2d(2), Flatten(), Linear(2 * 4 * 4, 2, seed=1)).eval()
    rebuilt = load_model(model.save(tmp_path / "nested.json")).eval()
    x = Tensor(images(3), requires_grad=False)
    np.testing.assert_array_equal(rebuilt(x).data, model(x).data)
    assert architecture(rebuilt) == architecture(model)


# ---------------------------------------------------------------------- architecture check


@pytest.mark.parametrize(
    "other, difference",
    [
        (cnn(stride=2), "layer0 (Conv2d): stride is 1 in the file, 2 in the model"),
        (cnn(p=0.1), "layer9 (Dropout): p is 0.5 in the file, 0.1 in the model"),
        (cnn(eps=1e-3), "layer1 (BatchNorm2d): eps is 1e-05 in the file, 0.001 in the model"),
    ],
)
def test_a_checkpoint_of_another_cnn_is_refused_naming_the_difference(tmp_path, other, difference):
    model, opt = trained()
    path = model.save(tmp_path / "cnn.json", optimizer=opt)
    other_opt = Adam(other.parameters(), lr=1e-3)
    before = (copy.deepcopy(other.state_dict()), json.dumps(other_opt.state_dict()))
    with pytest.raises(CheckpointError) as error:
        other.load(path, optimizer=other_opt)
    message = str(error.value)
    assert error.value.field == "architecture"
    assert f"(first difference: {difference})" in message
    assert (
        "the file holds Sequential(Conv2d(in_channels=1, out_channels=4, kernel_size=3" in message
    )
    assert "the model is Sequential(Conv2d(in_channels=1, out_channels=4" in message
    assert (other.state_dict(), json.dumps(other_opt.state_dict())) == before


def test_the_qa_repro_of_two_different_cnns_is_refused(tmp_path):
    a = Sequential(Conv2d(1, 4, 3, padding=1, seed=0), BatchNorm2d(4), MaxPool2d(2), Dropout(0.5))
    b = Sequential(
        Conv2d(1, 4, 3, stride=2, dilation=2, seed=1),
        BatchNorm2d(4, eps=0.1, momentum=0.9),
        MaxPool2d(3),
        Dropout(0.1),
    )
    before = b.state_dict()
    with pytest.raises(CheckpointError, match="layer0 \\(Conv2d\\): stride is 1 in the file, 2"):
        b.load(a.save(tmp_path / "a.json"))
    assert b.state_dict() == before


def test_a_file_written_before_the_layers_had_configurations_still_loads_by_class(tmp_path):
    model = Sequential(Conv2d(1, 2, 3, seed=0), MaxPool2d(2), Flatten())
    content = json.loads(model.save(tmp_path / "old.json").read_text())
    del content["checksum"]
    for layer in content["architecture"]["config"]["layers"]:
        layer["config"], layer["modules"] = None, {}  # as such files recorded them
    (tmp_path / "old.json").write_text(json.dumps(content))
    into = Sequential(Conv2d(1, 2, 3, seed=5), MaxPool2d(2), Flatten())
    into.load(tmp_path / "old.json")
    np.testing.assert_array_equal(into.layers[0].W.data, model.layers[0].W.data)
    with pytest.raises(CheckpointError, match="layer1 is a MaxPool2d in the file, a AvgPool2d"):
        Sequential(Conv2d(1, 2, 3), AvgPool2d(2), Flatten()).load(tmp_path / "old.json")


# ---------------------------------------------------------------------- argument checks


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: Conv2d(1, 2, 0),
            "Conv2d: kernel_size must be a positive int or a pair of them, got 0",
        ),
        (
            lambda: Conv2d(1, 2, -1),
            "Conv2d: kernel_size must be a positive int or a pair of them, got -1",
        ),
        (lambda: Conv2d(1, 2, True), "Conv2d: kernel_size must be .*, got True"),
        (lambda: Conv2d(1, 2, 2.5), "Conv2d: kernel_size must be .*, got 2.5"),
        (lambda: Conv2d(1, 2, (3,)), r"Conv2d: kernel_size must be .*, got \(3,\) \(tuple\)"),
        (
            lambda: Conv2d(1, 2, 3, dtype="foo"),
            r"Conv2d: dtype must be a float dtype \(np.float64\), got 'foo'",
        ),
        (lambda: Conv2d(1, 2, 3, dtype=np.int64), "Conv2d: dtype must be a float dtype"),
        (
            lambda: Conv2d(1, 2, 3, stride=0),
            "Conv2d: stride must be a positive int or a pair of them, got 0",
        ),
        (lambda: Conv2d(1, 2, 3, stride=-1), "Conv2d: stride must be .*, got -1"),
        (
            lambda: Conv2d(1, 2, 3, padding=-1),
            "Conv2d: padding must be an int >= 0 or a pair of them, got -1",
        ),
        (
            lambda: Conv2d(1, 2, 3, padding="same"),
            "Conv2d: padding must be .*, got 'same' .*not offered",
        ),
        (lambda: Conv2d(1, 2, 3, dilation=0), "Conv2d: dilation must be a positive int .*, got 0"),
        (lambda: Conv2d(1, 2, 3, groups=True), "Conv2d: groups must be a positive int, got True"),
        (lambda: Conv2d(1, 2, 3, bias="no"), "Conv2d: bias must be True or False, got 'no'"),
        (lambda: Conv2d(1, 2, 3, init="bogus"), "Conv2d: init must be one of .*, got 'bogus'"),
        (lambda: ConvTranspose2d(1, 2, 3, init="bogus"), "ConvTranspose2d: init must be one of"),
        (lambda: ConvTranspose2d(1, 2, 0), "ConvTranspose2d: kernel_size must be"),
        (
            lambda: ConvTranspose2d(1, 2, 3, output_padding=1),
            "ConvTranspose2d: output_padding must be smaller than stride 1 or dilation 1.*, got 1",
        ),
        (
            lambda: MaxPool2d(0),
            "MaxPool2d: kernel_size must be a positive int or a pair of them, got 0",
        ),
        (lambda: MaxPool2d("2"), r"MaxPool2d: kernel_size must be .*, got '2' \(str\)"),
        (lambda: MaxPool2d(2, stride=0), "MaxPool2d: stride must be"),
        (
            lambda: MaxPool2d(2, padding=2),
            r"MaxPool2d: padding must be at most half of kernel_size 2 \(as torch\), got 2",
        ),
        (
            lambda: AvgPool2d((4, 2), padding=(2, 2)),
            r"AvgPool2d: padding must be at most half of kernel_size \(4, 2\)",
        ),
        (
            lambda: AvgPool2d(2, count_include_pad="no"),
            "AvgPool2d: count_include_pad must be True or False, got 'no'",
        ),
        (lambda: Flatten("a"), "Flatten: start_axis must be an int, got 'a'"),
        (lambda: Flatten(1, 2.0), "Flatten: end_axis must be an int, got 2.0"),
        (lambda: Flatten(3, 2), "Flatten: end_axis 2 comes before start_axis 3"),
        (lambda: Dropout(True), r"Dropout: p must be a finite number in \[0, 1\], got True"),
        (lambda: Dropout(1.5), r"Dropout: p must be a finite number in \[0, 1\], got 1.5"),
        (lambda: Dropout(math.nan), "Dropout: p must be .*, got nan"),
        (lambda: Dropout("0.5"), "Dropout: p must be .*, got '0.5'"),
        (lambda: BatchNorm2d(3, eps=-1), "BatchNorm2d: eps must be a finite number > 0, got -1"),
        (lambda: BatchNorm2d(3, eps=0), "BatchNorm2d: eps must be a finite number > 0, got 0"),
        (lambda: BatchNorm2d(3, eps=math.nan), "BatchNorm2d: eps must be .*, got nan"),
        (
            lambda: BatchNorm2d(3, momentum=2),
            r"BatchNorm2d: momentum must be a finite number in \[0, 1\], got 2",
        ),
        (lambda: BatchNorm2d(3, momentum=-1), "BatchNorm2d: momentum must be .*, got -1"),
        (
            lambda: BatchNorm2d(3, momentum=None),
            "BatchNorm2d: momentum must be .*, got None .*not offered",
        ),
        (
            lambda: BatchNorm1d(3, affine="yes"),
            "BatchNorm1d: affine must be True or False, got 'yes'",
        ),
        (lambda: BatchNorm1d(3, dtype=np.int32), "BatchNorm1d: dtype must be a float dtype"),
        (lambda: Softmax("1"), "Softmax: axis must be an int, got '1'"),
        (lambda: Linear(2, 3, init="bogus"), "Linear: init must be one of .*, got 'bogus'"),
        (lambda: Linear(2, 3, dtype="foo"), "Linear: dtype must be a float dtype"),
    ],
)
def test_a_bad_constructor_argument_is_refused_naming_layer_argument_and_value(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_numpy_scalars_are_accepted_where_python_numbers_are():
    conv = Conv2d(np.int64(1), np.int32(2), np.int64(3), stride=np.int8(2), padding=np.int64(1))
    assert architecture(conv) == architecture(Conv2d(1, 2, 3, stride=2, padding=1))
    assert Dropout(np.float32(0.5)).p == 0.5
    norm = BatchNorm2d(np.int64(3), eps=np.float64(1e-3), momentum=np.float32(0.5))
    assert (norm.eps, norm.momentum) == (1e-3, 0.5)
    assert MaxPool2d(np.int64(2)).stride == 2
    assert Flatten(np.int64(2)).start_axis == 2


def test_avg_pool_takes_count_include_pad_by_keyword_only():
    """torch's AvgPool2d(k, s, p, ceil_mode, count_include_pad): the positional form fails."""
    with pytest.raises(TypeError, match="positional argument"):
        AvgPool2d(2, 2, 0, True)  # type: ignore[misc]
    x = Tensor(np.arange(25.0).reshape(1, 1, 5, 5), requires_grad=False)
    out = AvgPool2d(3, 1, 1, count_include_pad=False)(x)
    assert out.data[0, 0, 0, 0] == np.mean([0.0, 1.0, 5.0, 6.0])


# ---------------------------------------------------------------------- reprs


@pytest.mark.parametrize(
    "layer, text",
    [
        (Conv2d(1, 2, 3), "Conv2d(1, 2, kernel_size=3, stride=1)"),
        (
            Conv2d(3, 8, 3, stride=2, padding=1, dilation=2, bias=False),
            "Conv2d(3, 8, kernel_size=3, stride=2, padding=1, dilation=2, bias=False)",
        ),
        (
            Conv2d(4, 8, (3, 5), groups=2, dtype=np.float32),
            "Conv2d(4, 8, kernel_size=(3, 5), stride=1, groups=2, dtype=float32)",
        ),
        (
            ConvTranspose2d(3, 8, 3, stride=2, padding=1, output_padding=1),
            "ConvTranspose2d(3, 8, kernel_size=3, stride=2, padding=1, output_padding=1)",
        ),
        (MaxPool2d(2), "MaxPool2d(kernel_size=2, stride=2)"),
        (MaxPool2d(3, 2, 1), "MaxPool2d(kernel_size=3, stride=2, padding=1)"),
        (
            AvgPool2d(3, 2, 1, count_include_pad=False),
            "AvgPool2d(kernel_size=3, stride=2, padding=1, count_include_pad=False)",
        ),
        (Flatten(), "Flatten()"),
        (Flatten(2, 3), "Flatten(start_axis=2, end_axis=3)"),
        (Dropout(0.25), "Dropout(p=0.25)"),
        (BatchNorm1d(8), "BatchNorm1d(8)"),
        (
            BatchNorm2d(8, eps=1e-3, momentum=0.2, affine=False),
            "BatchNorm2d(8, eps=0.001, momentum=0.2, affine=False)",
        ),
        (Linear(3, 4, bias=False), "Linear(3, 4, bias=False, dtype=float64)"),
    ],
)
def test_a_repr_shows_every_non_default_argument(layer, text):
    assert repr(layer) == text


# ---------------------------------------------------------------------- to_torch


def test_to_torch_maps_a_nested_sequential_with_equal_outputs_and_gradients(torch):
    block = Sequential(Conv2d(1, 2, 3, seed=0), BatchNorm2d(2), "relu")
    model = Sequential(block, MaxPool2d(2), Flatten(), Linear(18, 2, seed=1))
    exported = to_torch(model)
    assert isinstance(exported[0], torch.nn.Sequential) and len(exported[0]) == 3
    model.train()
    exported.train()
    x = images(4)
    ours_x, theirs_x = Tensor(x), torch.tensor(x, requires_grad=True)
    g = np.random.default_rng(3).standard_normal((4, 2))
    ours = model(ours_x)
    theirs = exported(theirs_x)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    (ours * Tensor(g, requires_grad=False)).sum().backward()
    (theirs * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ours_x.grad, theirs_x.grad.numpy(), rtol=1e-10, atol=1e-12)
    pairs = [
        (block.layers[0].W.grad, exported[0][0].weight.grad),
        (block.layers[1].W.grad, exported[0][1].weight.grad),
        (model.layers[3].W.grad, exported[3].weight.grad.T),  # torch stores W transposed
    ]
    for ours_grad, theirs_grad in pairs:
        np.testing.assert_allclose(ours_grad, theirs_grad.numpy(), rtol=1e-10, atol=1e-12)
    assert np.abs(ours_x.grad).max() > 0


def test_conv_transpose2d_takes_an_output_padding_below_its_dilation_as_torch(torch):
    layer = ConvTranspose2d(2, 3, 3, output_padding=1, dilation=2, seed=0)
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4))
    ours = layer(Tensor(x)).data
    theirs = to_torch(Sequential(layer))(torch.tensor(x)).detach().numpy()
    assert ours.shape == theirs.shape == (1, 3, 9, 9)
    np.testing.assert_allclose(ours, theirs, 1e-12, 1e-12)


def test_to_torch_names_a_layer_it_cannot_convert(torch):
    class Custom:
        def __call__(self, x):
            return x

    with pytest.raises(TypeError, match="layer 1 is a Custom, which has no torch equivalent"):
        to_torch(Sequential(Linear(2, 2), Custom()))
