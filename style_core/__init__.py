"""DeepStyle's engine: neural style transfer by optimisation (Gatys, Ecker & Bethge, 2015).

Public API::

    from style_core import StyleConfig, stylize
    for progress in stylize("photo.jpg", "starry-night", StyleConfig(size=512)):
        if progress.done:
            progress.image.save("out.png")

Importing this package does no work (weights load on first use) and never imports gradio.
"""

from . import presets
from .config import ConfigError, StyleConfig
from .devices import DeviceError, resolve_device
from .image_io import ImageError, load_image, save_png
from .optimize import Progress, estimate_seconds, plan_scales, prepare_paintings, stylize, warm_up
from .presets import PresetError
from .regions import RegionError
from .weights import WeightsError

__all__ = [
    "ConfigError", "DeviceError", "ImageError", "PresetError", "Progress", "RegionError", "StyleConfig", "WeightsError",
    "estimate_seconds", "load_image", "plan_scales", "prepare_paintings", "presets", "resolve_device", "save_png",
    "stylize", "warm_up",
]
