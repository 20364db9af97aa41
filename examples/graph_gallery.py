"""A gallery of computation graphs: an expression, a neuron, a folded MLP, gradient colours.

    .venv/bin/python examples/graph_gallery.py              # writes out/gallery/*.svg and *.png
    .venv/bin/python examples/graph_gallery.py --quick      # SVG only

Each picture shows every Value as a box (name, data, grad) and every op as a small oval between
its inputs and its output; parameters, inputs, constants and intermediates have their own colours.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from autograd import Value, save_graph
from nn import MLP, Neuron, losses


def expression() -> Value:
    """L = (a*b + c) * f, the classic first example: every gradient by hand is a good exercise."""
    a, b, c, f = Value(2.0, "a"), Value(-3.0, "b"), Value(10.0, "c"), Value(-2.0, "f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    L.backward()
    return L


def neuron() -> Value:
    """One tanh neuron on two inputs: o = tanh(w0 x0 + w1 x1 + b)."""
    n = Neuron(2, "tanh", seed=0)
    n.w[0].data, n.w[1].data, n.b.data = -3.0, 1.0, 6.8813735870195432
    o = n([Value(2.0, "x0"), Value(0.0, "x1")])
    o.backward()
    return o


def mlp_loss() -> tuple[Value, Value]:
    """The squared error of MLP(2, [16, 16, 1]) on one sample: about 1,000 nodes."""
    model = MLP(2, [16, 16, 1], seed=0)
    loss = losses.mse(model([Value(0.5, "x0"), Value(-1.0, "x1")]), 1.0)
    loss.label = "loss"
    loss.backward()
    return loss, model.layers[0].neurons[3].w[1]


def small_net() -> tuple[Value, Value]:
    """A 2-2-1 tanh network's loss, to colour by gradient and trace one weight's paths."""
    model = MLP(2, [2, 1], activation="tanh", seed=3)
    loss = losses.mse(model([Value(1.0, "x0"), Value(-2.0, "x1")]), 0.5)
    loss.label = "loss"
    loss.backward()
    return loss, model.layers[0].neurons[1].w[0]


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/gallery", help="output folder")
    parser.add_argument("--quick", action="store_true", help="SVG only")
    args = parser.parse_args(argv)
    out = Path(args.out)
    formats = (".svg",) if args.quick else (".svg", ".png")
    mlp, weight = mlp_loss()
    net, w = small_net()
    pictures = {
        "expression": (expression(), {}),
        "neuron": (neuron(), {}),
        "mlp_folded": (mlp, {"collapse": "neuron", "highlight": weight}),
        "gradients": (net, {"color_by_grad": True, "highlight": w}),
    }
    written = []
    for name, (root, options) in pictures.items():
        for suffix in formats:
            written.append(save_graph(root, out / f"{name}{suffix}", **options))
    for path in written:
        print(f"wrote {path}")
    return written


if __name__ == "__main__":
    main()
