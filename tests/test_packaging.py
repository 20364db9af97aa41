"""`python -m build` makes a wheel and an sdist that install into a fresh venv without extras and
run the demo: one clear line for each missing optional piece (matplotlib, tqdm, dot), never a
traceback. Slow (a build and an install, about half a minute): marked `packaging`, run in CI."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest
from conftest import require_module

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = "autograd/viz/steps_template.html"
SKIP = {".git", ".venv", "out", "build", "dist", "__pycache__", ".ruff_cache", ".hypothesis"}

pytestmark = pytest.mark.packaging


def run(*command, env=None, cwd=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, env=env, cwd=cwd,
        timeout=timeout, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """The wheel and sdist, built from a copy of the sources (the build writes beside them)."""
    require_module("build")
    tmp = tmp_path_factory.mktemp("packaging")
    source = tmp / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=lambda _, names: [n for n in names if n in SKIP or n.endswith(".egg-info")],
    )
    # Without isolation where setuptools is at hand: no second download of the build backend.
    isolation = [] if importlib.util.find_spec("setuptools") is None else ["--no-isolation"]
    done = run(sys.executable, "-m", "build", *isolation, "--outdir", tmp / "dist", source)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return tmp / "dist"


@pytest.fixture(scope="module")
def bare_venv(dist) -> Path:
    """A fresh venv (no pip of its own: the suite's pip installs into it) without any extra."""
    env_dir = dist.parent / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    return env_dir / "bin" / "python"


def test_wheel_ships_both_packages_with_py_typed(dist):
    (wheel,) = dist.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"autograd/py.typed", "nn/py.typed", "nn/micrograd.py", "autograd/viz/graph.py"} <= names
    assert {f"autograd/check/{m}.py" for m in ("numerical", "gradcheck", "torch")} <= names
    assert not [n for n in names if n.startswith(("tests/", "examples/"))]
    (sdist,) = dist.glob("*.tar.gz")
    assert sdist.name == wheel.name.split("-py3")[0] + ".tar.gz"
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"autograd/py.typed", "nn/py.typed", "pyproject.toml", "README.md"} <= members
    # The step-through page's template is package data, in both.
    assert TEMPLATE in names and TEMPLATE in members


def test_wheel_registers_the_pytest_plugin_under_its_name(dist):
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        (path,) = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
        text = archive.read(path).decode()
    section = text.split("[pytest11]", 1)[1].split("\n[", 1)[0]
    assert section.split() == ["autograd.pytest_plugin", "=", "autograd.pytest_plugin"]


def test_installed_without_extras_the_demo_runs_with_one_line_notes(dist, bare_venv, tmp_path):
    """`python -m build` builds the wheel from the sdist, so installing the wheel tests both."""
    (wheel,) = dist.glob("*.whl")
    pip = [sys.executable, "-m", "pip", "--python", bare_venv, "install", "--quiet"]
    done = run(*pip, wheel)
    assert done.returncode == 0, done.stderr[-2000:]
    check = run(bare_venv, "-c", "import matplotlib", cwd=tmp_path)
    assert check.returncode != 0, "the venv must not have matplotlib"
    empty = tmp_path / "no-dot"  # a PATH without Graphviz's dot
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MPLBACKEND")}
    env["PATH"] = str(empty)
    script = bare_venv.parent / "backprop-lab"
    out = tmp_path / "demo"
    done = run(script, "demo", "--epochs", "3", "--out", out, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr + done.stdout
    notes = [line for line in done.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 3, done.stderr
    assert any("tqdm" in n and "backprop-lab[progress]" in n for n in notes)
    assert any("matplotlib" in n and "backprop-lab[plot]" in n for n in notes)
    assert any("`dot`" in n and "graphviz" in n for n in notes)
    assert "training accuracy" in done.stdout
    assert (out / "model.json").exists() and (out / "graph.dot").read_text().startswith("digraph")
    code = (
        "import autograd, nn, pathlib; "
        "print(all((pathlib.Path(m.__file__).parent / 'py.typed').exists() "
        "for m in (autograd, nn)))"
    )
    typed = run(bare_venv, "-c", code, cwd=tmp_path)
    assert typed.stdout.strip() == "True", typed.stderr
    code = (
        "from importlib import resources; "
        "print(resources.files('autograd.viz').joinpath('steps_template.html').is_file())"
    )
    template = run(bare_venv, "-c", code, cwd=tmp_path)
    assert template.stdout.strip() == "True", template.stderr
