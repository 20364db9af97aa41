"""A deep convolutional network on MNIST: conv-pool-conv-pool-fc-fc, trained on the tensor path.

    .venv/bin/python examples/mnist_cnn.py            # 6 epochs per network; writes out/mnist_cnn/
    .venv/bin/python examples/mnist_cnn.py --quick    # a 2,000-image subset, 2 epochs
    .venv/bin/python examples/mnist_cnn.py --data path/to/mnist --out somewhere

The data are the official gzip IDX files; with only the t10k pair (as in `../shared/data/mnist-t10k`
beside this repository) the networks train on its first 8,000 images and test on the last 2,000.

1. The 4-layer DCN with ReLU: conv 16@5x5 (padding 2), max-pool 2, conv 32@5x5 (padding 2),
   max-pool 2, fc 128, dropout 0.5, fc 10; softmax cross-entropy, Adam (lr 1e-3), batch 64,
   on the training images plus one copy of each shifted by up to 2 pixels (`--augment 0`: none).
   Loss per epoch, test accuracy.
2. Its computational graph folded by module, one box per layer saying what it is with its output
   shape and parameter count (like TensorBoard's main graph), and a second picture of the
   auxiliary nodes: the loss, an L2 regulariser, and every parameter with the norm of its
   gradient (the gradient flow).
3. The same network with tanh, sigmoid and softmax (over the channels, or the features)
   activations: loss curves and test accuracies side by side.
4. A t-SNE of the first fully connected layer's weights (scikit-learn, the `examples` extra):
   each of its 128 neurons is a point, coloured by the class its output weights favour most.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from autograd import Tensor, save_graph
from nn import (
    Adam,
    Conv2d,
    Dropout,
    Flatten,
    Linear,
    MaxPool2d,
    Sequential,
    Softmax,
    StepDecay,
    fit,
    load_mnist,
    losses,
)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-t10k"
ACTIVATIONS = ("relu", "tanh", "sigmoid", "softmax")
AUGMENT, DECAY = 1, 1.0  # one shifted copy of each training image; a constant lr
L2, GRAPH_DPI = 1e-4, 96  # the auxiliary picture's regulariser; the graph pictures' resolution


def mnist_images(folder: Path) -> tuple:
    """(X_train, y_train), (X_test, y_test) as (n, 1, 28, 28) float32 images, split as
    examples/mnist.py does: the official training set when present, else t10k's 8,000 / 2,000."""
    data = load_mnist(folder, flatten=False)
    if "train" in data and "test" in data:
        (X, y), (Xt, yt) = data["train"], data["test"]
    else:
        X, y = data.get("test") or data["train"]
        cut = int(len(X) * 0.8)
        (X, y), (Xt, yt) = (X[:cut], y[:cut]), (X[cut:], y[cut:])
    return (X[:, None], y), (Xt[:, None], yt)


def shifted_copies(X: np.ndarray, y: np.ndarray, copies: int, seed: int = 0) -> tuple:
    """The images plus `copies` copies of each, shifted by up to 2 pixels in each direction
    (zeros fill in): every copy is one fancy index into the windows of the padded images."""
    if copies == 0:
        return X, y
    rng = np.random.default_rng(seed)
    padded = np.pad(X, ((0, 0), (0, 0), (2, 2), (2, 2)))
    views = np.lib.stride_tricks.sliding_window_view(padded, (28, 28), axis=(2, 3))
    parts = [X]
    for _ in range(copies):
        dy, dx = rng.integers(0, 5, size=(2, len(X)))
        parts.append(views[np.arange(len(X)), :, dy, dx])
    return np.concatenate(parts), np.tile(y, copies + 1)


def dcn(activation: str, seed: int = 0) -> Sequential:
    """The 4-layer DCN; `activation` after each convolution and the first fc layer."""

    def act(axis: int = 1):
        return Softmax(axis) if activation == "softmax" else activation

    f = np.float32
    return Sequential(
        Conv2d(1, 16, 5, padding=2, seed=seed, dtype=f),
        act(),
        MaxPool2d(2),
        Conv2d(16, 32, 5, padding=2, seed=seed + 1, dtype=f),
        act(),
        MaxPool2d(2),
        Flatten(),
        Linear(32 * 7 * 7, 128, init="torch", seed=seed + 2, dtype=f),
        act(),
        Dropout(0.5, seed=seed),
        Linear(128, 10, init="torch", seed=seed + 3, dtype=f),
    )


