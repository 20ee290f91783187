"""Each visitor's files are served to that visitor only, and shared links last.

Gradio serves every file in its cache to anyone who has its URL (``/gradio_api/file=<path>``):
an upload, and every picture an event returns. This ASGI middleware gives each browser (and
each ``gradio_client.Client``, which keeps cookies) a random session cookie and records (in
``ui/records.py``'s database, kept across restarts) which sessions uploaded a file or were sent it
in an event's output. The file route then answers 403 to every other session, and an event whose
input names such a file is refused too. It fails closed: a file no record names is served to no
one, except the page's own (the preset gallery, the examples: files in its config) and those of
live shared links. Gradio names a cached file by its content, so two sessions that upload the same
photo share one path: each is an owner. A client that sends no cookies (a browser blocking
third-party cookies in an iframe) keeps Gradio's own rule for the files it makes: whoever has the URL.

Sharing is the owner's act: Gradio's share link (``/gradio_api/deep_link``) saves the page as the
session has it; only the session that owns a Gradio session may make its link. Its files are
copied into the data folder with the saved page (minus the values of the components named in
``private_in_links``, a visitor's own style image), kept ``share_days`` apart from Gradio's cache
and restored there when the link is opened after a restart or a cleaning. A withdrawn or expired
link answers a page that says so.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import secrets
import shutil
from collections import OrderedDict
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs

from ui.records import ANYONE, EXPIRED, LIVE, WITHDRAWN, Records

COOKIE = "deepstyle_session"
MAX_SESSIONS = 100_000  # page loads remembered (to whose cookie each belongs); the oldest are forgotten first
FULL = "Sharing is paused: the server's storage is full (links already shared still work)."


class PrivateFiles:
    """ASGI middleware. ``public_config``: returns the app's config (``Blocks.config``), read
    once, on first use; the files it names are served to everyone. ``records``: the database
    (``ui/records.py``); ``min_free``: bytes a share must leave free on the data folder's disk."""

    def __init__(self, app, public_config: Callable[[], dict], records: Records, api_prefix: str = "/gradio_api",
                 upload_dir: Callable[[], str] | None = None, private_in_links: frozenset[str] = frozenset(),
                 owner_only: frozenset[str] = frozenset(), min_free: int = 0, cookie_s: float = 86400):
        self.app = app
        self.public_config = public_config
        self.public: set[str] | None = None
        self.records = records
        self.links_dir = os.path.realpath(records.links_dir)
        self.upload_dir = upload_dir  # Gradio's upload folder, which holds deep_links/<link>/state.json
        self.private_in_links = private_in_links  # elem_ids whose values a share link leaves out
        self.owner_only = owner_only  # elem_ids a link's page hides (its owner's own controls)
        self.min_free, self.cookie_s = min_free, cookie_s
        self.upload_path = api_prefix + "/upload"
        self.file_prefixes = (api_prefix + "/file=", api_prefix + "/file/")  # the second: Gradio's older route
        self.queue_data_path = api_prefix + "/queue/data"
        self.queue_join_path = api_prefix + "/queue/join"
        self.run_path = api_prefix + "/run/"  # an unqueued event (queue=False): /run/predict
        self.deep_link_path = api_prefix + "/deep_link"
        self.gradio_sessions: OrderedDict[str, str] = OrderedDict()  # Gradio session_hash -> our session

    def _allowed(self, path: str, session: str | None) -> bool:
        path = os.path.realpath(path)
        if path in self._public_set():
            return True
        if self.upload_dir is not None:
            shared = os.path.join(os.path.realpath(self.upload_dir()), "deep_links")
            if os.path.commonpath([path, shared]) == shared:  # a link's page and its files, in Gradio's cache
                return self.records.link_state(os.path.relpath(path, shared).split(os.sep)[0]) == LIVE
        owners = self.records.owners(path)
        return ANYONE in owners or session in owners

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        session = _cookie(scope)
        send = self._with_cookie(scope, send) if session is None else send
        path = scope["path"]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        requested = next((path.split(p, 1)[1] for p in self.file_prefixes if p in path), None)
        if requested is not None:
            if not self._allowed(requested, session):  # scope["path"] is decoded once, as Gradio reads it
                return await _answer(send, 403, "File not allowed: it belongs to another session.")
        elif "deep_link" in query:
            ended = self._opening(query["deep_link"][0])
            if ended is not None:  # a page for a browser, the line for the page's own requests
                status, line, title = ended
                page = "text/html" in (_header(scope, b"accept") or "")
                return await _answer(send, status, line, title if page else None)
        elif path.endswith(self.queue_join_path) or self.run_path in path:
            body, receive = await _read_body(receive)
            if not all(self._allowed(p, session) for p in _event_paths(b"data:" + body)):
                return await _answer(send, 403, "File not allowed: it belongs to another session.")
            self._bind(body, session)
            if self.run_path in path:  # an unqueued event answers at once, its files in the answer
                send = self._recording(send, session or ANYONE, _answer_paths, by_line=False)
        elif path.endswith(self.deep_link_path):
            page = query.get("session_hash", [""])[0]
            if self.gradio_sessions.get(page, session) != session:
                return await _answer(send, 403, "Only the page's own visitor may share it.")
            send = self._sharing(send, session, page)
        elif path.endswith(self.upload_path):
            send = self._recording(send, session or ANYONE, _upload_paths)
        elif path.endswith(self.queue_data_path):
            send = self._recording(send, session or ANYONE, _event_paths)
        await self.app(scope, receive, send)

    def _with_cookie(self, scope, send):
        token = secrets.token_urlsafe(24)
        https = scope.get("scheme") == "https" or _header(scope, b"x-forwarded-proto") == "https"
        # In a Space the app runs in an iframe of another site: the cookie must be SameSite=None
        # (with Secure, and Partitioned so browsers that block third-party cookies still keep it).
        policy = "SameSite=None; Secure; Partitioned" if https else "SameSite=Lax"
        # It lasts as long as the visitor's files are kept: a browser restarted still opens them.
        cookie = f"{COOKIE}={token}; Path=/; Max-Age={int(self.cookie_s)}; HttpOnly; {policy}".encode()

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
            await send(message)

        return send_with_cookie

    def _recording(self, send, session: str, paths_in, by_line: bool = True):
        """Wrap ``send``: file paths found in the response body become this session's."""

        def claim(chunk: bytes) -> None:
            for path in paths_in(chunk):
                self._claim(path, session)

        return _watch_body(send, claim, by_line=by_line)

    def _bind(self, join_body: bytes, session: str | None) -> None:
        """Remember which of our sessions a Gradio session (a page load, an API client) belongs to."""
        try:
            gradio_session = json.loads(join_body).get("session_hash")
        except (ValueError, AttributeError):
            return
        if session is not None and isinstance(gradio_session, str):
            self.gradio_sessions.setdefault(gradio_session, session)
            if len(self.gradio_sessions) > MAX_SESSIONS:
                self.gradio_sessions.popitem(last=False)

    def _sharing(self, send, session: str | None, page: str):
        """Wrap ``send`` of a share link's answer: the page is kept (its files copied) before the link
        leaves, or the answer becomes the one-line reason it cannot be."""
        start: dict = {}
        body = bytearray()

        async def sharing(message):
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            body.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            refusal = self._publish_link(bytes(body), session, page) if start.get("status") == 200 else None
            if refusal is not None:
                return await _answer(send, 507, refusal)
            await send(start)
            await send({"type": "http.response.body", "body": bytes(body)})

        return sharing

    def _publish_link(self, body: bytes, session: str | None, page: str) -> str | None:
        """Keep the page saved under this link in the data folder with copies of its files, leaving out
        what is not shared; None, or why it cannot be kept."""
        try:
            link = json.loads(body)
        except ValueError:
            return None
        if not isinstance(link, str) or not link.replace("-", "").replace("_", "").isalnum() or self.upload_dir is None:
            return None
        upload_dir = os.path.realpath(self.upload_dir())
        state_file = os.path.join(upload_dir, "deep_links", link, "state.json")
        try:
            with open(state_file, "rb") as handle:
                components = json.load(handle)
        except (OSError, ValueError):
            return None
        on_page = {c.get("id") for c in self.public_config().get("components", [])}
        # Gradio's session copy also holds stray copies of streamed components (ids not on the page).
        components = [c for c in components if isinstance(c, dict) and c.get("id") in on_page]
        shared: list[dict] = []
        for component in components:
            props = component.get("props", {})
            if props.get("elem_id") in self.owner_only:
                props["visible"] = False
            if props.get("elem_id") in self.private_in_links:
                props.pop("value", None)  # not part of what the owner shares
            elif "value" in props:
                props["value"] = _servable(props["value"], upload_dir, shared, self._public_set())
        folder = self.records.link_folder(link)
        making = folder.with_name(f".{link}-{secrets.token_hex(4)}")
        try:
            needed = sum(os.path.getsize(f["path"]) for f in shared) + len(body) + 2**20
            if shutil.disk_usage(self.links_dir).free - needed < self.min_free:
                return FULL
            making.mkdir()
            for number, file in enumerate(shared):  # kept by name: the page is rebuilt in the cache from them
                name = f"{number}-{os.path.basename(file['path'])}"
                shutil.copyfile(file["path"], making / name)
                file["path"], file["url"] = name, None
            (making / "state.json").write_text(json.dumps(components), encoding="utf-8")
            shutil.rmtree(folder, ignore_errors=True)  # the same page shared again: the newer copy
            os.replace(making, folder)
        except OSError:  # the disk filled meanwhile: nothing half-kept
            shutil.rmtree(making, ignore_errors=True)
            return FULL
        self.records.add_link(link, session, page)
        self._to_cache(link)
        return None

    def _to_cache(self, link: str) -> None:
        """The link's page into Gradio's cache (``deep_links/<link>/``: the page and its files, where Gradio
        takes them as a visitor's own), from the data folder, unless all of it is there."""
        kept, cached = self.records.link_folder(link), Path(self.upload_dir()) / "deep_links" / link
        try:
            components = json.loads((kept / "state.json").read_text(encoding="utf-8"))
            found: list[dict] = []
            _collect_files(components, found)
            files = [f for f in found if os.path.basename(f["path"]) == f["path"]]  # the link's own, by name
            if (cached / "state.json").is_file() and all((cached / f["path"]).is_file() for f in files):
                return
            cached.mkdir(parents=True, exist_ok=True)
            for file in files:
                shutil.copyfile(kept / file["path"], cached / file["path"])
                file["path"] = str(cached.resolve() / file["path"])
                file["url"] = self.file_prefixes[0] + file["path"]
            (cached / "state.json").write_text(json.dumps(components), encoding="utf-8")
        except (OSError, ValueError):  # the page as Gradio has it, or its own "invalid link" page
            return

    def _opening(self, link: str) -> tuple[int, str, str] | None:
        """A link being opened: restored into Gradio's cache where a restart or a cleaning took it; or,
        where it cannot open, (the answer's status, the line that says why, the page's title)."""
        state = self.records.link_state(link)
        if state == WITHDRAWN:
            return 410, "Its owner has stopped sharing it.", "This painting is no longer shared"
        if state == EXPIRED:
            return (410, f"Shared links last {self.records.share_s / 86400:g} days, and this one has ended.",
                    "This painting is no longer shared")
        if self.upload_dir is None:
            return None
        if state == LIVE:
            self._to_cache(link)
        elif not (Path(self.upload_dir()) / "deep_links" / link / "state.json").is_file():
            return (404, "This server does not know this link: it may be mistyped, or it was made on a server "
                         "without lasting storage that has since restarted.", "This link is not known here")
        return None

    def _public_set(self) -> set[str]:
        if self.public is None:
            found: list[str] = []
            _collect(self.public_config(), found)
            self.public = {os.path.realpath(p) for p in found}
        return self.public

    def _claim(self, path: str, session: str) -> None:
        path = os.path.realpath(path)
        if path not in self._public_set():
            self.records.claim(path, session)


