"""Regression with a two-layer tanh network: fit y = sin(x) and watch the fit improve per epoch.

    .venv/bin/python examples/tanh_regression.py            # 100 points, 16 tanh units, 500 epochs
    .venv/bin/python examples/tanh_regression.py --quick    # 40 points, 8 tanh units, 60 epochs

The network is y_hat = sum_j v_j tanh(w_j x + b_j) + c (`MLP(1, [H, 1], activation="tanh")`),
trained on the mean squared error by full-batch Adam. Training runs in chunks of epochs so that
the predictions can be captured after epoch 1, 10, 50 and at the end.
Writes `loss.png` (MSE per epoch) and `fit.png` (the snapshots over the data) to `--out`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from nn import MLP, Adam, fit, make_curve, plot_history, plot_regression, predict


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/tanh_regression", help="output folder")
    parser.add_argument("--quick", action="store_true", help="a small, fast run (for tests)")
    parser.add_argument("--epochs", type=int, help="epochs of full-batch training")
    parser.add_argument("--hidden", type=int, help="tanh units in the hidden layer")
    parser.add_argument("--lr", type=float, default=0.03, help="Adam's learning rate")
    parser.add_argument("--seed", type=int, default=0, help="seed of data and initial weights")
    args = parser.parse_args(argv)
    out = Path(args.out)
    samples = 40 if args.quick else 100
    hidden = args.hidden or (8 if args.quick else 16)
    epochs = args.epochs or (60 if args.quick else 500)

    X, y = make_curve(samples, "sin", noise=0.05, seed=args.seed)
    model = MLP(1, [hidden, 1], activation="tanh", init="xavier", seed=args.seed)
    optimizer = Adam(model.parameters(), lr=args.lr)

    # Train up to each snapshot epoch in turn; Adam keeps its moments between the calls.
    snapshots = sorted({e for e in (1, 10, 50) if e < epochs} | {epochs})
    history: dict[str, list] = {}
    predictions: dict[str, np.ndarray] = {}
    done = 0
    for target in snapshots:
        part = fit(
            model,
            X,
            y,
            loss="mse",
            optimizer=optimizer,
            epochs=target - done,
            metrics=(),
            progress=False,
        )
        for key, values in part.items():
            if key == "epoch":
                values = [done + e for e in values]
            history.setdefault(key, []).extend(values)
        done = target
        predictions[f"epoch {target}"] = predict(model, X)
        print(f"epoch {target:4d}: mse {history['loss'][-1]:.5f}")

    final_mse = float(np.mean((predictions[f"epoch {epochs}"] - y) ** 2))
    print(
        f"\n{hidden} tanh units, {samples} points, {epochs} epochs: mse "
        f"{history['loss'][0]:.4f} -> {final_mse:.5f}"
    )
    written = [out / "loss.png", out / "fit.png"]
    plot_history(
        {"epoch": history["epoch"], "mean squared error": history["loss"]},
        path=written[0],
        log_scale=True,
        title=f"tanh MLP(1, [{hidden}, 1]) on sin(x)",
    )
    plot_regression(
        X,
        y,
        predictions,
        path=written[1],
        title=f"tanh network with {hidden} hidden units fitting sin(x)",
    )
    for path in written:
        print(f"wrote {path}")
    return {
        "loss": history["loss"],
        "snapshots": snapshots,
        "mse": final_mse,
        "written": written,
    }


if __name__ == "__main__":
    main()
