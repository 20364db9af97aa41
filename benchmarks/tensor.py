"""The tensor path against PyTorch: one epoch of a 784-300-10 MLP, minibatch SGD, batch 64, float32,
on MNIST-shaped data, in the same process with the same number of threads.

    .venv/bin/python -m benchmarks.tensor            # 60,000 samples, as the issue states it
    .venv/bin/python -m benchmarks.tensor --quick    # 6,400 samples

Wall-clock time (both libraries use the same number of threads, so CPU time would not be fairer).
Every epoch runs in a fresh subprocess, the three contestants taking turns: in one process the
idle threads of numpy's BLAS and of PyTorch's OpenMP pool spin and slow each other down. Ours
runs as a user would: `nn.fit(model, X, y, loss="cross_entropy", batch_size=64, epochs=1)`. The
same network written by hand in numpy (forward, backward and update, no autograd) is timed too,
as the floor an autograd library can approach. Memory: traced bytes after the 20th step and after
the last, which must be flat (no graph kept alive between steps).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
import tracemalloc

import numpy as np

from nn import SGD, Linear, Sequential, fit
from nn.train import train_step

BATCH, LR = 64, 0.01


def data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, size=n)


def ours(X, y, activation: str) -> float:
    net = Sequential(
        Linear(784, 300, seed=0, dtype=np.float32),
        activation,
        Linear(300, 10, seed=1, dtype=np.float32),
    )
    start = time.perf_counter()
    fit(
        net,
        X,
        y,
        loss="cross_entropy",
        optimizer=SGD(net.parameters(), lr=LR),
        epochs=1,
        batch_size=BATCH,
        metrics=(),
        progress=False,
    )
    return time.perf_counter() - start


def torch_epoch(X, y, activation: str, order) -> float:
    import torch

    act = torch.nn.ReLU() if activation == "relu" else torch.nn.Sigmoid()
    net = torch.nn.Sequential(torch.nn.Linear(784, 300), act, torch.nn.Linear(300, 10))
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    start = time.perf_counter()
    for i in range(0, len(X), BATCH):
        idx = torch.from_numpy(order[i : i + BATCH])
        opt.zero_grad()
        loss = loss_fn(net(Xt[idx]), yt[idx])
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def numpy_epoch(X, y, activation: str, order) -> float:
    """The same network by hand: the chain rule written out with matrices."""
    rng = np.random.default_rng(0)
    W1 = rng.uniform(-0.08, 0.08, (784, 300)).astype(np.float32)
    b1 = np.zeros(300, np.float32)
    W2 = rng.uniform(-0.1, 0.1, (300, 10)).astype(np.float32)
    b2 = np.zeros(10, np.float32)
    start = time.perf_counter()
    for i in range(0, len(X), BATCH):
        idx = order[i : i + BATCH]
        x, t = X[idx], y[idx]
        z1 = x @ W1 + b1
        h = np.maximum(z1, 0) if activation == "relu" else 1 / (1 + np.exp(-z1))
        z2 = h @ W2 + b2
        p = np.exp(z2 - z2.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(t)), t] -= 1  # d loss / d z2 = (softmax - onehot) / n
        g2 = p / len(t)
        gh = g2 @ W2.T
        g1 = gh * (z1 > 0) if activation == "relu" else gh * h * (1 - h)
        W2 -= LR * (h.T @ g2)
        b2 -= LR * g2.sum(axis=0)
        W1 -= LR * (x.T @ g1)
        b1 -= LR * g1.sum(axis=0)
    return time.perf_counter() - start


def memory_growth(X, y, steps: int) -> dict:
    """Traced bytes after step 20 and after the last step of a training loop."""
    net = Sequential(
        Linear(784, 300, seed=0, dtype=np.float32),
        "relu",
        Linear(300, 10, seed=1, dtype=np.float32),
    )
    marks, _ = traced_training(net, SGD(net.parameters(), lr=LR), X, y, steps)
    return {
        "after_20": marks[20],
        f"after_{steps}": marks[steps],
        "growth_bytes": marks[steps] - marks[20],
    }


def traced_training(net, opt, X, y, steps: int) -> tuple[dict, int]:
    """Train `steps` batches of cross-entropy under tracemalloc: the traced bytes after step 20
    and after the last step (each after a full collection), and the traced peak."""
    from nn import losses

    tracemalloc.start()
    marks = {}
    for step in range(1, steps + 1):
        i = (step * BATCH) % (len(X) - BATCH)
        train_step(net, X[i : i + BATCH], y[i : i + BATCH], losses.cross_entropy, opt)
        if step in (20, steps):
            gc.collect()
            marks[step] = tracemalloc.get_traced_memory()[0]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return marks, peak


CONTESTANTS = {"backprop_lab": "ours", "torch": "torch_epoch", "numpy_by_hand": "numpy_epoch"}


def _epoch_in_subprocess(name: str, activation: str, n: int) -> float:
    """Seconds of one epoch of `name`, measured in a fresh Python process."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.tensor", "--measure", name, activation, str(n)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return float(done.stdout.strip().splitlines()[-1])


def _measure(name: str, activation: str, n: int) -> float:
    X, y = data(n)
    order = np.random.default_rng(1).permutation(n)
    fn = globals()[CONTESTANTS[name]]
    return fn(X, y, activation) if name == "backprop_lab" else fn(X, y, activation, order)


def run(n: int, repeats: int) -> dict:
    import torch

    result = {"samples": n, "batch": BATCH, "torch_threads": torch.get_num_threads(), "rows": {}}
    for activation in ("relu", "sigmoid"):
        samples = {name: [] for name in CONTESTANTS}
        for _ in range(repeats):
            for name in CONTESTANTS:
                samples[name].append(_epoch_in_subprocess(name, activation, n))
        times = {name: statistics.median(values) for name, values in samples.items()}
        times["ratio_to_torch"] = times["backprop_lab"] / times["torch"]
        times["numpy_ratio_to_torch"] = times["numpy_by_hand"] / times["torch"]
        result["rows"][activation] = times
    X, y = data(n)
    result["memory"] = memory_growth(X, y, steps=min(300, n // BATCH))
    return result


def table(result: dict) -> str:
    lines = [
        f"One epoch, 784-300-10, SGD, batch {result['batch']}, float32, {result['samples']:,} "
        f"samples, torch threads {result['torch_threads']}",
        "",
        "| activation | backprop-lab (nn.fit) | PyTorch | ours / PyTorch | numpy by hand "
        "| numpy / PyTorch |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for activation, t in result["rows"].items():
        lines.append(
            f"| {activation} | {t['backprop_lab']:.2f} s | {t['torch']:.2f} s | "
            f"{t['ratio_to_torch']:.2f}x | {t['numpy_by_hand']:.2f} s | "
            f"{t['numpy_ratio_to_torch']:.2f}x |"
        )
    m = result["memory"]
    lines.append(
        f"\nmemory: {m['after_20']:,} traced bytes after step 20, growth to the last "
        f"step {m['growth_bytes']:+,} bytes"
    )
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6,400 samples, one repeat")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument(
        "--measure",
        nargs=3,
        metavar=("WHO", "ACTIVATION", "N"),
        help="internal: time one epoch in this process and print the seconds",
    )
    args = parser.parse_args(argv)
    if args.measure:
        who, activation, n = args.measure
        print(_measure(who, activation, int(n)))
        return {}
    result = run(6_400 if args.quick else 60_000, 1 if args.quick else 3)
    print(json.dumps(result, indent=2) if args.json else table(result))
    return result


if __name__ == "__main__":
    main()
