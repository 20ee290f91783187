"""The preset images (the paper's four paintings and its photo): provenance and where they are.

They ship in the repository's ``presets/`` folder, so a fresh clone works offline.
``presets/manifest.json`` holds each preset's id, title, artist, year, licence, the file's MD5,
and the public-domain source it was made from. ``resolve(id)`` finds ``<id>.jpg`` in the folder
named by ``$STYLE_PRESETS_DIR`` (an operator's override), else in ``presets/``; a shipped file is
checked against its MD5 once per process, so a damaged copy (say a Git LFS pointer pushed in its
place) is reported as such instead of as an unreadable image.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

PRESETS_DIR = Path(__file__).resolve().parent.parent / "presets"
MANIFEST = PRESETS_DIR / "manifest.json"


class PresetError(ValueError):
    """Unknown preset id, or a preset image that is missing or damaged."""


@dataclass(frozen=True)
class Preset:
    id: str
    kind: str  # "style" (a painting) or "photo" (an example content image)
    title: str
    artist: str
    year: str
    license: str
    file: str  # name of the image in presets/
    md5: str  # of that file
    source_url: str  # the public-domain / CC original it was made from
    source_md5: str

    @property
    def credit(self) -> str:
        return f"{self.artist}, {self.title}, {self.year} ({self.license})"


def _load_manifest() -> dict[str, Preset]:
    entries = json.loads(MANIFEST.read_text(encoding="utf-8"))["presets"]
    return {entry["id"]: Preset(**entry) for entry in entries}


PRESETS: dict[str, Preset] = _load_manifest()
STYLE_IDS: tuple[str, ...] = tuple(p.id for p in PRESETS.values() if p.kind == "style")
_verified: set[Path] = set()


def get(preset_id: str) -> Preset:
    """The preset with this id, or PresetError with a did-you-mean and the paintings' ids."""
    if preset_id in PRESETS:
        return PRESETS[preset_id]
    close = difflib.get_close_matches(preset_id, list(PRESETS), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise PresetError(f"unknown preset {preset_id!r}{hint} (paintings: {', '.join(STYLE_IDS)})")


def resolve(preset_id: str) -> Path:
    """Absolute path to the preset's image: ``$STYLE_PRESETS_DIR/<id>.jpg`` if there, else the shipped file."""
    preset = get(preset_id)
    override = os.environ.get("STYLE_PRESETS_DIR")
    if override and (Path(override) / preset.file).is_file():
        return (Path(override) / preset.file).resolve()  # absolute: callers may change directory
    path = PRESETS_DIR / preset.file
    if path not in _verified:
        if not path.is_file():
            raise PresetError(f"preset {preset_id!r}: {path} is missing (a partial checkout?)")
        digest = hashlib.md5(path.read_bytes()).hexdigest()
        if digest != preset.md5:
            raise PresetError(f"preset {preset_id!r}: {path} is damaged (md5 {digest}, expected {preset.md5}; "
                              "a Git LFS pointer instead of the image?)")
        _verified.add(path)
    return path


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
