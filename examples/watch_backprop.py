"""Watch backprop happen: step-through pages and animations of a neuron, a reused node and a
network folded by neuron.

    .venv/bin/python examples/watch_backprop.py             # writes out/steps/*.html, .gif, .mp4
    .venv/bin/python examples/watch_backprop.py --quick     # the pages only

Open a page in a browser: Next / Prev, Play, the slider or the arrow keys walk through the
forward pass (values filling in) and the backward pass (each edge's chain-rule product added into
its parent). `neuron.gif` is the animation at the top of README.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from autograd import Value, save_steps
from nn import MLP


def neuron() -> Value:
    """y = tanh(x*w + b) at x = 2, w = -0.5, b = 0.5."""
    x, w, b = Value(2.0, "x"), Value(-0.5, "w"), Value(0.5, "b")
    y = (x * w + b).tanh()
    y.label = "y"
    return y


def reuse() -> Value:
    """c = (a + a) * a: a's gradient collects three contributions, 6 + 3 + 3 = 12."""
    a = Value(3.0, "a")
    c = (a + a) * a
    c.label = "c"
    return c


def network() -> Value:
    """One forward pass of micrograd's MLP(2, [16, 16, 1]): 708 nodes, 35 neurons."""
    model = MLP(2, [16, 16, 1], seed=0)
    return model([Value(0.5, "x0"), Value(-1.0, "x1")])


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/steps", help="output folder (default out/steps)")
    parser.add_argument("--quick", action="store_true", help="the HTML pages only")
    args = parser.parse_args(argv)
    out = Path(args.out)
    written = [
        save_steps(neuron(), out / "neuron.html"),
        save_steps(reuse(), out / "reuse.html"),
        save_steps(network(), out / "mlp_by_neuron.html", collapse="neuron"),
        save_steps(network(), out / "mlp_by_layer.html", collapse="layer"),
    ]
    if not args.quick:
        written.append(save_steps(neuron(), out / "neuron.gif"))
        try:
            written.append(save_steps(neuron(), out / "neuron.mp4"))
        except ImportError as exc:  # no video encoder installed: the GIF is enough
            print(f"note: {exc}")
    for path in written:
        print(f"wrote {path}")
    return written


if __name__ == "__main__":
    main()
