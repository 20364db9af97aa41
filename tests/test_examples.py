"""The example scripts: each runs in --quick mode, writes real pictures and reports right numbers.

Each script is imported from its path (examples/ is not a package) and its `main` called with
`--out <folder> --quick`; `main` returns a dict of what it computed and the paths it wrote. Each
example runs once per test session (the `ran` fixture caches it); the tests read its results.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import itertools
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import require_module

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def matplotlib():
    return require_module("matplotlib")


def run(name: str, out: Path) -> dict:
    """Import examples/<name>.py under a private module name and run its main in quick mode.

    Returns main's dict plus `out` (the folder) and `stdout` (what it printed).
    """
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickling look modules up by name
    printed = io.StringIO()
    try:
        spec.loader.exec_module(module)
        with contextlib.redirect_stdout(printed):
            result = module.main(["--out", str(out), "--quick"])
    finally:
        sys.modules.pop(spec.name, None)
    assert isinstance(result, dict), f"{name}.main returned {type(result).__name__}, not a dict"
    return {**result, "out": out, "stdout": printed.getvalue()}


@pytest.fixture(scope="session")
def ran(tmp_path_factory):
    """ran(name): the result of examples/<name>.py --quick, run once per session."""
    cache: dict[str, dict] = {}

    def get(name: str) -> dict:
        if name not in cache:
            cache[name] = run(name, tmp_path_factory.mktemp(name))
        return cache[name]

    return get


def assert_real_png(path: Path, min_size=(200, 300)) -> None:
    """A PNG by its signature, at least `min_size` pixels, and not a single colour."""
    from matplotlib.image import imread

    assert path.is_file(), f"{path} was not written"
    assert path.read_bytes()[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    image = imread(path)
    assert image.shape[0] >= min_size[0] and image.shape[1] >= min_size[1], image.shape
    assert image[..., :3].std() > 0.05, f"{path} is (nearly) one colour"


def assert_wrote(result: dict, *names: str) -> None:
    """The example wrote exactly these pictures into its --out folder, each a real PNG."""
    written = [Path(p) for p in result["written"]]
    assert sorted(p.name for p in written) == sorted(names)
    for path in written:
        assert path.parent == result["out"]
        assert_real_png(path)


OURS = [
    "logistic_regression",
    "tanh_regression",
    "worked_network",
    "ellipse_sgd",
    "moons_architectures",
    "three_by_three",
]


@pytest.mark.parametrize("name", OURS)
def test_example_docstring_says_how_to_run_it(name):
    text = (EXAMPLES / f"{name}.py").read_text()
    assert text.startswith('"""')
    assert f"examples/{name}.py --quick" in text
    assert f"examples/{name}.py " in text.replace(f"{name}.py --quick", "")
    assert f'default="out/{name}"' in text


# ----------------------------------------------------------------------------- logistic regression


def test_logistic_regression_learns_a_linear_boundary(ran):
    result = ran("logistic_regression")
    assert_wrote(result, "loss.png", "boundary.png")
    loss = result["loss"]
    assert loss[-1] < 0.6 * loss[0], loss
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(loss)), "full-batch GD loss rose"
    assert result["accuracy"] >= 0.8  # two moons: a straight line gets about 85%
    assert "training accuracy" in result["stdout"]


def test_logistic_regression_gradient_by_hand_matches_backprop(ran):
    result = ran("logistic_regression")
    assert result["gradient_error"] < 1e-12
    assert np.allclose(result["gradient_by_hand"], result["gradient_by_backprop"], atol=1e-12)


# --------------------------------------------------------------------------------- tanh regression


def test_tanh_regression_fits_the_sine_and_snapshots_the_epochs(ran):
    result = ran("tanh_regression")
    assert_wrote(result, "loss.png", "fit.png")
    loss = result["loss"]
    assert len(loss) == result["snapshots"][-1]
    assert result["snapshots"][:3] == [1, 10, 50]
    assert loss[-1] < 0.1 * loss[0], (loss[0], loss[-1])
    assert result["mse"] < 0.05  # sin(x) has variance 0.5: a flat line scores 0.5


# ---------------------------------------------------------------------------- worked 2-3-2 network

SIGMOID_2 = 1.0 / (1.0 + math.exp(-2.0))  # 0.8807970780


@pytest.fixture
def worked(ran):
    return ran("worked_network")


def test_worked_network_forward_values(worked):
    result = worked
    assert result["k"] == pytest.approx([2.0, 2.0, 2.0], abs=1e-7)
    assert result["h"] == pytest.approx([0.8807970] * 3, abs=1e-7)
    assert result["h"] == pytest.approx([SIGMOID_2] * 3, abs=1e-12)
    assert result["o"] == pytest.approx([-0.8807970] * 2, abs=1e-7)
    assert result["y"] == pytest.approx([0.5, 0.5], abs=1e-12)
    assert result["loss"] == pytest.approx(0.693147, abs=1e-6)
    assert result["loss"] == pytest.approx(math.log(2.0), abs=1e-12)


