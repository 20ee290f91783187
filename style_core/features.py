"""VGG-19 feature extraction: the layer-name table, and an extractor cut at the deepest layer used.

Images are ``(N, 3, H, W)`` RGB tensors in [0, 1]; the extractor applies the preprocessing that
its weights expect (``weights.Preprocess``) and returns ``{layer name: activation}``.
"""

from __future__ import annotations

import threading

import torch
from torch import nn

from .config import LAYER_NAMES
from .weights import ConvParams, Preprocess, WeightsError, load_weights


VGG19_LAYERS: dict[str, int] = {name: index for index, name in enumerate(LAYER_NAMES)}  # relu4_2 -> 22


def layer_size(name: str, size: tuple[int, int]) -> tuple[int, int]:
    """(height, width) of a layer's response to an image of (height, width) ``size``: every
    pooling before the layer halves it, rounding down."""
    height, width = size
    for _ in range(sum(1 for other, i in VGG19_LAYERS.items() if other.startswith("pool") and i < VGG19_LAYERS[name])):
        height, width = height // 2, width // 2
    return height, width


class VGGFeatures(nn.Module):
    """Frozen VGG-19 trunk up to the deepest requested layer."""

    def __init__(self, convs: ConvParams, preprocess: Preprocess, depth: int, pooling: str = "max"):
        super().__init__()
        self.preprocess = preprocess
        modules: list[nn.Module] = []
        params = iter(convs)
        for name, _ in sorted(VGG19_LAYERS.items(), key=lambda item: item[1])[: depth + 1]:
            if name.startswith("conv"):
                weight, bias = next(params)
                conv = nn.Conv2d(weight.shape[1], weight.shape[0], 3, padding=1)
                conv.weight.data.copy_(weight)
                conv.bias.data.copy_(bias)
                modules.append(conv)
            elif name.startswith("relu"):
                modules.append(nn.ReLU(inplace=False))
            else:
                modules.append(nn.MaxPool2d(2, 2) if pooling == "max" else nn.AvgPool2d(2, 2))
        self.layers = nn.Sequential(*modules)
        self.requires_grad_(False).eval()

    def forward(self, rgb: torch.Tensor, names: tuple[str, ...]) -> dict[str, torch.Tensor]:
        wanted = {VGG19_LAYERS[name]: name for name in names}
        last = max(wanted)
        out: dict[str, torch.Tensor] = {}
        x = self.preprocess(rgb)
        for index, module in enumerate(self.layers):
            x = module(x)
            if index in wanted:
                out[wanted[index]] = x
            if index == last:
                break
        return out


_CACHE: dict[tuple, VGGFeatures] = {}
_CACHE_LOCK = threading.Lock()


def get_extractor(weights: str, device: torch.device, pooling: str, layers: tuple[str, ...]) -> VGGFeatures:
    """The extractor for these settings, built once per process and reused (thread-safe)."""
    depth = max(VGG19_LAYERS[name] for name in layers)
    key = (weights, str(device), pooling, depth)
    with _CACHE_LOCK:
        if key not in _CACHE:
            convs, preprocess = load_weights(weights)
            needed = sum(1 for name, index in VGG19_LAYERS.items() if name.startswith("conv") and index <= depth)
            if len(convs) < needed:
                raise WeightsError(f"weights {weights!r} hold {len(convs)} conv layers, but the layers used need {needed}")
            model = VGGFeatures(convs, preprocess, depth, pooling).to(device)
            if device.type == "cuda":
                model = model.to(memory_format=torch.channels_last)
            _CACHE[key] = model
        return _CACHE[key]
