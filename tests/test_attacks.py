"""A stranger who writes their own requests, against the real server (``python app.py`` with its default
data folder): every event of the page and every route Gradio has that takes a body, found from the running
app and Gradio's own routing, not listed here; the owner's upload, a picture planted outside the cache,
the records database and a file of the working directory, sent in the encodings Gradio accepts. Nothing
comes back, nothing the owner has is lost, and one visitor cannot hold the server."""

from __future__ import annotations

import inspect
import itertools
import json
import os
import re
import sqlite3
import tempfile
import time
from pathlib import Path

import gradio as gr
import httpx
import pytest
from gradio.routes import App

from appserver import ROOT, serve
from conftest import photo, png_bytes

LIMITS = {"DEEPSTYLE_UPLOADS_PER_HOUR": "30", "DEEPSTYLE_SHARES_PER_HOUR": "3", "DEEPSTYLE_QUEUE_SIZE": "16"}
REFUSED = "not a file of yours on this server"


class _Cookieless(httpx.Client):
    """A client that throws away every cookie it is given, as a script may."""

    def send(self, *args, **kwargs):
        answer = super().send(*args, **kwargs)
        self.cookies.clear()
        return answer


def _visitor(url: str, cookies: bool = True) -> httpx.Client:
    if not cookies:
        return _Cookieless(base_url=url, timeout=60)
    client = httpx.Client(base_url=url, timeout=60)
    client.get("/")  # the page sets the session cookie
    return client


def _upload(client: httpx.Client, data: bytes, name: str = "photo.png") -> str:
    answer = client.post("/gradio_api/upload", files={"files": (name, data, "image/png")})
    assert answer.status_code == 200, answer.text
    return answer.json()[0]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The server with its default data folder (under XDG_DATA_HOME), an owner with an upload and a shared link,
    a picture planted in the system's temp folder, and a stranger with an upload of their own."""
    tmp = tmp_path_factory.mktemp("attacks")
    planted = Path(tempfile.mkdtemp(prefix="planted-")) / "secret.png"  # in Gradio's allowed temp folder, not its cache
    planted.write_bytes(png_bytes(photo(64, 48, seed=77)))
    with serve(tmp, DEEPSTYLE_DATA_DIR=None, XDG_DATA_HOME=str(tmp / "home"), **LIMITS) as server:
        owner, stranger = _visitor(server.url), _visitor(server.url)
        secret = png_bytes(photo(96, 72, seed=31))
        owned = _upload(owner, secret)
        own = _upload(stranger, png_bytes(photo(96, 72, seed=32)), "mine.png")
        database = tmp / "home" / "deepstyle" / "records.sqlite3"
        assert database.is_file()  # the default folder, outside the temp folder and the working directory
        yield {"server": server, "tmp": tmp, "owner": owner, "stranger": stranger, "owned": owned, "own": own,
               "secret": secret, "planted": str(planted), "database": str(database),
               "targets": [owned, str(planted), str(database), str(ROOT / "app.py")]}


def _config(url: str) -> dict:
    return httpx.get(url + "config", timeout=30).json()


def _event_routes() -> list[str]:
    """Every POST route of Gradio's app that reads a body, from Gradio's own routing (this version's)."""
    def walk(routes, prefix=""):
        for route in routes:
            if hasattr(route, "original_router"):  # FastAPI's included router
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)
            elif "POST" in (getattr(route, "methods", None) or ()) and not route.path.endswith("/"):
                yield prefix + route.path, set(inspect.signature(route.endpoint).parameters)

    with gr.Blocks() as blocks:
        gr.Textbox()
    return [path for path, params in walk(App.create_app(blocks).routes) if params & {"body", "request"}]


def _events(config: dict) -> list[dict]:
    """The page's events that take input from the client, one of each function and inputs (Gradio numbers
    the copies of one function, ``_estimate_now_3``)."""
    stateful = {c["id"] for c in config["components"] if c["type"] == "state"}
    seen, events = set(), []
    for event in config["dependencies"]:
        inputs = [i for i in event["inputs"] if i not in stateful]
        kind = (re.sub(r"_\d+$", "", event.get("api_name") or ""), tuple(event["inputs"]))
        if event["backend_fn"] and inputs and kind not in seen:
            seen.add(kind)
            events.append(event)
    return events


def _defaults(config: dict, event: dict) -> list:
    values = {c["id"]: c["props"].get("value") for c in config["components"]}
    return [values.get(i) for i in event["inputs"]]


