"""Train micrograd's moons classifier with the compiled replay: trace once, then numpy batches.

    .venv/bin/python examples/compiled_training.py            # 100 steps, both ways, timed
    .venv/bin/python examples/compiled_training.py --quick    # 5 steps
    .venv/bin/python examples/compiled_training.py --out out/compiled_training  # loss.png there

The per-sample loss, hinge + L2, is traced once on Values with the model's own parameters as
inputs. Each step then replays it on the whole batch (the inputs and labels are per-sample
arrays, the parameters shared numbers whose gradient is summed over the batch) and applies SGD
with the demo's schedule, the learning rate decaying linearly from 1.0 to 0.1 over 100 steps;
it ends at the demo's loss (about 0.013).
The same run with the interpreted engine (`nn.train_step`) follows, from the same weights: the
losses agree to rounding, the compiled steps are many times faster.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from autograd.compile import trace
from nn import MLP, SGD, LinearDecay, losses, make_moons
from nn.plot import plot_history
from nn.train import train_step

ALPHA, LR, FINAL_LR, DEMO_STEPS = 1e-4, 1.0, 0.1, 100  # the demo's recipe


def schedule(optimizer) -> LinearDecay:
    """lr 1.0 at step 0 down to 0.1 at step 100, as the demo (and micrograd's notebook)."""
    return LinearDecay(optimizer, start_factor=1.0, end_factor=FINAL_LR, total_steps=DEMO_STEPS)


def train(steps: int = 100, compare: int | None = None) -> dict[str, list[float]]:
    """`steps` compiled steps, then the first `compare` (default: all) with the interpreter."""
    X, y = make_moons(100, noise=0.1, seed=0)
    y = 2.0 * y - 1.0
    model = MLP(2, [16, 16, 1], seed=0)
    params = model.parameters()

    def sample_loss(params, x, label):
        return (1.0 - label * model(x)).relu() + losses.l2(params, ALPHA)

    start = time.perf_counter()
    compiled = trace(sample_loss, params, [0.0, 0.0], 1.0)
    print(f"traced {compiled}: {time.perf_counter() - start:.3f} s")

    weights = [p.data for p in params]  # the compiled run keeps its parameters as floats
    history: dict[str, list[float]] = {"compiled": [], "interpreted": [], "lr": []}
    lr_schedule = schedule(SGD(params, lr=LR))  # only its learning rates: weights are floats here
    start = time.perf_counter()
    for k in range(steps):
        lr = lr_schedule.lr_at(k)
        values, (grads, _, _) = compiled.value_and_grad(
            weights,
            list(X.T),
            y,
            gradient=1.0 / len(X),  # the mean over the batch
        )
        weights = [w - lr * g for w, g in zip(weights, grads)]
        history["compiled"].append(float(values.mean()))
        history["lr"].append(lr)
    compiled_seconds = time.perf_counter() - start

    optimizer = SGD(params, lr=LR)  # the interpreted engine, from the same initial weights
    decay = schedule(optimizer)
    compare = steps if compare is None else min(compare, steps)
    start = time.perf_counter()
    for _ in range(compare):
        loss, _ = train_step(model, X, y, losses.hinge, optimizer, l2=ALPHA)
        decay.step()
        history["interpreted"].append(loss.data)
    interpreted_seconds = time.perf_counter() - start

    gap = max(abs(a - b) for a, b in zip(history["compiled"], history["interpreted"]))
    final = np.array(weights) - np.array([p.data for p in params]) if compare == steps else None
    print(f"loss {history['compiled'][0]:.4f} -> {history['compiled'][-1]:.4f} in {steps} steps")
    print(f"compiled:    {compiled_seconds / steps * 1e3:7.2f} ms per step")
    print(f"interpreted: {interpreted_seconds / compare * 1e3:7.2f} ms per step")
    print(f"largest loss difference {gap:.1e} over the first {compare} steps")
    if final is not None:
        print(f"final weights differ by {abs(final).max():.1e}")
    return history


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 steps only")
    parser.add_argument("--steps", type=int, default=None, help="steps (default 100)")
    parser.add_argument("--compare", type=int, help="interpreted steps to compare (default all)")
    parser.add_argument("--out", default="out/compiled_training", help="output folder")
    args = parser.parse_args(argv)
    history = train(args.steps or (5 if args.quick else 100), args.compare)
    written = []
    path = Path(args.out) / "loss.png"
    try:
        title = "compiled replay: hinge + L2 loss, the demo's recipe"
        plot_history({"loss": history["compiled"]}, path=path, title=title)
        written.append(path)
        print(f"wrote {path}")
    except ImportError as exc:
        print(f"note: {exc}")
    return {**history, "written": written}


if __name__ == "__main__":
    main()
