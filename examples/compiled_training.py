"""Train micrograd's moons classifier with the compiled replay: trace once, then numpy batches.

    .venv/bin/python examples/compiled_training.py            # 100 steps, both ways, timed
    .venv/bin/python examples/compiled_training.py --quick    # 5 steps

The per-sample loss, hinge + L2, is traced once on Values with the model's own parameters as
inputs. Each step then replays it on the whole batch (the inputs and labels are per-sample
arrays, the parameters shared numbers whose gradient is summed over the batch) and applies SGD.
The same run with the interpreted engine (`nn.train_step`) follows, from the same weights: the
losses agree to rounding, the compiled steps are many times faster.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from autograd.compile import trace
from nn import MLP, SGD, losses, make_moons
from nn.train import train_step

ALPHA, LR = 1e-4, 0.05


def main(steps: int = 100) -> dict[str, list[float]]:
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
    history: dict[str, list[float]] = {"compiled": [], "interpreted": []}
    start = time.perf_counter()
    for _ in range(steps):
        values, (grads, _, _) = compiled.value_and_grad(
            weights,
            list(X.T),
            y,
            gradient=1.0 / len(X),  # the mean over the batch
        )
        weights = [w - LR * g for w, g in zip(weights, grads)]
        history["compiled"].append(float(values.mean()))
    compiled_seconds = time.perf_counter() - start

    optimizer = SGD(params, lr=LR)  # the interpreted engine, from the same initial weights
    start = time.perf_counter()
    for _ in range(steps):
        loss, _ = train_step(model, X, y, losses.hinge, optimizer, l2=ALPHA)
        history["interpreted"].append(loss.data)
    interpreted_seconds = time.perf_counter() - start

    gap = max(abs(a - b) for a, b in zip(history["compiled"], history["interpreted"]))
    final = np.array(weights) - np.array([p.data for p in params])
    print(f"loss {history['compiled'][0]:.4f} -> {history['compiled'][-1]:.4f} in {steps} steps")
    print(f"compiled:    {compiled_seconds / steps * 1e3:7.2f} ms per step")
    print(f"interpreted: {interpreted_seconds / steps * 1e3:7.2f} ms per step")
    print(f"largest loss difference {gap:.1e}, final weights differ by {abs(final).max():.1e}")
    return history


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 steps only")
    main(5 if parser.parse_args().quick else 100)
