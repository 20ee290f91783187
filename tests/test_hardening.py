"""Strangers' input, limits, cancellation, load and faults, through the real server where it matters."""

import io
import re
import sys
import time
import urllib.error
import urllib.request

import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError, ValidationError
from PIL import Image

from appserver import serve
from conftest import PRESETS, ROOT, TUBINGEN, photo, png_bytes
from test_image_io import _bomb_png, _jpeg



@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("hard"), DEEPSTYLE_QUEUE_SIZE="1", DEEPSTYLE_MAX_SECONDS="20") as server:
        yield server


def _exif_rotated() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored wide, displayed tall
    return _jpeg(photo(120, 60), exif=exif.tobytes())


def _bad_crc() -> bytes:
    data = bytearray(png_bytes(photo(64, 64)))
    data[data.index(b"IDAT") + 10] ^= 0xFF
    return bytes(data)


def _gif() -> bytes:
    buffer = io.BytesIO()
    frames = [photo(64, 48, seed=s) for s in (1, 2)]
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def _palette_transparent() -> bytes:
    image = photo(64, 48).convert("P")
    return png_bytes(image, transparency=0)


# (file name, bytes, expected: an error message regex, or the (width, height) of a 64 px result)
CASES = [
    ("empty.jpg", b"", "the file is empty"),
    ("text.jpg", b"just some text\n" * 10, "not an image"),
    ("truncated.jpg", _jpeg(photo(200, 150))[:700], "truncated or corrupt"),
    ("bad-crc.png", _bad_crc(), "truncated or corrupt"),
    ("bomb.png", _bomb_png(40_000, 40_000), "too large"),
    ("one.png", png_bytes(Image.new("RGB", (1, 1))), "at least 16 px"),
    ("thin.png", png_bytes(Image.new("RGB", (1, 5000))), "at least 16 px"),
    ("grey16.png", png_bytes(Image.fromarray(np.full((48, 64), 30000, dtype=np.uint16))), (64, 48)),
    ("cmyk.jpg", _jpeg(photo(64, 48).convert("CMYK")), (64, 48)),
    ("palette.png", _palette_transparent(), (64, 48)),
    ("rgba.png", png_bytes(photo(64, 48).convert("RGBA")), (64, 48)),
    ("anim.gif", _gif(), (64, 48)),
    ("rotated.jpg", _exif_rotated(), (32, 64)),
    ("vector.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>', "SVG is a vector format"),
    ("photo.heic", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64, "not an image"),
]


@pytest.mark.parametrize("name, data, expected", CASES, ids=[c[0] for c in CASES])
def test_each_bad_or_odd_upload_works_or_gets_one_clear_message(app, tmp_path, name, data, expected):
    path = tmp_path / name
    path.write_bytes(data)
    client = Client(app.url, verbose=False)
    if isinstance(expected, str):
        with pytest.raises((AppError, ValidationError), match=expected) as info:
            client.predict(handle_file(str(path)), "starry-night", None, 64, 2, api_name="/stylize")
        # one line: the reason itself (a refusal before the queue comes as "…failed validation:\n- content: <reason>")
        reason = str(info.value).split("\n- content: ", 1)[-1]
        assert "\n" not in reason and "Traceback" not in str(info.value)
    else:
        image, status = client.predict(handle_file(str(path)), "starry-night", None, 64, 2, api_name="/stylize")
        assert status.startswith("Done") and Image.open(image).size == expected
    # The server answers the next request normally.
    image, status = client.predict(handle_file(TUBINGEN), "the-scream", None, 64, 1, api_name="/stylize")
    assert status.startswith("Done")


def test_size_over_the_device_limit_is_refused(app):
    with pytest.raises(Exception, match="(?i)max|limit|1024"):
        Client(app.url, verbose=False).predict(handle_file(TUBINGEN), "starry-night", None, 4000, 2, api_name="/stylize")


def test_cancel_stops_the_cpu_work_and_the_next_run_starts_promptly(app):
    client = Client(app.url, verbose=False)
    job = client.submit(handle_file(TUBINGEN), "starry-night", None, 192, 1000, api_name="/stylize")
    deadline = time.monotonic() + 60
    while len(job.outputs()) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    busy = app.cpu_rate(1.0)
    job.cancel()
    time.sleep(1.0)  # about one step of compute at most
    idle = app.cpu_rate(2.0)
    assert busy > 0.8, busy  # it was painting...
    assert idle < 0.25, idle  # ...and stopped
    start = time.monotonic()
    _image, status = client.predict(handle_file(TUBINGEN), "starry-night", None, 64, 2, api_name="/stylize")
    assert status.startswith("Done") and time.monotonic() - start < 30


def test_per_run_time_cap_returns_the_picture_so_far(tmp_path):
    with serve(tmp_path, DEEPSTYLE_MAX_SECONDS="3") as server:
        start = time.monotonic()
        image, status = Client(server.url, verbose=False).predict(
            handle_file(TUBINGEN), "starry-night", None, 128, 1000, api_name="/stylize")
        assert status.startswith("Done") and max(Image.open(image).size) == 128
        assert time.monotonic() - start < 30


def test_bounded_queue_tells_extra_users_it_is_full(app):
    clients = [Client(app.url, verbose=False) for _ in range(3)]
    jobs = [c.submit(handle_file(TUBINGEN), "starry-night", None, 128, 1000, api_name="/stylize") for c in clients[:2]]
    time.sleep(2)
    try:
        with pytest.raises(Exception, match="(?i)queue is full"):
            clients[2].submit(handle_file(TUBINGEN), "starry-night", None, 64, 1, api_name="/stylize").result(timeout=60)
    finally:
        for job in jobs:
            job.cancel()
    time.sleep(1.5)


def test_concurrent_jobs_each_get_their_own_picture(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    from load import run_load

    # The default queue: 8 simultaneous users fit (here from one address, which runs only 4 unless told).
    with serve(tmp_path, DEEPSTYLE_PER_ADDRESS="8") as server:
        stats = run_load(server.url, n=8, size=64, steps=6, timeout=300, folder=tmp_path)
    assert stats["errors"] == 0, stats["error_messages"]
    assert stats["mismatches"] == 0


def test_out_of_memory_gives_a_clear_message_and_the_next_run_works(monkeypatch):
    import gradio as gr
    import torch

    from ui import gpu, painting

    def out_of_memory(*_args, **_kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        yield  # a generator, like the real one

    with monkeypatch.context() as patch:
        patch.setattr(gpu, "stylize", out_of_memory)
        with pytest.raises(gr.Error, match="Out of memory at 512 px on this device: try a smaller size"):
            list(painting.paint(TUBINGEN, "starry-night", None, 512, 10))
    results = list(painting.paint(TUBINGEN, "starry-night", None, 64, 2))
    assert results[-1][1].startswith("Done")


def test_corrupt_preset_file_is_a_clear_error_on_use(tmp_path, monkeypatch):
    import gradio as gr

    from ui import painting

    (tmp_path / "starry-night.jpg").write_bytes(b"\xff\xd8\xff\xe0 broken")
    monkeypatch.setenv("STYLE_PRESETS_DIR", str(tmp_path))
    with pytest.raises(gr.Error, match="style image 1: the image file is truncated or corrupt"):
        list(painting.paint(TUBINGEN, "starry-night", None, 64, 2))


def test_server_serves_no_path_outside_what_it_must(app):
    for path in ("/etc/passwd", str(ROOT / "app.py"), str(PRESETS / "manifest.json")):
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"{app.url}gradio_api/file={path}", timeout=10)
        assert info.value.code in (403, 404)


def test_nothing_is_fetched_from_a_user_supplied_url(app):
    with pytest.raises(ValidationError, match="style_preset: unknown preset 'https://example.com/evil.jpg'"):
        Client(app.url, verbose=False).predict(handle_file(TUBINGEN), "https://example.com/evil.jpg", None, 64, 2,
                                               api_name="/stylize")


def test_no_pickle_loading_of_files():
    for source in (ROOT / "style_core").glob("*.py"):
        for call in re.findall(r"torch\.load\([^)]*\)", source.read_text()):
            assert "weights_only=True" in call, (source, call)


def test_upload_over_the_cap_is_refused_and_the_server_keeps_serving(tmp_path):
    big = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (800, 1000, 3), dtype=np.uint8)).save(big)
    assert big.stat().st_size > 1_000_000
    with serve(tmp_path, DEEPSTYLE_MAX_UPLOAD="1mb") as server:
        client = Client(server.url, verbose=False)
        with pytest.raises(Exception, match="(?i)413|too large|exceed"):
            client.predict(handle_file(str(big)), "starry-night", None, 64, 1, api_name="/stylize")
        _image, status = client.predict(handle_file(TUBINGEN), "starry-night", None, 64, 1, api_name="/stylize")
        assert status.startswith("Done")


