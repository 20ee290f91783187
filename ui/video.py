"""A clip as the page and the API see it: the Video tab's box and time, a clip checked as it arrives, the
``/stylize_video`` handler, its refusals, and the clip it leaves.

``paint_video()`` streams each frame as it is painted (the first frame's previews too) with a status line
("Painting frame 12 of 40 · about 50 s left"), and writes the frames into an MP4 as they come
(style_core.video_io.ClipWriter) in Gradio's upload folder, so that whatever ends the run (done, Stop,
the server's time cap) leaves a clip of the frames painted. The clip's plan is said before the run
(``plan_line``, on the page beside Paint).
"""

from __future__ import annotations

import base64
import functools
import html
import io
import math
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import gradio as gr
from PIL import Image
from gradio.utils import get_upload_folder

from style_core import ClipWriter, StyleConfig, VideoProgress, plan_clip, presets, probe, video_io
from style_core.optimize import device_key

from . import gpu, painting, settings, visitors, words
from .components import NUMBER, Choice, ClipFile, described
from .words import fixed, say
from .painting import Record, SettingError, _number, painting_id

TIMES = {"cuda": (((15, "15 s"), (30, "30 s"), (60, "1 min")), 30),
         "cpu": (((30, "30 s"), (120, "2 min"), (300, "5 min")), 120)}
TIME_CHOICES, DEFAULT_SECONDS = TIMES.get(gpu.DEVICE_TYPE, TIMES["cpu"])
PICTURE_EVERY = 0.3  # s: the least time between two frames sent to the page (a GPU paints several a second)
MAX_FPS = 60


def make_video_config(size, fps, steps, style_strength, preserve_color, style_scale, seed, seconds) -> StyleConfig:
    """The engine's settings for a clip from the page's controls; a SettingError names the one out of range.
    ``seconds`` is the whole run's, ``steps`` each frame's."""
    size, steps, fps = _number("size", size, int), _number("steps", steps, int), _number("fps", fps or 0)
    if not 0 <= size <= painting.MAX_SIZE:
        raise SettingError("size", say("size.outside_clip", size=size, largest=painting.MAX_SIZE))
    if not 0 <= fps <= MAX_FPS:
        raise SettingError("fps", say("fps.outside", largest=MAX_FPS, value=f"{fps:g}"))
    seconds = _number("seconds", seconds)
    if not steps and seconds == 0:  # nothing to plan the clip by
        raise SettingError("seconds", say("seconds.none_clip", longest=f"{settings.MAX_SECONDS:g}"))
    if not (0 < seconds <= settings.MAX_SECONDS if not steps else 0 <= seconds <= 3600):
        raise SettingError("seconds", say("seconds.outside_clip", seconds=f"{seconds:g}",
                                          longest=f"{settings.MAX_SECONDS:g}"))
    return StyleConfig(
        size=size, fps=fps, steps=steps, seconds=seconds, style_weight=_number("style_strength", style_strength),
        style_scale=_number("style_scale", style_scale), preserve_color="luminance" if preserve_color else "none",
        seed=_number("seed", seed or 0, int), max_seconds=settings.MAX_SECONDS, preview_every=painting.PREVIEW_EVERY)


