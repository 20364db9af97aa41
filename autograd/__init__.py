"""A scalar autograd engine you can build, see and check.

>>> from autograd import Value
>>> x = Value(3.0, "x")
>>> y = x * x + 2 * x       # y = x^2 + 2x
>>> y.backward()
>>> x.grad                  # dy/dx = 2x + 2
8.0
"""

import importlib
import sys

from .check import (
    GradcheckError,
    GradcheckReport,
    GradientMismatch,
    assert_grads_close,
    check_local_derivatives,
    compare_with_torch,
    gradcheck,
    numerical_grad,
)
from .compile import Compiled, TraceError, trace
from .conv import (
    avg_pool2d,
    batch_norm,
    concatenate,
    conv2d,
    conv_transpose2d,
    dropout,
    flatten,
    max_pool2d,
    pad,
    split,
    stack,
)
from .custom import define_op, primitive
from .expression import parse_expression
from .functional import grad, hessian, hvp, jacobian, value_and_grad
from .mode import collector_paused, detect_anomaly, is_grad_enabled, no_grad
from .ops import REGISTRY, Op
from .tensor import Tensor
from .value import DomainError, Primitive, Value, affine, sum_values, zero_grad
from .viz import (
    Derivation,
    GraphvizNotFoundError,
    Steps,
    StepsPage,
    backprop_steps,
    draw_graph,
    explain,
    save_graph,
    save_steps,
    show_steps,
)
from .walk import on_path, topological_order

__all__ = [
    "REGISTRY",
    "Compiled",
    "Derivation",
    "DomainError",
    "GradcheckError",
    "GradcheckReport",
    "GradientMismatch",
    "GraphvizNotFoundError",
    "Op",
    "Primitive",
    "Steps",
    "StepsPage",
    "Tensor",
    "TraceError",
    "Value",
    "affine",
    "assert_grads_close",
    "avg_pool2d",
    "backprop_steps",
    "batch_norm",
    "check_local_derivatives",
    "collector_paused",
    "compare_with_torch",
    "concatenate",
    "conv2d",
    "conv_transpose2d",
    "define_op",
    "detect_anomaly",
    "draw_graph",
    "dropout",
    "explain",
    "flatten",
    "grad",
    "gradcheck",
    "hessian",
    "hvp",
    "is_grad_enabled",
    "jacobian",
    "max_pool2d",
    "no_grad",
    "numerical_grad",
    "on_path",
    "pad",
    "parse_expression",
    "primitive",
    "save_graph",
    "save_steps",
    "show_steps",
    "split",
    "stack",
    "sum_values",
    "topological_order",
    "trace",
    "value_and_grad",
    "zero_grad",
]


# Where the tools lived before check/ and viz/: `import autograd.graph`, `from autograd.gradcheck
# import ...` still work and give the very same module objects (names, isinstance, monkeypatching
# behave as before). All of them are imported by `import autograd` anyway; the pytest plugin, which
# needs pytest, is a small module of its own (autograd/pytest_plugin.py). Type checkers do not
# follow sys.modules: typed code imports the new paths (or the names from `autograd`).
_MOVED = {
    "gradcheck": "check",  # gradcheck.py held numerical_grad and compare_with_torch too
    "report": "check.report",
    "testing": "check.testing",
    "picture": "viz.picture",
    "graph": "viz.graph",
    "explain": "viz.explain",
    "steps": "viz.steps",
    "steps_page": "viz.steps_page",
    "steps_animation": "viz.steps_animation",
}


def _keep_old_paths() -> None:
    for old, new in _MOVED.items():
        module = importlib.import_module(f"{__name__}.{new}")
        sys.modules[f"{__name__}.{old}"] = module
        globals().setdefault(old, module)  # `autograd.gradcheck` stays the function, as before


_keep_old_paths()
