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
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from PIL import Image

from . import color, flow, image_io, schedule, shots, targets, video_io
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
MIN_CLIP = 6.0  # s: a plan paints at least this much of the clip (or all of a shorter one) before it paints smaller
# The least level at which a plan paints the whole clip: below it, a better-looking part of the clip is
# painted instead (a 14 s clip in 5 min on 2 CPU cores: all of it at 320 px, 10 fps).
WHOLE_FLOOR = {"cuda": (512, 12), "cpu": (320, 10)}
FIRST_SHARE = 0.2  # of the time, the first frame's (at most a photo's default time on this device) ...
# ... and at most this many steps' time at the frame's size, the time each cut's first frame gets too (320×180
# on 2 CPU cores: 7.7 s; a photo of that size alone reaches The Starry Night's style distance 0.067 in 6 s,
# 0.044 in 10 s, 0.042 in 16 and 24 s; The Scream's 0.105, 0.064, 0.056, 0.053). The frames after it go on
# painting it; more than this kept 2 min from painting 6 s of an edited clip at 320 px.
SHOT_STEPS = 16
FIRST_STEPS = 5  # by steps: the first frame gets this many times a following frame's steps, coarse to fine
# A following frame's set-up beside its steps, in steps at its size: decoding it, its content targets (a
# forward pass to relu4_2), encoding the last one (measured at 256-512 px on 2 CPU cores: 0.5-0.6); and
# its two flows, in seconds per megapixel (DIS on the CPU whatever paints: 12 ms at 320×180).
FRAME_SETUP = 0.6
FLOW_SECONDS = 0.2
# A frame between two painted ones: decoding and encoding it, in steps at its size, and its four flows (two
# to each neighbour).
BETWEEN_SETUP = 0.3
STRIDES = (1, 2, 3)  # a plan paints every frame of a shot, or every 2nd or 3rd, the others moved from both sides ...
STRIDE_FPS = 10  # ... only at this rate or more (a person walking moves ~15 px in a third of a second at 320 px)
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
    cuts: tuple[int, ...] = ()  # frames (0-based) that begin a new shot: each painted as a first frame
    stride: int = 1  # every ``stride``-th frame of a shot is painted; those between are moved from both sides

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
        if self.cuts:
            line += f"; {len(self.cuts) + 1} shots, each painted from its first frame"
        return f"{line} ({self.note})" if self.note else line

    def kinds(self) -> list[str]:
        """Each frame's work, in order: "shot" (painted as a photo: the first frame and each cut's), "paint"
        (from the last painted frame moved here) or "between" (moved from the painted frames on both sides)."""
        starts = (0, *self.cuts, self.frames)
        kinds = []
        for start, end in zip(starts, starts[1:]):
            # A shot's last frame is painted (nothing after it to move from); the rest spread evenly.
            gaps = math.ceil((end - start - 1) / self.stride)
            painted = {start + round(i * (end - start - 1) / gaps) for i in range(1, gaps + 1)}
            kinds += ["shot"] + ["paint" if k in painted else "between" for k in range(start + 1, end)]
        return kinds


def clock(seconds: float, second: str = " s", minute: str = " min") -> str:
    """A duration in words: 3.5 s, 40 s, 2 min, 2.5 min (another language's units: ``second``, ``minute``)."""
    if seconds < 10:
        return f"{seconds:.1f}{second}".replace(f".0{second}", second)
    if seconds < 90:
        return f"{seconds:.0f}{second}"
    return f"{seconds / 60:.1f}{minute}".replace(f".0{minute}", minute)


