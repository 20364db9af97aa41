"""The examples not covered elsewhere, run as the README says (quick mode)."""

from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_compiled_training_follows_the_interpreted_losses(capsys):
    history = load("compiled_training").main(5)
    assert len(history["compiled"]) == len(history["interpreted"]) == 5
    for compiled, interpreted in zip(history["compiled"], history["interpreted"]):
        assert compiled == pytest.approx(interpreted, abs=1e-12)
    assert history["compiled"][-1] < history["compiled"][0]
    assert "ms per step" in capsys.readouterr().out


def test_graph_gallery_writes_its_four_pictures(tmp_path, dot):
    written = load("graph_gallery").main(["--quick", "--out", str(tmp_path)])
    assert sorted(p.name for p in written) == [
        "expression.svg",
        "gradients.svg",
        "mlp_folded.svg",
        "neuron.svg",
    ]
    texts = {p.stem: " ".join(t.text or "" for t in ET.parse(p).iter()) for p in written}
    assert "data -8" in texts["expression"] and "grad 6" in texts["expression"]  # L, dL/da
    assert "layer1.neuron3: " in texts["mlp_folded"]  # folded into one node per neuron
    assert "tanh" in texts["neuron"]
