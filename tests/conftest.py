"""Shared test setup: the presets shipped in presets/, extra photos from ../shared when present, small images.

The suite needs no network and no ../shared: tests that use ../shared/photos skip (with the reason)
where it is absent, as in a newcomer's fresh clone.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
PRESETS = ROOT / "presets"
HEIC = ROOT / "tests" / "data" / "tubingen.heic"  # the example photo at 160×120, saved by pillow-heif
TUBINGEN = str(PRESETS / "tubingen.jpg")  # the paper's photo, shipped (CC BY 3.0)

os.environ.pop("STYLE_PRESETS_DIR", None)  # the shipped presets, whatever the caller's shell has


def shared_photo(name: str) -> Path:
    """A test photo from ../shared/photos (not shipped: unknown licence); skips when absent."""
    path = SHARED / "photos" / name
    if not path.is_file():
        pytest.skip(f"{path} is absent (../shared is not beside this checkout)")
    return path


def photo(width: int = 96, height: int = 72, seed: int = 0) -> Image.Image:
    """A small synthetic 'photo': smooth gradients plus a few shapes, different per seed."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(width, height)
    base = np.stack([x, y, 1 - x * y], axis=-1) * 0.6 + rng.uniform(0.1, 0.3, 3)
    image = base.copy()
    for _ in range(4):
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 0.2)
        image[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.uniform(0, 1, 3)
    return Image.fromarray((np.clip(image, 0, 1) * 255).astype(np.uint8), "RGB")


def stripes(width: int = 96, height: int = 96, period: int = 8) -> Image.Image:
    """A 'painting': bold diagonal colour stripes, nothing like photo()."""
    y, x = np.mgrid[0:height, 0:width]
    phase = ((x + y) // period) % 3
    palette = np.array([[230, 40, 30], [250, 210, 20], [20, 40, 160]], dtype=np.uint8)
    return Image.fromarray(palette[phase], "RGB")


def png_bytes(image: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **kwargs)
    return buffer.getvalue()


def clip(path: Path, frames: int = 12, size: tuple[int, int] = (96, 72), fps: float = 12, codec: str = "libx264",
         motion: tuple[int, int] = (2, 1), rotation: int = 0, audio_seconds: float = 0.0,
         pixel_format: str = "yuv420p", cut_at: int = 0) -> Path:
    """A clip panning over the Tübingen photo by ``motion`` px a frame (its true flow: frame t's pixel x was
    at x + motion in frame t-1), written with PyAV in the container ``path``'s suffix names. ``rotation``:
    a display matrix (degrees counter-clockwise, as a phone's portrait clip: -90); ``audio_seconds``: a
    440 Hz tone that long; ``cut_at``: from this frame on, the pan goes on over the photo upside down in
    its inverse colours (a hard cut)."""
    import av
    from fractions import Fraction
    from PIL import ImageOps

    width, height = size
    stored = (height, width) if rotation % 180 else (width, height)
    dx, dy = motion
    source = Image.open(TUBINGEN).convert("RGB").resize((width + abs(dx) * frames + 8, height + abs(dy) * frames + 8))
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1000))
        stream.width, stream.height, stream.pix_fmt = stored[0], stored[1], pixel_format
        if rotation:
            stream.set_display_rotation(rotation)
        if codec == "libx265":
            stream.options = {"x265-params": "log-level=error"}
        sound = None
        if audio_seconds:
            sound = container.add_stream("aac", rate=44100)
            sound.layout = "mono"
        for t in range(frames):
            x, y = (abs(dx) * frames - dx * t if dx < 0 else dx * t), (abs(dy) * frames - dy * t if dy < 0 else dy * t)
            picture = source.crop((x, y, x + width, y + height))
            if cut_at and t >= cut_at:
                picture = ImageOps.invert(picture.rotate(180))
            if rotation:
                picture = picture.rotate(-rotation, expand=True)  # stored turned back: the player turns it upright
            for packet in stream.encode(av.VideoFrame.from_image(picture)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if sound is not None:
            samples = int(audio_seconds * 44100)
            tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(samples) / 44100)).astype(np.float32)
            for start in range(0, samples, 1024):
                frame = av.AudioFrame.from_ndarray(tone[None, start:start + 1024], format="fltp", layout="mono")
                frame.sample_rate, frame.pts = 44100, start
                for packet in sound.encode(frame):
                    container.mux(packet)
            for packet in sound.encode():
                container.mux(packet)
    return path
