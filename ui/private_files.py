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
"""

from __future__ import annotations

import json
import os
import secrets
from collections import OrderedDict
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie

COOKIE = "deepstyle_session"
MAX_FILES = 100_000  # owners remembered; the oldest are forgotten first (Gradio deletes old files anyway)


class PrivateFiles:
    """ASGI middleware. ``public_config``: returns the app's config (``Blocks.config``), read
    once, on first use; the files it names are served to everyone."""

    def __init__(self, app, public_config: Callable[[], dict], api_prefix: str = "/gradio_api"):
        self.app = app
        self.public_config = public_config
        self.public: set[str] | None = None
        self.upload_path = api_prefix + "/upload"
        self.file_prefixes = (api_prefix + "/file=", api_prefix + "/file/")  # the second: Gradio's older route
        self.queue_data_path = api_prefix + "/queue/data"
        self.queue_join_path = api_prefix + "/queue/join"
        self.owners: OrderedDict[str, set[str]] = OrderedDict()

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
        elif path.endswith(self.queue_join_path) and self.owners:
            body, receive = await _read_body(receive)
            if not all(self._allowed(p, session) for p in _event_paths(b"data:" + body)):
                return await _forbidden(send)
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
        buffer = bytearray()
        ok = False

        async def recording_send(message):
            nonlocal ok
            if message["type"] == "http.response.start":
                ok = message["status"] == 200
            elif message["type"] == "http.response.body" and ok:
                buffer.extend(message.get("body", b""))
                complete, _, rest = bytes(buffer).rpartition(b"\n")
                if not message.get("more_body", False):
                    complete, rest = bytes(buffer), b""
                if complete:
                    for path in paths_in(complete):
                        self._claim(path, session)
                    buffer[:] = rest
            await send(message)

        return recording_send

    def _claim(self, path: str, session: str) -> None:
        if self.public is None:
            found: list[str] = []
            _collect(self.public_config(), found)
            self.public = {os.path.realpath(p) for p in found}
        path = os.path.realpath(path)
        if path in self.public:
            return
        self.owners.setdefault(path, set()).add(session)
        self.owners.move_to_end(path)
        if len(self.owners) > MAX_FILES:
            self.owners.popitem(last=False)


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
