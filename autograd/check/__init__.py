"""Checking derivatives: central differences (`numerical`), `gradcheck` (the backward pass against
them, orders 1 and 2, and one op at a time), PyTorch as the reference (`torch`), readable reports
(`report`), `assert_grads_close` for tests (`testing`).

Every tool takes Values and Tensors. The pytest plugin (`autograd.check.pytest_plugin`, loaded by
the `pytest11` entry point under the name `autograd.pytest_plugin`) is not imported here: it
needs pytest.
"""

from .gradcheck import GradcheckError, GradcheckReport, check_local_derivatives, gradcheck
from .numerical import numerical_grad
from .report import Entry, Report
from .testing import GradientMismatch, assert_grads_close
from .torch import compare_with_torch

__all__ = [
    "Entry",
    "GradcheckError",
    "GradcheckReport",
    "GradientMismatch",
    "Report",
    "assert_grads_close",
    "check_local_derivatives",
    "compare_with_torch",
    "gradcheck",
    "numerical_grad",
]