def test_timelapse_memory_per_run_is_bounded():
    from ui import painting

    frames = []
    first = Image.new("RGB", (1024, 768), "red")
    painting._add_frame(frames, first)
    for _ in range(500):
        painting._add_frame(frames, Image.new("RGB", (1024, 768), "blue"))
    assert len(frames) <= painting.MAX_FRAMES
    assert max(frames[0].size) == painting.TIMELAPSE_SIDE and frames[0].getpixel((0, 0)) == (255, 0, 0)


def _session(url: str):
    client = httpx.Client(base_url=url, timeout=30)
    client.get("/")  # the page sets the session cookie
    return client


def test_uploads_are_served_to_their_own_session_only(app):
    a, b = _session(app.url), _session(app.url)
    data = png_bytes(photo(64, 48, seed=11))
    [path] = a.post("/gradio_api/upload", files={"files": ("mine.png", data, "image/png")}).json()
    assert a.get(f"/gradio_api/file={path}").content == data
    for other in (b, _session(app.url)):
        response = other.get(f"/gradio_api/file={path}")
        assert response.status_code == 403 and "another visitor" in response.text
    assert b.get(f"/gradio_api/file/{path}").status_code == 403  # Gradio's older route too
    assert httpx.get(f"{app.url}gradio_api/file={path}").status_code == 403  # no cookie at all
    # Nor may another visitor run the app on it (an event's input naming the file; test_attacks tries them all).
    chosen = next(e["id"] for e in a.get("/config").json()["dependencies"] if e["api_name"] == "_photo_chosen")
    run = {"data": [{"path": path, "meta": {"_type": "gradio.FileData"}}], "fn_index": chosen, "session_hash": "x"}
    refused = b.post("/gradio_api/run/predict", json=run)
    assert refused.status_code != 200 and "not a file of yours" in refused.text
    assert a.post("/gradio_api/run/predict", json=run).status_code == 200
    # Gradio names a cached file by its content: whoever uploads the same bytes owns it too.
    assert b.post("/gradio_api/upload", files={"files": ("mine.png", data, "image/png")}).json() == [path]
    assert b.get(f"/gradio_api/file={path}").content == data


