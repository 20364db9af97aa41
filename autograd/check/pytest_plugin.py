"""pytest plugin: gradient checks in your own test suite, one line each.

Installed with backprop-lab (the `pytest11` entry point, under the plugin name
`autograd.pytest_plugin`: that module re-exports this one), so in any project using it:

    def test_my_op(gradcheck):
        gradcheck(lambda x, y: x * y.tanh(), [0.5, -1.2], order=2)

    def test_hand_derived(assert_grads_close):
        assert_grads_close([a.grad, b.grad], [-2.0, 2.0])

Fixtures:
  gradcheck            `autograd.check.gradcheck` that raises on failure (the table of
                       mismatches, worst first, becomes the test's failure message) and otherwise
                       returns the report.
  numerical_grad       `autograd.check.numerical_grad`.
  assert_grads_close   `autograd.check.assert_grads_close`.

Default tolerances come from ini options (`gradcheck_eps`, `gradcheck_atol`, `gradcheck_rtol` in
pytest.ini / pyproject's [tool.pytest.ini_options]); a call's own keywords win. Without the entry
point, enable it with `-p autograd.pytest_plugin` or `pytest_plugins = ["autograd.pytest_plugin"]`
(`-p no:autograd.pytest_plugin` turns the installed one off).
"""

from __future__ import annotations

import pytest

from .gradcheck import ATOL, RTOL
from .gradcheck import gradcheck as _gradcheck
from .numerical import EPS
from .numerical import numerical_grad as _numerical_grad
from .testing import assert_grads_close as _assert_grads_close

__all__ = ["assert_grads_close", "gradcheck", "numerical_grad", "pytest_addoption"]

_INI = {
    "gradcheck_eps": (EPS, "step of the finite differences of the gradcheck fixture"),
    "gradcheck_atol": (ATOL, "absolute tolerance of the gradcheck fixture"),
    "gradcheck_rtol": (RTOL, "relative tolerance of the gradcheck fixture"),
}


def pytest_addoption(parser) -> None:
    for name, (default, help_text) in _INI.items():
        parser.addini(name, f"{help_text} (default {default:g})", default=str(default))


def _ini_float(config, name: str) -> float:
    raw = config.getini(name)
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise pytest.UsageError(f"ini option {name} must be a number, got {raw!r}") from None


@pytest.fixture
def gradcheck(pytestconfig):
    """gradcheck(f, inputs, **options): the report, or a failure listing the worst mismatches."""
    defaults = {
        "eps": _ini_float(pytestconfig, "gradcheck_eps"),
        "atol": _ini_float(pytestconfig, "gradcheck_atol"),
        "rtol": _ini_float(pytestconfig, "gradcheck_rtol"),
    }

    def check(f, inputs, **options):
        __tracebackhide__ = True  # the failure points at the test's line
        return _gradcheck(f, inputs, **{**defaults, "raise_on_failure": True, **options})

    return check


@pytest.fixture
def numerical_grad():
    """numerical_grad(f, inputs, eps=1e-6): central differences shaped like the inputs."""
    return _numerical_grad


@pytest.fixture
def assert_grads_close():
    """assert_grads_close(actual, expected, *, atol, rtol, names): a per-entry diff on failure."""
    return _assert_grads_close
