"""784-1000-10 on MNIST: full-batch gradient descent with momentum, as in the classic homework.

    .venv/bin/python examples/mnist_momentum.py           # 200 epochs; writes out/mnist_momentum/
    .venv/bin/python examples/mnist_momentum.py --quick   # 2,000 images, 80 epochs

ReLU hidden layer of 1,000, Xavier (Glorot) uniform weights, zero biases. Every epoch is one step
on the whole training set: the gradient of the summed (not averaged) cross-entropy, then

    v = gamma * v - alpha * grad,    w = w + v        (gamma = 0.99, alpha = 2e-7)

with every velocity entry starting at 1e-5. Written out here rather than with nn.SGD, whose
PyTorch-style momentum starts its buffer at the first gradient.

With the t10k files (as in `../shared/data/mnist-t10k`), its first 8,000 images train (the
last 1,000 of those held out for validation) and its last 2,000 test.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from autograd import Tensor, no_grad
from nn import Linear, Sequential, accuracy, load_mnist, losses

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-t10k"
GAMMA, ALPHA, V0 = 0.99, 2e-7, 1e-5


def splits(folder: Path, quick: bool) -> dict:
    """train / validation / test (X as (n, 784) float32, y as int)."""
    data = load_mnist(folder)
    if "train" in data and "test" in data:
        (X, y), test = data["train"], data["test"]
        cut = len(X) - 10_000
    else:
        X, y = data.get("test") or data["train"]
        X, y, test = X[:8000], y[:8000], (X[8000:], y[8000:])
        cut = 7000
    if quick:
        X, y, cut, test = X[:2500], y[:2500], 2000, (test[0][:500], test[1][:500])
    return {"train": (X[:cut], y[:cut]), "validation": (X[cut:], y[cut:]), "test": test}


def network(seed: int = 0) -> Sequential:
    f = np.float32
    return Sequential(
        Linear(784, 1000, init="xavier", seed=seed, dtype=f),
        "relu",
        Linear(1000, 10, init="xavier", seed=seed + 1, dtype=f),
    )


def evaluate(net: Sequential, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) without a graph."""
    with no_grad():
        out = net(Tensor.from_numpy(X))
        return float(losses.cross_entropy(out, y).data), accuracy(out.data, y)


def train(net: Sequential, data: dict, epochs: int) -> dict:
    """`epochs` full-batch steps; after each, the loss and accuracy on the training, validation
    and test images, all three measured on the same weights (those of the step just taken)."""
    X, y = data["train"]
    x = Tensor.from_numpy(X)
    params = net.parameters()
    velocity = [np.full(p.shape, V0, dtype=p.dtype) for p in params]
    history = {key: [] for key in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy")}
    history["test_accuracy"] = []
    for epoch in range(1, epochs + 1):
        loss = losses.cross_entropy(net(x), y) * len(X)  # the summed loss: alpha is per example
        net.zero_grad()
        loss.backward()
        for p, v in zip(params, velocity):
            v *= GAMMA
            v -= ALPHA * p.grad
            p.data += v
        train_loss, train_accuracy = evaluate(net, X, y)
        val_loss, val_accuracy = evaluate(net, *data["validation"])
        history["epoch"].append(epoch)
        history["loss"].append(train_loss)
        history["accuracy"].append(train_accuracy)
        history["val_loss"].append(val_loss)
        history["val_accuracy"].append(val_accuracy)
        history["test_accuracy"].append(evaluate(net, *data["test"])[1])
    return history


def plot(history: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from nn.plot import plain_log_labels

    figure, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    e = history["epoch"]
    ax.plot(e, history["loss"], label="training")
    ax.plot(e, history["val_loss"], ls="--", label="validation")
    ax.set(xlabel="epoch (one full-batch step)", ylabel="mean cross-entropy", yscale="log")
    for key, name in (("accuracy", "training"), ("val_accuracy", "validation"),
                      ("test_accuracy", "test")):  # fmt: skip
        bx.plot(e, history[key], label=f"{name}: {history[key][-1]:.2%}")
    bx.set(xlabel="epoch (one full-batch step)", ylabel="accuracy", ylim=(0.0, 1.0))
    plain_log_labels(ax)  # 0.5, 2 rather than 5×10⁻¹, 2×10⁰
    for a in (ax, bx):
        a.xaxis.set_major_locator(MaxNLocator(integer=True))
        a.grid(alpha=0.3)
        a.legend()
    figure.suptitle(
        f"784-1000-10 ReLU, Xavier, full-batch GD with momentum (gamma {GAMMA}, alpha {ALPHA} "
        "on the summed loss)"
    )
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED if SHARED.exists() else Path("data"))
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("out/mnist_momentum"))
    parser.add_argument("--quick", action="store_true", help="2,000 training images, 80 epochs")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(
            f"--epochs must be a positive int (one full-batch step each), got {args.epochs}"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    data = splits(args.data, args.quick)
    epochs = 80 if args.quick else args.epochs
    sizes = ", ".join(f"{len(v[0]):,} {k}" for k, v in data.items())
    print(f"MNIST: {sizes} images; {epochs} full-batch steps")
    start = time.perf_counter()
    net = network()
    history = train(net, data, epochs)
    seconds = time.perf_counter() - start
    result = {
        "train_accuracy": history["accuracy"][-1],
        "validation_accuracy": history["val_accuracy"][-1],
        "test_accuracy": history["test_accuracy"][-1],
        "history": history,
        "seconds": seconds,
    }
    result["path"] = plot(history, args.out / "curves.png")
    print(
        f"after {epochs} epochs ({seconds:.0f} s): training accuracy "
        f"{result['train_accuracy']:.2%}, validation {result['validation_accuracy']:.2%}, "
        f"test {result['test_accuracy']:.2%}; wrote {result['path']}"
    )
    return result


if __name__ == "__main__":
    main()
