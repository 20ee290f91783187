"""Painting a clip: ``stylize_video()`` paints it frame by frame without flicker, planned to a time.

After Ruder, Dosovitskiy & Brox, "Artistic style transfer for videos" (GCPR 2016). The first frame is
painted as a photo is (``optimize.stylize``: coarse to fine). Each following frame starts from the
painted frame before it moved along the optical flow (``flow.moved_painting``), and its objective adds a
temporal term: the squared difference from that moved painting over the pixels where the flow is
trusted. What is new in the frame (disoccluded, or across a motion boundary) is painted freely. The
paintings' statistics are computed once per clip (targets.py keeps them).

The plan (``plan_video``) picks the size, the frame rate and the part of the clip painted so that the
run ends in the time asked for, and says what it will paint in a line (``VideoPlan.describe``).
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

from . import color, flow, image_io, schedule, targets, video_io
from .config import StyleConfig
from .devices import resolve_device
from .features import get_extractor
from .optimize import _load_styles, _make_stepper, _Objective, _style_weights, device_key, stylize
from .video_io import ClipInfo, VideoSource

# What a plan by time steps down through, best first: (long side, frames a second), size and smoothness
# coming down together. 8 fps is the least that still reads as motion.
LEVELS = {"cuda": ((1024, 30), (1024, 24), (768, 24), (768, 15), (512, 15), (512, 12), (384, 12), (384, 10),
                   (256, 8)),
          "cpu": ((512, 24), (512, 15), (448, 15), (384, 15), (384, 12), (320, 12), (320, 10), (256, 10), (256, 8))}
BY_STEPS = {"cuda": (768, 24), "cpu": (320, 12)}  # (long side, fps) by steps, where the config fixes neither
# Steps a following frame gets, by time. From the moved painting, 8 steps keep the first frame's look (on
# vtest.avi at 320 px, 12 fps: every frame's style and content within 15 % of the first's, bench_video.py).
FRAME_STEPS = 8
MIN_FRAME_STEPS = 3  # the least a plan gives a following frame: below it, it paints less of the clip
MIN_CLIP = 3.0  # s: a plan paints at least this much of the clip (or all of a shorter one) before it paints smaller
# The least level at which a plan paints the whole clip: below it, a better-looking part of the clip is
# painted instead (a 14 s clip in 5 min on 2 CPU cores: all of it at 320 px, 10 fps).
WHOLE_FLOOR = {"cuda": (512, 12), "cpu": (320, 10)}
FIRST_SHARE = 0.2  # of the time, the first frame's (at most a photo's default time on this device)
FIRST_STEPS = 5  # by steps: the first frame gets this many times a following frame's steps, coarse to fine
# A following frame's set-up beside its steps, in steps at its size: decoding it, its content targets (a
# forward pass to relu4_2), encoding the last one (measured at 256-512 px on 2 CPU cores: 0.5-0.6); and
# its two flows, in seconds per megapixel (DIS on the CPU whatever paints: 12 ms at 320×180).
FRAME_SETUP = 0.6
FLOW_SECONDS = 0.2
# The first step of a following frame moves its most-changed pixel by this much (a photo's first step:
# optimize.FIRST_STEP, 0.05). From a painting already near its optimum, 0.05 gave L-BFGS a curvature pair
# that sent a quarter of the next steps uphill; 0.02, one in forty.
FRAME_FIRST_STEP = 0.02
DEFAULT_SECONDS = {"cuda": 30.0}  # a clip's time when none is asked for; elsewhere 2 min


@dataclass(frozen=True)
class VideoPlan:
    """What a run paints of a clip, and how."""

    size: tuple[int, int]  # (width, height) of each painted frame, even sides
    fps: float  # frames a second painted
    frames: int  # frames painted
    steps: int  # each following frame's steps (by time: the expected number)
    first_steps: int  # by steps: the first frame's steps (coarse to fine); 0 by time
    first_seconds: float  # by time: the first frame's time (a photo's run); 0 by steps
    seconds: float  # expected wall time of the run (by time: the time asked for)
    clip_seconds: float  # the whole clip's length
    note: str = ""  # why less is painted than the time asked for would allow (a ZeroGPU lease)

    @property
    def painted_seconds(self) -> float:
        """Seconds of the clip painted."""
        return self.frames / self.fps

    @property
    def whole(self) -> bool:
        return self.painted_seconds > self.clip_seconds - 1 / self.fps

    def describe(self) -> str:
        """The plan in a line: "the first 4 s of your 12 s clip at 10 fps, 320 px, about 2 min"."""
        part = (f"all {clock(self.clip_seconds)} of your clip" if self.whole
                else f"the first {clock(self.painted_seconds)} of your {clock(self.clip_seconds)} clip")
        line = f"{part} at {self.fps:g} fps, {max(self.size)} px, about {clock(self.seconds)}"
        return f"{line} ({self.note})" if self.note else line


def clock(seconds: float, second: str = " s", minute: str = " min") -> str:
    """A duration in words: 3.5 s, 40 s, 2 min, 2.5 min (another language's units: ``second``, ``minute``)."""
    if seconds < 10:
        return f"{seconds:.1f}{second}".replace(f".0{second}", second)
    if seconds < 90:
        return f"{seconds:.0f}{second}"
    return f"{seconds / 60:.1f}{minute}".replace(f".0{minute}", minute)


def plan_video(info: ClipInfo, config: StyleConfig, device: tuple[str, bool], longest: float = math.inf,
               note: str = "") -> VideoPlan:
    """The plan for ``info``'s clip on ``device`` (the cost model's key: schedule.step_seconds).

    By steps (``config.steps`` per following frame): the whole clip, or its first ``clip_seconds``, at
    ``config.size`` and ``config.fps`` (BY_STEPS where 0). By time (``config.seconds``, at most
    ``longest``, with ``note`` saying why where that is less), with FRAME_STEPS a following frame: the
    whole clip (or ``clip_seconds`` of it) at the best of LEVELS down to WHOLE_FLOOR that holds it; else as
    much of it as the best level that holds MIN_CLIP of it holds; else MIN_CLIP at the least level with
    fewer steps (at least MIN_FRAME_STEPS, painting less where even those do not fit). ``config.size`` and
    ``config.fps`` fix those where given; never more frames a second than the clip's."""
    wanted = min(info.seconds, config.clip_seconds or info.seconds)
    levels = _levels(config, info, device)
    if config.steps:
        size, fps = levels[0]
        frames = _frames(wanted, fps)
        plan = VideoPlan(size, fps, frames, config.steps, FIRST_STEPS * config.steps, 0.0, 0.0, info.seconds, note)
        first = schedule.estimate(_first_stages(plan, config, device), device)
        return _with_seconds(plan, first + (frames - 1) * _frame_seconds(size, config.steps, device))
    asked = config.seconds or DEFAULT_SECONDS.get(device[0], 120.0)
    seconds = min(asked, longest)
    note = note if seconds < asked else ""
    first = min(FIRST_SHARE * seconds, schedule.AUTO_SECONDS.get(device[0], 30.0))

    def fitting(size: tuple[int, int], steps: int) -> int:
        # The plan's shape (size, fps, frames) by the frozen cost model, as a photo's size: one clip and one time
        # are planned alike on one server whatever its load; the steps a frame gets follow the live model.
        sizing = schedule.sizing_costs()
        return 1 + max(0, math.floor((seconds - first) / _frame_seconds(size, steps, device, sizing)))

    def plan(size: tuple[int, int], fps: float, frames: int) -> VideoPlan:
        frame = (seconds - first) / max(1, frames - 1)
        steps = max(1, math.floor((frame - FLOW_SECONDS * size[0] * size[1] / 1e6)
                                  / schedule.step_seconds(size, device) - FRAME_SETUP))
        return VideoPlan(size, fps, frames, steps, 0, first if frames > 1 else seconds, seconds, info.seconds, note)

    floor_side, floor_fps = WHOLE_FLOOR.get(device[0], WHOLE_FLOOR["cpu"])
    fixed = bool(config.size or config.fps)
    for size, fps in levels:
        good = fixed or max(size) >= min(floor_side, max(video_io.even_size(info.size, floor_side))) and fps >= min(
            floor_fps, info.fps)
        if good and fitting(size, FRAME_STEPS) >= _frames(wanted, fps):
            return plan(size, fps, _frames(wanted, fps))
    least = min(wanted, MIN_CLIP)
    for size, fps in levels:
        if fitting(size, FRAME_STEPS) >= _frames(least, fps):
            return plan(size, fps, min(fitting(size, FRAME_STEPS), _frames(wanted, fps)))
    size, fps = levels[-1]
    return plan(size, fps, max(min(2, _frames(wanted, fps)), min(_frames(least, fps), fitting(size, MIN_FRAME_STEPS))))


def _frames(seconds: float, fps: float) -> int:
    return max(1, math.floor(seconds * fps + 1e-6))


def _frame_seconds(size: tuple[int, int], steps: int, device: tuple[str, bool], costs: dict | None = None) -> float:
    """Expected seconds of a following frame: its steps, its set-up, its flows (by ``costs``; default: the live model)."""
    return (steps + FRAME_SETUP) * schedule.step_seconds(size, device, costs=costs) + FLOW_SECONDS * size[0] * size[1] / 1e6


def _with_seconds(plan: VideoPlan, seconds: float) -> VideoPlan:
    return VideoPlan(plan.size, plan.fps, plan.frames, plan.steps, plan.first_steps, plan.first_seconds, seconds,
                     plan.clip_seconds, plan.note)


def _first_stages(plan: VideoPlan, config: StyleConfig, device: tuple[str, bool]) -> list[schedule.Stage]:
    """The first frame's stages, as a photo of the frame's size is painted (by steps or by time)."""
    return schedule.plan(plan.size, _first_config(plan, config), device)


def _first_config(plan: VideoPlan, config: StyleConfig) -> StyleConfig:
    by_steps = dict(steps=plan.first_steps, seconds=0.0) if plan.first_steps else dict(steps=0,
                                                                                      seconds=plan.first_seconds)
    return config.replace(size=max(plan.size), screen_size=max(plan.size), scales=0, max_seconds=0.0, **by_steps)


def _levels(config: StyleConfig, info: ClipInfo, device: tuple[str, bool]) -> list[tuple[tuple[int, int], float]]:
    """The (frame size, fps) a plan chooses from, best first: LEVELS (BY_STEPS by steps) with the size
    and fps the config fixes; never more frames a second than the clip has."""
    if config.steps:
        levels = [BY_STEPS.get(device[0], BY_STEPS["cpu"])]
    else:
        levels = list(LEVELS.get(device[0], LEVELS["cpu"]))
    levels = [(config.size or side, config.fps or rate) for side, rate in levels]
    chosen = []
    for side, rate in levels:
        level = (video_io.even_size(info.size, side), min(rate, info.fps))
        if level not in chosen:
            chosen.append(level)
    return chosen


@dataclass(frozen=True)
class VideoProgress:
    """One step of a clip's run. ``image`` is frame ``frame`` painted where ``finished``; else, while the
    first frame is painted, a preview every ``preview_every`` steps (or None)."""

    frame: int  # the frame being painted, 1-based
    frames: int  # frames planned
    step: int  # steps done on this frame
    elapsed: float  # seconds since the run started
    eta: float  # seconds left
    plan: VideoPlan
    image: Image.Image | None = None
    finished: bool = False  # ``image`` is frame ``frame``, painted
    done: bool = False  # the last record: every frame planned is painted, or the time cap ended the run


def stylize_video(source: VideoSource, styles: image_io.ImageSource | Sequence[image_io.ImageSource],
                  config: StyleConfig = StyleConfig(), output: str | Path | None = None,
                  metadata: dict | None = None, longest: float = math.inf, note: str = "") -> Iterator[VideoProgress]:
    """Paint the clip at ``source`` (a path or bytes: MP4, MOV, WebM, AVI, an animated GIF) in the style of
    ``styles``; yields a VideoProgress after every step, with each frame as it is finished.

    ``config.seconds`` is the whole run's time, ``config.steps`` each following frame's steps (the first
    gets FIRST_STEPS times as many); ``config.size``, ``config.fps`` and ``config.clip_seconds`` fix what
    the plan would choose (``plan_video``; ``longest`` and ``note`` as there). With ``output``, the frames
    are written there as an MP4 as they come, with the clip's sound trimmed to what was painted and
    ``metadata`` as JSON; closing the generator (Stop) ends the file with the frames painted so far.
    Raises ``ValueError`` subclasses with a one-line message for bad input, before any work.
    """
    info = video_io.probe(source)
    device = resolve_device(config.device)
    key = device_key(device.type, config.precision)
    plan = plan_video(info, config, key, longest, note)
    clip = _Clip(source, _load_styles(styles), config, plan, device, key)
    writer = video_io.ClipWriter(output, plan.size, plan.fps, source, metadata) if output is not None else None
    try:
        for progress in clip.painted():
            if writer is not None and progress.finished:
                writer.write(progress.image)
            yield progress
    finally:
        if writer is not None:
            writer.close()


class _Clip:
    """One clip's run: its frames read as they are needed, each painted from the last one moved."""

    def __init__(self, source: VideoSource, styles: list[Image.Image], config: StyleConfig, plan: VideoPlan,
                 device: torch.device, key: tuple[str, bool]):
        self.source, self.styles, self.plan, self.device, self.key = source, styles, plan, device, key
        self.blend = _style_weights(len(styles), config)
        # The photo's colours: kept per frame as it is shown (keep_luminance), or matched once to the first
        # frame (every frame is then painted with the same statistics).
        self.keep_colours = config.preserve_color == "luminance"
        self.match_colours = config.preserve_color == "match"
        self.config = config.replace(preserve_color="none")
        self.extractor = get_extractor(config.weights, device, config.pooling,
                                       config.content_layers + config.style_layers)
        self.start = time.perf_counter()
        self.first_end = 0.0
        self.frame_seconds = _frame_seconds(plan.size, plan.steps, key)  # by steps: measured once a frame is

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def painted(self) -> Iterator[VideoProgress]:
        frames = video_io.read_frames(self.source, self.plan.size, self.plan.fps, self.plan.frames)
        first = next(frames, None)
        if first is None:
            raise video_io.VideoError("video: the clip has no frames")
        if self.match_colours:
            self.styles = [color.match_colors(s, first) for s in self.styles]
        self.digests = [targets.digest(s) for s in self.styles]
        canvas = yield from self._first(first)
        previous, index = first, 1
        for frame in frames:
            if self._over_time():
                break
            index += 1
            canvas = yield from self._following(index, previous, frame, canvas)
            previous = frame
        yield VideoProgress(index, self.plan.frames, 0, self.elapsed(), 0.0, self.plan, done=True)

    def _over_time(self) -> bool:
        return bool(self.config.max_seconds) and self.elapsed() >= self.config.max_seconds

    def _first(self, frame: Image.Image) -> Iterator[VideoProgress]:
        """The first frame, painted as a photo; returns its canvas."""
        painted = None
        for progress in stylize(frame, self.styles, _first_config(self.plan, self.config)):
            if progress.done:
                painted = progress.image
                break
            yield VideoProgress(1, self.plan.frames, progress.step, self.elapsed(), progress.eta + self._after_first(),
                                self.plan, progress.image)
        canvas = image_io.to_tensor(painted, self.device)
        self.first_end = self.elapsed()
        yield self._record(1, 0, self._shown(canvas, frame), finished=True)
        return canvas

    def _after_first(self) -> float:
        """Seconds planned for the frames after the first."""
        if self.plan.first_seconds:
            return self.plan.seconds - self.plan.first_seconds
        return (self.plan.frames - 1) * self.frame_seconds

    def _following(self, index: int, previous: Image.Image, frame: Image.Image,
                   canvas: torch.Tensor) -> Iterator[VideoProgress]:
        """Frame ``index``: the last painted frame moved along the flow, then painted; returns its canvas."""
        begun = time.perf_counter()
        link = flow.motion(previous, frame)
        moved = flow.moved_painting(canvas, previous, frame, link)
        objective = _Objective(self.extractor, self.config, frame, self.styles, self.blend, self.plan.size,
                               self.device, digests=self.digests)
        temporal = _Temporal(objective, moved, torch.from_numpy(link.reliable).to(self.device),
                             self.config.temporal_weight)
        canvas = objective.pad(moved).requires_grad_(True)
        step = _make_stepper(canvas, temporal, self.config, FRAME_FIRST_STEP)
        deadline = self._deadline(index)
        times: list[float] = []
        try:
            while True:
                started = time.perf_counter()
                step()
                times.append(time.perf_counter() - started)
                if self._frame_over(times, deadline):
                    break
                yield self._record(index, len(times), None)
        finally:
            canvas.requires_grad_(False)
        schedule.record_steps(self.plan.size, self.key, statistics.median(times))
        self.frame_seconds = time.perf_counter() - begun
        canvas = objective.visible(canvas).detach()
        yield self._record(index, len(times), self._shown(canvas, frame), finished=True)
        return canvas

    def _deadline(self, index: int) -> float:
        """By time, when frame ``index`` should be finished: after the first, an even share each of the rest."""
        if self.plan.first_steps:
            return math.inf
        return self.first_end + (index - 1) * (self.plan.seconds - self.first_end) / (self.plan.frames - 1)

    def _frame_over(self, times: list[float], deadline: float) -> bool:
        """Whether frame's steps are done: by steps, its steps; by time, when the next would end past its deadline."""
        if self._over_time():
            return True
        if self.plan.first_steps:
            return len(times) >= self.plan.steps
        return self.elapsed() + statistics.median(times[-3:]) > deadline

    def _shown(self, canvas: torch.Tensor, frame: Image.Image) -> Image.Image:
        if self.keep_colours:
            canvas = color.keep_luminance(canvas, image_io.to_tensor(frame, canvas.device))
        return image_io.to_pil(canvas)

    def _record(self, index: int, steps: int, image: Image.Image | None, finished: bool = False) -> VideoProgress:
        if self.plan.first_steps:  # by steps: the frames left at the pace measured
            eta = (self.plan.frames - index + (0 if finished else 1)) * self.frame_seconds
        else:
            eta = max(0.0, self.plan.seconds - self.elapsed())
        return VideoProgress(index, self.plan.frames, steps, self.elapsed(), eta, self.plan, image, finished)


class _Temporal:
    """A frame's objective with Ruder et al.'s temporal term: ``weight`` × the mean squared difference
    from the last painted frame moved here (``moved``), over the trusted pixels (``reliable``, H × W)."""

    def __init__(self, objective: _Objective, moved: torch.Tensor, reliable: torch.Tensor, weight: float):
        self.objective, self.moved, self.weight = objective, moved.detach(), weight
        self.mask = reliable.view(1, 1, *reliable.shape)
        self.count = 3 * float(self.mask.sum().clamp_min(1.0))
        self.content = objective.content

    def __call__(self, canvas: torch.Tensor) -> tuple[torch.Tensor, float, float]:
        loss, content, style = self.objective(canvas)
        if self.weight:
            change = self.objective.visible(canvas) - self.moved
            loss = loss + self.weight * (self.mask * change.pow(2)).sum() / self.count
        return loss, content, style
