"""Shared fixtures. Optional tools (torch, Graphviz's `dot`) skip their tests only where truly
absent; with BACKPROP_LAB_STRICT=1 (set by .ci/run) a missing tool fails instead of skipping."""

from __future__ import annotations

import gc
import importlib
import os
import shutil
from collections.abc import Callable

import pytest
from hypothesis import settings

STRICT = os.environ.get("BACKPROP_LAB_STRICT") == "1"

# Property tests draw the same examples on every run, in any test order, on a fresh clone or not:
# derandomized (seeded by the test's name) and without the example database that replays past
# failures. `HYPOTHESIS_PROFILE=explore` draws new examples each run (and remembers failures).
settings.register_profile("stable", derandomize=True, database=None)
settings.register_profile("explore")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "stable"))


def require_module(name: str):
    """Import an optional module, or skip (fail under BACKPROP_LAB_STRICT=1) where it is absent."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        if STRICT:
            pytest.fail(f"{name} is required under BACKPROP_LAB_STRICT=1 but missing: {exc}")
        pytest.skip(f"{name} is not installed")


def require_program(name: str, package: str) -> str:
    """Path of an external program, or skip (fail under BACKPROP_LAB_STRICT=1) where missing."""
    path = shutil.which(name)
    if path is None:
        message = f"`{name}` not found on PATH (Debian package `{package}`)"
        if STRICT:
            pytest.fail(message + " and BACKPROP_LAB_STRICT=1 requires it")
        pytest.skip(message)
    return path


@pytest.fixture
def torch():
    """The torch module, in float64 by default for exact comparisons."""
    module = require_module("torch")
    return module


@pytest.fixture
def dot() -> str:
    """Path of Graphviz's `dot` program."""
    return require_program("dot", "graphviz")


PROJECT_PACKAGES = ("autograd", "nn")


def cyclic_project_garbage(run: Callable[[], object]) -> list:
    """The objects of this project's own types (Value, Tensor, Module, ...) that only the cycle
    collector could free after `run()`: empty when every graph `run` drops is freed by reference
    counting alone.

    Garbage other code left behind (matplotlib figures, hypothesis caches, ...) is collected first
    and never counted: the collector's finds are filtered by type. The collector's flags, its
    enabled state and `gc.garbage` are restored afterwards.
    """
    was_enabled, flags, saved = gc.isenabled(), gc.get_debug(), gc.garbage[:]
    gc.collect()
    gc.disable()
    try:
        run()
        gc.set_debug(flags | gc.DEBUG_SAVEALL)
        del gc.garbage[:]
        gc.collect()
        return [o for o in gc.garbage if type(o).__module__.partition(".")[0] in PROJECT_PACKAGES]
    finally:
        gc.set_debug(flags)
        gc.garbage[:] = saved
        if was_enabled:
            gc.enable()
