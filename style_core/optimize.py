"""The optimiser: ``stylize()`` paints the content image in the style(s), coarse to fine,
and yields a ``Progress`` record after every step.

The canvas is a ``(1, 3, H, W)`` RGB tensor in [0, 1], clamped after every step so that what
is optimised is what the user sees. Closing the generator (Stop in the app) raises
``GeneratorExit`` at the current ``yield``; the ``finally`` blocks release the tensors.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from PIL import Image

from . import color, devices, image_io, presets, regions, schedule, targets
from .config import LAYER_NAMES, StyleConfig
from .devices import autocast, resolve_device, uses_bf16
from .features import VGGFeatures, get_extractor
from .losses import StyleStats, blend_stats, content_loss, style_error, style_stats, total_variation
from .schedule import Stage


# A scale's next step is expected to take the median of its last steps (its first, which also builds
# its targets, counted only while it is the only one: _Run._next_step): one step slowed by another
# process (a browser drawing the preview on a 2-core machine) neither ends a scale early nor makes
# the time left jump; two in a row are followed. Only steps at this scale count: under load the
# coarse scales' small steps slow down several times more than the cost model says a 512 px step
# will (its fixed cost dominates them), and judged by them the finest scale can end after one or two
# of its steps (what we think ended a 10 s run ~4 s early in the browser test, once in three clean
# CI runs).
SPEED_STEPS = 3


@dataclass(frozen=True)
class Progress:
    """One step of a run. ``image`` is set every ``preview_every`` steps and on the last record."""

    step: int  # steps done so far, over all scales
    total_steps: int  # planned (by time: expected, refined as the run goes)
    scale: int  # 1-based index of the scale (image size) being optimised
    scales: int  # the run's scales (a brushwork pass is part of the finest: schedule.py)
    size: tuple[int, int]  # (width, height) of the canvas at this scale
    loss: float  # weighted total
    content_loss: float  # relative content error (unweighted)
    style_loss: float  # relative style error, weighted average over layers (unweighted)
    elapsed: float  # seconds since the run started
    eta: float  # seconds left: by time, what remains of the plan; by steps, at this run's measured speed
    image: Image.Image | None = None
    done: bool = False


def device_key(device_type: str, precision: str) -> tuple[str, bool]:
    """How the cost model tells devices apart: (device type, whether convolutions run in bf16).

    A CUDA device is not queried (a ZeroGPU server plans runs for a GPU it does not hold yet):
    its convolutions are taken to run in bf16 unless fp32 is asked for.
    """
    if device_type == "cuda":
        return device_type, precision != "fp32"
    return device_type, uses_bf16(torch.device(device_type), precision)


def plan_scales(content_size: tuple[int, int], config: StyleConfig = StyleConfig(),
                device_type: str | None = None) -> list[Stage]:
    """The coarse-to-fine stages of a run on the config's device, or on ``device_type`` (schedule.plan)."""
    return schedule.plan(content_size, config, device_key(device_type or resolve_device(config.device).type,
                                                          config.precision))


def estimate_seconds(content_size: tuple[int, int], config: StyleConfig = StyleConfig(),
                     device_type: str | None = None) -> float:
    """Expected wall time of a run on this machine, or on ``device_type``, before it starts (weights loaded)."""
    key = device_key(device_type or resolve_device(config.device).type, config.precision)
    return schedule.estimate(schedule.plan(content_size, config, key), key)


def warm_up(config: StyleConfig = StyleConfig()) -> None:
    """Load VGG-19 for ``config`` and take a few small steps, so that the first real run does not pay
    for the device's own start-up (CUDA handles, kernel and primitive set-up: seconds, once per process)
    and the cost model has measured this machine's steps."""
    device = resolve_device(config.device)
    get_extractor(config.weights, device, config.pooling, config.content_layers + config.style_layers)
    noise = Image.effect_noise((128, 96), 64).convert("RGB")
    for _ in stylize(noise, noise, config.replace(size=128, steps=6, scales=1, seconds=0.0, max_seconds=0.0)):
        pass


