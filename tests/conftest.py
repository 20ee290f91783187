"""Shared test setup: presets from ../shared/presets, no network, a private cache, small images."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

os.environ.setdefault("STYLE_PRESETS_DIR", str(SHARED / "presets"))
os.environ["DEEPSTYLE_OFFLINE"] = "1"  # tests never download


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPSTYLE_CACHE_DIR", str(tmp_path / "cache"))


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
