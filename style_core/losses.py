"""Loss terms of the Gatys et al. (2015) objective, as pure functions.

Features are ``(N, C, H, W)``; Gram matrices ``(N, C, C)``.

Departure from Gatys et al.: each term is *relative* (squared error divided by the target's
squared norm), so every layer starts near 1 whatever its activation scale, the style
strength means the same at every image size, and the total loss is O(1), which keeps the
first L-BFGS steps from being vanishingly small (see ENGINE_NOTES: the 0-255 trap).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

EPS = 1e-8
# meancov style loss: weight of the means' error against the covariances'. Chosen at 30 s on a CPU,
# Tübingen × The Starry Night: of 0.3, 1, 3 and 10, 3 got nearest the painting on the Gram ruler
# (0.0296 against the Gram loss's 0.0459, at about its content distance); 10 keeps the photo closer
# (content 0.60 against 0.74) for a style distance of 0.0366.
MEAN_WEIGHT = 3.0


class _SelfProduct(torch.autograd.Function):
    """``X Xᵀ`` for X (N, C, L). Autograd would take two products for the gradient (one per
    operand); the product is symmetric, so one does: d X = (dG + dGᵀ) X."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return x @ x.transpose(1, 2)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return (grad + grad.transpose(1, 2)).to(x.dtype) @ x


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """``F Fᵀ / (H·W)`` per image: (N, C, H, W) -> (N, C, C), returned in float32.

    The product runs in the features' dtype: bf16 features multiply at bf16 speed (the sum
    accumulates in float32 inside the kernel). Gram products are a fifth of a 512 px step on a CPU.
    """
    n, c, h, w = features.shape
    return _SelfProduct.apply(features.reshape(n, c, h * w)).float() / (h * w)


def masked_gram_matrix(features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The Gram matrix of the features inside a region (Gatys et al. 2017, guided Gram matrices):
    ``(F·m)(F·m)ᵀ / Σm²`` per image, (N, C, H, W) and mask (N or 1, 1, H, W) in [0, 1] -> (N, C, C).

    Normalised by the region's area, so a region's statistics compare with a whole painting's
    ``gram_matrix``; a mask of ones gives exactly ``gram_matrix``. Soft (grey) edges weigh less.
    """
    n, c, h, w = features.shape
    flat = (features * mask.to(features.dtype)).reshape(n, c, h * w)
    area = mask.float().pow(2).sum(dim=(1, 2, 3)).clamp_min(EPS).view(-1, 1, 1)
    return _SelfProduct.apply(flat).float() / area


def relative_error(value: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``‖value − target‖² / ‖target‖²``, a scalar."""
    value, target = value.float(), target.float()
    return (value - target).pow(2).sum() / (target.pow(2).sum() + EPS)


def content_loss(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Relative squared error of one layer's response (Gatys et al. eq. 1, normalised)."""
    return relative_error(features, target)


def style_loss(features: torch.Tensor, target_gram: torch.Tensor) -> torch.Tensor:
    """Relative squared error of one layer's Gram matrix (Gatys et al. eq. 3, normalised)."""
    return relative_error(gram_matrix(features), target_gram)


@dataclass(frozen=True)
class StyleStats:
    """What the style losses compare at one layer: second moments and means of the features."""

    gram: torch.Tensor  # (N, C, C), gram_matrix or masked_gram_matrix
    mean: torch.Tensor  # (N, C), float32

    def covariance(self) -> torch.Tensor:
        return self.gram - self.mean.unsqueeze(2) * self.mean.unsqueeze(1)


def style_stats(features: torch.Tensor, mask: torch.Tensor | None = None) -> StyleStats:
    """The features' StyleStats, over all positions or (mask, as masked_gram_matrix) over a region,
    each position weighted by its mask value squared, as in the guided Gram matrix."""
    if mask is None:
        return StyleStats(gram_matrix(features), features.mean(dim=(2, 3), dtype=torch.float32))
    weight = mask.float().pow(2)  # float32: the product below is float32 without a copy of the features
    area = weight.sum(dim=(1, 2, 3)).clamp_min(EPS).view(-1, 1)
    return StyleStats(masked_gram_matrix(features, mask), (features * weight).sum(dim=(2, 3)) / area)


def style_error(stats: StyleStats, target: StyleStats, kind: str) -> torch.Tensor:
    """A layer's style error, relative as every term here.

    ``gram``: Gatys et al.'s, the Gram matrices' relative error (``style_loss``). ``meancov``: the
    covariances' relative error and the means', weighted 1 : MEAN_WEIGHT, as others match style
    with means and covariances (crowsonkb/style-transfer-pytorch, after Wasserstein-2). The Gram
    matrix mixes the two, dominated by the means' product for ReLU features; apart, the covariances
    get their own weight, and a run gets closer to the painting's Gram matrices in the same steps
    (bench/bench_speed.py measures with the Gram matrices).
    """
    if kind == "gram":
        return relative_error(stats.gram, target.gram)
    return (relative_error(stats.covariance(), target.covariance())
            + MEAN_WEIGHT * relative_error(stats.mean, target.mean)) / (1.0 + MEAN_WEIGHT)


def blend_stats(stats: list[StyleStats], weights: list[float]) -> StyleStats:
    """Several style images' StyleStats as one: the statistics of their mixture (weighted moments)."""
    return StyleStats(blend_grams([s.gram for s in stats], weights), blend_grams([s.mean for s in stats], weights))


def total_variation(image: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of neighbouring pixels, (N, C, H, W) -> scalar."""
    dx = image[..., :, 1:] - image[..., :, :-1]
    dy = image[..., 1:, :] - image[..., :-1, :]
    return dx.pow(2).mean() + dy.pow(2).mean()


def blend_grams(grams: list[torch.Tensor], weights: list[float]) -> torch.Tensor:
    """Weighted average of several style images' Gram matrices (style blending)."""
    total = sum(weights)
    return sum(g * (w / total) for g, w in zip(grams, weights))
