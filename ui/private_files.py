"""Each visitor's files are served to that visitor only.

Gradio serves every file in its cache to anyone who has its URL (``/gradio_api/file=<path>``):
an upload, and every picture an event returns. This ASGI middleware gives each browser (and
each ``gradio_client.Client``, which keeps cookies) a random session cookie and remembers which
sessions uploaded a file or were sent it in an event's output. The file route then answers 403
to every other session, and an event whose input names such a file is refused too. Files in the
page's own config (the preset gallery, the example photo) are public. Gradio names a cached file
by its content, so two sessions that upload the same photo share one path: each is an owner.
A client that sends no cookies (a browser blocking third-party cookies in an iframe) keeps
Gradio's own rule for the files it makes: served to whoever has the URL.

Sharing is the owner's act: Gradio's share link (``/gradio_api/deep_link``) saves the page as the
session has it, and whoever opens the link loads its files. Only the session that owns a Gradio
session may make its link. The files in the saved page become public, except the values of the
components named in ``private_in_links`` (a visitor's own style image), which are taken out of
the saved page before the link reaches its owner.
"""

from __future__ import annotations

import json
import os
import secrets
from collections import OrderedDict
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

COOKIE = "deepstyle_session"
MAX_FILES = 100_000  # owners remembered; the oldest are forgotten first (Gradio deletes old files anyway)