def _servable(value, upload_dir: str, shared: list[dict], public: set[str]):
    """``value`` with each file in it kept where Gradio can serve it (in its upload folder), others taken
    out; the visitor's files kept (each a fresh dict, with ``path`` real) are appended to ``shared``, to be
    copied. The page's own (``public``: the gallery's paintings) stay as they are: served to all, always."""
    if isinstance(value, list):
        return [item for item in (_servable(v, upload_dir, shared, public) for v in value) if item is not None]
    if not isinstance(value, dict):
        return value
    if isinstance(value.get("path"), str) and ("url" in value or "meta" in value):
        path = os.path.realpath(value["path"])
        if path in public:
            return value
        if os.path.commonpath([path, upload_dir]) != upload_dir or not os.path.isfile(path):
            return None
        file = {**value, "path": path}
        shared.append(file)
        return file
    return {key: _servable(item, upload_dir, shared, public) for key, item in value.items()}


def _collect_files(value, found: list[dict]) -> None:
    """The file dicts in a saved page's value (each with its ``path``), in order."""
    if isinstance(value, dict):
        if isinstance(value.get("path"), str) and ("url" in value or "meta" in value):
            found.append(value)
            return
        for item in value.values():
            _collect_files(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect_files(item, found)


def _upload_paths(body: bytes) -> list[str]:
    try:
        paths = json.loads(body)
    except ValueError:
        return []
    return [p for p in paths if isinstance(p, str)] if isinstance(paths, list) else []


def _answer_paths(body: bytes) -> list[str]:
    """Paths of the files in an unqueued event's JSON answer."""
    found: list[str] = []
    with contextlib.suppress(ValueError):
        _collect(json.loads(body), found)
    return found


def _event_paths(body: bytes) -> list[str]:
    """Paths of the files in the server-sent events of /queue/data (``data: {json}`` lines)."""
    found: list[str] = []
    for line in body.splitlines():
        if line.startswith(b"data:") and b'"path"' in line:
            try:
                _collect(json.loads(line[5:]), found)
            except ValueError:
                continue
    return found


def _collect(value, found: list[str]) -> None:
    if isinstance(value, dict):
        meta = value.get("meta")
        if isinstance(value.get("path"), str) and ("url" in value or isinstance(meta, dict) and meta.get("_type") == "gradio.FileData"):
            found.append(value["path"])
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list):
        # A streamed output comes as diffs of the last one: ["add" | "replace", [..., "path"], "<path>"].
        if len(value) == 3 and value[0] in ("add", "replace") and isinstance(value[1], list) and value[1][-1:] == ["path"]:
            if isinstance(value[2], str):
                found.append(value[2])
            return
        for item in value:
            _collect(item, found)


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _cookie(scope) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    try:
        morsel = SimpleCookie(raw).get(COOKIE)
    except CookieError:
        return None
    return morsel.value if morsel and morsel.value else None