def prepare_paintings(paintings: Sequence[image_io.ImageSource], config: StyleConfig = StyleConfig()) -> None:
    """Compute the style statistics of ``paintings`` (say, the presets' ids) at every scale of
    ``config``'s run, so that such a run with one of them starts painting sooner: the statistics
    at 512 px are 1.4 s of a 2-core CPU's 30 s. Kept per process (targets.py)."""
    device = resolve_device(config.device)
    extractor = get_extractor(config.weights, device, config.pooling, config.content_layers + config.style_layers)
    stages = plan_scales((4, 3), config)  # a scale's painting size follows its long side, whatever the photo's shape
    shared = _SharedTargets(stages, config)
    for painting in paintings:
        image = image_io.load_image(_resolved(painting), "painting")
        digest = targets.digest(image)
        for size in shared.style:
            painting_stats(extractor, config, device, image, digest, _style_side(size, config), shared.style[size])


def stylize(
    content: image_io.ImageSource,
    styles: image_io.ImageSource | Sequence[image_io.ImageSource],
    config: StyleConfig = StyleConfig(),
    masks: Sequence[regions.MaskSource] | None = None,
) -> Iterator[Progress]:
    """Repaint ``content`` in the style of ``styles``; yields a Progress after every step.

    ``content`` and each style may be a path, bytes, a PIL image, or (for a string) a preset id.
    ``masks``, one per style (an image or a 2-D array of any size; white = that style's region),
    paints each style on its own region (see regions.py); without them the styles are blended.
    Raises ``ValueError`` subclasses with a one-line message for bad input, before any work.
    """
    content_image, style_images = _load_inputs(content, styles)
    if masks is not None and config.style_blend:
        raise regions.RegionError("masks and style_blend do not go together: with masks each painting has its region")
    mask_images = regions.load_masks(masks, len(style_images)) if masks is not None else None
    device = resolve_device(config.device)
    weights = _style_weights(len(style_images), config)
    extractor = get_extractor(config.weights, device, config.pooling, config.content_layers + config.style_layers)
    key = device_key(device.type, config.precision)
    stages = schedule.plan(content_image.size, config, key)
    _check_memory(content_image.size, stages, config, device, key)
    if config.preserve_color == "match":
        style_images = [color.match_colors(s, content_image) for s in style_images]
    digests = [targets.digest(s) for s in style_images]
    shared = _SharedTargets(stages, config)
    run = _Run(config, stages, key, time.perf_counter())
    canvas = objective = coarser = screen = None
    try:
        for index, stage in enumerate(stages):
            if stage.print_pass:  # the screen painting's objective holds every octave above it (schedule.py)
                screen = objective if screen is None else screen
            coarser, objective = objective, _Objective(
                extractor, config, content_image, style_images, weights, stage.size, device, mask_images,
                stage.style_layers, digests, stage.content_layers, shared, screen=screen if stage.print_pass else None)
            if stage.print_pass:
                canvas = _enlarged(canvas, coarser, objective)
            elif coarser is not None and tuple(canvas.shape[-2:]) == objective.canvas_shape:
                canvas = canvas.detach().clone()  # a brushwork pass, then the full steps: the same canvas
            else:  # the coarser canvas, the part of it that comes onto this one's (the picture and its margin)
                onto = None if coarser is None else _with_margin(canvas, coarser.margin, round(
                    objective.margin * coarser.content.shape[-1] / objective.content.shape[-1]))
                canvas = _initial_canvas(onto, objective.pad(objective.content), config, device)
            yield from run.optimise(index, canvas, objective)
            if run.out_of_time():
                break
        yield run.final(objective.visible(canvas), content_image)
    finally:
        del canvas, objective, coarser, screen
        if device.type == "cuda":
            torch.cuda.empty_cache()


def _check_memory(content_size: tuple[int, int], stages: list[Stage], config: StyleConfig, device: torch.device,
                  key: tuple[str, bool]) -> None:
    """Refuse, before any work, a run that would not fit in the device's free memory (never an OOM
    half-way through a print), naming the largest size that fits."""
    free = devices.free_memory(device)
    needed = schedule.memory_bytes(stages, config, key[1])
    if free is None or needed <= schedule.MEMORY_MARGIN * free:
        return
    size = max(stages[-1].size)
    largest = schedule.largest_fitting(content_size, config, key, free, tuple(range(size - 64, 63, -64)))
    raise devices.DeviceError(
        f"size {size} px needs about {needed / 2**30:.1f} GB of {device.type.upper()} memory and "
        f"{free / 2**30:.1f} GB is free: the largest that fits is {largest} px")


def _load_inputs(content, styles) -> tuple[Image.Image, list[Image.Image]]:
    return image_io.load_image(_resolved(content), "content image"), _load_styles(styles)


