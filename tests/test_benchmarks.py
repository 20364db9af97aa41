"""The benchmark suite runs end to end (quick mode) and reports well-formed numbers.

No timing thresholds: only the shape of the JSON and that every figure and ratio is a positive
number. micrograd (the `bench` extra) is needed; the test skips where it is truly absent.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require_module

ROOT = Path(__file__).resolve().parents[1]
ROWS = {
    "forward",
    "forward_gc_on",
    "backward",
    "training_step",
    "training_step_gc_on",
    "training_step_compiled",
    "training_step_micrograd_style",
    "memory",
    "deepest_chain",
}


@pytest.fixture(scope="module")
def quick_result(tmp_path_factory) -> dict:
    require_module("micrograd")
    require_module("torch")
    out = tmp_path_factory.mktemp("bench") / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,  # three subprocess runs each for the MLP rows and LeNet, on a shared machine
    )
    assert done.returncode == 0, done.stderr
    assert "| benchmark |" in done.stdout and "ratio" in done.stdout
    return json.loads(out.read_text())


def test_quick_run_reports_every_benchmark(quick_result):
    assert set(quick_result["benchmarks"]) == ROWS
    assert quick_result["quick"] is True


@pytest.mark.parametrize("row", sorted(ROWS))
def test_every_figure_and_ratio_is_a_positive_number(quick_result, row):
    entry = quick_result["benchmarks"][row]
    for key in ("backprop_lab", "micrograd", "ratio"):
        value = entry[key]
        assert isinstance(value, (int, float)) and math.isfinite(value) and value > 0, (key, value)
    assert entry["unit"] and entry["name"]


def test_the_machine_and_versions_are_recorded(quick_result):
    machine = quick_result["machine"]
    for key in ("cpu", "cores", "python", "numpy", "torch", "micrograd", "date"):
        assert machine[key], key


def test_both_libraries_train_on_the_same_losses(quick_result):
    differences = quick_result["training"]["max_loss_difference"]
    assert differences["ours_vs_micrograd"] < 1e-9
    assert differences["compiled_vs_ours"] < 1e-9


def test_tensor_epochs_against_torch_are_reported(quick_result):
    tensor = quick_result["tensor"]
    assert tensor["samples"] == 6_400 and tensor["batch"] == 64
    for activation in ("relu", "sigmoid"):
        row = tensor["rows"][activation]
        for key in ("backprop_lab", "torch", "numpy_by_hand", "ratio_to_torch"):
            assert math.isfinite(row[key]) and row[key] > 0, (activation, key)


def test_tensor_training_keeps_memory_flat(quick_result):
    # No graph may stay alive between steps: after 100 steps the traced memory is where it was
    # after 20 (a leaked graph of this network would be megabytes).
    assert abs(quick_result["tensor"]["memory"]["growth_bytes"]) < 100_000


def test_lenet_epoch_against_torch_is_reported_with_flat_memory(quick_result):
    lenet = quick_result["lenet"]
    assert lenet["samples"] == 6_400 and lenet["batch"] == 64 and lenet["threads"] >= 1
    for key in ("backprop_lab", "torch"):
        assert math.isfinite(lenet["seconds"][key]) and lenet["seconds"][key] > 0, key
    # the median of the rounds' own ratios (one round in a quick run: the seconds' ratio)
    ours, theirs = lenet["all_seconds"]["backprop_lab"], lenet["all_seconds"]["torch"]
    assert lenet["round_ratios"] == [a / b for a, b in zip(ours, theirs)]
    assert lenet["ratio_to_torch"] == pytest.approx(
        lenet["seconds"]["backprop_lab"] / lenet["seconds"]["torch"]
    )
    memory = lenet["memory"]
    assert memory["steps"] == 100 and abs(memory["growth_bytes"]) < 100_000
    assert memory["traced_peak_bytes"] > memory["after_20"] > 0 and memory["max_rss_bytes"] > 0


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux's /proc only")
def test_peak_rss_is_this_process_own_and_not_a_forking_parents():
    from benchmarks.lenet import peak_rss_bytes

    status = Path("/proc/self/status").read_text().splitlines()
    now = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))
    assert now <= peak_rss_bytes()
    # a child started while this process holds 320 MB more reports its own peak (numpy's import,
    # tens of MB), where getrusage's can be this process's
    import numpy as np

    held = np.ones(40_000_000)
    code = "from benchmarks.lenet import peak_rss_bytes; print(peak_rss_bytes())"
    child = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert 0 < int(child.stdout) < 200 * 2**20 < held.nbytes
