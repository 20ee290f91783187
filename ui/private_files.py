"""Each visitor's files are served to that visitor only, and shared links last.

Gradio serves every file in its cache to anyone who has its URL (``/gradio_api/file=<path>``):
an upload, and every picture an event returns. This ASGI middleware gives each browser (and
each ``gradio_client.Client``, which keeps cookies) a random session cookie; ``Files`` records (in
``ui/records.py``'s database, kept across restarts) which visitors (``ui/visitors.py``) uploaded a
file or were sent it by an event (``ui/private_events.py``, where Gradio hands files to the page's
functions and takes them back). The file route then answers 403 to everyone else. It fails closed:
a file no record names is served to no one, except the page's own (the preset gallery, the examples:
files in its config) and those of live shared links. Gradio names a cached file by its content, so
two visitors who upload the same photo share one path: each is an owner.

Sharing is the owner's act: Gradio's share link (``/gradio_api/deep_link``) saves the page as the
session has it; only the visitor whose Gradio session it is may make its link, and a link has one
owner. Its files are copied into the data folder with the saved page (minus the values of the
components named in ``private_in_links``, a visitor's own style image), kept ``share_days`` apart
from Gradio's cache, and the link's page in the cache is always rebuilt from that filtered copy
(Gradio rewrites its own unfiltered one on each share). A withdrawn or expired link answers a page
that says so. Uploads and shares count against each visitor's hourly allowance, and stop while the
disk that holds them is nearly full.
"""

from __future__ import annotations

import functools
import html
import json
import logging
import os
import re
import secrets
import shutil
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from starlette.datastructures import QueryParams
from starlette.requests import Request

from ui import cards, settings, visitors, words
from ui.records import EXPIRED, LIVE, WITHDRAWN, Records
from ui.visitors import COOKIE, Allowance

log = logging.getLogger("deepstyle")
MAX_SESSIONS = 100_000  # page loads remembered (to whose cookie each belongs); the oldest are forgotten first
MAX_WAITING = 4  # a visitor's events waiting in the queue at once (the page queues at most two)
CLOSED = "Not used by this page."  # to a script: the page never asks
# What the page and the API send (POST): uploads, the picture editor's strokes (component_server), the events
# (private_events checks their files) and their cancels. Gradio's other routes (recording, input streams,
# its editing modes, run history) stay closed: each takes data past the checks and limits here.
USED = ("/upload", "/component_server", "/queue", "/run/", "/api/", "/call/", "/cancel", "/reset")


class Files:
    """Whose each file is, for the file route, the share links and the page's events alike.

    ``public_config``: returns the app's config (``Blocks.config``), read once, on first use; the files it
    names are served to everyone. ``upload_dir``: Gradio's upload folder (its cache), which holds
    ``deep_links/<link>/``."""

    def __init__(self, records: Records, public_config: Callable[[], dict], upload_dir: Callable[[], str]):
        self.records, self.public_config, self.upload_dir = records, public_config, upload_dir
        self.public: set[str] | None = None
        self.pages: OrderedDict[str, str] = OrderedDict()  # Gradio session_hash -> the visitor it belongs to

    def allowed(self, path: str, visitor: str | None) -> bool:
        """Whether ``visitor`` may read or use the file at ``path``: theirs, the page's own, or a live link's."""
        if "\x00" in path:
            return False
        path = os.path.realpath(path)
        if path in self.public_set():
            return True
        links = os.path.join(os.path.realpath(self.upload_dir()), "deep_links")
        if os.path.commonpath([path, links]) == links:  # a link's files, by name (its saved page is Gradio's alone)
            parts = os.path.relpath(path, links).split(os.sep)
            return len(parts) == 2 and parts[1] != "state.json" and self.records.link_state(parts[0]) == LIVE
        return visitor is not None and visitor in self.records.owners(path)

    def claim(self, path: str, visitor: str) -> None:
        path = os.path.realpath(path)
        if path not in self.public_set():
            self.records.claim(path, visitor)

    def bind(self, page: str | None, visitor: str | None) -> None:
        """Remember whose a Gradio session (a page load, an API client) is: the first visitor it ran an event for."""
        if page and visitor:
            self.pages.setdefault(page, visitor)
            if len(self.pages) > MAX_SESSIONS:
                self.pages.popitem(last=False)

    @functools.cached_property
    def api_names(self) -> set[str]:
        """The events the API lists, by name (private ones are the page's own); read once, on first use."""
        return {event["api_name"] for event in self.public_config().get("dependencies", [])
                if event.get("api_name") and event.get("api_visibility") != "private"}

    def public_set(self) -> set[str]:
        if self.public is None:
            found: list[dict] = []
            _collect_files(self.public_config(), found)
            self.public = {os.path.realpath(f["path"]) for f in found}
        return self.public