def _load_styles(styles) -> list[Image.Image]:
    """One style image or several (paths, bytes, PIL images or preset ids), loaded as RGB."""
    if isinstance(styles, (str, bytes, Image.Image)) or not isinstance(styles, Sequence):
        styles = [styles]
    if not styles:
        raise ValueError("at least one style image is needed")
    return [image_io.load_image(_resolved(s), f"style image {i + 1}") for i, s in enumerate(styles)]


def _resolved(source: image_io.ImageSource) -> image_io.ImageSource:
    return presets.resolve_image(source) if isinstance(source, str) else source


def _style_weights(count: int, config: StyleConfig) -> list[float]:
    if not config.style_blend:
        return [1.0] * count
    if len(config.style_blend) != count:
        raise ValueError(f"style_blend has {len(config.style_blend)} weights for {count} style images")
    return list(config.style_blend)


class _SharedTargets:
    """What the stages of a run at one size share, each computed in one pass: the photo's features at
    all their content layers, the paintings' statistics at all their style layers. A brushwork pass
    and the full steps after it (schedule.py) are two stages at the finest size, with their own layers:
    apart, each would compute its targets, 0.4–0.8 s each at 512 px on a 2-core CPU."""

    def __init__(self, stages: Sequence[Stage], config: StyleConfig):
        self.content: dict[tuple[int, int], tuple[str, ...]] = {}
        self.style: dict[tuple[int, int], tuple[str, ...]] = {}
        for stage in stages:
            if not stage.print_pass:  # a print's octave holds the photo through the screen painting's objective
                self.content[stage.size] = _union(self.content.get(stage.size, ()),
                                                  stage.content_layers or config.content_layers)
            self.style[stage.size] = _union(self.style.get(stage.size, ()), stage.style_layers or config.style_layers)
        self._photo: tuple[tuple[int, int], dict[str, torch.Tensor]] | None = None  # the latest size's

    def photo(self, size: tuple[int, int], compute) -> dict[str, torch.Tensor]:
        """The photo's features at ``size``, by ``compute(layers)`` the first time at that size."""
        if self._photo is None or self._photo[0] != size:
            self._photo = size, compute(self.content[size])
        return self._photo[1]


def _union(*layer_sets: tuple[str, ...]) -> tuple[str, ...]:
    """The layers of all sets, in the network's order."""
    return tuple(name for name in LAYER_NAMES if any(name in layers for layers in layer_sets))


