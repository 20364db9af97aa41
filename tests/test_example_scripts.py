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


def test_compiled_training_follows_the_interpreted_losses(capsys, tmp_path):
    history = load("compiled_training").main(["--quick", "--out", str(tmp_path)])
    assert len(history["compiled"]) == len(history["interpreted"]) == 5
    assert history["written"] == [tmp_path / "loss.png"]
    assert (tmp_path / "loss.png").read_bytes()[:4] == b"\x89PNG"
    for compiled, interpreted in zip(history["compiled"], history["interpreted"]):
        assert compiled == pytest.approx(interpreted, abs=1e-12)
    assert history["compiled"][-1] < history["compiled"][0]
    assert "ms per step" in capsys.readouterr().out


def test_compiled_training_trains_the_demos_recipe_to_the_demos_loss(capsys, tmp_path):
    history = load("compiled_training").main(["--compare", "2", "--out", str(tmp_path)])
    lr = history["lr"]
    assert len(lr) == 100 and lr[0] == 1.0 and lr[-1] == pytest.approx(1.0 - 0.9 * 99 / 100)
    assert history["compiled"][0] > 0.9
    assert history["compiled"][-1] < 0.02  # the demo ends at 0.013; a fixed lr 0.05 gave 0.23
    assert history["interpreted"] == pytest.approx(history["compiled"][:2], abs=1e-12)


def test_newton_accepts_out_and_draws_its_path(capsys, tmp_path):
    results = load("newton").main(["--quick", "--out", str(tmp_path)])
    (result,) = results.values()
    assert result["point"] == pytest.approx([1.0, 1.0], abs=1e-9)
    assert (tmp_path / "path.png").read_bytes()[:4] == b"\x89PNG"
    lines = capsys.readouterr().out.splitlines()
    title = next(i for i, line in enumerate(lines) if line.startswith("Newton from"))
    assert lines[title] == "Newton from (-1.2, 1.0):"
    assert lines[title + 1].split() == ["k", "x", "y", "f(x,", "y)", "|grad", "f|"]
    assert lines[title + 2].split()[0] == "0"


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
