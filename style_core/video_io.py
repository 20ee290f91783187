"""The only place clips meet frames: probe, read (upright, resized, at a frame rate), write an MP4.

Decoding and encoding use PyAV, whose wheels carry FFmpeg's libraries (libx264 among them): no
system ffmpeg is needed. Frames are PIL RGB images. A clip is read one frame at a time and each
frame is brought down to the painted size as it is decoded, so a long 4K upload never sits in
memory; the painted clip is written as its frames come (``ClipWriter``).
"""

from __future__ import annotations

import io
import json
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Union

import av
import numpy as np
from PIL import Image

VideoSource = Union[str, Path, bytes]

MAX_FRAME_PIXELS = 40_000_000  # as a photo's (image_io.MAX_PIXELS): 8K is 33 Mpx
MIN_SIDE = 16
DECODE_THREADS = 2
# Containers FFmpeg opens that hold a still picture, not a clip: refused with a pointer to the photo tabs.
STILL_FORMATS = ("image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe", "heif", "avif")
# What a browser plays: H.264 in yuv420p (even sides), the index first (faststart), AAC sound.
CODEC, PIXELS, AUDIO_CODEC = "libx264", "yuv420p", "aac"
CRF = "18"  # x264's constant quality: visually lossless for painted frames at a few hundred kB a second
METADATA_KEY = "comment"  # the MP4's comment tag holds the settings, as a PNG's text chunk does


class VideoError(ValueError):
    """An input that is not a clip that can be painted; the message says what is wrong."""


@dataclass(frozen=True)
class ClipInfo:
    """What a clip is, read from its header and its first frame."""

    size: tuple[int, int]  # (width, height) upright, as it plays
    fps: float  # its own frame rate
    seconds: float  # its duration
    rotation: int  # degrees counter-clockwise that turn a stored frame upright (a phone's portrait clip: -90)
    audio: bool  # whether it has sound
    codec: str

    @property
    def frames(self) -> int:
        return max(1, round(self.seconds * self.fps))


def _opened(source: VideoSource, name: str):
    """The container, or VideoError with the reason."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise VideoError(f"{name}: file not found: {path}")
        if path.stat().st_size == 0:
            raise VideoError(f"{name}: the file is empty")
        head = path.open("rb").read(16)
        target = str(path)
    else:
        if not source:
            raise VideoError(f"{name}: the file is empty")
        head, target = bytes(source[:16]), io.BytesIO(source)
    try:
        return _open_container(target)
    except av.FFmpegError:
        if head[4:8] == b"ftyp" or head.startswith(b"\x1a\x45\xdf\xa3"):  # an MP4/MOV or a WebM that ends early
            raise VideoError(f"{name}: the clip is truncated or corrupt (it cannot be read)") from None
        raise VideoError(f"{name}: not a video, or a format that cannot be read (use MP4, MOV, WebM, AVI or "
                         "an animated GIF)") from None


def _open_container(target):
    try:  # a phone's tags that are not UTF-8 are ignored, not an error (PyAV before 19 raised on them)
        return av.open(target, metadata_errors="ignore")
    except TypeError:  # PyAV 19 took the option away
        return av.open(target)


def probe(source: VideoSource, name: str = "video") -> ClipInfo:
    """What the clip is, or VideoError saying in one line why it cannot be painted: not a video, a
    still picture, no video stream, unreadable or truncated, frames too large, no frames."""
    with _opened(source, name) as container:
        if container.format.name in STILL_FORMATS:
            raise VideoError(f"{name}: this is a still picture, not a clip: paint it as a photo")
        if not container.streams.video:
            what = "only sound" if container.streams.audio else "nothing to show"
            raise VideoError(f"{name}: the file has no video stream ({what})")
        stream = _threaded(container.streams.video[0])
        width, height = stream.codec_context.width, stream.codec_context.height
        if width * height > MAX_FRAME_PIXELS:
            raise VideoError(f"{name}: frames are {width}×{height} px; the limit is "
                             f"{MAX_FRAME_PIXELS // 1_000_000} megapixels")
        first = _first_frame(container, stream, name)
        rotation = round((first.rotation or 0) / 90) * 90 % 360
        rotation = rotation - 360 if rotation > 180 else rotation
        size = (first.width, first.height) if rotation % 180 == 0 else (first.height, first.width)
        if min(size) < MIN_SIDE:
            raise VideoError(f"{name}: frames are {size[0]}×{size[1]} px; each side must be at least {MIN_SIDE} px")
        fps = _rate(stream)
        seconds = _duration(container, stream, fps)
        audio = bool(container.streams.audio)
        return ClipInfo(size, fps, seconds, rotation, audio, stream.codec_context.name)


def _threaded(stream):
    """The stream decoded on at most two threads: FFmpeg's own choice follows the host's core count
    (seen: 4K frames read on 32 threads held 1 GB; on 2, 90 MB), and the cores are the painting's."""
    stream.thread_type = "AUTO"
    stream.thread_count = DECODE_THREADS
    return stream