def test_worked_network_gradients(worked):
    result = worked
    for row in result["dV"]:
        assert row == pytest.approx([-0.4403985, 0.4403985], abs=1e-7)
        assert row == pytest.approx([-SIGMOID_2 / 2, SIGMOID_2 / 2], abs=1e-12)
    assert result["dc"] == pytest.approx([-0.5, 0.5], abs=1e-12)
    assert np.array(result["dW"]) == pytest.approx(np.zeros((2, 3)), abs=1e-12)
    assert result["db"] == pytest.approx([0.0, 0.0, 0.0], abs=1e-12)


def test_worked_network_gradients_match_finite_differences(worked):
    result = worked
    assert result["max_error"] < 1e-7
    for name in "WbVc":
        analytic = np.array(result[f"d{name}"])
        assert np.allclose(analytic, np.array(result["numeric"][name]), atol=1e-7), name


def test_worked_network_prints_its_tables(worked):
    out = worked["stdout"]
    for text in ("0.8807971", "-0.4403985", "0.6931472", "d loss / d W", "finite differences"):
        assert text in out


def test_worked_network_draws_its_graph_where_dot_exists(worked):
    result, out = worked, worked["out"]
    if shutil.which("dot") is None:
        assert result["written"] == []
    else:
        assert [Path(p).name for p in result["written"]] == ["graph.png"]
        assert_real_png(out / "graph.png", min_size=(100, 300))


# ------------------------------------------------------------------------- ellipse, per-sample SGD


def test_ellipse_sgd_learns_the_ellipse(ran):
    result = ran("ellipse_sgd")
    assert_wrote(result, "loss.png", "boundary.png")
    # quick: 2,000 samples x 3 epochs at lr 0.1 measured 94.9% validation, 95.9% training
    assert result["val_accuracy"][-1] >= 0.9
    assert result["train_accuracy"] >= 0.9
    assert result["loss"][-1] < 0.5 * result["loss"][0]


# ----------------------------------------------------------------------------- moons architectures


def test_moons_architectures_trains_nine_nets_in_one_figure(ran):
    result = ran("moons_architectures")
    assert_wrote(result, "boundaries.png")
    results = result["results"]
    assert len(results) == 9
    assert sum(name.endswith("+ L2") for name in results) == 3
    assert {"2-3-1 tanh", "2-3-1 sigmoid", "2-3-1 relu", "2-100-1 tanh"} <= set(results)
    for name, r in results.items():
        assert 0.0 <= r["train"] <= 1.0 and 0.0 <= r["test"] <= 1.0, name
        assert r["loss"][-1] < r["loss"][0], name
    # quick: 24 points, 8 epochs; every net measured >= 70% training accuracy
    assert np.mean([r["train"] for r in results.values()]) >= 0.7


# ------------------------------------------------------------------------------------- 3x3 network


def test_three_by_three_gradients_match_the_chain_rule(ran):
    result = ran("three_by_three")
    assert_wrote(result, "loss.png")
    assert result["hand_error"] < 1e-12
    assert set(result["gradients"]) == {"A", "B", "C"}
    for grad in result["gradients"].values():
        assert grad.shape == (3, 3) and np.abs(grad).max() > 0


def test_three_by_three_gradients_match_pytorch(ran, torch):
    result = ran("three_by_three")
    assert result["torch_error"] is not None
    assert result["torch_error"] < 1e-12
    # and independently of the script's own comparison
    x = torch.tensor(result["x"], dtype=torch.float64)
    A, B, C = (
        torch.tensor(result["matrices"][k], dtype=torch.float64, requires_grad=True) for k in "ABC"
    )
    loss = (((torch.sigmoid(x @ A) + x @ B) @ C) ** 2).sum()
    loss.backward()
    assert loss.item() == pytest.approx(result["loss_value"], abs=1e-12)
    for name, t in zip("ABC", (A, B, C)):
        assert np.allclose(result["gradients"][name], t.grad.numpy(), atol=1e-12), name


def test_three_by_three_training_lowers_the_test_loss(ran):
    result = ran("three_by_three")
    history = result["history"]
    test = history["test_loss"]
    assert len(history["loss"]) == 60
    assert test[-1] < 0.1 * test[0], (test[0], test[-1])


def test_worked_network_picture_fits_a_slide_and_shows_parameters_as_parameters(worked, dot):
    from matplotlib.image import imread

    from autograd.viz.graph import KIND_FILL

    image = imread(worked["out"] / "graph.png")[..., :3]
    height, width = image.shape[:2]
    assert width <= 2400 and 1.0 <= width / height <= 2.0, (width, height)
    scale = min(1920 / width, 1080 / height)
    assert scale >= 0.7, f"shrunk to {scale:.2f} on a 1920 x 1080 slide: text unreadable"

    def share(colour: str) -> float:
        rgb = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
        return float((np.abs(image - rgb).max(axis=-1) < 0.02).mean())

    # 16 weights and biases in parameter orange, only x0 and x1 in input blue
    assert share(KIND_FILL["parameter"]) > 4 * share(KIND_FILL["input"]) > 0


def test_three_by_three_prints_a_balanced_formula(ran):
    out = ran("three_by_three")["stdout"]
    (line,) = [line for line in out.splitlines() if line.startswith("Part 1:")]
    formula = line.split("loss = ", 1)[1]
    assert formula == "sum(((sigmoid(x A) + x B) C)^2)"
    depth = 0
    for char in formula:
        depth += {"(": 1, ")": -1}.get(char, 0)
        assert depth >= 0, formula
    assert depth == 0, formula
