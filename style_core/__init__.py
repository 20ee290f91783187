"""DeepStyle's engine: neural style transfer by optimisation (Gatys, Ecker & Bethge, 2015).

Public API::

    from style_core import StyleConfig, stylize
    for progress in stylize("photo.jpg", "starry-night", StyleConfig(size=512)):
        if progress.done:
            progress.image.save("out.png")

    for progress in stylize_video("clip.mp4", "the-scream", StyleConfig(seconds=120), output="out.mp4"):
        print(progress.frame, progress.frames, progress.eta)

    for record in stylize_all("photo.jpg", StyleConfig(seconds=120)):  # the four masterpieces, in turn
        if record.done:
            titles = [presets.get(style).title for style in record.styles]
            grid(load_image("photo.jpg"), record.images, titles).save("figure.png")

Importing this package does no work (weights load on first use) and never imports gradio.
"""

import os

# On a CPU a run alternates OpenMP's threads (PyTorch's own operations) with NNPACK's (its Winograd
# convolutions, features.py); OpenMP's idle threads spin by default and take the cores NNPACK's need:
# a 512 px step 1.3 s, against 1.05 s when they sleep. Read once, when PyTorch loads, so it is set
# before the first import of torch in a process that imports style_core first; a value already set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before the imports below, which load torch

from . import presets
from .all_four import AllProgress, grid, stylize_all
from .config import ConfigError, StyleConfig
from .devices import DeviceError, resolve_device
from .image_io import ImageError, load_image, save_png
from .optimize import Progress, estimate_seconds, plan_scales, prepare_paintings, stylize, warm_up
from .presets import PresetError
from .regions import RegionError
from .video import VideoPlan, VideoProgress, plan_clip, plan_video, stylize_video
from .video_io import ClipWriter, VideoError, probe
from .weights import WeightsError

__all__ = [
    "AllProgress", "ClipWriter", "ConfigError", "DeviceError", "ImageError", "PresetError", "Progress", "RegionError",
    "StyleConfig",
    "VideoError", "VideoPlan", "VideoProgress", "WeightsError", "estimate_seconds", "load_image", "plan_scales",
    "plan_clip", "plan_video", "prepare_paintings", "presets", "probe", "resolve_device", "save_png", "stylize",
    "stylize_all", "grid", "stylize_video", "warm_up",
]