EXAMPLE_CLIP = str(Path(__file__).resolve().parent.parent / "docs" / "example-clip.mp4")  # a pan over the paper's photo
CSS = """
/* A clip the browser cannot play: its first frame over the player (its 210 px less the bar under it), pointer-free
   so that the player's buttons still answer. */
#clip-still {position: absolute; left: 1px; right: 1px; top: 1px; height: 168px; z-index: 5; pointer-events: none;
  padding: 0; margin: 0; overflow: hidden; background: var(--block-background-fill); border-radius: var(--block-radius)}
#clip-still div {height: 100%; padding: 0; margin: 0}
#clip-still img {display: block; width: 100%; height: 100%; object-fit: contain}
#clip-still p {position: absolute; left: 6px; right: 6px; bottom: 6px; margin: 0; padding: 2px 6px; font-size: 0.8em;
  border-radius: 4px; background: rgba(0, 0, 0, 0.6); color: white}
"""
# That first frame goes once the clip plays after all (Safari plays HEVC), and may show again for the next clip;
# the player's own failure is not announced (Gradio's "Video not playable" toast): the frame and its line say it.
HEAD = """<script>
(() => {
  const still = (event) => event.target.closest?.("#clip") && document.getElementById("clip-still");
  document.addEventListener("playing", (event) => { const s = still(event); if (s) s.style.visibility = "hidden"; }, true);
  document.addEventListener("loadstart", (event) => { const s = still(event); if (s) s.style.visibility = ""; }, true);
  document.addEventListener("error", (event) => {
    if (event.target.tagName === "VIDEO" && event.target.closest("#clip")) event.stopPropagation();
  }, true);
})();
</script>"""


def clip_box() -> tuple:
    """The Video tab's box: the clip (refused over its foot, shown by its first frame where the browser cannot
    play it) and the example beside it."""
    with gr.Row(equal_height=False, elem_id="clip-row"):
        with gr.Column(scale=4, min_width=230, elem_id="clip-box"):
            clip = described(ClipFile(label=fixed("clip.label"), sources=["upload", "webcam"], elem_id="clip", height=210),
                             "The clip to repaint: MP4, MOV (an iPhone's HEVC too), WebM, AVI or an animated GIF.",
                             example="docs/example-clip.mp4")
            problem = gr.Markdown(elem_id="clip-problem", visible=False)
            still = gr.HTML(elem_id="clip-still", visible=False)
        with gr.Column(scale=1, min_width=90):
            gr.Examples([[EXAMPLE_CLIP]], [clip], label=fixed("clip.example"), cache_examples=False,
                        elem_id="clip-examples")
    return clip, problem, still


def time_choice():
    """The whole clip's time, beside Paint in Video mode."""
    return described(
        Choice([(fixed(words.duration, value), value) for value, _ in TIME_CHOICES], value=DEFAULT_SECONDS,
               label=fixed("video_time.label"), elem_id="video-time", scale=2, min_width=200, visible=False),
        f"Seconds the whole clip's painting takes, when steps is 0 (up to {settings.MAX_SECONDS:g} s): the plan "
        "picks the size, the frame rate and how much of the clip fits.", NUMBER)


def clip_chosen(clip: str | None) -> tuple[Image.Image | None, str, str]:
    """A clip chosen (or removed), checked at once: its first frame for the canvas (None: none, or refused),
    why it is refused (or ""), and its first frame for its own box where a browser may not play it (or "")."""
    if clip is None:
        return None, "", ""
    if problem := clip_problem(clip):
        return None, f"⚠️ {say('not_a_clip', reason=problem)}", ""
    info = probe(clip, "clip")
    side = min(painting.SHOWN_SIDE, max(info.size))
    first = next(video_io.read_frames(clip, video_io.even_size(info.size, side), info.fps, 1))
    return first, "", still_of(clip, first)


# What every browser's <video> plays: these codecs in these containers. Anything else (an iPhone's HEVC in
# Chromium or Firefox, an AVI, an animated GIF) is shown by its first frame where the player would be.
PLAYABLE_CODECS = frozenset({"h264", "vp8", "vp9", "av1"})
PLAYABLE_SUFFIXES = (".mp4", ".m4v", ".mov", ".webm")


def still_of(path: str, first: Image.Image) -> str:
    """The clip's ``first`` frame as an <img> for a browser that may not play it, or "" where every browser does."""
    if probe(path, "clip").codec in PLAYABLE_CODECS and path.lower().endswith(PLAYABLE_SUFFIXES):
        return ""
    buffer = io.BytesIO()
    first.save(buffer, format="JPEG", quality=85)
    data = base64.b64encode(buffer.getvalue()).decode()
    said = html.escape(say("clip.still"))
    return f'<img src="data:image/jpeg;base64,{data}" alt="{said}"><p>{said}</p>'


