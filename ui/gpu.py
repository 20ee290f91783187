"""Where a painting (a photo's, or a clip's) runs: in this process, or on a ZeroGPU Space in a forked worker
holding a GPU.

On ZeroGPU (the ``spaces`` package with ``SPACES_ZERO_GPU`` set) ``spaces.GPU`` runs the decorated
generator in a forked process that holds a GPU for the seconds asked for, and pickles each item it
yields back to the server. So the worker yields only picklable CPU objects (style_core's
``Progress`` records with PIL images, and ``Failure``), the server process never touches CUDA,
and the seconds asked for come from the engine's own estimate for this run on a GPU (a clip's: its plan,
kept within the lease by ``longest``).

Stop must end the worker even if ZeroGPU does not tell it: each run has a token file that exists
while the run is wanted; the server removes it when the visitor stops or leaves, and the worker
checks it after every step. The worker also ends by itself within the seconds it asked for.
Elsewhere the same generator runs in this process and Stop closes it directly.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from PIL import Image

from style_core import (AllProgress, Progress, StyleConfig, VideoProgress, estimate_seconds, load_image, plan_clip,
                        resolve_device, schedule, stylize, stylize_all, stylize_video)
from style_core.config import MAX_SIZE
from style_core.devices import free_memory
from style_core.optimize import device_key

try:  # Hugging Face ZeroGPU; without the package (a laptop, a plain server) nothing is wrapped
    import spaces
except ImportError:
    spaces = None

ZERO_GPU = spaces is not None and os.environ.get("SPACES_ZERO_GPU", "").lower() in ("1", "t", "true")
# What a ZeroGPU worker paints on: a GPU (the tests emulate ZeroGPU on a CPU and say so). On ZeroGPU
# the server process must not ask torch about the GPU: only the worker will have one.
WORKER_DEVICE = os.environ.get("DEEPSTYLE_ZEROGPU_DEVICE", "cuda")
DEVICE_TYPE = WORKER_DEVICE if ZERO_GPU else resolve_device("auto").type

# ZeroGPU's card, as the spaces package describes it (GRADIO_NOTES): a slice of an H200 with 74.6 GB.
ZEROGPU_MEMORY = int(74.6e9)


def largest_size(device_type: str, free_bytes: int | None) -> int:
    """The largest long side this server offers: what its device's free memory holds for a square photo
    (the most pixels for a side; schedule.largest_fitting), or MAX_SIZE where memory is not planned."""
    if free_bytes is None:
        return MAX_SIZE
    key = device_key(device_type, StyleConfig().precision)
    return schedule.largest_fitting((1, 1), StyleConfig(), key, free_bytes, tuple(range(MAX_SIZE, 63, -64)))


def _free_bytes() -> int | None:
    if ZERO_GPU:
        return ZEROGPU_MEMORY
    return free_memory(torch.device(DEVICE_TYPE))


LARGEST = largest_size(DEVICE_TYPE, _free_bytes())

GPU_START_S = 10  # the worker's own start: fork, CUDA context, weights onto the GPU
GPU_COLD_S = 5  # a fresh worker's first steps (kernels loaded and chosen), which the estimate leaves out
GPU_MARGIN = 1.5  # on the engine's estimate of the run: another model of GPU, a busy host
GPU_CAP_S = 60  # a visitor's daily ZeroGPU quota is a few minutes: never ask for more than one
# The longest painting a ZeroGPU run holds within GPU_CAP_S (30 s: a poster at 5 s, a print at 15 s).
LONGEST_S = (GPU_CAP_S - GPU_START_S - GPU_COLD_S) / GPU_MARGIN if ZERO_GPU else float("inf")


@dataclass(frozen=True)
class Failure:
    """A bad input or an out-of-memory, as one line for the visitor (crosses the process boundary)."""

    message: str


def gpu_seconds(content: str, styles: list[str], config: StyleConfig, token: str, masks=None) -> int:
    """Seconds of GPU to ask ZeroGPU for: the worker's start, then the run (the engine's estimate on
    the worker's device, with a margin, and a fresh worker's cold start); at most GPU_CAP_S.

    Takes the worker's arguments, as ``spaces.GPU(duration=...)`` calls it with them.
    """
    del styles, token, masks
    return round(min(GPU_CAP_S, GPU_START_S + GPU_COLD_S + GPU_MARGIN * _estimate(content, config)))


def _estimate(content: str, config: StyleConfig) -> float:
    """The engine's estimate of a painting of ``content`` on the worker's device (0 where it cannot be read)."""
    try:
        with Image.open(content) as photo:  # the header only
            size = photo.size
    except (OSError, ValueError):  # the worker will say what is wrong with it, quickly
        size = (4, 3)
    try:
        return estimate_seconds(size, config, device_type=WORKER_DEVICE)
    except ValueError:  # bad settings: the worker reports them at once
        return 0.0


def _paint(content: str, styles: list[str], config: StyleConfig, token: str,
           masks: list | None = None) -> Iterator[Progress | Failure]:
    """The engine's records for one run; ends at once when ``token`` disappears (Stop)."""
    try:
        for progress in stylize(load_image(content, "photo"), styles, config, masks=masks):
            yield progress
            if not os.path.exists(token):
                return
    except ValueError as exc:  # style_core's one-line messages for bad input
        yield Failure(str(exc))
    except torch.OutOfMemoryError:
        yield Failure(f"Out of memory at {config.size} px on this device: try a smaller size.")


