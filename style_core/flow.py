"""Optical flow between a clip's frames, where it can be trusted, and warping along it.

Flow is OpenCV's DIS (Kroeger et al. 2016): no weights, milliseconds a frame at a few hundred px on
a CPU. Conventions: a flow is ``(H, W, 2)`` float32 in pixels, (dx, dy); ``backward`` is from frame t
to frame t-1 (frame t's pixel x came from x + backward(x) in frame t-1), ``forward`` the reverse.
Images are ``(1, C, H, W)`` tensors, as in the rest of the engine.

Reliability follows Ruder, Dosovitskiy & Brox (2016): a pixel of frame t is trusted where the two
flows cancel (else it was hidden in frame t-1: disoccluded), away from motion boundaries, and where it
came from inside frame t-1.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

# DIS's medium preset with its variational refinement: at 320 px about 15 ms a flow on one core; the
# fast presets miss the thin limbs of walking people, which then flicker.
PRESET = cv2.DISOPTICAL_FLOW_PRESET_MEDIUM
# Ruder et al.'s thresholds: disocclusion |w + ŵ|² > 0.01 (|w|² + |ŵ|²) + 0.5, motion boundary
# |∇u|² + |∇v|² > 0.01 |w|² + 0.002 (w in pixels).
CONSISTENT = (0.01, 0.5)
BOUNDARY = (0.01, 0.002)
WARP_MODE = "bicubic"


@dataclass(frozen=True)
class Motion:
    """What links frame t-1 to frame t: the backward flow and where it can be trusted."""

    backward: np.ndarray  # (H, W, 2): frame t's pixel x came from x + backward(x) in frame t-1
    reliable: np.ndarray  # (H, W) float32: 1 where the flow is trusted, 0 where frame t shows something new


def _gray(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"))


def _flow(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The flow from ``source`` to ``target``: source(x) ≈ target(x + flow(x))."""
    dis = cv2.DISOpticalFlow_create(PRESET)
    return dis.calc(source, target, None)


def motion(previous: Image.Image, current: Image.Image) -> Motion:
    """The flows between two frames of the same size and where the backward one is trusted."""
    before, now = _gray(previous), _gray(current)
    backward, forward = _flow(now, before), _flow(before, now)
    return Motion(backward, reliability(backward, forward))


def _sample(field: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """``field`` (H, W, C) read at x + flow(x), bilinear, its border continued."""
    xs, ys = _grid(flow)
    return cv2.remap(field, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _grid(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel's x and y, for a flow's (H, W) shape."""
    height, width = flow.shape[:2]
    return np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))


def reliability(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """1 where frame t's pixel is seen in frame t-1 along consistent flows away from motion boundaries, else 0."""
    there = _sample(forward, backward)  # the forward flow at where each pixel came from
    a, b = CONSISTENT
    disoccluded = ((backward + there) ** 2).sum(-1) > a * ((backward ** 2).sum(-1) + (there ** 2).sum(-1)) + b
    du = np.stack(np.gradient(backward[..., 0]), -1)
    dv = np.stack(np.gradient(backward[..., 1]), -1)
    a, b = BOUNDARY
    boundary = (du ** 2).sum(-1) + (dv ** 2).sum(-1) > a * (backward ** 2).sum(-1) + b
    # What came in over the frame's edge (a pan) was not in frame t-1: its "source" is the border smeared.
    height, width = backward.shape[:2]
    xs, ys = _grid(backward)
    outside = ((xs + backward[..., 0] < -0.5) | (xs + backward[..., 0] > width - 0.5)
               | (ys + backward[..., 1] < -0.5) | (ys + backward[..., 1] > height - 0.5))
    return (~(disoccluded | boundary | outside)).astype(np.float32)


def warp(image: torch.Tensor, backward: np.ndarray) -> torch.Tensor:
    """Frame t-1's ``image`` (1, C, H, W) moved into frame t along the backward flow (bilinear)."""
    height, width = backward.shape[:2]
    flow = torch.from_numpy(backward).to(image.device, image.dtype)
    ys, xs = torch.meshgrid(torch.arange(height, device=image.device, dtype=image.dtype),
                            torch.arange(width, device=image.device, dtype=image.dtype), indexing="ij")
    # grid_sample's coordinates: -1 and 1 are the centres of the outer pixels (align_corners=True).
    grid = torch.stack(((xs + flow[..., 0]) / max(width - 1, 1), (ys + flow[..., 1]) / max(height - 1, 1)), -1)
    return F.grid_sample(image, (2 * grid - 1).unsqueeze(0), mode=WARP_MODE, padding_mode="border",
                         align_corners=True)


def moved_painting(painted: torch.Tensor, previous: Image.Image, current: Image.Image, link: Motion) -> torch.Tensor:
    """The last painted frame moved into the current one, with what the photo changed where the flow is not
    trusted added to it (a person who walked away leaves the floor's colours, not a ghost of the person):
    the start and the temporal target of the current frame's painting, in [0, 1]."""
    moved = warp(painted, link.backward)
    now = torch.from_numpy(np.asarray(current.convert("RGB"), dtype=np.float32) / 255).permute(2, 0, 1).unsqueeze(0)
    before = torch.from_numpy(np.asarray(previous.convert("RGB"), dtype=np.float32) / 255).permute(2, 0, 1).unsqueeze(0)
    change = now.to(painted.device) - warp(before.to(painted.device), link.backward)
    new = torch.from_numpy(_spread(1.0 - link.reliable)).to(painted.device).view(1, 1, *link.reliable.shape)
    return (moved + new * change).clamp_(0, 1)


def in_between(before: torch.Tensor, photo_before: Image.Image, after: torch.Tensor, photo_after: Image.Image,
               photo: Image.Image, t: float) -> torch.Tensor:
    """A frame between two painted ones, ``t`` of the way from ``before`` to ``after``: each moved here along
    its own flow (moved_painting), blended by nearness where both are trusted, taken from the one that saw
    a pixel where only one did (what appears or leaves between them), in [0, 1]."""
    blended, weights = 0.0, 0.0
    for painted, seen, near in ((before, photo_before, 1.0 - t), (after, photo_after, t)):
        link = motion(seen, photo)
        trusted = torch.from_numpy(1.0 - _spread(1.0 - link.reliable)).to(painted.device)
        weight = near * trusted.view(1, 1, *trusted.shape) + 1e-3 * near  # neither trusted: by nearness
        blended = blended + weight * moved_painting(painted, seen, photo, link)
        weights = weights + weight
    return (blended / weights).clamp_(0, 1)


def _spread(mask: np.ndarray, radius: int = 2) -> np.ndarray:
    """``mask`` grown by ``radius`` px and softened: flow is least sure at the edges of what moved."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    grown = cv2.dilate(mask, kernel)
    return cv2.GaussianBlur(grown, (2 * radius + 1, 2 * radius + 1), 0)


def warping_error(current: Image.Image, previous: Image.Image, link: Motion) -> float:
    """Mean absolute difference (0-255) between ``current`` and ``previous`` moved into it along the
    flow, over the trusted pixels: the flicker measure of Lai et al. (2018)."""
    now = torch.from_numpy(np.asarray(current.convert("RGB"), dtype=np.float32)).permute(2, 0, 1).unsqueeze(0)
    before = torch.from_numpy(np.asarray(previous.convert("RGB"), dtype=np.float32)).permute(2, 0, 1).unsqueeze(0)
    moved = warp(before, link.backward)
    mask = torch.from_numpy(link.reliable)
    if not mask.sum():
        return 0.0
    return float(((now - moved).abs().mean(1)[0] * mask).sum() / mask.sum())
