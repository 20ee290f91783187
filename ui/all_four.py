"""All four at once, as the page and the API see it: the "All four" tab, the ``/stylize_all`` handler, its
refusals, and what a run leaves.

The photo is painted after each of the paper's four masterpieces in turn (style_core.all_four), each in its
share of the time; the canvas shows the figure (the photo beside a 2×2 grid, each painting under its title)
as the four form, and the status says which one is being painted. A run, finished or stopped, leaves the
figure's PNG, the four paintings' PNGs (each with its own settings) in one ZIP, and the figure's timelapse.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder
from PIL import Image, ImageFont

from style_core import AllProgress, StyleConfig, grid, load_image, save_png
from style_core.all_four import FIGURE

from . import gpu, painting, words
from .words import fixed, say
from .painting import Record

PARAMETERS = ("content", "size", "steps", "style_strength", "preserve_color", "style_scale", "seed", "seconds")
SHOWN_CELL = 320  # the figure on the canvas: about 1000 px wide, under painting.SHOWN_SIDE
# The figure is sent at most once a second, and as each painting begins: drawing and encoding one takes 0.15 s
# of this 2-core CPU, which sent with every preview (0.3-0.5 s apart) the paintings lost a tenth of their time.
FIGURE_EVERY = 1.0
# The figure downloaded: each cell at least as the canvas shows it, at most this (a print's paintings are whole in the ZIP).
FIGURE_CELL = 768
# Fonts that write Korean titles too (Pillow's own writes Latin only; a Space installs Nanum: packages.txt):
# where none is installed, the figure's titles are the paintings' English ones.
FONTS = ("/usr/share/fonts/truetype/nanum/NanumGothic.ttf", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
         "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc")

CSS = """
#all-help p {margin: 4px 0; font-size: 0.95em}
"""


def build() -> None:
    """The tab's contents (inside a gr.Tab): what All four paints."""
    gr.Markdown(fixed("all.help"), elem_id="all-help")


def files_output():
    """Where /stylize_all hands an API caller the four paintings and the figure at the end (the page offers
    them as downloads instead: hidden)."""
    return gr.File(file_count="multiple", visible="hidden", elem_id="all-files",
                   label="The four paintings and the figure")


def paint_all(content: str, size: int = painting.DEFAULTS.size, steps: int = painting.DEFAULTS.steps,
              style_strength: float = painting.DEFAULTS.style_weight, preserve_color: bool = False,
              style_scale: float = painting.DEFAULTS.style_scale, seed: int = painting.DEFAULTS.seed,
              seconds: float = painting.DEFAULT_SECONDS, request: gr.Request = None):
    """Paint the photo after all four masterpieces, as in the paper's Figure 2; streams (the figure, status)
    while they form, then the four paintings' PNGs and the figure's.

    Parameters: content (the photo), then size (each painting's long side), steps (each painting's),
    style_strength, preserve_color, style_scale, seed as in /stylize, and seconds (the whole run's: the
    four share it).
    """
    def prepare():
        return (make_config(size, steps, style_strength, preserve_color, style_scale, seed, seconds),)

    yield from painting._painting(content, prepare, request, _stream, 4)


def make_config(size, steps, style_strength, preserve_color, style_scale, seed, seconds) -> StyleConfig:
    """The engine's settings for all four: as a painting's, ``seconds`` the whole run's."""
    return painting.make_config(size, steps, style_strength, preserve_color, style_scale, seed, 0.0, False, seconds)


def all_refusal(content, size, steps, style_strength, preserve_color, style_scale, seed, seconds) -> tuple[str, str]:
    """Why the server refuses this /stylize_all run, as painting.run_refusal."""
    return painting.refusal(content, painting.photo_problem, lambda: make_config(
        size, steps, style_strength, preserve_color, style_scale, seed, seconds))


def check_all(content, size, steps, style_strength, preserve_color, style_scale, seed, seconds,
              request: gr.Request = None) -> list[dict]:
    """The validator of /stylize_all: as painting.check_run."""
    return painting.verdicts(PARAMETERS, all_refusal(content, size, steps, style_strength, preserve_color,
                                                     style_scale, seed, seconds), request)