class PrivateFiles:
    """ASGI middleware: the cookie, the file route, uploads, and share links (made, kept and opened).
    ``min_free``: bytes an upload or a share must leave free on its disk; ``allowance``: each visitor's."""

    def __init__(self, app, files: Files, api_prefix: str = "/gradio_api", private_in_links: frozenset[str] = frozenset(),
                 owner_only: frozenset[str] = frozenset(), min_free: int = 0, cookie_s: float = 86400,
                 allowance: Allowance | None = None, waiting: Callable[[str, str], tuple[int, int]] | None = None):
        self.app, self.files, self.records = app, files, files.records
        self.waiting = waiting  # (visitor, address) -> their events waiting in Gradio's queue
        self.private_in_links = private_in_links  # elem_ids whose values a share link leaves out
        self.owner_only = owner_only  # elem_ids a link's page hides (its owner's own controls)
        self.min_free, self.cookie_s = min_free, cookie_s
        self.allowance = allowance or Allowance({"uploads": float("inf"), "shares": float("inf"), "bytes": float("inf")})
        self.uploads = (api_prefix + "/upload", api_prefix + "/component_server")
        self.file_prefixes = (api_prefix + "/file=", api_prefix + "/file/")  # the second: Gradio's older route
        self.deep_link_path = api_prefix + "/deep_link"
        self.api_prefix = api_prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        # What the server says itself, in the page's language (a script, which sets none: English); an ended
        # link's page, which a browser may open first, in the browser's.
        cookie = _header(scope, b"cookie")
        language = words.from_browser(cookie, _header(scope, b"accept-language")) \
            if "text/html" in (_header(scope, b"accept") or "") else words.from_cookie(cookie) or words.DEFAULT
        with words.use(language):
            await self._serve(scope, receive, send)

    async def _serve(self, scope, receive, send):
        address = visitors.address_of(Request(scope))  # read once: the limits and the cookieless visitor
        token = visitors.cookie_in(_header(scope, b"cookie"))
        if token is None:  # a new visitor: their cookie comes with this answer (a client that refuses it is its address)
            token = secrets.token_urlsafe(24)
            send = self._with_cookie(scope, send, token)
            visitor = "a:" + address
        else:
            visitor = visitors.key(token)
        path = scope["path"]
        # Parsed as Starlette (so FastAPI, so Gradio) parses it: a repeated name is its last value there.
        query = QueryParams(scope.get("query_string", b""))
        requested = next((path.split(p, 1)[1] for p in self.file_prefixes if p in path), None)
        if requested is not None and not self.files.allowed(requested, visitor):  # decoded once, as Gradio reads it
            return await _answer(send, 403, words.say("not_yours"))
        if scope["method"] == "POST" and not self._used(path.removeprefix(self.api_prefix)):
            return await _answer(send, 404, CLOSED)
        if scope["method"] in ("GET", "HEAD") and path.startswith("/" + cards.ROUTE) and path.count("/") == 2:
            return await self._card(send, path.removeprefix("/" + cards.ROUTE), scope["method"] == "HEAD")
        link = query.getlist("deep_link")[-1] if "deep_link" in query else None
        if link is not None:
            ended = self._opening(link)
            if ended is not None:  # a page for a browser, the line for the page's own requests
                status, line, title = ended
                page = "text/html" in (_header(scope, b"accept") or "")
                return await _answer(send, status, line, title if page else None)
        route = path.rstrip("/")
        if scope["method"] == "GET" and route == "":  # the page: its card where its address is pasted (Gradio's says "Gradio")
            scheme = _header(scope, b"x-forwarded-proto") or scope.get("scheme", "http")
            url = f"{scheme}://{_header(scope, b'host') or 'localhost'}{path}"
            card = cards.tags(url, link and self.records.link_folder(link), link)  # live: an ended one was answered
            send = _card_in_head(send, card.encode())
        joins = route.endswith("/queue/join") or route.startswith(self.api_prefix + "/call/")  # what waits in the queue
        if scope["method"] == "POST" and joins and self.waiting and self._crowding(visitor, address):
            return await _answer(send, 429, words.say("crowding"))
        if route.endswith(self.deep_link_path):
            pages = query.getlist("session_hash")
            if len(pages) != 1 or self.files.pages.get(pages[0]) != visitor:
                return await _answer(send, 403, words.say("not_your_page"))
            send = self._sharing(send, visitor, pages[0], address)
        elif scope["method"] == "POST" and route.endswith(self.uploads):  # the picture editor's strokes too
            refusal = self._upload_refusal(scope, visitor, address)
            if refusal is not None:
                return await _answer(send, *refusal)
            send = _watch_body(send, functools.partial(self._uploaded, visitor, address))
        await _one_line_on_failure(self.app, scope, receive, send)

    async def _card(self, send, name: str, head: bool) -> None:
        """A link's card picture, to anyone while the link lives; why not, in a line, once it has ended."""
        link = name.removesuffix(".jpg")
        ended = self._ended(link) if name.endswith(".jpg") else (404, *_unknown())
        try:
            picture = None if ended else (self.records.link_folder(link) / cards.PICTURE).read_bytes()
        except OSError:  # none made, or withdrawn meanwhile
            ended = self._ended(link) or (404, words.say("card.none"), "")
        if ended:
            return await _answer(send, *ended[:2])
        # Short-lived in caches between: a link withdrawn stops showing its picture soon after.
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"image/jpeg"), (b"content-length", str(len(picture)).encode()),
                                (b"cache-control", b"public, max-age=300")]})
        await send({"type": "http.response.body", "body": b"" if head else picture})

    def _crowding(self, visitor: str, address: str) -> bool:
        """Whether this visitor (or their address) already has enough waiting in the queue: one visitor
        must not fill it for everyone."""
        mine, here = self.waiting(visitor, address)
        return mine >= MAX_WAITING or here >= MAX_WAITING * settings.PER_ADDRESS

    def _used(self, route: str) -> bool:
        """Whether the page or the API posts to ``route``: one of USED, and an event by a name the API lists
        (the page runs its private events by number, through ``/run/predict`` and the queue)."""
        parts = route.strip("/").split("/")
        if "/" + parts[0] not in USED and "/" + parts[0] + "/" not in USED:
            return False
        if parts[0] in ("run", "api", "call") and len(parts) > 1:
            name = parts[2] if parts[1] == "v2" and len(parts) > 2 else parts[1]
            return len(parts) <= 3 and (name in self.files.api_names or name == "predict" and parts[0] != "call")
        return True

    def _with_cookie(self, scope, send, token: str):
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

    def _upload_refusal(self, scope, visitor: str, address: str) -> tuple[int, str] | None:
        """Why an upload is refused before it is read (its declared length over what is left), or None."""
        try:
            length = int(_header(scope, b"content-length") or "")
        except ValueError:
            return 411, "An upload must say its length."
        if _free(self.files.upload_dir()) - length < self.min_free:
            return 507, words.say("uploads_full")
        over = self.allowance.over(visitor, address, {"uploads": 1, "bytes": length})
        return (429, words.say(f"over.{over}")) if over else None

    def _uploaded(self, visitor: str, address: str, body: bytes) -> None:
        """An upload made: its files are the visitor's, and those new to them count against their hour (the
        picture editor sends its unchanged background again and again: that keeps nothing more)."""
        paths = [os.path.realpath(p) for p in _upload_paths(body)]
        new = [p for p in paths if p not in self.files.public_set() and visitor not in self.records.owners(p)]
        for path in paths:
            self.files.claim(path, visitor)
        if new:
            self.allowance.take(visitor, address, {"uploads": 1, "bytes": sum(_size(p) for p in new)})

    def _sharing(self, send, visitor: str, page: str, address: str):
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
            refusal = self._publish_link(bytes(body), visitor, page, address) if start.get("status") == 200 else None
            if refusal is not None:
                return await _answer(send, *refusal)
            await send(start)
            await send({"type": "http.response.body", "body": bytes(body)})

        return sharing

    def _publish_link(self, body: bytes, visitor: str, page: str, address: str) -> tuple[int, str] | None:
        """Keep the page saved under this link in the data folder with copies of its files, leaving out
        what is not shared, and its page in the cache rebuilt from that copy; None, or why it cannot be."""
        try:
            link = json.loads(body)
        except ValueError:
            return None
        if not _is_link(link):
            return None
        try:
            # One owner a link (one adopted from disk has none anyone can prove): the same page shared again by
            # someone who opened it is theirs to copy, not to renew or withdraw.
            if self.records.link_state(link) is not None and self.records.owner(link) != visitor:
                return 403, words.say("someone_elses")
            return self._keep(link, visitor, page, address)
        finally:
            self._to_cache(link)  # Gradio's own copy never stays: the kept one, or none

    def _keep(self, link: str, visitor: str, page: str, address: str) -> tuple[int, str] | None:
        upload_dir = os.path.realpath(self.files.upload_dir())
        try:
            components = json.loads(Path(upload_dir, "deep_links", link, "state.json").read_bytes())
        except (OSError, ValueError):
            return None
        on_page = {c.get("id") for c in self.files.public_config().get("components", [])}
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
                props["value"] = _servable(props["value"], lambda path: self.files.allowed(path, visitor),
                                           self.files.public_set(), shared)
        folder = self.records.link_folder(link)
        making = folder.with_name(f".{link}-{secrets.token_hex(4)}")
        try:
            needed = sum(os.path.getsize(f["path"]) for f in shared) + 2**20
            if _free(self.records.links_dir) - needed < self.min_free:
                return 507, words.say("sharing_full")
            if over := self.allowance.over(visitor, address, {"shares": 1, "bytes": needed}):
                return 429, words.say(f"over.{over}")
            making.mkdir()
            for number, file in enumerate(shared):  # kept by name: the page is rebuilt in the cache from them
                name = f"{number}-{os.path.basename(file['path'])}"
                shutil.copyfile(file["path"], making / name)
                file["path"], file["url"] = name, None
            (making / "state.json").write_text(json.dumps(components), encoding="utf-8")
            cards.make(making, components)
            shutil.rmtree(folder, ignore_errors=True)  # the same page shared again: the newer copy
            os.replace(making, folder)
        except OSError:  # the disk filled meanwhile: nothing half-kept
            shutil.rmtree(making, ignore_errors=True)
            return 507, words.say("sharing_full")
        if not self.records.add_link(link, visitor, page):
            return 403, words.say("someone_elses")
        self.allowance.take(visitor, address, {"shares": 1, "bytes": needed})
        return None

    def _to_cache(self, link: str) -> None:
        """The link's page into Gradio's cache (``deep_links/<link>/``: the page and its files, where Gradio
        takes them as a visitor's own), rebuilt from the data folder's copy; a link not live has none there."""
        kept, cached = self.records.link_folder(link), Path(self.files.upload_dir()) / "deep_links" / link
        try:
            if self.records.link_state(link) != LIVE:
                raise FileNotFoundError(link)
            components = json.loads((kept / "state.json").read_text(encoding="utf-8"))
            found: list[dict] = []
            _collect_files(components, found)
            files = [f for f in found if os.path.basename(f["path"]) == f["path"]]  # the link's own, by name
            cached.mkdir(parents=True, exist_ok=True)
            for file in files:
                if not (cached / file["path"]).is_file():
                    shutil.copyfile(kept / file["path"], cached / file["path"])
                file["path"] = str(cached.resolve() / file["path"])
                file["url"] = self.file_prefixes[0] + file["path"]
            page = json.dumps(components)
            if not (cached / "state.json").is_file() or (cached / "state.json").read_text(encoding="utf-8") != page:
                making = cached / f".state-{secrets.token_hex(4)}.json"
                making.write_text(page, encoding="utf-8")
                os.replace(making, cached / "state.json")
        except (OSError, ValueError):  # nothing of it served: the link's page says why
            shutil.rmtree(cached, ignore_errors=True)

    def _opening(self, link: str) -> tuple[int, str, str] | None:
        """A link being opened: its page rebuilt in Gradio's cache from the kept copy; or, where it cannot
        open, (the answer's status, the line that says why, the page's title)."""
        if _is_link(link):
            self._to_cache(link)  # rebuilt where live, gone where not
        return self._ended(link)

    def _ended(self, link: str) -> tuple[int, str, str] | None:
        """None for a live link; else (the answer's status, the line that says why, the page's title)."""
        if not _is_link(link):
            return 404, *_unknown()
        state = self.records.link_state(link)
        if state == LIVE:
            return None
        if state == WITHDRAWN:
            return 410, words.say("link.withdrawn"), words.say("link.ended_title")
        if state == EXPIRED:
            return (410, words.say("link.expired", days=f"{self.records.share_s / 86400:g}"),
                    words.say("link.ended_title"))
        return 404, *_unknown()


