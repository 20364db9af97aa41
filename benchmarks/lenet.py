"""LeNet-5 against PyTorch: one epoch of MNIST-shaped float32 data, batch 64, SGD with momentum,
the same number of threads for both.

    .venv/bin/python -m benchmarks.lenet              # 60,000 samples, 5 rounds, as issue 13 asks
    .venv/bin/python -m benchmarks.lenet --quick      # 6,400 samples, one repeat
    .venv/bin/python -m benchmarks.lenet --threads 1  # numpy's BLAS and torch both on 1 thread
    .venv/bin/python -m benchmarks.lenet --fixed-heap # glibc's heap thresholds fixed for both

The network: conv 6@5x5 (padding 2), relu, max-pool 2, conv 16@5x5, relu, max-pool 2, flatten,
fc 120, relu, fc 84, relu, fc 10; softmax cross-entropy. Ours runs as a user would:
`nn.fit(model, X, y, loss="cross_entropy", batch_size=64, epochs=1)` on (n, 1, 28, 28) images.

Every epoch runs in a fresh subprocess, the contestants taking turns, with OPENBLAS_NUM_THREADS /
OMP_NUM_THREADS and torch.set_num_threads set to the same count (default: numpy's BLAS threads,
which is the machine's cores): in one process the idle threads of one library's pool spin and
slow the other down. Wall-clock time. A round is one epoch of each, back to back; the ratio is
the median over rounds of each round's own ratio, so that a machine that is slower for a while
slows both sides of a round (on a shared machine an epoch's time swings by a third from one
process to the next), and the seconds are the medians. Much of that swing is glibc's heap:
its thresholds for returning freed memory to the system adapt as a process runs, and a run
whose heap keeps shrinking and growing again pays page faults on every step (seen as system
time: PyTorch's slow epochs take up to 4 s of it, its fast ones 0.3-0.7 s). `--fixed-heap`
fixes them for both contestants (MALLOC_MMAP_THRESHOLD_ 32 MiB, MALLOC_TRIM_THRESHOLD_ 512
MiB: freed memory stays in the heap). Memory: traced bytes (tracemalloc)
after step 20 and after the last step, which must be flat (no graph kept alive between steps),
the traced peak within a step, and the process's peak resident set.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

BATCH, LR, MOMENTUM = 64, 0.01, 0.9


def data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, size=n)


def lenet():
    from nn import Conv2d, Flatten, Linear, MaxPool2d, Sequential

    f = np.float32
    return Sequential(
        Conv2d(1, 6, 5, padding=2, seed=0, dtype=f),
        "relu",
        MaxPool2d(2),
        Conv2d(6, 16, 5, seed=1, dtype=f),
        "relu",
        MaxPool2d(2),
        Flatten(),
        Linear(400, 120, init="torch", seed=2, dtype=f),
        "relu",
        Linear(120, 84, init="torch", seed=3, dtype=f),
        "relu",
        Linear(84, 10, init="torch", seed=4, dtype=f),
    )


def ours(X, y) -> float:
    from nn import SGD, fit

    net = lenet()
    start = time.perf_counter()
    fit(
        net,
        X,
        y,
        loss="cross_entropy",
        optimizer=SGD(net.parameters(), lr=LR, momentum=MOMENTUM),
        epochs=1,
        batch_size=BATCH,
        metrics=(),
        progress=False,
    )
    return time.perf_counter() - start


def theirs(X, y) -> float:
    import torch

    nn = torch.nn
    net = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )
    opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    order = torch.from_numpy(np.random.default_rng(1).permutation(len(X)))
    start = time.perf_counter()
    for i in range(0, len(X), BATCH):
        idx = order[i : i + BATCH]
        opt.zero_grad()
        loss = loss_fn(net(Xt[idx]), yt[idx])
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def memory(X, y, steps: int) -> dict:
    """Traced bytes after step 20 and after the last step, the traced peak, and the peak RSS."""
    from nn import SGD

    from .tensor import traced_training

    net = lenet()
    marks, peak = traced_training(net, SGD(net.parameters(), lr=LR, momentum=MOMENTUM), X, y, steps)
    return {
        "steps": steps,
        "after_20": marks[20],
        f"after_{steps}": marks[steps],
        "growth_bytes": marks[steps] - marks[20],
        "traced_peak_bytes": peak,
        "max_rss_bytes": peak_rss_bytes(),
    }


def peak_rss_bytes() -> int:
    """This process's peak resident set: Linux's VmHWM, which starts afresh at exec. getrusage's
    ru_maxrss keeps the peak of the parent that forked this process (1.1 GB under
    benchmarks.run, whose scalar benchmarks build millions of nodes first)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def numpy_threads() -> int:
    """How many threads numpy's BLAS uses: its environment variable, else the machine's cores."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return os.cpu_count() or 1


FIXED_HEAP = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(512 << 20)}


def _in_subprocess(args: list[str], threads: int, fixed_heap: bool = False) -> str:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}
    if fixed_heap:
        env.update(FIXED_HEAP)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.lenet", "--threads", str(threads), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=1200,
        env=env,
    )
    return done.stdout.strip().splitlines()[-1]


def run(n: int, repeats: int, threads: int, fixed_heap: bool = False) -> dict:
    times: dict[str, list[float]] = {"backprop_lab": [], "torch": []}
    for _ in range(repeats):
        for name in times:
            measured = _in_subprocess(["--measure", name, str(n)], threads, fixed_heap)
            times[name].append(float(measured))
    result = {"samples": n, "batch": BATCH, "threads": threads, "repeats": repeats}
    result["fixed_heap"] = fixed_heap
    result["seconds"] = {name: statistics.median(ts) for name, ts in times.items()}
    result["all_seconds"] = times
    rounds = [ours / theirs for ours, theirs in zip(times["backprop_lab"], times["torch"])]
    result["round_ratios"] = rounds
    result["ratio_to_torch"] = statistics.median(rounds)
    steps = min(300, n // BATCH)
    memory = _in_subprocess(["--memory", str(n), str(steps)], threads, fixed_heap)
    result["memory"] = json.loads(memory)
    return result


def table(result: dict) -> str:
    s, m = result["seconds"], result["memory"]
    mib = 1024 * 1024
    return "\n".join(
        [
            f"LeNet-5, one epoch of {result['samples']:,} MNIST-shaped float32 samples, batch "
            f"{result['batch']}, SGD momentum {MOMENTUM}, {result['threads']} thread(s) each, "
            f"medians of {result['repeats']} rounds (ratio: the rounds' own ratios, "
            f"{', '.join(f'{r:.2f}' for r in result['round_ratios'])})"
            + (", glibc's heap thresholds fixed" if result["fixed_heap"] else ""),
            "",
            "| backprop-lab (nn.fit) | PyTorch | ours / PyTorch |",
            "|---:|---:|---:|",
            f"| {s['backprop_lab']:.2f} s | {s['torch']:.2f} s | {result['ratio_to_torch']:.2f}x |",
            "",
            f"memory: {m['after_20']:,} traced bytes after step 20, {m['growth_bytes']:+,} bytes "
            f"by step {m['steps']}; traced peak {m['traced_peak_bytes'] / mib:.1f} MiB, peak RSS "
            f"{m['max_rss_bytes'] / mib:.0f} MiB",
        ]
    )


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6,400 samples, one repeat")
    parser.add_argument("--threads", type=int, default=None, help="threads for both libraries")
    parser.add_argument("--repeats", type=int, default=None, help="rounds (5)")
    parser.add_argument(
        "--fixed-heap", action="store_true", help="fix glibc's heap thresholds for both"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--measure", nargs=2, metavar=("WHO", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--memory", nargs=2, metavar=("N", "STEPS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    threads = args.threads or numpy_threads()
    if args.measure or args.memory:
        import torch

        torch.set_num_threads(threads)
        if args.memory:
            X, y = data(int(args.memory[0]))
            print(json.dumps(memory(X, y, int(args.memory[1]))))
        else:
            who, n = args.measure
            print((ours if who == "backprop_lab" else theirs)(*data(int(n))))
        return {}
    repeats = args.repeats or (1 if args.quick else 5)
    result = run(6_400 if args.quick else 60_000, repeats, threads, args.fixed_heap)
    print(json.dumps(result, indent=2) if args.json else table(result))
    return result


if __name__ == "__main__":
    main()
