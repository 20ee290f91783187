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