def _unknown() -> tuple[str, str]:
    return words.say("link.unknown"), words.say("link.unknown_title")


def _servable(value, allowed: Callable[[str], bool], public: set[str], shared: list[dict]):
    """``value`` with each file in it that the sharer may share kept, others taken out; the visitor's files
    kept (each a fresh dict, with ``path`` real) are appended to ``shared``, to be copied. The page's own
    (``public``: the gallery's paintings) stay as they are: served to all, always."""
    if isinstance(value, list):
        return [item for item in (_servable(v, allowed, public, shared) for v in value) if item is not None]
    if not isinstance(value, dict):
        return value
    if isinstance(value.get("path"), str):
        path = os.path.realpath(value["path"]) if "\x00" not in value["path"] else ""
        if path in public:
            return value
        if not path or not allowed(path) or not os.path.isfile(path):
            return None
        file = {**value, "path": path}
        shared.append(file)
        return file
    return {key: _servable(item, allowed, public, shared) for key, item in value.items()}


def _is_link(link) -> bool:
    """A link's name as Gradio makes it (URL-safe base64 of a hash): never a path."""
    return isinstance(link, str) and 0 < len(link) <= 128 and link.replace("-", "").replace("_", "").isalnum() \
        and link.isascii()


def _collect_files(value, found: list[dict]) -> None:
    """The file dicts in a value (a saved page, the app's config): each with a string ``path``, in order."""
    if isinstance(value, dict):
        if isinstance(value.get("path"), str):
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


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _free(folder) -> int:
    """Free bytes on the disk that holds ``folder`` (or will: Gradio makes its cache on the first upload)."""
    folder = Path(folder).resolve()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return shutil.disk_usage(folder).free


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


