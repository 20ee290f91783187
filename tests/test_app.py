"""The real server (python app.py) driven with gradio_client, as an API user would."""

import hashlib
import re
import json
import time
import urllib.request

import av
import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError, ValidationError
from PIL import Image

from appserver import serve
from conftest import HEIC, ROOT, TUBINGEN, clip, stripes
from style_core import StyleConfig, probe
from style_core.video_io import read_metadata
from ui.painting import OneRunEach

GRACE_S = OneRunEach.GRACE_S



@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("app")) as app:
        yield app


@pytest.fixture
def client(server):
    return Client(server.url, verbose=False)


def _path(image) -> str:
    return image["path"] if isinstance(image, dict) else image  # streamed outputs come as file data


def _digest(image) -> str:
    return hashlib.md5(Image.open(_path(image)).convert("RGB").tobytes()).hexdigest()


def test_preset_run_streams_distinct_previews_then_final_of_requested_size(client):
    job = client.submit(handle_file(TUBINGEN), "starry-night", None, 112, 30, api_name="/stylize")
    outputs = list(job)
    # Steps without a preview send an update that leaves the picture as it is.
    images = [image for image, _status in outputs if isinstance(image, str) or (image or {}).get("path")]
    final_image, final_status = job.result()
    assert final_status.startswith("Done")
    intermediate = {_digest(p) for p in images[:-1]}
    assert len(intermediate) >= 3, outputs
    assert max(Image.open(_path(final_image)).size) == 112
    assert any(re.fullmatch(r"Painting… \d+ % · step \d+ of 30 · about \d+ s left", status) for _image, status in outputs)


