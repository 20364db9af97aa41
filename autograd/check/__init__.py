"""Checking derivatives: finite differences, gradcheck, PyTorch as a reference, readable reports.

Every tool takes Values and Tensors. The pytest plugin (`autograd.check.pytest_plugin`, loaded by
the `pytest11` entry point under the name `autograd.pytest_plugin`) is not imported here: it
needs pytest.
"""

from .gradcheck import (
    GradcheckError,
    GradcheckReport,
    check_local_derivatives,
    compare_with_torch,
    gradcheck,
    numerical_grad,
)
from .report import Entry, Report
from .testing import GradientMismatch, assert_grads_close

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
