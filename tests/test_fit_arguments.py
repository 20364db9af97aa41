"""fit: every bad argument is refused before any work, naming the argument and the value; the
progress bar shows the right epoch, and picks the notebook or the text bar without a warning."""

from __future__ import annotations

import importlib.util
import io
import math
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pytest

from autograd import Tensor
from nn import MLP, SGD, Adam, Linear, LinearDecay, Sequential, fit, make_moons, train

X, Y = make_moons(12, seed=0)


def _model():
    return MLP(2, [3, 1], seed=0)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"batch_size": 0}, ValueError, "fit: batch_size must be a positive int, got 0"),
        ({"batch_size": 2.5}, ValueError, "fit: batch_size must be a positive int, got 2.5"),
        ({"batch_size": True}, ValueError, "fit: batch_size must be a positive int, got True"),
        ({"epochs": "3"}, ValueError, r"fit: epochs must be a positive int, got '3' \(str\)"),
        ({"epochs": -1}, ValueError, "fit: epochs must be a positive int, got -1"),
        ({"epochs": 0}, ValueError, "fit: epochs must be a positive int, got 0"),
        ({"epochs": 2.0}, ValueError, "fit: epochs must be a positive int, got 2.0"),
        (
            {"metrics": "accuracy"},
            TypeError,
            r"fit: metrics must be a list of metric names, got the str 'accuracy'; "
            r"write metrics=\['accuracy'\]",
        ),
        ({"metrics": 3}, TypeError, "fit: metrics must be a list of metric names, got 3"),
        ({"metrics": ["f1"]}, ValueError, "fit: unknown metric 'f1'"),
        (
            {"validation": (X,)},
            ValueError,
            "fit: validation must be a pair \\(X_val, y_val\\), got a tuple of 1",
        ),
        ({"validation": X}, ValueError, "fit: validation must be a pair"),
        (
            {"validation": (X[:, :1], Y)},
            ValueError,
            r"fit: validation X has samples of shape \(1,\) but X has \(2,\)",
        ),
        (
            {"validation": (X, Y[:3])},
            ValueError,
            r"fit: validation X must be \(n, features...\) with one target per row",
        ),
        ({"validation": (X[:0], Y[:0])}, ValueError, "fit: validation X is empty"),
        (
            {"optimizer": "sgd"},
            TypeError,
            r"fit: optimizer must be an Optimizer such as SGD\(model.parameters\(\), lr=0.1\), "
            r"got 'sgd' \(str\)",
        ),
        (
            {"optimizer": SGD(MLP(2, [1], seed=1).parameters(), lr=0.1)},
            ValueError,
            "fit: the optimizer holds none of the model's parameters",
        ),
        ({"schedule": "x"}, TypeError, "fit: schedule must be a Schedule such as LinearDecay"),
        (
            {"schedule": LinearDecay(SGD(MLP(2, [1]).parameters(), lr=0.1), total_steps=3)},
            ValueError,
            "fit: schedule changes the learning rate of another optimizer",
        ),
        ({"loss": "l1"}, ValueError, "fit: unknown loss 'l1'"),
        ({"l2": -1.0}, ValueError, "fit: l2 must be a finite number >= 0, got -1.0"),
        ({"l2": math.nan}, ValueError, "fit: l2 must be a finite number >= 0, got nan"),
        ({"l2": "1e-4"}, ValueError, "fit: l2 must be a finite number >= 0, got '1e-4'"),
        ({"seed": -1}, ValueError, "fit: seed must be an int >= 0, got -1"),
        ({"seed": 1.5}, ValueError, "fit: seed must be an int >= 0, got 1.5"),
        ({"progress": "yes"}, ValueError, "fit: progress must be True or False, got 'yes'"),
        ({"threshold": "0.5"}, ValueError, "fit: threshold must be a finite number"),
        ({"threshold": math.inf}, ValueError, "fit: threshold must be a finite number"),
    ],
)
def test_a_bad_argument_is_named_before_any_work(kwargs, error, message):
    model = _model()
    before = [p.data for p in model.parameters()]
    with pytest.raises(error, match=message):
        fit(model, X, Y, **{"progress": False, "epochs": 2, **kwargs})
    assert [p.data for p in model.parameters()] == before


@pytest.mark.parametrize(
    ("X_", "y_", "error", "message"),
    [
        (X[:0], Y[:0], ValueError, r"fit: X is empty \(shape \(0, 2\)\): nothing to train on"),
        (np.zeros((3, 0)), np.zeros(3), ValueError, r"fit: X is empty \(shape \(3, 0\)\)"),
        (X[0], Y, ValueError, r"fit: X must be \(n, features...\) with one target per row"),
        (X, Y[:5], ValueError, r"got X \(12, 2\) and y \(5,\)"),
        ([[1.0, 2.0], [3.0]], [0, 1], ValueError, "fit: X must be a rectangular array"),
        (np.array([["a", "b"]]), [0], TypeError, "fit: X must hold numbers, got an array of <U1"),
        (X, np.array(["a"] * 12), TypeError, "fit: y must hold numbers, got an array of <U1"),
        (
            np.where(np.arange(24).reshape(12, 2) == 7, np.nan, X),
            Y,
            ValueError,
            "fit: X must be finite, got nan at row 3, column 1",
        ),
        (
            X,
            np.where(np.arange(12) == 4, np.inf, Y),
            ValueError,
            "fit: y must be finite, got inf at row 4",
        ),
    ],
)
def test_bad_data_are_named_before_any_work(X_, y_, error, message):
    model = _model()
    before = [p.data for p in model.parameters()]
    with pytest.raises(error, match=message):
        fit(model, X_, y_, epochs=1, progress=False)
    assert [p.data for p in model.parameters()] == before