def clip_problem(path: str) -> str:
    """What is wrong with the clip at ``path`` as one line, or "", as painting.photo_problem."""
    return words.engine(_clip_problem(path))


@functools.lru_cache(maxsize=256)
def _clip_problem(path: str) -> str:
    """clip_problem in the engine's words, probed once per file."""
    try:
        probe(path, "clip")
    except ValueError as exc:
        return str(exc).removeprefix("clip: ")
    return ""


VIDEO_PARAMETERS = ("content", "style_preset", "style_image", "seconds", "size", "fps", "steps", "style_strength",
                    "preserve_color", "style_scale", "seed")


def video_refusal(content, style_preset, style_image, seconds, size, fps, steps, style_strength, preserve_color,
                  style_scale, seed) -> tuple[str, str]:
    """Why the server refuses this /stylize_video run, as painting.run_refusal."""
    def check():
        painting_id("style_preset", style_preset)
        make_video_config(size, fps, steps, style_strength, preserve_color, style_scale, seed, seconds)

    return painting.refusal(content, clip_problem, check, "no_clip")


def check_video(content, style_preset, style_image, seconds, size, fps, steps, style_strength, preserve_color,
                style_scale, seed, request: gr.Request = None) -> list[dict]:
    """The validator of /stylize_video: as painting.check_run."""
    return painting.verdicts(VIDEO_PARAMETERS, video_refusal(content, style_preset, style_image, seconds, size, fps,
                                                             steps, style_strength, preserve_color, style_scale,
                                                             seed), request)


def plan_line(content: str | None, size, steps, seconds) -> tuple[str, bool]:
    """What a run of this clip would paint, in a line (nothing without a clip or with one its own check
    refuses), or why the server would refuse these settings; and whether it would."""
    try:
        config = make_video_config(size, 0, steps, painting.DEFAULTS.style_weight, False, 1.0, 0, seconds)
    except SettingError as exc:
        return exc.reason, True
    if content is None or clip_problem(content):
        return "", False
    plan = plan_clip(content, config, _device(), *_lease())
    return say("plan", plan=describe(plan)), False


def describe(plan) -> str:
    """A clip's plan in a line, in the visitor's words (as style_core's VideoPlan.describe)."""
    told = {"length": words.duration(plan.clip_seconds), "part": words.duration(plan.painted_seconds),
            "fps": f"{plan.fps:g}", "side": max(plan.size), "time": words.duration(plan.seconds)}
    line = say("plan.whole" if plan.whole else "plan.part", **told)
    if plan.cuts:
        line = say("plan.shots", plan=line, shots=len(plan.cuts) + 1)
    # The one note a plan takes from this server: ZeroGPU's lease (_lease).
    return say("plan.note", plan=line, note=say("plan.zerogpu", seconds=f"{gpu.LONGEST_S:g}")) if plan.note else line


def _device() -> tuple[str, bool]:
    return device_key(gpu.DEVICE_TYPE, painting.DEFAULTS.precision)


def _lease() -> tuple[float, str]:
    """The longest painting this server's runs hold, and why (ZeroGPU's lease), for plan_video."""
    return (gpu.LONGEST_S, f"a ZeroGPU run holds {gpu.LONGEST_S:g} s of painting") if gpu.ZERO_GPU else (math.inf, "")


