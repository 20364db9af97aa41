"""The pytest plugin as pytest knows it: the `pytest11` entry point's name and module,
`autograd.pytest_plugin` (`-p autograd.pytest_plugin`, `-p no:autograd.pytest_plugin`). The
fixtures and the hook are those of `autograd.check.pytest_plugin`, where the plugin is written.
A module of its own, not an alias of that one, so that loading both names registers two plugins
instead of failing."""

from .check.pytest_plugin import assert_grads_close, gradcheck, numerical_grad, pytest_addoption

__all__ = ["assert_grads_close", "gradcheck", "numerical_grad", "pytest_addoption"]
