"""ZeroGPU, emulated: the real server with a stand-in ``spaces`` package (tests/zerogpu) that runs each
painting in a forked worker, pickles what crosses, holds it to the GPU seconds asked for, and never
tells it that the visitor pressed Stop."""

import json
import os
import time
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError, ValidationError
from PIL import Image

from appserver import serve
from conftest import ROOT, TUBINGEN
from style_core import StyleConfig
from ui import gpu

STAND_IN = ROOT / "tests" / "zerogpu"


def _events(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.fixture(scope="module")
def zerogpu(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("zerogpu")
    log = tmp / "zerogpu.jsonl"
    path = os.pathsep.join([str(STAND_IN), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    # The worker paints on this machine's CPU: the GPU seconds asked for are estimated for it.
    with serve(tmp, PYTHONPATH=path, SPACES_ZERO_GPU="true", DEEPSTYLE_ZEROGPU_DEVICE="cpu",
               ZEROGPU_LOG=str(log)) as app:
        yield app, log


def test_gpu_seconds_follow_the_run_with_a_floor_and_a_cap():
    def asked(**settings):
        return gpu.gpu_seconds(TUBINGEN, ["starry-night"], StyleConfig(**settings), "")

    by_steps = {size: asked(size=size, steps=84) for size in (256, 512, 1024)}
    by_time = {size: asked(size=size, seconds=5) for size in (256, 512, 1024)}
    print("GPU seconds asked for, 84 steps:", by_steps, "5 s painting:", by_time)
    start = gpu.GPU_START_S + gpu.GPU_COLD_S
    assert start <= by_steps[256] <= by_steps[512] <= by_steps[1024] < 30, by_steps
    assert set(by_time.values()) == {round(start + gpu.GPU_MARGIN * 5)}  # by time: the time, whatever the size
    assert asked(size=2048, steps=5000) == asked(seconds=600) == gpu.GPU_CAP_S
    assert gpu.gpu_seconds("/no/such/photo.jpg", ["starry-night"], StyleConfig(size=512, steps=84), "") == by_steps[512]


def test_a_run_streams_from_the_worker_and_finishes(zerogpu):
    app, log = zerogpu
    job = Client(app.url, verbose=False).submit(handle_file(TUBINGEN), "starry-night", None, 96, 24,
                                                api_name="/stylize")
    outputs = list(job)
    image, status = job.result()
    assert status.startswith("Done") and max(Image.open(image).size) == 96
    # Previews crossed from the worker as they were painted (steps without one send an empty update).
    pictures = {Image.open(image).tobytes() for image, _status in outputs[:-1] if isinstance(image, str)}
    assert len(pictures) >= 3, outputs
    calls = [e for e in _events(log) if e["event"] == "call"]
    assert calls and gpu.GPU_START_S + gpu.GPU_COLD_S <= calls[-1]["duration"] <= gpu.GPU_CAP_S, calls
    ends = [e for e in _events(log) if e["event"] == "worker-end" and e["pid"] == calls[-1]["pid"]]
    # every record the worker pickled reached the client, after the server's own "Starting…"
    assert outputs[0][1] == "Starting…" and ends and ends[-1]["items"] == len(outputs) - 1


def test_a_bad_upload_gets_the_same_clear_message(zerogpu, tmp_path):
    app, _log = zerogpu
    bad = tmp_path / "holiday.jpg"
    bad.write_text("this is not a picture")
    with pytest.raises((AppError, ValidationError), match="content: not an image") as info:
        Client(app.url, verbose=False).predict(handle_file(str(bad)), "starry-night", None, 64, 2, api_name="/stylize")
    assert "ZeroGPU" not in str(info.value) and "Traceback" not in str(info.value)


def test_stop_ends_the_worker_although_zerogpu_does_not_tell_it(zerogpu):
    app, log = zerogpu
    job = Client(app.url, verbose=False).submit(handle_file(TUBINGEN), "the-scream", None, 192, 1000,
                                                api_name="/stylize")
    deadline = time.monotonic() + 90
    while len(job.outputs()) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(job.outputs()) >= 3
    worker = [e for e in _events(log) if e["event"] == "call"][-1]["pid"]
    job.cancel()
    cancelled = time.time()
    deadline = time.monotonic() + 15
    while not any(e["event"] == "worker-end" and e["pid"] == worker for e in _events(log)):
        assert time.monotonic() < deadline, "the worker went on painting after Stop"
        time.sleep(0.1)
    ended = next(e for e in _events(log) if e["event"] == "worker-end" and e["pid"] == worker)
    assert ended["t"] - cancelled < 5, ended["t"] - cancelled
    assert app.cpu_rate(1.5) < 0.25  # nothing left painting


def test_a_clip_is_painted_by_the_worker_within_the_lease_it_asked_for(zerogpu, tmp_path):
    from conftest import clip
    from style_core import probe

    app, log = zerogpu
    source = clip(tmp_path / "c.mp4", frames=12, fps=12)
    job = Client(app.url, verbose=False).submit(content=handle_file(str(source)), size=64, fps=6, steps=2,
                                                api_name="/stylize_video")
    outputs = list(job)
    _frame, status, painted = job.result()
    assert status.startswith("Done") and probe(painted).size == (64, 48) and probe(painted).seconds == 1
    assert any("frame 3 of 6" in s for _f, s, _c in outputs)  # the worker's frames crossed as they came
    call = [e for e in _events(log) if e["event"] == "call"][-1]
    assert gpu.GPU_START_S + gpu.GPU_COLD_S <= call["duration"] <= gpu.GPU_CAP_S, call


def test_a_clip_longer_than_the_lease_holds_is_planned_shorter_and_says_so(monkeypatch):
    from style_core.video import plan_video
    from style_core.video_io import ClipInfo
    from ui import video

    clip_info = ClipInfo(size=(1920, 1080), fps=30.0, seconds=60.0, rotation=0, audio=True, codec="h264")
    monkeypatch.setattr(gpu, "LONGEST_S", 30.0)
    monkeypatch.setattr(gpu, "ZERO_GPU", True)
    longest, note = video._lease()
    plan = plan_video(clip_info, StyleConfig(seconds=60), ("cuda", True), longest, note)
    assert plan.seconds == 30 and plan.describe().endswith("(a ZeroGPU run holds 30 s of painting)")
    asked = gpu.video_seconds(TUBINGEN, ["starry-night"], StyleConfig(seconds=60), "", longest, note)  # a photo: floor
    assert asked == gpu.GPU_START_S + gpu.GPU_COLD_S


def test_all_four_are_painted_by_one_worker_within_the_lease_it_asked_for(zerogpu):
    app, log = zerogpu
    asked = gpu.all_seconds(TUBINGEN, ["starry-night"] * 4, StyleConfig(seconds=20), "")
    assert asked == round(gpu.GPU_START_S + gpu.GPU_COLD_S + 4 * gpu.GPU_MARGIN * 5)  # each its quarter, with a margin
    job = Client(app.url, verbose=False).submit(content=handle_file(TUBINGEN), size=64, steps=4, api_name="/stylize_all")
    outputs = list(job)
    _figure, status, files = job.result()
    assert status.startswith("Done") and len(files) == 5
    assert any(s.startswith("Painting 4 of 4") for _f, s, _files in outputs)  # the worker's records crossed
    calls = [e for e in _events(log) if e["event"] == "call"]
    assert gpu.GPU_START_S + gpu.GPU_COLD_S <= calls[-1]["duration"] <= gpu.GPU_CAP_S, calls[-1]