async def _read_body(receive):
    """The whole request body, and a ``receive`` that hands it on to the app unchanged."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _answer(send, status: int, line: str, title: str | None = None) -> None:
    """A one-line plain answer; with a ``title``, a small page a visitor reads (an ended link)."""
    if title is None:
        body, kind = line.encode(), b"text/plain; charset=utf-8"
    else:
        body, kind = ENDED.format(title=html.escape(title), line=html.escape(line)).encode(), b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


ENDED = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>DeepStyle · {title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:18vh auto;padding:0 1.2rem;line-height:1.5;color:#222}}
a{{color:#c2410c}}</style></head>
<body><h1>{title}</h1><p>{line}</p><p><a href="./">Paint your own →</a></p></body></html>
"""


def _watch_body(send, consume, by_line: bool):
    """Wrap an ASGI ``send``: the body of a 200 answer goes to ``consume`` before it is sent on,
    in complete lines as it streams (``by_line``, an event stream), or whole at its end."""
    buffer = bytearray()
    ok = False

    async def watched(message):
        nonlocal ok
        if message["type"] == "http.response.start":
            ok = message["status"] == 200
        elif message["type"] == "http.response.body" and ok:
            buffer.extend(message.get("body", b""))
            if not message.get("more_body", False):
                ready, rest = bytes(buffer), b""
            elif by_line:
                ready, _, rest = bytes(buffer).rpartition(b"\n")
            else:
                ready, rest = b"", bytes(buffer)
            if ready:
                consume(ready)
                buffer[:] = rest
        await send(message)

    return watched
