"""Where a clip cuts: found before painting, so that each shot is painted from its own first frame.

A flow across a cut links nothing, and a frame painted from the last shot moved along it keeps that
shot's strokes for many frames. The clip is scanned small (SCAN_SIDE px, every frame of its own up to
30 a second: about 0.1 s a second of clip on 2 CPU cores): a new shot begins where the flow trusts less
than half of the frame, or where the colours jump (mean |ΔHSV| over COLOUR_JUMP, as PySceneDetect's
ContentDetector) far above the changes just before (a flash or a fast pan changes every frame alike).
Measured (bench/clips.py, vtest.avi, a pan): the four hard cuts of cuts.mp4 untrusted 0.94–1.00 and
ΔHSV 52–97; within shots at most 0.05 untrusted and 8.9 ΔHSV (a zooming face).
"""

from __future__ import annotations

import hashlib
import math
import statistics
import threading
from pathlib import Path

import cv2
import numpy as np

from . import flow, video_io
from .video_io import VideoSource

SCAN_SIDE = 96
SCAN_FPS = 30.0
UNTRUSTED = 0.5
COLOUR_JUMP = 27.0
LOCAL = 4.0  # a colour jump counts where it is this many times the median change of the frames before it
_CACHE: dict[tuple, tuple[float, tuple[float, ...]]] = {}  # a file's identity: (the span scanned, its cuts)
_LOCK = threading.Lock()


def cut_times(source: VideoSource, seconds: float = math.inf) -> tuple[float, ...]:
    """The times (s from the clip's start) where a new shot begins, within its first ``seconds``.

    Remembered per file (its path, size and time): the page's plan line and the run scan once, and a
    shorter span is read from a longer one's scan."""
    identity = _identity(source)
    with _LOCK:
        scanned, found = _CACHE.get(identity, (-1.0, ()))
    if seconds > scanned:
        scanned, found = _scan(source, seconds)
        with _LOCK:
            if len(_CACHE) > 64:
                _CACHE.clear()
            _CACHE[identity] = (scanned, found)
    return tuple(t for t in found if t <= seconds)


def _scan(source: VideoSource, seconds: float) -> tuple[float, tuple[float, ...]]:
    """(the span scanned, the cuts in it)."""
    info = video_io.probe(source)
    fps = min(info.fps, SCAN_FPS)
    span = min(seconds, info.seconds)
    frames = video_io.read_frames(source, video_io.even_size(info.size, SCAN_SIDE), fps,
                                  math.floor(span * fps + 1e-6) + 1)
    cuts, changes, previous, colours = [], [], None, None
    for index, frame in enumerate(frames):
        hsv = cv2.cvtColor(np.asarray(frame), cv2.COLOR_RGB2HSV).astype(np.float32)
        if previous is not None:
            change = float(np.abs(hsv - colours).mean())
            untrusted = 1.0 - float(flow.motion(previous, frame).reliable.mean())
            before = statistics.median(changes[-8:]) if changes else 0.0
            if untrusted > UNTRUSTED or (change > COLOUR_JUMP and change > LOCAL * before):
                cuts.append(round(index / fps, 4))
            changes.append(change)
        previous, colours = frame, hsv
    # A span reaching the clip's end covers any longer one asked for later.
    return (math.inf if span >= info.seconds else span), tuple(cuts)


def _identity(source: VideoSource) -> tuple:
    if isinstance(source, bytes):
        return ("bytes", hashlib.sha1(source).hexdigest())
    path = Path(source)
    stat = path.stat()
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def cut_frames(times, fps: float, frames: int, grace: float = 0.0) -> tuple[int, ...]:
    """The painted frames (0-based, at ``fps``, of ``frames``) that begin a new shot at ``times``: frame k
    shows the frame of the clip begun by k / fps + ``grace`` (video_io.read_frames)."""
    found = sorted({math.ceil((t - grace) * fps - 1e-6) for t in times})
    return tuple(k for k in found if 0 < k < frames)
