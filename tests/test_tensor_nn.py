"""nn on Tensors: Linear, Sequential, the same losses, checkpoints (.npz and JSON), to_torch, and
the cross-check that scalar and tensor networks compute the same numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from autograd import Tensor, Value
from nn import MLP, SGD, Linear, Sequential, losses, make_moons
from nn.export import to_torch


def mlp_as_sequential(model: MLP) -> Sequential:
    """The tensor network with exactly the weights of a scalar MLP (W[i][j] = neuron j's w_i)."""
    layers = []
    for layer, activation in zip(model.layers, model.config["activations"]):
        linear = Linear(len(layer.neurons[0].w), len(layer.neurons), seed=0)
        linear.W.data = np.array([[w.data for w in n.w] for n in layer.neurons]).T
        linear.b.data = np.array([n.b.data for n in layer.neurons])
        layers += [linear, activation]
    return Sequential(*layers)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_scalar_and_tensor_networks_agree_to_1e_12(activation):
    mlp = MLP(3, [5, 4, 3], activation=activation, seed=7)
    net = mlp_as_sequential(mlp)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 3, size=6)

    scalar_loss = losses.cross_entropy([mlp(list(row)) for row in X.tolist()], y.tolist())
    scalar_loss.backward()
    tensor_loss = losses.cross_entropy(net(Tensor(X, requires_grad=False)), y)
    tensor_loss.backward()

    assert tensor_loss.item() == pytest.approx(scalar_loss.data, abs=1e-12)
    for layer, linear in zip(mlp.layers, net.layers[::2]):
        dW = np.array([[w.grad for w in n.w] for n in layer.neurons]).T
        db = np.array([n.b.grad for n in layer.neurons])
        np.testing.assert_allclose(linear.W.grad, dW, rtol=0, atol=1e-12)
        np.testing.assert_allclose(linear.b.grad, db, rtol=0, atol=1e-12)


def test_sequential_names_parameters_and_labels_outputs():
    net = Sequential(Linear(4, 3, seed=0), "relu", Linear(3, 2, seed=1))
    assert [n for n, _ in net.named_parameters()] == [
        "layer0.W",
        "layer0.b",
        "layer2.W",
        "layer2.b",
    ]
    assert net.layers[0].W.label == "layer0.W"
    out = net(Tensor(np.ones((5, 4)), requires_grad=False))
    assert out.shape == (5, 2) and out.label == "layer2"


def test_linear_rejects_wrong_feature_count_naming_shapes():
    net = Sequential(Linear(4, 3, seed=0))
    with pytest.raises(ValueError, match=r"layer0: expected inputs with 4 features, got shape"):
        net(Tensor(np.ones((2, 5))))


def test_float32_network_stays_float32():
    net = Sequential(Linear(4, 3, seed=0, dtype=np.float32), "tanh")
    out = net(Tensor(np.ones((2, 4)), dtype=np.float32, requires_grad=False))
    assert out.dtype == np.float32


@pytest.mark.parametrize("name", ["mse", "bce_with_logits", "hinge", "binary_cross_entropy"])
def test_tensor_losses_match_torch(torch, name):
    rng = np.random.default_rng(1)
    z = rng.normal(size=(8, 1)) * 3
    y = {"hinge": rng.choice([-1.0, 1.0], size=8)}.get(name, rng.integers(0, 2, size=8) * 1.0)
    pred = 1 / (1 + np.exp(-z)) if name == "binary_cross_entropy" else z
    ours_in = Tensor(pred)
    ours = getattr(losses, name)(ours_in, y)
    ours.backward()
    t = torch.tensor(pred, requires_grad=True)
    ty = torch.tensor(y).reshape(8, 1)
    F = torch.nn.functional
    theirs = {
        "mse": lambda: F.mse_loss(t, ty),
        "bce_with_logits": lambda: F.binary_cross_entropy_with_logits(t, ty),
        "hinge": lambda: torch.relu(1 - t * ty).mean(),
        "binary_cross_entropy": lambda: F.binary_cross_entropy(t, ty),
    }[name]()
    theirs.backward()
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)
    np.testing.assert_allclose(ours_in.grad, t.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_tensor_bce_with_logits_is_stable_at_extremes():
    loss = losses.bce_with_logits(Tensor([[1000.0], [-1000.0]]), [0.0, 1.0])
    assert loss.item() == pytest.approx(1000.0)


def test_tensor_cross_entropy_takes_indices_or_one_hot():
    z = Tensor(np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]]))
    by_index = losses.cross_entropy(z, [1, 2]).item()
    by_one_hot = losses.cross_entropy(z, np.eye(3)[[1, 2]]).item()
    assert by_index == pytest.approx(by_one_hot, abs=1e-15)