def paint_video(content: str, style_preset: str = painting.FIRST_PAINTING, style_image: str | None = None,
                seconds: float = DEFAULT_SECONDS, size: int = 0, fps: float = 0, steps: int = 0,
                style_strength: float = painting.DEFAULTS.style_weight, preserve_color: bool = False,
                style_scale: float = painting.DEFAULTS.style_scale, seed: int = painting.DEFAULTS.seed,
                request: gr.Request = None):
    """Paint a clip in the style of a painting; streams (frame, status, clip) while it paints, the MP4 last.

    Parameters: content (the clip: MP4, MOV, WebM, AVI or an animated GIF), style_preset (a preset
    painting's id), style_image (your own painting: overrides the preset), seconds (the whole run's
    time: the plan picks the size, the frame rate and how much of the clip fits), size (0: planned),
    fps (0: planned), steps (each frame's; 0: by time), style_strength, preserve_color, style_scale, seed.
    """
    try:
        if content is None:
            raise gr.Error(say("no_clip"), print_exception=False)
        try:
            config = make_video_config(size, fps, steps, style_strength, preserve_color, style_scale, seed, seconds)
            preset = painting_id("style_preset", style_preset)
        except ValueError as exc:
            yield from painting.fail(words.engine(str(exc)), 4)
        yield from _stream(content, [style_image or preset or painting.FIRST_PAINTING], config)
    finally:
        if request is not None:
            painting.RUNS.release(visitors.of(request))


def _stream(content: str, styles: list[str], config: StyleConfig) -> Iterator[tuple]:
    named = [s if s in presets.PRESETS else "your own painting" for s in styles]
    record = Record(content=content, settings={"styles": named, **asdict(config)}, kind="video")
    yield gr.skip(), say("starting"), gr.skip(), record
    folder = Path(tempfile.mkdtemp(prefix="deepstyle-", dir=_upload_folder()))
    shown_at = -math.inf

    def update(item):
        nonlocal shown_at
        _observe(record, item, folder)
        if item.done:  # the last frame too: what predict() returns of a clip is its painting and the MP4
            last_frame = painting.shown(record.result) if record.result is not None else gr.skip()
            return last_frame, final_status(record), str(record.clip.close()), record
        picture = gr.skip()
        if item.image is not None and (item.frame == item.frames or time.monotonic() - shown_at >= PICTURE_EVERY):
            picture, shown_at = painting.shown(item.image), time.monotonic()
        return picture, status(record, item), gr.skip(), record

    yield from painting.follow(record, gpu.painting_video(content, styles, config, *_lease()), 4, update,
                               lambda last, since: (gr.skip(), status(record, last, since), gr.skip(), record))


def _upload_folder() -> str:
    folder = get_upload_folder()  # pruned with Gradio's cache (settings.KEEP_HOURS), servable from a share link
    Path(folder).mkdir(parents=True, exist_ok=True)
    return folder


def _observe(record: Record, progress: VideoProgress, folder: Path) -> None:
    """Keep what the record needs of a clip's progress; write a finished frame into the clip."""
    plan = progress.plan
    if record.clip is None:
        record.settings = {**record.settings, "plan": plan.describe()}
        width, height = plan.size
        record.clip = ClipWriter(folder / f"deepstyle-{width}x{height}.mp4", plan.size, plan.fps, record.content,
                                 record.settings)
    record.step, record.total_steps, record.elapsed, record.done = progress.frame, progress.frames, progress.elapsed, \
        progress.done
    if progress.finished:
        record.clip.write(progress.image)
        record.result = progress.image


def status(record: Record, progress: VideoProgress, since: float = 0.0) -> str:
    """How far the clip is, ``since`` seconds after the record ``progress``, by the clock."""
    left = max(progress.eta - since, 0.0)
    first = progress.frame == 1 and not progress.finished  # it sets the look: said so
    done = round(100 * (progress.elapsed + since) / max(progress.elapsed + since + left, 1e-6))
    return say("clip.status_first" if first else "clip.status", frame=progress.frame, frames=progress.frames,
               percent=done, left=words.duration(round(left)))


def final_status(record: Record) -> str:
    """The status once a clip's run has ended: done, or stopped with the shorter clip it left."""
    writer = record.clip
    if writer is None or not writer.frames:
        return say("clip.stopped_early")
    width, height = writer.size
    made = say("clip.made", frames=writer.frames, length=words.duration(writer.seconds), fps=f"{writer.fps:g}",
               width=width, height=height)
    if record.done:
        return say("clip.done", time=words.duration(record.elapsed), made=made)
    return say("clip.stopped", frame=writer.frames, frames=record.total_steps, made=made)
