"""Side-by-side benchmarks of backprop-lab and micrograd, in one process, on the same inputs.

    .venv/bin/python -m benchmarks.run                  # table, and JSON in benchmarks/results.json
    .venv/bin/python -m benchmarks.run --quick          # a small smoke run (seconds)
    .venv/bin/python -m benchmarks.run --json           # print the JSON instead of the table
    .venv/bin/python -m benchmarks.run --output out.json
    .venv/bin/python -m benchmarks.run --scalar-only    # without the tensor benchmarks

The tensor path is measured against PyTorch as well: an MLP (`benchmarks/tensor.py`) and LeNet-5
(`benchmarks/lenet.py`), each also runnable alone.

Times are CPU time of this process (`time.process_time`), so other load on the machine does not
count. Every figure is a median over repeats; every ratio is micrograd's figure over ours (how many
times faster, smaller or deeper we are), so > 1 means backprop-lab wins. micrograd comes from the
`bench` extra (`pip install -e .[bench]`).

- forward: ns per op node building a chain x = x * b + c (two op nodes a step), with the cyclic
  garbage collector off and then on (both libraries alike).
- backward: ns per node of `backward()` on a wide graph, the pairwise sum of products x_i y_i,
  counting every Value of the graph (the 2n leaves receive gradients too, the 2n - 1 op nodes
  are walked); collector off for both: the graph is built beforehand.
- training step: micrograd's demo, MLP(2, [16, 16, 1]) on two moons, hinge loss + 1e-4 L2, SGD,
  the same data and the same initial weights (ours copied into micrograd's MLP); forward, loss,
  zero_grad, backward and update, one full batch a step. Each library runs the collector as it
  naturally does: micrograd with it on; ours as `nn.fit` runs it, paused (our graphs have no
  reference cycles, reference counting frees them). Ours with the collector on is shown too.
  The compiled row replays the traced per-sample loss on the whole batch with numpy
  (`autograd.compile.trace`, parameters as shared inputs). The micrograd-style row runs
  micrograd's own step code on our library (Value inputs, `sum()`, collector on, no `fit`).
- memory: bytes per op node of the x * b + c chain, by tracemalloc.
- deepest chain: the longest chain y = y * one whose backward completes at the default
  recursion limit (micrograd's recursive topological sort: found by search).
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from importlib import metadata
from pathlib import Path

import numpy as np

import autograd
from autograd.compile import trace
from nn import MLP, SGD, losses, make_moons
from nn.train import train_step

DEFAULT_OUTPUT = Path(__file__).with_name("results.json")
# CPU time of this process: what the code costs, whatever else the machine is running.
_clock = time.process_time

FULL = {
    "chain_steps": 100_000,
    "wide_products": 100_000,
    "repeats": 5,
    "samples": 100,
    "micrograd_steps": 7,
    "our_steps": 21,
    "memory_steps": 50_000,
    "deep_chain": 1_000_000,
}
QUICK = {
    "chain_steps": 2_000,
    "wide_products": 2_000,
    "repeats": 2,
    "samples": 10,
    "micrograd_steps": 2,
    "our_steps": 2,
    "memory_steps": 2_000,
    "deep_chain": 20_000,
}
ALPHA = 1e-4  # micrograd's demo: L2 weight
LR = 0.05


# -------------------------------------------------------------------- the machine


def machine() -> dict:
    """CPU, cores, Python and library versions, and the date: what the figures depend on."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "torch": _version("torch"),
        "micrograd": _version("micrograd"),
        "backprop-lab": _version("backprop-lab"),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


# -------------------------------------------------------------------- micro benchmarks


