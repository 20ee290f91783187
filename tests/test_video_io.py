"""Clips in and out: probing, refusals in one line, upright frames at a frame rate, the MP4 written."""

import io
import subprocess
import sys
import textwrap

import av
import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, TUBINGEN, clip, photo
from style_core import video_io
from style_core.video_io import ClipWriter, VideoError, even_size, probe, read_frames, read_metadata


@pytest.mark.parametrize("name, codec, pixel_format", [
    ("phone.mp4", "libx264", "yuv420p"), ("iphone.mov", "libx265", "yuv420p"), ("webcam.webm", "libvpx-vp9", "yuv420p"),
    ("old.avi", "mpeg4", "yuv420p"), ("animated.gif", "gif", "rgb8")])
def test_every_kind_of_clip_is_read(tmp_path, name, codec, pixel_format):
    path = clip(tmp_path / name, frames=12, fps=12, codec=codec, pixel_format=pixel_format)
    info = probe(path)
    assert info.size == (96, 72) and info.fps == pytest.approx(12, rel=0.01) and info.seconds == pytest.approx(1, abs=0.05)
    frames = list(read_frames(path, (48, 36), 6, 6))
    assert len(frames) == 6 and all(f.size == (48, 36) and f.mode == "RGB" for f in frames)


def test_bytes_are_read_as_a_path_is(tmp_path):
    path = clip(tmp_path / "c.mp4")
    assert probe(path.read_bytes()) == probe(path)


def test_a_phones_portrait_clip_is_read_upright(tmp_path):
    path = clip(tmp_path / "portrait.mov", size=(72, 96), rotation=-90, codec="libx265", motion=(0, 0))
    info = probe(path)
    assert info.size == (72, 96) and info.rotation == -90
    frame = next(read_frames(path, (72, 96), 12, 1))
    expected = Image.open(TUBINGEN).convert("RGB").resize((72 + 8, 96 + 8)).crop((0, 0, 72, 96))
    error = np.abs(np.asarray(frame, float) - np.asarray(expected, float)).mean()
    turned = np.abs(np.asarray(frame.transpose(Image.Transpose.ROTATE_180), float) - np.asarray(expected, float)).mean()
    assert error < 12 < turned, (error, turned)  # upright, not upside down


def test_frames_are_taken_at_the_rate_asked(tmp_path):
    path = tmp_path / "counter.mp4"
    with av.open(str(path), "w") as container:  # frame t is grey level 8·t: which frame came is readable
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.options = {"crf": "0"}
        for t in range(30):
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.full((48, 64, 3), 8 * t, np.uint8))):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    levels = [round(float(np.asarray(f).mean()) / 8) for f in read_frames(path, (32, 24), 10, 100)]
    assert levels == [0, 3, 6, 9, 12, 15, 18, 21, 24, 27]  # one in three, and no more than the clip holds


def test_sizes_are_even_for_h264():
    assert even_size((1921, 1081), 320) == (320, 180)
    assert even_size((97, 71), 97) == (96, 72)
    assert all(side % 2 == 0 for side in even_size((1080, 1920), 333))


def _audio_only(path):
    with av.open(str(path), "w", format="mp4") as container:
        sound = container.add_stream("aac", rate=44100)
        sound.layout = "mono"
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 44100, 0
        for packet in [*sound.encode(frame), *sound.encode()]:
            container.mux(packet)
    return path