def train(
    activation: str, train_set, test_set, epochs: int, decay: float = 1.0, seed: int = 0
) -> dict:
    net = dcn(activation, seed)
    optimizer = Adam(net.parameters(), lr=1e-3)
    start = time.perf_counter()
    history = fit(
        net,
        *train_set,
        loss="cross_entropy",
        optimizer=optimizer,
        schedule=StepDecay(optimizer, step_size=1, gamma=decay) if decay != 1.0 else None,
        epochs=epochs,
        batch_size=64,
        validation=test_set,
        seed=seed,
        progress=False,
    )
    seconds = time.perf_counter() - start
    accuracy = history["val_accuracy"][-1]
    print(
        f"DCN {activation:8s}: test accuracy {accuracy:.2%} after {epochs} epochs "
        f"(loss {history['loss'][0]:.3f} -> {history['loss'][-1]:.3f}; {seconds:.0f} s)"
    )
    return {
        "net": net,
        "history": history,
        "accuracy": accuracy,
        "seconds": seconds,
        "test_labels": test_set[1],
    }


def plot_losses(results: dict, path: Path) -> Path:
    """Training loss (solid) and test loss (dashed) per epoch for every activation."""
    from matplotlib.ticker import MaxNLocator

    from nn.plot import plain_log_labels

    plt = _pyplot()
    figure, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    for activation, r in results.items():
        h = r["history"]
        (line,) = ax.plot(h["epoch"], h["loss"], marker="o", label=f"{activation} (train)")
        ax.plot(h["epoch"], h["val_loss"], ls="--", color=line.get_color(), label="test")
        bx.plot(h["epoch"], h["val_accuracy"], marker="o", color=line.get_color(),
                label=f"{activation}: {r['accuracy']:.2%}")  # fmt: skip
    ax.set(xlabel="epoch", ylabel="cross-entropy", yscale="log", title="loss per epoch")
    n = len(next(iter(results.values()))["test_labels"])
    bx.set(xlabel="epoch", ylabel="test accuracy", title=f"accuracy on the {n:,} test images")
    plain_log_labels(ax)  # 0.5, 2 rather than 5×10⁻¹, 2×10⁰
    for a in (ax, bx):
        a.xaxis.set_major_locator(MaxNLocator(integer=True))
        a.grid(alpha=0.3)
        a.legend(fontsize=8)
    figure.suptitle("4-layer DCN (conv-pool-conv-pool-fc-fc) on MNIST")
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def draw_graphs(
    net: Sequential, images: np.ndarray, labels: np.ndarray, out: Path, suffix: str = ".png"
) -> dict:
    """The main graph folded by module, one box per layer saying what it is, its output shape and
    its parameter count (TensorBoard's main graph), and the auxiliary nodes after one backward
    pass: the loss, the L2 regulariser folded into one box fed by every parameter, and each
    parameter's gradient norm (the gradient flow), clustered with its layer.

    Both are drawn in training mode, the graph backpropagation runs through: dropout's mask is
    then inside the dropout layer's box (in eval mode dropout is the identity, so its layer
    would make no node and have no box). The network's mode is restored afterwards. `suffix`
    picks the format (".svg", ".pdf": see `save_graph`)."""
    training = net.training
    net.train()
    try:
        return _graph_pictures(net, images, labels, out, suffix)
    finally:
        net.zero_grad()
        net.train(training)


