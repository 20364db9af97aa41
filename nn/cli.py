"""The command line: `python -m nn demo` (also installed as the `backprop-lab` command)."""

from __future__ import annotations

import argparse
import sys

from autograd import Value


def demo(args: argparse.Namespace) -> int:
    """Build a small expression, backpropagate, and print every value and gradient."""
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    n = x1 * w1 + x2 * w2 + b  # a neuron's pre-activation
    o = n.tanh()
    o.label = "o"
    o.backward()
    print("o = tanh(x1*w1 + x2*w2 + b)\n")
    print(f"{'value':>6} {'data':>10} {'grad do/dvalue':>16}")
    for v in (x1, x2, w1, w2, b, o):
        print(f"{v.label:>6} {v.data:>10.4f} {v.grad:>16.4f}")
    print("\nCheck: do/dw1 = (1 - o^2) * x1 =", f"{(1 - o.data**2) * x1.data:.4f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="backprop-lab", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("demo", help="backpropagate through a small expression (default)")
    args = parser.parse_args(argv)
    return demo(args)


if __name__ == "__main__":
    sys.exit(main())
