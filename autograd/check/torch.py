"""PyTorch as the reference: `compare_with_torch` runs the same function on Values and on torch
float64 tensors and compares the value and the derivatives (orders 1 and 2). torch is imported
only when it is called."""

from __future__ import annotations

import numpy as np

from .gradcheck import GradcheckError
from .numerical import Problem
from .report import Report, make_entry

__all__ = ["compare_with_torch"]


def compare_with_torch(
    f,
    inputs,
    *,
    atol: float = 1e-12,
    rtol: float = 1e-9,
    order: int = 1,
    raise_on_failure: bool = False,
    names=None,
) -> Report:
    """Run `f` on Values and on torch float64 tensors; compare the value and the derivatives.

    `f` must take its inputs as arguments and use only what Value and torch.Tensor share: the
    operators `+ - * / **` and the methods exp, log, tanh, sigmoid, relu, sqrt, abs, sin, cos.
    `order=2` compares the Hessians too. Both engines compute in float64, so the default
    tolerances are tight. Needs PyTorch (imported here, only when called).
    """
    __tracebackhide__ = True
    torch = _import_torch()
    if order not in (1, 2):
        raise ValueError(f"compare_with_torch: order must be 1 or 2, got {order!r}")
    problem = Problem(f, inputs, names, "compare_with_torch")
    if problem.closure:
        raise TypeError(
            "compare_with_torch: f must take the inputs as arguments (it runs on torch tensors too)"
        )
    out = problem.output()
    ours = [("f", problem.scalar(out))]
    ours += [(f"∂f/∂{n}", g) for n, g in zip(problem.names, problem.gradient(out))]

    tensors = [
        torch.tensor(np.asarray(x.data), dtype=torch.float64, requires_grad=True)
        for x in problem.leaves
    ]
    t_out = f(*problem.rebuild_args(tensors))
    theirs = [t_out.item() if torch.is_tensor(t_out) else float(t_out)]
    t_first = [None] * len(tensors)
    if torch.is_tensor(t_out) and t_out.requires_grad and tensors:
        t_first = torch.autograd.grad(t_out, tensors, allow_unused=True, create_graph=order == 2)
    t_components = [(g, k) for g, t in zip(t_first, tensors) for k in range(max(t.numel(), 1))]
    theirs += [0.0 if g is None else g.reshape(-1)[k].item() for g, k in t_components]

    if order == 2:
        rows = [problem.gradient(g) for g in problem.components(problem.gradient_nodes(out))]
        for i, a in enumerate(problem.names):
            g, k = t_components[i]
            t_row = [None] * len(tensors)
            if g is not None and g.requires_grad:
                t_row = torch.autograd.grad(
                    g.reshape(-1)[k], tensors, allow_unused=True, retain_graph=True
                )
            t_flat = [
                0.0 if r is None else r.reshape(-1)[m].item()
                for r, t in zip(t_row, tensors)
                for m in range(max(t.numel(), 1))
            ]
            for j, b in enumerate(problem.names):
                name = f"∂²f/∂{a}²" if i == j else f"∂²f/∂{a}∂{b}"
                ours.append((name, rows[i][j]))
                theirs.append(t_flat[j])

    entries = [make_entry(n, a, t, atol, rtol) for (n, a), t in zip(ours, theirs)]
    report = Report(
        "compare_with_torch",
        entries,
        atol=atol,
        rtol=rtol,
        columns=("ours", "torch"),
        label="quantity",
        noun="quantities",
        settings=f"order={order}, float64, atol={atol:g}, rtol={rtol:g}",
    )
    if raise_on_failure and not report.passed:
        raise GradcheckError(report)
    return report


def _import_torch():
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            "compare_with_torch needs PyTorch, which is not installed: pip install torch "
            "(the CPU build is enough), or install backprop-lab[test]"
        ) from exc
    return torch