def video_seconds(content: str, styles: list[str], config: StyleConfig, token: str, longest: float = math.inf,
                  note: str = "") -> int:
    """Seconds of GPU to ask ZeroGPU for a clip: as gpu_seconds, from the clip's plan on the worker's device
    (which ``longest`` keeps within GPU_CAP_S). Takes the video worker's arguments."""
    del styles, token
    try:
        plan = plan_clip(content, config, device_key(WORKER_DEVICE, config.precision), longest, note)
    except ValueError:  # the worker will say what is wrong, quickly
        return GPU_START_S + GPU_COLD_S
    return round(min(GPU_CAP_S, GPU_START_S + GPU_COLD_S + GPU_MARGIN * plan.seconds))


def _paint_video(content: str, styles: list[str], config: StyleConfig, token: str, longest: float = math.inf,
                 note: str = "") -> Iterator[VideoProgress | Failure]:
    """A clip's records (its frames painted, no file: the server writes them); ends when ``token`` disappears."""
    try:
        for progress in stylize_video(content, styles, config, longest=longest, note=note):
            yield progress
            if not os.path.exists(token):
                return
    except ValueError as exc:
        yield Failure(str(exc))
    except torch.OutOfMemoryError:
        yield Failure("Out of memory on this device: try a smaller size.")


def all_seconds(content: str, styles: list[str], config: StyleConfig, token: str) -> int:
    """Seconds of GPU to ask ZeroGPU for all four: as gpu_seconds, each painting in its share of the time."""
    del token
    share = config.replace(seconds=config.seconds / len(styles)) if config.seconds and not config.steps else config
    return round(min(GPU_CAP_S, GPU_START_S + GPU_COLD_S + GPU_MARGIN * len(styles) * _estimate(content, share)))


def _paint_all(content: str, styles: list[str], config: StyleConfig, token: str) -> Iterator[AllProgress | Failure]:
    """All four's records, each carrying only the picture it made (the server keeps the others: a record
    crosses the process boundary pickled); ends when ``token`` disappears."""
    try:
        for record in stylize_all(load_image(content, "photo"), config, styles):
            yield replace(record, images=())
            if not os.path.exists(token):
                return
    except ValueError as exc:
        yield Failure(str(exc))
    except torch.OutOfMemoryError:
        yield Failure(f"Out of memory at {config.size} px on this device: try a smaller size.")


if spaces is not None:
    _worker = spaces.GPU(duration=gpu_seconds)(_paint)
    _video_worker = spaces.GPU(duration=video_seconds)(_paint_video)
    _all_worker = spaces.GPU(duration=all_seconds)(_paint_all)
else:
    _worker, _video_worker, _all_worker = _paint, _paint_video, _paint_all


def painting(content: str, styles: list[str], config: StyleConfig, masks: list | None = None
             ) -> Iterator[Progress | Failure]:
    """Run the engine where this server paints; closing this generator ends the run there too."""
    if ZERO_GPU:  # end in time to hand back the picture so far, before ZeroGPU's lease runs out
        run_seconds = gpu_seconds(content, styles, config, "") - GPU_START_S
        config = config.replace(max_seconds=min(config.max_seconds or run_seconds, run_seconds))
    yield from _tokened(_worker, content, styles, config, masks)


def painting_video(content: str, styles: list[str], config: StyleConfig, longest: float = math.inf,
                   note: str = "") -> Iterator[VideoProgress | Failure]:
    """A clip's run where this server paints (as ``painting``), planned within ``longest`` seconds."""
    if ZERO_GPU:
        run_seconds = video_seconds(content, styles, config, "", longest, note) - GPU_START_S
        config = config.replace(max_seconds=min(config.max_seconds or run_seconds, run_seconds))
    yield from _tokened(_video_worker, content, styles, config, longest, note)


def painting_all(content: str, styles: list[str], config: StyleConfig) -> Iterator[AllProgress | Failure]:
    """All four's run where this server paints (as ``painting``); a record's ``images`` is left empty."""
    if ZERO_GPU:
        run_seconds = all_seconds(content, styles, config, "") - GPU_START_S
        config = config.replace(max_seconds=min(config.max_seconds or run_seconds, run_seconds))
    yield from _tokened(_all_worker, content, styles, config)


def _tokened(worker, content: str, styles: list[str], config: StyleConfig, *rest) -> Iterator:
    """``worker``'s records for a run with a token file that exists while the run is wanted (Stop removes it)."""
    handle, token = tempfile.mkstemp(prefix="deepstyle-run-")
    os.close(handle)
    run = worker(content, styles, config, token, *rest)
    try:
        yield from run
    finally:
        Path(token).unlink(missing_ok=True)  # the worker ends after its current step
        run.close()
