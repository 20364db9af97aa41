"""Training plots: each writes a real, non-blank picture and draws what its data says."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from conftest import require_module

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def matplotlib():
    return require_module("matplotlib")


@pytest.fixture
def plot():
    from nn import plot

    return plot


def history(epochs: int = 20) -> dict[str, list]:
    t = np.arange(epochs)
    return {
        "epoch": list(range(1, epochs + 1)),
        "loss": list(2.0 * np.exp(-t / 3) + 0.01),  # spans two decades
        "val_loss": list(2.2 * np.exp(-t / 5) + 0.05),
        "accuracy": list(1 - 0.5 * np.exp(-t / 5)),
        "val_accuracy": list(0.97 - 0.5 * np.exp(-t / 6)),
        "seconds": [0.25] * epochs,
    }


def moons_like(n: int = 80):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y


def assert_real_png(path, min_size=(200, 300)):
    """A PNG by its signature, at least `min_size` pixels, and not a single colour."""
    from matplotlib.image import imread

    assert path.read_bytes()[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    image = imread(path)
    assert image.shape[0] >= min_size[0] and image.shape[1] >= min_size[1], image.shape
    assert image[..., :3].std() > 0.05, "the picture is (nearly) one colour"


# ------------------------------------------------------------------------------ plot_history


def test_history_has_one_panel_per_metric_with_train_and_validation(plot):
    figure = plot.plot_history(history())
    panels = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["loss", "accuracy"], "seconds is not a metric"
    for ax in panels:
        labels = [line.get_label() for line in ax.get_lines()]
        assert "train" in labels and "validation" in labels
        assert ax.get_xlabel() == "epoch"
        train = next(line for line in ax.get_lines() if line.get_label() == "train")
        assert list(train.get_xdata()) == list(range(1, 21))


def test_history_marks_the_best_validation_epoch(plot):
    h = history()
    figure = plot.plot_history(h, metrics=["loss", "accuracy"])
    loss, accuracy = figure.axes[:2]
    best_loss = next(line for line in loss.get_lines() if line.get_label().startswith("best"))
    assert best_loss.get_xdata()[0] == 20 and best_loss.get_ydata()[0] == min(h["val_loss"])
    best_acc = next(line for line in accuracy.get_lines() if line.get_label().startswith("best"))
    assert best_acc.get_ydata()[0] == max(h["val_accuracy"]), "accuracy: higher is better"


def test_history_log_scale_auto_for_a_loss_spanning_decades(plot):
    figure = plot.plot_history(history())
    assert figure.axes[0].get_yscale() == "log" and figure.axes[1].get_yscale() == "linear"
    figure = plot.plot_history(history(), log_scale=False)
    assert figure.axes[0].get_yscale() == "linear"
    figure = plot.plot_history(history(), log_scale=["accuracy"])
    assert [ax.get_yscale() for ax in figure.axes[:2]] == ["linear", "log"]


def test_history_without_epochs_or_validation(plot):
    figure = plot.plot_history({"loss": [3.0, 2.0, 1.5]})
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert "validation" not in labels and "best 1.5 (epoch 3)" in labels
    train = figure.axes[0].get_lines()[0]
    assert list(train.get_xdata()) == [1, 2, 3], "epochs counted from 1"


def test_history_saves_png_and_svg(plot, tmp_path):
    png = tmp_path / "deep" / "folder" / "history.png"
    plot.plot_history(history(), path=png)
    assert_real_png(png)
    svg = tmp_path / "history.svg"
    plot.plot_history(history(), path=svg)
    assert ET.parse(svg).getroot().tag.endswith("svg")


def test_history_errors_name_the_problem(plot):
    with pytest.raises(ValueError, match="different lengths"):
        plot.plot_history({"loss": [1.0, 2.0], "val_loss": [1.0]})
    with pytest.raises(ValueError, match="'f1'"):
        plot.plot_history(history(), metrics=["f1"])
    with pytest.raises(ValueError, match="non-empty"):
        plot.plot_history({})


def test_unsupported_extension_is_refused(plot, tmp_path):
    with pytest.raises(ValueError, match=r"\.png, \.svg, \.pdf"):
        plot.plot_history(history(), path=tmp_path / "history.bmp")


# ------------------------------------------------------------------------------ decision boundary


@pytest.mark.parametrize(
    ("name", "predict"),
    [
        ("probability", lambda G: 1 / (1 + np.exp(-(G[:, 0] + 0.5 * G[:, 1])))),
        ("score", lambda G: G[:, 0] + 0.5 * G[:, 1]),
        ("labels", lambda G: (G[:, 0] + 0.5 * G[:, 1] > 0).astype(int)),
        ("class scores", lambda G: np.stack([-G[:, 0] - 0.5 * G[:, 1], np.zeros(len(G))], 1)),
    ],
)
def test_decision_boundary_accepts_every_kind_of_prediction(plot, tmp_path, name, predict):
    X, y = moons_like()
    path = tmp_path / f"{name}.png"
    figure = plot.plot_decision_boundary(predict, X, y, path=path)
    assert_real_png(path)
    ax = figure.axes[0]
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["class 0", "class 1"]
    x0, x1 = ax.get_xlim()
    assert x0 < X[:, 0].min() and x1 > X[:, 0].max(), "the grid covers the data with a margin"


def test_decision_boundary_calls_predict_once_on_a_modest_grid(plot):
    X, y = moons_like()
    calls = []

    def predict(grid):
        calls.append(grid.shape)
        return grid[:, 0]

    plot.plot_decision_boundary(predict, X, y)
    assert calls == [(60 * 60, 2)]
    plot.plot_decision_boundary(predict, X, y, resolution=10)
    assert calls[-1] == (100, 2)


def test_decision_boundaries_share_one_figure_through_ax(plot, tmp_path):
    from matplotlib.figure import Figure

    X, y = moons_like()
    figure = Figure(figsize=(10, 4))
    left, right = figure.subplots(1, 2)
    assert plot.plot_decision_boundary(lambda G: G[:, 0], X, y, ax=left, title="a") is figure
    plot.plot_decision_boundary(lambda G: G[:, 1], X, y, ax=right, title="b")
    assert [ax.get_title() for ax in figure.axes] == ["a", "b"]
    figure.savefig(tmp_path / "both.png")
    assert_real_png(tmp_path / "both.png")


def test_decision_boundary_rejects_bad_shapes(plot):
    X, y = moons_like()
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        plot.plot_decision_boundary(lambda G: G[:, 0], X[:, :1], y)
    with pytest.raises(ValueError, match="labels"):
        plot.plot_decision_boundary(lambda G: G[:, 0], X, y[:-1])


# ------------------------------------------------------------------------------ regression


def test_regression_overlays_every_epoch(plot, tmp_path):
    x = np.linspace(-3, 3, 50)
    y = np.sin(x)
    predictions = {"epoch 1": 0.1 * x, "epoch 10": 0.8 * np.sin(x), "epoch 50": np.sin(x)}
    path = tmp_path / "fit.png"
    figure = plot.plot_regression(x, y, predictions, path=path)
    assert_real_png(path)
    ax = figure.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == list(predictions)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["target", *predictions]
    assert (np.diff(ax.get_lines()[0].get_xdata()) >= 0).all(), "curves drawn along sorted x"


def test_regression_with_several_features_is_a_parity_plot(plot, tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    y = X.sum(axis=1)
    path = tmp_path / "parity.svg"
    figure = plot.plot_regression(X, y, y + 0.1, path=path)
    assert figure.axes[0].get_xlabel() == "target"
    assert ET.parse(path).getroot().tag.endswith("svg")


def test_regression_checks_lengths(plot):
    with pytest.raises(ValueError, match="'epoch 1' has 3 values for 4 targets"):
        plot.plot_regression(np.arange(4.0), np.arange(4.0), {"epoch 1": [1.0, 2.0, 3.0]})


# ------------------------------------------------------------------------------ without matplotlib


def test_missing_matplotlib_says_how_to_install_it(plot, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(ImportError, match=r"pip install backprop-lab\[plot\]"):
        plot.plot_history(history())


# ------------------------------------------------------------------------------ in Jupyter


def every_plot(plot):
    X, y = moons_like()
    return {
        "history": plot.plot_history(history()),
        "decision boundary": plot.plot_decision_boundary(lambda g: g[:, 0], X, y),
        "regression": plot.plot_regression(X[:, 0], y, {"fit": X[:, 0]}),
    }


def test_every_plot_displays_inline_in_a_fresh_ipython(plot):
    """IPython's own formatter, with no `%matplotlib inline`: a PNG, not `<Figure size ...>`."""
    formatters = pytest.importorskip("IPython.core.formatters")
    for name, figure in every_plot(plot).items():
        data, _ = formatters.DisplayFormatter().format(figure)
        assert data.get("image/png", b"")[:8] == PNG_SIGNATURE, name
        assert len(data["image/png"]) > 5000, f"{name}: a real picture"


