"""One painting as the page and the API see it: the `/stylize` and `/stylize_regions` handlers,
and what follows a run.

``paint()`` and ``paint_regions()`` turn style_core's ``Progress`` records into a streamed picture
and a status line in plain words, and its ValueErrors into readable messages. ``finish()`` runs after a run, finished
or stopped, and makes the download (with the settings the picture was really made with), the
before/after pair and the timelapse. ``OneRunEach`` keeps each visitor (a browser tab, an API
client) to one queued-or-running painting, so that nobody can fill the queue alone.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder
from PIL import Image

from style_core import ClipWriter, StyleConfig, load_image, presets, save_png
from style_core import regions as style_regions
from style_core.schedule import screen_size, time_parts

from . import gpu, settings, visitors, words
from .words import say

DEFAULTS = StyleConfig()
FIRST_PAINTING, SECOND_PAINTING = presets.STYLE_IDS[:2]
MAX_SIZE = min(settings.max_size(gpu.DEVICE_TYPE), gpu.LARGEST)
# Painting by region: the colour of each painting's brush on the page, and in a regions map sent to the API.
REGION_COLOURS = {"blue": (37, 99, 235), "orange": (234, 88, 12)}
REGION_FEATHER = 0.015  # brushed regions fade out over 1.5 % of the picture's long side
# The times a visitor chooses from, and the default, by the kind of device this server paints on.
TIMES = {"cuda": (((5, "5 s"), (15, "15 s"), (30, "30 s")), 5),
         "cpu": (((10, "10 s"), (30, "30 s"), (120, "2 min")), 30)}
TIME_CHOICES, DEFAULT_SECONDS = TIMES.get(gpu.DEVICE_TYPE, TIMES["cpu"])
BEAT_S = 1.0  # the status's clock moves at least this often, however long a step or a scale's set-up takes
PREVIEW_EVERY = 3  # steps between pictures sent to the page (each step still updates the status)
# The largest picture sent to the page: a print's previews, canvas and before/after are brought down to it
# (a 4096 px PNG a few steps apart would cost seconds to encode and send); its download is full size.
SHOWN_SIDE = 1024
JPEG_OVER = 20_000_000  # bytes: a PNG larger than this gets a JPEG beside it (a poster's PNG is 30-40 MB)
TIMELAPSE_SIDE = 384
MAX_FRAMES = 80  # timelapse frames kept per run (memory per session stays bounded)


@dataclass
class Record:
    """What the page keeps of the visitor's latest run (a gr.State): enough to finish it after Stop.
    A clip's run (``kind`` "video", ui/video.py) counts frames where a photo's counts steps."""

    content: str
    settings: dict
    kind: str = "photo"
    frames: list[Image.Image] = field(default_factory=list)  # a photo's timelapse
    result: Image.Image | None = None
    step: int = 0  # a clip: the frame being painted
    total_steps: int = 0  # a clip: the frames planned
    elapsed: float = 0.0
    done: bool = False
    stopped: bool = False  # Stop pressed: nothing the run still streams may overwrite "Stopped at step …"
    clip: ClipWriter | None = None  # a clip: the MP4 its frames are written into
    # All four (ui/all_four.py): each painting as far as it got, its steps, the one under way, the files made.
    paintings: list = field(default_factory=list)
    reached: list = field(default_factory=list)
    index: int = 0
    made: object = None


class OneRunEach:
    """At most one queued-or-running painting per visitor (``ui/visitors.py``: a browser, a client keeping
    its cookie, an address without one), whatever Gradio session it calls from, and at most
    ``settings.PER_ADDRESS`` from one address.

    ``claim`` is called before Gradio queues the run (the event's validator) and ``release`` when
    the run ends. A run cancelled while still waiting in the queue never starts, so a claim whose
    visitor has nothing left in Gradio's queue (``pending(visitor)`` is false) goes stale after a
    few seconds.
    """

    GRACE_S = 5.0  # between the validator's claim and the event appearing in the queue

    def __init__(self, pending: Callable[[str], bool] = lambda visitor: False, waiting: Callable[[], int] = lambda: 0):
        self.pending = pending  # whether Gradio's queue holds an event of this visitor (bound by the layout)
        self.waiting = waiting  # how many events wait in Gradio's queue, everyone's (bound by the layout)
        self.claims: dict[str, tuple[float, str]] = {}  # visitor -> (since, address)
        self.lock = threading.Lock()

    def claim(self, visitor: str, address: str = "") -> str:
        """Claim the visitor's one run: "", or why not."""
        with self.lock:
            if self._held(visitor):
                return say("already_painting")
            if sum(where == address and self._held(other) for other, (_, where) in list(self.claims.items())) \
                    >= settings.PER_ADDRESS:
                return say("too_many_here")
            self.claims[visitor] = (time.monotonic(), address)
            return ""

    def busy(self, visitor: str) -> bool:
        with self.lock:
            return self._held(visitor)

    def _held(self, visitor: str) -> bool:
        since = self.claims.get(visitor, (None,))[0]
        held = since is not None and (time.monotonic() - since < self.GRACE_S or self.pending(visitor))
        if since is not None and not held:
            del self.claims[visitor]
        return held

    def release(self, visitor: str) -> None:
        with self.lock:
            self.claims.pop(visitor, None)


# The range of each setting, as the page's sliders offer them and as an API caller is held to them.
RANGES = {"steps": (0, 1000), "style_strength": (1, 100), "style_scale": (0.25, 2.0), "blend": (0.0, 1.0)}


class SettingError(ValueError):
    """A setting the server refuses; ``parameter`` is its name as the API calls it."""

    def __init__(self, parameter: str, reason: str):
        super().__init__(f"{parameter}: {reason}")
        self.parameter, self.reason = parameter, reason


def _number(parameter: str, value, kind=float):
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise SettingError(parameter, say("not_a_number", value=repr(value))) from None
    low, high = RANGES.get(parameter, (number, number))
    if not low <= number <= high:
        raise SettingError(parameter, say("out_of_range", low=f"{low:g}", high=f"{high:g}", value=f"{number:g}"))
    return number


def make_config(size, steps, style_strength, preserve_color, style_scale, seed, blend, two_styles,
                seconds) -> StyleConfig:
    """The engine's settings from the page's controls; a SettingError names the one out of range.

    ``seconds`` is the screen painting's time: a print (a size above the screen size) takes it once
    more per octave above it, five times more on a CPU (schedule.time_parts), as the page says."""
    size, steps = _number("size", size, int), _number("steps", steps, int)
    if not 0 <= size <= MAX_SIZE:
        raise SettingError("size", say("size.outside", size=size, largest=MAX_SIZE))
    if size > gpu.LARGEST:
        raise SettingError("size", say("size.no_room", size=size, largest=gpu.LARGEST))
    seconds = _number("seconds", seconds) * print_parts(size)
    longest = min(settings.MAX_SECONDS, gpu.LONGEST_S)
    if not (0 < seconds <= longest if not steps else 0 <= seconds <= 3600):  # by steps: unused, but sane
        raise SettingError("seconds", say("seconds.outside", seconds=f"{seconds:g}", longest=f"{longest:g}"))
    return StyleConfig(
        size=size, steps=steps, seconds=seconds, style_weight=_number("style_strength", style_strength),
        style_scale=_number("style_scale", style_scale),
        preserve_color="luminance" if preserve_color else "none", seed=_number("seed", seed or 0, int),
        style_blend=(1.0 - _number("blend", blend), _number("blend", blend)) if two_styles else (),
        max_seconds=settings.MAX_SECONDS, preview_every=PREVIEW_EVERY,
    )


def print_parts(size: int) -> float:
    """How many times the time asked for a run of ``size`` takes: once, and more for a print's octaves."""
    return time_parts(size, screen_size(gpu.DEVICE_TYPE), gpu.DEVICE_TYPE)


def paint(content: str, style_preset: str = FIRST_PAINTING, style_image: str | None = None,
          size: int = DEFAULTS.size, steps: int = DEFAULTS.steps, style_strength: float = DEFAULTS.style_weight,
          preserve_color: bool = False, style_scale: float = DEFAULTS.style_scale, seed: int = DEFAULTS.seed,
          second_style: str = "", blend: float = 0.5, seconds: float = DEFAULT_SECONDS, request: gr.Request = None):
    """Paint the photo in the style of a painting; streams (picture, status) while it paints.

    Parameters: content (the photo), style_preset (a preset painting's id), style_image (your own
    painting: overrides the preset), size (long side, px; 0: the best for the time), steps (0: as
    many as fit in the time; steps and seed repeat a picture exactly), style_strength,
    preserve_color (keep the photo's colours), style_scale (brush size), seed, second_style (a
    second preset id to blend in), blend (its share, 0–1), seconds (the time to paint for).
    """
    def prepare():
        first, second = painting_id("style_preset", style_preset), painting_id("second_style", second_style)
        styles = [style_image or first or FIRST_PAINTING] + ([second] if second else [])
        config = make_config(size, steps, style_strength, preserve_color, style_scale, seed, blend, len(styles) > 1,
                             seconds)
        return styles, config, None, {}

    yield from _painting(content, prepare, request)


# regions has no default, so the API listing calls it required and its example passes a regions image (the
# paintings' defaults are their components' values). Without regions nothing would be painted.
def paint_regions(content: str, first_painting: str, second_painting: str, regions: str | None,
                  size: int = DEFAULTS.size, steps: int = DEFAULTS.steps,
                  style_strength: float = DEFAULTS.style_weight, preserve_color: bool = False,
                  style_scale: float = DEFAULTS.style_scale, seed: int = DEFAULTS.seed,
                  seconds: float = DEFAULT_SECONDS, request: gr.Request = None):
    """Paint each region of the photo in its own painting; streams (picture, status) while it paints.

    Parameters: content (the photo), first_painting and second_painting (preset ids), regions (an
    image as large as you like: blue #2563eb where the first painting goes, orange #ea580c where
    the second goes; black or transparent stays the photo), then size, steps, style_strength,
    preserve_color, style_scale, seed and seconds as in /stylize.
    """
    def prepare():
        styles, masks, named = _regions(painting_id("first_painting", first_painting),
                                        painting_id("second_painting", second_painting), regions)
        config = make_config(size, steps, style_strength, preserve_color, style_scale, seed, 0.0, False, seconds)
        return styles, config, masks, {"regions": named}

    yield from _painting(content, prepare, request)


def _painting(content: str | None, prepare: Callable[[], tuple], request: gr.Request | None,
              stream: Callable[..., Iterator[tuple]] | None = None, outputs: int = 3) -> Iterator[tuple]:
    """A run for one visitor: the photo checked, the settings from ``prepare`` (its ValueErrors as
    messages), the engine's records streamed (by ``stream``, into ``outputs``: one painting's by default);
    the visitor's claim released however it ends."""
    try:
        if content is None:
            raise gr.Error(say("no_photo"), print_exception=False)
        try:
            prepared = prepare()
        except ValueError as exc:
            yield from fail(words.engine(str(exc)), outputs)
        yield from (stream or _stream)(content, *prepared)
    finally:
        if request is not None:
            RUNS.release(visitors.of(request))


def _regions(first: str, second: str, regions: str | None) -> tuple[list[str], list, dict[str, str]]:
    """The paintings that have a region, their masks, and which went where (for the settings chunk)."""
    if regions is None:
        raise SettingError("regions", say("no_regions"))
    colours = list(REGION_COLOURS)
    masks = style_regions.masks_from_colour_map(regions, [REGION_COLOURS[c] for c in colours], feather=REGION_FEATHER)
    chosen = [(c, p or d, m) for c, p, d, m in zip(colours, (first, second), (FIRST_PAINTING, SECOND_PAINTING), masks)
              if m.max() > 0]
    if not chosen:
        raise SettingError("regions", say("no_regions"))
    return [p for _, p, _ in chosen], [m for _, _, m in chosen], {c: p for c, p, _ in chosen}


def _stream(content: str, styles: list[str], config: StyleConfig, masks: list | None, extra: dict) -> Iterator[tuple]:
    # Uploaded files are named by their server path: record only that one was used.
    named = [s if s in presets.PRESETS else "your own painting" for s in styles]
    record = Record(content=content, settings={"styles": named, **extra, **asdict(config)})
    yield gr.skip(), say("starting"), record

    def update(item):
        status = _observe(record, item)
        return (shown(item.image) if item.image is not None else gr.skip()), status, record

    yield from follow(record, gpu.painting(content, styles, config, masks), 3, update,
                      lambda last, since: (gr.skip(), _status(record, last, since), record))


def follow(record: Record, source: Iterator, outputs: int, update: Callable[[object], tuple],
           beat: Callable[[object, float], tuple]) -> Iterator[tuple]:
    """A run's updates into ``outputs``: ``update(item)`` for each of ``source``'s records, ``beat(the last record,
    seconds since)`` when none came for BEAT_S (a scale's set-up, a print's long step: the clock goes on); a
    Failure said and raised; nothing once Stop was pressed."""
    last, since = None, 0.0
    with contextlib.closing(beating(source, BEAT_S)) as items:
        for item in items:
            if isinstance(item, gpu.Failure):
                yield from fail(words.engine(item.message), outputs)
            if record.stopped:  # Gradio's cancel is on its way: an update already made would undo "Stopped"
                return
            if item is None:
                if last is not None:
                    yield beat(last, time.monotonic() - since)
                continue
            last, since = item, time.monotonic()
            yield update(item)


def beating(source: Iterator, every: float) -> Iterator:
    """``source``'s items, made in a thread of its own (with this context: ZeroGPU's request), and None
    whenever ``every`` seconds pass without one. The thread keeps at most one item ahead; closing this
    ends ``source`` after the item under way."""
    items: queue.Queue = queue.Queue(maxsize=1)
    stop, end = threading.Event(), object()

    def offer(item) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def pump():
        try:
            for item in source:
                if not offer(item):
                    break
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            offer(_Raised(exc))
        finally:
            with contextlib.suppress(Exception):
                source.close()
            offer(end)

    threading.Thread(target=contextvars.copy_context().run, args=(pump,), daemon=True, name="painting").start()
    try:
        while True:
            try:
                item = items.get(timeout=every)
            except queue.Empty:
                yield None
                continue
            if item is end:
                return
            if isinstance(item, _Raised):
                raise item.exc
            yield item
    finally:
        stop.set()


@dataclass
class _Raised:
    exc: BaseException


def fail(message: str, outputs: int) -> Iterator[tuple]:
    """Say on the page why nothing was painted, then end the run with that message (a toast; the API's error):
    the picture and what follows the status left as they are, the record (the last of ``outputs``) cleared."""
    yield gr.skip(), say("not_painted", reason=message), *[gr.skip()] * (outputs - 3), None
    raise gr.Error(message, print_exception=False)


def _observe(record: Record, p) -> str:
    """Keep what the record needs from a Progress; return the status line in plain words."""
    record.step, record.total_steps, record.elapsed, record.done = p.step, p.total_steps, p.elapsed, p.done
    if p.image is not None:
        _add_frame(record.frames, p.image)
        record.result = p.image
    return final_status(record) if p.done else _status(record, p)


def _status(record: Record, p, since: float = 0.0) -> str:
    """How far the run is, ``since`` seconds after the Progress ``p``: by the clock where the time is known."""
    if since and p.eta == p.eta:
        p = replace(p, elapsed=p.elapsed + since, eta=max(p.eta - since, 0.0))
    left = say("left", seconds=f"{p.eta:.0f}") if p.eta == p.eta else say("left.unknown")  # NaN: not yet known
    # Planned by time, the step count is an estimate that moves with each scale's speed (126, 78, 101 in
    # one run): the share done and the time left are by the clock, so the count is left out there.
    return say("status.of" if record.settings["steps"] else "status", stage=_stage_words(p.scale, p.scales),
               percent=round(100 * status_fraction(p)), step=p.step, steps=p.total_steps, left=left)


def status_fraction(p) -> float:
    """How far the run is, by time where the time left is known (coarse steps are cheap), else by steps."""
    if p.eta == p.eta and p.elapsed + p.eta > 0:
        return p.elapsed / (p.elapsed + p.eta)
    return p.step / p.total_steps


def _stage_words(scale: int, scales: int) -> str:
    if scales == 1:
        return say("stage.painting")
    if scale == 1:
        return say("stage.sketch")
    return say("stage.details" if scale == scales else "stage.shapes")


RUN_PARAMETERS = ("content", "style_preset", "style_image", "size", "steps", "style_strength", "preserve_color",
                  "style_scale", "seed", "second_style", "blend", "seconds")
REGIONS_PARAMETERS = ("content", "first_painting", "second_painting", "regions", "size", "steps", "style_strength",
                      "preserve_color", "style_scale", "seed", "seconds")


def run_refusal(content, style_preset, style_image, size, steps, style_strength, preserve_color, style_scale, seed,
                second_style, blend, seconds) -> tuple[str, str]:
    """Why the server refuses this /stylize run, as (the parameter at fault, the reason), or ("", "")."""
    def check():
        painting_id("style_preset", style_preset), painting_id("second_style", second_style)
        make_config(size, steps, style_strength, preserve_color, style_scale, seed, blend, bool(second_style), seconds)

    return refusal(content, photo_problem, check)


def regions_refusal(content, first_painting, second_painting, regions, size, steps, style_strength, preserve_color,
                    style_scale, seed, seconds) -> tuple[str, str]:
    """Why the server refuses this /stylize_regions run, as run_refusal."""
    def check():
        painting_id("first_painting", first_painting), painting_id("second_painting", second_painting)
        if regions is None:  # the API listing's own example sends none
            raise SettingError("regions", say("no_regions"))
        make_config(size, steps, style_strength, preserve_color, style_scale, seed, 0.0, False, seconds)

    return refusal(content, photo_problem, check)


def painting_id(parameter: str, value) -> str:
    """A painting the API names: one of the presets' ids, or "" for none (the default). Never a path: the
    engine reads any file named, and a visitor's own painting comes only as an upload (style_image)."""
    if value in (None, "") or value in presets.STYLE_IDS:
        return value or ""
    try:
        presets.get(str(value))  # its did-you-mean
    except ValueError as exc:
        raise SettingError(parameter, words.engine(str(exc))) from None
    raise SettingError(parameter, say("not_a_painting", value=repr(value), ids=", ".join(presets.STYLE_IDS)))


def refusal(content, problem: Callable[[str], str], check: Callable[[], object],
            missing: str = "no_photo") -> tuple[str, str]:
    """(the parameter at fault, why) for a run of ``content`` (``missing`` where there is none; its
    ``problem``, "" when fine; ``missing`` is a key of ui/words) with the settings ``check`` accepts or refuses (SettingError names its
    parameter), or ("", "")."""
    if content is None:
        return "content", say(missing)
    if message := problem(content):
        return "content", message
    try:
        check()
    except SettingError as exc:  # the verdict stands on the parameter: its name would be said twice
        return exc.parameter, exc.reason
    except ValueError as exc:  # the engine's own check (StyleConfig), for what make_config let through
        return "content", words.engine(str(exc))
    return "", ""


def check_run(content, style_preset, style_image, size, steps, style_strength, preserve_color, style_scale, seed,
              second_style, blend, seconds, request: gr.Request = None) -> list[dict]:
    """The run's validator, before Gradio queues it: the photo readable, the settings in range, and the
    visitor's one run claimed. A refusal reaches an API caller as a ValidationError naming the parameter
    at fault (the page refuses before it comes to this: layout._start)."""
    return verdicts(RUN_PARAMETERS, run_refusal(content, style_preset, style_image, size, steps, style_strength,
                                                preserve_color, style_scale, seed, second_style, blend, seconds),
                    request)


def check_regions(content, first_painting, second_painting, regions, size, steps, style_strength, preserve_color,
                  style_scale, seed, seconds, request: gr.Request = None) -> list[dict]:
    """The validator of /stylize_regions: as check_run."""
    return verdicts(REGIONS_PARAMETERS, regions_refusal(content, first_painting, second_painting, regions, size, steps,
                                                        style_strength, preserve_color, style_scale, seed, seconds),
                    request)


def verdicts(names: tuple[str, ...], refused: tuple[str, str], request: gr.Request | None) -> list[dict]:
    """One verdict per input: the refused parameter's own, a second run of the same visitor's on the first
    input; a run that is not refused claims the visitor's one run."""
    at, message = refused
    if not message and request is not None:
        at, message = names[0], RUNS.claim(visitors.of(request), visitors.address_of(request))
    return [gr.validate(not (message and name == at), message if name == at else "") for name in names]


def photo_problem(path: str) -> str:
    """What is wrong with the photo at ``path`` as one line, or "". The line says what is wrong, not which
    file: the page says it over the photo, the API on its parameter."""
    return words.engine(_photo_problem(path))


@functools.lru_cache(maxsize=256)
def _photo_problem(path: str) -> str:
    """photo_problem in the engine's words, decoded once per file (an upload's path names its content, and the
    page's Paint and the run's validator both ask)."""
    try:
        load_image(path, "photo")
    except ValueError as exc:
        return str(exc).removeprefix("photo: ")
    return ""


def shown(image: Image.Image) -> Image.Image:
    """The picture as the page shows it: at most SHOWN_SIDE px (a print's own size is its download's)."""
    if max(image.size) <= SHOWN_SIDE:
        return image
    small = image.copy()
    small.thumbnail((SHOWN_SIDE, SHOWN_SIDE), Image.Resampling.LANCZOS)
    return small


@dataclass(frozen=True)
class Results:
    """What a run leaves for the visitor: the PNG (settings inside; a JPEG beside a very large one),
    the picture as the page shows it, before/after, the timelapse."""

    png: Path
    jpeg: Path | None
    size: tuple[int, int]
    shown: Image.Image
    before_after: tuple[Image.Image, Image.Image]
    timelapse: Path | None


def finish(record: Record | None) -> Results | None:
    """After a run, finished or stopped: the results of the picture it reached (None before any step)."""
    if record is None or record.result is None:
        return None
    # In Gradio's upload folder: pruned with it (settings.KEEP_HOURS), and servable from a share link.
    Path(get_upload_folder()).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="deepstyle-", dir=get_upload_folder()))
    result = record.result
    # The settings it was really made with: a stopped run's picture has the size and steps it reached.
    made = {**record.settings, "size": max(result.size), "steps_done": record.step, "finished": record.done}
    png = save_png(result, folder / f"deepstyle-{result.width}x{result.height}.png", {"deepstyle": json.dumps(made)})
    jpeg = None
    if png.stat().st_size > JPEG_OVER:
        jpeg = folder / png.with_suffix(".jpg").name
        result.save(jpeg, format="JPEG", quality=92)
    small = shown(result)
    before = load_image(record.content, "photo").resize(small.size, Image.Resampling.LANCZOS)
    return Results(png, jpeg, result.size, small, (before, small), _timelapse(record.frames, folder / "timelapse.gif"))


