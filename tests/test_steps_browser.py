"""The step-through page in a real browser: headless Chromium (Debian's chromium and
chromium-driver) driven by selenium. Skips only where those are absent; fails instead under
BACKPROP_LAB_STRICT=1."""

from __future__ import annotations

import statistics

import pytest
from conftest import require_module, require_program

from autograd import Value
from autograd.viz.graph import _fields
from autograd.viz.steps_page import save_steps, show_steps
from nn import MLP

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,860",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = require_program("chromium", "chromium")
    driver_path = require_program("chromedriver", "chromium-driver")
    webdriver = require_module("selenium.webdriver")
    service = require_module("selenium.webdriver.chrome.service")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=service.Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def neuron():
    x, w, b = Value(2.0, "x"), Value(-0.5, "w"), Value(0.5, "b")
    y = (x * w + b).tanh()
    y.label = "y"
    return y


def open_page(browser, root, path, **options):
    page = show_steps(root, **options)
    page.save(path)
    browser.get(path.as_uri())
    return page


def state(browser) -> dict:
    return browser.execute_script(
        """
        const cur = [...document.querySelectorAll('#graph g.node.cur')];
        return {
          step: backpropSteps.step,
          current: cur.map(g => g.querySelector('title').textContent),
          texts: cur.map(g => [...g.querySelectorAll('text')].map(t => t.textContent)),
          panel: document.getElementById('panel').innerText,
          counter: document.getElementById('counter').textContent,
          play: document.getElementById('play').textContent,
          playing: backpropSteps.playing,
        };
        """
    )


def test_pressing_next_walks_every_step_with_the_engines_numbers(browser, tmp_path, dot):
    root = neuron()
    page = open_page(browser, root, tmp_path / "neuron.html")
    steps = page.steps
    root.backward()  # the engine's own gradients, to compare with what the page shows
    next_button = browser.find_element("id", "next")
    seen = [state(browser)]
    for _ in range(len(page.frames) - 1):
        next_button.click()
        seen.append(state(browser))
    assert [s["step"] for s in seen] == list(range(len(page.frames)))
    assert seen[-1]["counter"] == f"step {len(page.frames) - 1} of {len(page.frames) - 1}"

    # forward: the highlighted box is the node computed, its data as the engine computed it
    for k, forward in enumerate(steps.forward, 1):
        node = forward.node
        assert seen[k]["current"][:1] == [page.unit[node]]
        assert forward.formula in seen[k]["panel"]
        assert _fields(node, True, True, 4)[-2] in seen[k]["texts"][0]
    assert "y = tanh(n2) = tanh(-0.5) = -0.4621" in seen[3]["panel"]

    # backward: the node sending its gradient, every chain-rule line with its numbers
    first_backward = len(steps.forward) + 2
    for k, backward in enumerate(steps.backward, first_backward):
        assert seen[k]["current"][:1] == [page.unit[backward.node]]
        for c in backward.contributions:
            assert c.line in seen[k]["panel"]
    assert "dy/dw += dy/dn1 · ∂n1/∂w = 0.7864 · 2.0 = 1.573" in seen[-2]["panel"]
    # the end: the boxes show the gradients backward() computed
    shown = browser.execute_script(
        "return [...document.querySelectorAll('#graph g.node')].map("
        "g => [g.querySelector('title').textContent, [...g.querySelectorAll('text')]"
        ".map(t => t.textContent)])"
    )
    texts = dict(shown)
    for node in (root, *[n for n in steps.nodes if not n.parents]):
        assert _fields(node, True, True, 4)[-1] in texts[page.unit[node]]