async def _answer(send, status: int, line: str, title: str | None = None) -> None:
    """A one-line plain answer; with a ``title``, a small page a visitor reads (an ended link)."""
    if title is None:
        body, kind = line.encode(), b"text/plain; charset=utf-8"
    else:
        body = ENDED.format(title=html.escape(title), line=html.escape(line), language=words.current(),
                            home=html.escape(words.say("link.home"))).encode()
        kind = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


ENDED = """<!doctype html><html lang="{language}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>DeepStyle · {title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:18vh auto;padding:0 1.2rem;line-height:1.5;color:#222}}
a{{color:#c2410c}}</style></head>
<body><h1>{title}</h1><p>{line}</p><p><a href="./">{home} →</a></p></body></html>
"""


async def _one_line_on_failure(app, scope, receive, send) -> None:
    """Run ``app``; a request it fails on before answering (Gradio's own routes raise on some malformed bodies)
    gets one line, not a dropped connection, and the log one line, not a traceback."""
    started = False

    async def watched(message):
        nonlocal started
        started = started or message["type"] == "http.response.start"
        await send(message)

    try:
        await app(scope, receive, watched)
    except Exception as exc:
        if started:
            raise
        log.warning("%s %s: %s: %s", scope.get("method"), scope.get("path"), type(exc).__name__, exc)
        await _answer(send, 400, "The request could not be read.")


