"""examples/mnist_cnn.py and examples/mnist_momentum.py in --quick mode on the real MNIST test
set, with their numbers. BACKPROP_LAB_MNIST names another folder holding the t10k files."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from conftest import STRICT, require_module

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SHARED = Path(
    os.environ.get("BACKPROP_LAB_MNIST")
    or Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-t10k"
)
PNG = b"\x89PNG\r\n\x1a\n"


def run_example(name: str, out: Path) -> dict:
    if not (SHARED / "t10k-images-idx3-ubyte.gz").exists():
        if STRICT:
            pytest.fail(f"the MNIST test set is missing from {SHARED}")
        pytest.skip(f"the MNIST test set is not in {SHARED}")
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(["--quick", "--data", str(SHARED), "--out", str(out)])


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


def test_momentum_gd_reaches_its_accuracies_in_80_full_batch_steps(momentum):
    assert momentum["train_accuracy"] >= 0.65, momentum["history"]["accuracy"][-5:]
    assert momentum["validation_accuracy"] >= 0.6
    assert momentum["test_accuracy"] >= 0.6
    loss = momentum["history"]["loss"]
    assert len(loss) == 80 and loss[-1] < 0.75 * loss[0]
    data = Path(momentum["path"]).read_bytes()
    assert data[:8] == PNG and len(data) > 10_000
