"""The GPU path: channels_last, bf16 autocast, TF32, memory release, out of memory.

The CPU-side tests run everywhere (CI has no GPU) and exercise the same code the GPU uses; the
CUDA tests run where a GPU is present (``python -m pytest tests/test_devices.py`` on a GPU machine).
"""

import os
import platform
import subprocess
import sys

import pytest
import torch

from conftest import PRESETS, TUBINGEN, photo, stripes
from style_core import StyleConfig, devices, load_image, stylize
from style_core.cli import main as cli_main
from style_core.devices import autocast, resolve_device, uses_bf16
from style_core.features import get_extractor
from style_core.image_io import to_tensor
from style_core.losses import relative_error
from style_core.quality import distances

LAYERS = ("relu1_1", "relu3_1", "relu4_2", "relu5_1")
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _tubingen(width: int = 128) -> torch.Tensor:
    image = load_image(TUBINGEN)
    return to_tensor(image.resize((width, width * 3 // 4)))


def _features(device: torch.device, precision: str, channels_last: bool) -> dict[str, torch.Tensor]:
    extractor = get_extractor("caffe", device, "avg", LAYERS)
    image = _tubingen().to(device)
    if channels_last:
        image = image.contiguous(memory_format=torch.channels_last)
    with torch.no_grad(), autocast(device, precision):
        return {k: v.float().cpu() for k, v in extractor(image, LAYERS).items()}


def test_channels_last_input_gives_the_same_features():
    plain = _features(torch.device("cpu"), "fp32", channels_last=False)
    last = _features(torch.device("cpu"), "fp32", channels_last=True)
    for name in LAYERS:
        assert float(relative_error(last[name], plain[name])) < 1e-8, name


def test_bf16_autocast_features_stay_close_to_fp32():
    # relative_error is ‖a − b‖² / ‖b‖²; measured here on the CPU: 9e-6 (relu1_1) to 4e-5 (relu5_1).
    exact = _features(torch.device("cpu"), "fp32", channels_last=False)
    bf16 = _features(torch.device("cpu"), "bf16", channels_last=False)
    for name in LAYERS:
        assert float(relative_error(bf16[name], exact[name])) < 1e-3, name


# In a fresh process, a CPU device resolved: the pages a 64 MB tensor faults in each time it is made
# again after being freed (twenty times), and whether the setting says it is on.
_REFAULTS = """
import resource, torch
from style_core import devices
devices.resolve_device("cpu")
faults = []
for _ in range(20):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    torch.empty(16 * 2**20).fill_(1.0)
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(*faults, devices.keep_freed_memory())
"""


def _refaults(keep: str) -> tuple[list[int], str]:
    env = dict(os.environ, DEEPSTYLE_KEEP_FREED_MEMORY=keep, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", _REFAULTS], env=env, capture_output=True, text=True, check=True)
    *faults, kept = out.stdout.split()
    return [int(f) for f in faults], kept


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="glibc's allocator only (elsewhere the setting does nothing)")
def test_a_cpu_run_reuses_freed_memory_instead_of_faulting_it_in_again():
    pages = 64 * 2**20 // 4096
    faults, kept = _refaults("1")  # measured: the heap grows over the first one to eight, then 0 faults
    assert kept == "True" and max(faults[-4:]) < pages // 10, faults
    faults, kept = _refaults("0")  # glibc's default: unmapped when freed, every page faulted in again
    assert kept == "False" and min(faults) > pages // 2, faults


def test_cuda_settings_and_precision_choice_without_a_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    flags = [(torch.backends.cudnn, "allow_tf32"), (torch.backends.cudnn, "benchmark"),
             (torch.backends.cuda.matmul, "allow_tf32")]
    saved = [getattr(module, name) for module, name in flags]
    try:
        for module, name in flags:
            setattr(module, name, not devices.CUDNN_BENCHMARK if name == "benchmark" else False)
        assert resolve_device("auto") == torch.device("cuda")
        assert torch.backends.cudnn.allow_tf32 and torch.backends.cuda.matmul.allow_tf32
        assert torch.backends.cudnn.benchmark is devices.CUDNN_BENCHMARK is False  # no search per image size
    finally:
        for (module, name), value in zip(flags, saved):
            setattr(module, name, value)
    gpu = torch.device("cuda")
    assert uses_bf16(gpu, "auto") and not uses_bf16(gpu, "fp32") and uses_bf16(torch.device("cpu"), "bf16")
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    assert not uses_bf16(gpu, "auto")  # pre-Ampere GPUs: fp32 (TF32 where it exists)


def test_cli_out_of_memory_is_one_line_exit_1(tmp_path, monkeypatch, capsys):
    import style_core.cli as cli

    def out_of_memory(*_args, **_kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(cli, "stylize", out_of_memory)
    code = cli_main(["--content", "tubingen", "--style", "starry-night", "--size", "512", "--output", str(tmp_path / "o.png")])
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert code == 1 and err == ["error: out of memory at 512 px on this device: try a smaller --size"]
    cli_main(["--content", "tubingen", "--style", "starry-night", "--output", str(tmp_path / "o.png")])
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert err == ["error: out of memory at the automatic size on this device: try a smaller --size"]


@cuda
def test_cuda_features_match_cpu_fp32_within_bf16_tolerance():
    exact = _features(torch.device("cpu"), "fp32", channels_last=False)
    gpu = _features(resolve_device("cuda"), "auto", channels_last=True)  # what a run uses on CUDA
    for name in LAYERS:
        assert float(relative_error(gpu[name], exact[name])) < 1e-3, name


@cuda
def test_cuda_run_paints_as_well_as_the_cpu():
    content = load_image(TUBINGEN).resize((96, 72))
    style = load_image(PRESETS / "starry-night.jpg").resize((96, 76))
    config = StyleConfig(size=96, steps=30, preview_every=5)
    cpu = [p for p in stylize(content, style, config.replace(device="cpu", precision="fp32")) if p.done][-1].image
    gpu = [p for p in stylize(content, style, config.replace(device="cuda")) if p.done][-1].image
    s0, _ = distances(content, content, style, 96)
    (s_cpu, c_cpu), (s_gpu, c_gpu) = distances(cpu, content, style, 96), distances(gpu, content, style, 96)
    assert s_gpu < s0 / 8 and c_gpu < 0.7, (s0, s_gpu, c_gpu)
    assert s_gpu < 1.5 * s_cpu and c_gpu < 1.3 * c_cpu, (s_cpu, c_cpu, s_gpu, c_gpu)


@cuda
def test_cuda_memory_is_released_after_a_run_and_after_stop():
    config = StyleConfig(size=256, steps=8, device="cuda", preview_every=2)
    get_extractor(config.weights, resolve_device("cuda"), config.pooling, config.content_layers + config.style_layers)
    torch.cuda.synchronize()
    baseline = torch.cuda.memory_allocated()
    list(stylize(photo(200, 150), stripes(), config))
    assert torch.cuda.memory_allocated() - baseline < 2**20
    run = stylize(photo(200, 150), stripes(), config.replace(steps=40))
    for progress in run:
        if progress.step == 3:
            break
    run.close()  # what Stop does
    assert torch.cuda.memory_allocated() - baseline < 2**20


@cuda
def test_real_cuda_out_of_memory_is_clear_and_the_next_run_works(tmp_path, capsys):
    free, _ = torch.cuda.mem_get_info()
    hog = torch.empty(int(free * 0.995) // 4 - 64 * 2**20, dtype=torch.float32, device="cuda")  # leave ~256 MB
    try:
        code = cli_main(["--content", "tubingen", "--style", "starry-night", "--size", "4096", "--steps", "2",
                         "--device", "cuda", "--output", str(tmp_path / "big.png")])
    finally:
        del hog
        torch.cuda.empty_cache()
    err = capsys.readouterr().err
    assert code == 1 and "error: out of memory at 4096 px on this device" in err, err[-2000:]
    assert cli_main(["--content", "tubingen", "--style", "starry-night", "--size", "64", "--steps", "2",
                     "--device", "cuda", "--output", str(tmp_path / "small.png")]) == 0


def test_warm_up_leaves_the_extractor_loaded_for_the_first_run():
    from style_core import features, warm_up

    config = StyleConfig(pooling="max")  # a cache key of its own
    key = (config.weights, "cpu", "max", max(features.VGG19_LAYERS[n] for n in config.content_layers + config.style_layers),
           features.winograd_available(), features.EDGE)
    features._CACHE.pop(key, None)
    warm_up(config.replace(device="cpu"))
    assert key in features._CACHE
