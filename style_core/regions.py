"""Painting by region: a different painting on each part of the photo.

Gatys, Ecker, Bethge, Hertzmann & Shechtman, "Controlling Perceptual Factors in Neural Style
Transfer" (CVPR 2017), spatial control with guided Gram matrices: each style has a mask (white
= its region, grey = partly, any size: resized to the canvas). At every style layer the mask is
brought to that layer's resolution, and the Gram matrix of the features inside the region,
normalised by the region's area, is matched to its painting's Gram matrix (with the meancov
style loss, the region's weighted mean and covariance, from the same guided Gram matrix). Soft
edges blend.

Where no mask covers a pixel the photo stays: the gradient reaches each pixel in proportion to
how much the masks cover it (``gate``). Without that, the deep layers' wide receptive fields
would let a region's style loss repaint the photo around it.

Departure: each region's style loss is weighted by the region's share of the canvas, so that a
style is as strong per pixel in a region as it is over a whole unmasked picture (a region's
relative Gram error would otherwise pull harder the smaller the region).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageFilter

from . import image_io
from .features import layer_size
from .losses import StyleStats, style_error, style_stats

MaskSource = image_io.ImageSource | np.ndarray


class RegionError(ValueError):
    """Masks that do not fit the styles, or a mask with no region in it."""


def load_masks(masks: Sequence[MaskSource], styles: int) -> list[Image.Image]:
    """The masks as greyscale images, one per style, or RegionError / ImageError before any work."""
    if len(masks) != styles:
        raise RegionError(f"{len(masks)} mask{'s' if len(masks) != 1 else ''} for {styles} "
                          f"style{'s' if styles != 1 else ''}: give one mask per style, in the same order")
    loaded = []
    for index, source in enumerate(masks, 1):
        if source is None:
            raise RegionError(f"mask {index} is missing: give one mask per style")
        mask = image_io.load_mask(source, f"mask {index}")
        if mask.getextrema()[1] == 0:
            raise RegionError(f"mask {index} is all black: paint its painting's region white")
        loaded.append(mask)
    return loaded


def masks_from_colour_map(source: image_io.ImageSource, colours: Sequence[tuple[int, int, int]],
                          feather: float = 0.0) -> list[np.ndarray]:
    """One mask per colour from a painted colour map (say, brush strokes on a transparent layer).

    A pixel belongs to the nearest of ``colours``, as much as it is opaque (relative to the
    map's most opaque pixel, so a half-transparent brush still marks a whole region); black or
    transparent pixels belong to none. ``feather`` softens each mask's edge over that fraction of
    the map's long side (a Gaussian blur), so a brushed region fades into the photo and into its
    neighbour instead of ending on the stroke's hard edge. Returns float arrays in [0, 1], one per colour.
    """
    rgba = np.asarray(image_io.load_rgba(source, "regions"), dtype=np.float32)
    rgb, alpha = rgba[..., :3], rgba[..., 3]
    alpha = np.where(rgb.max(axis=-1) < 24, 0.0, alpha)  # black counts as unpainted
    if alpha.max() <= 0:
        return [np.zeros(alpha.shape, np.float32) for _ in colours]
    strength = np.clip(alpha / alpha.max(), 0.0, 1.0)
    distance = np.stack([np.abs(rgb - np.asarray(c, np.float32)).sum(-1) for c in colours])
    nearest = distance.argmin(0)
    masks = [np.where(nearest == index, strength, 0.0).astype(np.float32) for index in range(len(colours))]
    if feather > 0:
        blur = ImageFilter.GaussianBlur(feather * max(alpha.shape))
        masks = [np.asarray(Image.fromarray(np.round(m * 255).astype(np.uint8)).filter(blur), np.float32) / 255
                 for m in masks]
    return masks


class Regions:
    """The masks at one scale of a run: at the canvas size, and at each layer's resolution on demand."""

    def __init__(self, masks: list[Image.Image], size: tuple[int, int], device: torch.device, margin: int = 0):
        # On a canvas with a margin (optimize._Objective.pad) each region reaches into the margin beside it.
        arrays = [np.pad(np.asarray(m.resize(size, Image.Resampling.BILINEAR), dtype=np.float32) / 255.0, margin,
                         mode="edge") for m in masks]
        self.masks = [torch.from_numpy(a)[None, None].to(device) for a in arrays]
        # Each region's weight: its share of the canvas (see the module's note).
        self.shares = [float(m.mean()) for m in self.masks]
        self.cover = torch.stack(self.masks).sum(0).clamp(0, 1)  # (1, 1, H, W): how much any mask covers
        self._at: dict[tuple[int, str], torch.Tensor] = {}

    def gate(self, canvas: torch.Tensor) -> torch.Tensor:
        """The canvas as it is, through which gradients pass only where (and as much as) a mask covers."""
        return canvas * self.cover + canvas.detach() * (1 - self.cover)

    def mask(self, index: int, layer: str) -> tuple[torch.Tensor, tuple[slice, slice]]:
        """Region ``index`` at ``layer``'s resolution (area-averaged, as the network's pooling does),
        cropped to the region's bounding box, and that box (the Gram products then cost what the
        region covers, not the whole canvas)."""
        key = (index, layer)
        if key not in self._at:
            full = self.masks[index]
            small = F.interpolate(full, size=layer_size(layer, tuple(full.shape[-2:])), mode="area")
            rows, cols = small[0, 0].amax(dim=1).nonzero(), small[0, 0].amax(dim=0).nonzero()
            if len(rows):  # a region too thin for this layer's resolution has no box: keep it all
                box = (slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1))
            else:
                box = (slice(None), slice(None))
            self._at[key] = (small[..., box[0], box[1]], box)
        return self._at[key]

    def style_loss(self, features: dict[str, torch.Tensor], targets: list[dict[str, StyleStats]],
                   layer_weights: dict[str, float], kind: str) -> torch.Tensor:
        """Σ over regions of share × Σ over layers of weight × the style error of the region's
        statistics (guided: masked Gram matrix and mean) against its painting's."""
        total = 0.0
        for index, (share, stats) in enumerate(zip(self.shares, targets)):
            for layer, weight in layer_weights.items():
                mask, (rows, cols) = self.mask(index, layer)
                guided = style_stats(features[layer][..., rows, cols], mask)
                total = total + share * weight * style_error(guided, stats[layer], kind)
        return total
