"""A shared link's card: what a chat app or a social site shows where the link is pasted.

Those sites fetch the link without a cookie or a script and read the page's Open Graph and Twitter card tags:
a title that names the painting, a line, and a picture. The picture is made once, when the link is shared, from
the painting the page offers for download (a clip's first painted frame), and kept beside the link's copy; its
route (``card/<link>.jpg``) serves it to anyone while the link lives and says 410 once it has ended.
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
import os
from pathlib import Path

from PIL import Image

from style_core import presets, probe
from style_core.video_io import even_size, read_frames, read_metadata

from . import words

log = logging.getLogger("deepstyle.cards")
PICTURE, ABOUT = "card.jpg", "card.json"  # in the link's kept folder, beside its state.json
SIDE = 1200  # the long side most sites show a large card at; more is bytes nobody sees
ROUTE = "card/"
RESULT = "download"  # the component that holds the run's result: a painting's PNG, a clip's MP4


def make(folder: Path, components: list[dict]) -> None:
    """The card of the page saved in ``folder`` (its result's files kept there by name), if it has a result:
    the picture, and which paintings it was made in. A result that cannot be read leaves no card."""
    result = next((c["props"].get("value") for c in components
                   if c.get("props", {}).get("elem_id") == RESULT), None)
    if not isinstance(result, dict) or not isinstance(result.get("path"), str):
        return
    source = folder / os.path.basename(result["path"])
    try:
        if source.suffix.lower() == ".mp4":
            info = probe(source)
            size = even_size(info.size, min(SIDE, max(info.size)))
            picture, settings, kind = next(read_frames(source, size, info.fps, 1)), read_metadata(source), "clip"
        else:
            with Image.open(source) as opened:
                settings = json.loads(opened.info.get("deepstyle", "{}"))
                picture = opened.convert("RGB")
            kind = "photo"
        picture.thumbnail((SIDE, SIDE), Image.Resampling.LANCZOS)
        picture.save(folder / PICTURE, format="JPEG", quality=85, optimize=True)
        styles = [s for s in settings.get("styles", []) if isinstance(s, str)] if isinstance(settings, dict) else []
        about = {"kind": kind, "styles": styles, "size": list(picture.size)}
        (folder / ABOUT).write_text(json.dumps(about), encoding="utf-8")
    except Exception as exc:  # noqa: BLE001 — a link is shared with or without its card
        log.warning("no card for %s: %s: %s", source.name, type(exc).__name__, exc)
        (folder / PICTURE).unlink(missing_ok=True)


def tags(page_url: str, folder: Path | None = None, link: str | None = None) -> str:
    """The card's tags, in the current language, for the page at ``page_url`` (its address, no query): DeepStyle's
    own, or with a live ``link`` kept in ``folder`` the link's; a link shared without a result has no picture."""
    about = {}
    if link is not None:
        with contextlib.suppress(OSError, ValueError):
            about = json.loads((folder / ABOUT).read_text(encoding="utf-8"))
    base = page_url if page_url.endswith("/") else page_url.rsplit("/", 1)[0] + "/"
    title = _title(about) if link is not None else words.say("card.site")
    line = words.say("card.line" if link is not None else "card.site_line")
    named = {"og:type": "website", "og:site_name": "DeepStyle", "og:title": title, "og:description": line,
             "og:url": f"{page_url}?deep_link={link}" if link else page_url, "twitter:card": "summary",
             "twitter:title": title, "twitter:description": line}
    if link is not None and (folder / PICTURE).is_file() and "size" in about:
        picture = f"{base}{ROUTE}{link}.jpg"
        width, height = about["size"]
        named |= {"og:image": picture, "og:image:type": "image/jpeg", "og:image:width": str(width),
                  "og:image:height": str(height), "og:image:alt": title, "twitter:card": "summary_large_image",
                  "twitter:image": picture}
    meta = [f'<meta {"name" if key.startswith("twitter:") else "property"}="{key}" content="{html.escape(value)}">'
            for key, value in named.items()]
    return "\n".join([f'<meta name="description" content="{html.escape(line)}">', *meta])


def _title(about: dict) -> str:
    kind = "clip" if about.get("kind") == "clip" else "photo"
    known = [s for s in about.get("styles", []) if s in presets.STYLE_IDS]
    if not about.get("styles"):
        return words.say("card.title")
    if len(known) < len(about["styles"]):  # a painting of the visitor's own: not ours to name
        return words.say(f"card.{kind}_own")
    if len(known) > 2:  # all four (ui/all_four.py): the figure
        return words.say("card.photo_all")
    if len(known) == 1:
        return words.say(f"card.{kind}_one", title=words.title(known[0]), artist=words.artist(known[0]))
    return words.say(f"card.{kind}_two", first=words.title(known[0]), second=words.title(known[1]))