def test_plotting_as_a_script_opens_no_window_and_needs_no_display(tmp_path):
    code = (
        "import os, sys\n"
        "from nn.plot import plot_history\n"
        "fig = plot_history({'loss': [1.0, 0.5, 0.25]}, path=sys.argv[1])\n"
        "fig._repr_png_()\n"
        "print('matplotlib.pyplot' in sys.modules, fig.canvas.__class__.__name__)\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "loss.png")],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert done.stdout.split() == ["False", "FigureCanvasAgg"]
    assert (tmp_path / "loss.png").read_bytes()[:8] == PNG_SIGNATURE


def test_log_axis_labels_are_plain_numbers(plot):
    figure = plot.plot_history(history())
    ax = figure.axes[0]
    assert ax.get_yscale() == "log"
    figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels(which="both") if t.get_text()]
    assert labels and not [label for label in labels if "$" in label or "×" in label], labels
    assert {"0.1", "1"} <= set(labels)


def test_best_accuracy_of_one_reads_as_100_percent(plot):
    h = history(50)
    h["val_accuracy"] = [min(1.0, 0.5 + i / 94) for i in range(50)]  # 1.0 first at epoch 48
    figure = plot.plot_history(h, metrics=["accuracy"])
    labels = figure.axes[0].get_legend_handles_labels()[1]
    assert "best validation 100% (epoch 48)" in labels, labels
    loss_labels = plot.plot_history(h, metrics=["loss"]).axes[0].get_legend_handles_labels()[1]
    assert any(label.startswith("best validation 0.") for label in loss_labels), loss_labels


def test_decision_boundary_is_smooth_not_stair_steps(plot):
    """A circle at a coarse grid: the filled region's edge follows the level set between grid
    points (interpolated), so its outline has far more distinct directions than a staircase."""
    X, y = moons_like()
    figure = plot.plot_decision_boundary(
        lambda g: 1.0 - (g**2).sum(axis=1), X, y, resolution=12, threshold=0.0
    )
    ax = figure.axes[0]
    filled = next(c for c in ax.collections if getattr(c, "filled", False))
    vertices = np.concatenate([p.vertices for p in filled.get_paths()])
    steps = np.diff(vertices, axis=0)
    steps = steps[np.linalg.norm(steps, axis=1) > 1e-9]
    angles = np.unique(np.round(np.degrees(np.arctan2(steps[:, 1], steps[:, 0]))))
    assert len(angles) > 20, f"only {len(angles)} edge directions: stair steps"
