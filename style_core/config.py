"""StyleConfig: every setting of a style-transfer run, its default, and its validation.

This is the one source of defaults: the CLI builds its options from these fields and
the app's controls take their initial values from ``StyleConfig()``. By default a run is planned
by time (30 s on a CPU, 5 s on a GPU, at the size this device paints well in that time); give
``steps`` for a run planned by steps, which the same seed repeats exactly. ``bench/bench_speed.py`` backs the defaults.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

# Layer names follow the paper: reluB_C is the ReLU after conv C of block B.
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
CONTENT_LAYERS = ("relu4_2",)

OPTIMIZERS = ("lbfgs", "adam")
STYLE_LOSSES = ("meancov", "gram")
INITS = ("content", "noise")
POOLINGS = ("max", "avg")
DEVICES = ("auto", "cuda", "mps", "cpu")
PRECISIONS = ("auto", "fp32", "bf16")
PRESERVE_COLORS = ("none", "luminance", "match")

# Names of the outputs of torchvision's vgg19().features, in order (features.VGG19_LAYERS indexes them).
BLOCK_CONVS = (2, 2, 4, 4, 4)  # convs per block of VGG-19
BLOCK_CHANNELS = (64, 128, 256, 512, 512)  # output channels of each block's convs
LAYER_NAMES = tuple(
    name
    for block, convs in enumerate(BLOCK_CONVS, 1)
    for name in [n for c in range(1, convs + 1) for n in (f"conv{block}_{c}", f"relu{block}_{c}")] + [f"pool{block}"]
)

MIN_SIZE = 32
MAX_SIZE = 4096


class ConfigError(ValueError):
    """A setting is out of range or not one of its allowed values."""


def _field(default: Any, help: str) -> Any:
    # The help text lives in metadata so that the CLI's --help shows it.
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class StyleConfig:
    """Settings of one run. Sizes are pixels of the long side of an image."""

    size: int = _field(0, "long side of the result, px; 0: what this device paints well (512 on a CPU, "
                          "1024 on a GPU), smaller when the time is short")
    screen_size: int = _field(0, "a larger size is a print: painted at this size first, then enlarged an octave "
                                 "at a time with brushwork added at each; 0: 1024 px on a GPU, 512 px elsewhere")
    seconds: float = _field(0.0, "time the painting takes (after start-up), s, when steps is 0; "
                                 "0: 30 s on a CPU, 5 s on a GPU")
    steps: int = _field(0, "optimiser steps over all scales together (most run at low resolution); "
                           "0: as many as fit in seconds. Steps and seed repeat a picture exactly")
    style_weight: float = _field(10.0, "style strength: weight of the style loss against the content loss")
    content_weight: float = _field(1.0, "weight of the content loss")
    tv_weight: float = _field(1.0, "total-variation smoothing; 0 turns it off")
    style_scale: float = _field(1.0, "style image size relative to the result: bigger, bigger brush strokes")
    style_blend: tuple[float, ...] = _field((), "weight of each style image; empty: equal weights")
    content_layers: tuple[str, ...] = _field(CONTENT_LAYERS, "VGG-19 layers whose response is kept (at the finest "
                                             "scale; one block shallower per octave below it)")
    style_layers: tuple[str, ...] = _field(STYLE_LAYERS, "VGG-19 layers whose Gram matrices are matched")
    style_layer_weights: tuple[float, ...] = _field((), "weight of each style layer; empty: equal weights")
    style_loss: str = _field("meancov", "what is matched per style layer: meancov (the features' means and "
                             "covariances: nearer the painting in the same time) or gram (Gatys et al.'s Gram matrices)")
    preserve_color: str = _field("none", "luminance: keep the photo's colours; match: recolour the style first")
    init: str = _field("content", "start from the photo or from noise")
    seed: int = _field(0, "seed of the noise init; the same seed gives the same image on the CPU")
    optimizer: str = _field("lbfgs", "L-BFGS (fast, default) or Adam")
    learning_rate: float = _field(0.02, "Adam's step size (pixels are in [0, 1])")
    pooling: str = _field("avg", "VGG pooling; average pooling gives smoother pictures (Gatys et al.)")
    scales: int = _field(0, "number of coarse-to-fine scales; 0: from the size")
    detail_transfer: float = _field(1.0, "share of the photo's fine detail added when moving to a finer scale")
    min_scale_size: int = _field(128, "long side of the coarsest scale, px, when scales is 0")
    preview_every: int = _field(10, "attach a preview image every this many steps (and at the end)")
    max_seconds: float = _field(0.0, "wall-clock cap on the optimisation, s; 0: none")
    device: str = _field("auto", "auto picks cuda, then mps, then cpu")
    precision: str = _field("auto", "auto: bf16 autocast where it is fast (CPU with AVX-512 BF16, CUDA)")
    fps: float = _field(0.0, "video: frames a second painted (at most the clip's own); 0: from the time")
    clip_seconds: float = _field(0.0, "video: seconds of the clip painted from its start; 0: as much as the time "
                                      "allows (by steps: all of it)")
    temporal_weight: float = _field(50.0, "video: how strongly each frame keeps the last one's strokes where the "
                                           "motion is known (Ruder et al. 2016); 0 paints each frame afresh")
    weights: str = _field("caffe", "caffe (embedded), a local weights file, or hub:<repo id>")

    def __post_init__(self) -> None:
        _check_int("size", self.size, 0, MAX_SIZE)
        if 0 < self.size < MIN_SIZE:
            raise ConfigError(f"size must be 0 (automatic) or between {MIN_SIZE} and {MAX_SIZE}, but got {self.size}")
        _check_int("screen_size", self.screen_size, 0, MAX_SIZE)
        if 0 < self.screen_size < MIN_SIZE:
            raise ConfigError(f"screen_size must be 0 (automatic) or between {MIN_SIZE} and {MAX_SIZE}, "
                              f"but got {self.screen_size}")
        _check_int("steps", self.steps, 0, 100_000)
        _check_number("seconds", self.seconds, 0.0, 3600.0)
        _check_int("scales", self.scales, 0, 4)
        _check_int("min_scale_size", self.min_scale_size, MIN_SIZE, MAX_SIZE)
        _check_int("preview_every", self.preview_every, 1, 100_000)
        for name in ("style_weight", "content_weight", "tv_weight", "max_seconds", "detail_transfer", "temporal_weight",
                     "clip_seconds"):
            _check_number(name, getattr(self, name), 0.0, 1e12)
        _check_number("style_scale", self.style_scale, 0.1, 4.0)
        if self.fps:
            _check_number("fps", self.fps, 1.0, 60.0)
        _check_number("learning_rate", self.learning_rate, 1e-6, 10.0)
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_choice("style_loss", self.style_loss, STYLE_LOSSES)
        _check_choice("init", self.init, INITS)
        _check_choice("pooling", self.pooling, POOLINGS)
        _check_choice("device", self.device, DEVICES)
        _check_choice("precision", self.precision, PRECISIONS)
        _check_choice("preserve_color", self.preserve_color, PRESERVE_COLORS)
        if not self.content_layers or not self.style_layers:
            raise ConfigError("content_layers and style_layers must each name at least one layer")
        for name in self.content_layers + self.style_layers:
            if name not in LAYER_NAMES:
                raise ConfigError(f"unknown VGG-19 layer {name!r}; layers are named like relu4_2 (one of {', '.join(LAYER_NAMES)})")
        if self.style_layer_weights and len(self.style_layer_weights) != len(self.style_layers):
            raise ConfigError(
                f"style_layer_weights needs one weight per style layer ({len(self.style_layers)}), "
                f"but got {len(self.style_layer_weights)}"
            )
        if any(w < 0 for w in self.style_blend + self.style_layer_weights):
            raise ConfigError("style_blend and style_layer_weights must not be negative")
        if self.style_layer_weights and sum(self.style_layer_weights) <= 0:
            raise ConfigError("style_layer_weights must have at least one positive weight")
        if self.style_blend and sum(self.style_blend) <= 0:
            raise ConfigError("style_blend must have at least one positive weight")

    def layer_weights(self) -> dict[str, float]:
        """Each style layer's weight, normalised to sum to 1 (see style_layer_weights)."""
        weights = self.style_layer_weights or (1.0,) * len(self.style_layers)
        total = sum(weights)
        return dict(zip(self.style_layers, (w / total for w in weights)))

    def replace(self, **changes: Any) -> StyleConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be an integer, but got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, but got {value}")


def _check_number(name: str, value: Any, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise ConfigError(f"{name} must be a number, but got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}, but got {value:g}")


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, but got {value!r}")