class _Objective:
    """The loss at one scale: content targets, style statistics (blended, or one set per region), weights.

    ``style_layers``: the scale's style layers (schedule.stage_layers), a subset of the config's;
    their weights are the config's, normalised again over the subset. ``content_layers``: the
    scale's content layers (schedule.stage_content_layers); empty: the config's. ``shared``: the
    run's targets shared by its stages at one size (without it, this scale's own). ``screen``: a
    print's octave (schedule.py): the screen painting's objective, which holds the canvas brought down
    to its size; here only the brushwork, each painting at its own pixels at most.
    """

    def __init__(self, extractor: VGGFeatures, config: StyleConfig, content: Image.Image,
                 styles: list[Image.Image], blend: list[float], size: tuple[int, int], device: torch.device,
                 masks: list[Image.Image] | None = None, style_layers: tuple[str, ...] = (),
                 digests: list[str] | None = None, content_layers: tuple[str, ...] = (),
                 shared: _SharedTargets | None = None, screen: _Objective | None = None):
        self.extractor, self.config, self.device = extractor, config, device
        self.style_layers = style_layers or config.style_layers
        self.content_layers = content_layers or config.content_layers
        # A print's octave: the screen canvas's margin enlarged, so that the one comes down onto the other.
        self.margin = schedule.margin(size) if screen is None else round(screen.margin * size[0] / screen.content.shape[-1])
        self.regions = regions.Regions(masks, size, device, self.margin) if masks else None
        self.content = image_io.to_tensor(image_io.resize(content, size), device)
        weights = config.layer_weights()
        total = sum(weights[k] for k in self.style_layers)  # > 0: schedule.plan keeps a weighted layer
        self.layer_weights = {k: weights[k] / total for k in self.style_layers}
        shared = shared or _SharedTargets([Stage(size, 0, style_layers=self.style_layers,
                                                 content_layers=self.content_layers)], config)
        self.screen = screen
        if screen is None:
            with torch.no_grad():
                photo = shared.photo(size, lambda layers: self._features(self.pad(self.content), layers))
            self.content_targets = {k: photo[k].detach() for k in self.content_layers}
        side = _style_side(size, config)
        self.region_targets = [painting_stats(extractor, config, device, style, digest,
                                              side if screen is None else min(side, max(style.size)),
                                              self.style_layers, shared.style[size])
                               for style, digest in zip(styles, digests or [targets.digest(s) for s in styles])]
        self.style_targets = {k: blend_stats([s[k] for s in self.region_targets], blend) for k in self.style_layers}

    def _features(self, image: torch.Tensor, layers: tuple[str, ...]) -> dict[str, torch.Tensor]:
        return _features(self.extractor, self.config, self.device, image, layers)

    def pad(self, picture: torch.Tensor) -> torch.Tensor:
        """A canvas for ``picture`` (at this scale's size): it with its margin (schedule.margin), the
        picture reflected, as the photo's targets see it."""
        return F.pad(picture, (self.margin,) * 4, mode="reflect")

    @property
    def canvas_shape(self) -> tuple[int, int]:
        """(height, width) of this scale's canvas: the picture and its margin."""
        height, width = self.content.shape[-2:]
        return height + 2 * self.margin, width + 2 * self.margin

    def visible(self, canvas: torch.Tensor) -> torch.Tensor:
        """The picture on ``canvas``: its margin cropped."""
        return _with_margin(canvas, self.margin, 0)

    def __call__(self, canvas: torch.Tensor) -> tuple[torch.Tensor, float, float]:
        """(weighted total loss, content error, style error) for the canvas (the picture and its margin:
        ``pad``); a print's octave reports the errors of its picture brought down to the screen size."""
        config = self.config
        if self.regions is not None:
            canvas = self.regions.gate(canvas)
        if self.screen is None:
            loss, content, style = self._terms(canvas)
        else:
            # its margin is the screen canvas's enlarged: the whole canvas comes down onto the screen's
            loss, content, style = self.screen._terms(F.interpolate(canvas, size=self.screen.canvas_shape, mode="area"))
            loss = loss + config.style_weight * self._style(self._features(canvas, self.style_layers))
        if config.tv_weight:
            loss = loss + config.tv_weight * total_variation(canvas)
        return loss, float(content.detach()), float(style.detach())

    def _terms(self, canvas: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(weighted content and style loss, content error, style error) of the gated canvas."""
        feats = self._features(canvas, self.content_layers + self.style_layers)
        content = sum(content_loss(feats[k], v) for k, v in self.content_targets.items()) / len(self.content_targets)
        style = self._style(feats)
        return self.config.content_weight * content + self.config.style_weight * style, content, style

    def _style(self, feats: dict[str, torch.Tensor]) -> torch.Tensor:
        if self.regions is not None:
            return self.regions.style_loss(feats, self.region_targets, self.layer_weights, self.config.style_loss)
        return sum(w * style_error(style_stats(feats[k]), self.style_targets[k], self.config.style_loss)
                   for k, w in self.layer_weights.items())


def _features(extractor: VGGFeatures, config: StyleConfig, device: torch.device, image: torch.Tensor,
              layers: tuple[str, ...], edge: str | None = None) -> dict[str, torch.Tensor]:
    if device.type == "cuda":
        image = image.contiguous(memory_format=torch.channels_last)
    with autocast(device, config.precision):
        return extractor(image, layers, edge)


def _style_side(size: tuple[int, int], config: StyleConfig) -> int:
    """Long side of the painting at a scale of ``size``: the canvas's, times style_scale."""
    return max(image_io.MIN_SIDE, round(max(size) * config.style_scale))


def painting_stats(extractor: VGGFeatures, config: StyleConfig, device: torch.device, painting: Image.Image,
                   digest: str, long_side: int, layers: tuple[str, ...],
                   computed: tuple[str, ...] = ()) -> dict[str, StyleStats]:
    """A painting's StyleStats at ``layers``, resized to ``long_side``; kept per process (targets.py)
    with those at ``computed`` (a superset of ``layers``, computed in the same pass)."""
    computed = computed or layers

    def compute() -> dict[str, StyleStats]:
        tensor = image_io.to_tensor(image_io.resize(painting, image_io.fit_size(painting.size, long_side)), device)
        # The painting is seen as VGG was trained, with its frame; the canvas's own border is replicated
        # (features.EDGE): measured at 128 px, the fewest bands along a painting's edges of the four pairings.
        with torch.no_grad():
            return {k: style_stats(v) for k, v in _features(extractor, config, device, tensor, computed, "zeros").items()}

    key = (digest, long_side, computed, config.weights, config.pooling, str(device), config.precision)
    stats = targets.cached(key, compute)
    return {k: stats[k] for k in layers}


def _enlarged(canvas: torch.Tensor, coarser: _Objective, objective: _Objective) -> torch.Tensor:
    """``coarser``'s canvas enlarged to ``objective``'s, margin and all, as the next octave of a print
    starts from it."""
    margin = round(coarser.margin * objective.content.shape[-1] / coarser.content.shape[-1])
    height, width = objective.content.shape[-2:]
    enlarged = F.interpolate(canvas.detach(), size=(height + 2 * margin, width + 2 * margin), mode="bicubic",
                             align_corners=False).clamp_(0, 1)
    return _with_margin(enlarged, margin, objective.margin)


def _with_margin(canvas: torch.Tensor, margin: int, wanted: int) -> torch.Tensor:
    """``canvas`` (a picture with a ``margin``) with a margin of ``wanted`` px: cropped, or reflected."""
    if wanted > margin:
        return F.pad(canvas, (wanted - margin,) * 4, mode="reflect")
    cut = margin - wanted
    return canvas[..., cut:canvas.shape[-2] - cut, cut:canvas.shape[-1] - cut]


def _initial_canvas(previous: torch.Tensor | None, content: torch.Tensor, config: StyleConfig,
                    device: torch.device) -> torch.Tensor:
    """The canvas a scale starts from (``content``: the photo on it): the coarser scale's (``previous``)
    enlarged, or a first one."""
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
    """State shared by the scales of one run: steps, clock, when each scale ends, the time left.

    Planned by steps, a scale ends after its steps; planned by time, a scale ends before the step
    that would take it past its share of ``config.seconds`` (it always takes one), judged by the steps
    it has taken, so the run ends on time. Every scale's measured step time refines the cost model
    (schedule.record_steps), and the scales still to come are expected at the speed this run has
    measured against that model.
    """

    def __init__(self, config: StyleConfig, stages: list[Stage], device: tuple[str, bool], start: float):
        self.config, self.stages, self.device, self.start = config, stages, device, start
        self.by_time = not config.steps
        self.ends = [sum(s.seconds for s in stages[: i + 1]) for i in range(len(stages))]
        # The scale a stage paints, 1-based: a brushwork pass is part of its finest scale (same size).
        self.scale_of = [len({s.size for s in stages[: i + 1]}) for i in range(len(stages))]
        self.step = 0
        self.last = (0.0, 0.0, 0.0)
        self.ratios: list[float] = []  # each step's measured time / the cost model's (a scale's first left out)

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    @property
    def speed(self) -> float:
        """Measured step time / the cost model's, for the scales still to come: the median of the last
        SPEED_STEPS steps (1 before any)."""
        return statistics.median(self.ratios[-SPEED_STEPS:]) if self.ratios else 1.0

    def out_of_time(self) -> bool:
        return bool(self.config.max_seconds) and self.elapsed() >= self.config.max_seconds

    def optimise(self, index: int, canvas: torch.Tensor, objective: _Objective) -> Iterator[Progress]:
        stage = self.stages[index]
        canvas.requires_grad_(True)
        step_fn = _make_stepper(canvas, objective, self.config)
        times: list[float] = []
        try:
            while True:
                begun = time.perf_counter()
                self.last = step_fn()
                times.append(time.perf_counter() - begun)
                self.step += 1
                if len(times) > 1:  # the first step of a scale also builds its targets
                    self.ratios.append(times[-1] / self._step_seconds(stage))
                last = self._scale_over(index, times) or self.out_of_time()
                preview = len(times) == 1 or self.step % self.config.preview_every == 0 or last
                image = self._to_image(objective.visible(canvas), objective.content) if preview else None
                yield self._progress(index, times, image)
                if last:
                    return
        finally:
            canvas.requires_grad_(False)
            if len(times) > 1:
                schedule.record_steps(stage.size, self.device, sum(times[1:]) / len(times[1:]), stage.work)

    def _step_seconds(self, stage: Stage) -> float:
        return schedule.step_seconds(stage.size, self.device, stage.work)

    def _next_step(self, stage: Stage, times: list[float]) -> float:
        """Seconds the next step of a scale will take, judged by the steps it has taken (SPEED_STEPS).
        After its first step only, the lesser of that step and the run's speed against the cost model:
        a scale's first step also builds its targets, and a process's first also sets up its kernels
        (2 s for a 0.15 s step at 128 px), which would end a short coarse scale after one step."""
        if len(times) > 1:
            return statistics.median(times[1:][-SPEED_STEPS:])
        return min(times[0], self.speed * self._step_seconds(stage))

    def _scale_over(self, index: int, times: list[float]) -> bool:
        if not self.by_time:
            return len(times) >= self.stages[index].steps
        return self.elapsed() + self._next_step(self.stages[index], times) > self.ends[index]

    def _steps_after(self, index: int, times: list[float]) -> tuple[int, float]:
        """(steps, seconds) still to come after ``times``' steps of scale ``index``: at this scale as
        its steps took, at the later ones at this run's speed against the cost model."""
        stage, done = self.stages[index], len(times)
        here = self._next_step(stage, times)
        later = list(enumerate(self.stages[index + 1:], index + 1))
        if self.by_time:
            steps = max(0, int((self.ends[index] - self.elapsed()) / here))
            steps += sum(max(1, int(s.seconds / (self.speed * self._step_seconds(s))
                                    - schedule.setup_steps(self.stages, i))) for i, s in later)
            return steps, max(0.0, self.ends[-1] - self.elapsed())
        seconds = (stage.steps - done) * here + sum(
            (s.steps + schedule.setup_steps(self.stages, i)) * self.speed * self._step_seconds(s) for i, s in later)
        return stage.steps - done + sum(s.steps for s in self.stages[index + 1:]), seconds

    def _progress(self, index: int, times: list[float], image: Image.Image | None, final: bool = False) -> Progress:
        loss, content, style = self.last
        steps_left, seconds_left = (0, 0.0) if final else self._steps_after(index, times)
        return Progress(
            step=self.step, total_steps=self.step + steps_left, scale=self.scale_of[index], scales=self.scale_of[-1],
            size=self.stages[index].size, loss=loss, content_loss=content, style_loss=style,
            elapsed=self.elapsed(), eta=seconds_left, image=image, done=final,
        )

    def _to_image(self, canvas: torch.Tensor, content: torch.Tensor) -> Image.Image:
        if self.config.preserve_color == "luminance":
            canvas = color.keep_luminance(canvas.detach(), content)
        return image_io.to_pil(canvas)

    def final(self, canvas: torch.Tensor, content_image: Image.Image) -> Progress:
        size = self.stages[-1].size
        content = image_io.to_tensor(image_io.resize(content_image, size), canvas.device)
        if canvas.shape[-2:] != content.shape[-2:]:  # stopped early at a coarse scale
            canvas = F.interpolate(canvas.detach(), size=content.shape[-2:], mode="bicubic", align_corners=False)
        index = len(self.stages) - 1
        return self._progress(index, [], self._to_image(canvas, content), final=True)


FIRST_STEP = 0.05  # largest pixel change of L-BFGS's first step, in [0, 1] units
HISTORY = 20  # L-BFGS curvature pairs kept: each costs two canvas-sized vectors (19 MB at 1024 px)


def _make_stepper(canvas: torch.Tensor, objective: _Objective, config: StyleConfig, first_step: float = FIRST_STEP):
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
            _scale_first_step(optimizer, canvas, closure, first_step)
        else:
            optimizer.step(closure)
        with torch.no_grad():
            canvas.clamp_(0, 1)
        if lbfgs and len(terms) > 1 and terms[-1][0] > terms[-2][0]:
            optimizer.state.clear()  # the last step went uphill: drop the curvature memory
        del terms[:-2]
        return terms[-1]

    return step


def _scale_first_step(optimizer: torch.optim.LBFGS, canvas: torch.Tensor, closure, largest: float) -> None:
    # PyTorch's L-BFGS makes its first step lr·min(1, 1/‖g‖₁)·g, which is vanishingly small for an
    # image (ENGINE_NOTES); the curvature pair it records is then noise. Take the first step with
    # the lr that moves the most-changed pixel by ``largest`` (L-BFGS reads lr before it calls the
    # closure, so the gradient is computed first and handed over), then return to lr=1.
    loss = closure()
    grad = canvas.grad
    first = min(1.0, 1.0 / max(float(grad.abs().sum()), 1e-12)) * max(float(grad.abs().max()), 1e-12)
    optimizer.param_groups[0]["lr"] = largest / first
    optimizer.step(lambda: loss)
    optimizer.param_groups[0]["lr"] = 1.0
