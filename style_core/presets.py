"""The preset images (the paper's four paintings and its photo): provenance and where to find them.

``presets/manifest.json`` holds each preset's id, title, artist, year, licence, public-domain
source URL and the MD5 of the original file. ``resolve(id)`` finds ``<id>.jpg``:

1. in the folder named by ``$STYLE_PRESETS_DIR`` (operators and tests put copies there);
2. in the cache (``$DEEPSTYLE_CACHE_DIR``, else ``$XDG_CACHE_HOME/deepstyle``, else ``~/.cache/deepstyle``);
3. by downloading the source URL (checksum verified, written atomically into the cache),
   unless ``$DEEPSTYLE_OFFLINE`` is set.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

MANIFEST = Path(__file__).resolve().parent.parent / "presets" / "manifest.json"
USER_AGENT = "DeepStyle/1.0 (neural style transfer demo; preset download)"
DOWNLOAD_TIMEOUT_S = 20.0
MAX_DOWNLOAD_BYTES = 30_000_000


class PresetError(ValueError):
    """Unknown preset id, or a preset image that cannot be found or fetched."""


@dataclass(frozen=True)
class Preset:
    id: str
    kind: str  # "style" (a painting) or "photo" (an example content image)
    title: str
    artist: str
    year: str
    license: str
    url: str
    md5: str

    @property
    def credit(self) -> str:
        return f"{self.artist}, {self.title}, {self.year} ({self.license})"


def _load_manifest() -> dict[str, Preset]:
    entries = json.loads(MANIFEST.read_text(encoding="utf-8"))["presets"]
    return {entry["id"]: Preset(**entry) for entry in entries}


PRESETS: dict[str, Preset] = _load_manifest()
STYLE_IDS: tuple[str, ...] = tuple(p.id for p in PRESETS.values() if p.kind == "style")


def get(preset_id: str) -> Preset:
    """The preset with this id, or PresetError with a did-you-mean."""
    if preset_id in PRESETS:
        return PRESETS[preset_id]
    close = difflib.get_close_matches(preset_id, list(PRESETS), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise PresetError(f"unknown preset {preset_id!r}{hint} (presets: {', '.join(PRESETS)})")


def cache_dir() -> Path:
    if os.environ.get("DEEPSTYLE_CACHE_DIR"):
        return Path(os.environ["DEEPSTYLE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "deepstyle"


def find_local(preset_id: str) -> Path | None:
    """The preset's image from $STYLE_PRESETS_DIR or the cache, without any download."""
    get(preset_id)
    folders = [Path(os.environ["STYLE_PRESETS_DIR"])] if os.environ.get("STYLE_PRESETS_DIR") else []
    for folder in folders + [cache_dir() / "presets"]:
        path = folder / f"{preset_id}.jpg"
        if path.is_file():
            return path.resolve()  # absolute: callers may change directory (and Gradio wants it)
    return None


def resolve(preset_id: str, *, download: bool | None = None) -> Path:
    """Path to the preset's image; downloads it into the cache if needed and allowed."""
    preset = get(preset_id)
    path = find_local(preset_id)
    if path is not None:
        return path
    if download is None:
        download = not os.environ.get("DEEPSTYLE_OFFLINE")
    where = f"STYLE_PRESETS_DIR={os.environ.get('STYLE_PRESETS_DIR') or '(unset)'}, cache {cache_dir() / 'presets'}"
    if not download:
        raise PresetError(f"preset {preset_id!r} is unavailable offline (not in {where})")
    try:
        return fetch(preset, preset.url)
    except PresetError as exc:
        raise PresetError(f"preset {preset_id!r} is unavailable: not in {where}, and {exc}") from None


def fetch(preset: Preset, url: str, timeout: float = DOWNLOAD_TIMEOUT_S) -> Path:
    """Download ``url`` into the cache as the preset's image; verify its MD5; no partial files."""
    folder = cache_dir() / "presets"
    folder.mkdir(parents=True, exist_ok=True)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    handle, tmp_name = tempfile.mkstemp(prefix=f".{preset.id}.", suffix=".part", dir=folder)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.md5()
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as response:
            size = 0
            while chunk := response.read(1 << 16):
                size += len(chunk)
                if size > MAX_DOWNLOAD_BYTES:
                    raise PresetError(f"the download from {url} is larger than {MAX_DOWNLOAD_BYTES} bytes")
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != preset.md5:
            raise PresetError(f"the download from {url} failed its checksum (md5 {digest.hexdigest()}, expected {preset.md5})")
        final = folder / f"{preset.id}.jpg"
        os.replace(tmp, final)
        return final
    except PresetError:
        raise
    except (OSError, ValueError) as exc:  # URLError, HTTPError, timeouts are OSErrors
        raise PresetError(f"the download from {url} failed ({exc})") from None
    finally:
        tmp.unlink(missing_ok=True)


def resolve_image(source: str) -> str | Path:
    """A style/content argument as given by a user: a preset id, else a file path."""
    if source in PRESETS:
        return resolve(source)
    path = Path(source)
    if path.is_file():
        return path
    if os.sep not in source and not path.suffix:
        get(source)  # raises with a did-you-mean
    return path  # image_io reports the missing file
