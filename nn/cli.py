"""The command line: `python -m nn demo` (also installed as the `backprop-lab` command).

`demo` trains an MLP on a 2-D toy data set with the scalar engine (micrograd's recipe by default:
MLP(2, [16, 16, 1]), hinge loss + 1e-4 L2, SGD with a learning rate decaying from 1.0 to 0.1),
then writes the loss curve, the decision boundary, the computation graph of one sample's loss and
the trained model to an output folder. `expression` backpropagates through one small expression
and prints every value and gradient. `steps "tanh(x*w + b)" --x 2 --w -0.5 --b 0.5` writes the
step-through of that expression's forward and backward pass (.html, .gif or .mp4).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
import tempfile
from pathlib import Path

from autograd import GraphvizNotFoundError, Value, save_graph, save_steps
from autograd.expression import parse_expression, variables

from . import losses
from .checkpoint import write_atomically
from .data import standardize
from .datasets import make_circles, make_ellipse, make_moons, make_spirals
from .layers import MLP
from .optim import SGD
from .plot import plot_decision_boundary, plot_history
from .schedules import LinearDecay
from .train import accuracy, fit, predict

__all__ = ["main"]

DATASETS = ("moons", "circles", "spirals", "ellipse")


def _dataset(name: str, n: int, seed: int):
    makers = {
        "moons": lambda: make_moons(n, noise=0.1, seed=seed),
        "circles": lambda: make_circles(n, noise=0.05, seed=seed),
        "spirals": lambda: make_spirals(n, classes=2, noise=0.1, seed=seed),
        "ellipse": lambda: make_ellipse(n, seed=seed),
    }
    return makers[name]()


def demo(args: argparse.Namespace) -> int:
    """Train, then write loss curve, decision boundary, graph and checkpoint to `args.out`."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    X, y = _dataset(args.dataset, args.samples, args.seed)
    if args.dataset != "moons":
        X = standardize(X)
    labels = y * 2 - 1  # hinge loss wants labels in {-1, +1}
    model = MLP(2, [*args.layers, 1], activation=args.activation, seed=args.seed)
    optimizer = SGD(model.parameters(), lr=args.lr)
    schedule = LinearDecay(optimizer, start_factor=1.0, end_factor=0.1, total_steps=args.epochs)
    # One sample's loss as a graph, inputs to loss with the network folded per neuron. Drawn
    # before training: once trained, every sample clears the hinge margin and all its gradients
    # are 0, while here they show what the first step of backpropagation does.
    xi = [Value(float(v), f"x{j}") for j, v in enumerate(X[0])]
    sample_loss = losses.hinge(model(xi), float(labels[0]))
    sample_loss.label = "loss"
    sample_loss.backward()
    graphs = []
    for suffix in (".svg", ".png"):
        try:
            graphs.append(save_graph(sample_loss, out / f"graph{suffix}", collapse=True))
        except GraphvizNotFoundError as exc:
            print(f"note: {exc}", file=sys.stderr)
            graphs = [out / "graph.dot"]
            break
    model.zero_grad()
    if not args.quiet and importlib.util.find_spec("tqdm") is None:
        print(
            "note: no progress bar: tqdm is not installed (pip install backprop-lab[progress])",
            file=sys.stderr,
        )
    print(
        f"Training {model} on {len(X)} {args.dataset} points: hinge loss + 1e-4 L2, SGD, "
        f"lr {args.lr} -> {args.lr * 0.1:g}, {args.epochs} full-batch steps"
    )
    history = fit(
        model,
        X,
        labels,
        loss="hinge",
        l2=1e-4,
        optimizer=optimizer,
        schedule=schedule,
        epochs=args.epochs,
        progress=not args.quiet,
        seed=args.seed,
    )
    final = accuracy(predict(model, X), y)
    print(
        f"loss {history['loss'][0]:.4f} -> {history['loss'][-1]:.4f}, "
        f"training accuracy {final:.1%}, {sum(history['seconds']):.1f} s"
    )

    written = []
    try:
        plot_history(history, path=out / "loss.png")
        plot_decision_boundary(
            lambda grid: predict(model, grid),
            X,
            y,
            path=out / "boundary.png",
            title=f"{args.dataset}: decision boundary ({final:.0%} train acc.)",
        )
        written += [out / "loss.png", out / "boundary.png"]
    except ImportError as exc:  # the `plot` extra is optional
        print(f"note: no loss curve or boundary picture: {exc}", file=sys.stderr)
    written += graphs

    model.save(
        out / "model.json",
        optimizer=optimizer,
        extra={"dataset": args.dataset, "accuracy": final, "epochs": args.epochs},
    )
    written.append(out / "model.json")
    write_atomically(out / "history.json", json.dumps(history, indent=1))
    written.append(out / "history.json")
    print("Wrote (the graph: one sample's loss before training, gradients filled in):")
    for path in written:
        print(f"  {path}")
    return 0