GRADIOS_CARD = re.compile(rb'\s*<meta\s+(?:property|name)="(?:og|twitter):[^"]*"\s+content="[^"]*"\s*/?>')


def _card_in_head(send, card: bytes):
    """Wrap an ASGI ``send`` of a page: Gradio's card tags in a 200 HTML answer's head give way to ``card``, its
    length said anew."""
    start, body = None, bytearray()

    async def edited(message):
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if start is None or message["type"] != "http.response.body":
            return await send(message)
        body.extend(message.get("body", b""))
        if message.get("more_body"):
            return
        page, headers = bytes(body), [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        html_page = any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers)
        if start["status"] == 200 and html_page and b"</head>" in page:
            head, rest = page.split(b"</head>", 1)
            page = GRADIOS_CARD.sub(b"", head) + b"\n" + card + b"\n</head>" + rest
        await send({**start, "headers": [*headers, (b"content-length", str(len(page)).encode())]})
        await send({"type": "http.response.body", "body": page})

    return edited


def _watch_body(send, consume):
    """Wrap an ASGI ``send``: the whole body of a 200 answer goes to ``consume`` before its end is sent on."""
    buffer = bytearray()
    ok = False

    async def watched(message):
        nonlocal ok
        if message["type"] == "http.response.start":
            ok = message["status"] == 200
        elif message["type"] == "http.response.body" and ok:
            buffer.extend(message.get("body", b""))
            if not message.get("more_body", False):
                consume(bytes(buffer))
        await send(message)

    return watched