def final_status(record: Record | None) -> str:
    """The status once a run has ended: done, or stopped (and where)."""
    if record is None or record.result is None:
        return say("stopped.early")
    width, height = record.result.size
    if record.done:
        return say("done", seconds=f"{record.elapsed:.0f}", width=width, height=height)
    return say("stopped", step=record.step, steps=record.total_steps, width=width, height=height)


def _add_frame(frames: list[Image.Image], image: Image.Image) -> None:
    """Keep a small copy of a preview for the timelapse; at most MAX_FRAMES, evenly thinned."""
    frame = image.copy()
    frame.thumbnail((TIMELAPSE_SIDE, TIMELAPSE_SIDE), Image.Resampling.LANCZOS)
    frames.append(frame)
    if len(frames) > MAX_FRAMES:
        del frames[1:-1:2]  # keep the first and the latest


def _timelapse(frames: list[Image.Image], path: Path) -> Path | None:
    if len(frames) < 2:
        return None
    side = frames[-1].size  # coarse-scale frames are smaller: show them all at the final size
    # Pillow's default GIF palette (median cut) costs ~0.2 s a frame; a fast octree ~7 ms.
    tiles = [f.resize(side, Image.Resampling.LANCZOS).quantize(255, Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
             for f in frames]
    durations = [120] * (len(tiles) - 1) + [2000]  # hold the finished painting
    tiles[0].save(path, save_all=True, append_images=tiles[1:], duration=durations, loop=0)
    return path


RUNS = OneRunEach()
