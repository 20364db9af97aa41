"""examples/mnist_cnn.py and examples/mnist_momentum.py in --quick mode on the real MNIST test
set, with their numbers. BACKPROP_LAB_MNIST names another folder holding the t10k files."""

from __future__ import annotations

import importlib.util
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from conftest import STRICT, require_module

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SHARED = Path(
    os.environ.get("BACKPROP_LAB_MNIST")
    or Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-t10k"
)
PNG = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_example(name: str, out: Path) -> dict:
    if not (SHARED / "t10k-images-idx3-ubyte.gz").exists():
        if STRICT:
            pytest.fail(f"the MNIST test set is missing from {SHARED}")
        pytest.skip(f"the MNIST test set is not in {SHARED}")
    return load_example(name).main(["--quick", "--data", str(SHARED), "--out", str(out)])


def svg_boxes(path: Path) -> dict[str, list[list[str]]]:
    """The texts of each node of a rendered graph, by class (value, op, summary), in order."""
    boxes: dict[str, list[list[str]]] = {}
    for group in ET.parse(path).getroot().iter(SVG + "g"):
        classes = group.get("class", "").split()
        if "node" in classes:
            texts = [t.text for t in group.iter(SVG + "text")]
            for name in classes[1:] or ["node"]:
                boxes.setdefault(name, []).append(texts)
    return boxes


@pytest.fixture(scope="module")
def cnn(tmp_path_factory):
    require_module("matplotlib")
    return run_example("mnist_cnn", tmp_path_factory.mktemp("mnist_cnn"))


@pytest.fixture(scope="module")
def momentum(tmp_path_factory):
    require_module("matplotlib")
    return run_example("mnist_momentum", tmp_path_factory.mktemp("mnist_momentum"))


def test_the_relu_dcn_learns_from_2000_images_in_two_epochs(cnn):
    relu = cnn["results"]["relu"]
    assert relu["accuracy"] >= 0.75, relu["history"]
    assert relu["history"]["loss"][1] < relu["history"]["loss"][0]


def test_every_activation_trains_and_reports_its_accuracy(cnn):
    results = cnn["results"]
    assert list(results) == ["relu", "tanh", "sigmoid", "softmax"]
    assert results["tanh"]["accuracy"] >= 0.75, results["tanh"]["history"]
    for activation, r in results.items():
        h = r["history"]
        assert len(h["val_accuracy"]) == 2 and 0.0 < r["accuracy"] <= 1.0, activation
        assert all(0.0 < loss < 3.0 for loss in h["loss"] + h["val_loss"]), (activation, h)


def test_the_cnn_example_writes_its_pictures(cnn):
    paths = cnn["paths"]
    names = ["losses", "main", "auxiliary"]
    try:
        import sklearn  # noqa: F401

        names.append("tsne")
    except ImportError:
        assert paths["tsne"] is None
    for name in names:
        data = Path(paths[name]).read_bytes()
        assert data[:8] == PNG and len(data) > 10_000, name


def test_the_dcns_main_graph_has_one_box_per_layer_saying_what_it_is(dot, tmp_path):
    example = load_example("mnist_cnn")
    net = example.dcn("relu").eval()  # drawn in training mode all the same, then restored
    images = np.random.default_rng(0).random((8, 1, 28, 28), dtype=np.float32)
    paths = example.draw_graphs(net, images, np.arange(8), tmp_path, suffix=".svg")
    assert not any(m.training for _, m in net.named_modules()), "the eval mode is restored"
    assert all(p.grad is None for p in net.parameters())
    main = svg_boxes(paths["main"])
    assert main["value"] == [["images", "(8, 1, 28, 28) float32"]]
    assert "op" not in main, "every op is inside its layer's box"
    assert main["summary"] == [
        ["layer0 · Conv2d(1→16, 5×5, pad 2)", "(8, 16, 28, 28) float32", "416 params"],
        ["layer1 · ReLU", "(8, 16, 28, 28) float32"],
        ["layer2 · MaxPool2d(2)", "(8, 16, 14, 14) float32"],
        ["layer3 · Conv2d(16→32, 5×5, pad 2)", "(8, 32, 14, 14) float32", "12,832 params"],
        ["layer4 · ReLU", "(8, 32, 14, 14) float32"],
        ["layer5 · MaxPool2d(2)", "(8, 32, 7, 7) float32"],
        ["layer6 · Flatten()", "(8, 1568) float32"],
        ["layer7 · Linear(1568→128)", "(8, 128) float32", "200,832 params"],
        ["layer8 · ReLU", "(8, 128) float32"],
        ["layer9 · Dropout(0.5)", "(8, 128) float32"],
        ["layer10 · Linear(128→10)", "(8, 10) float32", "1,290 params"],
    ]
    assert len(main["summary"]) == len(net.layers)