def test_what_cannot_be_painted_is_refused_in_one_line(tmp_path):
    good = clip(tmp_path / "good.mp4").read_bytes()
    jpeg = io.BytesIO()
    photo(64, 48).save(jpeg, format="JPEG")
    cases = {
        "text": (b"hello, not a video\n" * 20, "not a video"),
        "empty": (b"", "empty"),
        "still picture": (jpeg.getvalue(), "still picture"),
        "sound only": (_audio_only(tmp_path / "sound.m4a").read_bytes(), "no video stream (only sound)"),
        "cut short": (good[: len(good) // 3], "truncated or corrupt"),
    }
    for what, (data, reason) in cases.items():
        with pytest.raises(VideoError) as refused:
            probe(data)
        message = str(refused.value)
        assert reason in message and "\n" not in message and message.startswith("video: "), (what, message)
    with pytest.raises(VideoError, match="file not found"):
        probe(tmp_path / "nowhere.mp4")


def test_frames_larger_than_the_limit_are_refused_before_decoding(tmp_path, monkeypatch):
    path = clip(tmp_path / "c.mp4")
    monkeypatch.setattr(video_io, "MAX_FRAME_PIXELS", 96 * 72 - 1)
    with pytest.raises(VideoError, match="megapixels"):
        probe(path)


def test_the_clip_written_plays_in_browsers_and_keeps_settings_and_sound(tmp_path):
    source = clip(tmp_path / "with-sound.mp4", frames=24, fps=12, audio_seconds=2.0)
    out = tmp_path / "painted.mp4"
    with ClipWriter(out, (64, 48), 8, audio_from=source, metadata={"styles": ["the-scream"]}) as writer:
        for t in range(6):  # 0.75 s painted of the 2 s clip
            writer.write(Image.new("RGB", (64, 48), (40 * t, 80, 120)))
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # the index first: playback starts before the download ends
    with av.open(str(out)) as container:
        video, sound = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, video.codec_context.pix_fmt) == ("h264", "yuv420p")
        assert sound.codec_context.name == "aac"
        frames, rate = list(container.decode(video)), float(video.average_rate)  # PyAV 19: read while open
    assert len(frames) == 6 and rate == 8
    with av.open(str(out)) as container:
        audio = sum(f.samples for f in container.decode(audio=0)) / container.streams.audio[0].rate
    assert audio == pytest.approx(0.75, abs=0.05)  # trimmed to what was painted
    assert read_metadata(out) == {"styles": ["the-scream"]}


def test_odd_sizes_are_refused_by_the_writer(tmp_path):
    with pytest.raises(ValueError, match="even"):
        ClipWriter(tmp_path / "x.mp4", (63, 48), 8)


def test_a_long_4k_clip_is_read_without_holding_it(tmp_path):
    """60 s of 4K (at 2 fps: the decoder's work per frame is what counts, not the count) read at 320 px:
    the process grows by far less than the clip's frames would take (120 × 25 MB = 3 GB)."""
    path = tmp_path / "4k.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=2)
        stream.width, stream.height, stream.pix_fmt = 3840, 2160, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "35"}
        noise = np.random.default_rng(0).integers(0, 255, (2160, 3840, 3), dtype=np.uint8)
        for t in range(120):
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.roll(noise, 64 * t, axis=1))):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    # The peak is the process's own (VmHWM): ru_maxrss may carry the parent's over a spawn (seen: 1.5 GB of
    # pytest's own counted as the child's), and the parent here holds the suite's models.
    script = textwrap.dedent(f"""
        from style_core import video_io
        def resident(field):
            return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(field + ":")) / 1024
        before = resident("VmRSS")
        info = video_io.probe({str(path)!r})
        frames = sum(1 for _ in video_io.read_frames({str(path)!r}, video_io.even_size(info.size, 320), 2, 120))
        print(frames, info.seconds, resident("VmHWM") - before)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    frames, seconds, grown_mb = done.stdout.split()
    assert int(frames) == 120 and float(seconds) == 60
    assert float(grown_mb) < 1024, grown_mb


def _read_in_child(path, answer) -> None:
    answer.put(sum(1 for _ in read_frames(path, (64, 48), 6, 12)))


def test_a_process_forked_after_frames_were_read_reads_them_too(tmp_path):
    # A ZeroGPU worker is forked from the server, which has read a clip's first frame and its cuts. With
    # swscale's own threads (PyAV 19's default) the child's first frame never came.
    import multiprocessing

    source = clip(tmp_path / "c.mp4", frames=12, fps=12)
    assert len(list(read_frames(source, (64, 48), 6, 12))) == 6
    context = multiprocessing.get_context("fork")
    answer = context.Queue()
    child = context.Process(target=_read_in_child, args=(source, answer))
    child.start()
    child.join(30)
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive and answer.get(timeout=1) == 6