def _graph_pictures(net: Sequential, images, labels, out: Path, suffix: str) -> dict:
    describe = net.descriptions()  # layer0 -> "Conv2d(1→16, 5×5, pad 2)", ...
    x = Tensor(images, requires_grad=False, label="images")
    logits = net(x)
    main = save_graph(
        logits,
        out / f"graph_main{suffix}",
        collapse=1,
        rankdir="TB",
        show_grad=False,
        describe=describe,
        dpi=GRAPH_DPI,
    )
    loss = losses.cross_entropy(logits, labels)
    loss.label = "cross-entropy"
    parameters = net.parameters()
    reg = losses.l2(parameters, L2)
    reg.label = "L2"  # described below: one box, its sums and products folded inside
    describe["L2"] = f"{_scientific(L2)} × Σ p² over the {len(parameters)} parameters"
    total = loss + reg
    total.label = "loss"
    net.zero_grad()
    total.backward()
    auxiliary = save_graph(
        total,
        out / f"graph_auxiliary{suffix}",
        collapse=1,
        rankdir="TB",
        color_by_grad=True,
        fold_parameters=False,
        describe=describe,
        dpi=GRAPH_DPI,
    )
    return {"main": main, "auxiliary": auxiliary}


def tsne_of_fc_weights(net: Sequential, path: Path, seed: int = 0) -> Path | None:
    """t-SNE of the first fc layer's neurons (columns of its W, 1,568 weights each), coloured by
    the class their outgoing weights favour; None without scikit-learn."""
    try:
        from sklearn.manifold import TSNE
    except ImportError:
        print("t-SNE skipped: pip install scikit-learn (the `examples` extra)")
        return None
    fc, head = [m for m in net.layers if isinstance(m, Linear)]
    neurons = fc.W.data.T.astype(np.float64)  # (128, 1568)
    favours = head.W.data.argmax(axis=1)  # (128,): the class each neuron pushes up most
    points = TSNE(n_components=2, perplexity=20, random_state=seed, init="pca").fit_transform(
        neurons
    )
    plt = _pyplot()
    figure, ax = plt.subplots(figsize=(6.5, 5.5), layout="constrained")
    scatter = ax.scatter(points[:, 0], points[:, 1], c=favours, cmap="tab10", vmin=-0.5, vmax=9.5)
    figure.colorbar(scatter, ax=ax, ticks=range(10), label="class its output weights favour")
    ax.set(
        title="t-SNE of fc1's 128 neurons (1,568 input weights each)",
        xticks=[],
        yticks=[],
    )
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def _scientific(x: float) -> str:
    return np.format_float_scientific(x, trim="-", exp_digits=1)  # 1e-4


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED if SHARED.exists() else Path("data"))
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument(
        "--other-epochs",
        type=int,
        default=None,
        help="epochs of the tanh, sigmoid and softmax networks (default: --epochs)",
    )
    parser.add_argument("--out", type=Path, default=Path("out/mnist_cnn"))
    parser.add_argument("--quick", action="store_true", help="a 2,000-image subset, 2 epochs")
    parser.add_argument("--augment", type=int, default=AUGMENT, help="shifted copies per image")
    parser.add_argument("--decay", type=float, default=DECAY, help="lr factor per epoch")
    parser.add_argument("--activations", nargs="+", default=list(ACTIVATIONS), choices=ACTIVATIONS)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    train_set, test_set = mnist_images(args.data)
    epochs = args.epochs
    if args.quick:
        train_set = (train_set[0][:2000], train_set[1][:2000])
        test_set = (test_set[0][:500], test_set[1][:500])
        epochs = 2
    print(f"MNIST: {len(train_set[0])} training and {len(test_set[0])} test images")
    train_set = shifted_copies(*train_set, 0 if args.quick else args.augment)
    results = {"relu": train("relu", train_set, test_set, epochs, args.decay)}
    relu = results["relu"]["net"]
    paths = draw_graphs(relu, test_set[0][:8], test_set[1][:8], args.out)
    paths["tsne"] = tsne_of_fc_weights(relu, args.out / "tsne_fc1.png")
    others = epochs if args.other_epochs is None or args.quick else args.other_epochs
    for activation in [a for a in args.activations if a != "relu"]:
        results[activation] = train(activation, train_set, test_set, others, args.decay)
    paths["losses"] = plot_losses(results, args.out / "losses.png")
    for path in paths.values():
        if path is not None:
            print(f"wrote {path}")
    return {"results": results, "paths": paths}


if __name__ == "__main__":
    main()
