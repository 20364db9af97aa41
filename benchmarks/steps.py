"""How fast the step-through page is built, and how big it is.

    .venv/bin/python -m benchmarks.steps            # table
    .venv/bin/python -m benchmarks.steps --json

Wall-clock time (`time.perf_counter`: Graphviz's `dot` runs in its own process), the median of
five builds, for one forward pass of MLP(2, [16, 16, 1]) folded by neuron (the issue's budget:
under 2 s and under 2 MB) and by layer, and for the neuron tanh(x*w + b). The per-step render time
in the browser is measured by tests/test_steps_browser.py, which prints it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from autograd import Value
from autograd.viz.steps import backprop_steps
from autograd.viz.steps_page import StepsPage
from nn import MLP


def _mlp():
    model = MLP(2, [16, 16, 1], seed=0)
    return model([Value(0.5, "x0"), Value(-1.0, "x1")])


def _neuron():
    x, w, b = Value(2.0, "x"), Value(-0.5, "w"), Value(0.5, "b")
    return (x * w + b).tanh()


CASES = {
    "MLP(2, [16, 16, 1]), collapse='neuron'": (_mlp, {"collapse": "neuron"}),
    "MLP(2, [16, 16, 1]), collapse='layer'": (_mlp, {"collapse": "layer"}),
    "tanh(x*w + b)": (_neuron, {}),
}


def measure(repeats: int = 5) -> list[dict]:
    rows = []
    for name, (make, options) in CASES.items():
        root = make()
        builds, models = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            backprop_steps(root)
            models.append(time.perf_counter() - start)
            start = time.perf_counter()
            page = StepsPage(root, **options)
            text = page.html
            builds.append(time.perf_counter() - start)
        rows.append(
            {
                "case": name,
                "nodes": len(page.steps.nodes),
                "frames": len(page.frames),
                "build_s": statistics.median(builds),
                "steps_model_s": statistics.median(models),
                "html_bytes": len(text.encode("utf-8")),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    rows = measure(args.repeats)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'page':<40} {'nodes':>6} {'frames':>7} {'build':>9} {'model':>9} {'size':>10}")
    for r in rows:
        print(
            f"{r['case']:<40} {r['nodes']:>6} {r['frames']:>7} {r['build_s'] * 1000:>7.0f}ms "
            f"{r['steps_model_s'] * 1000:>7.1f}ms {r['html_bytes'] / 1e6:>8.3f}MB"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
