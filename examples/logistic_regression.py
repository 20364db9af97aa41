"""Logistic regression: one sigmoid neuron trained with binary cross-entropy on two moons.

    .venv/bin/python examples/logistic_regression.py            # 200 points, 150 epochs
    .venv/bin/python examples/logistic_regression.py --quick    # 60 points, 40 epochs

The model is p = sigmoid(w0 x0 + w1 x1 + b), `Neuron(2, "sigmoid")`, trained by full-batch
gradient descent on the mean binary cross-entropy -(y log p + (1 - y) log(1 - p)). Its decision
boundary p = 0.5 is the straight line w0 x0 + w1 x1 + b = 0, so on two moons it can only get
about 85% right: a fair baseline before hidden layers. Before training, the script checks the
textbook gradient dL/dw = mean((p - y) x), dL/db = mean(p - y) against backpropagation.
Writes `loss.png` (loss and accuracy per epoch) and `boundary.png` to `--out`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from nn import (
    SGD,
    Neuron,
    accuracy,
    fit,
    losses,
    make_moons,
    plot_decision_boundary,
    plot_history,
    predict,
)


def textbook_gradient(neuron: Neuron, X: np.ndarray, y: np.ndarray) -> list[float]:
    """dL/dw and dL/db of the mean binary cross-entropy, by hand: the error p - y times the input.

    For p = sigmoid(z), dp/dz = p (1 - p), which cancels the denominators of dL/dp, leaving
    dL/dz = p - y per sample.
    """
    w = np.array([wi.data for wi in neuron.w])
    p = 1.0 / (1.0 + np.exp(-(X @ w + neuron.b.data)))
    error = p - y
    return [*(error @ X / len(X)).tolist(), float(error.mean())]


def backprop_gradient(neuron: Neuron, X: np.ndarray, y: np.ndarray) -> list[float]:
    """The same gradient by the engine: build the loss over the batch, call backward()."""
    neuron.zero_grad()
    loss = losses.binary_cross_entropy([neuron(list(row)) for row in X], y.tolist())
    loss.backward()
    grads = [p.grad for p in neuron.parameters()]
    neuron.zero_grad()
    return grads


def signed(v: float) -> str:
    """A term of a sum as text: `+ 1.2500` or `- 1.2500`."""
    return f"{'-' if v < 0 else '+'} {abs(v):.4f}"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/logistic_regression", help="output folder")
    parser.add_argument("--quick", action="store_true", help="a small, fast run (for tests)")
    parser.add_argument("--epochs", type=int, help="epochs of full-batch gradient descent")
    parser.add_argument("--lr", type=float, default=1.0, help="learning rate")
    parser.add_argument("--seed", type=int, default=0, help="seed of data and initial weights")
    args = parser.parse_args(argv)
    out = Path(args.out)
    samples = 60 if args.quick else 200
    epochs = args.epochs or (40 if args.quick else 150)

    X, y = make_moons(samples, noise=0.1, seed=args.seed)
    neuron = Neuron(2, "sigmoid", seed=args.seed)

    by_hand = textbook_gradient(neuron, X, y)
    by_backprop = backprop_gradient(neuron, X, y)
    gradient_error = max(abs(a - b) for a, b in zip(by_hand, by_backprop))
    print("gradient at the initial weights      dL/dw0       dL/dw1       dL/db")
    print("  by hand, mean((p - y) x)      " + "".join(f"{g:13.8f}" for g in by_hand))
    print("  by backpropagation            " + "".join(f"{g:13.8f}" for g in by_backprop))
    print(f"  max difference: {gradient_error:.2e}")

    optimizer = SGD(neuron.parameters(), lr=args.lr)
    history = fit(
        neuron,
        X,
        y,
        loss="binary_cross_entropy",
        optimizer=optimizer,
        epochs=epochs,
        progress=False,
        seed=args.seed,
    )
    final_accuracy = accuracy(predict(neuron, X), y, threshold=0.5)
    (w0, w1), b = (w.data for w in neuron.w), neuron.b.data
    print(
        f"\n{samples} points, {epochs} epochs, lr {args.lr}: binary cross-entropy "
        f"{history['loss'][0]:.4f} -> {history['loss'][-1]:.4f}, "
        f"training accuracy {final_accuracy:.1%}"
    )
    print(f"p = sigmoid({w0:.4f} x0 {signed(w1)} x1 {signed(b)})")
    if w1 != 0.0:
        print(f"decision boundary p = 0.5: x1 = {-w0 / w1:.4f} x0 {signed(-b / w1)}")

    written = [out / "loss.png", out / "boundary.png"]
    plot_history(
        history, path=written[0], title=f"Logistic regression on two moons ({samples} points)"
    )
    plot_decision_boundary(
        lambda grid: predict(neuron, grid),
        X,
        y,
        path=written[1],
        resolution=40 if args.quick else 120,
        title=f"sigmoid neuron: linear boundary, accuracy {final_accuracy:.1%}",
    )
    for path in written:
        print(f"wrote {path}")
    return {
        "loss": history["loss"],
        "accuracy": final_accuracy,
        "weights": [w0, w1],
        "bias": b,
        "gradient_by_hand": by_hand,
        "gradient_by_backprop": by_backprop,
        "gradient_error": gradient_error,
        "written": written,
    }


if __name__ == "__main__":
    main()
