"""The command line: the demo trains and writes its files; `expression` prints gradients."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--epochs", "0"], "argument --epochs: the number of epochs must be an int >= 1, got '0'"),
        (["--epochs", "-3"], "argument --epochs: the number of epochs must be an int >= 1"),
        (["--epochs", "1.5"], "argument --epochs: the number of epochs must be an int >= 1"),
        (["--samples", "0"], "argument --samples: the number of points must be an int >= 2"),
        (["--samples", "1"], "argument --samples: the number of points must be an int >= 2"),
        (["--lr", "-1"], "argument --lr: the learning rate must be a finite number > 0, got '-1'"),
        (["--lr", "0"], "argument --lr: the learning rate must be a finite number > 0, got '0'"),
        (["--lr", "nan"], "argument --lr: the learning rate must be a finite number > 0"),
        (["--lr", "inf"], "argument --lr: the learning rate must be a finite number > 0"),
        (["--lr", "fast"], "argument --lr: the learning rate must be a finite number > 0"),
        (["--seed", "-1"], "argument --seed: the seed must be an int >= 0, got '-1'"),
        (["--layers", "16,x"], "argument --layers: layer sizes must be like 16,16, got '16,x'"),
        (["--layers", "16,0"], "argument --layers: layer sizes must be positive"),
        (["--dataset", "mnist"], "argument --dataset: invalid choice: 'mnist'"),
        (["--activation", "gelu"], "argument --activation: invalid choice: 'gelu'"),
        (["--out", "/proc/x"], "argument --out: cannot write into '/proc/x'"),
    ],
)
def test_a_bad_option_is_a_usage_error_naming_it(tmp_path, capsys, args, message):
    out = tmp_path / "demo"
    with pytest.raises(SystemExit) as info:
        main(["demo", "--quiet", "--out", str(out), *args])
    assert info.value.code == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith("backprop-lab demo: error: ") and message in last, err
    assert "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())  # nothing trained, nothing written


def test_an_output_path_that_is_a_file_is_a_usage_error(tmp_path, capsys):
    file = tmp_path / "taken"
    file.write_text("")
    with pytest.raises(SystemExit) as info:
        main(["demo", "--quiet", "--out", str(file)])
    assert info.value.code == 2
    assert f"argument --out: '{file}' is a file, not a folder" in capsys.readouterr().err


def test_the_command_exits_2_with_one_error_line_and_no_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "nn", "demo", "--epochs", "0"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "backprop-lab demo: error: argument --epochs: the number of epochs must be an int >= 1, "
        "got '0'"
    )
    assert "Traceback" not in result.stderr and result.stdout == ""
