"""The worked 2-3-2 network: a sigmoid hidden layer, a softmax output, every number by hand.

    .venv/bin/python examples/worked_network.py            # writes out/worked_network/graph.png
    .venv/bin/python examples/worked_network.py --quick    # the same: the network is tiny

Input x = [1, -1]; hidden pre-activations k_j = sum_i W[i][j] x_i + b_j with
W = [[1, 1, 1], [-1, -1, -1]] and b = 0; h = sigmoid(k); outputs o_j = sum_i V[i][j] h_i + c_j
with V = [[1, 1], [-1, -1], [-1, -1]] and c = 0; y = softmax(o); loss = -log y[0].

By hand: k = [2, 2, 2], h = sigmoid(2) = 0.8807971 for each unit, o = h - h - h = -h for both
outputs, so y = [0.5, 0.5] and loss = log 2 = 0.693147. Backwards: dL/do = y - onehot(0) =
[-0.5, 0.5] = dL/dc; dL/dV[i][j] = h_i dL/do_j = [-0.4403985, 0.4403985] on every row;
dL/dh_i = sum_j V[i][j] dL/do_j = 0 (each row of V has equal entries), so dW = 0 and db = 0.
The script computes all of it with Values, prints it, and checks every gradient against central
finite differences, and draws the computation graph with every value and gradient, top to bottom
and sized for a slide, the weights and biases coloured as parameters (`graph.png`, needs
Graphviz's `dot`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from autograd import GraphvizNotFoundError, Value, save_graph, sum_values

X = [1.0, -1.0]
W = [[1.0, 1.0, 1.0], [-1.0, -1.0, -1.0]]  # W[i][j]: input i -> hidden unit j
B = [0.0, 0.0, 0.0]
V = [[1.0, 1.0], [-1.0, -1.0], [-1.0, -1.0]]  # V[i][j]: hidden unit i -> output j
C = [0.0, 0.0]
TARGET = 0  # the loss is -log y[0]


def forward(W, b, V, c, x=X) -> dict:
    """The network on Values (or plain floats' Values): every intermediate, named as in the text."""
    x = [Value(xi, f"x{i}") for i, xi in enumerate(x)]
    # each weighted sum one `sum` node (b_j + W_0j x_0 + W_1j x_1, added left to right)
    k = [sum_values([b[j], *(W[i][j] * x[i] for i in range(len(x)))]) for j in range(len(b))]
    h = [kj.sigmoid() for kj in k]
    o = [sum_values([c[j], *(V[i][j] * h[i] for i in range(len(h)))]) for j in range(len(c))]
    # softmax: y_j = exp(o_j - m) / sum_l exp(o_l - m), m = max o (a constant: no overflow)
    m = max(oj.data for oj in o)
    e = [(oj - m).exp() for oj in o]
    total = sum_values(e)
    y = [ej / total for ej in e]
    loss = -y[TARGET].log()
    for name, values in (("k", k), ("h", h), ("o", o), ("y", y)):
        for j, v in enumerate(values):
            v.label = f"{name}{j}"
    loss.label = "loss"
    return {"x": x, "k": k, "h": h, "o": o, "y": y, "loss": loss}


def parameters() -> dict[str, list]:
    """W, b, V, c as Values labelled W[i][j] and so on (nested lists for the matrices)."""
    return {
        "W": [[Value(w, f"W{i}{j}") for j, w in enumerate(row)] for i, row in enumerate(W)],
        "b": [Value(v, f"b{j}") for j, v in enumerate(B)],
        "V": [[Value(w, f"V{i}{j}") for j, w in enumerate(row)] for i, row in enumerate(V)],
        "c": [Value(v, f"c{j}") for j, v in enumerate(C)],
    }


def flat(p) -> list:
    """The entries of a vector or matrix (nested lists) in reading order."""
    return [v for row in p for v in row] if isinstance(p[0], list) else list(p)


def finite_differences(params: dict[str, list], eps: float = 1e-6) -> dict[str, list]:
    """dL/dp for every parameter by central differences (L(p + eps) - L(p - eps)) / 2 eps.

    Each parameter's data is nudged in place, the whole forward pass recomputed, and restored.
    """
    numeric = {}
    for name, p in params.items():
        grads = []
        for v in flat(p):
            original = v.data
            v.data = original + eps
            up = forward(**_data(params))["loss"].data
            v.data = original - eps
            down = forward(**_data(params))["loss"].data
            v.data = original
            grads.append((up - down) / (2 * eps))
        numeric[name] = _shape_like(p, grads)
    return numeric


def _data(params: dict[str, list]) -> dict[str, list]:
    """The parameters as plain floats, so that forward builds a fresh graph from numbers."""
    return {name: _shape_like(p, [v.data for v in flat(p)]) for name, p in params.items()}


def _shape_like(p, values: list) -> list:
    if isinstance(p[0], list):
        width = len(p[0])
        return [values[r * width : (r + 1) * width] for r in range(len(p))]
    return values


def _numbers(p) -> list:
    """Data of Values (vectors or matrices) as floats with the same nesting."""
    return [_numbers(q) if isinstance(q, list) else q.data for q in p]


def _grads(p) -> list:
    return [_grads(q) if isinstance(q, list) else q.grad for q in p]


def table(name: str, rows: list, columns: str) -> str:
    """A small matrix or vector as aligned text, rows labelled by index."""
    rows = [rows] if not isinstance(rows[0], list) else rows
    header = " " * 8 + "".join(f"{columns + str(j):>13}" for j in range(len(rows[0])))
    lines = [f"{name}:", header]
    for i, row in enumerate(rows):
        label = f"  [{i}]   " if len(rows) > 1 else "        "
        lines.append(label + "".join(f"{v:13.7f}" for v in row))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/worked_network", help="output folder")
    parser.add_argument("--quick", action="store_true", help="accepted; the run is already quick")
    args = parser.parse_args(argv)
    out = Path(args.out)

    params = parameters()
    net = forward(params["W"], params["b"], params["V"], params["c"])
    net["loss"].backward()

    print("forward pass, x = [1, -1]")
    values = {name: _numbers(net[name]) for name in ("k", "h", "o", "y")}
    for name, row in values.items():
        print(f"  {name} = [{', '.join(f'{v:.7f}' for v in row)}]")
    loss = net["loss"].data
    print(f"  loss = -log y[0] = {loss:.7f}")

    print("\nbackward pass: gradients of the loss")
    analytic = {name: _grads(p) for name, p in params.items()}
    for name, grads in analytic.items():
        print(table(f"d loss / d {name}", grads, "j = "))

    numeric = finite_differences(params)
    errors = {
        name: max(abs(a - n) for a, n in zip(flat(analytic[name]), flat(numeric[name])))
        for name in params
    }
    max_error = max(errors.values())
    print("\ngradient check against central finite differences (eps = 1e-6)")
    for name, error in errors.items():
        print(f"  {name}: max |backprop - numeric| = {error:.2e}")
    print(f"  overall max error: {max_error:.2e}")

    written = []
    try:
        # Top to bottom, the parameters drawn as parameters: about 2,200 x 1,500 px, a slide's
        # shape (left to right the chain of ops made it 6,561 x 900).
        flat_params = [v for p in params.values() for v in flat(p)]
        written.append(
            save_graph(net["loss"], out / "graph.png", rankdir="TB", dpi=96, parameters=flat_params)
        )
    except GraphvizNotFoundError as exc:
        print(f"graph not drawn: {exc}")
    for path in written:
        print(f"wrote {path}")
    return {
        **values,
        "loss": loss,
        **{f"d{name}": grads for name, grads in analytic.items()},
        "numeric": numeric,
        "max_error": max_error,
        "written": written,
    }


if __name__ == "__main__":
    main()