def test_the_dcns_auxiliary_graph_shows_the_loss_the_l2_box_and_each_parameters_gradient(
    dot, tmp_path
):
    example = load_example("mnist_cnn")
    net = example.dcn("relu")
    images = np.random.default_rng(0).random((8, 1, 28, 28), dtype=np.float32)
    auxiliary = svg_boxes(
        example.draw_graphs(net, images, np.arange(8), tmp_path, ".svg")["auxiliary"]
    )
    titles = [texts[0] for texts in auxiliary["summary"]]
    assert titles[0] == "L2 · 1e-4 × Σ p² over the 8 parameters"
    assert len(titles) == 1 + len(net.layers)
    parameters = auxiliary["parameter"]
    assert [t[0] for t in parameters] == [name for name, _ in net.named_parameters()]
    assert all(t[2].startswith("‖grad‖ ") and float(t[2].split()[1]) > 0 for t in parameters)
    named = {t[0]: t for t in auxiliary["value"] if t[0] in ("cross-entropy", "loss")}
    assert named["loss"][2] == named["cross-entropy"][2] == "grad 1"
    assert sorted(t[0] for t in auxiliary["op"]) == ["+", "cross_entropy"]


def test_momentum_gd_reaches_its_accuracies_in_80_full_batch_steps(momentum):
    assert momentum["train_accuracy"] >= 0.65, momentum["history"]["accuracy"][-5:]
    assert momentum["train_accuracy"] == momentum["history"]["accuracy"][-1]
    assert momentum["validation_accuracy"] >= 0.6
    assert momentum["test_accuracy"] >= 0.6
    loss = momentum["history"]["loss"]
    assert len(loss) == 80 and loss[-1] < 0.75 * loss[0]
    data = Path(momentum["path"]).read_bytes()
    assert data[:8] == PNG and len(data) > 10_000


def test_momentum_gd_measures_training_validation_and_test_after_the_same_step():
    example = load_example("mnist_momentum")
    rng = np.random.default_rng(0)
    parts = [(rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n)) for n in (60, 20, 20)]
    data = dict(zip(("train", "validation", "test"), parts))
    net = example.network()
    history = example.train(net, data, 3)
    assert history["epoch"] == [1, 2, 3]
    loss, accuracy = example.evaluate(net, *data["train"])  # the weights after the last step
    assert (history["loss"][-1], history["accuracy"][-1]) == (loss, accuracy)
    assert history["val_loss"][-1] == example.evaluate(net, *data["validation"])[0]
    assert history["test_accuracy"][-1] == example.evaluate(net, *data["test"])[1]


@pytest.mark.parametrize("epochs", ["0", "-3"])
def test_momentum_example_refuses_a_number_of_epochs_below_one(epochs, tmp_path, capsys):
    example = load_example("mnist_momentum")
    with pytest.raises(SystemExit):
        example.main(["--epochs", epochs, "--out", str(tmp_path)])
    assert f"--epochs must be a positive int (one full-batch step each), got {epochs}" in (
        capsys.readouterr().err
    )
