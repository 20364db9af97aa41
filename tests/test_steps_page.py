"""The step-through page, the notebook display and the animation (the browser test is
tests/test_steps_browser.py)."""

from __future__ import annotations

import html
import re

import pytest
from conftest import require_module

from autograd import Value
from autograd.viz.graph import _fields
from autograd.viz.steps_page import StepsPage, save_steps, show_steps, svg_frame
from nn import MLP


def neuron():
    x, w, b = Value(2.0, "x"), Value(-0.5, "w"), Value(0.5, "b")
    return (x * w + b).tanh(), (x, w, b)


def mlp_output():
    model = MLP(2, [16, 16, 1], seed=0)
    return model([Value(0.5, "x0"), Value(-1.0, "x1")])


def final_texts(page: StepsPage) -> dict:
    texts = {}
    for frame in page.frames:
        for unit, which, text in frame["s"]:
            texts[unit, which] = text
    return texts


def test_one_frame_per_step_start_forward_seed_backward_done(dot):
    root, _ = neuron()
    page = show_steps(root)
    assert [f["ph"] for f in page.frames] == ["start", *["forward"] * 3, "seed",
                                              *["backward"] * 3, "done"]  # fmt: skip
    chain = [line for f in page.frames for kind, line in f["ln"] if kind == "chain"]
    assert "dL/dx += dL/dn1 · ∂n1/∂x = 0.7864 · (-0.5) = -0.3932" in chain


def test_every_box_and_edge_a_frame_names_is_in_the_svg(dot):
    for root, collapse in ((neuron()[0], False), (mlp_output(), "neuron"), (mlp_output(), "layer")):
        page = StepsPage(root, collapse=collapse)
        titles = {html.unescape(t) for t in re.findall(r"<title>(.*?)</title>", page.svg)}
        for frame in page.frames:
            for ident in frame["cur"] + frame["ops"] + frame["hit"] + frame["e"]:
                assert ident in titles, (collapse, frame["t"], ident)
            for unit, _, _ in frame["s"]:
                assert unit in titles


@pytest.mark.parametrize("collapse", [False, "neuron", "layer"])
def test_the_last_frame_shows_the_gradients_of_backward(dot, collapse):
    root = mlp_output() if collapse else neuron()[0]
    page = StepsPage(root, collapse=collapse, max_nodes=1000)
    root.backward()
    texts = final_texts(page)
    for unit, node in page.shown.items():
        assert texts[unit, "g"] == _fields(node, True, True, 4)[-1], unit
        assert texts[unit, "d"] == _fields(node, True, True, 4)[-2], unit
    assert len(page.shown) == {False: 6, "neuron": 35, "layer": 3}[collapse]


def test_the_page_is_one_file_that_needs_no_network(dot, tmp_path):
    root, _ = neuron()
    path = save_steps(root, tmp_path / "backprop.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", text)
    assert not re.search(r"https?://(?!www\.w3\.org/)", text)  # only XML namespace names
    assert "dL/dn2 += dL/dL · ∂L/∂n2 = 1.0 · 0.7864 = 0.7864" in text


def test_a_label_cannot_break_out_of_the_script(dot):
    x = Value(1.0, "</script><b>x")
    page = show_steps(x * 2.0)
    assert page.html.count("</script>") == 2  # the data block's and the program's own


def test_jupyter_shows_the_page_in_an_iframe(dot):
    root, _ = neuron()
    shown = show_steps(root)._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in shown
    assert "&lt;svg" in shown and "<svg" not in shown  # all of it inside the attribute


def test_the_mlp_folded_by_neuron_steps_neuron_by_neuron(dot):
    page = StepsPage(mlp_output(), collapse="neuron")
    forward = [f for f in page.frames if f["ph"] == "forward"]
    assert len(forward) == 16 + 16 + 1
    assert forward[0]["t"] == "Forward 1/33: layer0.neuron0"
    line = forward[0]["ln"][1][1]
    assert line.startswith("layer0.neuron0 = relu(b + w0 · x0 + w1 · x1) = relu(")
    assert len(page.html.encode()) < 2_000_000


def test_the_animation_frame_marks_the_current_node(dot):
    root, _ = neuron()
    page = show_steps(root)
    svg = svg_frame(page, 2)  # forward: n2 = n1 + b
    assert 'stroke="#1971C2"' in svg and "data -0.5" in svg and "grad ?" in svg


def test_a_gif_has_one_frame_per_step(dot, tmp_path):
    require_module("cairosvg")
    image_module = require_module("PIL.Image")
    root, _ = neuron()
    path = save_steps(root, tmp_path / "steps.gif")
    with image_module.open(path) as gif:
        assert gif.n_frames == len(show_steps(root).frames) == 9
        assert gif.size[0] == 1104


def test_an_mp4_is_written_where_the_encoder_is_installed(dot, tmp_path):
    require_module("cairosvg")
    require_module("imageio_ffmpeg")
    root, _ = neuron()
    path = save_steps(root, tmp_path / "steps.mp4")
    assert path.read_bytes()[4:8] == b"ftyp"


def test_an_unknown_extension_is_rejected_before_work():
    with pytest.raises(ValueError, match=r"save_steps: unsupported extension '\.png'"):
        save_steps(Value(1.0), "steps.png")


def test_a_bad_precision_is_rejected():
    with pytest.raises(ValueError, match="precision must be an int from 1 to 17, got 0"):
        show_steps(Value(1.0), precision=0)


def test_the_example_script_writes_its_pages(tmp_path, dot):
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "examples" / "watch_backprop.py"
    spec = importlib.util.spec_from_file_location("example_watch_backprop", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.main(["--quick", "--out", str(tmp_path)])
    assert [p.name for p in written] == [
        "neuron.html", "reuse.html", "mlp_by_neuron.html", "mlp_by_layer.html"
    ]  # fmt: skip
    assert "dc/da: 9.0 → 12.0" in (tmp_path / "reuse.html").read_text(encoding="utf-8")


def test_without_graphviz_the_error_says_what_to_install(monkeypatch):
    import autograd.viz.graph
    from autograd import GraphvizNotFoundError

    monkeypatch.setattr(autograd.viz.graph.shutil, "which", lambda name: None)
    with pytest.raises(GraphvizNotFoundError, match="Install the Debian package `graphviz`"):
        show_steps(neuron()[0])


def test_the_steps_benchmark_measures_size_and_nodes(capsys, dot):
    from benchmarks import steps as benchmark

    assert benchmark.main(["--repeats", "1"]) == 0
    table = capsys.readouterr().out
    assert "MLP(2, [16, 16, 1]), collapse='neuron'" in table and "404" in table


def test_a_wide_neuron_is_written_in_whole_terms(dot):
    """Past three weighted inputs the equation elides whole w · x terms, never a pair's half."""
    model = MLP(6, [1], seed=0)
    y = model([Value(float(i), f"x{i}") for i in range(6)])
    page = StepsPage(y, collapse="neuron")
    line = next(f for f in page.frames if f["ph"] == "forward")["ln"][1][1]
    assert line.startswith("layer0.neuron0 = b + w0 · x0 + … + w5 · x5 = ")
