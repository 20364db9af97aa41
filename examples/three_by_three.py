"""A 3x3 network by hand: z = sigmoid(x A) + x B, out = z C, loss = sum(out^2).

    .venv/bin/python examples/three_by_three.py            # gradients + 600 training steps
    .venv/bin/python examples/three_by_three.py --quick    # gradients + 60 training steps

x is a row vector in R^3 and A, B, C are 3x3 matrices. Part 1 builds the loss with Values and
prints dL/dA, dL/dB, dL/dC as matrices next to the same gradients derived by hand (numpy) and
computed by PyTorch (float64; skipped with a note where torch is not installed):

    dL/dout = 2 out          dL/dC = z^T dL/dout        dL/dz = dL/dout C^T
    dL/dB = x^T dL/dz        dL/dA = x^T (dL/dz * s * (1 - s)),  s = sigmoid(x A)

Part 2 trains the network: a fixed random "teacher" network of the same shape labels random x,
and a student starting from other random matrices follows minibatch gradient descent on the
mean squared distance to the teacher's outputs. The loss on fresh batches and on a fixed test
batch falls by orders of magnitude. Writes `loss.png` to `--out`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from autograd import Value
from nn import SGD


def network(x: list, A: list, B: list, C: list) -> list:
    """out = (sigmoid(x A) + x B) C for one row x; works on Values and on numbers."""
    n = len(x)
    xA = [sum((x[i] * A[i][j] for i in range(1, n)), x[0] * A[0][j]) for j in range(n)]
    xB = [sum((x[i] * B[i][j] for i in range(1, n)), x[0] * B[0][j]) for j in range(n)]
    z = [a.sigmoid() + b for a, b in zip(xA, xB)]
    return [sum((z[i] * C[i][j] for i in range(1, n)), z[0] * C[0][j]) for j in range(n)]


def matrix(values: np.ndarray, name: str) -> list[list[Value]]:
    """A numpy matrix as nested lists of Values labelled A00, A01, ..."""
    return [[Value(v, f"{name}{i}{j}") for j, v in enumerate(row)] for i, row in enumerate(values)]


def grads(m: list[list[Value]]) -> np.ndarray:
    return np.array([[v.grad for v in row] for row in m])


def teacher_outputs(X: np.ndarray, A: np.ndarray, B: np.ndarray, C: np.ndarray) -> np.ndarray:
    """The network on a batch of rows in numpy: the teacher's targets need no graph."""
    return (1.0 / (1.0 + np.exp(-(X @ A))) + X @ B) @ C


def by_hand(x: np.ndarray, A: np.ndarray, B: np.ndarray, C: np.ndarray) -> dict[str, np.ndarray]:
    """The gradients of sum(((sigmoid(x A) + x B) C)^2) from the chain rule, in numpy."""
    s = 1.0 / (1.0 + np.exp(-(x @ A)))
    z = s + x @ B
    d_out = 2.0 * (z @ C)
    d_z = d_out @ C.T
    return {
        "A": np.outer(x, d_z * s * (1.0 - s)),
        "B": np.outer(x, d_z),
        "C": np.outer(z, d_out),
    }


def by_torch(x: np.ndarray, A: np.ndarray, B: np.ndarray, C: np.ndarray):
    """The same gradients from PyTorch autograd in float64, or None where torch is missing."""
    try:
        import torch
    except ImportError:
        return None
    t = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for k, v in zip("ABC", (A, B, C))
    }
    xt = torch.tensor(x, dtype=torch.float64)
    loss = (((torch.sigmoid(xt @ t["A"]) + xt @ t["B"]) @ t["C"]) ** 2).sum()
    loss.backward()
    return {k: v.grad.numpy() for k, v in t.items()}, loss.item()


def show(name: str, columns: dict[str, np.ndarray]) -> None:
    """Print several 3x3 matrices side by side, one block per source."""
    print(f"dL/d{name}:" + "   ".join(f"{label:>33s}" for label in columns))
    for i in range(3):
        cells = ["".join(f"{v:11.6f}" for v in m[i]) for m in columns.values()]
        print("      " + "   ".join(cells))


