"""Colour preservation (Gatys et al. 2016, "Preserving Color in Neural Artistic Style Transfer").

- ``match_colors``: recolour a style image so its pixel mean and covariance match the photo's
  (linear colour transfer), before the style targets are computed.
- ``keep_luminance``: keep the result's luminance and the photo's chroma (YIQ), applied to what
  the user sees.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

# RGB -> YIQ (NTSC); its inverse is computed, not typed in.
_RGB_TO_YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])


def keep_luminance(result: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """(1, 3, H, W) RGB: the result's Y with the content's I and Q."""
    to_yiq = _RGB_TO_YIQ.to(result.device, result.dtype)
    yiq_result = torch.einsum("ij,bjhw->bihw", to_yiq, result)
    yiq_content = torch.einsum("ij,bjhw->bihw", to_yiq, content.to(result.dtype))
    mixed = torch.cat([yiq_result[:, :1], yiq_content[:, 1:]], dim=1)
    return torch.einsum("ij,bjhw->bihw", torch.linalg.inv(to_yiq), mixed).clamp(0, 1)


def match_colors(style: Image.Image, content: Image.Image) -> Image.Image:
    """The style image with its colour mean and covariance moved to the content's."""
    s = np.asarray(style, dtype=np.float64).reshape(-1, 3) / 255.0
    c = np.asarray(content, dtype=np.float64).reshape(-1, 3) / 255.0
    s_mean, c_mean = s.mean(0), c.mean(0)
    s_cov = np.cov(s - s_mean, rowvar=False) + 1e-5 * np.eye(3)
    c_cov = np.cov(c - c_mean, rowvar=False) + 1e-5 * np.eye(3)
    # x -> C_c^(1/2) C_s^(-1/2) (x - mu_s) + mu_c, with symmetric matrix square roots.
    transform = _sqrtm(c_cov) @ np.linalg.inv(_sqrtm(s_cov))
    out = (s - s_mean) @ transform.T + c_mean
    array = np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8).reshape(style.size[1], style.size[0], 3)
    return Image.fromarray(array, "RGB")


def _sqrtm(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    return vectors @ np.diag(np.sqrt(np.clip(values, 0, None))) @ vectors.T
