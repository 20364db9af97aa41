"""The notebooks in examples/notebooks run top to bottom in a fresh kernel (nbclient) and show
the numbers they promise; they are stored without outputs."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from conftest import STRICT, require_module, require_program

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "examples" / "notebooks"
MNIST = ROOT.parent / "shared" / "data" / "mnist-t10k"


def execute(name: str, monkeypatch) -> list[dict]:
    """Run a notebook in a fresh python3 kernel, from its own folder; the cells' outputs."""
    nbformat = require_module("nbformat")
    nbclient = require_module("nbclient")
    require_module("ipykernel")
    require_module("matplotlib")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(
        book, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    return [cell for cell in book.cells if cell.cell_type == "code"]


def text(cell) -> str:
    parts = []
    for out in cell.outputs:
        if out.output_type == "stream":
            parts.append(out.text)
        elif "data" in out:
            parts.append(out.data.get("text/plain", ""))
    return "".join(parts)


def kinds(cell) -> set[str]:
    return {kind for out in cell.outputs for kind in out.get("data", {})}


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_are_stored_without_outputs(path):
    book = json.loads(path.read_text())
    for cell in book["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, path.name


def test_micrograd_tour_runs_and_shows_its_numbers(monkeypatch):
    require_program("dot", "graphviz")
    cells = execute("micrograd_tour.ipynb", monkeypatch)
    every = "\n".join(text(cell) for cell in cells)
    assert "L = -8.0" in every
    hand = re.search(r"by hand: (\{.*\})", every)[1]
    engine = re.search(r"by the engine: (\{.*\})", every)[1]
    assert (
        eval(hand)
        == eval(engine)
        == {"a": 6.0, "b": -4.0, "c": -2.0, "d": -2.0, "e": -2.0, "f": 4.0}
    )
    assert "o = 0.7071" in every and "do/dw1 = 1.0000, do/dx1 = -1.5000" in every
    graphs = [cell for cell in cells if "image/svg+xml" in kinds(cell)]
    assert len(graphs) == 3, "the expression twice and the neuron, drawn inline"
    first, last, accuracy = re.search(r"loss ([\d.]+) -> ([\d.]+), accuracy (\d+)%", every).groups()
    assert float(last) < 0.05 < float(first) and int(accuracy) >= 95
    assert any("image/png" in kinds(cell) for cell in cells), "the decision boundary, inline"
    worst = float(re.search(r"hand-derived f'\(x\) at 13 points: ([\d.e+-]+)", every)[1])
    assert worst < 1e-6 and "gradient check passed" in every


def test_mnist_notebook_trains_on_the_shared_test_set(monkeypatch):
    if not (MNIST / "t10k-images-idx3-ubyte.gz").exists():
        if STRICT:
            pytest.fail(f"the MNIST test set is missing from {MNIST}")
        pytest.skip(f"the MNIST test set is not in {MNIST}")
    monkeypatch.delenv("MNIST_DIR", raising=False)
    cells = execute("mnist_tensors.ipynb", monkeypatch)
    every = "\n".join(text(cell) for cell in cells)
    assert "10000 images of 784 pixels from mnist-t10k" in every
    assert float(re.search(r"test accuracy after 3 epochs: ([\d.]+)%", every)[1]) >= 85.0
    assert any("image/png" in kinds(cell) for cell in cells), "the learning curves, inline"
    predicted = re.search(r"predicted: (\[.*\])", every)[1]
    true = re.search(r"true: +(\[.*\])", every)[1]
    assert sum(p == t for p, t in zip(eval(predicted), eval(true))) >= 6