def check_gradients(rng: np.random.Generator) -> dict:
    """Part 1: one x, random A, B, C; gradients by Values, by hand and by PyTorch."""
    x = rng.normal(size=3)
    mats = {k: rng.normal(size=(3, 3)) for k in "ABC"}
    params = {k: matrix(v, k) for k, v in mats.items()}
    xs = [Value(v, f"x{i}") for i, v in enumerate(x)]
    out = network(xs, params["A"], params["B"], params["C"])
    loss = sum((o * o for o in out[1:]), out[0] * out[0])
    loss.backward()
    engine = {k: grads(m) for k, m in params.items()}
    hand = by_hand(x, *mats.values())
    torch_result = by_torch(x, *mats.values())

    print(f"x = {np.array2string(x, precision=4)}, loss = sum(out^2) = {loss.data:.10f}\n")
    for k in "ABC":
        columns = {"backprop (Values)": engine[k], "by hand (numpy)": hand[k]}
        if torch_result is not None:
            columns["PyTorch (float64)"] = torch_result[0][k]
        show(k, columns)
    hand_error = max(float(np.abs(engine[k] - hand[k]).max()) for k in "ABC")
    print(f"\nmax |backprop - by hand| = {hand_error:.2e}")
    torch_error = None
    if torch_result is None:
        print("PyTorch is not installed: comparison skipped (pip install torch)")
    else:
        torch_error = max(float(np.abs(engine[k] - torch_result[0][k]).max()) for k in "ABC")
        torch_error = max(torch_error, abs(loss.data - torch_result[1]))
        print(f"max |backprop - PyTorch| = {torch_error:.2e} (gradients and loss)")
    return {
        "x": x,
        "matrices": mats,
        "loss_value": loss.data,
        "gradients": engine,
        "hand_error": hand_error,
        "torch_error": torch_error,
    }


def train(rng: np.random.Generator, steps: int, batch: int, lr: float) -> dict:
    """Part 2: a student network learns a random teacher's function by minibatch SGD."""
    teacher = [rng.normal(size=(3, 3)) for _ in range(3)]
    student = [matrix(rng.normal(size=(3, 3)), k) for k in "ABC"]
    params = [v for m in student for row in m for v in row]
    optimizer = SGD(params, lr=lr, momentum=0.9)
    X_test = rng.normal(size=(64, 3))
    y_test = teacher_outputs(X_test, *teacher)

    def mean_loss(X, Y) -> Value:
        # mean over the batch of sum_j (out_j - target_j)^2
        terms = [
            sum((o - t) ** 2 for o, t in zip(network(list(x), *student), y)) for x, y in zip(X, Y)
        ]
        return sum(terms[1:], terms[0]) / len(terms)

    history = {"step": [], "loss": [], "test_step": [], "test_loss": []}
    every = max(1, steps // 30)
    for step in range(1, steps + 1):
        X = rng.normal(size=(batch, 3))
        loss = mean_loss(X, teacher_outputs(X, *teacher))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history["step"].append(step)
        history["loss"].append(loss.data)
        if step == 1 or step % every == 0 or step == steps:
            test = mean_loss(X_test, y_test).data  # a graph we simply drop
            history["test_step"].append(step)
            history["test_loss"].append(test)
    return history


def plot(history: dict, path: Path, batch: int, lr: float) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.2, 4.4))
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    ax.plot(history["step"], history["loss"], color="#1f77b4", lw=1, alpha=0.6)
    ax.plot([], [], color="#1f77b4", label=f"training batch ({batch} random x)")
    ax.plot(
        history["test_step"],
        history["test_loss"],
        "o-",
        color="#ff7f0e",
        ms=3.5,
        lw=1.8,
        label="fixed test batch (64 x)",
    )
    ax.set_yscale("log")
    ax.set_xlabel("gradient descent step")
    ax.set_ylabel("mean sum of squared errors")
    ax.set_title(f"3x3 student learning a random 3x3 teacher (SGD, lr {lr}, momentum 0.9)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(frameon=False)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/three_by_three", help="output folder")
    parser.add_argument("--quick", action="store_true", help="a short training run (for tests)")
    parser.add_argument("--steps", type=int, help="gradient descent steps")
    parser.add_argument("--batch", type=int, default=16, help="random inputs per step")
    parser.add_argument("--lr", type=float, default=0.01, help="learning rate")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random number")
    args = parser.parse_args(argv)
    out = Path(args.out)
    steps = args.steps or (60 if args.quick else 600)
    rng = np.random.default_rng(args.seed)

    print("Part 1: gradients of loss = sum(((sigmoid(x A) + x B) C)^2)\n")
    result = check_gradients(rng)

    print(f"\nPart 2: a student learns a random teacher, {steps} steps of {args.batch} samples")
    history = train(rng, steps, args.batch, args.lr)
    for step, test in zip(history["test_step"], history["test_loss"]):
        if step in (1, steps) or step == history["test_step"][len(history["test_step"]) // 2]:
            print(f"  step {step:4d}: test loss {test:.6f}")
    written = [out / "loss.png"]
    plot(history, written[0], args.batch, args.lr)
    for path in written:
        print(f"wrote {path}")
    return {**result, "history": history, "written": written}


if __name__ == "__main__":
    main()