def test_cancel_ends_the_run_and_the_next_run_works(client):
    job = client.submit(handle_file(TUBINGEN), "the-scream", None, 128, 1000, api_name="/stylize")
    deadline = time.monotonic() + 60
    while len(job.outputs()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(job.outputs()) >= 2
    job.cancel()
    time.sleep(1.0)
    seen = len(job.outputs())
    time.sleep(2.0)
    assert len(job.outputs()) == seen  # no more steps after the cancel
    start = time.monotonic()
    image, status = client.predict(handle_file(TUBINGEN), "the-scream", None, 64, 5, api_name="/stylize")
    assert status.startswith("Done") and max(Image.open(image).size) == 64
    assert time.monotonic() - start < 60


def test_avif_and_heic_photos_are_painted(client, tmp_path):
    avif = tmp_path / "tubingen.avif"
    Image.open(TUBINGEN).convert("RGB").resize((160, 120)).save(avif)
    for photo in (avif, HEIC):
        image, status = client.predict(handle_file(str(photo)), "the-scream", None, 64, 2, api_name="/stylize")
        assert status.startswith("Done") and Image.open(image).size == (64, 48), (photo, status)


def test_uploaded_style_image_is_used(client, tmp_path):
    style = tmp_path / "stripes.png"
    stripes(128, 128).save(style)
    image, status = client.predict(handle_file(TUBINGEN), "", handle_file(str(style)), 96, 12, api_name="/stylize")
    assert status.startswith("Done")
    # The stripes' saturated red, yellow and blue show up: far more saturated than the photo.
    saturation = np.asarray(Image.open(image).convert("HSV"))[..., 1]
    assert saturation.mean() > 90


def test_bad_upload_gets_a_clear_message_and_the_server_keeps_serving(client, tmp_path):
    bad = tmp_path / "holiday.jpg"
    bad.write_text("this is not a picture")
    with pytest.raises(ValidationError, match="content: not an image"):  # refused before it is queued, one subject
        client.predict(handle_file(str(bad)), "starry-night", None, 64, 2, api_name="/stylize")
    # A painting's id is checked before the run is queued; a path is no painting (the engine would read any file).
    with pytest.raises(ValidationError, match="style_preset: unknown preset 'starry-nite'; did you mean 'starry-night'"):
        client.predict(handle_file(TUBINGEN), "starry-nite", None, 64, 2, api_name="/stylize")
    for path, why in (("elsewhere/the-scream.jpg", "unknown preset"), ("presets/the-scream.jpg", "not a file of yours")):
        with pytest.raises(ValidationError, match=f"style_preset: {why}"):
            client.predict(handle_file(TUBINGEN), path, None, 64, 2, api_name="/stylize")
    image, status = client.predict(handle_file(TUBINGEN), "starry-night", None, 64, 2, api_name="/stylize")
    assert status.startswith("Done")


def test_the_page_offers_the_shipped_paintings_and_photo_without_any_download(server):
    config = json.loads(urllib.request.urlopen(server.url + "config", timeout=10).read())
    gallery = next(c for c in config["components"] if c.get("props", {}).get("elem_id") == "gallery")
    captions = [item["caption"] for item in gallery["props"]["value"]]
    assert [c.split(" — ")[0] for c in captions] == [
        "The Starry Night", "The Scream", "Composition VII", "The Shipwreck of the Minotaur"]
    for item in gallery["props"]["value"]:  # served to a stranger, from the repository's presets/
        assert urllib.request.urlopen(server.url + "gradio_api/file=" + item["image"]["path"], timeout=10).status == 200
    dataset = next(c for c in config["components"] if c["type"] == "dataset")
    assert "tubingen" in json.dumps(dataset["props"]["samples"])


def test_a_keyword_call_needs_only_the_photo(client):
    image, status = client.predict(content=handle_file(TUBINGEN), style_preset="starry-night", size=128, steps=20,
                                   api_name="/stylize")
    assert status.startswith("Done") and max(Image.open(image).size) == 128
    image, status = client.predict(content=handle_file(TUBINGEN), size=64, steps=2, api_name="/stylize")
    assert status.startswith("Done")  # the first painting, the default everything else


def test_the_api_reads_like_a_python_function(client):
    params = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/stylize"]["parameters"]
    assert [p["parameter_name"] for p in params] == [
        "content", "style_preset", "style_image", "size", "steps", "style_strength", "preserve_color", "style_scale",
        "seed", "second_style", "blend", "seconds"]
    assert [p["parameter_name"] for p in params if not p["parameter_has_default"]] == ["content"]
    types = {p["parameter_name"]: p["python_type"]["type"] for p in params}
    assert (types["size"], types["steps"], types["seed"]) == ("int", "int", "int"), types
    defaults = {p["parameter_name"]: p["parameter_default"] for p in params}
    assert defaults["style_preset"] == "starry-night" and defaults["style_image"] is None
    assert (defaults["size"], defaults["steps"], defaults["seconds"]) == (0, 0, 30)  # by time: 30 s on a CPU
    assert (StyleConfig().size, StyleConfig().steps) == (0, 0)


def test_one_visitor_cannot_fill_the_queue_and_others_are_still_served(server):
    greedy, other = Client(server.url, verbose=False), Client(server.url, verbose=False)
    jobs = [greedy.submit(handle_file(TUBINGEN), "starry-night", None, 96, 30, api_name="/stylize") for _ in range(20)]
    refused = 0
    for job in jobs:
        try:
            job.result(timeout=120)
        except ValidationError as exc:
            assert "still under way" in str(exc)
            refused += 1
    assert refused == 19  # one run per visitor: the other 19 never entered the queue
    _image, status = other.predict(handle_file(TUBINGEN), "the-scream", None, 64, 2, api_name="/stylize")
    assert status.startswith("Done")
    _image, status = greedy.predict(handle_file(TUBINGEN), "the-scream", None, 64, 2, api_name="/stylize")
    assert status.startswith("Done")  # and once that run is over, the visitor paints again


def test_a_run_cancelled_while_waiting_frees_the_visitor(server):
    busy, waiting = Client(server.url, verbose=False), Client(server.url, verbose=False)
    first = busy.submit(handle_file(TUBINGEN), "starry-night", None, 160, 1000, api_name="/stylize")
    deadline = time.monotonic() + 60
    while not first.outputs() and time.monotonic() < deadline:
        time.sleep(0.1)
    queued = waiting.submit(handle_file(TUBINGEN), "starry-night", None, 64, 2, api_name="/stylize")
    time.sleep(1.0)
    queued.cancel()  # never started: the painting's own clean-up never runs
    time.sleep(GRACE_S + 1)
    again = waiting.submit(handle_file(TUBINGEN), "starry-night", None, 64, 2, api_name="/stylize")
    first.cancel()
    _image, status = again.result(timeout=120)
    assert status.startswith("Done")


def test_paint_by_region_through_the_api(client, tmp_path):
    regions = Image.new("RGBA", (200, 150), (0, 0, 0, 0))
    regions.paste((37, 99, 235, 255), (0, 0, 100, 150))  # blue: the first painting, left
    regions.paste((234, 88, 12, 255), (100, 0, 200, 150))  # orange: the second, right
    path = tmp_path / "regions.png"
    regions.save(path)
    image, status = client.predict(content=handle_file(TUBINGEN), first_painting="composition-vii",
                                   second_painting="the-scream", regions=handle_file(str(path)), size=96, steps=8,
                                   api_name="/stylize_regions")
    assert status.startswith("Done") and max(Image.open(image).size) == 96
    with pytest.raises((AppError, ValidationError), match="regions: nothing is brushed"):
        client.predict(content=handle_file(TUBINGEN), regions=None, size=64, steps=2, api_name="/stylize_regions")


def test_the_api_listings_examples_run_offline_from_a_checkout(client, monkeypatch):
    # "Use via API" shows each endpoint's call with the required parameters' examples: the repository's
    # own files (Gradio's would be a picture on the internet), and a regions image, without which
    # /stylize_regions paints nothing. Run as listed, from the repository's root, at a small size.
    monkeypatch.chdir(ROOT)
    api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    for endpoint in ("/stylize", "/stylize_regions", "/stylize_video", "/stylize_all"):
        call = {p["parameter_name"]: p["example_input"] if not p["parameter_has_default"] else p["parameter_default"]
                for p in api[endpoint]["parameters"]}
        files = {k: v["path"] for k, v in call.items() if isinstance(v, dict)}
        assert files and all((ROOT / path).is_file() for path in files.values()), files
        required = {p["parameter_name"] for p in api[endpoint]["parameters"] if not p["parameter_has_default"]}
        assert required == ({"content", "regions"} if endpoint == "/stylize_regions" else {"content"})
        call.update({k: handle_file(path) for k, path in files.items()}, size=96, seconds=2)
        image, status, *made = client.predict(**call, api_name=endpoint)
        assert status.startswith("Done"), (endpoint, status)
        if endpoint == "/stylize_all":  # the four paintings, then the figure
            assert [max(Image.open(f).size) for f in made[0][:4]] == [96] * 4, made
        else:
            assert max(Image.open(image).size if not made else probe(made[0]).size) == 96, endpoint


def test_the_api_explains_itself(client):
    api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    for endpoint in ("/stylize", "/stylize_regions", "/stylize_video", "/stylize_all"):
        for parameter in api[endpoint]["parameters"]:
            text = parameter["python_type"]["description"]
            assert text and "input value that is provided" not in text, (endpoint, parameter["parameter_name"])
        # outputs named in words (the client calls them painting and status), never value_<id>
        made = {"/stylize_video": ["Painted clip"], "/stylize_all": ["The four paintings and the figure"]}
        assert [r["label"] for r in api[endpoint]["returns"]] == ["Painting", "Status", *made.get(endpoint, [])]
    types = {p["parameter_name"]: p["python_type"]["type"] for p in api["/stylize"]["parameters"]}
    assert types["seconds"] == "float" and types["size"] == "int"  # any time the server allows, not the page's three
    image, status = client.predict(content=handle_file(TUBINGEN), size=64, seconds=1.5, api_name="/stylize")
    assert status.startswith("Done")


REFUSALS = [  # (keyword arguments, the parameter the refusal must name)
    (dict(size=5000), "size"),
    (dict(steps=-3), "steps"),
    (dict(style_strength=-1), "style_strength"),
    (dict(style_scale=9), "style_scale"),
    (dict(second_style="the-scream", blend=2), "blend"),
    (dict(seconds=100_000), "seconds"),
    (dict(seed="abc"), "seed"),
]


@pytest.mark.parametrize("kwargs, parameter", REFUSALS, ids=[p for _, p in REFUSALS])
def test_each_refusal_names_its_parameter(client, kwargs, parameter):
    with pytest.raises(ValidationError) as refused:
        client.predict(content=handle_file(TUBINGEN), api_name="/stylize", **{"steps": 2, "size": 64, **kwargs})
    message = str(refused.value)  # gradio_client's: "1 parameter(s) failed validation:\n- <name>: <reason>"
    assert message.startswith("1 parameter(s)") and f"\n- {parameter}: " in message, message
    assert f"{parameter}: {parameter}" not in message and "style_weight" not in message  # the caller's words


def test_the_page_offers_only_the_sizes_this_server_holds(monkeypatch):
    from ui import gpu, layout, painting

    gb = 2**30
    # a GPU server: the largest side its free memory holds for a square photo (the most pixels for a side)
    assert gpu.largest_size("cuda", 8 * gb) == 2176 and gpu.largest_size("cuda", 24 * gb) == 4096
    assert gpu.largest_size("cpu", None) == 4096  # no memory planned off a GPU: DEEPSTYLE_MAX_SIZE decides
    monkeypatch.setattr(layout, "SCREEN", 1024)
    for free, offered in ((8, [0, 2048]), (24, [0, 2048, 4096]), (0.5, [0])):
        monkeypatch.setattr(painting, "MAX_SIZE", max(1024, gpu.largest_size("cuda", int(free * gb))))
        assert [side for _label, side in layout.size_choices()] == offered, free
    assert [label for label, _ in layout.size_choices()] == ["Screen · 1024 px"]
    # this CPU server: the screen size and a 1024 px print, each with its time (the print five times more)
    monkeypatch.undo()
    assert layout.size_choices(30) == [("Screen · 512 px · 30 s", 0), ("Print · 1024 px · 3 min", 1024)]


def test_a_clip_through_the_api_streams_its_frames_and_returns_an_mp4(client, tmp_path):
    source = clip(tmp_path / "phone.mov", frames=24, fps=12, size=(128, 96), audio_seconds=2.0)
    job = client.submit(content=handle_file(str(source)), style_preset="the-scream", size=96, fps=6, steps=3,
                        api_name="/stylize_video")
    outputs = list(job)
    statuses = [status for _frame, status, _clip in outputs]
    assert any(re.fullmatch(r"Painting frame \d+ of 12… \d+ % · about \d+ s left", s) for s in statuses), statuses
    frames = {_digest(frame) for frame, _status, _clip in outputs if isinstance(frame, str) or (frame or {}).get("path")}
    assert len(frames) >= 4  # frames as they are painted, not only the last
    _frame, status, painted = job.result()
    assert re.fullmatch(r"Done in \d+(\.\d)? s · 12 frames, 2 s at 6 fps, 96×72 px", status), status
    info = probe(painted)
    assert (info.size, info.fps, info.seconds, info.audio, info.codec) == ((96, 72), 6, 2, True, "h264")
    assert read_metadata(painted)["styles"] == ["the-scream"] and read_metadata(painted)["steps"] == 3


def test_predict_on_a_clip_returns_its_last_painted_frame_as_a_picture(client, tmp_path):
    source = clip(tmp_path / "short.mp4", frames=6, fps=12, size=(96, 72))
    frame, status, painted = client.predict(content=handle_file(str(source)), size=64, fps=6, steps=2,
                                            api_name="/stylize_video")
    assert status.startswith("Done") and probe(painted).size == (64, 48)
    with av.open(painted) as container:
        last = [f.to_image() for f in container.decode(video=0)][-1]
    shown = Image.open(frame)
    assert shown.size == (64, 48) and np.abs(np.asarray(shown, float) - np.asarray(last, float)).mean() < 6


@pytest.mark.parametrize("kwargs, parameter, reason", [
    ({"content": "photo"}, "content", "still picture, not a clip"),
    ({"seconds": 100_000}, "seconds", "outside this server's limit"),
    ({"seconds": 0}, "seconds", "a clip is painted in a time .* or in steps a frame"),
    ({"fps": 500}, "fps", "up to 60"),
])
def test_a_clip_the_server_refuses_is_refused_before_it_is_queued(client, tmp_path, kwargs, parameter, reason):
    source = clip(tmp_path / "c.mp4", frames=4)
    call = {"content": handle_file(TUBINGEN if kwargs.get("content") == "photo" else str(source)),
            **{k: v for k, v in kwargs.items() if k != "content"}}
    with pytest.raises(ValidationError, match=f"{parameter}: .*{reason}"):
        client.predict(**call, api_name="/stylize_video")


def test_one_run_each_across_photos_and_clips(server, tmp_path):
    client = Client(server.url, verbose=False)
    source = clip(tmp_path / "c.mp4", frames=48, fps=12)
    job = client.submit(content=handle_file(str(source)), size=64, steps=200, api_name="/stylize_video")
    deadline = time.monotonic() + 60
    while not any("frame" in status for _f, status, _c in job.outputs()) and time.monotonic() < deadline:
        time.sleep(0.1)
    with pytest.raises(ValidationError, match="still under way"):
        client.predict(handle_file(TUBINGEN), "starry-night", None, 64, 2, api_name="/stylize")
    job.cancel()


def test_all_four_through_the_api_stream_the_figure_then_the_four_and_the_figure(client):
    from style_core.all_four import FIGURE

    job = client.submit(content=handle_file(TUBINGEN), size=64, steps=6, api_name="/stylize_all")
    outputs = list(job)
    statuses = [status for _figure, status, _files in outputs]
    for number, preset in enumerate(("The Shipwreck of the Minotaur", "The Starry Night", "The Scream",
                                     "Composition VII"), start=1):
        assert any(re.fullmatch(rf"Painting {number} of 4, {preset}… \d+ % · about \d+ s left", s) for s in statuses)
    figures = {_digest(f) for f, _status, _files in outputs if isinstance(f, str) or (f or {}).get("path")}
    assert len(figures) >= 5 and len(outputs) >= 8  # the figure as each painting begins (at most one a second), the last
    figure, status, files = job.result()
    assert re.fullmatch(r"Done in \d+ s · all four, each 64×48 px", status), status
    made = [(Image.open(f), json.loads(Image.open(f).text["deepstyle"])) for f in files]
    assert [settings["styles"] for _image, settings in made[:4]] == [[style] for style in FIGURE]
    assert all(image.size == (64, 48) and settings["steps_done"] == 6 and settings["finished"]
               for image, settings in made[:4])
    whole, settings = made[4]
    assert settings["styles"] == list(FIGURE) and settings["all"] and whole.width > 1.5 * whole.height
    assert Image.open(figure).size[0] >= 3 * 64  # the figure on the canvas: photo and two cells across
    with pytest.raises(ValidationError, match="seconds: .*outside this server's limit"):
        client.predict(content=handle_file(TUBINGEN), seconds=100_000, api_name="/stylize_all")