ENCODINGS = [
    lambda p: {"path": p},
    lambda p: {"path": p, "meta": {"_type": "gradio.FileData"}},
    lambda p: {"path": p, "url": f"/gradio_api/file={p}", "orig_name": "photo.png", "meta": {"_type": "gradio.FileData"}},
    lambda p: {"path": os.path.join(os.path.dirname(p), "..", os.path.basename(os.path.dirname(p)), os.path.basename(p))},
]
SHAPES = [lambda f: f, lambda f: {"video": f, "subtitles": None}, lambda f: {"background": f, "layers": [f], "composite": f},
          lambda f: [f, f]]


def _outcome(client: httpx.Client, route: str, event: dict, data: list, info: dict) -> tuple[bool, str]:
    """(whether the event ran to success, what the server said) for ``data`` sent to ``event`` through ``route``."""
    name, session = event["api_name"], f"s{time.monotonic_ns()}"
    body = {"data": data, "fn_index": event["id"], "session_hash": session}
    if event["api_visibility"] == "private" and re.search(r"/(run|api)/\{api_name\}$", route):
        name = "predict"  # as the page reaches its own events: by number (by name they are closed)
    if "{api_name}" in route:
        if route.endswith("/call/v2/{api_name}"):
            parameters = info.get("/" + name, {}).get("parameters")
            if parameters is None:
                return False, "not named"
            body = {p["parameter_name"]: value for p, value in zip(parameters, data)}
        route = route.replace("{api_name}", name)
    elif "{" in route:
        route = re.sub(r"\{[^}]+\}", "x", route)
    try:
        answer = client.post(route, json=body)
    except httpx.TransportError as exc:  # the server hung up: nothing ran (its log is checked for tracebacks)
        return False, repr(exc)
    said = answer.text[:300]
    if answer.status_code != 200:
        return False, said
    try:
        reply = answer.json()
    except ValueError:
        return False, said
    if not isinstance(reply, dict):
        return False, said
    if "data" in reply:
        return not reply.get("error"), said
    if "event_id" not in reply:
        return False, said
    if "/call/" in route:
        streamed = client.get(f"/gradio_api/call/{name}/{reply['event_id']}", timeout=60).text
        return "event: complete" in streamed, streamed[-300:]
    with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}, timeout=60) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return bool(message.get("success")), line[:300]
                if message.get("msg") == "close_stream":
                    break
    return False, "no answer"


