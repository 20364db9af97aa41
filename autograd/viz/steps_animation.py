"""The step-through as an animation for slides and READMEs: one frame per step, GIF or MP4.

Each frame is the page's picture at that step (the same SVG, texts and highlights, rasterised by
cairosvg) over the panel's lines (drawn by Pillow). GIF needs Pillow and cairosvg, MP4 also
imageio with imageio-ffmpeg: the `viz` extra (`pip install backprop-lab[viz]`).
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

from .steps_page import BACKWARD, FORWARD, StepsPage, svg_frame

__all__ = ["frame_images", "write_animation"]

WIDTH = 1104  # pixels: readable on a slide, small enough for a README; a multiple of 16
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
INK, MUTED, WASH, LINE = "#212529", "#495057", "#F8F9FA", "#DEE2E6"
PHASE = {"start": ("start", MUTED), "forward": ("forward pass", FORWARD),
         "seed": ("backward pass", BACKWARD), "backward": ("backward pass", BACKWARD),
         "done": ("done", "#2B8A3E")}  # fmt: skip
STYLE = {  # panel line kind -> (font, size, colour)
    "eq": ("mono", 22, INK),
    "chain": ("mono-bold", 22, BACKWARD),
    "sub": ("mono", 18, MUTED),
    "run": ("mono", 18, "#6C757D"),
    "note": ("sans", 18, MUTED),
}
MAX_LINES = 9  # panel lines a frame shows


def _need(module: str, purpose: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"save_steps: {purpose} needs the {module} package (pip install backprop-lab[viz]): "
            f"{exc}"
        ) from None


def _font(kind: str, size: int):
    from PIL import ImageFont

    files = {"sans": "DejaVuSans.ttf", "sans-bold": "DejaVuSans-Bold.ttf",
             "mono": "DejaVuSansMono.ttf", "mono-bold": "DejaVuSansMono-Bold.ttf"}  # fmt: skip
    try:
        return ImageFont.truetype(str(FONT_DIR / files[kind]), size)
    except OSError:
        try:
            return ImageFont.truetype(files[kind], size)  # found on the font path elsewhere
        except OSError:
            return ImageFont.load_default(size)


def frame_images(page: StepsPage) -> list:
    """One Pillow RGB image per step of `page`, all of the same size."""
    cairosvg = _need("cairosvg", "an animation")
    _need("PIL", "an animation")
    from PIL import Image, ImageDraw

    images = []
    for k, frame in enumerate(page.frames):
        png = cairosvg.svg2png(
            bytestring=svg_frame(page, k).encode("utf-8"), output_width=WIDTH - 40
        )
        graph = Image.open(io.BytesIO(png)).convert("RGB")
        if graph.height > 620:  # a tall graph: shrink it to leave room for the panel
            graph = graph.resize(
                (round(graph.width * 620 / graph.height), 620), Image.Resampling.LANCZOS
            )
        lines = _panel_lines(frame)
        panel_height = 64 + sum(STYLE[kind][1] + 12 for kind, _ in lines)
        image = Image.new("RGB", (WIDTH, 60 + graph.height + 24 + panel_height), "white")
        draw = ImageDraw.Draw(image)
        title_font = _font("sans-bold", 24)
        draw.text((20, 16), page.title, font=title_font, fill=INK)
        label, colour = PHASE[frame["ph"]]
        badge = _font("sans-bold", 18)
        x = 40 + draw.textlength(page.title, font=title_font)
        draw.rounded_rectangle(
            (x, 18, x + draw.textlength(label, font=badge) + 20, 46), radius=14, fill=WASH
        )
        draw.text((x + 10, 21), label, font=badge, fill=colour)
        counter = f"step {k} of {len(page.frames) - 1}"
        small = _font("sans", 18)
        draw.text((WIDTH - 20 - draw.textlength(counter, font=small), 22), counter, font=small,
                  fill="#6C757D")  # fmt: skip
        draw.line((0, 58, WIDTH, 58), fill=LINE, width=1)
        image.paste(graph, ((WIDTH - graph.width) // 2, 70))
        top = 70 + graph.height + 14
        draw.rectangle((0, top, WIDTH, image.height), fill=WASH)
        draw.line((0, top, WIDTH, top), fill=LINE, width=1)
        draw.text((20, top + 14), frame["t"], font=_font("sans-bold", 22), fill=INK)
        y = top + 52
        for kind, text in lines:
            font_kind, size, colour = STYLE[kind]
            draw.text((20, y), text, font=_font(font_kind, size), fill=colour)
            y += size + 12
        # progress along the bottom: how far through the steps
        done = round(WIDTH * k / max(1, len(page.frames) - 1))
        draw.rectangle((0, image.height - 6, done, image.height), fill=colour_of(frame["ph"]))
        images.append(image)
    return _same_size(images)


def colour_of(phase: str) -> str:
    return PHASE[phase][1]


def _panel_lines(frame: dict) -> list[tuple[str, str]]:
    """The panel's lines, wrapped to the frame's width, at most MAX_LINES of them."""
    out = []
    for kind, text in frame["ln"]:
        size = STYLE[kind][1]
        width = int((WIDTH - 40) / (size * 0.61))  # DejaVu Sans Mono advance ~0.6 em
        for piece in textwrap.wrap(text, width=width) or [""]:
            out.append((kind, piece))
    if len(out) > MAX_LINES:
        out = [*out[: MAX_LINES - 1], ("note", "…")]
    return out


def _same_size(images: list) -> list:
    from PIL import Image

    height = max(im.height for im in images)
    height += -height % 16  # multiples of 16, as video encoders want
    padded = []
    for im in images:
        canvas = Image.new("RGB", (WIDTH, height), WASH)
        canvas.paste(im.crop((0, 0, WIDTH, im.height - 6)), (0, 0))
        canvas.paste(im.crop((0, im.height - 6, WIDTH, im.height)), (0, height - 6))
        padded.append(canvas)
    return padded


def write_animation(page: StepsPage, path: Path, seconds_per_step: float = 1.2) -> Path:
    """Write `page`'s steps to `path`: .gif (Pillow) or .mp4 (imageio with imageio-ffmpeg)."""
    path = Path(path)
    images = frame_images(page)
    if path.suffix.lower() == ".gif":
        durations = [round(seconds_per_step * 1000)] * len(images)
        durations[-1] = max(durations[-1], 3000)  # rest on the result before looping
        images[0].save(
            path, save_all=True, append_images=images[1:], duration=durations, loop=0,
            optimize=True,
        )  # fmt: skip
        return path
    imageio = _need("imageio.v2", "an MP4")
    _need("imageio_ffmpeg", "an MP4 (its ffmpeg encoder)")
    import numpy as np

    fps = 10
    repeat = max(1, round(seconds_per_step * fps))
    frames = [np.asarray(im) for im in images for _ in range(repeat)]
    frames += [frames[-1]] * (2 * fps)
    imageio.mimwrite(str(path), frames, format="FFMPEG", fps=fps, codec="libx264", quality=8)
    return path
