"""Optical flow, where it is trusted, warping along it, and the flicker measure, on motion known in advance."""

import numpy as np
import torch
from PIL import Image, ImageDraw

from conftest import TUBINGEN
from style_core import flow
from style_core.image_io import to_pil, to_tensor


def _pan(dx: int, dy: int, size=(160, 120)) -> tuple[Image.Image, Image.Image]:
    """Two frames of a camera panning: frame 1's pixel x was at x + (dx, dy) in frame 0."""
    width, height = size
    source = Image.open(TUBINGEN).convert("RGB").resize((width + 16, height + 16))
    return source.crop((0, 0, width, height)), source.crop((dx, dy, dx + width, dy + height))


def test_a_pan_is_found_trusted_and_undone_by_warping():
    before, after = _pan(3, 2)
    link = flow.motion(before, after)
    inner = link.backward[12:-12, 12:-12]
    assert np.allclose(inner.mean((0, 1)), (3, 2), atol=0.1) and np.percentile(np.abs(inner - (3, 2)), 95) < 0.3
    assert link.reliable[12:-12, 12:-12].mean() > 0.97
    moved = to_pil(flow.warp(to_tensor(before), link.backward))
    error = np.abs(np.asarray(moved, float) - np.asarray(after, float))[12:-12, 12:-12].mean()
    assert error < 2.5, error  # on 0-255
    assert flow.warping_error(after, before, link) < 2.5
    assert flow.warping_error(after, Image.effect_noise(after.size, 60).convert("RGB"), link) > 20


def test_what_a_pan_brings_in_over_the_edge_is_not_trusted():
    before, after = _pan(6, 4)  # frame 1 shows 6 px more on the right and 4 px more at the bottom
    link = flow.motion(before, after)
    assert link.reliable[:, -5:].mean() < 0.1 and link.reliable[-3:, :].mean() < 0.1
    assert link.reliable[10:-10, 10:-10].mean() > 0.97


def test_what_a_moving_square_uncovers_is_not_trusted():
    background = Image.open(TUBINGEN).convert("RGB").resize((160, 120))
    frames = []
    for x in (40, 52):
        frame = background.copy()
        ImageDraw.Draw(frame).rectangle((x, 40, x + 30, 80), fill=(250, 20, 20))
        frames.append(frame)
    link = flow.motion(*frames)
    uncovered = link.reliable[45:76, 42:50]  # under the square at first, the photo after
    still = link.reliable[90:115, 100:150]
    assert uncovered.mean() < 0.2 and still.mean() > 0.9, (uncovered.mean(), still.mean())


def test_the_moved_painting_takes_the_photos_change_only_where_the_flow_is_not_trusted():
    before, after = _pan(0, 0)
    after = after.copy()
    ImageDraw.Draw(after).rectangle((60, 40, 100, 80), fill=(255, 255, 255))  # something new appears
    link = flow.motion(before, after)
    painted = torch.full((1, 3, 120, 160), 0.3)
    moved = flow.moved_painting(painted, before, after, link)
    assert torch.allclose(moved[..., 100:, :40], painted[..., 100:, :40], atol=1e-3)  # trusted: the painting
    inside = moved[..., 50:70, 70:90].mean()
    assert inside > 0.6, inside  # new: lightened towards what the photo now shows