class _Collector:
    """Run a block with the cyclic garbage collector on or off, restoring its state after."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __enter__(self):
        self.was = gc.isenabled()
        gc.collect()
        (gc.enable if self.enabled else gc.disable)()

    def __exit__(self, *exc):
        (gc.enable if self.was else gc.disable)()


def forward_ns(Value, steps: int, collector: bool) -> float:
    """ns per op node to build x = x * b + c, `steps` times (2 op nodes a step)."""
    b, c = Value(1.0000001), Value(1e-9)
    x = Value(0.5)
    with _Collector(collector):
        start = _clock()
        for _ in range(steps):
            x = x * b + c
        seconds = _clock() - start
        del x  # freed outside the timing
    return seconds / (2 * steps) * 1e9


def wide_graph(Value, n: int):
    """The pairwise sum of n products x_i * y_i: n + (n - 1) op nodes, depth about log2 n."""
    level = [Value(float(i % 7) - 3.0) * Value(0.5 + i % 3) for i in range(n)]
    while len(level) > 1:
        pairs = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
        level = pairs + level[-1:] if len(level) % 2 else pairs
    return level[0]


def backward_ns(Value, n: int) -> float:
    """ns per node of one backward() over `wide_graph(n)`: its 4n - 1 Values, the 2n leaves
    (which receive gradients too) and the 2n - 1 op nodes (collector off, built beforehand)."""
    root = wide_graph(Value, n)
    with _Collector(False):
        start = _clock()
        root.backward()
        seconds = _clock() - start
        del root
    return seconds / (4 * n - 1) * 1e9


def bytes_per_node(Value, steps: int) -> float:
    """Traced bytes per op node of the x * b + c chain."""
    with _Collector(False):
        b, c = Value(1.0000001), Value(1e-9)
        x = Value(0.5)
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(steps):
            x = x * b + c
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del x
    return (after - before) / (2 * steps)


def chain_survives(Value, depth: int) -> bool:
    """Whether backward() completes on a chain `depth` multiplications deep (and is right)."""
    x, one = Value(1.0), Value(1.0)
    y = x
    for _ in range(depth):
        y = y * one
    try:
        y.backward()
    except RecursionError:
        return False
    finally:
        del y
    return x.grad == 1.0


def deepest_chain(Value, cap: int) -> int:
    """The deepest chain backward survives, up to `cap`: doubling, then bisection."""
    if chain_survives(Value, cap):
        return cap
    good, bad = 0, 1
    while chain_survives(Value, bad):
        good, bad = bad, min(2 * bad, cap)
    while bad - good > 1:
        mid = (good + bad) // 2
        good, bad = (mid, bad) if chain_survives(Value, mid) else (good, mid)
    return good


# -------------------------------------------------------------------- the demo training step


def demo(samples: int):
    """Two moons with labels -1/+1 and micrograd's network, seeded."""
    X, y = make_moons(samples, noise=0.1, seed=0)
    return X, (2.0 * y - 1.0), MLP(2, [16, 16, 1], seed=0)


def micrograd_model(weights: list[float]):
    """micrograd's MLP(2, [16, 16, 1]) holding `weights` (ours, in the same order)."""
    from micrograd.nn import MLP as MicrogradMLP

    model = MicrogradMLP(2, [16, 16, 1])
    params = model.parameters()
    assert len(params) == len(weights)
    for p, w in zip(params, weights):
        p.data = w
    return model


def micrograd_step(model, X, y) -> float:
    """One step of micrograd's demo, as its notebook writes it (accuracy left out)."""
    from micrograd.engine import Value as MicrogradValue

    return hinge_step_by_hand(model, X, y, MicrogradValue)


def micrograd_style_step(model, X, y) -> float:
    """The same step written as a micrograd user writes it, on our library: inputs wrapped as
    Value, Python's sum() over the losses, zero_grad, backward, the update by hand; no `fit`.
    Run with the collector on, as such a script runs."""
    return hinge_step_by_hand(model, X, y, autograd.Value)