@pytest.fixture(scope="module")
def attacks(world) -> dict:
    """Every event's every input, through every route, with a file that is not the stranger's (or its path as
    text), from the stranger and from a client that sends no cookie; what ran, and the controls."""
    url, stranger, cookieless = world["server"].url, world["stranger"], _visitor(world["server"].url, cookies=False)
    config, routes = _config(url), _event_routes()
    info = httpx.get(url + "gradio_api/info", timeout=30).json()["named_endpoints"]
    events = _events(config)
    closed = []
    for route in routes:
        answer = stranger.post(re.sub(r"\{[^}]+\}", "x", route.replace("{api_name}", "stylize")), json={})
        if answer.status_code == 404 and answer.text == "Not used by this page.":
            closed.append(route)
    open_routes = [r for r in routes if r not in closed]
    # Controls: the stranger's own photo is taken on each route that runs events: by the photo's own check, or
    # painted (64 px, one step) where only the API's events are named.
    chosen = next(e for e in events if e["api_name"] == "_photo_chosen")
    stylize = next(e for e in events if e["api_name"] == "stylize")
    own = ENCODINGS[1](world["own"])
    controls = {r: _outcome(stranger, r, chosen, [own], info)[0] if "/call/" not in r else
                _outcome(stranger, r, stylize, [own, "starry-night", None, 64, 1, 10, False, 1.0, 0, "", 0.5, 10], info)[0]
                for r in open_routes}
    tried, ran = 0, []
    turns = itertools.count()
    for event in events:
        defaults = _defaults(config, event)
        for slot, route in itertools.product(range(len(event["inputs"])), open_routes):
            turn = next(turns)
            target = world["targets"][turn % len(world["targets"])]
            sent = SHAPES[turn // 4 % len(SHAPES)](ENCODINGS[turn // 16 % len(ENCODINGS)](target))
            attacker = cookieless if turn % 3 == 0 else stranger
            for value in (sent, target):  # a file object, and its path as plain text
                data = [value if i == slot else d for i, d in enumerate(defaults)]
                ok, said = _outcome(attacker, route, event, data, info)
                tried += 1
                if ok:
                    ran.append((event["api_name"], slot, route, target, said))
    return {"routes": routes, "closed": closed, "events": events, "controls": controls, "tried": tried, "ran": ran}


def test_no_event_through_any_route_takes_a_file_that_is_not_the_callers(attacks):
    assert {"/gradio_api/queue/join", "/gradio_api/run/{api_name}", "/gradio_api/call/{api_name}"} <= set(attacks["routes"])
    assert len(attacks["events"]) >= 15
    assert {"stylize", "stylize_regions", "stylize_video", "stylize_all", "_photo_chosen", "_unshared"} <= {
        e["api_name"] for e in attacks["events"]}
    # Routes the page never uses are closed: each takes data past the checks (a recording, an input stream...).
    assert {"/gradio_api/process_recording", "/gradio_api/stream/{event_id}"} <= set(attacks["closed"])
    controls = attacks["controls"]
    assert all(controls[r] for r in ("/gradio_api/queue/join", "/gradio_api/run/{api_name}", "/gradio_api/api/{api_name}",
                                     "/gradio_api/call/{api_name}", "/gradio_api/call/v2/{api_name}")), controls
    assert attacks["tried"] > 1000 and not attacks["ran"], attacks["ran"][:5]


def test_nothing_of_the_owners_is_readable_and_nothing_was_copied(world, attacks):
    url, owner = world["server"].url, world["owner"]
    for reader in (world["stranger"], _visitor(url, cookies=False)):
        for target in world["targets"]:
            assert reader.get(f"/gradio_api/file={target}").status_code == 403, target
    assert owner.get(f"/gradio_api/file={world['owned']}").content == world["secret"]  # the owner keeps theirs
    forbidden = {Path(t).read_bytes() for t in world["targets"][1:]}
    cached = [p for p in (world["tmp"] / "gradio").rglob("*") if p.is_file()]
    assert not [p for p in cached if p.read_bytes() in forbidden]  # nothing outside the cache was copied into it
    assert [str(p) for p in cached if p.read_bytes() == world["secret"]] == [world["owned"]]
    db = sqlite3.connect(world["database"])
    assert db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    cookies = [c.value for c in list(owner.cookies.jar) + list(world["stranger"].cookies.jar)]
    sessions = {row[0] for row in db.execute("SELECT session FROM owners")}
    assert sessions and not any(cookie in session for cookie in cookies for session in sessions)  # only hashes kept


def _page_of(client: httpx.Client, url: str, upload: str) -> str:
    """A Gradio session of ``client``'s: a page whose photo is ``upload`` (its check ran on it)."""
    config = _config(url)
    chosen = next(e for e in config["dependencies"] if e.get("api_name") == "_photo_chosen")
    session = f"page{time.monotonic_ns()}"
    answer = client.post("/gradio_api/run/predict", json={"data": [{"path": upload, "meta": {"_type": "gradio.FileData"}}],
                                                          "fn_index": chosen["id"], "session_hash": session})
    assert answer.status_code == 200, answer.text
    return session


def test_a_stranger_cannot_share_take_over_or_withdraw_anothers_page(world):
    url, owner, stranger = world["server"].url, world["owner"], world["stranger"]
    page, theirs = _page_of(owner, url, world["owned"]), _page_of(stranger, url, world["own"])
    for query in (f"session_hash={page}", f"session_hash={theirs}&session_hash={page}",
                  f"session_hash={page}&session_hash={theirs}", "session_hash=unknown-page", ""):
        answer = stranger.get(f"/gradio_api/deep_link?{query}")
        assert answer.status_code == 403, (query, answer.text)
    link = owner.get(f"/gradio_api/deep_link?session_hash={page}").json()
    assert link and stranger.get(f"/gradio_api/deep_link?session_hash={theirs}").status_code == 200
    # The stranger names the owner's link in Stop sharing (the page sends the link it was told).
    unshare = next(e for e in _config(url)["dependencies"] if e.get("api_name") == "_unshared")
    answer = stranger.post("/gradio_api/run/predict", json={"data": [f"copied:{url}?deep_link={link}"],
                                                            "fn_index": unshare["id"], "session_hash": page})
    assert "Nothing to stop" in answer.text, answer.text
    assert httpx.get(url, params={"deep_link": link}, headers={"accept": "text/html"}).status_code == 200
    answer = owner.post("/gradio_api/run/predict", json={"data": [f"copied:{url}?deep_link={link}"],
                                                         "fn_index": unshare["id"], "session_hash": "after-a-restart"})
    assert "Stopped sharing" in answer.text, answer.text  # the owner, from a page the server no longer knows
    assert httpx.get(url, params={"deep_link": link}, headers={"accept": "text/html"}).status_code == 410


def test_one_visitor_gets_one_run_whatever_it_calls_itself_and_an_address_a_few(world):
    url = world["server"].url

    def paint(client: httpx.Client, upload: str) -> httpx.Response:
        """A 4 s run at 64 px: content, style_preset, style_image, size, steps, style_strength, preserve_color,
        style_scale, seed, second_style, blend, seconds."""
        photo_file = {"path": upload, "meta": {"_type": "gradio.FileData"}}
        return client.post("/gradio_api/call/stylize",
                           json={"data": [photo_file, "starry-night", None, 64, 0, 10, False, 1.0, 0, "", 0.5, 4]})

    one = _visitor(url)
    upload = _upload(one, png_bytes(photo(64, 48, seed=40)))
    first, second = paint(one, upload), paint(one, upload)  # one cookie, two sessions of its own making
    assert first.status_code == 200 and second.status_code == 422 and "still under way" in second.text, second.text
    cookieless = _visitor(url, cookies=False)
    bare = _upload(cookieless, png_bytes(photo(64, 48, seed=41)))
    started = paint(cookieless, bare)
    assert started.status_code == 200, started.text
    assert "still under way" in paint(_visitor(url, cookies=False), bare).text  # no cookie: one visitor, the address
    answers = []
    for seed in range(42, 46):  # fresh cookies from one address: a few visitors' worth, no more
        client = _visitor(url)
        answers.append(paint(client, _upload(client, png_bytes(photo(64, 48, seed=seed)))))
    assert [a.status_code for a in answers] == [200, 200, 422, 422], [a.text for a in answers]  # 4 an address
    assert all("Too many paintings from your network" in a.text for a in answers[2:])


def test_share_and_upload_floods_are_refused_in_one_line(world):
    url = world["server"].url
    flooder = _visitor(url)
    page = _page_of(flooder, url, _upload(flooder, png_bytes(photo(64, 48, seed=50))))
    shares = [flooder.get(f"/gradio_api/deep_link?session_hash={page}") for _ in range(5)]
    assert [s.status_code for s in shares] == [200, 200, 200, 429, 429]  # DEEPSTYLE_SHARES_PER_HOUR=3
    assert shares[-1].text == "You have shared many links in the last hour: try again later."
    answers = [flooder.post("/gradio_api/upload", files={"files": ("x.png", b"x%d" % n * 500, "image/png")}).status_code
               for n in range(30)]
    assert answers == [200] * 29 + [429]  # DEEPSTYLE_UPLOADS_PER_HOUR=30: one was made for the page
    again = flooder.post("/gradio_api/upload", files={"files": ("x.png", b"x0" * 500, "image/png")})
    assert again.status_code == 429  # before it is read, an upload is counted as new
    assert flooder.get("/gradio_api/file=%00").status_code == 403  # a NUL in a file URL: refused, not a failure
    spoofed = [httpx.post(url + "gradio_api/upload", files={"files": ("y.png", b"y%d" % n * 500, "image/png")},
                          headers={"x-forwarded-for": f"203.0.113.{n}"}).status_code for n in range(31)]
    assert spoofed[-1] == 429  # no cookie, and an address of its own making: still this one address's visitor


def test_the_records_hold_across_a_restart_after_the_database_was_named_as_a_photo(tmp_path):
    env = {"DEEPSTYLE_DATA_DIR": None, "XDG_DATA_HOME": str(tmp_path / "home")}
    database = tmp_path / "home" / "deepstyle" / "records.sqlite3"
    with serve(tmp_path, **env) as server:
        owner, stranger = _visitor(server.url), _visitor(server.url)
        mine = _upload(owner, png_bytes(photo(64, 48, seed=60)))
        page = _page_of(owner, server.url, mine)
        link = owner.get(f"/gradio_api/deep_link?session_hash={page}").json()
        withdrawn_page = _page_of(owner, server.url, _upload(owner, png_bytes(photo(64, 48, seed=61))))
        withdrawn = owner.get(f"/gradio_api/deep_link?session_hash={withdrawn_page}").json()
        unshare = next(e for e in _config(server.url)["dependencies"] if e.get("api_name") == "_unshared")
        owner.post("/gradio_api/run/predict", json={"data": [""], "fn_index": unshare["id"], "session_hash": withdrawn_page})
        for _ in range(5):  # the database named as a photo, again and again
            answer = stranger.post("/gradio_api/run/predict", json={"data": [{"path": str(database)}],
                                                                    "fn_index": _chosen(server.url), "session_hash": "x"})
            assert REFUSED in answer.text
        cookie = dict(owner.cookies)
    with serve(tmp_path, **env) as server:
        owner = httpx.Client(base_url=server.url, cookies=cookie, timeout=60)
        assert owner.get(f"/gradio_api/file={mine}").status_code == 200
        assert _visitor(server.url).get(f"/gradio_api/file={mine}").status_code == 403
        opened = httpx.get(server.url, params={"deep_link": link}, headers={"accept": "text/html"})
        assert opened.status_code == 200
        assert httpx.get(server.url, params={"deep_link": withdrawn}, headers={"accept": "text/html"}).status_code == 410


def _chosen(url: str) -> int:
    return next(e["id"] for e in _config(url)["dependencies"] if e.get("api_name") == "_photo_chosen")
