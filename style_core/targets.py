"""A painting's style statistics at one scale, kept per process.

Every scale of a run needs its painting's statistics (losses.StyleStats) at that scale's size: a
forward pass of the painting through VGG-19, 1.4 s at 512 px on a 2-core CPU, about a twentieth of
a 30 s run and most of a finest-scale step. They depend only on the painting's pixels, the size
and the layers (at each size, all those the run's stages there match, computed in one pass), so a
run that paints the same painting again (another photo, other settings) reuses them, and
``optimize.prepare_paintings`` prepares the preset paintings' at the default plan's sizes.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from PIL import Image

from .losses import StyleStats

CACHE_SIZE = 32  # sets of statistics kept; one is at most 2.4 MB (the Gram matrices' size is the channels')

_CACHE: OrderedDict[tuple, dict[str, StyleStats]] = OrderedDict()
_LOCK = threading.Lock()


def digest(image: Image.Image) -> str:
    """What tells two paintings apart: a hash of their pixels, size and mode (5 ms for 1280×1000)."""
    hasher = hashlib.blake2b(image.tobytes(), digest_size=16)
    hasher.update(repr((image.size, image.mode)).encode())
    return hasher.hexdigest()


def cached(key: tuple, compute: Callable[[], dict[str, StyleStats]]) -> dict[str, StyleStats]:
    """The statistics under ``key`` (the painting's digest, the size, layers and network settings),
    computed by ``compute`` the first time; the least recently used are dropped past CACHE_SIZE."""
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    stats = compute()  # outside the lock: two runs may compute the same statistics, never wait on each other
    with _LOCK:
        _CACHE[key] = stats
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return stats


def clear() -> None:
    with _LOCK:
        _CACHE.clear()
