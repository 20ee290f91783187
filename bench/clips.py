"""Clips the video benchmark makes for itself: an edited clip with cuts, and a face that moves.

    python bench/clips.py          # writes bench/out/clips/cuts.mp4 and face.mp4

- ``cuts.mp4``: 10 s at 25 fps, 640×360, five 2 s shots cut hard: the plaza of ``vtest.avi`` (people
  walking), a pan over Tübingen, a zoom into the Golden Gate, a pan over the Hoover tower at night, the
  plaza again 8 s later. Cuts at 2, 4, 6 and 8 s. Needs ../shared (the footage and photos).
- ``face.mp4``: 4 s at 25 fps, 480×360, scikit-image's astronaut portrait (NASA, public domain) with a
  slow zoom in and a sway, as a talking head's camera drifts: warping frame after frame is what smears a
  face. Needs ``pip install scikit-image`` (its wheel carries the picture).
"""

from __future__ import annotations

import importlib.util
import math
import sys
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
OUT = ROOT / "bench" / "out" / "clips"
FPS, SHOT = 25, 2.0
CUTS = (2.0, 4.0, 6.0, 8.0)  # seconds where cuts.mp4's shots begin


def _write(path: Path, frames, size: tuple[int, int]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(FPS))
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"crf": "18"}
        for image in frames:
            container.mux(stream.encode(av.VideoFrame.from_image(image.convert("RGB"))))
        container.mux(stream.encode())
    return path


def _moving(photo: Path, size: tuple[int, int], frames: int, zoom: tuple[float, float],
            pan: tuple[float, float]):
    """``frames`` views of ``photo``: the crop's scale goes zoom[0] → zoom[1] (of the photo cover-fit),
    its centre slides by ``pan`` (fractions of the free margin, -1..1)."""
    image = Image.open(photo).convert("RGB")
    width, height = size
    cover = max(width / image.width, height / image.height)
    for i in range(frames):
        t = i / max(1, frames - 1)
        scale = cover * (zoom[0] + (zoom[1] - zoom[0]) * t)
        w, h = width / scale, height / scale
        cx = image.width / 2 + pan[0] * t * (image.width - w) / 2
        cy = image.height / 2 + pan[1] * t * (image.height - h) / 2
        yield image.resize(size, Image.BICUBIC, box=(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))


def _footage(start: float, frames: int, size: tuple[int, int]):
    sys.path.insert(0, str(ROOT))
    from style_core import video_io

    shown = video_io.read_frames(SHARED / "videos" / "vtest.avi", size, FPS, int((start + SHOT) * FPS))
    return [frame for k, frame in enumerate(shown) if k >= start * FPS][:frames]


def cuts_clip(path: Path = OUT / "cuts.mp4") -> Path:
    size, n = (640, 360), int(SHOT * FPS)
    photos = SHARED / "photos"
    shots = [_footage(0.0, n, size),
             list(_moving(photos / "tubingen.jpg", size, n, (1.3, 1.3), (-1.0, 0.0))),
             list(_moving(photos / "golden-gate.jpg", size, n, (1.0, 1.35), (0.0, 0.0))),
             list(_moving(photos / "hoover-tower-night.jpg", size, n, (1.25, 1.25), (0.0, 1.0))),
             _footage(8.0, n, size)]
    return _write(path, (frame for shot in shots for frame in shot), size)


def astronaut() -> Path | None:
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        return None
    picture = Path(next(iter(spec.submodule_search_locations))) / "data" / "astronaut.png"
    return picture if picture.is_file() else None


def face_clip(path: Path = OUT / "face.mp4") -> Path | None:
    picture = astronaut()
    if picture is None:
        return None
    size, n = (480, 360), 4 * FPS
    image = Image.open(picture).convert("RGB")
    frames = []
    for i in range(n):
        t = i / (n - 1)
        scale = 1.3 + 0.4 * t  # a slow zoom towards the face
        w, h = image.width / scale, image.width / scale * size[1] / size[0]
        cx = image.width * (0.45 + 0.03 * math.sin(2 * math.pi * 1.5 * t))  # a sway, as a hand-held camera's
        cy = image.height * 0.36 + 0.02 * image.height * math.sin(2 * math.pi * t)
        cx, cy = min(max(cx, w / 2), image.width - w / 2), min(max(cy, h / 2), image.height - h / 2)
        frames.append(image.resize(size, Image.BICUBIC, box=(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)))
    return _write(path, frames, size)


if __name__ == "__main__":
    print(cuts_clip() if (SHARED / "videos" / "vtest.avi").is_file() else "no ../shared: cuts.mp4 not made")
    print(face_clip() or "no scikit-image: face.mp4 not made (pip install scikit-image)")