def test_arrow_keys_home_and_end_move_through_the_steps(browser, tmp_path, dot):
    page = open_page(browser, neuron(), tmp_path / "keys.html")
    keys = require_module("selenium.webdriver.common.keys").Keys
    body = browser.find_element("tag name", "body")
    body.send_keys(keys.ARROW_RIGHT)
    body.send_keys(keys.ARROW_RIGHT)
    assert state(browser)["step"] == 2
    body.send_keys(keys.ARROW_LEFT)
    assert state(browser)["step"] == 1
    body.send_keys(keys.END)
    assert state(browser)["step"] == len(page.frames) - 1
    body.send_keys(keys.ARROW_RIGHT)  # stays on the last step
    assert state(browser)["step"] == len(page.frames) - 1
    body.send_keys(keys.HOME)
    assert state(browser)["step"] == 0
    browser.find_element("id", "slider").send_keys(keys.ARROW_RIGHT)  # focused slider: one step
    assert state(browser)["step"] == 1


def test_play_advances_on_its_own_and_pause_stops_it(browser, tmp_path, dot):
    wait = require_module("selenium.webdriver.support.wait").WebDriverWait
    open_page(browser, neuron(), tmp_path / "play.html")
    play = browser.find_element("id", "play")
    play.click()
    assert state(browser)["playing"] and "Pause" in state(browser)["play"]
    wait(browser, 10).until(lambda b: state(b)["step"] >= 2)
    play.click()
    paused = state(browser)
    assert not paused["playing"] and "Play" in paused["play"]
    keys = require_module("selenium.webdriver.common.keys").Keys
    browser.find_element("tag name", "body").send_keys(keys.SPACE)  # space plays too
    assert state(browser)["playing"]
    browser.find_element("tag name", "body").send_keys(keys.SPACE)
    assert not state(browser)["playing"]


def test_the_screenshot_shows_the_graph_and_the_highlight(browser, tmp_path, dot):
    image_module = require_module("PIL.Image")
    page = open_page(browser, neuron(), tmp_path / "shot.html")
    k = len(page.steps.forward) + 2 + 2  # a backward step
    browser.execute_script(f"backpropSteps.go({k})")
    path = tmp_path / "backward.png"
    assert browser.save_screenshot(str(path))
    print(f"\nscreenshot: {path}")
    with image_module.open(path) as shot:
        rgb = shot.convert("RGB").resize((350, 215))
        colours = rgb.getcolors(maxcolors=350 * 215)
    assert len(colours) > 50  # not a blank page
    orange = sum(n for n, (r, g, b) in colours if r > 200 and 60 < g < 130 and b < 60)
    assert orange > 20  # the backward highlight (#E8590C) is on screen


def test_each_step_of_the_folded_mlp_renders_and_is_timed(browser, tmp_path, dot):
    model = MLP(2, [16, 16, 1], seed=0)
    root = model([Value(0.5, "x0"), Value(-1.0, "x1")])
    path = save_steps(root, tmp_path / "mlp.html", collapse="neuron")
    browser.get(path.as_uri())
    count = browser.execute_script("return backpropSteps.frames.length")
    # per step: the script of render(k); that plus the style and layout it causes (forced by
    # reading a size); and the time to the next painted frame (two animation frames, so it
    # includes waiting for the display's refresh)
    timings = browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const laid = [], painted = [];
        let k = 0;
        function next() {
          if (k >= backpropSteps.frames.length - 1) {
            done({script: backpropSteps.renderMs, laid: laid, painted: painted}); return; }
          const t0 = performance.now();
          backpropSteps.go(++k);
          document.getElementById('graph').getBoundingClientRect();
          laid.push(performance.now() - t0);
          requestAnimationFrame(() => requestAnimationFrame(() => {
            painted.push(performance.now() - t0); next(); }));
        }
        next();
        """
    )
    assert len(timings["painted"]) == count - 1 and state(browser)["step"] == count - 1

    def summary(name: str) -> str:
        ms = timings[name][-(count - 1) :]
        return f"{name} median {statistics.median(ms):.1f} ms, max {max(ms):.1f} ms"

    print(
        f"\nMLP(2, [16, 16, 1]) folded by neuron, {count} steps, per step: "
        + "; ".join(summary(name) for name in ("script", "laid", "painted"))
    )
    assert "layer0.neuron0" in state(browser)["panel"]