def hinge_step_by_hand(model, X, y, Value) -> float:
    """micrograd's demo step with `Value` as the scalar type: hinge loss + L2, SGD by hand."""
    inputs = [[Value(x) for x in row] for row in X.tolist()]
    scores = [model(x) for x in inputs]
    data_losses = [(1 + -yi * si).relu() for yi, si in zip(y.tolist(), scores)]
    data_loss = sum(data_losses) * (1.0 / len(data_losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= LR * p.grad
    return total.data


def compiled_trainer(model, n: int):
    """The per-sample loss, traced once; a step replays it on the whole batch with numpy."""
    params = model.parameters()

    def sample_loss(params, x, label):
        # hinge + L2: the mean over the batch is micrograd's total loss (the L2 term, shared by
        # every sample, is computed once per batch)
        return (1.0 - label * model(x)).relu() + losses.l2(params, ALPHA)

    compiled = trace(sample_loss, params, [0.0, 0.0], 1.0)
    weights = [p.data for p in params]
    compiled.value_and_grad(weights, [np.zeros(n), np.zeros(n)], np.ones(n))  # generate the code

    def step(X, y) -> float:
        values, (grads, _, _) = compiled.value_and_grad(weights, list(X.T), y, gradient=1.0 / n)
        for i, g in enumerate(grads):
            weights[i] -= LR * g
        return float(values.mean())

    return compiled, step


def training_steps(config: dict) -> dict:
    """Median ms per step of each contender, each running its own training loop in turn.

    Each loop runs as its library naturally would: consecutive steps, the collector set once for
    the whole loop (micrograd: on; ours: paused like `fit`, then on). Freeing a step's graph
    counts inside the step (only the loss's float leaves it), as it does in `fit`.
    """
    X, y, ours = demo(config["samples"])
    weights = [p.data for p in ours.parameters()]
    ours_gc_on = demo(config["samples"])[2]
    ours_by_hand = demo(config["samples"])[2]
    compiled, compiled_step = compiled_trainer(demo(config["samples"])[2], len(X))
    mg = micrograd_model(weights)
    opt = SGD(ours.parameters(), lr=LR)
    opt_gc_on = SGD(ours_gc_on.parameters(), lr=LR)
    hinge = losses.hinge
    contenders = {
        "micrograd": (True, config["micrograd_steps"], lambda: micrograd_step(mg, X, y)),
        "ours": (
            False,
            config["our_steps"],
            lambda: train_step(ours, X, y, hinge, opt, ALPHA)[0].data,
        ),
        "ours_gc_on": (
            True,
            config["our_steps"],
            lambda: train_step(ours_gc_on, X, y, hinge, opt_gc_on, ALPHA)[0].data,
        ),
        "compiled": (False, config["our_steps"], lambda: compiled_step(X, y)),
        "micrograd_style": (
            True,
            config["our_steps"],
            lambda: micrograd_style_step(ours_by_hand, X, y),
        ),
    }
    times: dict[str, list] = {name: [] for name in contenders}
    trajectory: dict[str, list] = {name: [] for name in contenders}
    for name, (collector, n_steps, step) in contenders.items():
        with _Collector(collector):
            for _ in range(n_steps):
                start = _clock()
                trajectory[name].append(step())
                times[name].append(_clock() - start)
    steps = len(trajectory["micrograd"])
    return {
        "ms": {name: statistics.median(ts) * 1e3 for name, ts in times.items()},
        "nodes": compiled.n_nodes,
        "max_loss_difference": {
            "ours_vs_micrograd": max(
                abs(a - b) for a, b in zip(trajectory["ours"][:steps], trajectory["micrograd"])
            ),
            "compiled_vs_ours": max(
                abs(a - b) for a, b in zip(trajectory["compiled"], trajectory["ours"])
            ),
            "micrograd_style_vs_ours": max(
                abs(a - b) for a, b in zip(trajectory["micrograd_style"], trajectory["ours"])
            ),
        },
        "steps": {"micrograd": steps, "ours": len(trajectory["ours"])},
    }


# -------------------------------------------------------------------- the suite


def _median(fn, repeats: int) -> float:
    return statistics.median(fn() for _ in range(repeats))


def _row(name: str, unit: str, ours: float, theirs: float, note: str, bigger_is_better=False):
    ratio = ours / theirs if bigger_is_better else theirs / ours
    return {
        "name": name,
        "unit": unit,
        "backprop_lab": ours,
        "micrograd": theirs,
        "ratio": ratio,
        "note": note,
    }


def run(config: dict, quick: bool = False) -> dict:
    from micrograd.engine import Value as MicrogradValue

    ours, theirs = autograd.Value, MicrogradValue
    r, steps, wide = config["repeats"], config["chain_steps"], config["wide_products"]
    rows = {}
    for on in (False, True):
        key = "forward_gc_on" if on else "forward"
        rows[key] = _row(
            f"forward, x*b + c chain ({2 * steps:,} nodes), collector {'on' if on else 'off'}",
            "ns/node",
            _median(lambda on=on: forward_ns(ours, steps, on), r),
            _median(lambda on=on: forward_ns(theirs, steps, on), r),
            "both libraries with the collector " + ("on" if on else "off"),
        )
    rows["backward"] = _row(
        f"backward, pairwise sum of {wide:,} products ({4 * wide - 1:,} nodes: "
        f"{2 * wide:,} leaves, {2 * wide - 1:,} ops)",
        "ns/node",
        _median(lambda: backward_ns(ours, wide), r),
        _median(lambda: backward_ns(theirs, wide), r),
        "both with the collector off",
    )
    demo_result = training_steps(config)
    ms = demo_result["ms"]
    label = f"training step, MLP(2, [16, 16, 1]), {config['samples']} moons, hinge + L2"
    rows["training_step"] = _row(
        label,
        "ms",
        ms["ours"],
        ms["micrograd"],
        "ours as nn.fit runs it (collector paused); micrograd as it runs (collector on)",
    )
    rows["training_step_gc_on"] = _row(
        label + ", ours with the collector on",
        "ms",
        ms["ours_gc_on"],
        ms["micrograd"],
        "both with the collector on",
    )
    rows["training_step_micrograd_style"] = _row(
        label + ", ours in micrograd's own loop (Value inputs, sum(), collector on, no fit)",
        "ms",
        ms["micrograd_style"],
        ms["micrograd"],
        "both with the collector on, the same code on each library",
    )
    rows["training_step_compiled"] = _row(
        label + ", ours compiled (numpy batch)",
        "ms",
        ms["compiled"],
        ms["micrograd"],
        f"autograd.compile.trace of the per-sample loss ({demo_result['nodes']} nodes), "
        "parameters shared",
    )
    rows["memory"] = _row(
        "memory, x*b + c chain",
        "bytes/node",
        bytes_per_node(ours, config["memory_steps"]),
        bytes_per_node(theirs, config["memory_steps"]),
        "tracemalloc",
    )
    limit = sys.getrecursionlimit()
    rows["deepest_chain"] = _row(
        f"deepest chain backward survives (recursion limit {limit})",
        "nodes",
        deepest_chain(ours, config["deep_chain"]),
        deepest_chain(theirs, config["deep_chain"]),
        f"searched up to {config['deep_chain']:,}",
        bigger_is_better=True,
    )
    return {
        "machine": machine(),
        "quick": quick,
        "config": config,
        "benchmarks": rows,
        "training": demo_result,
    }


def table(result: dict) -> str:
    """The results as a Markdown table, with the machine underneath."""
    lines = [
        "| benchmark | backprop-lab | micrograd | ratio |",
        "|---|---:|---:|---:|",
    ]
    for row in result["benchmarks"].values():
        unit = row["unit"]
        lines.append(
            f"| {row['name']} | {_fmt(row['backprop_lab'])} {unit} | "
            f"{_fmt(row['micrograd'])} {unit} | {row['ratio']:.1f}x |"
        )
    m = result["machine"]
    diff = result["training"]["max_loss_difference"]
    lines += [
        "",
        "ratio: micrograd's figure over ours (times faster, smaller or deeper).",
        "Training step: ours as nn.fit runs it, with the cyclic garbage collector paused; "
        "micrograd with it on, as it runs.",
        "Losses along the training run: ours vs micrograd differ by at most "
        f"{diff['ours_vs_micrograd']:.1e}; compiled vs ours by at most "
        f"{diff['compiled_vs_ours']:.1e}.",
        f"Machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}, numpy {m['numpy']}, "
        f"torch {m['torch']}, micrograd {m['micrograd']}; {m['date']}"
        + (" (quick run)" if result["quick"] else ""),
    ]
    return "\n".join(lines)


def _fmt(x: float) -> str:
    if x >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument("--json", action="store_true", help="print the JSON, not the table")
    parser.add_argument(
        "--scalar-only",
        action="store_true",
        help="skip the tensor benchmarks against PyTorch (benchmarks.tensor, benchmarks.lenet)",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write JSON")
    args = parser.parse_args(argv)
    result = run(QUICK if args.quick else FULL, quick=args.quick)
    if not args.scalar_only:
        from benchmarks import lenet, tensor

        n, repeats = (6_400, 1) if args.quick else (60_000, 3)
        result["tensor"] = tensor.run(n, repeats)
        result["lenet"] = lenet.run(n, 1 if args.quick else 5, lenet.numpy_threads())
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(table(result))
        if "tensor" in result:
            print("\n" + tensor.table(result["tensor"]))
            print("\n" + lenet.table(result["lenet"]))
    if not args.json:
        print(f"\nJSON written to {args.output}")
    return result


if __name__ == "__main__":
    main()
