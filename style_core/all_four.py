"""All four at once: a photo painted after each of the paper's four masterpieces, as in its Figure 2.

``stylize_all()`` paints the photo after each painting in turn, each in its share of the time (what is
left, shared among the paintings left: one that ends early leaves its time to the next), and yields the
four as they form. One at a time, not a batch of four through VGG-19: on a 2-core CPU a batch of four
costs 2× per picture at 512 px (a step 1.03 s → 8.17 s), so in a given time each painting would get half
the steps; a GPU is unmeasured. ``grid()`` lays out the photo and the four under their titles.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from . import image_io, presets
from .config import StyleConfig
from .devices import resolve_device
from .optimize import Progress, stylize
from .schedule import AUTO_SECONDS

# The paper's Figure 2, in its order: B Turner, C van Gogh, D Munch, F Kandinsky.
FIGURE = ("shipwreck-of-the-minotaur", "starry-night", "the-scream", "composition-vii")
CELL = 384  # a grid cell's long side, px
TITLE = 0.06  # a title's text height, of a cell's long side


@dataclass(frozen=True)
class AllProgress:
    """One step of an all-four run: painting ``index`` (0-based) at ``progress``; ``images`` holds each
    painting as far as it got (None: not begun), the one being painted as of its last preview."""

    index: int
    styles: tuple[str, ...]
    progress: Progress
    images: tuple[Image.Image | None, ...]
    elapsed: float  # seconds since the run started
    eta: float  # seconds left, all paintings
    done: bool = False  # the last record: every painting finished (or the time cap ended the run)


def stylize_all(content: image_io.ImageSource, config: StyleConfig = StyleConfig(),
                styles: Sequence[str] = FIGURE) -> Iterator[AllProgress]:
    """Paint ``content`` after each of ``styles`` (preset ids or paths; the four of Figure 2 by default),
    one after the other; yields an AllProgress after every step of each.

    By time, ``config.seconds`` is the whole run's (each painting gets what is left over the paintings left);
    by steps, each painting gets ``config.steps``. ``config.max_seconds`` caps the whole run: the paintings
    not begun by then stay None. Bad input raises ``ValueError`` subclasses before any work."""
    styles = tuple(styles)
    if not styles:
        raise ValueError("all four: no paintings given")
    photo = image_io.load_image(presets.resolve_image(content) if isinstance(content, str) else content)
    loaded = [image_io.load_image(presets.resolve_image(s)) for s in styles]  # every painting checked first
    total = 0.0 if config.steps else config.seconds or _default(config)
    start = time.perf_counter()
    images: list[Image.Image | None] = [None] * len(styles)
    progress = None
    for index, painting in enumerate(loaded):
        elapsed = time.perf_counter() - start
        if config.max_seconds and elapsed >= config.max_seconds:
            break
        own = config.replace(seconds=max(1.0, (total - elapsed) / (len(styles) - index))) if total else config
        if config.max_seconds:
            own = own.replace(max_seconds=max(1.0, config.max_seconds - elapsed))
        for progress in stylize(photo, painting, own):
            if progress.image is not None:
                images[index] = progress.image
            now = time.perf_counter() - start
            # By steps, the paintings left at this one's pace.
            eta = max(0.0, total - now) if total else progress.eta + (len(styles) - index - 1) * (
                progress.elapsed + progress.eta)
            yield AllProgress(index, styles, progress, tuple(images), now, eta)
    if progress is None:
        raise ValueError("all four: nothing was painted")
    yield AllProgress(index, styles, progress, tuple(images), time.perf_counter() - start, 0.0, done=True)


def _default(config: StyleConfig) -> float:
    """The whole run's time when none is asked for: four times a photo's default on this kind of device."""
    return 4 * AUTO_SECONDS.get(resolve_device(config.device).type, 30.0)


def grid(photo: Image.Image, paintings: Sequence[Image.Image | None], titles: Sequence[str],
         photo_title: str = "Photo", cell: int = CELL, font: ImageFont.FreeTypeFont | None = None) -> Image.Image:
    """The figure: the photo on the left, the paintings in a 2×2 grid beside it, each under its title (a
    painting not begun: its cell left blank). ``font``: one that writes the titles' script (default: Pillow's)."""
    size = image_io.fit_size(photo.size, cell)
    text = font or ImageFont.load_default(size=max(10, round(TITLE * cell)))
    line = round(TITLE * cell * 1.8)
    gap = max(4, cell // 48)
    width, height = 3 * size[0] + 4 * gap, 2 * (size[1] + line) + 3 * gap
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)

    def place(image: Image.Image | None, title: str, x: int, y: int) -> None:
        if image is not None:
            sheet.paste(image_io.resize(image.convert("RGB"), size), (x, y))
        else:
            draw.rectangle((x, y, x + size[0] - 1, y + size[1] - 1), fill=(235, 235, 235))
        draw.text((x + size[0] / 2, y + size[1] + line / 2), _fitted(title, text, size[0], draw), fill=(20, 20, 20),
                  font=text, anchor="mm")

    place(photo, photo_title, gap, (height - size[1] - line) // 2)
    for i, (image, title) in enumerate(zip(paintings, titles)):
        place(image, title, gap + (1 + i % 2) * (size[0] + gap), gap + (i // 2) * (size[1] + line + gap))
    return sheet


def _fitted(title: str, font, width: int, draw: ImageDraw.ImageDraw) -> str:
    """``title`` shortened with an ellipsis until it fits ``width``."""
    shown = title
    while len(shown) > 3 and draw.textlength(shown, font=font) > width - 4:
        shown = shown[:-2].rstrip() + "…"
    return shown
