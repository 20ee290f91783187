"""The optimiser: ``stylize()`` paints the content image in the style(s), coarse to fine,
and yields a ``Progress`` record after every step.

The canvas is a ``(1, 3, H, W)`` RGB tensor in [0, 1], clamped after every step so that what
is optimised is what the user sees. Closing the generator (Stop in the app) raises
``GeneratorExit`` at the current ``yield``; the ``finally`` blocks release the tensors.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from PIL import Image

from . import color, image_io, presets
from .config import StyleConfig
from .devices import autocast, resolve_device, uses_bf16
from .features import VGGFeatures, get_extractor
from .losses import blend_grams, content_loss, gram_matrix, style_loss, total_variation


@dataclass(frozen=True)
class Progress:
    """One step of a run. ``image`` is set every ``preview_every`` steps and on the last record."""

    step: int  # steps done so far, over all scales
    total_steps: int
    scale: int  # 1-based index of the scale being optimised
    scales: int
    size: tuple[int, int]  # (width, height) of the canvas at this scale
    loss: float  # weighted total
    content_loss: float  # relative content error (unweighted)
    style_loss: float  # relative style error, weighted average over layers (unweighted)
    elapsed: float  # seconds since the run started
    eta: float  # estimated seconds left
    image: Image.Image | None = None
    done: bool = False


@dataclass(frozen=True)
class Stage:
    size: tuple[int, int]  # (width, height)
    steps: int


# Share of the steps given to each scale, coarse to fine, by number of scales. Most steps run at
# low resolution where they are cheap; the finest scale only restores detail (bench/bench_speed.py).
STEP_SHARES = {1: (1.0,), 2: (0.7, 0.3), 3: (0.48, 0.355, 0.165), 4: (0.45, 0.27, 0.17, 0.11)}


def plan_scales(content_size: tuple[int, int], config: StyleConfig) -> list[Stage]:
    """Coarse-to-fine sizes (each twice the previous) and the steps to run at each."""
    if min(image_io.fit_size(content_size, config.size)) < image_io.MIN_SIDE:
        width, height = content_size
        raise ValueError(f"size {config.size} is too small for a {width}×{height} image: "
                         f"its short side would be under {image_io.MIN_SIDE} px")
    count = config.scales or max(1, 1 + int(math.log2(config.size / config.min_scale_size) + 1e-9))
    count = min(count, len(STEP_SHARES))
    while count > 1 and min(image_io.fit_size(content_size, round(config.size / 2 ** (count - 1)))) < image_io.MIN_SIDE:
        count -= 1  # VGG-19 needs MIN_SIDE px on the short side at the coarsest scale
    long_sides = [round(config.size / 2 ** (count - 1 - i)) for i in range(count)]
    shares = STEP_SHARES[count]
    steps = [max(1, round(config.steps * share)) for share in shares]
    steps[-1] = max(1, config.steps - sum(steps[:-1]))
    return [Stage(image_io.fit_size(content_size, side), n) for side, n in zip(long_sides, steps)]


# Seconds per (megapixel × step), by (device type, bf16): measured on a 2-core AVX-512 CPU and
# refined by every finished run in this process (an exponential moving average).
_RATES: dict[tuple[str, bool], float] = {("cpu", True): 5.5, ("cpu", False): 9.0, ("cuda", True): 0.02,
                                         ("cuda", False): 0.04, ("mps", False): 0.5}


def estimate_seconds(content_size: tuple[int, int], config: StyleConfig = StyleConfig(),
                     device_type: str | None = None) -> float:
    """Expected wall time of a run on this machine, before it starts (weights loaded).

    ``device_type`` ("cpu", "cuda", ...) estimates for that kind of device without querying one:
    a ZeroGPU server asks how long a run would hold a GPU it does not have yet.
    """
    if device_type is None:
        device = resolve_device(config.device)
        key = (device.type, uses_bf16(device, config.precision))
    else:
        key = (device_type, device_type == "cuda" if config.precision == "auto" else config.precision == "bf16")
    rate = _RATES.get(key, 1.0)
    return rate * sum(s.steps * s.size[0] * s.size[1] for s in plan_scales(content_size, config)) / 1e6


def warm_up(config: StyleConfig = StyleConfig()) -> None:
    """Load VGG-19 for ``config``; on CUDA also run two 64 px steps, so that CUDA's own start-up
    (handles, kernels: seconds, once per process) is not paid by the first real run."""
    device = resolve_device(config.device)
    get_extractor(config.weights, device, config.pooling, config.content_layers + config.style_layers)
    if device.type == "cuda":
        noise = Image.effect_noise((64, 64), 64).convert("RGB")
        for _ in stylize(noise, noise, config.replace(size=64, steps=2)):
            pass


def stylize(
    content: image_io.ImageSource,
    styles: image_io.ImageSource | Sequence[image_io.ImageSource],
    config: StyleConfig = StyleConfig(),
) -> Iterator[Progress]:
    """Repaint ``content`` in the style of ``styles``; yields a Progress after every step.

    ``content`` and each style may be a path, bytes, a PIL image, or (for a string) a preset id.
    Raises ``ValueError`` subclasses with a one-line message for bad input.
    """
    content_image, style_images = _load_inputs(content, styles)
    device = resolve_device(config.device)
    weights = _style_weights(len(style_images), config)
    extractor = get_extractor(config.weights, device, config.pooling, config.content_layers + config.style_layers)
    stages = plan_scales(content_image.size, config)
    if config.preserve_color == "match":
        style_images = [color.match_colors(s, content_image) for s in style_images]
    run = _Run(config, stages, device, time.perf_counter())
    canvas = None
    try:
        for index, stage in enumerate(stages):
            objective = _Objective(extractor, config, content_image, style_images, weights, stage.size, device)
            canvas = _initial_canvas(canvas, objective.content, config, device)
            yield from run.optimise(index, canvas, objective)
            if run.out_of_time():
                break
        yield run.final(canvas, content_image)
    finally:
        del canvas
        if device.type == "cuda":
            torch.cuda.empty_cache()


def _load_inputs(content, styles) -> tuple[Image.Image, list[Image.Image]]:
    if isinstance(styles, (str, bytes, Image.Image)) or not isinstance(styles, Sequence):
        styles = [styles]
    if not styles:
        raise ValueError("at least one style image is needed")
    content_image = image_io.load_image(_resolved(content), "content image")
    style_images = [image_io.load_image(_resolved(s), f"style image {i + 1}") for i, s in enumerate(styles)]
    return content_image, style_images


def _resolved(source: image_io.ImageSource) -> image_io.ImageSource:
    return presets.resolve_image(source) if isinstance(source, str) else source


def _style_weights(count: int, config: StyleConfig) -> list[float]:
    if not config.style_blend:
        return [1.0] * count
    if len(config.style_blend) != count:
        raise ValueError(f"style_blend has {len(config.style_blend)} weights for {count} style images")
    return list(config.style_blend)


class _Objective:
    """The loss at one scale: content targets, blended style Grams, weights."""

    def __init__(self, extractor: VGGFeatures, config: StyleConfig, content: Image.Image,
                 styles: list[Image.Image], blend: list[float], size: tuple[int, int], device: torch.device):
        self.extractor, self.config, self.device = extractor, config, device
        self.content = image_io.to_tensor(image_io.resize(content, size), device)
        style_long_side = max(image_io.MIN_SIDE, round(max(size) * config.style_scale))
        layer_weights = config.style_layer_weights or (1.0,) * len(config.style_layers)
        total = sum(layer_weights)
        self.layer_weights = dict(zip(config.style_layers, (w / total for w in layer_weights)))
        with torch.no_grad():
            self.content_targets = {k: v.detach() for k, v in self._features(self.content, config.content_layers).items()}
            grams_per_style = []
            for style in styles:
                tensor = image_io.to_tensor(image_io.resize(style, image_io.fit_size(style.size, style_long_side)), device)
                feats = self._features(tensor, config.style_layers)
                grams_per_style.append({k: gram_matrix(v) for k, v in feats.items()})
            self.style_targets = {k: blend_grams([g[k] for g in grams_per_style], blend) for k in config.style_layers}

    def _features(self, image: torch.Tensor, layers: tuple[str, ...]) -> dict[str, torch.Tensor]:
        if self.device.type == "cuda":
            image = image.contiguous(memory_format=torch.channels_last)
        with autocast(self.device, self.config.precision):
            return self.extractor(image, layers)

    def __call__(self, canvas: torch.Tensor) -> tuple[torch.Tensor, float, float]:
        """(weighted total loss, content error, style error) for the canvas."""
        config = self.config
        feats = self._features(canvas, config.content_layers + config.style_layers)
        content = sum(content_loss(feats[k], v) for k, v in self.content_targets.items()) / len(self.content_targets)
        style = sum(w * style_loss(feats[k], self.style_targets[k]) for k, w in self.layer_weights.items())
        loss = config.content_weight * content + config.style_weight * style
        if config.tv_weight:
            loss = loss + config.tv_weight * total_variation(canvas)
        return loss, float(content.detach()), float(style.detach())


def _initial_canvas(previous: torch.Tensor | None, content: torch.Tensor, config: StyleConfig,
                    device: torch.device) -> torch.Tensor:
    if previous is not None:
        size = content.shape[-2:]
        upsampled = F.interpolate(previous.detach(), size=size, mode="bicubic", align_corners=False)
        if config.detail_transfer:
            # The upsampled coarse result has no detail finer than the coarse scale: lend it the
            # photo's (photo minus the photo at the coarse scale), which the steps here repaint.
            coarse = F.interpolate(F.interpolate(content, size=previous.shape[-2:], mode="area"), size=size,
                                   mode="bicubic", align_corners=False)
            upsampled = upsampled + config.detail_transfer * (content - coarse)
        return upsampled.clamp_(0, 1)
    if config.init == "noise":
        generator = torch.Generator().manual_seed(config.seed)
        return torch.rand(content.shape, generator=generator).to(device)
    return content.clone()


class _Run:
    """State shared by the scales of one run: step count, clock, cost-based ETA."""

    def __init__(self, config: StyleConfig, stages: list[Stage], device: torch.device, start: float):
        self.config, self.stages, self.device, self.start = config, stages, device, start
        self.total_steps = sum(s.steps for s in stages)
        self.step = 0
        self.cost_done = 0.0
        self.last = (0.0, 0.0, 0.0)

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def out_of_time(self) -> bool:
        return bool(self.config.max_seconds) and self.elapsed() >= self.config.max_seconds

    def eta(self, index: int, steps_left_here: int) -> float:
        # Cost of a step ~ pixels; the rate is what this run has measured so far.
        pixels = [s.size[0] * s.size[1] for s in self.stages]
        later = sum(s.steps * p for s, p in zip(self.stages[index + 1:], pixels[index + 1:]))
        remaining = steps_left_here * pixels[index] + later
        return self.elapsed() / self.cost_done * remaining if self.cost_done else float("nan")

    def optimise(self, index: int, canvas: torch.Tensor, objective: _Objective) -> Iterator[Progress]:
        stage = self.stages[index]
        canvas.requires_grad_(True)
        step_fn = _make_stepper(canvas, objective, self.config)
        try:
            for done in range(1, stage.steps + 1):
                self.last = step_fn()
                self.step += 1
                self.cost_done += stage.size[0] * stage.size[1]
                preview = done == 1 or self.step % self.config.preview_every == 0
                stopping = self.out_of_time()
                if stopping or done == stage.steps:
                    preview = True
                image = self._to_image(canvas, objective.content) if preview else None
                yield self._progress(index, stage.steps - done, image)
                if stopping:
                    return
        finally:
            canvas.requires_grad_(False)

    def _progress(self, index: int, steps_left: int, image: Image.Image | None, done: bool = False) -> Progress:
        loss, content, style = self.last
        return Progress(
            step=self.step, total_steps=self.total_steps, scale=index + 1, scales=len(self.stages),
            size=self.stages[index].size, loss=loss, content_loss=content, style_loss=style,
            elapsed=self.elapsed(), eta=0.0 if done else self.eta(index, steps_left), image=image, done=done,
        )

    def _to_image(self, canvas: torch.Tensor, content: torch.Tensor) -> Image.Image:
        if self.config.preserve_color == "luminance":
            canvas = color.keep_luminance(canvas.detach(), content)
        return image_io.to_pil(canvas)

    def final(self, canvas: torch.Tensor, content_image: Image.Image) -> Progress:
        if self.cost_done:
            key = (self.device.type, uses_bf16(self.device, self.config.precision))
            measured = self.elapsed() / self.cost_done * 1e6
            _RATES[key] = 0.7 * _RATES.get(key, measured) + 0.3 * measured
        size = self.stages[-1].size
        content = image_io.to_tensor(image_io.resize(content_image, size), self.device)
        if canvas.shape[-2:] != content.shape[-2:]:  # stopped early at a coarse scale
            canvas = F.interpolate(canvas.detach(), size=content.shape[-2:], mode="bicubic", align_corners=False)
        index = len(self.stages) - 1
        return self._progress(index, 0, self._to_image(canvas, content), done=True)


FIRST_STEP = 0.05  # largest pixel change of L-BFGS's first step, in [0, 1] units
HISTORY = 20  # L-BFGS curvature pairs kept: each costs two canvas-sized vectors (19 MB at 1024 px)


def _make_stepper(canvas: torch.Tensor, objective: _Objective, config: StyleConfig):
    """A function that runs one optimiser step and returns (loss, content error, style error).

    Each step costs exactly one forward and backward pass. L-BFGS runs without line search (as
    in jcjohnson/neural-style): the pixels are clamped to [0, 1] after every step, so a line
    search's last point would be re-evaluated anyway; a step that raises the loss restarts it.
    """
    lbfgs = config.optimizer == "lbfgs"
    if lbfgs:
        optimizer = torch.optim.LBFGS([canvas], lr=1, max_iter=1, history_size=HISTORY)
    else:
        optimizer = torch.optim.Adam([canvas], lr=config.learning_rate)
    terms: list[tuple[float, float, float]] = []

    def closure() -> torch.Tensor:
        optimizer.zero_grad(set_to_none=False)
        loss, content, style = objective(canvas)
        loss.backward()
        terms.append((float(loss.detach()), content, style))
        return loss

    def step() -> tuple[float, float, float]:
        if lbfgs and not optimizer.state:
            _scale_first_step(optimizer, canvas, closure)
        else:
            optimizer.step(closure)
        with torch.no_grad():
            canvas.clamp_(0, 1)
        if lbfgs and len(terms) > 1 and terms[-1][0] > terms[-2][0]:
            optimizer.state.clear()  # the last step went uphill: drop the curvature memory
        del terms[:-2]
        return terms[-1]

    return step


def _scale_first_step(optimizer: torch.optim.LBFGS, canvas: torch.Tensor, closure) -> None:
    # PyTorch's L-BFGS makes its first step lr·min(1, 1/‖g‖₁)·g, which is vanishingly small for an
    # image (ENGINE_NOTES); the curvature pair it records is then noise. Take the first step with
    # the lr that moves the most-changed pixel by FIRST_STEP (L-BFGS reads lr before it calls the
    # closure, so the gradient is computed first and handed over), then return to lr=1.
    loss = closure()
    grad = canvas.grad
    first = min(1.0, 1.0 / max(float(grad.abs().sum()), 1e-12)) * max(float(grad.abs().max()), 1e-12)
    optimizer.param_groups[0]["lr"] = FIRST_STEP / first
    optimizer.step(lambda: loss)
    optimizer.param_groups[0]["lr"] = 1.0
