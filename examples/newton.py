"""Newton's method on the Rosenbrock function, with the gradient and Hessian from the engine.

    .venv/bin/python examples/newton.py            # three starting points
    .venv/bin/python examples/newton.py --quick    # the classic start (-1.2, 1) only

f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 has its minimum f = 0 at (1, 1) at the bottom of a long,
curved valley where gradient descent crawls. Newton's step solves H step = -grad f, using the
second derivatives (`hessian`, built by differentiating the `create_graph=True` gradient) and
`value_and_grad`; from (-1.2, 1) it reaches (1, 1) in a handful of iterations. Each iteration
prints x, y, f and |grad f|.
"""

from __future__ import annotations

import argparse

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
            print(f"  {k:2d}  x={x: .10f}  y={y: .10f}  f={f:.3e}  |grad|={size:.3e}")
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
    args = parser.parse_args(argv)
    results = {}
    for start in STARTS[:1] if args.quick else STARTS:
        print(f"Newton from {start}:   k  x, y, f(x, y), |grad f|")
        result = newton(start, tol=args.tol)
        x, y = result["point"]
        print(f"  -> ({x:.12f}, {y:.12f}) after {result['iterations']} iterations\n")
        results[start] = result
    return results


if __name__ == "__main__":
    main()
