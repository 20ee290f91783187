"""The bench's edge measure (quality.edge_profile) sees a frame and a dotted rim, and passes a clean edge."""

import numpy as np
from PIL import Image

from style_core.quality import edge_profile


def _texture(seed: int = 0, size: tuple[int, int] = (160, 120)) -> np.ndarray:
    """Brush-like texture: smooth colour fields with strokes, the same everywhere."""
    rng = np.random.default_rng(seed)
    height, width = size[1], size[0]
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([128 + 60 * np.sin(x / 9 + c) * np.cos(y / 7 - c) for c in range(3)], axis=-1)
    return np.clip(base + rng.normal(0, 12, (height, width, 3)), 0, 255)


def test_a_clean_edge_a_frame_and_a_dotted_rim():
    clean = edge_profile(Image.fromarray(_texture().astype(np.uint8)))
    assert all(shift < 6 and ratio < 1.4 for shift, ratio in clean.values()), clean
    framed = _texture()
    framed[:6] = framed[:6] * 0.4 + 0.6 * 40  # a dark frame along the top
    shift, ratio = edge_profile(Image.fromarray(framed.astype(np.uint8)))["top"]
    assert shift > 20, shift
    dotted = _texture()
    dotted[:, -2, :] = np.where((np.arange(120) // 2 % 2)[:, None], 255, 0)  # a postage-stamp line, right
    profile = edge_profile(Image.fromarray(dotted.astype(np.uint8)))
    assert profile["right"][1] > 3 and profile["left"][1] < 1.4, profile