def _stream(content: str, config: StyleConfig) -> Iterator[tuple]:
    record = Record(content=content, kind="all", settings={"styles": list(FIGURE), **asdict(config)},
                    paintings=[None] * len(FIGURE), reached=[0] * len(FIGURE))
    photo = load_image(content, "photo")
    yield gr.skip(), say("starting"), gr.skip(), record
    drawn_at, drawn_index = -math.inf, -1

    def update(item):
        nonlocal drawn_at, drawn_index
        _observe(record, item)
        if item.done:
            made = finish(record)
            return made.shown, final_status(record), [str(p) for p in (*made.pngs, made.figure)], record
        if item.progress.image is not None and (item.index != drawn_index or
                                                time.monotonic() - drawn_at >= FIGURE_EVERY):
            record.result = figure(photo, record.paintings, SHOWN_CELL)
            painting._add_frame(record.frames, record.result)
            drawn_at, drawn_index = time.monotonic(), item.index
            return record.result, status(item), gr.skip(), record
        return gr.skip(), status(item), gr.skip(), record

    yield from painting.follow(record, gpu.painting_all(content, list(FIGURE), config), 4, update,
                               lambda last, since: (gr.skip(), status(last, since), gr.skip(), record))


def _observe(record: Record, p: AllProgress) -> None:
    """Keep what the record ``p`` brought: how far its painting is, and its picture."""
    record.index, record.elapsed, record.done = p.index, p.elapsed, p.done
    record.reached[p.index] = p.progress.step
    if p.progress.image is not None:
        record.paintings[p.index] = p.progress.image


def status(p: AllProgress, since: float = 0.0) -> str:
    """How far all four are, ``since`` seconds after the record ``p``: which painting, and by the clock."""
    elapsed, eta = p.elapsed + since, max(p.eta - since, 0.0)
    percent = round(100 * elapsed / (elapsed + eta)) if elapsed + eta > 0 else 0
    return say("all.status", number=p.index + 1, count=len(p.styles), title=words.title(p.styles[p.index]),
               percent=percent, left=say("left", seconds=f"{eta:.0f}"))


def final_status(record: Record | None) -> str:
    """The status once all four have ended: done, or stopped (in which painting)."""
    if record is None or record.result is None:
        return say("stopped.early")
    width, height = next(p for p in record.paintings if p is not None).size
    if record.done:
        return say("all.done", seconds=f"{record.elapsed:.0f}", width=width, height=height)
    return say("all.stopped", number=record.index + 1, count=len(FIGURE), title=words.title(FIGURE[record.index]))


def figure(photo: Image.Image, paintings: list, cell: int) -> Image.Image:
    """The figure in the current language's titles, where a font writes them (else the paintings' own)."""
    font = _font(max(10, round(0.06 * cell)))
    if font is None and words.current() != words.DEFAULT:
        with words.use(words.DEFAULT):
            return figure(photo, paintings, cell)
    return grid(photo, paintings, [words.title(s) for s in FIGURE], say("all.photo"), cell, font)


@functools.lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | None:
    for path in FONTS:
        if os.path.exists(path):
            with contextlib.suppress(OSError):
                return ImageFont.truetype(path, size)
    return None


@dataclass(frozen=True)
class Made:
    """What all four leave: the figure's PNG, the four paintings' PNGs and their ZIP, the figure as shown."""

    figure: Path
    pngs: tuple[Path, ...]
    zip: Path
    size: tuple[int, int]
    shown: Image.Image
    timelapse: Path | None


def finish(record: Record | None) -> Made | None:
    """After a run, finished or stopped: its files, made once (None before any painting had a picture)."""
    if record is None or record.result is None:
        return None
    if record.made is not None:
        return record.made
    Path(get_upload_folder()).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="deepstyle-", dir=get_upload_folder()))
    common = {k: v for k, v in record.settings.items() if k != "styles"}
    pngs = []
    for index, (style, image) in enumerate(zip(FIGURE, record.paintings)):
        if image is None:
            continue
        made = {"styles": [style], **common, "size": max(image.size), "steps_done": record.reached[index],
                "finished": record.done or index < record.index}
        pngs.append(save_png(image, folder / f"deepstyle-{style}-{image.width}x{image.height}.png",
                             {"deepstyle": json.dumps(made)}))
    photo = load_image(record.content, "photo")
    cell = min(FIGURE_CELL, max(SHOWN_CELL, *(max(p.size) for p in record.paintings if p is not None)))
    whole = figure(photo, record.paintings, cell)
    settings = {**record.settings, "all": True, "finished": record.done}
    png = save_png(whole, folder / f"deepstyle-all-four-{whole.width}x{whole.height}.png",
                   {"deepstyle": json.dumps(settings)})
    bundle = folder / "deepstyle-all-four.zip"
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_STORED) as archive:  # PNGs: already compressed
        for path in pngs:
            archive.write(path, path.name)
    record.made = Made(png, tuple(pngs), bundle, whole.size, painting.shown(whole),
                       painting._timelapse(record.frames, folder / "timelapse.gif"))
    return record.made