def test_l2_on_tensors_sums_every_squared_entry():
    net = Sequential(Linear(2, 2, seed=0))
    expected = sum(float((p.data**2).sum()) for p in net.parameters()) * 0.5
    assert losses.l2(net.parameters(), 0.5).item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_tensor_checkpoint_round_trip_with_optimizer(tmp_path, suffix):
    net = Sequential(Linear(3, 4, seed=0), "relu", Linear(4, 2, seed=1))
    opt = SGD(net.parameters(), lr=0.1, momentum=0.9)
    X = Tensor(np.random.default_rng(0).normal(size=(5, 3)), requires_grad=False)
    losses.cross_entropy(net(X), [0, 1, 0, 1, 1]).backward()
    opt.step()
    path = net.save(tmp_path / f"net{suffix}", optimizer=opt)
    other = Sequential(Linear(3, 4, seed=5), "relu", Linear(4, 2, seed=6))
    other_opt = SGD(other.parameters(), lr=0.1, momentum=0.9)
    other.load(path, optimizer=other_opt)
    for a, b in zip(net.parameters(), other.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    assert other_opt.state_dict() == opt.state_dict()


def test_npz_checkpoint_is_readable_without_pickle(tmp_path):
    net = Sequential(Linear(3, 2, seed=0))
    path = net.save(tmp_path / "net.npz")
    with np.load(path, allow_pickle=False) as archive:
        assert set(archive.files) == {"checkpoint", "param/layer0.W", "param/layer0.b"}
        assert json.loads(str(archive["checkpoint"]))["model"] == "Sequential"


def test_mismatched_tensor_checkpoint_leaves_model_unchanged(tmp_path):
    path = Sequential(Linear(3, 2, seed=0)).save(tmp_path / "net.npz")
    target = Sequential(Linear(3, 5, seed=1))
    before = target.parameters()[0].data.copy()
    message = (
        r"the file holds Sequential\(Linear\(nin=3, nout=2, .*"
        r"the model is Sequential\(Linear\(nin=3, nout=5"
    )
    with pytest.raises(ValueError, match=message):
        target.load(path)
    np.testing.assert_array_equal(target.parameters()[0].data, before)


def test_corrupted_npz_checkpoint_is_a_clear_error(tmp_path):
    path = tmp_path / "net.npz"
    path.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match=r"not a valid \.npz checkpoint"):
        Sequential(Linear(3, 2, seed=0)).load(path)


def test_scalar_model_saves_as_npz_too(tmp_path):
    a, b = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
    b.load(a.save(tmp_path / "mlp.npz"))
    assert b.state_dict() == a.state_dict()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sequential_to_torch_gives_the_same_outputs(torch, dtype):
    net = Sequential(Linear(2, 8, seed=0, dtype=dtype), "tanh", Linear(8, 3, seed=1, dtype=dtype))
    X, _ = make_moons(20, seed=0)
    ours = net(Tensor(X, dtype=dtype, requires_grad=False)).data
    theirs = to_torch(net)(torch.as_tensor(X.astype(dtype))).detach().numpy()
    assert theirs.dtype == dtype
    # float32 outputs near 0 carry absolute rounding error (~eps * |terms|): compare with an atol
    # as well, or an output that cancels to -0.0069 fails on relative error alone.
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-14}
    np.testing.assert_allclose(theirs, ours, **tol)


def test_value_activation_layer_works_on_scalars_too():
    from nn.tensor_layers import Activation

    assert Activation("relu")(Value(-2.0)).data == 0.0


# ------------------------------------------------------------------ training tensor models


def test_fit_trains_a_tensor_network_on_moons():
    from nn import Adam, accuracy, fit, predict

    X, y = make_moons(200, noise=0.1, seed=0)
    net = Sequential(Linear(2, 16, seed=0), "tanh", Linear(16, 2, seed=1))
    history = fit(
        net,
        X,
        y,
        loss="cross_entropy",
        optimizer=Adam(net.parameters(), lr=0.05),
        epochs=30,
        batch_size=32,
        validation=(X[:50], y[:50]),
        progress=False,
    )
    assert history["loss"][-1] < history["loss"][0] / 3
    assert history["accuracy"][-1] >= 0.97 and history["val_accuracy"][-1] >= 0.97
    scores = predict(net, X)
    assert scores.shape == (200, 2) and accuracy(scores, y) >= 0.97


def test_fit_with_a_single_output_tensor_network_and_l2():
    from nn import SGD, fit

    X, y = make_moons(100, seed=1)
    net = Sequential(Linear(2, 8, seed=0), "relu", Linear(8, 1, seed=1))
    history = fit(
        net,
        X,
        y * 2 - 1,
        loss="hinge",
        l2=1e-4,
        epochs=20,
        batch_size=25,
        optimizer=SGD(net.parameters(), lr=0.1, momentum=0.9),
        progress=False,
    )
    assert history["loss"][-1] < history["loss"][0]
    assert history["accuracy"][-1] >= 0.85


def test_tensor_and_scalar_training_steps_agree():
    from nn import train_step

    mlp = MLP(2, [4, 3], activation="tanh", seed=2)
    net = mlp_as_sequential(mlp)
    X, y = make_moons(16, seed=3)
    train_step(mlp, X, y, losses.cross_entropy, SGD(mlp.parameters(), lr=0.5))
    train_step(net, X, y, losses.cross_entropy, SGD(net.parameters(), lr=0.5))
    np.testing.assert_allclose(
        mlp_as_sequential(mlp).layers[0].W.data, net.layers[0].W.data, rtol=0, atol=1e-12
    )


MNIST = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-t10k"


def test_mnist_t10k_mlp_learns_in_one_epoch():
    from conftest import STRICT

    from nn import SGD, fit, load_mnist

    if not (MNIST / "t10k-images-idx3-ubyte.gz").exists():
        if STRICT:
            pytest.fail(f"the MNIST test set is missing from {MNIST}")
        pytest.skip(f"the MNIST test set is not in {MNIST}")
    X, y = load_mnist(MNIST)["test"]
    net = Sequential(
        Linear(784, 100, seed=0, dtype=np.float32),
        "relu",
        Linear(100, 10, seed=1, dtype=np.float32),
    )
    history = fit(
        net,
        X[:4000],
        y[:4000],
        loss="cross_entropy",
        epochs=1,
        batch_size=64,
        optimizer=SGD(net.parameters(), lr=0.1, momentum=0.9),
        validation=(X[8000:], y[8000:]),
        progress=False,
    )
    assert history["val_accuracy"][0] >= 0.85, history
