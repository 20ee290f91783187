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
