"""The command line: the demo trains and writes its files; `expression` prints gradients."""

from __future__ import annotations

import json

from nn.cli import main


def test_demo_trains_and_writes_pictures_graph_and_checkpoint(tmp_path, capsys, dot):
    out = tmp_path / "demo"
    assert main(["demo", "--epochs", "30", "--layers", "8,8", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    for name in (
        "loss.png",
        "boundary.png",
        "graph.svg",
        "graph.png",
        "model.json",
        "history.json",
    ):
        path = out / name
        assert path.is_file() and path.stat().st_size > 1000, name
        assert str(path) in printed
    assert (out / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    history = json.loads((out / "history.json").read_text())
    assert len(history["loss"]) == 30 and history["loss"][-1] < history["loss"][0]
    checkpoint = json.loads((out / "model.json").read_text())
    assert len(checkpoint["parameters"]) == 8 * 3 + 8 * 9 + 9
    assert checkpoint["extra"]["accuracy"] >= 0.85
    assert "optimizer" in checkpoint
    assert "layer1.neuron3" in (out / "graph.svg").read_text()


def test_demo_options_reach_the_model(tmp_path, capsys):
    out = tmp_path / "d"
    main(
        [
            "demo",
            "--dataset",
            "circles",
            "--activation",
            "tanh",
            "--layers",
            "4",
            "--epochs",
            "2",
            "--samples",
            "40",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    printed = capsys.readouterr().out
    assert "MLP(2, [4, 1], activations=['tanh', 'linear']" in printed
    assert "40 circles points" in printed


def test_expression_prints_values_and_gradients(capsys):
    assert main(["expression"]) == 0
    printed = capsys.readouterr().out
    assert "w1    -3.0000           1.0000" in printed
    assert "do/dw1 = (1 - o^2) * x1 = 1.0000" in printed