def plan_video(info: ClipInfo, config: StyleConfig, device: tuple[str, bool], longest: float = math.inf,
               note: str = "", cuts: Sequence[float] = ()) -> VideoPlan:
    """The plan for ``info``'s clip on ``device`` (the cost model's key: schedule.step_seconds), whose shots
    begin at ``cuts`` (seconds: shots.cut_times; plan_clip finds them).

    By steps (``config.steps`` per following frame): the whole clip, or its first ``clip_seconds``, at
    ``config.size`` and ``config.fps`` (BY_STEPS where 0), every frame painted. By time (``config.seconds``,
    at most ``longest``, with ``note`` saying why where that is less), with FRAME_STEPS a painted frame and
    each shot's first frame a photo's time (at most SHOT_STEPS' time): the whole clip (or ``clip_seconds`` of
    it) at the best of LEVELS down to WHOLE_FLOOR that holds it, every frame painted or else every 2nd or
    3rd (at STRIDE_FPS or more); else as much of it as the best level that holds MIN_CLIP of it holds; else
    MIN_CLIP at the least level with fewer steps (at least MIN_FRAME_STEPS, painting less where even those
    do not fit). ``config.size`` and ``config.fps`` fix those where given; never more frames a second than
    the clip's."""
    wanted = min(info.seconds, config.clip_seconds or info.seconds)
    levels = _levels(config, info, device)
    grace = 0.5 / info.fps  # the frame shown at a time is the last one begun by then, half a frame's grace

    def shaped(size: tuple[int, int], fps: float, frames: int, stride: int, steps: int, first: float) -> VideoPlan:
        return VideoPlan(size, fps, frames, steps, 0, first, seconds, info.seconds, note,
                         shots.cut_frames(cuts, fps, frames, grace), stride)

    if config.steps:
        size, fps = levels[0]
        seconds = 0.0
        plan = replace(shaped(size, fps, _frames(wanted, fps), 1, config.steps, 0.0),
                       first_steps=FIRST_STEPS * config.steps)
        shot = schedule.estimate(_first_stages(plan, config, device), device)
        return replace(plan, seconds=_run_seconds(plan, shot, plan.steps, device))
    asked = config.seconds or DEFAULT_SECONDS.get(device[0], 120.0)
    seconds = min(asked, longest)
    note = note if seconds < asked else ""
    # The plan's shape (size, fps, frames) by the frozen cost model, as a photo's size: one clip and one time
    # are planned alike on one server whatever its load; the steps a frame gets follow the live model.
    sizing = schedule.sizing_costs()

    def first(size: tuple[int, int]) -> float:
        return min(FIRST_SHARE * seconds, schedule.AUTO_SECONDS.get(device[0], 30.0),
                   SHOT_STEPS * schedule.step_seconds(size, device, costs=sizing))

    def fitting(size: tuple[int, int], fps: float, stride: int, steps: int) -> int:
        """The most frames a run of ``steps`` a painted frame paints in the time (at least 1)."""
        low, high = 1, _frames(info.seconds, fps)
        while low < high:
            middle = (low + high + 1) // 2
            plan = shaped(size, fps, middle, stride, steps, first(size))
            if _run_seconds(plan, plan.first_seconds, steps, device, sizing) <= seconds:
                low = middle
            else:
                high = middle - 1
        return low

    def plan(size: tuple[int, int], fps: float, frames: int, stride: int) -> VideoPlan:
        shape = shaped(size, fps, frames, stride, FRAME_STEPS, first(size) if frames > 1 else seconds)
        if frames < _frames(wanted, fps) and shape.cuts and frames - shape.cuts[-1] < fps:
            # Part of a clip ending less than a second into a shot: the time of that shot's first frame goes
            # to the frames before it instead.
            shape = shaped(size, fps, shape.cuts[-1], stride, FRAME_STEPS, first(size))
        kinds = shape.kinds()
        painted = kinds.count("paint")
        if not painted:
            return shape
        spare = (seconds - kinds.count("shot") * shape.first_seconds
                 - kinds.count("between") * _between_seconds(size, device)) / painted
        steps = max(1, math.floor((spare - FLOW_SECONDS * size[0] * size[1] / 1e6)
                                  / schedule.step_seconds(size, device) - FRAME_SETUP))
        return replace(shape, steps=steps)

    floor_side, floor_fps = WHOLE_FLOOR.get(device[0], WHOLE_FLOOR["cpu"])
    fixed = bool(config.size or config.fps)
    for size, fps in levels:
        good = fixed or max(size) >= min(floor_side, max(video_io.even_size(info.size, floor_side))) and fps >= min(
            floor_fps, info.fps)
        for stride in _strides(fps):
            if good and fitting(size, fps, stride, FRAME_STEPS) >= _frames(wanted, fps):
                return plan(size, fps, _frames(wanted, fps), stride)
    least = min(wanted, MIN_CLIP)
    for size, fps in levels:
        for stride in _strides(fps):
            fits = fitting(size, fps, stride, FRAME_STEPS)
            if fits >= _frames(least, fps):
                return plan(size, fps, min(fits, _frames(wanted, fps)), stride)
    size, fps = levels[-1]
    stride = _strides(fps)[-1]
    return plan(size, fps, max(min(2, _frames(wanted, fps)),
                               min(_frames(least, fps), fitting(size, fps, stride, MIN_FRAME_STEPS))), stride)


def plan_clip(source: VideoSource, config: StyleConfig, device: tuple[str, bool], longest: float = math.inf,
              note: str = "") -> VideoPlan:
    """plan_video for the clip at ``source``, with the cuts in the part of it that could be painted (scanned
    once per file: shots.cut_times)."""
    info = video_io.probe(source)
    reach = plan_video(info, config, device, longest, note)  # cuts only shorten what is painted
    return plan_video(info, config, device, longest, note, shots.cut_times(source, reach.painted_seconds))