def test_model_must_be_callable():
    with pytest.raises(TypeError, match="fit: model must be callable"):
        fit("mlp", X, Y, progress=False)


def test_good_arguments_in_every_accepted_spelling_still_train():
    model = _model()
    optimizer = Adam(model.parameters(), lr=0.01)
    history = fit(
        model,
        X.tolist(),
        Y.tolist(),
        loss="bce_with_logits",
        optimizer=optimizer,
        epochs=np.int64(2),
        batch_size=np.int32(5),
        validation=[X, Y],
        metrics=["accuracy"],
        l2=0,
        schedule=LinearDecay(optimizer, total_steps=2),
        seed=np.int64(1),
        threshold=0,
    )
    assert history["epoch"] == [1, 2] and len(history["val_accuracy"]) == 2
    assert history["loss"][1] < history["loss"][0]


def test_an_optimizer_of_part_of_the_model_is_fine():
    model = _model()
    first_layer = model.layers[0].parameters()
    history = fit(model, X, Y, optimizer=SGD(first_layer, lr=0.1), epochs=1, progress=False)
    assert len(history["loss"]) == 1


# -------------------------------------------------------------------- the progress bar


class _RecordingBar:
    """Stands in for tqdm: records what each drawn frame shows (update() draws)."""

    frames: list[tuple[int, dict]]

    def __init__(self, total, **kwargs):
        self.n, self.postfix, self.frames = 0, {}, []
        _RecordingBar.last = self

    def set_postfix(self, refresh=True, **postfix):
        self.postfix = postfix

    def update(self, k):
        self.n += k
        self.frames.append((self.n, dict(self.postfix)))

    def close(self):
        pass


def test_the_bar_shows_the_epoch_of_the_batch_it_counts(monkeypatch):
    monkeypatch.setattr(train, "_bar_class", lambda: _RecordingBar)
    fit(_model(), X, Y, epochs=3, batch_size=5, progress=True)  # 3 batches an epoch
    frames = _RecordingBar.last.frames
    assert [n for n, _ in frames] == list(range(1, 10))
    assert [postfix["epoch"] for _, postfix in frames] == [1, 1, 1, 2, 2, 2, 3, 3, 3]


def test_the_real_text_bar_shows_8_of_9_with_epoch_3(monkeypatch):
    from tqdm.std import tqdm

    out = io.StringIO()
    bar = lambda **kwargs: tqdm(**{**kwargs, "file": out, "mininterval": 0})
    monkeypatch.setattr(train, "_bar_class", lambda: bar)
    fit(_model(), X, Y, epochs=3, batch_size=5, progress=True)
    frames = out.getvalue().split("\r")
    frame = next(f for f in frames if " 8/9 " in f)
    assert "epoch=3" in frame, frame


def _fake_kernel(monkeypatch, widgets: bool):
    """sys.modules as in a Jupyter kernel; tqdm.notebook with or without ipywidgets."""
    from tqdm import notebook

    shell = type("ZMQInteractiveShell", (), {})()
    monkeypatch.setitem(sys.modules, "ipykernel.zmqshell", types.ModuleType("ipykernel.zmqshell"))
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setattr(notebook, "IProgress", object if widgets else None)


def test_a_kernel_without_ipywidgets_gets_the_text_bar_and_no_warning(monkeypatch):
    from tqdm.std import tqdm

    _fake_kernel(monkeypatch, widgets=False)
    assert train._bar_class() is tqdm
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(_model(), X, Y, epochs=2, progress=True)
    assert [str(w.message) for w in caught] == []
    assert "IProgress" not in sys.stderr.getvalue() and "2/2" in sys.stderr.getvalue()


