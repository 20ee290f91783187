"""Which device a run uses, at what precision, and how a CPU run keeps its memory."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import platform

import torch

from .config import DEVICES


# cuDNN's kernel search runs again for every new image size (every photo shape, every scale):
# seconds each time, for no gain at these sizes (bench/bench_speed.py --device cuda).
CUDNN_BENCHMARK = os.environ.get("DEEPSTYLE_CUDNN_BENCHMARK", "0") == "1"


# glibc hands every freed block of over 32 MB back to the system, and the next step maps it afresh, a
# page fault per 4 KB: a 512 px step's activations (50–75 MB each at 64 channels) cost ~100,000 faults
# a step, 8–12 s of kernel time in a 24-step run on 2 cores. Kept in the heap, the same memory is reused:
# the median step 9–20 % faster in four alternating trials, for ~0.3 GB more resident memory.
# DEEPSTYLE_KEEP_FREED_MEMORY=0 leaves glibc's defaults.
KEEP_FREED_MEMORY = os.environ.get("DEEPSTYLE_KEEP_FREED_MEMORY", "1") != "0"
_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # glibc's mallopt parameters (malloc.h)
_TRIM_THRESHOLD = 2**31 - 1  # free memory at the heap's top kept up to 2 GiB (a 1024 px step's activations)


class DeviceError(ValueError):
    """The requested device does not exist on this machine."""


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA, then Apple MPS, then the CPU; a named device must be present."""
    if name not in DEVICES:
        raise DeviceError(f"device must be one of {', '.join(DEVICES)}, but got {name!r}")
    cuda = torch.cuda.is_available()
    mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if name == "auto":
        name = "cuda" if cuda else "mps" if mps else "cpu"
    if (name == "cuda" and not cuda) or (name == "mps" and not mps):
        raise DeviceError(f"device {name!r} was requested, but this machine has none")
    if name == "cuda":
        # TF32 for the convolutions: no visible change to the picture, several times faster.
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.benchmark = CUDNN_BENCHMARK
    if name == "cpu":
        keep_freed_memory()
    return torch.device(name)


@functools.cache
def keep_freed_memory() -> bool:
    """Have glibc keep freed memory for reuse, large blocks included (process-wide, once); whether it
    does. Other C libraries (macOS, Windows, musl) are left as they are."""
    if not KEEP_FREED_MEMORY or platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))


def free_memory(device: torch.device) -> int | None:
    """Bytes free on a CUDA device for a run to plan with (schedule.largest_fitting); None elsewhere
    (a CPU run's memory is the machine's, and the planner leaves it alone)."""
    if device.type != "cuda":
        return None
    return torch.cuda.mem_get_info(device)[0]


def uses_bf16(device: torch.device, precision: str) -> bool:
    """Whether convolutions run in bfloat16: on CUDA, and on CPUs with native BF16 (AVX-512 BF16/AMX)."""
    if precision != "auto":
        return precision == "bf16"
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return False


def autocast(device: torch.device, precision: str):
    """Autocast context for the VGG forward pass (losses and Gram matrices stay float32)."""
    if not uses_bf16(device, precision):
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16)