def _strides(fps: float) -> tuple[int, ...]:
    return STRIDES if fps >= STRIDE_FPS else STRIDES[:1]


def _run_seconds(plan: VideoPlan, shot: float, steps: int, device: tuple[str, bool],
                 costs: dict | None = None) -> float:
    """Expected wall time of ``plan``'s run: ``shot`` seconds for each shot's first frame, ``steps`` for each
    painted frame (by ``costs``; default: the live model)."""
    kinds = plan.kinds()
    return (kinds.count("shot") * shot + kinds.count("paint") * _frame_seconds(plan.size, steps, device, costs)
            + kinds.count("between") * _between_seconds(plan.size, device, costs))


def _between_seconds(size: tuple[int, int], device: tuple[str, bool], costs: dict | None = None) -> float:
    return BETWEEN_SETUP * schedule.step_seconds(size, device, costs=costs) + 2 * FLOW_SECONDS * size[0] * size[1] / 1e6


def _frames(seconds: float, fps: float) -> int:
    return max(1, math.floor(seconds * fps + 1e-6))


def _frame_seconds(size: tuple[int, int], steps: int, device: tuple[str, bool], costs: dict | None = None) -> float:
    """Expected seconds of a following frame: its steps, its set-up, its flows (by ``costs``; default: the live model)."""
    return (steps + FRAME_SETUP) * schedule.step_seconds(size, device, costs=costs) + FLOW_SECONDS * size[0] * size[1] / 1e6


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

    ``config.seconds`` is the whole run's time, ``config.steps`` each following frame's steps (each shot's
    first gets FIRST_STEPS times as many); ``config.size``, ``config.fps`` and ``config.clip_seconds`` fix
    what the plan would choose (``plan_clip``; ``longest`` and ``note`` as there). With ``output``, the
    frames are written there as an MP4 as they come, with the clip's sound trimmed to what was painted and
    ``metadata`` as JSON; closing the generator (Stop) ends the file with the frames painted so far.
    Raises ``ValueError`` subclasses with a one-line message for bad input, before any work.
    """
    start = time.perf_counter()  # finding the cuts is part of the run's time
    device = resolve_device(config.device)
    key = device_key(device.type, config.precision)
    plan = plan_clip(source, config, key, longest, note)
    clip = _Clip(source, _load_styles(styles), config, plan, device, key, start)
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
    """One clip's run: its frames read as they are needed; each shot's first painted as a photo, the frames
    after it each from the last painted one moved, the frames between two painted ones moved from both."""

    def __init__(self, source: VideoSource, styles: list[Image.Image], config: StyleConfig, plan: VideoPlan,
                 device: torch.device, key: tuple[str, bool], start: float):
        self.source, self.paintings, self.plan, self.device, self.key = source, styles, plan, device, key
        self.blend = _style_weights(len(styles), config)
        # The photo's colours: kept per frame as it is shown (keep_luminance), or matched to each shot's
        # first frame (every frame of the shot is then painted with the same statistics).
        self.keep_colours = config.preserve_color == "luminance"
        self.match_colours = config.preserve_color == "match"
        self.config = config.replace(preserve_color="none")
        self.extractor = get_extractor(config.weights, device, config.pooling,
                                       config.content_layers + config.style_layers)
        self.start = start
        self.kinds = plan.kinds()
        by_steps = schedule.estimate(_first_stages(plan, config, key), key) if plan.first_steps else 0.0
        # Each frame's planned seconds: a run by time shares what is left of it in these proportions.
        self.work = [{"shot": plan.first_seconds or by_steps, "paint": _frame_seconds(plan.size, plan.steps, key),
                      "between": _between_seconds(plan.size, key)}[kind] for kind in self.kinds]
        self.frame_seconds = self.work[1] if len(self.work) > 1 else self.work[0]  # by steps: measured as frames are

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def painted(self) -> Iterator[VideoProgress]:
        frames = video_io.read_frames(self.source, self.plan.size, self.plan.fps, self.plan.frames)
        last, waiting, index = None, [], 0  # (photo, canvas) of the last painted frame; the frames since
        for index, photo in enumerate(frames):
            if index and self._over_time():
                break
            if self.kinds[index] == "between":
                waiting.append(photo)
                continue
            last = yield from self._painted_with(index, photo, last, waiting)
            waiting = []
        if last is None:
            raise video_io.VideoError("video: the clip has no frames")
        if waiting:  # the clip ended sooner than its header said: its last frame is painted, as a shot's last is
            yield from self._painted_with(index, waiting[-1], last, waiting[:-1])
        yield VideoProgress(index + 1, self.plan.frames, 0, self.elapsed(), 0.0, self.plan, done=True)

    def _painted_with(self, index: int, photo: Image.Image, last: tuple | None,
                      between: list[Image.Image]) -> Iterator[VideoProgress]:
        """Frame ``index`` painted; the frames ``between`` the last painted one and it, moved from both; then
        it. Returns its (photo, canvas)."""
        canvas = yield from self._frame(index, photo, last)
        for offset, frame in enumerate(between, 1):
            shown = flow.in_between(last[1], last[0], canvas, photo, frame, offset / (len(between) + 1))
            yield self._record(index - len(between) + offset - 1, 0, self._shown(shown, frame), finished=True)
        yield self._record(index, 0, self._shown(canvas, photo), finished=True)
        return photo, canvas

    def _over_time(self) -> bool:
        return bool(self.config.max_seconds) and self.elapsed() >= self.config.max_seconds

    def _share(self, index: int, work: float) -> float:
        """By time, the seconds from now that the frames up to ``index`` (work ``work``) get of what is left."""
        rest = sum(self.work[index:])
        return max(0.0, self.plan.seconds - self.elapsed()) * work / max(rest, 1e-9)

    def _frame(self, index: int, photo: Image.Image, last: tuple | None) -> Iterator[VideoProgress]:
        """Frame ``index`` (0-based) painted: a shot's first as a photo, another from ``last`` moved; returns
        its canvas. A frame the flow from the last one cannot mostly trust is a cut the scan missed."""
        if last is None or self.kinds[index] == "shot":
            return (yield from self._shot(index, photo, self.work[index]))
        link = flow.motion(last[0], photo)
        if 1.0 - float(link.reliable.mean()) > shots.UNTRUSTED:
            return (yield from self._shot(index, photo, self.work[0]))
        return (yield from self._following(index, last, photo, link))

    def _shot(self, index: int, photo: Image.Image, work: float) -> Iterator[VideoProgress]:
        """A shot's first frame, painted as a photo (coarse to fine) with its share of the time; returns its canvas."""
        if self.match_colours:
            self.styles = [color.match_colors(s, photo) for s in self.paintings]
        elif index == 0:
            self.styles = self.paintings
        if index == 0 or self.match_colours:
            self.digests = [targets.digest(s) for s in self.styles]
        config = _first_config(self.plan, self.config)
        if not self.plan.first_steps:
            config = config.replace(seconds=max(1.0, self._share(index, work)))
        painted = None
        for progress in stylize(photo, self.styles, config):
            if progress.done:
                painted = progress.image
                break
            yield VideoProgress(index + 1, self.plan.frames, progress.step, self.elapsed(),
                                progress.eta + sum(self.work[index + 1:]), self.plan, progress.image)
        return image_io.to_tensor(painted, self.device)

    def _following(self, index: int, last: tuple, photo: Image.Image, link: flow.Motion) -> Iterator[VideoProgress]:
        """Frame ``index``: the last painted frame moved along the flow, then painted; returns its canvas."""
        begun = time.perf_counter()
        moved = flow.moved_painting(last[1], last[0], photo, link)
        objective = _Objective(self.extractor, self.config, photo, self.styles, self.blend, self.plan.size,
                               self.device, digests=self.digests)
        temporal = _Temporal(objective, moved, torch.from_numpy(link.reliable).to(self.device),
                             self.config.temporal_weight)
        canvas = objective.pad(moved).requires_grad_(True)
        step = _make_stepper(canvas, temporal, self.config, FRAME_FIRST_STEP)
        # By time: its own share of what is left, the frames between it and the last painted one (moved once it
        # is painted) counted in what is left.
        deadline = math.inf if self.plan.first_steps else self.elapsed() + self._share(
            self._last_painted(index) + 1, self.work[index])
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
        return objective.visible(canvas).detach()

    def _last_painted(self, index: int) -> int:
        """The painted frame before ``index`` (0-based)."""
        return max(k for k in range(index) if self.kinds[k] != "between")

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
        """Frame ``index`` (0-based) after ``steps``; ``image`` where ``finished``."""
        if self.plan.first_steps:  # by steps: the frames left at the pace measured
            eta = (self.plan.frames - index - (1 if finished else 0)) * self.frame_seconds
        else:
            eta = max(0.0, self.plan.seconds - self.elapsed())
        return VideoProgress(index + 1, self.plan.frames, steps, self.elapsed(), eta, self.plan, image, finished)


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
