"""fit, predict, accuracy: real training runs with thresholds taken from the classic recipes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nn import MLP, SGD, Adam, LinearDecay, accuracy, fit, make_ellipse, make_moons, predict, split


def test_micrograd_demo_recipe_reaches_98_percent():
    # micrograd's demo: MLP(2, [16, 16, 1]) on 100 two-moons points (noise 0.1), hinge loss
    # + 1e-4 L2, SGD with lr = 1.0 - 0.9 k / 100, 100 full-batch steps.
    X, y = make_moons(100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    optimizer = SGD(model.parameters(), lr=1.0)
    schedule = LinearDecay(optimizer, start_factor=1.0, end_factor=0.1, total_steps=100)
    history = fit(
        model,
        X,
        y * 2 - 1,
        loss="hinge",
        l2=1e-4,
        optimizer=optimizer,
        schedule=schedule,
        epochs=100,
        progress=False,
    )
    assert history["lr"][:3] == pytest.approx([1.0, 0.991, 0.982])
    assert history["loss"][-1] < history["loss"][0] / 5
    assert accuracy(predict(model, X), y) >= 0.98
    assert history["accuracy"][-1] >= 0.98


def test_two_three_two_softmax_net_on_ellipse_reaches_93_percent_after_one_epoch():
    X, y = make_ellipse(60_000 + 10_000, seed=0)
    (X_train, y_train), (X_val, y_val), _ = split(X, y, val=10_000 / 70_000, test=0.0, seed=0)
    assert len(X_train) == 60_000
    model = MLP(2, [3, 2], activation="sigmoid", output_activation="linear", seed=0)
    history = fit(
        model,
        X_train,
        y_train,
        loss="cross_entropy",
        epochs=1,
        batch_size=1,
        optimizer=SGD(model.parameters(), lr=0.01),
        validation=(X_val, y_val),
        progress=False,
    )
    assert history["val_accuracy"][0] >= 0.93, history


def test_history_has_one_entry_per_epoch_for_every_key():
    X, y = make_moons(40, seed=1)
    model = MLP(2, [4, 1], seed=1)
    history = fit(
        model,
        X,
        y,
        loss="bce_with_logits",
        epochs=4,
        batch_size=10,
        optimizer=Adam(model.parameters(), lr=0.05),
        validation=(X[:10], y[:10]),
        progress=False,
    )
    assert set(history) == {
        "epoch",
        "loss",
        "accuracy",
        "val_loss",
        "val_accuracy",
        "lr",
        "seconds",
    }
    assert all(len(v) == 4 for v in history.values())
    assert history["epoch"] == [1, 2, 3, 4]
    assert all(0.0 <= a <= 1.0 for a in history["accuracy"])


def test_regression_with_mse_lowers_the_loss():
    from nn import make_curve

    X, y = make_curve(60, fn="sin", seed=0)
    model = MLP(1, [10, 1], activation="tanh", seed=0)
    history = fit(
        model,
        X,
        y,
        loss="mse",
        epochs=60,
        batch_size=10,
        metrics=(),
        optimizer=Adam(model.parameters(), lr=0.02),
        progress=False,
    )
    assert history["loss"][-1] < 0.05 < history["loss"][0]
    assert "accuracy" not in history


def test_a_nan_loss_stops_training_naming_epoch_and_batch():
    X, y = make_moons(20, seed=0)
    model = MLP(2, [4, 1], seed=0)
    model.parameters()[0].data = math.nan  # a diverged weight
    with pytest.raises(FloatingPointError, match=r"epoch 1, batch 1"):
        fit(model, X, y, loss="mse", epochs=2, progress=False)


def test_unknown_loss_and_metric_are_clear_errors():
    X, y = make_moons(10, seed=0)
    with pytest.raises(ValueError, match="unknown loss 'l1'"):
        fit(MLP(2, [1], seed=0), X, y, loss="l1", progress=False)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        fit(MLP(2, [1], seed=0), X, y, metrics=("f1",), progress=False)


def test_predict_returns_arrays_and_keeps_no_graph():
    model = MLP(2, [3, 1], seed=0)
    out = predict(model, np.zeros((5, 2)))
    assert out.shape == (5,)
    assert predict(MLP(2, [3, 4], seed=0), np.ones((2, 2))).shape == (2, 4)


@pytest.mark.parametrize(
    "scores, labels, threshold, expected",
    [
        ([0.3, -0.2, 0.9, -1.0], [1, 0, 0, 0], 0.0, 0.75),
        ([0.3, -0.2, 0.9, -1.0], [1, -1, 1, -1], 0.0, 1.0),
        ([0.6, 0.4, 0.7], [1, 0, 0], 0.5, 2 / 3),
        ([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]], [1, 0, 0], 0.0, 2 / 3),
        ([[0.1, 0.9], [0.8, 0.2]], [[0, 1], [1, 0]], 0.0, 1.0),
    ],
)
def test_accuracy(scores, labels, threshold, expected):
    assert accuracy(scores, labels, threshold) == pytest.approx(expected)


def test_checkpoint_with_optimizer_state_resumes_exactly(tmp_path):
    X, y = make_moons(30, seed=2)

    def train(model, optimizer, epochs, seed):
        fit(
            model,
            X,
            y,
            loss="bce_with_logits",
            epochs=epochs,
            batch_size=10,
            seed=seed,
            optimizer=optimizer,
            progress=False,
        )

    straight = MLP(2, [4, 1], seed=3)
    straight_opt = SGD(straight.parameters(), lr=0.1, momentum=0.9)
    train(straight, straight_opt, 2, seed=0)
    train(straight, straight_opt, 2, seed=1)

    first = MLP(2, [4, 1], seed=3)
    first_opt = SGD(first.parameters(), lr=0.1, momentum=0.9)
    train(first, first_opt, 2, seed=0)
    first.save(tmp_path / "ckpt.json", optimizer=first_opt)

    resumed = MLP(2, [4, 1], seed=99)
    resumed_opt = SGD(resumed.parameters(), lr=0.1, momentum=0.9)
    resumed.load(tmp_path / "ckpt.json", optimizer=resumed_opt)
    train(resumed, resumed_opt, 2, seed=1)
    assert resumed.state_dict() == straight.state_dict()
