"""Newton's method on the Rosenbrock function, with the gradient and Hessian from the engine.

    .venv/bin/python examples/newton.py            # three starting points
    .venv/bin/python examples/newton.py --quick    # the classic start (-1.2, 1) only
    .venv/bin/python examples/newton.py --out out/newton   # path.png: the iterates on f's contours

f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 has its minimum f = 0 at (1, 1) at the bottom of a long,
curved valley where gradient descent crawls. Newton's step solves H step = -grad f, using the
second derivatives (`hessian`, built by differentiating the `create_graph=True` gradient) and
`value_and_grad`; from (-1.2, 1) it reaches (1, 1) in a handful of iterations. Each iteration
prints x, y, f and |grad f|; `path.png` shows the iterates on the contours of f (needs
matplotlib).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from autograd.functional import hessian, value_and_grad

STARTS = [(-1.2, 1.0), (2.0, 2.0), (-0.5, 3.0)]


def rosenbrock(v):
    """f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, on Values or floats."""
    x, y = v
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def newton(start, tol: float = 1e-10, max_iter: int = 50, show: bool = True) -> dict:
    """Minimise `rosenbrock` from `start` by Newton's method; the iterates, stop at |grad| < tol."""
    f_and_grad, f_hessian = value_and_grad(rosenbrock), hessian(rosenbrock)
    point = np.array(start, dtype=float)
    path = [point.copy()]
    for k in range(max_iter + 1):
        f, g = f_and_grad(list(point))
        g = np.array(g)
        if show:
            x, y, size = point[0], point[1], np.linalg.norm(g)
            print(f"  {k:2d}  {x:13.10f}  {y:13.10f}  {f:9.3e}  {size:9.3e}")
        if np.linalg.norm(g) < tol:
            break
        step = np.linalg.solve(f_hessian(list(point)), -g)  # H step = -grad f
        point = point + step
        path.append(point.copy())
    return {"point": point, "f": f, "iterations": k, "path": path}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one starting point (for tests)")
    parser.add_argument("--tol", type=float, default=1e-10, help="stop when |grad f| < tol")
    parser.add_argument("--out", default="out/newton", help="output folder")
    args = parser.parse_args(argv)
    results = {}
    for start in STARTS[:1] if args.quick else STARTS:
        print(f"Newton from {start}:")
        print(f"  {'k':>2}  {'x':>13}  {'y':>13}  {'f(x, y)':>9}  {'|grad f|':>9}")
        result = newton(start, tol=args.tol)
        x, y = result["point"]
        print(f"  -> ({x:.12f}, {y:.12f}) after {result['iterations']} iterations\n")
        results[start] = result
    try:
        path = draw_paths(results, Path(args.out) / "path.png")
        print(f"wrote {path}")
    except ImportError as exc:
        print(f"note: {exc}")
    return results


def draw_paths(results: dict, path: Path) -> Path:
    """The Newton iterates from each start over the contours of f (log-spaced levels)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("path.png needs matplotlib: pip install backprop-lab[plot]") from None
    figure = Figure(figsize=(6.4, 4.8))  # no pyplot: no window, no display needed
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    every = np.concatenate([np.array(r["path"]) for r in results.values()] + [[[1.0, 1.0]]])
    low, high = every.min(axis=0) - 0.5, every.max(axis=0) + 0.5
    xs, ys = np.meshgrid(np.linspace(low[0], high[0], 300), np.linspace(low[1], high[1], 300))
    ax.contour(xs, ys, rosenbrock((xs, ys)), levels=np.logspace(-1, 3.5, 12), colors="#adb5bd")
    for start, result in results.items():
        points = np.array(result["path"])
        ax.plot(points[:, 0], points[:, 1], "o-", ms=4, label=f"from {start}")
    ax.plot(1.0, 1.0, "*", ms=14, color="#e03131", label="minimum (1, 1)")
    ax.set(xlabel="x", ylabel="y", title="Newton's method on the Rosenbrock function")
    ax.legend(frameon=False)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    return path


if __name__ == "__main__":
    main()
