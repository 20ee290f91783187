"""The quality ruler: how far a result is from its photo's content and its painting's style.

Measured with the engine's own VGG-19 at one evaluation size (long side, px), equal weight per
style layer: style distance = mean over relu1_1..relu5_1 of ‖G(x) − G(style)‖² / ‖G(style)‖²,
content distance = ‖F(x) − F(photo)‖² / ‖F(photo)‖² at relu4_2. Lower is better. The benchmark
and the tests score results with it.

A print (schedule.py) is judged twice: brought down to the screen size with ``distances`` (does it
keep the screen painting's look?), and at 100 % with ``brushwork_distance``: the style distance over
the shallow layers only (relu1_1–relu3_1, the brushwork) against the painting at the picture's own
size, or at the painting's own pixels where the picture is larger.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from .config import CONTENT_LAYERS, STYLE_LAYERS
from .features import get_extractor
from .image_io import fit_size, resize, to_tensor
from .losses import content_loss, gram_matrix, style_loss

BRUSHWORK_LAYERS = STYLE_LAYERS[:3]  # relu1_1–relu3_1


def distances(image: Image.Image, photo: Image.Image, style: Image.Image, size: int) -> tuple[float, float]:
    """(style distance, content distance) of ``image``, all three images measured at ``size``."""
    extractor = get_extractor("caffe", torch.device("cpu"), "avg", CONTENT_LAYERS + STYLE_LAYERS, exact=True)
    wh = fit_size(photo.size, size)
    with torch.no_grad():
        ours = extractor(to_tensor(resize(image, wh)), CONTENT_LAYERS + STYLE_LAYERS)
        target = extractor(to_tensor(resize(photo, wh)), CONTENT_LAYERS)
        styled = extractor(to_tensor(resize(style, fit_size(style.size, size))), STYLE_LAYERS)
    style_d = sum(float(style_loss(ours[k], gram_matrix(styled[k]))) for k in STYLE_LAYERS) / len(STYLE_LAYERS)
    content_d = sum(float(content_loss(ours[k], target[k])) for k in CONTENT_LAYERS) / len(CONTENT_LAYERS)
    return style_d, content_d


def brushwork_distance(image: Image.Image, style: Image.Image) -> float:
    """Mean Gram distance over BRUSHWORK_LAYERS of ``image`` at its own size against ``style`` at the same
    long side, or at its own pixels where ``image`` is larger."""
    extractor = get_extractor("caffe", torch.device("cpu"), "avg", BRUSHWORK_LAYERS, exact=True)
    side = min(max(image.size), max(style.size))
    with torch.no_grad():
        ours = extractor(to_tensor(image), BRUSHWORK_LAYERS)
        styled = extractor(to_tensor(resize(style, fit_size(style.size, side))), BRUSHWORK_LAYERS)
    return sum(float(style_loss(ours[k], gram_matrix(styled[k]))) for k in BRUSHWORK_LAYERS) / len(BRUSHWORK_LAYERS)


SIDES = ("top", "bottom", "left", "right")


def edge_profile(image: Image.Image, band: int = 16, reference: int = 32) -> dict[str, tuple[float, float]]:
    """How each edge's outer ``band`` px differs from the ``reference`` px just inside it, line by line:
    per side (top, bottom, left, right), the largest colour shift of a line's mean against the reference's
    (0-255 RGB, the mean of the three channels' absolute differences: a frame) and the largest ratio of a
    line's stroke energy (mean |Laplacian| of the luminance) to the reference's (a dotted rim, a band of
    busier strokes). A clean edge: a shift of a few units and a ratio near 1."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.float64)
    grey = rgb @ np.array([0.299, 0.587, 0.114])
    # The border pixels' own Laplacian by replicating the picture's edge (what a viewer sees beyond it: nothing).
    padded = np.pad(grey, 1, mode="edge")
    laplacian = np.abs(4 * grey - padded[:-2, 1:-1] - padded[2:, 1:-1] - padded[1:-1, :-2] - padded[1:-1, 2:])
    found = {}
    for side in SIDES:
        colours, energy = _lines(rgb, side), _lines(laplacian[..., None], side)
        # Lines from the edge inward; the ends of each line (the corners, the other edges) left out.
        ref_colour = colours[band:band + reference].mean(axis=0)
        ref_energy = energy[band:band + reference].mean()
        shift = max(float(np.abs(colours[d] - ref_colour).mean()) for d in range(band))
        ratio = max(float(energy[d].mean() / max(ref_energy, 1e-6)) for d in range(band))
        found[side] = (shift, ratio)
    return found


def _lines(array: np.ndarray, side: str, margin: int = 16) -> np.ndarray:
    """Each line parallel to ``side``, from the edge inward, as its mean over the line's length (its
    ``margin`` px at each end left out): shape (lines, channels)."""
    turned = {"top": array, "bottom": array[::-1], "left": array.transpose(1, 0, 2), "right": array.transpose(1, 0, 2)[::-1]}[side]
    return turned[:, margin:-margin].mean(axis=1)
