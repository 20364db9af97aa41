"""examples/mnist.py in --quick mode on the real MNIST test set (2,000 training images)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from conftest import STRICT

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "mnist.py"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-t10k"


def load_example():
    spec = importlib.util.spec_from_file_location("mnist_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    if not (SHARED / "t10k-images-idx3-ubyte.gz").exists():
        if STRICT:
            pytest.fail(f"the MNIST test set is missing from {SHARED}")
        pytest.skip(f"the MNIST test set is not in {SHARED}")
    out = tmp_path_factory.mktemp("mnist")
    return load_example().main(["--quick", "--data", str(SHARED), "--out", str(out)]), out


def test_both_networks_learn_in_three_epochs_of_2000_images(results):
    result, _ = results
    assert result["relu"]["accuracy"] >= 0.85, result["relu"]["history"]
    assert result["sigmoid"]["accuracy"] >= 0.80, result["sigmoid"]["history"]
    for activation in ("relu", "sigmoid"):
        history = result[activation]["history"]
        assert history["loss"][-1] < history["loss"][0]
        assert len(history["val_accuracy"]) == 3


def test_larger_learning_rates_lower_the_loss_faster_over_three_seeds(results):
    curves = results[0]["learning_rates"]["curves"]
    final = [curves[lr][:, -1].mean() for lr in (0.05, 0.01, 0.001, 0.0001)]
    assert final == sorted(final), final
    assert all(curves[lr].shape == (3, 2) for lr in curves)


def test_it_writes_its_plots(results):
    _, out = results
    for name in ("curves_relu.png", "curves_sigmoid.png", "learning_rates.png"):
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, name


def test_learning_rate_axis_reads_in_plain_numbers(results):
    labels = results[0]["learning_rates"]["y_labels"]
    assert labels, "the log axis has labels"
    assert not [label for label in labels if "10^" in label or "×" in label or "$" in label]
    assert all(float(label) > 0 for label in labels)
