"""Where a painting runs: in this process, or on a ZeroGPU Space in a forked worker holding a GPU.

On ZeroGPU (the ``spaces`` package with ``SPACES_ZERO_GPU`` set) ``spaces.GPU`` runs the decorated
generator in a forked process that holds a GPU for the seconds asked for, and pickles each item it
yields back to the server. So the worker yields only picklable CPU objects (style_core's
``Progress`` records with PIL images, and ``Failure``), the server process never touches CUDA,
and the seconds asked for come from the engine's own estimate for this run on a GPU.

Stop must end the worker even if ZeroGPU does not tell it: each run has a token file that exists
while the run is wanted; the server removes it when the visitor stops or leaves, and the worker
checks it after every step. The worker also ends by itself within the seconds it asked for.
Elsewhere the same generator runs in this process and Stop closes it directly.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

from style_core import Progress, StyleConfig, estimate_seconds, load_image, resolve_device, schedule, stylize
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
    try:
        with Image.open(content) as photo:  # the header only
            size = photo.size
    except (OSError, ValueError):  # the worker will say what is wrong with it, quickly
        size = (4, 3)
    try:
        estimate = estimate_seconds(size, config, device_type=WORKER_DEVICE)
    except ValueError:  # bad settings: the worker reports them at once
        estimate = 0.0
    return round(min(GPU_CAP_S, GPU_START_S + GPU_COLD_S + GPU_MARGIN * estimate))


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


_worker = spaces.GPU(duration=gpu_seconds)(_paint) if spaces is not None else _paint


def painting(content: str, styles: list[str], config: StyleConfig, masks: list | None = None
             ) -> Iterator[Progress | Failure]:
    """Run the engine where this server paints; closing this generator ends the run there too."""
    if ZERO_GPU:  # end in time to hand back the picture so far, before ZeroGPU's lease runs out
        run_seconds = gpu_seconds(content, styles, config, "") - GPU_START_S
        config = config.replace(max_seconds=min(config.max_seconds or run_seconds, run_seconds))
    handle, token = tempfile.mkstemp(prefix="deepstyle-run-")
    os.close(handle)
    run = _worker(content, styles, config, token, masks)
    try:
        yield from run
    finally:
        Path(token).unlink(missing_ok=True)  # the worker ends after its current step
        run.close()