def test_results_are_served_to_their_own_session_only_and_the_gallery_to_all(app):
    a = Client(app.url, verbose=False, download_files=False)
    picture = a.predict(handle_file(TUBINGEN), "the-scream", None, 64, 2, api_name="/stylize")[0]
    owner, stranger = a.cookies, _session(app.url)
    url = f"{app.url}gradio_api/file={picture['path']}"
    assert httpx.get(url, cookies=owner).status_code == 200
    assert stranger.get(url).status_code == 403
    config = stranger.get("/config").json()
    gallery = next(c for c in config["components"] if c.get("props", {}).get("elem_id") == "gallery")
    thumbnail = gallery["props"]["value"][0]["image"]["path"]
    assert stranger.get(f"/gradio_api/file={thumbnail}").status_code == 200


def test_a_picture_cached_again_while_it_is_read_is_never_read_cut_short(tmp_path):
    # Gradio writes a cached picture in place under its hash: the same frame or photo cached again while the browser
    # fetched it was served shorter than its declared length (a traceback in a CI run's server log).
    import threading

    from gradio import processing_utils

    from ui import gradio_cache

    picture = Image.fromarray(np.random.default_rng(0).integers(0, 255, (512, 512, 3), dtype=np.uint8))
    original = processing_utils.save_pil_to_cache
    gradio_cache.install()
    gradio_cache.install()  # once per process, however often it is called
    assert processing_utils.save_pil_to_cache.__wrapped__ is original
    path = processing_utils.save_pil_to_cache(picture, str(tmp_path), format="png")
    whole = open(path, "rb").read()
    assert path == original(picture, str(tmp_path / "plain"), format="png").replace(str(tmp_path / "plain"), str(tmp_path))
    done, writes, short = threading.Event(), [0], 0

    def write_again():
        while not done.is_set():
            assert processing_utils.save_pil_to_cache(picture, str(tmp_path), format="png") == path
            writes[0] += 1

    writer = threading.Thread(target=write_again)
    writer.start()
    deadline, reads = time.monotonic() + 60, 0
    try:
        while writes[0] < 30 and time.monotonic() < deadline:
            short += open(path, "rb").read() != whole
            reads += 1
    finally:
        done.set()
        writer.join()
    assert writes[0] >= 30 and reads > writes[0], "the picture was cached again and again while it was read"
    assert short == 0
    data = processing_utils.save_bytes_to_cache(b"%PDF-1.4 a document", "doc.pdf", str(tmp_path))
    assert open(data, "rb").read() == b"%PDF-1.4 a document"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no scratch left behind
