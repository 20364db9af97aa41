"""Two moons, nine networks: activations, width, depth and L2 regularisation side by side.

    .venv/bin/python examples/moons_architectures.py            # 100 points, 100 epochs (~1 min)
    .venv/bin/python examples/moons_architectures.py --quick    # 24 points, 8 epochs, coarse grid

Row 1: one hidden layer of 3 units with tanh, sigmoid and relu. Row 2: 100 tanh units, then the
deeper 3-3-3 and 10-6-4-3-3 tanh nets. Row 3: the same three with L2 regularisation (`--l2` times
the sum of squared parameters added to the loss). Every net has one linear output trained on the
binary cross-entropy with logits by full-batch Adam. All decision boundaries go into one figure,
`boundaries.png`, each titled with its architecture and its training and test accuracy.

The scalar engine builds one graph node per multiply and add, so the 100-unit net costs about
800 nodes per sample; the full run keeps the data small (100 training points) to stay near a
minute.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from nn import MLP, Adam, accuracy, fit, make_moons, plot_decision_boundary, predict

# (hidden layer sizes, activation, L2 on?) in the order of the figure's panels.
ARCHITECTURES = [
    ([3], "tanh", False),
    ([3], "sigmoid", False),
    ([3], "relu", False),
    ([100], "tanh", False),
    ([3, 3, 3], "tanh", False),
    ([10, 6, 4, 3, 3], "tanh", False),
    ([100], "tanh", True),
    ([3, 3, 3], "tanh", True),
    ([10, 6, 4, 3, 3], "tanh", True),
]


def name(hidden: list[int], activation: str, regularised: bool) -> str:
    """`2-3-3-3-1 tanh + L2`: the layer sizes from input to output."""
    sizes = "-".join(str(n) for n in [2, *hidden, 1])
    return f"{sizes} {activation}" + (" + L2" if regularised else "")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/moons_architectures", help="output folder")
    parser.add_argument("--quick", action="store_true", help="a tiny, fast run (for tests)")
    parser.add_argument("--samples", type=int, help="training points (as many test points)")
    parser.add_argument("--epochs", type=int, help="epochs of full-batch Adam")
    parser.add_argument("--lr", type=float, default=0.05, help="Adam's learning rate")
    parser.add_argument("--l2", type=float, default=1e-3, help="L2 strength where it is on")
    parser.add_argument("--seed", type=int, default=0, help="seed of data and weights")
    args = parser.parse_args(argv)
    out = Path(args.out)
    samples = args.samples or (24 if args.quick else 100)
    epochs = args.epochs or (8 if args.quick else 100)
    resolution = 12 if args.quick else 60

    X, y = make_moons(samples, noise=0.25, seed=args.seed)
    X_test, y_test = make_moons(samples, noise=0.25, seed=args.seed + 1)
    print(
        f"two moons: {samples} training and {samples} test points; full-batch Adam, "
        f"lr {args.lr}, {epochs} epochs; L2 strength {args.l2} where marked"
    )
    print(f"{'architecture':28s} {'train':>7s} {'test':>7s} {'loss':>8s} {'seconds':>8s}")

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(13.5, 12.5))
    FigureCanvasAgg(figure)
    axes = figure.subplots(3, 3).ravel()
    results = {}
    for ax, (hidden, activation, regularised) in zip(axes, ARCHITECTURES):
        label = name(hidden, activation, regularised)
        start = time.perf_counter()
        model = MLP(2, [*hidden, 1], activation=activation, init="xavier", seed=args.seed)
        history = fit(
            model,
            X,
            y,
            loss="bce_with_logits",
            optimizer=Adam(model.parameters(), lr=args.lr),
            epochs=epochs,
            l2=args.l2 if regularised else 0.0,
            metrics=(),
            progress=False,
            seed=args.seed,
        )
        train = accuracy(predict(model, X), y)
        test = accuracy(predict(model, X_test), y_test)
        plot_decision_boundary(
            lambda grid, model=model: predict(model, grid),
            X,
            y,
            ax=ax,
            resolution=resolution,
            title=f"{label}\ntrain {train:.0%}, test {test:.0%}",
        )
        seconds = time.perf_counter() - start
        results[label] = {"train": train, "test": test, "loss": history["loss"]}
        print(f"{label:28s} {train:7.1%} {test:7.1%} {history['loss'][-1]:8.4f} {seconds:8.1f}")
    for ax in axes[1:]:
        ax.get_legend().remove()  # one legend (on the first panel) is enough
    for ax in axes:
        if ax not in axes[6:]:
            ax.set_xlabel("")
        if ax not in axes[::3]:
            ax.set_ylabel("")
    figure.suptitle(
        f"Two moons ({samples} training points, noise 0.25): decision boundaries after "
        f"{epochs} epochs; bottom row with L2 = {args.l2}",
        fontsize=13,
    )
    figure.tight_layout()
    written = [out / "boundaries.png"]
    out.mkdir(parents=True, exist_ok=True)
    figure.savefig(written[0], dpi=100)
    for path in written:
        print(f"wrote {path}")
    return {"results": results, "written": written}


if __name__ == "__main__":
    main()