class PrivateFiles:
    """ASGI middleware. ``public_config``: returns the app's config (``Blocks.config``), read
    once, on first use; the files it names are served to everyone."""

    def __init__(self, app, public_config: Callable[[], dict], api_prefix: str = "/gradio_api",
                 upload_dir: Callable[[], str] | None = None, private_in_links: frozenset[str] = frozenset()):
        self.app = app
        self.public_config = public_config
        self.public: set[str] | None = None
        self.upload_dir = upload_dir  # Gradio's upload folder, which holds deep_links/<link>/state.json
        self.private_in_links = private_in_links  # elem_ids whose values a share link leaves out
        self.upload_path = api_prefix + "/upload"
        self.file_prefixes = (api_prefix + "/file=", api_prefix + "/file/")  # the second: Gradio's older route
        self.queue_data_path = api_prefix + "/queue/data"
        self.queue_join_path = api_prefix + "/queue/join"
        self.deep_link_path = api_prefix + "/deep_link"
        self.owners: OrderedDict[str, set[str]] = OrderedDict()
        self.gradio_sessions: OrderedDict[str, str] = OrderedDict()  # Gradio session_hash -> our session

    def _allowed(self, path: str, session: str | None) -> bool:
        owners = self.owners.get(os.path.realpath(path))
        return owners is None or session in owners

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        session = _cookie(scope)
        send = self._with_cookie(scope, send) if session is None else send
        path = scope["path"]
        requested = next((path.split(p, 1)[1] for p in self.file_prefixes if p in path), None)
        if requested is not None:
            if not self._allowed(requested, session):  # scope["path"] is decoded once, as Gradio reads it
                return await _forbidden(send)
        elif path.endswith(self.queue_join_path):
            body, receive = await _read_body(receive)
            if not all(self._allowed(p, session) for p in _event_paths(b"data:" + body)):
                return await _forbidden(send)
            self._bind(body, session)
        elif path.endswith(self.deep_link_path):
            gradio_session = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("session_hash", [""])[0]
            if self.gradio_sessions.get(gradio_session, session) != session:
                return await _forbidden(send)  # another visitor's page
            send = self._sharing(send)
        elif session is not None and path.endswith(self.upload_path):
            send = self._recording(send, session, _upload_paths)
        elif session is not None and path.endswith(self.queue_data_path):
            send = self._recording(send, session, _event_paths)
        await self.app(scope, receive, send)

    def _with_cookie(self, scope, send):
        token = secrets.token_urlsafe(24)
        https = scope.get("scheme") == "https" or _header(scope, b"x-forwarded-proto") == "https"
        # In a Space the app runs in an iframe of another site: the cookie must be SameSite=None
        # (with Secure, and Partitioned so browsers that block third-party cookies still keep it).
        policy = "SameSite=None; Secure; Partitioned" if https else "SameSite=Lax"
        cookie = f"{COOKIE}={token}; Path=/; HttpOnly; {policy}".encode()

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
            await send(message)

        return send_with_cookie

    def _recording(self, send, session: str, paths_in):
        """Wrap ``send``: file paths found in the response body become this session's."""

        def claim(chunk: bytes) -> None:
            for path in paths_in(chunk):
                self._claim(path, session)

        return _watch_body(send, claim, by_line=True)

    def _bind(self, join_body: bytes, session: str | None) -> None:
        """Remember which of our sessions a Gradio session (a page load, an API client) belongs to."""
        try:
            gradio_session = json.loads(join_body).get("session_hash")
        except (ValueError, AttributeError):
            return
        if session is not None and isinstance(gradio_session, str):
            self.gradio_sessions.setdefault(gradio_session, session)
            if len(self.gradio_sessions) > MAX_FILES:
                self.gradio_sessions.popitem(last=False)

    def _sharing(self, send):
        """Wrap ``send`` of a share link's answer: publish the saved page's files before the link leaves."""
        return _watch_body(send, self._publish_link, by_line=False)

    def _publish_link(self, body: bytes) -> None:
        """Make the files of the page saved under this link public; leave out what is not shared."""
        try:
            link = json.loads(body)
        except ValueError:
            return
        if not isinstance(link, str) or not link.replace("-", "").replace("_", "").isalnum() or self.upload_dir is None:
            return
        upload_dir = os.path.realpath(self.upload_dir())
        state_file = os.path.join(upload_dir, "deep_links", link, "state.json")
        try:
            with open(state_file, "rb") as handle:
                components = json.load(handle)
        except (OSError, ValueError):
            return
        on_page = {c.get("id") for c in self.public_config().get("components", [])}
        # Gradio's session copy also holds stray copies of streamed components (ids not on the page).
        components = [c for c in components if isinstance(c, dict) and c.get("id") in on_page]
        shared: list[str] = []
        for component in components:
            props = component.get("props", {})
            if props.get("elem_id") in self.private_in_links:
                props.pop("value", None)  # not part of what the owner shares
            elif "value" in props:
                props["value"] = _servable(props["value"], upload_dir, self.file_prefixes[0], shared)
        with open(state_file, "w", encoding="utf-8") as handle:
            json.dump(components, handle)
        self._public_set().update(shared)
        for path in shared:
            self.owners.pop(path, None)

    def _public_set(self) -> set[str]:
        if self.public is None:
            found: list[str] = []
            _collect(self.public_config(), found)
            self.public = {os.path.realpath(p) for p in found}
        return self.public

    def _claim(self, path: str, session: str) -> None:
        path = os.path.realpath(path)
        if path in self._public_set():
            return
        self.owners.setdefault(path, set()).add(session)
        self.owners.move_to_end(path)
        if len(self.owners) > MAX_FILES:
            self.owners.popitem(last=False)


def _servable(value, upload_dir: str, file_route: str, shared: list[str]):
    """``value`` with each file in it given its URL, or taken out where Gradio cannot serve it (outside
    its upload folder); the real paths of the files kept are appended to ``shared``."""
    if isinstance(value, list):
        return [item for item in (_servable(v, upload_dir, file_route, shared) for v in value) if item is not None]
    if not isinstance(value, dict):
        return value
    if isinstance(value.get("path"), str) and ("url" in value or "meta" in value):
        path = os.path.realpath(value["path"])
        if os.path.commonpath([path, upload_dir]) != upload_dir:
            return None
        shared.append(path)
        return {**value, "url": value.get("url") or file_route + value["path"]}
    return {key: _servable(item, upload_dir, file_route, shared) for key, item in value.items()}


def _upload_paths(body: bytes) -> list[str]:
    try:
        paths = json.loads(body)
    except ValueError:
        return []
    return [p for p in paths if isinstance(p, str)] if isinstance(paths, list) else []


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


async def _forbidden(send) -> None:
    body = b"File not allowed: it belongs to another session."
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


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
