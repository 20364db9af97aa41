"""MNIST with the tensor path: 784-300-10 networks, learning rates compared over seeds.

    .venv/bin/python examples/mnist.py                      # about a minute; writes out/mnist/
    .venv/bin/python examples/mnist.py --quick              # a few seconds, a subset
    .venv/bin/python examples/mnist.py --data path/to/mnist # a folder with the official files

The data are the official gzip IDX files. With the training set present (train-*.gz) the
networks train on its 60,000 images and test on the 10,000 of t10k; with only the t10k pair (as
in `../shared/data/mnist-t10k` beside this repository) they train on its first 8,000 images and
test on the last 2,000. Without files, `--download` fetches them (where a network is available).

1. 784-300-10 with ReLU (He initialisation) and with sigmoid (Xavier), softmax cross-entropy,
   minibatch SGD (batch 64, momentum 0.9): training and validation curves, test accuracy.
2. The sigmoid network with plain SGD at learning rates 0.05, 0.01, 0.001 and 0.0001: mean and
   standard deviation of the training loss over 3 seeds, per epoch.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from nn import SGD, Linear, Sequential, download_mnist, fit, load_mnist, plot_history
from nn.plot import plain_log_labels

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-t10k"
LEARNING_RATES = (0.05, 0.01, 0.001, 0.0001)


def mnist_split(folder: Path, download: bool) -> tuple:
    """(X_train, y_train), (X_test, y_test) from whichever standard files `folder` has."""
    try:
        data = load_mnist(folder)
    except FileNotFoundError:
        if not download:
            raise SystemExit(f"no MNIST files in {folder}: pass --data DIR or --download") from None
        data = load_mnist(download_mnist(folder))
    if "train" in data and "test" in data:
        return data["train"], data["test"]
    X, y = data.get("test") or data["train"]
    cut = int(len(X) * 0.8)  # t10k alone: 8,000 to train, 2,000 to test
    return (X[:cut], y[:cut]), (X[cut:], y[cut:])


def network(activation: str, seed: int, hidden: int = 300) -> Sequential:
    init = "he" if activation == "relu" else "xavier"
    return Sequential(
        Linear(784, hidden, init=init, seed=seed, dtype=np.float32),
        activation,
        Linear(hidden, 10, init="xavier", seed=seed + 1, dtype=np.float32),
    )


def train_both(train, test, epochs: int, out: Path) -> dict:
    """Part 1: the ReLU and the sigmoid network, with curves."""
    results = {}
    for activation, lr in (("relu", 0.05), ("sigmoid", 0.2)):
        net = network(activation, seed=0)
        start = time.perf_counter()
        history = fit(
            net,
            *train,
            loss="cross_entropy",
            epochs=epochs,
            batch_size=64,
            optimizer=SGD(net.parameters(), lr=lr, momentum=0.9),
            validation=test,
            progress=False,
        )
        seconds = time.perf_counter() - start
        path = out / f"curves_{activation}.png"
        plot_history(history, path=path, title=f"784-300-10 {activation}, SGD lr {lr} momentum 0.9")
        accuracy = history["val_accuracy"][-1]
        print(
            f"784-300-10 {activation:7s}: test accuracy {accuracy:.2%} after {epochs} epochs "
            f"({seconds:.1f} s, {seconds / epochs:.2f} s/epoch); wrote {path}"
        )
        results[activation] = {
            "accuracy": accuracy,
            "seconds": seconds,
            "history": history,
            "path": path,
        }
    return results


def compare_learning_rates(train, epochs: int, seeds: int, out: Path) -> dict:
    """Part 2: plain SGD on the sigmoid network, mean and std of the loss over seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = {}
    for lr in LEARNING_RATES:
        runs = []
        for seed in range(seeds):
            net = network("sigmoid", seed=10 * seed)
            history = fit(
                net,
                *train,
                loss="cross_entropy",
                epochs=epochs,
                batch_size=64,
                optimizer=SGD(net.parameters(), lr=lr),
                metrics=(),
                seed=seed,
                progress=False,
            )
            runs.append(history["loss"])
        curves[lr] = np.array(runs)
        mean, std = curves[lr][:, -1].mean(), curves[lr][:, -1].std()
        print(f"lr {lr:<7}: final training loss {mean:.4f} ± {std:.4f} over {seeds} seeds")
    figure, ax = plt.subplots(figsize=(7, 4.5), layout="tight")
    epochs_axis = np.arange(1, epochs + 1)
    for lr, runs in curves.items():
        mean, std = runs.mean(axis=0), runs.std(axis=0)
        ax.plot(epochs_axis, mean, marker="o", label=f"lr {lr}: {mean[-1]:.3f} ± {std[-1]:.3f}")
        ax.fill_between(epochs_axis, mean - std, mean + std, alpha=0.25)
    ax.set(
        xlabel="epoch",
        ylabel="training loss (cross-entropy)",
        yscale="log",
        title=f"784-300-10 sigmoid, plain SGD: mean ± std over {seeds} seeds",
    )
    plain_log_labels(ax)  # 0.2, 0.5, 2 rather than 2×10⁻¹, 5×10⁻¹, 2×10⁰
    ax.grid(alpha=0.3)
    ax.legend()
    path = out / "learning_rates.png"
    figure.savefig(path, dpi=120)
    labels = [t.get_text() for t in ax.get_yticklabels(which="both") if t.get_text()]
    plt.close(figure)
    print(f"wrote {path}")
    return {"curves": curves, "path": path, "y_labels": labels}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED if SHARED.exists() else Path("data"))
    parser.add_argument("--download", action="store_true", help="fetch the files if missing")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("out/mnist"))
    parser.add_argument("--quick", action="store_true", help="a 2,000-image subset, few epochs")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    train, test = mnist_split(args.data, args.download)
    epochs, lr_epochs = args.epochs, 8
    if args.quick:
        train, test = (train[0][:2000], train[1][:2000]), (test[0][:500], test[1][:500])
        epochs, lr_epochs = 3, 2
    print(f"MNIST: {len(train[0])} training and {len(test[0])} test images from {args.data}")
    results = train_both(train, test, epochs, args.out)
    results["learning_rates"] = compare_learning_rates(train, lr_epochs, args.seeds, args.out)
    return results


if __name__ == "__main__":
    main()
