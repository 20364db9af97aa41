"""The module paths from before `autograd/check/` and `autograd/viz/` still import, and give the
very objects of the new ones; the pytest plugin keeps its name and its entry point."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import autograd

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
MOVED = {
    "autograd.gradcheck": "autograd.check",  # which holds all that gradcheck.py held
    "autograd.report": "autograd.check.report",
    "autograd.testing": "autograd.check.testing",
    "autograd.picture": "autograd.viz.picture",
    "autograd.graph": "autograd.viz.graph",
    "autograd.explain": "autograd.viz.explain",
    "autograd.steps": "autograd.viz.steps",
    "autograd.steps_page": "autograd.viz.steps_page",
    "autograd.steps_animation": "autograd.viz.steps_animation",
}


@pytest.mark.parametrize("old, new", MOVED.items())
def test_an_old_path_is_the_new_module(old, new):
    module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert module.__all__ and all(hasattr(module, name) for name in module.__all__)


def test_the_old_gradcheck_module_still_offers_all_its_names():
    from autograd.gradcheck import (
        GradcheckError,
        GradcheckReport,
        check_local_derivatives,
        compare_with_torch,
        gradcheck,
        numerical_grad,
    )

    found = (GradcheckError, GradcheckReport, check_local_derivatives, compare_with_torch)
    found += (gradcheck, numerical_grad)
    assert found == (
        autograd.GradcheckError,
        autograd.GradcheckReport,
        autograd.check_local_derivatives,
        autograd.compare_with_torch,
        autograd.gradcheck,
        autograd.numerical_grad,
    )


def test_from_imports_of_old_paths_give_the_same_objects():
    from autograd.check.gradcheck import gradcheck as new_gradcheck
    from autograd.gradcheck import GradcheckError, gradcheck
    from autograd.graph import draw_graph
    from autograd.steps_page import save_steps
    from autograd.testing import assert_grads_close

    assert gradcheck is new_gradcheck is autograd.gradcheck
    assert GradcheckError is autograd.GradcheckError
    assert draw_graph is autograd.draw_graph and save_steps is autograd.save_steps
    assert assert_grads_close is autograd.assert_grads_close


def test_package_attributes_are_as_before_the_move():
    """`autograd.graph` is the module; `autograd.gradcheck` and `autograd.explain` stay the
    functions that `autograd/__init__.py` always exported under those names."""
    import autograd.explain
    import autograd.gradcheck
    import autograd.graph

    assert autograd.graph is importlib.import_module("autograd.viz.graph")
    assert autograd.gradcheck is importlib.import_module("autograd.check.gradcheck").gradcheck
    assert autograd.explain is importlib.import_module("autograd.viz.explain").explain


def test_an_old_path_imports_first_thing_in_a_fresh_interpreter():
    code = (
        "import autograd.steps_page, autograd.graph, sys; "
        "print(autograd.graph.__name__, 'graphviz' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.split() == ["autograd.viz.graph", "False"], done.stderr


def test_the_plugins_registered_module_offers_the_fixtures_and_hook_of_check():
    registered = importlib.import_module("autograd.pytest_plugin")
    plugin = importlib.import_module("autograd.check.pytest_plugin")
    assert registered.__all__ == plugin.__all__
    assert all(getattr(registered, name) is getattr(plugin, name) for name in plugin.__all__)


def test_the_pytest11_entry_point_keeps_its_name_and_module():
    text = (ROOT / "pyproject.toml").read_text()
    section = text.split("[project.entry-points.pytest11]", 1)[1].split("\n[", 1)[0]
    entries = re.findall(r'^"([^"]+)"\s*=\s*"([^"]+)"', section, re.MULTILINE)
    assert entries == [("autograd.pytest_plugin", "autograd.pytest_plugin")]


def test_the_plugin_loads_by_either_module_name_even_both_at_once(pytester):
    """As when the entry point has loaded `autograd.pytest_plugin` and a user also asks for
    `-p autograd.check.pytest_plugin`: two module objects, so pytest registers both, no error."""
    pytester.makepyfile(
        "def test_square(gradcheck):\n    assert gradcheck(lambda x: x * x, [3.0])\n"
    )
    others = ("-p", "no:xdist", "-p", "no:hypothesispytest", "-p", "no:randomly")
    for names in (["autograd.pytest_plugin"], ["autograd.check.pytest_plugin"],
                  ["autograd.pytest_plugin", "autograd.check.pytest_plugin"]):  # fmt: skip
        plugins = [arg for name in names for arg in ("-p", name)]
        pytester.runpytest(*plugins, *others).assert_outcomes(passed=1)
