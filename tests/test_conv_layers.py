"""Convolutional layers: shapes, PyTorch's initialisation, train/eval behaviour, running statistics
saved with the model, fit/predict switching modes, and to_torch giving the same outputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Tensor
from nn import (
    SGD,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    ConvTranspose2d,
    Dropout,
    Flatten,
    Linear,
    MaxPool2d,
    Sequential,
    fit,
    predict,
)
from nn.export import to_torch
from nn.tensor_layers import init_weight


def images(n=6, c=1, size=12, seed=0):
    return np.random.default_rng(seed).standard_normal((n, c, size, size))


def small_cnn(seed=0) -> Sequential:
    return Sequential(
        Conv2d(1, 4, 3, padding=1, seed=seed),
        BatchNorm2d(4),
        "relu",
        MaxPool2d(2),
        Conv2d(4, 6, 3, stride=2, seed=seed + 1),
        "tanh",
        AvgPool2d(2, stride=1, padding=1),
        ConvTranspose2d(6, 3, 2, stride=2, seed=seed + 2),
        Flatten(),
        Dropout(0.25, seed=seed),
        Linear(3 * 6 * 6, 8, seed=seed + 3),
        BatchNorm1d(8),
        "sigmoid",
        Linear(8, 3, seed=seed + 4),
    )


def test_cnn_shapes_and_parameter_names():
    model = small_cnn()
    assert model(Tensor(images(), requires_grad=False)).shape == (6, 3)
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert names[:4] == ["layer0.W", "layer0.b", "layer1.W", "layer1.b"]
    assert model.layers[0].W.shape == (4, 1, 3, 3)
    assert model.layers[7].W.shape == (6, 3, 2, 2)  # (in, out / groups, kh, kw) as torch


def test_default_initialisation_is_pytorchs_bound():
    conv = Conv2d(6, 16, 5, seed=0)
    bound = 1 / math.sqrt(6 * 25)  # kaiming_uniform(a=sqrt(5)): 1 / sqrt(fan_in)
    assert np.abs(conv.W.data).max() <= bound and np.abs(conv.W.data).max() > 0.95 * bound
    assert np.abs(conv.b.data).max() <= bound and conv.b.data.std() > 0.3 * bound


@pytest.mark.parametrize(
    "init, bound",
    [
        ("xavier", math.sqrt(6 / (150 + 400))),
        ("glorot", math.sqrt(6 / (150 + 400))),
        ("he", math.sqrt(6 / 150)),
        ("kaiming", math.sqrt(6 / 150)),
        ("zeros", 0.0),
    ],
)
def test_named_initialisations_have_their_bounds(init, bound):
    w = init_weight(init, (16, 6, 5, 5), 150, 400, np.random.default_rng(0))
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() >= 0.95 * bound
    conv = Conv2d(6, 16, 5, init=init, seed=0)
    np.testing.assert_array_equal(conv.b.data, 0.0)  # named initialisations start biases at 0


def test_unknown_initialisation_is_named():
    with pytest.raises(ValueError, match=r"init must be one of .* got 'bogus'"):
        Conv2d(1, 2, 3, init="bogus")


def test_dropout_layer_draws_a_fresh_seeded_mask_and_is_off_in_eval():
    x = Tensor(np.ones((4, 50)), requires_grad=False)
    a, b = Dropout(0.5, seed=1), Dropout(0.5, seed=1)
    first, second = a(x).data, a(x).data
    assert not np.array_equal(first, second)  # a new mask each call
    np.testing.assert_array_equal(first, b(x).data)  # the same sequence for the same seed
    a.training = False
    assert a(x) is x


def test_batch_norm_layer_tracks_running_statistics_in_training_only():
    bn = BatchNorm2d(3)
    x = Tensor(images(8, 3, 5) * 2 + 3, requires_grad=False)
    bn(x)
    np.testing.assert_allclose(bn.running_mean.data, 0.1 * x.data.mean(axis=(0, 2, 3)))
    bn.training = False
    before = bn.running_mean.data.copy()
    out = bn(x)
    np.testing.assert_array_equal(bn.running_mean.data, before)
    expected = (x.data - before[:, None, None]) / np.sqrt(bn.running_var.data[:, None, None] + 1e-5)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


def test_running_statistics_are_saved_and_loaded(tmp_path):
    model = Sequential(Conv2d(1, 2, 3, seed=0), BatchNorm2d(2))
    model(Tensor(images(), requires_grad=False))
    path = model.save(tmp_path / "cnn.npz")
    fresh = Sequential(Conv2d(1, 2, 3, seed=5), BatchNorm2d(2))
    fresh.load(path)
    np.testing.assert_array_equal(
        fresh.layers[1].running_mean.data, model.layers[1].running_mean.data
    )
    np.testing.assert_array_equal(
        fresh.layers[1].running_var.data, model.layers[1].running_var.data
    )


def test_fit_trains_in_training_mode_and_predict_runs_in_eval_mode():
    model = small_cnn()
    X = images(12).astype(np.float64)
    y = np.arange(12) % 3
    seen = []
    model.layers[9].__class__ = type(
        "Spy", (Dropout,), {"__call__": lambda self, x: seen.append(self.training) or x}
    )
    fit(
        model,
        X,
        y,
        loss="cross_entropy",
        optimizer=SGD(model.parameters(), lr=0.01),
        epochs=1,
        batch_size=6,
        validation=(X, y),
        progress=False,
    )
    assert seen == [True, True, False]  # two training batches, then validation in eval mode
    predict(model, X)
    assert seen[-1] is False
    assert model.layers[9].training is True  # fit and predict restore the previous mode


@pytest.mark.parametrize("training", [False, True])
def test_to_torch_maps_every_layer_with_equal_outputs(torch, training):
    model = small_cnn()
    model.layers[9].p = 0.0 if training else 0.25  # dropout masks cannot match across libraries
    x = images(6)
    for _ in range(2):  # train-mode passes move the running statistics away from 0 and 1
        model(Tensor(x * 3 + 1, requires_grad=False))
    exported = to_torch(model)
    model.train(training)
    exported.train(training)
    ours = model(Tensor(x, requires_grad=False)).data
    theirs = exported(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    if training:  # the running statistics moved the same way
        np.testing.assert_allclose(
            model.layers[1].running_var.data, exported[1].running_var.numpy(), rtol=1e-10
        )


def test_conv_layer_rejects_bad_channels():
    with pytest.raises(ValueError, match="Conv2d: in_channels 3 and out_channels 4 must both"):
        Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="Conv2d: out_channels must be a positive int, got 0"):
        Conv2d(3, 0, 3)
    with pytest.raises(ValueError, match=r"expected a 4-d input with 2 channels, got shape"):
        BatchNorm2d(2)(Tensor(np.zeros((3, 2))))


def test_a_folded_cnn_graph_shows_each_layers_shape_and_optionally_its_parameters():
    from autograd import draw_graph
    from nn import losses

    model = Sequential(Conv2d(1, 4, 3, seed=0), "relu", MaxPool2d(2), Flatten(), Linear(36, 3))
    out = model(Tensor(images(2, 1, 8), requires_grad=False, label="images"))
    main = draw_graph(out, collapse=1, show_grad=False).source
    for shape in ("(2, 4, 6, 6)", "(2, 4, 3, 3)", "(2, 36)", "(2, 3)"):
        assert shape in main, shape
    assert "layer0: " in main and "layer0.W" not in main  # folded into the layer's box
    total = losses.cross_entropy(out, [0, 1]) + losses.l2(model.parameters(), 1e-4)
    total.backward()
    auxiliary = draw_graph(total, collapse=1, color_by_grad=True, fold_parameters=False).source
    for name in ("layer0.W", "layer0.b", "layer4.W", "layer4.b", "cross_entropy"):
        assert name in auxiliary, name


def test_softmax_layer_maps_to_torch_with_its_axis(torch):
    from nn import Softmax

    model = Sequential(
        Conv2d(2, 3, 1, seed=0), Softmax(1), Flatten(), Linear(3 * 4 * 4, 2), Softmax(1)
    )
    x = images(3, 2, 4)
    ours = model(Tensor(x, requires_grad=False)).data
    theirs = to_torch(model)(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    np.testing.assert_allclose(ours.sum(axis=1), 1.0)


@pytest.mark.parametrize(
    ("layer", "description"),
    [
        (Conv2d(1, 16, 5, padding=2), "Conv2d(1→16, 5×5, pad 2)"),
        (Conv2d(4, 8, (3, 1), stride=(2, 1), groups=2, bias=False),
         "Conv2d(4→8, 3×1, stride 2×1, groups 2, no bias)"),
        (Conv2d(3, 6, 3, dilation=2, padding=(1, 1)), "Conv2d(3→6, 3×3, pad 1, dilation 2)"),
        (ConvTranspose2d(16, 8, 4, stride=2, padding=1),
         "ConvTranspose2d(16→8, 4×4, stride 2, pad 1)"),
        (MaxPool2d(2), "MaxPool2d(2)"),
        (MaxPool2d(3, stride=2, padding=1), "MaxPool2d(3, stride 2, pad 1)"),
        (MaxPool2d(2, stride=2), "MaxPool2d(2)"),
        (AvgPool2d((2, 3), count_include_pad=False), "AvgPool2d(2×3, padding not counted)"),
        (Flatten(), "Flatten()"),
        (Flatten(2), "Flatten(axes 2..-1)"),
        (Dropout(0.5), "Dropout(0.5)"),
        (Linear(1568, 128), "Linear(1568→128)"),
        (Linear(3, 2, bias=False), "Linear(3→2, no bias)"),
        (BatchNorm2d(16), "BatchNorm2d(16)"),
        (BatchNorm1d(4, affine=False), "BatchNorm1d(4, no affine)"),
    ],
)  # fmt: skip
def test_each_layer_describes_itself_in_one_line(layer, description):
    assert layer.description() == description


def test_a_models_descriptions_name_every_layer_by_its_path_activations_included():
    model = Sequential(Conv2d(1, 2, 3), "relu", MaxPool2d(2), Sequential(Flatten(), "tanh"))
    assert model.descriptions() == {
        "layer0": "Conv2d(1→2, 3×3)",
        "layer1": "ReLU",
        "layer2": "MaxPool2d(2)",
        "layer3": "Sequential(2 layers)",
        "layer3.layer0": "Flatten()",
        "layer3.layer1": "Tanh",
    }
    out = model(Tensor(images(2, 1, 6), requires_grad=False))
    assert out.label == "layer3.layer1", "an activation labels its output with its path"
    assert out.parents[0].label == "layer3.layer0"


def test_fit_names_the_batch_of_one_that_batch_norm_cannot_train_on():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((17, 4)), rng.integers(0, 2, 17)
    model = Sequential(Linear(4, 3, seed=0), BatchNorm1d(3), Linear(3, 2, seed=1))
    message = (
        r"fit: epoch 1, batch 3 of 3 holds 1 sample\(s\) \(17 samples in batches of 8\), and "
        r"batch norm in training needs more than one value per channel \(batch_norm: .*\); "
        r"choose a batch_size that leaves no last batch of one, or drop the last 1 sample"
    )
    with pytest.raises(ValueError, match=message):
        fit(model, X, y, loss="cross_entropy", epochs=1, batch_size=8, progress=False)
    history = fit(model, X[:16], y[:16], loss="cross_entropy", epochs=1, batch_size=8,
                  progress=False)  # fmt: skip
    assert len(history["loss"]) == 1