def expression(args: argparse.Namespace) -> int:
    """Build a small expression, backpropagate, and print every value and gradient."""
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    o = (x1 * w1 + x2 * w2 + b).tanh()  # a neuron: o = tanh(x1 w1 + x2 w2 + b)
    o.label = "o"
    o.backward()
    print("o = tanh(x1*w1 + x2*w2 + b)\n")
    print(f"{'value':>6} {'data':>10} {'grad do/dvalue':>16}")
    for v in (x1, x2, w1, w2, b, o):
        print(f"{v.label:>6} {v.data:>10.4f} {v.grad:>16.4f}")
    print(f"\nCheck: do/dw1 = (1 - o^2) * x1 = {(1 - o.data**2) * x1.data:.4f}")
    return 0


def steps(args: argparse.Namespace, extra: list[str]) -> int:
    """Parse the expression (never eval), give its variables the values of `--name value`, and
    write the step-through of its backward pass to `args.out`. Bad input: one line, exit 2."""

    def fail(message: str) -> int:
        print(f"backprop-lab steps: error: {message}", file=sys.stderr)
        return 2

    values: dict[str, float] = {}
    i = 0
    while i < len(extra):
        token = extra[i]
        if not token.startswith("--") or len(token) < 3:
            return fail(f"expected --name value for a variable, got {token!r}")
        name, has_value, text = token[2:].partition("=")
        if not has_value:
            if i + 1 >= len(extra):
                return fail(f"--{name} needs a value")
            text = extra[i + 1]
            i += 1
        i += 1
        try:
            values[name] = float(text)
        except ValueError:
            return fail(f"--{name} must be a number, got {text!r}")
    try:
        missing = [v for v in variables(args.expression) if v not in values]
        if missing:
            return fail(f"no value for variable {missing[0]!r}: pass --{missing[0]} VALUE")
        root = parse_expression(args.expression, values)
    except (ValueError, TypeError, ArithmeticError) as exc:  # DomainError is a ValueError
        return fail(str(exc))
    root.label = root.label or "y"
    suffix = Path(args.out).suffix.lower()
    if suffix not in (".html", ".gif", ".mp4"):
        return fail(f"--out must end in .html, .gif or .mp4, got {args.out!r}")
    try:
        path = save_steps(root, args.out, precision=args.precision)
    except (GraphvizNotFoundError, ImportError, ValueError) as exc:
        return fail(str(exc))
    shown = ", ".join(f"{k} = {v:g}" for k, v in values.items())
    print(f"Wrote {path}: the forward and backward steps of y = {args.expression} at {shown}")
    return 0


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"layer sizes must be like 16,16, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return sizes


def _int_at_least(minimum: int, what: str):
    """An argparse type: an int >= minimum, or a usage error naming the value."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"{what} must be an int >= {minimum}, got {text!r}")
        return value

    return parse


def _learning_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(
            f"the learning rate must be a finite number > 0, got {text!r}"
        )
    return value


def _check_output_folder(parser: argparse.ArgumentParser, folder: str) -> None:
    """Create `folder` and make sure a file can be written there, before any training: else a
    usage error (exit status 2) naming it."""
    path = Path(folder)
    if path.exists() and not path.is_dir():
        parser.error(f"argument --out: {folder!r} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        parser.error(f"argument --out: cannot write into {folder!r}: {reason}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="backprop-lab",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command")
    d = commands.add_parser(
        "demo", help="train an MLP on a toy data set and write pictures (the default command)"
    )
    d.add_argument("--dataset", choices=DATASETS, default="moons")
    d.add_argument(
        "--samples",
        type=_int_at_least(2, "the number of points"),
        default=100,
        help="number of points, at least 2 (default 100)",
    )
    d.add_argument(
        "--layers",
        type=_sizes,
        default=[16, 16],
        help="hidden layer sizes, comma separated (default 16,16)",
    )
    d.add_argument("--activation", choices=("relu", "tanh", "sigmoid"), default="relu")
    d.add_argument(
        "--epochs",
        type=_int_at_least(1, "the number of epochs"),
        default=100,
        help="full-batch steps (default 100)",
    )
    d.add_argument(
        "--lr", type=_learning_rate, default=1.0, help="initial learning rate (default 1.0)"
    )
    d.add_argument("--seed", type=_int_at_least(0, "the seed"), default=0)
    d.add_argument("--out", default="out/demo", help="output folder (default out/demo)")
    d.add_argument("--quiet", action="store_true", help="no progress bar")
    commands.add_parser("expression", help="backpropagate through one small expression")
    s = commands.add_parser(
        "steps",
        help="write the step-through of an expression's forward and backward pass",
        description='Example: backprop-lab steps "tanh(x*w + b)" --x 2 --w -0.5 --b 0.5 '
        "--out steps.html. The expression may use numbers, variables, + - * / ** and "
        "exp log tanh sigmoid relu sqrt abs softplus sin cos; each variable gets --name VALUE.",
    )
    s.add_argument("expression", help='a formula such as "tanh(x*w + b)"')
    s.add_argument("--out", default="steps.html", help="steps.html (default), .gif or .mp4")
    s.add_argument("--precision", type=int, default=4, help="significant digits (default 4)")
    args, extra = parser.parse_known_args(argv)
    if args.command == "steps":
        return steps(args, extra)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "expression":
        return expression(args)
    if args.command is None:
        args = parser.parse_args(["demo", *(argv or [])])
    _check_output_folder(d, args.out)
    return demo(args)


if __name__ == "__main__":
    sys.exit(main())
