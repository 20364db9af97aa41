"""The pytest plugin under its old module path and its plugin name, `autograd.pytest_plugin`
(`-p autograd.pytest_plugin`, `-p no:autograd.pytest_plugin`): the fixtures and the hook of
`autograd.check.pytest_plugin`, where the plugin lives."""

from .check.pytest_plugin import assert_grads_close, gradcheck, numerical_grad, pytest_addoption

__all__ = ["assert_grads_close", "gradcheck", "numerical_grad", "pytest_addoption"]