def _first_frame(container, stream, name: str):
    try:
        for frame in container.decode(stream):
            return frame
    except av.FFmpegError as exc:
        raise VideoError(f"{name}: the clip is truncated or corrupt ({_reason(exc)})") from None
    raise VideoError(f"{name}: the clip has no frames")


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc).split(":")[0]


def _rate(stream) -> float:
    """Frames a second: FFmpeg's guess (as its own command line takes it; an AVI's average rate can be
    twice the real one), else the average rate, else 25."""
    for rate in (stream.guessed_rate, stream.average_rate, stream.base_rate):
        if rate and 0 < float(rate) <= 240:
            return float(rate)
    return 25.0


def _duration(container, stream, fps: float) -> float:
    """Seconds: the stream's duration, else the container's, else its frame count at ``fps``."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    if stream.frames:
        return stream.frames / fps
    return 1.0 / fps  # a single frame is known to be there (probe decoded it)


def even_size(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """(width, height) with about this long side, the aspect kept and both sides even (H.264's yuv420p)."""
    width, height = size
    scale = long_side / max(width, height)
    return max(MIN_SIDE, 2 * round(width * scale / 2)), max(MIN_SIDE, 2 * round(height * scale / 2))


def read_frames(source: VideoSource, size: tuple[int, int], fps: float, count: int,
                name: str = "video") -> Iterator[Image.Image]:
    """``count`` frames of the clip at ``fps`` from its start, upright and at ``size`` (width, height):
    at each time k / fps, the frame shown then. Ends early where the clip does (a truncated file
    included: what was decoded is kept)."""
    info = probe(source, name)
    stored = size if info.rotation % 180 == 0 else size[::-1]
    with _opened(source, name) as container:
        stream = _threaded(container.streams.video[0])
        start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        wanted, previous, at = 0, None, -math.inf
        try:
            for frame in container.decode(stream):
                # Frames come in the order they are shown; a time out of that order (an AVI's guessed
                # timestamps) or none is taken as one frame after the last.
                shown = frame.time - start if frame.time is not None else None
                at = shown if shown is not None and shown > at else (at + 1 / info.fps if at > -math.inf else 0.0)
                # The frame shown at k / fps is the last one that starts by then (half a frame's grace).
                while wanted < count and previous is not None and at > wanted / fps + 0.5 / info.fps:
                    yield previous
                    wanted += 1
                if wanted >= count:
                    return
                previous = _upright(frame, stored, info.rotation)
        except av.FFmpegError:
            pass  # a truncated clip: what was decoded stands
        while wanted < count and previous is not None and wanted / fps < info.seconds - 0.25 / info.fps:
            yield previous  # the last frame, for the times after it that the clip still covers
            wanted += 1


def _upright(frame, stored: tuple[int, int], rotation: int) -> Image.Image:
    """The frame at ``stored`` size (as stored), turned upright."""
    # One thread: swscale's own pool (PyAV 19's default, auto) does not survive a fork, and a ZeroGPU worker
    # is forked from the server that read the clip's first frame and its cuts: its first frame hung.
    array = frame.reformat(width=stored[0], height=stored[1], format="rgb24", interpolation="AREA",
                           threads=1).to_ndarray()
    if rotation:
        array = np.ascontiguousarray(np.rot90(array, k=rotation // 90))
    return Image.fromarray(array, "RGB")


class ClipWriter:
    """An MP4 that browsers play (H.264 yuv420p, the index first), written a frame at a time; on
    ``close`` the sound of ``audio_from`` (a clip) is added, trimmed to the frames written, and the
    ``metadata`` dict is stored as JSON in the file's comment tag. Thread-safe: a server may close it
    (Stop) while the run's thread writes; a frame written after ``close`` is dropped."""

    def __init__(self, path: str | Path, size: tuple[int, int], fps: float, audio_from: VideoSource | None = None,
                 metadata: dict | None = None):
        if size[0] % 2 or size[1] % 2:
            raise ValueError(f"H.264 needs even sides, but got {size[0]}×{size[1]}")
        self.path, self.size, self.fps, self.frames = Path(path), size, fps, 0
        self.container = av.open(str(self.path), "w", format="mp4", options={"movflags": "+faststart"})
        if metadata is not None:
            self.container.metadata[METADATA_KEY] = json.dumps(metadata)
        self.video = self.container.add_stream(CODEC, rate=Fraction(fps).limit_denominator(1001))
        self.video.width, self.video.height, self.video.pix_fmt = size[0], size[1], PIXELS
        self.video.options = {"crf": CRF, "preset": "veryfast"}
        self.video.codec_context.thread_count = 1  # the cores are the painting's
        self.audio_from, self.audio = audio_from, None
        if audio_from is not None:
            self.audio = self._audio_stream(audio_from)
        self.closed = False
        self.lock = threading.Lock()

    def _audio_stream(self, source: VideoSource):
        """An AAC stream like the clip's first sound stream (added before any frame: the header needs it)."""
        try:
            with _opened(source, "video") as container:
                if not container.streams.audio:
                    return None
                sound = container.streams.audio[0].codec_context
                rate, channels = sound.sample_rate or 48000, min(2, sound.channels or 2)
        except VideoError:
            return None
        stream = self.container.add_stream(AUDIO_CODEC, rate=rate)
        stream.layout = "stereo" if channels == 2 else "mono"
        return stream

    def write(self, image: Image.Image) -> None:
        """Encode one frame (``size``, RGB)."""
        frame = av.VideoFrame.from_ndarray(np.asarray(image.convert("RGB")), format="rgb24").reformat(format=PIXELS,
                                                                                                    threads=1)
        with self.lock:
            if self.closed:
                return
            frame.pts = self.frames
            frame.time_base = Fraction(1, 1) / self.video.codec_context.framerate
            for packet in self.video.encode(frame):
                self.container.mux(packet)
            self.frames += 1

    @property
    def seconds(self) -> float:
        return self.frames / self.fps

    def close(self) -> Path:
        """Finish the file (idempotent): the encoder flushed, the sound added, the index written first."""
        with self.lock:
            if not self.closed:
                self.closed = True
                self._finish()
        return self.path

    def _finish(self) -> None:
        try:
            for packet in self.video.encode():
                self.container.mux(packet)
            if self.audio is not None and self.frames:
                self._copy_audio()
        finally:
            self.container.close()

    def _copy_audio(self) -> None:
        """The clip's sound from its start for ``seconds``, resampled for AAC and encoded."""
        end = self.seconds
        resampler = av.AudioResampler(format=self.audio.format.name, layout=self.audio.layout.name,
                                      rate=self.audio.rate)
        samples_wanted, written = math.ceil(end * self.audio.rate), 0
        try:
            with _opened(self.audio_from, "video") as container:
                for frame in container.decode(container.streams.audio[0]):
                    for out in resampler.resample(frame):
                        written = self._encode_audio(out, written, samples_wanted)
                    if written >= samples_wanted:
                        break
        except (av.FFmpegError, VideoError):
            pass  # sound that cannot be read: the clip keeps what was encoded
        for packet in self.audio.encode(None):
            self.container.mux(packet)

    def _encode_audio(self, frame, written: int, wanted: int) -> int:
        if written >= wanted:
            return written
        if written + frame.samples > wanted:  # the last frame cut at the painted clip's end
            array = frame.to_ndarray()[..., : wanted - written]
            cut = av.AudioFrame.from_ndarray(np.ascontiguousarray(array), format=frame.format.name,
                                             layout=frame.layout.name)
            cut.sample_rate = frame.sample_rate
            frame = cut
        frame.pts = written
        frame.time_base = Fraction(1, self.audio.rate)
        for packet in self.audio.encode(frame):
            self.container.mux(packet)
        return written + frame.samples

    def __enter__(self) -> ClipWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_metadata(path: str | Path) -> dict:
    """The settings a painted clip carries (ClipWriter's metadata), or {}."""
    with av.open(str(path)) as container:
        text = container.metadata.get(METADATA_KEY)
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return {}