def test_a_kernel_with_ipywidgets_gets_the_notebook_bar(monkeypatch):
    from tqdm import notebook

    _fake_kernel(monkeypatch, widgets=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert train._bar_class() is notebook.tqdm


def test_a_terminal_gets_the_text_bar(monkeypatch):
    from tqdm.std import tqdm

    monkeypatch.delitem(sys.modules, "ipykernel.zmqshell", raising=False)
    assert train._bar_class() is tqdm


def test_tensor_models_are_checked_the_same_way():
    net = Sequential(Linear(2, 3, seed=0), "relu", Linear(3, 1, seed=1))
    with pytest.raises(ValueError, match="fit: batch_size must be a positive int, got 0"):
        fit(net, X, Y, batch_size=0, progress=False)
    history = fit(net, X, Y, loss="bce_with_logits", epochs=1, progress=False)
    assert isinstance(net(Tensor(X)), Tensor) and len(history["loss"]) == 1


# -------------------------------------------------------------------- predict and accuracy


@pytest.mark.parametrize(
    ("X_", "error", "message"),
    [
        (
            X[0],
            ValueError,
            r"predict: X must be \(n, features...\), one sample a row, got shape \(2,\)",
        ),
        (np.array([["a", "b"]]), TypeError, "predict: X must hold numbers"),
        ([[1.0, 2.0], [3.0]], ValueError, "predict: X must be a rectangular array"),
    ],
)
def test_predict_names_bad_input(X_, error, message):
    from nn import predict

    with pytest.raises(error, match=message):
        predict(_model(), X_)


@pytest.mark.parametrize(
    ("scores", "labels"), [([0.5, -0.5, 1.0], [1]), ([], []), (0.5, 1), ([[0.1, 0.9]], [1, 0])]
)
def test_accuracy_refuses_scores_and_labels_that_do_not_pair(scores, labels):
    from nn import accuracy

    with pytest.raises(ValueError, match="accuracy: scores and y must have one row per sample"):
        accuracy(scores, labels)


def test_a_loss_function_that_returns_a_number_is_named():
    model = _model()
    before = [p.data for p in model.parameters()]
    with pytest.raises(
        TypeError, match=r"the loss function returned 1\.0, not a Value or a Tensor"
    ):
        fit(model, X, Y, loss=lambda out, target: 1.0, epochs=1, progress=False)
    assert [p.data for p in model.parameters()] == before


@pytest.mark.parametrize("tensor", [False, True], ids=["values", "tensors"])
def test_cross_entropy_on_one_output_per_sample_points_to_the_binary_losses(tensor):
    model = Sequential(Linear(2, 1, seed=0)) if tensor else _model()
    with pytest.raises(
        ValueError, match=r"cross_entropy needs one output per class.*bce_with_logits"
    ):
        fit(model, X, Y, loss="cross_entropy", epochs=1, progress=False)


def test_in_a_real_kernel_without_ipywidgets_the_bar_is_text_and_nothing_warns():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    if importlib.util.find_spec("ipywidgets") is not None:
        pytest.skip("ipywidgets is installed: the widget bar is the right one here")
    root = Path(__file__).resolve().parents[1]
    notebook = nbformat.v4.new_notebook()
    source = (
        "from nn import MLP, fit, make_moons\n"
        "X, y = make_moons(20, seed=0)\n"
        "history = fit(MLP(2, [4, 1], seed=0), X, y, epochs=3)\n"
        "print(history['epoch'])"
    )
    notebook.cells = [nbformat.v4.new_code_cell(source)]
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(root)}}
    )
    client.execute()
    outputs = notebook.cells[0].outputs
    text = "".join(o.get("text", "") for o in outputs)
    assert "[1, 2, 3]" in text and "3/3" in text and "epoch=3" in text, text
    assert "IProgress" not in text and "Warning" not in text, text
    assert not [o for o in outputs if o["output_type"] == "error"]


def test_samples_may_be_arrays_of_any_shape_for_a_model_that_takes_them():
    from nn import Module, predict

    class Flatten(Module):  # (n, 2, 2) images to (n, 4) rows, then one Linear
        def __init__(self):
            self.linear = Linear(4, 1, seed=0)
            self.label_parameters()

        def __call__(self, x):
            return self.linear(x.reshape(x.shape[0], 4))

    images = np.random.default_rng(0).normal(size=(12, 2, 2))
    model = Flatten()
    history = fit(model, images, Y, loss="bce_with_logits", epochs=2, progress=False)
    assert len(history["loss"]) == 2 and predict(model, images).shape == (12,)
    with pytest.raises(ValueError, match=r"validation X has samples of shape \(4,\) but X has"):
        fit(model, images, Y, validation=(images.reshape(12, 4), Y), progress=False)


def test_train_step_takes_loss_names_and_names_a_bad_optimizer():
    from nn import train_step

    model = _model()
    optimizer = SGD(model.parameters(), lr=0.1)
    loss, _ = train_step(model, X, Y, "bce_with_logits", optimizer)
    assert math.isfinite(loss.data)
    with pytest.raises(ValueError, match="train_step: unknown loss 'l1'"):
        train_step(model, X, Y, "l1", optimizer)
    with pytest.raises(TypeError, match=r"train_step: optimizer must be an Optimizer, got 'sgd'"):
        train_step(model, X, Y, "mse", "sgd")


@pytest.mark.parametrize("threshold", ["0.5", None, math.nan])
def test_accuracy_names_a_bad_threshold(threshold):
    from nn import accuracy

    with pytest.raises(ValueError, match="accuracy: threshold must be a finite number"):
        accuracy([0.2, 0.8], [0, 1], threshold)
