"""examples/notebooks/steps.ipynb runs top to bottom in a fresh kernel, and its outputs hold the
widget and the engine's numbers."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import require_module

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "notebooks" / "steps.ipynb"


def test_the_steps_notebook_is_stored_without_outputs():
    nbformat = require_module("nbformat")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_the_steps_notebook_runs_and_shows_the_widget(tmp_path, monkeypatch, dot):
    nbformat = require_module("nbformat")
    nbclient = require_module("nbclient")
    require_module("ipykernel")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    root = str(NOTEBOOK.parents[2])
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    monkeypatch.setenv("PYTHONPATH", path)  # the kernel imports this checkout
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()
    code = [c for c in notebook.cells if c.cell_type == "code"]
    widget = code[0].outputs[0]["data"]["text/html"]
    assert widget.startswith("<iframe srcdoc=") and "dy/dw += dy/dn1" in widget
    printed = "".join(o.get("text", "") for o in code[1].outputs)
    assert "dy/dw += dy/dn1 · ∂n1/∂w = 0.7864 · 2.0 = 1.573" in printed
    assert "".join(o.get("text", "") for o in code[2].outputs).startswith("True 1.57289546")
    assert "layer0.neuron0" in code[4].outputs[0]["data"]["text/html"]
