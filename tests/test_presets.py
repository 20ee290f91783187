import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from conftest import SHARED
from style_core import presets
from style_core.presets import PRESETS, STYLE_IDS, PresetError


def test_manifest_has_the_four_paintings_with_provenance():
    assert STYLE_IDS == ("starry-night", "the-scream", "composition-vii", "shipwreck-of-the-minotaur")
    for preset in PRESETS.values():
        assert preset.url.startswith("https://upload.wikimedia.org/")
        assert len(preset.md5) == 32 and preset.title and preset.artist and preset.year and preset.license


@pytest.mark.parametrize("preset_id", list(PRESETS))
def test_each_preset_resolves_from_presets_dir(preset_id):
    assert presets.resolve(preset_id) == (SHARED / "presets" / f"{preset_id}.jpg").resolve()


def test_typo_gets_did_you_mean():
    with pytest.raises(PresetError, match="did you mean 'starry-night'"):
        presets.resolve("starry-nite")


def test_offline_without_folder_says_unavailable(monkeypatch):
    monkeypatch.delenv("STYLE_PRESETS_DIR")
    with pytest.raises(PresetError, match="unavailable offline"):
        presets.resolve("the-scream")


def test_resolve_image_accepts_paths_and_ids(tmp_path):
    assert presets.resolve_image("composition-vii").name == "composition-vii.jpg"
    assert presets.resolve_image(str(tmp_path / "x.png")) == tmp_path / "x.png"


class _Server:
    """A loopback HTTP server answering with a fixed status and body (or never, for timeouts)."""

    def __init__(self, status: int, body: bytes, delay: float = 0.0):
        stop = threading.Event()
        self.stop = stop

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.server.user_agent = self.headers.get("User-Agent")
                if delay:
                    stop.wait(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (timeout test)
                    pass

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/painting.jpg"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.stop.set()
        self.httpd.shutdown()


def _with_md5(body: bytes) -> presets.Preset:
    return presets.Preset(**{**PRESETS["the-scream"].__dict__, "md5": hashlib.md5(body).hexdigest()})


def _cache_files() -> list[Path]:
    folder = presets.cache_dir() / "presets"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_download_verifies_checksum_and_caches(monkeypatch):
    body = (SHARED / "presets" / "the-scream.jpg").read_bytes()
    server = _Server(200, body)
    try:
        path = presets.fetch(_with_md5(body), server.url)
    finally:
        server.close()
    assert path.read_bytes() == body and _cache_files() == [path]
    assert server.httpd.user_agent.startswith("DeepStyle/")
    monkeypatch.delenv("STYLE_PRESETS_DIR")
    assert presets.resolve("the-scream") == path  # found in the cache next time


@pytest.mark.parametrize("status, body, delay, message", [
    (404, b"not found", 0.0, "HTTP Error 404"),
    (200, b"<html>garbage</html>", 0.0, "failed its checksum"),
    (200, b"late", 5.0, "timed out"),
], ids=["404", "garbage", "timeout"])
def test_failed_download_leaves_no_partial_file(status, body, delay, message):
    server = _Server(status, body, delay)
    try:
        with pytest.raises(PresetError, match=message):
            presets.fetch(_with_md5(b"the real painting"), server.url, timeout=0.5)
    finally:
        server.close()
    assert _cache_files() == []
